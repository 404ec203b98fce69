//! Messages and the receive-side message assembly (RFC 6455 §5.4–§5.6, RFC 7692 §6):
//! fragments are joined (or inflated) into messages, text is validated incrementally,
//! and the message limit is enforced from frame headers before payloads are read.
//!
//! This module does no I/O: [`crate::WebSocket`] hands it whole, unmasked frames.

use crate::close::{self, CloseFrame};
use crate::deflate::{DeflateParams, Inflater};
use crate::error::ProtocolError;
use crate::frame::{Header, OP_BINARY, OP_CLOSE, OP_CONTINUATION, OP_PING, OP_PONG, OP_TEXT};
use crate::utf8::Utf8Validator;
use crate::{Config, Role};
use bytes::{Bytes, BytesMut};

/// A WebSocket message.
///
/// ```
/// use http_ws::Message;
/// let m = Message::text("hi");
/// assert!(m.is_text());
/// assert_eq!(m.as_payload(), b"hi");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message {
    /// A text message (valid UTF-8).
    Text(String),
    /// A binary message.
    Binary(Bytes),
    /// A ping; the socket answers it with a pong by itself.
    Ping(Bytes),
    /// A pong.
    Pong(Bytes),
    /// A close frame; `None` when it carried no status code.
    Close(Option<CloseFrame>),
}

impl Message {
    /// A text message.
    ///
    /// ```
    /// assert_eq!(http_ws::Message::text("a"), http_ws::Message::Text("a".into()));
    /// ```
    pub fn text(s: impl Into<String>) -> Self {
        Message::Text(s.into())
    }

    /// A binary message.
    ///
    /// ```
    /// let m = http_ws::Message::binary(vec![1, 2, 3]);
    /// assert!(m.is_binary());
    /// ```
    pub fn binary(b: impl Into<Bytes>) -> Self {
        Message::Binary(b.into())
    }

    /// Whether this is a text message.
    ///
    /// ```
    /// assert!(!http_ws::Message::binary(vec![]).is_text());
    /// ```
    pub fn is_text(&self) -> bool {
        matches!(self, Message::Text(_))
    }

    /// Whether this is a binary message.
    ///
    /// ```
    /// assert!(!http_ws::Message::text("").is_binary());
    /// ```
    pub fn is_binary(&self) -> bool {
        matches!(self, Message::Binary(_))
    }

    /// Whether this is a close message.
    ///
    /// ```
    /// assert!(http_ws::Message::Close(None).is_close());
    /// ```
    pub fn is_close(&self) -> bool {
        matches!(self, Message::Close(_))
    }

    /// The payload bytes (the reason's bytes for a close).
    ///
    /// ```
    /// assert_eq!(http_ws::Message::Ping("x".into()).as_payload(), b"x");
    /// ```
    pub fn as_payload(&self) -> &[u8] {
        match self {
            Message::Text(s) => s.as_bytes(),
            Message::Binary(b) | Message::Ping(b) | Message::Pong(b) => b,
            Message::Close(f) => f.as_ref().map_or(&[], |f| f.reason.as_bytes()),
        }
    }
}

/// A fragmented (or compressed) message being received.
struct Open {
    text: bool,
    compressed: bool,
    buf: Vec<u8>,
}

/// Receive-side state: the open message, the UTF-8 validator and the decompressor.
pub(crate) struct Reader {
    role: Role,
    max_message: usize,
    max_frame: usize,
    open: Option<Open>,
    utf8: Utf8Validator,
    /// Negotiated permessage-deflate; the decompressor is created on the first
    /// compressed message, so idle connections hold no compression state.
    deflate: Option<DeflateParams>,
    inflater: Option<Inflater>,
}

impl Reader {
    pub(crate) fn new(role: Role, config: &Config) -> Self {
        Reader {
            role,
            max_message: config.max_message_size,
            max_frame: config.max_frame_size,
            open: None,
            utf8: Utf8Validator::default(),
            deflate: config.deflate.clone(),
            inflater: None,
        }
    }

