//! `ws_load`: WebSocket echo load generator — messages per second, MB/s and the server's
//! CPU time per message.
//!
//! Opens `--connections` WebSockets (HTTP/1.1 handshake, no extension) to a running echo
//! server, then on each, with pre-built masked binary frames of `--size` bytes (the client
//! does no per-message work beyond counting the echoes' frame headers):
//!
//! - `--mode echo`: round trips — write `--window` messages in one write, read their
//!   `--window` echoes, repeat (window 1 is strict ping-pong per connection);
//! - `--mode stream`: one-way throughput — a writer sends `--window` messages per write
//!   without waiting while a reader counts the echoes, so the link stays full and the rate
//!   is bound by the slower side.
//!
//! After `--warmup` seconds it counts echoed messages for `--duration` seconds, and reads
//! the server's CPU time (utime + stime, `/proc/PID/stat`) at both ends when given
//! `--server-pid`. Prints one line of `key=value` fields (what `load/ws_compare.sh` reads).
//!
//! ```text
//! target/release/ws_load --port 8080 --path /ws --connections 64 --window 1 --size 1024 \
//!     --duration 5 --server-pid $(pgrep -n showcase)
//! ```

use std::cell::Cell;
use std::rc::Rc;
use std::time::{Duration, Instant};

use benches::procfs::{CpuTicks, cpu_split_ticks};
use benches::ws::{EchoCounter, binary_burst, handshake, handshake_request};
use clap::{Parser, ValueEnum};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

#[derive(Clone, Copy, Debug, ValueEnum)]
enum Mode {
    /// Bursts of `--window` messages, each waiting for its echoes.
    Echo,
    /// Sends without waiting; the echoes are counted as they come.
    Stream,
}

#[derive(Parser)]
#[command(about = "WebSocket echo load generator")]
struct Cli {
    /// Server address.
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// Server port.
    #[arg(long)]
    port: u16,
    /// Request path of the WebSocket endpoint.
    #[arg(long, default_value = "/ws")]
    path: String,
    /// WebSocket connections.
    #[arg(long, default_value_t = 64)]
    connections: usize,
    /// Messages per write (echo: in flight per connection).
    #[arg(long, default_value_t = 1)]
    window: usize,
    /// Payload bytes per message.
    #[arg(long, default_value_t = 16)]
    size: usize,
    /// What to measure.
    #[arg(long, value_enum, default_value_t = Mode::Echo)]
    mode: Mode,
    /// Measured seconds.
    #[arg(long, default_value_t = 5.0)]
    duration: f64,
    /// Unmeasured seconds first.
    #[arg(long, default_value_t = 1.0)]
    warmup: f64,
    /// The server's process id, for its CPU time per message.
    #[arg(long)]
    server_pid: Option<u32>,
}

/// utime and stime of `pid` in clock ticks (fields 14 and 15 of `/proc/PID/stat`).
fn cpu_ticks(pid: u32) -> CpuTicks {
    cpu_split_ticks(pid).expect("the server is running")
}

fn clock_ticks_per_second() -> f64 {
    std::process::Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(100.0)
}

/// Messages and payload bytes echoed so far, over all connections (one thread).
#[derive(Default)]
struct Totals {
    messages: Cell<u64>,
    bytes: Cell<u64>,
    failed: Cell<u64>,
}

impl Totals {
    fn add(&self, c: &EchoCounter, seen: &mut (u64, u64)) {
        self.messages.set(self.messages.get() + c.messages - seen.0);
        self.bytes.set(self.bytes.get() + c.payload_bytes - seen.1);
        *seen = (c.messages, c.payload_bytes);
    }
}

async fn echo_loop(mut tcp: TcpStream, burst: Rc<[u8]>, window: u64, totals: Rc<Totals>) -> std::io::Result<()> {
    let mut counter = EchoCounter::default();
    let mut seen = (0, 0);
    let mut buf = vec![0u8; 256 << 10];
    loop {
        tcp.write_all(&burst).await?;
        let want = counter.messages + window;
        while counter.messages < want {
            let n = tcp.read(&mut buf).await?;
            if n == 0 {
                return Err(std::io::ErrorKind::UnexpectedEof.into());
            }
            counter.feed(&buf[..n])?;
        }
        totals.add(&counter, &mut seen);
    }
}

