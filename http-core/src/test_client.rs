//! [`TestClient`]: request builders over the in-process [`call`] / [`call_stream`].

use std::future::{Future, IntoFuture};

use http::{HeaderName, HeaderValue, Method};

use crate::body::{Body, Frame};
use crate::handler::{BoxFuture, BoxHandler, BoxStreamHandler, Handler, StreamHandler};
use crate::request::Request;
use crate::response::Response;
use crate::testing::{TestResponse, call, call_stream};

#[derive(Clone)]
enum Target {
    Serve(BoxHandler),
    Stream(BoxStreamHandler),
}

/// An in-process client for unit tests: builds requests, runs them through a handler or
/// router without a socket, and collects the response (status, headers, body, trailers).
///
/// [`TestClient::new`] calls a serve-style [`Handler`] directly; [`TestClient::stream`]
/// runs a [`StreamHandler`] over an in-memory `Stream` the way the server's engines do
/// (request body streamed, trailers kept, HEAD bodies suppressed, `Content-Length` set). A
/// `Router` is both, so either works for it.
///
/// A request builder is awaited directly (or with [`send`](TestRequest::send)). JSON and
/// form helpers (`.json(&v)`, `.form(&v)`, `TestResponse::json()`) come with the `json`
/// feature; SSE events with `http_sse::TestResponseExt`.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// use http_core::{Request, StatusCode, testing::TestClient};
///
/// async fn hello(req: Request) -> (StatusCode, String) {
///     let who = req.header("x-name").unwrap_or("world");
///     (StatusCode::OK, format!("hello {who}"))
/// }
///
/// let client = TestClient::new(hello);
/// let r = client.get("/").header("x-name", "ada").await;
/// assert_eq!(r.status, StatusCode::OK);
/// assert_eq!(r.text(), "hello ada");
/// assert_eq!(r.header("content-type"), Some("text/plain; charset=utf-8"));
/// # }
/// ```
#[derive(Clone)]
pub struct TestClient {
    target: Target,
}

impl std::fmt::Debug for TestClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kind = match self.target {
            Target::Serve(_) => "serve",
            Target::Stream(_) => "stream",
        };
        f.debug_struct("TestClient").field("target", &kind).finish()
    }
}

impl TestClient {
    /// A client calling a serve-style handler (any `async fn(Request) -> impl
    /// IntoResponse`, a `Router`, a [`BoxHandler`]).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// use http_core::{Request, testing::TestClient};
    /// let c = TestClient::new(|r: Request| async move { r.path().to_owned() });
    /// assert_eq!(c.get("/x").await.text(), "/x");
    /// # }
    /// ```
    pub fn new(handler: impl Handler) -> Self {
        TestClient { target: Target::Serve(BoxHandler::new(handler)) }
    }

    /// A client running a listen-style [`StreamHandler`] over an in-memory stream, as the
    /// engines do.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// use http_core::{Stream, testing::TestClient};
    /// async fn upper(s: &mut Stream) {
    ///     let body = s.read_to_end(1024).await.unwrap();
    ///     let _ = s.addtrailer("x-len", &body.len().to_string());
    ///     let _ = s.write(body.to_ascii_uppercase()).await;
    /// }
    /// let r = TestClient::stream(upper).post("/").body("abc").await;
    /// assert_eq!(r.text(), "ABC");
    /// assert_eq!(r.trailers.unwrap()["x-len"], "3");
    /// # }
    /// ```
    pub fn stream(handler: impl StreamHandler) -> Self {
        TestClient { target: Target::Stream(BoxStreamHandler::new(handler)) }
    }

