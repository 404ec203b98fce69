//! Server metrics in the Prometheus text exposition format (version 0.0.4), encoded by
//! the `prometheus-client` crate (feature `metrics`).
//!
//! Recording is a handful of relaxed atomic adds per request and never takes a lock or
//! allocates (a route's first request claims its slot with one compare-and-swap); a
//! scrape reads the atomics. A server records into a [`Metrics`] handle when it has one
//! (http-server's `ServerOptions::metrics`); a router serves it with
//! `Router::with_metrics` (http-router, feature `metrics`), a server on the same listener
//! with `ServerOptions::metrics_endpoint`.
//!
//! | metric | type | labels |
//! |---|---|---|
//! | `http_requests_total` | counter | `route` (the matched pattern, `""` without one), `status` |
//! | `http_request_duration_seconds` | histogram | `route`; from the request head (a pipelined one: from the end of the one before it) to the end of the response |
//! | `http_connections_open` | gauge | `protocol` (`http1`, `http2`) |
//! | `http_connections_total` | counter | `protocol` |
//! | `http_received_bytes_total`, `http_sent_bytes_total` | counter | bytes on HTTP/1.1 and HTTP/2 connections (TLS records excluded, upgraded connections not counted) |
//! | `http_tls_handshakes_total` | counter | `result` (`ok`, `failed`) |
//! | `http_handler_timeouts_total` | counter | handlers cut off by a timeout middleware (process-wide) |
//! | `http_handler_panics_total` | counter | handler panics caught by the server or a middleware (process-wide) |
//!
//! Routes: up to 256 patterns get series of their own (more count under `route="(other)"`),
//! and up to 8 status codes per route (more count under `status="other"`), so a scan of
//! random paths cannot grow the exposition.

use std::sync::atomic::{AtomicU64, Ordering};

#[cfg(feature = "metrics")]
mod encode;
#[cfg(feature = "metrics")]
mod table;

#[cfg(feature = "metrics")]
pub use encode::CONTENT_TYPE;

static HANDLER_TIMEOUTS: AtomicU64 = AtomicU64::new(0);
static HANDLER_PANICS: AtomicU64 = AtomicU64::new(0);

/// Counts a handler cut off by a timeout (what http-router's `handlertimeout` calls).
/// Process-wide, like the panic count: a middleware does not know its server.
///
/// ```
/// let before = http_core::metrics::handler_timeouts();
/// http_core::metrics::handler_timed_out();
/// assert!(http_core::metrics::handler_timeouts() > before);
/// ```
pub fn handler_timed_out() {
    HANDLER_TIMEOUTS.fetch_add(1, Ordering::Relaxed);
}

/// Handlers cut off by a timeout in this process so far.
///
/// ```
/// let _so_far: u64 = http_core::metrics::handler_timeouts();
/// ```
pub fn handler_timeouts() -> u64 {
    HANDLER_TIMEOUTS.load(Ordering::Relaxed)
}

/// Counts a handler panic that was caught (by the server, or a middleware such as
/// http-router's `catch_panics`).
///
/// ```
/// let before = http_core::metrics::handler_panics();
/// http_core::metrics::handler_panicked();
/// assert!(http_core::metrics::handler_panics() > before);
/// ```
pub fn handler_panicked() {
    HANDLER_PANICS.fetch_add(1, Ordering::Relaxed);
}

/// Caught handler panics in this process so far.
///
/// ```
/// let _so_far: u64 = http_core::metrics::handler_panics();
/// ```
pub fn handler_panics() -> u64 {
    HANDLER_PANICS.load(Ordering::Relaxed)
}

#[cfg(feature = "metrics")]
pub use handle::{Connection, Metrics, Protocol};

#[cfg(feature = "metrics")]
mod handle {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
    use std::time::Duration;

    use super::table::RouteTable;

