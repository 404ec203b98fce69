//! The [`Router`]: registration forms, dispatch, 404/405/400, HEAD and OPTIONS, sub-router
//! mounting and route maps.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::Arc;

use http_core::{
    BoxHandler, BoxStreamHandler, Handler, HeaderValue, Method, Params, Request, Response, StatusCode, Stream,
    StreamHandler, header, streamhandler,
};

use crate::adapt::StreamAsHandler;
use crate::error::RouteError;
use crate::middleware::Middleware;
use crate::pattern::{MethodKey, RegexCache, Segment, Shape, parse_path, split_method};
use crate::percent::{percent_decode, validate_path};
use crate::trie::{Captures, FxMap, Leaves, Lookup, Node, push_leaf};

/// What a route runs: a serve-style or a stream handler.
#[derive(Clone)]
enum Endpoint {
    Serve(BoxHandler),
    Stream(BoxStreamHandler),
}

/// A route's handler with every middleware applied, in both calling forms.
#[derive(Clone)]
struct Compiled {
    serve: BoxHandler,
    stream: BoxStreamHandler,
}

fn compile(endpoint: &Endpoint, outer: &[Middleware], inner: &[Middleware]) -> Compiled {
    let layers = outer.iter().chain(inner).rev();
    match endpoint {
        Endpoint::Serve(h) => {
            let serve = layers.fold(h.clone(), |h, m| m.wrap(h));
            Compiled { stream: BoxStreamHandler::new(streamhandler(serve.clone())), serve }
        }
        Endpoint::Stream(h) => {
            let stream = layers.fold(h.clone(), |h, m| m.wrap_stream(h));
            Compiled { serve: BoxHandler::new(StreamAsHandler::from_boxed(stream.clone())), stream }
        }
    }
}

#[derive(Clone)]
struct RouteEntry {
    method: MethodKey,
    pattern: Arc<str>,
    names: Arc<[Arc<str>]>,
    endpoint: Endpoint,
    layers: Vec<Middleware>,
    compiled: Compiled,
}

impl RouteEntry {
    fn describe(&self) -> String {
        format!("{} {}", self.method.as_str(), self.pattern)
    }
}

/// The router's own answers, compiled with the router-wide middleware.
#[derive(Clone)]
struct Fallbacks {
    not_found: Endpoint,
    method_not_allowed: Endpoint,
    compiled: [Compiled; 4],
}

const NOT_FOUND: usize = 0;
const METHOD_NOT_ALLOWED: usize = 1;
const OPTIONS: usize = 2;
const BAD_REQUEST: usize = 3;

fn builtin_options() -> Endpoint {
    Endpoint::Serve(BoxHandler::new(|_r: Request| async { StatusCode::NO_CONTENT }))
}

/// Adds the `Allow` header (from the [`AllowedMethods`] extension the router inserted)
/// to a 405 or OPTIONS response that has none.
fn with_allow(endpoint: &Endpoint) -> Endpoint {
    let Endpoint::Serve(inner) = endpoint else { return endpoint.clone() };
    let inner = inner.clone();
    Endpoint::Serve(BoxHandler::new(move |req: Request| {
        let inner = inner.clone();
        async move {
            let value = req.context().extensions().get::<AllowedMethods>().map(allow_header);
            let mut resp = inner.call(req).await;
            match value {
                Some(value) if !resp.headers().contains_key(header::ALLOW) => {
                    resp.headers_mut().insert(header::ALLOW, value);
                }
                _ => {}
            }
            resp
        }
    }))
}

fn builtin_bad_request() -> Endpoint {
    Endpoint::Serve(BoxHandler::new(|_r: Request| async { Response::error(StatusCode::BAD_REQUEST) }))
}

/// The methods a path answers to, for the `Allow` header of 405 and OPTIONS responses.
/// Inserted into the request context's extensions before the 405 handler runs.
///
/// ```
/// use http_core::{Method, Request, testing};
/// use http_router::Router;
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let r = Router::new().route("GET /x", |_r: Request| async { "" }).route("DELETE /x", |_r: Request| async { "" });
/// let resp = testing::call(&r, Request::new(Method::POST, "/x")).await;
/// assert_eq!(resp.status.as_u16(), 405);
/// assert_eq!(resp.header("allow"), Some("GET, HEAD, DELETE, OPTIONS"));
/// # }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllowedMethods {
    methods: Vec<Method>,
}

fn method_rank(m: &Method) -> (u8, &str) {
    let rank = match *m {
        Method::GET => 0,
        Method::HEAD => 1,
        Method::POST => 2,
        Method::PUT => 3,
        Method::PATCH => 4,
        Method::DELETE => 5,
        Method::CONNECT => 6,
        Method::OPTIONS => 7,
        Method::TRACE => 8,
        _ => 9,
    };
    (rank, m.as_str())
}

