//! Content codings (RFC 9110 §8.4.1): choosing one from `Accept-Encoding` and its q-values
//! (RFC 9110 §12.5.3, §12.4.2), telling compressible media types apart, and compressing:
//! whole small bodies in memory (then cached), large files streamed from the blocking pool.
//!
//! `deflate` is the zlib format (RFC 1950) as §8.4.1.2 defines it; `gzip` is RFC 1952;
//! `br` is RFC 7932; `zstd` is RFC 8878.

use std::io::{self, Read, Write};
use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use http_core::header::ACCEPT_ENCODING;
use http_core::{Body, HeaderMap, HeaderValue};
use tokio::sync::mpsc;

/// A content coding the file server can produce.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Coding {
    Br = 0,
    Zstd = 1,
    Gzip = 2,
    Deflate = 3,
}

impl Coding {
    /// Every coding, in the server's order of preference (used to break q-value ties).
    pub(crate) const ALL: [Coding; 4] = [Coding::Br, Coding::Zstd, Coding::Gzip, Coding::Deflate];

    /// The token in Accept-Encoding and Content-Encoding.
    pub(crate) fn token(self) -> &'static str {
        match self {
            Coding::Br => "br",
            Coding::Zstd => "zstd",
            Coding::Gzip => "gzip",
            Coding::Deflate => "deflate",
        }
    }

    /// The suffix added to the entity tag of a representation in this coding, so each
    /// coding has its own validator (RFC 9110 §8.8.3).
    pub(crate) fn etag_suffix(self) -> &'static str {
        match self {
            Coding::Br => "-br",
            Coding::Zstd => "-zst",
            Coding::Gzip => "-gz",
            Coding::Deflate => "-zz",
        }
    }

    /// The file-name extension of a precompressed sibling in this coding, if one is looked for.
    pub(crate) fn sibling_ext(self) -> Option<&'static str> {
        match self {
            Coding::Br => Some(".br"),
            Coding::Zstd => Some(".zst"),
            Coding::Gzip => Some(".gz"),
            Coding::Deflate => None,
        }
    }

    pub(crate) fn header(self) -> HeaderValue {
        HeaderValue::from_static(self.token())
    }
}

/// The tokens whose q-values matter: the four codings (in [`Coding::ALL`]'s order), then
/// `identity` and `*`.
const TOKENS: [&str; 6] = ["br", "zstd", "gzip", "deflate", "identity", "*"];
const IDENTITY: usize = 4;
const ANY: usize = 5;

/// The slot of a coding token (`x-gzip` is gzip, RFC 9110 §8.4.1.3), `None` for others.
fn slot_of(token: &[u8]) -> Option<usize> {
    if token.eq_ignore_ascii_case(b"x-gzip") {
        return Some(Coding::Gzip as usize);
    }
    TOKENS.iter().position(|t| t.as_bytes().eq_ignore_ascii_case(token))
}

/// The weight in an entry's parameters (`q=0.5`; RFC 9110 §12.4.2): 1 without one, 0 for
/// a weight that is not a number from 0 to 1.
fn q_param(params: &[u8]) -> f32 {
    let Some(q) = params.split(|&b| b == b';').find_map(|p| {
        let p = p.trim_ascii();
        p.strip_prefix(b"q=").or_else(|| p.strip_prefix(b"Q="))
    }) else {
        return 1.0;
    };
    std::str::from_utf8(q.trim_ascii())
        .ok()
        .and_then(|q| q.parse::<f32>().ok())
        .filter(|q| (0.0..=1.0).contains(q))
        .unwrap_or(0.0)
}

/// The longest Accept-Encoding line [`AcceptEncoding::from_line`] remembers.
const REMEMBERED_MAX: usize = 64;

/// The last Accept-Encoding line parsed on a thread, and what it said.
struct LastLine {
    /// `usize::MAX` before the first line.
    len: usize,
    bytes: [u8; REMEMBERED_MAX],
    parsed: AcceptEncoding,
}

thread_local! {
    static LAST_LINE: std::cell::RefCell<LastLine> = const {
        std::cell::RefCell::new(LastLine { len: usize::MAX, bytes: [0; REMEMBERED_MAX], parsed: AcceptEncoding { q: [None; 6] } })
    };
}

/// A parsed Accept-Encoding field: the q-value of each coding the server knows, of
/// `identity` and of `*`, as first listed (other codings are ignored). No allocation.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct AcceptEncoding {
    q: [Option<f32>; 6],
}

