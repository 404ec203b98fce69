//! The HTTP/1.1 server role (RFC 9112): what a request head may be and what a response
//! head says.
//!
//! Request heads (§2–§3, §5): `httparse` tokenizes the request line and header fields;
//! everything after that is ours: the request-target's length (414) and form (in
//! [`line`](super::line)), Host (§3.2),
//! Content-Length and Transfer-Encoding (§6.1–§6.3: the rules that prevent request
//! smuggling), Expect, and the connection options. Header values are sliced from the read
//! buffer without copying. The pieces that do not depend on the request role (collecting
//! fields into a `HeaderMap`, the list and number syntax) take no server state, so a
//! response-head parser for a client can sit beside them.
//!
//! Response heads (§4, §6): the body framing a response gets ([`response_framing`]) and the
//! status line and header section ([`encode_head`]), appended to the connection's reusable
//! output buffer; nothing allocates once that buffer has grown to its working size.

use std::mem::MaybeUninit;

use bytes::{Buf, BufMut, BytesMut};
use http::header::{self, HeaderName};
use http::{HeaderMap, Method, StatusCode, Version};
pub(crate) use http_core::engine::h1::BodyLength;
use http_core::engine::h1::fields::{FramingFields, TransferCoding, collect_fields, comma_list};
pub(crate) use http_core::engine::h1::fields::{bad, memchr};
use http_core::engine::h1::{RepeatedFields, put_decimal};
use http_core::{Error, RequestHead};

use super::line::{LineParts, RepeatedLine, parse_target};

/// Limits applied while decoding.
#[derive(Debug, Clone, Copy)]
pub(crate) struct HeadLimits {
    pub(crate) max_header_bytes: usize,
    pub(crate) max_uri_bytes: usize,
    pub(crate) max_headers: usize,
}

/// What a decoded head says about its exchange: how the body is framed, whether the
/// connection may persist, `100-continue`, trailers. Small and `Copy`: the head itself
/// stays in the parser ([`HeadParser::decoded`]) until the exchange takes it, instead of
/// being moved through each layer between the parser and the exchange.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct HeadTerms {
    pub(crate) body: BodyLength,
    /// The client allows the connection to persist after this request.
    pub(crate) keep_alive: bool,
    /// `Expect: 100-continue` was sent.
    pub(crate) expect_continue: bool,
    /// `TE: trailers` was sent: the client accepts trailer fields.
    pub(crate) accepts_trailers: bool,
}

/// A decoded and validated request head with its terms (tests, fuzzing, benchmarks).
#[cfg(any(test, feature = "bench-api", feature = "fuzz-api"))]
#[cfg_attr(not(test), allow(dead_code, reason = "the benchmark and fuzzing APIs each read only part of it"))]
#[derive(Debug)]
pub(crate) struct ParsedHead {
    pub(crate) head: RequestHead,
    pub(crate) terms: HeadTerms,
}

const MAX_HEADERS_ARRAY: usize = 128;
/// Field slots for a head starting with the connection's repeated line; a head with more
/// fields is tokenized the full way.
const REPEATED_LINE_FIELDS: usize = 16;

/// Decodes request heads for one connection, reusing its scratch space: the list of field
/// positions and a recycled [`HeaderMap`] (the previous response's, as hyper does), so a
/// keep-alive request costs no allocation here once the connection is warm. Fields the
/// previous request had, byte for byte, are taken from it ([`RepeatedFields`]), and so is
/// a request line it keeps sending ([`RepeatedLine`]).
#[derive(Debug, Default)]
pub(crate) struct HeadParser {
    /// The last head decoded, until the exchange takes it ([`decoded`](Self::decoded)).
    /// Boxed, made at the first head and freed with the rest of the scratch when the
    /// connection falls idle: an idle connection holds 8 bytes for it, not 216. Whether
    /// it exists also says whether a head was parsed since the connection started or was
    /// released.
    head: Option<Box<RequestHead>>,
    fields: Vec<(HeaderName, usize, usize)>,
    spare: Option<HeaderMap>,
    /// From the connection's second head on (boxed: an idle connection holds 8 bytes).
    repeated: Option<Box<Repeated>>,
}

/// What a connection's heads repeat from the previous one: fields and the request line.
#[derive(Debug)]
struct Repeated {
    fields: RepeatedFields,
    line: RepeatedLine,
}

impl HeadParser {
    /// Keeps `map` (cleared) to hold the next request's fields.
    pub(crate) fn recycle(&mut self, mut map: HeaderMap) {
        if self.spare.is_none() && map.capacity() <= 4 * MAX_HEADERS_ARRAY {
            map.clear();
            self.spare = Some(map);
        }
    }

    /// Gives back the field scratch and the spare header map (an idle connection's
    /// share of memory); the next head allocates them again.
    pub(crate) fn release(&mut self) {
        self.head = None;
        self.fields = Vec::new();
        self.spare = None;
        self.repeated = None;
    }

