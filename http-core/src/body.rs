//! Message bodies: whole bytes, or a stream of data frames optionally ending in trailers.
//!
//! A [`Body`] is what a [`Request`](crate::Request) carries and what a
//! [`Response`](crate::Response) sends. Its framing on the wire (Content-Length, chunked,
//! HTTP/2 DATA frames, trailers per RFC 9110 §6.5) is decided by the protocol engine from
//! [`Body::exact_len`]: a body whose length is known is sent with Content-Length.

use std::fmt;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::{Bytes, BytesMut};
use http::HeaderMap;
use tokio::sync::mpsc;
use tokio_stream::Stream as AsyncStream;

use crate::error::{BoxError, Error, ErrorKind};

/// One piece of a streamed body.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// use http_core::{Body, Frame, HeaderMap};
/// let (tx, mut body) = Body::channel(4);
/// let mut trailers = HeaderMap::new();
/// trailers.insert("x-checksum", "abc".parse().unwrap());
/// tx.send_data("data".into()).await.unwrap();
/// tx.send_trailers(trailers.clone()).await.unwrap();
/// drop(tx);
/// assert_eq!(body.next_frame().await.unwrap().unwrap(), Frame::Data("data".into()));
/// assert_eq!(body.next_frame().await.unwrap().unwrap(), Frame::Trailers(trailers));
/// assert!(body.next_frame().await.is_none());
/// # }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Frame {
    /// Body bytes.
    Data(Bytes),
    /// Trailer fields, sent after the last data (RFC 9110 §6.5). Ends the body.
    Trailers(HeaderMap),
}

type BoxStream = Pin<Box<dyn AsyncStream<Item = Result<Frame, BoxError>> + Send + 'static>>;

enum Kind {
    Empty,
    Full(Bytes),
    Stream {
        stream: BoxStream,
        len: Option<u64>,
    },
    /// The bytes of the body's file region; the stream that reads them is made when the
    /// body is first read ([`Body::from_file_region_with`]).
    Deferred,
}

/// A request or response body.
///
/// ```
/// use http_core::Body;
/// let b = Body::from("hello");
/// assert_eq!(b.exact_len(), Some(5));
/// assert!(Body::empty().is_empty());
/// ```
pub struct Body {
    kind: Kind,
    /// Where the bytes are in a file, for engines that can send them zero-copy.
    file: Option<Box<FileRegion>>,
}

/// A byte range of an open file that a file-backed body consists of, with what makes the
/// body's fallback when it is made on first read.
struct FileRegion<M: ?Sized = dyn MakeFallback> {
    file: Arc<std::fs::File>,
    offset: u64,
    len: u64,
    make: M,
}

/// Makes a file region's fallback body, once (`None` when it was given made).
trait MakeFallback: Send {
    fn make(&mut self, file: &Arc<std::fs::File>, offset: u64, len: u64) -> Option<Body>;
}

impl MakeFallback for () {
    fn make(&mut self, _: &Arc<std::fs::File>, _: u64, _: u64) -> Option<Body> {
        None
    }
}

/// A fallback made by a closure when the body is first read.
struct Lazy<F>(Option<F>);

impl<F: FnOnce(Arc<std::fs::File>, u64, u64) -> Body + Send> MakeFallback for Lazy<F> {
    fn make(&mut self, file: &Arc<std::fs::File>, offset: u64, len: u64) -> Option<Body> {
        self.0.take().map(|f| f(Arc::clone(file), offset, len))
    }
}

impl Body {
    /// A body with no bytes.
    ///
    /// ```
    /// let b = http_core::Body::empty();
    /// assert!(b.is_empty() && !b.is_stream());
    /// assert_eq!(b.exact_len(), Some(0));
    /// ```
    pub const fn empty() -> Self {
        Body { kind: Kind::Empty, file: None }
    }

