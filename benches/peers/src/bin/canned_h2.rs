//! `canned_h2`: a canned-response HTTP/2 cleartext server (prior knowledge, RFC 9113 §3.3),
//! the floor for "how fast could h2c be".
//!
//! It does no real HTTP/2 processing. Per connection it checks the 24-byte client preface
//! (§3.4), answers with an empty SETTINGS frame (every setting at its default, §6.5), and
//! from then on reads only the 9-byte frame headers (§4.1) in its read buffer:
//!
//! - HEADERS (§6.2) with END_STREAM and END_HEADERS: the stream's response is appended;
//!   with END_STREAM but without END_HEADERS, the response follows the CONTINUATION
//!   (§6.10) that carries END_HEADERS. The header block is never decoded (no HPACK
//!   decoder: the client's dynamic table is ignored, which is harmless as nothing is read
//!   from it). HEADERS without END_STREAM (a request with a body) get no response: send
//!   GET requests only.
//! - SETTINGS without ACK: a SETTINGS ACK (§6.5.3); PING without ACK: the PING ACK (§6.7).
//! - everything else (DATA, WINDOW_UPDATE, PRIORITY, RST_STREAM, GOAWAY, acks): skipped.
//!
//! Every response is the same two pre-encoded frames with the stream id written in:
//! HEADERS (END_HEADERS) with the HPACK block `:status 200` (static index 8),
//! `content-type: text/plain; charset=utf-8`, `date: <IMF-fixdate>`, `content-length: 13`
//! (literals without indexing with static-table names, RFC 7541 §6.2.2; no Huffman), then
//! DATA `Hello, World!` with END_STREAM — the fields and order `hello` and hyper send. The
//! block is encoded once per thread at start-up; as in `canned`, the date is rewritten in
//! place when the second changes (the clock is read once per read batch). All frames owed
//! for one read are sent in one write.
//!
//! There is no flow-control accounting (§5.2): the 13-byte DATA frames are sent whatever
//! the client's windows. h2load's default windows are 2^30-1 (`-w 30 -W 30`), far more
//! than a benchmark sends; a client with the default 65,535-byte windows would stall the
//! connection after ~5,000 responses. No limits are enforced and no errors detected
//! (a malformed frame is skipped by its length); a wrong preface closes the connection.
//!
//! With `--tls-cert` and `--tls-key` it does the same over TLS, ALPN `h2` (tokio-rustls,
//! configured as ours and the hyper peer are): the floor under the HTTP/2 over TLS row.
//!
//! ```text
//! cargo build --release --manifest-path benches/peers/Cargo.toml --target-dir target/peers --bin canned_h2
//! target/peers/release/canned_h2 --port 0 --workers 1
//! h2load -n 10000 -c4 -m32 http://127.0.0.1:PORT/plaintext
//! target/peers/release/canned_h2 --port 0 --workers 1 --tls-cert cert.pem --tls-key key.pem
//! h2load -n 10000 -c4 -m32 https://127.0.0.1:PORT/plaintext
//! ```

use std::cell::RefCell;

use clap::Parser;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

#[derive(Parser)]
#[command(about = "canned-response h2c server: pre-encoded frames per request, no HTTP/2 processing")]
struct Cli {
    #[command(flatten)]
    peer: peers::PeerArgs,
    #[command(flatten)]
    tls: peers::tls::OptionalTlsArgs,
}

/// The client connection preface (RFC 9113 §3.4).
const PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
/// Length of a frame header (RFC 9113 §4.1).
const FRAME_HEADER_LEN: usize = 9;

// Frame types (RFC 9113 §6) and the flags used here.
const DATA: u8 = 0x0;
const HEADERS: u8 = 0x1;
const SETTINGS: u8 = 0x4;
const PING: u8 = 0x6;
const CONTINUATION: u8 = 0x9;
const END_STREAM: u8 = 0x1;
const END_HEADERS: u8 = 0x4;
const ACK: u8 = 0x1;

