//! Entry points for the fuzz targets (`fuzz/`) and the differential request-smuggling check
//! (`tests/smuggling.rs`).
//!
//! The HTTP/1 head parser and body decoders are crate-private (`h1::role`, `h1::decode`), so that their
//! types can change freely. Fuzzing and the smuggling check need to call exactly the code
//! the connection runs, without a socket; this module wraps it in a few functions with
//! plain inputs and outputs. It is `#[doc(hidden)]` and not part of the supported API.

use bytes::BytesMut;

use crate::h1::decode::{BodyDecoder, Decoded};
use crate::h1::role::{BodyLength, HeadLimits, parse_head};

/// The Range and precondition parsers of [`files`](crate::files), crate-private there.
pub use crate::files::conditional::{Precondition, check_preconditions, if_range_holds};
/// The Range field parser and its cap, crate-private in [`files`](crate::files).
pub use crate::files::range::{MAX_RANGES, RangeSpec, parse_range_specs};

/// The default limits of [`ServerOptions`](crate::ServerOptions), as the head parser sees them.
const LIMITS: HeadLimits = HeadLimits { max_header_bytes: 32 * 1024, max_uri_bytes: 8 * 1024, max_headers: 100 };
/// Trailer-section bound used by the connection (same as the head limit).
const MAX_TRAILER_BYTES: usize = 32 * 1024;

/// How a request's body is framed, as decided by the head parser.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framing {
    /// No body.
    Empty,
    /// Exactly this many bytes (Content-Length).
    Length(u64),
    /// Chunked transfer coding.
    Chunked,
}

/// The parser's verdict on one head.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HeadVerdict {
    /// Accepted: the head took `consumed` bytes; the body is framed as `framing`.
    Accepted {
        /// Bytes of the head (including skipped leading empty lines).
        consumed: usize,
        /// The body framing.
        framing: Framing,
        /// The connection may persist after the request.
        keep_alive: bool,
    },
    /// Not yet complete.
    Partial,
    /// Refused with this status.
    Rejected(u16),
}

/// Runs the HTTP/1 head parser and validator (default limits) on `data`.
pub fn parse_h1_head(data: &[u8]) -> HeadVerdict {
    let mut buf = BytesMut::from(data);
    match parse_head(&mut buf, &LIMITS) {
        Ok(Some(p)) => HeadVerdict::Accepted {
            consumed: data.len() - buf.len(),
            framing: match p.terms.body {
                BodyLength::Empty => Framing::Empty,
                BodyLength::Exact(n) => Framing::Length(n),
                BodyLength::Chunked => Framing::Chunked,
            },
            keep_alive: p.terms.keep_alive,
        },
        Ok(None) => HeadVerdict::Partial,
        Err(e) => HeadVerdict::Rejected(e.status().as_u16()),
    }
}

/// The chunked decoder's verdict on one body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChunkedVerdict {
    /// The body ended after `consumed` bytes: its data and its (kept) trailer count.
    Complete {
        /// The decoded body.
        body: Vec<u8>,
        /// Bytes of input the chunked body took.
        consumed: usize,
        /// Trailer fields kept.
        trailers: usize,
    },
    /// More input is needed.
    Incomplete,
    /// Refused with this status.
    Rejected(u16),
}

/// Decodes a chunked body from `data`, fed in pieces at the given split offsets (sorted,
/// each at most `data.len()`), exactly as a connection reading it in segments would.
pub fn decode_chunked(data: &[u8], splits: &[usize]) -> ChunkedVerdict {
    let mut decoder = BodyDecoder::new(BodyLength::Chunked);
    let mut buf = BytesMut::new();
    let mut body = Vec::new();
    let mut fed = 0;
    let mut cuts = splits.iter().copied().filter(|&s| s <= data.len()).chain(std::iter::once(data.len()));
    loop {
        match decoder.decode(&mut buf, MAX_TRAILER_BYTES) {
            Ok(Decoded::Data(b)) => body.extend_from_slice(&b),
            Ok(Decoded::End(t)) => {
                let trailers = t.map_or(0, |t| t.len());
                return ChunkedVerdict::Complete { body, consumed: fed - buf.len(), trailers };
            }
            Ok(Decoded::NeedMore) => {
                let Some(next) = cuts.by_ref().find(|&c| c > fed) else { return ChunkedVerdict::Incomplete };
                buf.extend_from_slice(&data[fed..next]);
                fed = next;
            }
            Err(e) => return ChunkedVerdict::Rejected(e.status().as_u16()),
        }
    }
}

/// A whole request (head then body) as the HTTP/1 connection frames it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RequestVerdict {
    /// Accepted: the decoded body and where the next request would start.
    Accepted {
        /// How the head framed the body.
        framing: Framing,
        /// The decoded body.
        body: Vec<u8>,
        /// Bytes taken by head and body.
        consumed: usize,
    },
    /// The head or the body is incomplete.
    Incomplete,
    /// Refused with this status.
    Rejected(u16),
}

/// Parses the head, then decodes the body that follows it in `data`.
pub fn frame_request(data: &[u8]) -> RequestVerdict {
    let (consumed, framing) = match parse_h1_head(data) {
        HeadVerdict::Accepted { consumed, framing, .. } => (consumed, framing),
        HeadVerdict::Partial => return RequestVerdict::Incomplete,
        HeadVerdict::Rejected(s) => return RequestVerdict::Rejected(s),
    };
    let rest = &data[consumed..];
    match framing {
        Framing::Empty => RequestVerdict::Accepted { framing, body: Vec::new(), consumed },
        Framing::Length(n) => match usize::try_from(n) {
            Ok(n) if n <= rest.len() => {
                RequestVerdict::Accepted { framing, body: rest[..n].to_vec(), consumed: consumed + n }
            }
            _ => RequestVerdict::Incomplete,
        },
        Framing::Chunked => match decode_chunked(rest, &[]) {
            ChunkedVerdict::Complete { body, consumed: c, .. } => {
                RequestVerdict::Accepted { framing, body, consumed: consumed + c }
            }
            ChunkedVerdict::Incomplete => RequestVerdict::Incomplete,
            ChunkedVerdict::Rejected(s) => RequestVerdict::Rejected(s),
        },
    }
}

/// Why [`frame_request`] rejects `data` (the error's text), `None` when it does not.
pub fn rejection_reason(data: &[u8]) -> Option<String> {
    let mut buf = BytesMut::from(data);
    let parsed = match parse_head(&mut buf, &LIMITS) {
        Ok(Some(p)) => p,
        Ok(None) => return None,
        Err(e) => return Some(e.to_string()),
    };
    if parsed.terms.body != BodyLength::Chunked {
        return None;
    }
    let mut decoder = BodyDecoder::new(BodyLength::Chunked);
    loop {
        match decoder.decode(&mut buf, MAX_TRAILER_BYTES) {
            Ok(Decoded::Data(_)) => {}
            Ok(Decoded::End(_) | Decoded::NeedMore) => return None,
            Err(e) => return Some(e.to_string()),
        }
    }
}
