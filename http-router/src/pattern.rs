//! Parsing route patterns: `"GET /users/{id}"`, `"/files/{name:\w+}"`, `"/static/**"`.
//!
//! A pattern is split on `/` into typed [`Segment`]s once, at registration; regexes are
//! compiled there too (anchored to the whole segment) and shared between routes through a
//! cache, so matching never compiles anything.

use std::collections::HashMap;
use std::sync::Arc;

use http::Method;
use regex::Regex;

use crate::error::RouteError;
use http_core::percent::percent_decode;

/// Most parameters one route may capture (`**` counts as one).
pub(crate) const MAX_PARAMS: usize = 16;

/// Which requests a route answers by method.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum MethodKey {
    /// Every method (`"/path"` alone, `"* /path"`, `register("*", ..)`).
    Any,
    /// One method.
    One(Method),
}

impl MethodKey {
    /// Parses `"*"` or a method token. Methods are case-sensitive (RFC 9110 §9.1), so
    /// `get` is rejected as a likely typo for `GET`.
    pub(crate) fn parse(method: &str, pattern: &str) -> Result<MethodKey, RouteError> {
        if method == "*" {
            return Ok(MethodKey::Any);
        }
        let m = Method::from_bytes(method.as_bytes())
            .map_err(|_| RouteError::invalid(pattern, format!("`{method}` is not a valid method")))?;
        let upper = method.to_ascii_uppercase();
        if upper != method && Method::from_bytes(upper.as_bytes()).is_ok_and(|u| !is_extension(&u)) {
            return Err(RouteError::invalid(pattern, format!("methods are case-sensitive: write `{upper}`")));
        }
        Ok(MethodKey::One(m))
    }

    /// `GET`, or `*` for any.
    pub(crate) fn as_str(&self) -> &str {
        match self {
            MethodKey::Any => "*",
            MethodKey::One(m) => m.as_str(),
        }
    }
}

fn is_extension(m: &Method) -> bool {
    !matches!(
        *m,
        Method::GET
            | Method::HEAD
            | Method::POST
            | Method::PUT
            | Method::DELETE
            | Method::CONNECT
            | Method::OPTIONS
            | Method::TRACE
            | Method::PATCH
    )
}

/// One segment of a parsed pattern.
#[derive(Debug, Clone)]
pub(crate) enum Segment {
    /// Literal text, percent-decoded (`users`).
    Exact(String),
    /// `{name}`: one segment, captured.
    Param(Arc<str>),
    /// `{name:re}`: one segment whose whole text matches `re`, captured.
    Regex {
        /// The parameter name.
        name: Arc<str>,
        /// The regex as written, the identity of the trie slot.
        source: Arc<str>,
        /// Compiled as `^(?:source)$`.
        regex: Regex,
    },
    /// `*`: one segment, not captured.
    Star,
    /// `**`: one or more remaining segments, captured as `**`; last only.
    CatchAll,
}

/// What two routes must share to be in conflict: `{id}`, `{name}` and `*` are all "one
/// segment", regexes are equal when their sources are.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum Shape {
    Exact(String),
    One,
    Regex(Arc<str>),
    CatchAll,
}

/// A parsed path pattern.
#[derive(Debug, Clone)]
pub(crate) struct PathPattern {
    pub(crate) segments: Vec<Segment>,
}

impl PathPattern {
    /// Parameter names in capture order.
    pub(crate) fn param_names(&self) -> Vec<Arc<str>> {
        self.segments
            .iter()
            .filter_map(|s| match s {
                Segment::Param(n) | Segment::Regex { name: n, .. } => Some(n.clone()),
                Segment::CatchAll => Some(Arc::from("**")),
                _ => None,
            })
            .collect()
    }

    /// The conflict key.
    pub(crate) fn shape(&self) -> Vec<Shape> {
        self.segments
            .iter()
            .map(|s| match s {
                Segment::Exact(t) => Shape::Exact(t.clone()),
                Segment::Param(_) | Segment::Star => Shape::One,
                Segment::Regex { source, .. } => Shape::Regex(source.clone()),
                Segment::CatchAll => Shape::CatchAll,
            })
            .collect()
    }
}

