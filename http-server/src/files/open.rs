//! Opening the file that answers a request, in the representation chosen for it (RFC 9110
//! §12.5.3 proactive negotiation of the content coding): a precompressed sibling
//! (`FILE.br`, `FILE.zst`, `FILE.gz`), the file compressed on the fly (from the cache of
//! compressed bodies, or streamed), or the file as stored (from the cache of small files,
//! read at once, or streamed). Every answer about a file that has other codings carries
//! `Vary: Accept-Encoding` (RFC 9110 §12.5.5).

use std::io::Read;
use std::path::{Path, PathBuf};

use bytes::Bytes;
use http_core::HeaderValue;
use http_core::header::{CONTENT_ENCODING, VARY};

use super::cache::CacheKey;
use super::content::Content;
use super::encoding::{Coding, compress, compressible};
use super::etag::ETag;
use super::file::{Ask, FoundFile, Outcome, Settings, not_found_kind};
use super::mime::content_type_for;

/// Files up to this size are compressed whole in memory (and cached); larger ones stream.
pub(crate) const COMPRESS_IN_MEMORY_MAX: u64 = 2 * 1024 * 1024;

pub(crate) fn with_ext(path: &Path, ext: &str) -> PathBuf {
    let mut os = path.as_os_str().to_owned();
    os.push(ext);
    PathBuf::from(os)
}

/// The entity tag of a file version (weak when the settings say so).
pub(crate) fn file_etag(s: &Settings, meta: &std::fs::Metadata) -> Option<ETag> {
    let tag = ETag::from_metadata(meta.len(), meta.modified().ok()?);
    Some(if s.weak_etags { tag.into_weak() } else { tag })
}

/// Reads a whole (small) file.
fn read_all(file: &std::fs::File, len: u64) -> std::io::Result<Bytes> {
    // Exactly the size fstat gave: `take` ends the read there, with no EOF probe read.
    let mut buf = Vec::with_capacity(len as usize);
    file.take(len).read_to_end(&mut buf)?;
    Ok(Bytes::from(buf))
}

/// The bytes of a small file as stored: from the cache of small files, or read (and cached).
pub(crate) fn stored_bytes(s: &Settings, path: &Path, meta: &std::fs::Metadata) -> std::io::Result<Bytes> {
    stored_bytes_with(s, path, meta, || read_all(&std::fs::File::open(path)?, meta.len()))
}

/// [`stored_bytes`], reading with `read` on a cache miss.
pub(crate) fn stored_bytes_with(
    s: &Settings,
    path: &Path,
    meta: &std::fs::Metadata,
    read: impl FnOnce() -> std::io::Result<Bytes>,
) -> std::io::Result<Bytes> {
    let key = s.file_cache.as_ref().map(|c| (c, CacheKey::new(path, meta, None)));
    if let Some((cache, key)) = &key
        && let Some(hit) = cache.get(key)
    {
        return Ok(hit);
    }
    let bytes = read()?;
    if let Some((cache, key)) = key {
        cache.insert(key, bytes.clone());
    }
    Ok(bytes)
}

/// A cacheable file's bytes in `coding`: from the cache of compressed bodies, or compressed.
fn compressed_bytes(s: &Settings, path: &Path, meta: &std::fs::Metadata, coding: Coding) -> std::io::Result<Bytes> {
    compressed_bytes_with(s, path, meta, coding, || {
        if meta.len() <= s.small_file_limit {
            stored_bytes(s, path, meta)
        } else {
            read_all(&std::fs::File::open(path)?, meta.len())
        }
    })
}

/// [`compressed_bytes`], with `plain` giving the bytes as stored on a cache miss.
pub(crate) fn compressed_bytes_with(
    s: &Settings,
    path: &Path,
    meta: &std::fs::Metadata,
    coding: Coding,
    plain: impl FnOnce() -> std::io::Result<Bytes>,
) -> std::io::Result<Bytes> {
    let key = s.compressed_cache.as_ref().map(|c| (c, CacheKey::new(path, meta, Some(coding))));
    if let Some((cache, key)) = &key
        && let Some(hit) = cache.get(key)
    {
        return Ok(hit);
    }
    let z = compress(coding, &plain()?)?;
    if let Some((cache, key)) = key {
        cache.insert(key, z.clone());
    }
    Ok(z)
}

/// The precompressed siblings of `path` that exist (regular files, not symlinks).
pub(crate) fn siblings(path: &Path) -> Vec<(Coding, PathBuf)> {
    Coding::ALL
        .into_iter()
        .filter_map(|c| {
            let sibling = with_ext(path, c.sibling_ext()?);
            std::fs::symlink_metadata(&sibling).is_ok_and(|m| m.is_file()).then_some((c, sibling))
        })
        .collect()
}

fn bytes_content(bytes: Bytes, s: &Settings, meta: &std::fs::Metadata) -> Content {
    let c = Content::bytes_unhashed(bytes).etag(file_etag(s, meta));
    match meta.modified() {
        Ok(m) => c.last_modified(m),
        Err(_) => c,
    }
}