    /// A connection's protocol, for the connection metrics.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum Protocol {
        /// HTTP/1.x.
        Http1,
        /// HTTP/2.
        Http2,
    }

    impl Protocol {
        pub(super) const ALL: [Protocol; 2] = [Protocol::Http1, Protocol::Http2];

        pub(super) fn label(self) -> &'static str {
            match self {
                Protocol::Http1 => "http1",
                Protocol::Http2 => "http2",
            }
        }
    }

    #[derive(Debug, Default)]
    pub(super) struct Inner {
        pub(super) routes: RouteTable,
        pub(super) open: [AtomicI64; 2],
        pub(super) accepted: [AtomicU64; 2],
        pub(super) received: AtomicU64,
        pub(super) sent: AtomicU64,
        pub(super) tls_ok: AtomicU64,
        pub(super) tls_failed: AtomicU64,
    }

    /// The metrics a server records; clones share them. See the [module docs](super) for
    /// the series.
    ///
    /// ```
    /// use std::time::Duration;
    /// use http_core::metrics::{Metrics, Protocol};
    /// let m = Metrics::new();
    /// let conn = m.connection(Protocol::Http1);
    /// m.request(None, 200, Duration::from_millis(3));
    /// m.bytes(120, 240);
    /// let text = m.render();
    /// assert!(text.contains(r#"http_requests_total{route="",status="200"} 1"#), "{text}");
    /// assert!(text.contains(r#"http_connections_open{protocol="http1"} 1"#), "{text}");
    /// drop(conn);
    /// assert!(m.render().contains(r#"http_connections_open{protocol="http1"} 0"#));
    /// ```
    #[derive(Debug, Clone, Default)]
    pub struct Metrics {
        pub(super) inner: Arc<Inner>,
    }

    impl Metrics {
        /// Empty metrics.
        ///
        /// ```
        /// assert!(http_core::metrics::Metrics::new().render().contains("http_requests_total"));
        /// ```
        pub fn new() -> Self {
            Self::default()
        }

        /// Records a finished request: its route pattern (the `Arc` a router set, see
        /// [`RequestContext::route_arc`](crate::RequestContext::route_arc)), status and
        /// time from head to the end of the response.
        ///
        /// ```
        /// use std::{sync::Arc, time::Duration};
        /// let m = http_core::metrics::Metrics::new();
        /// let route: Arc<str> = Arc::from("/users/{id}");
        /// m.request(Some(&route), 404, Duration::from_micros(300));
        /// let text = m.render();
        /// assert!(text.contains(r#"http_requests_total{route="/users/{id}",status="404"} 1"#), "{text}");
        /// assert!(text.contains(r#"http_request_duration_seconds_bucket{route="/users/{id}",le="0.0005"} 1"#), "{text}");
        /// ```
        pub fn request(&self, route: Option<&Arc<str>>, status: u16, elapsed: Duration) {
            self.inner.routes.record(route, status, elapsed);
        }

        /// Counts a connection as open until the returned guard is dropped.
        ///
        /// ```
        /// use http_core::metrics::{Metrics, Protocol};
        /// let m = Metrics::new();
        /// let _open = m.connection(Protocol::Http2);
        /// assert!(m.render().contains(r#"http_connections_total{protocol="http2"} 1"#));
        /// ```
        pub fn connection(&self, protocol: Protocol) -> Connection {
            let i = protocol as usize;
            self.inner.open[i].fetch_add(1, Ordering::Relaxed);
            self.inner.accepted[i].fetch_add(1, Ordering::Relaxed);
            Connection { metrics: self.clone(), protocol }
        }

        /// Adds bytes received from and sent to clients.
        ///
        /// ```
        /// let m = http_core::metrics::Metrics::new();
        /// m.bytes(10, 20);
        /// assert!(m.render().contains("http_sent_bytes_total 20"));
        /// ```
        pub fn bytes(&self, received: u64, sent: u64) {
            if received > 0 {
                self.inner.received.fetch_add(received, Ordering::Relaxed);
            }
            if sent > 0 {
                self.inner.sent.fetch_add(sent, Ordering::Relaxed);
            }
        }

        /// Counts a TLS handshake that succeeded or failed.
        ///
        /// ```
        /// let m = http_core::metrics::Metrics::new();
        /// m.tls_handshake(false);
        /// assert!(m.render().contains(r#"http_tls_handshakes_total{result="failed"} 1"#));
        /// ```
        pub fn tls_handshake(&self, ok: bool) {
            let c = if ok { &self.inner.tls_ok } else { &self.inner.tls_failed };
            c.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// An open connection, counted until dropped ([`Metrics::connection`]).
    #[derive(Debug)]
    pub struct Connection {
        metrics: Metrics,
        protocol: Protocol,
    }

    impl Drop for Connection {
        fn drop(&mut self) {
            self.metrics.inner.open[self.protocol as usize].fetch_sub(1, Ordering::Relaxed);
        }
    }
}
