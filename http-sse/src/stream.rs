//! [`SseStream`]: the writable side user code pushes events into, and the response body it
//! feeds.
//!
//! # Backpressure
//!
//! Encoded events wait in a queue between the producer and the connection. `max_len` bounds
//! the bytes in that queue: a send that would go past it waits until the connection has
//! taken enough bytes out, so a producer faster than its client is slowed down to the
//! client's pace and memory does not grow. (Bytes the connection took are bounded by the
//! socket's buffers.) One event larger than `max_len` can never fit and fails at once
//! ([`SseError::is_too_large`]).
//!
//! # Closing
//!
//! The body ends (after the queued events are sent) when [`SseStream::close`] is called or
//! the last handle is dropped. When the client goes away the server drops the body; from
//! then on every send, and any send waiting for room, fails with
//! [`SseError::is_closed`], and [`SseStream::closed`] resolves. Without events to write a
//! server only notices a vanished client when it next writes: a keep-alive interval makes
//! it write a `: ping` comment whenever the stream has been idle that long.

use std::collections::VecDeque;
use std::future::Future as _;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use http_core::{Body, Frame};
use tokio::sync::{Notify, Semaphore};
use tokio::time::Sleep;

use crate::error::SseError;
use crate::event::{SseEvent, encode_comment};

/// The largest `max_len` a stream accepts (larger values are lowered to it).
///
/// ```
/// let (stream, _body) = http_sse::SseStream::new(usize::MAX, None);
/// assert_eq!(stream.max_len(), http_sse::MAX_MAX_LEN);
/// ```
pub const MAX_MAX_LEN: usize = u32::MAX as usize;

/// At most this many queued bytes are joined into one body frame.
const MAX_FRAME: usize = 64 * 1024;

/// The writable side of a server-sent event stream. Cheap to clone: every clone sends into
/// the same stream, which ends when all are dropped or one calls [`close`](Self::close).
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// use http_sse::{SseEvent, SseStream};
/// let (stream, body) = SseStream::new(1024, None);
/// stream.send(&SseEvent::new("hello").with_id("1")).await.unwrap();
/// drop(stream); // the last handle: the body ends after the queued event
/// assert_eq!(body.collect(4096).await.unwrap(), "id: 1\ndata: hello\n\n");
/// # }
/// ```
#[derive(Debug)]
pub struct SseStream {
    shared: Arc<Shared>,
}

#[derive(Debug)]
struct Shared {
    max_len: usize,
    /// One permit per byte of room in the queue; closed once the body is dropped.
    room: Semaphore,
    state: Mutex<State>,
    /// Woken when the body is dropped.
    gone: Notify,
}

#[derive(Debug, Default)]
struct State {
    queue: VecDeque<Bytes>,
    handles: usize,
    /// No more events: the body ends once the queue is empty.
    closed: bool,
    /// End the body with an error instead (the producer failed).
    aborted: bool,
    /// The body was dropped: the client is gone.
    gone: bool,
    reader: Option<Waker>,
}

impl Shared {
    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn end(&self, abort: bool) {
        {
            let mut st = self.state();
            st.closed = true;
            st.aborted |= abort;
            if let Some(w) = st.reader.take() {
                w.wake();
            }
        }
        // Sends waiting for room fail now rather than when room frees up.
        self.room.close();
    }
}

impl SseStream {
    /// A stream and the response body it feeds. `max_len` bounds the bytes buffered between
    /// them (at least 1, at most [`MAX_MAX_LEN`]); `keep_alive`, when set, makes the body send
    /// a `: ping` comment after that long without events.
    ///
    /// Use [`sse_stream`](crate::sse_stream) for a whole response.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let (stream, body) = http_sse::SseStream::new(0, None);
    /// assert_eq!(stream.max_len(), 1, "clamped to at least 1");
    /// drop(stream);
    /// assert_eq!(body.collect(16).await.unwrap(), "");
    /// # }
    /// ```
    pub fn new(max_len: usize, keep_alive: Option<Duration>) -> (SseStream, Body) {
        let max_len = max_len.clamp(1, MAX_MAX_LEN);
        let shared = Arc::new(Shared {
            max_len,
            room: Semaphore::new(max_len),
            state: Mutex::new(State { handles: 1, ..State::default() }),
            gone: Notify::new(),
        });
        let body = SseBody { shared: shared.clone(), keep_alive: keep_alive.map(|every| (every, None)) };
        (SseStream { shared }, Body::from_stream(body))
    }

    /// The bound on buffered bytes.
    ///
    /// ```
    /// let (stream, _body) = http_sse::SseStream::new(2048, None);
    /// assert_eq!(stream.max_len(), 2048);
    /// ```
    pub fn max_len(&self) -> usize {
        self.shared.max_len
    }

