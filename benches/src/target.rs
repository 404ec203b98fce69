//! Where a load program connects and what it asks for, from a `SCHEME://HOST:PORT/PATH`
//! URL (the load programs take nothing fancier: no user info, no default port).

/// A load program's server: `HOST:PORT` to connect to (and send as `Host`), and the path
/// (with its query) to request.
#[derive(Debug, PartialEq, Eq)]
pub struct Target {
    /// `HOST:PORT`, as written in the URL.
    pub authority: String,
    /// The path and query, `/` when the URL has none.
    pub path: String,
}

impl Target {
    /// Parses `url`, which must start with `scheme://` and name a port.
    ///
    /// ```
    /// use benches::target::Target;
    /// let t = Target::parse("http://127.0.0.1:8080/x?y", "http").unwrap();
    /// assert_eq!((t.authority.as_str(), t.path.as_str()), ("127.0.0.1:8080", "/x?y"));
    /// assert!(Target::parse("https://127.0.0.1:8080/", "http").is_err());
    /// ```
    pub fn parse(url: &str, scheme: &str) -> Result<Target, String> {
        let rest = url
            .strip_prefix(scheme)
            .and_then(|r| r.strip_prefix("://"))
            .ok_or_else(|| format!("{url}: not a {scheme}:// URL"))?;
        let (authority, path) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, "/"),
        };
        if authority.rsplit_once(':').is_none_or(|(_, port)| port.parse::<u16>().is_err()) {
            return Err(format!("{url}: the URL needs HOST:PORT"));
        }
        Ok(Target { authority: authority.to_owned(), path: path.to_owned() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        let ok = |a: &str, p: &str| Ok(Target { authority: a.into(), path: p.into() });
        let cases: &[(&str, &str, Result<Target, ()>)] = &[
            ("https://127.0.0.1:8443/plaintext", "https", ok("127.0.0.1:8443", "/plaintext")),
            ("https://127.0.0.1:8443", "https", ok("127.0.0.1:8443", "/")),
            ("https://[::1]:443/x?y", "https", ok("[::1]:443", "/x?y")),
            ("http://127.0.0.1:8080/10m.bin", "http", ok("127.0.0.1:8080", "/10m.bin")),
            ("http://127.0.0.1:8443/", "https", Err(())),
            ("https://127.0.0.1:8080/", "http", Err(())),
            ("httpx://127.0.0.1:8080/", "http", Err(())),
            ("https://127.0.0.1/", "https", Err(())),
            ("https://127.0.0.1:http/", "https", Err(())),
        ];
        for (url, scheme, want) in cases {
            assert_eq!(Target::parse(url, scheme).map_err(|_| ()), *want, "{url}");
        }
    }
}
