//! [`fileserver`]: a [`Handler`] serving a folder, with [`FileServerOptions`]. GET and HEAD
//! only (RFC 9110 §9.3.1, §9.3.2; other methods get 405 with `Allow`, §15.5.6).

use std::future::Future;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use http_core::{Handler, Request, RequestHead, Response};

use super::file::{
    Ask, Located, Settings, locate, lookup_and_respond, method_not_allowed, not_found_kind, path_error, respond,
};
use super::lookups::Resolved;
use super::open::open_file;
use super::options::FileServerOptions;
use super::path::SafePath;

/// A handler serving the files under a root folder; made by [`fileserver`]. Cheap to clone.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> std::io::Result<()> {
/// use http_core::{Handler, Method, Request, testing};
/// use http_server::files::{FileServer, FileServerOptions, fileserver};
/// # let root = std::env::temp_dir().join(format!("fs-doc-struct-{}", std::process::id()));
/// # std::fs::create_dir_all(&root)?;
/// std::fs::write(root.join("a.txt"), "a")?;
/// let fs: FileServer = fileserver(&root, FileServerOptions::new())?;
/// let handler = fs.clone(); // shares the same settings
/// assert_eq!(handler.call(Request::new(Method::GET, "/a.txt")).await.status(), 200);
/// assert_eq!(testing::call(&fs, Request::new(Method::GET, "/a.txt")).await.text(), "a");
/// # std::fs::remove_dir_all(&root)?; Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct FileServer {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    settings: Arc<Settings>,
    root: PathBuf,
    strip_prefix: Option<String>,
    dotfiles: bool,
}

/// HTTP.jl's `fileserver`: a [`Handler`] serving the files under `root`.
///
/// For each GET or HEAD (other methods → 405 with `Allow: GET, HEAD`) the path is checked
/// (see [`SafePath`]: unsafe → 400, dotfiles → 404), mapped below `root` (symlinks leaving it
/// → 404), and answered by [`servecontent`](super::servecontent): a file; a folder's index
/// file (a folder URL without its trailing `/` is redirected there, keeping the query); an
/// optional listing; the optional SPA fallback; else 404.
///
/// Fails when `root` is not a folder, or the SPA fallback is not a file inside it.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> std::io::Result<()> {
/// use http_core::{Method, Request, testing};
/// use http_server::files::{FileServerOptions, fileserver};
/// let root = std::env::temp_dir().join(format!("fileserver-doc-{}", std::process::id()));
/// std::fs::create_dir_all(root.join("assets"))?;
/// std::fs::write(root.join("index.html"), "<!doctype html><p>shell")?;
/// std::fs::write(root.join("assets/app.js"), "console.log(1)")?;
/// let fs = fileserver(&root, FileServerOptions::new().spa_fallback("index.html"))?;
/// let r = testing::call(&fs, Request::new(Method::GET, "/assets/app.js")).await;
/// assert_eq!(r.header("content-type"), Some("text/javascript; charset=utf-8"));
/// let r = testing::call(&fs, Request::new(Method::GET, "/users/7")).await; // a client-side route
/// assert_eq!((r.status.as_u16(), r.text().as_str()), (200, "<!doctype html><p>shell"));
/// let r = testing::call(&fs, Request::new(Method::GET, "/assets/missing.js")).await;
/// assert_eq!(r.status, 404);
/// # std::fs::remove_dir_all(&root)?; Ok(()) }
/// ```
pub fn fileserver(root: impl AsRef<Path>, options: FileServerOptions) -> io::Result<FileServer> {
    let root = std::fs::canonicalize(root.as_ref())?;
    if !root.is_dir() {
        return Err(io::Error::new(io::ErrorKind::InvalidInput, format!("{} is not a folder", root.display())));
    }
    let spa = match &options.spa_fallback {
        None => None,
        Some(rel) => {
            let spa = std::fs::canonicalize(root.join(rel)).map_err(|e| {
                io::Error::new(e.kind(), format!("SPA fallback {rel}: {e} (it is named relative to the root)"))
            })?;
            if !spa.starts_with(&root) || !spa.is_file() {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    format!("SPA fallback {rel} must be a file inside {}", root.display()),
                ));
            }
            Some(spa)
        }
    };
    let settings = Settings::from_options(&options, Some(&root), spa);
    Ok(FileServer {
        inner: Arc::new(Inner {
            settings: Arc::new(settings),
            root,
            strip_prefix: options.strip_prefix,
            dotfiles: options.dotfiles,
        }),
    })
}

