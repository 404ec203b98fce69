//! The HTTP/2 connection (RFC 9113): handshake, accepting streams (each on its own task,
//! carried by the same [`Stream`] type as HTTP/1.1), idle timeout, graceful GOAWAY, and the
//! abuse limits: concurrent streams, header-list size, and rapid reset (CVE-2023-44487:
//! too many peer resets within a window → GOAWAY `ENHANCE_YOUR_CALM`).

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::task::Poll;
use std::time::Duration;

use bytes::Bytes;
use h2::server::SendResponse;
use h2::{Reason, RecvStream};
use http::{HeaderValue, Method, StatusCode, Version, header};
use http_core::{RequestContext, RequestHead, Response, Stream, StreamHandler, catch_panic};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::Notify;
use tokio::time::Instant;
use tracing::Instrument;

use super::transport::H2Transport;
use crate::connection::ConnContext;
use crate::io::{Linger, TimedIo};

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
}

/// Counters shared by a connection and its stream tasks.
#[derive(Debug, Default)]
pub(crate) struct ConnStats {
    active: AtomicUsize,
    resets: AtomicUsize,
    idle: Notify,
    calm: Notify,
    max_resets: usize,
}

impl ConnStats {
    /// A stream was reset by the peer.
    pub(crate) fn peer_reset(&self) {
        if self.resets.fetch_add(1, Ordering::AcqRel) + 1 > self.max_resets {
            self.calm.notify_one();
        }
    }
}

struct ActiveStream(Arc<ConnStats>);

impl Drop for ActiveStream {
    fn drop(&mut self) {
        if self.0.active.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.0.idle.notify_one();
        }
    }
}

/// Serves HTTP/2 on `io` (already past TLS, or with the cleartext preface replayed).
///
/// Tracing: a DEBUG span `connection` (`proto`, `peer`) around the connection, and under
/// it a DEBUG span `request` (`method`, `path`, `route`, `status`, `duration_ms`) per stream.
pub(crate) async fn serve_h2<IO, H>(io: IO, peer: Option<SocketAddr>, cx: ConnContext<H>)
where
    IO: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    H: StreamHandler,
{
    let span = tracing::debug_span!("connection", proto = "h2", peer = ?peer);
    serve_h2_conn(io, peer, cx).instrument(span).await
}

