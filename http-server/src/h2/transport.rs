//! One HTTP/2 stream as a [`Transport`] (RFC 9113 §8): request DATA read with flow
//! control released as the handler consumes it, response HEADERS/DATA sent as flow
//! control allows, trailers as a final HEADERS frame.
//!
//! A transport outlives its stream: once a stream is over, [`H2Transport::release`] lets
//! go of its `h2` handles and [`H2Transport::rearm`] takes the next stream's, so a
//! connection reuses one transport (and the `Stream` around it) for stream after stream.

use std::cell::RefCell;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, ready};
use std::time::Duration;

use bytes::Bytes;
use h2::server::SendResponse;
use h2::{RecvStream, SendStream};
use http::{HeaderMap, HeaderValue, StatusCode, Version, header};
use http_core::engine::{OutgoingHead, Transport};
use http_core::{Error, ErrorKind, Upgraded};
use tokio::time::{Instant, Sleep};

use super::stats::ConnStats;
use super::upgrade::H2Upgraded;

/// The sending half of a stream, shared by the transport and the stream task's
/// [`ResetWatch`] (both are polled by the same task, so the lock is never contended).
struct Sender {
    /// `None` once the transport is released.
    respond: Option<SendResponse<Bytes>>,
    send: Option<SendStream<Bytes>>,
    /// We reset the stream ourselves (write timeout, panic): not the peer's doing.
    local_reset: bool,
    /// This stream's peer reset was already counted toward the rapid-reset limit.
    peer_reset_counted: bool,
    /// The stream was handed over to the handler ([`Transport::poll_upgrade`]): its
    /// resets are the handler's business.
    upgraded: bool,
}

impl Sender {
    fn new(respond: SendResponse<Bytes>) -> Self {
        Sender { respond: Some(respond), send: None, local_reset: false, peer_reset_counted: false, upgraded: false }
    }

    fn count_peer_reset(&mut self, stats: &ConnStats) {
        if !self.local_reset && !self.peer_reset_counted {
            self.peer_reset_counted = true;
            stats.peer_reset();
        }
    }
}

fn lock(sender: &Mutex<Sender>) -> MutexGuard<'_, Sender> {
    sender.lock().unwrap_or_else(|e| e.into_inner())
}

/// Notices a peer's RST_STREAM while the handler is not touching its stream (sleeping,
/// computing, waiting for an SSE event), so the stream task can cancel the handler and the
/// reset counts toward the rapid-reset limit (CVE-2023-44487) at once.
pub(crate) struct ResetWatch {
    sender: Arc<Mutex<Sender>>,
    stats: Arc<ConnStats>,
}

impl ResetWatch {
    /// Ready once the peer reset the stream or the connection failed (the handler should
    /// be dropped); a peer reset is counted once.
    pub(crate) fn poll_reset(&self, cx: &mut Context<'_>) -> Poll<()> {
        let mut guard = lock(&self.sender);
        let sender = &mut *guard;
        if sender.local_reset || sender.upgraded {
            // The handler already got (or will get) the error of our own reset; or the
            // stream is the handler's now, and it sees a reset as an I/O error.
            return Poll::Pending;
        }
        let polled = match (&mut sender.send, &mut sender.respond) {
            (Some(send), _) => send.poll_reset(cx),
            (None, Some(respond)) => respond.poll_reset(cx),
            (None, None) => return Poll::Ready(()),
        };
        match polled {
            Poll::Ready(Ok(_reason)) => {
                sender.count_peer_reset(&self.stats);
                Poll::Ready(())
            }
            Poll::Ready(Err(_)) => Poll::Ready(()),
            Poll::Pending => Poll::Pending,
        }
    }
}

/// The transport of one HTTP/2 stream.
pub(crate) struct H2Transport {
    /// `None` once the transport is released.
    recv: Option<RecvStream>,
    sender: Arc<Mutex<Sender>>,
    peer: Option<SocketAddr>,
    stats: Arc<ConnStats>,
    is_head: bool,
    suppress_body: bool,
    finished: bool,
    /// The last chunk written, not yet sent (see `poll_write`).
    held: Bytes,
    request_trailers: Option<HeaderMap>,
    read_timeout: Duration,
    write_timeout: Duration,
    timer: Option<Pin<Box<Sleep>>>,
    timer_armed: bool,
}

