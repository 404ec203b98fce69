//! Reading the request body of a [`Stream`] (RFC 9110 §6.4 content, §6.5 trailers):
//! chunk by chunk, into a buffer, or whole under a limit; `closeread`, and taking the
//! request out for serve-style handlers.

use std::future::poll_fn;

use bytes::{Bytes, BytesMut};
use http::HeaderMap;

use super::{Stream, declared_length};
use crate::body::Body;
use crate::error::{Error, ErrorKind};
use crate::request::Request;

impl Stream {
    /// The next chunk of the request body; `Ok(None)` at its end.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// # use http_core::{Method, Request, Stream, testing};
    /// async fn count(s: &mut Stream) {
    ///     let mut total = 0;
    ///     while let Ok(Some(chunk)) = s.read_chunk().await {
    ///         total += chunk.len();
    ///     }
    ///     let _ = s.write(total.to_string()).await;
    /// }
    /// let r = testing::call_stream(&count, Request::new(Method::POST, "/").with_body("12345")).await;
    /// assert_eq!(r.text(), "5");
    /// # }
    /// ```
    pub async fn read_chunk(&mut self) -> Result<Option<Bytes>, Error> {
        if !self.pending.is_empty() {
            return Ok(Some(std::mem::take(&mut self.pending)));
        }
        if self.read_done {
            return Ok(None);
        }
        let r = poll_fn(|cx| self.transport.poll_read(cx)).await;
        if matches!(r, Ok(None) | Err(_)) {
            self.read_done = true;
        }
        r
    }

    /// Reads body bytes into `buf`; `Ok(0)` at the end.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// # use http_core::{Method, Request, Stream, testing};
    /// async fn first_two(s: &mut Stream) {
    ///     let mut buf = [0u8; 2];
    ///     let n = s.read(&mut buf).await.unwrap();
    ///     let _ = s.write(buf[..n].to_vec()).await;
    /// }
    /// let r = testing::call_stream(&first_two, Request::new(Method::POST, "/").with_body("abcdef")).await;
    /// assert_eq!(r.text(), "ab");
    /// # }
    /// ```
    pub async fn read(&mut self, buf: &mut [u8]) -> Result<usize, Error> {
        if self.pending.is_empty() {
            match self.read_chunk().await? {
                Some(c) => self.pending = c,
                None => return Ok(0),
            }
        }
        let n = buf.len().min(self.pending.len());
        buf[..n].copy_from_slice(&self.pending.split_to(n));
        Ok(n)
    }

    /// Reads the rest of the body, failing with a 413-kind error past `limit` bytes
    /// (checked against Content-Length before reading anything).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// # use http_core::{Method, Request, Stream, testing};
    /// async fn upload(s: &mut Stream) {
    ///     match s.read_to_end(4).await {
    ///         Ok(body) => { let _ = s.write(body).await; }
    ///         Err(e) => { let _ = s.setstatus(e.status()); }
    ///     }
    /// }
    /// let ok = testing::call_stream(&upload, Request::new(Method::POST, "/").with_body("abcd")).await;
    /// assert_eq!(ok.text(), "abcd");
    /// let big = testing::call_stream(&upload, Request::new(Method::POST, "/").with_body("abcde")).await;
    /// assert_eq!(big.status.as_u16(), 413);
    /// # }
    /// ```
    pub async fn read_to_end(&mut self, limit: u64) -> Result<Bytes, Error> {
        if declared_length(&self.head.headers).is_some_and(|len| len > limit) {
            return Err(Error::new(ErrorKind::BodyTooLarge, "content-length over max_body_bytes"));
        }
        let too_large = || Error::new(ErrorKind::BodyTooLarge, "body over max_body_bytes");
        let Some(first) = self.read_chunk().await? else { return Ok(Bytes::new()) };
        if first.len() as u64 > limit {
            return Err(too_large());
        }
        let Some(second) = self.read_chunk().await? else { return Ok(first) };
        let mut buf = BytesMut::with_capacity(first.len() + second.len());
        buf.extend_from_slice(&first);
        buf.extend_from_slice(&second);
        loop {
            if buf.len() as u64 > limit {
                return Err(too_large());
            }
            match self.read_chunk().await? {
                Some(c) => buf.extend_from_slice(&c),
                None => return Ok(buf.freeze()),
            }
        }
    }

    /// True once the request body has been read to its end (or closed).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// # use http_core::{Method, Request, Stream, testing};
    /// async fn h(s: &mut Stream) {
    ///     let before = s.eof();
    ///     let _ = s.read_to_end(1024).await;
    ///     let _ = s.write(format!("{before} {}", s.eof())).await;
    /// }
    /// let r = testing::call_stream(&h, Request::new(Method::POST, "/").with_body("x")).await;
    /// assert_eq!(r.text(), "false true");
    /// # }
    /// ```
    pub fn eof(&self) -> bool {
        self.read_done && self.pending.is_empty()
    }

    /// The request's trailers, after the body was read to its end.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// # use http_core::{Method, Request, Stream, testing};
    /// use http_core::{Body, HeaderMap};
    /// async fn h(s: &mut Stream) {
    ///     let _ = s.read_to_end(1024).await;
    ///     let t = s.request_trailers().and_then(|t| t.get("x-sum").cloned());
    ///     let _ = s.write(t.map_or(String::new(), |v| v.to_str().unwrap().to_owned())).await;
    /// }
    /// let (tx, body) = Body::channel(2);
    /// tx.send_data("data".into()).await.unwrap();
    /// let mut trailers = HeaderMap::new();
    /// trailers.insert("x-sum", "99".parse().unwrap());
    /// tx.send_trailers(trailers).await.unwrap();
    /// drop(tx);
    /// let r = testing::call_stream(&h, Request::new(Method::POST, "/").with_body(body)).await;
    /// assert_eq!(r.text(), "99");
    /// # }
    /// ```
    pub fn request_trailers(&mut self) -> Option<HeaderMap> {
        self.transport.take_request_trailers()
    }

    /// HTTP.jl's `closeread`: stop reading. An unread rest means the HTTP/1 connection closes.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// # use http_core::{Method, Request, Stream, testing};
    /// async fn h(s: &mut Stream) {
    ///     s.closeread(); // not interested in the body
    ///     let next = s.read_chunk().await.unwrap();
    ///     let _ = s.write(format!("{next:?}")).await;
    /// }
    /// let r = testing::call_stream(&h, Request::new(Method::POST, "/").with_body("ignored")).await;
    /// assert_eq!(r.text(), "None");
    /// # }
    /// ```
    pub fn closeread(&mut self) {
        self.read_done = true;
        self.pending = Bytes::new();
    }

    /// Takes the request out of the stream (head, context and the given body).
    /// Used by [`serve_as_stream`](crate::serve_as_stream).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// # use http_core::{Method, Request, Stream, testing};
    /// async fn h(s: &mut Stream) {
    ///     let body = s.read_to_end(1024).await.unwrap();
    ///     let req = s.take_request(body.into());
    ///     let _ = s.write(format!("{} {}", req.method(), req.path())).await;
    /// }
    /// let r = testing::call_stream(&h, Request::new(Method::PUT, "/doc")).await;
    /// assert_eq!(r.text(), "PUT /doc");
    /// # }
    /// ```
    pub fn take_request(&mut self, body: Body) -> Request {
        let ctx = std::mem::take(&mut self.ctx);
        // The matched route stays readable here for the engine (metrics, access logs).
        if let Some(route) = ctx.route_arc() {
            self.ctx.set_route_quietly(route.clone());
        }
        Request::from_parts(std::mem::take(&mut self.head), body, ctx)
    }
}
