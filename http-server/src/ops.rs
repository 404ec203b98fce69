//! The operational endpoints a server answers itself, before the application's handler:
//! `/healthz` and `/readyz` ([`ServerOptions::health_endpoints`], read from the server's
//! [`Health`]). Off by default; when off, a request costs one branch here.
//!
//! [`ServerOptions::health_endpoints`]: crate::ServerOptions::health_endpoints

use http::{Method, StatusCode};
use http_core::{Health, Stream, StreamHandler};

use crate::ServerOptions;

/// The application's handler, with the operational endpoints in front.
pub(crate) struct Ops<H> {
    inner: H,
    health: Option<Health>,
}

impl<H> Ops<H> {
    pub(crate) fn new(inner: H, options: &ServerOptions) -> Self {
        Ops { inner, health: options.health_endpoints.then(|| options.health.clone()) }
    }

    fn answer(&self, s: &Stream) -> Option<(StatusCode, &'static str)> {
        let head = s.startread();
        if head.method != Method::GET && head.method != Method::HEAD {
            return None;
        }
        let (status, body) = self.health.as_ref()?.probe(head.uri.path())?;
        Some((StatusCode::from_u16(status).ok()?, body))
    }
}

impl<H: StreamHandler> StreamHandler for Ops<H> {
    async fn call(&self, s: &mut Stream) {
        if self.health.is_some()
            && let Some((status, body)) = self.answer(s)
        {
            let _ = s.setstatus(status);
            let _ = s.setheader("content-type", "text/plain; charset=utf-8");
            let _ = s.setheader("cache-control", "no-store");
            let _ = s.write(format!("{body}\n")).await;
            return;
        }
        self.inner.call(s).await
    }
}
