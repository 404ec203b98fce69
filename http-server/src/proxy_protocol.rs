//! The PROXY protocol (HAProxy's `proxy-protocol.txt`, versions 1 and 2): the header a
//! TCP load balancer sends before the client's bytes, naming the client's address.
//!
//! A listener with [`ServerOptions::proxy_protocol`](crate::ServerOptions::proxy_protocol)
//! reads it from every connection before TLS or HTTP: the connection must come from a
//! [trusted network](crate::ServerOptions::trusted_proxies) and begin with a well-formed
//! header, read within `read_header_timeout`; anything else closes it. The header is read
//! exactly (peeked, then consumed up to its end), so the client's first bytes stay in the
//! socket for the engine.
//!
//! - v1: `PROXY TCP4|TCP6 SRC DST SPORT DPORT\r\n` or `PROXY UNKNOWN ...\r\n`, at most
//!   107 bytes.
//! - v2: the 12-byte signature, version/command, family, length, addresses, then TLVs,
//!   which are walked (bounds-checked) and skipped, except `PP2_TYPE_SSL`, whose
//!   client-connected-over-TLS bit makes the request's scheme `https`. At most
//!   [`MAX_V2_PAYLOAD`] bytes after the fixed part.
//! - `LOCAL` (v2), `UNKNOWN` (v1), and the unspecified and Unix families keep the socket's
//!   own address: health checks from the proxy itself.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use tokio::io::AsyncReadExt;
use tokio::net::TcpStream;
use tokio::time::Instant;

/// The v2 signature.
pub const V2_SIGNATURE: &[u8; 12] = b"\r\n\r\n\0\r\nQUIT\n";
/// The longest v1 header, CRLF included.
pub const V1_MAX: usize = 107;
/// The most bytes a v2 header may carry after its 16-byte fixed part (addresses and TLVs).
pub const MAX_V2_PAYLOAD: usize = 4096;

/// What a PROXY header said.
///
/// ```
/// use http_server::proxy_protocol::{ProxyHeader, parse};
/// let (len, h) = parse(b"PROXY TCP4 203.0.113.7 10.0.0.1 40000 443\r\nGET /").unwrap().unwrap();
/// assert_eq!(len, 43);
/// assert_eq!(h, ProxyHeader { source: Some("203.0.113.7:40000".parse().unwrap()), tls: false });
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ProxyHeader {
    /// The client's address; `None` keeps the socket's (`LOCAL`, `UNKNOWN`, Unix).
    pub source: Option<SocketAddr>,
    /// The client spoke TLS to the proxy (v2 `PP2_TYPE_SSL` with `PP2_CLIENT_SSL`).
    pub tls: bool,
}

/// Why a PROXY header was refused.
///
/// ```
/// let err = http_server::proxy_protocol::parse(b"GET / HTTP/1.1\r\n").unwrap_err();
/// assert_eq!(err.to_string(), "no PROXY protocol header");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProxyError(&'static str);

impl fmt::Display for ProxyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

impl std::error::Error for ProxyError {}

/// Parses a PROXY header at the start of `buf`: `Ok(Some((length, header)))` when
/// complete, `Ok(None)` when `buf` is a valid beginning that needs more bytes.
///
/// ```
/// use http_server::proxy_protocol::parse;
/// assert_eq!(parse(b"PROXY TCP4 1.2.3.4"), Ok(None), "incomplete");
/// assert!(parse(b"PROXY TCP4 1.2.3.4 5.6.7.8 1 99999\r\n").is_err(), "port out of range");
/// let (len, h) = parse(b"PROXY UNKNOWN\r\n").unwrap().unwrap();
/// assert_eq!((len, h.source), (15, None));
/// ```
pub fn parse(buf: &[u8]) -> Result<Option<(usize, ProxyHeader)>, ProxyError> {
    const NOT: ProxyError = ProxyError("no PROXY protocol header");
    let n = buf.len().min(V2_SIGNATURE.len());
    if buf[..n] == V2_SIGNATURE[..n] {
        return if n < V2_SIGNATURE.len() { Ok(None) } else { parse_v2(buf) };
    }
    let n = buf.len().min(6);
    if buf[..n] == b"PROXY "[..n] {
        return if n < 6 { Ok(None) } else { parse_v1(buf) };
    }
    Err(NOT)
}

