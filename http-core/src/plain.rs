//! Plain-string handlers for quick scripts: `(method, path, query, body) -> String`, the
//! smallest handler shape (four strings in, one out). See [`plain`](crate::plain).

use std::future::Future;

use bytes::Bytes;
use http::header::CONTENT_TYPE;
use http::{HeaderValue, StatusCode};

use crate::handler::Handler;
use crate::request::Request;
use crate::response::{IntoResponse, Response};

/// The largest request body a plain handler is given: 10 MiB (413 past it).
///
/// ```
/// assert_eq!(http_core::PLAIN_MAX_BODY_BYTES, 10 << 20);
/// ```
pub const PLAIN_MAX_BODY_BYTES: usize = 10 * 1024 * 1024;

/// A string response following the plain-handler rules (status prefix, JSON detection);
/// return it from any handler.
///
/// ```
/// use http_core::{IntoResponse, Plain};
/// let r = Plain("201 {\"id\":7}".into()).into_response();
/// assert_eq!(r.status(), 201);
/// assert_eq!(r.header("content-type"), Some("application/json"));
/// assert_eq!(r.body().as_bytes().unwrap(), "{\"id\":7}");
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Plain(pub String);

/// Splits a leading `"NNN "` status (200–599) off `s`.
fn split_status(s: &str) -> Option<(StatusCode, usize)> {
    let b = s.as_bytes();
    if b.len() < 4 || b[3] != b' ' || !b[..3].iter().all(u8::is_ascii_digit) {
        return None;
    }
    let code = u16::from(b[0] - b'0') * 100 + u16::from(b[1] - b'0') * 10 + u16::from(b[2] - b'0');
    if !(200..=599).contains(&code) {
        return None;
    }
    StatusCode::from_u16(code).ok().map(|s| (s, 4))
}

impl IntoResponse for Plain {
    fn into_response(self) -> Response {
        let (status, skip) = split_status(&self.0).unwrap_or((StatusCode::OK, 0));
        let body = Bytes::from(self.0).slice(skip..);
        let ct = if body.starts_with(b"{") || body.starts_with(b"[") {
            "application/json"
        } else {
            "text/plain; charset=utf-8"
        };
        Response::new(status).with_header_value(CONTENT_TYPE, HeaderValue::from_static(ct)).with_body(body)
    }
}

/// The four strings a plain handler gets.
struct Parts {
    method: String,
    path: String,
    query: String,
    body: String,
}

async fn parts(mut req: Request) -> Result<Parts, Response> {
    let body = match req.take_body().collect(PLAIN_MAX_BODY_BYTES).await {
        Ok(b) => b,
        Err(e) if e.is_body_too_large() => return Err(Response::error(StatusCode::PAYLOAD_TOO_LARGE)),
        Err(_) => return Err(Response::error(StatusCode::BAD_REQUEST)),
    };
    let Ok(body) = String::from_utf8(body.into()) else {
        return Err((StatusCode::BAD_REQUEST, "request body is not UTF-8 text").into_response());
    };
    Ok(Parts {
        method: req.method().as_str().to_owned(),
        path: req.path().to_owned(),
        query: req.query().unwrap_or("").to_owned(),
        body,
    })
}

/// A synchronous plain-string handler; made by [`plain`].
///
/// ```
/// use http_core::{PlainHandler, plain};
/// fn hi(_m: &str, _p: &str, _q: &str, _b: &str) -> String { "hi".into() }
/// let h: PlainHandler<_> = plain(hi);
/// # let _ = h;
/// ```
#[derive(Debug, Clone)]
pub struct PlainHandler<F>(F);

