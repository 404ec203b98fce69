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

/// A new unnamed file in [`std::env::temp_dir`] holding `bytes`, open for reading.
///
/// `Unsupported` on other systems, and whatever the file system says when it cannot make
/// unnamed files.
#[cfg(any(target_os = "linux", target_os = "android"))]
pub(crate) fn unnamed_copy(bytes: &[u8]) -> io::Result<File> {
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

/// A new unnamed file holding `bytes`: `Unsupported` on this system.
#[cfg(not(any(target_os = "linux", target_os = "android")))]
pub(crate) fn unnamed_copy(bytes: &[u8]) -> io::Result<File> {
    let _ = bytes;
    Err(io::ErrorKind::Unsupported.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(target_os = "linux")]
    #[test]
    fn holds_the_bytes_under_no_name() {
        use std::os::unix::fs::FileExt;
        let bytes: Vec<u8> = (0..70_000u32).map(|i| (i % 251) as u8).collect();
        let file = unnamed_copy(&bytes).unwrap();
        assert_eq!(file.metadata().unwrap().len(), bytes.len() as u64);
        let mut back = vec![0u8; bytes.len()];
        file.read_exact_at(&mut back, 0).unwrap();
        assert_eq!(back, bytes);
        let fd = std::os::fd::AsRawFd::as_raw_fd(&file);
        let link = std::fs::read_link(format!("/proc/self/fd/{fd}")).unwrap();
        assert!(!link.exists(), "{link:?} is a name in the file system");
    }
}
