//! [`FileServerOptions`]: the settings of [`fileserver`](super::fileserver) and
//! [`servefile_with`](super::servefile_with), and the rule that tells fingerprinted file
//! names apart (for their long-lived `Cache-Control`, RFC 9111 §5.2.2).

use std::sync::Arc;

use http_core::HeaderValue;

use super::cache::ByteCache;
use super::content::DEFAULT_CHUNK_SIZE;

/// Options for [`fileserver`](super::fileserver) (and [`servefile_with`](super::servefile_with)). Every setter
/// says its default.
///
/// ```
/// use http_server::files::FileServerOptions;
/// let opts = FileServerOptions::new()
///     .spa_fallback("index.html")
///     .cache_control("public, max-age=300")
///     .fingerprinted_cache_control("public, max-age=31536000, immutable")
///     .precompressed(true);
/// # let _ = opts;
/// ```
#[derive(Debug, Clone)]
pub struct FileServerOptions {
    pub(crate) index: Option<String>,
    pub(crate) spa_fallback: Option<String>,
    pub(crate) cache_control: Option<HeaderValue>,
    pub(crate) fingerprinted_cache_control: Option<HeaderValue>,
    pub(crate) spa_cache_control: Option<HeaderValue>,
    pub(crate) precompressed: bool,
    pub(crate) listing: bool,
    pub(crate) dotfiles: bool,
    pub(crate) follow_symlinks: bool,
    pub(crate) strip_prefix: Option<String>,
    pub(crate) chunk_size: usize,
    pub(crate) small_file_limit: u64,
    pub(crate) inline_io: bool,
    pub(crate) weak_etags: bool,
    pub(crate) compress: bool,
    pub(crate) compress_min_size: u64,
    pub(crate) compressed_cache: Option<Arc<ByteCache>>,
    pub(crate) file_cache: Option<Arc<ByteCache>>,
    pub(crate) metadata_ttl: std::time::Duration,
}

impl Default for FileServerOptions {
    fn default() -> Self {
        FileServerOptions {
            index: Some("index.html".into()),
            spa_fallback: None,
            cache_control: None,
            fingerprinted_cache_control: None,
            spa_cache_control: Some(HeaderValue::from_static("no-cache")),
            precompressed: false,
            listing: false,
            dotfiles: false,
            follow_symlinks: false,
            strip_prefix: None,
            chunk_size: DEFAULT_CHUNK_SIZE,
            small_file_limit: 128 * 1024,
            inline_io: false,
            weak_etags: false,
            compress: false,
            compress_min_size: 1024,
            compressed_cache: Some(Arc::new(ByteCache::new(DEFAULT_COMPRESSED_CACHE, 4096))),
            file_cache: None,
            metadata_ttl: std::time::Duration::ZERO,
        }
    }
}

/// The default budget of the cache of compressed bodies: 16 MiB.
const DEFAULT_COMPRESSED_CACHE: usize = 16 * 1024 * 1024;

fn header_value(v: &str) -> HeaderValue {
    HeaderValue::from_str(v).expect("a valid header value")
}

impl FileServerOptions {
    /// The defaults.
    ///
    /// ```
    /// let opts = http_server::files::FileServerOptions::new();
    /// assert!(format!("{opts:?}").contains("index: Some(\"index.html\")"));
    /// ```
    pub fn new() -> Self {
        Self::default()
    }

    /// The file served for a folder's URL (with its trailing `/`). Default `index.html`;
    /// `None` serves no index file.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> std::io::Result<()> {
    /// use http_core::{Method, Request, testing};
    /// use http_server::files::{FileServerOptions, fileserver};
    /// # let root = std::env::temp_dir().join(format!("fs-doc-index-{}", std::process::id()));
    /// # std::fs::create_dir_all(&root)?;
    /// std::fs::write(root.join("home.html"), "home")?;
    /// let fs = fileserver(&root, FileServerOptions::new().index(Some("home.html")))?;
    /// assert_eq!(testing::call(&fs, Request::new(Method::GET, "/")).await.text(), "home");
    /// let fs = fileserver(&root, FileServerOptions::new().index(None))?;
    /// assert_eq!(testing::call(&fs, Request::new(Method::GET, "/")).await.status, 404);
    /// # std::fs::remove_dir_all(&root)?; Ok(()) }
    /// ```
    pub fn index(mut self, name: Option<&str>) -> Self {
        self.index = name.map(str::to_owned);
        self
    }

