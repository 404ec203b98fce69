//! Typed errors: protocol violations (each with the close code it is answered with),
//! I/O failures, and client handshake failures.

use crate::close::CloseCode;
use std::{fmt, io};

/// A violation of RFC 6455 / RFC 7692 by the peer. The connection is failed with a close
/// frame carrying [`ProtocolError::close_code`].
///
/// ```
/// use http_ws::{CloseCode, ProtocolError};
/// assert_eq!(ProtocolError::InvalidUtf8.close_code(), CloseCode::INVALID_PAYLOAD);
/// assert_eq!(ProtocolError::MessageTooBig.close_code(), CloseCode::TOO_BIG);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ProtocolError {
    /// A client frame without a mask (servers require one, §5.1).
    UnmaskedFrame,
    /// A server frame with a mask (clients forbid one, §5.1).
    MaskedFrame,
    /// Opcode 0x3–0x7 or 0xB–0xF.
    ReservedOpcode(u8),
    /// An RSV bit no extension negotiated (or RSV1 outside a message's first data frame).
    ReservedBits,
    /// A control frame with more than 125 payload bytes.
    ControlTooLong,
    /// A control frame without FIN.
    FragmentedControl,
    /// A continuation frame with no message open.
    UnexpectedContinuation,
    /// A new text/binary frame while a fragmented message is still open.
    MessageInProgress,
    /// A close frame with a 1-byte payload.
    InvalidClosePayload,
    /// A close code that may not appear on the wire.
    InvalidCloseCode(u16),
    /// Invalid UTF-8 in a text message or close reason.
    InvalidUtf8,
    /// A frame larger than the frame limit.
    FrameTooBig,
    /// A message (after decompression) larger than the message limit.
    MessageTooBig,
    /// A compressed message that does not inflate.
    BadCompression,
}

impl ProtocolError {
    /// The close code this violation is answered with.
    ///
    /// ```
    /// assert_eq!(http_ws::ProtocolError::ReservedBits.close_code().0, 1002);
    /// ```
    pub fn close_code(self) -> CloseCode {
        match self {
            ProtocolError::InvalidUtf8 | ProtocolError::BadCompression => CloseCode::INVALID_PAYLOAD,
            ProtocolError::FrameTooBig | ProtocolError::MessageTooBig => CloseCode::TOO_BIG,
            _ => CloseCode::PROTOCOL,
        }
    }
}

impl fmt::Display for ProtocolError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = match self {
            ProtocolError::UnmaskedFrame => "unmasked client frame",
            ProtocolError::MaskedFrame => "masked server frame",
            ProtocolError::ReservedOpcode(op) => return write!(f, "reserved opcode {op:#x}"),
            ProtocolError::ReservedBits => "reserved bits set",
            ProtocolError::ControlTooLong => "control frame longer than 125 bytes",
            ProtocolError::FragmentedControl => "fragmented control frame",
            ProtocolError::UnexpectedContinuation => "continuation frame without an open message",
            ProtocolError::MessageInProgress => "data frame while a message is open",
            ProtocolError::InvalidClosePayload => "close frame with a 1-byte payload",
            ProtocolError::InvalidCloseCode(c) => return write!(f, "invalid close code {c}"),
            ProtocolError::InvalidUtf8 => "invalid UTF-8",
            ProtocolError::FrameTooBig => "frame too big",
            ProtocolError::MessageTooBig => "message too big",
            ProtocolError::BadCompression => "invalid compressed data",
        };
        f.write_str(s)
    }
}

/// Why a client handshake failed.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum HandshakeError {
    /// The URL is not `ws://` or `wss://` with a host, or `wss://` without the `tls` feature.
    InvalidUrl(String),
    /// The response head did not parse or was too large.
    BadResponse,
    /// The server answered with a status other than 101.
    Status(http::StatusCode),
    /// `Upgrade: websocket` or `Connection: upgrade` missing from the response.
    NotUpgraded,
    /// `Sec-WebSocket-Accept` missing or not matching the key.
    BadAccept,
    /// The server chose a subprotocol the client did not offer.
    BadProtocol,
    /// The server answered with an extension (or parameters) the client did not offer or
    /// cannot honour.
    BadExtension(String),
    /// The HTTP/2 server did not enable extended CONNECT (`SETTINGS_ENABLE_CONNECT_PROTOCOL`).
    NoExtendedConnect,
}

impl fmt::Display for HandshakeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HandshakeError::InvalidUrl(u) => write!(f, "invalid WebSocket URL {u:?}"),
            HandshakeError::BadResponse => f.write_str("malformed handshake response"),
            HandshakeError::Status(s) => write!(f, "handshake answered with status {s}"),
            HandshakeError::NotUpgraded => f.write_str("response does not upgrade to websocket"),
            HandshakeError::BadAccept => f.write_str("wrong Sec-WebSocket-Accept"),
            HandshakeError::BadProtocol => f.write_str("server chose a subprotocol not offered"),
            HandshakeError::BadExtension(e) => write!(f, "bad extension in response: {e}"),
            HandshakeError::NoExtendedConnect => f.write_str("HTTP/2 server does not allow extended CONNECT"),
        }
    }
}

/// Any WebSocket error.
///
/// ```
/// use http_ws::{Error, ProtocolError};
/// let e = Error::from(ProtocolError::ReservedBits);
/// assert_eq!(e.protocol().map(|p| p.close_code().0), Some(1002));
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// The underlying connection failed.
    Io(io::Error),
    /// The peer violated the protocol; a close frame with its code was sent.
    Protocol(ProtocolError),
    /// The connection ended without a close frame (close code 1006).
    AbnormalClosure,
    /// Sending after the close handshake started, or receiving after it ended.
    ConnectionClosed,
    /// The client handshake failed.
    Handshake(HandshakeError),
}

impl Error {
    /// The protocol violation, if this is one.
    ///
    /// ```
    /// assert!(http_ws::Error::AbnormalClosure.protocol().is_none());
    /// ```
    pub fn protocol(&self) -> Option<ProtocolError> {
        match self {
            Error::Protocol(p) => Some(*p),
            _ => None,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Io(e) => write!(f, "websocket i/o: {e}"),
            Error::Protocol(p) => write!(f, "websocket protocol error: {p}"),
            Error::AbnormalClosure => f.write_str("connection closed without a close frame"),
            Error::ConnectionClosed => f.write_str("websocket connection closed"),
            Error::Handshake(h) => write!(f, "websocket handshake: {h}"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Io(e) => Some(e),
            _ => None,
        }
    }
}

impl From<io::Error> for Error {
    fn from(e: io::Error) -> Self {
        Error::Io(e)
    }
}

impl From<ProtocolError> for Error {
    fn from(e: ProtocolError) -> Self {
        Error::Protocol(e)
    }
}

impl From<HandshakeError> for Error {
    fn from(e: HandshakeError) -> Self {
        Error::Handshake(e)
    }
}
