//! Chunk streams: response bodies read from a [`Content`]'s source, one bounded chunk at a
//! time. Files are read with positional reads on tokio's blocking pool, one chunk ahead (or
//! inline on the polling thread, or sent with `sendfile(2)` by the engine where it can);
//! seekable readers seek to each range and read it in chunks. Every body carries its exact
//! length (Content-Length, RFC 9110 §8.6).

use std::collections::VecDeque;
use std::future::Future;
use std::io::{self, SeekFrom};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};

use bytes::{Bytes, BytesMut};
use http_core::Body;
use tokio::io::{AsyncRead, AsyncSeek, ReadBuf};
use tokio::task::JoinHandle;
use tokio_stream::Stream as AsyncStream;

use super::content::{Content, SeekRead, Source};
use super::range::ByteRange;

/// File bodies at least this long are sent with `sendfile(2)` where the connection allows
/// (cleartext HTTP/1.1; see [`body_of`]); shorter ones are read and copied, so the head and
/// the body leave in one write.
pub(crate) const SENDFILE_MIN: u64 = 16 * 1024;

/// One piece of a response body: literal bytes (multipart headers) or a range of the source.
#[derive(Debug, Clone)]
pub(super) enum Segment {
    /// Bytes sent as they are.
    Literal(Bytes),
    /// A range of the content.
    Slice(ByteRange),
}

/// What a body is read from: a source, the size of the whole, and how it is read.
pub(super) struct Reads {
    pub(super) source: Source,
    /// The size of the whole (for a file compressed as it is sent, the file's).
    pub(super) size: u64,
    /// The size of one read.
    pub(super) chunk: usize,
    /// Reads on the polling thread instead of the blocking pool.
    pub(super) inline: bool,
}

impl Reads {
    pub(super) fn of(content: Content) -> Reads {
        let Content { source, size, chunk_size, inline_reads, .. } = content;
        Reads { source, size, chunk: chunk_size, inline: inline_reads }
    }
}

/// The response body for `segments` of `content`, with its exact length.
pub(super) fn body_of(content: Content, segments: Vec<Segment>) -> Body {
    if let [Segment::Slice(r)] = segments.as_slice() {
        return body_of_range(content, *r);
    }
    let len: u64 = segments
        .iter()
        .map(|s| match s {
            Segment::Literal(b) => b.len() as u64,
            Segment::Slice(r) => r.len(),
        })
        .sum();
    streamed(Reads::of(content), to_queue(segments), len)
}

/// The response body for one range of `content`: bytes in memory are sliced, a file range
/// long enough for `sendfile` becomes a file region.
pub(super) fn body_of_range(content: Content, r: ByteRange) -> Body {
    range_body(Reads::of(content), r)
}

/// The whole of what `reads` reads, as a response body (a 200's).
pub(super) fn whole_body(reads: Reads) -> Body {
    match reads.size {
        0 => Body::empty(),
        size => range_body(reads, ByteRange { start: 0, end: size - 1 }),
    }
}

fn range_body(reads: Reads, r: ByteRange) -> Body {
    let (chunk, inline) = (reads.chunk, reads.inline);
    match reads.source {
        Source::Bytes(b) => Body::from(b.slice(r.start as usize..=r.end as usize)),
        // One range of the file, read on the polling thread anyway (`inline`): engines that
        // can may send it zero-copy, others stream the chunks, made only when read. (Multipart
        // bodies interleave part heads, and blocking-pool reads promise the runtime threads
        // never wait on the disk, which `sendfile` would.)
        Source::File(file) if inline && r.len() >= SENDFILE_MIN => {
            Body::from_file_region_with(file, r.start, r.len(), move |file, offset, len| {
                let segments = VecDeque::from([Piece::Slice { offset, left: len }]);
                let stream = FileChunks { file, segments, chunk, inline, pending: None };
                Body::from_bytes_stream(stream).with_exact_len(len)
            })
        }
        source => streamed(
            Reads { source, ..reads },
            VecDeque::from([Piece::Slice { offset: r.start, left: r.len() }]),
            r.len(),
        ),
    }
}

