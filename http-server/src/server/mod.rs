//! The [`Server`] handle and its lifecycle: bind, accept, track connections, and shut down
//! gracefully ([`Server::close`]) or at once ([`Server::forceclose`]).
//!
//! HTTP.jl's `serve!`/`listen!` are [`Server::serve`]/[`Server::listen`] (start in the
//! background, return the handle); `serve`/`listen` are the free functions [`serve`] and
//! [`listen`] (run in the foreground until Ctrl-C or SIGTERM, then close gracefully).

use std::collections::HashMap;
use std::io;
use std::net::SocketAddr;
use std::pin::pin;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use http_core::{Handler, StreamHandler, serve_as_stream};
use tokio::io::AsyncWriteExt;
use tokio::sync::Notify;
use tokio::task::AbortHandle;
use tokio_util::sync::CancellationToken;

#[cfg(unix)]
use crate::connection::serve_unix;
use crate::connection::{ConnContext, serve_tcp};
use crate::h1::conn::ConnConfig;
use crate::h1::role::HeadLimits;
use crate::h2::conn::H2Config;
use crate::listener::{Accepted, Endpoint, Listener};
use crate::options::ServerOptions;
use crate::signal::Signal;
use crate::tls::TlsConfig;

mod lifecycle;

struct Shared {
    endpoints: Vec<Endpoint>,
    scheme: &'static str,
    tls: Option<TlsConfig>,
    graceful: Signal,
    /// Cancelled when draining starts, and with `graceful` (its parent): HTTP/1.1 answers
    /// carry `Connection: close`, HTTP/2 connections get GOAWAY.
    draining: Signal,
    health: http_core::Health,
    drain: Duration,
    /// Abort handles of the open connections' tasks, for `forceclose`. Touched once when a
    /// connection starts and once when it ends, never per request.
    tasks: Mutex<HashMap<u64, AbortHandle>>,
    next_task: AtomicU64,
    forced: AtomicBool,
    accept_done: CancellationToken,
    /// Accept loops still running; the last one to end cancels `accept_done`.
    accepting: AtomicUsize,
    closed: CancellationToken,
    conns: AtomicUsize,
    conns_zero: Notify,
    shutdown_timeout: Duration,
}

impl Shared {
    async fn wait_for_no_connections(&self, limit: Duration) -> bool {
        let wait = async {
            loop {
                let mut notified = pin!(self.conns_zero.notified());
                notified.as_mut().enable();
                if self.conns.load(Ordering::Acquire) == 0 {
                    return;
                }
                notified.await;
            }
        };
        tokio::time::timeout(limit, wait).await.is_ok()
    }
}

/// Counts a connection for as long as it lives, and forgets its abort handle at the end.
struct ConnGuard {
    shared: Arc<Shared>,
    id: u64,
}

impl ConnGuard {
    fn new(shared: &Arc<Shared>) -> Self {
        shared.conns.fetch_add(1, Ordering::AcqRel);
        ConnGuard { shared: shared.clone(), id: shared.next_task.fetch_add(1, Ordering::Relaxed) }
    }
}

impl Drop for ConnGuard {
    fn drop(&mut self) {
        self.shared.tasks.lock().unwrap_or_else(|e| e.into_inner()).remove(&self.id);
        if self.shared.conns.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.shared.conns_zero.notify_waiters();
        }
    }
}

impl Shared {
    /// Aborts every connection task now (their futures are dropped, closing the sockets).
    fn abort_all(&self) {
        self.forced.store(true, Ordering::Release);
        let handles: Vec<AbortHandle> =
            self.tasks.lock().unwrap_or_else(|e| e.into_inner()).drain().map(|(_, h)| h).collect();
        for h in handles {
            h.abort();
        }
    }
}

