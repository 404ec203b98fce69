//! Routing: path parameters and `handlertimeout`.
//!
//! - `GET /users/{id}` answers with the id;
//! - `GET /slow` sleeps for a second under `handlertimeout(100 ms)`, so it answers
//!   `503 handler timed out` (and its future is dropped at the deadline).

use std::time::Duration;

use http_core::Request;
use http_router::{Router, handlertimeout};

/// Adds the routing showcase routes to `router`.
pub fn routes(router: Router) -> Router {
    router.route("GET /users/{id}", user).route_with("GET /slow", slow, [handlertimeout(Duration::from_millis(100))])
}

async fn user(req: Request) -> String {
    req.param("id").unwrap_or_default().to_owned()
}

async fn slow(_req: Request) -> &'static str {
    tokio::time::sleep(Duration::from_secs(1)).await;
    "finally"
}