/// `pieces` of what `reads` reads, as a stream of `len` bytes.
fn streamed(reads: Reads, pieces: VecDeque<Piece>, len: u64) -> Body {
    let (chunk, inline) = (reads.chunk, reads.inline);
    match reads.source {
        Source::Bytes(b) => {
            let parts: Vec<Result<Bytes, io::Error>> = pieces
                .into_iter()
                .map(|p| match p {
                    Piece::Literal(l) => Ok(l),
                    Piece::Slice { offset, left } => Ok(b.slice(offset as usize..(offset + left) as usize)),
                })
                .collect();
            Body::from_bytes_stream(tokio_stream::iter(parts)).with_exact_len(len)
        }
        Source::File(file) => {
            let stream = FileChunks { file, segments: pieces, chunk, inline, pending: None };
            Body::from_bytes_stream(stream).with_exact_len(len)
        }
        Source::Encode(file, coding) => super::encoding::stream_compressed(coding, file, reads.size, chunk),
        Source::Reader(reader) => {
            let stream = ReaderChunks { reader, segments: pieces, chunk, state: ReadState::Seek, buf: BytesMut::new() };
            Body::from_bytes_stream(stream).with_exact_len(len)
        }
    }
}

/// Segments as (literal | offset + remaining length) for the streaming readers.
fn to_queue(segments: Vec<Segment>) -> VecDeque<Piece> {
    segments
        .into_iter()
        .map(|s| match s {
            Segment::Literal(b) => Piece::Literal(b),
            Segment::Slice(r) => Piece::Slice { offset: r.start, left: r.len() },
        })
        .collect()
}

#[derive(Debug)]
enum Piece {
    Literal(Bytes),
    Slice { offset: u64, left: u64 },
}

/// Streams file ranges with positional reads on the blocking pool, one chunk ahead (at most
/// two chunks per response are in memory), or, `inline`, on the polling thread, one chunk at
/// a time.
struct FileChunks {
    file: Arc<std::fs::File>,
    segments: VecDeque<Piece>,
    chunk: usize,
    inline: bool,
    pending: Option<JoinHandle<io::Result<Bytes>>>,
}

impl FileChunks {
    /// Takes the next chunk's (offset, length) from the front file range, if that is next.
    fn next_chunk(&mut self) -> Option<(u64, usize)> {
        while let Some(Piece::Slice { left: 0, .. }) = self.segments.front() {
            self.segments.pop_front();
        }
        let Some(Piece::Slice { offset, left }) = self.segments.front_mut() else { return None };
        let n = (*left).min(self.chunk as u64) as usize;
        let at = *offset;
        *offset += n as u64;
        *left -= n as u64;
        if *left == 0 {
            self.segments.pop_front();
        }
        Some((at, n))
    }

    /// Starts reading the next chunk on the blocking pool if the next piece is a file range.
    fn start_read(&mut self) {
        if self.inline {
            return;
        }
        if let Some((at, n)) = self.next_chunk() {
            let file = Arc::clone(&self.file);
            self.pending = Some(tokio::task::spawn_blocking(move || read_exact_at(&file, at, n)));
        }
    }
}

/// Reads `n` bytes at `offset` (an error if the file is shorter).
pub(super) fn read_exact_at(file: &std::fs::File, offset: u64, n: usize) -> io::Result<Bytes> {
    let mut buf = vec![0u8; n];
    let mut filled = 0;
    while filled < n {
        let got = read_at(file, &mut buf[filled..], offset + filled as u64)?;
        if got == 0 {
            return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "file shrank while being sent"));
        }
        filled += got;
    }
    Ok(Bytes::from(buf))
}

#[cfg(unix)]
pub(super) fn read_at(file: &std::fs::File, buf: &mut [u8], offset: u64) -> io::Result<usize> {
    use std::os::unix::fs::FileExt;
    loop {
        match file.read_at(buf, offset) {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            r => return r,
        }
    }
}