impl AllowedMethods {
    fn from_methods<'a>(methods: impl IntoIterator<Item = &'a Method>) -> Self {
        let mut v: Vec<Method> = Vec::new();
        for m in methods {
            if !v.contains(m) {
                v.push(m.clone());
            }
        }
        if v.contains(&Method::GET) && !v.contains(&Method::HEAD) {
            v.push(Method::HEAD);
        }
        if !v.contains(&Method::OPTIONS) {
            v.push(Method::OPTIONS);
        }
        v.sort_by(|a, b| method_rank(a).cmp(&method_rank(b)));
        AllowedMethods { methods: v }
    }

    /// The methods, in a fixed order (GET, HEAD, POST, PUT, PATCH, DELETE, CONNECT,
    /// OPTIONS, TRACE, then extension methods by name).
    ///
    /// ```
    /// use http_core::{Method, Request};
    /// use http_router::{MatchError, Router};
    /// let r = Router::new().route("POST /a", |_r: Request| async { "" }).route("GET /a", |_r: Request| async { "" });
    /// let Err(MatchError::MethodNotAllowed(allowed)) = r.at(&Method::DELETE, "/a") else { panic!() };
    /// assert_eq!(allowed.methods(), [Method::GET, Method::HEAD, Method::POST, Method::OPTIONS]);
    /// ```
    pub fn methods(&self) -> &[Method] {
        &self.methods
    }

    /// True when `method` is allowed.
    ///
    /// ```
    /// use http_core::{Method, Request};
    /// use http_router::{MatchError, Router};
    /// let r = Router::new().route("GET /a", |_r: Request| async { "" });
    /// let Err(MatchError::MethodNotAllowed(allowed)) = r.at(&Method::PUT, "/a") else { panic!() };
    /// assert!(allowed.contains(&Method::HEAD), "GET routes answer HEAD too");
    /// assert!(!allowed.contains(&Method::PUT));
    /// ```
    pub fn contains(&self, method: &Method) -> bool {
        self.methods.contains(method)
    }

    /// The `Allow` header value: `GET, HEAD, OPTIONS`.
    ///
    /// ```
    /// use http_core::{Method, Request};
    /// use http_router::{MatchError, Router};
    /// let r = Router::new().route("GET /a", |_r: Request| async { "" });
    /// let Err(MatchError::MethodNotAllowed(allowed)) = r.at(&Method::POST, "/a") else { panic!() };
    /// assert_eq!(allowed.header_value(), "GET, HEAD, OPTIONS");
    /// ```
    pub fn header_value(&self) -> String {
        self.methods.iter().map(Method::as_str).collect::<Vec<_>>().join(", ")
    }
}

/// Why [`Router::at`] found no route.
///
/// ```
/// use http_core::{Method, Request};
/// use http_router::{MatchError, Router};
/// let r = Router::new().route("GET /users/{id}", |_r: Request| async { "" });
/// assert_eq!(r.at(&Method::GET, "/nope").unwrap_err(), MatchError::NotFound);
/// assert!(matches!(r.at(&Method::POST, "/users/1"), Err(MatchError::MethodNotAllowed(_))));
/// assert_eq!(r.at(&Method::GET, "/users/%zz").unwrap_err(), MatchError::BadRequest);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MatchError {
    /// No route matches the path (404).
    NotFound,
    /// Routes match the path, none for this method (405; for OPTIONS the router answers
    /// 204 itself).
    MethodNotAllowed(AllowedMethods),
    /// The path has invalid percent-encoding (400).
    BadRequest,
}

/// A successful [`Router::at`] lookup: the route and its parameters, decoded on demand.
///
/// ```
/// use http_core::{Method, Request};
/// let r = http_router::Router::new().route("GET /users/{id}/posts/{post}", |_r: Request| async { "" });
/// let m = r.at(&Method::GET, "/users/7/posts/hello%20world").unwrap();
/// assert_eq!(m.pattern(), "/users/{id}/posts/{post}");
/// assert_eq!(m.param("post").as_deref(), Some("hello world"));
/// ```
#[derive(Debug, Clone, Copy)]
pub struct Match<'r, 'p> {
    id: usize,
    method: &'r str,
    pattern: &'r str,
    names: &'r [Arc<str>],
    path: &'p str,
    /// Whether the path holds `%` escapes (otherwise values are borrowed as they are).
    decode: bool,
    caps: Captures,
}

