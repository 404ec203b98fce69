//! Operational routes a load balancer or Kubernetes probes: [`Router::with_health`]
//! mounts `/healthz` (liveness) and `/readyz` (readiness) on a router, read from an
//! [`http_core::Health`] handle that the server turns not-ready when it drains.

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
}
