//! `idle_conns`: resident memory per idle keep-alive connection.
//!
//! Starts a server binary (anything that takes `--host/--port/--workers` and prints
//! `listening on http://HOST:PORT` first), or attaches to a running one (`--attach
//! PID:PORT`, e.g. nginx), then:
//!
//! 1. one warm-up request on a throw-away connection, a pause, and the server's `VmRSS`
//!    (from `/proc/PID/status`) as the baseline;
//! 2. `--connections` keep-alive connections, each sending one `GET` and reading the whole
//!    response, `--batch` connections in flight at a time;
//! 3. a `--settle-ms` pause with every connection idle, and `VmRSS` again; the difference
//!    divided by the connection count is the cost of one idle keep-alive connection;
//! 4. a second request on every connection, to prove they were kept alive (a server that
//!    closed them would look cheap).
//!
//! With `--websocket` each connection is a WebSocket instead (`--path` is then the
//! WebSocket endpoint, e.g. `/ws`): step 2 is the opening handshake (RFC 6455 §4.1, no
//! extension offered) and then nothing, step 4 a 1-byte binary message whose echo must come
//! back. The warm-up connection also echoes one message.
//!
//! Both processes need `ulimit -n` above the connection count; the program checks its own.
//!
//! ```text
//! cargo build --release -p examples -p benches
//! target/release/idle_conns --server target/release/hello --connections 10000
//! target/release/idle_conns --server target/release/showcase --websocket --path /ws
//! ```

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Parser;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

#[derive(Parser)]
#[command(about = "Resident memory per idle keep-alive connection")]
struct Cli {
    /// Server binary to start with `--host 127.0.0.1 --port 0 --workers N`.
    #[arg(long, conflicts_with = "attach")]
    server: Option<String>,
    /// Measure a server that is already running: `PID:PORT`.
    #[arg(long)]
    attach: Option<String>,
    /// `--workers` for the started server.
    #[arg(long, default_value_t = 1)]
    workers: usize,
    /// Idle keep-alive connections to open.
    #[arg(long, default_value_t = 10_000)]
    connections: usize,
    /// Connections being opened at the same time.
    #[arg(long, default_value_t = 200)]
    batch: usize,
    /// Pause with every connection idle before reading RSS, in milliseconds.
    #[arg(long, default_value_t = 3_000)]
    settle_ms: u64,
    /// Request path.
    #[arg(long, default_value = "/plaintext")]
    path: String,
    /// A name for the output line.
    #[arg(long, default_value = "server")]
    name: String,
    /// Open WebSockets (handshake to `--path`, then idle) instead of keep-alive connections.
    #[arg(long)]
    websocket: bool,
}

/// What each connection sends and how its answer is checked.
#[derive(Clone, Copy)]
enum Kind {
    /// An HTTP/1.1 keep-alive request and its response.
    Http,
    /// A WebSocket handshake, then (for [`request`]) a binary message and its echo.
    WebSocket,
}

/// The `VmRSS` of a process in KiB.
fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("the server is running");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmRSS in /proc/PID/status")
}

/// Starts the server and reads its port from the `listening on` line.
fn start(path: &str, workers: usize) -> (Child, u16) {
    let mut child = Command::new(path)
        .args(["--host", "127.0.0.1", "--port", "0", "--workers", &workers.to_string()])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {path}: {e}"));
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("piped stdout")).read_line(&mut line).expect("first stdout line");
    let port = line
        .trim()
        .strip_prefix("listening on http://")
        .and_then(|a| a.rsplit(':').next())
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("{path} printed {line:?}, not `listening on http://HOST:PORT`"));
    (child, port)
}

/// Reads one response (head and Content-Length body) from `tcp`.
async fn read_response(tcp: &mut TcpStream, buf: &mut Vec<u8>) -> std::io::Result<()> {
    buf.clear();
    let mut chunk = [0u8; 1024];
    loop {
        let n = tcp.read(&mut chunk).await?;
        if n == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        buf.extend_from_slice(&chunk[..n]);
        let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") else { continue };
        let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
        let len: usize = head
            .lines()
            .find_map(|l| l.strip_prefix("content-length:"))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(0);
        if !head.starts_with("http/1.1 200") {
            return Err(std::io::Error::other(format!("unexpected response: {}", head.lines().next().unwrap_or(""))));
        }
        if buf.len() >= end + 4 + len {
            return Ok(());
        }
    }
}

