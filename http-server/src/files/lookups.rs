//! A short-lived cache of what request paths lead to, as nginx's `open_file_cache` keeps
//! (see [`FileServerOptions::metadata_ttl`](super::FileServerOptions::metadata_ttl)): for
//! each request path that led to a regular file, the file's open descriptor, metadata,
//! validators (RFC 9110 §8.8) with their header values made once, media type,
//! Cache-Control, and its bodies as stored and per content coding (RFC 9110 §8.4.1; with
//! `sendfile(2)` in use, a compressed body is kept in an unnamed file, sent like one), and
//! with precompressed siblings on, which siblings (`FILE.br`, `FILE.zst`, `FILE.gz`)
//! exist, each opened with its own validators. A fresh entry answers without any
//! file-system call; an entry older than the ttl is looked up again from scratch (path
//! checks, symlink jail, metadata, siblings), so changes of the file or of a sibling
//! (added, removed, rewritten) show within the ttl. The descriptors are the ones opened
//! right after the checks, so a path swapped for a symlink meanwhile cannot lead a fresh
//! entry outside the root.
//!
//! A request with no precondition and no Range (RFC 9110 §13.1, §14.2) is answered from
//! an entry without assembling a [`Content`]: the chosen representation's body and a copy
//! of its ready-made 200 fields ([`ReadyHead`]). Any other request gets the content, with
//! the validators' header values made ahead, and [`servecontent_head`] evaluates it.

use std::collections::HashMap;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock, PoisonError, RwLock};
use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use http_core::header::{CACHE_CONTROL, CONTENT_ENCODING, VARY};
use http_core::{HeaderValue, Method, RequestHead, Response, StatusCode};

use super::chunks::{Reads, SENDFILE_MIN, read_exact_at, whole_body};
use super::content::{Content, Source};
use super::encoding::{AcceptEncoding, Coding, compressible};
use super::etag::ETag;
use super::file::{Settings, cache_control_for};
use super::memfile::{Unnamed, unnamed_copy};
use super::mime::content_type_for;
use super::open::{COMPRESS_IN_MEMORY_MAX, compressed_bytes_with, file_etag, siblings, stored_bytes_with};
use super::ready::{Fields, ReadyHead};
use super::respond::{servecontent_head, validator_headers};

/// At most this many paths are remembered.
const MAX_ENTRIES: usize = 256;

/// At most this many descriptors are held open by the remembered paths (a file and its
/// siblings each hold one): kept well below the usual limit of 1024 descriptors a process.
const MAX_DESCRIPTORS: usize = 256;

/// The remembered paths of one file server.
#[derive(Debug)]
pub(crate) struct Lookups {
    ttl: Duration,
    map: RwLock<HashMap<Box<str>, Arc<Resolved>>>,
}

impl Lookups {
    pub(crate) fn new(ttl: Duration) -> Lookups {
        Lookups { ttl, map: RwLock::new(HashMap::new()) }
    }

    /// The entry for `path`, if one is fresh.
    pub(crate) fn get(&self, path: &str) -> Option<Arc<Resolved>> {
        let map = self.map.read().unwrap_or_else(PoisonError::into_inner);
        map.get(path).filter(|r| r.checked.elapsed() < self.ttl).cloned()
    }

    /// Remembers `path`'s entry; when full (paths or descriptors), stale entries go first,
    /// then the oldest.
    pub(crate) fn insert(&self, path: &str, entry: Arc<Resolved>) {
        let mut map = self.map.write().unwrap_or_else(PoisonError::into_inner);
        map.remove(path);
        let held = |map: &HashMap<Box<str>, Arc<Resolved>>| map.values().map(|r| r.descriptors()).sum::<usize>();
        let full = |entries: usize, descriptors: usize| {
            entries >= MAX_ENTRIES || descriptors + entry.descriptors() > MAX_DESCRIPTORS
        };
        let mut descriptors = held(&map);
        if full(map.len(), descriptors) {
            map.retain(|_, r| r.checked.elapsed() < self.ttl);
            descriptors = held(&map);
        }
        while full(map.len(), descriptors) {
            let Some(oldest) = map.iter().min_by_key(|(_, r)| r.checked).map(|(k, _)| k.clone()) else { break };
            descriptors -= map.remove(&oldest).map_or(0, |r| r.descriptors());
        }
        map.insert(path.into(), entry);
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.map.read().unwrap_or_else(PoisonError::into_inner).len()
    }
}

