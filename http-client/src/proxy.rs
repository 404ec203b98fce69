//! Proxies from the environment, as curl reads them: `http_proxy` (lower case only: a
//! CGI server puts a request's `Proxy:` header in `HTTP_PROXY`) for `http://` URLs,
//! `HTTPS_PROXY` or `https_proxy` for `https://` URLs, and `NO_PROXY` / `no_proxy` (host
//! names, domain suffixes, IP addresses, or `*`) for hosts reached directly.
//!
//! Plain HTTP goes to the proxy with the absolute-form request-target (RFC 9112 §3.2.2);
//! HTTPS goes through a `CONNECT` tunnel (RFC 9110 §9.3.6), TLS running end to end.

use http::header::{HeaderMap, HeaderValue, PROXY_AUTHORIZATION};
use http::{Method, StatusCode};
use http_core::engine::h1::ResponseLimits;

use crate::error::{Error, ErrorKind, Result};
use crate::h1::{H1Conn, RequestHead, Timeouts};
use crate::url::{Scheme, Target};

/// The proxies a client uses.
#[derive(Debug, Clone, Default)]
pub(crate) struct Proxies {
    http: Option<Target>,
    https: Option<Target>,
    no_proxy: Vec<String>,
}

impl Proxies {
    /// From the process environment.
    pub(crate) fn from_env() -> Self {
        Proxies::from_lookup(|name| std::env::var(name).ok())
    }

    /// From `lookup` (an environment).
    pub(crate) fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Self {
        let get = |names: &[&str]| names.iter().find_map(|n| lookup(n).filter(|v| !v.trim().is_empty()));
        let parse = |v: String| {
            let v = v.trim().to_owned();
            let url = if v.contains("://") { v } else { format!("http://{v}") };
            match Target::parse(&url) {
                Ok(t) if t.origin.scheme == Scheme::Http => Some(t),
                _ => {
                    tracing::warn!("ignoring proxy {url:?}: only http:// proxies are supported");
                    None
                }
            }
        };
        let no_proxy = get(&["NO_PROXY", "no_proxy"])
            .map(|v| {
                v.split(',')
                    .map(|s| s.trim().trim_start_matches('.').to_ascii_lowercase())
                    .filter(|s| !s.is_empty())
                    .collect()
            })
            .unwrap_or_default();
        Proxies {
            http: get(&["http_proxy"]).and_then(parse),
            https: get(&["HTTPS_PROXY", "https_proxy"]).and_then(parse),
            no_proxy,
        }
    }

    /// The proxy for `target`, unless NO_PROXY names its host.
    pub(crate) fn for_target(&self, target: &Target) -> Option<&Target> {
        let proxy = match target.origin.scheme {
            Scheme::Http => self.http.as_ref(),
            Scheme::Https => self.https.as_ref(),
        }?;
        let host = target.origin.host.as_str();
        let bypass = self.no_proxy.iter().any(|entry| {
            let entry = entry.split(':').next().unwrap_or(entry).trim_matches(['[', ']']);
            entry == "*" || host == entry || host.ends_with(&format!(".{entry}"))
        });
        if bypass { None } else { Some(proxy) }
    }
}

/// `Proxy-Authorization` from the proxy URL's userinfo.
pub(crate) fn add_proxy_auth(headers: &mut HeaderMap, proxy: &Target) {
    if let Some(v) = proxy.basic_auth.as_deref().and_then(|a| HeaderValue::from_str(a).ok()) {
        headers.insert(PROXY_AUTHORIZATION, v);
    }
}

/// Opens a `CONNECT` tunnel to `target` through the proxy connection `conn`.
pub(crate) async fn tunnel(conn: &mut H1Conn, proxy: &Target, target: &Target, t: &Timeouts) -> Result<()> {
    let authority = if target.origin.host.contains(':') {
        format!("[{}]:{}", target.origin.host, target.origin.port)
    } else {
        format!("{}:{}", target.origin.host, target.origin.port)
    };
    let mut headers = HeaderMap::new();
    add_proxy_auth(&mut headers, proxy);
    let head = RequestHead { method: &Method::CONNECT, target: &authority, host: &authority, headers: &headers };
    conn.write_request(&head, &mut http_core::Body::empty(), t).await?;
    let parsed = conn.read_head(&Method::CONNECT, &ResponseLimits::default(), t, &mut Vec::new()).await?;
    if parsed.status != StatusCode::OK || !conn.rbuf.is_empty() {
        return Err(Error::new(ErrorKind::Connect, format!("proxy refused CONNECT {authority}: {}", parsed.status)));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(vars: &[(&str, &str)]) -> Proxies {
        let vars: Vec<(String, String)> = vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        Proxies::from_lookup(move |name| vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()))
    }

    fn via(p: &Proxies, url: &str) -> Option<String> {
        p.for_target(&Target::parse(url).unwrap()).map(|t| t.authority.clone())
    }

    #[test]
    fn environment_rules() {
        let p = env(&[
            ("HTTP_PROXY", "http://upper:1"),
            ("https_proxy", "proxy:3128"),
            ("no_proxy", "internal.example, .corp,10.0.0.1"),
        ]);
        assert_eq!(via(&p, "http://a.example/"), None, "HTTP_PROXY (upper case) is not read");
        assert_eq!(via(&p, "https://a.example/").as_deref(), Some("proxy:3128"));
        for direct in
            ["https://internal.example/", "https://x.internal.example/", "https://a.corp/", "https://10.0.0.1/"]
        {
            assert_eq!(via(&p, direct), None, "{direct}");
        }
        assert_eq!(via(&p, "https://notinternal.example/").as_deref(), Some("proxy:3128"));
        let p = env(&[
            ("http_proxy", "http://u:p@lower:8080"),
            ("HTTPS_PROXY", "http://big:1"),
            ("https_proxy", "http://small:2"),
            ("NO_PROXY", "*"),
        ]);
        assert_eq!(via(&p, "http://a/"), None, "* bypasses every host");
        let p = env(&[
            ("http_proxy", "http://u:p@lower:8080"),
            ("HTTPS_PROXY", "http://big:1"),
            ("https_proxy", "http://small:2"),
        ]);
        assert_eq!(via(&p, "http://a/").as_deref(), Some("lower:8080"));
        assert_eq!(via(&p, "https://a/").as_deref(), Some("big:1"), "HTTPS_PROXY first");
        let mut h = HeaderMap::new();
        add_proxy_auth(&mut h, p.for_target(&Target::parse("http://a/").unwrap()).unwrap());
        assert_eq!(h[PROXY_AUTHORIZATION], "Basic dTpw");
        assert_eq!(
            via(&env(&[("http_proxy", "https://secure:1")]), "http://a/"),
            None,
            "https proxies are not supported"
        );
    }
}
