//! permessage-deflate (RFC 7692): offer/response negotiation (§7.1) and the per-message
//! compressor and bounded decompressor (§7.2).
//!
//! A compressed message is a raw DEFLATE stream flushed with a sync flush, minus the final
//! `00 00 ff ff`, which the receiver appends back before inflating (§7.2.2). Inflating
//! stops as soon as the output passes the message limit, so a small "zip bomb" never grows
//! memory past [`crate::Config::max_message_size`].
//!
//! Window sizes: our decompressor always uses a 32 KiB window, which reads any smaller
//! one. The compressor honours `*_max_window_bits` between 9 and 15; zlib cannot compress
//! with an 8-bit window, so offers that require one are declined.

use crate::error::ProtocolError;
use flate2::{Compress, Compression, Decompress, FlushCompress, FlushDecompress, Status};
use http::HeaderMap;
use http::header::SEC_WEBSOCKET_EXTENSIONS;

/// What this endpoint asks for or accepts when negotiating permessage-deflate.
///
/// On a server it is the policy applied to the client's offers; on a client it is the
/// offer. Window bits are 9–15 (15 = the 32 KiB maximum, i.e. no restriction).
///
/// ```
/// let mut d = http_ws::DeflateConfig::default();
/// d.server_no_context_takeover = true; // server memory over ratio
/// assert_eq!(d.client_max_window_bits, 15);
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct DeflateConfig {
    /// Largest window the server compresses with. Default 15.
    pub server_max_window_bits: u8,
    /// Largest window the client compresses with. Default 15.
    pub client_max_window_bits: u8,
    /// The server resets its compressor after every message. Default false.
    pub server_no_context_takeover: bool,
    /// The client resets its compressor after every message. Default false.
    pub client_no_context_takeover: bool,
    /// zlib compression level 0–9. Default 1 (fastest).
    pub level: u32,
    /// Messages shorter than this are sent uncompressed (allowed per message, §6).
    /// Default 64 bytes.
    pub min_size: usize,
}

impl Default for DeflateConfig {
    fn default() -> Self {
        DeflateConfig {
            server_max_window_bits: 15,
            client_max_window_bits: 15,
            server_no_context_takeover: false,
            client_no_context_takeover: false,
            level: 1,
            min_size: 64,
        }
    }
}

/// Negotiated permessage-deflate parameters, from this endpoint's point of view.
///
/// ```
/// let p = http_ws::DeflateParams::default();
/// assert_eq!(p.send_window_bits, 15);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct DeflateParams {
    /// Window bits of our compressor (9–15).
    pub send_window_bits: u8,
    /// We reset our compressor after every message.
    pub send_no_context_takeover: bool,
    /// The peer resets its compressor after every message, so we reset our decompressor.
    pub recv_no_context_takeover: bool,
    /// Compression level 0–9.
    pub level: u32,
    /// Messages shorter than this are sent uncompressed.
    pub min_size: usize,
}

impl Default for DeflateParams {
    fn default() -> Self {
        DeflateParams {
            send_window_bits: 15,
            send_no_context_takeover: false,
            recv_no_context_takeover: false,
            level: 1,
            min_size: 64,
        }
    }
}

/// The parameters of one permessage-deflate offer or response.
#[derive(Debug, Default, PartialEq, Eq)]
struct Params {
    server_no_context_takeover: bool,
    client_no_context_takeover: bool,
    server_max_window_bits: Option<u8>,
    /// `Some(None)`: present without a value (allowed in offers only).
    client_max_window_bits: Option<Option<u8>>,
}

/// An extension name and its (parameter, value) list.
type Extension = (String, Vec<(String, Option<String>)>);

