//! Cookies: parsing the `Cookie` request header (RFC 6265 §5.4, tolerant of what browsers
//! really send) and building `Set-Cookie` response headers (RFC 6265 §4.1).
//!
//! Parsing never fails and never panics: a malformed cookie is skipped, the rest are kept.
//! The rules (HTTP.jl's and Go's, which agree):
//! - pairs are split on `;` (every `Cookie` header field is read: HTTP/2 clients send one
//!   field per cookie), spaces and tabs around them are trimmed, empty pairs are skipped;
//! - a pair without `=` is a cookie with that name and an empty value;
//! - the name must be an RFC 9110 token, or the pair is skipped;
//! - one pair of double quotes around the value is removed;
//! - a value with bytes outside 0x20–0x7E, or with `"`, `;` or `\`, is skipped (spaces and
//!   commas, which browsers do send, are kept);
//! - duplicates are all kept, in the order sent (browsers send the most specific path first).

use std::fmt;
use std::time::{Duration, SystemTime};

use http_core::{HeaderMap, HeaderValue, Request, header};

/// One cookie from a `Cookie` header.
///
/// ```
/// let c = &http_router::parse_cookies("id=42")[0];
/// assert_eq!((c.name.as_str(), c.value.as_str()), ("id", "42"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cookie {
    /// The name.
    pub name: String,
    /// The value, without surrounding quotes.
    pub value: String,
}

fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

fn is_token(s: &[u8]) -> bool {
    !s.is_empty() && s.iter().copied().all(is_tchar)
}

fn trim(mut s: &[u8]) -> &[u8] {
    while let [b' ' | b'\t', rest @ ..] = s {
        s = rest;
    }
    while let [rest @ .., b' ' | b'\t'] = s {
        s = rest;
    }
    s
}

fn parse_into(out: &mut Vec<Cookie>, header: &[u8]) {
    for part in header.split(|&b| b == b';') {
        let part = trim(part);
        if part.is_empty() {
            continue;
        }
        let (name, value) = match part.iter().position(|&b| b == b'=') {
            Some(i) => (trim(&part[..i]), trim(&part[i + 1..])),
            None => (part, &b""[..]),
        };
        if !is_token(name) {
            continue;
        }
        let value = match value {
            [b'"', inner @ .., b'"'] => inner,
            v => v,
        };
        if !value.iter().all(|&b| (0x20..=0x7e).contains(&b) && !matches!(b, b'"' | b';' | b'\\')) {
            continue;
        }
        // Both parts are ASCII by now, so these conversions cannot fail.
        if let (Ok(n), Ok(v)) = (std::str::from_utf8(name), std::str::from_utf8(value)) {
            out.push(Cookie { name: n.to_owned(), value: v.to_owned() });
        }
    }
}

/// Parses one `Cookie` header value.
///
/// ```
/// use http_router::parse_cookies;
/// let got: Vec<_> = parse_cookies(r#" a=1; b="two" ;; bad name=x; c"#)
///     .into_iter()
///     .map(|c| (c.name, c.value))
///     .collect();
/// assert_eq!(got, [("a".into(), "1".into()), ("b".into(), "two".into()), ("c".into(), String::new())]);
/// ```
pub fn parse_cookies(header: &str) -> Vec<Cookie> {
    let mut out = Vec::new();
    parse_into(&mut out, header.as_bytes());
    out
}

/// HTTP.jl's `getcookies(req)` / `HTTP.Cookies.cookies(req)`: every cookie of every
/// `Cookie` field of a request's headers (`req.headers()`, or `&s.startread().headers` on a
/// stream).
///
/// ```
/// use http_core::{Method, Request};
/// let mut req = Request::new(Method::GET, "/").with_header("cookie", "sid=abc; theme=dark");
/// req.headers_mut().append("cookie", "c=3".parse().unwrap());
/// let names: Vec<_> = http_router::cookies_from(req.headers()).into_iter().map(|c| c.name).collect();
/// assert_eq!(names, ["sid", "theme", "c"]);
/// ```
pub fn cookies_from(headers: &HeaderMap) -> Vec<Cookie> {
    let mut out = Vec::new();
    for v in headers.get_all(header::COOKIE) {
        parse_into(&mut out, v.as_bytes());
    }
    out
}

/// The value of the first cookie called `name`.
///
/// ```
/// use http_core::{Method, Request};
/// let req = Request::new(Method::GET, "/").with_header("cookie", "sid=abc; sid=shadowed");
/// assert_eq!(http_router::getcookie(&req, "sid").as_deref(), Some("abc"));
/// assert_eq!(http_router::getcookie(&req, "missing"), None);
/// ```
pub fn getcookie(req: &Request, name: &str) -> Option<String> {
    cookies_from(req.headers()).into_iter().find(|c| c.name == name).map(|c| c.value)
}