fn file_content(file: std::fs::File, s: &Settings, meta: &std::fs::Metadata) -> Content {
    let c = Content::from_std_file(file, meta);
    let tag = file_etag(s, meta);
    c.etag(tag)
}

pub(crate) fn open_file(s: &Settings, ask: &Ask, path: &Path) -> Outcome {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let content_type = content_type_for(&name);
    let siblings = if s.precompressed { siblings(path) } else { Vec::new() };
    let mut vary = !siblings.is_empty();
    let pre = if ask.ranged { None } else { ask.accept.choose(siblings.iter().map(|(c, _)| *c)) };
    let mut content = if let Some(coding) = pre {
        let sibling = &siblings.iter().find(|(c, _)| *c == coding).expect("chosen from the list").1;
        match open_sibling(s, ask, sibling, coding) {
            Ok(c) => c.header(CONTENT_ENCODING, coding.header()).encoded(),
            Err(outcome) => return outcome,
        }
    } else {
        let meta = match std::fs::metadata(path) {
            Ok(m) if m.is_file() => m,
            Ok(_) => return Outcome::NotFound,
            Err(e) => return not_found_kind(&e),
        };
        let on_the_fly = s.compress && meta.len() >= s.compress_min_size && compressible(&content_type);
        vary |= on_the_fly;
        let coding = if on_the_fly && !ask.ranged { ask.accept.choose(Coding::ALL) } else { None };
        let made = match coding {
            Some(coding) => encoded(s, path, &meta, coding),
            None => identity(s, ask, path, &meta),
        };
        match made {
            Ok(c) => c,
            Err(e) => return not_found_kind(&e),
        }
    };
    content = content.content_type(content_type).chunk_size(s.chunk_size).inline_reads(s.inline_io);
    if vary {
        content = content.header(VARY, HeaderValue::from_static("accept-encoding"));
    }
    let is_spa = s.spa.as_deref() == Some(path);
    Outcome::File(Box::new(FoundFile { content, name, is_spa }))
}

/// A precompressed sibling, tagged from its own metadata plus the coding's suffix.
fn open_sibling(s: &Settings, ask: &Ask, sibling: &Path, coding: Coding) -> Result<Content, Outcome> {
    let (file, meta) =
        std::fs::File::open(sibling).and_then(|f| f.metadata().map(|m| (f, m))).map_err(|e| not_found_kind(&e))?;
    if !meta.is_file() {
        return Err(Outcome::NotFound);
    }
    let content = if ask.read_small && meta.len() <= s.small_file_limit {
        bytes_content(read_all(&file, meta.len()).map_err(|e| not_found_kind(&e))?, s, &meta)
    } else {
        file_content(file, s, &meta)
    };
    let tag = file_etag(s, &meta).map(|t| t.with_suffix(coding.etag_suffix()));
    Ok(content.etag(tag))
}

/// The file compressed with `coding`: whole and cached when small enough, else streamed.
fn encoded(s: &Settings, path: &Path, meta: &std::fs::Metadata, coding: Coding) -> std::io::Result<Content> {
    let tag = file_etag(s, meta).map(|t| t.with_suffix(coding.etag_suffix()));
    let c = if meta.len() <= COMPRESS_IN_MEMORY_MAX {
        Content::bytes_unhashed(compressed_bytes(s, path, meta, coding)?)
    } else {
        Content::encode_file(std::sync::Arc::new(std::fs::File::open(path)?), meta.len(), coding)
    };
    let c = c.etag(tag).header(CONTENT_ENCODING, coding.header()).encoded();
    Ok(match meta.modified() {
        Ok(m) => c.last_modified(m),
        Err(_) => c,
    })
}

/// The file as stored: from the cache of small files, read at once, or streamed.
fn identity(s: &Settings, ask: &Ask, path: &Path, meta: &std::fs::Metadata) -> std::io::Result<Content> {
    // With inline I/O, files big enough for `sendfile` are neither cached nor read here: the
    // engine may send them zero-copy (and streams them otherwise), which costs less than
    // copying them from memory into the socket.
    let sendfile = s.inline_io && meta.len() >= super::chunks::SENDFILE_MIN;
    let small = meta.len() <= s.small_file_limit;
    if small && !sendfile && s.file_cache.is_some() {
        return Ok(bytes_content(stored_bytes(s, path, meta)?, s, meta));
    }
    let file = std::fs::File::open(path)?;
    let meta = file.metadata()?;
    let sendfile = s.inline_io && meta.len() >= super::chunks::SENDFILE_MIN;
    if ask.read_small && meta.len() <= s.small_file_limit && !sendfile {
        return Ok(bytes_content(read_all(&file, meta.len())?, s, &meta));
    }
    Ok(file_content(file, s, &meta))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn with_ext_appends() {
        assert_eq!(with_ext(Path::new("/a/b.js"), ".br"), PathBuf::from("/a/b.js.br"));
    }
}
