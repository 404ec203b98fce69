//! The `json_api` and `plain` examples through the in-process test client: typed JSON and
//! form bodies, query strings, and their 400 / 413 / 415 answers; the plain-string
//! handler's status prefixes and JSON detection, also over a real socket.

use examples::features::json_api::{BODY_LIMIT, Todo, json_app};
use http_core::testing::TestClient;
use http_core::{StatusCode, plain};
use http_server::{Server, ServerOptions};

#[tokio::test]
async fn json_and_form_bodies_create_todos() {
    let client = TestClient::new(json_app());
    let r = client.post("/todos").json(&serde_json::json!({"title": "write docs"})).await;
    assert_eq!(r.status, StatusCode::CREATED);
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert_eq!(r.json::<Todo>().unwrap(), Todo { id: 1, title: "write docs".into(), done: false });

    let r = client.post("/todos/form").form(&[("title", "from a form"), ("done", "true")]).await;
    assert_eq!(r.status, StatusCode::CREATED);
    assert_eq!(r.json::<Todo>().unwrap(), Todo { id: 2, title: "from a form".into(), done: true });

    let all: Vec<Todo> = client.get("/todos").await.json().unwrap();
    assert_eq!(all.len(), 2);
    let done: Vec<Todo> = client.get("/todos?done=true").await.json().unwrap();
    assert_eq!(done.iter().map(|t| t.id).collect::<Vec<_>>(), [2]);
    let first: Vec<Todo> = client.get("/todos?limit=1").await.json().unwrap();
    assert_eq!(first.iter().map(|t| t.id).collect::<Vec<_>>(), [1]);
    assert_eq!(client.get("/todos/2").await.json::<Todo>().unwrap().title, "from a form");
    let r = client.get("/todos/9").await;
    assert_eq!((r.status, r.text().as_str()), (StatusCode::NOT_FOUND, r#"{"error":"no such todo"}"#));
}

#[tokio::test]
async fn bad_input_gets_typed_errors() {
    let client = TestClient::new(json_app());
    let big = format!(r#"{{"title":"{}"}}"#, "x".repeat(BODY_LIMIT));
    // (method, uri, content type, body, status, part of the message)
    type Case = (&'static str, &'static str, Option<&'static str>, String, u16, &'static str);
    let cases: Vec<Case> = vec![
        ("POST", "/todos", Some("application/json"), "{oops".into(), 400, "malformed JSON"),
        ("POST", "/todos", Some("application/json"), r#"{"done":true}"#.into(), 400, "missing field `title`"),
        ("POST", "/todos", Some("application/json"), r#"{"title":7}"#.into(), 400, "expected shape"),
        ("POST", "/todos", Some("application/json"), r#"{"title":"  "}"#.into(), 400, "title must not be empty"),
        (
            "POST",
            "/todos",
            Some("text/plain"),
            r#"{"title":"a"}"#.into(),
            415,
            "expected Content-Type application/json",
        ),
        ("POST", "/todos", None, r#"{"title":"a"}"#.into(), 415, "got none"),
        ("POST", "/todos", Some("application/json"), big.clone(), 413, "over 16384 bytes"),
        ("POST", "/todos/form", Some("application/json"), "title=a".into(), 415, "x-www-form-urlencoded"),
        ("POST", "/todos/form", Some("application/x-www-form-urlencoded"), "done=yes".into(), 400, "invalid form data"),
        ("GET", "/todos?done=maybe", None, String::new(), 400, "invalid query string"),
        ("GET", "/todos?limit=-1", None, String::new(), 400, "invalid query string"),
    ];
    for (method, uri, ct, body, status, msg) in cases {
        let mut req = client.request(method.parse().unwrap(), uri).body(body);
        if let Some(ct) = ct {
            req = req.header("content-type", ct);
        }
        let r = req.await;
        assert_eq!(r.status.as_u16(), status, "{method} {uri}: {}", r.text());
        assert!(r.text().contains(msg), "{method} {uri}: {}", r.text());
        assert_eq!(r.header("content-type"), Some("text/plain; charset=utf-8"));
    }
    let all: Vec<Todo> = client.get("/todos").await.json().unwrap();
    assert!(all.is_empty(), "nothing was stored: {all:?}");
}

#[tokio::test]
async fn plain_example_table() {
    let client = TestClient::new(plain(examples::features::plain::handle));
    let json = Some("application/json");
    let text = Some("text/plain; charset=utf-8");
    let cases = [
        ("GET", "/health", "", 200, json, r#"{"status": "ok"}"#),
        ("POST", "/echo", "hi there", 200, text, "hi there"),
        ("POST", "/echo", "[1,2]", 200, json, "[1,2]"),
        ("GET", "/greet?name=Ada", "", 200, json, r#"{"message":"Hello, Ada!"}"#),
        ("GET", "/greet?x=1&name=Ada%20L%C3%B6+B.", "", 200, json, r#"{"message":"Hello, Ada Lö B.!"}"#),
        ("GET", "/greet", "", 200, json, r#"{"message":"Hello, World!"}"#),
        ("POST", "/items", "pen", 201, json, r#"{"created":"pen"}"#),
        ("GET", "/nope", "", 404, text, "Not Found"),
    ];
    for (method, uri, body, status, ct, want) in cases {
        let r = client.request(method.parse().unwrap(), uri).body(body).await;
        assert_eq!(
            (r.status.as_u16(), r.header("content-type"), r.text().as_str()),
            (status, ct, want),
            "{method} {uri}"
        );
    }
}

#[tokio::test]
async fn plain_handler_over_a_socket() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let server =
        Server::serve(ServerOptions::new().host("127.0.0.1").port(0), plain(examples::features::plain::handle))
            .await
            .unwrap();
    let mut tcp = tokio::net::TcpStream::connect(server.local_addr()).await.unwrap();
    tcp.write_all(b"POST /items HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nConnection: close\r\n\r\npen")
        .await
        .unwrap();
    let mut out = String::new();
    tokio::time::timeout(std::time::Duration::from_secs(10), tcp.read_to_string(&mut out)).await.unwrap().unwrap();
    assert!(out.starts_with("HTTP/1.1 201 Created\r\n"), "{out}");
    assert!(out.to_ascii_lowercase().contains("content-type: application/json\r\n"), "{out}");
    assert!(out.ends_with("\r\n\r\n{\"created\":\"pen\"}"), "{out}");
    server.close().await;
}