impl<'r, 'p> Match<'r, 'p> {
    /// The registered path pattern (`/users/{id}`), what [`getroute`] returns.
    ///
    /// ```
    /// use http_core::{Method, Request};
    /// let r = http_router::Router::new().route("GET /users/{id}", |_r: Request| async { "" });
    /// assert_eq!(r.at(&Method::GET, "/users/7").unwrap().pattern(), "/users/{id}");
    /// ```
    pub fn pattern(&self) -> &'r str {
        self.pattern
    }

    /// The registered method, `*` for an any-method route.
    ///
    /// ```
    /// use http_core::{Method, Request};
    /// let r = http_router::Router::new()
    ///     .route("GET /a", |_r: Request| async { "" })
    ///     .route("/any", |_r: Request| async { "" });
    /// assert_eq!(r.at(&Method::GET, "/a").unwrap().method(), "GET");
    /// assert_eq!(r.at(&Method::PATCH, "/any").unwrap().method(), "*");
    /// ```
    pub fn method(&self) -> &'r str {
        self.method
    }

    /// The number of captured parameters.
    ///
    /// ```
    /// use http_core::{Method, Request};
    /// let r = http_router::Router::new().route("GET /a/{x}/{y}", |_r: Request| async { "" });
    /// assert_eq!(r.at(&Method::GET, "/a/1/2").unwrap().len(), 2);
    /// ```
    pub fn len(&self) -> usize {
        self.names.len()
    }

    /// True when the route captures nothing.
    ///
    /// ```
    /// use http_core::{Method, Request};
    /// let r = http_router::Router::new().route("GET /health", |_r: Request| async { "" });
    /// assert!(r.at(&Method::GET, "/health").unwrap().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    /// A parameter, percent-decoded (borrowed from the path when nothing needed decoding).
    ///
    /// ```
    /// use http_core::{Method, Request};
    /// let r = http_router::Router::new().route("GET /files/{name}", |_r: Request| async { "" });
    /// let m = r.at(&Method::GET, "/files/a%20b.txt").unwrap();
    /// assert_eq!(m.param("name").as_deref(), Some("a b.txt"));
    /// assert_eq!(m.param("other"), None);
    /// ```
    pub fn param(&self, name: &str) -> Option<Cow<'p, str>> {
        let i = self.names.iter().position(|n| &**n == name)?;
        Some(self.value(i))
    }

    /// All parameters, in pattern order.
    ///
    /// ```
    /// use http_core::{Method, Request};
    /// let r = http_router::Router::new().route("GET /{a}/{b}", |_r: Request| async { "" });
    /// let m = r.at(&Method::GET, "/x/y").unwrap();
    /// let params: Vec<(&str, String)> = m.params().map(|(n, v)| (n, v.into_owned())).collect();
    /// assert_eq!(params, [("a", "x".to_string()), ("b", "y".to_string())]);
    /// ```
    pub fn params(&self) -> impl Iterator<Item = (&'r str, Cow<'p, str>)> + '_ {
        self.names.iter().enumerate().map(|(i, n)| (&**n, self.value(i)))
    }

    fn value(&self, i: usize) -> Cow<'p, str> {
        let (s, e) = self.caps.ranges()[i];
        let raw = &self.path[s as usize..e as usize];
        if &*self.names[i] == "**" {
            decode_rest(raw)
        } else if !self.decode {
            Cow::Borrowed(raw)
        } else {
            percent_decode(raw).unwrap_or(Cow::Borrowed(raw))
        }
    }

    fn to_params(self) -> Params {
        let mut p = Params::default();
        for i in 0..self.names.len() {
            p.push(self.names[i].clone(), self.value(i).into_owned());
        }
        p
    }
}

/// The value of a `**` capture: the remaining segments, each decoded, joined by `/`
/// (empty segments dropped, as everywhere in matching).
fn decode_rest(raw: &str) -> Cow<'_, str> {
    if !raw.contains('%') && !raw.contains("//") {
        return Cow::Borrowed(raw);
    }
    let parts: Vec<Cow<'_, str>> =
        raw.split('/').filter(|s| !s.is_empty()).map(|s| percent_decode(s).unwrap_or(Cow::Borrowed(s))).collect();
    Cow::Owned(parts.join("/"))
}