impl H2Transport {
    pub(crate) fn new(
        recv: RecvStream,
        respond: SendResponse<Bytes>,
        peer: Option<SocketAddr>,
        stats: Arc<ConnStats>,
        is_head: bool,
        read_timeout: Duration,
        write_timeout: Duration,
    ) -> Self {
        H2Transport {
            recv: Some(recv),
            sender: Arc::new(Mutex::new(Sender::new(respond))),
            peer,
            stats,
            is_head,
            suppress_body: false,
            finished: false,
            held: Bytes::new(),
            request_trailers: None,
            read_timeout,
            write_timeout,
            timer: None,
            timer_armed: false,
        }
    }

    /// The watch for a peer reset, for the stream task.
    pub(crate) fn reset_watch(&self) -> ResetWatch {
        ResetWatch { sender: self.sender.clone(), stats: self.stats.clone() }
    }

    /// Lets go of the stream's `h2` handles (so `h2` can forget the stream now) and of its
    /// request trailers.
    pub(crate) fn release(&mut self) {
        self.recv = None;
        self.held = Bytes::new();
        self.request_trailers = None;
        let mut sender = lock(&self.sender);
        sender.respond = None;
        sender.send = None;
    }

    /// Takes the next stream of the same connection (after [`release`](Self::release)).
    /// The [`ResetWatch`] made for this transport watches the new stream.
    pub(crate) fn rearm(&mut self, recv: RecvStream, respond: SendResponse<Bytes>, is_head: bool) {
        *lock(&self.sender) = Sender::new(respond);
        self.recv = Some(recv);
        self.is_head = is_head;
        self.suppress_body = false;
        self.finished = false;
        self.held = Bytes::new();
        self.request_trailers = None;
        self.timer_armed = false;
    }

    /// Resets the stream (a handler panicked or its body failed after the head).
    pub(crate) fn reset(&mut self, reason: h2::Reason) {
        let mut guard = lock(&self.sender);
        let sender = &mut *guard;
        if !sender.local_reset && !sender.peer_reset_counted {
            match (&mut sender.send, &mut sender.respond) {
                (Some(send), _) => send.send_reset(reason),
                (None, Some(respond)) => respond.send_reset(reason),
                (None, None) => {}
            }
        }
        sender.local_reset = true;
        self.finished = true;
    }

    fn map_err(&self, e: h2::Error) -> Error {
        if e.is_reset() && e.is_remote() {
            lock(&self.sender).count_peer_reset(&self.stats);
        }
        let kind = if e.is_io() { ErrorKind::Io } else { ErrorKind::Closed };
        Error::new(kind, e)
    }

    fn poll_timeout(&mut self, cx: &mut Context<'_>, timeout: Duration) -> Poll<Error> {
        let timer = self.timer.get_or_insert_with(|| Box::pin(tokio::time::sleep(timeout)));
        if !self.timer_armed {
            timer.as_mut().reset(Instant::now() + timeout);
            self.timer_armed = true;
        }
        match timer.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(Error::new(ErrorKind::Timeout, "stream timeout")),
            Poll::Pending => Poll::Pending,
        }
    }
}

thread_local! {
    /// The last `Content-Length` value made on this thread.
    static LENGTH: RefCell<Option<(u64, HeaderValue)>> = const { RefCell::new(None) };
}

/// `n` as a `Content-Length` value. Responses of one kind tend to repeat their length, so
/// the last value is kept per thread and shared instead of formatting and allocating anew.
fn content_length(n: u64) -> HeaderValue {
    LENGTH.with(|last| {
        let mut last = last.borrow_mut();
        match &*last {
            Some((len, value)) if *len == n => value.clone(),
            _ => {
                let value = HeaderValue::from(n);
                *last = Some((n, value.clone()));
                value
            }
        }
    })
}

/// Headers that are meaningless or forbidden in HTTP/2 (RFC 9113 §8.2.2).
fn is_connection_specific(name: &header::HeaderName) -> bool {
    name == header::CONNECTION
        || name == header::TRANSFER_ENCODING
        || name == header::UPGRADE
        || name.as_str() == "keep-alive"
        || name.as_str() == "proxy-connection"
}

/// What one pass over a response's field names found.
#[derive(Debug, Default, PartialEq)]
struct HeadScan {
    /// A connection-specific field (RFC 9113 §8.2.2) or a `content-length` (the engine
    /// writes its own): these are removed before the head goes out.
    strip: bool,
    /// The handler set `date` itself.
    date: bool,
}

