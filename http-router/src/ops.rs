//! Operational routes a load balancer, Kubernetes or Prometheus reads:
//! [`Router::with_health`] mounts `/healthz` (liveness) and `/readyz` (readiness) on a
//! router, read from an [`http_core::Health`] handle that the server turns not-ready when
//! it drains; `Router::with_metrics` (feature `metrics`) mounts `/metrics`.

use http_core::{Health, Request, StatusCode};

use crate::Router;

impl Router {
    /// Adds `GET /healthz` (200 `ok` while the process serves) and `GET /readyz` (200
    /// `ready`, or 503 `draining` once `health` is not ready). Hand the same handle to the
    /// server (http-server's `ServerOptions::health`) so that a drain turns `/readyz`
    /// to 503.
    ///
    /// # Panics
    /// When the router already has either route.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// use http_core::{Health, Method, Request, testing};
    /// let health = Health::new();
    /// let router = http_router::Router::new().with_health(health.clone());
    /// let ready = testing::call(&router, Request::new(Method::GET, "/readyz")).await;
    /// assert_eq!((ready.status.as_u16(), ready.text().as_str()), (200, "ready\n"));
    /// health.set_ready(false); // what a draining server does
    /// assert_eq!(testing::call(&router, Request::new(Method::GET, "/readyz")).await.status.as_u16(), 503);
    /// assert_eq!(testing::call(&router, Request::new(Method::GET, "/healthz")).await.status.as_u16(), 200);
    /// # }
    /// ```
    pub fn with_health(self, health: Health) -> Self {
        let probe = move |req: Request| {
            let answer = health.probe(req.path());
            async move {
                let (status, body) = answer.unwrap_or((404, "not found"));
                let status = StatusCode::from_u16(status).unwrap_or(StatusCode::NOT_FOUND);
                (
                    status,
                    [("content-type", "text/plain; charset=utf-8"), ("cache-control", "no-store")],
                    format!("{body}\n"),
                )
            }
        };
        self.route("GET /healthz", probe.clone()).route("GET /readyz", probe)
    }
}

#[cfg(feature = "metrics")]
impl Router {
    /// Adds `GET /metrics`: the Prometheus text exposition of `metrics`, the handle the
    /// server records into (http-server's `ServerOptions::metrics`). Feature `metrics`.
    ///
    /// # Panics
    /// When the router already has the route.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// use http_core::metrics::Metrics;
    /// use http_core::{Method, Request, testing};
    /// let metrics = Metrics::new();
    /// metrics.request(None, 200, std::time::Duration::from_millis(1));
    /// let router = http_router::Router::new().with_metrics(metrics);
    /// let r = testing::call(&router, Request::new(Method::GET, "/metrics")).await;
    /// assert!(r.header("content-type").unwrap().starts_with("text/plain; version=0.0.4"));
    /// assert!(r.text().contains(r#"http_requests_total{route="",status="200"} 1"#));
    /// # }
    /// ```
    pub fn with_metrics(self, metrics: http_core::metrics::Metrics) -> Self {
        self.route("GET /metrics", move |_req: Request| {
            let text = metrics.render();
            async move {
                (
                    StatusCode::OK,
                    [("content-type", http_core::metrics::CONTENT_TYPE), ("cache-control", "no-store")],
                    text,
                )
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use http_core::{Health, Method, Request, testing};

    use crate::Router;

    #[tokio::test]
    async fn probes_table() {
        let health = Health::new();
        let router = Router::new().with_health(health.clone()).route("GET /", |_r: Request| async { "app" });
        // (ready, method, path, status, body)
        let rows = [
            (true, Method::GET, "/healthz", 200, "ok\n"),
            (true, Method::GET, "/readyz", 200, "ready\n"),
            (false, Method::GET, "/healthz", 200, "ok\n"),
            (false, Method::GET, "/readyz", 503, "draining\n"),
            (false, Method::GET, "/", 200, "app"),
            (true, Method::POST, "/readyz", 405, ""),
        ];
        for (ready, method, path, status, body) in rows {
            health.set_ready(ready);
            let r = testing::call(&router, Request::new(method.clone(), path)).await;
            assert_eq!(r.status.as_u16(), status, "{ready} {method} {path}");
            if status != 405 {
                assert_eq!(r.text(), body, "{ready} {method} {path}");
            }
        }
        let r = testing::call(&router, Request::new(Method::GET, "/readyz")).await;
        assert_eq!(r.headers.get("cache-control").map(|v| v.to_str().unwrap()), Some("no-store"));
    }

    #[cfg(feature = "metrics")]
    #[tokio::test]
    async fn timeouts_and_caught_panics_reach_the_exposition() {
        use std::time::Duration;

        use crate::{catch_panics, handlertimeout};
        let slow = |_r: Request| async {
            tokio::time::sleep(Duration::from_secs(5)).await;
            "late"
        };
        let boom = |_r: Request| async {
            if true {
                panic!("boom");
            }
            "never"
        };
        let router = Router::new()
            .with_metrics(http_core::metrics::Metrics::new())
            .route_with("GET /slow", slow, [handlertimeout(Duration::from_millis(10))])
            .route_with("GET /boom", boom, [catch_panics()]);
        let (timeouts, panics) = (http_core::metrics::handler_timeouts(), http_core::metrics::handler_panics());
        assert_eq!(testing::call(&router, Request::new(Method::GET, "/slow")).await.status.as_u16(), 503);
        assert_eq!(testing::call(&router, Request::new(Method::GET, "/boom")).await.status.as_u16(), 500);
        assert!(http_core::metrics::handler_timeouts() > timeouts);
        assert!(http_core::metrics::handler_panics() > panics);
        let text = testing::call(&router, Request::new(Method::GET, "/metrics")).await.text();
        let count = |name: &str| -> u64 {
            text.lines()
                .find_map(|l| l.strip_prefix(name)?.trim().parse().ok())
                .unwrap_or_else(|| panic!("{name} in {text}"))
        };
        assert!(count("http_handler_timeouts_total") > timeouts, "{text}");
        assert!(count("http_handler_panics_total") > panics, "{text}");
    }
}