enum Outcome {
    Route(usize, Params),
    NotFound,
    BadRequest,
    WrongMethod(AllowedMethods),
    Options(AllowedMethods),
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
    root: Node,
    /// Fully static routes by normalized path: one hash lookup answers them, since an
    /// all-exact match is always the first the trie search would find.
    statics: FxMap<Box<str>, Leaves>,
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
        let not_found =
            Endpoint::Serve(BoxHandler::new(|_r: Request| async { Response::error(StatusCode::NOT_FOUND) }));
        let method_not_allowed =
            Endpoint::Serve(BoxHandler::new(|_r: Request| async { Response::error(StatusCode::METHOD_NOT_ALLOWED) }));
        let mut router = Router {
            root: Node::default(),
            statics: FxMap::default(),
            routes: Vec::new(),
            shapes: HashMap::new(),
            regex_cache: RegexCache::new(),
            middleware: Vec::new(),
            fallbacks: Fallbacks {
                compiled: [
                    compile(&not_found, &[], &[]),
                    compile(&method_not_allowed, &[], &[]),
                    compile(&builtin_options(), &[], &[]),
                    compile(&builtin_bad_request(), &[], &[]),
                ],
                not_found,
                method_not_allowed,
            },
        };
        router.recompile_fallbacks();
        router
    }

    /// Adds a serve-style route. `pattern` is `"METHOD /path"` (Go/Starlark style) or
    /// `"/path"` for every method.
    ///
    /// # Panics
    /// When the pattern is invalid or conflicts with a route already registered (the
    /// message names both); use [`try_route`](Router::try_route) to get the error.
    ///
    /// ```
    /// use http_core::Request;
    /// let r = http_router::Router::new()
    ///     .route("GET /health", |_r: Request| async { "ok" })
    ///     .route("/echo", |r: Request| async move { r.method().to_string() });
    /// assert_eq!(r.len(), 2);
    /// ```
    pub fn route(self, pattern: &str, handler: impl Handler) -> Self {
        self.try_route(pattern, handler).unwrap_or_else(|e| panic!("{e}"))
    }

    /// [`route`](Router::route), returning registration errors.
    ///
    /// ```
    /// use http_core::Request;
    /// let err = http_router::Router::new().try_route("GET users", |_r: Request| async { "" }).unwrap_err();
    /// assert!(err.to_string().contains("must start with `/`"));
    /// ```
    pub fn try_route(mut self, pattern: &str, handler: impl Handler) -> Result<Self, RouteError> {
        let (method, path) = split_method(pattern)?;
        self.add(method, path, Endpoint::Serve(BoxHandler::new(handler)), Vec::new())?;
        Ok(self)
    }

    /// Adds a stream (listen-style) route; see [`route`](Router::route) for the pattern.
    /// An HTTP/2 extended CONNECT (RFC 8441, e.g. a WebSocket) for a path without a
    /// `CONNECT` route goes to its `GET` route, as the HTTP/1.1 `GET` + `Upgrade` would.
    ///
    /// # Panics
    /// Like [`route`](Router::route).
    ///
    /// ```
    /// use http_core::Stream;
    /// async fn events(s: &mut Stream) {
    ///     let _ = s.write("data: hi\n\n").await;
    /// }
    /// let r = http_router::Router::new().route_stream("GET /events", events);
    /// assert_eq!(r.len(), 1);
    /// ```
    pub fn route_stream(self, pattern: &str, handler: impl StreamHandler) -> Self {
        self.try_route_stream(pattern, handler).unwrap_or_else(|e| panic!("{e}"))
    }

    /// [`route_stream`](Router::route_stream), returning registration errors.
    ///
    /// ```
    /// use http_core::Stream;
    /// async fn h(_s: &mut Stream) {}
    /// assert!(http_router::Router::new().try_route_stream("GET /a/**/b", h).is_err());
    /// ```
    pub fn try_route_stream(mut self, pattern: &str, handler: impl StreamHandler) -> Result<Self, RouteError> {
        let (method, path) = split_method(pattern)?;
        self.add(method, path, Endpoint::Stream(BoxStreamHandler::new(handler)), Vec::new())?;
        Ok(self)
    }

    /// Adds a serve-style route with its own middleware, applied inside the router-wide
    /// middleware; the first in `middleware` is the outermost.
    ///
    /// # Panics
    /// Like [`route`](Router::route).
    ///
    /// ```
    /// use std::time::Duration;
    /// use http_core::Request;
    /// use http_router::{Router, catch_panics, handlertimeout, Middleware};
    /// let r = Router::new().route_with(
    ///     "GET /report",
    ///     |_r: Request| async { "done" },
    ///     [Middleware::new(catch_panics()), Middleware::new(handlertimeout(Duration::from_secs(2)))],
    /// );
    /// # let _ = r;
    /// ```
    pub fn route_with<M: Into<Middleware>>(
        mut self,
        pattern: &str,
        handler: impl Handler,
        middleware: impl IntoIterator<Item = M>,
    ) -> Self {
        let layers = middleware.into_iter().map(Into::into).collect();
        let added = split_method(pattern)
            .and_then(|(method, path)| self.add(method, path, Endpoint::Serve(BoxHandler::new(handler)), layers));
        added.unwrap_or_else(|e| panic!("{e}"));
        self
    }

    /// [`route_with`](Router::route_with) for a stream handler.
    ///
    /// # Panics
    /// Like [`route`](Router::route).
    ///
    /// ```
    /// use http_core::Stream;
    /// async fn h(s: &mut Stream) { let _ = s.write("x").await; }
    /// let r = http_router::Router::new().route_stream_with("GET /s", h, [http_router::logging()]);
    /// # let _ = r;
    /// ```
    pub fn route_stream_with<M: Into<Middleware>>(
        mut self,
        pattern: &str,
        handler: impl StreamHandler,
        middleware: impl IntoIterator<Item = M>,
    ) -> Self {
        let layers = middleware.into_iter().map(Into::into).collect();
        let added = split_method(pattern).and_then(|(method, path)| {
            self.add(method, path, Endpoint::Stream(BoxStreamHandler::new(handler)), layers)
        });
        added.unwrap_or_else(|e| panic!("{e}"));
        self
    }

    /// HTTP.jl's `register!(router, method, path, handler)`: `method` is a method name or
    /// `"*"` for every method.
    ///
    /// ```
    /// use http_core::Request;
    /// let mut r = http_router::Router::new();
    /// r.register("GET", "/a", |_r: Request| async { "a" }).unwrap();
    /// r.register("*", "/b", |_r: Request| async { "b" }).unwrap();
    /// assert!(r.register("GET", "/a", |_r: Request| async { "again" }).is_err());
    /// ```
    pub fn register(&mut self, method: &str, path: &str, handler: impl Handler) -> Result<&mut Self, RouteError> {
        let key = MethodKey::parse(method, path)?;
        self.add(key, path, Endpoint::Serve(BoxHandler::new(handler)), Vec::new())?;
        Ok(self)
    }

    /// [`register`](Router::register) for a stream handler.
    ///
    /// ```
    /// use http_core::Stream;
    /// async fn h(_s: &mut Stream) {}
    /// let mut r = http_router::Router::new();
    /// r.register_stream("GET", "/s", h).unwrap();
    /// ```
    pub fn register_stream(
        &mut self,
        method: &str,
        path: &str,
        handler: impl StreamHandler,
    ) -> Result<&mut Self, RouteError> {
        let key = MethodKey::parse(method, path)?;
        self.add(key, path, Endpoint::Stream(BoxStreamHandler::new(handler)), Vec::new())?;
        Ok(self)
    }

    /// Builds a router from a route map, Starlark's `http.serve({pattern: handler})`. The
    /// order of the entries does not matter (matching never depends on it), so a
    /// `HashMap` works as well as a list. See also [`routes!`](crate::routes).
    ///
    /// ```
    /// use http_core::{BoxHandler, Request};
    /// let router = http_router::Router::from_routes([
    ///     ("GET /healthz", BoxHandler::new(|_r: Request| async { "ok" })),
    ///     ("GET /version", BoxHandler::new(|_r: Request| async { "v1" })),
    /// ])
    /// .unwrap();
    /// assert_eq!(router.len(), 2);
    /// ```
    pub fn from_routes<I, P, H>(routes: I) -> Result<Self, RouteError>
    where
        I: IntoIterator<Item = (P, H)>,
        P: AsRef<str>,
        H: Handler,
    {
        routes.into_iter().try_fold(Router::new(), |r, (p, h)| r.try_route(p.as_ref(), h))
    }

    /// Mounts every route of `sub` under `prefix` (which may contain parameters, not
    /// `**`). `sub`'s router-wide middleware stays with its routes, inside this router's;
    /// its 404/405 handlers are not used (this router's answer for the whole tree).
    ///
    /// # Panics
    /// When the prefix is invalid or a mounted route conflicts; see
    /// [`try_mount`](Router::try_mount).
    ///
    /// ```
    /// use http_core::{Method, Request, testing};
    /// use http_router::Router;
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let api = Router::new().route("GET /users/{id}", |r: Request| async move { r.route().unwrap().to_owned() });
    /// let app = Router::new().mount("/api/v1", api);
    /// let r = testing::call(&app, Request::new(Method::GET, "/api/v1/users/7")).await;
    /// assert_eq!(r.text(), "/api/v1/users/{id}");
    /// # }
    /// ```
    pub fn mount(self, prefix: &str, sub: Router) -> Self {
        self.try_mount(prefix, sub).unwrap_or_else(|e| panic!("{e}"))
    }

    /// [`mount`](Router::mount), returning registration errors.
    ///
    /// ```
    /// let err = http_router::Router::new().try_mount("/files/**", http_router::Router::new()).unwrap_err();
    /// assert!(err.to_string().contains("`**`"));
    /// ```
    pub fn try_mount(mut self, prefix: &str, sub: Router) -> Result<Self, RouteError> {
        let parsed = parse_path(prefix, &mut self.regex_cache)?;
        if matches!(parsed.segments.last(), Some(Segment::CatchAll)) {
            return Err(RouteError::invalid(prefix, "a mount prefix cannot end in `**`"));
        }
        let base = prefix.trim().trim_end_matches('/');
        for entry in sub.routes {
            let path = match entry.pattern.trim_start_matches('/') {
                "" if base.is_empty() => "/".to_owned(),
                "" => base.to_owned(),
                _ => format!("{base}{}", entry.pattern),
            };
            let layers = sub.middleware.iter().cloned().chain(entry.layers).collect();
            self.add(entry.method, &path, entry.endpoint, layers)?;
        }
        Ok(self)
    }

    /// Adds router-wide middleware (Starlark's `srv.use(fn)`). It wraps every route —
    /// registered before or after this call — and the router's own 404, 405, 400 and
    /// OPTIONS answers. The first added is the outermost.
    ///
    /// ```
    /// use http_core::Request;
    /// use http_router::{Router, catch_panics, logging};
    /// let r = Router::new()
    ///     .use_middleware(logging())        // outermost: sees the 500 below
    ///     .use_middleware(catch_panics())
    ///     .route("GET /", |_r: Request| async { "hi" });
    /// # let _ = r;
    /// ```
    pub fn use_middleware(mut self, middleware: impl Into<Middleware>) -> Self {
        self.middleware.push(middleware.into());
        for entry in &mut self.routes {
            entry.compiled = compile(&entry.endpoint, &self.middleware, &entry.layers);
        }
        self.recompile_fallbacks();
        self
    }

    /// Replaces the 404 handler (HTTP.jl's `_404`). Default: `404 Not Found` as text.
    ///
    /// ```
    /// use http_core::{Request, StatusCode};
    /// let r = http_router::Router::new().not_found(|r: Request| async move {
    ///     (StatusCode::NOT_FOUND, format!("no page at {}", r.path()))
    /// });
    /// # let _ = r;
    /// ```
    pub fn not_found(mut self, handler: impl Handler) -> Self {
        self.fallbacks.not_found = Endpoint::Serve(BoxHandler::new(handler));
        self.recompile_fallbacks();
        self
    }

    /// Replaces the 405 handler (HTTP.jl's `_405`). The router adds the `Allow` header to
    /// its response unless the handler set one; the allowed methods are also in the
    /// request context's extensions as [`AllowedMethods`]. Default: `405 Method Not
    /// Allowed` as text.
    ///
    /// ```
    /// use http_core::{Request, StatusCode};
    /// use http_router::AllowedMethods;
    /// let r = http_router::Router::new().method_not_allowed(|r: Request| async move {
    ///     let allow = r.context().extensions().get::<AllowedMethods>().map(|a| a.header_value());
    ///     (StatusCode::METHOD_NOT_ALLOWED, format!("try {}", allow.unwrap_or_default()))
    /// });
    /// # let _ = r;
    /// ```
    pub fn method_not_allowed(mut self, handler: impl Handler) -> Self {
        self.fallbacks.method_not_allowed = Endpoint::Serve(BoxHandler::new(handler));
        self.recompile_fallbacks();
        self
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

    /// Looks up the route for `method` and `path` without calling it.
    ///
    /// ```
    /// use http_core::{Method, Request};
    /// use http_router::{MatchError, Router};
    /// let r = Router::new().route("GET /files/{name:[a-z]+\\.txt}", |_r: Request| async { "" });
    /// let m = r.at(&Method::GET, "/files/notes.txt").unwrap();
    /// assert_eq!((m.pattern(), m.param("name").as_deref()), ("/files/{name:[a-z]+\\.txt}", Some("notes.txt")));
    /// assert_eq!(r.at(&Method::GET, "/files/NOTES.txt").unwrap_err(), MatchError::NotFound);
    /// assert!(matches!(r.at(&Method::PUT, "/files/a.txt"), Err(MatchError::MethodNotAllowed(_))));
    /// assert_eq!(r.at(&Method::GET, "/files/%zz").unwrap_err(), MatchError::BadRequest);
    /// ```
    pub fn at<'r, 'p>(&'r self, method: &Method, path: &'p str) -> Result<Match<'r, 'p>, MatchError> {
        if let Some(id) = self.statics.get(path).and_then(|leaves| leaves.get(method)) {
            return Ok(self.matched(id, path, false, Captures::default()));
        }
        let decode = path.contains('%');
        if decode && validate_path(path).is_err() {
            return Err(MatchError::BadRequest);
        }
        let mut caps = Captures::default();
        match self.root.find(method, path, decode, &mut caps) {
            Lookup::Route(id) => Ok(self.matched(id, path, decode, caps)),
            Lookup::NotFound => Err(MatchError::NotFound),
            Lookup::WrongMethod(leaves) => Err(MatchError::MethodNotAllowed(allowed(&leaves))),
        }
    }

    fn matched<'r, 'p>(&'r self, id: usize, path: &'p str, decode: bool, caps: Captures) -> Match<'r, 'p> {
        let e = &self.routes[id];
        Match { id, method: e.method.as_str(), pattern: &e.pattern, names: &e.names, path, decode, caps }
    }

    fn add(
        &mut self,
        method: MethodKey,
        path: &str,
        endpoint: Endpoint,
        layers: Vec<Middleware>,
    ) -> Result<(), RouteError> {
        let parsed = parse_path(path, &mut self.regex_cache)?;
        let pattern: Arc<str> = Arc::from(path.trim());
        let conflict = |existing: &RouteEntry| RouteError::Conflict {
            route: format!("{} {}", method.as_str(), pattern),
            existing: existing.describe(),
        };
        let shape = (method.clone(), parsed.shape());
        if let Some(&existing) = self.shapes.get(&shape) {
            return Err(conflict(&self.routes[existing]));
        }
        let id = self.routes.len();
        if let Err(existing) = self.root.insert(&parsed.segments, method.clone(), id) {
            return Err(conflict(&self.routes[existing]));
        }
        self.shapes.insert(shape, id);
        let texts: Option<Vec<&str>> = parsed
            .segments
            .iter()
            .map(|seg| match seg {
                Segment::Exact(t) if !t.contains(['/', '%']) => Some(t.as_str()),
                _ => None,
            })
            .collect();
        if let Some(texts) = texts {
            let key = format!("/{}", texts.join("/"));
            // The shape check above already rejected a second route for this key and method.
            let _ = push_leaf(self.statics.entry(key.into()).or_default(), method.clone(), id);
        }
        let compiled = compile(&endpoint, &self.middleware, &layers);
        let names = parsed.param_names().into();
        self.routes.push(RouteEntry { method, pattern, names, endpoint, layers, compiled });
        Ok(())
    }

    fn recompile_fallbacks(&mut self) {
        let mw = &self.middleware;
        self.fallbacks.compiled = [
            compile(&self.fallbacks.not_found, mw, &[]),
            compile(&with_allow(&self.fallbacks.method_not_allowed), mw, &[]),
            compile(&with_allow(&builtin_options()), mw, &[]),
            compile(&builtin_bad_request(), mw, &[]),
        ];
    }

    fn lookup(&self, method: &Method, path: &str) -> Outcome {
        if path == "*" {
            return if *method == Method::OPTIONS {
                Outcome::Options(AllowedMethods::from_methods(self.routes.iter().filter_map(|e| match &e.method {
                    MethodKey::One(m) => Some(m),
                    MethodKey::Any => None,
                })))
            } else {
                Outcome::NotFound
            };
        }
        match self.at(method, path) {
            Ok(m) => Outcome::Route(m.id, m.to_params()),
            Err(MatchError::NotFound) => Outcome::NotFound,
            Err(MatchError::BadRequest) => Outcome::BadRequest,
            Err(MatchError::MethodNotAllowed(allow)) if *method == Method::OPTIONS => Outcome::Options(allow),
            Err(MatchError::MethodNotAllowed(allow)) => Outcome::WrongMethod(allow),
        }
    }
}

