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
    ///
    /// ```
    /// use std::time::Duration;
    /// let d = http_core::Deadline::after(Duration::from_secs(30));
    /// assert!(d.remaining() > Duration::from_secs(29) && d.remaining() <= Duration::from_secs(30));
    /// ```
    pub fn after(timeout: Duration) -> Self {
        Deadline(Instant::now() + timeout)
    }

    /// At `instant`.
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// let when = Instant::now() + Duration::from_secs(5);
    /// assert_eq!(http_core::Deadline::at(when).instant(), when);
    /// ```
    pub fn at(instant: Instant) -> Self {
        Deadline(instant)
    }

    /// The instant.
    ///
    /// ```
    /// use std::time::Instant;
    /// let now = Instant::now();
    /// let d = http_core::Deadline::after(std::time::Duration::from_secs(1));
    /// assert!(d.instant() > now);
    /// ```
    pub fn instant(self) -> Instant {
        self.0
    }

    /// Time left, zero once passed.
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// let past = http_core::Deadline::at(Instant::now() - Duration::from_millis(1));
    /// assert_eq!(past.remaining(), Duration::ZERO);
    /// ```
    pub fn remaining(self) -> Duration {
        self.0.saturating_duration_since(Instant::now())
    }

    /// True once the deadline has passed.
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// assert!(http_core::Deadline::at(Instant::now()).is_expired());
    /// assert!(!http_core::Deadline::after(Duration::from_secs(60)).is_expired());
    /// ```
    pub fn is_expired(self) -> bool {
        Instant::now() >= self.0
    }

    /// Sleeps until the deadline.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// use std::time::Duration;
    /// let d = http_core::Deadline::after(Duration::from_millis(5));
    /// d.sleep().await;
    /// assert!(d.is_expired());
    /// # }
    /// ```
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
    ///
    /// ```
    /// let mut p = http_core::Params::default();
    /// p.push("user", "ada");
    /// p.push("repo", "engine");
    /// assert_eq!(p.iter().collect::<Vec<_>>(), [("user", "ada"), ("repo", "engine")]);
    /// ```
    pub fn push(&mut self, name: impl Into<Arc<str>>, value: impl Into<String>) {
        self.entries.push((name.into(), value.into()));
    }

    /// The value of `name`.
    ///
    /// ```
    /// let mut p = http_core::Params::default();
    /// p.push("id", "1");
    /// p.push("id", "2");
    /// assert_eq!(p.get("id"), Some("1"), "the first of a name wins");
    /// ```
    pub fn get(&self, name: &str) -> Option<&str> {
        self.entries.iter().find(|(n, _)| &**n == name).map(|(_, v)| v.as_str())
    }

    /// All parameters, in pattern order.
    ///
    /// ```
    /// let mut p = http_core::Params::default();
    /// p.push("a", "1");
    /// p.push("b", "2");
    /// let names: Vec<&str> = p.iter().map(|(n, _)| n).collect();
    /// assert_eq!(names, ["a", "b"]);
    /// ```
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.entries.iter().map(|(n, v)| (&**n, v.as_str()))
    }

    /// Number of parameters.
    ///
    /// ```
    /// let mut p = http_core::Params::default();
    /// assert_eq!(p.len(), 0);
    /// p.push("id", "7");
    /// assert_eq!(p.len(), 1);
    /// ```
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True without parameters.
    ///
    /// ```
    /// let mut p = http_core::Params::default();
    /// assert!(p.is_empty());
    /// p.push("id", "7");
    /// assert!(!p.is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Removes all parameters (kept capacity).
    ///
    /// ```
    /// let mut p = http_core::Params::default();
    /// p.push("id", "7");
    /// p.clear();
    /// assert!(p.is_empty());
    /// ```
    pub fn clear(&mut self) {
        self.entries.clear();
    }

    /// Drops the last `n` parameters (used by routers when backtracking).
    ///
    /// ```
    /// let mut p = http_core::Params::default();
    /// p.push("a", "1");
    /// let mark = p.len();
    /// p.push("b", "2"); // a branch that did not match after all
    /// p.truncate(mark);
    /// assert_eq!((p.len(), p.get("b")), (1, None));
    /// ```
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
    secure: bool,
    forwarded: Option<Box<Forwarded>>,
    extensions: http::Extensions,
}

