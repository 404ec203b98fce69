//! The operational endpoints a server answers itself, before the application's handler:
//! `/healthz` and `/readyz` ([`ServerOptions::health_endpoints`], read from the server's
//! [`Health`]) and `/metrics` ([`ServerOptions::metrics_endpoint`]). Off by default; when
//! off, a request costs one branch here.
//!
//! [`ServerOptions::health_endpoints`]: crate::ServerOptions::health_endpoints
//! [`ServerOptions::metrics_endpoint`]: crate::ServerOptions::metrics_endpoint

use http::{Method, StatusCode};
use http_core::metrics::Metrics;
use http_core::{Health, Stream, StreamHandler};

use crate::ServerOptions;

/// The application's handler, with the operational endpoints in front.
pub(crate) struct Ops<H> {
    inner: H,
    /// Some when any endpoint is on.
    endpoints: Option<Endpoints>,
}

struct Endpoints {
    health: Option<Health>,
    metrics: Option<Metrics>,
}

impl<H> Ops<H> {
    pub(crate) fn new(inner: H, options: &ServerOptions) -> Self {
        let health = options.health_endpoints.then(|| options.health.clone());
        let metrics = if options.metrics_endpoint { options.metrics.clone() } else { None };
        let endpoints = (health.is_some() || metrics.is_some()).then_some(Endpoints { health, metrics });
        Ops { inner, endpoints }
    }
}

/// The answer to an operational request: status, content type, body.
fn answer(e: &Endpoints, s: &Stream) -> Option<(StatusCode, &'static str, String)> {
    let head = s.startread();
    if head.method != Method::GET && head.method != Method::HEAD {
        return None;
    }
    let path = head.uri.path();
    if path == "/metrics" {
        let m = e.metrics.as_ref()?;
        return Some((StatusCode::OK, http_core::metrics::CONTENT_TYPE, m.render()));
    }
    let (status, body) = e.health.as_ref()?.probe(path)?;
    Some((StatusCode::from_u16(status).ok()?, "text/plain; charset=utf-8", format!("{body}\n")))
}

impl<H: StreamHandler> StreamHandler for Ops<H> {
    async fn call(&self, s: &mut Stream) {
        if let Some(e) = &self.endpoints
            && let Some((status, content_type, body)) = answer(e, s)
        {
            let response = http_core::Response::new(status)
                .with_header("content-type", content_type)
                .with_header("cache-control", "no-store")
                .with_body(body);
            let _ = s.write_response(response).await;
            return;
        }
        self.inner.call(s).await
    }
}
