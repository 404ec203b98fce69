//! SSE responses: [`sse_stream`], [`sse_stream_with`] and the [`SseResponse`] builder, plus
//! [`last_event_id`] for resuming.

use std::fmt::Display;
use std::future::Future;
use std::time::Duration;

use http::header::{CACHE_CONTROL, CONTENT_LENGTH, CONTENT_TYPE};
use http::{HeaderValue, StatusCode};
use http_core::{Request, Response};

use crate::DEFAULT_MAX_LEN;
use crate::stream::SseStream;

/// A response with an [`SseStream`] body and the standard headers: `Content-Type:
/// text/event-stream`, `Cache-Control: no-cache`, no Content-Length (HTTP/1.1 sends it
/// chunked). Returns the stream to push events into; the body ends when every handle is
/// dropped or one calls [`SseStream::close`].
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// use http_core::{testing, Method, Request, Response, StatusCode};
/// use http_sse::{sse_stream, SseEvent};
/// async fn handler(_req: Request) -> Response {
///     let (resp, stream) = sse_stream(StatusCode::OK);
///     tokio::spawn(async move {
///         let _ = stream.send(&SseEvent::new("hi")).await;
///     });
///     resp
/// }
/// let r = testing::call(&handler, Request::new(Method::GET, "/")).await;
/// assert_eq!(r.header("content-type"), Some("text/event-stream"));
/// assert_eq!(r.text(), "data: hi\n\n");
/// # }
/// ```
pub fn sse_stream(status: StatusCode) -> (Response, SseStream) {
    SseResponse::new().status(status).stream()
}

/// Like [`sse_stream`], and runs `producer` with the stream on a background tokio task,
/// closing the stream when it returns. Must be called inside a tokio runtime (as handlers
/// are).
///
/// The producer may return `()` or `Result<(), E: Display>`. An error is logged
/// (`tracing::error!`), except a closed stream, which just means the client went away
/// (`debug!`). A panic is logged and aborts the response, so the client sees a cut-off
/// stream rather than a clean end.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// use http_core::{testing, Method, Request, Response, StatusCode};
/// use http_sse::{sse_stream_with, SseEvent};
/// async fn count(_req: Request) -> Response {
///     sse_stream_with(StatusCode::OK, |stream| async move {
///         for i in 1..=3 {
///             stream.send(&SseEvent::new(i.to_string()).with_id(i.to_string())).await?;
///         }
///         Ok::<_, http_sse::SseError>(())
///     })
/// }
/// let r = testing::call(&count, Request::new(Method::GET, "/")).await;
/// assert_eq!(r.text(), "id: 1\ndata: 1\n\nid: 2\ndata: 2\n\nid: 3\ndata: 3\n\n");
/// # }
/// ```
pub fn sse_stream_with<F, Fut>(status: StatusCode, producer: F) -> Response
where
    F: FnOnce(SseStream) -> Fut,
    Fut: Future + Send + 'static,
    Fut::Output: ProducerResult,
{
    SseResponse::new().status(status).spawn(producer)
}

/// The request's `Last-Event-ID` (what a reconnecting `EventSource` sends: the last event ID
/// it saw), `None` when absent, empty or not visible ASCII.
///
/// ```
/// use http_core::{Method, Request};
/// let req = Request::new(Method::GET, "/sse").with_header("last-event-id", "41");
/// assert_eq!(http_sse::last_event_id(&req), Some("41"));
/// assert_eq!(http_sse::last_event_id(&Request::new(Method::GET, "/sse")), None);
/// ```
pub fn last_event_id(req: &Request) -> Option<&str> {
    req.header("last-event-id").filter(|v| !v.is_empty())
}

/// What a producer passed to [`sse_stream_with`] may return: `()` or `Result<(), E>` with a
/// displayable error.
///
/// ```
/// use http_sse::{ProducerResult, SseError};
/// assert_eq!(().into_outcome(), Ok(()));
/// assert_eq!(Err::<(), _>("boom").into_outcome(), Err(("boom".to_string(), false)));
/// let invalid: Result<(), SseError> = http_sse::SseEvent::new("x").with_id("\n").validate();
/// assert!(matches!(invalid.into_outcome(), Err((_, false))), "not a closed stream");
/// ```
pub trait ProducerResult {
    /// The error to log, if any, and whether it is only the stream being closed.
    fn into_outcome(self) -> Result<(), (String, bool)>;
}

