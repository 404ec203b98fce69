//! Static files: [`servecontent`], [`servefile`] and [`fileserver`], HTTP.jl's three
//! levels of file serving.
//!
//! * [`servecontent`] answers a request from a [`Content`]: in-memory bytes, a file, or any
//!   seekable async reader. It sends Content-Type, Content-Length, Last-Modified, a strong
//!   [`ETag`] and `Accept-Ranges: bytes`, evaluates the preconditions
//!   (RFC 9110 §13, in §13.2.2's order) and byte ranges (RFC 9110 §14, [`resolve_range`]:
//!   206, `multipart/byteranges`, 416).
//! * [`servefile`] serves one file (or a folder's index) for GET and HEAD.
//! * [`fileserver`] is a [`Handler`](http_core::Handler) for a whole folder: safe path
//!   mapping ([`SafePath`]), dotfiles hidden, symlinks kept inside the root, SPA fallback,
//!   Cache-Control rules, content codings chosen by `Accept-Encoding` (RFC 9110 §12.5.3):
//!   precompressed `.br`/`.zst`/`.gz` siblings and on-the-fly br, zstd, gzip and deflate
//!   with one ETag per coding, a cache of small files, optional listings (HTML or JSON).
//!
//! Large files are streamed [`DEFAULT_CHUNK_SIZE`] bytes at a time with positional reads on
//! tokio's blocking pool, at most two chunks in memory per response, and sent with
//! Content-Length. Small files (up to [`FileServerOptions::small_file_limit`]) are read in
//! the same blocking call that opens them. [`FileServerOptions::inline_io`] moves all of it
//! onto the runtime thread, as nginx does (faster; the `fileserver` binary's default).
//!
//! With [`FileServerOptions::metadata_ttl`] (and inline I/O), a [`FileServer`] remembers
//! what each request path led to (open descriptor, metadata, header values, bodies) for a
//! short while, as nginx's `open_file_cache` does, and answers repeats with no file-system
//! call.
//!
//! With [`FileServerOptions::inline_io`], file bodies of 16 KiB or more (whole files and
//! single ranges; not `multipart/byteranges`) are built with
//! [`Body::from_file_region`](http_core::Body::from_file_region): on cleartext HTTP/1.1
//! (Linux, the BSDs) the engine sends them with `sendfile(2)`, page cache to socket, no
//! user-space copy; TLS, HTTP/2 and in-process callers read the chunked stream instead.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")] async fn main() -> std::io::Result<()> {
//! use http_core::{Method, Request, testing};
//! use http_server::files::{FileServerOptions, fileserver};
//! let root = std::env::temp_dir().join(format!("files-doc-{}", std::process::id()));
//! std::fs::create_dir_all(&root)?;
//! std::fs::write(root.join("a.txt"), "0123456789")?;
//! let fs = fileserver(&root, FileServerOptions::new())?;
//! let r = testing::call(&fs, Request::new(Method::GET, "/a.txt").with_header("range", "bytes=-3")).await;
//! assert_eq!((r.status.as_u16(), r.text().as_str()), (206, "789"));
//! let etag = testing::call(&fs, Request::new(Method::GET, "/a.txt")).await.header("etag").unwrap().to_owned();
//! let r = testing::call(&fs, Request::new(Method::GET, "/a.txt").with_header("if-none-match", &etag)).await;
//! assert_eq!(r.status, 304);
//! # std::fs::remove_dir_all(&root)?; Ok(()) }
//! ```

mod cache;
mod chunks;
pub(crate) mod conditional;
mod content;
mod encoding;
mod etag;
mod file;
mod fileserver;
mod listing;
mod lookups;
mod memfile;
mod mime;
mod multipart;
mod open;
mod options;
mod path;
pub(crate) mod range;
mod ready;
mod respond;
mod sniff;

pub use content::{Content, DEFAULT_CHUNK_SIZE};
pub use etag::ETag;
pub use file::{servefile, servefile_with};
pub use fileserver::{FileServer, fileserver};
pub use mime::content_type_for;
pub use options::FileServerOptions;
pub use path::{PathError, SafePath};
pub use range::{ByteRange, RangeOutcome, resolve_range};
pub use respond::{servecontent, servecontent_head};
