//! The HTTP/2 connection (RFC 9113): handshake, accepting streams, idle timeout, graceful
//! GOAWAY, and the abuse limits: concurrent streams, header-list size, and rapid reset
//! (CVE-2023-44487: too many peer resets within a window → GOAWAY `ENHANCE_YOUR_CALM`).
//!
//! Each stream is carried by the same [`Stream`] type as HTTP/1.1 and starts on the
//! connection's own task: the connection takes every stream its last read delivered, then
//! polls each one's future once, in turn, in one reused heap slot. A stream that finishes
//! in that poll (a handler that answers without waiting, the common case) costs no task,
//! no allocation for its future or its `Stream` (the previous stream's is rearmed), and
//! no wake-up; the whole batch's responses leave in one write when the connection is
//! polled next, where a task per stream wakes the connection once per response and each
//! response goes out in a write of its own. A stream still pending after its first poll
//! (waiting for its request body, a timer, flow control, an SSE event) moves, slot and
//! all, to a task of its own, so a waiting stream never holds up the others. A connection
//! quiet for [`RELEASE_IDLE_AFTER`] lets go of the slot and the spare `Stream`.
//!
//! A handler panic costs only its request (500, or RST_STREAM once the head is out); any
//! other panic in a stream's first poll drops that stream (the peer sees RST_STREAM), as
//! a panicking task would. A handler that computes for a long time without awaiting delays
//! the other streams of its connection (as on HTTP/1.1) instead of running beside them.

use std::future::{Future, poll_fn};
use std::net::SocketAddr;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::{Pin, pin};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use h2::server::SendResponse;
use h2::{Reason, RecvStream};
use http::header::Entry;
use http::{HeaderValue, Method, StatusCode, Uri, Version, header};
use http_core::engine::ConnectProtocol;
use http_core::{Body, RequestHead, Response, Stream, StreamHandler, panic_message};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

use super::stats::{ActiveStream, ConnStats};
use super::transport::{H2Transport, ResetWatch};
use crate::forwarded::Via;
use crate::io::{Linger, TimedIo};

/// How long a connection keeps its buffers for streams (see `serve_h2_conn`) after its
/// last stream.
const RELEASE_IDLE_AFTER: Duration = Duration::from_secs(1);

/// HTTP/2 settings and limits.
#[derive(Debug, Clone)]
pub(crate) struct H2Config {
    pub(crate) max_concurrent_streams: u32,
    pub(crate) initial_window_size: u32,
    pub(crate) initial_connection_window_size: u32,
    pub(crate) max_header_list_size: u32,
    pub(crate) max_send_buffer_size: usize,
    pub(crate) max_pending_accept_reset_streams: usize,
    pub(crate) max_peer_resets: usize,
    pub(crate) peer_reset_window: Duration,
    pub(crate) handshake_timeout: Duration,
    pub(crate) idle_timeout: Duration,
    pub(crate) read_timeout: Duration,
    pub(crate) write_timeout: Duration,
    pub(crate) max_body_bytes: u64,
    /// Networks whose forwarding fields are believed.
    pub(crate) trusted: Arc<[crate::Cidr]>,
    /// The server drains or closes: send GOAWAY.
    pub(crate) draining: CancellationToken,
    /// The server closes (for `Stream::shutdown_signal`).
    pub(crate) graceful: CancellationToken,
    /// Metrics and access log, if any.
    pub(crate) observe: crate::observe::Observe,
}

/// A stream's future in its heap slot. `None` between streams: the connection keeps one
/// slot and reuses it for every stream that finishes in its first poll.
type Slot<F> = Pin<Box<Option<F>>>;

/// A stream still pending after its first poll, moved to a task of its own.
struct Spawned<F> {
    slot: Slot<F>,
    _active: ActiveStream,
}

impl<F: Future<Output = Option<Reuse>>> Future for Spawned<F> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        match self.get_mut().slot.as_mut().as_pin_mut() {
            // Its `Stream` is dropped, not handed back: the connection makes another if needed.
            Some(stream) => stream.poll(cx).map(drop),
            None => Poll::Ready(()),
        }
    }
}

/// `Host` for requests that carry only `:authority` (handlers read Host on every protocol).
/// The value is kept per connection: its requests nearly always name the same authority,
/// so they share one value instead of each copying and validating the authority again.
#[derive(Default)]
struct HostCache(Option<HeaderValue>);

impl HostCache {
    fn value(&mut self, uri: &Uri) -> Option<HeaderValue> {
        let authority = uri.authority()?.as_str();
        match &self.0 {
            Some(v) if v.as_bytes() == authority.as_bytes() => Some(v.clone()),
            _ => {
                let v = HeaderValue::from_str(authority).ok()?;
                self.0 = Some(v.clone());
                Some(v)
            }
        }
    }
}

