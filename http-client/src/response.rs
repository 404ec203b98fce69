//! Responses: status, version and headers, the body streamed chunk by chunk (or read
//! whole with `bytes`, `text`, `json`), trailers once the body is read, and
//! `error_for_status`. An HTTP/1.1 connection goes back to the pool when its body has
//! been read to the end.

use bytes::{Bytes, BytesMut};
use http::{HeaderMap, StatusCode, Version};
use http_core::engine::h1::{BodyDecoder, Decoded, ParsedResponseHead};

use crate::decode::ContentDecoder;
use crate::error::{Error, ErrorKind, Result};
use crate::h1::{H1Conn, Timeouts};
use crate::pool::Pool;
use crate::url::Origin;

/// A response head seen before the final one: an interim 1xx, or a redirect followed.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// # let server = http_server::Server::serve(http_server::ServerOptions::new().host("127.0.0.1").port(0), |_: http_core::Request| async { "ok" }).await.unwrap();
/// let res = http_client::get(&server.url()).await.unwrap();
/// assert!(res.history().is_empty(), "no redirect, no 1xx");
/// # server.forceclose().await;
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct Hop {
    /// Its protocol version.
    pub version: Version,
    /// Its status.
    pub status: StatusCode,
    /// Its reason phrase as sent (HTTP/1.x).
    pub reason: String,
    /// Its header fields.
    pub headers: HeaderMap,
}

impl Hop {
    pub(crate) fn from_h1(h: &ParsedResponseHead) -> Self {
        Hop { version: h.version, status: h.status, reason: h.reason.clone(), headers: h.headers.clone() }
    }
}

/// The body source.
pub(crate) enum Source {
    Empty,
    H1(Box<H1Body>),
    H2(h2::RecvStream),
}

/// An HTTP/1.1 body being read off its connection.
pub(crate) struct H1Body {
    pub(crate) conn: H1Conn,
    pub(crate) decoder: BodyDecoder,
    pub(crate) keep_alive: bool,
    pub(crate) pool: Pool,
    pub(crate) origin: Origin,
}

/// A response.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// # let server = http_server::Server::serve(http_server::ServerOptions::new().host("127.0.0.1").port(0), |_: http_core::Request| async { "hello" }).await.unwrap();
/// let res = http_client::get(&server.url()).await.unwrap();
/// assert_eq!(res.status(), 200);
/// assert_eq!(res.text().await.unwrap(), "hello");
/// # server.forceclose().await;
/// # }
/// ```
pub struct Response {
    pub(crate) status: StatusCode,
    pub(crate) version: Version,
    pub(crate) reason: String,
    pub(crate) headers: HeaderMap,
    pub(crate) url: String,
    pub(crate) source: Source,
    pub(crate) trailers: Option<HeaderMap>,
    pub(crate) timeouts: Timeouts,
    pub(crate) reused: bool,
    pub(crate) history: Vec<Hop>,
    pub(crate) max_body: Option<u64>,
    pub(crate) received: u64,
    pub(crate) max_trailer_bytes: usize,
    /// Undoes the Content-Encoding, when the client asked for one.
    pub(crate) decoder: Option<ContentDecoder>,
}

impl std::fmt::Debug for Response {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Response")
            .field("url", &self.url)
            .field("status", &self.status)
            .field("version", &self.version)
            .field("headers", &self.headers)
            .finish_non_exhaustive()
    }
}

impl Response {
    /// The status code.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The protocol version the response came over.
    pub fn version(&self) -> Version {
        self.version
    }

    /// The reason phrase as sent (HTTP/1.x; empty on HTTP/2).
    pub fn reason(&self) -> &str {
        &self.reason
    }

    /// The header fields.
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// The URL this response came from (after any redirects).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// True when the request went over a connection that had carried an earlier one.
    pub fn connection_reused(&self) -> bool {
        self.reused
    }

    /// Interim 1xx heads and followed redirects, in the order they came.
    pub fn history(&self) -> &[Hop] {
        &self.history
    }

    /// The trailer fields, once the body has been read to its end.
    pub fn trailers(&self) -> Option<&HeaderMap> {
        self.trailers.as_ref()
    }

    /// The declared Content-Length, when there is one.
    pub fn content_length(&self) -> Option<u64> {
        self.headers.get(http::header::CONTENT_LENGTH)?.to_str().ok()?.parse().ok()
    }

    /// The response itself for a status below 400, an error of kind
    /// [`Status`](ErrorKind::Status) otherwise.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// # let server = http_server::Server::serve(http_server::ServerOptions::new().host("127.0.0.1").port(0), |_: http_core::Request| async { http_core::Response::new(http_core::StatusCode::NOT_FOUND) }).await.unwrap();
    /// let err = http_client::get(&server.url()).await.unwrap().error_for_status().unwrap_err();
    /// assert!(err.is_status());
    /// # server.forceclose().await;
    /// # }
    /// ```
    pub fn error_for_status(self) -> Result<Self> {
        if self.status.as_u16() >= 400 {
            Err(Error::bare(ErrorKind::Status(self.status)).with_url(&self.url))
        } else {
            Ok(self)
        }
    }