/// What trusted proxies said about the original request (RFC 7239 `Forwarded`, or
/// `X-Forwarded-For`/`-Proto`/`-Host`), as the server resolved it. Engines set it only
/// when the connection came from a configured trusted proxy; each field is `None` when
/// the proxies did not say (or said something unusable).
///
/// ```
/// use http_core::{Forwarded, RequestContext};
/// let mut cx = RequestContext::with_peer(Some("10.0.0.2:4000".parse().unwrap()));
/// cx.set_forwarded(Forwarded { addr: Some("203.0.113.9:0".parse().unwrap()), https: Some(true), host: None });
/// assert_eq!(cx.client_addr(), Some("203.0.113.9:0".parse().unwrap()));
/// assert_eq!(cx.scheme(), "https");
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Forwarded {
    /// The client's address (port 0 when the proxy gave none).
    pub addr: Option<SocketAddr>,
    /// Whether the client spoke HTTPS to the proxy.
    pub https: Option<bool>,
    /// The `Host` the client asked the proxy for.
    pub host: Option<Box<str>>,
}

impl RequestContext {
    /// A context for a request from `peer`.
    ///
    /// ```
    /// let peer: std::net::SocketAddr = "192.0.2.1:4000".parse().unwrap();
    /// let cx = http_core::RequestContext::with_peer(Some(peer));
    /// assert_eq!(cx.peer_addr(), Some(peer));
    /// assert_eq!(cx.deadline(), None);
    /// ```
    pub fn with_peer(peer: Option<SocketAddr>) -> Self {
        RequestContext { peer_addr: peer, ..Default::default() }
    }

    /// The deadline, if one is set.
    ///
    /// ```
    /// use std::time::Duration;
    /// let mut cx = http_core::RequestContext::default();
    /// assert_eq!(cx.deadline(), None);
    /// let d = http_core::Deadline::after(Duration::from_secs(1));
    /// cx.limit_deadline(d);
    /// assert_eq!(cx.deadline(), Some(d));
    /// ```
    pub fn deadline(&self) -> Option<Deadline> {
        self.deadline
    }

    /// Sets the deadline; an existing earlier deadline wins.
    ///
    /// ```
    /// use std::time::Duration;
    /// use http_core::{Deadline, RequestContext};
    /// let (early, late) = (Deadline::after(Duration::from_secs(1)), Deadline::after(Duration::from_secs(9)));
    /// let mut cx = RequestContext::default();
    /// cx.limit_deadline(early);
    /// cx.limit_deadline(late);
    /// assert_eq!(cx.deadline(), Some(early), "a later deadline never extends it");
    /// ```
    pub fn limit_deadline(&mut self, d: Deadline) {
        self.deadline = Some(self.deadline.map_or(d, |old| old.min(d)));
    }

    /// The cancellation token (created on first use).
    ///
    /// ```
    /// let mut cx = http_core::RequestContext::default();
    /// let token = cx.cancellation();
    /// token.cancel(); // e.g. from another task
    /// assert!(cx.is_cancelled());
    /// ```
    pub fn cancellation(&mut self) -> CancellationToken {
        self.cancel.get_or_insert_with(CancellationToken::new).clone()
    }

    /// Cancels this context and its children.
    ///
    /// ```
    /// let mut cx = http_core::RequestContext::default();
    /// let token = cx.cancellation();
    /// cx.cancel();
    /// assert!(token.is_cancelled() && cx.is_cancelled());
    /// ```
    pub fn cancel(&mut self) {
        self.cancellation().cancel();
    }