/// Serves HTTP/2 on `io` (already past TLS, or with the cleartext preface replayed).
///
/// Tracing: a DEBUG span `connection` (`proto`, `peer`) around the connection, and under
/// it a DEBUG span `request` (`method`, `path`, `route`, `status`, `duration_ms`) per stream.
/// The server's drain signal (`H2Config::draining`, cancelled by a drain and by a graceful
/// close): once cancelled, the connection sends GOAWAY and ends when its streams have.
pub(crate) async fn serve_h2<IO, H>(io: IO, peer: Option<SocketAddr>, via: Via, handler: Arc<H>, cfg: Arc<H2Config>)
where
    IO: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    H: StreamHandler,
{
    let span = tracing::debug_span!("connection", proto = "h2", peer = ?peer);
    serve_h2_conn(io, peer, via, handler, cfg).instrument(span).await
}

async fn serve_h2_conn<IO, H>(io: IO, peer: Option<SocketAddr>, via: Via, handler: Arc<H>, cfg: Arc<H2Config>)
where
    IO: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    H: StreamHandler,
{
    // Armed when the connection ends gracefully, so the socket lingers (see `Linger`).
    let linger = Arc::new(AtomicBool::new(false));
    let io = TimedIo::new(Linger::new(io, linger.clone()), cfg.write_timeout).counting(cfg.observe.metrics.clone());
    let mut builder = h2::server::Builder::new();
    builder
        .max_concurrent_streams(cfg.max_concurrent_streams)
        .initial_window_size(cfg.initial_window_size)
        .initial_connection_window_size(cfg.initial_connection_window_size)
        .max_header_list_size(cfg.max_header_list_size)
        .max_send_buffer_size(cfg.max_send_buffer_size)
        .max_pending_accept_reset_streams(cfg.max_pending_accept_reset_streams)
        // RFC 8441: extended CONNECT, for handlers that take over a stream (`Stream::upgrade`).
        .enable_connect_protocol();
    let mut conn = match tokio::time::timeout(cfg.handshake_timeout, builder.handshake::<_, Bytes>(io)).await {
        Ok(Ok(c)) => c,
        Ok(Err(e)) => {
            tracing::debug!(?peer, error = %e, "h2 handshake failed");
            return;
        }
        Err(_) => {
            tracing::debug!(?peer, "h2 handshake timed out");
            return;
        }
    };
    let _open = cfg.observe.connection(http_core::metrics::Protocol::Http2);
    let stats =
        Arc::new(ConnStats { max_resets: cfg.max_peer_resets, graceful: cfg.graceful.clone(), ..Default::default() });
    let idle_timer = tokio::time::sleep(cfg.idle_timeout);
    let release_timer = tokio::time::sleep(RELEASE_IDLE_AFTER);
    // Each registered once, not once per turn of the loop (registering takes a lock).
    let graceful = cfg.draining.cancelled();
    let mut idle_notified = pin!(stats.idle.notified());
    let mut calm_notified = pin!(stats.calm.notified());
    tokio::pin!(idle_timer, release_timer, graceful);
    let mut window_start = Instant::now();
    let mut going_away = false;
    // Streams accepted but not started yet; the reused slot for their futures; the
    // `Stream` (and transport) the last stream finished with, for the next one. All three
    // are let go once the connection has been quiet for `RELEASE_IDLE_AFTER` (`holding`).
    let mut batch = Vec::new();
    let mut spare = None;
    let mut spare_stream = None;
    let mut holding = false;
    let shared = Arc::new(Shared { handler, cfg: cfg.clone(), stats: stats.clone(), via });
    let mut host = HostCache::default();
    loop {
        let idle = stats.active.load(Ordering::Acquire) == 0;
        // How the connection ended, once it did: `Ok` for the peer closing it cleanly.
        let mut ended: Option<Result<(), h2::Error>> = None;
        tokio::select! {
            accepted = conn.accept() => match accepted {
                Some(Ok(stream)) => {
                    batch.push(stream);
                    // Take every other stream the last read delivered before starting any,
                    // so that no response is flushed on its own between two accepts.
                    ended = poll_fn(|task| loop {
                        match conn.poll_accept(task) {
                            Poll::Ready(Some(Ok(stream))) => batch.push(stream),
                            Poll::Ready(Some(Err(e))) => return Poll::Ready(Some(Err(e))),
                            Poll::Ready(None) => return Poll::Ready(Some(Ok(()))),
                            Poll::Pending => return Poll::Ready(None),
                        }
                    })
                    .await;
                }
                Some(Err(e)) => ended = Some(Err(e)),
                None => ended = Some(Ok(())),
            },
            () = &mut graceful, if !going_away => {
                conn.graceful_shutdown();
                going_away = true;
            }
            () = &mut idle_notified => {
                idle_notified.set(stats.idle.notified());
                idle_timer.as_mut().reset(Instant::now() + cfg.idle_timeout);
            }
            () = &mut idle_timer, if idle && !going_away => {
                conn.graceful_shutdown();
                going_away = true;
            }
            () = &mut calm_notified => {
                calm_notified.set(stats.calm.notified());
            }
            () = &mut release_timer, if holding => {
                // Quiet for a while: an idle connection keeps no buffers for streams.
                (batch, spare, spare_stream, holding) = (Vec::new(), None, None, false);
            }
        }
        if !batch.is_empty() {
            poll_fn(|task| {
                for (request, respond) in batch.drain(..) {
                    let span = request_span(&request);
                    let host = host.value(request.uri());
                    let start = Start { request, respond, host, peer, reuse: spare_stream.take(), span };
                    let mut slot = spare.take().unwrap_or_else(|| Box::pin(None));
                    slot.as_mut().set(Some(serve_stream(start, shared.clone())));
                    let first = catch_unwind(AssertUnwindSafe(|| match slot.as_mut().as_pin_mut() {
                        Some(stream) => stream.poll(task),
                        None => Poll::Ready(None),
                    }));
                    match first {
                        Ok(Poll::Pending) => {
                            let active = ActiveStream::new(stats.clone());
                            tokio::spawn(Spawned { slot, _active: active }.in_current_span());
                            continue;
                        }
                        Ok(Poll::Ready(reuse)) => spare_stream = reuse,
                        Err(payload) => {
                            let panic = panic_message(&*payload);
                            tracing::error!(?peer, %panic, "h2 stream panicked; dropping it");
                        }
                    }
                    slot.as_mut().set(None);
                    spare = Some(slot);
                }
                Poll::Ready(())
            })
            .await;
            let now = Instant::now();
            if stats.active.load(Ordering::Acquire) == 0 {
                // The streams just served count as activity (no task's end will say so).
                idle_timer.as_mut().reset(now + cfg.idle_timeout);
            }
            holding = true;
            release_timer.as_mut().reset(now + RELEASE_IDLE_AFTER);
        }
        match ended {
            None => {}
            Some(Ok(())) => {
                linger.store(true, Ordering::Release);
                break;
            }
            Some(Err(e)) => {
                tracing::debug!(?peer, error = %e, "h2 connection ended with an error");
                break;
            }
        }
        if window_start.elapsed() > cfg.peer_reset_window {
            window_start = Instant::now();
            stats.resets.store(0, Ordering::Release);
        }
        if stats.resets.load(Ordering::Acquire) > cfg.max_peer_resets && !going_away {
            tracing::warn!(?peer, "too many stream resets from the peer; GOAWAY ENHANCE_YOUR_CALM");
            conn.abrupt_shutdown(Reason::ENHANCE_YOUR_CALM);
            going_away = true;
        }
    }
}