async fn stream_loop(tcp: TcpStream, burst: Rc<[u8]>, totals: Rc<Totals>) -> std::io::Result<()> {
    let (mut rd, mut wr) = tcp.into_split();
    let writer = tokio::task::spawn_local(async move {
        loop {
            if wr.write_all(&burst).await.is_err() {
                return;
            }
        }
    });
    let mut counter = EchoCounter::default();
    let mut seen = (0, 0);
    let mut buf = vec![0u8; 256 << 10];
    let result = loop {
        let n = match rd.read(&mut buf).await {
            Ok(0) => break Err(std::io::ErrorKind::UnexpectedEof.into()),
            Ok(n) => n,
            Err(e) => break Err(e),
        };
        if let Err(e) = counter.feed(&buf[..n]) {
            break Err(e);
        }
        totals.add(&counter, &mut seen);
    };
    writer.abort();
    result
}

fn main() {
    let cli = Cli::parse();
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let local = tokio::task::LocalSet::new();
    let totals = Rc::new(Totals::default());
    let hz = clock_ticks_per_second();
    let result = local.block_on(&rt, async {
        let host = format!("{}:{}", cli.host, cli.port);
        let request = handshake_request(&host, &cli.path, false);
        let burst: Rc<[u8]> = binary_burst(cli.window, cli.size).into();
        let mut conns = Vec::with_capacity(cli.connections);
        for _ in 0..cli.connections {
            let mut tcp = TcpStream::connect((cli.host.as_str(), cli.port)).await?;
            tcp.set_nodelay(true)?;
            let early = handshake(&mut tcp, &request).await?;
            if !early.is_empty() {
                return Err(std::io::Error::other("the server sent frames before any message"));
            }
            conns.push(tcp);
        }
        for tcp in conns {
            let (burst, totals) = (burst.clone(), totals.clone());
            let window = cli.window as u64;
            let mode = cli.mode;
            tokio::task::spawn_local(async move {
                let r = match mode {
                    Mode::Echo => echo_loop(tcp, burst, window, totals.clone()).await,
                    Mode::Stream => stream_loop(tcp, burst, totals.clone()).await,
                };
                if let Err(e) = r {
                    if totals.failed.get() == 0 {
                        eprintln!("ws_load: a connection failed: {e}");
                    }
                    totals.failed.set(totals.failed.get() + 1);
                }
            });
        }
        tokio::time::sleep(Duration::from_secs_f64(cli.warmup)).await;
        let (m0, b0, t0) = (totals.messages.get(), totals.bytes.get(), Instant::now());
        let c0 = cli.server_pid.map(cpu_ticks);
        tokio::time::sleep(Duration::from_secs_f64(cli.duration)).await;
        let c1 = cli.server_pid.map(cpu_ticks);
        let secs = t0.elapsed().as_secs_f64();
        let (m1, b1) = (totals.messages.get(), totals.bytes.get());
        let ticks = c0.zip(c1).map(|(a, b)| b.since(a));
        std::io::Result::Ok((m1 - m0, b1 - b0, secs, ticks))
    });
    match result {
        Ok((messages, bytes, secs, ticks)) => {
            // Microseconds of server CPU per message: user + system, then each apart.
            let per_msg = |t: Option<u64>| t.map_or(f64::NAN, |t| t as f64 / hz * 1e6 / messages.max(1) as f64);
            println!(
                "mode={:?} size={} connections={} window={} messages={} secs={:.3} msgs_per_s={:.0} mb_per_s={:.2} server_ticks={} cpu_us_per_msg={:.3} user_us_per_msg={:.3} sys_us_per_msg={:.3} failed={}",
                cli.mode,
                cli.size,
                cli.connections,
                cli.window,
                messages,
                secs,
                messages as f64 / secs,
                bytes as f64 / secs / 1e6,
                ticks.map_or("nan".to_owned(), |t| t.total().to_string()),
                per_msg(ticks.map(CpuTicks::total)),
                per_msg(ticks.map(|t| t.user)),
                per_msg(ticks.map(|t| t.system)),
                totals.failed.get()
            );
            // the connections end with the process
            std::process::exit(if totals.failed.get() > 0 || messages == 0 { 1 } else { 0 });
        }
        Err(e) => {
            eprintln!("ws_load: {e} (check `ulimit -n` and the server)");
            std::process::exit(1);
        }
    }
}