/// A frame header: 24-bit length, type, flags, 31-bit stream id (RFC 9113 §4.1).
fn frame_header(len: usize, kind: u8, flags: u8, stream: u32) -> [u8; FRAME_HEADER_LEN] {
    let [_, l0, l1, l2] = u32::try_from(len).expect("frame length fits 24 bits").to_be_bytes();
    let [s0, s1, s2, s3] = (stream & 0x7fff_ffff).to_be_bytes();
    [l0, l1, l2, kind, flags, s0, s1, s2, s3]
}

/// An HPACK integer with an `prefix_bits`-bit prefix, `flags` in the first byte's high
/// bits (RFC 7541 §5.1).
fn hpack_int(out: &mut Vec<u8>, flags: u8, prefix_bits: u32, value: usize) {
    let max = (1usize << prefix_bits) - 1;
    if value < max {
        out.push(flags | value as u8);
        return;
    }
    out.push(flags | max as u8);
    let mut rest = value - max;
    while rest >= 0x80 {
        out.push(0x80 | (rest & 0x7f) as u8);
        rest >>= 7;
    }
    out.push(rest as u8);
}

/// A "literal header field without indexing — indexed name" (RFC 7541 §6.2.2) with a raw
/// (not Huffman) string value (§5.2); returns the offset of the value in `out`.
fn hpack_literal(out: &mut Vec<u8>, static_index: usize, value: &[u8]) -> usize {
    hpack_int(out, 0x00, 4, static_index);
    hpack_int(out, 0x00, 7, value.len());
    let at = out.len();
    out.extend_from_slice(value);
    at
}

/// HPACK static-table indexes (RFC 7541 Appendix A).
const STATUS_200: usize = 8;
const CONTENT_LENGTH: usize = 28;
const CONTENT_TYPE: usize = 31;
const DATE: usize = 33;

/// The response frames (HEADERS, then DATA) with stream ids 0 and this second's date.
struct Template {
    frames: peers::DatedResponse,
    /// Offset of the DATA frame's header.
    data_at: usize,
}

impl Template {
    fn new() -> Self {
        let mut block = Vec::new();
        hpack_int(&mut block, 0x80, 7, STATUS_200);
        hpack_literal(&mut block, CONTENT_TYPE, b"text/plain; charset=utf-8");
        let date_in_block = hpack_literal(&mut block, DATE, &[b' '; peers::DATE_LEN]);
        hpack_literal(&mut block, CONTENT_LENGTH, peers::PLAINTEXT.len().to_string().as_bytes());

        let mut frames = frame_header(block.len(), HEADERS, END_HEADERS, 0).to_vec();
        frames.extend_from_slice(&block);
        let data_at = frames.len();
        frames.extend_from_slice(&frame_header(peers::PLAINTEXT.len(), DATA, END_STREAM, 0));
        frames.extend_from_slice(peers::PLAINTEXT.as_bytes());
        let frames = peers::DatedResponse::new(frames, FRAME_HEADER_LEN + date_in_block);
        Self { frames, data_at }
    }

    /// The frames with the current date (the clock is read once per call: once per read
    /// batch, not per response).
    fn current(&mut self) -> Frames<'_> {
        Frames { bytes: self.frames.current(), data_at: self.data_at }
    }
}

/// The response frames of one read batch.
struct Frames<'a> {
    bytes: &'a [u8],
    data_at: usize,
}

impl Frames<'_> {
    /// Appends the response for `stream` to `out`.
    fn append(&self, stream: u32, out: &mut Vec<u8>) {
        let start = out.len();
        out.extend_from_slice(self.bytes);
        let id = stream.to_be_bytes();
        out[start + 5..start + FRAME_HEADER_LEN].copy_from_slice(&id);
        let data = start + self.data_at;
        out[data + 5..data + FRAME_HEADER_LEN].copy_from_slice(&id);
    }
}

thread_local! {
    static TEMPLATE: RefCell<Template> = RefCell::new(Template::new());
}

