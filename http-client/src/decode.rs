//! Content codings on the way in (RFC 9110 §8.4): `gzip`, `deflate` (zlib, or the raw
//! deflate some servers send), `br` and `zstd`, decoded piece by piece as the body
//! arrives; a list of codings is undone last-applied first. An unknown coding leaves the
//! body as it came.

use std::io::Write;

use bytes::Bytes;
use http::HeaderMap;
use http::header::CONTENT_ENCODING;

use crate::error::{Error, ErrorKind, Result};

/// What `Accept-Encoding` offers when the client decodes.
pub(crate) const ACCEPT_ENCODING: &str = "gzip, deflate, br, zstd";

enum Stage {
    Gzip(flate2::write::GzDecoder<Vec<u8>>),
    /// `deflate`: zlib or raw, decided by the first two bytes (kept until both came).
    Deflate(Vec<u8>, Option<DeflateKind>),
    Brotli(Box<brotli_decompressor::DecompressorWriter<Vec<u8>>>),
    Zstd(zstd::stream::write::Decoder<'static, Vec<u8>>),
}

enum DeflateKind {
    Zlib(flate2::write::ZlibDecoder<Vec<u8>>),
    Raw(flate2::write::DeflateDecoder<Vec<u8>>),
}

/// Decodes a body's content codings.
pub(crate) struct ContentDecoder {
    /// Applied in this order by the sender; undone from the back.
    stages: Vec<Stage>,
    seen_input: bool,
}

impl ContentDecoder {
    /// A decoder for the response's Content-Encoding; `None` when there is nothing this
    /// client decodes.
    pub(crate) fn for_headers(headers: &HeaderMap) -> Option<Self> {
        let mut stages = Vec::new();
        for value in headers.get_all(CONTENT_ENCODING) {
            for coding in value.to_str().ok()?.split(',').map(str::trim).filter(|c| !c.is_empty()) {
                stages.push(match coding.to_ascii_lowercase().as_str() {
                    "gzip" | "x-gzip" => Stage::Gzip(flate2::write::GzDecoder::new(Vec::new())),
                    "deflate" => Stage::Deflate(Vec::new(), None),
                    "br" => {
                        Stage::Brotli(Box::new(brotli_decompressor::DecompressorWriter::new(Vec::new(), 16 * 1024)))
                    }
                    "zstd" => Stage::Zstd(zstd::stream::write::Decoder::new(Vec::new()).ok()?),
                    "identity" => continue,
                    _ => return None,
                });
            }
        }
        if stages.is_empty() { None } else { Some(ContentDecoder { stages, seen_input: false }) }
    }

    /// Decodes one piece; the output may be empty while a decoder waits for more.
    pub(crate) fn push(&mut self, input: &[u8]) -> Result<Bytes> {
        self.seen_input |= !input.is_empty();
        let mut data = input.to_vec();
        for stage in self.stages.iter_mut().rev() {
            data = stage.push(&data).map_err(bad)?;
        }
        Ok(data.into())
    }

    /// The body ended: flushes what the decoders hold, and checks the streams ended.
    pub(crate) fn finish(self) -> Result<Bytes> {
        if !self.seen_input {
            return Ok(Bytes::new());
        }
        let mut data = Vec::new();
        let mut first = true;
        for stage in self.stages.into_iter().rev() {
            let mut stage = stage;
            let mut out = if first { Vec::new() } else { stage.push(&data).map_err(bad)? };
            first = false;
            out.extend(stage.finish().map_err(bad)?);
            data = out;
        }
        Ok(data.into())
    }
}

fn bad(e: std::io::Error) -> Error {
    Error::new(ErrorKind::Decode, format!("content decoding: {e}"))
}

impl Stage {
    fn push(&mut self, input: &[u8]) -> std::io::Result<Vec<u8>> {
        fn run<W: Write>(
            w: &mut W,
            input: &[u8],
            out: impl FnOnce(&mut W) -> &mut Vec<u8>,
        ) -> std::io::Result<Vec<u8>> {
            w.write_all(input)?;
            w.flush()?;
            Ok(std::mem::take(out(w)))
        }
        match self {
            Stage::Gzip(d) => run(d, input, |d| d.get_mut()),
            Stage::Brotli(d) => run(d.as_mut(), input, |d| d.get_mut()),
            Stage::Zstd(d) => run(d, input, |d| d.get_mut()),
            Stage::Deflate(head, kind) => {
                let input = if kind.is_none() {
                    head.extend_from_slice(input);
                    if head.len() < 2 {
                        return Ok(Vec::new());
                    }
                    std::mem::take(head)
                } else {
                    input.to_vec()
                };
                let k = kind.get_or_insert_with(|| {
                    // A zlib header: compression method 8, and the header check (RFC 1950 §2.2).
                    let zlib = input[0] & 0x0f == 8 && (u16::from(input[0]) << 8 | u16::from(input[1])) % 31 == 0;
                    if zlib {
                        DeflateKind::Zlib(flate2::write::ZlibDecoder::new(Vec::new()))
                    } else {
                        DeflateKind::Raw(flate2::write::DeflateDecoder::new(Vec::new()))
                    }
                });
                match k {
                    DeflateKind::Zlib(d) => run(d, &input, |d| d.get_mut()),
                    DeflateKind::Raw(d) => run(d, &input, |d| d.get_mut()),
                }
            }
        }
    }