    /// Single-page-app fallback: a missing path whose last segment has no `.` (so it looks
    /// like a client-side route, not a file) is answered with this file, named relative to
    /// the root, with status 200. A missing asset (`/app.js`) stays 404. Default: none.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> std::io::Result<()> {
    /// use http_core::{Method, Request, testing};
    /// use http_server::files::{FileServerOptions, fileserver};
    /// # let root = std::env::temp_dir().join(format!("fs-doc-spa-{}", std::process::id()));
    /// # std::fs::create_dir_all(&root)?;
    /// std::fs::write(root.join("app.html"), "shell")?;
    /// let fs = fileserver(&root, FileServerOptions::new().spa_fallback("/app.html"))?;
    /// let r = testing::call(&fs, Request::new(Method::GET, "/settings/profile")).await;
    /// assert_eq!((r.status.as_u16(), r.text().as_str()), (200, "shell"));
    /// assert_eq!(testing::call(&fs, Request::new(Method::GET, "/missing.css")).await.status, 404);
    /// # std::fs::remove_dir_all(&root)?; Ok(()) }
    /// ```
    pub fn spa_fallback(mut self, file: &str) -> Self {
        self.spa_fallback = Some(file.trim_start_matches('/').to_owned());
        self
    }

    /// Cache-Control for every file. Default: none sent. Panics on an invalid header value.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> std::io::Result<()> {
    /// use http_core::{Method, Request, testing};
    /// use http_server::files::{FileServerOptions, fileserver};
    /// # let root = std::env::temp_dir().join(format!("fs-doc-cc-{}", std::process::id()));
    /// # std::fs::create_dir_all(&root)?;
    /// std::fs::write(root.join("a.txt"), "a")?;
    /// let fs = fileserver(&root, FileServerOptions::new().cache_control("public, max-age=300"))?;
    /// let r = testing::call(&fs, Request::new(Method::GET, "/a.txt")).await;
    /// assert_eq!(r.header("cache-control"), Some("public, max-age=300"));
    /// # std::fs::remove_dir_all(&root)?; Ok(()) }
    /// ```
    pub fn cache_control(mut self, value: &str) -> Self {
        self.cache_control = Some(header_value(value));
        self
    }

    /// Cache-Control for files whose name carries a content hash, as bundlers write them: a
    /// `.` or `-` separated part of 8 to 64 letters and digits with at least one of each,
    /// before the extension (`app.3f2a9c1b.js`, `index-BPvgi06w.css`; not
    /// `jquery-3.7.1.min.js`), e.g. `public, max-age=31536000, immutable`. Default: none
    /// (they get [`cache_control`](Self::cache_control)'s value).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> std::io::Result<()> {
    /// use http_core::{Method, Request, testing};
    /// use http_server::files::{FileServerOptions, fileserver};
    /// # let root = std::env::temp_dir().join(format!("fs-doc-fcc-{}", std::process::id()));
    /// # std::fs::create_dir_all(&root)?;
    /// std::fs::write(root.join("app.3f2a9c1b.js"), "1")?;
    /// std::fs::write(root.join("app.js"), "2")?;
    /// let opts = FileServerOptions::new().cache_control("no-cache").fingerprinted_cache_control("max-age=31536000, immutable");
    /// let fs = fileserver(&root, opts)?;
    /// let hashed = testing::call(&fs, Request::new(Method::GET, "/app.3f2a9c1b.js")).await;
    /// assert_eq!(hashed.header("cache-control"), Some("max-age=31536000, immutable"));
    /// let plain = testing::call(&fs, Request::new(Method::GET, "/app.js")).await;
    /// assert_eq!(plain.header("cache-control"), Some("no-cache"));
    /// # std::fs::remove_dir_all(&root)?; Ok(()) }
    /// ```
    pub fn fingerprinted_cache_control(mut self, value: &str) -> Self {
        self.fingerprinted_cache_control = Some(header_value(value));
        self
    }