/// Adapts `fn(method, path, query, body) -> String` into a [`Handler`].
///
/// The returned string becomes the response:
///
/// | returned | status | body | `Content-Type` |
/// |---|---|---|---|
/// | `"hello"` | 200 | `hello` | `text/plain; charset=utf-8` |
/// | `"404 Not Found"` | 404 | `Not Found` | `text/plain; charset=utf-8` |
/// | `"201 {\"id\":7}"` | 201 | `{"id":7}` | `application/json` |
/// | `"[1,2]"` | 200 | `[1,2]` | `application/json` |
///
/// A status prefix is three ASCII digits and a space at the very start, for a status from
/// 200 to 599 (a 1xx cannot end an exchange, so `"100 bottles"` is just text). A body
/// (after any prefix) starting with `{` or `[` is sent as `application/json`; anything else
/// as `text/plain; charset=utf-8`.
///
/// [`plain`] takes a synchronous function, called on the server's task: fine for quick
/// work, but a slow one holds up its worker thread (use [`plain_async`], or
/// `tokio::task::spawn_blocking` inside). [`plain_async`] takes an async function of owned
/// strings. Both get the path and query exactly as sent (percent-encoded, query without
/// `?`, empty when absent; [`percent::query_param`](crate::percent::query_param) reads one
/// decoded value) and the body as UTF-8 text: a body that is not UTF-8 is
/// answered 400 without calling the function; one over 10 MiB, 413.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// use http_core::{percent::query_param, plain, testing::TestClient};
///
/// fn handle(method: &str, path: &str, query: &str, body: &str) -> String {
///     match (method, path) {
///         (_, "/health") => r#"{"status": "ok"}"#.to_owned(),
///         ("POST", "/echo") => body.to_owned(),
///         (_, "/greet") => format!("Hello, {}!", query_param(query, "name").unwrap_or("World".into())),
///         _ => "404 Not Found".to_owned(),
///     }
/// }
///
/// let client = TestClient::new(plain(handle));
/// let r = client.get("/health").await;
/// assert_eq!(r.header("content-type"), Some("application/json"));
/// assert_eq!(client.get("/greet?name=Ada").await.text(), "Hello, Ada!");
/// assert_eq!(client.get("/greet?name=Ada%20L.").await.text(), "Hello, Ada L.!");
/// let r = client.get("/nope").await;
/// assert_eq!((r.status.as_u16(), r.text().as_str()), (404, "Not Found"));
/// # }
/// ```
///
/// A closure works too:
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// use http_core::{Method, Request, plain, testing};
/// let h = plain(|method: &str, _path: &str, _query: &str, body: &str| format!("{method} {}", body.len()));
/// let r = testing::call(&h, Request::new(Method::PUT, "/").with_body("abc")).await;
/// assert_eq!(r.text(), "PUT 3");
/// # }
/// ```
pub fn plain<F>(f: F) -> PlainHandler<F>
where
    F: Fn(&str, &str, &str, &str) -> String + Send + Sync + 'static,
{
    PlainHandler(f)
}

impl<F> Handler for PlainHandler<F>
where
    F: Fn(&str, &str, &str, &str) -> String + Send + Sync + 'static,
{
    async fn call(&self, req: Request) -> Response {
        match parts(req).await {
            Ok(p) => Plain((self.0)(&p.method, &p.path, &p.query, &p.body)).into_response(),
            Err(resp) => resp,
        }
    }
}

/// An async plain-string handler; made by [`plain_async`].
///
/// ```
/// use http_core::{PlainAsyncHandler, plain_async};
/// async fn hi(_m: String, _p: String, _q: String, _b: String) -> String { "hi".into() }
/// let h: PlainAsyncHandler<_> = plain_async(hi);
/// # let _ = h;
/// ```
#[derive(Debug, Clone)]
pub struct PlainAsyncHandler<F>(F);

/// Adapts `async fn(method, path, query, body) -> String` (owned strings) into a
/// [`Handler`]; the string becomes a response as with [`plain`].
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// use http_core::{Method, Request, plain_async, testing};
/// async fn handle(_m: String, path: String, _q: String, _b: String) -> String {
///     if path == "/new" { "201 [\"made\"]".into() } else { "404 Not Found".into() }
/// }
/// let r = testing::call(&plain_async(handle), Request::new(Method::POST, "/new")).await;
/// assert_eq!((r.status.as_u16(), r.header("content-type")), (201, Some("application/json")));
/// # }
/// ```
pub fn plain_async<F, Fut>(f: F) -> PlainAsyncHandler<F>
where
    F: Fn(String, String, String, String) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = String> + Send,
{
    PlainAsyncHandler(f)
}

