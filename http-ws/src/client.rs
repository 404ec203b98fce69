//! The client side: the HTTP/1.1 opening handshake over any I/O (RFC 6455 §4.1) and
//! [`connect`] for `ws://` and `wss://` URLs over TCP (TLS via rustls, trusting the
//! webpki-roots set unless a custom `rustls::ClientConfig` is given).
//!
//! Over HTTP/2 (RFC 8441), [`Client::handshake_h2`] opens an extended CONNECT stream on an
//! `h2` client connection and runs the WebSocket over it ([`H2Stream`]).

use crate::config::Config;
use crate::deflate::{self, DeflateConfig};
use crate::error::{Error, HandshakeError};
use crate::handshake::{accept_key, has_token};
use crate::{H2Stream, Role, WebSocket};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use bytes::{Bytes, BytesMut};
use http::header::{
    CONNECTION, HOST, SEC_WEBSOCKET_ACCEPT, SEC_WEBSOCKET_EXTENSIONS, SEC_WEBSOCKET_PROTOCOL, SEC_WEBSOCKET_VERSION,
    UPGRADE,
};
use http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, Uri, Version};
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::TcpStream;

/// Largest handshake response head accepted.
const MAX_RESPONSE_HEAD: usize = 16 << 10;

/// Client settings: connection [`Config`], subprotocols to offer, the permessage-deflate
/// offer, extra request headers and (with the `tls` feature) the TLS configuration.
///
/// ```no_run
/// # async fn f() -> Result<(), http_ws::Error> {
/// let client = http_ws::client::Client::new()
///     .protocols(["chat"])
///     .deflate(Some(http_ws::DeflateConfig::default()));
/// let mut ws = client.connect("wss://example.com/socket").await?;
/// ws.send(http_ws::Message::text("hi")).await?;
/// # Ok(()) }
/// ```
#[derive(Clone, Default)]
pub struct Client {
    config: Config,
    protocols: Vec<String>,
    deflate: Option<DeflateConfig>,
    headers: HeaderMap,
    #[cfg(feature = "tls")]
    tls: Option<std::sync::Arc<rustls::ClientConfig>>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("config", &self.config)
            .field("protocols", &self.protocols)
            .field("deflate", &self.deflate)
            .finish()
    }
}

impl Client {
    /// Defaults: [`Config::default`], no subprotocols, no deflate offer, no extra headers.
    ///
    /// ```
    /// let c = http_ws::client::Client::new();
    /// # let _ = c;
    /// ```
    pub fn new() -> Self {
        Self::default()
    }

    /// Connection settings. Default [`Config::default`].
    ///
    /// ```
    /// let c = http_ws::client::Client::new().config(http_ws::Config::default());
    /// # let _ = c;
    /// ```
    pub fn config(mut self, config: Config) -> Self {
        self.config = config;
        self
    }

    /// Subprotocols to offer, in order of preference. Default none.
    ///
    /// ```
    /// let c = http_ws::client::Client::new().protocols(["v2", "v1"]);
    /// # let _ = c;
    /// ```
    pub fn protocols<I, S>(mut self, protocols: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.protocols = protocols.into_iter().map(Into::into).collect();
        self
    }

    /// The permessage-deflate offer; `None` offers nothing. Default `None`.
    ///
    /// ```
    /// let c = http_ws::client::Client::new().deflate(Some(Default::default()));
    /// # let _ = c;
    /// ```
    pub fn deflate(mut self, deflate: Option<DeflateConfig>) -> Self {
        self.deflate = deflate;
        self
    }

    /// Extra request headers (a `Host` here replaces the one derived from the URL).
    /// Default none.
    ///
    /// ```
    /// let mut h = http::HeaderMap::new();
    /// h.insert("authorization", "Bearer x".parse().unwrap());
    /// let c = http_ws::client::Client::new().headers(h);
    /// # let _ = c;
    /// ```
    pub fn headers(mut self, headers: HeaderMap) -> Self {
        self.headers = headers;
        self
    }

    /// The TLS configuration for `wss://` (a custom root store, client certificates). Its
    /// ALPN list should be empty or `http/1.1`. Default: rustls with the webpki-roots
    /// trust anchors.
    ///
    /// ```
    /// let roots = rustls::RootCertStore::empty();
    /// let tls = rustls::ClientConfig::builder_with_provider(std::sync::Arc::new(rustls::crypto::ring::default_provider()))
    ///     .with_safe_default_protocol_versions().unwrap()
    ///     .with_root_certificates(roots)
    ///     .with_no_client_auth();
    /// let c = http_ws::client::Client::new().tls_config(std::sync::Arc::new(tls));
    /// # let _ = c;
    /// ```
    #[cfg(feature = "tls")]
    pub fn tls_config(mut self, tls: std::sync::Arc<rustls::ClientConfig>) -> Self {
        self.tls = Some(tls);
        self
    }

