//! tower interop, both ways, over real sockets where a server is involved:
//! - an axum app mounting our Router (`nest_service`, `fallback_service`), served by axum;
//! - tower-http compression wrapping our handler (in-process and through our server);
//! - hyper serving our Router through `into_service`;
//! - tower-http CORS as router middleware; an axum app mounted inside our Router.

use std::io::Read;
use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use examples::features::interop::{HELLO, axum_app, interop_app};
use http_body_util::{BodyExt, Full};
use http_core::http::{self, HeaderMap, Method, StatusCode};
use http_core::testing::TestClient;
use http_core::tower::{into_service, middleware, with_layer};
use http_core::{Request, Stream};
use http_router::Router;
use http_server::{Server, ServerOptions};
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::net::{TcpListener, TcpStream};
use tower::ServiceExt;
use tower_http::compression::CompressionLayer;

const WAIT: Duration = Duration::from_secs(20);

struct Reply {
    status: StatusCode,
    headers: HeaderMap,
    body: Bytes,
    trailers: Option<HeaderMap>,
}

/// One HTTP/1.1 request on a fresh connection (hyper's client).
async fn fetch(addr: SocketAddr, method: Method, path: &str, headers: &[(&str, &str)], body: &'static str) -> Reply {
    tokio::time::timeout(WAIT, async {
        let tcp = TcpStream::connect(addr).await.unwrap();
        let (mut tx, conn) = hyper::client::conn::http1::handshake(TokioIo::new(tcp)).await.unwrap();
        tokio::spawn(conn);
        let mut req = http::Request::builder().method(method).uri(path).header("host", addr.to_string());
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let resp = tx.send_request(req.body(Full::new(Bytes::from_static(body.as_bytes()))).unwrap()).await.unwrap();
        let (parts, body) = resp.into_parts();
        let collected = body.collect().await.unwrap();
        let trailers = collected.trailers().cloned();
        Reply { status: parts.status, headers: parts.headers, body: collected.to_bytes(), trailers }
    })
    .await
    .expect("answer in time")
}

fn gunzip(b: &[u8]) -> String {
    let mut out = String::new();
    flate2::read::GzDecoder::new(b).read_to_string(&mut out).expect("valid gzip");
    out
}

fn our_router() -> Router {
    async fn user(req: Request) -> String {
        format!("user {} via {}", req.param("id").unwrap_or_default(), req.route().unwrap_or_default())
    }
    async fn upload(s: &mut Stream) {
        let body = s.read_to_end(1 << 20).await.unwrap_or_default();
        let _ = s.setheader("trailer", "x-len");
        let _ = s.addtrailer("x-len", &body.len().to_string());
        let _ = s.write(body).await;
    }
    Router::new().route("GET /users/{id}", user).route_stream("POST /upload", upload)
}

async fn serve_axum(app: axum::Router) -> (SocketAddr, tokio::task::JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (addr, task)
}

#[tokio::test]
async fn axum_app_mounts_our_router() {
    let app = axum::Router::new()
        .route("/health", axum::routing::get(|| async { "axum ok" }))
        .nest_service("/api", into_service(our_router()))
        .fallback_service(into_service(|req: Request| async move {
            (StatusCode::NOT_FOUND, format!("ours: {}", req.path()))
        }));
    let (addr, task) = serve_axum(app).await;

    let r = fetch(addr, Method::GET, "/health", &[], "").await;
    assert_eq!((r.status, &r.body[..]), (StatusCode::OK, &b"axum ok"[..]));
    // axum strips the prefix: our router sees /users/7 and fills params and route.
    let r = fetch(addr, Method::GET, "/api/users/7", &[], "").await;
    assert_eq!((r.status, &r.body[..]), (StatusCode::OK, &b"user 7 via /users/{id}"[..]));
    // our 405 with Allow, through axum
    let r = fetch(addr, Method::DELETE, "/api/users/7", &[], "").await;
    assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED);
    assert!(r.headers["allow"].to_str().unwrap().contains("GET"));
    // a stream route, its body and trailers through axum and hyper
    let r = fetch(addr, Method::POST, "/api/upload", &[("te", "trailers")], "twelve bytes").await;
    assert_eq!((r.status, &r.body[..]), (StatusCode::OK, &b"twelve bytes"[..]));
    assert_eq!(r.trailers.expect("trailers")["x-len"], "12");
    let r = fetch(addr, Method::GET, "/elsewhere", &[], "").await;
    assert_eq!((r.status, &r.body[..]), (StatusCode::NOT_FOUND, &b"ours: /elsewhere"[..]));
    task.abort();
}

#[tokio::test]
async fn tower_http_compression_wraps_our_handler() {
    let text = "compress me please; ".repeat(50);
    let body = text.clone();
    let handler = with_layer(
        move |_r: Request| {
            let b = body.clone();
            async move { b }
        },
        CompressionLayer::new(),
    );
    let client = TestClient::new(handler);

    let r = client.get("/").header("accept-encoding", "gzip").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.header("content-encoding"), Some("gzip"));
    assert!(r.body.len() < text.len() / 4, "{} compressed bytes", r.body.len());
    assert_eq!(gunzip(&r.body), text);
    // no Accept-Encoding: untouched
    let r = client.get("/").await;
    assert_eq!((r.header("content-encoding"), r.text()), (None, text.clone()));
}

