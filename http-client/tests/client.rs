//! The client against real sockets: our server over HTTP/1.1, h2c and TLS (h2 and
//! http/1.1), hyper's server as an independent peer, and raw TCP servers for malformed
//! responses and connections closed in the pool.

mod support;

use std::time::Duration;

use http_client::redirect::Policy;
use http_client::{Client, ErrorKind, HttpVersion, Version};
use support::*;
use tokio::io::AsyncWriteExt;

const WAIT: Duration = Duration::from_secs(20);

fn client() -> Client {
    Client::builder().timeout(Duration::from_secs(10)).build().unwrap()
}

async fn text(client: &Client, url: &str) -> (String, bool, Version) {
    let res = client.get(url).send().await.unwrap();
    let (reused, version) = (res.connection_reused(), res.version());
    (res.text().await.unwrap(), reused, version)
}

#[tokio::test]
async fn h1_requests_share_one_pooled_connection() {
    let server = serve_routes().await;
    let client = client();
    let url = format!("{}/peer", server.url());
    let mut ports = Vec::new();
    for i in 0..3 {
        let (port, reused, version) = text(&client, &url).await;
        assert_eq!(version, Version::HTTP_11);
        assert_eq!(reused, i > 0, "request {i}");
        ports.push(port);
    }
    assert!(ports.windows(2).all(|w| w[0] == w[1]), "one connection at the server: {ports:?}");
    let res =
        client.post(&format!("{}/echo", server.url())).json(&serde_json::json!({"a": [1, 2]})).send().await.unwrap();
    assert_eq!(res.headers()["x-method"], "POST");
    assert_eq!(res.json::<serde_json::Value>().await.unwrap(), serde_json::json!({"a": [1, 2]}));
    server.forceclose().await;
}

#[tokio::test]
async fn h2c_prior_knowledge_multiplexes_one_connection() {
    let server = serve_routes().await;
    let client = Client::builder().http_version(HttpVersion::Http2PriorKnowledge).build().unwrap();
    let url = format!("{}/peer", server.url());
    let (first, reused, version) = text(&client, &url).await;
    assert_eq!((version, reused), (Version::HTTP_2, false));
    let all = bounded(WAIT, "10 concurrent h2 requests", async {
        let tasks: Vec<_> = (0..10)
            .map(|_| {
                let (c, u) = (client.clone(), url.clone());
                tokio::spawn(async move { text(&c, &u).await })
            })
            .collect();
        let mut out = Vec::new();
        for t in tasks {
            out.push(t.await.unwrap());
        }
        out
    })
    .await;
    assert!(all.iter().all(|(port, reused, _)| *port == first && *reused), "{all:?}");
    let big = vec![7u8; 1 << 20];
    let res = client.put(&format!("{}/echo", server.url())).body(big.clone()).send().await.unwrap();
    assert_eq!(res.bytes().await.unwrap(), big);
    server.forceclose().await;
}

#[tokio::test]
async fn tls_negotiates_h2_or_http11_and_reads_trailers() {
    let cert = make_cert();
    let (server, _app) = start_tls(&cert, opts()).await;
    let url = format!("https://localhost:{}/trailers", server.local_addr().port());
    for (version, want) in [(HttpVersion::Auto, Version::HTTP_2), (HttpVersion::Http1Only, Version::HTTP_11)] {
        let client =
            Client::builder().http_version(version).ca_certificates_pem(cert.cert_pem.clone()).build().unwrap();
        let mut res = client.get(&url).header("te", "trailers").send().await.unwrap();
        assert_eq!(res.version(), want);
        let mut body = Vec::new();
        while let Some(c) = res.chunk().await.unwrap() {
            body.extend_from_slice(&c);
        }
        assert_eq!(body, b"abc");
        assert_eq!(res.trailers().expect("trailers")["x-checksum"], "900150983cd24fb0d6963f7d28e17f72", "{want:?}");
    }
    server.forceclose().await;
}

