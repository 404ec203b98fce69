//! Deferred replies: one endpoint parks requests under an id, another answers them by id
//! from a different request (any task could); unanswered requests get 504 at the deadline.
//!
//! | route | does |
//! |---|---|
//! | GET /wait/{id} | parks this request under `id` (409 while another waits under it) until released |
//! | GET /wait | parks this request under a fresh id (see `/pending`) |
//! | POST /release/{id} | answers the request parked under `id` with this request's body (200 `text/plain`); 204, or 404 when nothing waits under `id` |
//! | GET /pending | the ids waiting now, as a JSON array |

use std::time::Duration;

use http_core::{Deferred, IntoResponse, Json, Request, Response, StatusCode, WithState, with_state};
use http_router::Router;

/// The largest body `/release/{id}` forwards.
pub const MAX_ANSWER_BYTES: usize = 64 * 1024;

fn deferred(req: &Request) -> &Deferred {
    req.state::<Deferred>().expect("the deferred routes run under with_state(Deferred)")
}

async fn park(req: Request, id: Option<String>) -> Response {
    let d = deferred(&req);
    let parked = match id {
        Some(id) => d.park_as(id, None),
        None => d.park(None),
    };
    match parked {
        Ok(parked) => {
            tracing::info!(id = parked.id(), "request parked");
            parked.wait().await
        }
        Err(e) => (e.status(), e.to_string()).into_response(),
    }
}

async fn wait_as(req: Request) -> Response {
    let id = req.param("id").unwrap_or_default().to_owned();
    park(req, Some(id)).await
}

async fn wait_fresh(req: Request) -> Response {
    park(req, None).await
}

async fn release(mut req: Request) -> Response {
    let body = match req.take_body().collect(MAX_ANSWER_BYTES).await {
        Ok(b) => b,
        Err(e) => return Response::error(e.status()),
    };
    let id = req.param("id").unwrap_or_default();
    let answer = Response::new(StatusCode::OK).with_header("content-type", "text/plain; charset=utf-8").with_body(body);
    match deferred(&req).respond(id, answer) {
        Ok(()) => Response::new(StatusCode::NO_CONTENT),
        Err(_) => (StatusCode::NOT_FOUND, "no request is parked under this id").into_response(),
    }
}

async fn pending(req: Request) -> Json<Vec<String>> {
    Json(deferred(&req).pending())
}

/// The routes over `deferred` (keep a clone to answer from outside the server too).
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// use std::time::Duration;
/// use examples::features::deferred::deferred_app;
/// use http_core::{Deferred, testing::TestClient};
/// let client = TestClient::new(deferred_app(Deferred::new(Duration::from_millis(50))));
/// assert_eq!(client.get("/wait/a").await.status, 504);
/// assert_eq!(client.post("/release/a").body("late").await.status, 404);
/// # }
/// ```
pub fn deferred_app(deferred: Deferred) -> WithState<Router, Deferred> {
    let router = Router::new()
        .route("GET /wait/{id}", wait_as)
        .route("GET /wait", wait_fresh)
        .route("POST /release/{id}", release)
        .route("GET /pending", pending);
    with_state(deferred, router)
}

/// The default deadline of a parked request.
pub const DEFAULT_DEADLINE: Duration = Duration::from_secs(30);