/// The peer did not send the HTTP/2 client preface.
#[derive(Debug, PartialEq)]
struct NotHttp2;

/// What one connection remembers between reads.
#[derive(Default)]
struct Conn {
    /// The preface has been read (and our SETTINGS queued).
    started: bool,
    /// A stream whose HEADERS had END_STREAM but not END_HEADERS: it is answered at the
    /// CONTINUATION with END_HEADERS.
    continued: Option<u32>,
}

impl Conn {
    /// Handles the preface and the complete frames at the start of `input`, appending the
    /// frames owed to `out`; returns how many bytes of `input` were used (the rest is an
    /// incomplete frame, to be offered again with more bytes).
    fn feed(&mut self, input: &[u8], response: &Frames<'_>, out: &mut Vec<u8>) -> Result<usize, NotHttp2> {
        let mut at = 0;
        if !self.started {
            let n = input.len().min(PREFACE.len());
            if input[..n] != PREFACE[..n] {
                return Err(NotHttp2);
            }
            if n < PREFACE.len() {
                return Ok(0);
            }
            self.started = true;
            out.extend_from_slice(&frame_header(0, SETTINGS, 0, 0));
            at = PREFACE.len();
        }
        while let Some(head) = input.get(at..at + FRAME_HEADER_LEN) {
            let len = usize::from(head[0]) << 16 | usize::from(head[1]) << 8 | usize::from(head[2]);
            let Some(payload) = input.get(at + FRAME_HEADER_LEN..at + FRAME_HEADER_LEN + len) else {
                break;
            };
            let (kind, flags) = (head[3], head[4]);
            let stream = u32::from_be_bytes([head[5], head[6], head[7], head[8]]) & 0x7fff_ffff;
            match kind {
                HEADERS if flags & END_STREAM != 0 => {
                    if flags & END_HEADERS != 0 {
                        response.append(stream, out);
                    } else {
                        self.continued = Some(stream);
                    }
                }
                CONTINUATION if flags & END_HEADERS != 0 && self.continued == Some(stream) => {
                    self.continued = None;
                    response.append(stream, out);
                }
                SETTINGS if flags & ACK == 0 => out.extend_from_slice(&frame_header(0, SETTINGS, ACK, 0)),
                PING if flags & ACK == 0 => {
                    out.extend_from_slice(&frame_header(len, PING, ACK, 0));
                    out.extend_from_slice(payload);
                }
                _ => {}
            }
            at += FRAME_HEADER_LEN + len;
        }
        Ok(at)
    }
}

async fn serve(mut tcp: impl AsyncRead + AsyncWrite + Unpin) {
    let mut conn = Conn::default();
    // Grows when a frame does not fit (frames are at most 16 KiB + 9 unless the client
    // raised our SETTINGS_MAX_FRAME_SIZE, which we never do).
    let mut buf = vec![0u8; 32 * 1024];
    let mut filled = 0;
    let mut out = Vec::new();
    loop {
        if filled == buf.len() {
            buf.resize(buf.len() * 2, 0);
        }
        match tcp.read(&mut buf[filled..]).await {
            Ok(0) | Err(_) => return,
            Ok(len) => filled += len,
        }
        let used = match TEMPLATE.with_borrow_mut(|t| conn.feed(&buf[..filled], &t.current(), &mut out)) {
            Ok(used) => used,
            Err(NotHttp2) => return,
        };
        buf.copy_within(used..filled, 0);
        filled -= used;
        if out.is_empty() {
            continue;
        }
        // (flush: a no-op on TCP; over TLS, the records still buffered go out)
        if tcp.write_all(&out).await.is_err() || tcp.flush().await.is_err() {
            return;
        }
        out.clear();
    }
}

