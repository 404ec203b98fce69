//! Shared state: a visit counter and a global key-value store (`share` / `fetch`),
//! reached from every handler through [`with_state`], exact under concurrent requests —
//! of one process ([`Store::memory`]) or of every instance using the same Redis server
//! ([`Store::open`] with a `redis://` URL; the handlers are the same).
//!
//! | route | does |
//! |---|---|
//! | GET /visit | counts a visit, answers its number (`1`, `2`, ...) |
//! | GET /count | `{"visits": N}` |
//! | GET /kv/{key} | the stored value, or 404 |
//! | PUT /kv/{key} | stores the body (`runtime.core.share`) |
//! | POST /kv/{key}/incr | atomically adds 1 to a numeric value (missing = 0), answers the new one |

use http_core::{IntoResponse, Json, Request, Response, StatusCode, Store, StoreError, WithState, with_state};
use http_router::Router;

/// The application state shared by all requests.
#[derive(Debug, Default)]
pub struct App {
    /// The store: the visit count under `visits`, the `/kv/{key}` values under `kv:{key}`.
    pub store: Store,
}

/// The store key of the visit count.
pub const VISITS: &str = "visits";

fn app(req: &Request) -> &App {
    req.state::<App>().expect("the counter routes run under with_state(App)")
}

/// The store key of a `/kv/{key}` value, apart from the visit count.
fn kv_key(req: &Request) -> String {
    format!("kv:{}", req.param("key").unwrap_or_default())
}

fn store_error(e: StoreError) -> Response {
    (e.status(), e.to_string()).into_response()
}

async fn visit(req: Request) -> Response {
    match app(&req).store.incr(VISITS, 1).await {
        Ok(n) => Response::text(n.to_string()),
        Err(e) => store_error(e),
    }
}

async fn count(req: Request) -> Response {
    match app(&req).store.fetch(VISITS).await {
        Ok(v) => {
            let n: i64 = v.and_then(|v| v.parse().ok()).unwrap_or(0);
            Json(serde_json::json!({ "visits": n })).into_response()
        }
        Err(e) => store_error(e),
    }
}

async fn fetch(req: Request) -> Response {
    match app(&req).store.fetch(&kv_key(&req)).await {
        Ok(Some(v)) => Response::text(v),
        Ok(None) => Response::error(StatusCode::NOT_FOUND),
        Err(e) => store_error(e),
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
    match app(&req).store.share(&kv_key(&req), value).await {
        Ok(_) => Response::new(StatusCode::NO_CONTENT),
        Err(e) => store_error(e),
    }
}

async fn incr(req: Request) -> Response {
    match app(&req).store.incr(&kv_key(&req), 1).await {
        Ok(n) => Response::text(n.to_string()),
        Err(e) => store_error(e),
    }
}

/// The counter application on a fresh in-process store.
pub fn counter_app() -> WithState<Router, App> {
    counter_app_on(Store::memory())
}

/// The counter application on `store` (a `Store::open("redis://…")` for several instances).
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// use examples::features::counter::counter_app_on;
/// use http_core::{Store, testing::TestClient};
/// let client = TestClient::new(counter_app_on(Store::memory()));
/// assert_eq!(client.get("/visit").await.text(), "1");
/// assert_eq!(client.get("/visit").await.text(), "2");
/// # }
/// ```
pub fn counter_app_on(store: Store) -> WithState<Router, App> {
    let router = Router::new()
        .route("GET /visit", visit)
        .route("GET /count", count)
        .route("GET /kv/{key}", fetch)
        .route("PUT /kv/{key}", share)
        .route("POST /kv/{key}/incr", incr);
    with_state(App { store }, router)
}
