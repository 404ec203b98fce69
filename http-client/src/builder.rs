//! [`ClientBuilder`]: timeouts, pool limits, redirect policy, protocol choice, trusted
//! roots, size limits and default headers — each with a finite, documented default.

use std::sync::Arc;
use std::time::Duration;

use http::header::{HeaderMap, HeaderName, HeaderValue};

use crate::client::{Client, ClientInner};
use crate::connect::{TlsConfigs, roots_from_pem, system_roots};
use crate::error::{Error, ErrorKind, Result};
use crate::pool::{Pool, PoolConfig};
use crate::proxy::Proxies;
use crate::redirect::Policy;

/// Which HTTP versions a client speaks.
///
/// ```
/// let client = http_client::Client::builder().http_version(http_client::HttpVersion::Http1Only).build().unwrap();
/// # drop(client);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum HttpVersion {
    /// HTTP/1.1 only (ALPN offers `http/1.1` over TLS).
    Http1Only,
    /// Over TLS, offer `h2` then `http/1.1` by ALPN; HTTP/1.1 in cleartext. The default.
    #[default]
    Auto,
    /// HTTP/2 only: h2c with prior knowledge in cleartext, ALPN `h2` over TLS.
    Http2PriorKnowledge,
}

/// Builds a [`Client`].
///
/// ```
/// use std::time::Duration;
/// let client = http_client::Client::builder()
///     .connect_timeout(Duration::from_secs(5))
///     .timeout(Duration::from_secs(60))
///     .build()
///     .unwrap();
/// # drop(client);
/// ```
#[derive(Debug)]
pub struct ClientBuilder {
    connect_timeout: Duration,
    read_timeout: Option<Duration>,
    total_timeout: Option<Duration>,
    pool: PoolConfig,
    redirect: Policy,
    version: HttpVersion,
    roots_pem: Option<Vec<u8>>,
    max_head_bytes: usize,
    max_body_bytes: Option<u64>,
    headers: HeaderMap,
    decompress: bool,
    proxy_from_env: bool,
    error: Option<Error>,
}

impl Default for ClientBuilder {
    fn default() -> Self {
        let mut headers = HeaderMap::new();
        headers.insert(
            http::header::USER_AGENT,
            HeaderValue::from_static(concat!("http-client/", env!("CARGO_PKG_VERSION"))),
        );
        headers.insert(http::header::ACCEPT, HeaderValue::from_static("*/*"));
        ClientBuilder {
            connect_timeout: Duration::from_secs(30),
            read_timeout: Some(Duration::from_secs(60)),
            total_timeout: Some(Duration::from_secs(300)),
            pool: PoolConfig { max_idle_per_origin: 16, idle_timeout: Duration::from_secs(60) },
            redirect: Policy::default(),
            version: HttpVersion::Auto,
            roots_pem: None,
            max_head_bytes: 1024 * 1024,
            max_body_bytes: None,
            headers,
            decompress: true,
            proxy_from_env: true,
            error: None,
        }
    }
}

impl ClientBuilder {
    /// The limit on resolving the host, connecting and the TLS handshake. Default: 30 s.
    pub fn connect_timeout(mut self, d: Duration) -> Self {
        self.connect_timeout = d;
        self
    }

    /// The limit on each read or write making progress; `None` waits for ever (for
    /// event streams). Default: 60 s.
    pub fn read_timeout(mut self, d: Option<Duration>) -> Self {
        self.read_timeout = d;
        self
    }

    /// The limit on a whole request, from connecting to the body's last byte; `None` for
    /// none. Default: 300 s.
    pub fn total_timeout(mut self, d: Option<Duration>) -> Self {
        self.total_timeout = d;
        self
    }

    /// Same as [`total_timeout`](Self::total_timeout)`(Some(d))`.
    pub fn timeout(self, d: Duration) -> Self {
        self.total_timeout(Some(d))
    }

    /// Idle HTTP/1.1 connections kept per origin (0 turns pooling off). Default: 16.
    pub fn pool_max_idle_per_origin(mut self, n: usize) -> Self {
        self.pool.max_idle_per_origin = n;
        self
    }

    /// How long an idle connection is kept. Default: 60 s.
    pub fn pool_idle_timeout(mut self, d: Duration) -> Self {
        self.pool.idle_timeout = d;
        self
    }

    /// Which redirects are followed. Default: up to 10.
    pub fn redirect(mut self, policy: Policy) -> Self {
        self.redirect = policy;
        self
    }

    /// Which HTTP versions are spoken. Default: [`HttpVersion::Auto`].
    pub fn http_version(mut self, v: HttpVersion) -> Self {
        self.version = v;
        self
    }

    /// Trust exactly the CA certificates in `pem` instead of the system's roots.
    /// Default: the system's roots (the bundled Mozilla roots when it has none).
    pub fn ca_certificates_pem(mut self, pem: impl Into<Vec<u8>>) -> Self {
        self.roots_pem = Some(pem.into());
        self
    }

    /// The largest response head (status line and header section) accepted. Default: 1 MiB.
    pub fn max_head_bytes(mut self, n: usize) -> Self {
        self.max_head_bytes = n;
        self
    }

    /// The largest response body accepted; `None` for no limit. Default: none.
    pub fn max_body_bytes(mut self, n: Option<u64>) -> Self {
        self.max_body_bytes = n;
        self
    }

    /// A header sent with every request (replacing a default of the same name). Defaults:
    /// `user-agent: http-client/VERSION` and `accept: */*`.
    pub fn default_header(mut self, name: &str, value: &str) -> Self {
        match (HeaderName::from_bytes(name.as_bytes()), HeaderValue::from_str(value)) {
            (Ok(n), Ok(v)) => {
                self.headers.insert(n, v);
            }
            _ => self.error = Some(Error::new(ErrorKind::Builder, format!("invalid header {name:?}"))),
        }
        self
    }

    /// Send `accept-encoding: gzip, deflate, br, zstd` and decode the body as its
    /// Content-Encoding says (the headers stay as they came). A request that sets its own
    /// Accept-Encoding gets the body as sent. Default: on.
    pub fn decompress(mut self, on: bool) -> Self {
        self.decompress = on;
        self
    }

    /// Use the proxies the environment names (`http_proxy`, `HTTPS_PROXY`/`https_proxy`,
    /// `NO_PROXY`/`no_proxy`), read when the client is built. Default: on.
    pub fn proxy_from_env(mut self, on: bool) -> Self {
        self.proxy_from_env = on;
        self
    }

    /// The client.
    pub fn build(self) -> Result<Client> {
        if let Some(e) = self.error {
            return Err(e);
        }
        let roots = match &self.roots_pem {
            Some(pem) => roots_from_pem(pem)?,
            None => system_roots(),
        };
        Ok(Client {
            inner: Arc::new(ClientInner {
                pool: Pool::new(self.pool),
                tls: TlsConfigs::new(roots)?,
                connect_timeout: self.connect_timeout,
                read_timeout: self.read_timeout,
                total_timeout: self.total_timeout,
                redirect: self.redirect,
                version: self.version,
                max_head_bytes: self.max_head_bytes,
                max_body_bytes: self.max_body_bytes,
                headers: self.headers,
                decompress: self.decompress,
                proxies: if self.proxy_from_env { Proxies::from_env() } else { Proxies::default() },
            }),
        })
    }
}
