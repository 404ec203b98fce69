//! A request body size limit: 413 for bodies over the limit.

use http_core::{BoxHandler, BoxStreamHandler, Handler, Request, Response, StatusCode, Stream, StreamHandler, header};

use super::Layer;

/// Answers `413 Content Too Large` for request bodies over `max_bytes`, without calling the
/// handler when the declared Content-Length is already too large.
///
/// On a serve-style route the body is read up to the limit before the handler runs (a
/// streamed request body is buffered). On a stream route the declared Content-Length is
/// checked, and the stream's `max_body_bytes` is lowered to `max_bytes`, which bounds
/// [`read_to_end`](http_core::Stream::read_to_end) calls that pass it — as
/// [`serve_as_stream`](http_core::serve_as_stream) does.
///
/// ```
/// use http_core::{Method, Request, testing};
/// use http_router::{Router, body_limit};
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let router = Router::new().use_middleware(body_limit(4)).route("POST /", |_r: Request| async { "ok" });
/// let r = testing::call(&router, Request::new(Method::POST, "/").with_body("too long")).await;
/// assert_eq!(r.status.as_u16(), 413);
/// # }
/// ```
pub fn body_limit(max_bytes: u64) -> BodyLimit {
    BodyLimit { max_bytes }
}

/// The layer made by [`body_limit`].
///
/// ```
/// use http_core::{Method, Request, testing};
/// use http_router::{BodyLimit, Router, body_limit};
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let limit: BodyLimit = body_limit(1024);
/// let router = Router::new().route_with("POST /upload", |_r: Request| async { "stored" }, [limit]);
/// let r = testing::call(&router, Request::new(Method::POST, "/upload").with_body("small")).await;
/// assert_eq!(r.text(), "stored");
/// # }
/// ```
#[derive(Debug, Clone, Copy)]
pub struct BodyLimit {
    max_bytes: u64,
}

fn declared(headers: &http_core::HeaderMap) -> Option<u64> {
    headers.get(header::CONTENT_LENGTH)?.to_str().ok()?.trim().parse().ok()
}

fn too_large() -> Response {
    Response::error(StatusCode::PAYLOAD_TOO_LARGE)
}

impl Layer for BodyLimit {
    fn wrap_serve(&self, next: BoxHandler) -> BoxHandler {
        let max = self.max_bytes;
        BoxHandler::new(move |mut req: Request| {
            let next = next.clone();
            async move {
                if declared(req.headers()).is_some_and(|n| n > max) {
                    return too_large();
                }
                match req.body().exact_len() {
                    Some(n) if n > max => return too_large(),
                    Some(_) => {}
                    None => {
                        let limit = usize::try_from(max).unwrap_or(usize::MAX);
                        match req.take_body().collect(limit).await {
                            Ok(bytes) => *req.body_mut() = bytes.into(),
                            Err(e) if e.is_body_too_large() => return too_large(),
                            Err(e) => return Response::error(e.status()),
                        }
                    }
                }
                next.call(req).await
            }
        })
    }

    fn wrap_stream(&self, next: BoxStreamHandler) -> BoxStreamHandler {
        BoxStreamHandler::new(LimitStream { max: self.max_bytes, next })
    }
}

struct LimitStream {
    max: u64,
    next: BoxStreamHandler,
}

impl StreamHandler for LimitStream {
    async fn call(&self, s: &mut Stream) {
        if declared(&s.startread().headers).is_some_and(|n| n > self.max) {
            let _ = s.write_response(too_large()).await;
            return;
        }
        s.limit_body_bytes(self.max);
        self.next.call(s).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_core::{Body, Method, serve_as_stream, testing};

    fn echo_len() -> BoxHandler {
        BoxHandler::new(|mut r: Request| async move {
            let b = r.take_body().collect(1 << 20).await.unwrap();
            format!("{}", b.len())
        })
    }

    fn chunked(parts: &'static [&'static str]) -> Body {
        let frames = parts.iter().map(|p| Ok::<_, std::io::Error>(bytes::Bytes::from_static(p.as_bytes())));
        Body::from_bytes_stream(tokio_stream::iter(frames.collect::<Vec<_>>()))
    }

    #[tokio::test]
    async fn serve_table() {
        let h = body_limit(5).wrap_serve(echo_len());
        let cases: Vec<(Request, u16, &str)> = vec![
            (Request::new(Method::POST, "/").with_body("12345"), 200, "5"),
            (Request::new(Method::POST, "/").with_body("123456"), 413, "Payload Too Large"),
            (Request::new(Method::POST, "/").with_header("content-length", "99"), 413, "Payload Too Large"),
            (Request::new(Method::POST, "/").with_body(chunked(&["12", "34"])), 200, "4"),
            (Request::new(Method::POST, "/").with_body(chunked(&["123", "456"])), 413, "Payload Too Large"),
            (Request::new(Method::GET, "/"), 200, "0"),
        ];
        for (i, (req, status, body)) in cases.into_iter().enumerate() {
            let r = testing::call(&h, req).await;
            assert_eq!((r.status.as_u16(), r.text().as_str()), (status, body), "case {i}");
        }
    }

    #[tokio::test]
    async fn stream_form_lowers_the_limit() {
        let inner = BoxStreamHandler::new(serve_as_stream(echo_len()));
        let h = body_limit(5).wrap_stream(inner);
        let r = testing::call_stream(&h, Request::new(Method::POST, "/").with_body(chunked(&["123", "456"]))).await;
        assert_eq!(r.status.as_u16(), 413);
        let r = testing::call_stream(&h, Request::new(Method::POST, "/").with_header("content-length", "6")).await;
        assert_eq!(r.status.as_u16(), 413);
        let r = testing::call_stream(&h, Request::new(Method::POST, "/").with_body(chunked(&["12", "3"]))).await;
        assert_eq!((r.status.as_u16(), r.text().as_str()), (200, "3"));
    }
}