#[tokio::test]
async fn tls_failures_are_typed() {
    let cert = make_cert();
    let tls = serve_routes_tls(&cert).await;
    // The system's roots do not trust a self-signed certificate.
    let err = client().get(&format!("https://localhost:{}/hello", tls.local_addr().port())).send().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Certificate, "{err}");
    assert!(err.is_tls());
    // Trusted, but the name does not match.
    let other = make_cert();
    let trusting = Client::builder().ca_certificates_pem(other.cert_pem).build().unwrap();
    let err = trusting.get(&format!("https://localhost:{}/hello", tls.local_addr().port())).send().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Certificate, "{err}");
    // A cleartext server does not speak TLS.
    let plain = serve_routes().await;
    let err = client().get(&format!("https://localhost:{}/hello", plain.local_addr().port())).send().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Tls, "{err}");
    tls.forceclose().await;
    plain.forceclose().await;
}

/// hyper's server, HTTP/1.1 (chunked bodies) and h2c.
#[tokio::test]
async fn hyper_server_over_h1_and_h2c() {
    use http_body_util::Full;
    use hyper::service::service_fn;
    use hyper_util::rt::{TokioExecutor, TokioIo};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((s, _)) = listener.accept().await {
            tokio::spawn(async move {
                let svc = service_fn(|req: hyper::Request<hyper::body::Incoming>| async move {
                    let body = format!("hyper {} {:?}", req.uri().path(), req.version());
                    Ok::<_, std::convert::Infallible>(hyper::Response::new(Full::new(bytes::Bytes::from(body))))
                });
                let _ = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new())
                    .serve_connection(TokioIo::new(s), svc)
                    .await;
            });
        }
    });
    let url = format!("http://{addr}/x");
    assert_eq!(text(&client(), &url).await.0, "hyper /x HTTP/1.1");
    let h2 = Client::builder().http_version(HttpVersion::Http2PriorKnowledge).build().unwrap();
    assert_eq!(text(&h2, &url).await.0, "hyper /x HTTP/2.0");
}

