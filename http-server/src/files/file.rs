//! [`servefile`]: answering a request with one file (or a folder's index file), and the
//! file-system lookup that [`FileServer`](super::FileServer) shares: a folder URL without
//! its trailing `/` is redirected (301, RFC 9110 §15.4.2), precompressed siblings are
//! chosen by `Accept-Encoding` (RFC 9110 §12.5.3) with `Vary`, and the Cache-Control rules
//! apply (RFC 9111 §5.2.2).

use std::future::Future;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use http_core::header::{ALLOW, CACHE_CONTROL, LOCATION};
use http_core::{HeaderValue, Method, Request, RequestHead, Response, StatusCode};

use super::cache::ByteCache;
use super::content::Content;
use super::encoding::AcceptEncoding;
use super::listing;
use super::lookups::Lookups;
use super::open::open_file;
use super::options::{FileServerOptions, looks_fingerprinted};
use super::path::{Jail, PathError, SafePath, stays_inside};
use super::respond::servecontent_head;

/// HTTP.jl's `servefile`: answers a GET or HEAD request with the file at `path`, through
/// [`servecontent`](super::servecontent) (validators, preconditions, ranges).
///
/// * other methods → 405 with `Allow: GET, HEAD`;
/// * the request path is checked like [`FileServer`](super::FileServer)'s (traversal,
///   encoded separators, NUL...): unsafe → 400 (dotfiles are not hidden here: `path` is
///   chosen by the caller);
/// * `path` is a folder: the request path without a trailing `/` is redirected (301) to the
///   slash form, keeping the query; with it, the folder's `index.html` is served;
/// * missing → 404.
///
/// The returned future does not borrow `req` (its head is copied), so it is `Send` and
/// `'static` even though a `Request` is not `Sync`.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// use http_core::{Method, Request, testing};
/// use http_server::files::servefile;
/// let dir = std::env::temp_dir().join(format!("servefile-doc-{}", std::process::id()));
/// std::fs::create_dir_all(&dir).unwrap();
/// std::fs::write(dir.join("hello.txt"), "hi").unwrap();
/// let file = dir.join("hello.txt");
/// let h = move |req: Request| {
///     let file = file.clone();
///     async move { servefile(&req, &file).await }
/// };
/// let r = testing::call(&h, Request::new(Method::GET, "/download")).await;
/// assert_eq!((r.status.as_u16(), r.text().as_str()), (200, "hi"));
/// assert_eq!(r.header("content-type"), Some("text/plain; charset=utf-8"));
/// let r = testing::call(&h, Request::new(Method::DELETE, "/download")).await;
/// assert_eq!((r.status.as_u16(), r.header("allow")), (405, Some("GET, HEAD")));
/// # std::fs::remove_dir_all(&dir).unwrap();
/// # }
/// ```
pub fn servefile<P: AsRef<Path>>(req: &Request, path: P) -> impl Future<Output = Response> + Send + use<P> {
    servefile_with(req, path, &FileServerOptions::new())
}

/// [`servefile`] with options: the index file name, Cache-Control, precompressed siblings,
/// listings (the SPA fallback, dotfile and symlink options apply to
/// [`FileServer`](super::FileServer) only). Like `servefile`, the returned future does not
/// borrow the request, so it can be awaited in any handler.
///
/// ```
/// # async fn f(req: http_core::Request) -> http_core::Response {
/// use http_server::files::{FileServerOptions, servefile_with};
/// let opts = FileServerOptions::new().cache_control("public, max-age=60");
/// servefile_with(&req, "public/report.pdf", &opts).await
/// # }
/// ```
pub fn servefile_with<P: AsRef<Path>>(
    req: &Request,
    path: P,
    options: &FileServerOptions,
) -> impl Future<Output = Response> + Send + use<P> {
    let prepared = if let Some(r) = method_not_allowed(req.method()) {
        Err(r)
    } else {
        match SafePath::parse(req.path(), true) {
            Err(_) => Err(Response::error(StatusCode::BAD_REQUEST)),
            Ok(safe) => {
                let head = req.head().clone();
                let settings = Arc::new(Settings::from_options(options, None, None));
                let ask = Ask::new(&head, path.as_ref().to_path_buf(), &safe, &settings, false);
                Ok((settings, ask, head))
            }
        }
    };
    async move {
        match prepared {
            Ok((settings, ask, head)) => lookup_and_respond(settings, ask, &head).await,
            Err(r) => r,
        }
    }
}