    /// Runs the HTTP/1.1 opening handshake over `io` for `uri` (only its path, query and
    /// authority are used). Returns the socket and the server's response head.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    /// let addr = listener.local_addr().unwrap();
    /// tokio::spawn(http_ws::testing::serve_echo(listener));
    /// let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    /// let uri: http::Uri = format!("ws://{addr}/").parse().unwrap();
    /// let (ws, resp) = http_ws::client::Client::new().handshake(tcp, &uri).await.unwrap();
    /// assert_eq!(resp.status(), 101);
    /// # drop(ws);
    /// # }
    /// ```
    pub async fn handshake<IO>(&self, mut io: IO, uri: &Uri) -> Result<(WebSocket<IO>, http::Response<()>), Error>
    where
        IO: AsyncRead + AsyncWrite + Unpin,
    {
        let mut raw = [0u8; 16];
        getrandom::getrandom(&mut raw).map_err(|e| Error::Io(io::Error::other(e.to_string())))?;
        let key = STANDARD.encode(raw);
        let request = self.request_head(uri, &key)?;
        io.write_all(&request).await?;
        io.flush().await?;

        let mut buf = BytesMut::with_capacity(4096);
        let (response, head_len) = loop {
            if io.read_buf(&mut buf).await? == 0 {
                return Err(Error::AbnormalClosure);
            }
            if let Some(parsed) = parse_response(&buf)? {
                break parsed;
            }
            if buf.len() > MAX_RESPONSE_HEAD {
                return Err(HandshakeError::BadResponse.into());
            }
        };
        let leftover = buf.split_off(head_len);
        let config = self.check_response(&response, &key)?;
        Ok((WebSocket::from_parts(io, Role::Client, config, leftover), response))
    }

    fn request_head(&self, uri: &Uri, key: &str) -> Result<Vec<u8>, Error> {
        let authority = uri.authority().ok_or_else(|| HandshakeError::InvalidUrl(uri.to_string()))?;
        let path = uri.path_and_query().map_or("/", |p| p.as_str());
        let mut req = format!(
            "GET {path} HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
        )
        .into_bytes();
        if !self.headers.contains_key(HOST) {
            req.extend_from_slice(format!("Host: {authority}\r\n").as_bytes());
        }
        if !self.protocols.is_empty() {
            req.extend_from_slice(format!("Sec-WebSocket-Protocol: {}\r\n", self.protocols.join(", ")).as_bytes());
        }
        if let Some(d) = &self.deflate {
            req.extend_from_slice(format!("Sec-WebSocket-Extensions: {}\r\n", deflate::client_offer(d)).as_bytes());
        }
        for (name, value) in &self.headers {
            req.extend_from_slice(name.as_str().as_bytes());
            req.extend_from_slice(b": ");
            req.extend_from_slice(value.as_bytes());
            req.extend_from_slice(b"\r\n");
        }
        req.extend_from_slice(b"\r\n");
        Ok(req)
    }

    fn check_response(&self, resp: &http::Response<()>, key: &str) -> Result<Config, HandshakeError> {
        if resp.status() != StatusCode::SWITCHING_PROTOCOLS {
            return Err(HandshakeError::Status(resp.status()));
        }
        let h = resp.headers();
        if !has_token(h, UPGRADE, "websocket") || !has_token(h, CONNECTION, "upgrade") {
            return Err(HandshakeError::NotUpgraded);
        }
        if h.get(SEC_WEBSOCKET_ACCEPT).map(HeaderValue::as_bytes) != Some(accept_key(key.as_bytes()).as_bytes()) {
            return Err(HandshakeError::BadAccept);
        }
        self.negotiated(h)
    }

    /// The subprotocol and extension checks both HTTP versions share.
    fn negotiated(&self, h: &HeaderMap) -> Result<Config, HandshakeError> {
        let mut config = self.config.clone();
        config.protocol = match h.get(SEC_WEBSOCKET_PROTOCOL) {
            None => None,
            Some(p) => {
                let p = p.to_str().map_err(|_| HandshakeError::BadProtocol)?;
                if !self.protocols.iter().any(|o| o == p) {
                    return Err(HandshakeError::BadProtocol);
                }
                Some(p.to_owned())
            }
        };
        config.deflate = deflate::client_accept(self.deflate.as_ref(), h).map_err(HandshakeError::BadExtension)?;
        Ok(config)
    }

