//! The sans-IO HTTP/1.1 codec shared by the server's and the client's connections
//! (RFC 9112). Nothing here touches a socket: callers hand in their read buffer and get
//! back parsed heads, body bytes and trailers, or append encoded chunk framing to their
//! output buffer.
//!
//! - [`fields`]: header-field helpers both roles validate with: the list and number syntax,
//!   Content-Length and Transfer-Encoding (§6.1–§6.3), and building a `HeaderMap` from
//!   `httparse` output without copying values.
//! - [`decode`]: body framing on the way in: a known length, chunked transfer coding with
//!   its extensions and trailer section (§7.1), or until the connection closes.
//! - [`encode`]: chunk-size lines and the last chunk with trailers (§7.1).
//! - [`repeat`]: fields a keep-alive connection's previous head had, byte for byte, taken
//!   from there instead of being parsed and checked again.
//! - [`response`]: the client role's response-head parser (§4, §6.3): status line, header
//!   limits, and how long the body is.
//!
//! Errors are [`Error`](crate::Error)s of kind [`Parse`](crate::ErrorKind::Parse) carrying the
//! status a server would answer with; a client reads them as "malformed response".

pub mod decode;
pub mod encode;
pub mod fields;
pub mod repeat;
pub mod response;

pub use decode::{BodyDecoder, Decoded};
pub use encode::{encode_chunk_head, encode_last_chunk, put_decimal};
pub use fields::FramingFields;
pub use repeat::RepeatedFields;
pub use response::{ParsedResponseHead, ResponseLimits, parse_response_head};

/// How a message body is framed, as its head says (RFC 9112 §6.3).
///
/// ```
/// use http_core::engine::h1::{BodyDecoder, BodyLength};
/// assert!(BodyDecoder::new(BodyLength::Empty).is_done());
/// assert!(!BodyDecoder::new(BodyLength::Exact(3)).is_done());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyLength {
    /// No body.
    Empty,
    /// Exactly this many bytes (Content-Length).
    Exact(u64),
    /// Chunked transfer coding.
    Chunked,
}