    /// A body from a stream of frames. Its length is unknown, so HTTP/1.1 sends it chunked.
    ///
    /// ```
    /// use http_core::{Body, Frame};
    /// let frames = tokio_stream::iter(vec![Ok::<_, std::io::Error>(Frame::Data("a".into()))]);
    /// let body = Body::from_stream(frames);
    /// assert_eq!(body.exact_len(), None);
    /// ```
    pub fn from_stream<S, E>(stream: S) -> Self
    where
        S: AsyncStream<Item = Result<Frame, E>> + Send + 'static,
        E: Into<BoxError>,
    {
        use tokio_stream::StreamExt;
        Body { kind: Kind::Stream { stream: Box::pin(stream.map(|r| r.map_err(Into::into))), len: None }, file: None }
    }

    /// A body from a stream of byte chunks.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// use bytes::Bytes;
    /// let chunks = vec![Ok::<_, std::io::Error>(Bytes::from("hel")), Ok(Bytes::from("lo"))];
    /// let body = http_core::Body::from_bytes_stream(tokio_stream::iter(chunks));
    /// assert!(body.is_stream());
    /// assert_eq!(body.collect(1024).await.unwrap(), "hello");
    /// # }
    /// ```
    pub fn from_bytes_stream<S, E>(stream: S) -> Self
    where
        S: AsyncStream<Item = Result<Bytes, E>> + Send + 'static,
        E: Into<BoxError>,
    {
        use tokio_stream::StreamExt;
        Body::from_stream(stream.map(|r| r.map(Frame::Data)))
    }

    /// Declares the exact length of a streamed body, so it is sent with Content-Length.
    /// The stream must then yield exactly `len` bytes (the engine closes the connection otherwise).
    ///
    /// ```
    /// use bytes::Bytes;
    /// let chunks = vec![Ok::<_, std::io::Error>(Bytes::from("hel")), Ok(Bytes::from("lo"))];
    /// let body = http_core::Body::from_bytes_stream(tokio_stream::iter(chunks)).with_exact_len(5);
    /// assert_eq!(body.exact_len(), Some(5), "sent with Content-Length: 5, not chunked");
    /// // a whole body already knows its length; the call changes nothing
    /// assert_eq!(http_core::Body::from("abc").with_exact_len(99).exact_len(), Some(3));
    /// ```
    pub fn with_exact_len(mut self, len: u64) -> Self {
        if let Kind::Stream { len: l, .. } = &mut self.kind {
            *l = Some(len);
        }
        self
    }

    /// A body made of `len` bytes of `file` from `offset`, for zero-copy sending.
    ///
    /// An engine that can copy file bytes to its socket in the kernel (cleartext HTTP/1.1
    /// on Linux and the BSDs, with `sendfile(2)`) sends the region straight from the file;
    /// every other consumer (TLS, HTTP/2, in-process tests, tower adapters) reads
    /// `fallback`, which must yield exactly those bytes (usually a stream reading the file
    /// in chunks). The body's [`exact_len`](Self::exact_len) is `len`. The file's own
    /// position is not used.
    ///
    /// ```
    /// # fn main() -> std::io::Result<()> {
    /// use std::sync::Arc;
    /// use http_core::Body;
    /// let path = std::env::temp_dir().join(format!("http-core-doc-{}", std::process::id()));
    /// std::fs::write(&path, b"hello world")?;
    /// let file = Arc::new(std::fs::File::open(&path)?);
    /// let body = Body::from_file_region(file, 6, 5, Body::from("world"));
    /// assert_eq!(body.exact_len(), Some(5));
    /// let (_, offset, len) = body.file_region().unwrap();
    /// assert_eq!((offset, len), (6, 5));
    /// # std::fs::remove_file(&path)
    /// # }
    /// ```
    pub fn from_file_region(file: Arc<std::fs::File>, offset: u64, len: u64, fallback: Body) -> Self {
        let mut body = fallback.with_exact_len(len);
        body.file = Some(Box::new(FileRegion { file, offset, len, make: () }));
        body
    }