impl AcceptEncoding {
    /// Reads every Accept-Encoding line. No field (or an empty one) takes no coding but
    /// identity, as servers do in practice (RFC 9110 §12.5.3 lets a server pick any).
    /// Works on the value's bytes: a field of visible ASCII (others are skipped), whose
    /// only whitespace is SP and HTAB (RFC 9110 §5.6.3 OWS).
    pub(crate) fn from_headers(headers: &HeaderMap) -> AcceptEncoding {
        let mut a = AcceptEncoding::default();
        for v in headers.get_all(ACCEPT_ENCODING) {
            a.add_line(v);
        }
        a
    }

    /// One Accept-Encoding line as [`from_headers`](Self::from_headers) reads it, with
    /// the last line read on this thread remembered (lines of up to
    /// [`REMEMBERED_MAX`] bytes): clients send the same few lines over and over, and a
    /// repeat costs one comparison instead of a parse.
    pub(crate) fn from_line(value: &HeaderValue) -> AcceptEncoding {
        let bytes = value.as_bytes();
        if bytes.len() > REMEMBERED_MAX {
            let mut a = AcceptEncoding::default();
            a.add_line(value);
            return a;
        }
        LAST_LINE.with(|last| {
            let mut last = last.borrow_mut();
            if last.len == bytes.len() && last.bytes[..bytes.len()] == *bytes {
                return last.parsed;
            }
            let mut a = AcceptEncoding::default();
            a.add_line(value);
            last.bytes[..bytes.len()].copy_from_slice(bytes);
            last.len = bytes.len();
            last.parsed = a;
            a
        })
    }

    /// Adds the entries of one field line (the first entry for a coding counts).
    fn add_line(&mut self, value: &HeaderValue) {
        let Ok(v) = value.to_str() else { return };
        for item in v.as_bytes().split(|&b| b == b',') {
            let (coding, params) = match item.iter().position(|&b| b == b';') {
                Some(i) => (&item[..i], Some(&item[i + 1..])),
                None => (item, None),
            };
            let Some(slot) = slot_of(coding.trim_ascii()) else { continue };
            if self.q[slot].is_some() {
                continue; // the first entry for a coding counts
            }
            self.q[slot] = Some(params.map_or(1.0, q_param));
        }
    }

    /// The q-value of `coding`: its own entry, else `*`'s, else 0.
    pub(crate) fn q(&self, coding: Coding) -> f32 {
        self.q[coding as usize].or(self.q[ANY]).unwrap_or(0.0)
    }

    /// The coding to use among `available` (best q-value, ties in `available`'s order), or
    /// `None` for identity. A coding listed with a q-value below identity's explicit one
    /// loses to identity.
    pub(crate) fn choose(&self, available: impl IntoIterator<Item = Coding>) -> Option<Coding> {
        let mut best: Option<(Coding, f32)> = None;
        for c in available {
            let q = self.q(c);
            if q > 0.0 && best.is_none_or(|(_, b)| q > b) {
                best = Some((c, q));
            }
        }
        let identity = self.q[IDENTITY].or(self.q[ANY]);
        match (best, identity) {
            (Some((_, q)), Some(iq)) if iq > q => None,
            (b, _) => b.map(|(c, _)| c),
        }
    }
}

/// True for media types worth compressing: text, JSON, JavaScript, XML, SVG, WebAssembly,
/// web manifests and uncompressed font and icon formats. Images, video, archives and
/// already compressed fonts (woff, woff2) are not.
pub(crate) fn compressible(content_type: &HeaderValue) -> bool {
    let Ok(t) = content_type.to_str() else { return false };
    let essence = t.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    essence.starts_with("text/")
        || essence.ends_with("+json")
        || essence.ends_with("+xml")
        || matches!(
            essence.as_str(),
            "application/json"
                | "application/javascript"
                | "application/x-javascript"
                | "application/xml"
                | "application/wasm"
                | "application/x-ndjson"
                | "application/vnd.ms-fontobject"
                | "font/ttf"
                | "font/otf"
                | "application/x-font-ttf"
                | "image/x-icon"
                | "image/vnd.microsoft.icon"
                | "image/bmp"
        )
}

