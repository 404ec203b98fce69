//! Signals and flags of a real binary (`hello`, run as a child process): SIGHUP on a server
//! without TLS is logged and ignored (its default action would end the process), and
//! `--workers 0` is refused with a message that says why.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// The child, killed (by its PID) and reaped when the test ends, however it ends.
struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn plaintext(addr: &str) -> String {
    let mut c = TcpStream::connect(addr).unwrap();
    c.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    c.write_all(b"GET /plaintext HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n").unwrap();
    let mut got = String::new();
    c.read_to_string(&mut got).unwrap();
    got
}

#[cfg(unix)]
#[test]
fn sighup_without_tls_keeps_the_server_running() {
    let child = Command::new(env!("CARGO_BIN_EXE_hello"))
        .args(["--port", "0", "--workers", "1"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start hello");
    let mut child = Killed(child);
    let mut line = String::new();
    BufReader::new(child.0.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let addr = line.trim().strip_prefix("listening on http://").unwrap_or_else(|| panic!("{line:?}")).to_owned();
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