    /// Opens a WebSocket as an extended CONNECT stream on an HTTP/2 connection (RFC 8441
    /// §4–§5): `:protocol websocket`, `sec-websocket-version: 13`, the subprotocol and
    /// deflate offers, and a 200 answer. `uri`'s scheme (`ws`/`http` or `wss`/`https`),
    /// authority and path become the pseudo-headers. The connection (the future
    /// `h2::client::handshake` returned next to `send_request`) must run in its own task.
    /// Waits up to one second for the server's SETTINGS to enable extended CONNECT.
    ///
    /// ```no_run
    /// # async fn f() -> Result<(), Box<dyn std::error::Error>> {
    /// let tcp = tokio::net::TcpStream::connect("127.0.0.1:8080").await?;
    /// let (send_request, conn) = h2::client::handshake(tcp).await?;
    /// tokio::spawn(conn);
    /// let uri = "ws://127.0.0.1:8080/chat".parse()?;
    /// let (mut ws, _resp) = http_ws::client::Client::new().handshake_h2(send_request, &uri).await?;
    /// ws.send(http_ws::Message::text("over h2")).await?;
    /// # Ok(()) }
    /// ```
    pub async fn handshake_h2(
        &self,
        send_request: h2::client::SendRequest<Bytes>,
        uri: &Uri,
    ) -> Result<(WebSocket<H2Stream>, http::Response<()>), Error> {
        let h2_err = |e: h2::Error| Error::Io(io::Error::other(e));
        let mut send_request = send_request.ready().await.map_err(h2_err)?;
        let waited = std::time::Instant::now();
        while !send_request.is_extended_connect_protocol_enabled() {
            if waited.elapsed() > std::time::Duration::from_secs(1) {
                return Err(HandshakeError::NoExtendedConnect.into());
            }
            tokio::time::sleep(std::time::Duration::from_millis(1)).await;
        }
        let scheme = match uri.scheme_str() {
            Some("wss" | "https") => "https",
            _ => "http",
        };
        let authority = uri.authority().ok_or_else(|| HandshakeError::InvalidUrl(uri.to_string()))?;
        let path = uri.path_and_query().map_or("/", |p| p.as_str());
        let target: Uri =
            format!("{scheme}://{authority}{path}").parse().map_err(|_| HandshakeError::InvalidUrl(uri.to_string()))?;
        let mut req = http::Request::new(());
        *req.method_mut() = Method::CONNECT;
        *req.uri_mut() = target;
        *req.version_mut() = Version::HTTP_2;
        req.extensions_mut().insert(h2::ext::Protocol::from_static("websocket"));
        let h = req.headers_mut();
        h.insert(SEC_WEBSOCKET_VERSION, HeaderValue::from_static("13"));
        if !self.protocols.is_empty() {
            h.insert(
                SEC_WEBSOCKET_PROTOCOL,
                HeaderValue::from_str(&self.protocols.join(", ")).map_err(|_| HandshakeError::BadProtocol)?,
            );
        }
        if let Some(d) = &self.deflate {
            h.insert(
                SEC_WEBSOCKET_EXTENSIONS,
                HeaderValue::from_str(&deflate::client_offer(d)).expect("built from tokens"),
            );
        }
        for (name, value) in &self.headers {
            if name != HOST {
                h.append(name, value.clone());
            }
        }
        let (response, send) = send_request.send_request(req, false).map_err(h2_err)?;
        let (parts, recv) = response.await.map_err(h2_err)?.into_parts();
        let response = http::Response::from_parts(parts, ());
        if response.status() != StatusCode::OK {
            return Err(HandshakeError::Status(response.status()).into());
        }
        let config = self.negotiated(response.headers())?;
        Ok((WebSocket::from_upgraded(H2Stream::new(send, recv), Role::Client, config), response))
    }

    /// Connects to a `ws://` or `wss://` URL over TCP (TLS for `wss://`) and runs the
    /// handshake.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    /// let url = format!("ws://{}/", listener.local_addr().unwrap());
    /// tokio::spawn(http_ws::testing::serve_echo(listener));
    /// let ws = http_ws::client::Client::new().connect(&url).await.unwrap();
    /// assert_eq!(ws.protocol(), None);
    /// # }
    /// ```
    pub async fn connect(&self, url: &str) -> Result<WebSocket<ClientStream>, Error> {
        let bad = || Error::Handshake(HandshakeError::InvalidUrl(url.to_owned()));
        let uri: Uri = url.parse().map_err(|_| bad())?;
        let tls = match uri.scheme_str() {
            Some("ws") => false,
            Some("wss") => true,
            _ => return Err(bad()),
        };
        let host = uri.host().ok_or_else(bad)?;
        let port = uri.port_u16().unwrap_or(if tls { 443 } else { 80 });
        let bare = host.trim_start_matches('[').trim_end_matches(']');
        let tcp = TcpStream::connect((bare, port)).await?;
        tcp.set_nodelay(true)?;
        let stream = if tls { self.tls_connect(tcp, bare).await? } else { ClientStream::Plain(tcp) };
        Ok(self.handshake(stream, &uri).await?.0)
    }