/// Splits `Sec-WebSocket-Extensions` values into extensions of (name, [(param, value)]).
fn parse_extensions(headers: &HeaderMap) -> Vec<Extension> {
    let mut out = Vec::new();
    for value in headers.get_all(SEC_WEBSOCKET_EXTENSIONS) {
        let Ok(value) = value.to_str() else { continue };
        for ext in value.split(',') {
            let mut parts = ext.split(';').map(str::trim);
            let name = parts.next().unwrap_or("").to_ascii_lowercase();
            if name.is_empty() {
                continue;
            }
            let params = parts
                .filter(|p| !p.is_empty())
                .map(|p| match p.split_once('=') {
                    Some((k, v)) => (k.trim().to_ascii_lowercase(), Some(v.trim().trim_matches('"').to_owned())),
                    None => (p.to_ascii_lowercase(), None),
                })
                .collect();
            out.push((name, params));
        }
    }
    out
}

fn window_bits(v: &str) -> Option<u8> {
    // 1*DIGIT without leading zeros, 8..=15
    if v.starts_with('0') {
        return None;
    }
    v.parse().ok().filter(|b| (8..=15).contains(b))
}

/// Validates the parameters of a permessage-deflate offer or response: each known at most
/// once, with a valid value.
fn parse_params(list: &[(String, Option<String>)]) -> Option<Params> {
    let mut p = Params::default();
    for (k, v) in list {
        match (k.as_str(), v) {
            ("server_no_context_takeover", None) if !p.server_no_context_takeover => {
                p.server_no_context_takeover = true
            }
            ("client_no_context_takeover", None) if !p.client_no_context_takeover => {
                p.client_no_context_takeover = true
            }
            ("server_max_window_bits", Some(v)) if p.server_max_window_bits.is_none() => {
                p.server_max_window_bits = Some(window_bits(v)?)
            }
            ("client_max_window_bits", v) if p.client_max_window_bits.is_none() => {
                p.client_max_window_bits = Some(match v {
                    Some(v) => Some(window_bits(v)?),
                    None => None,
                })
            }
            _ => return None,
        }
    }
    Some(p)
}

/// Server side: picks the first offer it can honour (§7.1). Returns the parameters and
/// the `Sec-WebSocket-Extensions` response value, or `None` (extension not used).
pub(crate) fn negotiate_server(cfg: &DeflateConfig, headers: &HeaderMap) -> Option<(DeflateParams, String)> {
    for (name, list) in parse_extensions(headers) {
        if name != "permessage-deflate" {
            continue;
        }
        let Some(offer) = parse_params(&list) else { continue };
        let mut send_bits = cfg.server_max_window_bits.clamp(9, 15);
        if let Some(n) = offer.server_max_window_bits {
            if n < 9 {
                continue; // zlib cannot compress with a 256-byte window
            }
            send_bits = send_bits.min(n);
        }
        let send_no_ctx = offer.server_no_context_takeover || cfg.server_no_context_takeover;
        let recv_no_ctx = offer.client_no_context_takeover || cfg.client_no_context_takeover;
        let mut response = String::from("permessage-deflate");
        if send_no_ctx {
            response.push_str("; server_no_context_takeover");
        }
        if recv_no_ctx {
            response.push_str("; client_no_context_takeover");
        }
        if offer.server_max_window_bits.is_some() || send_bits < 15 {
            response.push_str(&format!("; server_max_window_bits={send_bits}"));
        }
        if let Some(client_bits) = offer.client_max_window_bits {
            let bits = client_bits.unwrap_or(15).min(cfg.client_max_window_bits.clamp(8, 15));
            if bits < 15 || client_bits.is_some() {
                response.push_str(&format!("; client_max_window_bits={bits}"));
            }
        }
        let params = DeflateParams {
            send_window_bits: send_bits,
            send_no_context_takeover: send_no_ctx,
            recv_no_context_takeover: recv_no_ctx,
            level: cfg.level,
            min_size: cfg.min_size,
        };
        return Some((params, response));
    }
    None
}

