//! The fuzzer's own permessage-deflate (RFC 7692): offer strings as the suite's
//! client sends them (section 7.1), the suite's server-side accept choices, and a
//! per-message codec (section 7.2: raw DEFLATE, sync flush, the trailing
//! 0x00 0x00 0xff 0xff removed).

use flate2::{Compress, Compression, Decompress, FlushCompress, FlushDecompress, Status};

use super::cases::{Offer, ServerAccept};

/// The offer as the suite's client writes it.
pub(crate) fn offer_string(o: &Offer) -> String {
    let mut s = String::from("permessage-deflate");
    if o.accept_no_context_takeover {
        s.push_str("; client_no_context_takeover");
    }
    if o.accept_max_window_bits {
        s.push_str("; client_max_window_bits");
    }
    if o.request_no_context_takeover {
        s.push_str("; server_no_context_takeover");
    }
    if o.request_max_window_bits != 0 {
        s.push_str(&format!("; server_max_window_bits={}", o.request_max_window_bits));
    }
    s
}

/// Parameters of one `permessage-deflate` element of an extensions header.
#[derive(Default, Debug)]
struct Params {
    client_max_window_bits: Option<u8>,
    client_max_window_bits_bare: bool,
    client_no_context_takeover: bool,
    server_max_window_bits: Option<u8>,
    server_no_context_takeover: bool,
}

/// Every `permessage-deflate` element of a header value, in order.
fn parse(header: &str) -> Result<Vec<Params>, String> {
    let mut out = Vec::new();
    for ext in header.split(',') {
        let mut parts = ext.split(';').map(str::trim);
        if parts.next() != Some("permessage-deflate") {
            continue;
        }
        let mut p = Params::default();
        for kv in parts.filter(|s| !s.is_empty()) {
            let (k, v) = match kv.split_once('=') {
                Some((k, v)) => (k.trim(), Some(v.trim().trim_matches('"'))),
                None => (kv, None),
            };
            let bits = |v: Option<&str>| -> Result<u8, String> {
                v.and_then(|v| v.parse().ok()).filter(|b| (8..=15).contains(b)).ok_or(format!("bad value in `{kv}`"))
            };
            match k {
                "client_max_window_bits" if v.is_none() => p.client_max_window_bits_bare = true,
                "client_max_window_bits" => p.client_max_window_bits = Some(bits(v)?),
                "server_max_window_bits" => p.server_max_window_bits = Some(bits(v)?),
                "client_no_context_takeover" => p.client_no_context_takeover = true,
                "server_no_context_takeover" => p.server_no_context_takeover = true,
                _ => return Err(format!("unknown permessage-deflate parameter `{k}`")),
            }
        }
        out.push(p);
    }
    Ok(out)
}

/// The fuzzer as a client: the codec the server's answer sets up, `None` when
/// the server declined the extension.
pub(crate) fn client_codec(response: Option<&str>) -> Result<Option<Codec>, String> {
    let Some(h) = response else { return Ok(None) };
    let mut ps = parse(h)?;
    match ps.len() {
        0 => Ok(None),
        1 => {
            let p = ps.remove(0);
            let rx_bits = p.server_max_window_bits.unwrap_or(15);
            Ok(Some(Codec::new(p.client_max_window_bits.unwrap_or(15), p.client_no_context_takeover, rx_bits)))
        }
        _ => Err("server accepted permessage-deflate twice".into()),
    }
}