/// The `SameSite` attribute.
///
/// ```
/// use http_router::{SameSite, SetCookie};
/// let strict = SetCookie::new("a", "1").same_site(SameSite::Strict).header_value().unwrap();
/// assert_eq!(strict, "a=1; SameSite=Strict");
/// // `SameSite=None` is only accepted together with `Secure`
/// assert!(SetCookie::new("a", "1").same_site(SameSite::None).header_value().is_err());
/// assert!(SetCookie::new("a", "1").same_site(SameSite::None).secure().header_value().is_ok());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SameSite {
    /// Sent only with same-site requests.
    Strict,
    /// Also sent with top-level navigations from other sites.
    Lax,
    /// Sent with every request; browsers require `Secure` with it.
    None,
}

/// Why a [`SetCookie`] cannot be sent.
///
/// ```
/// let err = http_router::SetCookie::new("bad name", "v").header_value().unwrap_err();
/// assert!(err.to_string().contains("cookie name"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CookieError(String);

impl fmt::Display for CookieError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for CookieError {}

/// A `Set-Cookie` header builder.
///
/// ```
/// use std::time::Duration;
/// use http_router::{SameSite, SetCookie};
/// let c = SetCookie::new("sid", "abc123")
///     .path("/")
///     .domain("example.com")
///     .max_age(Duration::from_secs(3600))
///     .secure()
///     .http_only()
///     .same_site(SameSite::Lax);
/// assert_eq!(
///     c.header_value().unwrap(),
///     "sid=abc123; Path=/; Domain=example.com; Max-Age=3600; Secure; HttpOnly; SameSite=Lax"
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetCookie {
    name: String,
    value: String,
    path: Option<String>,
    domain: Option<String>,
    max_age: Option<Duration>,
    expires: Option<SystemTime>,
    secure: bool,
    http_only: bool,
    same_site: Option<SameSite>,
}

impl SetCookie {
    /// A cookie `name=value` with no attributes (a session cookie for the current path).
    ///
    /// ```
    /// let v = http_router::SetCookie::new("theme", "dark").header_value().unwrap();
    /// assert_eq!(v, "theme=dark");
    /// ```
    pub fn new(name: impl Into<String>, value: impl Into<String>) -> Self {
        SetCookie {
            name: name.into(),
            value: value.into(),
            path: None,
            domain: None,
            max_age: None,
            expires: None,
            secure: false,
            http_only: false,
            same_site: None,
        }
    }

    /// A header that deletes cookie `name`: empty value, `Max-Age=0` and an `Expires` in
    /// 1970. Give it the same `path` and `domain` the cookie was set with.
    ///
    /// ```
    /// let v = http_router::SetCookie::removal("sid").path("/").header_value().unwrap();
    /// assert_eq!(v, "sid=; Path=/; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT");
    /// ```
    pub fn removal(name: impl Into<String>) -> Self {
        SetCookie::new(name, "").max_age(Duration::ZERO).expires(SystemTime::UNIX_EPOCH)
    }

    /// The `Path` attribute.
    ///
    /// ```
    /// let v = http_router::SetCookie::new("a", "b").path("/app").header_value().unwrap();
    /// assert_eq!(v, "a=b; Path=/app");
    /// ```
    pub fn path(mut self, path: impl Into<String>) -> Self {
        self.path = Some(path.into());
        self
    }

    /// The `Domain` attribute.
    ///
    /// ```
    /// let v = http_router::SetCookie::new("a", "b").domain("example.com").header_value().unwrap();
    /// assert_eq!(v, "a=b; Domain=example.com");
    /// ```
    pub fn domain(mut self, domain: impl Into<String>) -> Self {
        self.domain = Some(domain.into());
        self
    }

    /// The `Max-Age` attribute, in whole seconds (zero deletes the cookie).
    ///
    /// ```
    /// use std::time::Duration;
    /// let v = http_router::SetCookie::new("a", "b").max_age(Duration::from_secs(60)).header_value().unwrap();
    /// assert_eq!(v, "a=b; Max-Age=60");
    /// ```
    pub fn max_age(mut self, max_age: Duration) -> Self {
        self.max_age = Some(max_age);
        self
    }

    /// The `Expires` attribute, as an HTTP date.
    ///
    /// ```
    /// use std::time::{Duration, SystemTime};
    /// let at = SystemTime::UNIX_EPOCH + Duration::from_secs(784111777);
    /// let v = http_router::SetCookie::new("a", "b").expires(at).header_value().unwrap();
    /// assert_eq!(v, "a=b; Expires=Sun, 06 Nov 1994 08:49:37 GMT");
    /// ```
    pub fn expires(mut self, at: SystemTime) -> Self {
        self.expires = Some(at);
        self
    }

    /// The `Secure` attribute: sent over HTTPS only.
    ///
    /// ```
    /// let v = http_router::SetCookie::new("a", "b").secure().header_value().unwrap();
    /// assert_eq!(v, "a=b; Secure");
    /// ```
    pub fn secure(mut self) -> Self {
        self.secure = true;
        self
    }

    /// The `HttpOnly` attribute: hidden from scripts.
    ///
    /// ```
    /// let v = http_router::SetCookie::new("a", "b").http_only().header_value().unwrap();
    /// assert_eq!(v, "a=b; HttpOnly");
    /// ```
    pub fn http_only(mut self) -> Self {
        self.http_only = true;
        self
    }

