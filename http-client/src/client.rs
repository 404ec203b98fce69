//! [`Client`] and [`RequestBuilder`]: a request goes out over a pooled connection (HTTP/2
//! shared per origin, HTTP/1.1 one at a time), is retried once on a new connection when
//! it is idempotent and the server did not process it, and follows redirects as the
//! [`Policy`](crate::redirect::Policy) says.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use http::header::{self, HeaderMap, HeaderName, HeaderValue};
use http::{Method, StatusCode, Version};
use http_core::engine::h1::ResponseLimits;
use tokio::time::Instant;

use http_core::Body;

use crate::body::try_clone;
use crate::builder::{ClientBuilder, HttpVersion};
use crate::connect::{self, Io, TlsConfigs};
use crate::decode::ContentDecoder;
use crate::error::{Error, ErrorKind, Result};
use crate::h1::{H1Conn, RequestHead, Timeouts};
use crate::pool::Pool;
use crate::redirect::Policy;
use crate::response::{H1Body, Hop, Response, Source};
use crate::url::{Scheme, Target};

/// A redirect's body read and discarded up to this size so its connection can be reused.
const DRAIN_LIMIT: u64 = 64 * 1024;

/// A pooled HTTP client; clones share the pool.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// # let server = http_server::Server::serve(http_server::ServerOptions::new().host("127.0.0.1").port(0), |_: http_core::Request| async { "hi" }).await.unwrap();
/// let client = http_client::Client::new();
/// let res = client.get(&server.url()).header("x-trace", "1").send().await.unwrap();
/// assert_eq!(res.text().await.unwrap(), "hi");
/// # server.forceclose().await;
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct Client {
    pub(crate) inner: Arc<ClientInner>,
}

#[derive(Debug)]
pub(crate) struct ClientInner {
    pub(crate) pool: Pool,
    pub(crate) tls: TlsConfigs,
    pub(crate) connect_timeout: Duration,
    pub(crate) read_timeout: Option<Duration>,
    pub(crate) total_timeout: Option<Duration>,
    pub(crate) redirect: Policy,
    pub(crate) version: HttpVersion,
    pub(crate) max_head_bytes: usize,
    pub(crate) max_body_bytes: Option<u64>,
    pub(crate) headers: HeaderMap,
    pub(crate) decompress: bool,
    pub(crate) proxies: crate::proxy::Proxies,
}

/// A request ready to go.
#[derive(Debug)]
pub struct Request {
    method: Method,
    url: String,
    headers: HeaderMap,
    body: Body,
    timeout: Option<Duration>,
}

impl Request {
    /// A request with no headers and no body.
    ///
    /// ```
    /// let req = http_client::Request::new(http_client::Method::GET, "http://example.com/");
    /// assert_eq!(req.method(), "GET");
    /// ```
    pub fn new(method: Method, url: &str) -> Self {
        Request { method, url: url.to_owned(), headers: HeaderMap::new(), body: Body::empty(), timeout: None }
    }

    /// The method.
    pub fn method(&self) -> &Method {
        &self.method
    }

    /// The URL.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The header fields.
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// The header fields, to change.
    pub fn headers_mut(&mut self) -> &mut HeaderMap {
        &mut self.headers
    }

    /// Replaces the body.
    pub fn set_body(&mut self, body: impl Into<Body>) {
        self.body = body.into();
    }
}

impl Default for Client {
    fn default() -> Self {
        Client::new()
    }
}

impl Client {
    /// A client with the default settings (see [`ClientBuilder`]).
    ///
    /// # Panics
    /// When the TLS configuration cannot be built, which the defaults never cause.
    pub fn new() -> Self {
        ClientBuilder::default().build().expect("the default client configuration builds")
    }