pub(crate) fn method_not_allowed(method: &Method) -> Option<Response> {
    if method == Method::GET || method == Method::HEAD {
        return None;
    }
    let mut r = Response::error(StatusCode::METHOD_NOT_ALLOWED);
    r.headers_mut().insert(ALLOW, HeaderValue::from_static("GET, HEAD"));
    Some(r)
}

/// What a lookup needs from the options (owned, so it can move to the blocking pool).
#[derive(Debug, Clone)]
pub(crate) struct Settings {
    /// The canonical root, when symlinks leaving it are refused.
    pub(crate) jail: Option<PathBuf>,
    pub(crate) index: Option<String>,
    pub(crate) listing: bool,
    pub(crate) dotfiles: bool,
    pub(crate) precompressed: bool,
    pub(crate) chunk_size: usize,
    pub(crate) small_file_limit: u64,
    pub(crate) spa: Option<PathBuf>,
    pub(crate) cache_control: Option<HeaderValue>,
    pub(crate) fingerprinted_cache_control: Option<HeaderValue>,
    pub(crate) spa_cache_control: Option<HeaderValue>,
    pub(crate) inline_io: bool,
    pub(crate) weak_etags: bool,
    pub(crate) compress: bool,
    pub(crate) compress_min_size: u64,
    pub(crate) compressed_cache: Option<Arc<ByteCache>>,
    pub(crate) file_cache: Option<Arc<ByteCache>>,
    /// What request paths led to, while fresh (a file server's, with inline I/O).
    pub(crate) lookups: Option<Arc<Lookups>>,
}

impl Settings {
    pub(crate) fn from_options(o: &FileServerOptions, root: Option<&Path>, spa: Option<PathBuf>) -> Settings {
        Settings {
            jail: if o.follow_symlinks { None } else { root.map(Path::to_path_buf) },
            index: o.index.clone(),
            listing: o.listing,
            dotfiles: o.dotfiles,
            precompressed: o.precompressed,
            chunk_size: o.chunk_size,
            small_file_limit: o.small_file_limit,
            spa,
            cache_control: o.cache_control.clone(),
            fingerprinted_cache_control: o.fingerprinted_cache_control.clone(),
            spa_cache_control: o.spa_cache_control.clone(),
            inline_io: o.inline_io,
            weak_etags: o.weak_etags,
            compress: o.compress,
            compress_min_size: o.compress_min_size,
            compressed_cache: o.compressed_cache.clone(),
            file_cache: o.file_cache.clone(),
            lookups: (root.is_some() && o.inline_io && !o.metadata_ttl.is_zero())
                .then(|| Arc::new(Lookups::new(o.metadata_ttl))),
        }
    }
}

/// One request's lookup: where, and what the answer may use.
#[derive(Debug, Clone)]
pub(crate) struct Ask {
    pub(crate) path: PathBuf,
    pub(crate) trailing_slash: bool,
    /// The decoded request path, for a listing's title.
    pub(crate) url_path: String,
    /// The last segment has no `.`: a missing path may get the SPA fallback.
    pub(crate) spa_ok: bool,
    pub(crate) accept: AcceptEncoding,
    /// The request has a Range: it gets the identity coding.
    pub(crate) ranged: bool,
    /// Small files may be read at once (a GET without Range or cache validators).
    pub(crate) read_small: bool,
    /// The query, for a listing's sort order.
    pub(crate) query: Option<String>,
    /// `Accept` names `application/json`: a listing is sent as JSON.
    pub(crate) wants_json: bool,
}