    /// [`from_file_region`](Self::from_file_region) with the fallback made by `fallback`
    /// (given the file, offset and length) only if the body is read: an engine that sends
    /// the region zero-copy never makes it.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> std::io::Result<()> {
    /// use std::sync::Arc;
    /// use http_core::Body;
    /// let path = std::env::temp_dir().join(format!("http-core-doc-lazy-{}", std::process::id()));
    /// std::fs::write(&path, b"hello world")?;
    /// let file = Arc::new(std::fs::File::open(&path)?);
    /// let body = Body::from_file_region_with(file, 6, 5, |_file, offset, len| {
    ///     assert_eq!((offset, len), (6, 5));
    ///     Body::from("world") // usually a stream reading the file in chunks
    /// });
    /// assert_eq!((body.exact_len(), body.file_region().map(|(_, o, l)| (o, l))), (Some(5), Some((6, 5))));
    /// assert_eq!(body.collect(64).await.unwrap(), "world", "made when read");
    /// # std::fs::remove_file(&path) }
    /// ```
    pub fn from_file_region_with<F>(file: Arc<std::fs::File>, offset: u64, len: u64, fallback: F) -> Self
    where
        F: FnOnce(Arc<std::fs::File>, u64, u64) -> Body + Send + 'static,
    {
        Body {
            kind: Kind::Deferred,
            file: Some(Box::new(FileRegion { file, offset, len, make: Lazy(Some(fallback)) })),
        }
    }

    /// The file region of a body made by [`from_file_region`](Self::from_file_region):
    /// (file, offset, length). `None` for other bodies, and once a frame was polled.
    ///
    /// ```
    /// assert!(http_core::Body::from("in memory").file_region().is_none());
    /// ```
    pub fn file_region(&self) -> Option<(&std::fs::File, u64, u64)> {
        self.file.as_deref().map(|r| (&*r.file, r.offset, r.len))
    }

    /// A body fed from another task through a bounded channel of `capacity` frames.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// use http_core::Body;
    /// let (tx, body) = Body::channel(4);
    /// tokio::spawn(async move { tx.send_data("hi".into()).await.unwrap(); });
    /// assert_eq!(body.collect(1024).await.unwrap(), "hi");
    /// # }
    /// ```
    pub fn channel(capacity: usize) -> (BodySender, Body) {
        let (tx, rx) = mpsc::channel(capacity.max(1));
        let stream = tokio_stream::wrappers::ReceiverStream::new(rx);
        (BodySender { tx }, Body::from_stream(stream))
    }

    /// The body's length when it is known without reading it.
    ///
    /// ```
    /// use http_core::Body;
    /// assert_eq!(Body::from("hello").exact_len(), Some(5));
    /// let (_tx, streamed) = Body::channel(1);
    /// assert_eq!(streamed.exact_len(), None);
    /// ```
    pub fn exact_len(&self) -> Option<u64> {
        match &self.kind {
            Kind::Empty => Some(0),
            Kind::Full(b) => Some(b.len() as u64),
            Kind::Stream { len, .. } => *len,
            Kind::Deferred => self.file.as_ref().map(|r| r.len),
        }
    }

    /// True when the body is known to have no bytes and no trailers.
    ///
    /// ```
    /// use http_core::Body;
    /// assert!(Body::empty().is_empty() && Body::from("").is_empty());
    /// assert!(!Body::from("x").is_empty());
    /// let (_tx, streamed) = Body::channel(1);
    /// assert!(!streamed.is_empty(), "a stream may still produce bytes");
    /// ```
    pub fn is_empty(&self) -> bool {
        match &self.kind {
            Kind::Empty => true,
            Kind::Full(b) => b.is_empty(),
            Kind::Stream { .. } | Kind::Deferred => false,
        }
    }

    /// True for a streamed body.
    ///
    /// ```
    /// use http_core::Body;
    /// assert!(!Body::from("whole").is_stream());
    /// let (_tx, streamed) = Body::channel(1);
    /// assert!(streamed.is_stream());
    /// ```
    pub fn is_stream(&self) -> bool {
        matches!(self.kind, Kind::Stream { .. } | Kind::Deferred)
    }

