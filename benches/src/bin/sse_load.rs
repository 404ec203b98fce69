//! `sse_load`: many concurrent SSE clients on one server.
//!
//! ```text
//! cargo run --release -p benches --bin sse_load -- [--clients 1000] [--seconds 5] [--tick-ms 100]
//! ```
//!
//! The server runs in a child process (this binary with `--serve`), so its memory is
//! measured alone: VmRSS from `/proc/<child>/status` before any client connects and with
//! every client connected. The clients are hyper HTTP/1.1 connections in this process,
//! each parsing its stream with `http_sse::SseParser`. Two phases, same clients count:
//!
//! 1. **tick**: each stream sends one small event every `--tick-ms` (default
//!    `max_len`, 16 MiB): delivered events/s (ideal: clients × 1000 / tick-ms), server RSS.
//! 2. **flood**: each producer sends small events (48 bytes of data and an id) as fast as backpressure lets it
//!    (`max_len` 64 KiB): delivered events/s, server RSS.
//!
//! Each process needs a file-descriptor limit above the clients count (`ulimit -n`); the
//! program checks `/proc/self/limits` and stops with a message when it is too low.
//! Only 127.0.0.1 is used; the child is killed (by its handle) when the run ends, and exits
//! by itself when its stdin closes.

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use benches::sse::{Subscribers, subscribe_all};
use clap::Parser;
use http_core::{Request, Response, StatusCode};
use http_server::{Server, ServerOptions};
use http_sse::{SseEvent, SseResponse, SseStream};

/// How long every client may take to get its first event.
const PATIENCE: Duration = Duration::from_secs(60);

#[derive(Parser)]
#[command(about = "Concurrent SSE clients on one server: events/s delivered and RSS per client")]
struct Cli {
    /// Concurrent clients.
    #[arg(long, default_value_t = 1000)]
    clients: usize,
    /// Length of each measurement window, in seconds.
    #[arg(long, default_value_t = 5)]
    seconds: u64,
    /// Interval between events in the tick phase, in milliseconds.
    #[arg(long, default_value_t = 100)]
    tick_ms: u64,
    /// Internal: run the server side and print its port.
    #[arg(long, hide = true)]
    serve: bool,
}

fn main() {
    let cli = Cli::parse();
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    if cli.serve {
        rt.block_on(serve());
    } else {
        rt.block_on(run(cli));
    }
}

// ---------------------------------------------------------------- server (child process)

async fn serve() {
    let opts = ServerOptions::new().port(0).max_connections(100_000).backlog(4096);
    let server = Server::serve(opts, handler).await.expect("start server");
    println!("PORT {}", server.port());
    std::io::stdout().flush().unwrap();
    // Run until the parent closes our stdin (or dies).
    tokio::task::spawn_blocking(|| std::io::copy(&mut std::io::stdin(), &mut std::io::sink())).await.ok();
    server.close().await;
}

async fn handler(req: Request) -> Response {
    let tick_ms = req.query().and_then(|q| q.strip_prefix("ms=")).and_then(|v| v.parse().ok()).unwrap_or(100);
    match req.path() {
        "/tick" => SseResponse::new().spawn(move |s: SseStream| tick(s, tick_ms)),
        "/flood" => SseResponse::new().max_len(64 * 1024).spawn(flood),
        _ => Response::error(StatusCode::NOT_FOUND),
    }
}

async fn tick(s: SseStream, every_ms: u64) -> Result<(), http_sse::SseError> {
    let mut ticks = tokio::time::interval(Duration::from_millis(every_ms));
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    for i in 0u64.. {
        ticks.tick().await;
        s.send(&SseEvent::new(format!("{{\"i\": {i}}}")).with_event("tick").with_id(i.to_string())).await?;
    }
    Ok(())
}

async fn flood(s: SseStream) -> Result<(), http_sse::SseError> {
    let payload = "x".repeat(48);
    for i in 0u64.. {
        s.send(&SseEvent::new(payload.as_str()).with_id(i.to_string())).await?;
    }
    Ok(())
}

// ---------------------------------------------------------------- clients (this process)

struct Measured {
    per_sec: f64,
    bytes_per_sec: f64,
    min_client: u64,
    max_client: u64,
}

