//! `alloc_count`: heap allocations per request on the keep-alive plaintext path, ours
//! (`http-server` with `examples/hello`'s handler) and hyper 1.x (`hyper_hello`'s), by
//! a counting global allocator.
//!
//! Each server runs in-process on its own thread with a current_thread tokio runtime. A
//! blocking `std::net::TcpStream` client on the main thread sends `GET /plaintext` with
//! the same head wrk sends, over one keep-alive connection, reusing fixed buffers (it
//! allocates nothing per request; its count is printed to prove it). Allocations are
//! counted per thread, and only in the window from request `--warmup` to request
//! `--warmup + --requests`. The handler body itself marks its own allocations (building
//! the response), so "beyond the handler" is the engine's share.
//!
//! ```text
//! cargo run --release -p benches --bin alloc_count -- --requests 10000
//! ```

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicU64, Ordering};

use clap::Parser;

// ---------------------------------------------------------------------------------------
// The counting allocator.

/// Which thread an allocation happened on (index into [`COUNTS`]).
const OTHER: usize = 0;
const SERVER: usize = 1;
const HANDLER: usize = 2;
const CLIENT: usize = 3;
const ROLES: usize = 4;

thread_local! {
    /// This thread's role; `const`-initialised with no destructor, so reading it from
    /// inside the allocator neither allocates nor recurses.
    static ROLE: Cell<usize> = const { Cell::new(OTHER) };
}

/// `[role] -> (allocations, reallocations, bytes requested)`.
static COUNTS: [[AtomicU64; 3]; ROLES] = [const { [const { AtomicU64::new(0) }; 3] }; ROLES];

fn count(extra_bytes: usize, realloc: bool) {
    let role = ROLE.try_with(Cell::get).unwrap_or(OTHER);
    let c = &COUNTS[role];
    c[if realloc { 1 } else { 0 }].fetch_add(1, Ordering::Relaxed);
    c[2].fetch_add(extra_bytes as u64, Ordering::Relaxed);
}

/// `System`, counting every allocation and reallocation by the calling thread's role.
struct Counting;

// SAFETY: every method forwards its arguments unchanged to `System`, which upholds the
// `GlobalAlloc` contract; the bookkeeping only touches atomics and a const thread-local
// `Cell` (no allocation, no re-entry, no unwinding).
#[allow(unsafe_code)]
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count(layout.size(), false);
        // SAFETY: same contract as our caller's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        count(layout.size(), false);
        // SAFETY: same contract as our caller's.
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as our caller's.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count(new_size.saturating_sub(layout.size()), true);
        // SAFETY: same contract as our caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

#[derive(Clone, Copy, Default)]
struct Snapshot([[u64; 3]; ROLES]);

impl Snapshot {
    fn take() -> Self {
        let mut s = Snapshot::default();
        for (role, c) in COUNTS.iter().enumerate() {
            for (k, v) in c.iter().enumerate() {
                s.0[role][k] = v.load(Ordering::Relaxed);
            }
        }
        s
    }
    fn since(&self, before: &Snapshot) -> Snapshot {
        let mut d = Snapshot::default();
        for role in 0..ROLES {
            for k in 0..3 {
                d.0[role][k] = self.0[role][k] - before.0[role][k];
            }
        }
        d
    }
}

/// Runs `f` with this thread's allocations attributed to the handler.
fn in_handler<T>(f: impl FnOnce() -> T) -> T {
    let prev = ROLE.with(|r| r.replace(HANDLER));
    let out = f();
    ROLE.with(|r| r.set(prev));
    out
}

// ---------------------------------------------------------------------------------------
// The two servers, each with the handler of its load-test binary.

mod ours {
    use http_core::{IntoResponse, Method, Request, Response, StatusCode, header};

    /// `examples/src/bin/hello.rs`'s handler, its body marked as the handler's own.
    pub(super) async fn hello(req: Request) -> Response {
        super::in_handler(|| match (req.method(), req.path()) {
            (&Method::GET | &Method::HEAD, "/plaintext") => "Hello, World!".into_response(),
            (&Method::GET | &Method::HEAD, "/json") => {
                (StatusCode::OK, [("content-type", "application/json")], r#"{"message":"Hello, World!"}"#)
                    .into_response()
            }
            (_, "/plaintext" | "/json") => Response::error(StatusCode::METHOD_NOT_ALLOWED)
                .with_header_value(header::ALLOW, "GET, HEAD".parse().unwrap()),
            _ => Response::error(StatusCode::NOT_FOUND),
        })
    }
}

mod peer {
    use std::convert::Infallible;

    use bytes::Bytes;
    use http::{Request, Response};
    use http_body_util::Full;
    use hyper::body::Incoming;

