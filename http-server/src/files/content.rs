//! [`servecontent`]: answering a request from in-memory bytes, a file, or any seekable
//! async reader, with validators, preconditions and byte ranges.

use std::collections::VecDeque;
use std::future::Future;
use std::io::{self, SeekFrom};
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll, ready};
use std::time::{SystemTime, UNIX_EPOCH};

use bytes::{Bytes, BytesMut};
use http_core::header::{ACCEPT_RANGES, CONTENT_RANGE, CONTENT_TYPE, ETAG, LAST_MODIFIED, RANGE};
use http_core::{Body, HeaderMap, HeaderName, HeaderValue, Method, Request, RequestHead, Response, StatusCode};
use tokio::io::{AsyncRead, AsyncSeek, ReadBuf};
use tokio::task::JoinHandle;
use tokio_stream::Stream as AsyncStream;

use super::conditional::{Precondition, check_preconditions, if_range_holds};
use super::etag::ETag;
use super::mime::content_type_for;
use super::range::{ByteRange, RangeOutcome, resolve_range};

/// The default size of one read from a file or reader: bodies stream in pieces this big, so
/// memory per response stays bounded whatever the file's size.
///
/// ```
/// use http_server::files::{DEFAULT_CHUNK_SIZE, FileServerOptions};
/// assert_eq!(DEFAULT_CHUNK_SIZE, 64 * 1024);
/// let opts = FileServerOptions::new();
/// assert!(format!("{opts:?}").contains(&format!("chunk_size: {DEFAULT_CHUNK_SIZE}")));
/// ```
pub const DEFAULT_CHUNK_SIZE: usize = 64 * 1024;

/// File bodies at least this long are sent with `sendfile(2)` where the connection allows
/// (cleartext HTTP/1.1; see `body_of`); shorter ones are read and copied, so the head and
/// the body leave in one write.
pub(crate) const SENDFILE_MIN: u64 = 16 * 1024;

/// An async reader that can also seek; any `AsyncRead + AsyncSeek + Send + Unpin + 'static`.
trait SeekRead: AsyncRead + AsyncSeek + Send + Unpin + 'static {}
impl<T: AsyncRead + AsyncSeek + Send + Unpin + 'static> SeekRead for T {}

enum Source {
    Bytes(Bytes),
    File(Arc<std::fs::File>),
    Reader(Box<dyn SeekRead>),
}

/// What [`servecontent`] serves: the bytes (in memory, a file, or a seekable reader), their
/// size, and the metadata that goes into the response headers.
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
/// use http_server::files::{Content, ETag};
/// let c = Content::bytes("body { color: red }")
///     .name("site.css")
///     .last_modified(UNIX_EPOCH + Duration::from_secs(1_700_000_000))
///     .header(http_core::header::CACHE_CONTROL, "no-cache".parse().unwrap());
/// assert_eq!(c.size(), 19);
/// assert_eq!(c.etag_value(), Some(&ETag::from_bytes(b"body { color: red }")));
/// ```
pub struct Content {
    source: Source,
    size: u64,
    last_modified: Option<SystemTime>,
    etag: Option<ETag>,
    content_type: Option<HeaderValue>,
    headers: HeaderMap,
    chunk_size: usize,
    inline_reads: bool,
}

impl std::fmt::Debug for Content {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kind = match self.source {
            Source::Bytes(_) => "bytes",
            Source::File(_) => "file",
            Source::Reader(_) => "reader",
        };
        f.debug_struct("Content")
            .field("source", &kind)
            .field("size", &self.size)
            .field("last_modified", &self.last_modified)
            .field("etag", &self.etag)
            .field("content_type", &self.content_type)
            .finish_non_exhaustive()
    }
}

impl Content {
    fn new(source: Source, size: u64) -> Content {
        Content {
            source,
            size,
            last_modified: None,
            etag: None,
            content_type: None,
            headers: HeaderMap::new(),
            chunk_size: DEFAULT_CHUNK_SIZE,
            inline_reads: false,
        }
    }

