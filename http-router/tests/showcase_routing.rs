//! The showcase's routing feature (examples/src/features/routing.rs), compiled and run
//! here so the example is checked with this crate.

#[path = "../../examples/src/features/routing.rs"]
#[allow(unreachable_pub)]
mod routing;

use std::time::{Duration, Instant};

use http_core::{Method, Request, testing};

#[tokio::test]
async fn showcase_routes() {
    let router = routing::routes(http_router::Router::new());
    let cases: &[(&str, u16, &str)] = &[
        ("/users/42", 200, "42"),
        ("/users/a%20b", 200, "a b"),
        ("/slow", 503, "handler timed out"),
        ("/nope", 404, "Not Found"),
    ];
    for (path, status, body) in cases {
        let started = Instant::now();
        let r = testing::call_stream(&router, Request::new(Method::GET, path)).await;
        assert_eq!((r.status.as_u16(), r.text().as_str()), (*status, *body), "{path}");
        assert!(started.elapsed() < Duration::from_millis(900), "{path} answered before the handler's 1 s sleep");
    }
}
