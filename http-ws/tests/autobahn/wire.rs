//! The fuzzer's own wire layer: RFC 6455 section 5.2 frame encoding (with any
//! opcode, RSV bits and FIN the case asks for, valid or not), a raw frame reader
//! that only splits the byte stream into frames, and the section 4 opening
//! handshake for both ends (with the RFC 7692 `Sec-WebSocket-Extensions` header).
//! It is deliberately independent of the implementation under test.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use base64::Engine as _;
use sha1::{Digest as _, Sha1};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;
use tokio::net::tcp::OwnedReadHalf;
use tokio::sync::mpsc;

/// The GUID of RFC 6455 section 1.3.
const GUID: &str = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/// Largest frame the reader accepts before it gives up on the peer.
const MAX_FRAME: u64 = 128 << 20;

/// A frame header as the fuzzer writes it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Header {
    pub(crate) fin: bool,
    pub(crate) rsv: u8,
    pub(crate) opcode: u8,
    pub(crate) mask: Option<[u8; 4]>,
    pub(crate) len: u64,
}

/// Encodes a frame header (RFC 6455 section 5.2).
pub(crate) fn encode_header(h: &Header, out: &mut Vec<u8>) {
    out.push(u8::from(h.fin) << 7 | (h.rsv & 7) << 4 | (h.opcode & 0x0f));
    let m = if h.mask.is_some() { 0x80 } else { 0 };
    if h.len < 126 {
        out.push(m | h.len as u8);
    } else if h.len <= 0xffff {
        out.push(m | 126);
        out.extend_from_slice(&(h.len as u16).to_be_bytes());
    } else {
        out.push(m | 127);
        out.extend_from_slice(&h.len.to_be_bytes());
    }
    if let Some(k) = h.mask {
        out.extend_from_slice(&k);
    }
}

/// XORs `data` with `key`, the key rotated by `offset` (RFC 6455 section 5.3).
pub(crate) fn apply_mask(data: &mut [u8], key: [u8; 4], offset: usize) {
    for (i, b) in data.iter_mut().enumerate() {
        *b ^= key[(offset + i) & 3];
    }
}

/// A frame as it came off the wire, payload already unmasked.
#[derive(Debug)]
pub(crate) struct RawFrame {
    pub(crate) fin: bool,
    pub(crate) rsv: u8,
    pub(crate) opcode: u8,
    pub(crate) masked: bool,
    pub(crate) payload: Vec<u8>,
}

/// What the reader task reports.
#[derive(Debug)]
pub(crate) enum Incoming {
    Frame(RawFrame),
    /// The peer closed or reset the TCP connection.
    Lost,
}

/// Reads frames until the connection ends; `buf` holds bytes that arrived with
/// the handshake,
/// the read half. `pending` tells how many octets of an incomplete frame wait.
pub(crate) async fn read_frames(
    mut rd: OwnedReadHalf,
    mut buf: Vec<u8>,
    tx: mpsc::UnboundedSender<Incoming>,
    pending: Arc<AtomicUsize>,
) {
    let mut chunk = vec![0u8; 64 * 1024];
    loop {
        let mut start = 0;
        while let Some((frame, used)) = parse_frame(&buf[start..]) {
            start += used;
            if tx.send(Incoming::Frame(frame)).is_err() {
                return;
            }
        }
        buf.drain(..start);
        pending.store(buf.len(), Ordering::Relaxed);
        match rd.read(&mut chunk).await {
            Ok(0) | Err(_) => {
                let _ = tx.send(Incoming::Lost);
                return;
            }
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
        if buf.len() as u64 > MAX_FRAME + 14 {
            let _ = tx.send(Incoming::Lost);
            return;
        }
    }
}

/// Splits one frame off the front of `buf`.
fn parse_frame(buf: &[u8]) -> Option<(RawFrame, usize)> {
    if buf.len() < 2 {
        return None;
    }
    let (b0, b1) = (buf[0], buf[1]);
    let masked = b1 & 0x80 != 0;
    let mut pos = 2;
    let len = match b1 & 0x7f {
        126 => {
            let b = buf.get(2..4)?;
            pos = 4;
            u64::from(u16::from_be_bytes([b[0], b[1]]))
        }
        127 => {
            let b = buf.get(2..10)?;
            pos = 10;
            u64::from_be_bytes(b.try_into().ok()?)
        }
        n => u64::from(n),
    };
    let key = if masked {
        let k = buf.get(pos..pos + 4)?;
        pos += 4;
        Some([k[0], k[1], k[2], k[3]])
    } else {
        None
    };
    let end = pos.checked_add(usize::try_from(len.min(MAX_FRAME)).ok()?)?;
    let mut payload = buf.get(pos..end)?.to_vec();
    if let Some(k) = key {
        apply_mask(&mut payload, k, 0);
    }
    let frame = RawFrame { fin: b0 & 0x80 != 0, rsv: (b0 >> 4) & 7, opcode: b0 & 0x0f, masked, payload };
    Some((frame, end))
}

/// `Sec-WebSocket-Accept` for a key (RFC 6455 section 4.2.2).
pub(crate) fn accept_key(key: &str) -> String {
    let digest = Sha1::digest(format!("{key}{GUID}").as_bytes());
    base64::engine::general_purpose::STANDARD.encode(digest.as_slice())
}

/// Reads an HTTP head; returns it and the bytes that followed it.
async fn read_head(s: &mut TcpStream) -> Result<(String, Vec<u8>), String> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        if let Some(p) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..p]).into_owned();
            return Ok((head, buf[p + 4..].to_vec()));
        }
        if buf.len() > 64 * 1024 {
            return Err("handshake head too large".into());
        }
        let read = tokio::time::timeout(Duration::from_secs(5), s.read(&mut chunk)).await;
        match read {
            Ok(Ok(0)) => return Err("connection closed during the opening handshake".into()),
            Ok(Ok(n)) => buf.extend_from_slice(&chunk[..n]),
            Ok(Err(e)) => return Err(format!("read during the opening handshake: {e}")),
            Err(_) => return Err("opening handshake timed out".into()),
        }
    }
}

