//! External programs in integration tests: finding a tool, skipping visibly or failing when
//! it is missing, owning the children a test starts, and a throwaway `redis-server`.
//!
//! One file shared by every crate's `tests/` (no crate of its own, so nothing is compiled
//! twice and nothing is published): a test binary includes it with
//! `#[path = "../../testing/tools.rs"] mod tools;`.
//!
//! The rule it carries: a test whose tool is missing prints `SKIPPED: <reason>` straight to
//! stderr (past the harness's capture, so a plain `cargo test` shows it) and returns; with
//! `HTTP_RS_REQUIRE_TOOLS=1` (`.ci/run` sets it) it fails instead. Tests start servers only
//! on 127.0.0.1 and end only their own children, by PID.

#![allow(dead_code, unreachable_pub)] // each test binary uses a different subset

use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A test's external tool is missing: fails under `HTTP_RS_REQUIRE_TOOLS=1`, otherwise
/// prints `SKIPPED: <reason>` to stderr; the caller then returns.
pub fn tool_missing(reason: &str) {
    if std::env::var_os("HTTP_RS_REQUIRE_TOOLS").is_some_and(|v| v == "1") {
        panic!("{reason}; HTTP_RS_REQUIRE_TOOLS=1 requires it");
    }
    let _ = std::io::Write::write_all(&mut std::io::stderr(), format!("SKIPPED: {reason}\n").as_bytes());
}

/// `name` as a file in a `PATH` directory.
pub fn find_on_path(name: &str) -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?).map(|dir| dir.join(name)).find(|p| p.is_file())
}

/// The program `name` that runs `name version_flag` successfully: on `PATH`, or where
/// Debian installs it (a root shell's `PATH` may lack /usr/sbin). When there is none it is
/// reported with [`tool_missing`] and the answer is `None`.
pub fn require_tool(name: &str, version_flag: &str) -> Option<PathBuf> {
    let runs = |bin: &PathBuf| {
        Command::new(bin).arg(version_flag).stdout(Stdio::null()).stderr(Stdio::null()).status().is_ok()
    };
    let found = find_on_path(name)
        .into_iter()
        .chain(["/usr/sbin", "/usr/bin"].map(|dir| PathBuf::from(dir).join(name)))
        .find(runs);
    if found.is_none() {
        tool_missing(&format!("{name} is not installed"));
    }
    found
}

/// A child the test started: killed by its PID and reaped when dropped, however the test
/// ends.
pub struct Killed(pub Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A port nothing listens on right now, on 127.0.0.1.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// Waits until something accepts connections on 127.0.0.1:`port`, at most `limit`.
pub fn wait_listening(port: u16, what: &str, limit: Duration) {
    let start = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(start.elapsed() < limit, "{what} listening within {limit:?}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// `redis-server` without persistence on a free loopback port, and its `redis://` URL;
/// `None` (reported) when it is not installed.
pub fn redis_server() -> Option<(Killed, String)> {
    let bin = require_tool("redis-server", "--version")?;
    let port = free_port();
    let child = Command::new(bin)
        .args(["--bind", "127.0.0.1", "--port", &port.to_string(), "--save", "", "--appendonly", "no"])
        .stdout(Stdio::null())
        .spawn()
        .expect("redis-server starts");
    let child = Killed(child);
    wait_listening(port, "redis-server", Duration::from_secs(10));
    Some((child, format!("redis://127.0.0.1:{port}/")))
}