    /// In-memory content; its ETag is a hash of the bytes. Without [`name`](Self::name) or
    /// [`content_type`](Self::content_type), the type is sniffed: HTML, UTF-8 text, or
    /// `application/octet-stream`.
    ///
    /// ```
    /// use http_core::{Method, Request};
    /// use http_server::files::{Content, servecontent};
    /// let r = servecontent(&Request::new(Method::GET, "/"), Content::bytes("<!doctype html><p>hi"));
    /// assert_eq!(r.header("content-type"), Some("text/html; charset=utf-8"));
    /// assert_eq!(r.body().exact_len(), Some(20));
    /// assert!(r.header("etag").is_some());
    /// ```
    pub fn bytes(bytes: impl Into<Bytes>) -> Content {
        let bytes = bytes.into();
        let etag = ETag::from_bytes(&bytes);
        let size = bytes.len() as u64;
        Content { etag: Some(etag), ..Content::new(Source::Bytes(bytes), size) }
    }

    /// In-memory bytes whose validators the caller sets (no hash is computed).
    pub(crate) fn bytes_unhashed(bytes: impl Into<Bytes>) -> Content {
        let bytes = bytes.into();
        let size = bytes.len() as u64;
        Content::new(Source::Bytes(bytes), size)
    }

    /// An open file with its metadata (size, modification time → Last-Modified and a strong
    /// ETag). The file is read with positional reads, [`DEFAULT_CHUNK_SIZE`] at a time, on
    /// tokio's blocking pool, only as the response body is sent.
    ///
    /// ```no_run
    /// # async fn f() -> std::io::Result<()> {
    /// let file = std::fs::File::open("report.pdf")?;
    /// let meta = file.metadata()?;
    /// let c = http_server::files::Content::from_std_file(file, &meta).name("report.pdf");
    /// # Ok(()) }
    /// ```
    pub fn from_std_file(file: std::fs::File, meta: &std::fs::Metadata) -> Content {
        let mut c = Content::new(Source::File(Arc::new(file)), meta.len());
        if let Ok(modified) = meta.modified() {
            c.last_modified = Some(modified);
            c.etag = Some(ETag::from_metadata(meta.len(), modified));
        }
        c
    }

    /// A tokio file, with its metadata read for size, Last-Modified and ETag.
    ///
    /// ```no_run
    /// # async fn f(req: http_core::Request) -> std::io::Result<http_core::Response> {
    /// use http_server::files::{Content, servecontent};
    /// let file = tokio::fs::File::open("video.mp4").await?;
    /// Ok(servecontent(&req, Content::file(file).await?.name("video.mp4")))
    /// # }
    /// ```
    pub async fn file(file: tokio::fs::File) -> io::Result<Content> {
        let meta = file.metadata().await?;
        let file = file.into_std().await;
        Ok(Content::from_std_file(file, &meta))
    }

    /// Opens the file at `path` (on the blocking pool); its Content-Type comes from the name.
    /// A directory is an error of kind `InvalidInput`.
    ///
    /// ```no_run
    /// # async fn f(req: http_core::Request) -> std::io::Result<http_core::Response> {
    /// use http_server::files::{Content, servecontent};
    /// Ok(servecontent(&req, Content::open("static/app.js").await?))
    /// # }
    /// ```
    pub async fn open(path: impl AsRef<std::path::Path>) -> io::Result<Content> {
        let path = path.as_ref().to_owned();
        tokio::task::spawn_blocking(move || {
            let file = std::fs::File::open(&path)?;
            let meta = file.metadata()?;
            if meta.is_dir() {
                return Err(io::Error::new(io::ErrorKind::InvalidInput, "is a directory"));
            }
            let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            Ok(Content::from_std_file(file, &meta).name(&name))
        })
        .await
        .map_err(io::Error::other)?
    }

    /// Any seekable async reader of `size` bytes. It has no validators unless given with
    /// [`last_modified`](Self::last_modified) and [`etag`](Self::etag).
    ///
    /// ```
    /// use http_server::files::Content;
    /// let c = Content::reader(std::io::Cursor::new(vec![1u8, 2, 3]), 3);
    /// assert_eq!(c.size(), 3);
    /// ```
    pub fn reader<R>(reader: R, size: u64) -> Content
    where
        R: AsyncRead + AsyncSeek + Send + Unpin + 'static,
    {
        Content::new(Source::Reader(Box::new(reader)), size)
    }

