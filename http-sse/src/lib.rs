//! # http-sse
//!
//! Server-Sent Events (WHATWG HTML §9.2): [`SseEvent`] and its encoding, [`SseStream`] (a
//! backpressured response body that user code pushes events into), [`sse_stream`] /
//! [`sse_stream_with`] for whole responses, [`last_event_id`] for resuming, and the
//! client-side [`SseParser`].
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")] async fn main() {
//! use http_core::{testing, Method, Request, Response, StatusCode};
//! use http_sse::{last_event_id, parse_all, sse_stream_with, SseEvent};
//!
//! async fn ticks(req: Request) -> Response {
//!     let start: u32 = last_event_id(&req).and_then(|id| id.parse().ok()).map_or(1, |id: u32| id + 1);
//!     sse_stream_with(StatusCode::OK, move |stream| async move {
//!         for i in start..=3 {
//!             stream.send(&SseEvent::new(format!("tick {i}")).with_event("tick").with_id(i.to_string())).await?;
//!         }
//!         Ok::<_, http_sse::SseError>(())
//!     })
//! }
//!
//! let req = Request::new(Method::GET, "/").with_header("last-event-id", "1");
//! let resp = testing::call(&ticks, req).await;
//! let events = parse_all(&resp.body, 1024).unwrap();
//! let ids: Vec<_> = events.iter().map(|e| e.id.as_deref().unwrap()).collect();
//! assert_eq!(ids, ["2", "3"]);
//! # }
//! ```
//!
//! Differences from HTTP.jl, on purpose: `max_len` on a stream bounds the bytes buffered
//! (real backpressure) as well as one event; there is a keep-alive comment option; the
//! parser follows the WHATWG rules where HTTP.jl's differs (a lone CR ends a line, an
//! unfinished event at the end of the stream is discarded).

mod error;
mod event;
mod parser;
mod response;
mod stream;
mod testing;

pub use error::SseError;
pub use event::{SseEvent, encode_comment};
pub use parser::{EventStream, SseParser, body_events, parse_all};
pub use response::{ProducerResult, SseResponse, last_event_id, sse_stream, sse_stream_with};
pub use stream::{MAX_MAX_LEN, SseStream};
pub use testing::TestResponseExt;

/// The default `max_len`, on streams and parsers: 16 MiB, as in HTTP.jl.
///
/// ```
/// assert_eq!(http_sse::DEFAULT_MAX_LEN, 16 * 1024 * 1024);
/// let (_resp, stream) = http_sse::SseResponse::new().stream();
/// assert_eq!(stream.max_len(), http_sse::DEFAULT_MAX_LEN);
/// ```
pub const DEFAULT_MAX_LEN: usize = 16 * 1024 * 1024;