impl FileServer {
    /// The canonical root folder.
    ///
    /// ```
    /// # fn main() -> std::io::Result<()> {
    /// use http_server::files::{FileServerOptions, fileserver};
    /// # let root = std::env::temp_dir().join(format!("fs-doc-root-{}", std::process::id()));
    /// # std::fs::create_dir_all(root.join("sub"))?;
    /// let fs = fileserver(root.join("sub/.."), FileServerOptions::new())?;
    /// assert_eq!(fs.root(), std::fs::canonicalize(&root)?);
    /// # std::fs::remove_dir_all(&root)?; Ok(()) }
    /// ```
    pub fn root(&self) -> &Path {
        &self.inner.root
    }

    /// Answers one request (what [`Handler::call`] does). The future does not borrow
    /// `req`: its head is copied.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> std::io::Result<()> {
    /// use http_core::{Method, Request};
    /// use http_server::files::{FileServerOptions, fileserver};
    /// # let root = std::env::temp_dir().join(format!("fs-doc-serve-{}", std::process::id()));
    /// # std::fs::create_dir_all(&root)?;
    /// std::fs::write(root.join("a.txt"), "hello")?;
    /// let fs = fileserver(&root, FileServerOptions::new())?;
    /// let req = Request::new(Method::GET, "/a.txt");
    /// let fut = fs.serve(&req);
    /// drop(req); // the future does not borrow the request
    /// let resp = fut.await;
    /// assert_eq!(resp.into_body().collect(1024).await.unwrap(), "hello");
    /// assert_eq!(fs.serve(&Request::new(Method::POST, "/a.txt")).await.status(), 405);
    /// # std::fs::remove_dir_all(&root)?; Ok(()) }
    /// ```
    pub fn serve(&self, req: &Request) -> impl Future<Output = Response> + Send + use<> {
        let (inner, head) = (Arc::clone(&self.inner), req.head().clone());
        async move { answer(&inner, &head).await }
    }

    /// Answers a request from its head, borrowing it (nothing is copied): for pipelines
    /// that keep the head for later, as the `fileserver` binary does.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> std::io::Result<()> {
    /// use http_core::{Method, Request};
    /// use http_server::files::{FileServerOptions, fileserver};
    /// # let root = std::env::temp_dir().join(format!("fs-doc-serve-head-{}", std::process::id()));
    /// # std::fs::create_dir_all(&root)?;
    /// std::fs::write(root.join("a.txt"), "hello")?;
    /// let fs = fileserver(&root, FileServerOptions::new())?;
    /// let req = Request::new(Method::GET, "/a.txt");
    /// let resp = fs.serve_head(req.head()).await;
    /// assert_eq!(resp.into_body().collect(1024).await.unwrap(), "hello");
    /// assert_eq!(req.path(), "/a.txt"); // still ours
    /// # std::fs::remove_dir_all(&root)?; Ok(()) }
    /// ```
    pub async fn serve_head(&self, head: &RequestHead) -> Response {
        answer(&self.inner, head).await
    }
}

async fn answer(inner: &Inner, head: &RequestHead) -> Response {
    if let Some(r) = method_not_allowed(&head.method) {
        return r;
    }
    let mut path = match head.uri.path() {
        "" => "/",
        p => p,
    };
    if let Some(prefix) = &inner.strip_prefix {
        match path.strip_prefix(prefix.as_str()) {
            Some("") => path = "/",
            Some(rest) if rest.starts_with('/') => path = rest,
            _ => return Response::error(http_core::StatusCode::NOT_FOUND),
        }
    }
    let s = &inner.settings;
    // A path that led to a file moments ago: no checks and no file-system call.
    if let Some(lookups) = &s.lookups
        && let Some(hit) = lookups.get(path)
    {
        return hit.respond(s, head);
    }
    let safe = match SafePath::parse(path, inner.dotfiles) {
        Ok(p) => p,
        Err(e) => return path_error(e),
    };
    let spa_ok = s.spa.is_some() && safe.last().is_none_or(|l| !l.contains('.'));
    let ask = Ask::new(head, safe.join_to(&inner.root), &safe, s, spa_ok);
    if let Some(lookups) = &s.lookups {
        // Only with inline I/O: the lookup runs here.
        return match locate(s, &ask) {
            Located::File(file) => match Resolved::open(s, &file) {
                Ok(Some(found)) => {
                    let found = Arc::new(found);
                    lookups.insert(path, Arc::clone(&found));
                    found.respond(s, head)
                }
                Ok(None) => respond(s, open_file(s, &ask, &file), head),
                Err(e) => respond(s, not_found_kind(&e), head),
            },
            Located::Done(outcome) => respond(s, outcome, head),
        };
    }
    lookup_and_respond(Arc::clone(s), ask, head).await
}

impl Handler for FileServer {
    fn call(&self, req: Request) -> impl Future<Output = Response> + Send {
        let (head, _body, _ctx) = req.into_parts();
        let inner = Arc::clone(&self.inner);
        async move { answer(&inner, &head).await }
    }
}