/// Client side: the offer to send in `Sec-WebSocket-Extensions`.
pub(crate) fn client_offer(cfg: &DeflateConfig) -> String {
    let mut offer = String::from("permessage-deflate");
    if cfg.server_no_context_takeover {
        offer.push_str("; server_no_context_takeover");
    }
    if cfg.client_no_context_takeover {
        offer.push_str("; client_no_context_takeover");
    }
    if cfg.server_max_window_bits < 15 {
        offer.push_str(&format!("; server_max_window_bits={}", cfg.server_max_window_bits.clamp(9, 15)));
    }
    offer.push_str("; client_max_window_bits");
    if cfg.client_max_window_bits < 15 {
        offer.push_str(&format!("={}", cfg.client_max_window_bits.clamp(9, 15)));
    }
    offer
}

/// Client side: checks the server's response against our offer (`cfg`, or `None` when
/// nothing was offered). Any extension we did not offer fails the handshake.
pub(crate) fn client_accept(cfg: Option<&DeflateConfig>, headers: &HeaderMap) -> Result<Option<DeflateParams>, String> {
    let exts = parse_extensions(headers);
    let Some((name, list)) = exts.first() else { return Ok(None) };
    let Some(cfg) = cfg else { return Err(format!("{name} was not offered")) };
    if exts.len() > 1 || name != "permessage-deflate" {
        return Err(format!("{name} was not offered"));
    }
    let p = parse_params(list).ok_or("invalid permessage-deflate parameters")?;
    let requested_server = cfg.server_max_window_bits.clamp(9, 15);
    if requested_server < 15 && p.server_max_window_bits.is_none_or(|b| b > requested_server) {
        return Err("server_max_window_bits not honoured".into());
    }
    if cfg.server_no_context_takeover && !p.server_no_context_takeover {
        return Err("server_no_context_takeover not honoured".into());
    }
    let send_bits = match p.client_max_window_bits {
        Some(None) => return Err("client_max_window_bits without a value".into()),
        Some(Some(b)) if b < 9 => return Err("client_max_window_bits=8 is not supported".into()),
        Some(Some(b)) => b.min(cfg.client_max_window_bits.clamp(9, 15)),
        None => cfg.client_max_window_bits.clamp(9, 15),
    };
    Ok(Some(DeflateParams {
        send_window_bits: send_bits,
        send_no_context_takeover: p.client_no_context_takeover || cfg.client_no_context_takeover,
        recv_no_context_takeover: p.server_no_context_takeover,
        level: cfg.level,
        min_size: cfg.min_size,
    }))
}

/// The message compressor.
pub(crate) struct Deflater {
    c: Compress,
    no_context_takeover: bool,
}

impl Deflater {
    pub(crate) fn new(p: &DeflateParams) -> Self {
        let c =
            Compress::new_with_window_bits(Compression::new(p.level.min(9)), false, p.send_window_bits.clamp(9, 15));
        Deflater { c, no_context_takeover: p.send_no_context_takeover }
    }

    /// Forgets the compression history: the next message references nothing sent before
    /// (always allowed: the peer's decompressor keeps its window either way).
    pub(crate) fn reset(&mut self) {
        self.c.reset();
    }

    /// Compresses one whole message into `out` (cleared first), without the sync tail.
    /// False as soon as the result would be longer than `limit` bytes: `out` then holds
    /// a partial stream and the compressor must be [`reset`](Self::reset). `out` never
    /// grows much past `limit` (the compressor writes the whole capacity it is given, so
    /// an incompressible message would otherwise cost up to twice its size here).
    pub(crate) fn compress(&mut self, mut input: &[u8], out: &mut Vec<u8>, limit: usize) -> bool {
        // the sync tail (4 bytes) is cut off at the end: stop only past it
        let stop = limit.saturating_add(4);
        out.clear();
        out.reserve_exact((input.len() / 2 + 64).min(stop.saturating_add(1)));
        loop {
            let before = self.c.total_in();
            // compression of in-memory data with a sync flush cannot fail
            let _ = self.c.compress_vec(input, out, FlushCompress::Sync);
            input = &input[(self.c.total_in() - before) as usize..];
            if input.is_empty() && out.len() < out.capacity() {
                break;
            }
            if out.len() > stop {
                return false;
            }
            // double, but not past the limit (+1 to detect passing it)
            out.reserve_exact(out.capacity().max(1024).min(stop.saturating_add(1) - out.len()).max(1));
        }
        if out.ends_with(&[0, 0, 0xff, 0xff]) {
            out.truncate(out.len() - 4);
        }
        if self.no_context_takeover {
            self.c.reset();
        }
        out.len() <= limit
    }
}