/// One body in one content coding, with its validator made once.
#[derive(Debug)]
struct Coded {
    body: CodedBody,
    etag: Option<ETag>,
    etag_header: Option<HeaderValue>,
    ready: ReadyHead,
}

/// Where a remembered compressed body is kept.
#[derive(Debug)]
enum CodedBody {
    /// In memory, copied into the socket on each response.
    Bytes(Bytes),
    /// In an unnamed file ([`unnamed_copy`]), made when `sendfile(2)` is in use (inline
    /// I/O) and the body is long enough for it ([`SENDFILE_MIN`]): sent like a file, page
    /// cache to socket.
    File(Unnamed),
}

/// A precompressed sibling of the file (`FILE.br`, `FILE.zst`, `FILE.gz`), opened when the
/// entry was made; it carries its own validators (its metadata, plus the coding's suffix
/// on the ETag), as when it is looked up on each request.
#[derive(Debug)]
struct Sibling {
    coding: Coding,
    body: Stored,
    etag: Option<ETag>,
    last_modified: Option<SystemTime>,
    etag_header: Option<HeaderValue>,
    last_modified_header: Option<HeaderValue>,
    ready: ReadyHead,
}

/// An open regular file and its bytes, for small files when the cache of small files is on.
#[derive(Debug)]
struct Stored {
    file: Arc<std::fs::File>,
    len: u64,
    bytes: Option<Bytes>,
}

impl Stored {
    /// Opens `path`; `None` when it is not a regular file.
    fn open(s: &Settings, path: &Path) -> io::Result<Option<(Stored, std::fs::Metadata)>> {
        let file = std::fs::File::open(path)?;
        let meta = file.metadata()?;
        if !meta.is_file() {
            return Ok(None);
        }
        let len = meta.len();
        let bytes = if len <= s.small_file_limit && len < SENDFILE_MIN && s.file_cache.is_some() {
            Some(stored_bytes_with(s, path, &meta, || read_exact_at(&file, 0, len as usize))?)
        } else {
            None
        };
        Ok(Some((Stored { file: Arc::new(file), len, bytes }, meta)))
    }

    /// The bytes as stored, and how many: remembered, read at once (a small file,
    /// `read_small`, too short for `sendfile`), or the file itself.
    fn source(&self, s: &Settings, read_small: bool) -> io::Result<(Source, u64)> {
        let bytes = |b: Bytes| {
            let len = b.len() as u64;
            (Source::Bytes(b), len)
        };
        Ok(match &self.bytes {
            Some(b) => bytes(b.clone()),
            None if read_small && self.len <= s.small_file_limit && !(s.inline_io && self.len >= SENDFILE_MIN) => {
                bytes(read_exact_at(&self.file, 0, self.len as usize)?)
            }
            None => (Source::File(Arc::clone(&self.file)), self.len),
        })
    }
}

/// What a request asks beyond the plain answer, from one pass over its header fields (a
/// few; cheaper than a hashed look-up per name).
#[derive(Debug, Clone, Copy, Default)]
struct Asks<'h> {
    /// A Range field (RFC 9110 §14.2).
    range: bool,
    /// A precondition (RFC 9110 §13.1) or If-Range (§13.1.5).
    conditional: bool,
    /// The Accept-Encoding line (RFC 9110 §12.5.3), when there is exactly one.
    accept_encoding: Option<&'h HeaderValue>,
    /// More than one Accept-Encoding line.
    accept_encoding_lines: bool,
}