/// Value of header `name` (case-insensitive) in an HTTP head.
pub(crate) fn header<'a>(head: &'a str, name: &str) -> Option<&'a str> {
    head.lines().skip(1).find_map(|l| {
        let (n, v) = l.split_once(':')?;
        n.trim().eq_ignore_ascii_case(name).then(|| v.trim())
    })
}

/// The fuzzer as a client: opening handshake with `offer` as the
/// `Sec-WebSocket-Extensions` value. Returns the response's extensions header
/// and the bytes after the head.
pub(crate) async fn client_handshake(
    s: &mut TcpStream,
    host: &str,
    path: &str,
    offer: Option<&str>,
    seed: u64,
) -> Result<(Option<String>, Vec<u8>), String> {
    let key = base64::engine::general_purpose::STANDARD.encode(seed.to_le_bytes().repeat(2));
    let mut req = format!(
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\nUser-Agent: http-ws-autobahn\r\n"
    );
    if let Some(o) = offer {
        req.push_str(&format!("Sec-WebSocket-Extensions: {o}\r\n"));
    }
    req.push_str("\r\n");
    s.write_all(req.as_bytes()).await.map_err(|e| format!("write handshake: {e}"))?;
    let (head, rest) = read_head(s).await?;
    let status = head.lines().next().unwrap_or_default();
    if status.split_whitespace().nth(1) != Some("101") {
        return Err(format!("handshake answered `{status}`"));
    }
    if header(&head, "sec-websocket-accept") != Some(accept_key(&key).as_str()) {
        return Err("wrong Sec-WebSocket-Accept".into());
    }
    Ok((header(&head, "sec-websocket-extensions").map(str::to_owned), rest))
}

/// What the fuzzer as a server learned from the client's request.
pub(crate) struct ClientRequest {
    pub(crate) path: String,
    pub(crate) extensions: Option<String>,
    key: String,
}

/// The fuzzer as a server: reads the client's upgrade request.
pub(crate) async fn read_upgrade(s: &mut TcpStream) -> Result<(ClientRequest, Vec<u8>), String> {
    let (head, rest) = read_head(s).await?;
    let path = head.split_whitespace().nth(1).unwrap_or("/").to_owned();
    let key = header(&head, "sec-websocket-key").ok_or("no Sec-WebSocket-Key")?.to_owned();
    let extensions = header(&head, "sec-websocket-extensions").map(str::to_owned);
    Ok((ClientRequest { path, extensions, key }, rest))
}

/// The fuzzer as a server: answers 101 with `extensions` (the accepted offer).
pub(crate) async fn accept_upgrade(
    s: &mut TcpStream,
    req: &ClientRequest,
    extensions: Option<&str>,
) -> Result<(), String> {
    let mut resp = format!(
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Accept: {}\r\nServer: http-ws-autobahn\r\n",
        accept_key(&req.key)
    );
    if let Some(e) = extensions {
        resp.push_str(&format!("Sec-WebSocket-Extensions: {e}\r\n"));
    }
    resp.push_str("\r\n");
    s.write_all(resp.as_bytes()).await.map_err(|e| format!("write 101: {e}"))
}
