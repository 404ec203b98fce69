//! Server options: HTTP.jl's knobs, each with a finite default.
//!
//! | option | default | what it bounds |
//! |---|---|---|
//! | `host` | `127.0.0.1` | the listening address (loopback unless told otherwise) |
//! | `port` | `8080` | `0` picks a free port |
//! | `read_header_timeout` | 10 s | from a connection's start (or a request's first byte) to the end of its head: the slowloris guard; a connection that sent nothing is closed silently, a started request answered 408 |
//! | `read_timeout` | 30 s | each read of a request body must make progress within it |
//! | `write_timeout` | 30 s | each write of a response must make progress within it |
//! | `idle_timeout` | 60 s | a keep-alive connection waiting for its next request |
//! | `max_header_bytes` | 32 KiB | the request line plus header block; answered 431 |
//! | `max_uri_bytes` | 8 KiB | the request target; answered 414 |
//! | `max_headers` | 100 | header field lines; answered 431 |
//! | `max_body_bytes` | 10 MiB | bodies buffered for serve-style handlers; answered 413 |
//! | `max_connections` | 10,000 | open connections; one more is answered 503 and closed |
//! | `backlog` | 1024 | the kernel's accept queue |
//! | `reuseport` | off | `SO_REUSEPORT`: several processes share the port |
//! | `unix` | none | a Unix domain socket path instead of `host:port` |
//! | `drain` | 0 s | on SIGTERM, how long the server reports not-ready (`/readyz` 503, `Connection: close`, GOAWAY) while still serving, before the graceful close |
//! | `shutdown_timeout` | 10 s | how long `close()` waits for in-flight requests |
//! | `tls_handshake_timeout` | 10 s | a TLS handshake (and the HTTP/2 preface exchange) |
//! | `h2_max_concurrent_streams` | 256 | open HTTP/2 streams per connection; more are refused |
//! | `h2_initial_window_size` | 256 KiB | per-stream receive window: what a slow handler lets a client buffer |
//! | `h2_initial_connection_window_size` | 1 MiB | per-connection receive window |
//! | `h2_max_peer_resets` | 200 per 10 s | streams the client may reset before GOAWAY `ENHANCE_YOUR_CALM` (rapid reset) |
//! | PROXY v1 header | 107 bytes | longer is refused and the connection closed |
//! | PROXY v2 header | 16 + 4096 bytes | addresses and TLVs; longer is refused |
//! | forwarding hops | 64 | `Forwarded`/`X-Forwarded-For` chains longer are not believed |
//! | HTTP/2 header list | `max_header_bytes` | HEADERS + CONTINUATION beyond it end the connection |

use std::time::Duration;

/// Configuration for [`Server`](crate::Server). Every setter documents its default.
///
/// ```
/// use std::time::Duration;
/// use http_server::ServerOptions;
/// let opts = ServerOptions::new().port(0).read_header_timeout(Duration::from_secs(5));
/// assert_eq!(opts.get_port(), 0);
/// ```
#[derive(Debug, Clone)]
pub struct ServerOptions {
    pub(crate) host: String,
    pub(crate) port: u16,
    pub(crate) read_timeout: Duration,
    pub(crate) read_header_timeout: Duration,
    pub(crate) write_timeout: Duration,
    pub(crate) idle_timeout: Duration,
    pub(crate) max_header_bytes: usize,
    pub(crate) max_uri_bytes: usize,
    pub(crate) max_headers: usize,
    pub(crate) max_body_bytes: u64,
    pub(crate) max_connections: usize,
    pub(crate) backlog: u32,
    pub(crate) reuseaddr: bool,
    pub(crate) reuseport: bool,
    #[cfg(unix)]
    pub(crate) unix: Option<std::path::PathBuf>,
    pub(crate) listeners: crate::listener::Handed,
    pub(crate) listenany: bool,
    pub(crate) shutdown_timeout: Duration,
    pub(crate) drain: Duration,
    pub(crate) health: http_core::Health,
    pub(crate) health_endpoints: bool,
    pub(crate) metrics: Option<http_core::metrics::Metrics>,
    pub(crate) metrics_endpoint: bool,
    pub(crate) access_log: Option<crate::AccessLog>,
    pub(crate) tls: Option<crate::TlsConfig>,
    pub(crate) tls_handshake_timeout: Duration,
    pub(crate) h2_max_concurrent_streams: u32,
    pub(crate) h2_initial_window_size: u32,
    pub(crate) h2_initial_connection_window_size: u32,
    pub(crate) h2_max_peer_resets: usize,
    pub(crate) proxy_protocol: bool,
    pub(crate) trusted_proxies: Vec<crate::Cidr>,
}