    /// Sets the Content-Type from a file name's extension (see
    /// [`content_type_for`](super::content_type_for)), unless one was set already.
    ///
    /// ```
    /// use http_core::{Method, Request};
    /// use http_server::files::{Content, servecontent};
    /// let r = servecontent(&Request::new(Method::GET, "/"), Content::bytes("{}").name("data.json"));
    /// assert_eq!(r.header("content-type"), Some("application/json; charset=utf-8"));
    /// ```
    pub fn name(mut self, name: &str) -> Content {
        if self.content_type.is_none() {
            self.content_type = Some(content_type_for(name));
        }
        self
    }

    /// Sets the Content-Type.
    ///
    /// ```
    /// use http_core::{HeaderValue, Method, Request};
    /// use http_server::files::{Content, servecontent};
    /// let c = Content::bytes("a,b").content_type(HeaderValue::from_static("text/csv")).name("x.txt");
    /// let r = servecontent(&Request::new(Method::GET, "/"), c);
    /// assert_eq!(r.header("content-type"), Some("text/csv"), "an explicit type wins over the name");
    /// ```
    pub fn content_type(mut self, value: HeaderValue) -> Content {
        self.content_type = Some(value);
        self
    }

    /// Sets the modification time (sent as Last-Modified, floored to the second).
    ///
    /// ```
    /// use std::time::{Duration, UNIX_EPOCH};
    /// use http_core::{Method, Request};
    /// use http_server::files::{Content, servecontent};
    /// let c = Content::bytes("x").last_modified(UNIX_EPOCH + Duration::from_millis(784111777_500));
    /// let r = servecontent(&Request::new(Method::GET, "/"), c);
    /// assert_eq!(r.header("last-modified"), Some("Sun, 06 Nov 1994 08:49:37 GMT"));
    /// ```
    pub fn last_modified(mut self, time: SystemTime) -> Content {
        self.last_modified = Some(time);
        self
    }

    /// Replaces the entity tag (`None` sends none).
    ///
    /// ```
    /// use http_core::{Method, Request};
    /// use http_server::files::{Content, ETag, servecontent};
    /// let c = Content::bytes("x").etag(ETag::weak("v7"));
    /// assert_eq!(servecontent(&Request::new(Method::GET, "/"), c).header("etag"), Some("W/\"v7\""));
    /// let r = servecontent(&Request::new(Method::GET, "/"), Content::bytes("x").etag(None));
    /// assert_eq!(r.header("etag"), None);
    /// ```
    pub fn etag(mut self, etag: Option<ETag>) -> Content {
        self.etag = etag;
        self
    }

    /// Adds a header sent with every answer about this content (200, 206, 304 and 416),
    /// e.g. Cache-Control, Vary or Content-Encoding.
    ///
    /// ```
    /// use http_core::{HeaderValue, Method, Request, header};
    /// use http_server::files::{Content, servecontent};
    /// let c = Content::bytes("x").header(header::CACHE_CONTROL, HeaderValue::from_static("max-age=60"));
    /// let r = servecontent(&Request::new(Method::GET, "/"), c);
    /// assert_eq!(r.header("cache-control"), Some("max-age=60"));
    /// ```
    pub fn header(mut self, name: HeaderName, value: HeaderValue) -> Content {
        self.headers.insert(name, value);
        self
    }

    /// Sets how many bytes one read takes from a file or reader (default
    /// [`DEFAULT_CHUNK_SIZE`]; at least 1).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// use http_core::{Method, Request};
    /// use http_server::files::{Content, servecontent};
    /// let c = Content::reader(std::io::Cursor::new(b"abcdef".to_vec()), 6).chunk_size(4);
    /// let mut body = servecontent(&Request::new(Method::GET, "/"), c).into_body();
    /// let mut sizes = Vec::new();
    /// while let Some(Ok(http_core::Frame::Data(d))) = body.next_frame().await {
    ///     sizes.push(d.len());
    /// }
    /// assert_eq!(sizes, [4, 2]);
    /// # }
    /// ```
    pub fn chunk_size(mut self, bytes: usize) -> Content {
        self.chunk_size = bytes.max(1);
        self
    }

