//! The binaries as a deployment runs them: on a Unix domain socket (`--unix`), and on
//! sockets systemd passes (`LISTEN_FDS`, from fd 3; here a small Python launcher plays
//! systemd, since systemd itself cannot run in a test).

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Command, Stdio};
use std::time::Duration;

#[path = "../../testing/tools.rs"]
mod tools;
use tools::Killed;

fn first_line(child: &mut Killed) -> String {
    let mut line = String::new();
    BufReader::new(child.0.stdout.take().unwrap()).read_line(&mut line).unwrap();
    line.trim().to_owned()
}

fn exchange(mut c: impl Read + Write, path: &str) -> String {
    c.write_all(format!("GET {path} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n").as_bytes()).unwrap();
    let mut got = String::new();
    c.read_to_string(&mut got).unwrap();
    got
}

#[cfg(unix)]
fn unix_get(path: &str, target: &str) -> String {
    let c = std::os::unix::net::UnixStream::connect(path).unwrap();
    c.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    exchange(c, target)
}

fn tcp_get(addr: &str, target: &str) -> String {
    let c = std::net::TcpStream::connect(addr).unwrap();
    c.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    exchange(c, target)
}

#[cfg(unix)]
#[test]
fn unix_flag_announces_and_serves_the_socket() {
    let path = std::env::temp_dir().join(format!("hello-unix-{}.sock", std::process::id()));
    let path = path.to_str().unwrap().to_owned();
    let child = Command::new(env!("CARGO_BIN_EXE_hello"))
        .args(["--unix", &path, "--workers", "1"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut child = Killed(child);
    assert_eq!(first_line(&mut child), format!("listening on unix:{path}"));
    assert!(unix_get(&path, "/plaintext").ends_with("Hello, World!"));
    drop(child);
    let _ = std::fs::remove_file(&path);
}

/// Plays systemd: opens the socket as fd 3, sets `LISTEN_FDS=1` and `LISTEN_PID` to its
/// own PID, and execs `hello` (which keeps the PID).
#[cfg(unix)]
const LAUNCHER: &str = r#"
import os, socket, sys
kind, where, prog = sys.argv[1], sys.argv[2], sys.argv[3]
if kind == "tcp":
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
else:
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(where)
s.listen(16)
if s.fileno() != 3:
    os.dup2(s.fileno(), 3)
os.set_inheritable(3, True)
os.environ["LISTEN_FDS"] = "1"
os.environ["LISTEN_PID"] = str(os.getpid())
os.execv(prog, [prog] + sys.argv[4:])
"#;

#[cfg(unix)]
#[test]
fn systemd_socket_activation() {
    if tools::require_tool("python3", "--version").is_none() {
        return;
    }
    let sock = std::env::temp_dir().join(format!("hello-systemd-{}.sock", std::process::id()));
    let sock = sock.to_str().unwrap().to_owned();
    let _ = std::fs::remove_file(&sock);
    for kind in ["tcp", "unix"] {
        // --port 1 would fail to bind: the inherited socket must be used instead
        let child = Command::new("python3")
            .args(["-c", LAUNCHER, kind, &sock, env!("CARGO_BIN_EXE_hello"), "--port", "1", "--workers", "1"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut child = Killed(child);
        let line = first_line(&mut child);
        let body = match kind {
            "tcp" => {
                let addr = line.strip_prefix("listening on http://").unwrap_or_else(|| panic!("{line:?}"));
                assert_ne!(addr, "127.0.0.1:1");
                tcp_get(addr, "/plaintext")
            }
            _ => {
                assert_eq!(line, format!("listening on unix:{sock}"));
                unix_get(&sock, "/plaintext")
            }
        };
        assert!(body.ends_with("Hello, World!"), "{kind}: {body}");
    }
    let _ = std::fs::remove_file(&sock);
}