impl<'h> Asks<'h> {
    fn of(head: &'h RequestHead) -> Asks<'h> {
        use http_core::header::{
            ACCEPT_ENCODING, IF_MATCH, IF_MODIFIED_SINCE, IF_NONE_MATCH, IF_RANGE, IF_UNMODIFIED_SINCE, RANGE,
        };
        let mut a = Asks::default();
        for (name, value) in &head.headers {
            if name == ACCEPT_ENCODING {
                a.accept_encoding_lines |= a.accept_encoding.is_some();
                a.accept_encoding = Some(value);
            } else if name == RANGE {
                a.range = true;
            } else if name == IF_NONE_MATCH
                || name == IF_MODIFIED_SINCE
                || name == IF_MATCH
                || name == IF_UNMODIFIED_SINCE
                || name == IF_RANGE
            {
                a.conditional = true;
            }
        }
        a
    }

    /// The request's Accept-Encoding, read from the line found (or from every line).
    fn accept(&self, head: &RequestHead) -> AcceptEncoding {
        match self.accept_encoding {
            _ if self.accept_encoding_lines => AcceptEncoding::from_headers(&head.headers),
            Some(line) => AcceptEncoding::from_line(line),
            None => AcceptEncoding::default(),
        }
    }
}

/// What an entry gives a request.
enum Answer {
    /// The answer itself (a plain request's).
    Ready(Response),
    /// The content to evaluate the request's preconditions and range against.
    Evaluate(Content),
}

/// One representation's validators, their header values made ahead, and its ready-made
/// fields.
struct Validators<'a> {
    coding: Option<Coding>,
    etag: &'a Option<ETag>,
    last_modified: Option<SystemTime>,
    headers: (&'a Option<HeaderValue>, &'a Option<HeaderValue>),
    ready: &'a ReadyHead,
}

/// What a request path led to: a regular file, opened.
#[derive(Debug)]
pub(crate) struct Resolved {
    checked: Instant,
    path: PathBuf,
    body: Stored,
    meta: std::fs::Metadata,
    content_type: HeaderValue,
    cache_control: Option<HeaderValue>,
    /// Compressed on the fly for clients that accept a coding.
    compress: bool,
    /// Answers carry `Vary: Accept-Encoding` (compressed on the fly, or with siblings).
    vary: bool,
    etag: Option<ETag>,
    last_modified: Option<SystemTime>,
    etag_header: Option<HeaderValue>,
    last_modified_header: Option<HeaderValue>,
    /// The fields of a plain request's answer in identity.
    ready: ReadyHead,
    /// The precompressed siblings that exist (with precompressed siblings on).
    siblings: Vec<Sibling>,
    /// The bodies compressed in memory, one per coding, made on first use.
    coded: [OnceLock<Coded>; 4],
}

impl Resolved {
    /// Opens the file a lookup found, and its precompressed siblings when those are on;
    /// `None` when it is not for this cache (not a regular file any more).
    pub(crate) fn open(s: &Settings, path: &Path) -> io::Result<Option<Resolved>> {
        let Some((body, meta)) = Stored::open(s, path)? else { return Ok(None) };
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let content_type = content_type_for(&name);
        let is_spa = s.spa.as_deref() == Some(path);
        let cache_control = cache_control_for(s, &name, is_spa);
        let compress = s.compress && meta.len() >= s.compress_min_size && compressible(&content_type);
        let listed = if s.precompressed { siblings(path) } else { Vec::new() };
        let vary = compress || !listed.is_empty();
        let fields = Fields {
            coding: None,
            vary,
            cache_control: cache_control.as_ref(),
            etag: None,
            last_modified: None,
            content_type: &content_type,
        };
        let mut found = Vec::new();
        for (coding, sibling) in listed {
            // Gone or replaced since it was listed: the next lookup sees it as it is.
            let Some((body, meta)) = Stored::open(s, &sibling)? else { return Ok(None) };
            let etag = file_etag(s, &meta).map(|t| t.with_suffix(coding.etag_suffix()));
            let last_modified = meta.modified().ok();
            let (etag_header, last_modified_header) = validator_headers(etag.as_ref(), last_modified);
            let ready = ReadyHead::new(Fields {
                coding: Some(coding),
                etag: etag_header.as_ref(),
                last_modified: last_modified_header.as_ref(),
                ..fields
            });
            found.push(Sibling { coding, body, etag, last_modified, etag_header, last_modified_header, ready });
        }
        let etag = file_etag(s, &meta);
        let last_modified = meta.modified().ok();
        let (etag_header, last_modified_header) = validator_headers(etag.as_ref(), last_modified);
        let ready = ReadyHead::new(Fields {
            etag: etag_header.as_ref(),
            last_modified: last_modified_header.as_ref(),
            ..fields
        });
        Ok(Some(Resolved {
            checked: Instant::now(),
            path: path.to_path_buf(),
            body,
            meta,
            content_type,
            cache_control,
            compress,
            vary,
            etag,
            last_modified,
            etag_header,
            last_modified_header,
            ready,
            siblings: found,
            coded: Default::default(),
        }))
    }