impl Ask {
    pub(crate) fn new(head: &RequestHead, path: PathBuf, safe: &SafePath, s: &Settings, spa_ok: bool) -> Ask {
        use http_core::header::{IF_MODIFIED_SINCE, IF_NONE_MATCH, RANGE};
        let h = &head.headers;
        let read_small = head.method == Method::GET
            && !h.contains_key(RANGE)
            && !h.contains_key(IF_NONE_MATCH)
            && !h.contains_key(IF_MODIFIED_SINCE);
        let mut url_path = String::from("/");
        for seg in safe.segments() {
            url_path.push_str(seg);
            url_path.push('/');
        }
        Ask {
            path,
            trailing_slash: safe.has_trailing_slash() || safe.is_root(),
            url_path,
            spa_ok,
            accept: if s.precompressed || s.compress {
                AcceptEncoding::from_headers(h)
            } else {
                AcceptEncoding::default()
            },
            ranged: h.contains_key(RANGE),
            read_small,
            query: head.uri.query().map(str::to_owned),
            wants_json: h
                .get_all(http_core::header::ACCEPT)
                .iter()
                .any(|v| v.to_str().is_ok_and(|v| v.contains("application/json"))),
        }
    }
}

/// The outcome of a lookup.
#[derive(Debug)]
pub(crate) enum Outcome {
    File(Box<FoundFile>),
    RedirectSlash,
    /// A listing: the body, and whether it is JSON.
    Listing(String, bool),
    NotFound,
    Forbidden,
}

#[derive(Debug)]
pub(crate) struct FoundFile {
    pub(crate) content: Content,
    /// The name the Content-Type comes from (the original, not the `.br` sibling).
    pub(crate) name: String,
    pub(crate) is_spa: bool,
}

pub(crate) fn not_found_kind(e: &io::Error) -> Outcome {
    match e.kind() {
        io::ErrorKind::PermissionDenied => Outcome::Forbidden,
        _ => Outcome::NotFound,
    }
}

/// Where a lookup leads: the regular file that answers (checked against the jail), or
/// another outcome.
#[derive(Debug)]
pub(crate) enum Located {
    File(PathBuf),
    Done(Outcome),
}

/// Finds what answers the request, the SPA fallback included (blocking).
pub(crate) fn locate(s: &Settings, ask: &Ask) -> Located {
    match find(s, ask, &ask.path) {
        Located::Done(Outcome::NotFound) if ask.spa_ok => match &s.spa {
            Some(spa) => Located::File(spa.clone()),
            None => Located::Done(Outcome::NotFound),
        },
        other => other,
    }
}

/// Looks the request up (blocking: run on the blocking pool).
pub(crate) fn lookup(s: &Settings, ask: &Ask) -> Outcome {
    match locate(s, ask) {
        Located::File(path) => open_file(s, ask, &path),
        Located::Done(outcome) => outcome,
    }
}

/// The symlink check; `Ok(Some(meta))` when it already learned the path's metadata.
fn check_jail(s: &Settings, path: &Path) -> Result<Option<std::fs::Metadata>, Outcome> {
    match &s.jail {
        None => Ok(None),
        Some(root) => match stays_inside(root, path) {
            Ok(Jail::Inside(meta)) => Ok(meta),
            Ok(Jail::Outside) => Err(Outcome::NotFound),
            Err(e) => Err(not_found_kind(&e)),
        },
    }
}

/// Is `path` a regular file inside the jail?
fn is_file(s: &Settings, path: &Path) -> bool {
    match check_jail(s, path) {
        Ok(Some(meta)) => meta.is_file(),
        Ok(None) => std::fs::metadata(path).is_ok_and(|m| m.is_file()),
        Err(_) => false,
    }
}