fn request_span(request: &http::Request<RecvStream>) -> tracing::Span {
    tracing::debug_span!(
        "request",
        method = %request.method(),
        path = request.uri().path(),
        route = tracing::field::Empty,
        status = tracing::field::Empty,
        duration_ms = tracing::field::Empty,
    )
}

/// What every stream of a connection shares (one reference count per stream).
struct Shared<H> {
    handler: Arc<H>,
    cfg: Arc<H2Config>,
    stats: Arc<ConnStats>,
    /// TLS, Unix socket: what the request context needs beyond the peer.
    via: Via,
}

/// A finished stream's `Stream` (with its transport) and reset watch, for the next stream.
struct Reuse {
    stream: Box<Stream<H2Transport>>,
    watch: ResetWatch,
}

/// What a stream starts from.
struct Start {
    request: http::Request<RecvStream>,
    respond: SendResponse<Bytes>,
    /// `Host`, unless the request carries its own.
    host: Option<HeaderValue>,
    peer: Option<SocketAddr>,
    /// What the connection's previous stream finished with, to rearm instead of allocating.
    reuse: Option<Reuse>,
    /// The `request` span. It is entered around each poll of the handler and of the
    /// engine's own steps, rather than by wrapping this whole (large) future in
    /// `Instrumented`, which would move it once more.
    span: tracing::Span,
}

