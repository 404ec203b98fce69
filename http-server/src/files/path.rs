//! Turning a request path (RFC 3986 §3.3 segments, §2.1 percent-encoding) into a file inside
//! a root, safely.
//!
//! [`SafePath::parse`] works on the raw (still percent-encoded) path:
//! 1. it splits on `/` **before** decoding, and rejects an encoded slash (`%2f`) or
//!    backslash (`%5c`) in a segment, so decoding can never make new separators;
//! 2. it percent-decodes each segment **once** (so `%252e%252e` is the literal name
//!    `%2e%2e`, not `..`); a bad escape or a result that is not UTF-8 is rejected;
//! 3. it rejects `.` and `..` segments (however they were spelled), backslashes, NUL and
//!    other control characters, and, on Windows, `:` (drive letters and streams);
//! 4. empty segments (`//`) are skipped: the path is always relative to the root.
//!
//! Rejected paths are answered 400. Dotfiles (a segment starting with `.`, other than
//! `.well-known`) are answered 404 unless allowed; symlinks that resolve outside the root are
//! answered 404 unless allowed (see [`FileServerOptions`](super::FileServerOptions)).

use std::path::{Path, PathBuf};

/// Why a request path was refused.
///
/// ```
/// use http_server::files::{PathError, SafePath};
/// assert_eq!(SafePath::parse("/../etc/passwd", false), Err(PathError::Unsafe));
/// assert_eq!(SafePath::parse("/a%2fb", false), Err(PathError::Unsafe));
/// assert_eq!(SafePath::parse("/.git/config", false), Err(PathError::Hidden));
/// assert!(SafePath::parse("/.git/config", true).is_ok());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PathError {
    /// Not a safe path at all (traversal, encoded separators, NUL...): answer 400.
    Unsafe,
    /// A hidden (dot) file or folder: answer 404.
    Hidden,
}

/// A request path checked to name something inside the root: decoded segments, none of
/// them empty, `.` or `..`.
///
/// ```
/// use http_server::files::{PathError, SafePath};
/// let p = SafePath::parse("/docs/read%20me.txt", false).unwrap();
/// assert_eq!(p.segments(), ["docs", "read me.txt"]);
/// assert_eq!(SafePath::parse("/a/%2e%2e/b", false), Err(PathError::Unsafe));
/// assert_eq!(SafePath::parse("/.env", false), Err(PathError::Hidden));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SafePath {
    segments: Vec<String>,
    trailing_slash: bool,
}

impl SafePath {
    /// Checks a raw request path (as in the request line, percent-encoded).
    /// `allow_dotfiles` lets segments start with `.`.
    ///
    /// ```
    /// use http_server::files::{PathError, SafePath};
    /// assert_eq!(SafePath::parse("//a///b", false).unwrap().segments(), ["a", "b"]);
    /// assert_eq!(SafePath::parse("/%252e%252e", false).unwrap().segments(), ["%2e%2e"], "decoded once");
    /// assert_eq!(SafePath::parse("relative", false), Err(PathError::Unsafe));
    /// assert!(SafePath::parse("/.well-known/security.txt", false).is_ok());
    /// ```
    pub fn parse(raw: &str, allow_dotfiles: bool) -> Result<SafePath, PathError> {
        if !raw.starts_with('/') {
            return Err(PathError::Unsafe);
        }
        let mut segments = Vec::new();
        let mut hidden = false;
        for raw_seg in raw.split('/') {
            if raw_seg.is_empty() {
                continue;
            }
            let seg = decode_segment(raw_seg)?;
            if seg == "." || seg == ".." {
                return Err(PathError::Unsafe);
            }
            if seg.chars().any(|c| c == '\\' || c == '/' || c.is_control()) {
                return Err(PathError::Unsafe);
            }
            if cfg!(windows) && seg.contains(':') {
                return Err(PathError::Unsafe);
            }
            if seg.starts_with('.') && seg != ".well-known" {
                hidden = true;
            }
            segments.push(seg);
        }
        if hidden && !allow_dotfiles {
            return Err(PathError::Hidden);
        }
        Ok(SafePath { segments, trailing_slash: raw.len() > 1 && raw.ends_with('/') })
    }

    /// The decoded segments, in order.
    ///
    /// ```
    /// let p = http_server::files::SafePath::parse("/a/b%20c/", false).unwrap();
    /// assert_eq!(p.segments(), ["a", "b c"]);
    /// ```
    pub fn segments(&self) -> &[String] {
        &self.segments
    }

    /// True when the request path ended with `/` (and was not just `/`).
    ///
    /// ```
    /// use http_server::files::SafePath;
    /// assert!(SafePath::parse("/docs/", false).unwrap().has_trailing_slash());
    /// assert!(!SafePath::parse("/docs", false).unwrap().has_trailing_slash());
    /// assert!(!SafePath::parse("/", false).unwrap().has_trailing_slash());
    /// ```
    pub fn has_trailing_slash(&self) -> bool {
        self.trailing_slash
    }