    /// The head [`parse`](Self::parse) decoded last (an empty one if there is none, or the
    /// exchange took it).
    pub(crate) fn decoded(&mut self) -> &mut RequestHead {
        self.head.get_or_insert_with(Box::default)
    }

    /// Tries to decode a head from the start of `buf` into [`decoded`](Self::decoded).
    /// `Ok(None)` means more bytes are needed; on success the head's bytes are removed
    /// from `buf`.
    pub(crate) fn parse(&mut self, buf: &mut BytesMut, limits: &HeadLimits) -> Result<Option<HeadTerms>, Error> {
        // RFC 9112 §2.2: a server SHOULD ignore at least one empty line before the request-line.
        while buf.starts_with(b"\r\n") {
            buf.advance(2);
        }
        while buf.starts_with(b"\n") {
            buf.advance(1);
        }
        let max = limits.max_headers.min(MAX_HEADERS_ARRAY);
        // The line the connection keeps repeating: only the fields are tokenized. Anything
        // but a complete or partial head goes the full way below, which gives the verdict.
        if let Some((line_len, parts)) = self.repeated.as_deref().and_then(|r| r.line.starting(buf)) {
            let mut slots = [httparse::EMPTY_HEADER; REPEATED_LINE_FIELDS];
            let slots = &mut slots[..max.min(REPEATED_LINE_FIELDS)];
            match httparse::parse_headers(&buf[line_len..], slots) {
                Ok(httparse::Status::Complete((n, fields))) => {
                    check_head_len(line_len + n, limits)?;
                    // Cloned only for a complete head: a partial one waits without them.
                    let parts = parts.clone();
                    let base = buf.as_ptr() as usize;
                    self.record_fields(base, fields)?;
                    return self.finish(buf, line_len + n, Line::Kept(parts)).map(Some);
                }
                // More slots would not have made it complete.
                Ok(httparse::Status::Partial) => {
                    check_partial(buf, limits)?;
                    return Ok(None);
                }
                Err(_) => {}
            }
        }
        let mut slots = [const { MaybeUninit::<httparse::Header<'_>>::uninit() }; MAX_HEADERS_ARRAY];
        let mut req = httparse::Request::new(&mut []);
        let base = buf.as_ptr() as usize;
        let len = match req.parse_with_uninit_headers(buf, &mut slots[..max]) {
            Ok(httparse::Status::Complete(len)) => len,
            Ok(httparse::Status::Partial) => {
                check_partial(buf, limits)?;
                return Ok(None);
            }
            // RFC 9112 §2.3: a higher minor version of HTTP/1 is served as HTTP/1.1.
            Err(httparse::Error::Version) if let Some((b'1', minor)) = request_line_version(buf) => {
                buf[minor] = b'1';
                return self.parse(buf, limits);
            }
            Err(e) => return Err(map_httparse_error(e, buf, limits)),
        };
        // The target's own limit first: a long target is a 414 whether or not it also makes
        // the head longer than max_header_bytes (and whatever the read segmentation was).
        let path = req.path.unwrap_or("");
        if path.len() > limits.max_uri_bytes {
            return Err(Error::parse(StatusCode::URI_TOO_LONG, "request target over max_uri_bytes"));
        }
        check_head_len(len, limits)?;
        let version = if req.version == Some(0) { Version::HTTP_10 } else { Version::HTTP_11 };
        let method = Method::from_bytes(req.method.unwrap_or("").as_bytes()).map_err(|_| bad("invalid method"))?;
        // Record where each piece sits so values can be sliced from the frozen head (no copy).
        let start = path.as_ptr() as usize - base;
        let target = start..start + path.len();
        // The line ends at the first LF (no part of it may hold one).
        let line_len = memchr(b'\n', &buf[target.end..]).map_or(0, |i| target.end + i + 1);
        self.record_fields(base, req.headers)?;
        self.finish(buf, len, Line::Parsed { method, version, line_len, target }).map(Some)
    }

    /// Resolves the names of a head's fields and records where their values sit (offsets
    /// from `base`, the head's first byte).
    fn record_fields(&mut self, base: usize, fields: &[httparse::Header<'_>]) -> Result<(), Error> {
        self.fields.clear();
        // A connection's first head is parsed as it is; later ones against the previous.
        let mut repeated = if self.head.is_some() {
            Some(&mut **self.repeated.get_or_insert_with(|| {
                Box::new(Repeated { fields: RepeatedFields::after_first_head(), line: RepeatedLine::default() })
            }))
        } else {
            self.head = Some(Box::default());
            None
        };
        for (i, h) in fields.iter().enumerate() {
            let name = match repeated.as_deref_mut() {
                Some(seen) => seen.fields.name(i, h.name.as_bytes()),
                None => HeaderName::from_bytes(h.name.as_bytes()),
            };
            let name = name.map_err(|_| bad("invalid header name"))?;
            self.fields.push((name, h.value.as_ptr() as usize - base, h.value.len()));
        }
        Ok(())
    }

    /// Takes the head's `len` bytes from `buf` and decodes its line and recorded fields
    /// into [`decoded`](Self::decoded).
    fn finish(&mut self, buf: &mut BytesMut, len: usize, line: Line) -> Result<HeadTerms, Error> {
        let head_bytes = buf.split_to(len).freeze();
        // `None` for the connection's first head.
        let mut repeated = self.repeated.as_deref_mut();
        let parts = match (line, repeated.as_deref_mut()) {
            (Line::Kept(parts), _) => parts,
            (Line::Parsed { method, version, line_len, target }, Some(seen)) => {
                let uri = seen.line.target(&method, version, &head_bytes, line_len, target)?;
                LineParts { method, uri, version }
            }
            (Line::Parsed { method, version, target, .. }, None) => {
                LineParts { uri: parse_target(&method, head_bytes.slice(target))?, method, version }
            }
        };
        let mut summary = FieldSummary::default();
        let map = self.spare.take().unwrap_or_default();
        let headers =
            collect_fields(&mut self.fields, &head_bytes, map, repeated.map(|r| &mut r.fields), |n, v, r| {
                summary.observe(n, v, r)
            })?;
        let terms = summary.finish(parts.version)?;
        // Field by field: the slot holds an emptied head, and a whole new `RequestHead`
        // would be built aside and copied in.
        let head = self.decoded();
        head.method = parts.method;
        head.uri = parts.uri;
        head.version = parts.version;
        http_core::engine::replace_fields(&mut head.headers, headers);
        Ok(terms)
    }
}

/// A head's request line, as [`HeadParser::finish`] gets it.
enum Line {
    /// The connection's kept line, already decoded.
    Kept(LineParts),
    /// A line just tokenized: its first `line_len` bytes, the target at `target`.
    Parsed { method: Method, version: Version, line_len: usize, target: std::ops::Range<usize> },
}

/// Decodes one head with fresh scratch space (tests, fuzzing).
#[cfg(any(test, feature = "bench-api", feature = "fuzz-api"))]
pub(crate) fn parse_head(buf: &mut BytesMut, limits: &HeadLimits) -> Result<Option<ParsedHead>, Error> {
    let mut parser = HeadParser::default();
    Ok(parser.parse(buf, limits)?.map(|terms| ParsedHead { head: std::mem::take(parser.decoded()), terms }))
}

/// A complete head longer than `max_header_bytes` is a 431.
fn check_head_len(len: usize, limits: &HeadLimits) -> Result<(), Error> {
    if len > limits.max_header_bytes {
        return Err(Error::parse(StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE, "request head over max_header_bytes"));
    }
    Ok(())
}

/// A partial head: decide 414 / 431 before waiting for more bytes.
fn check_partial(buf: &[u8], limits: &HeadLimits) -> Result<(), Error> {
    let target_too_long = match memchr(b'\n', buf) {
        None => buf.len() > limits.max_uri_bytes + 64,
        Some(nl) => target_len(&buf[..nl]) > limits.max_uri_bytes,
    };
    if target_too_long {
        Err(Error::parse(StatusCode::URI_TOO_LONG, "request line over max_uri_bytes"))
    } else if buf.len() > limits.max_header_bytes {
        Err(Error::parse(StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE, "request head over max_header_bytes"))
    } else {
        Ok(())
    }
}

/// The length of the request-target in a complete request line (between its first and
/// last space), 0 when the line has no such shape.
fn target_len(line: &[u8]) -> usize {
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    match (memchr(b' ', line), line.iter().rposition(|&b| b == b' ')) {
        (Some(first), Some(last)) if last > first => last - first - 1,
        _ => 0,
    }
}

fn map_httparse_error(e: httparse::Error, buf: &[u8], limits: &HeadLimits) -> Error {
    match e {
        httparse::Error::TooManyHeaders => {
            Error::parse(StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE, "too many header fields")
        }
        // A well-formed version with another major: 505; anything else is malformed.
        httparse::Error::Version if request_line_version(buf).is_some_and(|(major, _)| major != b'1') => {
            Error::parse(StatusCode::HTTP_VERSION_NOT_SUPPORTED, "unsupported HTTP version")
        }
        httparse::Error::Token | httparse::Error::Version => {
            // A long target with a bad tail: report the length problem first.
            let line = &buf[..memchr(b'\n', buf).unwrap_or(buf.len())];
            if line.len() > limits.max_uri_bytes + 64 {
                Error::parse(StatusCode::URI_TOO_LONG, "request line over max_uri_bytes")
            } else {
                bad("malformed request line")
            }
        }
        httparse::Error::HeaderName => bad("invalid header name (whitespace before colon, obs-fold or bad token)"),
        httparse::Error::HeaderValue => bad("invalid header value"),
        httparse::Error::NewLine => bad("invalid line ending (bare CR)"),
        httparse::Error::Status => bad("malformed request line"),
    }
}

/// The version of a request line of the right shape (RFC 9112 §3: `method SP
/// request-target SP HTTP-version`, a target without spaces, `HTTP/DIGIT.DIGIT`): its
/// major digit and the index of its minor digit in `buf`. `None` for any other line (a
/// space in the target, a version like `HTTP/2` or `HTTP/1.x`).
fn request_line_version(buf: &[u8]) -> Option<(u8, usize)> {
    let line = &buf[..memchr(b'\n', buf).unwrap_or(buf.len())];
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let mut parts = line.split(|&b| b == b' ');
    let (method, target, version) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || method.is_empty() || target.is_empty() {
        return None;
    }
    match version {
        [b'H', b'T', b'T', b'P', b'/', major, b'.', minor] if major.is_ascii_digit() && minor.is_ascii_digit() => {
            Some((*major, line.len() - 1))
        }
        _ => None,
    }
}

/// What the framing and connection-management fields say, gathered in the same pass that
/// builds the header map (no hashed lookups afterwards). Errors are recorded, not raised,
/// so [`finish`](Self::finish) reports them in RFC order whatever order the fields came in.
#[derive(Debug, Default)]
struct FieldSummary {
    hosts: u8,
    host_ok: bool,
    framing: FramingFields,
    conn_close: bool,
    conn_keep_alive: bool,
    expect_continue: Option<bool>,
    accepts_trailers: bool,
}

impl FieldSummary {
    /// Notes one field; `repeated`: its value is the previous head's on this connection,
    /// which passed these checks there (a head that fails them ends its connection).
    fn observe(&mut self, name: &HeaderName, value: &[u8], repeated: bool) {
        if self.framing.observe(name, value) {
            return;
        }
        if name == header::HOST {
            if self.hosts == 0 {
                self.host_ok = repeated || valid_host(value);
            }
            self.hosts = self.hosts.saturating_add(1);
        } else if name == header::CONNECTION {
            for token in comma_list(value) {
                if token.eq_ignore_ascii_case(b"close") {
                    self.conn_close = true;
                } else if token.eq_ignore_ascii_case(b"keep-alive") {
                    self.conn_keep_alive = true;
                }
            }
        } else if name == header::EXPECT {
            if self.expect_continue.is_none() {
                self.expect_continue = Some(value.eq_ignore_ascii_case(b"100-continue"));
            }
        } else if name == header::TE && comma_list(value).any(|t| t.eq_ignore_ascii_case(b"trailers")) {
            self.accepts_trailers = true;
        }
    }

    /// Checks the fields seen against the rules for a head of `version`, and gives its terms.
    fn finish(self, version: Version) -> Result<HeadTerms, Error> {
        // Host (RFC 9112 §3.2): exactly one on HTTP/1.1; never more than one.
        match self.hosts {
            0 if version == Version::HTTP_11 => return Err(bad("missing Host header")),
            0 => {}
            1 if !self.host_ok => return Err(bad("malformed Host header")),
            1 => {}
            _ => return Err(bad("duplicate Host header")),
        }
        let body = self.body_length(version)?;
        let keep_alive = !self.conn_close && (version == Version::HTTP_11 || self.conn_keep_alive);
        let expect_continue = match self.expect_continue {
            None => false,
            Some(true) => version == Version::HTTP_11 && body != BodyLength::Empty,
            Some(false) => return Err(Error::parse(StatusCode::EXPECTATION_FAILED, "unsupported expectation")),
        };
        Ok(HeadTerms { body, keep_alive, expect_continue, accepts_trailers: self.accepts_trailers })
    }

    /// RFC 9112 §6.1–§6.3: how long is the body, refusing every ambiguous combination.
    fn body_length(&self, version: Version) -> Result<BodyLength, Error> {
        let f = &self.framing;
        if f.has_transfer_encoding() {
            if f.has_content_length() {
                return Err(bad("both Content-Length and Transfer-Encoding"));
            }
            if version == Version::HTTP_10 {
                return Err(bad("Transfer-Encoding in an HTTP/1.0 request"));
            }
            return match f.transfer_coding().map_err(bad)? {
                Some(TransferCoding::Chunked) => Ok(BodyLength::Chunked),
                Some(TransferCoding::ChunkedAfterUnknown) => {
                    Err(Error::parse(StatusCode::NOT_IMPLEMENTED, "unsupported transfer coding"))
                }
                _ => Err(bad("final transfer coding is not chunked")),
            };
        }
        Ok(match f.content_length().map_err(bad)? {
            None | Some(0) => BodyLength::Empty,
            Some(n) => BodyLength::Exact(n),
        })
    }
}

fn valid_host(h: &[u8]) -> bool {
    h.iter().all(|&b| HOST_BYTE[b as usize])
}

/// The bytes a Host field may hold (RFC 3986 §3.2.2 reg-name / IP-literal, and a port):
/// unreserved, sub-delims, `:`, `[`, `]` and `%` — one table lookup per byte.
static HOST_BYTE: [bool; 256] = {
    let mut t = [false; 256];
    let mut b = 0;
    while b < 256 {
        t[b] = (b as u8).is_ascii_alphanumeric();
        b += 1;
    }
    let extra = b".-_~!$&'()*+,;=:[]%";
    let mut i = 0;
    while i < extra.len() {
        t[extra[i] as usize] = true;
        i += 1;
    }
    t
};

/// How a response body is framed on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Framing {
    /// No body may follow (1xx, 204, 304) — no framing headers either.
    NoBody,
    /// `Content-Length: n`.
    Length(u64),
    /// `Transfer-Encoding: chunked`.
    Chunked,
    /// Unknown length to an HTTP/1.0 client: the body ends when the connection closes.
    CloseDelimited,
}

/// The framing a response gets (RFC 9112 §6.1–§6.3): none for 1xx, 204 and 304; its
/// Content-Length when the length is known, unless it declares trailers to a client that
/// takes them (those need chunked); otherwise chunked, or close-delimited for an HTTP/1.0
/// client.
pub(crate) fn response_framing(
    status: StatusCode,
    length: Option<u64>,
    declares_trailers: bool,
    accepts_trailers: bool,
    http10: bool,
) -> Framing {
    if status.is_informational() || status == StatusCode::NO_CONTENT || status == StatusCode::NOT_MODIFIED {
        return Framing::NoBody;
    }
    match length {
        Some(n) if !(declares_trailers && accepts_trailers && !http10) => Framing::Length(n),
        _ if http10 => Framing::CloseDelimited,
        _ => Framing::Chunked,
    }
}

/// Names the encoder writes itself, so a handler's own copies are skipped.
fn is_framing_header(name: &HeaderName) -> bool {
    name == header::CONTENT_LENGTH || name == header::TRANSFER_ENCODING || name == header::CONNECTION
}

/// Appends the status line and header section.
pub(crate) fn encode_head(
    out: &mut BytesMut,
    status: StatusCode,
    headers: &HeaderMap,
    framing: Framing,
    keep_alive: bool,
    http10_client: bool,
) {
    out.reserve(128 + headers.len() * 32);
    // The usual status line as one constant (copied inline), the others in pieces.
    if status == StatusCode::OK {
        out.put_slice(b"HTTP/1.1 200 OK\r\n");
    } else {
        out.put_slice(b"HTTP/1.1 ");
        out.put_slice(status.as_str().as_bytes());
        out.put_u8(b' ');
        out.put_slice(status.canonical_reason().unwrap_or("Unknown").as_bytes());
        out.put_slice(b"\r\n");
    }
    // A 101 keeps the handler's `Connection: upgrade` and says nothing of persistence:
    // the connection is handed over (RFC 9110 §7.8).
    let switching = status == StatusCode::SWITCHING_PROTOCOLS;
    let mut has_date = false;
    for (name, value) in headers {
        if is_framing_header(name) && !(switching && name == header::CONNECTION) {
            continue;
        }
        if name == header::DATE {
            has_date = true;
        }
        out.put_slice(name.as_str().as_bytes());
        out.put_slice(b": ");
        out.put_slice(value.as_bytes());
        out.put_slice(b"\r\n");
    }
    if !has_date {
        out.put_slice(b"date: ");
        crate::date::append_date(out);
        out.put_slice(b"\r\n");
    }
    match framing {
        Framing::Length(n) => {
            out.put_slice(b"content-length: ");
            put_decimal(out, n);
            out.put_slice(b"\r\n");
        }
        Framing::Chunked => out.put_slice(b"transfer-encoding: chunked\r\n"),
        Framing::NoBody | Framing::CloseDelimited => {}
    }
    if !switching {
        if !keep_alive {
            out.put_slice(b"connection: close\r\n");
        } else if http10_client {
            out.put_slice(b"connection: keep-alive\r\n");
        }
    }
    out.put_slice(b"\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: HeadLimits = HeadLimits { max_header_bytes: 8192, max_uri_bytes: 1024, max_headers: 32 };

    fn parse(raw: &str) -> Result<Option<ParsedHead>, Error> {
        parse_head(&mut BytesMut::from(raw.as_bytes()), &LIMITS)
    }

    /// The status a head gets from a fresh parser.
    fn status_of(raw: &str) -> u16 {
        status_with(&mut HeadParser::default(), raw)
    }

    /// The status a head gets from `parser` (200: decoded; 0: incomplete).
    fn status_with(parser: &mut HeadParser, raw: &str) -> u16 {
        match parser.parse(&mut BytesMut::from(raw.as_bytes()), &LIMITS) {
            Ok(Some(_)) => 200,
            Ok(None) => 0,
            Err(e) => e.status().as_u16(),
        }
    }

    /// The head `parser` decoded last is the one a fresh parser decodes from `raw`.
    fn assert_decoded_as_fresh(parser: &mut HeadParser, raw: &str, context: &str) {
        let fresh = parse(raw).unwrap().unwrap().head;
        let got = parser.decoded();
        assert_eq!((&got.method, &got.uri, &got.headers), (&fresh.method, &fresh.uri, &fresh.headers), "{context}");
    }

    #[test]
    fn head_verdicts() {
        for (raw, want) in verdict_cases() {
            assert_eq!(status_of(&raw), want, "{raw:?}");
        }
    }

    /// A warm connection takes a repeated target and repeated field values from the previous
    /// head without checking them again: every verdict must still be a fresh parser's.
    #[test]
    fn head_verdicts_on_a_warm_connection() {
        const WARM: &str = "GET / HTTP/1.1\r\nHost: a\r\n\r\n";
        for (raw, want) in verdict_cases() {
            let mut parser = HeadParser::default();
            for _ in 0..3 {
                assert_eq!(status_with(&mut parser, WARM), 200);
            }
            assert_eq!(status_with(&mut parser, &raw), want, "{raw:?} after {WARM:?}");
            if want == 200 {
                for i in 0..3 {
                    assert_eq!(status_with(&mut parser, &raw), 200, "{raw:?} again ({i})");
                    assert_decoded_as_fresh(&mut parser, &raw, &format!("{raw:?} again ({i})"));
                }
            }
        }
    }

    /// Heads drawn from a pool of request lines and field sets (valid and not), one after
    /// another on one connection's parser, each against a fresh parser: the same verdict,
    /// and for an accepted head the same method, target and fields. A refused head ends
    /// its connection, so the warm parser starts over after one, as the server's would.
    #[test]
    fn a_connection_of_mixed_heads_decodes_each_as_a_fresh_parser_would() {
        let lines = [
            "GET / HTTP/1.1",
            "GET /a HTTP/1.1",
            "GET /a?x=1 HTTP/1.1",
            "GET /a?x=2 HTTP/1.1",
            "HEAD /a HTTP/1.1",
            "GET http://h/a HTTP/1.1",
            "OPTIONS * HTTP/1.1",
            "GET * HTTP/1.1",
            "CONNECT h:443 HTTP/1.1",
            "GET h:443 HTTP/1.1",
            "GET /a HTTP/1.0",
        ];
        let fields = [
            "Host: a",
            "Host: 127.0.0.1:8080",
            "Host: a b",
            "Host: a\r\nHost: a",
            "",
            "Host: a\r\nX-A: 1",
            "X-A: 1\r\nHost: a",
            "Host: a\r\nContent-Length: 5, 05",
            "Host: a\r\nConnection: close",
            "Host: a\r\nBad Name: 1",
            "Host: a\r\nX-A : 1",
        ];
        // More fields than a repeated line's fast path has slots for; a head over
        // max_header_bytes (431).
        let many = (0..REPEATED_LINE_FIELDS + 4).map(|i| format!("X-{i}: {i}")).collect::<Vec<_>>().join("\r\n");
        let many = format!("Host: a\r\n{many}");
        let big = format!("Host: a\r\nX-Big: {}", "v".repeat(LIMITS.max_header_bytes));
        let fields: Vec<&str> = fields.into_iter().chain([many.as_str(), big.as_str()]).collect();
        let mut warm = HeadParser::default();
        let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
        let (mut accepted, mut refused, mut partial) = (0, 0, 0);
        for i in 0..3000 {
            // xorshift: a fixed sequence, so a failure names the same head every run
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            // runs of the same head are what a warm connection takes from the previous one
            let pick = (state >> 8) as usize;
            let (line, field) = if pick.is_multiple_of(3) {
                (lines[0], fields[0])
            } else {
                (lines[pick % lines.len()], fields[(pick / 16) % fields.len()])
            };
            let field = if field.is_empty() { String::new() } else { format!("{field}\r\n") };
            let mut raw = format!("{line}\r\n{field}\r\n");
            if (state >> 40).is_multiple_of(16) {
                // the head's last bytes not read yet
                raw.truncate(raw.len() - 1 - (state >> 50) as usize % 3);
            }
            let want = status_of(&raw);
            assert_eq!(status_with(&mut warm, &raw), want, "head {i}: {raw:?}");
            if want == 0 {
                partial += 1;
            } else if want == 200 {
                accepted += 1;
                assert_decoded_as_fresh(&mut warm, &raw, &format!("head {i}: {raw:?}"));
            } else {
                refused += 1;
                warm = HeadParser::default();
            }
        }
        assert!(
            accepted > 1000 && refused > 300 && partial > 100,
            "every kind drawn: {accepted} accepted, {refused} refused, {partial} partial"
        );
    }

    /// Heads one byte off from heads a warm parser keeps (a byte changed, dropped or
    /// doubled anywhere: in the repeated line, at its line end, in the fields), each on a
    /// parser that kept the original's line and fields, against a fresh parser: the same
    /// verdict, and for an accepted head the same method, target and fields.
    #[test]
    fn heads_a_byte_off_a_kept_one_decode_as_a_fresh_parser_would() {
        let originals = [
            "GET /plaintext HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n\r\n",
            "GET /a?x=1 HTTP/1.0\r\nHost: a\r\nConnection: keep-alive\r\n\r\n",
            "POST /up HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nX-A: 1\r\n\r\n",
            "HEAD / HTTP/1.1\nHost: a\n\n",
        ];
        let replacements = [b' ', b'\r', b'\n', b':', b'/', b'?', b'0', b'1', b'A', b'a', b'\t', 0x7f, 0x80, b'*'];
        let mut state: u64 = 0x2545_f491_4f6c_dd1d;
        let mut checked = 0;
        for original in originals {
            for i in 0..2000 {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                let mut raw = original.as_bytes().to_vec();
                let at = (state >> 16) as usize % raw.len();
                match (state >> 8) % 3 {
                    0 => raw[at] = replacements[(state >> 40) as usize % replacements.len()],
                    1 => drop(raw.remove(at)),
                    _ => raw.insert(at, raw[at]),
                }
                let Ok(raw) = String::from_utf8(raw) else { continue };
                let mut warm = HeadParser::default();
                for _ in 0..3 {
                    assert_eq!(status_with(&mut warm, original), 200, "{original:?}");
                }
                let want = status_of(&raw);
                assert_eq!(status_with(&mut warm, &raw), want, "mutation {i} of {original:?}: {raw:?}");
                if want == 200 {
                    assert_decoded_as_fresh(&mut warm, &raw, &format!("mutation {i}: {raw:?}"));
                }
                checked += 1;
            }
        }
        assert!(checked > 7000, "{checked} heads checked");
    }

    fn verdict_cases() -> Vec<(String, u16)> {
        let long_target = format!("GET /{} HTTP/1.1\r\nHost: a\r\n\r\n", "a".repeat(2000));
        let longer_than_head = format!("GET /{} HTTP/1.1\r\nHost: a\r\n\r\n", "a".repeat(9000));
        let fields = |n: usize| (0..n).map(|i| format!("X{i}: a\r\n")).collect::<String>();
        // More fields than a repeated line's fast path has slots for, and than LIMITS allows.
        let more_than_fast = format!("GET / HTTP/1.1\r\nHost: a\r\n{}\r\n", fields(REPEATED_LINE_FIELDS + 4));
        let too_many = format!("GET / HTTP/1.1\r\nHost: a\r\n{}\r\n", fields(LIMITS.max_headers + 1));
        let big_field = format!("GET / HTTP/1.1\r\nHost: a\r\nX: {}\r\n\r\n", "b".repeat(9000));
        let big_partial = format!("GET / HTTP/1.1\r\nHost: a\r\nX: {}", "b".repeat(9000));
        let cases: &[(&str, u16)] = &[
            ("GET / HTTP/1.1\r\nHost: a\r\n\r\n", 200),
            ("GET /x HTTP/1.1\r\nHost: a\r\nX-A: 1\r\n\r\n", 200),
            ("GET / HTTP/1.0\r\n\r\n", 200),
            ("\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n", 200),
            ("GET / HTTP/1.1\r\n\r\n", 400),
            ("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400),
            ("GET / HTTP/1.1\r\nHost: a b\r\n\r\n", 400),
            ("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n", 400),
            ("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n", 400),
            ("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\n", 200),
            ("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3, 3\r\n\r\n", 200),
            ("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3, 4\r\n\r\n", 400),
            // Found by the h11 differential check: equal numbers, different text.
            ("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 05\r\nContent-Length: 5\r\n\r\n", 400),
            ("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5, 05\r\n\r\n", 400),
            ("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 05\r\n\r\n", 200),
            ("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n", 400),
            ("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: +1\r\n\r\n", 400),
            ("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999999999999999\r\n\r\n", 400),
            ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n", 400),
            ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, gzip\r\n\r\n", 400),
            ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 501),
            ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, chunked\r\n\r\n", 400),
            ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n", 400),
            ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: CHUNKED\r\n\r\n", 200),
            ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked,\r\n\r\n", 400),
            ("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", 400),
            ("GET / HTTP/1.1\r\nHost: a\r\nX: a\r\n b\r\n\r\n", 400),
            ("GET / HTTP/1.1\r\nHost: a\r\nX : a\r\n\r\n", 400),
            ("GET / HTTP/1.1\r\nHost: a\r\nX(: a\r\n\r\n", 400),
            ("GET / HTTP/1.1\r\nHost: a\r\nX: a\rb\r\n\r\n", 400),
            ("GET / HTTP/1.1\rHost: a\r\n\r\n", 400),
            ("GET / HTTP/2.0\r\nHost: a\r\n\r\n", 505),
            ("GET / HTTP/3.1\r\nHost: a\r\n\r\n", 505),
            ("GET / HTTP/1.2\r\nHost: a\r\n\r\n", 200),
            ("GET /a b HTTP/1.1\r\nHost: a\r\n\r\n", 400),
            ("GET /a HTTP/2.0 HTTP/1.1\r\nHost: a\r\n\r\n", 400),
            ("GET / HTTP/2\r\nHost: a\r\n\r\n", 400),
            ("GET / HTTP/1.x\r\nHost: a\r\n\r\n", 400),
            ("GET  / HTTP/2.0\r\nHost: a\r\n\r\n", 400),
            ("GET / HTTX/1.1\r\nHost: a\r\n\r\n", 400),
            ("GET foo HTTP/1.1\r\nHost: a\r\n\r\n", 400),
            ("GET * HTTP/1.1\r\nHost: a\r\n\r\n", 400),
            ("OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n", 200),
            ("GET http://a/b HTTP/1.1\r\nHost: a\r\n\r\n", 200),
            ("POST / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 1\r\n\r\n", 200),
            ("POST / HTTP/1.1\r\nHost: a\r\nExpect: something\r\n\r\n", 417),
            (&long_target, 414),
            // Longer than max_header_bytes too: still the target's 414, not 431.
            (&longer_than_head, 414),
            ("GET / HTTP/1.1\r\nHost: a\r\n", 0),
            (&more_than_fast, 200),
            (&too_many, 431),
            (&big_field, 431),
            (&big_partial, 431),
        ];
        cases.iter().map(|(raw, want)| (raw.to_string(), *want)).collect()
    }

    #[test]
    fn oversized_partial_heads() {
        let mut buf = BytesMut::from(format!("GET /{}", "a".repeat(2000)).as_bytes());
        assert_eq!(parse_head(&mut buf, &LIMITS).unwrap_err().status(), 414);
        let mut buf = BytesMut::from(format!("GET / HTTP/1.1\r\nX: {}", "a".repeat(9000)).as_bytes());
        assert_eq!(parse_head(&mut buf, &LIMITS).unwrap_err().status(), 431);
        // A complete but over-long request line with the head still partial: 414 as well.
        let mut buf = BytesMut::from(format!("GET /{} HTTP/1.1\r\nX: a", "a".repeat(9000)).as_bytes());
        assert_eq!(parse_head(&mut buf, &LIMITS).unwrap_err().status(), 414);
        let mut buf =
            BytesMut::from(format!("GET /{} HTTP/1.1\r\nX: {}", "a".repeat(500), "b".repeat(9000)).as_bytes());
        assert_eq!(parse_head(&mut buf, &LIMITS).unwrap_err().status(), 431);
        let many: String = (0..40).map(|i| format!("X{i}: a\r\n")).collect();
        assert_eq!(status_of(&format!("GET / HTTP/1.1\r\nHost: a\r\n{many}\r\n")), 431);
    }

    #[test]
    fn framing_and_options() {
        let p = parse(
            "POST /x?y HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nConnection: close\r\nTE: trailers\r\n\r\nhello",
        )
        .unwrap()
        .unwrap();
        assert_eq!(p.terms.body, BodyLength::Exact(5));
        assert!(!p.terms.keep_alive);
        assert!(p.terms.accepts_trailers);
        assert_eq!(p.head.uri.query(), Some("y"));
        let p = parse("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n").unwrap().unwrap();
        assert!(p.terms.keep_alive);
        let p = parse("GET / HTTP/1.0\r\n\r\n").unwrap().unwrap();
        assert!(!p.terms.keep_alive);
    }
    fn head(framing: Framing, keep_alive: bool, h10: bool) -> String {
        let mut h = HeaderMap::new();
        h.insert("x-a", "1".parse().unwrap());
        h.insert("content-length", "999".parse().unwrap());
        let mut out = BytesMut::new();
        encode_head(&mut out, StatusCode::OK, &h, framing, keep_alive, h10);
        String::from_utf8(out.to_vec()).unwrap()
    }

    #[test]
    fn heads() {
        let s = head(Framing::Length(5), true, false);
        assert!(s.starts_with("HTTP/1.1 200 OK\r\nx-a: 1\r\ndate: "), "{s}");
        assert!(s.ends_with("content-length: 5\r\n\r\n"), "{s}");
        assert!(!s.contains("999"), "handler's Content-Length is replaced: {s}");
        assert!(head(Framing::Chunked, true, false).contains("transfer-encoding: chunked\r\n"));
        assert!(head(Framing::CloseDelimited, false, true).ends_with("connection: close\r\n\r\n"));
        assert!(head(Framing::Length(0), true, true).ends_with("connection: keep-alive\r\n\r\n"));
        let nb = head(Framing::NoBody, true, false);
        assert!(!nb.contains("content-length") && !nb.contains("transfer-encoding"), "{nb}");
    }

    #[test]
    fn switching_protocols_keeps_the_handlers_connection_header() {
        let mut h = HeaderMap::new();
        h.insert("connection", "upgrade".parse().unwrap());
        h.insert("upgrade", "echo".parse().unwrap());
        let mut out = BytesMut::new();
        encode_head(&mut out, StatusCode::SWITCHING_PROTOCOLS, &h, Framing::NoBody, false, false);
        let s = String::from_utf8(out.to_vec()).unwrap();
        assert!(s.starts_with("HTTP/1.1 101 Switching Protocols\r\nconnection: upgrade\r\nupgrade: echo\r\n"), "{s}");
        assert!(!s.contains("close"), "{s}");
    }
}
