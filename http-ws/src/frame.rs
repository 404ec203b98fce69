//! Frame headers (RFC 6455 §5.2): decoding, the per-frame rules, and encoding.
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-------+-+-------------+-------------------------------+
//! |F|R|R|R| opcode|M| Payload len |    Extended payload length    |
//! |I|S|S|S|  (4)  |A|     (7)     |             (16/64)           |
//! |N|V|V|V|       |S|             |   (if payload len==126/127)   |
//! +-+-+-+-+-------+-+-------------+-------------------------------+
//! ```
//!
//! [`Header::check`] applies every rule that needs only the header, so a frame announcing
//! more than the frame limit is refused before any of its payload is read.

use crate::Role;
use crate::error::ProtocolError;

/// Continuation frame.
pub(crate) const OP_CONTINUATION: u8 = 0x0;
/// Text frame.
pub(crate) const OP_TEXT: u8 = 0x1;
/// Binary frame.
pub(crate) const OP_BINARY: u8 = 0x2;
/// Close frame.
pub(crate) const OP_CLOSE: u8 = 0x8;
/// Ping frame.
pub(crate) const OP_PING: u8 = 0x9;
/// Pong frame.
pub(crate) const OP_PONG: u8 = 0xA;

/// Largest header: 2 + 8 (64-bit length) + 4 (mask).
pub(crate) const MAX_HEADER: usize = 14;

/// A decoded frame header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Header {
    pub(crate) fin: bool,
    pub(crate) rsv1: bool,
    /// RSV2 or RSV3 set (no extension here defines them).
    pub(crate) rsv23: bool,
    pub(crate) opcode: u8,
    pub(crate) mask: Option<[u8; 4]>,
    pub(crate) len: u64,
}

impl Header {
    /// Decodes a header from the start of `buf`: `Ok(None)` when more bytes are needed,
    /// otherwise the header and its length in bytes.
    pub(crate) fn decode(buf: &[u8]) -> Result<Option<(Header, usize)>, ProtocolError> {
        if buf.len() < 2 {
            return Ok(None);
        }
        let (b0, b1) = (buf[0], buf[1]);
        let masked = b1 & 0x80 != 0;
        let (len, mut at) = match b1 & 0x7f {
            126 => {
                if buf.len() < 4 {
                    return Ok(None);
                }
                (u64::from(u16::from_be_bytes([buf[2], buf[3]])), 4)
            }
            127 => {
                if buf.len() < 10 {
                    return Ok(None);
                }
                let mut n = [0u8; 8];
                n.copy_from_slice(&buf[2..10]);
                let len = u64::from_be_bytes(n);
                if len >> 63 != 0 {
                    return Err(ProtocolError::FrameTooBig); // the top bit must be 0
                }
                (len, 10)
            }
            n => (u64::from(n), 2),
        };
        let mask = if masked {
            if buf.len() < at + 4 {
                return Ok(None);
            }
            let m = [buf[at], buf[at + 1], buf[at + 2], buf[at + 3]];
            at += 4;
            Some(m)
        } else {
            None
        };
        let header =
            Header { fin: b0 & 0x80 != 0, rsv1: b0 & 0x40 != 0, rsv23: b0 & 0x30 != 0, opcode: b0 & 0x0f, mask, len };
        Ok(Some((header, at)))
    }

    /// Whether this is a control frame (close, ping, pong).
    pub(crate) fn is_control(&self) -> bool {
        self.opcode & 0x8 != 0
    }

    /// The rules that need only the header: known opcode, RSV bits, control-frame shape,
    /// masking direction and the frame size limit.
    pub(crate) fn check(&self, role: Role, deflate: bool, max_frame: usize) -> Result<(), ProtocolError> {
        match self.opcode {
            OP_CONTINUATION | OP_TEXT | OP_BINARY | OP_CLOSE | OP_PING | OP_PONG => {}
            op => return Err(ProtocolError::ReservedOpcode(op)),
        }
        // RSV1 marks a compressed message: only with deflate, only on a message's first frame
        if self.rsv23 || (self.rsv1 && (!deflate || !matches!(self.opcode, OP_TEXT | OP_BINARY))) {
            return Err(ProtocolError::ReservedBits);
        }
        if self.is_control() {
            if self.len > 125 {
                return Err(ProtocolError::ControlTooLong);
            }
            if !self.fin {
                return Err(ProtocolError::FragmentedControl);
            }
        }
        match (role, self.mask.is_some()) {
            (Role::Server, false) => return Err(ProtocolError::UnmaskedFrame),
            (Role::Client, true) => return Err(ProtocolError::MaskedFrame),
            _ => {}
        }
        if self.len > max_frame as u64 {
            return Err(ProtocolError::FrameTooBig);
        }
        Ok(())
    }
}