    /// True for the root itself (`/`).
    ///
    /// ```
    /// use http_server::files::SafePath;
    /// assert!(SafePath::parse("/", false).unwrap().is_root());
    /// assert!(SafePath::parse("//", false).unwrap().is_root());
    /// assert!(!SafePath::parse("/a", false).unwrap().is_root());
    /// ```
    pub fn is_root(&self) -> bool {
        self.segments.is_empty()
    }

    /// The last segment, if any.
    ///
    /// ```
    /// use http_server::files::SafePath;
    /// assert_eq!(SafePath::parse("/docs/guide.txt", false).unwrap().last(), Some("guide.txt"));
    /// assert_eq!(SafePath::parse("/", false).unwrap().last(), None);
    /// ```
    pub fn last(&self) -> Option<&str> {
        self.segments.last().map(String::as_str)
    }

    /// The path below `root`.
    ///
    /// ```
    /// use std::path::Path;
    /// let p = http_server::files::SafePath::parse("/docs/guide.txt", false).unwrap();
    /// assert_eq!(p.join_to(Path::new("/srv/www")), Path::new("/srv/www/docs/guide.txt"));
    /// ```
    pub fn join_to(&self, root: &Path) -> PathBuf {
        let mut p = root.to_path_buf();
        p.extend(&self.segments);
        p
    }
}

/// Percent-decodes one raw segment, once ([`http_core::percent`]), refusing segments that
/// decode to a separator or NUL (`%2f`, `%5c`, `%00`, and their raw forms).
fn decode_segment(raw: &str) -> Result<String, PathError> {
    let seg = http_core::percent::percent_decode(raw).map_err(|_| PathError::Unsafe)?;
    if seg.contains(['/', '\\', '\0']) {
        return Err(PathError::Unsafe);
    }
    Ok(seg.into_owned())
}

/// Where a path below the root leads, for [`stays_inside`].
#[derive(Debug)]
pub(crate) enum Jail {
    /// Outside the root, through a symlink.
    Outside,
    /// Inside the root; with the path's own metadata when no symlink was on the way (then
    /// the last `lstat` is what `stat` would say, and the caller need not ask again).
    Inside(Option<std::fs::Metadata>),
}

/// Checks that `path` (below `root`, which is canonical) does not leave `root` through a
/// symlink: each component below the root is `lstat`ed, and only when one is a symlink is
/// the path canonicalised and compared. Blocking (file system calls).
pub(crate) fn stays_inside(root: &Path, path: &Path) -> std::io::Result<Jail> {
    let Ok(rel) = path.strip_prefix(root) else { return Ok(Jail::Outside) };
    let mut cur = root.to_path_buf();
    let mut last = None;
    for comp in rel.components() {
        cur.push(comp);
        let m = std::fs::symlink_metadata(&cur)?;
        if m.file_type().is_symlink() {
            let real = std::fs::canonicalize(path)?;
            return Ok(if real.starts_with(root) { Jail::Inside(None) } else { Jail::Outside });
        }
        last = Some(m);
    }
    Ok(Jail::Inside(last))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unsafe_table() {
        let rows = [
            "/../etc/passwd",
            "/a/../../etc/passwd",
            "/%2e%2e/etc/passwd",
            "/%2E%2E/etc/passwd",
            "/.%2e/etc/passwd",
            "/%2e./etc/passwd",
            "/..%2fetc%2fpasswd",
            "/%2fetc/passwd",
            "/a%2F..%2F..%2Fetc",
            "/..%5cetc",
            "/a\\..\\etc",
            "/a%00.txt",
            "/a%zz",
            "/a%2",
            "/%c0%ae%c0%ae/etc",
            "/./a",
            "/a/.",
            "relative/path",
            "*",
            "/a%0a",
        ];
        for raw in rows {
            assert_eq!(SafePath::parse(raw, true), Err(PathError::Unsafe), "{raw}");
        }
    }

    #[test]
    fn accepted_table() {
        let rows: [(&str, &[&str], bool); 8] = [
            ("/", &[], false),
            ("/a/b.txt", &["a", "b.txt"], false),
            ("//a///b/", &["a", "b"], true),
            ("/sp%20ace", &["sp ace"], false),
            ("/%252e%252e", &["%2e%2e"], false),
            ("/caf%C3%A9", &["café"], false),
            ("/a..b/c...", &["a..b", "c..."], false),
            ("/.well-known/x", &[".well-known", "x"], false),
        ];
        for (raw, want, slash) in rows {
            let p = SafePath::parse(raw, false).unwrap_or_else(|e| panic!("{raw}: {e:?}"));
            assert_eq!(p.segments(), want, "{raw}");
            assert_eq!(p.has_trailing_slash(), slash, "{raw}");
        }
    }

    #[test]
    fn dotfiles_hidden_unless_allowed() {
        for raw in ["/.env", "/.git/config", "/a/.secret/b", "/%2egit/HEAD"] {
            assert_eq!(SafePath::parse(raw, false), Err(PathError::Hidden), "{raw}");
            assert!(SafePath::parse(raw, true).is_ok(), "{raw}");
        }
    }
}