    /// Reads file chunks on the thread polling the body instead of the blocking pool (see
    /// [`FileServerOptions::inline_io`](super::FileServerOptions::inline_io)).
    pub(crate) fn inline_reads(mut self, on: bool) -> Content {
        self.inline_reads = on;
        self
    }

    /// The size in bytes.
    ///
    /// ```
    /// assert_eq!(http_server::files::Content::bytes("hello").size(), 5);
    /// ```
    pub fn size(&self) -> u64 {
        self.size
    }

    /// The entity tag that will be sent.
    ///
    /// ```
    /// use http_server::files::{Content, ETag};
    /// assert_eq!(Content::bytes("abc").etag_value(), Some(&ETag::from_bytes(b"abc")));
    /// assert_eq!(Content::bytes("abc").etag(None).etag_value(), None);
    /// ```
    pub fn etag_value(&self) -> Option<&ETag> {
        self.etag.as_ref()
    }
}

/// HTTP.jl's `servecontent`: answers `req` with `content`, honouring preconditions and
/// byte ranges.
///
/// * 200 with Content-Type, Content-Length, Last-Modified, ETag and `Accept-Ranges: bytes`;
/// * 304 (GET/HEAD) or 412 from the preconditions, in RFC 9110 §13.2.2's order (see
///   [`check_preconditions`](super::check_preconditions)); a 304 keeps ETag, Last-Modified and
///   the extra headers but no Content-Type or Content-Length, as nginx sends it;
/// * 206 for one range (with Content-Range) or several (`multipart/byteranges`), 416 with
///   `Content-Range: bytes */SIZE` when no range is satisfiable (see [`resolve_range`]);
///   `If-Range` that does not match means the full 200. Ranges apply to GET and HEAD.
///
/// HEAD gets the same status and headers as GET; the engine leaves the body out.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// use http_core::{Method, Request, testing};
/// use http_server::files::{Content, servecontent};
/// let h = |req: Request| async move { servecontent(&req, Content::bytes("hello world").name("a.txt")) };
/// let r = testing::call(&h, Request::new(Method::GET, "/").with_header("range", "bytes=0-4")).await;
/// assert_eq!(r.status, 206);
/// assert_eq!(r.header("content-range"), Some("bytes 0-4/11"));
/// assert_eq!(r.text(), "hello");
/// # }
/// ```
pub fn servecontent(req: &Request, content: Content) -> Response {
    serve_head(req.head(), content)
}

/// [`servecontent`] for a request head (for stream handlers, which hold a `RequestHead`).
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// use http_core::{Method, Request, Stream, testing};
/// use http_server::files::{Content, servecontent_head};
/// async fn h(s: &mut Stream) {
///     let resp = servecontent_head(s.request(), Content::bytes("hello world").name("a.txt"));
///     let _ = s.write_response(resp).await;
/// }
/// let r = testing::call_stream(&h, Request::new(Method::GET, "/").with_header("range", "bytes=6-")).await;
/// assert_eq!((r.status.as_u16(), r.text().as_str()), (206, "world"));
/// # }
/// ```
pub fn servecontent_head(head: &RequestHead, content: Content) -> Response {
    serve_head(head, content)
}