/// A running server (HTTP.jl's `Server`): query it, wait for it, close it.
///
/// ```no_run
/// # #[tokio::main] async fn main() -> std::io::Result<()> {
/// use http_core::Request;
/// use http_server::{Server, ServerOptions};
/// let server = Server::serve(ServerOptions::new().port(0), |_req: Request| async { "Hello" }).await?;
/// println!("listening on {}", server.url());
/// server.close().await;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Server {
    shared: Arc<Shared>,
    /// Held until the binary's `listening on` line is out (see `cli::announce`).
    #[cfg_attr(not(feature = "cli"), allow(dead_code))] // held and opened by `cli` only
    access_log: Option<crate::AccessLog>,
}

impl Server {
    /// HTTP.jl's `serve!`: starts a server for a Request → Response handler and returns
    /// once it is listening. The body is buffered up to `max_body_bytes` before the
    /// handler runs (see [`serve_as_stream`]).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> std::io::Result<()> {
    /// use http_core::Request;
    /// use http_server::{Server, ServerOptions};
    /// let server = Server::serve(ServerOptions::new().port(0), |_req: Request| async { "Hello" }).await?;
    /// assert!(server.is_open() && server.port() != 0);
    /// server.close().await;
    /// # Ok(()) }
    /// ```
    pub async fn serve<H: Handler>(options: ServerOptions, handler: H) -> io::Result<Server> {
        Server::listen(options, serve_as_stream(handler)).await
    }

    /// HTTP.jl's `listen!`: starts a server for a stream handler and returns once it is
    /// listening.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> std::io::Result<()> {
    /// use http_core::Stream;
    /// use http_server::{Server, ServerOptions};
    /// async fn hello(s: &mut Stream) {
    ///     let _ = s.setheader("content-type", "text/plain");
    ///     let _ = s.write("Hello").await;
    /// }
    /// let server = Server::listen(ServerOptions::new().port(0), hello).await?;
    /// assert!(server.url().starts_with("http://127.0.0.1:"));
    /// server.close().await;
    /// # Ok(()) }
    /// ```
    pub async fn listen<H: StreamHandler>(mut options: ServerOptions, handler: H) -> io::Result<Server> {
        options.validate()?;
        if options.metrics_endpoint && options.metrics.is_none() {
            options.metrics = Some(http_core::metrics::Metrics::new());
        }
        let observe = crate::observe::Observe { metrics: options.metrics.clone(), log: options.access_log.clone() };
        let listeners = crate::listener::listeners(&options).await?;
        let endpoints = listeners.iter().map(Listener::endpoint).collect::<io::Result<Vec<_>>>()?;
        let graceful = Signal::new();
        let draining = graceful.child();
        let shared = Arc::new(Shared {
            endpoints,
            scheme: if options.tls.is_some() { "https" } else { "http" },
            tls: options.tls.clone(),
            graceful,
            draining: draining.clone(),
            health: options.health.clone(),
            drain: options.drain,
            tasks: Mutex::new(HashMap::new()),
            next_task: AtomicU64::new(0),
            forced: AtomicBool::new(false),
            accept_done: CancellationToken::new(),
            accepting: AtomicUsize::new(listeners.len()),
            closed: CancellationToken::new(),
            conns: AtomicUsize::new(0),
            conns_zero: Notify::new(),
            shutdown_timeout: options.shutdown_timeout,
        });
        let trusted: Arc<[crate::Cidr]> = options.trusted_proxies.clone().into();
        let h1 = Arc::new(ConnConfig {
            limits: HeadLimits {
                max_header_bytes: options.max_header_bytes,
                max_uri_bytes: options.max_uri_bytes,
                max_headers: options.max_headers,
            },
            read_timeout: options.read_timeout,
            read_header_timeout: options.read_header_timeout,
            write_timeout: options.write_timeout,
            idle_timeout: options.idle_timeout,
            max_body_bytes: options.max_body_bytes,
            trusted: trusted.clone(),
            draining: draining.clone(),
            observe: observe.clone(),
        });
        let h2 = Arc::new(H2Config {
            max_concurrent_streams: options.h2_max_concurrent_streams,
            initial_window_size: options.h2_initial_window_size,
            initial_connection_window_size: options.h2_initial_connection_window_size,
            max_header_list_size: options.max_header_bytes.min(u32::MAX as usize) as u32,
            max_send_buffer_size: 256 * 1024,
            max_pending_accept_reset_streams: 64,
            max_peer_resets: options.h2_max_peer_resets,
            peer_reset_window: Duration::from_secs(10),
            handshake_timeout: options.tls_handshake_timeout,
            idle_timeout: options.idle_timeout,
            read_timeout: options.read_timeout,
            write_timeout: options.write_timeout,
            max_body_bytes: options.max_body_bytes,
            trusted: trusted.clone(),
            draining: draining.token().clone(),
            graceful: shared.graceful.token().clone(),
            observe,
        });
        let handler = crate::ops::Ops::new(handler, &options);
        let cx = Arc::new(ConnContext {
            handler: Arc::new(handler),
            h1,
            h2,
            tls: options.tls.clone(),
            graceful: shared.graceful.clone(),
            proxy_protocol: options.proxy_protocol,
            trusted,
        });
        log_connection_sizes(&cx);
        for listener in listeners {
            tracing::info!(url = %listener.url(shared.scheme), "listening");
            tokio::spawn(accept_loop(listener, shared.clone(), cx.clone(), options.max_connections));
        }
        Ok(Server { shared, access_log: options.access_log.clone() })
    }