fn allowed(leaves: &[&Leaves]) -> AllowedMethods {
    AllowedMethods::from_methods(leaves.iter().flat_map(|l| l.methods()))
}

fn path_of(uri: &http_core::Uri) -> &str {
    match uri.path() {
        "" => "/",
        p => p,
    }
}

fn allow_header(allow: &AllowedMethods) -> HeaderValue {
    HeaderValue::from_str(&allow.header_value()).unwrap_or_else(|_| HeaderValue::from_static("OPTIONS"))
}

impl Handler for Router {
    async fn call(&self, mut req: Request) -> Response {
        let outcome = self.lookup(req.method(), path_of(req.uri()));
        let (handler, allow) = match outcome {
            Outcome::Route(id, params) => {
                let entry = &self.routes[id];
                let ctx = req.context_mut();
                ctx.set_route(entry.pattern.clone());
                *ctx.params_mut() = params;
                return entry.compiled.serve.call(req).await;
            }
            Outcome::NotFound => (&self.fallbacks.compiled[NOT_FOUND], None),
            Outcome::BadRequest => (&self.fallbacks.compiled[BAD_REQUEST], None),
            Outcome::WrongMethod(a) => (&self.fallbacks.compiled[METHOD_NOT_ALLOWED], Some(a)),
            Outcome::Options(a) => (&self.fallbacks.compiled[OPTIONS], Some(a)),
        };
        if let Some(allow) = allow {
            req.context_mut().extensions_mut().insert(allow);
        }
        handler.serve.call(req).await
    }
}