/// Splits `"GET /users/{id}"` into its method and path; a pattern that starts with `/` is
/// for every method.
pub(crate) fn split_method(pattern: &str) -> Result<(MethodKey, &str), RouteError> {
    let p = pattern.trim();
    if p.starts_with('/') {
        return Ok((MethodKey::Any, p));
    }
    let Some((method, path)) = p.split_once([' ', '\t']) else {
        return Err(RouteError::invalid(pattern, "expected `METHOD /path` or `/path`"));
    };
    let path = path.trim_start();
    if !path.starts_with('/') {
        return Err(RouteError::invalid(pattern, "the path must start with `/`"));
    }
    Ok((MethodKey::parse(method, pattern)?, path))
}

/// Splits a path pattern on `/` outside braces (a regex may contain `/` or `{m,n}`),
/// dropping empty segments as request paths do.
fn split_segments(path: &str) -> Result<Vec<&str>, String> {
    let mut out = Vec::new();
    let mut depth = 0usize;
    let mut start = 0;
    for (i, c) in path.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth = depth.checked_sub(1).ok_or("unbalanced `}`")?,
            '/' if depth == 0 => {
                if i > start {
                    out.push(&path[start..i]);
                }
                start = i + 1;
            }
            _ => {}
        }
    }
    if depth != 0 {
        return Err("unbalanced `{`".into());
    }
    if start < path.len() {
        out.push(&path[start..]);
    }
    Ok(out)
}

