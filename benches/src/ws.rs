//! Raw WebSocket client pieces for the WebSocket load programs (`ws_load`, `ws_peak`,
//! `idle_conns --websocket`): the HTTP/1.1 opening handshake of RFC 6455 §4.1, masked
//! client frames (§5.2, §5.3) built once and sent many times, and a counter of the
//! server's unmasked echo frames that looks at headers only.
//!
//! The load generator stays out of the way this way: no per-message allocation, masking
//! or UTF-8 work on the client side, so one client core can keep a server core busy.

use std::io;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// Opcode of a binary data frame.
pub const OP_BINARY: u8 = 0x2;
/// Opcode of a ping frame.
pub const OP_PING: u8 = 0x9;
/// Opcode of a close frame.
pub const OP_CLOSE: u8 = 0x8;

/// The request head of an opening handshake for `path` on `host` (a fixed key: the
/// servers do not care which, and the accept value is checked only for the 101).
///
/// ```
/// let req = benches::ws::handshake_request("127.0.0.1:80", "/ws", false);
/// let text = String::from_utf8(req).unwrap();
/// assert!(text.starts_with("GET /ws HTTP/1.1\r\n"));
/// assert!(text.contains("Sec-WebSocket-Version: 13\r\n"));
/// assert!(text.ends_with("\r\n\r\n"));
/// ```
pub fn handshake_request(host: &str, path: &str, deflate: bool) -> Vec<u8> {
    let ext = if deflate { "Sec-WebSocket-Extensions: permessage-deflate\r\n" } else { "" };
    format!(
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n{ext}\r\n"
    )
    .into_bytes()
}

/// Sends `request` and reads the answer's head; `Ok(bytes read past the head)` for a 101,
/// an error for anything else.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let (mut client, mut server) = tokio::io::duplex(1024);
/// tokio::spawn(async move {
///     use tokio::io::{AsyncReadExt, AsyncWriteExt};
///     let mut buf = [0u8; 512];
///     let _ = server.read(&mut buf).await.unwrap();
///     server.write_all(b"HTTP/1.1 101 Switching Protocols\r\n\r\n\x82\x00").await.unwrap();
///     server // keep it open
/// });
/// let req = benches::ws::handshake_request("x", "/ws", false);
/// let early = benches::ws::handshake(&mut client, &req).await.unwrap();
/// assert_eq!(early, b"\x82\x00");
/// # }
/// ```
pub async fn handshake<IO: AsyncRead + AsyncWrite + Unpin>(io: &mut IO, request: &[u8]) -> io::Result<Vec<u8>> {
    io.write_all(request).await?;
    let mut buf = Vec::with_capacity(512);
    let mut chunk = [0u8; 512];
    loop {
        let n = io.read(&mut chunk).await?;
        if n == 0 {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            if !buf.starts_with(b"HTTP/1.1 101") {
                let line = String::from_utf8_lossy(&buf[..end]).lines().next().unwrap_or("").to_owned();
                return Err(io::Error::other(format!("handshake refused: {line}")));
            }
            return Ok(buf.split_off(end + 4));
        }
        if buf.len() > 16 << 10 {
            return Err(io::Error::other("handshake answer head over 16 KiB"));
        }
    }
}

/// Appends one final client frame (FIN set, RSV1 when `rsv1`) with `payload` masked by
/// `mask`.
///
/// ```
/// let mut out = Vec::new();
/// benches::ws::masked_frame(&mut out, benches::ws::OP_BINARY, false, b"ab", [1, 2, 3, 4]);
/// assert_eq!(out, [0x82, 0x82, 1, 2, 3, 4, b'a' ^ 1, b'b' ^ 2]);
/// ```
pub fn masked_frame(out: &mut Vec<u8>, opcode: u8, rsv1: bool, payload: &[u8], mask: [u8; 4]) {
    out.push(0x80 | if rsv1 { 0x40 } else { 0 } | opcode);
    match payload.len() {
        n if n < 126 => out.push(0x80 | n as u8),
        n if n <= 0xffff => {
            out.push(0x80 | 126);
            out.extend_from_slice(&(n as u16).to_be_bytes());
        }
        n => {
            out.push(0x80 | 127);
            out.extend_from_slice(&(n as u64).to_be_bytes());
        }
    }
    out.extend_from_slice(&mask);
    out.extend(payload.iter().enumerate().map(|(i, b)| b ^ mask[i % 4]));
}