    /// The descriptors this entry holds open: the file's and its siblings'.
    fn descriptors(&self) -> usize {
        1 + self.siblings.len()
    }

    /// The body compressed with `coding` (made from the open file, or taken from the
    /// compressed-body cache, on first use).
    fn coded(&self, s: &Settings, coding: Coding) -> io::Result<&Coded> {
        let slot = &self.coded[coding as usize];
        if let Some(c) = slot.get() {
            return Ok(c);
        }
        let bytes = compressed_bytes_with(s, &self.path, &self.meta, coding, || match &self.body.bytes {
            Some(b) => Ok(b.clone()),
            None => read_exact_at(&self.body.file, 0, self.meta.len() as usize),
        })?;
        let len = bytes.len() as u64;
        let body = if s.inline_io && len >= SENDFILE_MIN {
            unnamed_copy(&bytes).map(CodedBody::File).unwrap_or(CodedBody::Bytes(bytes))
        } else {
            CodedBody::Bytes(bytes)
        };
        let etag = self.etag.as_ref().map(|t| t.with_suffix(coding.etag_suffix()));
        let etag_header = etag.as_ref().map(ETag::to_header);
        let ready = ReadyHead::new(Fields {
            coding: Some(coding),
            vary: self.vary,
            cache_control: self.cache_control.as_ref(),
            etag: etag_header.as_ref(),
            last_modified: self.last_modified_header.as_ref(),
            content_type: &self.content_type,
        });
        Ok(slot.get_or_init(|| Coded { body, etag, etag_header, ready }))
    }

    /// The answer to a request: a precompressed sibling in the coding the request prefers
    /// among the siblings', else the file in the coding it prefers (none for a range), as
    /// stored otherwise. A plain request (no precondition, no Range) gets the whole
    /// representation with its ready-made fields, no content assembled; any other gets
    /// the content to evaluate it against, with the validators' header values made ahead.
    fn answer(&self, s: &Settings, head: &RequestHead) -> io::Result<Answer> {
        let asks = Asks::of(head);
        let accept = if self.vary && !asks.range { Some(asks.accept(head)) } else { None };
        let sibling = accept.as_ref().and_then(|a| {
            let coding = a.choose(self.siblings.iter().map(|x| x.coding))?;
            self.siblings.iter().find(|x| x.coding == coding)
        });
        let coding = match (&accept, sibling) {
            (Some(a), None) if self.compress => a.choose(Coding::ALL),
            _ => None,
        };
        let len = self.meta.len();
        let plain = !asks.range && !asks.conditional;
        let read_small = head.method == Method::GET && plain;
        let ((source, size), v) = match (sibling, coding) {
            (Some(x), _) => (
                x.body.source(s, read_small)?,
                Validators {
                    coding: Some(x.coding),
                    etag: &x.etag,
                    last_modified: x.last_modified,
                    headers: (&x.etag_header, &x.last_modified_header),
                    ready: &x.ready,
                },
            ),
            (None, Some(coding)) if len <= COMPRESS_IN_MEMORY_MAX => {
                let coded = self.coded(s, coding)?;
                let source = match &coded.body {
                    CodedBody::Bytes(b) => (Source::Bytes(b.clone()), b.len() as u64),
                    CodedBody::File(u) => (Source::File(Arc::clone(&u.file)), u.len),
                };
                (
                    source,
                    Validators {
                        coding: Some(coding),
                        etag: &coded.etag,
                        last_modified: self.last_modified,
                        headers: (&coded.etag_header, &self.last_modified_header),
                        ready: &coded.ready,
                    },
                )
            }
            (None, Some(coding)) => {
                // Streamed: its tag is made here (no header value kept for it).
                let mut c = Content::encode_file(Arc::clone(&self.body.file), len, coding);
                c.headers.insert(CONTENT_ENCODING, coding.header());
                c.etag = self.etag.as_ref().map(|t| t.with_suffix(coding.etag_suffix()));
                c.last_modified = self.last_modified;
                c.validator_headers = Some((c.etag.as_ref().map(ETag::to_header), self.last_modified_header.clone()));
                return Ok(Answer::Evaluate(self.finish(s, c)));
            }
            (None, None) => (
                self.body.source(s, read_small)?,
                Validators {
                    coding: None,
                    etag: &self.etag,
                    last_modified: self.last_modified,
                    headers: (&self.etag_header, &self.last_modified_header),
                    ready: &self.ready,
                },
            ),
        };
        if plain {
            let body = whole_body(Reads { source, size, chunk: s.chunk_size.max(1), inline: s.inline_io });
            return Ok(Answer::Ready(Response::from_parts(StatusCode::OK, v.ready.fields(), body)));
        }
        let mut c = Content::new(source, size);
        if let Some(coding) = v.coding {
            c.headers.insert(CONTENT_ENCODING, coding.header());
            c.encoded = true;
        }
        c.etag = v.etag.clone();
        c.last_modified = v.last_modified;
        c.validator_headers = Some((v.headers.0.clone(), v.headers.1.clone()));
        Ok(Answer::Evaluate(self.finish(s, c)))
    }

