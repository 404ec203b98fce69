//! Trusted proxies: the [`Cidr`] networks a server believes, and the client address,
//! scheme and host recovered from what they add to a request — RFC 7239 `Forwarded`, or
//! the de-facto `X-Forwarded-For`, `X-Forwarded-Proto` and `X-Forwarded-Host`.
//!
//! The rule (RFC 7239 §5.2 and §8.1): nothing is believed unless the connection's peer is
//! in a trusted network. Then the hops are walked from the right (the nearest proxy)
//! towards the client, skipping trusted addresses; the first untrusted hop is the client,
//! and everything left of it — which the client could have written itself — is ignored.
//! `Forwarded` wins over the `X-Forwarded-*` fields when both are present. A chain longer
//! than [`MAX_HOPS`] is not believed at all; a scheme other than `http`/`https` and a host
//! with characters outside an authority's are dropped.

use std::net::{IpAddr, SocketAddr};
use std::str::FromStr;

use http::HeaderMap;
use http_core::{Forwarded, RequestContext};

/// The most proxy hops a request's forwarding fields may list; longer chains are ignored.
pub const MAX_HOPS: usize = 64;

/// An IP network: an address and a prefix length (`10.0.0.0/8`, `fd00::/8`; a bare
/// address is a /32 or /128). Host bits are cleared, as `10.1.2.3/8` means `10.0.0.0/8`.
///
/// ```
/// use http_server::Cidr;
/// let net: Cidr = "10.0.0.0/8".parse().unwrap();
/// assert!(net.contains("10.20.30.40".parse().unwrap()));
/// assert!(!net.contains("11.0.0.1".parse().unwrap()));
/// assert!(net.contains("::ffff:10.0.0.1".parse().unwrap()), "IPv4-mapped IPv6 matches too");
/// assert!("10.0.0.0/33".parse::<Cidr>().is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Cidr {
    addr: IpAddr,
    prefix: u8,
}

impl Cidr {
    /// The network of `addr` with `prefix` leading bits; `None` when the prefix is longer
    /// than the address.
    ///
    /// ```
    /// use http_server::Cidr;
    /// let net = Cidr::new("192.168.7.9".parse().unwrap(), 16).unwrap();
    /// assert_eq!(net.to_string(), "192.168.0.0/16");
    /// assert!(Cidr::new("::1".parse().unwrap(), 129).is_none());
    /// ```
    pub fn new(addr: IpAddr, prefix: u8) -> Option<Cidr> {
        let addr = addr.to_canonical();
        match addr {
            IpAddr::V4(a) if prefix <= 32 => {
                let mask = u32::MAX.checked_shl(32 - u32::from(prefix)).unwrap_or(0);
                Some(Cidr { addr: IpAddr::from((u32::from(a) & mask).to_be_bytes()), prefix })
            }
            IpAddr::V6(a) if prefix <= 128 => {
                let mask = u128::MAX.checked_shl(128 - u32::from(prefix)).unwrap_or(0);
                Some(Cidr { addr: IpAddr::from((u128::from(a) & mask).to_be_bytes()), prefix })
            }
            _ => None,
        }
    }

    /// Whether `ip` is in this network (IPv4-mapped IPv6 addresses count as IPv4).
    ///
    /// ```
    /// use http_server::Cidr;
    /// let net: Cidr = "fd00::/8".parse().unwrap();
    /// assert!(net.contains("fd12::1".parse().unwrap()));
    /// assert!(!net.contains("127.0.0.1".parse().unwrap()));
    /// ```
    pub fn contains(&self, ip: IpAddr) -> bool {
        Cidr::new(ip, self.prefix).is_some_and(|n| n.addr == self.addr)
    }