fn parse_v1(buf: &[u8]) -> Result<Option<(usize, ProxyHeader)>, ProxyError> {
    let window = &buf[..buf.len().min(V1_MAX)];
    let Some(cr) = window.iter().position(|&b| b == b'\r') else {
        if window.iter().any(|b| !(0x20..0x7f).contains(b)) {
            return Err(ProxyError("v1 header: a control byte"));
        }
        return if buf.len() >= V1_MAX { Err(ProxyError("v1 header longer than 107 bytes")) } else { Ok(None) };
    };
    match window.get(cr + 1) {
        None if buf.len() >= V1_MAX => return Err(ProxyError("v1 header longer than 107 bytes")),
        None => return Ok(None),
        Some(b'\n') => {}
        Some(_) => return Err(ProxyError("v1 header: CR without LF")),
    }
    let line = std::str::from_utf8(&window[6..cr]).map_err(|_| ProxyError("v1 header: not ASCII"))?;
    if !line.bytes().all(|b| (0x20..0x7f).contains(&b)) {
        return Err(ProxyError("v1 header: a control byte"));
    }
    let len = cr + 2;
    let parts: Vec<&str> = line.split(' ').collect();
    let header = match parts.as_slice() {
        ["UNKNOWN", ..] => ProxyHeader::default(),
        [family @ ("TCP4" | "TCP6"), src, dst, sport, dport] => {
            let v4 = *family == "TCP4";
            let ip = |s: &str| -> Result<IpAddr, ProxyError> {
                let bad = ProxyError("v1 header: bad address");
                if v4 {
                    s.parse::<Ipv4Addr>().map(IpAddr::V4).map_err(|_| bad)
                } else {
                    s.parse::<Ipv6Addr>().map(IpAddr::V6).map_err(|_| bad)
                }
            };
            let (src, _dst) = (ip(src)?, ip(dst)?);
            let (sport, _dport) = (port(sport)?, port(dport)?);
            ProxyHeader { source: Some(SocketAddr::new(src, sport)), tls: false }
        }
        _ => return Err(ProxyError("v1 header: bad protocol or field count")),
    };
    Ok(Some((len, header)))
}

fn port(s: &str) -> Result<u16, ProxyError> {
    let bad = ProxyError("v1 header: bad port");
    if s.is_empty() || s.len() > 5 || !s.bytes().all(|b| b.is_ascii_digit()) || (s.len() > 1 && s.starts_with('0')) {
        return Err(bad);
    }
    s.parse().map_err(|_| bad)
}

fn parse_v2(buf: &[u8]) -> Result<Option<(usize, ProxyHeader)>, ProxyError> {
    if buf.len() < 16 {
        return Ok(None);
    }
    let (ver_cmd, fam) = (buf[12], buf[13]);
    if ver_cmd >> 4 != 2 {
        return Err(ProxyError("v2 header: unsupported version"));
    }
    let local = match ver_cmd & 0x0f {
        0 => true,
        1 => false,
        _ => return Err(ProxyError("v2 header: unknown command")),
    };
    let payload = usize::from(u16::from_be_bytes([buf[14], buf[15]]));
    if payload > MAX_V2_PAYLOAD {
        return Err(ProxyError("v2 header longer than allowed"));
    }
    let addr_len = match fam {
        0x00 => 0,
        0x11 | 0x12 => 12,
        0x21 | 0x22 => 36,
        0x31 | 0x32 => 216,
        _ => return Err(ProxyError("v2 header: unknown address family")),
    };
    if payload < addr_len && !local {
        return Err(ProxyError("v2 header: length shorter than its addresses"));
    }
    let Some(body) = buf.get(16..16 + payload) else { return Ok(None) };
    let mut header = ProxyHeader::default();
    if !local && fam & 0x0f == 0x01 {
        header.source = match fam >> 4 {
            1 => {
                let ip = Ipv4Addr::new(body[0], body[1], body[2], body[3]);
                Some(SocketAddr::new(IpAddr::V4(ip), u16::from_be_bytes([body[8], body[9]])))
            }
            2 => {
                let ip: [u8; 16] = body[..16].try_into().expect("16 bytes");
                Some(SocketAddr::new(IpAddr::V6(Ipv6Addr::from(ip)), u16::from_be_bytes([body[32], body[33]])))
            }
            _ => None,
        };
    }
    // TLVs (type, 16-bit length, value), each bounds-checked. A LOCAL header's payload
    // is not interpreted.
    let mut tlvs = if local { &[][..] } else { &body[addr_len..] };
    while !tlvs.is_empty() {
        if tlvs.len() < 3 {
            return Err(ProxyError("v2 header: truncated TLV"));
        }
        let len = usize::from(u16::from_be_bytes([tlvs[1], tlvs[2]]));
        let value = tlvs.get(3..3 + len).ok_or(ProxyError("v2 header: TLV past the end"))?;
        // PP2_TYPE_SSL: `client` bit field, then a 32-bit verify result and sub-TLVs.
        if tlvs[0] == 0x20 && value.first().is_some_and(|c| c & 0x01 != 0) {
            header.tls = true;
        }
        tlvs = &tlvs[3 + len..];
    }
    Ok(Some((16 + payload, header)))
}