    /// Cache-Control for the SPA shell (the fallback file, however it is reached).
    /// Default `no-cache`, so a new deploy is picked up at once; `None` sends none.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> std::io::Result<()> {
    /// use http_core::{Method, Request, testing};
    /// use http_server::files::{FileServerOptions, fileserver};
    /// # let root = std::env::temp_dir().join(format!("fs-doc-scc-{}", std::process::id()));
    /// # std::fs::create_dir_all(&root)?;
    /// std::fs::write(root.join("index.html"), "shell")?;
    /// let opts = FileServerOptions::new().spa_fallback("index.html").spa_cache_control(Some("no-store"));
    /// let fs = fileserver(&root, opts)?;
    /// let r = testing::call(&fs, Request::new(Method::GET, "/some/route")).await;
    /// assert_eq!(r.header("cache-control"), Some("no-store"));
    /// # std::fs::remove_dir_all(&root)?; Ok(()) }
    /// ```
    pub fn spa_cache_control(mut self, value: Option<&str>) -> Self {
        self.spa_cache_control = value.map(header_value);
        self
    }

    /// Serves `FILE.br` / `FILE.zst` / `FILE.gz` siblings, when they exist and the client's
    /// Accept-Encoding takes them (best q-value; ties go br, zstd, gzip), with
    /// Content-Encoding and the sibling's ETag with `-br`, `-zst` or `-gz` added; every answer
    /// for a file that has such a sibling carries `Vary: Accept-Encoding`. A request with
    /// `Range` gets the identity file. Default off.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> std::io::Result<()> {
    /// use http_core::{Method, Request, testing};
    /// use http_server::files::{FileServerOptions, fileserver};
    /// # let root = std::env::temp_dir().join(format!("fs-doc-pre-{}", std::process::id()));
    /// # std::fs::create_dir_all(&root)?;
    /// std::fs::write(root.join("app.js"), "console.log(1)")?;
    /// std::fs::write(root.join("app.js.gz"), b"\x1f\x8b (gzip bytes)")?;
    /// let fs = fileserver(&root, FileServerOptions::new().precompressed(true))?;
    /// let req = Request::new(Method::GET, "/app.js").with_header("accept-encoding", "gzip");
    /// let r = testing::call(&fs, req).await;
    /// assert_eq!(r.header("content-encoding"), Some("gzip"));
    /// assert!(r.header("vary").is_some_and(|v| v.eq_ignore_ascii_case("accept-encoding")));
    /// # std::fs::remove_dir_all(&root)?; Ok(()) }
    /// ```
    pub fn precompressed(mut self, on: bool) -> Self {
        self.precompressed = on;
        self
    }

    /// Lists a folder that has no index file: an HTML table (name, size, modification time;
    /// `?sort=name|size|date&order=asc|desc`), or JSON for a request whose `Accept` names
    /// `application/json` (`[{"name", "type", "size", "modified"}]`). Default off (404).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> std::io::Result<()> {
    /// use http_core::{Method, Request, testing};
    /// use http_server::files::{FileServerOptions, fileserver};
    /// # let root = std::env::temp_dir().join(format!("fs-doc-list-{}", std::process::id()));
    /// # std::fs::create_dir_all(root.join("pub"))?;
    /// std::fs::write(root.join("pub/notes.txt"), "n")?;
    /// let fs = fileserver(&root, FileServerOptions::new().listing(true))?;
    /// let r = testing::call(&fs, Request::new(Method::GET, "/pub/")).await;
    /// assert!(r.text().contains("notes.txt"));
    /// # std::fs::remove_dir_all(&root)?; Ok(()) }
    /// ```
    pub fn listing(mut self, on: bool) -> Self {
        self.listing = on;
        self
    }

    /// Serves dotfiles and dot-folders (`.env`, `.git/`). Default off: they are 404
    /// (`.well-known` is always served).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> std::io::Result<()> {
    /// use http_core::{Method, Request, testing};
    /// use http_server::files::{FileServerOptions, fileserver};
    /// # let root = std::env::temp_dir().join(format!("fs-doc-dot-{}", std::process::id()));
    /// # std::fs::create_dir_all(&root)?;
    /// std::fs::write(root.join(".htaccess"), "x")?;
    /// let hidden = fileserver(&root, FileServerOptions::new())?;
    /// assert_eq!(testing::call(&hidden, Request::new(Method::GET, "/.htaccess")).await.status, 404);
    /// let shown = fileserver(&root, FileServerOptions::new().dotfiles(true))?;
    /// assert_eq!(testing::call(&shown, Request::new(Method::GET, "/.htaccess")).await.text(), "x");
    /// # std::fs::remove_dir_all(&root)?; Ok(()) }
    /// ```
    pub fn dotfiles(mut self, on: bool) -> Self {
        self.dotfiles = on;
        self
    }