/// `count` masked binary frames of `size` bytes each, back to back (one write's worth),
/// each with its own mask key.
///
/// ```
/// let burst = benches::ws::binary_burst(3, 1000);
/// assert_eq!(burst.len(), 3 * (2 + 2 + 4 + 1000));
/// ```
pub fn binary_burst(count: usize, size: usize) -> Vec<u8> {
    let payload: Vec<u8> = (0..size).map(|i| (i % 251) as u8).collect();
    let mut out = Vec::with_capacity(count * (size + 14));
    let mut seed = 0x9e37_79b9_u32;
    for _ in 0..count {
        seed ^= seed << 13;
        seed ^= seed >> 17;
        seed ^= seed << 5;
        masked_frame(&mut out, OP_BINARY, false, &payload, seed.to_be_bytes());
    }
    out
}

/// Counts the data messages and payload bytes in a server's stream of unmasked frames,
/// whatever the read boundaries: only headers are parsed, payloads are skipped.
///
/// ```
/// let mut c = benches::ws::EchoCounter::default();
/// c.feed(&[0x82, 0x02, 1]).unwrap();
/// assert_eq!(c.messages, 0);
/// c.feed(&[2, 0x82, 0x00]).unwrap();
/// assert_eq!((c.messages, c.payload_bytes), (2, 2));
/// ```
#[derive(Debug, Default)]
pub struct EchoCounter {
    /// Complete data messages seen (final frames of text, binary or continuation).
    pub messages: u64,
    /// Payload bytes of data frames seen.
    pub payload_bytes: u64,
    head: [u8; 14],
    head_len: usize,
    skip: u64,
    in_data: bool,
    fin: bool,
}

impl EchoCounter {
    /// Counts the frames in `data`; an error when the server sent a close (or a masked or
    /// malformed frame).
    pub fn feed(&mut self, mut data: &[u8]) -> io::Result<()> {
        loop {
            if self.skip > 0 {
                let n = (data.len() as u64).min(self.skip);
                if self.in_data {
                    self.payload_bytes += n;
                }
                self.skip -= n;
                data = &data[n as usize..];
                if self.skip > 0 {
                    return Ok(());
                }
                self.end_frame();
            }
            if data.is_empty() {
                return Ok(());
            }
            // gather the header: 2 bytes, then as many as the length code says
            let need = if self.head_len < 2 {
                2
            } else {
                match self.head[1] & 0x7f {
                    126 => 4,
                    127 => 10,
                    _ => 2,
                }
            };
            let take = (need - self.head_len).min(data.len());
            self.head[self.head_len..self.head_len + take].copy_from_slice(&data[..take]);
            self.head_len += take;
            data = &data[take..];
            if self.head_len < need || (need == 2 && matches!(self.head[1] & 0x7f, 126 | 127)) {
                continue;
            }
            let (b0, b1) = (self.head[0], self.head[1]);
            if b1 & 0x80 != 0 {
                return Err(io::Error::other("the server sent a masked frame"));
            }
            let len = match b1 & 0x7f {
                126 => u64::from(u16::from_be_bytes([self.head[2], self.head[3]])),
                127 => u64::from_be_bytes(self.head[2..10].try_into().expect("8 bytes")),
                n => u64::from(n),
            };
            let opcode = b0 & 0x0f;
            if opcode == OP_CLOSE {
                return Err(io::Error::other("the server closed the connection"));
            }
            self.head_len = 0;
            self.in_data = opcode < 0x8;
            self.fin = b0 & 0x80 != 0;
            self.skip = len;
            if len == 0 {
                self.end_frame();
            }
        }
    }