/// Appends a frame header to `out`.
pub(crate) fn encode_header(out: &mut Vec<u8>, fin: bool, rsv1: bool, opcode: u8, mask: Option<[u8; 4]>, len: usize) {
    let b0 = (u8::from(fin) << 7) | (u8::from(rsv1) << 6) | opcode;
    let m = if mask.is_some() { 0x80 } else { 0 };
    if len < 126 {
        out.extend_from_slice(&[b0, m | len as u8]);
    } else if len <= usize::from(u16::MAX) {
        let l = (len as u16).to_be_bytes();
        out.extend_from_slice(&[b0, m | 126, l[0], l[1]]);
    } else {
        out.extend_from_slice(&[b0, m | 127]);
        out.extend_from_slice(&(len as u64).to_be_bytes());
    }
    if let Some(k) = mask {
        out.extend_from_slice(&k);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decode_table() {
        let m = Some([1, 2, 3, 4]);
        // (bytes, expected header, header length)
        let cases: &[(&[u8], Header, usize)] = &[
            (b"\x81\x05", Header { fin: true, rsv1: false, rsv23: false, opcode: 1, mask: None, len: 5 }, 2),
            (
                b"\x02\x85\x01\x02\x03\x04",
                Header { fin: false, rsv1: false, rsv23: false, opcode: 2, mask: m, len: 5 },
                6,
            ),
            (b"\xc1\x7e\x01\x00", Header { fin: true, rsv1: true, rsv23: false, opcode: 1, mask: None, len: 256 }, 4),
            (
                b"\x92\x7f\0\0\0\0\0\x01\0\0",
                Header { fin: true, rsv1: false, rsv23: true, opcode: 2, mask: None, len: 65536 },
                10,
            ),
            (
                b"\x89\xfe\x00\x7e\x01\x02\x03\x04",
                Header { fin: true, rsv1: false, rsv23: false, opcode: 9, mask: m, len: 126 },
                8,
            ),
        ];
        for (bytes, want, n) in cases {
            assert_eq!(Header::decode(bytes), Ok(Some((*want, *n))), "{bytes:?}");
            // every proper prefix asks for more bytes
            for cut in 0..*n {
                assert_eq!(Header::decode(&bytes[..cut]), Ok(None), "{bytes:?} cut at {cut}");
            }
            // encoding gives the same bytes back (RSV2/3 are never encoded)
            if !want.rsv23 {
                let mut out = Vec::new();
                encode_header(&mut out, want.fin, want.rsv1, want.opcode, want.mask, want.len as usize);
                assert_eq!(&out[..], *bytes);
            }
        }
        assert_eq!(Header::decode(b"\x82\x7f\x80\0\0\0\0\0\0\0"), Err(ProtocolError::FrameTooBig));
    }

    #[test]
    fn check_table() {
        let h = |b0: u8, len: u64, masked: bool| Header {
            fin: b0 & 0x80 != 0,
            rsv1: b0 & 0x40 != 0,
            rsv23: b0 & 0x30 != 0,
            opcode: b0 & 0x0f,
            mask: masked.then_some([0; 4]),
            len,
        };
        use ProtocolError::*;
        let cases: &[(Header, Role, bool, Result<(), ProtocolError>)] = &[
            (h(0x81, 5, true), Role::Server, false, Ok(())),
            (h(0x81, 5, false), Role::Server, false, Err(UnmaskedFrame)),
            (h(0x81, 5, true), Role::Client, false, Err(MaskedFrame)),
            (h(0x81, 5, false), Role::Client, false, Ok(())),
            (h(0x83, 0, true), Role::Server, false, Err(ReservedOpcode(3))),
            (h(0x87, 0, true), Role::Server, false, Err(ReservedOpcode(7))),
            (h(0x8b, 0, true), Role::Server, false, Err(ReservedOpcode(0xb))),
            (h(0x8f, 0, true), Role::Server, false, Err(ReservedOpcode(0xf))),
            (h(0xa1, 0, true), Role::Server, true, Err(ReservedBits)), // RSV2
            (h(0x91, 0, true), Role::Server, true, Err(ReservedBits)), // RSV3
            (h(0xc1, 0, true), Role::Server, false, Err(ReservedBits)), // RSV1 without deflate
            (h(0xc1, 0, true), Role::Server, true, Ok(())),
            (h(0xc0, 0, true), Role::Server, true, Err(ReservedBits)), // RSV1 on a continuation
            (h(0xc9, 0, true), Role::Server, true, Err(ReservedBits)), // RSV1 on a ping
            (h(0x89, 125, true), Role::Server, false, Ok(())),
            (h(0x89, 126, true), Role::Server, false, Err(ControlTooLong)),
            (h(0x09, 1, true), Role::Server, false, Err(FragmentedControl)),
            (h(0x08, 2, true), Role::Server, false, Err(FragmentedControl)),
            (h(0x82, 1001, true), Role::Server, false, Err(FrameTooBig)),
            (h(0x82, 1000, true), Role::Server, false, Ok(())),
        ];
        for (hdr, role, deflate, want) in cases {
            assert_eq!(hdr.check(*role, *deflate, 1000), *want, "{hdr:?} {role:?}");
        }
    }
}