    /// Sends one event, waiting while the buffer is full.
    ///
    /// Fails with [`is_invalid`](SseError::is_invalid) for an `id` or `event` that cannot be
    /// written, [`is_too_large`](SseError::is_too_large) for an event over `max_len`, and
    /// [`is_closed`](SseError::is_closed) once the client went away or the stream was closed.
    /// Nothing is sent when it fails, nor when the future is dropped before it completes.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// use http_sse::{SseEvent, SseStream};
    /// let (stream, _body) = SseStream::new(16, None);
    /// stream.send(&SseEvent::new("ok")).await.unwrap();
    /// assert!(stream.send(&SseEvent::new("x".repeat(32))).await.unwrap_err().is_too_large());
    /// assert!(stream.send(&SseEvent::new("x").with_id("a\nb")).await.unwrap_err().is_invalid());
    /// # }
    /// ```
    pub async fn send(&self, event: &SseEvent) -> Result<(), SseError> {
        self.send_raw(event.encode()?).await
    }

    /// Sends a comment (`: text`, one line per line of `text`), which clients ignore.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let (stream, body) = http_sse::SseStream::new(64, None);
    /// stream.comment("hello").await.unwrap();
    /// stream.close();
    /// assert_eq!(body.collect(64).await.unwrap(), ": hello\n\n");
    /// # }
    /// ```
    pub async fn comment(&self, text: &str) -> Result<(), SseError> {
        self.send_raw(encode_comment(text)).await
    }

    async fn send_raw(&self, bytes: Bytes) -> Result<(), SseError> {
        let n = bytes.len();
        if n > self.shared.max_len {
            return Err(SseError::too_large(n, self.shared.max_len));
        }
        if self.is_closed() {
            return Err(SseError::closed());
        }
        // `n <= max_len <= u32::MAX`, checked above and in `new`.
        let permit = self.shared.room.acquire_many(n as u32).await.map_err(|_| SseError::closed())?;
        let mut st = self.shared.state();
        if st.gone || st.closed {
            return Err(SseError::closed());
        }
        permit.forget(); // given back by the body as it takes the bytes
        st.queue.push_back(bytes);
        if let Some(w) = st.reader.take() {
            w.wake();
        }
        Ok(())
    }

    /// Ends the stream for every handle: queued events are still sent, then the body ends.
    /// Later sends fail.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let (stream, body) = http_sse::SseStream::new(64, None);
    /// let other = stream.clone();
    /// stream.send(&http_sse::SseEvent::new("last")).await.unwrap();
    /// stream.close();
    /// assert!(other.is_closed(), "closed for every handle");
    /// assert_eq!(body.collect(64).await.unwrap(), "data: last\n\n");
    /// # }
    /// ```
    pub fn close(&self) {
        self.shared.end(false);
    }

    /// Ends the stream with an error: the server aborts the response (closes the
    /// connection on HTTP/1.1) so the client sees it was cut short. Used when a producer
    /// panics.
    pub(crate) fn abort(&self) {
        self.shared.end(true);
    }

    /// True once the stream was closed or the client went away: sends will fail.
    ///
    /// ```
    /// let (stream, _body) = http_sse::SseStream::new(64, None);
    /// assert!(!stream.is_closed());
    /// stream.close();
    /// assert!(stream.is_closed());
    /// ```
    pub fn is_closed(&self) -> bool {
        let st = self.shared.state();
        st.closed || st.gone
    }

    /// True once the client went away (the server dropped the body).
    ///
    /// ```
    /// let (stream, body) = http_sse::SseStream::new(64, None);
    /// assert!(!stream.is_gone());
    /// drop(body);
    /// assert!(stream.is_gone() && stream.is_closed());
    /// ```
    pub fn is_gone(&self) -> bool {
        self.shared.state().gone
    }

    /// Resolves once the client went away. For producers that wait a long time between
    /// events: `select!` on this to stop early.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let (stream, body) = http_sse::SseStream::new(64, None);
    /// drop(body); // what the server does when the client disconnects
    /// stream.closed().await;
    /// assert!(stream.send(&http_sse::SseEvent::new("x")).await.unwrap_err().is_closed());
    /// # }
    /// ```
    pub async fn closed(&self) {
        loop {
            let notified = self.shared.gone.notified();
            let mut notified = std::pin::pin!(notified);
            notified.as_mut().enable();
            if self.is_gone() {
                return;
            }
            notified.await;
        }
    }

    /// Bytes queued and not yet taken by the connection.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let (stream, _body) = http_sse::SseStream::new(64, None);
    /// assert_eq!(stream.buffered(), 0);
    /// stream.send(&http_sse::SseEvent::new("hi")).await.unwrap();
    /// assert_eq!(stream.buffered(), "data: hi\n\n".len());
    /// # }
    /// ```
    pub fn buffered(&self) -> usize {
        self.shared.state().queue.iter().map(Bytes::len).sum()
    }
}