/// Compresses a whole body in memory (for small files; the result is cached, so the
/// levels favour size: brotli 6, zstd 6, gzip and zlib 6).
pub(crate) fn compress(coding: Coding, data: &[u8]) -> io::Result<Bytes> {
    let out = Vec::with_capacity(data.len() / 3 + 64);
    let out = match coding {
        Coding::Gzip => {
            let mut e = flate2::write::GzEncoder::new(out, flate2::Compression::new(6));
            e.write_all(data)?;
            e.finish()?
        }
        Coding::Deflate => {
            let mut e = flate2::write::ZlibEncoder::new(out, flate2::Compression::new(6));
            e.write_all(data)?;
            e.finish()?
        }
        Coding::Br => {
            let mut e = brotli::CompressorWriter::new(out, 16 * 1024, 6, 22);
            e.write_all(data)?;
            e.flush()?;
            e.into_inner()
        }
        Coding::Zstd => zstd::bulk::compress(data, 6)?,
    };
    Ok(Bytes::from(out))
}

/// Bytes written by an encoder, sent to the response body in pieces of about 32 KiB.
struct ToBody {
    tx: mpsc::Sender<io::Result<Bytes>>,
    buf: BytesMut,
}

const PIECE: usize = 32 * 1024;

impl ToBody {
    fn send(&mut self) -> io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let piece = self.buf.split().freeze();
        self.tx.blocking_send(Ok(piece)).map_err(|_| io::Error::new(io::ErrorKind::BrokenPipe, "client gone"))
    }
}

impl Write for ToBody {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.buf.extend_from_slice(data);
        if self.buf.len() >= PIECE {
            self.send()?;
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.send()
    }
}

/// Streams `file` compressed with `coding`: a task on the blocking pool reads it `chunk`
/// bytes at a time and feeds the encoder (lighter levels than [`compress`], since this
/// runs on every request: brotli 4, zstd 3, gzip and zlib 6); at most two pieces wait in
/// memory. The body has no known length (chunked on HTTP/1.1).
pub(crate) fn stream_compressed(coding: Coding, file: Arc<std::fs::File>, len: u64, chunk: usize) -> Body {
    let (tx, rx) = mpsc::channel(2);
    let err_tx = tx.clone();
    tokio::task::spawn_blocking(move || {
        let sink = ToBody { tx, buf: BytesMut::with_capacity(PIECE) };
        let result = encode_file(coding, &file, len, chunk, sink);
        if let Err(e) = result
            && e.kind() != io::ErrorKind::BrokenPipe
        {
            let _ = err_tx.blocking_send(Err(e));
        }
    });
    Body::from_bytes_stream(tokio_stream::wrappers::ReceiverStream::new(rx))
}

/// Reads a file from its start with positional reads, so one descriptor can feed several
/// responses at once (the file position is never used).
struct ReadAt<'a> {
    file: &'a std::fs::File,
    pos: u64,
    left: u64,
}

impl Read for ReadAt<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let want = buf.len().min(usize::try_from(self.left).unwrap_or(usize::MAX));
        if want == 0 {
            return Ok(0);
        }
        let n = super::chunks::read_at(self.file, &mut buf[..want], self.pos)?;
        self.pos += n as u64;
        self.left -= n as u64;
        Ok(n)
    }
}

