//! The checks behind each fuzz target, one function per target.
//!
//! Each function takes the raw fuzzer input, runs one parser that reads untrusted bytes and
//! panics when the parser panics or breaks one of the invariants written next to it. The
//! same file is compiled into `examples/tests/fuzz_corpus.rs`, which replays the committed
//! seed corpus (`fuzz/corpus/<target>/`) under `cargo test`, so CI keeps every case.
//! Only the project's crates (and what `http_core` re-exports) are used here, for that reason.

use std::path::{Component, Path};
use std::sync::OnceLock;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use http_core::{HeaderMap, HeaderName, HeaderValue, Method, Request};
use http_server::__fuzz::{
    self, ChunkedVerdict, Framing, HeadVerdict, MAX_RANGES, Precondition, RangeSpec, RequestVerdict,
    check_preconditions, if_range_holds, parse_range_specs,
};
use http_server::files::{ETag, PathError, RangeOutcome, SafePath, resolve_range};

/// Splits the input at its first `\0` (or keeps it whole): a "control" prefix steering the
/// check, and the payload.
fn control_and_payload(data: &[u8]) -> (&[u8], &[u8]) {
    match data.iter().position(|&b| b == 0) {
        Some(i) if i <= 16 => (&data[..i], &data[i + 1..]),
        _ => (&[], data),
    }
}

fn u64_from(bytes: &[u8]) -> u64 {
    bytes.iter().take(8).fold(0u64, |n, &b| (n << 8) | u64::from(b))
}

/// HTTP/1 head parse and validate (and the body framing that follows it).
///
/// Invariants: no panic; an accepted head consumed at most the input, and no strict prefix
/// of the input is accepted (a head is only accepted once its final empty line is in);
/// parsing the same bytes twice gives the same verdict; a request framed with
/// Content-Length has exactly that many body bytes.
pub fn h1_head(data: &[u8]) {
    let verdict = __fuzz::parse_h1_head(data);
    assert_eq!(verdict, __fuzz::parse_h1_head(data), "parsing is not deterministic");
    if let HeadVerdict::Accepted { consumed, .. } = verdict {
        assert!(consumed <= data.len());
        // Any prefix that stops before the end of the head must not be accepted.
        for cut in [consumed.saturating_sub(1), consumed / 2, consumed.saturating_sub(2)] {
            if cut < consumed {
                let v = __fuzz::parse_h1_head(&data[..cut]);
                assert!(!matches!(v, HeadVerdict::Accepted { .. }), "prefix {cut} of a {consumed}-byte head accepted");
            }
        }
    }
    match __fuzz::frame_request(data) {
        RequestVerdict::Accepted { framing, body, consumed } => {
            assert!(consumed <= data.len());
            match framing {
                Framing::Empty => assert!(body.is_empty()),
                Framing::Length(n) => assert_eq!(body.len() as u64, n),
                Framing::Chunked => assert!(body.len() <= consumed),
            }
        }
        RequestVerdict::Incomplete | RequestVerdict::Rejected(_) => {}
    }
}

/// The chunked body decoder.
///
/// Invariants: no panic; the verdict is the same whether the body arrives in one piece or
/// split at arbitrary offsets (taken from the control prefix); a complete body consumed at
/// most the input and decoded to no more bytes than it consumed.
pub fn chunked(data: &[u8]) {
    let (control, body) = control_and_payload(data);
    let whole = __fuzz::decode_chunked(body, &[]);
    let mut splits: Vec<usize> = control.iter().map(|&b| usize::from(b) % (body.len() + 1)).collect();
    splits.sort_unstable();
    let split = __fuzz::decode_chunked(body, &splits);
    let bytewise: Vec<usize> = (0..body.len().min(512)).collect();
    let bytewise = __fuzz::decode_chunked(body, &bytewise);
    if let ChunkedVerdict::Complete { body: out, consumed, .. } = &whole {
        assert!(*consumed <= body.len());
        assert!(out.len() <= *consumed);
    }
    // A decoder fed less than everything may stop earlier with the same verdict, but must
    // never disagree on a body it completed or refused.
    assert_eq!(whole, split, "whole vs split at {splits:?}");
    if body.len() <= 512 {
        assert_eq!(whole, bytewise, "whole vs byte at a time");
    }
}