    /// A builder.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// A process-wide client for the one-line functions ([`get`](crate::get), [`request`](crate::request)).
    pub(crate) fn shared() -> &'static Client {
        static SHARED: OnceLock<Client> = OnceLock::new();
        SHARED.get_or_init(Client::new)
    }

    /// A request with `method` to `url`.
    pub fn request(&self, method: Method, url: &str) -> RequestBuilder {
        RequestBuilder { client: self.clone(), request: Request::new(method, url), error: None }
    }

    /// A GET request.
    pub fn get(&self, url: &str) -> RequestBuilder {
        self.request(Method::GET, url)
    }

    /// A POST request.
    pub fn post(&self, url: &str) -> RequestBuilder {
        self.request(Method::POST, url)
    }

    /// A PUT request.
    pub fn put(&self, url: &str) -> RequestBuilder {
        self.request(Method::PUT, url)
    }

    /// A DELETE request.
    pub fn delete(&self, url: &str) -> RequestBuilder {
        self.request(Method::DELETE, url)
    }

    /// A HEAD request.
    pub fn head(&self, url: &str) -> RequestBuilder {
        self.request(Method::HEAD, url)
    }

    /// Sends `req`, follows redirects, and returns the response with its body unread.
    pub async fn execute(&self, req: Request) -> Result<Response> {
        let url = req.url.clone();
        let total = req.timeout.or(self.inner.total_timeout);
        let deadline = total.map(|d| Instant::now() + d);
        let t = Timeouts { read: self.inner.read_timeout, deadline };
        let run = self.follow(req, t);
        match deadline {
            None => run.await,
            Some(d) => tokio::time::timeout_at(d, run).await.unwrap_or_else(|_| {
                Err(Error::new(ErrorKind::Timeout, format!("total time limit ({:?})", total.unwrap_or_default())))
            }),
        }
        .map_err(|e| e.with_url(&url))
    }

    async fn follow(&self, req: Request, t: Timeouts) -> Result<Response> {
        let Request { mut method, url, mut headers, mut body, .. } = req;
        let mut target = Target::parse(&url)?;
        let mut history = Vec::new();
        let policy = self.inner.redirect;
        loop {
            let replay = try_clone(&body);
            let res = self.send(&method, &target, &headers, body, &t).await.map_err(|e| e.with_url(&target))?;
            let location = res.headers.get(header::LOCATION).and_then(|l| l.to_str().ok()).map(str::to_owned);
            let redirect = matches!(res.status.as_u16(), 301 | 302 | 303 | 307 | 308);
            let (Some(location), true, true) = (location, redirect, policy.follows()) else {
                let mut res = res;
                history.append(&mut res.history);
                res.history = history;
                return Ok(res);
            };
            let hops = history.iter().filter(|h: &&Hop| h.status.is_redirection()).count();
            if hops >= policy.max() {
                return Err(
                    Error::new(ErrorKind::Redirect, format!("too many redirects ({})", policy.max())).with_url(&target)
                );
            }
            let mut next = target.join(&location).map_err(|e| Error::new(ErrorKind::Redirect, e).with_url(&target))?;
            let status = res.status;
            let mut res = res;
            history.append(&mut res.history);
            history.push(Hop {
                version: res.version,
                status,
                reason: res.reason.clone(),
                headers: res.headers.clone(),
            });
            res.drain(DRAIN_LIMIT).await;
            let to_get = status == StatusCode::SEE_OTHER && method != Method::HEAD
                || matches!(status.as_u16(), 301 | 302) && method == Method::POST;
            body = if to_get {
                method = Method::GET;
                for name in
                    [header::CONTENT_TYPE, header::CONTENT_LENGTH, header::CONTENT_ENCODING, header::TRANSFER_ENCODING]
                {
                    headers.remove(name);
                }
                Body::empty()
            } else {
                match replay {
                    Some(b) => b,
                    // A streamed body cannot be sent again, so the redirect cannot be followed.
                    None => {
                        return Err(Error::new(ErrorKind::Redirect, "cannot resend a streamed body").with_url(&target));
                    }
                }
            };
            if next.origin != target.origin {
                headers.remove(header::AUTHORIZATION);
                headers.remove(header::COOKIE);
            } else if next.basic_auth.is_none() {
                // The URL's credentials stay with its origin too.
                next.basic_auth = target.basic_auth.take();
            }
            target = next;
        }
    }

    /// One exchange, retried once on a new connection when the server did not process it.
    async fn send(
        &self,
        method: &Method,
        target: &Target,
        headers: &HeaderMap,
        body: Body,
        t: &Timeouts,
    ) -> Result<Response> {
        let idempotent = matches!(
            *method,
            Method::GET | Method::HEAD | Method::PUT | Method::DELETE | Method::OPTIONS | Method::TRACE
        );
        let mut headers = self.merged_headers(headers);
        // Decode only what this client asked for: a caller's own Accept-Encoding means the
        // caller decodes.
        let decode = self.inner.decompress && !headers.contains_key(header::ACCEPT_ENCODING);
        if decode {
            headers.insert(header::ACCEPT_ENCODING, HeaderValue::from_static(crate::decode::ACCEPT_ENCODING));
        }
        if let Some(auth) = target.basic_auth.as_ref().filter(|_| !headers.contains_key(header::AUTHORIZATION)) {
            let value = HeaderValue::from_str(auth).map_err(|e| Error::new(ErrorKind::Builder, e))?;
            headers.insert(header::AUTHORIZATION, value);
        }
        let replay = try_clone(&body);
        let mut res = match self.send_once(method, target, &headers, body, t, false).await {
            Err(e) if e.may_retry(idempotent) && replay.is_some() => {
                tracing::debug!("retrying on a new connection: {e}");
                self.send_once(method, target, &headers, replay.unwrap_or_default(), t, true).await
            }
            other => other,
        }?;
        if decode && *method != Method::HEAD {
            res.decoder = ContentDecoder::for_headers(&res.headers);
        }
        Ok(res)
    }

    fn merged_headers(&self, headers: &HeaderMap) -> HeaderMap {
        let mut merged = self.inner.headers.clone();
        for name in headers.keys() {
            merged.remove(name);
        }
        for (name, value) in headers {
            merged.append(name.clone(), value.clone());
        }
        merged
    }

    async fn send_once(
        &self,
        method: &Method,
        target: &Target,
        headers: &HeaderMap,
        mut body: Body,
        t: &Timeouts,
        fresh: bool,
    ) -> Result<Response> {
        let pool = &self.inner.pool;
        let proxy = self.inner.proxies.for_target(target);
        // Plain HTTP through a proxy: connections to the proxy are pooled and shared by
        // every target; a CONNECT tunnel belongs to its target's origin.
        let forward = proxy.filter(|_| target.origin.scheme == Scheme::Http);
        let origin = forward.map_or(&target.origin, |p| &p.origin);
        // A pooled HTTP/2 connection first; an idle HTTP/1.1 connection is taken off the
        // pool only when it will be used (never popped and dropped).
        let pooled = if fresh {
            None
        } else {
            pool.h2(origin).map(|h2| Conn::H2(h2, true)).or_else(|| pool.take_h1(origin).map(Conn::H1))
        };
        let conn = match pooled {
            Some(conn) => conn,
            None => match pool.h2_gate(origin, self.inner.version == HttpVersion::Http2PriorKnowledge) {
                None => self.connect(target, proxy).await?,
                Some(gate) => {
                    // One HTTP/2 handshake per origin at a time; whoever waited shares it.
                    let _connecting = gate.lock().await;
                    match pool.h2(origin).filter(|_| !fresh) {
                        Some(h2) => Conn::H2(h2, true),
                        None => self.connect(target, proxy).await?,
                    }
                }
            },
        };
        let mut res = Response {
            status: StatusCode::OK,
            version: Version::HTTP_11,
            reason: String::new(),
            headers: HeaderMap::new(),
            url: target.to_string(),
            source: Source::Empty,
            trailers: None,
            timeouts: *t,
            reused: false,
            history: Vec::new(),
            max_body: self.inner.max_body_bytes,
            received: 0,
            max_trailer_bytes: self.inner.max_head_bytes,
            decoder: None,
        };
        match conn {
            Conn::H2(handle, reused) => {
                let sent = crate::h2::send(&handle, method.clone(), target.uri()?, headers, body, t).await;
                let r = sent.inspect_err(|e| {
                    if e.kind() != ErrorKind::Timeout {
                        pool.drop_h2(origin);
                    }
                })?;
                let (parts, recv) = r.into_parts();
                res.status = parts.status;
                res.version = Version::HTTP_2;
                res.headers = parts.headers;
                res.reused = reused;
                res.source =
                    if recv.is_end_stream() || *method == Method::HEAD { Source::Empty } else { Source::H2(recv) };
            }
            Conn::H1(mut conn) => {
                let absolute;
                let mut with_auth;
                let (request_target, headers) = match forward {
                    Some(p) => {
                        absolute = target.to_string();
                        with_auth = headers.clone();
                        crate::proxy::add_proxy_auth(&mut with_auth, p);
                        (absolute.as_str(), &with_auth)
                    }
                    None => (target.path_and_query.as_str(), headers),
                };
                let head = RequestHead { method, target: request_target, host: &target.authority, headers };
                conn.write_request(&head, &mut body, t).await?;
                let limits = ResponseLimits { max_head_bytes: self.inner.max_head_bytes, ..ResponseLimits::default() };
                let parsed = conn.read_head(method, &limits, t, &mut res.history).await?;
                res.status = parsed.status;
                res.version = parsed.version;
                res.reason = parsed.reason;
                res.headers = parsed.headers;
                res.reused = conn.reused;
                let decoder = match parsed.body {
                    Some(len) => http_core::engine::h1::BodyDecoder::new(len),
                    None => http_core::engine::h1::BodyDecoder::until_close(),
                };
                let done = decoder.is_done();
                let body =
                    H1Body { conn, decoder, keep_alive: parsed.keep_alive, pool: pool.clone(), origin: origin.clone() };
                res.source = Source::H1(Box::new(body));
                if done {
                    // No body: read its (empty) end now so the connection goes back.
                    let _ = res.chunk().await?;
                }
            }
        }
        Ok(res)
    }

    async fn connect(&self, target: &Target, proxy: Option<&Target>) -> Result<Conn> {
        let inner = &self.inner;
        let origin = &target.origin;
        let t = Timeouts { read: Some(inner.connect_timeout), deadline: None };
        let mut tcp = connect::tcp(proxy.map_or(origin, |p| &p.origin), inner.connect_timeout).await?;
        let (io, h2) = match origin.scheme {
            Scheme::Http => (Io::Tcp(tcp), proxy.is_none() && inner.version == HttpVersion::Http2PriorKnowledge),
            Scheme::Https => {
                if let Some(p) = proxy {
                    let mut conn = H1Conn::new(Io::Tcp(tcp));
                    crate::proxy::tunnel(&mut conn, p, target, &t).await?;
                    tcp = conn.into_tcp().ok_or_else(|| Error::new(ErrorKind::Connect, "proxy tunnel"))?;
                }
                let config = match inner.version {
                    HttpVersion::Http1Only => inner.tls.h1.clone(),
                    HttpVersion::Auto => inner.tls.h2_and_h1.clone(),
                    HttpVersion::Http2PriorKnowledge => inner.tls.h2.clone(),
                };
                connect::tls(tcp, origin, config, inner.connect_timeout).await?
            }
        };
        if h2 {
            let handle = crate::h2::handshake(io, &t).await?;
            inner.pool.put_h2(origin.clone(), handle.clone());
            Ok(Conn::H2(handle, false))
        } else {
            Ok(Conn::H1(H1Conn::new(io)))
        }
    }
}

