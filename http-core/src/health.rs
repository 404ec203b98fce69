//! Liveness and readiness, as a load balancer or Kubernetes probes them: a [`Health`]
//! handle the server turns not-ready when it starts draining, and that `/readyz`
//! endpoints read. `/healthz` answers whether the process serves at all (a liveness
//! probe restarts it otherwise); `/readyz` whether it wants new requests (a readiness
//! probe or load balancer stops sending them otherwise, without a restart).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// Whether the server wants new traffic. Clones share the state. Starts ready; a server
/// given the handle (http-server's `ServerOptions::health`) turns it not-ready when it
/// starts draining, and the application may too (warming a cache, losing its database).
///
/// ```
/// let health = http_core::Health::new();
/// assert!(health.is_ready());
/// let probe = health.clone();
/// health.set_ready(false);
/// assert!(!probe.is_ready(), "clones share the state");
/// ```
#[derive(Debug, Clone)]
pub struct Health {
    ready: Arc<AtomicBool>,
}

impl Default for Health {
    fn default() -> Self {
        Health { ready: Arc::new(AtomicBool::new(true)) }
    }
}

impl Health {
    /// A ready handle.
    ///
    /// ```
    /// assert!(http_core::Health::new().is_ready());
    /// ```
    pub fn new() -> Self {
        Self::default()
    }

    /// True while the server wants new traffic (`/readyz` answers 200).
    ///
    /// ```
    /// let h = http_core::Health::new();
    /// h.set_ready(false);
    /// assert!(!h.is_ready());
    /// ```
    pub fn is_ready(&self) -> bool {
        self.ready.load(Ordering::Acquire)
    }

    /// Marks the server ready or not.
    ///
    /// ```
    /// let h = http_core::Health::new();
    /// h.set_ready(false);
    /// h.set_ready(true);
    /// assert!(h.is_ready());
    /// ```
    pub fn set_ready(&self, ready: bool) {
        self.ready.store(ready, Ordering::Release);
    }

    /// The answer to a probe of `path`: `/healthz` (alive: always 200 `ok`) and `/readyz`
    /// (200 `ready`, or 503 `draining`); `None` for any other path.
    ///
    /// ```
    /// let h = http_core::Health::new();
    /// assert_eq!(h.probe("/healthz"), Some((200, "ok")));
    /// h.set_ready(false);
    /// assert_eq!(h.probe("/readyz"), Some((503, "draining")));
    /// assert_eq!(h.probe("/other"), None);
    /// ```
    pub fn probe(&self, path: &str) -> Option<(u16, &'static str)> {
        match path {
            "/healthz" => Some((200, "ok")),
            "/readyz" if self.is_ready() => Some((200, "ready")),
            "/readyz" => Some((503, "draining")),
            _ => None,
        }
    }
}