    /// A request with `method` for `uri` (a path with an optional query, or an absolute
    /// URI).
    ///
    /// # Panics
    /// On an invalid URI (as [`Request::new`]).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// use http_core::{Method, Request, testing::TestClient};
    /// let c = TestClient::new(|r: Request| async move { r.method().to_string() });
    /// assert_eq!(c.request(Method::from_bytes(b"PURGE").unwrap(), "/").await.text(), "PURGE");
    /// # }
    /// ```
    pub fn request(&self, method: Method, uri: &str) -> TestRequest<'_> {
        TestRequest { client: self, req: Request::new(method, uri) }
    }

    /// A GET request.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// use http_core::{Request, testing::TestClient};
    /// let c = TestClient::new(|r: Request| async move { r.query().unwrap_or("").to_owned() });
    /// assert_eq!(c.get("/?a=1").await.text(), "a=1");
    /// # }
    /// ```
    pub fn get(&self, uri: &str) -> TestRequest<'_> {
        self.request(Method::GET, uri)
    }

    /// A HEAD request (the collected body is empty, as a client would see it).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// use http_core::{Request, testing::TestClient};
    /// let r = TestClient::new(|_r: Request| async { "body" }).head("/").await;
    /// assert!(r.body.is_empty());
    /// # }
    /// ```
    pub fn head(&self, uri: &str) -> TestRequest<'_> {
        self.request(Method::HEAD, uri)
    }

    /// A POST request.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// use http_core::{Request, testing::TestClient};
    /// let c = TestClient::new(|r: Request| async move { r.body().exact_len().unwrap_or(0).to_string() });
    /// assert_eq!(c.post("/").body("four").await.text(), "4");
    /// # }
    /// ```
    pub fn post(&self, uri: &str) -> TestRequest<'_> {
        self.request(Method::POST, uri)
    }

    /// A PUT request.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// use http_core::{Request, testing::TestClient};
    /// let c = TestClient::new(|r: Request| async move { r.method().to_string() });
    /// assert_eq!(c.put("/").await.text(), "PUT");
    /// # }
    /// ```
    pub fn put(&self, uri: &str) -> TestRequest<'_> {
        self.request(Method::PUT, uri)
    }

    /// A PATCH request.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// use http_core::{Request, testing::TestClient};
    /// let c = TestClient::new(|r: Request| async move { r.method().to_string() });
    /// assert_eq!(c.patch("/").await.text(), "PATCH");
    /// # }
    /// ```
    pub fn patch(&self, uri: &str) -> TestRequest<'_> {
        self.request(Method::PATCH, uri)
    }

    /// A DELETE request.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// use http_core::{Request, testing::TestClient};
    /// let c = TestClient::new(|r: Request| async move { r.method().to_string() });
    /// assert_eq!(c.delete("/").await.text(), "DELETE");
    /// # }
    /// ```
    pub fn delete(&self, uri: &str) -> TestRequest<'_> {
        self.request(Method::DELETE, uri)
    }

    /// An OPTIONS request.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// use http_core::{Request, testing::TestClient};
    /// let c = TestClient::new(|r: Request| async move { r.method().to_string() });
    /// assert_eq!(c.options("*").await.text(), "OPTIONS");
    /// # }
    /// ```
    pub fn options(&self, uri: &str) -> TestRequest<'_> {
        self.request(Method::OPTIONS, uri)
    }

    /// Sends a request built by hand and collects the response.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// use http_core::{Method, Request, testing::TestClient};
    /// let c = TestClient::new(|r: Request| async move { r.path().to_owned() });
    /// assert_eq!(c.send(Request::new(Method::GET, "/y")).await.text(), "/y");
    /// # }
    /// ```
    pub async fn send(&self, req: Request) -> TestResponse {
        match &self.target {
            Target::Serve(h) => call(h, req).await,
            Target::Stream(h) => call_stream(h, req).await,
        }
    }

    /// Sends a request and returns the response uncollected, for bodies that never end
    /// (an SSE stream read with `http_sse::body_events`). A stream-handler client has to
    /// run the handler to its end first, so there the body comes back whole.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// use http_core::{Body, Method, Request, testing::TestClient};
    /// let c = TestClient::new(|_r: Request| async {
    ///     let (tx, body) = Body::channel(1);
    ///     tokio::spawn(async move { let _ = tx.send_data("first".into()).await; /* then more, forever */ });
    ///     body
    /// });
    /// let mut resp = c.send_raw(Request::new(Method::GET, "/")).await;
    /// let first = resp.body_mut().next_frame().await.unwrap().unwrap();
    /// assert_eq!(first, http_core::Frame::Data("first".into()));
    /// # }
    /// ```
    pub async fn send_raw(&self, req: Request) -> Response {
        match &self.target {
            Target::Serve(h) => h.call(req).await,
            Target::Stream(h) => {
                let r = call_stream(h, req).await;
                let body = match r.trailers {
                    None => Body::from(r.body),
                    Some(t) => {
                        let frames =
                            vec![Ok::<_, std::convert::Infallible>(Frame::Data(r.body)), Ok(Frame::Trailers(t))];
                        Body::from_stream(tokio_stream::iter(frames))
                    }
                };
                Response::from_parts(r.status, r.headers, body)
            }
        }
    }
}

/// A request being built by a [`TestClient`]; await it (or call [`send`](Self::send)) to
/// get the [`TestResponse`].
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// use http_core::{Request, testing::TestClient};
/// let c = TestClient::new(|r: Request| async move { r.header("accept").unwrap_or("").to_owned() });
/// let r = c.get("/").header("accept", "text/html").send().await;
/// assert_eq!(r.text(), "text/html");
/// # }
/// ```
#[derive(Debug)]
#[must_use = "a test request does nothing until awaited"]
pub struct TestRequest<'c> {
    client: &'c TestClient,
    req: Request,
}

