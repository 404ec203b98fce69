//! What the engines report about each request and connection: metrics
//! ([`ServerOptions::metrics`](crate::ServerOptions::metrics)) and access log lines
//! ([`ServerOptions::access_log`](crate::ServerOptions::access_log)). With neither
//! configured, [`Observe::start`] is one branch and nothing is allocated or timed.

use std::time::Instant;

use http_core::metrics::{Connection, Metrics, Protocol};
use http_core::{RequestContext, RequestHead, Stream};

use crate::access_log::{AccessLog, Entry};

/// A server's metrics and access log, shared by its connections.
#[derive(Debug, Clone, Default)]
pub(crate) struct Observe {
    pub(crate) metrics: Option<Metrics>,
    pub(crate) log: Option<AccessLog>,
}

/// A request being observed: when it started and, with an access log, its head's part of
/// the line.
pub(crate) struct Started {
    at: Instant,
    entry: Option<Box<Entry>>,
}

impl Observe {
    /// Counts a connection as open while the guard lives (nothing without metrics).
    pub(crate) fn connection(&self, protocol: Protocol) -> Option<Connection> {
        self.metrics.as_ref().map(|m| m.connection(protocol))
    }

    /// Adds bytes received and sent (nothing without metrics).
    pub(crate) fn bytes(&self, received: u64, sent: u64) {
        if let Some(m) = &self.metrics {
            m.bytes(received, sent);
        }
    }

    /// A request head is taken up (before the handler runs). `at`: when, if the caller
    /// knows (a pipelined request waiting in the buffer is taken up when the previous
    /// exchange ended); otherwise now.
    #[inline]
    pub(crate) fn start(&self, head: &RequestHead, ctx: &RequestContext, at: Option<Instant>) -> Option<Started> {
        if self.metrics.is_none() && self.log.is_none() {
            return None;
        }
        let entry = self
            .log
            .as_ref()
            .map(|_| Box::new(Entry::start(ctx.client_addr(), &head.method, &head.uri, head.version, &head.headers)));
        Some(Started { at: at.unwrap_or_else(Instant::now), entry })
    }

    /// The exchange ended: record its route, status and duration, and log its line.
    /// Returns when it ended.
    pub(crate) fn finish(&self, started: Started, s: &Stream) -> Instant {
        let now = Instant::now();
        let elapsed = now.saturating_duration_since(started.at);
        let route = s.context().route_arc();
        let status = s.status().as_u16();
        if let Some(m) = &self.metrics {
            m.request(route, status, elapsed);
        }
        if let (Some(log), Some(mut entry)) = (&self.log, started.entry) {
            entry.status = status;
            entry.bytes = s.response_length();
            entry.duration = elapsed;
            entry.route = route.cloned();
            log.log(*entry);
        }
        now
    }
}