async fn measure(phase: &Subscribers, seconds: u64) -> Measured {
    let before = phase.snapshot();
    let bytes0 = phase.bytes.load(Ordering::Relaxed);
    let t0 = Instant::now();
    tokio::time::sleep(Duration::from_secs(seconds)).await;
    let after = phase.snapshot();
    let bytes1 = phase.bytes.load(Ordering::Relaxed);
    let secs = t0.elapsed().as_secs_f64();
    let deltas: Vec<u64> = before.iter().zip(&after).map(|(b, a)| a - b).collect();
    Measured {
        per_sec: deltas.iter().sum::<u64>() as f64 / secs,
        bytes_per_sec: (bytes1 - bytes0) as f64 / secs,
        min_client: deltas.iter().copied().min().unwrap_or(0),
        max_client: deltas.iter().copied().max().unwrap_or(0),
    }
}

fn vm_rss_kib(pid: u32) -> u64 {
    benches::procfs::vm_rss_kib(pid).expect("VmRSS in /proc/<pid>/status")
}

fn fd_soft_limit(pid: u32) -> Option<u64> {
    let limits = std::fs::read_to_string(format!("/proc/{pid}/limits")).ok()?;
    let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
    line.split_whitespace().nth(3)?.parse().ok()
}

fn start_server() -> (Child, u16) {
    let mut child = Command::new(std::env::current_exe().unwrap())
        .arg("--serve")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("start the server process");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let port = line.trim().strip_prefix("PORT ").and_then(|p| p.parse().ok()).expect("server printed its port");
    (child, port)
}

async fn run(cli: Cli) {
    let need = cli.clients as u64 + 64;
    for (who, pid) in [("this process", std::process::id())] {
        if let Some(limit) = fd_soft_limit(pid) {
            assert!(limit >= need, "{who}: open-file limit {limit} < {need}; raise it with `ulimit -n {need}`");
        }
    }
    let (mut child, port) = start_server();
    let pid = child.id();
    if let Some(limit) = fd_soft_limit(pid) {
        assert!(limit >= need, "server: open-file limit {limit} < {need}; raise it with `ulimit -n {need}`");
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let rss_idle = vm_rss_kib(pid);
    println!("server pid {pid}, port {port}; {} clients; {} s windows", cli.clients, cli.seconds);
    println!("server RSS with no clients: {rss_idle} KiB");

    let t = Instant::now();
    let addr = format!("127.0.0.1:{port}");
    let phase = subscribe_all(&addr, &format!("/tick?ms={}", cli.tick_ms), cli.clients, PATIENCE).await;
    println!("tick phase: {} clients streaming after {:.2} s", cli.clients, t.elapsed().as_secs_f64());
    let m = measure(&phase, cli.seconds).await;
    let rss = vm_rss_kib(pid);
    let ideal = cli.clients as f64 * 1000.0 / cli.tick_ms as f64;
    println!(
        "tick ({} ms): {:.0} events/s delivered (ideal {ideal:.0}); per client {}..{} events in {} s",
        cli.tick_ms, m.per_sec, m.min_client, m.max_client, cli.seconds
    );
    println!(
        "tick: server RSS {rss} KiB, {:.1} KiB per client",
        rss.saturating_sub(rss_idle) as f64 / cli.clients as f64
    );
    drop(phase);
    tokio::time::sleep(Duration::from_millis(500)).await;

    let t = Instant::now();
    let phase = subscribe_all(&addr, "/flood", cli.clients, PATIENCE).await;
    println!("flood phase: {} clients streaming after {:.2} s", cli.clients, t.elapsed().as_secs_f64());
    let m = measure(&phase, cli.seconds).await;
    let rss = vm_rss_kib(pid);
    println!(
        "flood (max_len 64 KiB): {:.0} events/s delivered ({:.1} MB/s of body, {:.0} bytes per event); per client {}..{} events in {} s",
        m.per_sec,
        m.bytes_per_sec / 1e6,
        m.bytes_per_sec / m.per_sec,
        m.min_client,
        m.max_client,
        cli.seconds
    );
    println!(
        "flood: server RSS {rss} KiB, {:.1} KiB per client",
        rss.saturating_sub(rss_idle) as f64 / cli.clients as f64
    );
    drop(phase);

    drop(child.stdin.take());
    let _ = child.kill();
    let _ = child.wait();
}