fn find(s: &Settings, ask: &Ask, path: &Path) -> Located {
    let meta = match check_jail(s, path) {
        Ok(Some(meta)) => meta,
        Ok(None) => match std::fs::metadata(path) {
            Ok(m) => m,
            Err(e) => return Located::Done(not_found_kind(&e)),
        },
        Err(outcome) => return Located::Done(outcome),
    };
    if meta.is_file() {
        return if ask.trailing_slash { Located::Done(Outcome::NotFound) } else { Located::File(path.to_path_buf()) };
    }
    if !meta.is_dir() {
        // A FIFO, socket or device: opening it could block, and it is not a static file.
        return Located::Done(Outcome::NotFound);
    }
    if !ask.trailing_slash {
        return Located::Done(Outcome::RedirectSlash);
    }
    if let Some(index) = &s.index {
        let ip = path.join(index);
        if is_file(s, &ip) {
            return Located::File(ip);
        }
    }
    if s.listing {
        return Located::Done(match listing::read_entries(path, s.dotfiles) {
            Ok(entries) => {
                let sort = listing::Sort::from_query(ask.query.as_deref());
                if ask.wants_json {
                    Outcome::Listing(listing::render_json(&entries, sort), true)
                } else {
                    Outcome::Listing(listing::render(&ask.url_path, &entries, sort), false)
                }
            }
            Err(e) => not_found_kind(&e),
        });
    }
    Located::Done(Outcome::NotFound)
}

/// Runs the lookup (on the blocking pool unless `inline_io`) and turns its outcome into a
/// response.
pub(crate) async fn lookup_and_respond(settings: Arc<Settings>, ask: Ask, head: &RequestHead) -> Response {
    if settings.inline_io {
        let found = lookup(&settings, &ask);
        return respond(&settings, found, head);
    }
    let (settings, found) = match tokio::task::spawn_blocking(move || {
        let found = lookup(&settings, &ask);
        (settings, found)
    })
    .await
    {
        Ok(r) => r,
        Err(_) => return Response::error(StatusCode::INTERNAL_SERVER_ERROR),
    };
    respond(&settings, found, head)
}

/// The Cache-Control a file gets: the SPA fallback's, a fingerprinted name's, or the
/// general one.
pub(crate) fn cache_control_for(s: &Settings, name: &str, is_spa: bool) -> Option<HeaderValue> {
    if is_spa {
        s.spa_cache_control.clone()
    } else if looks_fingerprinted(name) {
        s.fingerprinted_cache_control.clone().or_else(|| s.cache_control.clone())
    } else {
        s.cache_control.clone()
    }
}

/// Turns a lookup's outcome into the response.
pub(crate) fn respond(s: &Settings, found: Outcome, head: &RequestHead) -> Response {
    match found {
        Outcome::File(f) => {
            let FoundFile { mut content, name, is_spa } = *f;
            if let Some(cc) = cache_control_for(s, &name, is_spa) {
                content = content.header(CACHE_CONTROL, cc);
            }
            servecontent_head(head, content)
        }
        Outcome::RedirectSlash => {
            let raw = head.uri.path();
            let mut location = format!("/{}/", raw.trim_start_matches('/'));
            if let Some(q) = head.uri.query() {
                location.push('?');
                location.push_str(q);
            }
            match HeaderValue::from_str(&location) {
                Ok(v) => {
                    let mut r = Response::error(StatusCode::MOVED_PERMANENTLY);
                    r.headers_mut().insert(LOCATION, v);
                    r
                }
                Err(_) => Response::error(StatusCode::BAD_REQUEST),
            }
        }
        Outcome::Listing(body, json) => {
            let media = if json { "application/json" } else { "text/html; charset=utf-8" };
            let content = Content::bytes(body)
                .content_type(HeaderValue::from_static(media))
                .header(CACHE_CONTROL, HeaderValue::from_static("no-cache"))
                .header(http_core::header::VARY, HeaderValue::from_static("accept"));
            servecontent_head(head, content)
        }
        Outcome::NotFound => Response::error(StatusCode::NOT_FOUND),
        Outcome::Forbidden => Response::error(StatusCode::FORBIDDEN),
    }
}

/// The response for a refused path.
pub(crate) fn path_error(e: PathError) -> Response {
    match e {
        PathError::Unsafe => Response::error(StatusCode::BAD_REQUEST),
        PathError::Hidden => Response::error(StatusCode::NOT_FOUND),
    }
}