    /// The headers every answer from this entry carries.
    fn finish(&self, s: &Settings, mut c: Content) -> Content {
        c.content_type = Some(self.content_type.clone());
        c.chunk_size = s.chunk_size.max(1);
        c.inline_reads = s.inline_io;
        if self.vary {
            c.headers.insert(VARY, HeaderValue::from_static("accept-encoding"));
        }
        if let Some(cc) = &self.cache_control {
            c.headers.insert(CACHE_CONTROL, cc.clone());
        }
        c
    }

    /// The answer to `head` (GET or HEAD) from this entry.
    pub(crate) fn respond(&self, s: &Settings, head: &RequestHead) -> Response {
        match self.answer(s, head) {
            Ok(Answer::Ready(r)) => r,
            Ok(Answer::Evaluate(content)) => servecontent_head(head, content),
            Err(e) => super::file::respond(s, super::file::not_found_kind(&e), head),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::files::{FileServerOptions, fileserver};
    use http_core::{Request, testing};

    struct Dir(PathBuf);
    impl Drop for Dir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    fn dir(name: &str) -> Dir {
        let d = std::env::temp_dir().join(format!("lookups-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(d.join("root/sub")).unwrap();
        Dir(d)
    }

    fn opts(ttl: Duration) -> FileServerOptions {
        FileServerOptions::new().inline_io(true).compress(true).cache_bytes(1 << 20).metadata_ttl(ttl)
    }

    async fn get(fs: &crate::files::FileServer, path: &str, headers: &[(&str, &str)]) -> testing::TestResponse {
        let mut req = Request::new(Method::GET, path);
        for (k, v) in headers {
            req = req.with_header(k, v);
        }
        testing::call(fs, req).await
    }

    #[tokio::test]
    async fn fresh_entries_answer_and_stale_ones_are_looked_up_again() {
        let d = dir("fresh");
        let root = d.0.join("root");
        std::fs::write(root.join("a.txt"), "one").unwrap();
        let fs = fileserver(&root, opts(Duration::from_secs(3600))).unwrap();
        let first = get(&fs, "/a.txt", &[]).await;
        assert_eq!(first.text(), "one");
        std::fs::write(root.join("a.txt"), "three").unwrap();
        // Within the ttl the remembered version is served, with its own validators.
        let r = get(&fs, "/a.txt", &[]).await;
        assert_eq!((r.text().as_str(), r.header("etag")), ("one", first.header("etag")));
        let fs = fileserver(&root, opts(Duration::from_millis(30))).unwrap();
        assert_eq!(get(&fs, "/a.txt", &[]).await.text(), "three");
        std::fs::write(root.join("a.txt"), "four!").unwrap();
        std::thread::sleep(Duration::from_millis(40));
        assert_eq!(get(&fs, "/a.txt", &[]).await.text(), "four!", "stale: looked up again");
        std::fs::remove_file(root.join("a.txt")).unwrap();
        std::thread::sleep(Duration::from_millis(40));
        assert_eq!(get(&fs, "/a.txt", &[]).await.status, 404, "removed");
    }

    #[tokio::test]
    async fn answers_match_the_uncached_ones() {
        let d = dir("same");
        let root = d.0.join("root");
        std::fs::write(root.join("page.html"), "<p>hello hello hello</p>\n".repeat(200)).unwrap();
        std::fs::write(root.join("big.bin"), vec![7u8; 40_000]).unwrap();
        std::fs::write(root.join("sub/index.html"), "index").unwrap();
        // Precompressed siblings: a small one, one long enough for `sendfile`, and a file
        // whose only sibling is not compressible on the fly.
        std::fs::write(root.join("page.html.gz"), "small gzip sibling").unwrap();
        std::fs::write(root.join("page.html.br"), vec![b'b'; 20_000]).unwrap();
        std::fs::write(root.join("big.bin.zst"), vec![b'z'; 1000]).unwrap();
        for precompressed in [false, true] {
            let opts = |ttl| opts(ttl).precompressed(precompressed).cache_control("max-age=60");
            let cached = fileserver(&root, opts(Duration::from_secs(3600))).unwrap();
            let plain = fileserver(&root, opts(Duration::ZERO)).unwrap();
            let tag = |ae: &'static str| {
                let plain = &plain;
                async move { get(plain, "/page.html", &[("accept-encoding", ae)]).await.header("etag").unwrap().to_owned() }
            };
            let (gz, br) = (tag("gzip").await, tag("br").await);
            let rows: [(&str, &[(&str, &str)]); 14] = [
                ("/page.html", &[]),
                ("/page.html", &[("accept-encoding", "br, gzip")]),
                ("/page.html", &[("accept-encoding", "gzip")]),
                ("/page.html", &[("accept-encoding", "zstd, gzip;q=0.5")]),
                ("/page.html", &[("accept-encoding", "deflate")]),
                ("/page.html", &[("accept-encoding", "gzip"), ("if-none-match", &gz)]),
                ("/page.html", &[("accept-encoding", "br"), ("if-none-match", &br)]),
                ("/page.html", &[("accept-encoding", "br"), ("range", "bytes=0-9")]),
                ("/big.bin", &[]),
                ("/big.bin", &[("accept-encoding", "zstd")]),
                ("/big.bin", &[("accept-encoding", "gzip")]),
                ("/big.bin", &[("accept-encoding", "zstd"), ("range", "bytes=10-19")]),
                ("/big.bin", &[("range", "bytes=10-19")]),
                ("/sub/", &[]),
            ];
            for (path, headers) in rows {
                for (round, method) in [Method::GET, Method::GET, Method::HEAD].into_iter().enumerate() {
                    let call = |fs| {
                        let mut req = Request::new(method.clone(), path);
                        for (k, v) in headers {
                            req = req.with_header(k, v);
                        }
                        testing::call(fs, req)
                    };
                    let (a, b) = (call(&cached).await, call(&plain).await);
                    let what = format!("precompressed {precompressed}: {method} {path} {headers:?} round {round}");
                    assert_eq!(a.status, b.status, "{what}");
                    assert_eq!(a.body, b.body, "{what}");
                    // Every field, in the same order (a plain request's come ready-made).
                    let fields = |r: &testing::TestResponse| {
                        r.headers
                            .iter()
                            .filter(|(n, _)| *n != http_core::header::DATE)
                            .map(|(n, v)| (n.clone(), v.clone()))
                            .collect::<Vec<_>>()
                    };
                    assert_eq!(fields(&a), fields(&b), "{what}");
                    assert!(
                        a.header("cache-control").is_some()
                            && a.header("accept-ranges").is_some() != a.header("content-encoding").is_some(),
                        "{what}"
                    );
                }
            }
            let sibling = get(&cached, "/big.bin", &[("accept-encoding", "zstd")]).await;
            assert_eq!(sibling.header("content-encoding").is_some(), precompressed, "the sibling is served");
        }
    }

    #[cfg(unix)]
    #[tokio::test]
    async fn never_outside_the_root_and_no_negative_entries() {
        let d = dir("jail");
        let root = d.0.join("root");
        std::fs::write(d.0.join("secret.txt"), "outside").unwrap();
        std::fs::write(root.join("a.txt"), "inside").unwrap();
        let fs = fileserver(&root, opts(Duration::from_millis(30))).unwrap();
        assert_eq!(get(&fs, "/a.txt", &[]).await.text(), "inside");
        // The path becomes a symlink out of the root: a fresh entry still serves the file
        // that was checked, a stale one is checked again and refused.
        std::fs::remove_file(root.join("a.txt")).unwrap();
        std::os::unix::fs::symlink(d.0.join("secret.txt"), root.join("a.txt")).unwrap();
        assert_eq!(get(&fs, "/a.txt", &[]).await.text(), "inside");
        std::thread::sleep(Duration::from_millis(40));
        assert_eq!(get(&fs, "/a.txt", &[]).await.status, 404);
        // Misses are not remembered: a new file shows at once.
        assert_eq!(get(&fs, "/new.txt", &[]).await.status, 404);
        std::fs::write(root.join("new.txt"), "new").unwrap();
        assert_eq!(get(&fs, "/new.txt", &[]).await.text(), "new");
    }

    #[test]
    fn bounded_stale_first() {
        let d = dir("bounded");
        let root = d.0.join("root");
        std::fs::write(root.join("a.txt"), "a").unwrap();
        let s = Settings::from_options(&FileServerOptions::new(), Some(&root), None);
        let base = Resolved::open(&s, &root.join("a.txt")).unwrap().unwrap();
        // Entries sharing one descriptor, each checked now.
        let resolved = || Resolved {
            checked: Instant::now(),
            path: base.path.clone(),
            body: Stored { file: Arc::clone(&base.body.file), len: base.body.len, bytes: None },
            meta: base.meta.clone(),
            content_type: base.content_type.clone(),
            cache_control: None,
            compress: false,
            vary: false,
            etag: None,
            last_modified: None,
            etag_header: None,
            last_modified_header: None,
            ready: ReadyHead::new(Fields {
                coding: None,
                vary: false,
                cache_control: None,
                etag: None,
                last_modified: None,
                content_type: &base.content_type,
            }),
            siblings: Vec::new(),
            coded: Default::default(),
        };
        let entry = || Arc::new(resolved());
        let cache = Lookups::new(Duration::from_secs(3600));
        cache.insert("/0", entry());
        std::thread::sleep(Duration::from_millis(2));
        for i in 1..MAX_ENTRIES + 10 {
            cache.insert(&format!("/{i}"), entry());
        }
        assert_eq!(cache.len(), MAX_ENTRIES);
        assert!(cache.get(&format!("/{}", MAX_ENTRIES + 9)).is_some(), "the newest stays");
        assert!(cache.get("/0").is_none(), "the oldest went first");
        // Entries with three siblings hold four descriptors each.
        let with_siblings = || {
            let sibling = |coding| Sibling {
                coding,
                body: Stored { file: Arc::clone(&base.body.file), len: base.body.len, bytes: None },
                etag: None,
                last_modified: None,
                etag_header: None,
                last_modified_header: None,
                ready: base.ready.clone(),
            };
            Arc::new(Resolved {
                siblings: vec![sibling(Coding::Br), sibling(Coding::Zstd), sibling(Coding::Gzip)],
                ..resolved()
            })
        };
        let cache = Lookups::new(Duration::from_secs(3600));
        for i in 0..MAX_ENTRIES {
            cache.insert(&format!("/{i}"), with_siblings());
        }
        assert_eq!(cache.len(), MAX_DESCRIPTORS / 4, "bounded by descriptors");
        assert!(cache.get(&format!("/{}", MAX_ENTRIES - 1)).is_some(), "the newest stays");
        cache.insert("/plain", entry());
        assert_eq!(cache.len(), MAX_DESCRIPTORS / 4, "one went for the new one");
        let stale = Lookups::new(Duration::ZERO);
        stale.insert("/a", entry());
        assert!(stale.get("/a").is_none(), "older than the ttl");
    }
}
