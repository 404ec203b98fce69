//! The router tested the way applications test theirs: through
//! `http_core::testing::TestClient`, in-process, on both paths (serve-style `Handler` and
//! the engines' `Stream` path).

use http_core::testing::TestClient;
use http_core::{Method, Request, StatusCode, Stream};
use http_router::{Router, catch_panics};

fn router() -> Router {
    async fn user(req: Request) -> String {
        format!("user {} ({})", req.param("id").unwrap_or_default(), req.route().unwrap_or_default())
    }
    async fn upload(s: &mut Stream) {
        let body = s.read_to_end(1024).await.unwrap_or_default();
        let _ = s.setheader("trailer", "x-len");
        let _ = s.addtrailer("x-len", &body.len().to_string());
        let _ = s.write(body).await;
    }
    async fn boom(_req: Request) -> &'static str {
        panic!("boom")
    }
    Router::new()
        .use_middleware(catch_panics())
        .route("GET /users/{id}", user)
        .route(
            "PUT /users/{id}",
            |r: Request| async move { (StatusCode::CREATED, r.param("id").unwrap_or("").to_owned()) },
        )
        .route_stream("POST /upload", upload)
        .route("GET /boom", boom)
}

#[tokio::test]
async fn routes_params_and_fallbacks_on_both_paths() {
    for client in [TestClient::new(router()), TestClient::stream(router())] {
        let what = format!("{client:?}");
        let r = client.get("/users/7").await;
        assert_eq!((r.status, r.text().as_str()), (StatusCode::OK, "user 7 (/users/{id})"), "{what}");
        let r = client.put("/users/8").await;
        assert_eq!((r.status, r.text().as_str()), (StatusCode::CREATED, "8"), "{what}");
        let r = client.delete("/users/8").await;
        assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED, "{what}");
        assert_eq!(r.header("allow"), Some("GET, HEAD, PUT, OPTIONS"), "{what}");
        assert_eq!(client.get("/missing").await.status, StatusCode::NOT_FOUND, "{what}");
        assert_eq!(client.get("/bad%zz").await.status, StatusCode::BAD_REQUEST, "{what}");
        assert_eq!(client.get("/boom").await.status, StatusCode::INTERNAL_SERVER_ERROR, "{what}");
        let r = client.head("/users/7").await;
        assert_eq!((r.status, r.body.len()), (StatusCode::OK, 0), "{what}");
    }
}

#[tokio::test]
async fn stream_route_body_and_trailers() {
    for client in [TestClient::new(router()), TestClient::stream(router())] {
        let r = client.post("/upload").body("twelve bytes").await;
        assert_eq!(r.text(), "twelve bytes", "{client:?}");
        assert_eq!(r.trailers.as_ref().map(|t| t["x-len"].to_str().unwrap()), Some("12"), "{client:?}");
    }
}

#[tokio::test]
async fn hand_built_requests_and_raw_responses() {
    let client = TestClient::new(router());
    let r = client.send(Request::new(Method::GET, "/users/%41")).await;
    assert_eq!(r.text(), "user A (/users/{id})", "parameters are percent-decoded");
    let resp = client.send_raw(Request::new(Method::GET, "/users/1")).await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.into_body().collect(64).await.unwrap(), "user 1 (/users/{id})");
}