    /// HTTP.jl's `listen!(handler, listener)`: serves a stream handler on a listener the
    /// application opened (TCP or Unix domain socket; see [`Listener`]) instead of binding
    /// `host:port`. A serve-style handler goes through
    /// [`serve_as_stream`](http_core::serve_as_stream). Several listeners:
    /// [`ServerOptions::listener`], once per listener.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> std::io::Result<()> {
    /// use http_core::{Request, serve_as_stream};
    /// use http_server::{Listener, Server, ServerOptions};
    /// let std_listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    /// let addr = std_listener.local_addr()?;
    /// let server = Server::from_listener(
    ///     Listener::tcp(std_listener)?,
    ///     ServerOptions::new(),
    ///     serve_as_stream(|_r: Request| async { "hi" }),
    /// )
    /// .await?;
    /// assert_eq!(server.local_addr(), addr);
    /// server.close().await;
    /// # Ok(()) }
    /// ```
    pub async fn from_listener<H: StreamHandler>(
        listener: impl Into<Listener>,
        options: ServerOptions,
        handler: H,
    ) -> io::Result<Server> {
        Server::listen(options.listener(listener), handler).await
    }

    /// The bound port (the real one when 0 was asked for).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> std::io::Result<()> {
    /// # use http_core::Request;
    /// use http_server::{Server, ServerOptions};
    /// let server = Server::serve(ServerOptions::new().port(0), |_r: Request| async { "" }).await?;
    /// assert_ne!(server.port(), 0, "the port the OS picked");
    /// # server.close().await;
    /// # Ok(()) }
    /// ```
    pub fn port(&self) -> u16 {
        self.local_addr().port()
    }

    /// The first TCP listener's address (`0.0.0.0:0` for a server on Unix sockets only).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> std::io::Result<()> {
    /// # use http_core::Request;
    /// use http_server::{Server, ServerOptions};
    /// let server = Server::serve(ServerOptions::new().port(0), |_r: Request| async { "" }).await?;
    /// assert!(server.local_addr().ip().is_loopback());
    /// assert_eq!(server.local_addr().port(), server.port());
    /// # server.close().await;
    /// # Ok(()) }
    /// ```
    pub fn local_addr(&self) -> SocketAddr {
        let tcp = self.shared.endpoints.iter().find_map(|e| match e {
            Endpoint::Tcp(a) => Some(*a),
            #[allow(unreachable_patterns)]
            _ => None,
        });
        tcp.unwrap_or_else(|| SocketAddr::from(([0, 0, 0, 0], 0)))
    }

