//! Registration: the route forms (serve-style and stream, with or without their own
//! middleware, HTTP.jl's `register!`), route maps and sub-router mounting. Each route is
//! checked for conflicts and compiled once, here.

use std::sync::Arc;

use http_core::{BoxStreamHandler, Handler, StreamHandler};

use super::compile::compile;
use super::{RouteEntry, Router};
use crate::error::RouteError;
use crate::middleware::Middleware;
use crate::pattern::{MethodKey, Segment, parse_path, split_method};

impl Router {
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
        self.add(method, path, BoxStreamHandler::from_serve(handler), Vec::new())?;
        Ok(self)
    }

    /// Adds a stream (listen-style) route; see [`route`](Router::route) for the pattern.
    /// An HTTP/2 extended CONNECT (RFC 8441, e.g. a WebSocket) for a path without a
    /// `CONNECT` route goes to its `GET` route, as the HTTP/1.1 `GET` + `Upgrade` would.
    /// Its parameters are in the stream's context: `s.context().params().get("id")`.
    ///
    /// # Panics
    /// Like [`route`](Router::route).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// use http_core::{Method, Request, Stream, testing};
    /// async fn events(s: &mut Stream) {
    ///     let topic = s.context().params().get("topic").unwrap_or("all").to_owned();
    ///     let _ = s.write(format!("data: {topic}\n\n")).await;
    /// }
    /// let r = http_router::Router::new().route_stream("GET /events/{topic}", events);
    /// assert_eq!(testing::call_stream(&r, Request::new(Method::GET, "/events/news")).await.text(), "data: news\n\n");
    /// # }
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
        self.add(method, path, BoxStreamHandler::new(handler), Vec::new())?;
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
            .and_then(|(method, path)| self.add(method, path, BoxStreamHandler::from_serve(handler), layers));
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
        let added = split_method(pattern)
            .and_then(|(method, path)| self.add(method, path, BoxStreamHandler::new(handler), layers));
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
        self.add(key, path, BoxStreamHandler::from_serve(handler), Vec::new())?;
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
        self.add(key, path, BoxStreamHandler::new(handler), Vec::new())?;
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

    pub(super) fn add(
        &mut self,
        method: MethodKey,
        path: &str,
        endpoint: BoxStreamHandler,
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
        let compiled = compile(&endpoint, &self.middleware, &layers);
        let names = parsed.param_names().into();
        let rest = matches!(parsed.segments.last(), Some(Segment::CatchAll));
        self.routes.push(RouteEntry { method, pattern, names, rest, endpoint, layers, compiled });
        Ok(())
    }
}