    /// Parses a comma-separated list of networks, with the names `loopback`
    /// (127.0.0.0/8, ::1) and `private` (10/8, 172.16/12, 192.168/16, fc00::/7).
    ///
    /// ```
    /// use http_server::Cidr;
    /// let nets = Cidr::parse_list("loopback, 10.1.0.0/16").unwrap();
    /// assert_eq!(nets.len(), 3);
    /// assert!(Cidr::parse_list("10.0.0.0/8,nonsense").is_err());
    /// ```
    pub fn parse_list(s: &str) -> Result<Vec<Cidr>, String> {
        let mut out = Vec::new();
        for item in s.split(',').map(str::trim).filter(|i| !i.is_empty()) {
            let names: &[&str] = match item {
                "loopback" => &["127.0.0.0/8", "::1/128"],
                "private" => &["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7"],
                _ => {
                    out.push(item.parse()?);
                    continue;
                }
            };
            out.extend(names.iter().map(|n| n.parse::<Cidr>().expect("a valid built-in network")));
        }
        Ok(out)
    }
}

impl FromStr for Cidr {
    type Err = String;

    fn from_str(s: &str) -> Result<Cidr, String> {
        let bad = || format!("{s:?} is not an IP network (like 10.0.0.0/8 or fd00::/8)");
        let (ip, prefix) = match s.split_once('/') {
            Some((ip, p)) => (ip, Some(p)),
            None => (s, None),
        };
        let ip: IpAddr = ip.trim().parse().map_err(|_| bad())?;
        let max = if ip.to_canonical().is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => max,
            Some(p) => p.trim().parse::<u8>().map_err(|_| bad())?,
        };
        // A mapped address with a v6 prefix (::ffff:10.0.0.0/104) names an IPv4 network.
        let prefix = if ip.is_ipv6() && max == 32 { prefix.checked_sub(96).ok_or_else(bad)? } else { prefix };
        Cidr::new(ip, prefix).ok_or_else(bad)
    }
}

impl std::fmt::Display for Cidr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.addr, self.prefix)
    }
}

/// Whether `ip` is in any of `nets`.
pub(crate) fn is_trusted(nets: &[Cidr], ip: IpAddr) -> bool {
    nets.iter().any(|n| n.contains(ip))
}

/// One hop a proxy reported: who it received the request from, and (for `Forwarded`)
/// the scheme and host that node asked for.
#[derive(Debug, Default, Clone, PartialEq)]
struct Hop<'a> {
    /// `None`: missing, `unknown`, obfuscated or unparsable.
    node: Option<SocketAddr>,
    https: Option<bool>,
    host: Option<&'a str>,
}

/// How a connection reached the server, beyond its peer address.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Via {
    /// The client's connection is TLS (here, or at a PROXY-protocol proxy).
    pub(crate) secure: bool,
    /// A Unix domain socket: the peer, a local process, counts as 127.0.0.1 for trust.
    pub(crate) local: bool,
}

/// The context for a request from `peer`: TLS or not, and what trusted proxies said.
pub(crate) fn context(peer: Option<SocketAddr>, via: Via, headers: &HeaderMap, trusted: &[Cidr]) -> RequestContext {
    let mut ctx = RequestContext::with_peer(peer);
    ctx.set_secure(via.secure);
    let trust_as = peer.map(|p| p.ip()).or(via.local.then_some(IpAddr::from([127, 0, 0, 1])));
    if !trusted.is_empty()
        && let Some(f) = resolve(trust_as, headers, trusted)
    {
        ctx.set_forwarded(f);
    }
    ctx
}