    /// Every check that needs only the header, so bad or oversized frames are refused
    /// before their payload is read.
    pub(crate) fn check_header(&self, h: &Header) -> Result<(), ProtocolError> {
        // A compressed frame is bounded by the limit plus deflate's worst-case growth, so an
        // incompressible message that fits once inflated is not refused for its compressed
        // size (the message limit applies after inflating).
        let compressed =
            h.rsv1 || (h.opcode == OP_CONTINUATION && self.open.as_ref().is_some_and(|open| open.compressed));
        let max_frame =
            if compressed { self.max_frame.saturating_add(deflate_slack(self.max_frame)) } else { self.max_frame };
        h.check(self.role, self.deflate.is_some(), max_frame)?;
        match (h.opcode, &self.open) {
            (OP_CONTINUATION, None) => Err(ProtocolError::UnexpectedContinuation),
            (OP_CONTINUATION, Some(open))
                if !open.compressed && open.buf.len() as u64 + h.len > self.max_message as u64 =>
            {
                Err(ProtocolError::MessageTooBig)
            }
            (OP_TEXT | OP_BINARY, Some(_)) => Err(ProtocolError::MessageInProgress),
            (OP_TEXT | OP_BINARY, None) if !h.rsv1 && h.len > self.max_message as u64 => {
                Err(ProtocolError::MessageTooBig)
            }
            _ => Ok(()),
        }
    }

    /// For a text frame still arriving (uncompressed, first or continuation): the
    /// validator state its payload starts from, so invalid UTF-8 fails before the frame
    /// is complete.
    pub(crate) fn text_frame_validator(&self, h: &Header) -> Option<Utf8Validator> {
        match (h.opcode, &self.open) {
            (OP_TEXT, None) if !h.rsv1 => Some(Utf8Validator::default()),
            (OP_CONTINUATION, Some(open)) if open.text && !open.compressed => Some(self.utf8.clone()),
            _ => None,
        }
    }

    /// Takes one whole frame (header already checked, payload unmasked); returns a message
    /// when one completes.
    pub(crate) fn on_frame(&mut self, h: &Header, payload: BytesMut) -> Result<Option<Message>, ProtocolError> {
        match h.opcode {
            OP_PING => Ok(Some(Message::Ping(payload.freeze()))),
            OP_PONG => Ok(Some(Message::Pong(payload.freeze()))),
            OP_CLOSE => Ok(Some(Message::Close(close::parse(&payload)?))),
            OP_TEXT | OP_BINARY => {
                let text = h.opcode == OP_TEXT;
                if h.fin && !h.rsv1 {
                    // the common case: a whole uncompressed message in one frame
                    return if text {
                        let s = std::str::from_utf8(&payload).map_err(|_| ProtocolError::InvalidUtf8)?;
                        Ok(Some(Message::Text(s.to_owned())))
                    } else {
                        Ok(Some(Message::Binary(payload.freeze())))
                    };
                }
                let open = Open { text, compressed: h.rsv1, buf: Vec::new() };
                self.append(open, h.fin, &payload)
            }
            _ => {
                let open = self.open.take().ok_or(ProtocolError::UnexpectedContinuation)?;
                self.append(open, h.fin, &payload)
            }
        }
    }

    fn append(&mut self, mut open: Open, fin: bool, payload: &[u8]) -> Result<Option<Message>, ProtocolError> {
        let start = open.buf.len();
        let result = self.append_inner(&mut open, fin, payload, start);
        if result.is_err() {
            self.utf8 = Utf8Validator::default();
            return result.map(|_| None);
        }
        if !fin {
            self.open = Some(open);
            return Ok(None);
        }
        Ok(Some(if open.text {
            Message::Text(String::from_utf8(open.buf).map_err(|_| ProtocolError::InvalidUtf8)?)
        } else {
            Message::Binary(Bytes::from(open.buf))
        }))
    }

    fn append_inner(&mut self, open: &mut Open, fin: bool, payload: &[u8], start: usize) -> Result<(), ProtocolError> {
        if open.compressed {
            let params = self.deflate.as_ref().ok_or(ProtocolError::ReservedBits)?;
            let inflater = self.inflater.get_or_insert_with(|| Inflater::new(params));
            inflater.inflate(payload, &mut open.buf, self.max_message)?;
            if fin {
                inflater.finish(&mut open.buf, self.max_message)?;
            }
        } else {
            open.buf.extend_from_slice(payload);
        }
        if open.text {
            self.utf8.feed(&open.buf[start..]).map_err(|_| ProtocolError::InvalidUtf8)?;
            if fin {
                self.utf8.finish().map_err(|_| ProtocolError::InvalidUtf8)?;
            }
        }
        Ok(())
    }
}

/// How much larger than `len` bytes of data their DEFLATE encoding can be: stored blocks
/// add 5 bytes per 65,535 (RFC 1951 §3.2.4), here rounded up to 1/1024 plus 64 bytes.
fn deflate_slack(len: usize) -> usize {
    len / 1024 + 64
}

#[cfg(test)]
#[allow(clippy::type_complexity)] // case tables
mod tests {
    use super::*;

