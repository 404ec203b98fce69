//! `sse_fanout`: many SSE subscribers of one broadcasting server (the suite's SSE row):
//! server CPU per delivered event and server memory per subscriber.
//!
//! ```text
//! cargo run --release -p benches --bin sse_fanout -- --addr 127.0.0.1:8080 --path /events \
//!     --subscribers 10000 --seconds 15 --server-pid 1234
//! ```
//!
//! The server (ours: `sse_broadcast`; axum: benches/peers `axum_sse`) runs on its own; this
//! program reads its VmRSS (`/proc/PID/status`) before connecting, opens `--subscribers`
//! hyper HTTP/1.1 streams (benches::sse) and waits until each has an event, then reads the
//! server's CPU time (`/proc/PID/stat`) and every subscriber's event count, waits
//! `--seconds`, and reads both again with the VmRSS. Prints one line of `key=value`
//! results: `events` (delivered in the window), `events_per_s`, `cpu_ticks`,
//! `cpu_us_per_event`, `rss_idle_kib`, `rss_kib`, `rss_kib_per_sub`, and the fewest and most
//! events one subscriber got (`min_sub`, `max_sub`). Needs an open-file limit above the
//! subscribers (checked). Only the given address is used; the run stops by itself.

use std::time::{Duration, Instant};

use clap::Parser;

#[derive(Parser)]
#[command(about = "SSE fan-out load: server CPU per delivered event and RSS per subscriber")]
struct Cli {
    /// The server's HOST:PORT.
    #[arg(long)]
    addr: String,
    /// The event stream's path.
    #[arg(long, default_value = "/events")]
    path: String,
    /// Subscribers (connections).
    #[arg(long, default_value_t = 10_000)]
    subscribers: usize,
    /// Measured seconds.
    #[arg(long, default_value_t = 15)]
    seconds: u64,
    /// The server's PID.
    #[arg(long)]
    server_pid: u32,
}

/// The open-file soft limit in a `/proc/PID/limits` text.
fn fd_soft_limit(limits: &str) -> Option<u64> {
    limits.lines().find(|l| l.starts_with("Max open files"))?.split_whitespace().nth(3)?.parse().ok()
}

/// The events delivered between two snapshots of the subscribers' counts.
#[derive(Debug, PartialEq)]
struct Window {
    events: u64,
    min_sub: u64,
    max_sub: u64,
}

fn window(before: &[u64], after: &[u64]) -> Window {
    let deltas: Vec<u64> = before.iter().zip(after).map(|(b, a)| a - b).collect();
    Window {
        events: deltas.iter().sum(),
        min_sub: deltas.iter().copied().min().unwrap_or(0),
        max_sub: deltas.iter().copied().max().unwrap_or(0),
    }
}

fn main() -> std::io::Result<()> {
    let cli = Cli::parse();
    let need = cli.subscribers as u64 + 64;
    let limits = std::fs::read_to_string("/proc/self/limits")?;
    if let Some(limit) = fd_soft_limit(&limits).filter(|&l| l < need) {
        return Err(std::io::Error::other(format!(
            "open-file limit {limit} < {need}; raise it with `ulimit -n {need}`"
        )));
    }
    let pid = cli.server_pid;
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    rt.block_on(async {
        let rss_idle = benches::procfs::vm_rss_kib(pid)?;
        let t = Instant::now();
        let subs = benches::sse::subscribe_all(&cli.addr, &cli.path, cli.subscribers, Duration::from_secs(60)).await;
        eprintln!("sse_fanout: {} subscribers streaming after {:.1} s", cli.subscribers, t.elapsed().as_secs_f64());
        let (c0, t0, n0) = (subs.snapshot(), benches::procfs::cpu_ticks(pid)?, Instant::now());
        tokio::time::sleep(Duration::from_secs(cli.seconds)).await;
        let (c1, t1, secs) = (subs.snapshot(), benches::procfs::cpu_ticks(pid)?, n0.elapsed().as_secs_f64());
        let rss = benches::procfs::vm_rss_kib(pid)?;
        let w = window(&c0, &c1);
        let per_event = benches::procfs::cpu_us_per(t1 - t0, w.events);
        println!(
            "subscribers={} seconds={secs:.2} events={} events_per_s={:.0} cpu_ticks={} cpu_us_per_event={per_event:.3} rss_idle_kib={rss_idle} rss_kib={rss} rss_kib_per_sub={:.2} min_sub={} max_sub={}",
            cli.subscribers,
            w.events,
            w.events as f64 / secs,
            t1 - t0,
            rss.saturating_sub(rss_idle) as f64 / cli.subscribers as f64,
            w.min_sub,
            w.max_sub
        );
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn open_file_limit() {
        let limits = "Limit                     Soft Limit           Hard Limit           Units\n\
                      Max cpu time              unlimited            unlimited            seconds\n\
                      Max open files            20000                524288               files\n";
        assert_eq!(fd_soft_limit(limits), Some(20000));
        assert_eq!(fd_soft_limit("Max cpu time unlimited unlimited seconds\n"), None);
    }

    #[test]
    fn window_counts() {
        let cases: &[(&[u64], &[u64], Window)] = &[
            (&[1, 2, 3], &[16, 17, 17], Window { events: 44, min_sub: 14, max_sub: 15 }),
            (&[], &[], Window { events: 0, min_sub: 0, max_sub: 0 }),
            (&[5], &[5], Window { events: 0, min_sub: 0, max_sub: 0 }),
        ];
        for (before, after, want) in cases {
            assert_eq!(window(before, after), *want, "{before:?} -> {after:?}");
        }
    }
}