fn encode_file(coding: Coding, file: &std::fs::File, len: u64, chunk: usize, sink: ToBody) -> io::Result<()> {
    let mut reader = ReadAt { file, pos: 0, left: len };
    let mut buf = vec![0u8; chunk.clamp(4096, 256 * 1024)];
    fn pump(reader: &mut impl Read, buf: &mut [u8], w: &mut impl Write) -> io::Result<()> {
        loop {
            match reader.read(buf) {
                Ok(0) => return Ok(()),
                Ok(n) => w.write_all(&buf[..n])?,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }
    let mut sink = match coding {
        Coding::Gzip => {
            let mut e = flate2::write::GzEncoder::new(sink, flate2::Compression::new(6));
            pump(&mut reader, &mut buf, &mut e)?;
            e.finish()?
        }
        Coding::Deflate => {
            let mut e = flate2::write::ZlibEncoder::new(sink, flate2::Compression::new(6));
            pump(&mut reader, &mut buf, &mut e)?;
            e.finish()?
        }
        Coding::Br => {
            let mut e = brotli::CompressorWriter::new(sink, 16 * 1024, 4, 22);
            pump(&mut reader, &mut buf, &mut e)?;
            e.flush()?;
            e.into_inner()
        }
        Coding::Zstd => {
            let mut e = zstd::stream::write::Encoder::new(sink, 3)?;
            pump(&mut reader, &mut buf, &mut e)?;
            e.finish()?
        }
    };
    sink.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ae(value: &str) -> AcceptEncoding {
        let mut h = HeaderMap::new();
        if !value.is_empty() {
            h.insert(ACCEPT_ENCODING, value.parse().unwrap());
        }
        AcceptEncoding::from_headers(&h)
    }

    #[test]
    fn choice_table() {
        use Coding::*;
        let rows: [(&str, Option<Coding>); 24] = [
            ("", None),
            ("gzip", Some(Gzip)),
            ("x-gzip", Some(Gzip)),
            ("deflate", Some(Deflate)),
            ("gzip, deflate, br, zstd", Some(Br)),
            ("gzip, deflate, zstd", Some(Zstd)),
            ("br;q=0.5, gzip", Some(Gzip)),
            ("br;q=0, gzip;q=0", None),
            ("*", Some(Br)),
            ("*, br;q=0", Some(Zstd)),
            ("*;q=0", None),
            ("identity", None),
            ("gzip;q=0.5, identity", None),
            ("gzip;q=0.5, identity;q=0.1", Some(Gzip)),
            ("GZIP;Q=1", Some(Gzip)),
            ("gzip;q=abc, deflate", Some(Deflate)),
            ("unknown, gzip;q=0, GZIP", None),
            ("x-gzip;q=0, br;q=0.1", Some(Br)),
            (" \tgzip ; level=9 ; Q= 0.7 , br;q=0.6", Some(Gzip)),
            ("br;level=1, gzip;q=0.9", Some(Br)),
            ("br;q=1.5, gzip;q=0.1", Some(Gzip)),
            (",,  ,gzip,", Some(Gzip)),
            ("gz, bro, x-gzipx;q=1", None),
            ("zstd;q=0.25;q=1, deflate;q=0.2", Some(Zstd)),
        ];
        for (value, want) in rows {
            assert_eq!(ae(value).choose(Coding::ALL), want, "{value:?}");
        }
        assert_eq!(ae("br, gzip").choose([Gzip]), Some(Gzip), "only the available ones");
    }

    #[test]
    fn remembered_lines_read_as_fresh_ones() {
        let long = format!("{}, gzip;q=0.5", "x".repeat(REMEMBERED_MAX));
        let lines = [
            "br, gzip",
            "br, gzip",
            "gzip",
            "br, gzip",
            "",
            "br;q=0.5, gzip",
            long.as_str(),
            long.as_str(),
            "GZIP;Q=1",
            "gzip;q=abc, deflate",
            "gzip;q=abc, deflate",
        ];
        for value in lines {
            let line = HeaderValue::from_str(value).unwrap();
            assert_eq!(AcceptEncoding::from_line(&line), ae(value), "{value:?}");
        }
        // Each thread keeps its own last line.
        std::thread::spawn(|| {
            assert_eq!(AcceptEncoding::from_line(&HeaderValue::from_static("zstd")), ae("zstd"));
        })
        .join()
        .unwrap();
        assert_eq!(
            AcceptEncoding::from_line(&HeaderValue::from_static("gzip;q=abc, deflate")),
            ae("gzip;q=abc, deflate")
        );
    }

    #[test]
    fn compressible_table() {
        let rows = [
            ("text/html; charset=utf-8", true),
            ("text/javascript; charset=utf-8", true),
            ("application/json", true),
            ("application/manifest+json; charset=utf-8", true),
            ("image/svg+xml; charset=utf-8", true),
            ("application/wasm", true),
            ("image/png", false),
            ("font/woff2", false),
            ("application/zip", false),
            ("application/octet-stream", false),
        ];
        for (t, want) in rows {
            assert_eq!(compressible(&HeaderValue::from_static(t)), want, "{t}");
        }
    }

    #[test]
    fn in_memory_round_trips() {
        let data = b"hello hello hello hello hello hello".repeat(40);
        for c in Coding::ALL {
            let z = compress(c, &data).unwrap();
            assert!(z.len() < data.len(), "{c:?}");
            let mut out = Vec::new();
            match c {
                Coding::Gzip => flate2::read::GzDecoder::new(&z[..]).read_to_end(&mut out).unwrap(),
                Coding::Deflate => flate2::read::ZlibDecoder::new(&z[..]).read_to_end(&mut out).unwrap(),
                Coding::Br => brotli::Decompressor::new(&z[..], 4096).read_to_end(&mut out).unwrap(),
                Coding::Zstd => zstd::stream::read::Decoder::new(&z[..]).unwrap().read_to_end(&mut out).unwrap(),
            };
            assert_eq!(out, data, "{c:?}");
        }
    }
}