    fn hdr(b0: u8, len: usize) -> Header {
        Header {
            fin: b0 & 0x80 != 0,
            rsv1: b0 & 0x40 != 0,
            rsv23: false,
            opcode: b0 & 0xf,
            mask: Some([0; 4]),
            len: len as u64,
        }
    }

    /// Feeds (first byte, payload) frames; returns the messages or the first error.
    fn feed(config: &Config, frames: &[(u8, &[u8])]) -> Result<Vec<Message>, ProtocolError> {
        let mut r = Reader::new(Role::Server, config);
        let mut out = Vec::new();
        for (b0, p) in frames {
            let h = hdr(*b0, p.len());
            r.check_header(&h)?;
            if let Some(m) = r.on_frame(&h, BytesMut::from(*p))? {
                out.push(m);
            }
        }
        Ok(out)
    }

    #[test]
    fn assembly_table() {
        let small = Config { max_message_size: 10, ..Default::default() };
        let def = Config::default();
        use ProtocolError::*;
        let cases: &[(&Config, &[(u8, &[u8])], Result<Vec<Message>, ProtocolError>)] = &[
            (&def, &[(0x81, b"hi")], Ok(vec![Message::text("hi")])),
            (
                &def,
                &[(0x01, b"h"), (0x89, b"p"), (0x80, b"i")],
                Ok(vec![Message::Ping("p".into()), Message::text("hi")]),
            ),
            (&def, &[(0x02, b"a"), (0x00, b""), (0x80, b"b")], Ok(vec![Message::binary(&b"ab"[..])])),
            (&def, &[(0x01, b"\xe2\x82"), (0x80, b"\xac")], Ok(vec![Message::text("€")])),
            (&def, &[(0x01, b"ok"), (0x00, b"\xff"), (0x80, b"")], Err(InvalidUtf8)),
            (&def, &[(0x01, b"\xe2\x82")], Ok(vec![])),
            (&def, &[(0x01, b"a"), (0x80, b"\xe2\x82")], Err(InvalidUtf8)),
            (&def, &[(0x80, b"x")], Err(UnexpectedContinuation)),
            (&def, &[(0x01, b"a"), (0x81, b"b")], Err(MessageInProgress)),
            (&def, &[(0x01, b"a"), (0x82, b"b")], Err(MessageInProgress)),
            (&def, &[(0x88, b"\x03")], Err(InvalidClosePayload)),
            (&def, &[(0x88, b"\x03\xe7")], Err(InvalidCloseCode(999))),
            (&def, &[(0x88, b"\x03\xe8\xff")], Err(InvalidUtf8)),
            (&def, &[(0x88, b"")], Ok(vec![Message::Close(None)])),
            (&small, &[(0x82, b"0123456789")], Ok(vec![Message::binary(&b"0123456789"[..])])),
            (&small, &[(0x82, b"0123456789a")], Err(MessageTooBig)),
            (&small, &[(0x02, b"012345"), (0x80, b"6789a")], Err(MessageTooBig)),
        ];
        for (cfg, frames, want) in cases {
            assert_eq!(feed(cfg, frames), *want, "{frames:?}");
        }
    }

    #[test]
    fn compressed_frames_may_exceed_the_frame_limit_by_deflate_growth_only() {
        let deflate = Config { max_frame_size: 1 << 20, deflate: Some(DeflateParams::default()), ..Default::default() };
        let max = deflate.max_frame_size;
        let slack = deflate_slack(max);
        use ProtocolError::*;
        // (first byte, announced length, a compressed message already open?, result)
        let rows = [
            (0xc2, max + slack, false, Ok(())),
            (0xc2, max + slack + 1, false, Err(FrameTooBig)),
            (0x82, max, false, Ok(())),
            (0x82, max + 1, false, Err(FrameTooBig)),
            (0x80, max + slack, true, Ok(())),
            (0x80, max + slack + 1, true, Err(FrameTooBig)),
        ];
        for (b0, len, open, want) in rows {
            let mut r = Reader::new(Role::Server, &deflate);
            if open {
                r.open = Some(Open { text: false, compressed: true, buf: Vec::new() });
            }
            assert_eq!(r.check_header(&hdr(b0, len)), want, "{b0:#x} {len}");
        }
        // Incompressible data never grows past the slack.
        let data: Vec<u8> = (0..max as u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect();
        let mut z = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
        std::io::Write::write_all(&mut z, &data).unwrap();
        assert!(z.finish().unwrap().len() <= max + slack);
    }
}
