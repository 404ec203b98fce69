//! [`Content`]: what [`servecontent`](super::servecontent) serves. The source of the bytes
//! (in memory, a file, a seekable async reader), their size, and the validators that go
//! into the response (RFC 9110 §8.8: `Last-Modified` §8.8.2, `ETag` §8.8.3), with the
//! Content-Type and extra headers.

use std::io;
use std::sync::Arc;
use std::time::SystemTime;

use bytes::Bytes;
use http_core::{HeaderMap, HeaderName, HeaderValue};
use tokio::io::{AsyncRead, AsyncSeek};

use super::etag::ETag;
use super::mime::content_type_for;

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

/// An async reader that can also seek; any `AsyncRead + AsyncSeek + Send + Unpin + 'static`.
pub(super) trait SeekRead: AsyncRead + AsyncSeek + Send + Unpin + 'static {}
impl<T: AsyncRead + AsyncSeek + Send + Unpin + 'static> SeekRead for T {}

/// Where the bytes of a [`Content`] come from.
pub(super) enum Source {
    /// In memory.
    Bytes(Bytes),
    /// A file, read with positional reads.
    File(Arc<std::fs::File>),
    /// A seekable async reader.
    Reader(Box<dyn SeekRead>),
    /// A file compressed on the fly as it is sent (its size is the file's).
    Encode(Arc<std::fs::File>, super::encoding::Coding),
}

/// What [`servecontent`](super::servecontent) serves: the bytes (in memory, a file, or a seekable reader), their
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
    pub(super) source: Source,
    pub(super) size: u64,
    pub(super) last_modified: Option<SystemTime>,
    pub(super) etag: Option<ETag>,
    pub(super) content_type: Option<HeaderValue>,
    pub(super) headers: HeaderMap,
    pub(super) chunk_size: usize,
    pub(super) inline_reads: bool,
    /// In a content coding: no ranges, no `Accept-Ranges`.
    pub(super) encoded: bool,
    /// The ETag and Last-Modified header values, when made ahead (by the lookup cache):
    /// they must match `etag` and `last_modified`.
    pub(super) validator_headers: Option<(Option<HeaderValue>, Option<HeaderValue>)>,
}

impl std::fmt::Debug for Content {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kind = match self.source {
            Source::Bytes(_) => "bytes",
            Source::File(_) => "file",
            Source::Reader(_) => "reader",
            Source::Encode(..) => "encoded file",
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
    pub(super) fn new(source: Source, size: u64) -> Content {
        Content {
            source,
            size,
            last_modified: None,
            etag: None,
            content_type: None,
            headers: HeaderMap::new(),
            chunk_size: DEFAULT_CHUNK_SIZE,
            inline_reads: false,
            encoded: false,
            validator_headers: None,
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

    /// Marks the content as a representation in a content coding (whose Content-Encoding
    /// the caller sets): ranges are not served on it.
    pub(crate) fn encoded(mut self) -> Content {
        self.encoded = true;
        self
    }

    /// A file compressed with `coding` as it is sent.
    pub(crate) fn encode_file(file: Arc<std::fs::File>, size: u64, coding: super::encoding::Coding) -> Content {
        Content::new(Source::Encode(file, coding), size).encoded()
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