/// The Range header (`parse_range_specs`, `resolve_range`).
///
/// Invariants: no panic; at most `MAX_RANGES` specs; every resolved range lies inside the
/// representation (`start <= end < size`), and its `Content-Range` renders.
pub fn range(data: &[u8]) {
    let (control, value) = control_and_payload(data);
    let value = String::from_utf8_lossy(value);
    let size = if control.is_empty() { 10_000 } else { u64_from(control) };
    if let Some(specs) = parse_range_specs(&value) {
        assert!(!specs.is_empty() && specs.len() <= MAX_RANGES);
        for s in &specs {
            if let RangeSpec::FromTo(a, b) = s {
                assert!(a <= b);
            }
        }
    }
    match resolve_range(&value, size) {
        RangeOutcome::Partial(ranges) => {
            assert!(!ranges.is_empty() && ranges.len() <= MAX_RANGES);
            for r in ranges {
                assert!(r.start <= r.end && r.end < size, "{r:?} outside 0..{size}");
                assert!(r.len() >= 1 && r.len() <= size);
                let _ = r.content_range(size);
            }
        }
        RangeOutcome::Full | RangeOutcome::Unsatisfiable => {}
    }
}

/// Conditional request headers: HTTP dates and entity-tag lists.
///
/// The payload is split on `\n` into values for If-Match, If-None-Match,
/// If-Modified-Since, If-Unmodified-Since and If-Range (a name may repeat).
/// Invariants: no panic; a parsed entity tag renders as a header and parses back to itself;
/// `If-None-Match: *` with a current tag on GET is always 304; results are deterministic.
pub fn conditional(data: &[u8]) {
    let (control, payload) = control_and_payload(data);
    let names = [
        http_core::header::IF_MATCH,
        http_core::header::IF_NONE_MATCH,
        http_core::header::IF_MODIFIED_SINCE,
        http_core::header::IF_UNMODIFIED_SINCE,
        http_core::header::IF_RANGE,
    ];
    let mut headers = HeaderMap::new();
    for (i, line) in payload.split(|&b| b == b'\n').enumerate().take(16) {
        if let Ok(v) = HeaderValue::from_bytes(line) {
            let name: &HeaderName = &names[(i + usize::from(control.first().copied().unwrap_or(0))) % names.len()];
            headers.append(name.clone(), v);
        }
        if let Some(tag) = std::str::from_utf8(line).ok().and_then(ETag::parse) {
            let rendered = tag.to_header();
            let back = ETag::parse(rendered.to_str().unwrap_or("")).or_else(|| {
                // Non-ASCII tags render as obs-text, which to_str refuses: compare bytes.
                ETag::parse(&String::from_utf8_lossy(rendered.as_bytes()))
            });
            assert_eq!(back.as_ref(), Some(&tag), "entity tag does not round-trip");
        }
    }
    let lm = UNIX_EPOCH + Duration::from_secs(u64_from(control) % (1 << 40));
    let etag = ETag::from_metadata(u64_from(control), lm);
    let methods = [Method::GET, Method::HEAD, Method::PUT, Method::DELETE];
    for m in &methods {
        for (tag, date) in [(Some(&etag), Some(lm)), (None, None), (Some(&etag), None), (None, Some(lm))] {
            let a = check_preconditions(m, &headers, tag, date);
            assert_eq!(a, check_preconditions(m, &headers, tag, date));
            let _ = if_range_holds(&headers, tag, date);
        }
    }
    let _ = if_range_holds(&headers, Some(&etag), Some(SystemTime::now()));
    let mut star = HeaderMap::new();
    star.insert(http_core::header::IF_NONE_MATCH, HeaderValue::from_static("*"));
    assert_eq!(check_preconditions(&Method::GET, &star, Some(&etag), Some(lm)), Precondition::NotModified);
}

fn router_under_test() -> &'static http_router::Router {
    static ROUTER: OnceLock<http_router::Router> = OnceLock::new();
    ROUTER.get_or_init(|| {
        let h = |_r: Request| async { "" };
        http_router::Router::new()
            .route("GET /", h)
            .route("GET /plaintext", h)
            .route("GET /users/{id}", h)
            .route("GET /users/me", h)
            .route("PUT /users/{id}", h)
            .route("GET /users/{id}/posts/{post}", h)
            .route("GET /files/{name:[a-z]+\\.txt}", h)
            .route("GET /n/{num:[0-9]{1,6}}", h)
            .route("GET /static/**", h)
            .route("GET /a/*/c", h)
            .route("POST /echo", h)
            .route("/any/{x}", h)
            .route("DELETE /caf%C3%A9/{x}", h)
    })
}

