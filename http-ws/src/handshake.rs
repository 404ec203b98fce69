//! The server side of the opening handshake, as pure functions of the request head:
//! HTTP/1.1 Upgrade (RFC 6455 §4.2) and HTTP/2 extended CONNECT (RFC 8441 §4–§5).
//!
//! [`Accept::accept`] checks the request and returns either the answer to send (status,
//! headers) with the negotiated [`Config`], or a [`Rejection`] that maps to an HTTP error
//! answer. Nothing here does I/O: the HTTP server sends the answer and hands the upgraded
//! connection to [`crate::WebSocket::from_upgraded`].
//!
//! Subprotocols: the server lists what it speaks. With [`ProtocolOrder::Client`] (the
//! default) the first protocol in the client's `Sec-WebSocket-Protocol` order that the
//! server speaks wins; with [`ProtocolOrder::Server`] the first of the server's list that
//! the client offered wins. When nothing matches the handshake still succeeds, without a
//! `Sec-WebSocket-Protocol` answer (the client then decides whether to go on, §4.1).

use crate::config::Config;
use crate::deflate::{self, DeflateConfig};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use http::header::{
    ALLOW, CONNECTION, HeaderName, HeaderValue, ORIGIN, SEC_WEBSOCKET_ACCEPT, SEC_WEBSOCKET_EXTENSIONS,
    SEC_WEBSOCKET_KEY, SEC_WEBSOCKET_PROTOCOL, SEC_WEBSOCKET_VERSION, UPGRADE,
};
use http::{HeaderMap, Method, StatusCode, Version};
use sha1::{Digest, Sha1};
use std::fmt;
use std::sync::Arc;

const GUID: &[u8] = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/// `Sec-WebSocket-Accept` for a `Sec-WebSocket-Key`: base64(SHA-1(key + GUID)) (§4.2.2).
///
/// ```
/// // RFC 6455 §1.3
/// assert_eq!(http_ws::accept_key(b"dGhlIHNhbXBsZSBub25jZQ=="), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
/// ```
pub fn accept_key(key: &[u8]) -> String {
    let mut h = Sha1::new();
    h.update(key);
    h.update(GUID);
    STANDARD.encode(h.finalize())
}

/// Whether a comma-separated header (all its lines) contains `token`, case-insensitively.
pub(crate) fn has_token(headers: &HeaderMap, name: HeaderName, token: &str) -> bool {
    headers
        .get_all(name)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|t| t.trim().eq_ignore_ascii_case(token))
}

/// The parts of a request the handshake looks at.
///
/// ```
/// use http::{HeaderMap, Method, Version};
/// let headers = HeaderMap::new();
/// let h1 = http_ws::RequestHead::new(&Method::GET, Version::HTTP_11, &headers);
/// let h2 = http_ws::RequestHead::new(&Method::CONNECT, Version::HTTP_2, &headers).with_protocol("websocket");
/// assert_eq!(h2.protocol, Some("websocket"));
/// # let _ = h1;
/// ```
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct RequestHead<'a> {
    /// The request method.
    pub method: &'a Method,
    /// The HTTP version; `HTTP_2` means an extended CONNECT is expected.
    pub version: Version,
    /// The request headers.
    pub headers: &'a HeaderMap,
    /// HTTP/2 only: the `:protocol` pseudo-header.
    pub protocol: Option<&'a str>,
}

impl<'a> RequestHead<'a> {
    /// A request head without a `:protocol` pseudo-header.
    ///
    /// ```
    /// let h = http::HeaderMap::new();
    /// let head = http_ws::RequestHead::new(&http::Method::GET, http::Version::HTTP_11, &h);
    /// assert!(head.protocol.is_none());
    /// ```
    pub fn new(method: &'a Method, version: Version, headers: &'a HeaderMap) -> Self {
        RequestHead { method, version, headers, protocol: None }
    }

    /// Sets the HTTP/2 `:protocol` pseudo-header.
    ///
    /// ```
    /// let h = http::HeaderMap::new();
    /// let head = http_ws::RequestHead::new(&http::Method::CONNECT, http::Version::HTTP_2, &h).with_protocol("websocket");
    /// assert_eq!(head.protocol, Some("websocket"));
    /// ```
    pub fn with_protocol(mut self, protocol: &'a str) -> Self {
        self.protocol = Some(protocol);
        self
    }
}

/// Which side's preference picks the subprotocol (see the module docs).
///
/// ```
/// assert_eq!(http_ws::ProtocolOrder::default(), http_ws::ProtocolOrder::Client);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ProtocolOrder {
    /// The first protocol in the client's order that the server speaks.
    #[default]
    Client,
    /// The first protocol in the server's list that the client offered.
    Server,
}