    /// The bytes of a whole (non-streamed) body.
    ///
    /// ```
    /// use http_core::Body;
    /// assert_eq!(Body::from("abc").as_bytes().map(|b| &b[..]), Some(&b"abc"[..]));
    /// assert_eq!(Body::empty().as_bytes(), None);
    /// ```
    pub fn as_bytes(&self) -> Option<&Bytes> {
        match &self.kind {
            Kind::Full(b) => Some(b),
            _ => None,
        }
    }

    /// The bytes of a whole body that is not backed by a file; the body itself otherwise.
    pub(crate) fn into_full(self) -> Result<Bytes, Body> {
        match self {
            Body { kind: Kind::Full(b), file: None } => Ok(b),
            other => Err(other),
        }
    }

    /// Polls the next frame; `None` at the end.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// use http_core::{Body, Frame};
    /// let mut body = Body::from("abc");
    /// let frame = std::future::poll_fn(|cx| body.poll_frame(cx)).await;
    /// assert_eq!(frame.unwrap().unwrap(), Frame::Data("abc".into()));
    /// assert!(std::future::poll_fn(|cx| body.poll_frame(cx)).await.is_none());
    /// # }
    /// ```
    pub fn poll_frame(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<Frame, Error>>> {
        // Reading the fallback consumes the body: the region no longer describes what is left.
        while let Some(mut region) = self.file.take() {
            if let Some(made) = region.make.make(&region.file, region.offset, region.len) {
                *self = made;
            }
        }
        match &mut self.kind {
            Kind::Empty | Kind::Deferred => Poll::Ready(None),
            Kind::Full(_) => {
                let Kind::Full(b) = std::mem::replace(&mut self.kind, Kind::Empty) else { unreachable!() };
                Poll::Ready(if b.is_empty() { None } else { Some(Ok(Frame::Data(b))) })
            }
            Kind::Stream { stream, .. } => match stream.as_mut().poll_next(cx) {
                Poll::Ready(Some(Err(e))) => Poll::Ready(Some(Err(Error::new(ErrorKind::User, e)))),
                Poll::Ready(Some(Ok(f))) => Poll::Ready(Some(Ok(f))),
                Poll::Ready(None) => {
                    self.kind = Kind::Empty;
                    Poll::Ready(None)
                }
                Poll::Pending => Poll::Pending,
            },
        }
    }

    /// Polls the next data chunk, as a transport reads a request body: `Ok(None)` at the
    /// end, with any trailers stored in `trailers`.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// use http_core::Body;
    /// let mut body = Body::from("abc");
    /// let mut trailers = None;
    /// let first = std::future::poll_fn(|cx| body.poll_data(cx, &mut trailers)).await.unwrap();
    /// assert_eq!(first.unwrap(), "abc");
    /// assert!(std::future::poll_fn(|cx| body.poll_data(cx, &mut trailers)).await.unwrap().is_none());
    /// # }
    /// ```
    pub fn poll_data(
        &mut self,
        cx: &mut Context<'_>,
        trailers: &mut Option<HeaderMap>,
    ) -> Poll<Result<Option<Bytes>, Error>> {
        match self.poll_frame(cx) {
            Poll::Ready(Some(Ok(Frame::Data(d)))) => Poll::Ready(Ok(Some(d))),
            Poll::Ready(Some(Ok(Frame::Trailers(t)))) => {
                *trailers = Some(t);
                Poll::Ready(Ok(None))
            }
            Poll::Ready(Some(Err(e))) => Poll::Ready(Err(e)),
            Poll::Ready(None) => Poll::Ready(Ok(None)),
            Poll::Pending => Poll::Pending,
        }
    }

    /// This body followed by `trailers` (RFC 9110 §6.5); trailers the body itself ends with
    /// are kept, `trailers` added after them. The result is a stream of unknown length, so
    /// HTTP/1.1 sends it chunked — the only framing that carries trailers — to clients that
    /// sent `TE: trailers`; HTTP/2 always sends them.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// use http_core::{Body, Frame, HeaderMap};
    /// let mut t = HeaderMap::new();
    /// t.insert("x-checksum", "abc".parse().unwrap());
    /// let mut body = Body::from("data").with_trailers(t.clone());
    /// assert_eq!(body.exact_len(), None);
    /// assert_eq!(body.next_frame().await.unwrap().unwrap(), Frame::Data("data".into()));
    /// assert_eq!(body.next_frame().await.unwrap().unwrap(), Frame::Trailers(t));
    /// assert!(body.next_frame().await.is_none());
    /// # }
    /// ```
    pub fn with_trailers(self, trailers: HeaderMap) -> Body {
        Body::from_stream(WithTrailers { body: self, trailers: Some(trailers) })
    }

    /// The next frame; `None` at the end.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// use http_core::{Body, Frame};
    /// let mut body = Body::from("abc");
    /// assert_eq!(body.next_frame().await.unwrap().unwrap(), Frame::Data("abc".into()));
    /// assert!(body.next_frame().await.is_none());
    /// # }
    /// ```
    pub async fn next_frame(&mut self) -> Option<Result<Frame, Error>> {
        std::future::poll_fn(|cx| self.poll_frame(cx)).await
    }

    /// Reads the whole body into one buffer, failing with a
    /// [`BodyTooLarge`](ErrorKind::BodyTooLarge) error past `limit` bytes. Trailers are dropped.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// use http_core::Body;
    /// assert_eq!(Body::from("hello").collect(5).await.unwrap(), "hello");
    /// assert!(Body::from("hello").collect(4).await.unwrap_err().is_body_too_large());
    /// # }
    /// ```
    pub async fn collect(mut self, limit: usize) -> Result<Bytes, Error> {
        if let Kind::Full(b) = &self.kind {
            if b.len() > limit {
                return Err(Error::from_kind(ErrorKind::BodyTooLarge));
            }
            return Ok(b.clone());
        }
        let mut first: Option<Bytes> = None;
        let mut buf = BytesMut::new();
        while let Some(frame) = self.next_frame().await {
            if let Frame::Data(d) = frame? {
                let total = buf.len() + first.as_ref().map_or(0, Bytes::len) + d.len();
                if total > limit {
                    return Err(Error::from_kind(ErrorKind::BodyTooLarge));
                }
                match first.take() {
                    None if buf.is_empty() => first = Some(d),
                    Some(f) => {
                        buf.extend_from_slice(&f);
                        buf.extend_from_slice(&d);
                    }
                    None => buf.extend_from_slice(&d),
                }
            }
        }
        Ok(first.unwrap_or_else(|| buf.freeze()))
    }
}

/// A body followed by trailers; made by [`Body::with_trailers`].
struct WithTrailers {
    body: Body,
    trailers: Option<HeaderMap>,
}

impl AsyncStream for WithTrailers {
    type Item = Result<Frame, Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if self.trailers.is_none() {
            return Poll::Ready(None);
        }
        match self.body.poll_frame(cx) {
            Poll::Ready(Some(Ok(Frame::Trailers(mut own)))) => {
                own.extend(self.trailers.take().unwrap_or_default());
                Poll::Ready(Some(Ok(Frame::Trailers(own))))
            }
            Poll::Ready(None) => Poll::Ready(self.trailers.take().map(|t| Ok(Frame::Trailers(t)))),
            other => other,
        }
    }
}