/// One stream, start to end. Returns its `Stream` for the next stream when it ended cleanly.
async fn serve_stream<H: StreamHandler>(start: Start, shared: Arc<Shared<H>>) -> Option<Reuse> {
    let Start { request, respond, host, peer, reuse, span } = start;
    let started = (!span.is_disabled()).then(std::time::Instant::now);
    let cfg = &*shared.cfg;
    let (parts, recv) = request.into_parts();
    let body_empty = recv.is_end_stream();
    let is_head = parts.method == Method::HEAD;
    let mut headers = parts.headers;
    if let (Some(host), Entry::Vacant(e)) = (host, headers.entry(header::HOST)) {
        e.insert(host);
    }
    let mut ctx = crate::forwarded::context(peer, shared.via, &headers, &cfg.trusted);
    if let Some(protocol) = parts.extensions.get::<h2::ext::Protocol>() {
        // An extended CONNECT (RFC 8441 §4): `Stream::upgrade_protocol` reads it.
        ctx.extensions_mut().insert(ConnectProtocol::new(protocol.as_str()));
    }
    let head = RequestHead { method: parts.method, uri: parts.uri, version: Version::HTTP_2, headers };
    let observed = cfg.observe.start(&head, &ctx, None);
    let (mut stream, watch) = match reuse {
        Some(Reuse { mut stream, watch }) => {
            stream.transport_mut().rearm(recv, respond, is_head);
            (stream, watch)
        }
        None => {
            let stats = shared.stats.clone();
            let transport = H2Transport::new(recv, respond, peer, stats, is_head, cfg.read_timeout, cfg.write_timeout);
            let watch = transport.reset_watch();
            (Box::new(Stream::new(transport)), watch)
        }
    };
    stream.begin(head, ctx, cfg.max_body_bytes, body_empty);
    // A peer reset cancels the handler at once, whatever it is waiting for: a reset
    // stream's work must not go on (and its slot is already free for a new stream).
    // A panic is caught here, around each poll, rather than by wrapping the handler's
    // (large) future in `catch_panic`, which would move it once more.
    let user: &mut Stream = &mut *stream;
    let outcome = {
        let mut call = pin!(shared.handler.call(user));
        poll_fn(|cx| {
            let _entered = span.enter();
            match catch_unwind(AssertUnwindSafe(|| call.as_mut().poll(cx))) {
                Ok(Poll::Ready(())) => Poll::Ready(Some(Ok(()))),
                Err(payload) => Poll::Ready(Some(Err(panic_message(&*payload)))),
                Ok(Poll::Pending) => watch.poll_reset(cx).map(|()| None),
            }
        })
        .await
    };
    let reset_by_peer = outcome.is_none();
    let mut clean = true;
    match outcome {
        None => {
            span.in_scope(|| tracing::debug!(?peer, "stream reset by the peer; handler cancelled"));
            clean = false;
        }
        Some(Ok(())) => {
            if !user.is_write_closed() {
                let _ = in_span(&span, user.closewrite()).await;
            }
        }
        Some(Err(msg)) => {
            clean = false;
            http_core::metrics::handler_panicked();
            span.in_scope(|| {
                tracing::error!(?peer, panic = %msg, "handler panicked; answering 500 (or resetting the stream)");
            });
            if user.is_head_sent()
                || in_span(&span, user.write_response(Response::error(StatusCode::INTERNAL_SERVER_ERROR)))
                    .await
                    .is_err()
            {
                stream.transport_mut().reset(Reason::INTERNAL_ERROR);
            }
        }
    }
    if !reset_by_peer {
        if (&*stream as &Stream).is_aborted() {
            span.in_scope(|| tracing::debug!("response aborted; resetting the stream"));
            stream.transport_mut().reset(Reason::INTERNAL_ERROR);
            clean = false;
        }
        span.record("status", (&*stream as &Stream).status().as_u16());
    }
    if let Some(started) = started {
        span.record("duration_ms", started.elapsed().as_secs_f64() * 1000.0);
    }
    if let Some(observed) = observed {
        cfg.observe.finish(observed, &*stream as &Stream);
    }
    // The request's head and context (with whatever the handler put in its extensions)
    // go now, not when the next stream arrives; so do the stream's `h2` handles.
    drop((&mut *stream as &mut Stream).take_request(Body::empty()));
    stream.transport_mut().release();
    clean.then_some(Reuse { stream, watch })
}

/// Polls `fut` with `span` entered, as `Instrumented` does.
async fn in_span<F: Future>(span: &tracing::Span, fut: F) -> F::Output {
    let mut fut = pin!(fut);
    poll_fn(|cx| {
        let _entered = span.enter();
        fut.as_mut().poll(cx)
    })
    .await
}