/// A handshake refused; [`Rejection::status`] and [`Rejection::headers`] give the answer.
///
/// ```
/// use http_ws::Rejection;
/// assert_eq!(Rejection::UnsupportedVersion.status().as_u16(), 426);
/// assert_eq!(Rejection::UnsupportedVersion.headers()["sec-websocket-version"], "13");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Rejection {
    /// HTTP/1.1 with a method other than GET: 405 with `Allow: GET`.
    MethodNotAllowed,
    /// HTTP/1.1 without `Upgrade: websocket` and `Connection: upgrade` (or HTTP/1.0):
    /// 426 with `Upgrade: websocket`.
    NotUpgrade,
    /// `Sec-WebSocket-Version` missing or not 13: 426 with `Sec-WebSocket-Version: 13`.
    UnsupportedVersion,
    /// HTTP/1.1 without `Sec-WebSocket-Key`: 400.
    MissingKey,
    /// A `Sec-WebSocket-Key` that is not 16 bytes in base64, or repeated: 400.
    InvalidKey,
    /// HTTP/2 with a method other than CONNECT: 400 (HTTP/2 has no Upgrade header).
    Http2NotConnect,
    /// HTTP/2 CONNECT whose `:protocol` is not `websocket`: 400.
    Http2WrongProtocol,
    /// The origin check refused the request's `Origin`: 403.
    OriginRejected,
}

impl Rejection {
    /// The status to answer with.
    ///
    /// ```
    /// assert_eq!(http_ws::Rejection::MissingKey.status(), http::StatusCode::BAD_REQUEST);
    /// ```
    pub fn status(&self) -> StatusCode {
        match self {
            Rejection::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Rejection::NotUpgrade | Rejection::UnsupportedVersion => StatusCode::UPGRADE_REQUIRED,
            Rejection::OriginRejected => StatusCode::FORBIDDEN,
            _ => StatusCode::BAD_REQUEST,
        }
    }

    /// The headers to answer with.
    ///
    /// ```
    /// assert_eq!(http_ws::Rejection::NotUpgrade.headers()["upgrade"], "websocket");
    /// ```
    pub fn headers(&self) -> HeaderMap {
        let mut h = HeaderMap::new();
        match self {
            Rejection::MethodNotAllowed => {
                h.insert(ALLOW, HeaderValue::from_static("GET"));
            }
            Rejection::NotUpgrade => {
                h.insert(UPGRADE, HeaderValue::from_static("websocket"));
                h.insert(CONNECTION, HeaderValue::from_static("Upgrade"));
            }
            Rejection::UnsupportedVersion => {
                h.insert(SEC_WEBSOCKET_VERSION, HeaderValue::from_static("13"));
            }
            _ => {}
        }
        h
    }
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = match self {
            Rejection::MethodNotAllowed => "websocket handshake requires GET",
            Rejection::NotUpgrade => "not a websocket upgrade request",
            Rejection::UnsupportedVersion => "unsupported Sec-WebSocket-Version (13 required)",
            Rejection::MissingKey => "missing Sec-WebSocket-Key",
            Rejection::InvalidKey => "invalid Sec-WebSocket-Key",
            Rejection::Http2NotConnect => "HTTP/2 websocket requires extended CONNECT",
            Rejection::Http2WrongProtocol => "HTTP/2 CONNECT :protocol is not websocket",
            Rejection::OriginRejected => "origin not allowed",
        };
        f.write_str(s)
    }
}

impl std::error::Error for Rejection {}

/// A successful handshake: the answer to send and the connection's settings.
#[derive(Debug, Clone)]
pub struct Accepted {
    /// 101 Switching Protocols on HTTP/1.1, 200 OK on HTTP/2.
    pub status: StatusCode,
    /// The answer's headers (Upgrade/Connection/Accept on HTTP/1.1; the subprotocol and
    /// extension on both).
    pub headers: HeaderMap,
    /// [`Accept`]'s settings with the negotiated subprotocol and deflate parameters, for
    /// [`crate::WebSocket::from_upgraded`].
    pub config: Config,
}

type OriginCheck = Arc<dyn Fn(Option<&HeaderValue>) -> bool + Send + Sync>;

