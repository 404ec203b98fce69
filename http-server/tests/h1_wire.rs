//! Exact HTTP/1.1 wire behaviour over raw TCP: the RFC 9112 message-syntax and framing rules
//! the engine enforces, as a case table, plus the exchanges a table cannot express (pipelining,
//! 100-continue, HEAD, HTTP/1.0 close-delimited bodies).

mod common;

use std::time::Duration;

use common::{Conn, RawResponse, get, opts};
use http_core::{Response, StatusCode, Stream};
use http_server::Server;

const MAX_URI: usize = 256;
const MAX_HEADER: usize = 1024;
const MAX_BODY: u64 = 1024;
const MAX_HEADERS: usize = 20;

/// The wire handler:
/// - `/noread`: answers 401 without touching the request body;
/// - `/late-read`: waits 300 ms, then echoes;
/// - `/fixed`: `Hello, World!` whatever the method (serve-style response);
/// - `/short-cl`, `/long-cl`: a body shorter / longer than the declared Content-Length;
/// - `/stream`: a body of unknown length (chunked on 1.1, close-delimited on 1.0);
/// - `/fields`: reads the body and lists the request's header fields in order,
///   `name=value;` each, then `body=...`;
/// - anything else: reads the body (up to `max_body_bytes`, else the error's status) and
///   describes the request: `METHOD TARGET VERSION len=N body=... trailers=k:v,...`.
async fn wire(s: &mut Stream) {
    let path = s.startread().uri.path().to_owned();
    match path.as_str() {
        "/noread" => {
            let _ = s.setstatus(StatusCode::UNAUTHORIZED);
            let _ = s.setheader("content-length", "6");
            let _ = s.write("denied").await;
        }
        "/late-read" => {
            tokio::time::sleep(Duration::from_millis(300)).await;
            echo(s).await;
        }
        "/fixed" => {
            let _ = s.write_response(Response::text("Hello, World!")).await;
        }
        // Declares 10 bytes, writes 5 and ends: the response is short.
        "/short-cl" => {
            let _ = s.setheader("content-length", "10");
            let _ = s.write("12345").await;
        }
        // Declares 3 bytes, writes 5: the write is refused.
        "/long-cl" => {
            let _ = s.setheader("content-length", "3");
            let _ = s.write("12345").await;
        }
        "/stream" => {
            let _ = s.setheader("content-type", "text/plain");
            for part in ["one,", "two,", "three"] {
                if s.write(part).await.is_err() {
                    return;
                }
            }
        }
        "/fields" => {
            let body = s.read_to_end(s.max_body_bytes()).await.unwrap_or_default();
            let fields: String = s
                .startread()
                .headers
                .iter()
                .map(|(k, v)| format!("{k}={};", String::from_utf8_lossy(v.as_bytes())))
                .collect();
            let _ = s.write_response(Response::text(format!("{fields}body={}", String::from_utf8_lossy(&body)))).await;
        }
        _ => echo(s).await,
    }
}

async fn echo(s: &mut Stream) {
    let body = match s.read_to_end(s.max_body_bytes()).await {
        Ok(b) => b,
        Err(e) => {
            let _ = s.write_response(Response::error(e.status())).await;
            return;
        }
    };
    let mut trailers: Vec<String> = s
        .request_trailers()
        .map(|t| t.iter().map(|(k, v)| format!("{k}:{}", v.to_str().unwrap_or("?"))).collect())
        .unwrap_or_default();
    trailers.sort();
    let r = s.startread();
    let text = format!(
        "{} {} {:?} len={} body={} trailers={}",
        r.method,
        r.uri,
        r.version,
        body.len(),
        String::from_utf8_lossy(&body),
        trailers.join(",")
    );
    let _ = s.write_response(Response::text(text)).await;
}

async fn start() -> Server {
    let o = opts()
        .max_uri_bytes(MAX_URI)
        .max_header_bytes(MAX_HEADER)
        .max_body_bytes(MAX_BODY)
        .max_headers(MAX_HEADERS)
        .read_timeout(Duration::from_millis(800));
    Server::listen(o, wire).await.expect("server starts")
}

struct Case {
    name: &'static str,
    request_bytes: Vec<u8>,
    expect_status: u16,
    /// The server closes the connection after the response. Otherwise a follow-up request
    /// on the same connection must be answered (which also proves the response's framing
    /// was exact).
    expect_close: bool,
    /// The exact response body, when it matters. Error responses are always checked
    /// against the status's reason phrase.
    expect_body: Option<String>,
}

fn case(name: &'static str, req: impl Into<Vec<u8>>, status: u16, close: bool) -> Case {
    Case { name, request_bytes: req.into(), expect_status: status, expect_close: close, expect_body: None }
}