    /// The next piece of the body (decoded, when the client asked for a content coding);
    /// `None` at its end.
    pub async fn chunk(&mut self) -> Result<Option<Bytes>> {
        let got = self.next_decoded().await.map_err(|e| e.in_body().with_url(&self.url))?;
        if let Some(b) = &got {
            self.received += b.len() as u64;
            if self.max_body.is_some_and(|m| self.received > m) {
                self.source = Source::Empty;
                self.decoder = None;
                return Err(Error::bare(ErrorKind::BodyTooLarge).with_url(&self.url));
            }
        }
        Ok(got)
    }

    async fn next_decoded(&mut self) -> Result<Option<Bytes>> {
        loop {
            let raw = self.next_raw().await?;
            let Some(decoder) = &mut self.decoder else { return Ok(raw) };
            let out = match raw {
                Some(b) => decoder.push(&b)?,
                None => match self.decoder.take() {
                    Some(d) => d.finish()?,
                    None => Bytes::new(),
                },
            };
            if !out.is_empty() {
                return Ok(Some(out));
            }
            if self.decoder.is_none() {
                return Ok(None);
            }
        }
    }

    /// The whole body.
    pub async fn bytes(mut self) -> Result<Bytes> {
        let mut out = BytesMut::new();
        while let Some(b) = self.chunk().await? {
            out.extend_from_slice(&b);
        }
        Ok(out.freeze())
    }

    /// The whole body as UTF-8 text.
    pub async fn text(self) -> Result<String> {
        let url = self.url.clone();
        let b = self.bytes().await?;
        String::from_utf8(b.to_vec()).map_err(|e| Error::new(ErrorKind::Decode, e).with_url(&url))
    }

    /// The whole body parsed as JSON.
    pub async fn json<T: serde::de::DeserializeOwned>(self) -> Result<T> {
        let url = self.url.clone();
        let b = self.bytes().await?;
        serde_json::from_slice(&b).map_err(|e| Error::new(ErrorKind::Decode, e).with_url(&url))
    }

    async fn next_raw(&mut self) -> Result<Option<Bytes>> {
        match &mut self.source {
            Source::Empty => Ok(None),
            Source::H2(recv) => match self.timeouts.run("reading the body", recv.data()).await? {
                Some(Ok(data)) => {
                    let _ = recv.flow_control().release_capacity(data.len());
                    Ok(Some(data))
                }
                Some(Err(e)) => {
                    self.source = Source::Empty;
                    Err(crate::h2::map_error(e, false))
                }
                None => {
                    let trailers = self.timeouts.run("reading trailers", recv.trailers()).await?;
                    self.trailers = trailers.map_err(|e| crate::h2::map_error(e, false))?;
                    self.source = Source::Empty;
                    Ok(None)
                }
            },
            Source::H1(body) => loop {
                match body.decoder.decode(&mut body.conn.rbuf, self.max_trailer_bytes) {
                    Err(e) => {
                        self.source = Source::Empty;
                        return Err(Error::new(ErrorKind::Malformed, e));
                    }
                    Ok(Decoded::Data(b)) => return Ok(Some(b)),
                    Ok(Decoded::End(trailers)) => {
                        self.trailers = trailers;
                        self.finish_h1();
                        return Ok(None);
                    }
                    Ok(Decoded::NeedMore) => {
                        let n = match body.conn.read_more(&self.timeouts).await {
                            Ok(n) => n,
                            Err(e) => {
                                self.source = Source::Empty;
                                return Err(e);
                            }
                        };
                        if n == 0 {
                            let verdict = body.decoder.eof();
                            self.source = Source::Empty;
                            return match verdict {
                                Ok(()) => Ok(None),
                                Err(e) => Err(Error::new(ErrorKind::BodyTruncated, e)),
                            };
                        }
                    }
                }
            },
        }
    }

    /// The body ended: the connection goes back to the pool when it may carry another
    /// request and nothing unasked-for follows.
    fn finish_h1(&mut self) {
        if let Source::H1(body) = std::mem::replace(&mut self.source, Source::Empty) {
            let mut body = *body;
            body.conn.reset_read_size();
            if body.keep_alive && body.conn.rbuf.is_empty() && !body.decoder.is_close_delimited() {
                body.pool.put_h1(body.origin, body.conn);
            }
        }
    }

    /// Reads and discards a small remaining body so the connection can be reused (after
    /// a redirect); a large one just closes the connection.
    pub(crate) async fn drain(mut self, limit: u64) {
        let mut seen = 0;
        while let Ok(Some(b)) = self.next_raw().await {
            seen += b.len() as u64;
            if seen > limit {
                return;
            }
        }
    }
}