    /// Follows symlinks that lead outside the root. Default off: such paths are 404.
    /// Symlinks that stay inside the root are always followed.
    ///
    /// ```
    /// let opts = http_server::files::FileServerOptions::new().follow_symlinks(true);
    /// assert!(format!("{opts:?}").contains("follow_symlinks: true"));
    /// ```
    pub fn follow_symlinks(mut self, on: bool) -> Self {
        self.follow_symlinks = on;
        self
    }

    /// A URL prefix to remove before mapping the path to the root, for mounting under a
    /// router path (`/static` → `/static/app.js` serves `ROOT/app.js`); a path outside the
    /// prefix is 404. Default: none.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> std::io::Result<()> {
    /// use http_core::{Method, Request, testing};
    /// use http_server::files::{FileServerOptions, fileserver};
    /// # let root = std::env::temp_dir().join(format!("fs-doc-strip-{}", std::process::id()));
    /// # std::fs::create_dir_all(&root)?;
    /// std::fs::write(root.join("app.js"), "js")?;
    /// let fs = fileserver(&root, FileServerOptions::new().strip_prefix("/static/"))?;
    /// assert_eq!(testing::call(&fs, Request::new(Method::GET, "/static/app.js")).await.text(), "js");
    /// assert_eq!(testing::call(&fs, Request::new(Method::GET, "/app.js")).await.status, 404);
    /// # std::fs::remove_dir_all(&root)?; Ok(()) }
    /// ```
    pub fn strip_prefix(mut self, prefix: &str) -> Self {
        let p = prefix.trim_end_matches('/');
        self.strip_prefix = (!p.is_empty()).then(|| p.to_owned());
        self
    }

    /// How many bytes each read of a large file takes (the most a response holds in memory
    /// is two of these). Default 64 KiB.
    ///
    /// ```
    /// let opts = http_server::files::FileServerOptions::new().chunk_size(0);
    /// assert!(format!("{opts:?}").contains("chunk_size: 1"), "at least one byte");
    /// ```
    pub fn chunk_size(mut self, bytes: usize) -> Self {
        self.chunk_size = bytes.max(1);
        self
    }

    /// Files up to this size are read in the same blocking call that opens them, instead of
    /// being streamed. Default 128 KiB.
    ///
    /// ```
    /// let opts = http_server::files::FileServerOptions::new().small_file_limit(4096);
    /// assert!(format!("{opts:?}").contains("small_file_limit: 4096"));
    /// ```
    pub fn small_file_limit(mut self, bytes: u64) -> Self {
        self.small_file_limit = bytes;
        self
    }

    /// Makes the file-system calls (lookup, open, reads) on the runtime thread that runs the
    /// request, as nginx does in its event loop, instead of handing each one to tokio's
    /// blocking pool. That saves two thread switches per call (on the benchmark machine about
    /// 17 µs of CPU per small-file request), but a slow disk or network file system then
    /// stalls every connection on that thread. Default off; the `fileserver` binary turns it
    /// on (`--io-threads` turns it off there).
    ///
    /// With it on, file bodies of 16 KiB or more (whole files and single ranges, not
    /// multipart) are sent with `sendfile(2)` on cleartext HTTP/1.1 connections (Linux,
    /// the BSDs), straight from the page cache to the socket; over TLS and HTTP/2 they are
    /// read and copied in chunks as before. Such files are then not read whole up front
    /// ([`small_file_limit`](Self::small_file_limit) applies below 16 KiB only).
    ///
    /// ```
    /// let opts = http_server::files::FileServerOptions::new().inline_io(true);
    /// # let _ = opts;
    /// ```
    pub fn inline_io(mut self, on: bool) -> Self {
        self.inline_io = on;
        self
    }

