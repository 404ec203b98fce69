//! Descriptor exhaustion: the `showcase` server runs as a child process with
//! `ulimit -n 256`, and 1,000 connections are opened to it at once. `accept` fails with
//! EMFILE once the server's descriptors are used up; the accept loop must back off (not
//! spin at 100% CPU — measured from `/proc/PID/stat` over the exhaustion window) and
//! recover: once the clients let go, the server serves again.
//!
//! Linux only (it reads /proc): elsewhere this file compiles to no test.

#![cfg(target_os = "linux")]

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const ATTEMPTS: usize = 1000;
const WINDOW: Duration = Duration::from_secs(3);

#[path = "../../testing/tools.rs"]
mod tools;
use tools::Killed;

/// utime + stime of `pid`, in clock ticks.
fn cpu_ticks(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).expect("read /proc/PID/stat");
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    let rest = &stat[stat.rfind(')').unwrap() + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap()
}

fn clock_ticks_per_second() -> u64 {
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(100)
}

fn open_fds(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/fd")).map(|d| d.count()).unwrap_or(0)
}

async fn plaintext(addr: std::net::SocketAddr) -> Result<Vec<u8>, String> {
    let mut c = TcpStream::connect(addr).await.map_err(|e| e.to_string())?;
    c.write_all(b"GET /plaintext HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n").await.map_err(|e| e.to_string())?;
    let mut got = Vec::new();
    c.read_to_end(&mut got).await.map_err(|e| e.to_string())?;
    Ok(got)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn accept_loop_backs_off_and_recovers_from_fd_exhaustion() {
    let log = std::env::temp_dir().join(format!("fd-exhaustion-{}.log", std::process::id()));
    let stderr = std::fs::File::create(&log).unwrap();
    let child = Command::new("sh")
        .arg("-c")
        .arg("ulimit -n 256 && exec \"$0\" --port 0 --workers 2")
        .arg(env!("CARGO_BIN_EXE_showcase"))
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(stderr)
        .spawn()
        .expect("start showcase");
    let mut child = Killed(child);
    let pid = child.0.id();
    let mut line = String::new();
    BufReader::new(child.0.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let url = line.trim().strip_prefix("listening on http://").expect("listening line").to_owned();
    let addr: std::net::SocketAddr = url.parse().unwrap();
    assert!(plaintext(addr).await.unwrap().ends_with(b"Hello, World!"));
    let limit = std::fs::read_to_string(format!("/proc/{pid}/limits")).unwrap();
    assert!(limit.lines().any(|l| l.starts_with("Max open files") && l.contains(" 256 ")), "{limit}");

    // 1,000 connections at once, held open.
    let t0 = Instant::now();
    let attempts: Vec<_> = (0..ATTEMPTS)
        .map(|_| {
            tokio::spawn(async move { tokio::time::timeout(Duration::from_secs(2), TcpStream::connect(addr)).await })
        })
        .collect();
    let mut held = Vec::new();
    let mut failed = 0;
    for a in attempts {
        match a.await.unwrap() {
            Ok(Ok(c)) => held.push(c),
            _ => failed += 1,
        }
    }
    let connected_in = t0.elapsed();
    // The exhaustion window: the server is out of descriptors with connections waiting.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let fds_exhausted = open_fds(pid);
    let ticks0 = cpu_ticks(pid);
    let w0 = Instant::now();
    tokio::time::sleep(WINDOW).await;
    let cpu = (cpu_ticks(pid) - ticks0) as f64 / clock_ticks_per_second() as f64 / w0.elapsed().as_secs_f64();
    let during = plaintext(addr);
    let during = tokio::time::timeout(Duration::from_millis(500), during).await;

    // Let go; the server must serve again.
    drop(held);
    let t1 = Instant::now();
    let recovered = loop {
        match tokio::time::timeout(Duration::from_secs(2), plaintext(addr)).await {
            Ok(Ok(r)) if r.ends_with(b"Hello, World!") => break Some(t1.elapsed()),
            _ if t1.elapsed() > Duration::from_secs(20) => break None,
            _ => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    };
    let warnings = std::fs::read_to_string(&log).unwrap_or_default();
    let accept_failures = warnings.lines().filter(|l| l.contains("accept failed")).count();
    let _ = std::fs::remove_file(&log);
    eprintln!(
        "fd exhaustion (ulimit -n 256): {} of {ATTEMPTS} connects succeeded ({failed} timed out) in {connected_in:?}; \
         server fds {fds_exhausted}; server CPU {:.1}% over {WINDOW:?}; a new request during exhaustion: {}; \
         'accept failed' warnings {accept_failures}; serving again {:?} after the clients let go",
        ATTEMPTS - failed,
        cpu * 100.0,
        if during.is_err() { "waited (queued)" } else { "answered" },
        recovered
    );
    assert!(fds_exhausted >= 240, "the server never ran out of descriptors ({fds_exhausted} open)");
    assert!(accept_failures >= 1, "accept never failed: the test did not exhaust descriptors");
    assert!(cpu < 0.25, "accept loop busy: {:.0}% CPU while out of descriptors", cpu * 100.0);
    // Backoff: the warnings are bounded by the exponential schedule (5 ms doubling to 1 s),
    // not one per spin.
    assert!(accept_failures < 200, "{accept_failures} accept failures logged: no backoff");
    assert!(recovered.is_some(), "the server did not serve again after the clients let go");
    assert!(child.0.try_wait().unwrap().is_none(), "the server exited");
}