/// Router matching with arbitrary paths (and methods).
///
/// Invariants: no panic; a match's pattern is registered; every captured parameter is
/// non-empty and free of `/` (a parameter is one segment) except under `**`; lookups are
/// deterministic.
pub fn router(data: &[u8]) {
    let (control, path) = control_and_payload(data);
    let path = String::from_utf8_lossy(path);
    let method = match control.first() {
        Some(b'P') => Method::POST,
        Some(b'U') => Method::PUT,
        Some(b'D') => Method::DELETE,
        Some(&b) if b.is_ascii_uppercase() => Method::from_bytes(control).unwrap_or(Method::GET),
        _ => Method::GET,
    };
    let r = router_under_test();
    let first = r.at(&method, &path);
    let second = r.at(&method, &path);
    match (&first, &second) {
        (Ok(a), Ok(b)) => {
            assert_eq!(a.pattern(), b.pattern());
            assert!(r.routes().any(|(_, p)| p == a.pattern()));
            for (name, value) in a.params() {
                if !a.pattern().contains("**") {
                    assert!(!value.is_empty(), "empty parameter {name} for {path:?}");
                }
            }
        }
        (Err(a), Err(b)) => assert_eq!(a, b),
        _ => panic!("non-deterministic lookup of {path:?}"),
    }
    let _ = http_core::percent::percent_decode(&path);
}

/// The server-sent events parser.
///
/// Invariants: no panic; the events are the same whether the stream is parsed whole
/// (`parse_all`) or fed in pieces split at offsets from the control prefix.
pub fn sse(data: &[u8]) {
    let (control, stream) = control_and_payload(data);
    let max_len = 16 + usize::from(control.first().copied().unwrap_or(255)) * 8;
    let whole = http_sse::parse_all(stream, max_len);
    let mut p = http_sse::SseParser::new(max_len);
    let mut at = 0;
    let mut cuts: Vec<usize> = control.iter().skip(1).map(|&b| usize::from(b) % (stream.len() + 1)).collect();
    cuts.sort_unstable();
    for cut in cuts.into_iter().chain(std::iter::once(stream.len())) {
        if cut > at {
            p.feed(&stream[at..cut]);
            at = cut;
        }
    }
    p.finish();
    let pieces: Result<Vec<_>, _> = std::iter::from_fn(|| p.next_event()).collect();
    match (&whole, &pieces) {
        (Ok(a), Ok(b)) => assert_eq!(a, b, "whole vs pieces"),
        (Err(_), Err(_)) => {}
        _ => panic!("whole {whole:?} vs pieces {pieces:?}"),
    }
}

/// The `Cookie` header parser.
///
/// Invariants: no panic; every cookie has a token name and a value of cookie-octets, and
/// reparsing `name="value"; ...` gives the same cookies. (Quoted: like Go's net/http, the
/// parser keeps spaces inside a quoted value, `a="  q"` is `  q`, while an unquoted value
/// is trimmed, so only the quoted rendering round-trips; found by this target.)
pub fn cookies(data: &[u8]) {
    let header = String::from_utf8_lossy(data);
    let parsed = http_router::parse_cookies(&header);
    for c in &parsed {
        assert!(!c.name.is_empty());
        assert!(!c.name.contains([';', '=', ' ', '"']));
        assert!(!c.value.contains([';', '"', '\\']));
    }
    let rendered: Vec<String> = parsed.iter().map(|c| format!("{}=\"{}\"", c.name, c.value)).collect();
    assert_eq!(http_router::parse_cookies(&rendered.join("; ")), parsed);
}

/// Path decoding and normalisation for the file root (`SafePath`).
///
/// Invariants: no panic; an accepted path has no empty, `.` or `..` segment and none with a
/// separator, NUL or control character; joined to a root it stays below the root with only
/// normal components; hidden segments are refused unless allowed.
pub fn path(data: &[u8]) {
    let raw = String::from_utf8_lossy(data);
    let root = Path::new("/srv/root");
    for allow in [false, true] {
        match SafePath::parse(&raw, allow) {
            Ok(p) => {
                for seg in p.segments() {
                    assert!(!seg.is_empty() && seg != "." && seg != "..", "bad segment {seg:?} from {raw:?}");
                    assert!(!seg.contains(['/', '\\', '\0']) && !seg.chars().any(char::is_control));
                    if !allow {
                        assert!(!seg.starts_with('.') || seg == ".well-known");
                    }
                }
                let joined = p.join_to(root);
                assert!(joined.starts_with(root), "{joined:?} escapes the root");
                let below = joined.strip_prefix(root).unwrap_or(&joined);
                assert!(below.components().all(|c| matches!(c, Component::Normal(_))), "{below:?}");
                assert_eq!(below.components().count(), p.segments().len());
            }
            Err(PathError::Hidden) => assert!(!allow, "hidden refused although allowed: {raw:?}"),
            Err(PathError::Unsafe) => {}
        }
    }
}