impl ProducerResult for () {
    fn into_outcome(self) -> Result<(), (String, bool)> {
        Ok(())
    }
}

impl<E: Display + 'static> ProducerResult for Result<(), E> {
    fn into_outcome(self) -> Result<(), (String, bool)> {
        self.map_err(|e| {
            let closed = (&e as &dyn std::any::Any).downcast_ref::<crate::SseError>().is_some_and(|e| e.is_closed());
            (e.to_string(), closed)
        })
    }
}

/// Builder for SSE responses with options.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// use std::time::Duration;
/// use http_sse::SseResponse;
/// let (resp, stream) = SseResponse::new()
///     .max_len(64 * 1024)
///     .keep_alive(Duration::from_secs(15))
///     .header("x-accel-buffering", "no")
///     .stream();
/// assert_eq!(resp.header("x-accel-buffering"), Some("no"));
/// assert_eq!(stream.max_len(), 64 * 1024);
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct SseResponse {
    status: StatusCode,
    max_len: usize,
    keep_alive: Option<Duration>,
    headers: Vec<(String, String)>,
}

impl Default for SseResponse {
    fn default() -> Self {
        SseResponse::new()
    }
}

impl SseResponse {
    /// The defaults: status 200, `max_len` 16 MiB, no keep-alive, no extra headers.
    ///
    /// ```
    /// let (resp, stream) = http_sse::SseResponse::new().stream();
    /// assert_eq!(resp.status(), 200);
    /// assert_eq!(stream.max_len(), http_sse::DEFAULT_MAX_LEN);
    /// ```
    pub fn new() -> Self {
        SseResponse { status: StatusCode::OK, max_len: DEFAULT_MAX_LEN, keep_alive: None, headers: Vec::new() }
    }

    /// The response status. Default 200.
    ///
    /// ```
    /// let (resp, _stream) = http_sse::SseResponse::new().status(http_core::StatusCode::ACCEPTED).stream();
    /// assert_eq!(resp.status(), http_core::StatusCode::ACCEPTED);
    /// ```
    pub fn status(mut self, status: StatusCode) -> Self {
        self.status = status;
        self
    }

    /// The bound on bytes buffered between producer and connection; also the largest event
    /// that can be sent. Default 16 MiB; clamped to `1..=`[`MAX_MAX_LEN`](crate::MAX_MAX_LEN).
    ///
    /// ```
    /// let (_resp, stream) = http_sse::SseResponse::new().max_len(4096).stream();
    /// assert_eq!(stream.max_len(), 4096);
    /// ```
    pub fn max_len(mut self, max_len: usize) -> Self {
        self.max_len = max_len;
        self
    }

    /// Send a `: ping` comment after `every` without events, which keeps proxies from
    /// closing an idle connection and lets the server notice a vanished client. Default off.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)] async fn main() {
    /// use std::time::Duration;
    /// let (resp, stream) = http_sse::SseResponse::new().keep_alive(Duration::from_secs(15)).stream();
    /// let mut body = resp.into_body();
    /// let ping = body.next_frame().await.unwrap().unwrap(); // 15 idle seconds pass (paused clock)
    /// assert_eq!(ping, http_core::Frame::Data(": ping\n\n".into()));
    /// # drop(stream);
    /// # }
    /// ```
    pub fn keep_alive(mut self, every: Duration) -> Self {
        self.keep_alive = Some(every);
        self
    }

    /// An extra response header, set after the standard ones (so it may replace them).
    /// Default none. An invalid name or value panics when the response is built.
    ///
    /// ```
    /// let (resp, _stream) = http_sse::SseResponse::new().header("cache-control", "no-store").stream();
    /// assert_eq!(resp.header("cache-control"), Some("no-store"));
    /// ```
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    /// The response and the stream to push events into.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let (resp, stream) = http_sse::SseResponse::new().stream();
    /// stream.send(&http_sse::SseEvent::new("hi")).await.unwrap();
    /// drop(stream);
    /// assert_eq!(resp.into_body().collect(1024).await.unwrap(), "data: hi\n\n");
    /// # }
    /// ```
    pub fn stream(self) -> (Response, SseStream) {
        let (stream, body) = SseStream::new(self.max_len, self.keep_alive);
        let mut resp = Response::new(self.status)
            .with_header_value(CONTENT_TYPE, HeaderValue::from_static("text/event-stream"))
            .with_header_value(CACHE_CONTROL, HeaderValue::from_static("no-cache"))
            .with_body(body);
        for (name, value) in &self.headers {
            resp = resp.with_header(name, value);
        }
        resp.headers_mut().remove(CONTENT_LENGTH);
        (resp, stream)
    }

