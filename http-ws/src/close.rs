//! Close codes and close frames (RFC 6455 §5.5.1, §7.4).
//!
//! A close frame's payload is empty or a 2-byte big-endian code followed by a UTF-8
//! reason. Only some codes may appear on the wire: 1000–1003 and 1007–1014 (the IANA
//! registry), and 3000–4999 (libraries and applications). 1004 is reserved, 1005, 1006
//! and 1015 are for reporting only, and 0–999 and 1016–2999 are unassigned.

use crate::error::ProtocolError;
use std::fmt;

/// A WebSocket close status code.
///
/// ```
/// use http_ws::CloseCode;
/// assert!(CloseCode::NORMAL.is_sendable());
/// assert!(!CloseCode::NO_STATUS.is_sendable()); // 1005 is for reporting only
/// assert!(CloseCode(4000).is_sendable());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CloseCode(pub u16);

impl CloseCode {
    /// 1000: normal closure.
    pub const NORMAL: CloseCode = CloseCode(1000);
    /// 1001: the endpoint is going away (server shutdown, page navigation).
    pub const GOING_AWAY: CloseCode = CloseCode(1001);
    /// 1002: protocol error.
    pub const PROTOCOL: CloseCode = CloseCode(1002);
    /// 1003: a data type the endpoint cannot accept.
    pub const UNSUPPORTED: CloseCode = CloseCode(1003);
    /// 1005: no status code was present (reporting only, never sent).
    pub const NO_STATUS: CloseCode = CloseCode(1005);
    /// 1006: the connection closed without a close frame (reporting only, never sent).
    pub const ABNORMAL: CloseCode = CloseCode(1006);
    /// 1007: data inconsistent with the message type (invalid UTF-8 in a text message).
    pub const INVALID_PAYLOAD: CloseCode = CloseCode(1007);
    /// 1008: policy violation.
    pub const POLICY: CloseCode = CloseCode(1008);
    /// 1009: message too big to process.
    pub const TOO_BIG: CloseCode = CloseCode(1009);
    /// 1010: the client expected an extension the server did not negotiate.
    pub const EXTENSION: CloseCode = CloseCode(1010);
    /// 1011: unexpected condition on the server.
    pub const INTERNAL: CloseCode = CloseCode(1011);
    /// 1012: service restart.
    pub const RESTART: CloseCode = CloseCode(1012);
    /// 1013: try again later.
    pub const TRY_AGAIN: CloseCode = CloseCode(1013);
    /// 1014: bad gateway.
    pub const BAD_GATEWAY: CloseCode = CloseCode(1014);

    /// Whether the code may appear in a close frame on the wire.
    ///
    /// ```
    /// use http_ws::CloseCode;
    /// assert!(!CloseCode(1004).is_sendable());
    /// assert!(!CloseCode(2999).is_sendable());
    /// ```
    pub fn is_sendable(self) -> bool {
        matches!(self.0, 1000..=1003 | 1007..=1014 | 3000..=4999)
    }
}

impl fmt::Display for CloseCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// The code and reason of a close frame.
///
/// ```
/// use http_ws::{CloseCode, CloseFrame};
/// let f = CloseFrame::new(CloseCode::GOING_AWAY, "restarting");
/// assert_eq!(f.code, CloseCode(1001));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CloseFrame {
    /// The status code.
    pub code: CloseCode,
    /// Human-readable reason; at most 123 bytes go on the wire (longer ones are cut at a
    /// character boundary).
    pub reason: String,
}

impl CloseFrame {
    /// A close frame with `code` and `reason`.
    ///
    /// ```
    /// let f = http_ws::CloseFrame::new(http_ws::CloseCode::NORMAL, "");
    /// assert!(f.reason.is_empty());
    /// ```
    pub fn new(code: CloseCode, reason: impl Into<String>) -> Self {
        CloseFrame { code, reason: reason.into() }
    }
}

/// Maximum reason length: a control payload holds 125 bytes, 2 of them the code.
const MAX_REASON: usize = 123;

/// Parses a received close payload.
pub(crate) fn parse(payload: &[u8]) -> Result<Option<CloseFrame>, ProtocolError> {
    match payload.len() {
        0 => Ok(None),
        1 => Err(ProtocolError::InvalidClosePayload),
        _ => {
            let code = CloseCode(u16::from_be_bytes([payload[0], payload[1]]));
            if !code.is_sendable() {
                return Err(ProtocolError::InvalidCloseCode(code.0));
            }
            let reason = std::str::from_utf8(&payload[2..]).map_err(|_| ProtocolError::InvalidUtf8)?;
            Ok(Some(CloseFrame { code, reason: reason.to_owned() }))
        }
    }
}

/// Writes a close payload (code + reason cut to fit) into `out`.
pub(crate) fn encode(frame: Option<&CloseFrame>, out: &mut Vec<u8>) {
    if let Some(f) = frame {
        out.extend_from_slice(&f.code.0.to_be_bytes());
        let mut end = f.reason.len().min(MAX_REASON);
        while !f.reason.is_char_boundary(end) {
            end -= 1;
        }
        out.extend_from_slice(&f.reason.as_bytes()[..end]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_table() {
        let valid = [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 3999, 4000, 4999];
        let invalid = [0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535];
        for c in valid {
            assert!(CloseCode(c).is_sendable(), "{c}");
            assert!(parse(&c.to_be_bytes()).is_ok(), "{c}");
        }
        for c in invalid {
            assert!(!CloseCode(c).is_sendable(), "{c}");
            assert_eq!(parse(&c.to_be_bytes()), Err(ProtocolError::InvalidCloseCode(c)));
        }
    }

    #[test]
    fn payload_table() {
        assert_eq!(parse(b""), Ok(None));
        assert_eq!(parse(b"\x03"), Err(ProtocolError::InvalidClosePayload));
        assert_eq!(parse(b"\x03\xe8bye"), Ok(Some(CloseFrame::new(CloseCode::NORMAL, "bye"))));
        assert_eq!(parse(b"\x03\xe8\xff"), Err(ProtocolError::InvalidUtf8));
    }

    #[test]
    fn encode_cuts_long_reasons_at_a_char_boundary() {
        let f = CloseFrame::new(CloseCode::NORMAL, "é".repeat(100)); // 200 bytes
        let mut out = Vec::new();
        encode(Some(&f), &mut out);
        assert_eq!(out.len(), 2 + 122);
        assert!(parse(&out).is_ok());
        out.clear();
        encode(None, &mut out);
        assert!(out.is_empty());
    }
}