impl StreamHandler for Router {
    async fn call(&self, s: &mut Stream) {
        let outcome = {
            let head = s.request();
            let path = path_of(&head.uri);
            match self.lookup(&head.method, path) {
                // RFC 8441: an HTTP/2 extended CONNECT (`:protocol`) is HTTP/1.1's GET with
                // `Upgrade`; without a CONNECT route of its own it goes to the GET route, so
                // `GET /ws` serves WebSockets over both versions.
                Outcome::NotFound | Outcome::WrongMethod(_)
                    if head.method == Method::CONNECT && s.upgrade_protocol().is_some() =>
                {
                    self.lookup(&Method::GET, path)
                }
                outcome => outcome,
            }
        };
        let (handler, allow) = match outcome {
            Outcome::Route(id, params) => {
                let entry = &self.routes[id];
                let ctx = s.context_mut();
                ctx.set_route(entry.pattern.clone());
                *ctx.params_mut() = params;
                return entry.compiled.stream.call(s).await;
            }
            Outcome::NotFound => (&self.fallbacks.compiled[NOT_FOUND], None),
            Outcome::BadRequest => (&self.fallbacks.compiled[BAD_REQUEST], None),
            Outcome::WrongMethod(a) => (&self.fallbacks.compiled[METHOD_NOT_ALLOWED], Some(a)),
            Outcome::Options(a) => (&self.fallbacks.compiled[OPTIONS], Some(a)),
        };
        if let Some(allow) = allow {
            s.context_mut().extensions_mut().insert(allow);
        }
        handler.stream.call(s).await
    }
}