/// A request on an open connection: `req` and its response, or (WebSocket) one masked
/// 1-byte binary message and its echo.
async fn request(tcp: &mut TcpStream, kind: Kind, req: &[u8], buf: &mut Vec<u8>) -> std::io::Result<()> {
    match kind {
        Kind::Http => {
            tcp.write_all(req).await?;
            read_response(tcp, buf).await
        }
        Kind::WebSocket => {
            let mut frame = Vec::new();
            benches::ws::masked_frame(&mut frame, benches::ws::OP_BINARY, false, b"x", [1, 2, 3, 4]);
            tcp.write_all(&frame).await?;
            let mut echo = [0u8; 3];
            tcp.read_exact(&mut echo).await?;
            if echo != benches::ws::echo_of(&frame)[..] {
                return Err(std::io::Error::other(format!("unexpected echo {echo:?}")));
            }
            Ok(())
        }
    }
}

/// Opens a connection and makes its first exchange: a request, or the WebSocket handshake.
async fn open(port: u16, kind: Kind, req: Arc<[u8]>) -> std::io::Result<TcpStream> {
    let mut tcp = TcpStream::connect(("127.0.0.1", port)).await?;
    tcp.set_nodelay(true)?;
    match kind {
        Kind::Http => request(&mut tcp, kind, &req, &mut Vec::new()).await?,
        Kind::WebSocket => {
            let early = benches::ws::handshake(&mut tcp, &req).await?;
            if !early.is_empty() {
                return Err(std::io::Error::other("frames right after the handshake"));
            }
        }
    }
    Ok(tcp)
}

fn main() {
    let cli = Cli::parse();
    let (mut child, pid, port) = match (&cli.server, &cli.attach) {
        (Some(path), _) => {
            let (child, port) = start(path, cli.workers);
            let pid = child.id();
            (Some(child), pid, port)
        }
        (None, Some(a)) => {
            let (pid, port) = a.split_once(':').expect("--attach PID:PORT");
            (None, pid.parse().expect("PID"), port.parse().expect("PORT"))
        }
        (None, None) => {
            eprintln!("idle_conns: give --server PATH or --attach PID:PORT");
            std::process::exit(2);
        }
    };
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let (kind, req): (Kind, Arc<[u8]>) = if cli.websocket {
        (Kind::WebSocket, benches::ws::handshake_request(&format!("127.0.0.1:{port}"), &cli.path, false).into())
    } else {
        (Kind::Http, format!("GET {} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n", cli.path).into_bytes().into())
    };
    let result = rt.block_on(async {
        // Warm-up: the first connection and request allocate runtime and server state that
        // is not per connection.
        let mut warm = open(port, kind, req.clone()).await?;
        let mut buf = Vec::new();
        request(&mut warm, kind, &req, &mut buf).await?;
        drop(warm);
        tokio::time::sleep(Duration::from_millis(500)).await;
        let before = rss_kib(pid);

        let started = Instant::now();
        let mut conns = Vec::with_capacity(cli.connections);
        while conns.len() < cli.connections {
            let n = cli.batch.min(cli.connections - conns.len());
            let batch: Vec<_> = (0..n).map(|_| tokio::spawn(open(port, kind, req.clone()))).collect();
            for h in batch {
                conns.push(h.await.expect("task")?);
            }
        }
        let opened = started.elapsed();
        tokio::time::sleep(Duration::from_millis(cli.settle_ms)).await;
        let after = rss_kib(pid);

        // Every connection must still be usable.
        let mut alive = 0usize;
        for tcp in &mut conns {
            if request(tcp, kind, &req, &mut buf).await.is_ok() {
                alive += 1;
            }
        }
        std::io::Result::Ok((before, after, opened, alive))
    });
    if let Some(c) = child.as_mut() {
        let _ = c.kill();
        let _ = c.wait();
    }
    match result {
        Ok((before, after, opened, alive)) => {
            let per_conn = (after.saturating_sub(before) * 1024) as f64 / cli.connections as f64;
            println!(
                "{}: {} {} (opened in {:.1} s, {} still alive after {} ms idle): RSS {} KiB -> {} KiB, {:.0} bytes ({:.2} KiB) per idle connection",
                cli.name,
                cli.connections,
                if cli.websocket { "WebSockets" } else { "connections" },
                opened.as_secs_f64(),
                alive,
                cli.settle_ms,
                before,
                after,
                per_conn,
                per_conn / 1024.0
            );
            if alive < cli.connections {
                eprintln!("idle_conns: {} connections were closed by the server", cli.connections - alive);
                std::process::exit(1);
            }
        }
        Err(e) => {
            eprintln!("idle_conns: {e} (check `ulimit -n` for both processes)");
            std::process::exit(1);
        }
    }
}