fn serve_head(head: &RequestHead, mut content: Content) -> Response {
    let mut headers = std::mem::take(&mut content.headers);
    if let Some(tag) = &content.etag {
        headers.insert(ETAG, tag.to_header());
    }
    if let Some(lm) = content.last_modified {
        let text = httpdate::fmt_http_date(lm.max(UNIX_EPOCH));
        headers.insert(LAST_MODIFIED, HeaderValue::from_str(&text).expect("dates are ASCII"));
    }
    match check_preconditions(&head.method, &head.headers, content.etag.as_ref(), content.last_modified) {
        Precondition::Proceed => {}
        Precondition::NotModified => return Response::from_parts(StatusCode::NOT_MODIFIED, headers, Body::empty()),
        Precondition::Failed => return Response::error(StatusCode::PRECONDITION_FAILED),
    }
    let content_type = content.content_type.take().unwrap_or_else(|| sniff(&content.source));
    headers.insert(ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    let ranged = head.method == Method::GET || head.method == Method::HEAD;
    let outcome = match head.headers.get(RANGE) {
        Some(value) if ranged && if_range_holds(&head.headers, content.etag.as_ref(), content.last_modified) => {
            value.to_str().map_or(RangeOutcome::Full, |v| resolve_range(v, content.size))
        }
        _ => RangeOutcome::Full,
    };
    let size = content.size;
    match outcome {
        RangeOutcome::Full => {
            headers.insert(CONTENT_TYPE, content_type);
            let whole = ByteRange { start: 0, end: size.saturating_sub(1) };
            let body = if size == 0 { Body::empty() } else { body_of(content, vec![Segment::Slice(whole)]) };
            Response::from_parts(StatusCode::OK, headers, body)
        }
        RangeOutcome::Unsatisfiable => {
            let mut r = Response::error(StatusCode::RANGE_NOT_SATISFIABLE);
            let value = HeaderValue::from_str(&format!("bytes */{size}")).expect("ASCII");
            r.headers_mut().insert(CONTENT_RANGE, value);
            r
        }
        RangeOutcome::Partial(ranges) if ranges.len() == 1 => {
            let range = ranges[0];
            headers.insert(CONTENT_TYPE, content_type);
            headers.insert(CONTENT_RANGE, HeaderValue::from_str(&range.content_range(size)).expect("ASCII"));
            Response::from_parts(StatusCode::PARTIAL_CONTENT, headers, body_of(content, vec![Segment::Slice(range)]))
        }
        RangeOutcome::Partial(ranges) => {
            let boundary = boundary();
            let ct = String::from_utf8_lossy(content_type.as_bytes()).into_owned();
            let mut segments = Vec::with_capacity(ranges.len() * 2 + 1);
            for (i, r) in ranges.iter().enumerate() {
                let lead = if i == 0 { "" } else { "\r\n" };
                let part_head = format!(
                    "{lead}--{boundary}\r\nContent-Type: {ct}\r\nContent-Range: {}\r\n\r\n",
                    r.content_range(size)
                );
                segments.push(Segment::Literal(Bytes::from(part_head)));
                segments.push(Segment::Slice(*r));
            }
            segments.push(Segment::Literal(Bytes::from(format!("\r\n--{boundary}--\r\n"))));
            let value = format!("multipart/byteranges; boundary={boundary}");
            headers.insert(CONTENT_TYPE, HeaderValue::from_str(&value).expect("ASCII"));
            Response::from_parts(StatusCode::PARTIAL_CONTENT, headers, body_of(content, segments))
        }
    }
}

/// A multipart boundary that differs per response (a counter mixed with the clock), so it
/// is not predictable from the content.
fn boundary() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let t = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_nanos() as u64);
    let mut x = t ^ n.wrapping_mul(0x9e37_79b9_7f4a_7c15);
    // splitmix64 finaliser
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^= x >> 31;
    format!("{x:016x}{n:04x}")
}

/// Content-Type for content that has neither a name nor a type: HTML, UTF-8 text or octets.
fn sniff(source: &Source) -> HeaderValue {
    let Source::Bytes(b) = source else { return HeaderValue::from_static("application/octet-stream") };
    let head = &b[..b.len().min(512)];
    let text = String::from_utf8_lossy(head);
    let trimmed = text.trim_start().to_ascii_lowercase();
    if b.is_empty() {
        HeaderValue::from_static("application/octet-stream")
    } else if trimmed.starts_with("<!doctype html") || trimmed.starts_with("<html") {
        HeaderValue::from_static("text/html; charset=utf-8")
    } else if !text.contains('\u{fffd}') && !head.iter().any(|&c| c < 0x20 && !b"\t\n\r\x0c".contains(&c)) {
        HeaderValue::from_static("text/plain; charset=utf-8")
    } else {
        HeaderValue::from_static("application/octet-stream")
    }
}

/// One piece of a response body: literal bytes (multipart headers) or a range of the source.
#[derive(Debug, Clone)]
enum Segment {
    Literal(Bytes),
    Slice(ByteRange),
}