impl HeadScan {
    fn of(headers: &HeaderMap) -> Self {
        let mut scan = HeadScan::default();
        for name in headers.keys() {
            scan.date |= name == header::DATE;
            scan.strip |= name == header::CONTENT_LENGTH || is_connection_specific(name);
        }
        scan
    }
}

impl Transport for H2Transport {
    fn version(&self) -> Version {
        Version::HTTP_2
    }

    fn peer_addr(&self) -> Option<SocketAddr> {
        self.peer
    }

    fn shutdown_signal(&self) -> Option<tokio_util::sync::CancellationToken> {
        Some(self.stats.graceful.clone())
    }

    fn poll_read(&mut self, cx: &mut Context<'_>) -> Poll<Result<Option<Bytes>, Error>> {
        let Some(recv) = self.recv.as_mut() else { return Poll::Ready(Err(Error::closed())) };
        match recv.poll_data(cx) {
            Poll::Ready(Some(Ok(data))) => {
                self.timer_armed = false;
                // Capacity goes back to the peer only as the handler consumes data, so a
                // slow handler slows its sender instead of buffering (RFC 9113 §5.2).
                let _ = recv.flow_control().release_capacity(data.len());
                Poll::Ready(Ok(Some(data)))
            }
            Poll::Ready(Some(Err(e))) => Poll::Ready(Err(self.map_err(e))),
            Poll::Ready(None) => match recv.poll_trailers(cx) {
                Poll::Ready(Ok(t)) => {
                    self.request_trailers = t;
                    Poll::Ready(Ok(None))
                }
                Poll::Ready(Err(e)) => Poll::Ready(Err(self.map_err(e))),
                Poll::Pending => Poll::Pending,
            },
            Poll::Pending => match self.poll_timeout(cx, self.read_timeout) {
                Poll::Ready(e) => Poll::Ready(Err(e)),
                Poll::Pending => Poll::Pending,
            },
        }
    }

    fn take_request_trailers(&mut self) -> Option<HeaderMap> {
        self.request_trailers.take()
    }

    fn send_head(&mut self, mut head: OutgoingHead<'_>) -> Result<(), Error> {
        let status = head.status;
        let no_body =
            status.is_informational() || status == StatusCode::NO_CONTENT || status == StatusCode::NOT_MODIFIED;
        let mut response = http::Response::new(());
        *response.status_mut() = status;
        // Take a whole Response's map instead of copying it into a new one (swapped, so
        // the empty map left behind is not dropped here).
        if head.may_take {
            std::mem::swap(response.headers_mut(), head.headers);
        } else {
            *response.headers_mut() = head.owned_headers();
        }
        let headers = response.headers_mut();
        // One pass over the names says what must go and whether `date` is there, instead
        // of a lookup per name.
        let seen = HeadScan::of(headers);
        if seen.strip {
            for name in [header::CONNECTION, header::TRANSFER_ENCODING, header::UPGRADE, header::CONTENT_LENGTH] {
                headers.remove(name);
            }
            headers.remove("keep-alive");
            headers.remove("proxy-connection");
        }
        if !seen.date {
            headers.append(header::DATE, crate::date::date_value());
        }
        if let (Some(n), false) = (head.length, no_body) {
            // Any handler-set `content-length` is gone (`strip`), so no lookup is needed.
            headers.append(header::CONTENT_LENGTH, content_length(n));
        }
        let end = head.end_stream || self.is_head || no_body;
        let mut sender = lock(&self.sender);
        let Some(respond) = sender.respond.as_mut() else { return Err(Error::closed()) };
        match respond.send_response(response, end) {
            Ok(send) => {
                self.suppress_body = self.is_head || no_body;
                if end {
                    self.finished = true;
                } else {
                    sender.send = Some(send);
                }
                Ok(())
            }
            Err(e) => {
                drop(sender);
                Err(self.map_err(e))
            }
        }
    }

    fn poll_write(&mut self, cx: &mut Context<'_>, data: &mut Bytes) -> Poll<Result<(), Error>> {
        if self.suppress_body || self.finished {
            data.clear();
            return Poll::Ready(Ok(()));
        }
        // The last chunk written is held back (as HTTP/1.1 buffers small writes) until the
        // next write, a flush or the end, so the end of the response rides on it: one DATA
        // frame with END_STREAM instead of the data plus an empty END_STREAM frame.
        ready!(self.poll_send_held(cx, false))?;
        if !data.is_empty() {
            self.held = std::mem::take(data);
        }
        Poll::Ready(Ok(()))
    }

