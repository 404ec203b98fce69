//! The handler forms the docs show, over real loopback sockets (HTTP/1.1): an async closure
//! as a stream handler, a middleware wrapping a whole router, route parameters from a
//! stream route, and trailers on a serve-style `Response` (chunked, for `TE: trailers`).

use std::time::Duration;

use http_core::{HeaderMap, Request, Response, Stream};
use http_router::{Router, handlertimeout};
use http_server::{Server, ServerOptions};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

fn opts() -> ServerOptions {
    ServerOptions::new().host("127.0.0.1").port(0)
}

/// Sends one request with `Connection: close` and returns the raw response.
async fn raw(port: u16, head: &str) -> String {
    let mut tcp = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    tcp.write_all(format!("{head}Host: x\r\nConnection: close\r\n\r\n").as_bytes()).await.unwrap();
    let mut out = Vec::new();
    tokio::time::timeout(Duration::from_secs(5), tcp.read_to_end(&mut out)).await.unwrap().unwrap();
    String::from_utf8_lossy(&out).into_owned()
}

#[tokio::test]
async fn async_closure_is_a_stream_handler() {
    let server = Server::listen(opts(), async |s: &mut Stream| {
        let _ = s.write(format!("closure saw {}", s.startread().uri.path())).await;
    })
    .await
    .unwrap();
    let resp = raw(server.port(), "GET /x HTTP/1.1\r\n").await;
    assert!(resp.starts_with("HTTP/1.1 200") && resp.contains("\r\nclosure saw /x\r\n"), "{resp}");
    server.close().await;
}

#[tokio::test]
async fn a_middleware_wraps_a_whole_router_and_stream_routes_see_params() {
    async fn item(s: &mut Stream) {
        let id = s.context().params().get("id").unwrap_or("?").to_owned();
        let _ = s.write(format!("item {id}")).await;
    }
    let router = Router::new().route_stream("GET /items/{id}", item).route("GET /slow", |_r: Request| async {
        tokio::time::sleep(Duration::from_secs(5)).await;
        "late"
    });
    let server = Server::listen(opts(), handlertimeout(Duration::from_millis(50)).wrap(router)).await.unwrap();
    let resp = raw(server.port(), "GET /items/42 HTTP/1.1\r\n").await;
    assert!(resp.contains("\r\nitem 42\r\n"), "{resp}");
    let resp = raw(server.port(), "GET /slow HTTP/1.1\r\n").await;
    assert!(resp.starts_with("HTTP/1.1 503") && resp.ends_with("handler timed out"), "{resp}");
    server.close().await;
}

#[tokio::test]
async fn response_trailers_go_out_chunked_to_clients_that_accept_them() {
    let server = Server::serve(opts(), |_r: Request| async {
        let mut t = HeaderMap::new();
        t.insert("x-checksum", "abc".parse().unwrap());
        Response::text("payload").with_trailers(t)
    })
    .await
    .unwrap();
    let resp = raw(server.port(), "GET / HTTP/1.1\r\nTE: trailers\r\n").await.to_ascii_lowercase();
    assert!(resp.contains("transfer-encoding: chunked") && resp.contains("trailer: x-checksum"), "{resp}");
    assert!(resp.ends_with("7\r\npayload\r\n0\r\nx-checksum: abc\r\n\r\n"), "{resp:?}");
    // Without `TE: trailers` the body still arrives, the trailers are dropped.
    let resp = raw(server.port(), "GET / HTTP/1.1\r\n").await;
    assert!(resp.ends_with("7\r\npayload\r\n0\r\n\r\n"), "{resp:?}");
    server.close().await;
}