/// The server's handshake policy: connection settings, subprotocols, permessage-deflate,
/// and an origin check.
///
/// ```
/// use http::{HeaderMap, Method, Version};
/// let accept = http_ws::Accept::new().protocols(["chat.v2", "chat.v1"]);
/// let mut h = HeaderMap::new();
/// h.insert("upgrade", "websocket".parse().unwrap());
/// h.insert("connection", "Upgrade".parse().unwrap());
/// h.insert("sec-websocket-version", "13".parse().unwrap());
/// h.insert("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ==".parse().unwrap());
/// h.insert("sec-websocket-protocol", "chat.v1, chat.v2".parse().unwrap());
/// let ok = accept.accept(&http_ws::RequestHead::new(&Method::GET, Version::HTTP_11, &h)).unwrap();
/// assert_eq!(ok.status, 101);
/// assert_eq!(ok.headers["sec-websocket-accept"], "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
/// assert_eq!(ok.config.protocol.as_deref(), Some("chat.v1")); // the client's order
/// ```
#[derive(Clone)]
pub struct Accept {
    config: Config,
    protocols: Vec<String>,
    order: ProtocolOrder,
    deflate: Option<DeflateConfig>,
    origin: Option<OriginCheck>,
}

impl Default for Accept {
    fn default() -> Self {
        Accept {
            config: Config::default(),
            protocols: Vec::new(),
            order: ProtocolOrder::Client,
            deflate: Some(DeflateConfig::default()),
            origin: None,
        }
    }
}

impl fmt::Debug for Accept {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Accept")
            .field("config", &self.config)
            .field("protocols", &self.protocols)
            .field("order", &self.order)
            .field("deflate", &self.deflate)
            .field("origin_check", &self.origin.is_some())
            .finish()
    }
}

impl Accept {
    /// Default policy: [`Config::default`], no subprotocols, permessage-deflate accepted
    /// with [`DeflateConfig::default`], any origin.
    ///
    /// ```
    /// let a = http_ws::Accept::new();
    /// # let _ = a;
    /// ```
    pub fn new() -> Self {
        Self::default()
    }

    /// Connection settings (limits, timeouts). Default [`Config::default`].
    ///
    /// ```
    /// let mut c = http_ws::Config::default();
    /// c.max_message_size = 1 << 20;
    /// let a = http_ws::Accept::new().config(c);
    /// # let _ = a;
    /// ```
    pub fn config(mut self, config: Config) -> Self {
        self.config = config;
        self
    }

    /// The subprotocols this server speaks, in its order of preference. Default none.
    ///
    /// ```
    /// let a = http_ws::Accept::new().protocols(["graphql-ws"]);
    /// # let _ = a;
    /// ```
    pub fn protocols<I, S>(mut self, protocols: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.protocols = protocols.into_iter().map(Into::into).collect();
        self
    }

    /// Whose order picks the subprotocol. Default [`ProtocolOrder::Client`].
    ///
    /// ```
    /// let a = http_ws::Accept::new().protocol_order(http_ws::ProtocolOrder::Server);
    /// # let _ = a;
    /// ```
    pub fn protocol_order(mut self, order: ProtocolOrder) -> Self {
        self.order = order;
        self
    }

    /// permessage-deflate policy; `None` declines every offer. Default
    /// `Some(DeflateConfig::default())`.
    ///
    /// ```
    /// let a = http_ws::Accept::new().deflate(None);
    /// # let _ = a;
    /// ```
    pub fn deflate(mut self, deflate: Option<DeflateConfig>) -> Self {
        self.deflate = deflate;
        self
    }

    /// An origin check: called with the request's `Origin` (if any); `false` refuses the
    /// handshake with 403. Default: every origin is allowed.
    ///
    /// ```
    /// let a = http_ws::Accept::new()
    ///     .check_origin(|o| o.is_some_and(|o| o == "https://example.com"));
    /// # let _ = a;
    /// ```
    pub fn check_origin(mut self, f: impl Fn(Option<&HeaderValue>) -> bool + Send + Sync + 'static) -> Self {
        self.origin = Some(Arc::new(f));
        self
    }

