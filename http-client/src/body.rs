//! Request bodies are the framework's [`Body`]: whole bytes (sent with Content-Length, and
//! replayable for retries and 307/308 redirects), or a stream of frames of unknown length
//! (chunked on HTTP/1.1 with trailers after the last chunk, DATA frames on HTTP/2).

use http_core::{Body, Frame};
use tokio::io::AsyncRead;

/// A body read from `reader` as the request is sent (length unknown: chunked on HTTP/1.1,
/// DATA frames on HTTP/2); `fetch --data-binary @-` streams stdin with it.
///
/// ```
/// let body = http_client::body_from_reader(tokio::io::empty());
/// assert_eq!(body.exact_len(), None);
/// ```
pub fn body_from_reader(reader: impl AsyncRead + Send + 'static) -> Body {
    Body::from_bytes_stream(tokio_util::io::ReaderStream::new(reader))
}

/// A copy of a body that can be sent again (whole bytes, or empty).
pub(crate) fn try_clone(body: &Body) -> Option<Body> {
    if body.is_empty() {
        return Some(Body::empty());
    }
    body.as_bytes().cloned().map(Body::from)
}

/// The next piece of a request body: data, trailers, or `None` at the end.
pub(crate) async fn next_frame(body: &mut Body) -> Result<Option<Frame>, crate::Error> {
    match body.next_frame().await {
        None => Ok(None),
        Some(Ok(f)) => Ok(Some(f)),
        Some(Err(e)) => Err(crate::Error::new(crate::ErrorKind::Io, format!("request body: {e}"))),
    }
}