    /// Lets a [`FileServer`](super::FileServer) trust what it learned about a request path
    /// for `ttl`, as nginx's `open_file_cache` does: the file found for the path (after the
    /// path, dotfile and symlink checks), an open descriptor, its metadata, validators,
    /// media type and its cached bodies (as stored and per content coding). While fresh, a
    /// request for the same path makes no file-system call at all; after `ttl` the path is
    /// looked up and checked again, so a changed, replaced or removed file is seen within
    /// `ttl`, and a path never leads outside the root (a fresh answer serves the file that
    /// was checked, through its descriptor). Only found regular files are remembered (not
    /// 404s, redirects or listings), at most 4096 paths. Needs
    /// [`inline_io`](Self::inline_io) (ignored without it); files with precompressed
    /// siblings are always looked up. Default zero (off: every request checks the file
    /// system); the `fileserver` binary uses one second.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> std::io::Result<()> {
    /// use std::time::Duration;
    /// use http_core::{Method, Request, testing};
    /// use http_server::files::{FileServerOptions, fileserver};
    /// # let root = std::env::temp_dir().join(format!("fs-doc-ttl-{}", std::process::id()));
    /// # std::fs::create_dir_all(&root)?;
    /// std::fs::write(root.join("a.txt"), "one")?;
    /// let opts = FileServerOptions::new().inline_io(true).metadata_ttl(Duration::from_millis(50));
    /// let fs = fileserver(&root, opts)?;
    /// assert_eq!(testing::call(&fs, Request::new(Method::GET, "/a.txt")).await.text(), "one");
    /// std::fs::write(root.join("a.txt"), "three")?;
    /// std::thread::sleep(Duration::from_millis(60)); // past the ttl: looked up again
    /// assert_eq!(testing::call(&fs, Request::new(Method::GET, "/a.txt")).await.text(), "three");
    /// # std::fs::remove_dir_all(&root)?; Ok(()) }
    /// ```
    pub fn metadata_ttl(mut self, ttl: std::time::Duration) -> Self {
        self.metadata_ttl = ttl;
        self
    }
}

impl FileServerOptions {
    /// Sends weak entity tags (`W/"..."`, RFC 9110 §8.8.3) for files instead of strong ones.
    /// A weak tag promises only equivalent content, so `If-Range` (which needs the strong
    /// comparison) never matches it and a resumed download starts over. Default off
    /// (strong tags, built from the modification time and size as nginx does).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> std::io::Result<()> {
    /// use http_core::{Method, Request, testing};
    /// use http_server::files::{FileServerOptions, fileserver};
    /// # let root = std::env::temp_dir().join(format!("fs-doc-weak-{}", std::process::id()));
    /// # std::fs::create_dir_all(&root)?;
    /// std::fs::write(root.join("a.txt"), "a")?;
    /// let fs = fileserver(&root, FileServerOptions::new().weak_etags(true))?;
    /// let r = testing::call(&fs, Request::new(Method::GET, "/a.txt")).await;
    /// assert!(r.header("etag").unwrap().starts_with("W/\""));
    /// # std::fs::remove_dir_all(&root)?; Ok(()) }
    /// ```
    pub fn weak_etags(mut self, on: bool) -> Self {
        self.weak_etags = on;
        self
    }

    /// Compresses compressible files (text, JSON, JavaScript, XML, SVG, WebAssembly...; not
    /// images, video or archives) of at least [`compress_min_size`](Self::compress_min_size)
    /// bytes on the fly, in the coding the client prefers by `Accept-Encoding`'s q-values
    /// (`br`, `zstd`, `gzip`, `deflate`; ties in that order). A precompressed sibling, when
    /// [`precompressed`](Self::precompressed) finds one the client takes, wins. Every answer
    /// for such a file carries `Vary: Accept-Encoding`, identity ones too; each coding has
    /// its own entity tag (the identity tag with `-br`, `-zst`, `-gz` or `-zz` added inside
    /// the quotes). A request with `Range` gets the identity coding, with the ranges.
    /// Files up to 2 MiB are compressed whole, once per version, and kept in a cache (see
    /// [`compressed_cache_bytes`](Self::compressed_cache_bytes)); larger ones are streamed
    /// through the encoder on the blocking pool, without Content-Length. Default off (the
    /// `fileserver` binary turns it on).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> std::io::Result<()> {
    /// use http_core::{Method, Request, testing};
    /// use http_server::files::{FileServerOptions, fileserver};
    /// # let root = std::env::temp_dir().join(format!("fs-doc-gz-{}", std::process::id()));
    /// # std::fs::create_dir_all(&root)?;
    /// std::fs::write(root.join("app.js"), "console.log('hello');\n".repeat(100))?;
    /// let fs = fileserver(&root, FileServerOptions::new().compress(true))?;
    /// let req = Request::new(Method::GET, "/app.js").with_header("accept-encoding", "gzip, br;q=0.9");
    /// let r = testing::call(&fs, req).await;
    /// assert_eq!(r.header("content-encoding"), Some("gzip"));
    /// assert_eq!(r.header("vary"), Some("accept-encoding"));
    /// assert!(r.header("etag").unwrap().ends_with("-gz\""));
    /// # std::fs::remove_dir_all(&root)?; Ok(()) }
    /// ```
    pub fn compress(mut self, on: bool) -> Self {
        self.compress = on;
        self
    }