fn main() -> std::io::Result<()> {
    let cli = Cli::parse();
    match &cli.tls.get() {
        None => peers::serve_tcp(&cli.peer, serve),
        Some(tls) => peers::serve_tls(&cli.peer, tls, b"h2", serve),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A frame's type, flags, stream id and payload.
    type Frame = (u8, u8, u32, Vec<u8>);
    /// A frame's type, flags and stream id.
    type Kind = (u8, u8, u32);

    /// (type, flags, stream id, payload) of every frame in `bytes`, which must hold whole
    /// frames only.
    fn frames(mut bytes: &[u8]) -> Vec<Frame> {
        let mut v = Vec::new();
        while !bytes.is_empty() {
            let len = usize::from(bytes[0]) << 16 | usize::from(bytes[1]) << 8 | usize::from(bytes[2]);
            let stream = u32::from_be_bytes([bytes[5], bytes[6], bytes[7], bytes[8]]);
            v.push((bytes[3], bytes[4], stream, bytes[9..9 + len].to_vec()));
            bytes = &bytes[9 + len..];
        }
        v
    }

    fn frame(kind: u8, flags: u8, stream: u32, payload: &[u8]) -> Vec<u8> {
        let mut f = frame_header(payload.len(), kind, flags, stream).to_vec();
        f.extend_from_slice(payload);
        f
    }

    /// Feeds `input` in two parts cut at `cut`, as two reads would deliver it (the unused
    /// rest of the first offered again with the second); returns the frames sent.
    fn run(input: &[u8], cut: usize) -> Result<Vec<Frame>, NotHttp2> {
        let (mut conn, mut template, mut out) = (Conn::default(), Template::new(), Vec::new());
        let response = template.current();
        let used = conn.feed(&input[..cut], &response, &mut out)?;
        let mut rest = input[used..cut].to_vec();
        rest.extend_from_slice(&input[cut..]);
        let used = conn.feed(&rest, &response, &mut out)?;
        assert_eq!(used, rest.len(), "whole frames are all used");
        Ok(frames(&out))
    }

    /// The HEADERS then DATA of a response on `stream`, as (type, flags, stream) triples.
    fn response(stream: u32) -> [Kind; 2] {
        [(HEADERS, END_HEADERS, stream), (DATA, END_STREAM, stream)]
    }

    #[test]
    fn answers_requests_settings_and_pings_across_every_read_boundary() {
        let block = [0x82, 0x84, 0x86]; // :method GET, :path /, :scheme http
        let cases: &[(&str, Vec<u8>, Vec<Kind>)] = &[
            ("preface only", vec![], vec![(SETTINGS, 0, 0)]),
            (
                "settings, window update, two requests, ping, settings ack",
                [
                    frame(SETTINGS, 0, 0, &[0, 4, 0x3f, 0xff, 0xff, 0xff]),
                    frame(0x8, 0, 0, &[0x3f, 0xff, 0, 0]),
                    frame(HEADERS, END_STREAM | END_HEADERS, 1, &block),
                    frame(HEADERS, END_STREAM | END_HEADERS | 0x20, 3, &[0, 0, 0, 0, 15, 0x82, 0x84, 0x86]),
                    frame(PING, 0, 0, b"12345678"),
                    frame(SETTINGS, ACK, 0, &[]),
                    frame(PING, ACK, 0, b"87654321"),
                ]
                .concat(),
                [
                    vec![(SETTINGS, 0, 0), (SETTINGS, ACK, 0)],
                    response(1).to_vec(),
                    response(3).to_vec(),
                    vec![(PING, ACK, 0)],
                ]
                .concat(),
            ),
            (
                "END_STREAM without END_HEADERS waits for the CONTINUATION",
                [frame(HEADERS, END_STREAM, 5, &block[..1]), frame(CONTINUATION, END_HEADERS, 5, &block[1..])].concat(),
                [vec![(SETTINGS, 0, 0)], response(5).to_vec()].concat(),
            ),
            (
                "a request with a body and its DATA get nothing",
                [frame(HEADERS, END_HEADERS, 7, &block), frame(DATA, END_STREAM, 7, b"body")].concat(),
                vec![(SETTINGS, 0, 0)],
            ),
        ];
        for (name, frames_in, expected) in cases {
            let input = [PREFACE, frames_in].concat();
            for cut in 0..=input.len() {
                let got = run(&input, cut).unwrap();
                let kinds: Vec<_> = got.iter().map(|(t, f, s, _)| (*t, *f, *s)).collect();
                assert_eq!(&kinds, expected, "{name}, cut at {cut}");
                if let Some((_, _, _, payload)) = got.iter().find(|(t, ..)| *t == PING) {
                    assert_eq!(payload, b"12345678", "{name}: the PING's payload comes back");
                }
            }
        }
    }

    #[test]
    fn rejects_what_is_not_the_preface() {
        for input in [&b"GET / HTTP/1.1\r\n\r\n"[..], b"PRI * HTTP/1.1\r\n\r\nSM\r\n\r\n", b"X"] {
            let mut out = Vec::new();
            assert_eq!(Conn::default().feed(input, &Template::new().current(), &mut out), Err(NotHttp2));
            assert!(out.is_empty());
        }
    }

    /// Decodes an RFC 7541 §5.1 integer with an `n`-bit prefix at `b[*i]`.
    fn int(b: &[u8], i: &mut usize, n: u32) -> usize {
        let max = (1usize << n) - 1;
        let mut v = usize::from(b[*i]) & max;
        *i += 1;
        if v == max {
            let mut shift = 0;
            loop {
                v += usize::from(b[*i] & 0x7f) << shift;
                *i += 1;
                shift += 7;
                if b[*i - 1] & 0x80 == 0 {
                    break;
                }
            }
        }
        v
    }

    #[test]
    fn response_block_decodes_to_the_hello_fields() {
        let mut out = Vec::new();
        Template::new().current().append(0x1234_5678, &mut out);
        let got = frames(&out);
        assert_eq!(got.len(), 2);
        assert_eq!(got[1], (DATA, END_STREAM, 0x1234_5678, b"Hello, World!".to_vec()));
        let (kind, flags, stream, block) = &got[0];
        assert_eq!((*kind, *flags, *stream), (HEADERS, END_HEADERS, 0x1234_5678));
        // An indexed field (§6.1) for :status 200, then literals without indexing with an
        // indexed name (§6.2.2, first byte 0000xxxx) and raw string values (H bit clear).
        assert_eq!(block[0], 0x80 | STATUS_200 as u8);
        let mut i = 1;
        let mut fields = Vec::new();
        while i < block.len() {
            assert_eq!(block[i] & 0xf0, 0, "literal without indexing");
            let name = int(block, &mut i, 4);
            assert_eq!(block[i] & 0x80, 0, "no Huffman");
            let len = int(block, &mut i, 7);
            fields.push((name, String::from_utf8(block[i..i + len].to_vec()).unwrap()));
            i += len;
        }
        assert_eq!(fields.len(), 3);
        assert_eq!(fields[0], (CONTENT_TYPE, "text/plain; charset=utf-8".to_string()));
        assert_eq!(fields[1].0, DATE);
        assert!(httpdate::parse_http_date(&fields[1].1).is_ok(), "date {:?}", fields[1].1);
        assert_eq!(fields[2], (CONTENT_LENGTH, "13".to_string()));
    }

    #[test]
    fn hpack_integers_match_rfc_7541_appendix_c1() {
        // C.1.1: 10 in a 5-bit prefix; C.1.2: 1337 in a 5-bit prefix; C.1.3: 42 at an octet boundary.
        for (value, bits, bytes) in
            [(10, 5, &[0x0a][..]), (1337, 5, &[0x1f, 0x9a, 0x0a]), (42, 8, &[0x2a]), (31, 4, &[0x0f, 0x10])]
        {
            let mut out = Vec::new();
            hpack_int(&mut out, 0, bits, value);
            assert_eq!(out, bytes, "{value} with a {bits}-bit prefix");
        }
    }
}