    /// The `SameSite` attribute. `SameSite::None` needs [`secure`](SetCookie::secure).
    ///
    /// ```
    /// use http_router::{SameSite, SetCookie};
    /// let v = SetCookie::new("a", "b").same_site(SameSite::Lax).header_value().unwrap();
    /// assert_eq!(v, "a=b; SameSite=Lax");
    /// ```
    pub fn same_site(mut self, same_site: SameSite) -> Self {
        self.same_site = Some(same_site);
        self
    }

    /// The header value, checked: the name must be a token; the value may hold cookie
    /// octets, and spaces or commas (then it is sent quoted); attributes may not contain
    /// `;` or control characters; `SameSite=None` requires `Secure`.
    ///
    /// ```
    /// use http_router::SetCookie;
    /// assert_eq!(SetCookie::new("msg", "hello world").header_value().unwrap(), "msg=\"hello world\"");
    /// assert!(SetCookie::new("a", "b;c").header_value().is_err());
    /// assert!(SetCookie::new("a", "b").path("/x;y").header_value().is_err());
    /// ```
    pub fn header_value(&self) -> Result<HeaderValue, CookieError> {
        if !is_token(self.name.as_bytes()) {
            return Err(CookieError(format!("invalid cookie name `{}`", self.name.escape_debug())));
        }
        let cookie_octet = |b: u8| matches!(b, 0x21 | 0x23..=0x2b | 0x2d..=0x3a | 0x3c..=0x5b | 0x5d..=0x7e);
        let v = self.value.as_bytes();
        if !v.iter().all(|&b| cookie_octet(b) || b == b' ' || b == b',') {
            return Err(CookieError(format!("invalid cookie value `{}`", self.value.escape_debug())));
        }
        for (attr, val) in [("Path", &self.path), ("Domain", &self.domain)] {
            let bad = |v: &String| v.bytes().any(|b| b == b';' || b.is_ascii_control() || !b.is_ascii());
            if let Some(val) = val.as_ref().filter(|v| bad(v)) {
                return Err(CookieError(format!("invalid {attr} `{}`", val.escape_debug())));
            }
        }
        if self.same_site == Some(SameSite::None) && !self.secure {
            return Err(CookieError("SameSite=None requires Secure".into()));
        }
        HeaderValue::from_str(&self.to_string()).map_err(|e| CookieError(e.to_string()))
    }

    /// Appends this cookie as a `Set-Cookie` field to `headers`.
    ///
    /// ```
    /// use http_core::{Response, StatusCode};
    /// let mut resp = Response::new(StatusCode::OK);
    /// http_router::SetCookie::new("a", "1").append_to(resp.headers_mut()).unwrap();
    /// http_router::SetCookie::new("b", "2").append_to(resp.headers_mut()).unwrap();
    /// assert_eq!(resp.headers().get_all("set-cookie").iter().count(), 2);
    /// ```
    pub fn append_to(&self, headers: &mut HeaderMap) -> Result<(), CookieError> {
        headers.append(header::SET_COOKIE, self.header_value()?);
        Ok(())
    }
}

/// The header text, unchecked (see [`SetCookie::header_value`]).
impl fmt::Display for SetCookie {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.value.contains([' ', ',']) {
            write!(f, "{}=\"{}\"", self.name, self.value)?;
        } else {
            write!(f, "{}={}", self.name, self.value)?;
        }
        if let Some(p) = &self.path {
            write!(f, "; Path={p}")?;
        }
        if let Some(d) = &self.domain {
            write!(f, "; Domain={d}")?;
        }
        if let Some(age) = self.max_age {
            write!(f, "; Max-Age={}", age.as_secs())?;
        }
        if let Some(at) = self.expires {
            write!(f, "; Expires={}", httpdate::fmt_http_date(at))?;
        }
        if self.secure {
            f.write_str("; Secure")?;
        }
        if self.http_only {
            f.write_str("; HttpOnly")?;
        }
        match self.same_site {
            Some(SameSite::Strict) => f.write_str("; SameSite=Strict"),
            Some(SameSite::Lax) => f.write_str("; SameSite=Lax"),
            Some(SameSite::None) => f.write_str("; SameSite=None"),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_panics_on_any_byte() {
        let mut out = Vec::new();
        for b in 0..=255u8 {
            for input in [vec![b], vec![b'a', b'=', b], vec![b, b'=', b'"', b], vec![b'"', b]] {
                parse_into(&mut out, &input);
            }
        }
        assert!(out.iter().all(|c| !c.name.is_empty()));
    }

    #[test]
    fn quoted_value_needs_both_quotes() {
        let got = parse_cookies("a=\"x; b=\"; c=\"\"");
        let pairs: Vec<_> = got.iter().map(|c| (c.name.as_str(), c.value.as_str())).collect();
        assert_eq!(pairs, [("c", "")]);
    }

    #[test]
    fn display_quotes_spaces() {
        assert_eq!(SetCookie::new("a", "b c").header_value().unwrap(), "a=\"b c\"");
    }
}