/// Malformed responses: each a typed error, never a hang or silently truncated data.
#[tokio::test]
async fn malformed_responses_are_typed_errors() {
    let big_head = format!("HTTP/1.1 200 OK\r\nX-Big: {}\r\n\r\n", "a".repeat(1 << 20)).into_bytes();
    let cases: Vec<(&str, Vec<u8>, Result<&str, ErrorKind>)> = vec![
        ("bad status line", b"HTTP/1.1 2x0 OK\r\n\r\n".to_vec(), Err(ErrorKind::Malformed)),
        ("not HTTP", b"SSH-2.0-OpenSSH\r\n\r\n".to_vec(), Err(ErrorKind::Malformed)),
        ("head over 1 MiB", big_head, Err(ErrorKind::Malformed)),
        (
            "conflicting Content-Length",
            b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd".to_vec(),
            Err(ErrorKind::Malformed),
        ),
        (
            "bad chunk size",
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n".to_vec(),
            Err(ErrorKind::Malformed),
        ),
        ("body cut short", b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc".to_vec(), Err(ErrorKind::BodyTruncated)),
        (
            "chunked cut short",
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab".to_vec(),
            Err(ErrorKind::BodyTruncated),
        ),
        ("head cut short", b"HTTP/1.1 200 OK\r\nContent-Le".to_vec(), Err(ErrorKind::Malformed)),
        ("no response at all", Vec::new(), Err(ErrorKind::Io)),
        (
            "CL with chunked reads chunked",
            b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"
                .to_vec(),
            Ok("abc"),
        ),
        ("until close", b"HTTP/1.1 200 OK\r\n\r\nall of it".to_vec(), Ok("all of it")),
        ("HTTP/1.0", b"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok".to_vec(), Ok("ok")),
    ];
    for (name, reply, want) in cases {
        let server = raw_server(reply).await;
        let got = bounded(WAIT, name, async {
            let res = client().get(&server.url("/")).send().await?;
            res.text().await
        })
        .await;
        match (got, want) {
            (Ok(body), Ok(w)) => assert_eq!(body, w, "{name}"),
            (Err(e), Err(k)) => {
                assert_eq!(e.kind(), k, "{name}: {e}");
                assert!(e.to_string().contains(&server.addr.to_string()), "{name}: the error names the URL: {e}");
            }
            (got, want) => panic!("{name}: got {got:?}, want {want:?}"),
        }
    }
}

/// The server closes a kept-alive connection just as the next request arrives: an
/// idempotent request goes again on a new connection; a POST does not.
#[tokio::test]
async fn idle_closed_connection_is_retried_for_idempotent_requests() {
    let server = scripted_server(|mut s, i| async move {
        if read_head(&mut s).await.is_some() {
            let _ = s.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok").await;
        }
        if i % 2 == 0 {
            // The next request on this connection is read, then the connection closes.
            let _ = read_head(&mut s).await;
        }
    })
    .await;
    let client = client();
    let url = server.url("/");
    assert_eq!(text(&client, &url).await, ("ok".to_owned(), false, Version::HTTP_11));
    let (body, reused, _) = bounded(WAIT, "retried GET", text(&client, &url)).await;
    assert_eq!((body.as_str(), reused), ("ok", false), "retried on a new connection");
    assert_eq!(server.connections(), 2);
    // A new client's first connection is the server's third (even: it closes on its
    // next request), and the POST on it is not sent again.
    let posting = Client::new();
    posting.get(&url).send().await.unwrap().text().await.unwrap();
    let err = posting.post(&url).body("x").send().await.unwrap_err();
    assert!(err.kind() == ErrorKind::Io, "a POST is not retried: {err}");
}

#[tokio::test]
async fn redirects_follow_the_rules() {
    let a = serve_routes().await;
    let b = serve_routes().await;
    let client = client();
    let echo_b = format!("{}/echo", b.url());
    // 303 turns a POST into a GET without its body; 307/308 keep both.
    for (code, method, body) in
        [(303, "GET", ""), (302, "GET", ""), (301, "GET", ""), (307, "POST", "data"), (308, "POST", "data")]
    {
        let res = client.post(&format!("{}/redirect/{code}?/echo", a.url())).body("data").send().await.unwrap();
        assert_eq!(res.headers()["x-method"], method, "{code}");
        assert_eq!(res.history().len(), 1);
        assert_eq!(res.text().await.unwrap(), body, "{code}");
    }
    // Relative Location.
    let res = client.get(&format!("{}/redirect/302?../hello", a.url())).send().await.unwrap();
    assert_eq!(res.text().await.unwrap(), "hello");
    // Credentials stay on the origin.
    for (location, want) in [("/echo".to_owned(), ("Bearer t", "c=1")), (echo_b.clone(), ("-", "-"))] {
        let res = client
            .get(&format!("{}/redirect/302?{location}", a.url()))
            .header("authorization", "Bearer t")
            .header("cookie", "c=1")
            .send()
            .await
            .unwrap();
        let seen = |name: &str| res.headers()[name].to_str().unwrap().to_owned();
        assert_eq!((seen("x-auth").as_str(), seen("x-cookie").as_str()), want, "{location}");
    }
    // A URL's userinfo is Basic credentials, kept on the origin, dropped off it.
    let with_user = a.url().replace("http://", "http://user:pa%3Ass@");
    for (location, want) in [("/echo".to_owned(), "Basic dXNlcjpwYTpzcw=="), (echo_b.clone(), "-")] {
        let res = client.get(&format!("{with_user}/redirect/302?{location}")).send().await.unwrap();
        assert_eq!(res.headers()["x-auth"], want, "{location}");
    }
    // Too many: `/redirect/302` without a query sends an empty Location, itself.
    let limited = Client::builder().redirect(Policy::limited(3)).build().unwrap();
    let err = limited.get(&format!("{}/redirect/302", a.url())).send().await.unwrap_err();
    assert!(err.is_redirect() && err.to_string().contains("too many redirects (3)"), "{err}");
    let none = Client::builder().redirect(Policy::none()).build().unwrap();
    assert_eq!(none.get(&format!("{}/redirect/302?/hello", a.url())).send().await.unwrap().status(), 302);
    a.forceclose().await;
    b.forceclose().await;
}

#[tokio::test]
async fn timeouts_and_connect_errors() {
    let silent = scripted_server(|s, _| async move {
        tokio::time::sleep(Duration::from_secs(30)).await;
        drop(s);
    })
    .await;
    let quick = Client::builder().read_timeout(Some(Duration::from_millis(300))).build().unwrap();
    let err = bounded(WAIT, "read timeout", quick.get(&silent.url("/")).send()).await.unwrap_err();
    assert!(err.is_timeout(), "{err}");
    let total = Client::builder().read_timeout(None).timeout(Duration::from_millis(300)).build().unwrap();
    let err = bounded(WAIT, "total timeout", total.get(&silent.url("/")).send()).await.unwrap_err();
    assert!(err.is_timeout(), "{err}");
    // A port nothing listens on.
    let free = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap().local_addr().unwrap();
    let err = client().get(&format!("http://{free}/")).send().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Connect, "{err}");
    assert!(err.is_connect());
}