    fn finish(self) -> std::io::Result<Vec<u8>> {
        match self {
            Stage::Gzip(d) => d.finish(),
            Stage::Brotli(d) => d.into_inner().map_err(|_| std::io::Error::other("brotli stream cut short")),
            Stage::Zstd(mut d) => {
                d.flush()?;
                Ok(d.into_inner())
            }
            Stage::Deflate(head, None) if head.is_empty() => Ok(Vec::new()),
            Stage::Deflate(_, None) => Err(std::io::Error::other("deflate stream cut short")),
            Stage::Deflate(_, Some(DeflateKind::Zlib(d))) => d.finish(),
            Stage::Deflate(_, Some(DeflateKind::Raw(d))) => d.finish(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(coding: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(CONTENT_ENCODING, coding.parse().unwrap());
        h
    }

    fn decode_in_pieces(coding: &str, encoded: &[u8], piece: usize) -> Result<Vec<u8>> {
        let mut d = ContentDecoder::for_headers(&headers(coding)).expect("a decoder");
        let mut out = Vec::new();
        for c in encoded.chunks(piece) {
            out.extend_from_slice(&d.push(c)?);
        }
        out.extend_from_slice(&d.finish()?);
        Ok(out)
    }

    #[test]
    fn codings_round_trip_in_any_pieces() {
        let text: Vec<u8> = (0..20_000u32).flat_map(|i| (i % 251).to_le_bytes()).collect();
        let gzip = {
            let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
            e.write_all(&text).unwrap();
            e.finish().unwrap()
        };
        let zlib = {
            let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
            e.write_all(&text).unwrap();
            e.finish().unwrap()
        };
        let raw = {
            let mut e = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
            e.write_all(&text).unwrap();
            e.finish().unwrap()
        };
        let zstd = zstd::stream::encode_all(&text[..], 3).unwrap();
        for (coding, encoded) in [("gzip", &gzip), ("deflate", &zlib), ("deflate", &raw), ("zstd", &zstd)] {
            for piece in [1, 7, 4096, usize::MAX] {
                assert_eq!(
                    decode_in_pieces(coding, encoded, piece.min(encoded.len())).unwrap(),
                    text,
                    "{coding} {piece}"
                );
            }
        }
        // A brotli stream of "hello" (RFC 7932 §9): window 16, one uncompressed meta-block
        // (MLEN 5), then an empty last meta-block.
        let br = [0x40, 0x00, 0x10, b'h', b'e', b'l', b'l', b'o', 0x03];
        assert_eq!(decode_in_pieces("br", &br, 2).unwrap(), b"hello");
        // A list is undone last-applied first.
        let gz_of_zstd = {
            let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
            e.write_all(&zstd).unwrap();
            e.finish().unwrap()
        };
        assert_eq!(decode_in_pieces("zstd, gzip", &gz_of_zstd, 100).unwrap(), text);
    }

    #[test]
    fn broken_streams_are_errors() {
        assert_eq!(decode_in_pieces("gzip", b"not gzip at all", 4).unwrap_err().kind(), ErrorKind::Decode);
        assert!(ContentDecoder::for_headers(&headers("compress")).is_none(), "unknown: passed through");
        assert!(ContentDecoder::for_headers(&headers("identity")).is_none());
    }
}