impl Default for Body {
    fn default() -> Self {
        Body::empty()
    }
}

impl fmt::Debug for Body {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            Kind::Empty => f.write_str("Body(empty)"),
            Kind::Full(b) => write!(f, "Body({} bytes)", b.len()),
            Kind::Stream { len, .. } if self.file.is_some() => write!(f, "Body(file, len={len:?})"),
            Kind::Deferred => write!(f, "Body(file, len={:?})", self.exact_len()),
            Kind::Stream { len, .. } => write!(f, "Body(stream, len={len:?})"),
        }
    }
}

impl From<Bytes> for Body {
    fn from(b: Bytes) -> Self {
        Body { kind: Kind::Full(b), file: None }
    }
}
impl From<Vec<u8>> for Body {
    fn from(v: Vec<u8>) -> Self {
        Bytes::from(v).into()
    }
}
impl From<String> for Body {
    fn from(s: String) -> Self {
        Bytes::from(s).into()
    }
}
impl From<&'static str> for Body {
    fn from(s: &'static str) -> Self {
        Bytes::from_static(s.as_bytes()).into()
    }
}
impl From<&'static [u8]> for Body {
    fn from(s: &'static [u8]) -> Self {
        Bytes::from_static(s).into()
    }
}
impl From<()> for Body {
    fn from(_: ()) -> Self {
        Body::empty()
    }
}

