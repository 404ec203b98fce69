//! Request targets (RFC 3986, RFC 9110 §4.2): the scheme, host and port a connection goes
//! to, the path and query sent byte for byte, userinfo turned into Basic credentials, the
//! fragment dropped, and relative references (a redirect's Location) resolved.

use std::fmt;

use http::Uri;
use http_core::percent::percent_decode;

use crate::error::{Error, ErrorKind, Result};

/// `http` or `https`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Scheme {
    Http,
    Https,
}

/// Where a connection goes: scheme, host and port (a pool key, and what a redirect must
/// keep for credentials to follow it).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct Origin {
    pub(crate) scheme: Scheme,
    /// The host without IPv6 brackets, lower-cased.
    pub(crate) host: String,
    pub(crate) port: u16,
}

/// A parsed absolute URL.
#[derive(Debug, Clone)]
pub(crate) struct Target {
    pub(crate) origin: Origin,
    /// The Host header value (brackets kept, port only when not the default).
    pub(crate) authority: String,
    /// Path and query as sent, `/` when empty.
    pub(crate) path_and_query: String,
    /// `Basic …` credentials from the URL's userinfo.
    pub(crate) basic_auth: Option<String>,
}

impl Target {
    pub(crate) fn parse(url: &str) -> Result<Target> {
        let bad = |why: &str| Error::new(ErrorKind::Builder, format!("invalid URL {url:?}: {why}"));
        let url = url.split('#').next().unwrap_or("");
        let (scheme, rest) = url.split_once("://").ok_or_else(|| bad("no scheme"))?;
        let scheme = match scheme.to_ascii_lowercase().as_str() {
            "http" => Scheme::Http,
            "https" => Scheme::Https,
            _ => return Err(bad("unsupported scheme")),
        };
        let split = rest.find(['/', '?']).unwrap_or(rest.len());
        let (authority, path) = rest.split_at(split);
        let (userinfo, hostport) = match authority.rsplit_once('@') {
            Some((u, h)) => (Some(u), h),
            None => (None, authority),
        };
        let (host, port) = split_host_port(hostport).ok_or_else(|| bad("invalid host or port"))?;
        if host.is_empty() {
            return Err(bad("no host"));
        }
        let default_port = if scheme == Scheme::Https { 443 } else { 80 };
        let port = port.unwrap_or(default_port);
        let path_and_query = if path.is_empty() {
            "/".to_owned()
        } else if path.starts_with('?') {
            format!("/{path}")
        } else {
            path.to_owned()
        };
        // The request line takes any visible ASCII; the http crate checks the rest.
        path_and_query.parse::<http::uri::PathAndQuery>().map_err(|_| bad("invalid path"))?;
        let basic_auth = match userinfo {
            Some(u) => {
                let (user, pass) = u.split_once(':').unwrap_or((u, ""));
                let dec = |s| percent_decode(s).map_err(|_| bad("invalid percent-encoding in userinfo"));
                Some(format!("Basic {}", base64(format!("{}:{}", dec(user)?, dec(pass)?).as_bytes())))
            }
            None => None,
        };
        let host_header = if host.contains(':') { format!("[{host}]") } else { host.clone() };
        let authority = if port == default_port { host_header } else { format!("{host_header}:{port}") };
        Ok(Target { origin: Origin { scheme, host, port }, authority, path_and_query, basic_auth })
    }

    /// Resolves a Location (absolute, scheme-relative, absolute-path, relative-path or
    /// query-only reference) against this URL (RFC 3986 §5.2).
    pub(crate) fn join(&self, reference: &str) -> Result<Target> {
        let reference = reference.trim();
        let lower = reference.to_ascii_lowercase();
        if lower.starts_with("http://") || lower.starts_with("https://") {
            return Target::parse(reference);
        }
        let scheme = if self.origin.scheme == Scheme::Https { "https" } else { "http" };
        if let Some(rest) = reference.strip_prefix("//") {
            return Target::parse(&format!("{scheme}://{rest}"));
        }
        let reference = reference.split('#').next().unwrap_or("");
        let base_path = self.path_and_query.split('?').next().unwrap_or("/");
        let path_and_query = if reference.is_empty() {
            self.path_and_query.clone()
        } else if reference.starts_with('?') {
            format!("{base_path}{reference}")
        } else if reference.starts_with('/') {
            remove_dot_segments(reference)
        } else {
            let dir = &base_path[..base_path.rfind('/').map_or(0, |i| i + 1)];
            remove_dot_segments(&format!("{dir}{reference}"))
        };
        Target::parse(&format!("{scheme}://{}{path_and_query}", self.authority))
    }