    /// Every listener's URL, in order: `http://HOST:PORT` (`https://` under TLS) or
    /// `unix:PATH`.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> std::io::Result<()> {
    /// # use http_core::Request;
    /// use http_server::{Server, ServerOptions};
    /// let server = Server::serve(ServerOptions::new().port(0), |_r: Request| async { "" }).await?;
    /// assert_eq!(server.urls(), vec![server.url()]);
    /// # server.close().await;
    /// # Ok(()) }
    /// ```
    pub fn urls(&self) -> Vec<String> {
        self.shared.endpoints.iter().map(|e| e.url(self.shared.scheme)).collect()
    }

    /// The first listener's URL: `http://HOST:PORT` (or `https://` under TLS), or
    /// `unix:PATH`.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> std::io::Result<()> {
    /// # use http_core::Request;
    /// use http_server::{Server, ServerOptions};
    /// let server = Server::serve(ServerOptions::new().port(0), |_r: Request| async { "" }).await?;
    /// assert_eq!(server.url(), format!("http://127.0.0.1:{}", server.port()));
    /// # server.close().await;
    /// # Ok(()) }
    /// ```
    pub fn url(&self) -> String {
        self.shared.endpoints.first().map_or_else(String::new, |e| e.url(self.shared.scheme))
    }

    /// Replaces the TLS certificate and key from PEM files without a restart; new
    /// connections use them. An error leaves the old ones in place, as does a server
    /// without TLS (which reports `InvalidInput`).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> std::io::Result<()> {
    /// # use http_core::Request;
    /// use http_server::{Server, ServerOptions};
    /// let server = Server::serve(ServerOptions::new().port(0), |_r: Request| async { "" }).await?;
    /// // a cleartext server has no certificate to replace
    /// let err = server.reload_tls("cert.pem", "key.pem").unwrap_err();
    /// assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
    /// # server.close().await;
    /// # Ok(()) }
    /// ```
    pub fn reload_tls(&self, cert: impl AsRef<std::path::Path>, key: impl AsRef<std::path::Path>) -> io::Result<()> {
        match &self.shared.tls {
            Some(tls) => tls.reload_from_pem_files(cert, key),
            None => Err(io::Error::new(io::ErrorKind::InvalidInput, "the server has no TLS configuration")),
        }
    }
}

impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server").field("urls", &self.urls()).field("open", &self.is_open()).finish()
    }
}

/// HTTP.jl's `serve`: runs a Request → Response server in the foreground until Ctrl-C or
/// SIGTERM, then shuts down gracefully.
///
/// ```no_run
/// # #[tokio::main] async fn main() -> std::io::Result<()> {
/// use http_core::Request;
/// use http_server::{ServerOptions, serve};
/// // runs until Ctrl-C or SIGTERM
/// serve(ServerOptions::new().port(8080), |_req: Request| async { "Hello, world" }).await?;
/// # Ok(()) }
/// ```
pub async fn serve<H: Handler>(options: ServerOptions, handler: H) -> io::Result<()> {
    let server = Server::serve(options, handler).await?;
    server.shutdown_on_signal().await;
    Ok(())
}

/// HTTP.jl's `listen`: runs a stream-handler server in the foreground until Ctrl-C or
/// SIGTERM, then shuts down gracefully.
///
/// ```no_run
/// # #[tokio::main] async fn main() -> std::io::Result<()> {
/// use http_core::Stream;
/// use http_server::{ServerOptions, listen};
/// async fn hello(s: &mut Stream) {
///     let _ = s.write("Hello, world").await;
/// }
/// // runs until Ctrl-C or SIGTERM
/// listen(ServerOptions::new().port(8080), hello).await?;
/// # Ok(()) }
/// ```
pub async fn listen<H: StreamHandler>(options: ServerOptions, handler: H) -> io::Result<()> {
    let server = Server::listen(options, handler).await?;
    server.shutdown_on_signal().await;
    Ok(())
}

async fn shutdown_signal() {
    #[cfg(unix)]
    {
        let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(s) => s,
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
                return;
            }
        };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// The bytes an idle connection's future state takes (DEBUG log at start): what a