impl<'c> TestRequest<'c> {
    /// Adds a header field.
    ///
    /// # Panics
    /// On an invalid name or value.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// use http_core::{Request, testing::TestClient};
    /// let c = TestClient::new(|r: Request| async move { r.headers().get_all("x").iter().count().to_string() });
    /// assert_eq!(c.get("/").header("x", "1").header("x", "2").await.text(), "2");
    /// # }
    /// ```
    pub fn header(mut self, name: &str, value: &str) -> Self {
        let name = HeaderName::from_bytes(name.as_bytes()).expect("valid header name");
        let value = HeaderValue::from_str(value).expect("valid header value");
        self.req.headers_mut().append(name, value);
        self
    }

    /// Sets the body.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// use http_core::{Request, testing::TestClient};
    /// let c = TestClient::new(|mut r: Request| async move { r.take_body().collect(64).await.unwrap() });
    /// assert_eq!(c.post("/").body(vec![104, 105]).await.text(), "hi");
    /// # }
    /// ```
    pub fn body(mut self, body: impl Into<Body>) -> Self {
        *self.req.body_mut() = body.into();
        self
    }

    /// Puts a typed value into the request context's extensions, as middleware would
    /// (for example a [`State`](crate::State) for a handler tested without
    /// [`with_state`](crate::with_state)).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// use http_core::{Request, State, testing::TestClient};
    /// let c = TestClient::new(|r: Request| async move { r.state::<u8>().map_or(0, |s| **s).to_string() });
    /// assert_eq!(c.get("/").extension(State::new(9u8)).await.text(), "9");
    /// # }
    /// ```
    pub fn extension<T: Clone + Send + Sync + 'static>(mut self, value: T) -> Self {
        self.req.context_mut().extensions_mut().insert(value);
        self
    }

    /// The request built so far, to adjust anything the builders do not cover.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// use http_core::{Request, testing::TestClient};
    /// let c = TestClient::new(|r: Request| async move { r.param("id").unwrap_or("").to_owned() });
    /// let mut b = c.get("/");
    /// b.request_mut().context_mut().params_mut().push("id", "7");
    /// assert_eq!(b.await.text(), "7");
    /// # }
    /// ```
    pub fn request_mut(&mut self) -> &mut Request {
        &mut self.req
    }

    /// Sends the request and collects the response.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// use http_core::{Request, testing::TestClient};
    /// let c = TestClient::new(|_r: Request| async { "ok" });
    /// assert_eq!(c.get("/").send().await.text(), "ok");
    /// # }
    /// ```
    pub fn send(self) -> impl Future<Output = TestResponse> + Send + 'c {
        self.client.send(self.req)
    }
}

impl<'c> IntoFuture for TestRequest<'c> {
    type Output = TestResponse;
    type IntoFuture = BoxFuture<'c, TestResponse>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.send())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{StatusCode, Stream};

    #[tokio::test]
    async fn serve_and_stream_clients_agree() {
        async fn serve(r: Request) -> String {
            format!("{} {}", r.method(), r.uri())
        }
        async fn stream(s: &mut Stream) {
            let line = format!("{} {}", s.startread().method, s.startread().uri);
            let _ = s.write(line).await;
        }
        let a = TestClient::new(serve);
        let b = TestClient::stream(stream);
        for (m, uri) in [(Method::GET, "/a?b=c"), (Method::DELETE, "/x")] {
            let ra = a.request(m.clone(), uri).await;
            let rb = b.request(m.clone(), uri).await;
            assert_eq!((ra.status, ra.text()), (rb.status, rb.text()), "{m} {uri}");
        }
    }

    #[tokio::test]
    async fn stream_client_runs_the_engine_rules() {
        let c = TestClient::stream(crate::serve_as_stream(|_r: Request| async { (StatusCode::CREATED, "made") }));
        let r = c.post("/").body("x").await;
        assert_eq!((r.status, r.header("content-length")), (StatusCode::CREATED, Some("4")));
        let r = c.head("/").await;
        assert!(r.body.is_empty());
    }

    #[tokio::test]
    async fn raw_stream_response_keeps_trailers() {
        async fn h(s: &mut Stream) {
            let _ = s.write("ab").await;
            let _ = s.addtrailer("x-t", "1");
        }
        let mut resp = TestClient::stream(h).send_raw(Request::new(Method::GET, "/")).await;
        assert_eq!(resp.body_mut().next_frame().await.unwrap().unwrap(), crate::Frame::Data("ab".into()));
        let Some(Ok(crate::Frame::Trailers(t))) = resp.body_mut().next_frame().await else { panic!("trailers") };
        assert_eq!(t["x-t"], "1");
    }
}