#[tokio::test]
async fn error_for_status_and_body_limit() {
    let server = serve_routes().await;
    let err =
        client().get(&format!("{}/status/404", server.url())).send().await.unwrap().error_for_status().unwrap_err();
    assert_eq!(err.status(), Some(http_client::StatusCode::NOT_FOUND));
    let small = Client::builder().max_body_bytes(Some(3)).build().unwrap();
    let err = small.get(&format!("{}/hello", server.url())).send().await.unwrap().bytes().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::BodyTooLarge);
    assert!(err.is_body());
    server.forceclose().await;
}

#[tokio::test]
async fn content_codings_are_decoded_when_the_client_asked() {
    let server = serve_routes().await;
    for coding in ["gzip", "zstd"] {
        let url = format!("{}/coded/{coding}", server.url());
        let res = client().get(&url).send().await.unwrap();
        assert_eq!(res.headers()["x-accept-encoding"], "gzip, deflate, br, zstd");
        assert_eq!(res.text().await.unwrap(), CODED_TEXT, "{coding}");
        let h2 = Client::builder().http_version(HttpVersion::Http2PriorKnowledge).build().unwrap();
        assert_eq!(h2.get(&url).send().await.unwrap().text().await.unwrap(), CODED_TEXT, "{coding} over h2c");
        // Off, or the caller's own Accept-Encoding: the body as sent.
        let off = Client::builder().decompress(false).build().unwrap();
        let res = off.get(&url).send().await.unwrap();
        assert_eq!(res.headers()["x-accept-encoding"], "-");
        assert_ne!(res.bytes().await.unwrap(), CODED_TEXT.as_bytes());
        let own = client().get(&url).header("accept-encoding", coding).send().await.unwrap();
        assert_ne!(own.bytes().await.unwrap(), CODED_TEXT.as_bytes());
    }
    server.forceclose().await;
}

#[tokio::test]
async fn concurrent_first_requests_share_one_h2_connection() {
    // Fifty GETs start together on a client with no connection yet: the first sets up the
    // HTTP/2 connection and the others wait for it and share it.
    let server = h2_server(|_, _| H2Act::Ok).await;
    let client = Client::builder().http_version(HttpVersion::Http2PriorKnowledge).build().unwrap();
    let mut gets = tokio::task::JoinSet::new();
    for _ in 0..50 {
        let (client, url) = (client.clone(), server.url("/"));
        gets.spawn(async move { text(&client, &url).await });
    }
    let results = bounded(WAIT, "50 concurrent GETs", gets.join_all()).await;
    assert!(results.iter().all(|(body, _, v)| body == "ok" && *v == Version::HTTP_2));
    assert_eq!(results.iter().filter(|(_, reused, _)| !reused).count(), 1);
    assert_eq!(server.connections(), 1);
}

