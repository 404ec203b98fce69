//! The [`Router`]: a trie of routes, each compiled once into one stream handler with its
//! middleware; dispatch for servers ([`StreamHandler`]) and in-process calls ([`Handler`]).
//!
//! | file | job |
//! |---|---|
//! | `register.rs` | registration forms, sub-router mounting, route maps |
//! | `compile.rs` | middleware compilation |
//! | `answers.rs` | the router's own 404, 405, 400 and OPTIONS answers (RFC 9110 §15.5.6, §9.3.7) |
//! | `matching.rs` | the match API ([`Router::at`], [`Match`]) |

mod answers;
mod compile;
mod matching;
mod register;

use std::collections::HashMap;
use std::sync::Arc;

use http_core::{BoxStreamHandler, Handler, Request, RequestContext, Response, Stream, StreamHandler, stream_as_serve};

use crate::middleware::Middleware;
use crate::pattern::{MethodKey, RegexCache, Shape};
use crate::trie::Trie;

pub use answers::AllowedMethods;
use answers::{Answer, Fallbacks};
pub use matching::{Match, MatchError};
use matching::{Outcome, path_of};

/// One route: its handler as registered, its own middleware, and both compiled together
/// with the router-wide middleware.
#[derive(Clone)]
struct RouteEntry {
    method: MethodKey,
    pattern: Arc<str>,
    names: Arc<[Arc<str>]>,
    /// Whether the pattern ends in `**` (its last parameter is the rest of the path).
    rest: bool,
    endpoint: BoxStreamHandler,
    layers: Vec<Middleware>,
    compiled: BoxStreamHandler,
}

impl std::fmt::Debug for RouteEntry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.describe())
    }
}

impl RouteEntry {
    fn describe(&self) -> String {
        format!("{} {}", self.method.as_str(), self.pattern)
    }
}

/// A trie router: HTTP.jl's `Router` and `register!`, Go/Starlark's `"GET /users/{id}"`.
///
/// See the [crate documentation](crate) for the matching rules. Build it with the
/// by-value methods ([`route`](Router::route), [`mount`](Router::mount),
/// [`use_middleware`](Router::use_middleware)), or from a route map
/// ([`from_routes`](Router::from_routes), [`routes!`](crate::routes)). It is a
/// [`StreamHandler`] — what servers run — and a [`Handler`], for in-process calls.
///
/// ```
/// use http_core::{Method, Request, testing};
/// use http_router::Router;
/// async fn user(req: Request) -> String {
///     format!("user {}", req.param("id").unwrap_or("?"))
/// }
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let router = Router::new()
///     .route("GET /users/{id}", user)
///     .route("GET /users/me", |_r: Request| async { "me" });
/// let r = testing::call(&router, Request::new(Method::GET, "/users/42")).await;
/// assert_eq!(r.text(), "user 42");
/// let r = testing::call_stream(&router, Request::new(Method::GET, "/users/me")).await;
/// assert_eq!(r.text(), "me");
/// # }
/// ```
#[derive(Clone)]
pub struct Router {
    root: Trie,
    routes: Vec<RouteEntry>,
    shapes: HashMap<(MethodKey, Vec<Shape>), usize>,
    regex_cache: RegexCache,
    middleware: Vec<Middleware>,
    fallbacks: Fallbacks,
}

impl Default for Router {
    fn default() -> Self {
        Router::new()
    }
}

impl std::fmt::Debug for Router {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Router")
            .field("routes", &self.routes.iter().map(RouteEntry::describe).collect::<Vec<_>>())
            .field("middleware", &self.middleware.len())
            .finish()
    }
}

impl Router {
    /// An empty router: every request gets 404 (`Not Found` as text).
    ///
    /// ```
    /// assert!(http_router::Router::new().is_empty());
    /// ```
    pub fn new() -> Self {
        Router {
            root: Trie::default(),
            routes: Vec::new(),
            shapes: HashMap::new(),
            regex_cache: RegexCache::new(),
            middleware: Vec::new(),
            fallbacks: Fallbacks::new(),
        }
    }

    /// The number of routes (one per method and pattern).
    ///
    /// ```
    /// use http_core::Request;
    /// let r = http_router::Router::new().route("GET /a", |_r: Request| async { "" }).route("POST /a", |_r: Request| async { "" });
    /// assert_eq!(r.len(), 2);
    /// ```
    pub fn len(&self) -> usize {
        self.routes.len()
    }

