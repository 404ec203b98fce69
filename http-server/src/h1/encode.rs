//! HTTP/1.1 response body framing (RFC 9112 §6–§7): the response body being written (chunk
//! framing from the shared codec, [`http_core::engine::h1::encode`]), and the short error
//! responses the connection answers on its own.
//! The response head itself is encoded by [`role`](super::role).

use bytes::{BufMut, BytesMut};
use http::{HeaderMap, StatusCode, header};
pub(crate) use http_core::engine::h1::{encode_chunk_head, encode_last_chunk};
use http_core::{Error, ErrorKind};

use super::role::{Framing, encode_head};

/// A short error response that closes the connection.
pub(crate) fn encode_error(out: &mut BytesMut, status: StatusCode) {
    let reason = status.canonical_reason().unwrap_or("Error");
    let mut headers = HeaderMap::new();
    headers.insert(header::CONTENT_TYPE, http::HeaderValue::from_static("text/plain; charset=utf-8"));
    encode_head(out, status, &headers, Framing::Length(reason.len() as u64), false, false);
    out.put_slice(reason.as_bytes());
}

/// The response being written: what its request allows, and the framing chosen for it.
#[derive(Debug)]
pub(crate) struct BodyWriter {
    /// The request was HEAD: the head says what a GET would get, no body follows.
    pub(crate) is_head: bool,
    /// The client speaks HTTP/1.0 (no chunked framing).
    pub(crate) http10: bool,
    /// The client sent `TE: trailers`.
    pub(crate) accepts_trailers: bool,
    pub(crate) framing: Framing,
    /// Content-Length bytes still to send.
    pub(crate) remaining: u64,
    /// No body bytes go out (HEAD, or a status without a body).
    pub(crate) suppress_body: bool,
    trailers_ok: bool,
    /// A write was framed (chunk head written, length counted) and its bytes are not all out.
    writing_chunk: bool,
}

impl BodyWriter {
    pub(crate) fn new(is_head: bool, http10: bool, accepts_trailers: bool) -> Self {
        BodyWriter {
            is_head,
            http10,
            accepts_trailers,
            framing: Framing::NoBody,
            remaining: 0,
            suppress_body: false,
            trailers_ok: false,
            writing_chunk: false,
        }
    }

    /// Takes the framing of the head just encoded.
    pub(crate) fn start(&mut self, framing: Framing) {
        self.framing = framing;
        self.suppress_body = self.is_head || framing == Framing::NoBody;
        self.trailers_ok = framing == Framing::Chunked && self.accepts_trailers;
        self.remaining = if let Framing::Length(n) = framing { n } else { 0 };
    }

    /// True between [`frame_write`](Self::frame_write) and [`end_write`](Self::end_write).
    pub(crate) fn is_mid_write(&self) -> bool {
        self.writing_chunk
    }

    /// Frames a write of `len` body bytes: counts them against Content-Length, or appends
    /// their chunk-size line.
    pub(crate) fn frame_write(&mut self, out: &mut BytesMut, len: usize) -> Result<(), Error> {
        match self.framing {
            Framing::Length(_) => {
                if len as u64 > self.remaining {
                    return Err(Error::new(ErrorKind::State, "body longer than its Content-Length"));
                }
                self.remaining -= len as u64;
            }
            Framing::Chunked => encode_chunk_head(out, len),
            Framing::CloseDelimited | Framing::NoBody => {}
        }
        self.writing_chunk = true;
        Ok(())
    }

    /// Ends a framed write (a chunk's CRLF).
    pub(crate) fn end_write(&mut self, out: &mut BytesMut) {
        if self.framing == Framing::Chunked {
            out.extend_from_slice(b"\r\n");
        }
        self.writing_chunk = false;
    }

    /// Ends the body: the last chunk with `trailers` (where the client takes them), or a
    /// check that the Content-Length was met.
    pub(crate) fn finish(&mut self, out: &mut BytesMut, trailers: Option<&HeaderMap>) -> Result<(), Error> {
        match self.framing {
            Framing::Chunked if !self.suppress_body => {
                encode_last_chunk(out, if self.trailers_ok { trailers } else { None });
            }
            Framing::Length(_) if self.remaining > 0 && !self.suppress_body => {
                return Err(Error::new(ErrorKind::State, "body shorter than its Content-Length"));
            }
            _ => {}
        }
        if trailers.is_some() && !self.trailers_ok {
            tracing::debug!("trailers dropped: the client did not send `TE: trailers` or the body is not chunked");
        }
        Ok(())
    }
}