enum Conn {
    H1(H1Conn),
    /// The handle, and whether it was pooled.
    H2(crate::h2::H2Handle, bool),
}

/// A request being built; [`send`](Self::send) sends it.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// # let server = http_server::Server::serve(http_server::ServerOptions::new().host("127.0.0.1").port(0), |mut req: http_core::Request| async move { req.take_body().collect(1 << 20).await.unwrap() }).await.unwrap();
/// let res = http_client::Client::new()
///     .post(&server.url())
///     .json(&serde_json::json!({"a": 1}))
///     .send()
///     .await
///     .unwrap();
/// assert_eq!(res.text().await.unwrap(), r#"{"a":1}"#);
/// # server.forceclose().await;
/// # }
/// ```
#[derive(Debug)]
pub struct RequestBuilder {
    client: Client,
    request: Request,
    error: Option<Error>,
}

impl RequestBuilder {
    /// Adds a header field (repeatable).
    pub fn header(mut self, name: &str, value: &str) -> Self {
        match (HeaderName::from_bytes(name.as_bytes()), HeaderValue::from_str(value)) {
            (Ok(n), Ok(v)) => {
                self.request.headers.append(n, v);
            }
            _ => self.error = Some(Error::new(ErrorKind::Builder, format!("invalid header {name:?}"))),
        }
        self
    }