    /// The response, with `producer` running on a background task as in
    /// [`sse_stream_with`].
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// use http_sse::{SseEvent, SseResponse};
    /// let resp = SseResponse::new().max_len(1024).spawn(|s| async move {
    ///     s.send(&SseEvent::new("from a task")).await
    /// });
    /// assert_eq!(resp.into_body().collect(1024).await.unwrap(), "data: from a task\n\n");
    /// # }
    /// ```
    pub fn spawn<F, Fut>(self, producer: F) -> Response
    where
        F: FnOnce(SseStream) -> Fut,
        Fut: Future + Send + 'static,
        Fut::Output: ProducerResult,
    {
        let (resp, stream) = self.stream();
        let closer = stream.clone();
        let fut = producer(stream);
        tokio::spawn(async move {
            match http_core::catch_panic(fut).await {
                Ok(out) => match out.into_outcome() {
                    Ok(()) => {}
                    Err((why, true)) => tracing::debug!("SSE producer stopped: {why}"),
                    Err((why, false)) => tracing::error!("SSE producer failed: {why}"),
                },
                Err(panic) => {
                    tracing::error!("SSE producer panicked: {panic}");
                    closer.abort();
                }
            }
            closer.close();
        });
        resp
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_core::{Method, testing};

    #[tokio::test]
    async fn standard_headers_and_no_content_length() {
        let (resp, stream) = SseResponse::new().status(StatusCode::ACCEPTED).header("content-length", "5").stream();
        assert_eq!(resp.status(), StatusCode::ACCEPTED);
        assert_eq!(resp.header(CONTENT_TYPE), Some("text/event-stream"));
        assert_eq!(resp.header(CACHE_CONTROL), Some("no-cache"));
        assert_eq!(resp.header(CONTENT_LENGTH), None);
        assert_eq!(resp.body().exact_len(), None);
        drop(stream);
    }

    #[tokio::test]
    async fn producer_end_closes_the_stream_even_with_a_clone_alive() {
        let keep = std::sync::Arc::new(std::sync::Mutex::new(None));
        let k = keep.clone();
        let h = move |_req: Request| {
            let k = k.clone();
            async move {
                sse_stream_with(StatusCode::OK, move |s: SseStream| async move {
                    *k.lock().unwrap() = Some(s.clone()); // a handle outlives the producer
                    s.send(&crate::SseEvent::new("only")).await.unwrap();
                })
            }
        };
        let r = tokio::time::timeout(Duration::from_secs(5), testing::call(&h, Request::new(Method::GET, "/")))
            .await
            .expect("the body ends when the producer returns");
        assert_eq!(r.text(), "data: only\n\n");
        assert!(keep.lock().unwrap().as_ref().unwrap().is_closed());
    }

    #[tokio::test]
    async fn producer_panic_aborts_the_body() {
        let mut body = sse_stream_with(StatusCode::OK, |s: SseStream| async move {
            s.send(&crate::SseEvent::new("before")).await.unwrap();
            if !s.is_closed() {
                panic!("producer bug");
            }
        })
        .into_body();
        let first = body.next_frame().await.unwrap().unwrap();
        assert_eq!(first, http_core::Frame::Data("data: before\n\n".into()));
        assert!(body.next_frame().await.unwrap().is_err(), "a panic ends the body with an error");
    }

    #[test]
    fn producer_outcomes() {
        assert_eq!(().into_outcome(), Ok(()));
        assert_eq!(Ok::<(), String>(()).into_outcome(), Ok(()));
        assert_eq!(Err::<(), _>("boom".to_string()).into_outcome(), Err(("boom".into(), false)));
        let closed = Err::<(), _>(crate::SseError::closed()).into_outcome().unwrap_err();
        assert!(closed.1);
        let invalid = Err::<(), _>(crate::SseError::invalid("id", "contains NUL")).into_outcome().unwrap_err();
        assert!(!invalid.1);
    }

    #[test]
    fn last_event_id_ignores_empty() {
        let req = Request::new(Method::GET, "/").with_header("last-event-id", "");
        assert_eq!(last_event_id(&req), None);
    }
}