/// What trusted proxies said about the client of a request from `peer`; `None` when
/// the peer is not trusted or the fields say nothing believable.
pub(crate) fn resolve<'a>(peer: Option<IpAddr>, headers: &'a HeaderMap, trusted: &[Cidr]) -> Option<Forwarded> {
    let peer = peer?;
    if trusted.is_empty() || !is_trusted(trusted, peer) {
        return None;
    }
    let mut hops = Vec::new();
    if headers.contains_key(http::header::FORWARDED) {
        for v in headers.get_all(http::header::FORWARDED) {
            parse_forwarded(v.to_str().ok()?, &mut hops)?;
        }
    } else {
        for v in headers.get_all("x-forwarded-for") {
            for item in v.to_str().ok()?.split(',') {
                hops.push(Hop { node: parse_node(item.trim()), ..Hop::default() });
                if hops.len() > MAX_HOPS {
                    return None;
                }
            }
        }
        let proto = x_forwarded(headers, "x-forwarded-proto", hops.len());
        let host = x_forwarded(headers, "x-forwarded-host", hops.len());
        let pick = |field: &Option<(bool, XValues<'a>)>, i: usize| {
            field.as_ref().and_then(|(aligned, v)| if *aligned { v.nth(i) } else { v.last() })
        };
        if hops.is_empty() {
            // Scheme and host alone, from a trusted peer, still count.
            hops.push(Hop { node: None, https: parse_proto(pick(&proto, 0)), host: pick(&host, 0) });
        } else {
            for (i, hop) in hops.iter_mut().enumerate() {
                hop.https = parse_proto(pick(&proto, i));
                hop.host = pick(&host, i);
            }
        }
    }
    let client = hops.iter().rposition(|h| h.node.is_none_or(|a| !is_trusted(trusted, a.ip()))).unwrap_or(0);
    let hop = hops.get(client)?;
    let host = hop.host.map(str::trim).filter(|h| valid_host(h)).map(Box::from);
    let out = Forwarded { addr: hop.node, https: hop.https, host };
    (out != Forwarded::default()).then_some(out)
}

/// The values of an `X-Forwarded-Proto`/`-Host` field, and whether they align one to one
/// with the `X-Forwarded-For` hops (otherwise only the nearest proxy's last value counts).
fn x_forwarded<'a>(headers: &'a HeaderMap, name: &str, hops: usize) -> Option<(bool, XValues<'a>)> {
    let values = XValues { headers: headers.get_all(name).iter().filter_map(|v| v.to_str().ok()).collect() };
    let n = values.clone().count();
    (n > 0 && n <= MAX_HOPS).then_some((n == hops, values))
}

/// The comma-separated items of every line of a field, in order.
#[derive(Clone)]
struct XValues<'a> {
    headers: Vec<&'a str>,
}

impl<'a> XValues<'a> {
    fn iter(&self) -> impl DoubleEndedIterator<Item = &'a str> + '_ {
        self.headers.iter().flat_map(|l| l.split(',')).map(str::trim)
    }
    fn count(self) -> usize {
        self.iter().count()
    }
    fn nth(&self, i: usize) -> Option<&'a str> {
        self.iter().nth(i)
    }
    fn last(&self) -> Option<&'a str> {
        self.iter().next_back()
    }
}

fn parse_proto(p: Option<&str>) -> Option<bool> {
    match p? {
        p if p.eq_ignore_ascii_case("https") => Some(true),
        p if p.eq_ignore_ascii_case("http") => Some(false),
        _ => None,
    }
}

/// An authority's characters only (RFC 3986 §3.2.2 reg-name, IP literal, port), so a
/// forwarded host can go into a `Location` without escaping.
fn valid_host(h: &str) -> bool {
    !h.is_empty()
        && h.len() <= 255
        && h.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_' | b':' | b'[' | b']'))
}

/// A node: `1.2.3.4`, `1.2.3.4:80`, `[::1]`, `[::1]:80`, `::1`; `unknown`, obfuscated
/// identifiers and garbage are `None`.
fn parse_node(s: &str) -> Option<SocketAddr> {
    if let Ok(ip) = s.parse::<IpAddr>() {
        return Some(SocketAddr::new(ip, 0));
    }
    if let Ok(a) = s.parse::<SocketAddr>() {
        return Some(a);
    }
    let inner = s.strip_prefix('[')?;
    let (ip, rest) = inner.split_once(']')?;
    let ip: std::net::Ipv6Addr = ip.parse().ok()?;
    // `[v6]:_obfport` keeps the address
    (rest.is_empty() || rest.starts_with(':')).then_some(SocketAddr::new(IpAddr::V6(ip), 0))
}

