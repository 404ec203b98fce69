//! A short-lived cache of what request paths lead to, as nginx's `open_file_cache` keeps
//! (see [`FileServerOptions::metadata_ttl`](super::FileServerOptions::metadata_ttl)): for
//! each request path that led to a regular file, the file's open descriptor, metadata,
//! validators (RFC 9110 §8.8) with their header values made once, media type,
//! Cache-Control, and its bodies as stored and per content coding (RFC 9110 §8.4.1; with
//! `sendfile(2)` in use, a compressed body is kept in an unnamed file, sent like one). A
//! fresh entry answers without any file-system call; an entry older than the ttl is looked
//! up again from scratch (path checks, symlink jail, metadata), so changes show within the
//! ttl. The descriptor is the one opened right after the checks, so a path swapped for a
//! symlink meanwhile cannot lead a fresh entry outside the root.

use std::collections::HashMap;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock, PoisonError, RwLock};
use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use http_core::header::{CACHE_CONTROL, CONTENT_ENCODING, VARY};
use http_core::{HeaderValue, Method, RequestHead, Response};

use super::chunks::{SENDFILE_MIN, read_exact_at};
use super::content::Content;
use super::encoding::{AcceptEncoding, Coding, compressible};
use super::etag::ETag;
use super::file::{Settings, cache_control_for};
use super::memfile::{Unnamed, unnamed_copy};
use super::mime::content_type_for;
use super::open::{COMPRESS_IN_MEMORY_MAX, compressed_bytes_with, file_etag, siblings, stored_bytes_with};
use super::respond::{servecontent_head, validator_headers};