/// The sending half of [`Body::channel`].
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// use http_core::Body;
/// let (tx, body) = Body::channel(8);
/// tokio::spawn(async move {
///     for part in ["a", "b", "c"] {
///         if tx.send_data(part.into()).await.is_err() {
///             return; // the client went away
///         }
///     }
/// });
/// assert_eq!(body.collect(64).await.unwrap(), "abc");
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct BodySender {
    tx: mpsc::Sender<Result<Frame, BoxError>>,
}

impl BodySender {
    /// Sends a chunk; waits while the channel is full. Fails once the body was dropped
    /// (the client went away).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let (tx, body) = http_core::Body::channel(1);
    /// drop(body);
    /// assert!(tx.send_data("late".into()).await.unwrap_err().is_closed());
    /// # }
    /// ```
    pub async fn send_data(&self, data: Bytes) -> Result<(), Error> {
        self.tx.send(Ok(Frame::Data(data))).await.map_err(|_| Error::closed())
    }

    /// Sends trailers; the body ends after them.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// use http_core::{Body, HeaderMap, Method, Request, testing};
    /// let handler = |_r: Request| async {
    ///     let (tx, body) = Body::channel(2);
    ///     tokio::spawn(async move {
    ///         tx.send_data("payload".into()).await.unwrap();
    ///         let mut t = HeaderMap::new();
    ///         t.insert("x-digest", "sha-256=abc".parse().unwrap());
    ///         tx.send_trailers(t).await.unwrap();
    ///     });
    ///     body
    /// };
    /// let r = testing::call(&handler, Request::new(Method::GET, "/")).await;
    /// assert_eq!(r.text(), "payload");
    /// assert_eq!(r.trailers.unwrap()["x-digest"], "sha-256=abc");
    /// # }
    /// ```
    pub async fn send_trailers(&self, trailers: HeaderMap) -> Result<(), Error> {
        self.tx.send(Ok(Frame::Trailers(trailers))).await.map_err(|_| Error::closed())
    }

    /// Ends the body with an error: the engine aborts the response (closes the connection
    /// on HTTP/1, resets the stream on HTTP/2).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let (tx, body) = http_core::Body::channel(2);
    /// tx.send_data("partial".into()).await.unwrap();
    /// tx.abort("database went away").await;
    /// let err = body.collect(1024).await.unwrap_err();
    /// assert_eq!(err.to_string(), "user error: database went away");
    /// # }
    /// ```
    pub async fn abort(self, why: impl Into<BoxError>) {
        let _ = self.tx.send(Err(why.into())).await;
    }