impl Default for ServerOptions {
    fn default() -> Self {
        ServerOptions {
            host: "127.0.0.1".into(),
            port: 8080,
            read_timeout: Duration::from_secs(30),
            read_header_timeout: Duration::from_secs(10),
            write_timeout: Duration::from_secs(30),
            idle_timeout: Duration::from_secs(60),
            max_header_bytes: 32 * 1024,
            max_uri_bytes: 8 * 1024,
            max_headers: 100,
            max_body_bytes: 10 * 1024 * 1024,
            max_connections: 10_000,
            backlog: 1024,
            reuseaddr: true,
            reuseport: false,
            #[cfg(unix)]
            unix: None,
            listeners: Default::default(),
            listenany: false,
            shutdown_timeout: Duration::from_secs(10),
            drain: Duration::ZERO,
            health: http_core::Health::new(),
            health_endpoints: false,
            metrics: None,
            metrics_endpoint: false,
            access_log: None,
            tls: None,
            tls_handshake_timeout: Duration::from_secs(10),
            h2_max_concurrent_streams: 256,
            h2_initial_window_size: 256 * 1024,
            h2_initial_connection_window_size: 1024 * 1024,
            h2_max_peer_resets: 200,
            proxy_protocol: false,
            trusted_proxies: Vec::new(),
        }
    }
}