/// Parses one `Forwarded` field line (RFC 7239 §4) into `hops`; `None` on a syntax error
/// or more than [`MAX_HOPS`] elements.
fn parse_forwarded<'a>(v: &'a str, hops: &mut Vec<Hop<'a>>) -> Option<()> {
    let mut rest = v;
    let mut hop = Hop::default();
    loop {
        rest = rest.trim_start_matches([' ', '\t']);
        if rest.is_empty() {
            break;
        }
        let eq = rest.find('=')?;
        let name = rest[..eq].trim();
        rest = &rest[eq + 1..];
        let value;
        if let Some(q) = rest.strip_prefix('"') {
            // quoted-string; a quoted-pair is kept as written, which no valid node,
            // scheme or host contains
            let mut end = None;
            let mut escaped = false;
            for (i, c) in q.char_indices() {
                match c {
                    _ if escaped => escaped = false,
                    '\\' => escaped = true,
                    '"' => {
                        end = Some(i);
                        break;
                    }
                    _ => {}
                }
            }
            let end = end?;
            value = &q[..end];
            rest = &q[end + 1..];
        } else {
            let end = rest.find([';', ',', ' ', '\t']).unwrap_or(rest.len());
            value = &rest[..end];
            rest = &rest[end..];
        }
        if !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') || name.is_empty() {
            return None;
        }
        if name.eq_ignore_ascii_case("for") {
            hop.node = parse_node(value);
        } else if name.eq_ignore_ascii_case("proto") {
            hop.https = parse_proto(Some(value));
        } else if name.eq_ignore_ascii_case("host") {
            hop.host = Some(value);
        }
        rest = rest.trim_start_matches([' ', '\t']);
        match rest.as_bytes().first() {
            Some(b';') => rest = &rest[1..],
            Some(b',') => {
                rest = &rest[1..];
                hops.push(std::mem::take(&mut hop));
                if hops.len() > MAX_HOPS {
                    return None;
                }
            }
            None => break,
            Some(_) => return None,
        }
    }
    hops.push(hop);
    (hops.len() <= MAX_HOPS).then_some(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cidr_table() {
        let rows: [(&str, &str, bool); 9] = [
            ("10.0.0.0/8", "10.255.0.1", true),
            ("10.0.0.0/8", "11.0.0.1", false),
            ("10.1.2.3/8", "10.9.9.9", true),
            ("0.0.0.0/0", "203.0.113.1", true),
            ("192.0.2.1", "192.0.2.1", true),
            ("192.0.2.1", "192.0.2.2", false),
            ("::1", "::1", true),
            ("fd00::/8", "fe00::1", false),
            ("::ffff:10.0.0.0/104", "10.3.3.3", true),
        ];
        for (net, ip, want) in rows {
            let n: Cidr = net.parse().unwrap();
            assert_eq!(n.contains(ip.parse().unwrap()), want, "{net} ∋ {ip}");
        }
        for bad in ["", "10.0.0.0/", "10.0.0.0/33", "::/129", "10.0.0/8", "x/8", "10.0.0.0/-1", "::ffff:1.2.3.4/95"] {
            assert!(bad.parse::<Cidr>().is_err(), "{bad:?} must not parse");
        }
    }

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(http::HeaderName::from_bytes(k.as_bytes()).unwrap(), v.parse().unwrap());
        }
        h
    }

    #[test]
    fn resolution_table() {
        let trusted = Cidr::parse_list("10.0.0.0/8, fd00::/8").unwrap();
        let proxy: SocketAddr = "10.0.0.1:5555".parse().unwrap();
        let stranger: SocketAddr = "198.51.100.1:5555".parse().unwrap();
        type Row<'a> = (SocketAddr, &'a [(&'a str, &'a str)], Option<(&'a str, Option<bool>, Option<&'a str>)>);
        let rows: &[Row] = &[
            // an untrusted peer's fields are ignored: spoofing
            (stranger, &[("x-forwarded-for", "1.2.3.4")], None),
            (stranger, &[("forwarded", "for=1.2.3.4;proto=https")], None),
            (proxy, &[], None),
            (proxy, &[("x-forwarded-for", "203.0.113.5")], Some(("203.0.113.5:0", None, None))),
            // the client prepended a fake hop: the rightmost untrusted one wins
            (proxy, &[("x-forwarded-for", "6.6.6.6, 203.0.113.5, 10.0.0.9")], Some(("203.0.113.5:0", None, None))),
            (
                proxy,
                &[("x-forwarded-for", "6.6.6.6"), ("x-forwarded-for", "203.0.113.5")],
                Some(("203.0.113.5:0", None, None)),
            ),
            // all trusted: the leftmost
            (proxy, &[("x-forwarded-for", "10.1.1.1, 10.2.2.2")], Some(("10.1.1.1:0", None, None))),
            (
                proxy,
                &[("x-forwarded-for", "203.0.113.5"), ("x-forwarded-proto", "https"), ("x-forwarded-host", "ex.com")],
                Some(("203.0.113.5:0", Some(true), Some("ex.com"))),
            ),
            // misaligned proto list: the nearest proxy's value
            (
                proxy,
                &[("x-forwarded-for", "203.0.113.5, 10.0.0.2"), ("x-forwarded-proto", "http, https, http")],
                Some(("203.0.113.5:0", Some(false), None)),
            ),
            (proxy, &[("x-forwarded-proto", "https")], Some(("", Some(true), None))),
            (proxy, &[("x-forwarded-proto", "gopher")], None),
            (
                proxy,
                &[("x-forwarded-for", "203.0.113.5"), ("x-forwarded-host", "evil.com/x")],
                Some(("203.0.113.5:0", None, None)),
            ),
            (proxy, &[("x-forwarded-for", "garbage")], None),
            (proxy, &[("x-forwarded-for", "[2001:db8::1]:443")], Some(("[2001:db8::1]:443", None, None))),
            (
                proxy,
                &[(
                    "forwarded",
                    "for=6.6.6.6;proto=http, for=\"[2001:db8::7]:41\";proto=https;host=a.example, for=10.0.0.3",
                )],
                Some(("[2001:db8::7]:41", Some(true), Some("a.example"))),
            ),
            // Forwarded wins over X-Forwarded-For
            (
                proxy,
                &[("forwarded", "for=192.0.2.60"), ("x-forwarded-for", "6.6.6.6")],
                Some(("192.0.2.60:0", None, None)),
            ),
            (proxy, &[("forwarded", "for=unknown;proto=https")], Some(("", Some(true), None))),
            (proxy, &[("forwarded", "for=\"unterminated")], None),
            (proxy, &[("forwarded", "for")], None),
        ];
        for (peer, fields, want) in rows {
            let got = resolve(Some(peer.ip()), &headers(fields), &trusted);
            let want = want.map(|(addr, https, host)| Forwarded {
                addr: (!addr.is_empty()).then(|| addr.parse().unwrap()),
                https,
                host: host.map(Box::from),
            });
            assert_eq!(got, want, "{peer} {fields:?}");
        }
    }

    #[test]
    fn oversized_chains_are_not_believed() {
        let trusted = Cidr::parse_list("10.0.0.0/8").unwrap();
        let proxy = Some("10.0.0.1".parse().unwrap());
        let long = vec!["10.0.0.5"; MAX_HOPS + 1].join(",");
        assert_eq!(resolve(proxy, &headers(&[("x-forwarded-for", &long)]), &trusted), None);
        let long = vec!["for=10.0.0.5"; MAX_HOPS + 1].join(",");
        assert_eq!(resolve(proxy, &headers(&[("forwarded", &long)]), &trusted), None);
        let fits = vec!["10.0.0.5"; MAX_HOPS].join(",");
        assert!(resolve(proxy, &headers(&[("x-forwarded-for", &fits)]), &trusted).is_some());
    }
}
