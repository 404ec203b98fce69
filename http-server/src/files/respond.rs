//! Response assembly for [`servecontent`]: the validators in the headers (RFC 9110 §8.8),
//! the preconditions (RFC 9110 §13, evaluated in §13.2.2's order), then the byte ranges
//! (RFC 9110 §14): 200, 304, 412, 206 (one range or `multipart/byteranges`) or 416.

use std::time::{SystemTime, UNIX_EPOCH};

use http_core::header::{ACCEPT_RANGES, CONTENT_RANGE, CONTENT_TYPE, ETAG, LAST_MODIFIED, RANGE};
use http_core::{Body, HeaderValue, Method, Request, RequestHead, Response, StatusCode};

use super::chunks::{Reads, body_of, body_of_range, whole_body};
use super::conditional::{Precondition, check_preconditions, if_range_holds};
use super::content::Content;
use super::etag::ETag;
use super::multipart::byteranges;
use super::range::{RangeOutcome, resolve_range};
use super::sniff::sniff;

/// HTTP.jl's `servecontent`: answers `req` with `content`, honouring preconditions and
/// byte ranges.
///
/// * 200 with Content-Type, Content-Length, Last-Modified, ETag and `Accept-Ranges: bytes`;
/// * 304 (GET/HEAD) or 412 from the preconditions (`If-Match`, `If-Unmodified-Since`,
///   `If-None-Match`, `If-Modified-Since`), in RFC 9110 §13.2.2's order; a 304 keeps ETag, Last-Modified and
///   the extra headers but no Content-Type or Content-Length, as nginx sends it;
/// * 206 for one range (with Content-Range) or several (`multipart/byteranges`), 416 with
///   `Content-Range: bytes */SIZE` when no range is satisfiable (see [`resolve_range`]);
///   `If-Range` that does not match means the full 200. Ranges apply to GET and HEAD.
///
/// HEAD gets the same status and headers as GET; the engine leaves the body out.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// use http_core::{Method, Request, testing};
/// use http_server::files::{Content, servecontent};
/// let h = |req: Request| async move { servecontent(&req, Content::bytes("hello world").name("a.txt")) };
/// let r = testing::call(&h, Request::new(Method::GET, "/").with_header("range", "bytes=0-4")).await;
/// assert_eq!(r.status, 206);
/// assert_eq!(r.header("content-range"), Some("bytes 0-4/11"));
/// assert_eq!(r.text(), "hello");
/// # }
/// ```
pub fn servecontent(req: &Request, content: Content) -> Response {
    respond(req.head(), content)
}

/// [`servecontent`] for a request head (for stream handlers, which hold a `RequestHead`).
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// use http_core::{Method, Request, Stream, testing};
/// use http_server::files::{Content, servecontent_head};
/// async fn h(s: &mut Stream) {
///     let resp = servecontent_head(s.startread(), Content::bytes("hello world").name("a.txt"));
///     let _ = s.write_response(resp).await;
/// }
/// let r = testing::call_stream(&h, Request::new(Method::GET, "/").with_header("range", "bytes=6-")).await;
/// assert_eq!((r.status.as_u16(), r.text().as_str()), (206, "world"));
/// # }
/// ```
pub fn servecontent_head(head: &RequestHead, content: Content) -> Response {
    respond(head, content)
}

/// The ETag and Last-Modified header values for these validators.
pub(super) fn validator_headers(
    etag: Option<&ETag>,
    last_modified: Option<SystemTime>,
) -> (Option<HeaderValue>, Option<HeaderValue>) {
    let lm = last_modified
        .map(|lm| HeaderValue::from_str(&httpdate::fmt_http_date(lm.max(UNIX_EPOCH))).expect("dates are ASCII"));
    (etag.map(ETag::to_header), lm)
}

fn respond(head: &RequestHead, mut content: Content) -> Response {
    let mut headers = std::mem::take(&mut content.headers);
    let (etag, last_modified) = match content.validator_headers.take() {
        Some(made) => made,
        None => validator_headers(content.etag.as_ref(), content.last_modified),
    };
    if let Some(v) = etag {
        headers.insert(ETAG, v);
    }
    if let Some(v) = last_modified {
        headers.insert(LAST_MODIFIED, v);
    }
    match check_preconditions(&head.method, &head.headers, content.etag.as_ref(), content.last_modified) {
        Precondition::Proceed => {}
        Precondition::NotModified => return Response::from_parts(StatusCode::NOT_MODIFIED, headers, Body::empty()),
        Precondition::Failed => return Response::error(StatusCode::PRECONDITION_FAILED),
    }
    let content_type = content.content_type.take().unwrap_or_else(|| sniff(&content.source));
    if !content.encoded {
        headers.insert(ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    }
    let ranged = !content.encoded && (head.method == Method::GET || head.method == Method::HEAD);
    let outcome = match if ranged { head.headers.get(RANGE) } else { None } {
        Some(value) if if_range_holds(&head.headers, content.etag.as_ref(), content.last_modified) => {
            value.to_str().map_or(RangeOutcome::Full, |v| resolve_range(v, content.size))
        }
        _ => RangeOutcome::Full,
    };
    let size = content.size;
    match outcome {
        RangeOutcome::Full => {
            headers.insert(CONTENT_TYPE, content_type);
            Response::from_parts(StatusCode::OK, headers, whole_body(Reads::of(content)))
        }
        RangeOutcome::Unsatisfiable => {
            let mut r = Response::error(StatusCode::RANGE_NOT_SATISFIABLE);
            let value = HeaderValue::from_str(&format!("bytes */{size}")).expect("ASCII");
            r.headers_mut().insert(CONTENT_RANGE, value);
            r
        }
        RangeOutcome::Partial(ranges) if ranges.len() == 1 => {
            let range = ranges[0];
            headers.insert(CONTENT_TYPE, content_type);
            headers.insert(CONTENT_RANGE, HeaderValue::from_str(&range.content_range(size)).expect("ASCII"));
            Response::from_parts(StatusCode::PARTIAL_CONTENT, headers, body_of_range(content, range))
        }
        RangeOutcome::Partial(ranges) => {
            let (media_type, segments) = byteranges(&ranges, size, &content_type);
            headers.insert(CONTENT_TYPE, media_type);
            Response::from_parts(StatusCode::PARTIAL_CONTENT, headers, body_of(content, segments))
        }
    }
}
