//! Entry points for the criterion micro-benchmarks (`benches/benches/h1.rs`).
//!
//! The HTTP/1 head parser, body decoders and response encoder are crate-private (`h1::role`,
//! `h1::decode`), so that their types can change freely. The benchmarks need to time exactly
//! the code the connection runs, without a socket; this module wraps it in a few functions
//! with plain inputs and outputs, and does nothing else around the call, so a benchmark times
//! only the engine's own work. The limits are [`ServerOptions`](crate::ServerOptions)'s
//! defaults, as a server built with `ServerOptions::new()` applies them. It is
//! `#[doc(hidden)]` and not part of the supported API.

use bytes::BytesMut;
use http::{HeaderMap, StatusCode};

use crate::h1::decode::{BodyDecoder, Decoded};
use crate::h1::role::{BodyLength, Framing, HeadLimits, HeadParser, encode_head, parse_head as decode_head};

/// The precondition evaluator of [`files`](crate::files), crate-private there.
pub use crate::files::conditional::{Precondition, check_preconditions};
/// The Range field parser, crate-private in [`files`](crate::files).
pub use crate::files::range::parse_range_specs;

/// The head limits of a default [`ServerOptions`](crate::ServerOptions).
fn default_limits() -> HeadLimits {
    let o = crate::ServerOptions::new();
    HeadLimits { max_header_bytes: o.max_header_bytes, max_uri_bytes: o.max_uri_bytes, max_headers: o.max_headers }
}

/// Parses and validates one request head at the start of `buf` with fresh scratch space
/// (`h1::role::parse_head`, default limits): httparse's tokenizer, then the target,
/// Host, framing and connection checks and the request's `HeaderMap` (allocated here). On
/// success the head's bytes are removed from `buf` and the number of header fields is
/// returned; `Err` carries the status the connection would answer (0: head incomplete).
pub fn parse_head(buf: &mut BytesMut) -> Result<usize, u16> {
    match decode_head(buf, &default_limits()) {
        Ok(Some(p)) => Ok(p.head.headers.len()),
        Ok(None) => Err(0),
        Err(e) => Err(e.status().as_u16()),
    }
}

/// A connection's head parser in its steady state: the scratch space (field positions and a
/// spare `HeaderMap`) is kept between heads, as on a keep-alive connection.
#[derive(Debug)]
pub struct ConnHeadParser {
    parser: HeadParser,
    limits: HeadLimits,
}

impl Default for ConnHeadParser {
    fn default() -> Self {
        ConnHeadParser { parser: HeadParser::default(), limits: default_limits() }
    }
}

impl ConnHeadParser {
    /// A parser with empty scratch space and the default limits.
    pub fn new() -> Self {
        Self::default()
    }

    /// `HeadParser::parse` on `buf` (the connection's read buffer), exactly as the
    /// connection calls it; then the request's `HeaderMap` is handed back to the parser, as
    /// the connection hands back the previous response's map (`recycle_headers`), so the
    /// next head reuses it. Returns the number of header fields, or the status the
    /// connection would answer (0: head incomplete).
    pub fn parse(&mut self, buf: &mut BytesMut) -> Result<usize, u16> {
        match self.parser.parse(buf, &self.limits) {
            Ok(Some(_)) => {
                let headers = std::mem::take(&mut self.parser.decoded().headers);
                let n = headers.len();
                self.parser.recycle(headers);
                Ok(n)
            }
            Ok(None) => Err(0),
            Err(e) => Err(e.status().as_u16()),
        }
    }
}

/// Decodes a complete chunked body at the start of `buf` with the connection's
/// `BodyDecoder` (trailer bound: the default `max_header_bytes`, as the connection passes
/// it), one `decode` step at a time as the connection's body reader calls it. The data
/// pieces are zero-copy slices of `buf`, dropped at once. Returns the number of body bytes,
/// or the status the connection would answer (0: body incomplete).
pub fn decode_chunked(buf: &mut BytesMut) -> Result<usize, u16> {
    let max_trailer_bytes = default_limits().max_header_bytes;
    let mut decoder = BodyDecoder::new(BodyLength::Chunked);
    let mut n = 0;
    loop {
        match decoder.decode(buf, max_trailer_bytes) {
            Ok(Decoded::Data(d)) => n += d.len(),
            Ok(Decoded::End(_)) => return Ok(n),
            Ok(Decoded::NeedMore) => return Err(0),
            Err(e) => return Err(e.status().as_u16()),
        }
    }
}

/// Appends a response head to `out` with `h1::role::encode_head`, as the connection does
/// for an HTTP/1.1 keep-alive response: the status line, `headers` (minus framing fields),
/// a cached `date` unless `headers` has one, then `content-length` (`Some`) or
/// `transfer-encoding: chunked` (`None`).
pub fn encode_response_head(out: &mut BytesMut, status: StatusCode, headers: &HeaderMap, content_length: Option<u64>) {
    let framing = content_length.map_or(Framing::Chunked, Framing::Length);
    encode_head(out, status, headers, framing, true, false);
}
