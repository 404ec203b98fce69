//! Request logging through `tracing`: one event per request.

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;

use http_core::{Body, BoxHandler, BoxStreamHandler, Error, Frame, Handler, Request, Response, Stream, StreamHandler};

use super::Layer;

/// The `tracing` target of the access log events.
///
/// ```
/// assert_eq!(http_router::LOG_TARGET, "http_router::access");
/// // e.g. RUST_LOG=http_router::access=info, or a filter directive built from it:
/// let directive = format!("{}=info", http_router::LOG_TARGET);
/// assert_eq!(directive, "http_router::access=info");
/// ```
pub const LOG_TARGET: &str = "http_router::access";

/// Logs every request at INFO level, target `http_router::access`, with the fields
/// `method`, `path`, `route` (the matched pattern, when any), `status`, `bytes` (the body
/// length sent) and `duration_ms`.
///
/// For a serve-style route the event is emitted when the response body has been sent, so
/// `duration_ms` covers streaming too. For a stream route it is emitted when the handler
/// returns; `bytes` is then the declared Content-Length, or absent.
///
/// ```
/// use http_core::Request;
/// use http_router::{Router, logging};
/// let router = Router::new().use_middleware(logging()).route("GET /", |_r: Request| async { "hi" });
/// # let _ = router;
/// ```
pub fn logging() -> Logging {
    Logging { _priv: () }
}

/// The layer made by [`logging`].
///
/// ```
/// use http_core::{Method, Request, testing};
/// use http_router::{Logging, Router, logging};
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let layer: Logging = logging();
/// let router = Router::new().use_middleware(layer).route("GET /", |_r: Request| async { "hi" });
/// // logging never changes the response
/// assert_eq!(testing::call(&router, Request::new(Method::GET, "/")).await.text(), "hi");
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct Logging {
    _priv: (),
}

struct Fields {
    method: http_core::Method,
    path: String,
    route: Option<Arc<str>>,
    status: u16,
    start: Instant,
}

impl Fields {
    fn emit(&self, bytes: Option<u64>) {
        // Rounded to the microsecond, so it prints as `0.019` or `18.878`, not `0.018878000000000002`.
        let ms = (self.start.elapsed().as_secs_f64() * 1e6).round() / 1e3;
        tracing::info!(
            target: LOG_TARGET,
            method = %self.method,
            path = %self.path,
            route = self.route.as_deref(),
            status = self.status,
            bytes,
            duration_ms = ms,
            "request"
        );
    }
}

/// A response body that counts what passes through and logs once it ends or is dropped.
struct Counted {
    body: Body,
    bytes: u64,
    fields: Option<Fields>,
}

impl Counted {
    fn finish(&mut self) {
        if let Some(f) = self.fields.take() {
            f.emit(Some(self.bytes));
        }
    }
}

impl tokio_stream::Stream for Counted {
    type Item = Result<Frame, Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let next = self.body.poll_frame(cx);
        match &next {
            Poll::Ready(Some(Ok(Frame::Data(d)))) => self.bytes += d.len() as u64,
            Poll::Ready(None) => self.finish(),
            _ => {}
        }
        next
    }
}

impl Drop for Counted {
    fn drop(&mut self) {
        self.finish();
    }
}

impl Layer for Logging {
    fn wrap_serve(&self, next: BoxHandler) -> BoxHandler {
        BoxHandler::new(move |req: Request| {
            let next = next.clone();
            async move {
                let start = Instant::now();
                let method = req.method().clone();
                let path = req.path().to_owned();
                let route = req.route().map(Arc::from);
                let resp = next.call(req).await;
                let fields = Fields { method, path, route, status: resp.status().as_u16(), start };
                match resp.body().exact_len() {
                    Some(n) => {
                        fields.emit(Some(n));
                        resp
                    }
                    None => {
                        let (status, headers, body) = resp.into_parts();
                        let counted = Counted { body, bytes: 0, fields: Some(fields) };
                        Response::from_parts(status, headers, Body::from_stream(counted))
                    }
                }
            }
        })
    }

    fn wrap_stream(&self, next: BoxStreamHandler) -> BoxStreamHandler {
        BoxStreamHandler::new(LoggingStream { next })
    }
}

struct LoggingStream {
    next: BoxStreamHandler,
}

impl StreamHandler for LoggingStream {
    async fn call(&self, s: &mut Stream) {
        let start = Instant::now();
        let method = s.startread().method.clone();
        let path = s.startread().uri.path().to_owned();
        let route = s.context().route().map(Arc::from);
        self.next.call(s).await;
        let bytes = s
            .response_headers_mut()
            .get(http_core::header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
        Fields { method, path, route, status: s.status().as_u16(), start }.emit(bytes);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_core::{Method, testing};
    use std::io::Write;
    use std::sync::Mutex;

    #[derive(Clone, Default)]
    struct Capture(Arc<Mutex<Vec<u8>>>);

    impl Write for Capture {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Capture {
        type Writer = Capture;
        fn make_writer(&'a self) -> Capture {
            self.clone()
        }
    }

    fn capture() -> (Capture, tracing::subscriber::DefaultGuard) {
        let cap = Capture::default();
        let sub = tracing_subscriber::fmt().with_writer(cap.clone()).with_ansi(false).finish();
        (cap.clone(), tracing::subscriber::set_default(sub))
    }

    impl Capture {
        fn text(&self) -> String {
            String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
        }
    }

    #[tokio::test(flavor = "current_thread")]
    async fn serve_event_has_every_field() {
        let (cap, _g) = capture();
        let h =
            logging().wrap_serve(BoxHandler::new(|_r: Request| async { (http_core::StatusCode::CREATED, "hello") }));
        let mut req = Request::new(Method::POST, "/users?x=1");
        req.context_mut().set_route(Arc::from("/users"));
        testing::call(&h, req).await;
        let out = cap.text();
        for want in ["method=POST", "path=/users", "route=\"/users\"", "status=201", "bytes=5", "duration_ms="] {
            assert!(out.contains(want), "missing {want} in {out}");
        }
        let ms = out.split("duration_ms=").nth(1).and_then(|v| v.split_whitespace().next()).unwrap();
        assert!(ms.split_once('.').is_none_or(|(_, frac)| frac.len() <= 3), "duration_ms={ms}: microseconds at most");
    }

    #[tokio::test(flavor = "current_thread")]
    async fn streamed_body_is_counted_when_sent() {
        let (cap, _g) = capture();
        let h = logging().wrap_serve(BoxHandler::new(|_r: Request| async {
            let (tx, body) = Body::channel(4);
            tokio::spawn(async move {
                tx.send_data("abc".into()).await.unwrap();
                tx.send_data("de".into()).await.unwrap();
            });
            body
        }));
        let r = testing::call(&h, Request::new(Method::GET, "/s")).await;
        assert_eq!(r.text(), "abcde");
        assert!(cap.text().contains("bytes=5"), "{}", cap.text());
    }

    #[tokio::test(flavor = "current_thread")]
    async fn stream_event() {
        let (cap, _g) = capture();
        async fn h(s: &mut Stream) {
            let _ = s.setstatus(http_core::StatusCode::ACCEPTED);
            let _ = s.setheader("content-length", "2");
            let _ = s.write("ok").await;
        }
        let wrapped = logging().wrap_stream(BoxStreamHandler::new(h));
        testing::call_stream(&wrapped, Request::new(Method::GET, "/st")).await;
        let out = cap.text();
        assert!(out.contains("status=202") && out.contains("bytes=2") && out.contains("path=/st"), "{out}");
    }
}