/// Reads the PROXY header from `tcp` by `deadline`, consuming exactly its bytes.
pub(crate) async fn read_header(tcp: &mut TcpStream, deadline: Instant) -> Result<ProxyHeader, ProxyError> {
    let timeout = ProxyError("no complete PROXY header before the header timeout");
    let closed = ProxyError("connection closed before the PROXY header ended");
    let mut seen: Vec<u8> = Vec::new();
    let mut buf = [0u8; 512];
    loop {
        let n = match tokio::time::timeout_at(deadline, tcp.peek(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => return Err(closed),
            Ok(Ok(n)) => n,
            Err(_) => return Err(timeout),
        };
        let before = seen.len();
        seen.extend_from_slice(&buf[..n]);
        // Consume the header's bytes only: the rest stays in the socket for the engine.
        let (take, done) = match parse(&seen)? {
            Some((len, header)) => (len - before, Some(header)),
            None => (n, None),
        };
        match tokio::time::timeout_at(deadline, tcp.read_exact(&mut buf[..take])).await {
            Ok(Ok(_)) => {}
            Ok(Err(_)) => return Err(closed),
            Err(_) => return Err(timeout),
        }
        if let Some(header) = done {
            return Ok(header);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v2(cmd: u8, fam: u8, payload: &[u8]) -> Vec<u8> {
        let mut h = V2_SIGNATURE.to_vec();
        h.extend_from_slice(&[0x20 | cmd, fam]);
        h.extend_from_slice(&(payload.len() as u16).to_be_bytes());
        h.extend_from_slice(payload);
        h
    }

    fn v4_addrs() -> Vec<u8> {
        let mut p = vec![203, 0, 113, 7, 10, 0, 0, 1];
        p.extend_from_slice(&40000u16.to_be_bytes());
        p.extend_from_slice(&443u16.to_be_bytes());
        p
    }

    #[test]
    fn v1_table() {
        let ok: &[(&[u8], usize, Option<&str>)] = &[
            (b"PROXY TCP4 1.2.3.4 5.6.7.8 1000 80\r\n", 36, Some("1.2.3.4:1000")),
            (b"PROXY TCP6 2001:db8::1 ::1 65535 80\r\nGET", 37, Some("[2001:db8::1]:65535")),
            (b"PROXY UNKNOWN\r\n", 15, None),
            (b"PROXY UNKNOWN ffff::1 ffff::2 1 2\r\n", 35, None),
        ];
        for (input, len, src) in ok {
            let (l, h) = parse(input).unwrap().unwrap_or_else(|| panic!("{input:?} incomplete"));
            assert_eq!((l, h.source), (*len, src.map(|s| s.parse().unwrap())), "{input:?}");
        }
        let bad: &[&[u8]] = &[
            b"PROXY TCP4 1.2.3.4 5.6.7.8 1000\r\n",
            b"PROXY TCP4 ::1 5.6.7.8 1000 80\r\n",
            b"PROXY TCP6 1.2.3.4 ::1 1000 80\r\n",
            b"PROXY TCP4 1.2.3.4 5.6.7.8 1000 80000\r\n",
            b"PROXY TCP4 1.2.3.4 5.6.7.8 +100 80\r\n",
            b"PROXY TCP4 1.2.3.4 5.6.7.8 0100 80\r\n",
            b"PROXY TCP4  1.2.3.4 5.6.7.8 100 80\r\n",
            b"PROXY TCP4 1.2.3.4 5.6.7.8 100 80\rX",
            b"PROXY UDP4 1.2.3.4 5.6.7.8 100 80\r\n",
            b"PROXY TCP4 1.2.3.4\x00",
            b"proxy TCP4 1.2.3.4 5.6.7.8 1 2\r\n",
            b"GET / HTTP/1.1\r\n",
        ];
        for input in bad {
            assert!(parse(input).is_err(), "{input:?} must be refused");
        }
        let long = [b"PROXY UNKNOWN ".as_slice(), &[b'a'; 100]].concat();
        assert_eq!(parse(&long).unwrap_err().to_string(), "v1 header longer than 107 bytes");
        for prefix in [&b"P"[..], b"PROXY", b"PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r"] {
            assert_eq!(parse(prefix), Ok(None), "{prefix:?}");
        }
    }

    #[test]
    fn v2_table() {
        let mut with_tlvs = v4_addrs();
        with_tlvs.extend_from_slice(&[0x04, 0, 2, 9, 9]); // NOOP, skipped
        with_tlvs.extend_from_slice(&[0x20, 0, 5, 0x01, 0, 0, 0, 0]); // SSL, client over TLS
        let mut v6 = vec![0x20, 0x01, 0x0d, 0xb8];
        v6.extend_from_slice(&[0; 11]);
        v6.push(1);
        v6.extend_from_slice(&[0; 16]);
        v6.extend_from_slice(&[0x1f, 0x90, 0x01, 0xbb]);
        let rows: Vec<(Vec<u8>, Option<&str>, bool)> = vec![
            (v2(1, 0x11, &v4_addrs()), Some("203.0.113.7:40000"), false),
            (v2(1, 0x11, &with_tlvs), Some("203.0.113.7:40000"), true),
            (v2(1, 0x21, &v6), Some("[2001:db8::1]:8080"), false),
            (v2(0, 0x11, &v4_addrs()), None, false), // LOCAL keeps the socket address
            (v2(0, 0x00, &[]), None, false),
            (v2(1, 0x00, &[]), None, false),
            (v2(1, 0x31, &[0; 216]), None, false),
        ];
        for (input, src, tls) in rows {
            let (len, h) = parse(&input).unwrap().unwrap();
            assert_eq!((len, h.source, h.tls), (input.len(), src.map(|s| s.parse().unwrap()), tls), "{input:?}");
        }
        let mut truncated_tlv = v4_addrs();
        truncated_tlv.extend_from_slice(&[0x04, 0, 9, 1]);
        let mut short_tlv = v4_addrs();
        short_tlv.extend_from_slice(&[0x04, 0]);
        let mut bad_version = v2(1, 0x11, &v4_addrs());
        bad_version[12] = 0x31;
        let mut too_long = v2(1, 0x11, &v4_addrs());
        too_long[14..16].copy_from_slice(&((MAX_V2_PAYLOAD + 1) as u16).to_be_bytes());
        let bad: Vec<Vec<u8>> = vec![
            v2(1, 0x11, &truncated_tlv),
            v2(1, 0x11, &short_tlv),
            v2(2, 0x11, &v4_addrs()),
            v2(1, 0x41, &v4_addrs()),
            v2(1, 0x11, &[1, 2, 3]),
            v2(1, 0x21, &v4_addrs()),
            bad_version,
            too_long,
        ];
        for input in bad {
            assert!(parse(&input).is_err(), "{input:?} must be refused");
        }
        let whole = v2(1, 0x11, &with_tlvs);
        for cut in 1..whole.len() {
            assert_eq!(parse(&whole[..cut]), Ok(None), "a prefix of {cut} bytes is incomplete");
        }
    }
}