#[tokio::test]
async fn interop_example_over_our_server() {
    let server = Server::serve(ServerOptions::new().host("127.0.0.1").port(0), interop_app()).await.unwrap();
    let addr = server.local_addr();

    let r = fetch(addr, Method::GET, "/hello", &[("accept-encoding", "gzip")], "").await;
    assert_eq!(r.headers.get("content-encoding").map(|v| v.to_str().unwrap()), Some("gzip"));
    assert_eq!(gunzip(&r.body), HELLO.repeat(20));
    let r = fetch(addr, Method::GET, "/users/3", &[("accept-encoding", "gzip")], "").await;
    assert_eq!((r.headers.get("content-encoding"), &r.body[..]), (None, &b"user 3"[..]), "compression is per route");

    // CORS preflight answered by tower-http's CorsLayer, before our router's OPTIONS
    let preflight = [("origin", "https://example.org"), ("access-control-request-method", "GET")];
    let r = fetch(addr, Method::OPTIONS, "/users/3", &preflight, "").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.headers["access-control-allow-origin"], "*");
    let r = fetch(addr, Method::GET, "/users/3", &[("origin", "https://example.org")], "").await;
    assert_eq!(r.headers["access-control-allow-origin"], "*");

    // the axum app mounted inside our router
    let r = fetch(addr, Method::GET, "/axum/hello", &[], "").await;
    assert_eq!((r.status, &r.body[..]), (StatusCode::OK, &b"hello from axum"[..]));
    let r = fetch(addr, Method::POST, "/axum/echo", &[("content-type", "text/plain")], "round trip").await;
    assert_eq!(&r.body[..], b"round trip");
    let r = fetch(addr, Method::GET, "/axum/missing", &[], "").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "axum's own 404");
    server.close().await;
}

#[tokio::test]
async fn hyper_serves_our_router() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let svc = into_service(our_router());
    let accept = tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else { return };
            let svc = svc.clone();
            tokio::spawn(async move {
                let hyper_svc = hyper::service::service_fn(move |req: http::Request<hyper::body::Incoming>| {
                    svc.clone().oneshot(req)
                });
                let _ = hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(tcp), hyper_svc).await;
            });
        }
    });
    let r = fetch(addr, Method::GET, "/users/42", &[], "").await;
    assert_eq!((r.status, &r.body[..]), (StatusCode::OK, &b"user 42 via /users/{id}"[..]));
    let r = fetch(addr, Method::GET, "/nope", &[], "").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = fetch(addr, Method::POST, "/upload", &[("te", "trailers")], "hello hyper").await;
    assert_eq!(&r.body[..], b"hello hyper");
    assert_eq!(r.trailers.expect("trailers through hyper")["x-len"], "11");
    accept.abort();
}

#[tokio::test]
async fn tower_layers_as_router_middleware_and_h2_through_hyper() {
    // A tower-http layer as router-wide middleware, the router served by hyper over h2c.
    let router = our_router().use_middleware(middleware(tower_http::set_header::SetResponseHeaderLayer::overriding(
        http::header::SERVER,
        http::HeaderValue::from_static("ours+tower"),
    )));
    let svc = into_service(router);
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let accept = tokio::spawn(async move {
        let Ok((tcp, _)) = listener.accept().await else { return };
        let hyper_svc =
            hyper::service::service_fn(move |req: http::Request<hyper::body::Incoming>| svc.clone().oneshot(req));
        let _ = hyper::server::conn::http2::Builder::new(TokioExecutor::new())
            .serve_connection(TokioIo::new(tcp), hyper_svc)
            .await;
    });
    let reply = tokio::time::timeout(WAIT, async {
        let tcp = TcpStream::connect(addr).await.unwrap();
        let (mut tx, conn) =
            hyper::client::conn::http2::handshake::<_, _, Full<Bytes>>(TokioExecutor::new(), TokioIo::new(tcp))
                .await
                .unwrap();
        tokio::spawn(conn);
        let req = http::Request::get(format!("http://{addr}/users/5")).body(Full::new(Bytes::new())).unwrap();
        let resp = tx.send_request(req).await.unwrap();
        let server = resp.headers()["server"].clone();
        (server, resp.into_body().collect().await.unwrap().to_bytes())
    })
    .await
    .expect("h2 answer in time");
    assert_eq!(reply.0, "ours+tower");
    assert_eq!(&reply.1[..], b"user 5 via /users/{id}");
    accept.abort();
}

#[tokio::test]
async fn axum_router_as_our_handler_in_process() {
    let client = TestClient::new(http_core::tower::from_service(axum_app()));
    assert_eq!(client.get("/axum/hello").await.text(), "hello from axum");
    let r = client.post("/axum/echo").header("content-type", "text/plain").body("abc").await;
    assert_eq!(r.text(), "abc");
}
