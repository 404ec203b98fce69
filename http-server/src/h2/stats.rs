//! Counters shared by an HTTP/2 connection and its streams: how many streams run on tasks
//! of their own (the connection's idle timeout waits for none), and how many streams the
//! peer reset within the current window (the rapid-reset limit, CVE-2023-44487).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::sync::Notify;

/// Counters shared by a connection and its streams.
#[derive(Debug, Default)]
pub(crate) struct ConnStats {
    /// Streams running on tasks of their own (streams finished on the connection's task
    /// are never counted).
    pub(crate) active: AtomicUsize,
    /// Peer resets in the current window.
    pub(crate) resets: AtomicUsize,
    /// Notified when the last spawned stream ends.
    pub(crate) idle: Notify,
    /// Notified when the peer resets more streams than `max_resets`.
    pub(crate) calm: Notify,
    pub(crate) max_resets: usize,
    /// The server's graceful-shutdown signal, for `Stream::shutdown_signal`.
    pub(crate) graceful: tokio_util::sync::CancellationToken,
}

impl ConnStats {
    /// A stream was reset by the peer.
    pub(crate) fn peer_reset(&self) {
        if self.resets.fetch_add(1, Ordering::AcqRel) + 1 > self.max_resets {
            self.calm.notify_one();
        }
    }
}

/// Counts a stream as active while it lives on a task of its own.
pub(crate) struct ActiveStream(Arc<ConnStats>);

impl ActiveStream {
    pub(crate) fn new(stats: Arc<ConnStats>) -> Self {
        stats.active.fetch_add(1, Ordering::AcqRel);
        ActiveStream(stats)
    }
}

impl Drop for ActiveStream {
    fn drop(&mut self) {
        if self.0.active.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.0.idle.notify_one();
        }
    }
}