    /// The URL as a `Uri` (no userinfo), for HTTP/2's pseudo-headers.
    pub(crate) fn uri(&self) -> Result<Uri> {
        self.to_string().parse().map_err(|e| Error::new(ErrorKind::Builder, e))
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let scheme = if self.origin.scheme == Scheme::Https { "https" } else { "http" };
        write!(f, "{scheme}://{}{}", self.authority, self.path_and_query)
    }
}

/// `host`, `host:port`, `[v6]` or `[v6]:port`; the host lower-cased, without brackets.
fn split_host_port(s: &str) -> Option<(String, Option<u16>)> {
    let (host, port) = if let Some(rest) = s.strip_prefix('[') {
        let (h, after) = rest.split_once(']')?;
        h.parse::<std::net::Ipv6Addr>().ok()?;
        let port = match after.strip_prefix(':') {
            Some(p) => Some(p),
            None if after.is_empty() => None,
            None => return None,
        };
        (h, port)
    } else {
        match s.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (s, None),
        }
    };
    if host.bytes().any(|b| !(b.is_ascii_alphanumeric() || b".-_:%~".contains(&b))) {
        return None;
    }
    let port = match port {
        Some("") | None => None,
        Some(p) => Some(p.parse().ok()?),
    };
    Some((host.to_ascii_lowercase(), port))
}

/// RFC 3986 §5.2.4, on a path with an optional query.
fn remove_dot_segments(path_and_query: &str) -> String {
    let (path, query) = match path_and_query.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (path_and_query, None),
    };
    let mut out: Vec<&str> = Vec::new();
    let segments: Vec<&str> = path.split('/').skip(1).collect();
    for (i, seg) in segments.iter().enumerate() {
        let last = i + 1 == segments.len();
        match *seg {
            "." if last => out.push(""),
            "." => {}
            ".." => {
                out.pop();
                if last {
                    out.push("");
                }
            }
            s => out.push(s),
        }
    }
    let mut s = format!("/{}", out.join("/"));
    if let Some(q) = query {
        s.push('?');
        s.push_str(q);
    }
    s
}

/// Standard base64 with padding (RFC 4648 §4).
pub(crate) fn base64(input: &[u8]) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(input.len().div_ceil(3) * 4);
    for c in input.chunks(3) {
        let n =
            (u32::from(c[0]) << 16) | (u32::from(*c.get(1).unwrap_or(&0)) << 8) | u32::from(*c.get(2).unwrap_or(&0));
        for i in 0..4 {
            if i <= c.len() {
                out.push(T[(n >> (18 - 6 * i)) as usize & 63] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_targets() {
        let cases: &[(&str, &str, u16, &str, &str)] = &[
            ("http://a.example/x?y=1#frag", "a.example", 80, "a.example", "/x?y=1"),
            ("https://A.example:8443", "a.example", 8443, "a.example:8443", "/"),
            ("http://[::1]:8080/p", "::1", 8080, "[::1]:8080", "/p"),
            ("http://h?q", "h", 80, "h", "/?q"),
            ("http://h/%7Euser/a%20b", "h", 80, "h", "/%7Euser/a%20b"),
        ];
        for (url, host, port, authority, pq) in cases {
            let t = Target::parse(url).unwrap();
            assert_eq!(
                (t.origin.host.as_str(), t.origin.port, t.authority.as_str(), t.path_and_query.as_str()),
                (*host, *port, *authority, *pq),
                "{url}"
            );
        }
        for bad in ["ftp://h/", "h/x", "http:///x", "http://h:port/", "http://[zz]/"] {
            assert!(Target::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn userinfo_becomes_basic_auth() {
        let t = Target::parse("http://Aladdin:open%20sesame@h/").unwrap();
        assert_eq!(t.basic_auth.as_deref(), Some("Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=="));
        assert_eq!(t.authority, "h");
    }

    #[test]
    fn joins_references() {
        let base = Target::parse("http://h:81/a/b/c?q").unwrap();
        let cases = [
            ("/x", "http://h:81/x"),
            ("x", "http://h:81/a/b/x"),
            ("../x?z", "http://h:81/a/x?z"),
            ("./", "http://h:81/a/b/"),
            ("?n", "http://h:81/a/b/c?n"),
            ("//o/p", "http://o/p"),
            ("https://o:9/", "https://o:9/"),
        ];
        for (r, want) in cases {
            assert_eq!(base.join(r).unwrap().to_string(), want, "{r}");
        }
    }

    #[test]
    fn base64_padding() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
    }
}
