//! The fileserver's request pipeline around [`FileServer`]: virtual hosts, maintenance
//! mode (503 with Retry-After, RFC 9110 §10.2.3), CORS (the Fetch standard's preflight),
//! redirects, basic auth (RFC 7617), dotfile policy, rewrites, `try_files` fallbacks, custom
//! error pages, per-path headers and the security-header preset.

use std::collections::HashMap;
use std::sync::Arc;

use bytes::Bytes;
use http_core::header::{self, HeaderName};
use http_core::{Body, HeaderValue, Method, Request, RequestHead, Response, StatusCode};
use http_server::files::{FileServer, content_type_for};

use crate::config::{BasicAuth, Cors, HeaderRule, Redirect, Rewrite};
use crate::types::{Dotfiles, substitute};

/// A page read at start-up (custom error pages, the maintenance page).
#[derive(Debug, Clone)]
pub(crate) struct Page {
    pub(crate) body: Bytes,
    pub(crate) content_type: HeaderValue,
}

impl Page {
    /// Reads `name` (relative to `root`), which must stay inside `root`.
    pub(crate) fn read(root: &std::path::Path, name: &str, what: &str) -> Result<Page, String> {
        let path = std::fs::canonicalize(root.join(name.trim_start_matches('/')))
            .map_err(|e| format!("{what} {name}: {e} (it is named relative to the root)"))?;
        if !path.starts_with(root) || !path.is_file() {
            return Err(format!("{what} {name} must be a file inside {}", root.display()));
        }
        let body = std::fs::read(&path).map_err(|e| format!("{what} {name}: {e}"))?;
        Ok(Page { body: Bytes::from(body), content_type: content_type_for(name) })
    }

    fn respond(&self, status: StatusCode) -> Response {
        let mut r = Response::from_parts(status, Default::default(), Body::from(self.body.clone()));
        r.headers_mut().insert(header::CONTENT_TYPE, self.content_type.clone());
        r.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        r
    }
}

/// Everything the pipeline needs, shared by all requests.
#[derive(Debug)]
pub(crate) struct App {
    pub(crate) default: FileServer,
    /// (lower-case host, its server).
    pub(crate) vhosts: Vec<(String, FileServer)>,
    pub(crate) tls: bool,
    pub(crate) security_headers: bool,
    pub(crate) dotfiles: Dotfiles,
    pub(crate) maintenance: Option<(Page, u64)>,
    pub(crate) redirects: Vec<Redirect>,
    pub(crate) rewrites: Vec<Rewrite>,
    pub(crate) headers: Vec<HeaderRule>,
    pub(crate) try_files: Option<Vec<String>>,
    pub(crate) auth: Option<BasicAuth>,
    pub(crate) cors: Option<Cors>,
    pub(crate) error_pages: HashMap<u16, Page>,
}

fn request_host(head: &RequestHead) -> Option<String> {
    let h = head.uri.host().map(str::to_owned).or_else(|| {
        let v = head.headers.get(header::HOST)?.to_str().ok()?;
        // Strip a port (not inside an IPv6 literal).
        let host = match v.rfind(':') {
            Some(i) if !v[i..].contains(']') => &v[..i],
            _ => v,
        };
        Some(host.to_owned())
    })?;
    Some(h.trim_end_matches('.').to_ascii_lowercase())
}

/// The request with another path (the query kept).
fn with_path(head: &RequestHead, path: &str) -> Option<Request> {
    let mut head = head.clone();
    let target = match head.uri.query() {
        Some(q) => format!("{path}?{q}"),
        None => path.to_owned(),
    };
    head.uri = target.parse().ok()?;
    Some(Request::from_parts(head, Body::empty(), Default::default()))
}

/// True when a segment of the (percent-encoded) path names a dotfile.
fn has_dotfile(path: &str) -> bool {
    path.split('/').any(|seg| {
        let seg = seg.replace("%2e", ".").replace("%2E", ".");
        seg.starts_with('.') && seg != "." && seg != ".." && seg != ".well-known"
    })
}

fn decode_base64(s: &str) -> Option<Vec<u8>> {
    let val = |c: u8| match c {
        b'A'..=b'Z' => Some(c - b'A'),
        b'a'..=b'z' => Some(c - b'a' + 26),
        b'0'..=b'9' => Some(c - b'0' + 52),
        b'+' => Some(62),
        b'/' => Some(63),
        _ => None,
    };
    let s = s.trim().trim_end_matches('=');
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0);
    for c in s.bytes() {
        acc = (acc << 6) | u32::from(val(c)?);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    Some(out)
}