#[cfg(windows)]
pub(super) fn read_at(file: &std::fs::File, buf: &mut [u8], offset: u64) -> io::Result<usize> {
    use std::os::windows::fs::FileExt;
    file.seek_read(buf, offset)
}

#[cfg(not(any(unix, windows)))]
pub(super) fn read_at(mut file: &std::fs::File, buf: &mut [u8], offset: u64) -> io::Result<usize> {
    use std::io::{Read, Seek};
    file.seek(SeekFrom::Start(offset))?;
    file.read(buf)
}

impl AsyncStream for FileChunks {
    type Item = io::Result<Bytes>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        loop {
            if let Some(handle) = this.pending.as_mut() {
                let result = ready!(Pin::new(handle).poll(cx));
                this.pending = None;
                let out = result.unwrap_or_else(|e| Err(io::Error::other(e)));
                if out.is_ok() {
                    this.start_read();
                }
                return Poll::Ready(Some(out));
            }
            match this.segments.front() {
                None => return Poll::Ready(None),
                Some(Piece::Literal(_)) => {
                    let Some(Piece::Literal(b)) = this.segments.pop_front() else { unreachable!() };
                    this.start_read();
                    return Poll::Ready(Some(Ok(b)));
                }
                Some(Piece::Slice { .. }) if this.inline => {
                    let Some((at, n)) = this.next_chunk() else { continue };
                    return Poll::Ready(Some(read_exact_at(&this.file, at, n)));
                }
                Some(Piece::Slice { .. }) => {
                    this.start_read();
                    if this.pending.is_none() {
                        // It was an empty range; go on with what follows.
                        continue;
                    }
                }
            }
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ReadState {
    Seek,
    Seeking,
    Read,
}

/// Streams ranges of a seekable async reader: seek to each range, then read it in chunks.
struct ReaderChunks {
    reader: Box<dyn SeekRead>,
    segments: VecDeque<Piece>,
    chunk: usize,
    state: ReadState,
    buf: BytesMut,
}

impl AsyncStream for ReaderChunks {
    type Item = io::Result<Bytes>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        loop {
            let (offset, left) = match this.segments.front_mut() {
                None => return Poll::Ready(None),
                Some(Piece::Literal(_)) => {
                    let Some(Piece::Literal(b)) = this.segments.pop_front() else { unreachable!() };
                    return Poll::Ready(Some(Ok(b)));
                }
                Some(Piece::Slice { left: 0, .. }) => {
                    this.segments.pop_front();
                    this.state = ReadState::Seek;
                    continue;
                }
                Some(Piece::Slice { offset, left }) => (*offset, left),
            };
            match this.state {
                ReadState::Seek => {
                    if let Err(e) = Pin::new(&mut this.reader).start_seek(SeekFrom::Start(offset)) {
                        return Poll::Ready(Some(Err(e)));
                    }
                    this.state = ReadState::Seeking;
                }
                ReadState::Seeking => {
                    if let Err(e) = ready!(Pin::new(&mut this.reader).poll_complete(cx)) {
                        return Poll::Ready(Some(Err(e)));
                    }
                    this.state = ReadState::Read;
                }
                ReadState::Read => {
                    let n = (*left).min(this.chunk as u64) as usize;
                    this.buf.resize(n, 0);
                    let mut rb = ReadBuf::new(&mut this.buf[..n]);
                    if let Err(e) = ready!(Pin::new(&mut this.reader).poll_read(cx, &mut rb)) {
                        return Poll::Ready(Some(Err(e)));
                    }
                    let got = rb.filled().len();
                    if got == 0 {
                        let e = io::Error::new(io::ErrorKind::UnexpectedEof, "source ended before its size");
                        return Poll::Ready(Some(Err(e)));
                    }
                    *left -= got as u64;
                    if let Some(Piece::Slice { offset, .. }) = this.segments.front_mut() {
                        *offset += got as u64;
                    }
                    return Poll::Ready(Some(Ok(this.buf.split_to(got).freeze())));
                }
            }
        }
    }
}