impl<F, Fut> Handler for PlainAsyncHandler<F>
where
    F: Fn(String, String, String, String) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = String> + Send,
{
    async fn call(&self, req: Request) -> Response {
        match parts(req).await {
            Ok(p) => Plain((self.0)(p.method, p.path, p.query, p.body).await).into_response(),
            Err(resp) => resp,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Method, testing};

    const TEXT: &str = "text/plain; charset=utf-8";
    const JSON: &str = "application/json";

    #[test]
    fn response_rules_table() {
        let cases: &[(&str, u16, &str, &str)] = &[
            ("hello", 200, TEXT, "hello"),
            ("", 200, TEXT, ""),
            ("404 Not Found", 404, TEXT, "Not Found"),
            ("500 Internal Server Error", 500, TEXT, "Internal Server Error"),
            ("201 {\"id\":7}", 201, JSON, "{\"id\":7}"),
            ("202 [1]", 202, JSON, "[1]"),
            ("{\"a\":1}", 200, JSON, "{\"a\":1}"),
            ("[]", 200, JSON, "[]"),
            ("204 ", 204, TEXT, ""),
            ("599 x", 599, TEXT, "x"),
            // not a status prefix
            ("404", 200, TEXT, "404"),
            ("404Not Found", 200, TEXT, "404Not Found"),
            ("2024 was a year", 200, TEXT, "2024 was a year"),
            ("100 bottles", 200, TEXT, "100 bottles"),
            ("600 x", 200, TEXT, "600 x"),
            ("099 x", 200, TEXT, "099 x"),
            ("4o4 x", 200, TEXT, "4o4 x"),
            (" 404 x", 200, TEXT, " 404 x"),
            // JSON detection is on the body after the prefix, at its very first byte
            ("200  {}", 200, TEXT, " {}"),
            (" {}", 200, TEXT, " {}"),
            ("404 {\"error\":\"nope\"}", 404, JSON, "{\"error\":\"nope\"}"),
            ("é 404", 200, TEXT, "é 404"),
        ];
        for (s, status, ct, body) in cases {
            let r = Plain((*s).to_owned()).into_response();
            assert_eq!(r.status().as_u16(), *status, "{s:?}");
            assert_eq!(r.header(CONTENT_TYPE), Some(*ct), "{s:?}");
            assert_eq!(r.body().as_bytes().unwrap(), body.as_bytes(), "{s:?}");
        }
    }

    fn echo_all(method: &str, path: &str, query: &str, body: &str) -> String {
        format!("{method}|{path}|{query}|{body}")
    }

    #[tokio::test]
    async fn handler_gets_raw_parts_table() {
        let h = plain(echo_all);
        let cases: &[(Method, &str, &'static str, &str)] = &[
            (Method::GET, "/", "", "GET|/||"),
            (Method::GET, "/a%20b?x=1&y=%41", "", "GET|/a%20b|x=1&y=%41|"),
            (Method::POST, "/echo", "payload", "POST|/echo||payload"),
            (Method::DELETE, "/items/7?", "", "DELETE|/items/7||"),
        ];
        for (m, uri, body, want) in cases {
            let r = testing::call(&h, Request::new(m.clone(), uri).with_body(*body)).await;
            assert_eq!(r.text(), *want, "{m} {uri}");
        }
    }

    #[tokio::test]
    async fn bad_bodies_do_not_reach_the_function() {
        let h = plain(|_: &str, _: &str, _: &str, _: &str| -> String { unreachable!("not called") });
        let r = testing::call(&h, Request::new(Method::POST, "/").with_body(vec![0xff, 0xfe])).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST);
        let big = vec![b'a'; PLAIN_MAX_BODY_BYTES + 1];
        let r = testing::call(&h, Request::new(Method::POST, "/").with_body(big)).await;
        assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
    }

    #[tokio::test]
    async fn async_handler_owns_its_strings() {
        let h = plain_async(|m, p, q, b| async move {
            tokio::task::yield_now().await;
            format!("201 {{\"m\":\"{m}\",\"p\":\"{p}\",\"q\":\"{q}\",\"b\":\"{b}\"}}")
        });
        let r = testing::call(&h, Request::new(Method::POST, "/x?y").with_body("z")).await;
        assert_eq!(r.status, StatusCode::CREATED);
        assert_eq!(r.header("content-type"), Some(JSON));
        assert_eq!(r.text(), r#"{"m":"POST","p":"/x","q":"y","b":"z"}"#);
    }
}
