//! Shared state: a visit counter and a global key-value store (`share` / `fetch`),
//! reached from every handler through [`with_state`], exact under concurrent requests.
//!
//! | route | does |
//! |---|---|
//! | GET /visit | counts a visit, answers its number (`1`, `2`, ...) |
//! | GET /count | `{"visits": N}` |
//! | GET /kv/{key} | the stored value, or 404 |
//! | PUT /kv/{key} | stores the body (`runtime.core.share`) |
//! | POST /kv/{key}/incr | atomically adds 1 to a numeric value (missing = 0), answers the new one |

use std::sync::atomic::{AtomicU64, Ordering};

use http_core::{IntoResponse, Json, Request, Response, SharedMap, StatusCode, WithState, with_state};
use http_router::Router;

/// The application state shared by all requests.
#[derive(Debug, Default)]
pub struct App {
    /// Visits counted by `GET /visit`.
    pub visits: AtomicU64,
    /// The global key-value store.
    pub store: SharedMap,
}

fn app(req: &Request) -> &App {
    req.state::<App>().expect("the counter routes run under with_state(App)")
}

async fn visit(req: Request) -> String {
    (app(&req).visits.fetch_add(1, Ordering::Relaxed) + 1).to_string()
}

async fn count(req: Request) -> Json<serde_json::Value> {
    Json(serde_json::json!({ "visits": app(&req).visits.load(Ordering::Relaxed) }))
}

async fn fetch(req: Request) -> Response {
    let key = req.param("key").unwrap_or_default();
    match app(&req).store.fetch(key) {
        Some(v) => Response::text(v),
        None => Response::error(StatusCode::NOT_FOUND),
    }
}

async fn share(mut req: Request) -> Response {
    let body = match req.take_body().collect(64 * 1024).await {
        Ok(b) => b,
        Err(e) => return Response::error(e.status()),
    };
    let Ok(value) = String::from_utf8(body.into()) else {
        return (StatusCode::BAD_REQUEST, "value must be UTF-8 text").into_response();
    };
    let key = req.param("key").unwrap_or_default().to_owned();
    app(&req).store.share(key, value);
    Response::new(StatusCode::NO_CONTENT)
}

async fn incr(req: Request) -> Response {
    let key = req.param("key").unwrap_or_default();
    let mut bad = false;
    let new = app(&req).store.update(key, |old| match old.map(|v| v.trim().parse::<i64>()) {
        None => "1".to_owned(),
        Some(Ok(n)) => (n + 1).to_string(),
        Some(Err(_)) => {
            bad = true;
            old.cloned().unwrap_or_default()
        }
    });
    if bad { (StatusCode::CONFLICT, "value is not a number").into_response() } else { Response::text(new) }
}

/// The counter application: its routes under a fresh [`App`].
pub fn counter_app() -> WithState<Router, App> {
    let router = Router::new()
        .route("GET /visit", visit)
        .route("GET /count", count)
        .route("GET /kv/{key}", fetch)
        .route("PUT /kv/{key}", share)
        .route("POST /kv/{key}/incr", incr);
    with_state(App::default(), router)
}