/// connection costs beyond its buffers, the figure to watch when changing the engine.
fn log_connection_sizes<H: StreamHandler>(_cx: &ConnContext<H>) {
    fn size2<A, B, F>(_: impl FnOnce(A, B) -> F) -> usize {
        std::mem::size_of::<F>()
    }
    fn size3<A, B, C, F>(_: impl FnOnce(A, B, C) -> F) -> usize {
        std::mem::size_of::<F>()
    }
    type H1 = crate::h1::conn::H1Transport<tokio::net::TcpStream>;
    tracing::debug!(
        serve_tcp = size3(|tcp, peer, cx: &'static ConnContext<H>| serve_tcp(tcp, peer, cx)),
        h1 = size2(|t: H1, h: &'static crate::ops::Ops<H>| crate::h1::dispatch::serve_connection(t, h)),
        h1_transport = std::mem::size_of::<H1>(),
        h1_stream = std::mem::size_of::<http_core::Stream<H1>>(),
        "connection future sizes in bytes"
    );
}

async fn accept_loop<H: StreamHandler>(
    listener: Listener,
    shared: Arc<Shared>,
    cx: Arc<ConnContext<H>>,
    max_connections: usize,
) {
    let mut backoff = Duration::from_millis(5);
    loop {
        let accepted = tokio::select! {
            biased;
            () = shared.graceful.token().cancelled() => break,
            r = listener.accept() => r,
        };
        match accepted {
            Ok(conn) => {
                backoff = Duration::from_millis(5);
                if shared.conns.load(Ordering::Acquire) >= max_connections {
                    match conn {
                        Accepted::Tcp(tcp, peer) => {
                            tracing::warn!(%peer, max_connections, "connection limit reached; answering 503");
                            tokio::spawn(reject_overloaded(tcp));
                        }
                        #[cfg(unix)]
                        Accepted::Unix(s) => {
                            tracing::warn!(max_connections, "connection limit reached; answering 503");
                            tokio::spawn(reject_overloaded(s));
                        }
                    }
                    continue;
                }
                let guard = ConnGuard::new(&shared);
                let id = guard.id;
                let cx = cx.clone();
                // Hold the registry lock across the spawn so the task cannot finish (and
                // remove its entry) before the entry exists.
                let mut tasks = shared.tasks.lock().unwrap_or_else(|e| e.into_inner());
                let task = tokio::spawn(async move {
                    let _guard = guard;
                    match conn {
                        Accepted::Tcp(tcp, peer) => {
                            let _ = tcp.set_nodelay(true);
                            serve_tcp(tcp, peer, &cx).await;
                        }
                        // Boxed: a TCP connection's task should not be sized for it.
                        #[cfg(unix)]
                        Accepted::Unix(s) => Box::pin(serve_unix(s, &cx)).await,
                    }
                });
                if shared.forced.load(Ordering::Acquire) {
                    task.abort();
                } else {
                    tasks.insert(id, task.abort_handle());
                }
            }
            Err(e) => {
                // EMFILE/ENFILE and friends: back off instead of spinning, then retry.
                tracing::warn!(error = %e, backoff_ms = backoff.as_millis() as u64, "accept failed");
                tokio::select! {
                    () = tokio::time::sleep(backoff) => {}
                    () = shared.graceful.token().cancelled() => break,
                }
                backoff = (backoff * 2).min(Duration::from_secs(1));
            }
        }
    }
    drop(listener);
    if shared.accepting.fetch_sub(1, Ordering::AcqRel) == 1 {
        shared.accept_done.cancel();
    }
}

async fn reject_overloaded<S: tokio::io::AsyncWrite + Unpin>(mut tcp: S) {
    const BODY: &[u8] = b"HTTP/1.1 503 Service Unavailable\r\ncontent-type: text/plain; charset=utf-8\r\n\
content-length: 19\r\nretry-after: 1\r\nconnection: close\r\n\r\nService Unavailable";
    let _ = tokio::time::timeout(Duration::from_secs(1), async {
        let _ = tcp.write_all(BODY).await;
        let _ = tcp.shutdown().await;
    })
    .await;
}
