//! Server-Sent Events in the in-process test client: the events of a
//! [`TestResponse`](http_core::testing::TestResponse).
//!
//! A collected response holds the whole body, so this is for streams that end. For one
//! that never does, take the response uncollected with
//! [`TestClient::send_raw`](http_core::testing::TestClient::send_raw) and read as many
//! events as needed with [`body_events`](crate::body_events):
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")] async fn main() {
//! use http_core::{Method, Request, StatusCode, testing::TestClient};
//! use http_sse::{SseEvent, body_events, sse_stream_with};
//! use tokio_stream::StreamExt;
//!
//! let client = TestClient::new(|_req: Request| async {
//!     sse_stream_with(StatusCode::OK, |s| async move {
//!         for i in 0.. {
//!             s.send(&SseEvent::new(format!("tick {i}"))).await?;
//!         }
//!         Ok::<_, http_sse::SseError>(())
//!     })
//! });
//! let resp = client.send_raw(Request::new(Method::GET, "/ticks")).await;
//! let mut events = body_events(resp.into_body(), 1024);
//! assert_eq!(events.next().await.unwrap().unwrap().data, "tick 0");
//! assert_eq!(events.next().await.unwrap().unwrap().data, "tick 1");
//! # }
//! ```

use http_core::testing::TestResponse;

use crate::{DEFAULT_MAX_LEN, SseError, SseEvent, parse_all};

/// SSE helpers on [`TestResponse`].
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// use http_core::{Request, StatusCode, testing::TestClient};
/// use http_sse::{SseEvent, TestResponseExt, sse_stream_with};
///
/// let client = TestClient::new(|_req: Request| async {
///     sse_stream_with(StatusCode::OK, |s| async move {
///         s.send(&SseEvent::new("hello").with_event("greeting")).await?;
///         s.send(&SseEvent::new("bye").with_id("2")).await
///     })
/// });
/// let r = client.get("/events").await;
/// assert!(r.is_event_stream());
/// let events = r.sse_events().unwrap();
/// assert_eq!(events.len(), 2);
/// assert_eq!((events[0].event.as_deref(), events[0].data.as_str()), (Some("greeting"), "hello"));
/// assert_eq!(events[1].id.as_deref(), Some("2"));
/// # }
/// ```
pub trait TestResponseExt {
    /// The events in the body, parsed as a browser would (events of up to
    /// [`DEFAULT_MAX_LEN`] bytes; an unfinished last event is discarded).
    ///
    /// ```
    /// use http_core::testing::TestResponse;
    /// use http_sse::TestResponseExt;
    /// let r = TestResponse { body: "data: a\n\ndata: b\n\ndata: cut".into(), ..Default::default() };
    /// let data: Vec<String> = r.sse_events().unwrap().into_iter().map(|e| e.data).collect();
    /// assert_eq!(data, ["a", "b"], "the unfinished last event is dropped");
    /// ```
    fn sse_events(&self) -> Result<Vec<SseEvent>, SseError>;

    /// True when `Content-Type` is `text/event-stream`.
    ///
    /// ```
    /// use http_core::testing::TestResponse;
    /// use http_sse::TestResponseExt;
    /// let mut r = TestResponse::default();
    /// assert!(!r.is_event_stream());
    /// r.headers.insert("content-type", "Text/Event-Stream; charset=utf-8".parse().unwrap());
    /// assert!(r.is_event_stream());
    /// ```
    fn is_event_stream(&self) -> bool;
}

impl TestResponseExt for TestResponse {
    fn sse_events(&self) -> Result<Vec<SseEvent>, SseError> {
        parse_all(&self.body, DEFAULT_MAX_LEN)
    }

    fn is_event_stream(&self) -> bool {
        self.header("content-type")
            .is_some_and(|ct| ct.split(';').next().unwrap_or("").trim().eq_ignore_ascii_case("text/event-stream"))
    }
}
