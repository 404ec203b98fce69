//! The example binaries as child processes: SIGHUP on a server without TLS is logged and
//! ignored (its default action would end the process), `--workers 0` is refused with a
//! message that says why, and `traced` writes no colour codes into redirected stderr.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::Duration;

#[path = "../../testing/tools.rs"]
mod tools;
use tools::Killed;

fn get(addr: &str, path: &str) -> String {
    let mut c = TcpStream::connect(addr).unwrap();
    c.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    c.write_all(format!("GET {path} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n").as_bytes()).unwrap();
    let mut got = String::new();
    c.read_to_string(&mut got).unwrap();
    got
}

fn plaintext(addr: &str) -> String {
    get(addr, "/plaintext")
}

/// Starts `bin` on a free port with stderr going to `stderr`; returns it and its address.
fn spawn(bin: &str, stderr: Stdio) -> (Killed, String) {
    let child = Command::new(bin)
        .args(["--port", "0", "--workers", "1"])
        .stdout(Stdio::piped())
        .stderr(stderr)
        .spawn()
        .unwrap_or_else(|e| panic!("start {bin}: {e}"));
    let mut child = Killed(child);
    let mut line = String::new();
    BufReader::new(child.0.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let addr = line.trim().strip_prefix("listening on http://").unwrap_or_else(|| panic!("{line:?}")).to_owned();
    (child, addr)
}

#[cfg(unix)]
#[test]
fn sighup_without_tls_keeps_the_server_running() {
    let (mut child, addr) = spawn(env!("CARGO_BIN_EXE_hello"), Stdio::null());
    assert!(plaintext(&addr).ends_with("Hello, World!"));

    let pid = child.0.id().to_string();
    for _ in 0..2 {
        let status = Command::new("kill").args(["-HUP", &pid]).status().expect("run kill");
        assert!(status.success());
        std::thread::sleep(Duration::from_millis(200));
        assert!(child.0.try_wait().unwrap().is_none(), "SIGHUP ended the server");
        assert!(plaintext(&addr).ends_with("Hello, World!"), "the server still answers after SIGHUP");
    }
}

#[test]
fn zero_workers_is_refused_with_a_reason() {
    let out = Command::new(env!("CARGO_BIN_EXE_hello"))
        .args(["--port", "0", "--workers", "0"])
        .stdin(Stdio::null())
        .output()
        .expect("run hello");
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("--workers") && stderr.contains("at least 1"), "{stderr}");
}

#[test]
fn traced_writes_plain_text_to_redirected_stderr() {
    let path = std::env::temp_dir().join(format!("traced-stderr-{}.log", std::process::id()));
    let file = std::fs::File::create(&path).unwrap();
    let (child, addr) = spawn(env!("CARGO_BIN_EXE_traced"), Stdio::from(file));
    assert!(get(&addr, "/users/7").ends_with("user 7"));
    // The request span closes right after the response; give the subscriber a moment.
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    let log = loop {
        let log = std::fs::read_to_string(&path).unwrap();
        if log.contains("/users/7") || std::time::Instant::now() > deadline {
            break log;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    drop(child);
    let _ = std::fs::remove_file(&path);
    assert!(log.contains(r#"path="/users/7""#), "{log}");
    assert!(!log.contains('\u{1b}'), "ANSI escape codes in redirected stderr: {log:?}");
}