    /// True without routes.
    ///
    /// ```
    /// use http_core::Request;
    /// let r = http_router::Router::new();
    /// assert!(r.is_empty());
    /// assert!(!r.route("GET /", |_r: Request| async { "" }).is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.routes.is_empty()
    }

    /// The registered routes as `(method, pattern)`, method `*` for any, in registration
    /// order.
    ///
    /// ```
    /// use http_core::Request;
    /// let r = http_router::Router::new().route("GET /a/{x}", |_r: Request| async { "" });
    /// assert_eq!(r.routes().collect::<Vec<_>>(), [("GET", "/a/{x}")]);
    /// ```
    pub fn routes(&self) -> impl Iterator<Item = (&str, &str)> {
        self.routes.iter().map(|e| (e.method.as_str(), &*e.pattern))
    }
}

impl Router {
    /// The compiled handler for a lookup outcome; records the route and its parameters,
    /// or the allowed methods, in the request context.
    fn select(&self, outcome: Outcome, ctx: &mut RequestContext) -> &BoxStreamHandler {
        let (answer, allow) = match outcome {
            Outcome::Route(id, params) => {
                let entry = &self.routes[id];
                ctx.set_route(entry.pattern.clone());
                *ctx.params_mut() = params;
                return &entry.compiled;
            }
            Outcome::NotFound => (Answer::NotFound, None),
            Outcome::BadRequest => (Answer::BadRequest, None),
            Outcome::WrongMethod(a) => (Answer::MethodNotAllowed, Some(a)),
            Outcome::Options(a) => (Answer::Options, Some(a)),
        };
        if let Some(allow) = allow {
            ctx.extensions_mut().insert(allow);
        }
        self.fallbacks.compiled(answer)
    }
}

/// For in-process calls (tests, tower): a serve-style route is called directly, a stream
/// route through [`stream_as_serve`].
impl Handler for Router {
    async fn call(&self, mut req: Request) -> Response {
        let outcome = self.lookup(req.method(), path_of(req.uri()));
        let handler = self.select(outcome, req.context_mut());
        stream_as_serve(handler.clone()).call(req).await
    }
}

impl StreamHandler for Router {
    async fn call(&self, s: &mut Stream) {
        let outcome = {
            let head = s.startread();
            let path = path_of(&head.uri);
            match self.lookup(&head.method, path) {
                // RFC 8441: an HTTP/2 extended CONNECT (`:protocol`) is HTTP/1.1's GET with
                // `Upgrade`; without a CONNECT route of its own it goes to the GET route, so
                // `GET /ws` serves WebSockets over both versions.
                matching::Outcome::NotFound | matching::Outcome::WrongMethod(_)
                    if head.method == http_core::Method::CONNECT && s.upgrade_protocol().is_some() =>
                {
                    self.lookup(&http_core::Method::GET, path)
                }
                outcome => outcome,
            }
        };
        self.select(outcome, s.context_mut()).call(s).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_core::{Method, testing};

    fn h(tag: &'static str) -> impl Handler {
        move |_r: Request| async move { tag }
    }

    #[tokio::test]
    async fn an_extended_connect_goes_to_the_get_route() {
        use http_core::engine::ConnectProtocol;
        async fn which(s: &mut Stream) {
            let _ = s.write(format!("{} {:?}", s.startread().method, s.upgrade_protocol())).await;
        }
        let r = Router::new().route_stream("GET /ws", which).route_stream("CONNECT /tunnel", which);
        let connect = |path: &str, protocol: Option<&str>| {
            let mut req = Request::new(Method::CONNECT, path);
            if let Some(p) = protocol {
                req.context_mut().extensions_mut().insert(ConnectProtocol::new(p));
            }
            req
        };
        let ws = testing::call_stream(&r, connect("/ws", Some("websocket"))).await;
        assert_eq!(ws.text(), "CONNECT Some(\"websocket\")");
        let plain = testing::call_stream(&r, connect("/ws", None)).await;
        assert_eq!(plain.status.as_u16(), 405, "a plain CONNECT is no upgrade");
        let own = testing::call_stream(&r, connect("/tunnel", Some("websocket"))).await;
        assert_eq!(own.text(), "CONNECT Some(\"websocket\")", "a CONNECT route keeps its own");
    }

    #[tokio::test]
    async fn lookup_finds_the_entry_of_the_match() {
        let r = Router::new().route("GET /a", h("a")).route("GET /b", h("b")).route("POST /b", h("pb"));
        for (m, p, want) in [(Method::GET, "/a", "a"), (Method::GET, "/b", "b"), (Method::POST, "/b", "pb")] {
            assert_eq!(testing::call(&r, Request::new(m.clone(), p)).await.text(), want);
            assert_eq!(testing::call_stream(&r, Request::new(m, p)).await.text(), want);
        }
    }
}