fn valid_name(name: &str) -> bool {
    !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// Compiled regexes by source, so a regex used by many routes is compiled once.
pub(crate) type RegexCache = HashMap<Arc<str>, Regex>;

/// Parses a path pattern (`/users/{id}`).
pub(crate) fn parse_path(pattern: &str, cache: &mut RegexCache) -> Result<PathPattern, RouteError> {
    let path = pattern.trim();
    if !path.starts_with('/') {
        return Err(RouteError::invalid(pattern, "the path must start with `/`"));
    }
    let raw = split_segments(path).map_err(|e| RouteError::invalid(pattern, e))?;
    let mut segments = Vec::with_capacity(raw.len());
    let mut names: Vec<&str> = Vec::new();
    for (i, seg) in raw.iter().enumerate() {
        let parsed = match *seg {
            "*" => Segment::Star,
            "**" if i + 1 == raw.len() => Segment::CatchAll,
            "**" => return Err(RouteError::invalid(pattern, "`**` must be the last segment")),
            s if s.starts_with('{') && s.ends_with('}') => {
                let inner = &s[1..s.len() - 1];
                let (name, re) = match inner.split_once(':') {
                    Some((n, r)) => (n, Some(r)),
                    None => (inner, None),
                };
                if !valid_name(name) || name == "**" {
                    return Err(RouteError::invalid(
                        pattern,
                        format!("`{name}` is not a parameter name (letters, digits, `_`, `-`)"),
                    ));
                }
                if names.contains(&name) {
                    return Err(RouteError::invalid(pattern, format!("parameter `{name}` appears twice")));
                }
                names.push(name);
                match re {
                    None => Segment::Param(Arc::from(name)),
                    Some("") => return Err(RouteError::invalid(pattern, format!("empty regex for `{name}`"))),
                    Some(src) => {
                        let source: Arc<str> = Arc::from(src);
                        let regex = match cache.get(&source) {
                            Some(r) => r.clone(),
                            None => {
                                let r = Regex::new(&format!("^(?:{src})$")).map_err(|e| {
                                    RouteError::invalid(pattern, format!("bad regex for `{name}`: {e}"))
                                })?;
                                cache.insert(source.clone(), r.clone());
                                r
                            }
                        };
                        Segment::Regex { name: Arc::from(name), source, regex }
                    }
                }
            }
            s if s.contains(['{', '}']) => {
                return Err(RouteError::invalid(
                    pattern,
                    format!("`{s}`: a parameter must be a whole segment (use a regex, `{{name:re}}`)"),
                ));
            }
            s => match percent_decode(s) {
                Ok(text) => Segment::Exact(text.into_owned()),
                Err(_) => return Err(RouteError::invalid(pattern, format!("`{s}`: invalid percent-encoding"))),
            },
        };
        segments.push(parsed);
    }
    let captures = segments.iter().filter(|s| matches!(s, Segment::Param(_) | Segment::Regex { .. })).count()
        + usize::from(matches!(segments.last(), Some(Segment::CatchAll)));
    if captures > MAX_PARAMS {
        return Err(RouteError::invalid(pattern, format!("more than {MAX_PARAMS} parameters")));
    }
    Ok(PathPattern { segments })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(p: &str) -> Result<String, String> {
        let parsed = parse_path(p, &mut RegexCache::new()).map_err(|e| e.to_string())?;
        Ok(parsed
            .segments
            .iter()
            .map(|s| match s {
                Segment::Exact(t) => format!("={t}"),
                Segment::Param(n) => format!("{{{n}}}"),
                Segment::Regex { name, source, .. } => format!("{{{name}~{source}}}"),
                Segment::Star => "*".into(),
                Segment::CatchAll => "**".into(),
            })
            .collect::<Vec<_>>()
            .join(" "))
    }

    #[test]
    fn parse_table() {
        let ok: &[(&str, &str)] = &[
            ("/", ""),
            ("/users", "=users"),
            ("//users//", "=users"),
            ("/users/{id}", "=users {id}"),
            (r"/f/{name:\w+}", r"=f {name~\w+}"),
            (r"/d/{n:\d{3}}", r"=d {n~\d{3}}"),
            ("/x/{p:[^/]+}", "=x {p~[^/]+}"),
            ("/a/*/b", "=a * =b"),
            ("/static/**", "=static **"),
            ("/caf%C3%A9", "=café"),
            ("/a%2Fb", "=a/b"),
            ("/a*b", "=a*b"),
        ];
        for (p, want) in ok {
            assert_eq!(kinds(p).as_deref(), Ok(*want), "pattern {p}");
        }
        let bad: &[(&str, &str)] = &[
            ("users", "must start with `/`"),
            ("/a/**/b", "`**` must be the last segment"),
            ("/a/{}", "not a parameter name"),
            ("/a/{x y}", "not a parameter name"),
            ("/a/{id}/{id}", "appears twice"),
            ("/a/{id", "unbalanced"),
            ("/a/id}", "unbalanced"),
            ("/a/pre{id}", "whole segment"),
            ("/a/{id:}", "empty regex"),
            ("/a/{id:(}", "bad regex"),
            ("/a/%zz", "invalid percent-encoding"),
        ];
        for (p, want) in bad {
            let err = kinds(p).unwrap_err();
            assert!(err.contains(want), "pattern {p}: {err}");
        }
    }

    #[test]
    fn split_method_table() {
        type Case = (&'static str, Result<(&'static str, &'static str), &'static str>);
        let cases: &[Case] = &[
            ("GET /users/{id}", Ok(("GET", "/users/{id}"))),
            ("  POST   /x ", Ok(("POST", "/x"))),
            ("/any", Ok(("*", "/any"))),
            ("* /any", Ok(("*", "/any"))),
            ("PURGE /cache", Ok(("PURGE", "/cache"))),
            ("get /x", Err("case-sensitive")),
            ("GET x", Err("must start")),
            ("GET", Err("expected")),
            ("G(T /x", Err("not a valid method")),
        ];
        for (input, want) in cases {
            let got = split_method(input).map(|(m, p)| (m.as_str().to_owned(), p)).map_err(|e| e.to_string());
            match (got, want) {
                (Ok((m, p)), Ok((wm, wp))) => assert_eq!((m.as_str(), p), (*wm, *wp), "{input}"),
                (Err(e), Err(w)) => assert!(e.contains(w), "{input}: {e}"),
                (got, _) => panic!("{input}: got {got:?}"),
            }
        }
    }

    #[test]
    fn regex_is_anchored_and_cached() {
        let mut cache = RegexCache::new();
        let p = parse_path(r"/{n:\d+}", &mut cache).unwrap();
        let Segment::Regex { regex, .. } = &p.segments[0] else { panic!("regex segment") };
        assert!(regex.is_match("123"));
        assert!(!regex.is_match("12a"));
        assert!(!regex.is_match("a12"));
        parse_path(r"/other/{m:\d+}", &mut cache).unwrap();
        assert_eq!(cache.len(), 1);
    }

    #[test]
    fn too_many_params() {
        let p: String = (0..=MAX_PARAMS).map(|i| format!("/{{p{i}}}")).collect();
        assert!(parse_path(&p, &mut RegexCache::new()).unwrap_err().to_string().contains("more than"));
    }
}
