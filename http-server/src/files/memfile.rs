//! Bytes made in memory (a compressed body) copied once into an unnamed temporary file, so
//! that the HTTP/1.1 engine can send them with `sendfile(2)` like any file region: the
//! kernel then hands the file's pages to the socket instead of copying the bytes from user
//! space on every response (what nginx's `gzip_static` gets from its `.gz` siblings).
//!
//! Linux only: the file is made with `O_TMPFILE` in the temporary directory (no name, gone
//! when its last descriptor closes; on tmpfs it stays in memory, elsewhere in the page
//! cache). Where that is not possible the caller keeps serving the bytes from memory.

use std::fs::File;
use std::io;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// At most this many unnamed files are kept at once in the process (each is a descriptor:
/// with the lookup cache's 256 this stays well below the usual limit of 1024). Past it,
/// bodies stay in memory.
pub(crate) const MAX_UNNAMED: usize = 128;

/// Unnamed files kept now (their [`Unnamed`] handles alive).
static LIVE: AtomicUsize = AtomicUsize::new(0);

/// An unnamed file holding a copy of some bytes, counted against [`MAX_UNNAMED`] until
/// dropped (responses still sending from it keep their own `Arc` of the file).
#[derive(Debug)]
pub(crate) struct Unnamed {
    pub(crate) file: Arc<File>,
    pub(crate) len: u64,
}

impl Drop for Unnamed {
    fn drop(&mut self) {
        LIVE.fetch_sub(1, Ordering::Relaxed);
    }
}

/// A new unnamed file in [`std::env::temp_dir`] holding `bytes`, open for reading.
///
/// `Unsupported` on other systems, `OutOfMemory` when [`MAX_UNNAMED`] are kept already,
/// and whatever the file system says when it cannot make unnamed files.
pub(crate) fn unnamed_copy(bytes: &[u8]) -> io::Result<Unnamed> {
    if LIVE.fetch_add(1, Ordering::Relaxed) >= MAX_UNNAMED {
        LIVE.fetch_sub(1, Ordering::Relaxed);
        return Err(io::ErrorKind::OutOfMemory.into());
    }
    match make(bytes) {
        Ok(file) => Ok(Unnamed { file: Arc::new(file), len: bytes.len() as u64 }),
        Err(e) => {
            LIVE.fetch_sub(1, Ordering::Relaxed);
            Err(e)
        }
    }
}

#[cfg(any(target_os = "linux", target_os = "android"))]
fn make(bytes: &[u8]) -> io::Result<File> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .mode(0o600)
        .custom_flags(libc::O_TMPFILE)
        .open(std::env::temp_dir())?;
    file.write_all(bytes)?;
    Ok(file)
}

#[cfg(not(any(target_os = "linux", target_os = "android")))]
fn make(bytes: &[u8]) -> io::Result<File> {
    let _ = bytes;
    Err(io::ErrorKind::Unsupported.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(target_os = "linux")]
    #[test]
    fn holds_the_bytes_under_no_name_and_at_most_so_many() {
        use std::os::unix::fs::FileExt;
        let bytes: Vec<u8> = (0..70_000u32).map(|i| (i % 251) as u8).collect();
        let u = unnamed_copy(&bytes).unwrap();
        assert_eq!((u.len, u.file.metadata().unwrap().len()), (bytes.len() as u64, bytes.len() as u64));
        let mut back = vec![0u8; bytes.len()];
        u.file.read_exact_at(&mut back, 0).unwrap();
        assert_eq!(back, bytes);
        let fd = std::os::fd::AsRawFd::as_raw_fd(&*u.file);
        let link = std::fs::read_link(format!("/proc/self/fd/{fd}")).unwrap();
        assert!(!link.exists(), "{link:?} is a name in the file system");
        // The cap (other tests in this process may hold a few: fill up to it from here).
        let mut held = Vec::new();
        let full = loop {
            match unnamed_copy(b"x") {
                Ok(more) => held.push(more),
                Err(e) => break e,
            }
            assert!(held.len() < MAX_UNNAMED, "no cap");
        };
        assert_eq!(full.kind(), io::ErrorKind::OutOfMemory);
        held.clear();
        assert!(unnamed_copy(b"x").is_ok(), "dropped ones make room");
    }
}