    /// Adds every field of `headers`.
    pub fn headers(mut self, headers: HeaderMap) -> Self {
        for (name, value) in &headers {
            self.request.headers.append(name.clone(), value.clone());
        }
        self
    }

    /// The body.
    pub fn body(mut self, body: impl Into<Body>) -> Self {
        self.request.body = body.into();
        self
    }

    /// A JSON body, with `content-type: application/json`.
    pub fn json<T: serde::Serialize + ?Sized>(mut self, value: &T) -> Self {
        match serde_json::to_vec(value) {
            Ok(v) => {
                self.request.body = v.into();
                self.request.headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
            }
            Err(e) => self.error = Some(Error::new(ErrorKind::Builder, e)),
        }
        self
    }

    /// The total time limit for this request (overrides the client's).
    pub fn timeout(mut self, d: Duration) -> Self {
        self.request.timeout = Some(d);
        self
    }

    /// The request, built.
    pub fn build(self) -> Result<Request> {
        match self.error {
            Some(e) => Err(e.with_url(&self.request.url)),
            None => Ok(self.request),
        }
    }

    /// Starts the request with a body written through the returned
    /// [`RequestWriter`](crate::RequestWriter) (HTTP.jl's `HTTP.open`); a body set with
    /// [`body`](Self::body) is replaced.
    pub fn open(self) -> crate::RequestWriter {
        crate::RequestWriter::start(self)
    }

    /// Sends it.
    pub async fn send(self) -> Result<Response> {
        let client = self.client.clone();
        client.execute(self.build()?).await
    }
}