    /// Checks a handshake request; see the module docs.
    ///
    /// ```
    /// use http::{HeaderMap, Method, Version};
    /// let h = HeaderMap::new();
    /// let head = http_ws::RequestHead::new(&Method::GET, Version::HTTP_11, &h);
    /// assert_eq!(http_ws::Accept::new().accept(&head).unwrap_err(), http_ws::Rejection::NotUpgrade);
    /// ```
    pub fn accept(&self, head: &RequestHead<'_>) -> Result<Accepted, Rejection> {
        let h = head.headers;
        let mut out = HeaderMap::new();
        let status = if head.version == Version::HTTP_2 {
            if head.method != Method::CONNECT {
                return Err(Rejection::Http2NotConnect);
            }
            if !head.protocol.is_some_and(|p| p.eq_ignore_ascii_case("websocket")) {
                return Err(Rejection::Http2WrongProtocol);
            }
            self.check_version(h)?;
            StatusCode::OK
        } else {
            if head.method != Method::GET {
                return Err(Rejection::MethodNotAllowed);
            }
            if head.version < Version::HTTP_11
                || !has_token(h, UPGRADE, "websocket")
                || !has_token(h, CONNECTION, "upgrade")
            {
                return Err(Rejection::NotUpgrade);
            }
            self.check_version(h)?;
            let mut keys = h.get_all(SEC_WEBSOCKET_KEY).iter();
            let key = keys.next().ok_or(Rejection::MissingKey)?;
            let decoded = STANDARD.decode(key.as_bytes().trim_ascii()).map_err(|_| Rejection::InvalidKey)?;
            if decoded.len() != 16 || keys.next().is_some() {
                return Err(Rejection::InvalidKey);
            }
            out.insert(UPGRADE, HeaderValue::from_static("websocket"));
            out.insert(CONNECTION, HeaderValue::from_static("Upgrade"));
            let accept = accept_key(key.as_bytes().trim_ascii());
            out.insert(SEC_WEBSOCKET_ACCEPT, HeaderValue::from_str(&accept).expect("base64 is a valid header value"));
            StatusCode::SWITCHING_PROTOCOLS
        };
        if self.origin.as_ref().is_some_and(|check| !check(h.get(ORIGIN))) {
            return Err(Rejection::OriginRejected);
        }
        let mut config = self.config.clone();
        config.protocol = self.pick_protocol(h);
        if let Some(p) = &config.protocol {
            out.insert(
                SEC_WEBSOCKET_PROTOCOL,
                HeaderValue::from_str(p).expect("offered by the client as a header value"),
            );
        }
        config.deflate = None;
        if let Some((params, response)) = self.deflate.as_ref().and_then(|policy| deflate::negotiate_server(policy, h))
        {
            out.insert(SEC_WEBSOCKET_EXTENSIONS, HeaderValue::from_str(&response).expect("built from tokens"));
            config.deflate = Some(params);
        }
        Ok(Accepted { status, headers: out, config })
    }

    fn check_version(&self, h: &HeaderMap) -> Result<(), Rejection> {
        match h.get(SEC_WEBSOCKET_VERSION) {
            Some(v) if v.as_bytes().trim_ascii() == b"13" => Ok(()),
            _ => Err(Rejection::UnsupportedVersion),
        }
    }

    fn pick_protocol(&self, h: &HeaderMap) -> Option<String> {
        let offered: Vec<&str> = h
            .get_all(SEC_WEBSOCKET_PROTOCOL)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .collect();
        match self.order {
            ProtocolOrder::Client => {
                offered.iter().find(|o| self.protocols.iter().any(|p| p == *o)).map(|s| s.to_string())
            }
            ProtocolOrder::Server => self.protocols.iter().find(|p| offered.contains(&p.as_str())).cloned(),
        }
    }
}

#[cfg(test)]
#[allow(clippy::type_complexity)] // case tables
mod tests {
    use super::*;

