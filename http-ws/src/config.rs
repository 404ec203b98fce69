//! Connection settings: limits (all finite by default), timeouts, buffer sizes, and the
//! values a handshake negotiated (subprotocol, permessage-deflate parameters).

use crate::deflate::DeflateParams;
use std::time::Duration;

/// Settings of one WebSocket connection.
///
/// Limits and buffers are fields; the negotiated `protocol` and `deflate` are filled in by
/// the handshake functions ([`crate::Accept::accept`], [`crate::client::Client`]).
///
/// ```
/// use std::time::Duration;
/// let mut config = http_ws::Config::default();
/// config.max_message_size = 1 << 20;
/// config.ping_interval = Some(Duration::from_secs(30));
/// assert_eq!(config.max_frame_size, 16 << 20);
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Config {
    /// Largest message (after decompression) accepted; a larger one fails the connection
    /// with close code 1009. Default 16 MiB.
    pub max_message_size: usize,
    /// Largest single frame accepted, checked from the header before the payload is read
    /// (1009). Default 16 MiB.
    pub max_frame_size: usize,
    /// How long to wait for the peer's close frame (and, after it, for the peer to close
    /// the connection) once a close frame was sent. Default 5 s.
    pub close_timeout: Duration,
    /// Send a ping this often while the connection is open. Default `None` (no pings).
    pub ping_interval: Option<Duration>,
    /// Bytes of unsent output after which a producer waits (`Sink::poll_ready` pends)
    /// until the peer has read some. Default 128 KiB.
    pub write_buffer_size: usize,
    /// Initial read buffer size; it grows to hold one whole frame. Default 16 KiB.
    pub read_buffer_size: usize,
    /// Frames of outgoing messages longer than this are split into fragments. Default
    /// `usize::MAX` (one frame per message).
    pub max_send_frame_size: usize,
    /// The negotiated subprotocol (`Sec-WebSocket-Protocol`), if any. Default `None`.
    pub protocol: Option<String>,
    /// The negotiated permessage-deflate parameters, if the extension is in use.
    /// Default `None`.
    pub deflate: Option<DeflateParams>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            max_message_size: 16 << 20,
            max_frame_size: 16 << 20,
            close_timeout: Duration::from_secs(5),
            ping_interval: None,
            write_buffer_size: 128 << 10,
            read_buffer_size: 16 << 10,
            max_send_frame_size: usize::MAX,
            protocol: None,
            deflate: None,
        }
    }
}