    fn end_frame(&mut self) {
        if self.in_data && self.fin {
            self.messages += 1;
        }
        self.in_data = false;
    }
}

/// Unmasks a client frame built by [`masked_frame`] (tests and checks).
fn unmask(frame: &[u8]) -> Vec<u8> {
    let (off, len) = match frame[1] & 0x7f {
        126 => (4, usize::from(u16::from_be_bytes([frame[2], frame[3]]))),
        127 => (10, u64::from_be_bytes(frame[2..10].try_into().expect("8 bytes")) as usize),
        n => (2, usize::from(n)),
    };
    let mask = &frame[off..off + 4];
    frame[off + 4..off + 4 + len].iter().enumerate().map(|(i, b)| b ^ mask[i % 4]).collect()
}

/// The server's unmasked answer to a masked client frame (same opcode, same payload).
///
/// ```
/// let mut f = Vec::new();
/// benches::ws::masked_frame(&mut f, benches::ws::OP_BINARY, false, b"hi", [9, 9, 9, 9]);
/// assert_eq!(benches::ws::echo_of(&f), [0x82, 2, b'h', b'i']);
/// ```
pub fn echo_of(frame: &[u8]) -> Vec<u8> {
    let payload = unmask(frame);
    let mut out = vec![frame[0]];
    match payload.len() {
        n if n < 126 => out.push(n as u8),
        n if n <= 0xffff => {
            out.push(126);
            out.extend_from_slice(&(n as u16).to_be_bytes());
        }
        n => {
            out.push(127);
            out.extend_from_slice(&(n as u64).to_be_bytes());
        }
    }
    out.extend_from_slice(&payload);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masked_frames_unmask_to_their_payload_at_every_length_class() {
        for size in [0, 1, 125, 126, 1000, 0xffff, 0x10000, 70_000] {
            let payload: Vec<u8> = (0..size).map(|i| (i * 7) as u8).collect();
            let mut f = Vec::new();
            masked_frame(&mut f, OP_BINARY, false, &payload, [0xa1, 0xb2, 0xc3, 0xd4]);
            let header = if size < 126 {
                2
            } else if size <= 0xffff {
                4
            } else {
                10
            };
            assert_eq!(f.len(), header + 4 + size, "size {size}");
            assert_eq!(unmask(&f), payload, "size {size}");
        }
    }

    #[test]
    fn the_counter_sees_every_message_whatever_the_read_boundaries() {
        // echoes of a burst mixing all three length encodings, plus a fragmented message
        // with a ping in between
        let mut stream = Vec::new();
        for size in [16, 1024, 65_536, 0, 200] {
            let mut f = Vec::new();
            masked_frame(&mut f, OP_BINARY, false, &vec![3; size], [1, 2, 3, 4]);
            stream.extend(echo_of(&f));
        }
        stream.extend([0x02, 3, 1, 2, 3, 0x89, 1, 7, 0x80, 2, 4, 5]); // 2 fragments + ping
        let total_payload = 16 + 1024 + 65_536 + 200 + 5;
        for chunk in [1, 2, 3, 7, 10, 4096, stream.len()] {
            let mut c = EchoCounter::default();
            for part in stream.chunks(chunk) {
                c.feed(part).unwrap();
            }
            assert_eq!((c.messages, c.payload_bytes), (6, total_payload), "chunk {chunk}");
        }
    }

    #[test]
    fn a_close_or_a_masked_frame_from_the_server_is_an_error() {
        let cases: [(&[u8], &str); 2] =
            [(&[0x88, 0x02, 0x03, 0xe8], "closed"), (&[0x82, 0x81, 0, 0, 0, 0, 1], "masked")];
        for (bytes, want) in cases {
            let err = EchoCounter::default().feed(bytes).unwrap_err();
            assert!(err.to_string().contains(want), "{bytes:?}: {err}");
        }
    }
}
