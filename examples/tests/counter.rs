//! Shared state under load: the `counter` example's app hit by 1,000 concurrent requests
//! over real sockets (hyper's pooled client, many connections, a multi-threaded server
//! runtime) ends with exact counts, and every visit number is handed out exactly once.

use std::time::Duration;

use bytes::Bytes;
use examples::features::counter::counter_app;
use http_body_util::{BodyExt, Full};
use http_core::http::{Method, Request};
use http_server::{Server, ServerOptions};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

const N: usize = 1000;

type HttpClient = Client<hyper_util::client::legacy::connect::HttpConnector, Full<Bytes>>;

async fn send(client: &HttpClient, method: Method, url: String, body: &'static str) -> (u16, String) {
    let req = Request::builder().method(method).uri(url).body(Full::new(Bytes::from_static(body.as_bytes()))).unwrap();
    let resp = client.request(req).await.expect("response");
    let status = resp.status().as_u16();
    let body = resp.into_body().collect().await.expect("body").to_bytes();
    (status, String::from_utf8(body.to_vec()).unwrap())
}

/// Sends N requests at once; returns the numbers they answered, sorted.
async fn wave(client: &HttpClient, method: Method, url: String) -> Vec<u64> {
    let tasks: Vec<_> = (0..N)
        .map(|_| {
            let (client, method, url) = (client.clone(), method.clone(), url.clone());
            tokio::spawn(async move { send(&client, method, url, "").await })
        })
        .collect();
    let mut numbers = Vec::with_capacity(N);
    for t in tasks {
        let (status, body) = t.await.expect("request task");
        assert_eq!(status, 200, "{body}");
        numbers.push(body.parse().unwrap_or_else(|_| panic!("a number, got {body:?}")));
    }
    numbers.sort_unstable();
    numbers
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_thousand_concurrent_visits_count_exactly() {
    let opts = ServerOptions::new().host("127.0.0.1").port(0);
    let server = Server::serve(opts, counter_app()).await.unwrap();
    let base = server.url();
    let client: HttpClient = Client::builder(TokioExecutor::new()).pool_max_idle_per_host(N).build_http();

    let run = async {
        // Wave 1: N visits in flight together. Wave 2: N store increments, the same way.
        let visits = wave(&client, Method::GET, format!("{base}/visit")).await;
        let expected: Vec<u64> = (1..=N as u64).collect();
        assert_eq!(visits, expected, "each visit got its own number, none lost");
        let (status, body) = send(&client, Method::GET, format!("{base}/count"), "").await;
        assert_eq!((status, body.as_str()), (200, r#"{"visits":1000}"#));

        let increments = wave(&client, Method::POST, format!("{base}/kv/hits/incr")).await;
        assert_eq!(increments, expected, "each increment saw the one before it");
        let (status, body) = send(&client, Method::GET, format!("{base}/kv/hits"), "").await;
        assert_eq!((status, body.as_str()), (200, "1000"));
    };
    tokio::time::timeout(Duration::from_secs(60), run).await.expect("1,000 concurrent requests within 60 s");
    server.close().await;
}

#[tokio::test]
async fn store_routes_share_fetch_and_reject() {
    let client = http_core::testing::TestClient::new(counter_app());
    assert_eq!(client.get("/kv/motd").await.status, 404);
    assert_eq!(client.put("/kv/motd").body("hello").await.status, 204);
    assert_eq!(client.get("/kv/motd").await.text(), "hello");
    assert_eq!(client.post("/kv/motd/incr").await.status, 409, "not a number: left alone");
    assert_eq!(client.get("/kv/motd").await.text(), "hello");
    assert_eq!(client.put("/kv/n").body("41").await.status, 204);
    assert_eq!(client.post("/kv/n/incr").await.text(), "42");
    assert_eq!(client.get("/count").await.json::<serde_json::Value>().unwrap(), serde_json::json!({"visits": 0}));
}
