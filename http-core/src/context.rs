//! Per-request context: deadline, cancellation, matched route, parameters, extensions.
//!
//! The Rust form of HTTP.jl's `RequestContext`. The server creates one per request; the
//! router fills [`route`](RequestContext::route) and [`params`](RequestContext::params);
//! middleware such as `handlertimeout` derives a [`child`](RequestContext::child) with an
//! earlier deadline. Nothing here allocates until it is used.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio_util::sync::CancellationToken;

/// A point in time by which work should be done.
///
/// ```
/// use std::time::Duration;
/// use http_core::Deadline;
/// let soon = Deadline::after(Duration::from_millis(10));
/// let later = Deadline::after(Duration::from_secs(10));
/// assert_eq!(soon.min(later), soon);
/// assert!(!later.is_expired());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Deadline(Instant);

impl Deadline {
    /// `timeout` from now.
    pub fn after(timeout: Duration) -> Self {
        Deadline(Instant::now() + timeout)
    }

    /// At `instant`.
    pub fn at(instant: Instant) -> Self {
        Deadline(instant)
    }

    /// The instant.
    pub fn instant(self) -> Instant {
        self.0
    }

    /// Time left, zero once passed.
    pub fn remaining(self) -> Duration {
        self.0.saturating_duration_since(Instant::now())
    }

    /// True once the deadline has passed.
    pub fn is_expired(self) -> bool {
        Instant::now() >= self.0
    }

    /// Sleeps until the deadline.
    pub async fn sleep(self) {
        tokio::time::sleep_until(self.0.into()).await
    }
}

/// Route parameters captured by a router, in pattern order, already percent-decoded.
///
/// ```
/// use http_core::Params;
/// let mut p = Params::default();
/// p.push("id", "42");
/// assert_eq!(p.get("id"), Some("42"));
/// assert_eq!(p.get("missing"), None);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Params {
    entries: Vec<(Arc<str>, String)>,
}

impl Params {
    /// Adds a parameter.
    pub fn push(&mut self, name: impl Into<Arc<str>>, value: impl Into<String>) {
        self.entries.push((name.into(), value.into()));
    }

    /// The value of `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.entries.iter().find(|(n, _)| &**n == name).map(|(_, v)| v.as_str())
    }

    /// All parameters, in pattern order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.entries.iter().map(|(n, v)| (&**n, v.as_str()))
    }

    /// Number of parameters.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True without parameters.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Removes all parameters (kept capacity).
    pub fn clear(&mut self) {
        self.entries.clear();
    }

    /// Drops the last `n` parameters (used by routers when backtracking).
    pub fn truncate(&mut self, n: usize) {
        self.entries.truncate(n);
    }
}

/// Per-request context.
///
/// ```
/// use std::time::Duration;
/// use http_core::RequestContext;
/// let mut parent = RequestContext::default();
/// let child = parent.child(Duration::from_millis(50));
/// assert!(child.deadline().is_some());
/// parent.cancel();
/// assert!(child.is_cancelled(), "cancelling a parent cancels its children");
/// ```
#[derive(Debug, Clone, Default)]
pub struct RequestContext {
    deadline: Option<Deadline>,
    cancel: Option<CancellationToken>,
    route: Option<Arc<str>>,
    params: Params,
    peer_addr: Option<SocketAddr>,
    extensions: http::Extensions,
}

impl RequestContext {
    /// A context for a request from `peer`.
    pub fn with_peer(peer: Option<SocketAddr>) -> Self {
        RequestContext { peer_addr: peer, ..Default::default() }
    }

    /// The deadline, if one is set.
    pub fn deadline(&self) -> Option<Deadline> {
        self.deadline
    }

    /// Sets the deadline; an existing earlier deadline wins.
    pub fn limit_deadline(&mut self, d: Deadline) {
        self.deadline = Some(self.deadline.map_or(d, |old| old.min(d)));
    }

    /// The cancellation token (created on first use).
    pub fn cancellation(&mut self) -> CancellationToken {
        self.cancel.get_or_insert_with(CancellationToken::new).clone()
    }

    /// Cancels this context and its children.
    pub fn cancel(&mut self) {
        self.cancellation().cancel();
    }

    /// True once cancelled (directly or through a parent).
    pub fn is_cancelled(&self) -> bool {
        self.cancel.as_ref().is_some_and(CancellationToken::is_cancelled)
    }

    /// Waits until cancelled; never returns for a context nobody can cancel.
    pub async fn cancelled(&mut self) {
        self.cancellation().cancelled().await
    }

    /// A child context whose deadline is the earlier of `timeout` from now and this one's,
    /// and which is cancelled when this one is. Route, params and extensions are copied.
    pub fn child(&mut self, timeout: Duration) -> RequestContext {
        let parent = self.cancellation();
        let mut child = self.clone();
        child.cancel = Some(parent.child_token());
        child.limit_deadline(Deadline::after(timeout));
        child
    }

    /// The pattern of the matched route (`/users/{id}`), set by a router.
    pub fn route(&self) -> Option<&str> {
        self.route.as_deref()
    }

    /// Records the matched route pattern. Also fills the `route` field of the current
    /// tracing span (the engines' per-request span); a no-op when tracing is off.
    pub fn set_route(&mut self, pattern: Arc<str>) {
        tracing::Span::current().record("route", &*pattern);
        self.route = Some(pattern);
    }

    /// Route parameters.
    pub fn params(&self) -> &Params {
        &self.params
    }

    /// Route parameters, for routers to fill.
    pub fn params_mut(&mut self) -> &mut Params {
        &mut self.params
    }

    /// The client's address, when the transport knows it.
    pub fn peer_addr(&self) -> Option<SocketAddr> {
        self.peer_addr
    }

    /// Typed values attached by middleware or the application (cookies, state, ...).
    pub fn extensions(&self) -> &http::Extensions {
        &self.extensions
    }

    /// Mutable extensions.
    pub fn extensions_mut(&mut self) -> &mut http::Extensions {
        &mut self.extensions
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn child_deadline_is_the_earlier() {
        let mut parent = RequestContext::default();
        parent.limit_deadline(Deadline::after(Duration::from_millis(5)));
        let child = parent.child(Duration::from_secs(60));
        assert_eq!(child.deadline(), parent.deadline());
        let mut parent = RequestContext::default();
        parent.limit_deadline(Deadline::after(Duration::from_secs(60)));
        let child = parent.child(Duration::from_millis(5));
        assert!(child.deadline() < parent.deadline());
    }

    #[test]
    fn cancelling_child_leaves_parent() {
        let mut parent = RequestContext::default();
        let mut child = parent.child(Duration::from_secs(1));
        child.cancel();
        assert!(child.is_cancelled());
        assert!(!parent.is_cancelled());
    }

    #[test]
    fn params_truncate_for_backtracking() {
        let mut p = Params::default();
        p.push("a", "1");
        p.push("b", "2");
        p.truncate(1);
        assert_eq!(p.iter().collect::<Vec<_>>(), vec![("a", "1")]);
    }
}