fn ok_body(name: &'static str, req: impl Into<Vec<u8>>, close: bool, body: &str) -> Case {
    Case { expect_body: Some(body.to_owned()), ..case(name, req, 200, close) }
}

const H: &str = "Host: t\r\n";

fn cases() -> Vec<Case> {
    let long_target = |n: usize| format!("GET /{} HTTP/1.1\r\n{H}\r\n", "a".repeat(n));
    let many_headers: String = (0..MAX_HEADERS + 5).map(|i| format!("X-{i}: v\r\n")).collect();
    let body_2000 = "b".repeat(2000);
    vec![
        // Baseline and accepted variations.
        ok_body("simple GET", get("/"), false, "GET / HTTP/1.1 len=0 body= trailers="),
        ok_body("query kept", get("/q?a=1&b"), false, "GET /q?a=1&b HTTP/1.1 len=0 body= trailers="),
        ok_body(
            "leading empty line",
            format!("\r\nGET / HTTP/1.1\r\n{H}\r\n"),
            false,
            "GET / HTTP/1.1 len=0 body= trailers=",
        ),
        ok_body(
            "absolute-form target",
            format!("GET http://t/x HTTP/1.1\r\n{H}\r\n"),
            false,
            "GET http://t/x HTTP/1.1 len=0 body= trailers=",
        ),
        case("OPTIONS *", format!("OPTIONS * HTTP/1.1\r\n{H}\r\n"), 200, false),
        ok_body(
            "POST with Content-Length",
            format!("POST /p HTTP/1.1\r\n{H}Content-Length: 5\r\n\r\nhello"),
            false,
            "POST /p HTTP/1.1 len=5 body=hello trailers=",
        ),
        ok_body(
            "Content-Length with leading zeros",
            format!("POST / HTTP/1.1\r\n{H}Content-Length: 003\r\n\r\nabc"),
            false,
            "POST / HTTP/1.1 len=3 body=abc trailers=",
        ),
        ok_body(
            "identical duplicate Content-Length",
            format!("POST / HTTP/1.1\r\n{H}Content-Length: 3\r\nContent-Length: 3\r\n\r\nabc"),
            false,
            "POST / HTTP/1.1 len=3 body=abc trailers=",
        ),
        ok_body(
            "identical Content-Length list",
            format!("POST / HTTP/1.1\r\n{H}Content-Length: 3, 3\r\n\r\nabc"),
            false,
            "POST / HTTP/1.1 len=3 body=abc trailers=",
        ),
        ok_body(
            "chunked body with extensions and trailers",
            format!(
                "POST / HTTP/1.1\r\n{H}Transfer-Encoding: chunked\r\n\r\n3;ext=1\r\nabc\r\n2\r\nde\r\n0\r\nX-Sum: 9\r\n\r\n"
            ),
            false,
            "POST / HTTP/1.1 len=5 body=abcde trailers=x-sum:9",
        ),
        ok_body(
            "chunked, case-insensitive coding",
            format!("POST / HTTP/1.1\r\n{H}Transfer-Encoding: Chunked\r\n\r\n1\r\nz\r\n0\r\n\r\n"),
            false,
            "POST / HTTP/1.1 len=1 body=z trailers=",
        ),
        case("empty header value", format!("GET / HTTP/1.1\r\n{H}X-Empty:\r\n\r\n"), 200, false),
        // Host (RFC 9112 §3.2).
        case("missing Host on HTTP/1.1", "GET / HTTP/1.1\r\n\r\n", 400, true),
        case("duplicate Host", format!("GET / HTTP/1.1\r\n{H}Host: u\r\n\r\n"), 400, true),
        case("Host with a space", "GET / HTTP/1.1\r\nHost: a b\r\n\r\n", 400, true),
        // Content-Length / Transfer-Encoding (RFC 9112 §6.1-§6.3: smuggling).
        case(
            "Content-Length and Transfer-Encoding",
            format!("POST / HTTP/1.1\r\n{H}Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
            400,
            true,
        ),
        case(
            "Transfer-Encoding and Content-Length",
            format!("POST / HTTP/1.1\r\n{H}Transfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n"),
            400,
            true,
        ),
        case(
            "differing duplicate Content-Length",
            format!("POST / HTTP/1.1\r\n{H}Content-Length: 3\r\nContent-Length: 4\r\n\r\nabcd"),
            400,
            true,
        ),
        case(
            "differing Content-Length list",
            format!("POST / HTTP/1.1\r\n{H}Content-Length: 3, 4\r\n\r\nabcd"),
            400,
            true,
        ),
        case("Content-Length not a number", format!("POST / HTTP/1.1\r\n{H}Content-Length: abc\r\n\r\n"), 400, true),
        case("Content-Length with a sign", format!("POST / HTTP/1.1\r\n{H}Content-Length: +3\r\n\r\nabc"), 400, true),
        case("Content-Length negative", format!("POST / HTTP/1.1\r\n{H}Content-Length: -1\r\n\r\n"), 400, true),
        case(
            "Content-Length overflowing u64",
            format!("POST / HTTP/1.1\r\n{H}Content-Length: 99999999999999999999\r\n\r\n"),
            400,
            true,
        ),
        case(
            "final coding not chunked (gzip)",
            format!("POST / HTTP/1.1\r\n{H}Transfer-Encoding: gzip\r\n\r\n"),
            400,
            true,
        ),
        case(
            "final coding not chunked (identity)",
            format!("POST / HTTP/1.1\r\n{H}Transfer-Encoding: identity\r\n\r\n"),
            400,
            true,
        ),
        case("chunked then gzip", format!("POST / HTTP/1.1\r\n{H}Transfer-Encoding: chunked, gzip\r\n\r\n"), 400, true),
        case(
            "chunked twice",
            format!("POST / HTTP/1.1\r\n{H}Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n"),
            400,
            true,
        ),
        case(
            "unknown coding before chunked",
            format!("POST / HTTP/1.1\r\n{H}Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n"),
            501,
            true,
        ),
        case(
            "Transfer-Encoding on HTTP/1.0",
            "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
            400,
            true,
        ),
        // Field syntax (RFC 9112 §5, §2.2).
        case("obs-fold", format!("GET / HTTP/1.1\r\n{H}X-A: a\r\n b\r\n\r\n"), 400, true),
        case("obs-fold with a tab", format!("GET / HTTP/1.1\r\n{H}X-A: a\r\n\tb\r\n\r\n"), 400, true),
        case("whitespace before colon", format!("GET / HTTP/1.1\r\n{H}X-A : a\r\n\r\n"), 400, true),
        case("tab before colon", format!("GET / HTTP/1.1\r\n{H}X-A\t: a\r\n\r\n"), 400, true),
        case("space inside a field name", format!("GET / HTTP/1.1\r\n{H}X A: a\r\n\r\n"), 400, true),
        case("'(' in a field name", format!("GET / HTTP/1.1\r\n{H}X(A: a\r\n\r\n"), 400, true),
        case("'@' in a field name", format!("GET / HTTP/1.1\r\n{H}X@A: a\r\n\r\n"), 400, true),
        case("non-ASCII in a field name", format!("GET / HTTP/1.1\r\n{H}X-\u{e9}: a\r\n\r\n"), 400, true),
        case("empty field name", format!("GET / HTTP/1.1\r\n{H}: a\r\n\r\n"), 400, true),
        case("'(' in the method", "G(T / HTTP/1.1\r\nHost: t\r\n\r\n", 400, true),
        case("bare CR in a field value", format!("GET / HTTP/1.1\r\n{H}X-A: a\rb\r\n\r\n"), 400, true),
        case("bare CR ending the request line", "GET / HTTP/1.1\rHost: t\r\n\r\n", 400, true),
        case("bare CR ending a field line", format!("GET / HTTP/1.1\r\n{H}X-A: a\r\r\n"), 400, true),
        case("NUL in a field value", format!("GET / HTTP/1.1\r\n{H}X-A: a\0b\r\n\r\n"), 400, true),
        case("target not in origin-form", format!("GET foo HTTP/1.1\r\n{H}\r\n"), 400, true),
        case("HTTP/0.9 request line", "GET /\r\n\r\n", 400, true),
        case("lower-case protocol name", format!("GET / http/1.1\r\n{H}\r\n"), 400, true),
        case(
            "unsupported expectation",
            format!("POST / HTTP/1.1\r\n{H}Expect: teleport\r\nContent-Length: 1\r\n\r\nx"),
            417,
            true,
        ),
        // Chunked framing errors (RFC 9112 §7.1).
        case(
            "chunk-size overflow (17 hex digits)",
            format!("POST / HTTP/1.1\r\n{H}Transfer-Encoding: chunked\r\n\r\n11111111111111111\r\nabc\r\n0\r\n\r\n"),
            400,
            true,
        ),
        case(
            "chunk-size not hex",
            format!("POST / HTTP/1.1\r\n{H}Transfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n"),
            400,
            true,
        ),
        case(
            "chunk-size with 0x prefix",
            format!("POST / HTTP/1.1\r\n{H}Transfer-Encoding: chunked\r\n\r\n0x3\r\nabc\r\n0\r\n\r\n"),
            400,
            true,
        ),
        case(
            "chunk data longer than its size",
            format!("POST / HTTP/1.1\r\n{H}Transfer-Encoding: chunked\r\n\r\n3\r\nabcd\r\n0\r\n\r\n"),
            400,
            true,
        ),
        case(
            "chunk-size line with bare LF",
            format!("POST / HTTP/1.1\r\n{H}Transfer-Encoding: chunked\r\n\r\n3\nabc\r\n0\r\n\r\n"),
            400,
            true,
        ),
        // Limits.
        case("target over max_uri_bytes", long_target(MAX_URI + 10), 414, true),
        case("target over max_header_bytes", long_target(MAX_HEADER + 500), 414, true),
        case(
            "header block over max_header_bytes",
            format!("GET / HTTP/1.1\r\n{H}X-Big: {}\r\n\r\n", "v".repeat(MAX_HEADER)),
            431,
            true,
        ),
        case(
            "many small fields over max_header_bytes",
            format!("GET / HTTP/1.1\r\n{H}{}\r\n", "X-F: 0123456789\r\n".repeat(MAX_HEADER / 16 + 1)),
            431,
            true,
        ),
        case("more fields than max_headers", format!("GET / HTTP/1.1\r\n{H}{many_headers}\r\n"), 431, true),
        // The body was sent whole and is small enough to drain: the connection is kept.
        case(
            "body over max_body_bytes, drained",
            format!("POST / HTTP/1.1\r\n{H}Content-Length: 2000\r\n\r\n{body_2000}"),
            413,
            false,
        ),
        case(
            "chunked body over max_body_bytes, drained",
            format!(
                "POST / HTTP/1.1\r\n{H}Transfer-Encoding: chunked\r\n\r\n3e8\r\n{}\r\n3e8\r\n{}\r\n0\r\n\r\n",
                "c".repeat(1000),
                "c".repeat(1000)
            ),
            413,
            false,
        ),
        // The rest of the body never comes: 413, then close.
        case(
            "body over max_body_bytes, not drained",
            format!("POST / HTTP/1.1\r\n{H}Content-Length: 10000000\r\n\r\n0123456789"),
            413,
            true,
        ),
        case(
            "chunked body over max_body_bytes, not drained",
            format!(
                "POST / HTTP/1.1\r\n{H}Transfer-Encoding: chunked\r\n\r\n3e8\r\n{}\r\n100000\r\n{}",
                "c".repeat(1000),
                "c".repeat(1000)
            ),
            413,
            true,
        ),
        case(
            "Expect with a body over max_body_bytes",
            format!("POST / HTTP/1.1\r\n{H}Expect: 100-continue\r\nContent-Length: 5000\r\n\r\n"),
            413,
            true,
        ),
        // Versions.
        case("HTTP/2.0 request line", format!("GET / HTTP/2.0\r\n{H}\r\n"), 505, true),
        case("HTTP/3.0 request line", format!("GET / HTTP/3.0\r\n{H}\r\n"), 505, true),
        case("HTTP/3.1 request line", format!("GET / HTTP/3.1\r\n{H}\r\n"), 505, true),
        // Not `method SP target SP HTTP/x.y`: malformed, whatever the last word says.
        case("space in the target", format!("GET /a b HTTP/1.1\r\n{H}\r\n"), 400, true),
        case("space in the target before HTTP/2.0", format!("GET /a b HTTP/2.0\r\n{H}\r\n"), 400, true),
        case("version without a minor", format!("GET / HTTP/2\r\n{H}\r\n"), 400, true),
        case("version with a letter", format!("GET / HTTP/1.x\r\n{H}\r\n"), 400, true),
        // RFC 9112 §2.3: a higher HTTP/1 minor version is served as HTTP/1.1.
        ok_body(
            "HTTP/1.2 served as HTTP/1.1",
            format!("GET / HTTP/1.2\r\n{H}\r\n"),
            false,
            "GET / HTTP/1.1 len=0 body= trailers=",
        ),
        ok_body("HTTP/1.0 closes by default", "GET / HTTP/1.0\r\n\r\n", true, "GET / HTTP/1.0 len=0 body= trailers="),
        ok_body(
            "HTTP/1.0 keep-alive when asked",
            "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
            false,
            "GET / HTTP/1.0 len=0 body= trailers=",
        ),
        ok_body(
            "HTTP/1.0 POST",
            "POST / HTTP/1.0\r\nContent-Length: 2\r\n\r\nhi",
            true,
            "POST / HTTP/1.0 len=2 body=hi trailers=",
        ),
        // Connection options.
        case("Connection: close", format!("GET / HTTP/1.1\r\n{H}Connection: close\r\n\r\n"), 200, true),
        case(
            "Connection: close among other options",
            format!("GET / HTTP/1.1\r\n{H}Connection: foo, CLOSE\r\n\r\n"),
            200,
            true,
        ),
        case(
            "Connection: keep-alive on HTTP/1.1",
            format!("GET / HTTP/1.1\r\n{H}Connection: keep-alive\r\n\r\n"),
            200,
            false,
        ),
    ]
}

/// Runs one case; `Err` describes how it failed.
async fn run_case(server: &Server, c: &Case) -> Result<(), String> {
    let mut conn = Conn::to(server).await;
    conn.send_lenient(&c.request_bytes).await;
    let r = conn.try_response(false).await?;
    check_response(&r, c.expect_status, c.expect_body.as_deref())?;
    if c.expect_close {
        // The close must be announced when the server knows it when writing the head,
        // which is always the case for a rejected head and for HTTP/1.0 without keep-alive.
        if r.status != 413 && !r.says_close() {
            return Err(format!("closes without `Connection: close`: {:?}", r.headers));
        }
        conn.try_closed().await?;
    } else {
        if r.says_close() {
            return Err(format!("unexpected `Connection: close`: {:?}", r.headers));
        }
        conn.send(&get("/after")).await;
        let next = conn.try_response(false).await.map_err(|e| format!("follow-up request: {e}"))?;
        check_response(&next, 200, Some("GET /after HTTP/1.1 len=0 body= trailers="))
            .map_err(|e| format!("follow-up request: {e}"))?;
    }
    Ok(())
}

fn check_response(r: &RawResponse, status: u16, body: Option<&str>) -> Result<(), String> {
    if r.status != status {
        return Err(format!("status {} {} (want {status}), body {:?}", r.status, r.reason, r.text()));
    }
    let reason = StatusCode::from_u16(status).ok().and_then(|s| s.canonical_reason()).unwrap_or("");
    if r.reason != reason {
        return Err(format!("reason phrase {:?}, want {reason:?}", r.reason));
    }
    if r.version != "HTTP/1.1" {
        return Err(format!("status line version {}", r.version));
    }
    if r.header("date").is_none_or(|d| httpdate::parse_http_date(d).is_err()) {
        return Err(format!("no valid Date header: {:?}", r.headers));
    }
    if status >= 400 && r.text() != reason {
        return Err(format!("error body {:?}, want {reason:?}", r.text()));
    }
    match body {
        Some(want) if r.text() != want => Err(format!("body {:?}, want {want:?}", r.text())),
        _ => Ok(()),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn rfc9112_case_table() {
    let server = start().await;
    let cases = cases();
    let results = common::bounded(Duration::from_secs(30), "case table", async {
        let mut tasks = Vec::new();
        for (i, _) in cases.iter().enumerate() {
            let server = server.clone();
            let c = Case {
                name: cases[i].name,
                request_bytes: cases[i].request_bytes.clone(),
                expect_status: cases[i].expect_status,
                expect_close: cases[i].expect_close,
                expect_body: cases[i].expect_body.clone(),
            };
            tasks.push(tokio::spawn(async move { (c.name, run_case(&server, &c).await) }));
        }
        let mut out = Vec::new();
        for t in tasks {
            out.push(t.await.expect("case task"));
        }
        out
    })
    .await;
    let failures: Vec<String> =
        results.iter().filter_map(|(name, r)| r.as_ref().err().map(|e| format!("{name}: {e}"))).collect();
    assert!(failures.is_empty(), "{} of {} cases failed:\n{}", failures.len(), cases.len(), failures.join("\n"));
    server.close().await;
}

/// The same rules hold when the request arrives in pieces: a head split at every byte
/// boundary is parsed the same, and a long target is refused before the line ends.
#[tokio::test]
async fn request_split_into_single_bytes() {
    let server = start().await;
    let mut conn = Conn::to(&server).await;
    let req = format!("POST /split HTTP/1.1\r\n{H}Transfer-Encoding: chunked\r\n\r\n2\r\nab\r\n0\r\n\r\n");
    for b in req.as_bytes() {
        conn.send(std::slice::from_ref(b)).await;
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    let r = conn.response().await;
    check_response(&r, 200, Some("POST /split HTTP/1.1 len=2 body=ab trailers=")).unwrap();

    let mut conn = Conn::to(&server).await;
    conn.send(format!("GET /{}", "a".repeat(MAX_URI / 2)).as_bytes()).await;
    tokio::time::sleep(Duration::from_millis(20)).await;
    conn.send_lenient("a".repeat(MAX_HEADER).as_bytes()).await;
    let r = conn.response().await;
    check_response(&r, 414, None).unwrap();
    assert!(r.says_close());
    conn.closed().await;
    server.close().await;
}

#[tokio::test]
async fn chunked_response_of_unknown_length() {
    let server = start().await;
    let mut conn = Conn::to(&server).await;
    conn.send(&get("/stream")).await;
    let r = conn.response().await;
    assert_eq!(r.status, 200);
    assert!(r.chunked, "unknown length on HTTP/1.1 must be chunked: {:?}", r.headers);
    assert_eq!(r.header("content-length"), None);
    assert_eq!(r.text(), "one,two,three");
    assert!(r.trailers.is_empty());
    r.assert_date();
    // The connection stays usable after the last chunk.
    conn.send(&get("/x")).await;
    assert_eq!(conn.response().await.status, 200);
    server.close().await;
}

#[tokio::test]
async fn http10_unknown_length_is_close_delimited() {
    let server = start().await;
    for req in ["GET /stream HTTP/1.0\r\n\r\n", "GET /stream HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"] {
        let mut conn = Conn::to(&server).await;
        conn.send(req.as_bytes()).await;
        let r = conn.response().await;
        assert_eq!(r.status, 200, "{req:?}");
        assert!(r.close_delimited, "{req:?}: {:?}", r.headers);
        assert_eq!(r.header("transfer-encoding"), None, "no chunked to an HTTP/1.0 client");
        assert_eq!(r.text(), "one,two,three");
        assert!(r.says_close(), "{req:?}: {:?}", r.headers);
        r.assert_date();
    }
    // HTTP/1.0 keep-alive with a known length stays open and says so.
    let mut conn = Conn::to(&server).await;
    for _ in 0..2 {
        conn.send(b"GET /ka HTTP/1.0\r\nConnection: keep-alive\r\n\r\n").await;
        let r = conn.response().await;
        assert_eq!(r.text(), "GET /ka HTTP/1.0 len=0 body= trailers=");
        assert_eq!(r.header("connection"), Some("keep-alive"));
    }
    server.close().await;
}

#[tokio::test]
async fn head_has_get_headers_and_no_body() {
    let server = start().await;
    let mut conn = Conn::to(&server).await;
    for path in ["/fixed", "/stream"] {
        conn.send(&get(path)).await;
        let g = conn.response().await;
        conn.send(format!("HEAD {path} HTTP/1.1\r\n{H}\r\n").as_bytes()).await;
        let h = conn.head_response().await;
        assert_eq!(h.status, g.status, "{path}");
        assert_eq!(h.header_names_without_date(), g.header_names_without_date(), "{path}");
        for (name, value) in g.headers.iter().filter(|(n, _)| n != "date") {
            assert_eq!(h.header(name), Some(value.as_str()), "{path}: {name}");
        }
        assert!(!g.body.is_empty());
        h.assert_date();
        // Had the HEAD response carried body bytes, they would be read as the next
        // response's status line here.
        conn.send(&get("/next")).await;
        let n = conn.response().await;
        assert_eq!(n.text(), "GET /next HTTP/1.1 len=0 body= trailers=", "{path}");
    }
    conn.send(format!("HEAD /fixed HTTP/1.1\r\n{H}\r\n").as_bytes()).await;
    let h = conn.head_response().await;
    assert_eq!(h.header("content-length"), Some("13"), "HEAD /fixed has GET's Content-Length");
    assert!(conn.silent_for(Duration::from_millis(100)).await, "HEAD response followed by body bytes");
    server.close().await;
}

#[tokio::test]
async fn pipelined_requests_are_answered_in_order() {
    let server = start().await;
    let mut conn = Conn::to(&server).await;
    let mut batch = Vec::new();
    let mut want = Vec::new();
    for i in 0..10 {
        match i % 3 {
            0 => {
                batch.extend(get(&format!("/p{i}")));
                want.push(format!("GET /p{i} HTTP/1.1 len=0 body= trailers="));
            }
            1 => {
                batch.extend(format!("POST /p{i} HTTP/1.1\r\n{H}Content-Length: 4\r\n\r\nb{i:03}").into_bytes());
                want.push(format!("POST /p{i} HTTP/1.1 len=4 body=b{i:03} trailers="));
            }
            _ => {
                batch.extend(
                    format!("PUT /p{i} HTTP/1.1\r\n{H}Transfer-Encoding: chunked\r\n\r\n2\r\nc{i}\r\n0\r\n\r\n")
                        .into_bytes(),
                );
                want.push(format!("PUT /p{i} HTTP/1.1 len=2 body=c{i} trailers="));
            }
        }
    }
    conn.send(&batch).await;
    for (i, w) in want.iter().enumerate() {
        let r = conn.response().await;
        assert_eq!(r.status, 200, "response {i}");
        assert_eq!(&r.text(), w, "response {i} out of order or wrong");
        assert!(!r.says_close());
    }
    assert!(conn.silent_for(Duration::from_millis(100)).await, "extra bytes after 10 responses");

    // A pipeline ending in `Connection: close`: all answered, then the close.
    let mut conn = Conn::to(&server).await;
    let mut batch = Vec::new();
    for i in 0..9 {
        batch.extend(get(&format!("/q{i}")));
    }
    batch.extend(format!("GET /q9 HTTP/1.1\r\n{H}Connection: close\r\n\r\n").into_bytes());
    conn.send(&batch).await;
    for i in 0..10 {
        let r = conn.response().await;
        assert_eq!(r.text(), format!("GET /q{i} HTTP/1.1 len=0 body= trailers="));
        assert_eq!(r.says_close(), i == 9, "response {i}");
    }
    conn.closed().await;

    // A bad request in the middle of a pipeline: the ones before it are answered, it gets
    // its 400, and nothing after it is processed.
    let mut conn = Conn::to(&server).await;
    let mut batch = get("/r0");
    batch.extend(get("/r1"));
    batch.extend(b"GET /r2 HTTP/1.1\r\n\r\n");
    batch.extend(get("/r3"));
    conn.send(&batch).await;
    assert_eq!(conn.response().await.text(), "GET /r0 HTTP/1.1 len=0 body= trailers=");
    assert_eq!(conn.response().await.text(), "GET /r1 HTTP/1.1 len=0 body= trailers=");
    let bad = conn.response().await;
    assert_eq!((bad.status, bad.says_close()), (400, true));
    conn.closed().await;
    server.close().await;
}

/// Heads on one keep-alive connection that repeat, change, reorder, drop and add fields
/// (the engine takes a field the previous head had byte for byte from that head): each
/// request sees exactly its own fields, and the framing fields still frame each body.
#[tokio::test]
async fn repeated_and_changing_fields_on_one_connection() {
    let server = start().await;
    let mut conn = Conn::to(&server).await;
    // (the fields after the request line, the body, what `/fields` answers)
    let heads: &[(&str, &str, &str)] = &[
        ("Host: a\r\nX-A: 1\r\n", "", "host=a;x-a=1;body="),
        ("Host: a\r\nX-A: 1\r\n", "", "host=a;x-a=1;body="),
        ("Host: a\r\nX-A: 1\r\n", "", "host=a;x-a=1;body="),
        ("HOST: a\r\nx-a: 2\r\n", "", "host=a;x-a=2;body="),
        ("Host: a\r\nX-A: 2\r\nContent-Length: 3\r\n", "xyz", "host=a;x-a=2;content-length=3;body=xyz"),
        ("Host: a\r\nX-A: 2\r\nContent-Length: 3\r\n", "uvw", "host=a;x-a=2;content-length=3;body=uvw"),
        ("Host: a\r\nX-A: 2\r\nContent-Length: 2\r\n", "ok", "host=a;x-a=2;content-length=2;body=ok"),
        ("X-A: 2\r\nHost: a\r\n", "", "x-a=2;host=a;body="),
        ("X-A: 2\r\nHost: b\r\nX-A: 3\r\n", "", "x-a=2;x-a=3;host=b;body="),
        ("X-A: 2\r\n", "", ""),
        ("Host: a\r\nX-B: \r\n", "", "host=a;x-b=;body="),
        ("Host: a\r\nX-B: \r\n", "", "host=a;x-b=;body="),
    ];
    for (i, (fields, body, want)) in heads.iter().enumerate() {
        conn.send(format!("POST /fields HTTP/1.1\r\n{fields}\r\n{body}").as_bytes()).await;
        let r = conn.response().await;
        if want.is_empty() {
            // no Host: 400, and the connection ends
            assert_eq!(r.status, 400, "head {i}");
            conn.closed().await;
            conn = Conn::to(&server).await;
            continue;
        }
        assert_eq!(r.status, 200, "head {i}");
        // `/fields` lists what the map holds: repeated names come grouped, as HeaderMap iterates
        assert_eq!(r.text(), *want, "head {i}");
    }
    server.close().await;
}

#[tokio::test]
async fn expect_continue_sent_when_the_handler_reads() {
    let server = start().await;
    let mut conn = Conn::to(&server).await;
    conn.send(format!("POST /e HTTP/1.1\r\n{H}Expect: 100-continue\r\nContent-Length: 5\r\n\r\n").as_bytes()).await;
    let interim = conn.response().await;
    assert_eq!((interim.status, interim.reason.as_str()), (100, "Continue"));
    assert!(interim.headers.is_empty(), "{:?}", interim.headers);
    conn.send(b"hello").await;
    let r = conn.response().await;
    assert_eq!(r.status, 200);
    assert_eq!(r.text(), "POST /e HTTP/1.1 len=5 body=hello trailers=");
    assert!(!r.says_close());
    // Chunked body with Expect, same connection.
    conn.send(format!("POST /e2 HTTP/1.1\r\n{H}Expect: 100-continue\r\nTransfer-Encoding: chunked\r\n\r\n").as_bytes())
        .await;
    assert_eq!(conn.response().await.status, 100);
    conn.send(b"3\r\nxyz\r\n0\r\n\r\n").await;
    assert_eq!(conn.response().await.text(), "POST /e2 HTTP/1.1 len=3 body=xyz trailers=");
    server.close().await;
}

#[tokio::test]
async fn expect_continue_waits_for_the_handler() {
    let server = start().await;
    let mut conn = Conn::to(&server).await;
    conn.send(format!("POST /late-read HTTP/1.1\r\n{H}Expect: 100-continue\r\nContent-Length: 2\r\n\r\n").as_bytes())
        .await;
    // The handler sleeps 300 ms before reading: nothing may arrive before that.
    assert!(conn.silent_for(Duration::from_millis(200)).await, "100 Continue sent before the handler read");
    let interim = conn.response().await;
    assert_eq!(interim.status, 100);
    conn.send(b"ok").await;
    assert_eq!(conn.response().await.text(), "POST /late-read HTTP/1.1 len=2 body=ok trailers=");
    server.close().await;
}

#[tokio::test]
async fn expect_continue_skipped_by_a_final_response() {
    let server = start().await;
    let mut conn = Conn::to(&server).await;
    conn.send(format!("POST /noread HTTP/1.1\r\n{H}Expect: 100-continue\r\nContent-Length: 5\r\n\r\n").as_bytes())
        .await;
    let r = conn.response().await;
    assert_eq!(r.status, 401, "the final response comes first, no 100: {r:?}");
    assert_eq!(r.text(), "denied");
    r.assert_date();
    // The client may or may not send the body now, so the connection is not reused.
    assert!(r.says_close(), "{:?}", r.headers);
    conn.closed().await;
    server.close().await;
}

/// Without Expect, a handler that ignores a small body leaves the connection usable
/// (the body is drained, not parsed as the next request).
#[tokio::test]
async fn unread_small_body_is_drained() {
    let server = start().await;
    let mut conn = Conn::to(&server).await;
    conn.send(format!("POST /noread HTTP/1.1\r\n{H}Content-Length: 18\r\n\r\nGET /evil HTTP/1.1").as_bytes()).await;
    let r = conn.response().await;
    assert_eq!((r.status, r.text().as_str()), (401, "denied"));
    conn.send(&get("/after")).await;
    assert_eq!(conn.response().await.text(), "GET /after HTTP/1.1 len=0 body= trailers=");
    server.close().await;
}

/// A chunked body whose first chunk alone is over `max_body_bytes` must be refused at once,
/// not after more body bytes arrive.
#[tokio::test]
async fn first_chunk_over_max_body_bytes_is_413_at_once() {
    let server = start().await;
    let mut conn = Conn::to(&server).await;
    let req = format!("POST / HTTP/1.1\r\n{H}Transfer-Encoding: chunked\r\n\r\n100000\r\n{}", "d".repeat(2000));
    conn.send(req.as_bytes()).await;
    let started = tokio::time::Instant::now();
    let r = conn.response().await;
    check_response(&r, 413, None).unwrap();
    assert!(started.elapsed() < Duration::from_millis(500), "413 took {:?}", started.elapsed());
    conn.closed().await;
    server.close().await;
}

/// A handler that breaks its own Content-Length cannot corrupt the connection: the
/// response is cut and the connection closed, never followed by stray bytes.
#[tokio::test]
async fn handler_breaking_content_length_closes_the_connection() {
    let server = start().await;
    for path in ["/short-cl", "/long-cl"] {
        let mut conn = Conn::to(&server).await;
        let mut batch = get(path);
        batch.extend(get("/next"));
        conn.send(&batch).await;
        let got = conn.read_to_close().await;
        let text = String::from_utf8_lossy(&got);
        let (head, body) = text.split_once("\r\n\r\n").unwrap_or_else(|| panic!("{path}: no head in {text:?}"));
        assert!(head.starts_with("HTTP/1.1 200 OK\r\n"), "{path}: {head}");
        let declared: usize = head
            .lines()
            .find_map(|l| l.strip_prefix("content-length: "))
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("{path}: no content-length in {head}"));
        assert!(body.len() < declared, "{path}: body {body:?} is not short of {declared}");
        assert!(!text.contains("/next"), "{path}: the pipelined request was answered on a broken connection");
    }
    server.close().await;
}
