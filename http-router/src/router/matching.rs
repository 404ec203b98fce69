//! The match API: [`Router::at`] looks a request up without calling anything, and
//! [`Match`] gives the route and its parameters, percent-decoded on demand (RFC 3986 §2.1).

use std::borrow::Cow;

use http_core::{Method, Params};

use super::answers::{AllowedMethods, allowed};
use super::{RouteEntry, Router};
use crate::pattern::MethodKey;
use crate::trie::{Captures, Lookup, PathView};
use http_core::percent::percent_decode;

/// Why [`Router::at`] found no route.
///
/// ```
/// use http_core::{Method, Request};
/// use http_router::{MatchError, Router};
/// let r = Router::new().route("GET /users/{id}", |_r: Request| async { "" });
/// assert_eq!(r.at(&Method::GET, "/nope").unwrap_err(), MatchError::NotFound);
/// assert!(matches!(r.at(&Method::POST, "/users/1"), Err(MatchError::MethodNotAllowed(_))));
/// assert_eq!(r.at(&Method::GET, "/users/%zz").unwrap_err(), MatchError::BadRequest);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MatchError {
    /// No route matches the path (404).
    NotFound,
    /// Routes match the path, none for this method (405; for OPTIONS the router answers
    /// 204 itself).
    MethodNotAllowed(AllowedMethods),
    /// The path has invalid percent-encoding (400).
    BadRequest,
}

/// A successful [`Router::at`] lookup: the route and its parameters, decoded on demand.
///
/// ```
/// use http_core::{Method, Request};
/// let r = http_router::Router::new().route("GET /users/{id}/posts/{post}", |_r: Request| async { "" });
/// let m = r.at(&Method::GET, "/users/7/posts/hello%20world").unwrap();
/// assert_eq!(m.pattern(), "/users/{id}/posts/{post}");
/// assert_eq!(m.param("post").as_deref(), Some("hello world"));
/// ```
#[derive(Debug, Clone, Copy)]
pub struct Match<'r, 'p> {
    id: usize,
    entry: &'r RouteEntry,
    path: &'p str,
    /// Whether the path holds `%` escapes (otherwise values are borrowed as they are).
    decode: bool,
    /// Whether the path is canonical (no `%`, no `//`): a `**` value is then its raw text.
    canonical: bool,
    caps: Captures,
}

impl<'r, 'p> Match<'r, 'p> {
    /// The registered path pattern (`/users/{id}`), what [`Request::route`](http_core::Request::route) returns.
    ///
    /// ```
    /// use http_core::{Method, Request};
    /// let r = http_router::Router::new().route("GET /users/{id}", |_r: Request| async { "" });
    /// assert_eq!(r.at(&Method::GET, "/users/7").unwrap().pattern(), "/users/{id}");
    /// ```
    pub fn pattern(&self) -> &'r str {
        &self.entry.pattern
    }

    /// The registered method, `*` for an any-method route.
    ///
    /// ```
    /// use http_core::{Method, Request};
    /// let r = http_router::Router::new()
    ///     .route("GET /a", |_r: Request| async { "" })
    ///     .route("/any", |_r: Request| async { "" });
    /// assert_eq!(r.at(&Method::GET, "/a").unwrap().method(), "GET");
    /// assert_eq!(r.at(&Method::PATCH, "/any").unwrap().method(), "*");
    /// ```
    pub fn method(&self) -> &'r str {
        self.entry.method.as_str()
    }

    /// The number of captured parameters.
    ///
    /// ```
    /// use http_core::{Method, Request};
    /// let r = http_router::Router::new().route("GET /a/{x}/{y}", |_r: Request| async { "" });
    /// assert_eq!(r.at(&Method::GET, "/a/1/2").unwrap().len(), 2);
    /// ```
    pub fn len(&self) -> usize {
        self.entry.names.len()
    }

    /// True when the route captures nothing.
    ///
    /// ```
    /// use http_core::{Method, Request};
    /// let r = http_router::Router::new().route("GET /health", |_r: Request| async { "" });
    /// assert!(r.at(&Method::GET, "/health").unwrap().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.entry.names.is_empty()
    }

    /// A parameter, percent-decoded (borrowed from the path when nothing needed decoding).
    ///
    /// ```
    /// use http_core::{Method, Request};
    /// let r = http_router::Router::new().route("GET /files/{name}", |_r: Request| async { "" });
    /// let m = r.at(&Method::GET, "/files/a%20b.txt").unwrap();
    /// assert_eq!(m.param("name").as_deref(), Some("a b.txt"));
    /// assert_eq!(m.param("other"), None);
    /// ```
    pub fn param(&self, name: &str) -> Option<Cow<'p, str>> {
        let i = self.entry.names.iter().position(|n| &**n == name)?;
        Some(self.value(i))
    }

    /// All parameters, in pattern order.
    ///
    /// ```
    /// use http_core::{Method, Request};
    /// let r = http_router::Router::new().route("GET /{a}/{b}", |_r: Request| async { "" });
    /// let m = r.at(&Method::GET, "/x/y").unwrap();
    /// let params: Vec<(&str, String)> = m.params().map(|(n, v)| (n, v.into_owned())).collect();
    /// assert_eq!(params, [("a", "x".to_string()), ("b", "y".to_string())]);
    /// ```
    pub fn params(&self) -> impl Iterator<Item = (&'r str, Cow<'p, str>)> + '_ {
        self.entry.names.iter().enumerate().map(|(i, n)| (&**n, self.value(i)))
    }

    fn value(&self, i: usize) -> Cow<'p, str> {
        let rest = self.entry.rest && i + 1 == self.entry.names.len();
        let raw = self.caps.get(i, self.path, rest);
        if rest && self.canonical {
            Cow::Borrowed(raw)
        } else if rest {
            decode_rest(raw)
        } else if !self.decode {
            Cow::Borrowed(raw)
        } else {
            percent_decode(raw).unwrap_or(Cow::Borrowed(raw))
        }
    }

    fn to_params(self) -> Params {
        let mut p = Params::default();
        for (i, name) in self.entry.names.iter().enumerate() {
            p.push(name.clone(), self.value(i).into_owned());
        }
        p
    }
}