fn status(code: u16) -> StatusCode {
    StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}

impl App {
    fn site(&self, head: &RequestHead) -> &FileServer {
        if !self.vhosts.is_empty()
            && let Some(host) = request_host(head)
            && let Some((_, fs)) = self.vhosts.iter().find(|(h, _)| *h == host)
        {
            return fs;
        }
        &self.default
    }

    /// Answers one request.
    pub(crate) async fn handle(self: Arc<App>, req: Request) -> Response {
        let (head, _body, _ctx) = req.into_parts();
        let mut resp = self.route(&head).await;
        self.decorate(&head, &mut resp);
        resp
    }

    async fn route(&self, head: &RequestHead) -> Response {
        let path = head.uri.path();
        if let Some((page, retry)) = &self.maintenance {
            let mut r = page.respond(StatusCode::SERVICE_UNAVAILABLE);
            r.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(*retry));
            return r;
        }
        if let Some(r) = self.preflight(head) {
            return r;
        }
        for rule in &self.redirects {
            if let Some(caps) = rule.from.captures(path) {
                let mut to = substitute(&rule.to, &caps);
                if let (false, Some(q)) = (to.contains('?'), head.uri.query()) {
                    to = format!("{to}?{q}");
                }
                let mut r = Response::new(status(rule.status.map_or(301, |s| s.0)));
                match HeaderValue::from_str(&to) {
                    Ok(v) => r.headers_mut().insert(header::LOCATION, v),
                    Err(_) => return Response::error(StatusCode::INTERNAL_SERVER_ERROR),
                };
                return r;
            }
        }
        if let Some(r) = self.authorize(head).await {
            return r;
        }
        if self.dotfiles == Dotfiles::Deny && has_dotfile(path) {
            return self.error(StatusCode::FORBIDDEN);
        }
        let fs = self.site(head);
        let rewritten = self.rewrites.iter().find_map(|rule| Some(substitute(&rule.to, &rule.from.captures(path)?)));
        let target = rewritten.as_deref().unwrap_or(path);
        let resp = match &self.try_files {
            // No rewrite applied: the request as it came, borrowed.
            None if target == path => fs.serve_head(head).await,
            None => match with_path(head, target) {
                Some(req) => fs.serve(&req).await,
                None => Response::error(StatusCode::BAD_REQUEST),
            },
            Some(list) => self.try_files(fs, head, target, list).await,
        };
        match self.error_pages.get(&resp.status().as_u16()) {
            Some(page) => {
                let mut r = page.respond(resp.status());
                for name in [header::ALLOW, header::LOCATION, header::CONTENT_RANGE, header::WWW_AUTHENTICATE] {
                    if let Some(v) = resp.headers().get(&name) {
                        r.headers_mut().insert(name, v.clone());
                    }
                }
                r
            }
            _ => resp,
        }
    }

    /// nginx's `try_files`: the first candidate (`$uri` is the path) that is not a 404;
    /// `=CODE` answers with that status.
    async fn try_files(&self, fs: &FileServer, head: &RequestHead, path: &str, list: &[String]) -> Response {
        for candidate in list {
            if let Some(code) = candidate.strip_prefix('=') {
                return Response::error(code.parse().ok().map_or(StatusCode::NOT_FOUND, status));
            }
            let p = candidate.replace("$uri", path);
            let Some(req) = with_path(head, &p) else { continue };
            let r = fs.serve(&req).await;
            if r.status() != StatusCode::NOT_FOUND {
                return r;
            }
        }
        Response::error(StatusCode::NOT_FOUND)
    }

    fn error(&self, code: StatusCode) -> Response {
        match self.error_pages.get(&code.as_u16()) {
            Some(page) => page.respond(code),
            None => Response::error(code),
        }
    }

    /// 401 unless the path is outside the protected prefix or the credentials verify.
    async fn authorize(&self, head: &RequestHead) -> Option<Response> {
        let auth = self.auth.as_ref()?;
        let prefix = auth.path.trim_end_matches('/');
        let path = head.uri.path();
        let inside = path == prefix || path.starts_with(&format!("{prefix}/"));
        if !inside {
            return None;
        }
        let creds = head
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split_once(' ').filter(|(s, _)| s.eq_ignore_ascii_case("basic")).map(|(_, c)| c))
            .and_then(decode_base64)
            .and_then(|b| String::from_utf8(b).ok());
        if let Some((name, password)) = creds.as_deref().and_then(|c| c.split_once(':'))
            && let Some(user) = auth.users.iter().find(|u| u.name == name)
        {
            let (user, password) = (user.clone(), password.to_owned());
            if tokio::task::spawn_blocking(move || user.verify(&password)).await.unwrap_or(false) {
                return None;
            }
        }
        let mut r = self.error(StatusCode::UNAUTHORIZED);
        let realm = auth.realm.as_deref().unwrap_or("fileserver").replace(['"', '\\'], "");
        let challenge = format!("Basic realm=\"{realm}\", charset=\"UTF-8\"");
        r.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_str(&challenge).ok()?);
        Some(r)
    }

    fn allowed_origin<'a>(&self, head: &'a RequestHead) -> Option<(&Cors, &'a HeaderValue)> {
        let cors = self.cors.as_ref()?;
        let origin = head.headers.get(header::ORIGIN)?;
        let ok = cors.allow_origins.iter().any(|o| o == "*" || o.as_bytes() == origin.as_bytes());
        ok.then_some((cors, origin))
    }

    /// A CORS preflight (OPTIONS with Access-Control-Request-Method) gets 204 with the
    /// allowed methods and headers when its origin is allowed, a bare 204 otherwise.
    fn preflight(&self, head: &RequestHead) -> Option<Response> {
        let cors = self.cors.as_ref()?;
        if head.method != Method::OPTIONS || !head.headers.contains_key(header::ACCESS_CONTROL_REQUEST_METHOD) {
            return None;
        }
        let mut r = Response::new(StatusCode::NO_CONTENT);
        if self.allowed_origin(head).is_some() {
            let h = r.headers_mut();
            let methods = cors.allow_methods.as_ref().map_or("GET, HEAD, OPTIONS".to_owned(), |m| m.join(", "));
            if let Ok(v) = HeaderValue::from_str(&methods) {
                h.insert(header::ACCESS_CONTROL_ALLOW_METHODS, v);
            }
            let headers = match &cors.allow_headers {
                Some(list) => Some(list.join(", ")),
                None => head
                    .headers
                    .get(header::ACCESS_CONTROL_REQUEST_HEADERS)
                    .and_then(|v| v.to_str().ok().map(str::to_owned)),
            };
            if let Some(v) = headers.and_then(|s| HeaderValue::from_str(&s).ok()) {
                h.insert(header::ACCESS_CONTROL_ALLOW_HEADERS, v);
            }
            let age = cors.max_age.map_or(600, |d| d.0.as_secs());
            h.insert(header::ACCESS_CONTROL_MAX_AGE, HeaderValue::from(age));
        }
        Some(r)
    }

    /// Adds the CORS, per-path and security headers.
    fn decorate(&self, head: &RequestHead, resp: &mut Response) {
        let path = head.uri.path();
        if let Some((cors, origin)) = self.allowed_origin(head) {
            let h = resp.headers_mut();
            let any = cors.allow_origins.iter().any(|o| o == "*");
            h.insert(
                header::ACCESS_CONTROL_ALLOW_ORIGIN,
                if any { HeaderValue::from_static("*") } else { origin.clone() },
            );
            if !any {
                h.append(header::VARY, HeaderValue::from_static("origin"));
            }
        }
        for rule in &self.headers {
            if rule.path.matches(path) {
                for (name, value) in &rule.set {
                    resp.headers_mut().insert(name.0.clone(), value.0.clone());
                }
            }
        }
        if self.security_headers {
            let h = resp.headers_mut();
            let mut set = |name: HeaderName, value: &'static str| {
                h.entry(name).or_insert(HeaderValue::from_static(value));
            };
            set(header::X_CONTENT_TYPE_OPTIONS, "nosniff");
            set(header::X_FRAME_OPTIONS, "DENY");
            set(header::CONTENT_SECURITY_POLICY, "frame-ancestors 'none'");
            set(header::REFERRER_POLICY, "strict-origin-when-cross-origin");
            if self.tls {
                set(header::STRICT_TRANSPORT_SECURITY, "max-age=31536000; includeSubDomains");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_and_dotfiles() {
        assert_eq!(decode_base64("YWxpY2U6cHc=").unwrap(), b"alice:pw");
        assert_eq!(decode_base64("YQ").unwrap(), b"a");
        assert_eq!(decode_base64("a!b"), None);
        let rows = [
            ("/.env", true),
            ("/a/.git/config", true),
            ("/%2eenv", true),
            ("/.well-known/x", false),
            ("/a.b/c", false),
        ];
        for (p, want) in rows {
            assert_eq!(has_dotfile(p), want, "{p}");
        }
    }
}