impl Clone for SseStream {
    fn clone(&self) -> Self {
        self.shared.state().handles += 1;
        SseStream { shared: self.shared.clone() }
    }
}

impl Drop for SseStream {
    fn drop(&mut self) {
        let last = {
            let mut st = self.shared.state();
            st.handles -= 1;
            st.handles == 0
        };
        if last {
            self.shared.end(false);
        }
    }
}

/// The body side: yields queued bytes, pings when idle, and marks the client gone when
/// dropped.
struct SseBody {
    shared: Arc<Shared>,
    /// The keep-alive interval and its timer (created on first poll, inside the runtime).
    keep_alive: Option<(Duration, Option<Pin<Box<Sleep>>>)>,
}

impl SseBody {
    fn reset_timer(&mut self) {
        if let Some((every, Some(timer))) = &mut self.keep_alive {
            timer.as_mut().reset(tokio::time::Instant::now() + *every);
        }
    }
}

impl tokio_stream::Stream for SseBody {
    type Item = Result<Frame, std::io::Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        let taken = {
            let mut st = this.shared.state();
            if let Some(first) = st.queue.pop_front() {
                let mut len = first.len();
                let chunk = if st.queue.front().is_some_and(|b| len + b.len() <= MAX_FRAME) {
                    let mut joined = BytesMut::from(&first[..]);
                    while let Some(next) = st.queue.front().filter(|b| len + b.len() <= MAX_FRAME) {
                        len += next.len();
                        joined.extend_from_slice(next);
                        st.queue.pop_front();
                    }
                    joined.freeze()
                } else {
                    first
                };
                Some(chunk)
            } else if st.aborted {
                return Poll::Ready(Some(Err(std::io::Error::other("SSE producer failed"))));
            } else if st.closed {
                return Poll::Ready(None);
            } else {
                st.reader = Some(cx.waker().clone());
                None
            }
        };
        if let Some(chunk) = taken {
            this.shared.room.add_permits(chunk.len());
            this.reset_timer();
            return Poll::Ready(Some(Ok(Frame::Data(chunk))));
        }
        if let Some((every, timer)) = &mut this.keep_alive {
            let every = *every;
            let timer = timer.get_or_insert_with(|| Box::pin(tokio::time::sleep(every)));
            if timer.as_mut().poll(cx).is_ready() {
                timer.as_mut().reset(tokio::time::Instant::now() + every);
                return Poll::Ready(Some(Ok(Frame::Data(Bytes::from_static(b": ping\n\n")))));
            }
        }
        Poll::Pending
    }
}