fn body_of(content: Content, segments: Vec<Segment>) -> Body {
    let len: u64 = segments
        .iter()
        .map(|s| match s {
            Segment::Literal(b) => b.len() as u64,
            Segment::Slice(r) => r.len(),
        })
        .sum();
    let chunk = content.chunk_size;
    let inline = content.inline_reads;
    match content.source {
        Source::Bytes(b) => {
            if let [Segment::Slice(r)] = segments.as_slice() {
                return Body::from(b.slice(r.start as usize..=r.end as usize));
            }
            let parts: Vec<Result<Bytes, io::Error>> = segments
                .into_iter()
                .map(|s| match s {
                    Segment::Literal(l) => Ok(l),
                    Segment::Slice(r) => Ok(b.slice(r.start as usize..=r.end as usize)),
                })
                .collect();
            Body::from_bytes_stream(tokio_stream::iter(parts)).with_exact_len(len)
        }
        Source::File(file) => {
            // One range of the file, read on the polling thread anyway (`inline`): engines
            // that can may send it zero-copy, others stream the chunks. Multipart bodies
            // interleave part heads, and blocking-pool reads promise the runtime threads
            // never wait on the disk, which `sendfile` would.
            let region = match segments.as_slice() {
                [Segment::Slice(r)] if inline && r.len() >= SENDFILE_MIN => Some((r.start, r.len())),
                _ => None,
            };
            let stream =
                FileChunks { file: Arc::clone(&file), segments: to_queue(segments), chunk, inline, pending: None };
            let body = Body::from_bytes_stream(stream).with_exact_len(len);
            match region {
                Some((offset, n)) => Body::from_file_region(file, offset, n, body),
                None => body,
            }
        }
        Source::Reader(reader) => {
            let stream = ReaderChunks {
                reader,
                segments: to_queue(segments),
                chunk,
                state: ReadState::Seek,
                buf: BytesMut::new(),
            };
            Body::from_bytes_stream(stream).with_exact_len(len)
        }
    }
}

/// Segments as (literal | offset + remaining length) for the streaming readers.
fn to_queue(segments: Vec<Segment>) -> VecDeque<Piece> {
    segments
        .into_iter()
        .map(|s| match s {
            Segment::Literal(b) => Piece::Literal(b),
            Segment::Slice(r) => Piece::Slice { offset: r.start, left: r.len() },
        })
        .collect()
}

#[derive(Debug)]
enum Piece {
    Literal(Bytes),
    Slice { offset: u64, left: u64 },
}

/// Streams file ranges with positional reads on the blocking pool, one chunk ahead (at most
/// two chunks per response are in memory), or, `inline`, on the polling thread, one chunk at
/// a time.
struct FileChunks {
    file: Arc<std::fs::File>,
    segments: VecDeque<Piece>,
    chunk: usize,
    inline: bool,
    pending: Option<JoinHandle<io::Result<Bytes>>>,
}

impl FileChunks {
    /// Takes the next chunk's (offset, length) from the front file range, if that is next.
    fn next_chunk(&mut self) -> Option<(u64, usize)> {
        while let Some(Piece::Slice { left: 0, .. }) = self.segments.front() {
            self.segments.pop_front();
        }
        let Some(Piece::Slice { offset, left }) = self.segments.front_mut() else { return None };
        let n = (*left).min(self.chunk as u64) as usize;
        let at = *offset;
        *offset += n as u64;
        *left -= n as u64;
        if *left == 0 {
            self.segments.pop_front();
        }
        Some((at, n))
    }

    /// Starts reading the next chunk on the blocking pool if the next piece is a file range.
    fn start_read(&mut self) {
        if self.inline {
            return;
        }
        if let Some((at, n)) = self.next_chunk() {
            let file = Arc::clone(&self.file);
            self.pending = Some(tokio::task::spawn_blocking(move || read_exact_at(&file, at, n)));
        }
    }
}

fn read_exact_at(file: &std::fs::File, offset: u64, n: usize) -> io::Result<Bytes> {
    let mut buf = vec![0u8; n];
    let mut filled = 0;
    while filled < n {
        let got = read_at(file, &mut buf[filled..], offset + filled as u64)?;
        if got == 0 {
            return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "file shrank while being sent"));
        }
        filled += got;
    }
    Ok(Bytes::from(buf))
}

