//! HTTP/1.1 request body framing (RFC 9112 §6–§7): the request body being read. The
//! decoder itself (known length, chunked with extensions and trailers) is the shared codec's
//! ([`http_core::engine::h1::decode`]); the framing is decided from the head by
//! [`role`](super::role).

use http::HeaderMap;
pub(crate) use http_core::engine::h1::{BodyDecoder, Decoded};

use super::role::BodyLength;

/// The request body being read: its decoder, its trailers once read, and how it went.
#[derive(Debug)]
pub(crate) struct BodyReader {
    pub(crate) decoder: BodyDecoder,
    /// The trailers of a chunked body, once it was read to its end. Boxed: rare, and the
    /// reader lives in every idle connection's transport.
    pub(crate) trailers: Option<Box<HeaderMap>>,
    /// `Expect: 100-continue` was sent and `100 Continue` not yet (RFC 9110 §10.1.1).
    pub(crate) expect_continue: bool,
    /// The body was cut short or malformed: its framing is lost.
    pub(crate) failed: bool,
}

impl BodyReader {
    pub(crate) fn new(len: BodyLength, expect_continue: bool) -> Self {
        BodyReader { decoder: BodyDecoder::new(len), trailers: None, expect_continue, failed: false }
    }
}
