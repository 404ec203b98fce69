//! `counter --redis URL`: three instances of the binary on one real `redis-server` count
//! together — every visit and increment, sent to whichever instance, counted once. The
//! test starts redis-server on a free loopback port and kills (by PID) only what it
//! started. Without `redis-server` it prints `SKIPPED: …` and passes, or fails under
//! `HTTP_RS_REQUIRE_TOOLS=1` (`.ci/run` installs it).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::Duration;

#[path = "../../testing/tools.rs"]
mod tools;

use tools::{Killed, free_port, redis_server};

/// `counter --redis URL` on a free port; its address from the `listening on` line.
fn counter(url: &str) -> (Killed, String) {
    let child = Command::new(env!("CARGO_BIN_EXE_counter"))
        .args(["--port", "0", "--workers", "2", "--redis", url])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start counter");
    let mut child = Killed(child);
    let mut line = String::new();
    BufReader::new(child.0.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let addr = line.trim().strip_prefix("listening on http://").unwrap_or_else(|| panic!("{line:?}")).to_owned();
    (child, addr)
}

/// One request on its own connection: (status, body).
fn request(addr: &str, method: &str, path: &str) -> (u16, String) {
    let mut c = TcpStream::connect(addr).unwrap();
    c.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let head = format!("{method} {path} HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
    c.write_all(head.as_bytes()).unwrap();
    let mut got = String::new();
    c.read_to_string(&mut got).unwrap();
    let status = got.get(9..12).and_then(|s| s.parse().ok()).unwrap_or_else(|| panic!("{got:?}"));
    let body = got.split_once("\r\n\r\n").map(|(_, b)| b.to_owned()).unwrap_or_default();
    (status, body)
}

#[test]
fn three_instances_on_one_redis_count_exactly() {
    let Some((_redis, url)) = redis_server() else { return };
    let instances: Vec<_> = (0..3).map(|_| counter(&url)).collect();
    let addrs: Vec<String> = instances.iter().map(|(_, a)| a.clone()).collect();
    const PER_THREAD: usize = 100;
    // Six threads, each spreading its requests round-robin over the three instances.
    std::thread::scope(|s| {
        for t in 0..6 {
            let addrs = &addrs;
            s.spawn(move || {
                for i in 0..PER_THREAD {
                    let addr = &addrs[(t + i) % 3];
                    assert_eq!(request(addr, "GET", "/visit").0, 200);
                    assert_eq!(request(addr, "POST", "/kv/hits/incr").0, 200);
                }
            });
        }
    });
    let total = (6 * PER_THREAD).to_string();
    for addr in &addrs {
        assert_eq!(request(addr, "GET", "/count"), (200, format!(r#"{{"visits":{total}}}"#)), "{addr}");
        assert_eq!(request(addr, "GET", "/kv/hits"), (200, total.clone()), "{addr}");
    }
}

#[test]
fn an_unreachable_redis_is_a_startup_error() {
    let port = free_port();
    let out = Command::new(env!("CARGO_BIN_EXE_counter"))
        .args(["--port", "0", "--redis", &format!("redis://127.0.0.1:{port}/")])
        .stdin(Stdio::null())
        .output()
        .expect("run counter");
    assert!(!out.status.success());
    assert!(out.stdout.is_empty(), "no `listening on` line: {:?}", String::from_utf8_lossy(&out.stdout));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("store unavailable"), "{err}");
}