#[cfg(unix)]
fn read_at(file: &std::fs::File, buf: &mut [u8], offset: u64) -> io::Result<usize> {
    use std::os::unix::fs::FileExt;
    loop {
        match file.read_at(buf, offset) {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            r => return r,
        }
    }
}

#[cfg(windows)]
fn read_at(file: &std::fs::File, buf: &mut [u8], offset: u64) -> io::Result<usize> {
    use std::os::windows::fs::FileExt;
    file.seek_read(buf, offset)
}

#[cfg(not(any(unix, windows)))]
fn read_at(mut file: &std::fs::File, buf: &mut [u8], offset: u64) -> io::Result<usize> {
    use std::io::{Read, Seek};
    file.seek(SeekFrom::Start(offset))?;
    file.read(buf)
}

impl AsyncStream for FileChunks {
    type Item = io::Result<Bytes>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        loop {
            if let Some(handle) = this.pending.as_mut() {
                let result = ready!(Pin::new(handle).poll(cx));
                this.pending = None;
                let out = result.unwrap_or_else(|e| Err(io::Error::other(e)));
                if out.is_ok() {
                    this.start_read();
                }
                return Poll::Ready(Some(out));
            }
            match this.segments.front() {
                None => return Poll::Ready(None),
                Some(Piece::Literal(_)) => {
                    let Some(Piece::Literal(b)) = this.segments.pop_front() else { unreachable!() };
                    this.start_read();
                    return Poll::Ready(Some(Ok(b)));
                }
                Some(Piece::Slice { .. }) if this.inline => {
                    let Some((at, n)) = this.next_chunk() else { continue };
                    return Poll::Ready(Some(read_exact_at(&this.file, at, n)));
                }
                Some(Piece::Slice { .. }) => {
                    this.start_read();
                    if this.pending.is_none() {
                        // It was an empty range; go on with what follows.
                        continue;
                    }
                }
            }
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ReadState {
    Seek,
    Seeking,
    Read,
}

/// Streams ranges of a seekable async reader: seek to each range, then read it in chunks.
struct ReaderChunks {
    reader: Box<dyn SeekRead>,
    segments: VecDeque<Piece>,
    chunk: usize,
    state: ReadState,
    buf: BytesMut,
}

impl AsyncStream for ReaderChunks {
    type Item = io::Result<Bytes>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        loop {
            let (offset, left) = match this.segments.front_mut() {
                None => return Poll::Ready(None),
                Some(Piece::Literal(_)) => {
                    let Some(Piece::Literal(b)) = this.segments.pop_front() else { unreachable!() };
                    return Poll::Ready(Some(Ok(b)));
                }
                Some(Piece::Slice { left: 0, .. }) => {
                    this.segments.pop_front();
                    this.state = ReadState::Seek;
                    continue;
                }
                Some(Piece::Slice { offset, left }) => (*offset, left),
            };
            match this.state {
                ReadState::Seek => {
                    if let Err(e) = Pin::new(&mut this.reader).start_seek(SeekFrom::Start(offset)) {
                        return Poll::Ready(Some(Err(e)));
                    }
                    this.state = ReadState::Seeking;
                }
                ReadState::Seeking => {
                    if let Err(e) = ready!(Pin::new(&mut this.reader).poll_complete(cx)) {
                        return Poll::Ready(Some(Err(e)));
                    }
                    this.state = ReadState::Read;
                }
                ReadState::Read => {
                    let n = (*left).min(this.chunk as u64) as usize;
                    this.buf.resize(n, 0);
                    let mut rb = ReadBuf::new(&mut this.buf[..n]);
                    if let Err(e) = ready!(Pin::new(&mut this.reader).poll_read(cx, &mut rb)) {
                        return Poll::Ready(Some(Err(e)));
                    }
                    let got = rb.filled().len();
                    if got == 0 {
                        let e = io::Error::new(io::ErrorKind::UnexpectedEof, "source ended before its size");
                        return Poll::Ready(Some(Err(e)));
                    }
                    *left -= got as u64;
                    if let Some(Piece::Slice { offset, .. }) = this.segments.front_mut() {
                        *offset += got as u64;
                    }
                    return Poll::Ready(Some(Ok(this.buf.split_to(got).freeze())));
                }
            }
        }
    }
}