    /// True once cancelled (directly or through a parent).
    ///
    /// ```
    /// let mut cx = http_core::RequestContext::default();
    /// assert!(!cx.is_cancelled());
    /// cx.cancel();
    /// assert!(cx.is_cancelled());
    /// ```
    pub fn is_cancelled(&self) -> bool {
        self.cancel.as_ref().is_some_and(CancellationToken::is_cancelled)
    }

    /// Waits until cancelled; never returns for a context nobody can cancel.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let mut cx = http_core::RequestContext::default();
    /// let token = cx.cancellation();
    /// tokio::spawn(async move { token.cancel() });
    /// cx.cancelled().await; // resolves once the spawned task cancels
    /// assert!(cx.is_cancelled());
    /// # }
    /// ```
    pub async fn cancelled(&mut self) {
        self.cancellation().cancelled().await
    }

    /// A child context whose deadline is the earlier of `timeout` from now and this one's,
    /// and which is cancelled when this one is. Route, params and extensions are copied.
    ///
    /// ```
    /// use std::time::Duration;
    /// use http_core::{Deadline, RequestContext};
    /// let mut parent = RequestContext::default();
    /// parent.limit_deadline(Deadline::after(Duration::from_millis(10)));
    /// let mut child = parent.child(Duration::from_secs(60));
    /// assert_eq!(child.deadline(), parent.deadline(), "the parent's earlier deadline wins");
    /// child.cancel();
    /// assert!(!parent.is_cancelled(), "cancelling a child leaves the parent alone");
    /// ```
    pub fn child(&mut self, timeout: Duration) -> RequestContext {
        let parent = self.cancellation();
        let mut child = self.clone();
        child.cancel = Some(parent.child_token());
        child.limit_deadline(Deadline::after(timeout));
        child
    }

    /// The pattern of the matched route (`/users/{id}`), set by a router.
    ///
    /// ```
    /// let mut cx = http_core::RequestContext::default();
    /// assert_eq!(cx.route(), None);
    /// cx.set_route("/users/{id}".into());
    /// assert_eq!(cx.route(), Some("/users/{id}"));
    /// ```
    pub fn route(&self) -> Option<&str> {
        self.route.as_deref()
    }

    /// The matched route pattern as the router holds it: one allocation per route, so
    /// its address names the route (what [`metrics`](crate::metrics) keys on).
    ///
    /// ```
    /// let mut cx = http_core::RequestContext::default();
    /// let pattern: std::sync::Arc<str> = "/users/{id}".into();
    /// cx.set_route(pattern.clone());
    /// assert!(std::sync::Arc::ptr_eq(cx.route_arc().unwrap(), &pattern));
    /// ```
    pub fn route_arc(&self) -> Option<&Arc<str>> {
        self.route.as_ref()
    }

    /// Sets the route without recording it on the current span (it was already).
    pub(crate) fn set_route_quietly(&mut self, pattern: Arc<str>) {
        self.route = Some(pattern);
    }

    /// Records the matched route pattern. Also fills the `route` field of the current
    /// tracing span (the engines' per-request span); a no-op when tracing is off.
    ///
    /// ```
    /// let mut cx = http_core::RequestContext::default();
    /// cx.set_route(std::sync::Arc::from("/files/{**}"));
    /// assert_eq!(cx.route(), Some("/files/{**}"));
    /// ```
    pub fn set_route(&mut self, pattern: Arc<str>) {
        tracing::Span::current().record("route", &*pattern);
        self.route = Some(pattern);
    }

    /// Route parameters.
    ///
    /// ```
    /// let mut cx = http_core::RequestContext::default();
    /// cx.params_mut().push("id", "42");
    /// assert_eq!(cx.params().get("id"), Some("42"));
    /// ```
    pub fn params(&self) -> &Params {
        &self.params
    }

    /// Route parameters, for routers to fill.
    ///
    /// ```
    /// let mut cx = http_core::RequestContext::default();
    /// cx.params_mut().push("slug", "hello-world");
    /// assert_eq!(cx.params().len(), 1);
    /// ```
    pub fn params_mut(&mut self) -> &mut Params {
        &mut self.params
    }