macro_rules! setter {
    ($(#[$doc:meta])* $name:ident: $ty:ty) => {
        $(#[$doc])*
        pub fn $name(mut self, value: $ty) -> Self {
            self.$name = value;
            self
        }
    };
}

impl ServerOptions {
    /// The defaults.
    ///
    /// ```
    /// let opts = http_server::ServerOptions::new();
    /// assert_eq!((opts.get_host(), opts.get_port()), ("127.0.0.1", 8080));
    /// ```
    pub fn new() -> Self {
        Self::default()
    }

    /// The address to bind. Default `127.0.0.1`.
    ///
    /// ```
    /// let opts = http_server::ServerOptions::new().host("0.0.0.0");
    /// assert_eq!(opts.get_host(), "0.0.0.0");
    /// ```
    pub fn host(mut self, host: impl Into<String>) -> Self {
        self.host = host.into();
        self
    }

    setter!(
        /// The port to bind; `0` picks a free one. Default `8080`.
        ///
        /// ```
        /// let opts = http_server::ServerOptions::new().port(0);
        /// assert_eq!(opts.get_port(), 0);
        /// ```
        port: u16
    );
    setter!(
        /// Each request-body read must make progress within this. Default 30 s.
        ///
        /// ```
        /// # use std::time::Duration;
        /// let opts = http_server::ServerOptions::new().read_timeout(Duration::from_secs(5));
        /// assert!(format!("{opts:?}").contains("read_timeout: 5s"));
        /// ```
        read_timeout: Duration
    );
    setter!(
        /// Time allowed to receive a request head, counted from the connection's start or
        /// the request's first byte (slowloris guard; answered 408). Default 10 s.
        ///
        /// ```
        /// # use std::time::Duration;
        /// let opts = http_server::ServerOptions::new().read_header_timeout(Duration::from_secs(3));
        /// assert!(format!("{opts:?}").contains("read_header_timeout: 3s"));
        /// ```
        read_header_timeout: Duration
    );
    setter!(
        /// Each response write must make progress within this. Default 30 s.
        ///
        /// ```
        /// # use std::time::Duration;
        /// let opts = http_server::ServerOptions::new().write_timeout(Duration::from_secs(20));
        /// assert!(format!("{opts:?}").contains("write_timeout: 20s"));
        /// ```
        write_timeout: Duration
    );
    setter!(
        /// How long a keep-alive connection may wait for its next request. Default 60 s.
        ///
        /// ```
        /// # use std::time::Duration;
        /// let opts = http_server::ServerOptions::new().idle_timeout(Duration::from_secs(120));
        /// assert!(format!("{opts:?}").contains("idle_timeout: 120s"));
        /// ```
        idle_timeout: Duration
    );
    setter!(
        /// Largest request head (request line + headers); larger is answered 431. Default 32 KiB.
        ///
        /// ```
        /// let opts = http_server::ServerOptions::new().max_header_bytes(16 * 1024);
        /// assert!(format!("{opts:?}").contains("max_header_bytes: 16384"));
        /// ```
        max_header_bytes: usize
    );
    setter!(
        /// Longest request target; longer is answered 414. Default 8 KiB.
        ///
        /// ```
        /// let opts = http_server::ServerOptions::new().max_uri_bytes(2048);
        /// assert!(format!("{opts:?}").contains("max_uri_bytes: 2048"));
        /// ```
        max_uri_bytes: usize
    );
    setter!(
        /// Most header lines in a request; more is answered 431. Default 100.
        ///
        /// ```
        /// let opts = http_server::ServerOptions::new().max_headers(50);
        /// assert!(format!("{opts:?}").contains("max_headers: 50"));
        /// ```
        max_headers: usize
    );
    setter!(
        /// Largest body buffered for a serve-style handler; larger is answered 413. Default 10 MiB.
        ///
        /// ```
        /// let opts = http_server::ServerOptions::new().max_body_bytes(1 << 20);
        /// assert!(format!("{opts:?}").contains("max_body_bytes: 1048576"));
        /// ```
        max_body_bytes: u64
    );
    setter!(
        /// Most open connections; past it a new connection gets 503 and is closed. Default 10,000.
        ///
        /// ```
        /// let opts = http_server::ServerOptions::new().max_connections(500);
        /// assert!(format!("{opts:?}").contains("max_connections: 500"));
        /// ```
        max_connections: usize
    );
    setter!(
        /// The listen backlog. Default 1024.
        ///
        /// ```
        /// let opts = http_server::ServerOptions::new().backlog(128);
        /// assert!(format!("{opts:?}").contains("backlog: 128"));
        /// ```
        backlog: u32
    );
    setter!(
        /// Set `SO_REUSEADDR` on the listener. Default true.
        ///
        /// ```
        /// let opts = http_server::ServerOptions::new().reuseaddr(false);
        /// assert!(format!("{opts:?}").contains("reuseaddr: false"));
        /// ```
        reuseaddr: bool
    );
    setter!(
        /// Set `SO_REUSEPORT` on the listener, so several processes (or servers) can bind
        /// the same port and the kernel spreads connections among them. Default false.
        ///
        /// ```
        /// let opts = http_server::ServerOptions::new().reuseport(true);
        /// assert!(format!("{opts:?}").contains("reuseport: true"));
        /// ```
        reuseport: bool
    );
    setter!(
        /// When the port is taken, try the next ones (up to 100), then any free port. Default false.
        ///
        /// ```
        /// let opts = http_server::ServerOptions::new().listenany(true);
        /// assert!(format!("{opts:?}").contains("listenany: true"));
        /// ```
        listenany: bool
    );
    setter!(
        /// How long `close()` lets in-flight requests finish before cutting them. Default 10 s.
        ///
        /// ```
        /// # use std::time::Duration;
        /// let opts = http_server::ServerOptions::new().shutdown_timeout(Duration::from_secs(2));
        /// assert!(format!("{opts:?}").contains("shutdown_timeout: 2s"));
        /// ```
        shutdown_timeout: Duration
    );
    setter!(
        /// On Ctrl-C/SIGTERM ([`Server::shutdown_on_signal`](crate::Server::shutdown_on_signal)),
        /// how long the server drains before its graceful close: it reports not-ready
        /// (`/readyz` answers 503), HTTP/1.1 answers carry `Connection: close`, HTTP/2
        /// connections get GOAWAY, and requests are still served, so a load balancer takes
        /// the instance out of rotation before it stops accepting. Default 0 (close at once).
        ///
        /// ```
        /// # use std::time::Duration;
        /// let opts = http_server::ServerOptions::new().drain(Duration::from_secs(5));
        /// assert!(format!("{opts:?}").contains("drain: 5s"));
        /// ```
        drain: Duration
    );
    setter!(
        /// Answer `GET /healthz` (alive: 200) and `GET /readyz` (200, or 503 while draining)
        /// before the handler sees the request. Default false.
        ///
        /// ```
        /// let opts = http_server::ServerOptions::new().health_endpoints(true);
        /// assert!(format!("{opts:?}").contains("health_endpoints: true"));
        /// ```
        health_endpoints: bool
    );

    /// Record requests (by route and status, with their latency), open connections, bytes
    /// in and out and TLS handshakes into `metrics` (see [`http_core::metrics`] for the
    /// series). Recording costs a few atomic adds per request, no lock and no allocation.
    /// Default: none.
    ///
    /// ```
    /// use http_server::{Metrics, ServerOptions};
    /// let metrics = Metrics::new();
    /// let opts = ServerOptions::new().metrics(metrics.clone()).metrics_endpoint(true);
    /// assert!(format!("{opts:?}").contains("metrics_endpoint: true"));
    /// ```
    pub fn metrics(mut self, metrics: http_core::metrics::Metrics) -> Self {
        self.metrics = Some(metrics);
        self
    }

    setter!(
        /// Answer `GET /metrics` with the Prometheus text exposition of
        /// [`metrics`](Self::metrics) (a handle is made if none was given) before the
        /// handler sees the request. Default false.
        ///
        /// ```
        /// let opts = http_server::ServerOptions::new().metrics_endpoint(true);
        /// assert!(format!("{opts:?}").contains("metrics_endpoint: true"));
        /// ```
        metrics_endpoint: bool
    );

    /// Log every request to `log` (combined or JSON lines, with the client's real
    /// address). Default: no access log.
    ///
    /// ```
    /// use http_server::{AccessLog, LogFormat, ServerOptions};
    /// let opts = ServerOptions::new().access_log(AccessLog::to_writer(std::io::sink(), LogFormat::Json));
    /// assert!(format!("{opts:?}").contains("Json"));
    /// ```
    pub fn access_log(mut self, log: crate::AccessLog) -> Self {
        self.access_log = Some(log);
        self
    }

    /// The readiness handle the server turns not-ready when it drains or closes; share a
    /// clone with the application (http-router's `Router::with_health`, a check of its
    /// own database) so both read and set the same state. Default: a handle of the
    /// server's own ([`Server::health`](crate::Server::health)).
    ///
    /// ```
    /// let health = http_core::Health::new();
    /// let opts = http_server::ServerOptions::new().health(health.clone());
    /// health.set_ready(false);
    /// assert!(format!("{opts:?}").contains("ready: false"));
    /// ```
    pub fn health(mut self, health: http_core::Health) -> Self {
        self.health = health;
        self
    }

    setter!(
        /// Time allowed for a TLS handshake and the HTTP/2 preface. Default 10 s.
        ///
        /// ```
        /// # use std::time::Duration;
        /// let opts = http_server::ServerOptions::new().tls_handshake_timeout(Duration::from_secs(4));
        /// assert!(format!("{opts:?}").contains("tls_handshake_timeout: 4s"));
        /// ```
        tls_handshake_timeout: Duration
    );
    setter!(
        /// Concurrent HTTP/2 streams per connection. Default 256.
        ///
        /// ```
        /// let opts = http_server::ServerOptions::new().h2_max_concurrent_streams(64);
        /// assert!(format!("{opts:?}").contains("h2_max_concurrent_streams: 64"));
        /// ```
        h2_max_concurrent_streams: u32
    );
    setter!(
        /// HTTP/2 per-stream receive window (bytes). Default 256 KiB.
        ///
        /// ```
        /// let opts = http_server::ServerOptions::new().h2_initial_window_size(1 << 16);
        /// assert!(format!("{opts:?}").contains("h2_initial_window_size: 65536"));
        /// ```
        h2_initial_window_size: u32
    );
    setter!(
        /// HTTP/2 per-connection receive window (bytes). Default 1 MiB.
        ///
        /// ```
        /// let opts = http_server::ServerOptions::new().h2_initial_connection_window_size(1 << 22);
        /// assert!(format!("{opts:?}").contains("h2_initial_connection_window_size: 4194304"));
        /// ```
        h2_initial_connection_window_size: u32
    );
    setter!(
        /// Peer stream resets tolerated per 10 s before GOAWAY `ENHANCE_YOUR_CALM`. Default 200.
        ///
        /// ```
        /// let opts = http_server::ServerOptions::new().h2_max_peer_resets(50);
        /// assert!(format!("{opts:?}").contains("h2_max_peer_resets: 50"));
        /// ```
        h2_max_peer_resets: usize
    );

    /// Listen on a Unix domain socket at `path` instead of `host:port` (a stale socket
    /// file is replaced; the file is removed on close). Default: TCP.
    ///
    /// ```
    /// let opts = http_server::ServerOptions::new().unix("/run/app/http.sock");
    /// assert!(format!("{opts:?}").contains("http.sock"));
    /// ```
    #[cfg(unix)]
    pub fn unix(mut self, path: impl Into<std::path::PathBuf>) -> Self {
        self.unix = Some(path.into());
        self
    }

    /// Serve on this already-open listener (call again for more) instead of binding
    /// `host:port` or `unix`: HTTP.jl's `listen!(f, listener)`, systemd sockets
    /// ([`Listener::from_systemd`](crate::Listener::from_systemd)). The first server
    /// started with these options (or a clone of them) takes the listeners.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> std::io::Result<()> {
    /// use http_server::{Listener, ServerOptions};
    /// let a = Listener::tcp(std::net::TcpListener::bind("127.0.0.1:0")?)?;
    /// let b = Listener::tcp(std::net::TcpListener::bind("127.0.0.1:0")?)?;
    /// let opts = ServerOptions::new().listener(a).listener(b);
    /// assert!(format!("{opts:?}").contains("listeners: 2"));
    /// # Ok(()) }
    /// ```
    pub fn listener(mut self, listener: impl Into<crate::Listener>) -> Self {
        let mut list = self.listeners.take();
        list.push(listener.into());
        self.listeners = crate::listener::Handed(std::sync::Arc::new(std::sync::Mutex::new(list)));
        self
    }

    /// Expect a PROXY protocol header (v1 or v2) at the start of every connection and
    /// take the client's address from it (see [`proxy_protocol`](crate::proxy_protocol)).
    /// Connections from outside [`trusted_proxies`](Self::trusted_proxies), and
    /// malformed or missing headers, are closed; so the server refuses to start with an
    /// empty trusted list. Default off.
    ///
    /// ```
    /// use http_server::{Cidr, ServerOptions};
    /// let opts = ServerOptions::new().proxy_protocol(true).trusted_proxies(Cidr::parse_list("10.0.0.0/8")?);
    /// assert!(format!("{opts:?}").contains("proxy_protocol: true"));
    /// # Ok::<(), String>(())
    /// ```
    pub fn proxy_protocol(mut self, on: bool) -> Self {
        self.proxy_protocol = on;
        self
    }

    /// The networks whose PROXY headers and `Forwarded`/`X-Forwarded-*` fields are
    /// believed (see [`Cidr`](crate::Cidr) for the rule). Default: none, so a request's
    /// client is its socket peer and forwarding fields are ignored.
    ///
    /// ```
    /// use http_server::{Cidr, ServerOptions};
    /// let opts = ServerOptions::new().trusted_proxies(Cidr::parse_list("loopback, 10.0.0.0/8")?);
    /// assert!(format!("{opts:?}").contains("trusted_proxies: [Cidr"));
    /// # Ok::<(), String>(())
    /// ```
    pub fn trusted_proxies(mut self, networks: Vec<crate::Cidr>) -> Self {
        self.trusted_proxies = networks;
        self
    }

    /// Serve HTTPS with this certificate (ALPN picks HTTP/2 or HTTP/1.1). Default: cleartext,
    /// where HTTP/1.1 and HTTP/2 prior knowledge share the port.
    ///
    /// ```
    /// # let ck = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    /// # let (cert_pem, key_pem) = (ck.cert.pem(), ck.signing_key.serialize_pem());
    /// use http_server::{ServerOptions, TlsConfig};
    /// let tls = TlsConfig::from_pem(cert_pem.as_bytes(), key_pem.as_bytes())?;
    /// let opts = ServerOptions::new().port(8443).tls(tls);
    /// assert!(format!("{opts:?}").contains("tls: Some(TlsConfig)"));
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn tls(mut self, tls: crate::TlsConfig) -> Self {
        self.tls = Some(tls);
        self
    }

    /// The configured port.
    ///
    /// ```
    /// let opts = http_server::ServerOptions::new().port(3000);
    /// assert_eq!(opts.get_port(), 3000);
    /// ```
    pub fn get_port(&self) -> u16 {
        self.port
    }

    /// The configured host.
    ///
    /// ```
    /// let opts = http_server::ServerOptions::new().host("::1");
    /// assert_eq!(opts.get_host(), "::1");
    /// ```
    pub fn get_host(&self) -> &str {
        &self.host
    }

    pub(crate) fn validate(&self) -> std::io::Result<()> {
        let bad = |what: &str| Err(std::io::Error::new(std::io::ErrorKind::InvalidInput, what.to_owned()));
        if self.max_header_bytes == 0 || self.max_uri_bytes == 0 || self.max_headers == 0 {
            return bad("header limits must be positive");
        }
        if self.backlog == 0 || self.max_connections == 0 {
            return bad("backlog and max_connections must be positive");
        }
        let timeouts = [
            self.read_timeout,
            self.read_header_timeout,
            self.write_timeout,
            self.idle_timeout,
            self.tls_handshake_timeout,
        ];
        if timeouts.iter().any(|t| t.is_zero()) {
            return bad("timeouts must be positive");
        }
        if self.proxy_protocol && self.trusted_proxies.is_empty() {
            return bad("the PROXY protocol needs trusted proxies (--trusted-proxies CIDR[,CIDR...])");
        }
        Ok(())
    }
}
