//! Serve-style handler → stream handler: read the body, call, write the response.

use bytes::Bytes;

use crate::body::Body;
use crate::handler::{Handler, StreamHandler};
use crate::response::Response;
use crate::stream::Stream;

/// A serve-style handler running as a stream handler; made by [`serve_as_stream`].
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// use http_core::{Method, Request, ServeAsStream, serve_as_stream, testing};
/// let h: ServeAsStream<_> = serve_as_stream(|mut r: Request| async move { r.take_body().collect(64).await.unwrap() });
/// let r = testing::call_stream(&h, Request::new(Method::POST, "/").with_body("echo")).await;
/// assert_eq!(r.text(), "echo");
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct ServeAsStream<H>(pub H);

/// HTTP.jl's `streamhandler`: runs a Request → Response handler as a stream handler.
///
/// The request body is read first, up to the stream's `max_body_bytes` (a larger one is
/// answered 413 without calling the handler; a malformed one 400), then the handler runs
/// and its response is written: streamed if its body is a stream, with its trailers.
///
/// ```
/// use http_core::{Request, StreamHandler, serve_as_stream};
/// fn is_stream_handler(_: &impl StreamHandler) {}
/// is_stream_handler(&serve_as_stream(|_r: Request| async { "hi" }));
/// ```
pub fn serve_as_stream<H: Handler>(handler: H) -> ServeAsStream<H> {
    ServeAsStream(handler)
}

impl<H: Handler> StreamHandler for ServeAsStream<H> {
    async fn call<'a>(&'a self, s: &'a mut Stream) {
        // A request without a body (most of them) skips the body reader's future: no
        // Content-Length lookup, nothing to poll.
        let body = if s.eof() { Ok(Bytes::new()) } else { s.read_to_end(s.max_body_bytes()).await };
        let body = match body {
            Ok(b) => b,
            Err(e) => {
                tracing::info!(error = %e, status = e.status().as_u16(), "request body rejected");
                let _ = s.write_response(Response::error(e.status())).await;
                return;
            }
        };
        let req = s.take_request(Body::from(body));
        let resp = self.0.call(req).await;
        // `write_response` in two halves: the head is committed here, so this future keeps
        // only the body across the write, not the whole `Response`.
        let written = match s.commit_response(resp) {
            Ok(Some(body)) => s.write_committed_body(body).await,
            other => other.map(drop),
        };
        if let Err(e) = written {
            tracing::debug!(error = %e, "response write failed");
        }
    }
}