/// The value of a `**` capture: the remaining segments, each decoded, joined by `/`
/// (empty segments dropped, as everywhere in matching).
fn decode_rest(raw: &str) -> Cow<'_, str> {
    if !raw.contains('%') && !raw.contains("//") {
        return Cow::Borrowed(raw);
    }
    let parts: Vec<Cow<'_, str>> =
        raw.split('/').filter(|s| !s.is_empty()).map(|s| percent_decode(s).unwrap_or(Cow::Borrowed(s))).collect();
    Cow::Owned(parts.join("/"))
}

/// What a request's method and path lead to.
pub(super) enum Outcome {
    Route(usize, Params),
    NotFound,
    BadRequest,
    WrongMethod(AllowedMethods),
    Options(AllowedMethods),
}

impl Router {
    /// Looks up the route for `method` and `path` without calling it.
    ///
    /// ```
    /// use http_core::{Method, Request};
    /// use http_router::{MatchError, Router};
    /// let r = Router::new().route("GET /files/{name:[a-z]+\\.txt}", |_r: Request| async { "" });
    /// let m = r.at(&Method::GET, "/files/notes.txt").unwrap();
    /// assert_eq!((m.pattern(), m.param("name").as_deref()), ("/files/{name:[a-z]+\\.txt}", Some("notes.txt")));
    /// assert_eq!(r.at(&Method::GET, "/files/NOTES.txt").unwrap_err(), MatchError::NotFound);
    /// assert!(matches!(r.at(&Method::PUT, "/files/a.txt"), Err(MatchError::MethodNotAllowed(_))));
    /// assert_eq!(r.at(&Method::GET, "/files/%zz").unwrap_err(), MatchError::BadRequest);
    /// ```
    pub fn at<'r, 'p>(&'r self, method: &Method, path: &'p str) -> Result<Match<'r, 'p>, MatchError> {
        let Ok(view) = PathView::new(path) else {
            return Err(MatchError::BadRequest);
        };
        let mut caps = Captures::default();
        match self.root.find(method, &view, &mut caps) {
            Lookup::Route(id) => Ok(self.matched(id, path, &view, caps)),
            Lookup::NotFound => Err(MatchError::NotFound),
            Lookup::WrongMethod(leaves) => Err(MatchError::MethodNotAllowed(allowed(&leaves))),
        }
    }

    fn matched<'r, 'p>(&'r self, id: usize, path: &'p str, view: &PathView<'_>, caps: Captures) -> Match<'r, 'p> {
        let (decode, canonical) = (view.has_escapes(), view.is_canonical());
        Match { id, entry: &self.routes[id], path, decode, canonical, caps }
    }

    pub(super) fn lookup(&self, method: &Method, path: &str) -> Outcome {
        if path == "*" {
            return if *method == Method::OPTIONS {
                Outcome::Options(AllowedMethods::from_methods(self.routes.iter().filter_map(|e| match &e.method {
                    MethodKey::One(m) => Some(m),
                    MethodKey::Any => None,
                })))
            } else {
                Outcome::NotFound
            };
        }
        match self.at(method, path) {
            Ok(m) => Outcome::Route(m.id, m.to_params()),
            Err(MatchError::NotFound) => Outcome::NotFound,
            Err(MatchError::BadRequest) => Outcome::BadRequest,
            Err(MatchError::MethodNotAllowed(allow)) if *method == Method::OPTIONS => Outcome::Options(allow),
            Err(MatchError::MethodNotAllowed(allow)) => Outcome::WrongMethod(allow),
        }
    }
}

pub(super) fn path_of(uri: &http_core::Uri) -> &str {
    match uri.path() {
        "" => "/",
        p => p,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_core::Request;

    #[test]
    fn decode_rest_table() {
        let cases = [("a/b", "a/b"), ("a//b", "a/b"), ("a%2Fb/c", "a/b/c"), ("x%20y", "x y")];
        for (raw, want) in cases {
            assert_eq!(decode_rest(raw), want, "{raw}");
        }
    }

    #[test]
    fn options_asterisk_lists_everything() {
        let r = Router::new().route("GET /a", |_r: Request| async { "a" }).route("PUT /b", |_r: Request| async { "b" });
        let Outcome::Options(a) = r.lookup(&Method::OPTIONS, "*") else { panic!("options") };
        assert_eq!(a.header_value(), "GET, HEAD, PUT, OPTIONS");
    }
}