async fn serve_h2_conn<IO, H>(io: IO, peer: Option<SocketAddr>, cx: ConnContext<H>)
where
    IO: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    H: StreamHandler,
{
    let cfg = cx.h2.clone();
    // Armed when the connection ends gracefully, so the socket lingers (see `Linger`).
    let linger = Arc::new(AtomicBool::new(false));
    let io = TimedIo::new(Linger::new(io, linger.clone()), cfg.write_timeout);
    let mut builder = h2::server::Builder::new();
    builder
        .max_concurrent_streams(cfg.max_concurrent_streams)
        .initial_window_size(cfg.initial_window_size)
        .initial_connection_window_size(cfg.initial_connection_window_size)
        .max_header_list_size(cfg.max_header_list_size)
        .max_send_buffer_size(cfg.max_send_buffer_size)
        .max_pending_accept_reset_streams(cfg.max_pending_accept_reset_streams);
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
    let stats = Arc::new(ConnStats { max_resets: cfg.max_peer_resets, ..Default::default() });
    let idle_timer = tokio::time::sleep(cfg.idle_timeout);
    tokio::pin!(idle_timer);
    let mut window_start = Instant::now();
    let mut going_away = false;
    loop {
        let idle = stats.active.load(Ordering::Acquire) == 0;
        tokio::select! {
            accepted = conn.accept() => match accepted {
                Some(Ok((request, respond))) => {
                    stats.active.fetch_add(1, Ordering::AcqRel);
                    let guard = ActiveStream(stats.clone());
                    let handler = cx.handler.clone();
                    let cfg = cfg.clone();
                    let stats = stats.clone();
                    // Boxed: the stream future is large (Stream, transport, handler future),
                    // and tokio moves an unboxed one in and out of its task cell several
                    // times per stream (spawn, completion), which showed up as ~6% of the
                    // CPU time in memmove under h2load.
                    tokio::spawn(Box::pin(async move {
                        let _guard = guard;
                        serve_stream(request, respond, peer, &*handler, &cfg, stats).await;
                    }.in_current_span()));
                }
                Some(Err(e)) => {
                    tracing::debug!(?peer, error = %e, "h2 connection ended with an error");
                    break;
                }
                None => {
                    linger.store(true, Ordering::Release);
                    break;
                }
            },
            () = cx.graceful.cancelled(), if !going_away => {
                conn.graceful_shutdown();
                going_away = true;
            }
            () = stats.idle.notified() => {
                idle_timer.as_mut().reset(Instant::now() + cfg.idle_timeout);
            }
            () = &mut idle_timer, if idle && !going_away => {
                conn.graceful_shutdown();
                going_away = true;
            }
            () = stats.calm.notified() => {}
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

async fn serve_stream<H: StreamHandler>(
    request: http::Request<RecvStream>,
    respond: SendResponse<Bytes>,
    peer: Option<SocketAddr>,
    handler: &H,
    cfg: &super::conn::H2Config,
    stats: Arc<ConnStats>,
) {
    let span = tracing::debug_span!(
        "request",
        method = %request.method(),
        path = request.uri().path(),
        route = tracing::field::Empty,
        status = tracing::field::Empty,
        duration_ms = tracing::field::Empty,
    );
    let started = (!span.is_disabled()).then(std::time::Instant::now);
    exchange(request, respond, peer, handler, cfg, stats).instrument(span.clone()).await;
    if let Some(started) = started {
        span.record("duration_ms", started.elapsed().as_secs_f64() * 1000.0);
    }
}

async fn exchange<H: StreamHandler>(
    request: http::Request<RecvStream>,
    respond: SendResponse<Bytes>,
    peer: Option<SocketAddr>,
    handler: &H,
    cfg: &super::conn::H2Config,
    stats: Arc<ConnStats>,
) {
    let (parts, recv) = request.into_parts();
    let body_empty = recv.is_end_stream();
    let is_head = parts.method == Method::HEAD;
    let mut headers = parts.headers;
    if !headers.contains_key(header::HOST) {
        // Handlers read Host on every protocol; HTTP/2 carries it as :authority.
        if let Some(value) = parts.uri.authority().and_then(|a| HeaderValue::from_str(a.as_str()).ok()) {
            headers.insert(header::HOST, value);
        }
    }
    let head = RequestHead { method: parts.method, uri: parts.uri, version: Version::HTTP_2, headers };
    let transport = H2Transport::new(recv, respond, peer, stats, is_head, cfg.read_timeout, cfg.write_timeout);
    let watch = transport.reset_watch();
    let mut stream = Stream::new(Box::new(transport));
    stream.begin(head, RequestContext::with_peer(peer), cfg.max_body_bytes, body_empty);
    // A peer reset cancels the handler at once, whatever it is waiting for: a reset
    // stream's work must not go on (and its slot is already free for a new stream).
    let outcome = {
        let mut call = std::pin::pin!(catch_panic(handler.call(&mut stream)));
        std::future::poll_fn(|cx| match call.as_mut().poll(cx) {
            Poll::Ready(r) => Poll::Ready(Some(r)),
            Poll::Pending => watch.poll_reset(cx).map(|()| None),
        })
        .await
    };
    let Some(outcome) = outcome else {
        tracing::debug!(?peer, "stream reset by the peer; handler cancelled");
        return;
    };
    match outcome {
        Ok(()) => {
            if !stream.is_write_closed() {
                let _ = stream.closewrite().await;
            }
        }
        Err(msg) => {
            tracing::error!(?peer, panic = %msg, "handler panicked; answering 500 (or resetting the stream)");
            if stream.is_head_sent()
                || stream.write_response(Response::error(StatusCode::INTERNAL_SERVER_ERROR)).await.is_err()
            {
                h2_transport(&mut stream).reset(Reason::INTERNAL_ERROR);
            }
        }
    }
    if stream.is_aborted() {
        tracing::debug!("response aborted; resetting the stream");
        h2_transport(&mut stream).reset(Reason::INTERNAL_ERROR);
    }
    tracing::Span::current().record("status", stream.status().as_u16());
}

fn h2_transport(stream: &mut Stream) -> &mut H2Transport {
    stream.transport_mut::<H2Transport>().expect("the stream carries the HTTP/2 transport")
}