    /// True once the receiving body was dropped.
    ///
    /// ```
    /// let (tx, body) = http_core::Body::channel(1);
    /// assert!(!tx.is_closed());
    /// drop(body);
    /// assert!(tx.is_closed());
    /// ```
    pub fn is_closed(&self) -> bool {
        self.tx.is_closed()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn collect_joins_chunks_and_enforces_limit() {
        let chunks = || vec![Ok::<_, std::io::Error>(Bytes::from("ab")), Ok(Bytes::from("cd"))];
        let body = Body::from_bytes_stream(tokio_stream::iter(chunks()));
        assert_eq!(body.collect(10).await.unwrap(), "abcd");
        let body = Body::from_bytes_stream(tokio_stream::iter(chunks()));
        assert!(body.collect(3).await.unwrap_err().is_body_too_large());
        assert!(Body::from("toolong").collect(3).await.unwrap_err().is_body_too_large());
    }

    #[tokio::test]
    async fn full_body_yields_one_frame_then_ends() {
        let mut b = Body::from("x");
        assert_eq!(b.next_frame().await.unwrap().unwrap(), Frame::Data("x".into()));
        assert!(b.next_frame().await.is_none());
        assert!(Body::from("").next_frame().await.is_none());
    }

    #[tokio::test]
    async fn file_region_body_reads_its_fallback() {
        let path = std::env::temp_dir().join(format!("http-core-region-{}", std::process::id()));
        std::fs::write(&path, b"0123456789").unwrap();
        let file = Arc::new(std::fs::File::open(&path).unwrap());
        let fallback = Body::from_bytes_stream(tokio_stream::iter(vec![Ok::<_, std::io::Error>(Bytes::from("234"))]));
        let mut body = Body::from_file_region(file, 2, 3, fallback);
        std::fs::remove_file(&path).unwrap();
        assert_eq!(body.exact_len(), Some(3));
        assert_eq!(body.file_region().map(|(_, o, l)| (o, l)), Some((2, 3)));
        assert_eq!(body.next_frame().await.unwrap().unwrap(), Frame::Data("234".into()));
        assert!(body.file_region().is_none());
        assert!(body.next_frame().await.is_none());
    }

    #[cfg(unix)]
    #[tokio::test]
    async fn lazy_fallback_is_made_only_when_read() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        let path = std::env::temp_dir().join(format!("http-core-lazy-{}", std::process::id()));
        std::fs::write(&path, b"0123456789").unwrap();
        let file = Arc::new(std::fs::File::open(&path).unwrap());
        std::fs::remove_file(&path).unwrap();
        static MADE: AtomicUsize = AtomicUsize::new(0);
        let lazy = |file: &Arc<std::fs::File>| {
            Body::from_file_region_with(Arc::clone(file), 2, 3, |file, offset, len| {
                MADE.fetch_add(1, Ordering::SeqCst);
                let mut buf = vec![0; len as usize];
                std::os::unix::fs::FileExt::read_exact_at(&*file, &mut buf, offset).unwrap();
                Body::from(buf)
            })
        };
        let unread = lazy(&file);
        assert_eq!((unread.exact_len(), unread.is_empty(), unread.is_stream()), (Some(3), false, true));
        assert_eq!(unread.file_region().map(|(_, o, l)| (o, l)), Some((2, 3)));
        assert_eq!(format!("{unread:?}"), "Body(file, len=Some(3))");
        assert!(unread.as_bytes().is_none());
        drop(unread);
        assert_eq!(MADE.load(Ordering::SeqCst), 0, "never read, never made");
        let mut body = lazy(&file);
        assert_eq!(body.next_frame().await.unwrap().unwrap(), Frame::Data("234".into()));
        assert_eq!(MADE.load(Ordering::SeqCst), 1);
        assert!(body.file_region().is_none(), "reading consumed the region");
        assert!(body.next_frame().await.is_none());
        assert_eq!(lazy(&file).collect(3).await.unwrap(), "234");
        assert_eq!(MADE.load(Ordering::SeqCst), 2, "made once per body");
    }

    #[tokio::test]
    async fn channel_sender_sees_dropped_body() {
        let (tx, body) = Body::channel(1);
        drop(body);
        assert!(tx.send_data("x".into()).await.unwrap_err().is_closed());
    }
}