#[tokio::test]
async fn h2_refused_stream_is_retried_and_resets_are_typed() {
    let h2c = || Client::builder().http_version(HttpVersion::Http2PriorKnowledge).build().unwrap();
    // The first connection refuses every stream; a GET goes again on a new connection.
    let refusing = h2_server(|conn, _| if conn == 0 { H2Act::Refuse } else { H2Act::Ok }).await;
    let (body, reused, version) = bounded(WAIT, "refused GET", text(&h2c(), &refusing.url("/"))).await;
    assert_eq!((body.as_str(), reused, version), ("ok", false, Version::HTTP_2));
    assert_eq!(refusing.connections(), 2);
    // A pooled connection the server closed (GOAWAY) while idle: a new one is opened.
    let closing = h2_server(|_, _| H2Act::OkThenGoAway).await;
    let client = h2c();
    assert_eq!(text(&client, &closing.url("/")).await.0, "ok");
    tokio::time::sleep(Duration::from_millis(200)).await;
    let (body, reused, _) = bounded(WAIT, "GET after GOAWAY", text(&client, &closing.url("/"))).await;
    assert_eq!((body.as_str(), reused), ("ok", false));
    assert_eq!(closing.connections(), 2);
    // A refused stream was not processed (RFC 9113 §8.7): a POST with a replayable body goes
    // again too. A server that refuses every stream: after the one retry, the error says so.
    let refusing = h2_server(|conn, _| if conn == 0 { H2Act::Refuse } else { H2Act::Ok }).await;
    let (body, reused) = bounded(WAIT, "refused POST", async {
        let res = h2c().post(&refusing.url("/")).body("x").send().await.unwrap();
        let reused = res.connection_reused();
        (res.text().await.unwrap(), reused)
    })
    .await;
    assert_eq!((body.as_str(), reused), ("ok", false));
    let refusing = h2_server(|_, _| H2Act::Refuse).await;
    let err = h2c().post(&refusing.url("/")).body("x").send().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::StreamReset, "{err}");
    // A reset after the head, and a body shorter than its content-length.
    for act in [H2Act::Reset, H2Act::ShortBody] {
        let server = h2_server(match act {
            H2Act::Reset => |_, _| H2Act::Reset,
            _ => |_, _| H2Act::ShortBody,
        })
        .await;
        let got = bounded(WAIT, "reset", async { h2c().get(&server.url("/")).send().await?.bytes().await }).await;
        let err = got.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::StreamReset, "{act:?}: {err}");
        // The reset may come with the head or after it; the short body is a body error.
        assert!(err.is_body() || matches!(act, H2Act::Reset), "{act:?}");
    }
}

/// The streaming form: pieces written over time reach the server as one body (chunked on
/// HTTP/1.1, DATA frames on h2c), with trailers; the response is then read.
#[tokio::test]
async fn open_streams_the_body_then_reads_the_response() {
    let (server, _app) = common_h2::start(opts()).await;
    let url = format!("{}/echo", server.url());
    for version in [HttpVersion::Http1Only, HttpVersion::Http2PriorKnowledge] {
        let client = Client::builder().http_version(version).build().unwrap();
        let mut w = client.post(&url).open();
        for i in 0..5 {
            w.write(format!("piece {i};")).await.unwrap();
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let mut trailers = http_client::HeaderMap::new();
        trailers.insert("x-sum", "5".parse().unwrap());
        w.write_trailers(trailers).await.unwrap();
        let res = bounded(WAIT, "streamed request", w.response()).await.unwrap();
        assert_eq!(res.text().await.unwrap(), "piece 0;piece 1;piece 2;piece 3;piece 4;", "{version:?}");
    }
    // A request that fails reports its error through the writer.
    let free = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap().local_addr().unwrap();
    let mut w = client().post(&format!("http://{free}/")).open();
    let err = match w.write("x").await {
        Err(e) => e,
        Ok(()) => w.response().await.unwrap_err(),
    };
    assert!(err.is_connect(), "{err}");
    server.forceclose().await;
}

/// The client under a tower layer (a timeout) through `Service`.
#[tokio::test]
async fn tower_layers_wrap_the_client() {
    use tower::{Service, ServiceBuilder, ServiceExt};
    let server = serve_routes().await;
    let mut svc = ServiceBuilder::new().timeout(Duration::from_secs(5)).service(client());
    for _ in 0..3 {
        let req = http::Request::get(format!("{}/hello", server.url())).body(http_client::Body::empty()).unwrap();
        let ready = ServiceExt::<http::Request<http_client::Body>>::ready(&mut svc).await.unwrap();
        let res = ready.call(req).await.unwrap();
        assert_eq!(res.text().await.unwrap(), "hello");
    }
    server.forceclose().await;
}