/// The fuzzer as a server: picks an offer of the client the way the suite's
/// accept function does; returns the answer header and the codec.
pub(crate) fn server_accept(offers: Option<&str>, accept: &ServerAccept) -> Result<Option<(String, Codec)>, String> {
    let Some(h) = offers else { return Ok(None) };
    let ps = parse(h)?;
    for &(req_nct, req_bits) in &accept.0 {
        // the suite's offer parser always sets "accepts no context takeover"
        let Some(p) =
            ps.iter().find(|p| req_bits == 0 || p.client_max_window_bits_bare || p.client_max_window_bits.is_some())
        else {
            continue;
        };
        let mut s = String::from("permessage-deflate");
        if p.server_no_context_takeover {
            s.push_str("; server_no_context_takeover");
        }
        if let Some(b) = p.server_max_window_bits {
            s.push_str(&format!("; server_max_window_bits={b}"));
        }
        if req_nct {
            s.push_str("; client_no_context_takeover");
        }
        if req_bits != 0 {
            s.push_str(&format!("; client_max_window_bits={req_bits}"));
        }
        let rx_bits = if req_bits == 0 { 15 } else { req_bits };
        let codec = Codec::new(p.server_max_window_bits.unwrap_or(15), p.server_no_context_takeover, rx_bits);
        return Ok(Some((s, codec)));
    }
    Ok(None)
}

/// Compressor for what the fuzzer sends, decompressor for what it receives.
pub(crate) struct Codec {
    tx: Compress,
    tx_reset: bool,
    rx: Decompress,
}

impl Codec {
    /// `tx_bits` / `rx_bits`: the window each direction negotiated; like the
    /// suite, the decompressor is opened with the peer's negotiated window.
    fn new(tx_bits: u8, no_context_takeover: bool, rx_bits: u8) -> Codec {
        // zlib cannot use an 8-bit raw DEFLATE window; 9 is what it uses instead
        Codec {
            tx: Compress::new_with_window_bits(Compression::default(), false, tx_bits.clamp(9, 15)),
            tx_reset: no_context_takeover,
            rx: Decompress::new_with_window_bits(false, rx_bits.clamp(9, 15)),
        }
    }

    /// One message's compressed payload.
    pub(crate) fn compress(&mut self, input: &[u8]) -> Vec<u8> {
        let mut out = Vec::with_capacity(input.len() / 2 + 64);
        let start = self.tx.total_in();
        loop {
            if out.capacity() - out.len() < 64 {
                out.reserve(out.capacity().max(4096));
            }
            let done = (self.tx.total_in() - start) as usize;
            self.tx.compress_vec(&input[done..], &mut out, FlushCompress::Sync).expect("deflate");
            if (self.tx.total_in() - start) as usize == input.len() && out.len() < out.capacity() {
                break;
            }
        }
        if out.ends_with(&[0, 0, 0xff, 0xff]) {
            out.truncate(out.len() - 4);
        }
        if self.tx_reset {
            self.tx.reset();
        }
        out
    }

    /// One message's payload from its compressed form.
    pub(crate) fn decompress(&mut self, input: &[u8]) -> Result<Vec<u8>, String> {
        let data = [input, &[0, 0, 0xff, 0xff]].concat();
        let mut out = Vec::with_capacity(data.len() * 4 + 64);
        let start = self.rx.total_in();
        loop {
            if out.capacity() - out.len() < 1024 {
                out.reserve(out.capacity().max(4096));
            }
            let done = (self.rx.total_in() - start) as usize;
            let st =
                self.rx.decompress_vec(&data[done..], &mut out, FlushDecompress::Sync).map_err(|e| e.to_string())?;
            let done = (self.rx.total_in() - start) as usize;
            if st == Status::StreamEnd {
                return Err("peer ended the DEFLATE stream (BFINAL) inside a message".into());
            }
            if done == data.len() && out.len() < out.capacity() {
                return Ok(out);
            }
            if out.len() > 256 << 20 {
                return Err("decompressed message too large".into());
            }
        }
    }
}

#[test]
fn codec_round_trip_with_small_window() {
    let mut a = Codec::new(9, true, 15);
    let mut b = Codec::new(15, false, 9);
    for n in [0usize, 1, 100, 5000, 70_000] {
        let msg: Vec<u8> = (0..n).map(|i| (i % 251) as u8 ^ (i / 7) as u8).collect();
        assert_eq!(b.decompress(&a.compress(&msg)).unwrap(), msg);
    }
}