    /// The client's address, when the transport knows it.
    ///
    /// ```
    /// assert_eq!(http_core::RequestContext::default().peer_addr(), None);
    /// let peer = "[::1]:5000".parse().unwrap();
    /// assert_eq!(http_core::RequestContext::with_peer(Some(peer)).peer_addr(), Some(peer));
    /// ```
    pub fn peer_addr(&self) -> Option<SocketAddr> {
        self.peer_addr
    }

    /// Marks the request as received over TLS (set by the engines).
    ///
    /// ```
    /// let mut cx = http_core::RequestContext::default();
    /// cx.set_secure(true);
    /// assert_eq!(cx.scheme(), "https");
    /// ```
    pub fn set_secure(&mut self, secure: bool) {
        self.secure = secure;
    }

    /// Records what trusted proxies said about the client (set by the engines).
    ///
    /// ```
    /// use http_core::{Forwarded, RequestContext};
    /// let mut cx = RequestContext::default();
    /// cx.set_forwarded(Forwarded { host: Some("example.com".into()), ..Forwarded::default() });
    /// assert_eq!(cx.forwarded().and_then(|f| f.host.as_deref()), Some("example.com"));
    /// ```
    pub fn set_forwarded(&mut self, forwarded: Forwarded) {
        self.forwarded = Some(Box::new(forwarded));
    }

    /// What trusted proxies said, if the request came through one.
    ///
    /// ```
    /// assert!(http_core::RequestContext::default().forwarded().is_none());
    /// ```
    pub fn forwarded(&self) -> Option<&Forwarded> {
        self.forwarded.as_deref()
    }

    /// The client's address: the one trusted proxies reported, else the peer's.
    ///
    /// ```
    /// let peer = "192.0.2.1:4000".parse().unwrap();
    /// assert_eq!(http_core::RequestContext::with_peer(Some(peer)).client_addr(), Some(peer));
    /// ```
    pub fn client_addr(&self) -> Option<SocketAddr> {
        self.forwarded.as_ref().and_then(|f| f.addr).or(self.peer_addr)
    }

    /// `"https"` or `"http"`: what trusted proxies reported, else whether this
    /// connection is TLS.
    ///
    /// ```
    /// assert_eq!(http_core::RequestContext::default().scheme(), "http");
    /// ```
    pub fn scheme(&self) -> &'static str {
        let https = self.forwarded.as_ref().and_then(|f| f.https).unwrap_or(self.secure);
        if https { "https" } else { "http" }
    }

    /// The host the client asked for: a trusted proxy's report, else the `Host` header,
    /// else the target's authority.
    ///
    /// ```
    /// use http_core::{Method, Request};
    /// let req = Request::new(Method::GET, "/").with_header("host", "example.org:8080");
    /// assert_eq!(req.context().host(req.head()), Some("example.org:8080"));
    /// ```
    pub fn host<'a>(&'a self, head: &'a crate::RequestHead) -> Option<&'a str> {
        if let Some(h) = self.forwarded.as_ref().and_then(|f| f.host.as_deref()) {
            return Some(h);
        }
        head.headers
            .get(http::header::HOST)
            .and_then(|v| v.to_str().ok())
            .or_else(|| head.uri.authority().map(|a| a.as_str()))
    }

    /// Typed values attached by middleware or the application (cookies, state, ...).
    ///
    /// ```
    /// #[derive(Clone, Debug, PartialEq)]
    /// struct UserId(u64);
    /// let mut cx = http_core::RequestContext::default();
    /// cx.extensions_mut().insert(UserId(7));
    /// assert_eq!(cx.extensions().get::<UserId>(), Some(&UserId(7)));
    /// ```
    pub fn extensions(&self) -> &http::Extensions {
        &self.extensions
    }

    /// Mutable extensions.
    ///
    /// ```
    /// let mut cx = http_core::RequestContext::default();
    /// cx.extensions_mut().insert(5u32);
    /// *cx.extensions_mut().get_mut::<u32>().unwrap() += 1;
    /// assert_eq!(cx.extensions().get::<u32>(), Some(&6));
    /// ```
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