    fn h1_headers(extra: &[(&str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in [
            ("upgrade", "websocket"),
            ("connection", "keep-alive, Upgrade"),
            ("sec-websocket-version", "13"),
            ("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ=="),
        ] {
            h.insert(HeaderName::from_static(k), HeaderValue::from_static(v));
        }
        for (k, v) in extra {
            let name = HeaderName::from_bytes(k.as_bytes()).unwrap();
            if v.is_empty() {
                h.remove(&name);
            } else {
                h.insert(name, HeaderValue::from_str(v).unwrap());
            }
        }
        h
    }

    #[test]
    fn http1_rejection_table() {
        let a = Accept::new();
        let get = Method::GET;
        let v11 = Version::HTTP_11;
        // (method, version, header changes ("" removes), expected)
        let cases: &[(&Method, Version, &[(&str, &str)], Result<StatusCode, Rejection>)] = &[
            (&get, v11, &[], Ok(StatusCode::SWITCHING_PROTOCOLS)),
            (&get, v11, &[("upgrade", "WebSocket")], Ok(StatusCode::SWITCHING_PROTOCOLS)),
            (&Method::POST, v11, &[], Err(Rejection::MethodNotAllowed)),
            (&get, Version::HTTP_10, &[], Err(Rejection::NotUpgrade)),
            (&get, v11, &[("upgrade", "")], Err(Rejection::NotUpgrade)),
            (&get, v11, &[("upgrade", "h2c")], Err(Rejection::NotUpgrade)),
            (&get, v11, &[("connection", "keep-alive")], Err(Rejection::NotUpgrade)),
            (&get, v11, &[("sec-websocket-version", "8")], Err(Rejection::UnsupportedVersion)),
            (&get, v11, &[("sec-websocket-version", "")], Err(Rejection::UnsupportedVersion)),
            (&get, v11, &[("sec-websocket-key", "")], Err(Rejection::MissingKey)),
            (&get, v11, &[("sec-websocket-key", "not base64!")], Err(Rejection::InvalidKey)),
            (&get, v11, &[("sec-websocket-key", "AAAA")], Err(Rejection::InvalidKey)), // 3 bytes
        ];
        for (m, v, changes, want) in cases {
            let h = h1_headers(changes);
            let got = a.accept(&RequestHead::new(m, *v, &h)).map(|ok| ok.status);
            assert_eq!(got, *want, "{m} {v:?} {changes:?}");
        }
        assert_eq!(Rejection::NotUpgrade.status(), 426);
        assert_eq!(Rejection::MissingKey.status(), 400);
        assert_eq!(Rejection::InvalidKey.status(), 400);
    }

    #[test]
    fn http2_extended_connect() {
        let a = Accept::new().protocols(["p"]);
        let mut h = HeaderMap::new();
        h.insert(SEC_WEBSOCKET_VERSION, HeaderValue::from_static("13"));
        h.insert(SEC_WEBSOCKET_PROTOCOL, HeaderValue::from_static("p"));
        h.insert(SEC_WEBSOCKET_EXTENSIONS, HeaderValue::from_static("permessage-deflate"));
        let ok = a.accept(&RequestHead::new(&Method::CONNECT, Version::HTTP_2, &h).with_protocol("websocket")).unwrap();
        assert_eq!(ok.status, StatusCode::OK);
        assert!(ok.headers.get(UPGRADE).is_none() && ok.headers.get(SEC_WEBSOCKET_ACCEPT).is_none());
        assert_eq!(ok.headers[SEC_WEBSOCKET_PROTOCOL], "p");
        assert_eq!(ok.headers[SEC_WEBSOCKET_EXTENSIONS], "permessage-deflate");
        assert!(ok.config.deflate.is_some());
        let get = a.accept(&RequestHead::new(&Method::GET, Version::HTTP_2, &h)).unwrap_err();
        assert_eq!(
            (get, get.status(), get.headers().get(UPGRADE)),
            (Rejection::Http2NotConnect, StatusCode::BAD_REQUEST, None)
        );
        let wrong =
            a.accept(&RequestHead::new(&Method::CONNECT, Version::HTTP_2, &h).with_protocol("chat")).unwrap_err();
        assert_eq!(wrong, Rejection::Http2WrongProtocol);
        let no_proto = a.accept(&RequestHead::new(&Method::CONNECT, Version::HTTP_2, &h)).unwrap_err();
        assert_eq!(no_proto, Rejection::Http2WrongProtocol);
    }

    #[test]
    fn subprotocol_order_and_origin() {
        let h = h1_headers(&[("sec-websocket-protocol", "b, a"), ("origin", "https://evil.example")]);
        let head = RequestHead::new(&Method::GET, Version::HTTP_11, &h);
        let pick = |a: Accept| a.accept(&head).unwrap().config.protocol;
        assert_eq!(pick(Accept::new().protocols(["a", "b"])), Some("b".into()));
        assert_eq!(pick(Accept::new().protocols(["a", "b"]).protocol_order(ProtocolOrder::Server)), Some("a".into()));
        assert_eq!(pick(Accept::new().protocols(["c"])), None);
        assert_eq!(pick(Accept::new()), None);
        let strict = Accept::new().check_origin(|o| o.is_some_and(|o| o == "https://good.example"));
        assert_eq!(strict.accept(&head).unwrap_err(), Rejection::OriginRejected);
        assert_eq!(Rejection::OriginRejected.status(), 403);
        let no_deflate = Accept::new().deflate(None);
        let h = h1_headers(&[("sec-websocket-extensions", "permessage-deflate")]);
        let ok = no_deflate.accept(&RequestHead::new(&Method::GET, Version::HTTP_11, &h)).unwrap();
        assert!(ok.headers.get(SEC_WEBSOCKET_EXTENSIONS).is_none() && ok.config.deflate.is_none());
    }
}