/// At most this many paths are remembered (each may hold a descriptor open: kept well
/// below the usual limit of 1024 descriptors a process).
const MAX_ENTRIES: usize = 256;

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

    /// Remembers `path`'s entry; when full, stale entries go first, then the oldest.
    pub(crate) fn insert(&self, path: &str, entry: Arc<Resolved>) {
        let mut map = self.map.write().unwrap_or_else(PoisonError::into_inner);
        if map.len() >= MAX_ENTRIES && !map.contains_key(path) {
            map.retain(|_, r| r.checked.elapsed() < self.ttl);
            if map.len() >= MAX_ENTRIES
                && let Some(oldest) = map.iter().min_by_key(|(_, r)| r.checked).map(|(k, _)| k.clone())
            {
                map.remove(&oldest);
            }
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

/// What a request path led to: a regular file, opened.
#[derive(Debug)]
pub(crate) struct Resolved {
    checked: Instant,
    path: PathBuf,
    file: Arc<std::fs::File>,
    meta: std::fs::Metadata,
    content_type: HeaderValue,
    cache_control: Option<HeaderValue>,
    /// Compressed on the fly for clients that accept a coding.
    compress: bool,
    etag: Option<ETag>,
    last_modified: Option<SystemTime>,
    etag_header: Option<HeaderValue>,
    last_modified_header: Option<HeaderValue>,
    /// The bytes as stored, for small files when the cache of small files is on.
    stored: Option<Bytes>,
    /// The bodies compressed in memory, one per coding, made on first use.
    coded: [OnceLock<Coded>; 4],
}

impl Resolved {
    /// Opens the file a lookup found; `None` when it is not for this cache (precompressed
    /// siblings, or not a regular file any more).
    pub(crate) fn open(s: &Settings, path: &Path) -> io::Result<Option<Resolved>> {
        if s.precompressed && !siblings(path).is_empty() {
            return Ok(None);
        }
        let file = std::fs::File::open(path)?;
        let meta = file.metadata()?;
        if !meta.is_file() {
            return Ok(None);
        }
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let content_type = content_type_for(&name);
        let is_spa = s.spa.as_deref() == Some(path);
        let compress = s.compress && meta.len() >= s.compress_min_size && compressible(&content_type);
        let etag = file_etag(s, &meta);
        let last_modified = meta.modified().ok();
        let (etag_header, last_modified_header) = validator_headers(etag.as_ref(), last_modified);
        let len = meta.len();
        let stored = if len <= s.small_file_limit && len < SENDFILE_MIN && s.file_cache.is_some() {
            Some(stored_bytes_with(s, path, &meta, || read_exact_at(&file, 0, len as usize))?)
        } else {
            None
        };
        Ok(Some(Resolved {
            checked: Instant::now(),
            cache_control: cache_control_for(s, &name, is_spa),
            path: path.to_path_buf(),
            file: Arc::new(file),
            meta,
            content_type,
            compress,
            etag,
            last_modified,
            etag_header,
            last_modified_header,
            stored,
            coded: Default::default(),
        }))
    }

    /// The body compressed with `coding` (made from the open file, or taken from the
    /// compressed-body cache, on first use).
    fn coded(&self, s: &Settings, coding: Coding) -> io::Result<&Coded> {
        let slot = &self.coded[coding as usize];
        if let Some(c) = slot.get() {
            return Ok(c);
        }
        let bytes = compressed_bytes_with(s, &self.path, &self.meta, coding, || match &self.stored {
            Some(b) => Ok(b.clone()),
            None => read_exact_at(&self.file, 0, self.meta.len() as usize),
        })?;
        let len = bytes.len() as u64;
        let body = if s.inline_io && len >= SENDFILE_MIN {
            unnamed_copy(&bytes).map(CodedBody::File).unwrap_or(CodedBody::Bytes(bytes))
        } else {
            CodedBody::Bytes(bytes)
        };
        let etag = self.etag.as_ref().map(|t| t.with_suffix(coding.etag_suffix()));
        let etag_header = etag.as_ref().map(ETag::to_header);
        Ok(slot.get_or_init(|| Coded { body, etag, etag_header }))
    }

    /// The content for a request: in the coding the request prefers (none for a range),
    /// as stored otherwise.
    fn content(&self, s: &Settings, head: &RequestHead) -> io::Result<Content> {
        use http_core::header::{IF_MODIFIED_SINCE, IF_NONE_MATCH, RANGE};
        let h = &head.headers;
        let ranged = h.contains_key(RANGE);
        let coding = if self.compress && !ranged { AcceptEncoding::from_headers(h).choose(Coding::ALL) } else { None };
        let len = self.meta.len();
        let (mut c, etag, etag_header) = match coding {
            Some(coding) if len <= COMPRESS_IN_MEMORY_MAX => {
                let coded = self.coded(s, coding)?;
                let c = match &coded.body {
                    CodedBody::Bytes(b) => Content::bytes_unhashed(b.clone()),
                    CodedBody::File(u) => Content::from_shared_file(Arc::clone(&u.file), u.len),
                };
                let c = c.header(CONTENT_ENCODING, coding.header());
                (c.encoded(), coded.etag.clone(), coded.etag_header.clone())
            }
            Some(coding) => {
                let etag = self.etag.as_ref().map(|t| t.with_suffix(coding.etag_suffix()));
                let c = Content::encode_file(Arc::clone(&self.file), len, coding);
                let header = etag.as_ref().map(ETag::to_header);
                (c.header(CONTENT_ENCODING, coding.header()), etag, header)
            }
            None => {
                let read_small = head.method == Method::GET
                    && !ranged
                    && !h.contains_key(IF_NONE_MATCH)
                    && !h.contains_key(IF_MODIFIED_SINCE);
                let c = match &self.stored {
                    Some(b) => Content::bytes_unhashed(b.clone()),
                    None if read_small && len <= s.small_file_limit && !(s.inline_io && len >= SENDFILE_MIN) => {
                        Content::bytes_unhashed(read_exact_at(&self.file, 0, len as usize)?)
                    }
                    None => Content::from_shared_file(Arc::clone(&self.file), len),
                };
                (c, self.etag.clone(), self.etag_header.clone())
            }
        };
        c.etag = etag;
        c.last_modified = self.last_modified;
        c.validator_headers = Some((etag_header, self.last_modified_header.clone()));
        c = c.content_type(self.content_type.clone()).chunk_size(s.chunk_size).inline_reads(s.inline_io);
        if self.compress {
            c = c.header(VARY, HeaderValue::from_static("accept-encoding"));
        }
        if let Some(cc) = &self.cache_control {
            c = c.header(CACHE_CONTROL, cc.clone());
        }
        Ok(c)
    }

    /// The answer to `head` (GET or HEAD) from this entry.
    pub(crate) fn respond(&self, s: &Settings, head: &RequestHead) -> Response {
        match self.content(s, head) {
            Ok(content) => servecontent_head(head, content),
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
        let cached = fileserver(&root, opts(Duration::from_secs(3600))).unwrap();
        let plain = fileserver(&root, opts(Duration::ZERO)).unwrap();
        let etag = get(&plain, "/page.html", &[("accept-encoding", "gzip")]).await.header("etag").unwrap().to_owned();
        let rows: [(&str, &[(&str, &str)]); 8] = [
            ("/page.html", &[]),
            ("/page.html", &[("accept-encoding", "br, gzip")]),
            ("/page.html", &[("accept-encoding", "gzip")]),
            ("/page.html", &[("accept-encoding", "gzip"), ("if-none-match", &etag)]),
            ("/page.html", &[("accept-encoding", "br"), ("range", "bytes=0-9")]),
            ("/big.bin", &[]),
            ("/big.bin", &[("range", "bytes=10-19")]),
            ("/sub/", &[]),
        ];
        for (path, headers) in rows {
            for round in 0..2 {
                let (a, b) = (get(&cached, path, headers).await, get(&plain, path, headers).await);
                let what = format!("{path} {headers:?} round {round}");
                assert_eq!(a.status, b.status, "{what}");
                assert_eq!(a.body, b.body, "{what}");
                for name in ["etag", "last-modified", "content-type", "content-encoding", "vary", "content-range"] {
                    assert_eq!(a.header(name), b.header(name), "{what}: {name}");
                }
            }
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
        let entry = || {
            Arc::new(Resolved {
                checked: Instant::now(),
                path: base.path.clone(),
                file: Arc::clone(&base.file),
                meta: base.meta.clone(),
                content_type: base.content_type.clone(),
                cache_control: None,
                compress: false,
                etag: None,
                last_modified: None,
                etag_header: None,
                last_modified_header: None,
                stored: None,
                coded: Default::default(),
            })
        };
        let cache = Lookups::new(Duration::from_secs(3600));
        cache.insert("/0", entry());
        std::thread::sleep(Duration::from_millis(2));
        for i in 1..MAX_ENTRIES + 10 {
            cache.insert(&format!("/{i}"), entry());
        }
        assert_eq!(cache.len(), MAX_ENTRIES);
        assert!(cache.get(&format!("/{}", MAX_ENTRIES + 9)).is_some(), "the newest stays");
        assert!(cache.get("/0").is_none(), "the oldest went first");
        let stale = Lookups::new(Duration::ZERO);
        stale.insert("/a", entry());
        assert!(stale.get("/a").is_none(), "older than the ttl");
    }
}