impl Drop for SseBody {
    fn drop(&mut self) {
        self.shared.state().gone = true;
        self.shared.room.close();
        self.shared.gone.notify_waiters();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    async fn next_data(body: &mut Body) -> Option<Bytes> {
        match body.next_frame().await? {
            Ok(Frame::Data(d)) => Some(d),
            other => panic!("unexpected frame {other:?}"),
        }
    }

    #[tokio::test]
    async fn events_are_encoded_in_order_and_body_ends_on_close() {
        let (s, body) = SseStream::new(1024, None);
        s.send(&SseEvent::new("a").with_id("1")).await.unwrap();
        s.send(&SseEvent::new("b\nc").with_event("x")).await.unwrap();
        let clone = s.clone();
        drop(s);
        clone.send(&SseEvent::new("d")).await.unwrap();
        clone.close();
        assert!(clone.send(&SseEvent::new("late")).await.unwrap_err().is_closed());
        let all = body.collect(1 << 20).await.unwrap();
        assert_eq!(all, "id: 1\ndata: a\n\nevent: x\ndata: b\ndata: c\n\ndata: d\n\n");
    }

    #[tokio::test]
    async fn invalid_and_oversized_events_fail_without_writing() {
        let (s, body) = SseStream::new(16, None);
        assert!(s.send(&SseEvent::new("x").with_id("1\n2")).await.unwrap_err().is_invalid());
        let big = SseEvent::new("0123456789abcdef");
        assert!(s.send(&big).await.unwrap_err().is_too_large());
        s.send(&SseEvent::new("ok")).await.unwrap();
        drop(s);
        assert_eq!(body.collect(1024).await.unwrap(), "data: ok\n\n");
    }

    #[tokio::test]
    async fn producer_waits_when_buffer_is_full_and_resumes_as_client_reads() {
        // Each event "data: 0\n\n" is 9 bytes; 20 bytes of room hold two.
        let (s, mut body) = SseStream::new(20, None);
        let sent = Arc::new(AtomicUsize::new(0));
        let (s2, sent2) = (s.clone(), sent.clone());
        let producer = tokio::spawn(async move {
            for i in 0..10 {
                s2.send(&SseEvent::new(i.to_string())).await.unwrap();
                sent2.fetch_add(1, Ordering::SeqCst);
            }
        });
        drop(s);
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert_eq!(sent.load(Ordering::SeqCst), 2, "third send waits for room");
        let first = next_data(&mut body).await.unwrap();
        assert_eq!(first, "data: 0\n\ndata: 1\n\n", "queued events are joined into one frame");
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert_eq!(sent.load(Ordering::SeqCst), 4);
        let mut rest = Vec::new();
        while let Some(d) = next_data(&mut body).await {
            rest.extend_from_slice(&d);
        }
        producer.await.unwrap();
        let want: String = (2..10).map(|i| format!("data: {i}\n\n")).collect();
        assert_eq!(String::from_utf8(rest).unwrap(), want);
    }

    #[tokio::test]
    async fn memory_stays_bounded_with_a_stalled_client() {
        let (s, body) = SseStream::new(1000, None);
        let ev = SseEvent::new("x".repeat(90)); // 98 bytes encoded
        let mut sent = 0;
        while tokio::time::timeout(Duration::from_millis(20), s.send(&ev)).await.is_ok() {
            sent += 1;
            assert!(sent < 100, "sends should block once 1000 bytes are queued");
        }
        assert_eq!(sent, 10);
        assert!(s.buffered() <= 1000);
        drop(body);
    }

    #[tokio::test]
    async fn dropping_the_body_fails_waiting_and_later_sends() {
        let (s, body) = SseStream::new(10, None);
        s.send(&SseEvent::new("1")).await.unwrap(); // 9 bytes: full
        let s2 = s.clone();
        let waiting = tokio::spawn(async move { s2.send(&SseEvent::new("2")).await });
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert!(!waiting.is_finished());
        drop(body);
        assert!(waiting.await.unwrap().unwrap_err().is_closed());
        assert!(s.send(&SseEvent::new("3")).await.unwrap_err().is_closed());
        assert!(s.is_gone() && s.is_closed());
        tokio::time::timeout(Duration::from_secs(1), s.closed()).await.unwrap();
    }

    #[tokio::test]
    async fn close_fails_a_send_waiting_for_room() {
        let (s, body) = SseStream::new(10, None);
        s.send(&SseEvent::new("1")).await.unwrap();
        let s2 = s.clone();
        let waiting = tokio::spawn(async move { s2.send(&SseEvent::new("2")).await });
        tokio::time::sleep(Duration::from_millis(20)).await;
        s.close();
        let r = tokio::time::timeout(Duration::from_secs(1), waiting).await.expect("woken by close");
        assert!(r.unwrap().unwrap_err().is_closed());
        assert_eq!(body.collect(100).await.unwrap(), "data: 1\n\n", "queued events still go out");
    }

    #[tokio::test]
    async fn a_cancelled_send_leaves_nothing_behind() {
        let (s, body) = SseStream::new(10, None);
        s.send(&SseEvent::new("1")).await.unwrap();
        assert!(tokio::time::timeout(Duration::from_millis(10), s.send(&SseEvent::new("2"))).await.is_err());
        drop(s);
        assert_eq!(body.collect(100).await.unwrap(), "data: 1\n\n");
    }

    #[tokio::test(start_paused = true)]
    async fn keep_alive_pings_only_when_idle() {
        let (s, mut body) = SseStream::new(1024, Some(Duration::from_secs(15)));
        let t0 = tokio::time::Instant::now();
        assert_eq!(next_data(&mut body).await.unwrap(), ": ping\n\n");
        assert_eq!(t0.elapsed(), Duration::from_secs(15));
        let s2 = s.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_secs(10)).await;
            s2.send(&SseEvent::new("e")).await.unwrap();
        });
        assert_eq!(next_data(&mut body).await.unwrap(), "data: e\n\n");
        assert_eq!(t0.elapsed(), Duration::from_secs(25));
        // The event restarted the idle timer: the next ping is 15 s after it.
        assert_eq!(next_data(&mut body).await.unwrap(), ": ping\n\n");
        assert_eq!(t0.elapsed(), Duration::from_secs(40));
        s.close();
        assert!(next_data(&mut body).await.is_none());
    }

    #[tokio::test]
    async fn abort_ends_the_body_with_an_error() {
        let (s, mut body) = SseStream::new(64, None);
        s.send(&SseEvent::new("a")).await.unwrap();
        s.abort();
        assert_eq!(next_data(&mut body).await.unwrap(), "data: a\n\n");
        assert!(body.next_frame().await.unwrap().is_err());
    }

    #[test]
    fn max_len_is_clamped() {
        assert_eq!(SseStream::new(0, None).0.max_len(), 1);
        assert_eq!(SseStream::new(usize::MAX, None).0.max_len(), MAX_MAX_LEN);
    }
}