    #[cfg(feature = "tls")]
    async fn tls_connect(&self, tcp: TcpStream, host: &str) -> Result<ClientStream, Error> {
        let config = match &self.tls {
            Some(c) => c.clone(),
            None => default_tls_config()?,
        };
        let name = rustls::pki_types::ServerName::try_from(host.to_owned())
            .map_err(|_| HandshakeError::InvalidUrl(host.to_owned()))?;
        let stream = tokio_rustls::TlsConnector::from(config).connect(name, tcp).await?;
        Ok(ClientStream::Tls(Box::new(stream)))
    }

    #[cfg(not(feature = "tls"))]
    async fn tls_connect(&self, _tcp: TcpStream, host: &str) -> Result<ClientStream, Error> {
        Err(HandshakeError::InvalidUrl(format!("wss://{host} needs the `tls` feature")).into())
    }
}

#[cfg(feature = "tls")]
fn default_tls_config() -> Result<std::sync::Arc<rustls::ClientConfig>, Error> {
    static CONFIG: std::sync::OnceLock<std::sync::Arc<rustls::ClientConfig>> = std::sync::OnceLock::new();
    if let Some(c) = CONFIG.get() {
        return Ok(c.clone());
    }
    let roots = rustls::RootCertStore { roots: webpki_roots::TLS_SERVER_ROOTS.to_vec() };
    let mut config =
        rustls::ClientConfig::builder_with_provider(std::sync::Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .map_err(io::Error::other)?
            .with_root_certificates(roots)
            .with_no_client_auth();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(CONFIG.get_or_init(|| std::sync::Arc::new(config)).clone())
}

/// Parses a complete response head: the response and the head's length.
fn parse_response(buf: &[u8]) -> Result<Option<(http::Response<()>, usize)>, HandshakeError> {
    let mut headers = [httparse::EMPTY_HEADER; 64];
    let mut parsed = httparse::Response::new(&mut headers);
    let len = match parsed.parse(buf) {
        Ok(httparse::Status::Complete(n)) => n,
        Ok(httparse::Status::Partial) => return Ok(None),
        Err(_) => return Err(HandshakeError::BadResponse),
    };
    let status = parsed.code.and_then(|c| StatusCode::from_u16(c).ok()).ok_or(HandshakeError::BadResponse)?;
    let mut resp = http::Response::new(());
    *resp.status_mut() = status;
    for h in parsed.headers.iter() {
        let name = HeaderName::from_bytes(h.name.as_bytes()).map_err(|_| HandshakeError::BadResponse)?;
        let value = HeaderValue::from_bytes(h.value).map_err(|_| HandshakeError::BadResponse)?;
        resp.headers_mut().append(name, value);
    }
    Ok(Some((resp, len)))
}

/// Runs the HTTP/1.1 handshake over `io` with default settings plus `headers`.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
/// let addr = listener.local_addr().unwrap();
/// tokio::spawn(http_ws::testing::serve_echo(listener));
/// let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
/// let uri = format!("ws://{addr}/chat").parse().unwrap();
/// let mut ws = http_ws::client::handshake(tcp, &uri, http::HeaderMap::new()).await.unwrap();
/// ws.send(http_ws::Message::text("hi")).await.unwrap();
/// # }
/// ```
pub async fn handshake<IO>(io: IO, uri: &Uri, headers: HeaderMap) -> Result<WebSocket<IO>, Error>
where
    IO: AsyncRead + AsyncWrite + Unpin,
{
    Ok(Client::new().headers(headers).handshake(io, uri).await?.0)
}

/// Connects to a `ws://` or `wss://` URL with default settings.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let err = http_ws::client::connect("http://example.com/").await.unwrap_err();
/// assert!(matches!(err, http_ws::Error::Handshake(http_ws::HandshakeError::InvalidUrl(_))));
/// # }
/// ```
pub async fn connect(url: &str) -> Result<WebSocket<ClientStream>, Error> {
    Client::new().connect(url).await
}

/// The connection [`connect`] makes: plain TCP or TLS over TCP.
#[derive(Debug)]
pub enum ClientStream {
    /// `ws://`
    Plain(TcpStream),
    /// `wss://`
    #[cfg(feature = "tls")]
    Tls(Box<tokio_rustls::client::TlsStream<TcpStream>>),
}

impl AsyncRead for ClientStream {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            ClientStream::Plain(s) => Pin::new(s).poll_read(cx, buf),
            #[cfg(feature = "tls")]
            ClientStream::Tls(s) => Pin::new(s).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for ClientStream {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            ClientStream::Plain(s) => Pin::new(s).poll_write(cx, buf),
            #[cfg(feature = "tls")]
            ClientStream::Tls(s) => Pin::new(s).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            ClientStream::Plain(s) => Pin::new(s).poll_flush(cx),
            #[cfg(feature = "tls")]
            ClientStream::Tls(s) => Pin::new(s).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            ClientStream::Plain(s) => Pin::new(s).poll_shutdown(cx),
            #[cfg(feature = "tls")]
            ClientStream::Tls(s) => Pin::new(s).poll_shutdown(cx),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "dGhlIHNhbXBsZSBub25jZQ==";
    const ACCEPT: &str = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";

    fn response(head: &str) -> http::Response<()> {
        let raw = format!("{head}\r\n\r\n");
        let (resp, len) = parse_response(raw.as_bytes()).unwrap().unwrap();
        assert_eq!(len, raw.len());
        resp
    }

    #[test]
    fn response_checks() {
        let ok = format!(
            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {ACCEPT}"
        );
        let client = Client::new().protocols(["a", "b"]).deflate(Some(DeflateConfig::default()));
        let cases: Vec<(String, Result<(), HandshakeError>)> = vec![
            (ok.clone(), Ok(())),
            (format!("{ok}\r\nSec-WebSocket-Protocol: b\r\nSec-WebSocket-Extensions: permessage-deflate"), Ok(())),
            ("HTTP/1.1 403 Forbidden".into(), Err(HandshakeError::Status(StatusCode::FORBIDDEN))),
            (ok.replace("Upgrade: websocket\r\n", ""), Err(HandshakeError::NotUpgraded)),
            (ok.replace("Connection: Upgrade", "Connection: keep-alive"), Err(HandshakeError::NotUpgraded)),
            (ok.replace(ACCEPT, "AAAAAAAAAAAAAAAAAAAAAAAAAAA="), Err(HandshakeError::BadAccept)),
            (ok.replace(&format!("\r\nSec-WebSocket-Accept: {ACCEPT}"), ""), Err(HandshakeError::BadAccept)),
            (format!("{ok}\r\nSec-WebSocket-Protocol: c"), Err(HandshakeError::BadProtocol)),
            (
                format!("{ok}\r\nSec-WebSocket-Extensions: x-foo"),
                Err(HandshakeError::BadExtension("x-foo was not offered".into())),
            ),
        ];
        for (head, want) in cases {
            let got = client.check_response(&response(&head), KEY).map(|_| ());
            assert_eq!(got, want, "{head}");
        }
        // without an offer, any extension in the answer fails
        let plain = Client::new();
        let answer = format!("{ok}\r\nSec-WebSocket-Extensions: permessage-deflate");
        assert!(matches!(plain.check_response(&response(&answer), KEY), Err(HandshakeError::BadExtension(_))));
        assert!(matches!(parse_response(b"HTTP/1.1 101 Switching"), Ok(None)));
        assert_eq!(parse_response(b"garbage\r\n\r\n").unwrap_err(), HandshakeError::BadResponse);
    }

    #[test]
    fn request_head_carries_the_offers() {
        let mut headers = HeaderMap::new();
        headers.insert("authorization", HeaderValue::from_static("Bearer t"));
        let client = Client::new().protocols(["v2", "v1"]).deflate(Some(DeflateConfig::default())).headers(headers);
        let uri: Uri = "ws://example.com:8080/chat?room=1".parse().unwrap();
        let head = String::from_utf8(client.request_head(&uri, KEY).unwrap()).unwrap();
        for line in [
            "GET /chat?room=1 HTTP/1.1\r\n",
            "Host: example.com:8080\r\n",
            "Upgrade: websocket\r\n",
            "Connection: Upgrade\r\n",
            "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n",
            "Sec-WebSocket-Version: 13\r\n",
            "Sec-WebSocket-Protocol: v2, v1\r\n",
            "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n",
            "authorization: Bearer t\r\n",
        ] {
            assert!(head.contains(line), "{line:?} missing from {head:?}");
        }
        assert!(head.ends_with("\r\n\r\n"));
    }
}
