//! Middleware compilation: a route's handler and its middleware become one stream handler,
//! once, when the route is added or middleware is added to the router. A serve-style
//! handler keeps its serve form through serve-style middleware, so neither adapter runs
//! per request there (see [`Middleware`]).

use http_core::BoxStreamHandler;

use super::Router;
use crate::middleware::Middleware;

/// Applies `outer` then `inner` around `endpoint`; the first of each list is the outermost.
pub(super) fn compile(endpoint: &BoxStreamHandler, outer: &[Middleware], inner: &[Middleware]) -> BoxStreamHandler {
    outer.iter().chain(inner).rev().fold(endpoint.clone(), |h, m| m.apply(h))
}

impl Router {
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

    /// Recompiles the router's own answers with the router-wide middleware.
    pub(super) fn recompile_fallbacks(&mut self) {
        self.fallbacks.recompile(&self.middleware);
    }
}