    /// The smallest file [`compress`](Self::compress) compresses (smaller ones gain little).
    /// Default 1 KiB; at least 1 byte.
    ///
    /// ```
    /// let opts = http_server::files::FileServerOptions::new().compress_min_size(0);
    /// assert!(format!("{opts:?}").contains("compress_min_size: 1"));
    /// ```
    pub fn compress_min_size(mut self, bytes: u64) -> Self {
        self.compress_min_size = bytes.max(1);
        self
    }

    /// The budget of the cache of compressed bodies (files up to 2 MiB, keyed by path,
    /// modification time, size, inode and coding, least recently used out first), so a hot
    /// file is compressed once. Default 16 MiB; 0 turns the cache off (every such file is
    /// then compressed per request). Clones of the options share one cache.
    ///
    /// ```
    /// let opts = http_server::files::FileServerOptions::new().compressed_cache_bytes(0);
    /// assert!(format!("{opts:?}").contains("compressed_cache: None"));
    /// ```
    pub fn compressed_cache_bytes(mut self, bytes: usize) -> Self {
        self.compressed_cache = (bytes > 0).then(|| Arc::new(ByteCache::new(bytes, 4096)));
        self
    }

    /// Keeps small files (up to [`small_file_limit`](Self::small_file_limit)) in memory, at
    /// most `bytes` in all (and 65536 files), least recently used out first. Each request
    /// still makes one metadata call (none while a [`metadata_ttl`](Self::metadata_ttl)
    /// entry is fresh): a file whose modification time, size or inode changed is read
    /// again, so edits show at once (within the ttl). Cached bodies are served as shared bytes,
    /// without opening or reading the file. Default 0 (off). Clones of the options share
    /// one cache.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> std::io::Result<()> {
    /// use http_core::{Method, Request, testing};
    /// use http_server::files::{FileServerOptions, fileserver};
    /// # let root = std::env::temp_dir().join(format!("fs-doc-cache-{}", std::process::id()));
    /// # std::fs::create_dir_all(&root)?;
    /// std::fs::write(root.join("a.txt"), "one")?;
    /// let fs = fileserver(&root, FileServerOptions::new().cache_bytes(1 << 20))?;
    /// assert_eq!(testing::call(&fs, Request::new(Method::GET, "/a.txt")).await.text(), "one");
    /// std::fs::write(root.join("a.txt"), "three")?; // another size: read again
    /// assert_eq!(testing::call(&fs, Request::new(Method::GET, "/a.txt")).await.text(), "three");
    /// # std::fs::remove_dir_all(&root)?; Ok(()) }
    /// ```
    pub fn cache_bytes(mut self, bytes: usize) -> Self {
        self.file_cache = (bytes > 0).then(|| Arc::new(ByteCache::new(bytes, 65536)));
        self
    }
}

/// True when a file name carries a content hash, as bundlers write them: a `.` or `-`
/// separated part of 8 to 64 letters and digits with at least one of each, before the
/// extension (`app.3f2a9c1b.js`, `index-BPvgi06w.css`). `jquery-3.7.1.min.js` or
/// `photo-20240101.jpg` do not. Such names get
/// [`FileServerOptions::fingerprinted_cache_control`].
pub(crate) fn looks_fingerprinted(name: &str) -> bool {
    let Some((stem, _ext)) = name.rsplit_once('.') else { return false };
    stem.split(['.', '-']).skip(1).any(|p| {
        (8..=64).contains(&p.len())
            && p.bytes().all(|b| b.is_ascii_alphanumeric())
            && p.bytes().any(|b| b.is_ascii_digit())
            && p.bytes().any(|b| b.is_ascii_alphabetic())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprint_table() {
        let rows = [
            ("app.3f2a9c1b.js", true),
            ("index-BPvgi06w.css", true),
            ("chunk.a1b2c3d4e5f6.min.js", true),
            ("app.js", false),
            ("jquery-3.7.1.min.js", false),
            ("photo-20240101.jpg", false),
            ("deadbeef.js", false),
            ("readme-appendix.txt", false),
            ("noext", false),
        ];
        for (name, want) in rows {
            assert_eq!(looks_fingerprinted(name), want, "{name}");
        }
    }
}