/// `len` pseudo-random (xorshift) bytes from `seed`: deflate makes them longer.
#[cfg(test)]
pub(crate) fn incompressible(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

/// The bounded message decompressor.
pub(crate) struct Inflater {
    d: Decompress,
    no_context_takeover: bool,
}

impl Inflater {
    pub(crate) fn new(p: &DeflateParams) -> Self {
        Inflater { d: Decompress::new_with_window_bits(false, 15), no_context_takeover: p.recv_no_context_takeover }
    }

    /// Inflates one fragment's payload, appending to `out`; fails with
    /// [`ProtocolError::MessageTooBig`] as soon as `out` would pass `limit` bytes.
    /// `out` never grows past `limit + 1` bytes of capacity.
    pub(crate) fn inflate(&mut self, mut input: &[u8], out: &mut Vec<u8>, limit: usize) -> Result<(), ProtocolError> {
        loop {
            if out.len() == out.capacity() {
                // double, but never past the limit (+1 to detect passing it)
                let room = out.len().max(4096).min(limit + 1 - out.len());
                out.reserve_exact(room);
            }
            let (in0, out0) = (self.d.total_in(), self.d.total_out());
            let status =
                self.d.decompress_vec(input, out, FlushDecompress::Sync).map_err(|_| ProtocolError::BadCompression)?;
            input = &input[(self.d.total_in() - in0) as usize..];
            if out.len() > limit {
                return Err(ProtocolError::MessageTooBig);
            }
            if status == Status::StreamEnd {
                // the peer ended its DEFLATE stream (BFINAL); the rest starts a new one
                self.d.reset(false);
                if input.is_empty() {
                    return Ok(());
                }
                continue;
            }
            let progressed = self.d.total_in() != in0 || self.d.total_out() != out0;
            if input.is_empty() && out.len() < out.capacity() {
                return Ok(());
            }
            if !progressed && out.len() < out.capacity() {
                return Err(ProtocolError::BadCompression);
            }
        }
    }

    /// Ends a message: inflates the `00 00 ff ff` tail the sender removed.
    pub(crate) fn finish(&mut self, out: &mut Vec<u8>, limit: usize) -> Result<(), ProtocolError> {
        self.inflate(&[0, 0, 0xff, 0xff], out, limit)?;
        if self.no_context_takeover {
            self.d.reset(false);
        }
        Ok(())
    }
}

#[cfg(test)]
#[allow(clippy::type_complexity)] // case tables
mod tests {
    use super::*;
    use http::HeaderValue;

    fn headers(v: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(SEC_WEBSOCKET_EXTENSIONS, HeaderValue::from_str(v).unwrap());
        h
    }

    #[test]
    fn server_negotiation_table() {
        let def = DeflateConfig::default();
        let strict =
            DeflateConfig { server_no_context_takeover: true, client_max_window_bits: 10, ..Default::default() };
        // (policy, offer, response or None, send bits, send no-ctx, recv no-ctx)
        let cases: &[(&DeflateConfig, &str, Option<&str>, u8, bool, bool)] = &[
            (&def, "permessage-deflate", Some("permessage-deflate"), 15, false, false),
            (&def, "permessage-deflate; client_max_window_bits", Some("permessage-deflate"), 15, false, false),
            (
                &def,
                "permessage-deflate; client_max_window_bits=12",
                Some("permessage-deflate; client_max_window_bits=12"),
                15,
                false,
                false,
            ),
            (
                &def,
                "permessage-deflate; server_max_window_bits=10",
                Some("permessage-deflate; server_max_window_bits=10"),
                10,
                false,
                false,
            ),
            (
                &def,
                "permessage-deflate; server_no_context_takeover; client_no_context_takeover",
                Some("permessage-deflate; server_no_context_takeover; client_no_context_takeover"),
                15,
                true,
                true,
            ),
            // 8-bit server window cannot be honoured: this offer declined, the next taken
            (
                &def,
                "permessage-deflate; server_max_window_bits=8, permessage-deflate",
                Some("permessage-deflate"),
                15,
                false,
                false,
            ),
            (&def, "permessage-deflate; server_max_window_bits=8", None, 0, false, false),
            // invalid offers are declined
            (&def, "permessage-deflate; server_max_window_bits=16", None, 0, false, false),
            (&def, "permessage-deflate; server_max_window_bits=010", None, 0, false, false),
            (&def, "permessage-deflate; server_max_window_bits", None, 0, false, false),
            (&def, "permessage-deflate; client_max_window_bits=7", None, 0, false, false),
            (&def, "permessage-deflate; server_no_context_takeover; server_no_context_takeover", None, 0, false, false),
            (&def, "permessage-deflate; server_no_context_takeover=1", None, 0, false, false),
            (&def, "permessage-deflate; foo", None, 0, false, false),
            (&def, "x-webkit-deflate-frame", None, 0, false, false),
            (
                &def,
                "x-unknown, permessage-deflate; client_max_window_bits=\"9\"",
                Some("permessage-deflate; client_max_window_bits=9"),
                15,
                false,
                false,
            ),
            // server policy restricts the client window only when the client allows it
            (&strict, "permessage-deflate", Some("permessage-deflate; server_no_context_takeover"), 15, true, false),
            (
                &strict,
                "permessage-deflate; client_max_window_bits",
                Some("permessage-deflate; server_no_context_takeover; client_max_window_bits=10"),
                15,
                true,
                false,
            ),
        ];
        for (cfg, offer, want, bits, sctx, cctx) in cases {
            let got = negotiate_server(cfg, &headers(offer));
            assert_eq!(got.as_ref().map(|g| g.1.as_str()), *want, "{offer}");
            if let Some((p, _)) = got {
                assert_eq!(
                    (p.send_window_bits, p.send_no_context_takeover, p.recv_no_context_takeover),
                    (*bits, *sctx, *cctx),
                    "{offer}"
                );
            }
        }
    }

    #[test]
    fn client_accept_table() {
        let cfg = DeflateConfig::default();
        assert_eq!(client_offer(&cfg), "permessage-deflate; client_max_window_bits");
        assert_eq!(client_accept(Some(&cfg), &HeaderMap::new()), Ok(None));
        let p = client_accept(
            Some(&cfg),
            &headers("permessage-deflate; server_no_context_takeover; client_max_window_bits=11"),
        )
        .unwrap()
        .unwrap();
        assert_eq!((p.send_window_bits, p.recv_no_context_takeover, p.send_no_context_takeover), (11, true, false));
        for bad in [
            "permessage-deflate; client_max_window_bits",
            "permessage-deflate; client_max_window_bits=8",
            "foo",
            "permessage-deflate, permessage-deflate",
            "permessage-deflate; bar",
        ] {
            assert!(client_accept(Some(&cfg), &headers(bad)).is_err(), "{bad}");
        }
        assert!(client_accept(None, &headers("permessage-deflate")).is_err());
    }

    fn roundtrip(params: &DeflateParams, msgs: &[&[u8]]) {
        let mut d = Deflater::new(params);
        let mut i = Inflater::new(&DeflateParams {
            recv_no_context_takeover: params.send_no_context_takeover,
            ..params.clone()
        });
        let mut wire = Vec::new();
        for m in msgs {
            assert!(d.compress(m, &mut wire, usize::MAX));
            let mut out = Vec::new();
            // inflate in two pieces, as two fragments would be
            let (a, b) = wire.split_at(wire.len() / 2);
            i.inflate(a, &mut out, 1 << 20).unwrap();
            i.inflate(b, &mut out, 1 << 20).unwrap();
            i.finish(&mut out, 1 << 20).unwrap();
            assert_eq!(&out, m);
        }
    }

    #[test]
    fn compressing_stops_at_the_limit() {
        let noise = incompressible(200_000, 0x9e37_79b9_7f4a_7c15);
        let text = b"the same words again and again ".repeat(5000);
        // (message, limit, fits, then the next message still round-trips)
        for (m, limit, fits) in [(&noise, noise.len() - 1, false), (&text, text.len() - 1, true), (&text, 100, false)] {
            let p = DeflateParams::default();
            let mut d = Deflater::new(&p);
            let mut wire = Vec::new();
            assert_eq!(d.compress(m, &mut wire, limit), fits, "limit {limit}");
            assert!(wire.capacity() <= limit + 1024 || fits, "capacity {} for limit {limit}", wire.capacity());
            if fits {
                assert!(wire.len() <= limit);
            } else {
                d.reset();
            }
            // after a refusal and reset, the compressor starts afresh
            let mut i = Inflater::new(&p);
            assert!(d.compress(b"hello hello", &mut wire, usize::MAX));
            if !fits {
                let mut out = Vec::new();
                i.inflate(&wire, &mut out, 1 << 20).unwrap();
                i.finish(&mut out, 1 << 20).unwrap();
                assert_eq!(out, b"hello hello");
            }
        }
    }

    #[test]
    fn compress_inflate_roundtrip() {
        let big: Vec<u8> = (0..100_000u32).map(|i| (i % 251) as u8 ^ (i / 1000) as u8).collect();
        let msgs: &[&[u8]] = &[b"", b"hello", b"hello hello hello", &big, b"hello"];
        for bits in [9, 12, 15] {
            for no_ctx in [false, true] {
                let p =
                    DeflateParams { send_window_bits: bits, send_no_context_takeover: no_ctx, ..Default::default() };
                roundtrip(&p, msgs);
            }
        }
    }

    #[test]
    fn rfc7692_example_inflates() {
        // §7.2.3.1: "Hello" compressed
        let mut i = Inflater::new(&DeflateParams::default());
        let mut out = Vec::new();
        i.inflate(&[0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00], &mut out, 100).unwrap();
        i.finish(&mut out, 100).unwrap();
        assert_eq!(out, b"Hello");
    }

    #[test]
    fn bomb_stops_at_the_limit() {
        let zeros = vec![0u8; 8 << 20];
        let mut wire = Vec::new();
        Deflater::new(&DeflateParams { level: 9, ..Default::default() }).compress(&zeros, &mut wire, usize::MAX);
        assert!(wire.len() < 20 << 10, "{} compressed bytes", wire.len());
        let limit = 1 << 20;
        let mut out = Vec::new();
        let mut i = Inflater::new(&DeflateParams::default());
        assert_eq!(i.inflate(&wire, &mut out, limit), Err(ProtocolError::MessageTooBig));
        assert!(out.capacity() <= limit + 1, "capacity {}", out.capacity());
    }

    #[test]
    fn garbage_is_rejected() {
        let mut i = Inflater::new(&DeflateParams::default());
        let mut out = Vec::new();
        let r = i.inflate(&[0xff; 32], &mut out, 1000).and_then(|_| i.finish(&mut out, 1000));
        assert_eq!(r, Err(ProtocolError::BadCompression));
    }
}
