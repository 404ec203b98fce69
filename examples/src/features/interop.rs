//! tower interop: tower-http layers as middleware on our `Router`, and an axum
//! app mounted inside it.
//!
//! | route | served by |
//! |---|---|
//! | GET /hello | our handler, gzip-compressed when the client accepts it (tower-http `CompressionLayer`) |
//! | GET /users/{id} | our handler |
//! | any /axum/** | an axum `Router` mounted with `http_core::tower::from_service` |
//!
//! Every route also answers CORS (tower-http `CorsLayer`, any origin) and is traced by
//! tower-http's `TraceLayer`.

use http_core::Request;
use http_core::tower::{from_service, middleware};
use http_router::Router;
use tower_http::compression::CompressionLayer;
use tower_http::cors::CorsLayer;
use tower_http::trace::TraceLayer;

/// Text long enough that compressing it pays off.
pub const HELLO: &str = "Hello from a handler behind tower-http's CompressionLayer! ";

async fn hello(_req: Request) -> String {
    HELLO.repeat(20)
}

async fn user(req: Request) -> String {
    format!("user {}", req.param("id").unwrap_or_default())
}

/// The axum part: routes under `/axum`.
pub fn axum_app() -> axum::Router {
    axum::Router::new()
        .route("/axum/hello", axum::routing::get(|| async { "hello from axum" }))
        .route("/axum/echo", axum::routing::post(|body: String| async move { body }))
}

/// Our router with tower-http middleware and the axum app mounted at `/axum`.
pub fn interop_app() -> Router {
    Router::new()
        .use_middleware(middleware(TraceLayer::new_for_http()))
        .use_middleware(middleware(CorsLayer::permissive()))
        .route_with("GET /hello", hello, [middleware(CompressionLayer::new())])
        .route("GET /users/{id}", user)
        .route("/axum/**", from_service(axum_app()))
}