/// HTTP.jl's `getroute`: the pattern of the route that matched `req`.
///
/// ```
/// use http_core::{Method, Request, testing};
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let r = http_router::Router::new().route("GET /u/{id}", |req: Request| async move {
///     http_router::getroute(&req).unwrap_or("none").to_owned()
/// });
/// assert_eq!(testing::call(&r, Request::new(Method::GET, "/u/1")).await.text(), "/u/{id}");
/// # }
/// ```
pub fn getroute(req: &Request) -> Option<&str> {
    req.route()
}

/// HTTP.jl's `getparams`: every captured parameter, percent-decoded, in pattern order.
///
/// ```
/// use http_core::{Method, Request, testing};
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let r = http_router::Router::new().route("GET /{a}/{b}", |req: Request| async move {
///     http_router::getparams(&req).iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("&")
/// });
/// assert_eq!(testing::call(&r, Request::new(Method::GET, "/x/y%20z")).await.text(), "a=x&b=y z");
/// # }
/// ```
pub fn getparams(req: &Request) -> &Params {
    req.params()
}

/// HTTP.jl's `getparam(req, name, default)`.
///
/// ```
/// use http_core::{Method, Request};
/// let req = Request::new(Method::GET, "/");
/// assert_eq!(http_router::getparam(&req, "id", "none"), "none");
/// ```
pub fn getparam<'a>(req: &'a Request, name: &str, default: &'a str) -> &'a str {
    req.param(name).unwrap_or(default)
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_core::testing;

    fn h(tag: &'static str) -> impl Handler {
        move |_r: Request| async move { tag }
    }

    #[test]
    fn allowed_methods_order_and_extras() {
        let a = AllowedMethods::from_methods(&[Method::DELETE, Method::GET, Method::from_bytes(b"PURGE").unwrap()]);
        assert_eq!(a.header_value(), "GET, HEAD, DELETE, OPTIONS, PURGE");
        let a = AllowedMethods::from_methods(&[Method::POST]);
        assert_eq!(a.header_value(), "POST, OPTIONS");
    }

    #[test]
    fn decode_rest_table() {
        let cases = [("a/b", "a/b"), ("a//b", "a/b"), ("a%2Fb/c", "a/b/c"), ("x%20y", "x y")];
        for (raw, want) in cases {
            assert_eq!(decode_rest(raw), want, "{raw}");
        }
    }

    #[tokio::test]
    async fn lookup_finds_the_entry_of_the_match() {
        let r = Router::new().route("GET /a", h("a")).route("GET /b", h("b")).route("POST /b", h("pb"));
        for (m, p, want) in [(Method::GET, "/a", "a"), (Method::GET, "/b", "b"), (Method::POST, "/b", "pb")] {
            assert_eq!(testing::call(&r, Request::new(m, p)).await.text(), want);
        }
    }

    #[tokio::test]
    async fn an_extended_connect_goes_to_the_get_route() {
        use http_core::engine::ConnectProtocol;
        async fn which(s: &mut Stream) {
            let _ = s.write(format!("{} {:?}", s.request().method, s.upgrade_protocol())).await;
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

    #[test]
    fn options_asterisk_lists_everything() {
        let r = Router::new().route("GET /a", h("a")).route("PUT /b", h("b"));
        let Outcome::Options(a) = r.lookup(&Method::OPTIONS, "*") else { panic!("options") };
        assert_eq!(a.header_value(), "GET, HEAD, PUT, OPTIONS");
    }
}