    fn poll_flush(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        // The connection task writes frames as soon as they are queued.
        if self.finished {
            return Poll::Ready(Ok(()));
        }
        self.poll_send_held(cx, false)
    }

    fn poll_upgrade(&mut self, cx: &mut Context<'_>) -> Poll<Result<Upgraded, Error>> {
        if self.finished || self.suppress_body {
            return Poll::Ready(Err(Error::new(ErrorKind::State, "the response ended the stream")));
        }
        ready!(self.poll_send_held(cx, false))?;
        let mut sender = lock(&self.sender);
        let (Some(send), Some(recv)) = (sender.send.take(), self.recv.take()) else {
            return Poll::Ready(Err(Error::closed()));
        };
        sender.upgraded = true;
        self.finished = true;
        Poll::Ready(Ok(Upgraded::new(H2Upgraded::new(send, recv), Bytes::new())))
    }

    fn poll_finish(&mut self, cx: &mut Context<'_>, trailers: Option<&HeaderMap>) -> Poll<Result<(), Error>> {
        if self.finished {
            return Poll::Ready(Ok(()));
        }
        let trailers = trailers.filter(|t| !t.is_empty());
        ready!(self.poll_send_held(cx, trailers.is_none()))?;
        self.finished = true;
        let mut sender = lock(&self.sender);
        let Some(send) = sender.send.as_mut() else { return Poll::Ready(Ok(())) };
        let r = match trailers {
            Some(t) => send.send_trailers(t.clone()),
            // poll_send_held already ended the stream.
            None => Ok(()),
        };
        drop(sender);
        Poll::Ready(r.map_err(|e| self.map_err(e)))
    }
}

impl H2Transport {
    /// Sends the held chunk as flow control allows (the write timeout applies); with
    /// `end`, its last DATA frame ends the stream (an empty one when nothing is held).
    fn poll_send_held(&mut self, cx: &mut Context<'_>, end: bool) -> Poll<Result<(), Error>> {
        if self.held.is_empty() && !end {
            return Poll::Ready(Ok(()));
        }
        let mut sender = lock(&self.sender);
        loop {
            let Some(send) = sender.send.as_mut() else { return Poll::Ready(Err(Error::closed())) };
            if self.held.is_empty() {
                // Only reached with `end`: nothing left but the END_STREAM flag.
                let r = send.send_data(Bytes::new(), true);
                drop(sender);
                return Poll::Ready(r.map_err(|e| self.map_err(e)));
            }
            send.reserve_capacity(self.held.len());
            match send.poll_capacity(cx) {
                Poll::Ready(Some(Ok(0))) => {}
                Poll::Ready(Some(Ok(n))) => {
                    self.timer_armed = false;
                    let chunk = self.held.split_to(n.min(self.held.len()));
                    let last = self.held.is_empty();
                    if let Err(e) = send.send_data(chunk, end && last) {
                        drop(sender);
                        return Poll::Ready(Err(self.map_err(e)));
                    }
                    if last {
                        return Poll::Ready(Ok(()));
                    }
                }
                Poll::Ready(Some(Err(e))) => {
                    drop(sender);
                    return Poll::Ready(Err(self.map_err(e)));
                }
                Poll::Ready(None) => return Poll::Ready(Err(Error::closed())),
                Poll::Pending => {
                    drop(sender);
                    return match self.poll_timeout(cx, self.write_timeout) {
                        Poll::Ready(e) => {
                            self.held.clear();
                            self.reset(h2::Reason::CANCEL);
                            Poll::Ready(Err(e))
                        }
                        Poll::Pending => Poll::Pending,
                    };
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn head_scan_finds_what_send_head_must_strip_or_keep() {
        // (field names of the handler's response, strip, date)
        let cases: &[(&[&str], bool, bool)] = &[
            (&[], false, false),
            (&["content-type"], false, false),
            (&["content-type", "date"], false, true),
            (&["content-length"], true, false),
            (&["date", "connection"], true, true),
            (&["transfer-encoding"], true, false),
            (&["upgrade"], true, false),
            (&["keep-alive"], true, false),
            (&["proxy-connection", "x-a"], true, false),
            (&["x-date", "x-content-length"], false, false),
        ];
        for &(names, strip, date) in cases {
            let mut headers = HeaderMap::new();
            for name in names {
                headers.append(header::HeaderName::from_static(name), HeaderValue::from_static("v"));
            }
            assert_eq!(HeadScan::of(&headers), HeadScan { strip, date }, "{names:?}");
        }
    }
}