    /// `benches/src/bin/hyper_hello.rs`'s handler, its body marked as the handler's own.
    pub(super) async fn hello(req: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
        super::in_handler(|| Ok(benches::hello_response(req.method(), req.uri().path())))
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum Which {
    Ours,
    /// Ours with the same handler behind an `http_router::Router` route.
    Router,
    /// Ours with an access log (combined format, written to a sink by its own thread).
    Logged,
    Hyper,
}

/// Starts `which` on a new thread (current_thread runtime, port 0); returns its port and a
/// sender that stops it.
fn start(which: Which) -> (u16, std::sync::mpsc::Sender<()>, std::thread::JoinHandle<()>) {
    let (port_tx, port_rx) = std::sync::mpsc::channel::<u16>();
    let (stop_tx, stop_rx) = std::sync::mpsc::channel::<()>();
    let join = std::thread::spawn(move || {
        ROLE.with(|r| r.set(SERVER));
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        // The stop signal arrives on a blocking channel; bridge it once, outside the window.
        let (tokio_stop_tx, tokio_stop_rx) = tokio::sync::oneshot::channel::<()>();
        std::thread::spawn(move || {
            let _ = stop_rx.recv();
            let _ = tokio_stop_tx.send(());
        });
        rt.block_on(async move {
            match which {
                Which::Ours => {
                    let opts = http_server::ServerOptions::new().host("127.0.0.1").port(0);
                    let server = http_server::Server::serve(opts, ours::hello).await.unwrap();
                    port_tx.send(server.port()).unwrap();
                    let _ = tokio_stop_rx.await;
                    server.forceclose().await;
                }
                Which::Logged => {
                    let log = http_server::AccessLog::to_writer(std::io::sink(), http_server::LogFormat::Combined);
                    let opts = http_server::ServerOptions::new().host("127.0.0.1").port(0).access_log(log);
                    let server = http_server::Server::serve(opts, ours::hello).await.unwrap();
                    port_tx.send(server.port()).unwrap();
                    let _ = tokio_stop_rx.await;
                    server.forceclose().await;
                }
                Which::Router => {
                    let router =
                        http_router::Router::new().route("/plaintext", ours::hello).route("/json", ours::hello);
                    let opts = http_server::ServerOptions::new().host("127.0.0.1").port(0);
                    let server = http_server::Server::listen(opts, router).await.unwrap();
                    port_tx.send(server.port()).unwrap();
                    let _ = tokio_stop_rx.await;
                    server.forceclose().await;
                }
                Which::Hyper => {
                    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
                    port_tx.send(listener.local_addr().unwrap().port()).unwrap();
                    let accept = async {
                        loop {
                            let (tcp, _) = listener.accept().await.unwrap();
                            let _ = tcp.set_nodelay(true);
                            tokio::spawn(async move {
                                let conn =
                                    hyper::server::conn::http1::Builder::new().keep_alive(true).serve_connection(
                                        hyper_util::rt::TokioIo::new(tcp),
                                        hyper::service::service_fn(peer::hello),
                                    );
                                let _ = conn.await;
                            });
                        }
                    };
                    tokio::select! {
                        () = accept => {}
                        _ = tokio_stop_rx => {}
                    }
                }
            }
        });
    });
    (port_rx.recv().unwrap(), stop_tx, join)
}

// ---------------------------------------------------------------------------------------
// The allocation-free client.

struct Client {
    tcp: TcpStream,
    req: Vec<u8>,
    depth: usize,
    buf: Box<[u8]>,
    /// Bytes in `buf` not yet consumed (the start of the next response).
    have: usize,
}

impl Client {
    fn connect(port: u16, path: &str, depth: usize) -> std::io::Result<Client> {
        let tcp = TcpStream::connect(("127.0.0.1", port))?;
        tcp.set_nodelay(true)?;
        let one = format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n");
        Ok(Client { tcp, req: one.repeat(depth).into_bytes(), depth, buf: vec![0u8; 64 * 1024].into(), have: 0 })
    }

    /// Sends `depth` requests in one write and reads their `depth` responses.
    fn round_trip(&mut self) -> std::io::Result<()> {
        self.tcp.write_all(&self.req)?;
        for _ in 0..self.depth {
            self.read_response()?;
        }
        Ok(())
    }

    /// Reads one response (Content-Length framed) and drops it from the buffer.
    fn read_response(&mut self) -> std::io::Result<()> {
        loop {
            if let Some(total) = response_len(&self.buf[..self.have])? {
                self.buf.copy_within(total..self.have, 0);
                self.have -= total;
                return Ok(());
            }
            if self.have == self.buf.len() {
                return Err(std::io::Error::other("response larger than the client buffer"));
            }
            let n = self.tcp.read(&mut self.buf[self.have..])?;
            if n == 0 {
                return Err(std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "server closed the connection"));
            }
            self.have += n;
        }
    }
}

/// The length of the complete response at the start of `b`, if it is all there. Only
/// 200 with Content-Length is accepted (anything else is an error: the path is wrong).
fn response_len(b: &[u8]) -> std::io::Result<Option<usize>> {
    let Some(end) = b.windows(4).position(|w| w == b"\r\n\r\n") else { return Ok(None) };
    let head = &b[..end];
    if !head.starts_with(b"HTTP/1.1 200 ") {
        return Err(std::io::Error::other("not a 200 response"));
    }
    let mut len = None;
    for line in head.split(|&c| c == b'\n') {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        const NAME: &[u8] = b"content-length:";
        if line.len() > NAME.len() && line[..NAME.len()].eq_ignore_ascii_case(NAME) {
            let v = line[NAME.len()..].trim_ascii();
            let mut n = 0usize;
            for &d in v {
                if !d.is_ascii_digit() {
                    return Err(std::io::Error::other("bad content-length"));
                }
                n = n * 10 + usize::from(d - b'0');
            }
            len = Some(n);
        }
    }
    let len = len.ok_or_else(|| std::io::Error::other("no content-length"))?;
    let total = end + 4 + len;
    Ok((b.len() >= total).then_some(total))
}

// ---------------------------------------------------------------------------------------

#[derive(Parser)]
#[command(about = "Heap allocations per request on the keep-alive path, ours vs hyper")]
struct Cli {
    /// Request path.
    #[arg(long, default_value = "/plaintext")]
    path: String,
    /// Requests sent before counting starts.
    #[arg(long, default_value_t = 1_000)]
    warmup: u64,
    /// Requests counted.
    #[arg(long, default_value_t = 10_000)]
    requests: u64,
    /// Requests per write (1 = one at a time; >1 = pipelined).
    #[arg(long, default_value_t = 1)]
    depth: usize,
    /// Servers to measure (`router`: ours with the handler behind a router route;
    /// `logged`: ours with an access log).
    #[arg(long, value_enum, value_delimiter = ',', default_values_t = [Which::Ours, Which::Hyper])]
    servers: Vec<Which>,
}

struct Measured {
    which: Which,
    counted: u64,
    d: Snapshot,
}

fn measure(which: Which, cli: &Cli) -> std::io::Result<Measured> {
    let (port, stop, join) = start(which);
    ROLE.with(|r| r.set(CLIENT));
    let mut client = Client::connect(port, &cli.path, cli.depth)?;
    let warm_rounds = cli.warmup.div_ceil(cli.depth as u64);
    let rounds = cli.requests.div_ceil(cli.depth as u64);
    for _ in 0..warm_rounds {
        client.round_trip()?;
    }
    let before = Snapshot::take();
    for _ in 0..rounds {
        client.round_trip()?;
    }
    let after = Snapshot::take();
    ROLE.with(|r| r.set(OTHER));
    drop(client);
    let _ = stop.send(());
    let _ = join.join();
    Ok(Measured { which, counted: rounds * cli.depth as u64, d: after.since(&before) })
}

fn main() -> std::io::Result<()> {
    let cli = Cli::parse();
    let mut results = Vec::new();
    for &which in &cli.servers {
        results.push(measure(which, &cli)?);
    }
    println!(
        "GET {} keep-alive, depth {}, {} requests counted after {} warm-up",
        cli.path, cli.depth, cli.requests, cli.warmup
    );
    println!(
        "{:<6} {:>13} {:>11} {:>13} {:>13} {:>11} {:>12}",
        "server", "allocs/req", "handler's", "beyond hndlr", "reallocs/req", "bytes/req", "client+other"
    );
    for r in &results {
        let n = r.counted as f64;
        let per = |role: usize, k: usize| r.d.0[role][k] as f64 / n;
        let server_allocs = per(SERVER, 0) + per(HANDLER, 0);
        let name = match r.which {
            Which::Ours => "ours",
            Which::Router => "router",
            Which::Logged => "logged",
            Which::Hyper => "hyper",
        };
        println!(
            "{:<6} {:>13.3} {:>11.3} {:>13.3} {:>13.3} {:>11.1} {:>12}",
            name,
            server_allocs,
            per(HANDLER, 0),
            per(SERVER, 0),
            per(SERVER, 1) + per(HANDLER, 1),
            per(SERVER, 2) + per(HANDLER, 2),
            r.d.0[CLIENT][0] + r.d.0[CLIENT][1] + r.d.0[OTHER][0] + r.d.0[OTHER][1],
        );
    }
    Ok(())
}
