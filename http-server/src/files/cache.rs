//! A bounded in-memory cache of file bodies (as read, or compressed in one coding), keyed by
//! what identifies one version of a file: its path, modification time, size and inode. A
//! file that changes gets a new key, so a stale body is never served; the old entry ages
//! out. Least recently used entries go first when the byte or entry budget is exceeded.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::SystemTime;

use bytes::Bytes;

use super::encoding::Coding;

/// One version of one file, in one coding (`None`: as stored).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct CacheKey {
    path: PathBuf,
    modified: Option<SystemTime>,
    size: u64,
    inode: u64,
    coding: Option<Coding>,
}

impl CacheKey {
    pub(crate) fn new(path: &Path, meta: &std::fs::Metadata, coding: Option<Coding>) -> CacheKey {
        #[cfg(unix)]
        let inode = std::os::unix::fs::MetadataExt::ino(meta);
        #[cfg(not(unix))]
        let inode = 0;
        CacheKey { path: path.to_path_buf(), modified: meta.modified().ok(), size: meta.len(), inode, coding }
    }
}

#[derive(Debug, Default)]
struct Entries {
    map: HashMap<CacheKey, (Bytes, u64)>,
    bytes: usize,
    clock: u64,
}

/// The cache: at most `max_bytes` of bodies in at most `max_entries` entries.
pub(crate) struct ByteCache {
    entries: Mutex<Entries>,
    max_bytes: usize,
    max_entries: usize,
}

impl std::fmt::Debug for ByteCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ByteCache({} bytes, {} entries)", self.max_bytes, self.max_entries)
    }
}

impl ByteCache {
    pub(crate) fn new(max_bytes: usize, max_entries: usize) -> ByteCache {
        ByteCache { entries: Mutex::new(Entries::default()), max_bytes, max_entries: max_entries.max(1) }
    }

    pub(crate) fn get(&self, key: &CacheKey) -> Option<Bytes> {
        let mut e = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        e.clock += 1;
        let now = e.clock;
        let (bytes, used) = e.map.get_mut(key)?;
        *used = now;
        Some(bytes.clone())
    }

    /// Stores `bytes` (unless larger than the whole budget), evicting the least recently
    /// used entries as needed.
    pub(crate) fn insert(&self, key: CacheKey, bytes: Bytes) {
        if bytes.len() > self.max_bytes {
            return;
        }
        let mut e = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        e.clock += 1;
        let now = e.clock;
        let len = bytes.len();
        if let Some((old, _)) = e.map.insert(key, (bytes, now)) {
            e.bytes -= old.len();
        }
        e.bytes += len;
        while e.bytes > self.max_bytes || e.map.len() > self.max_entries {
            let Some(oldest) = e.map.iter().min_by_key(|(_, (_, used))| *used).map(|(k, _)| k.clone()) else {
                break;
            };
            if let Some((b, _)) = e.map.remove(&oldest) {
                e.bytes -= b.len();
            }
        }
    }

    /// (entries, bytes) held now.
    #[cfg(test)]
    pub(crate) fn usage(&self) -> (usize, usize) {
        let e = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        (e.map.len(), e.bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(name: &str, size: u64) -> CacheKey {
        CacheKey { path: PathBuf::from(name), modified: None, size, inode: 1, coding: None }
    }

    #[test]
    fn evicts_least_recently_used_by_bytes_and_entries() {
        let c = ByteCache::new(10, 3);
        c.insert(key("a", 4), Bytes::from_static(b"aaaa"));
        c.insert(key("b", 4), Bytes::from_static(b"bbbb"));
        assert!(c.get(&key("a", 4)).is_some());
        c.insert(key("c", 4), Bytes::from_static(b"cccc"));
        assert_eq!(c.get(&key("b", 4)), None, "b was least recently used");
        assert_eq!(c.usage(), (2, 8));
        c.insert(key("d", 1), Bytes::from_static(b"d"));
        c.insert(key("e", 1), Bytes::from_static(b"e"));
        assert_eq!(c.usage().0, 3, "at most three entries");
        c.insert(key("big", 11), Bytes::from(vec![0u8; 11]));
        assert_eq!(c.get(&key("big", 11)), None, "larger than the budget");
        assert_eq!(c.get(&key("a", 5)), None, "another size is another version");
    }
}
