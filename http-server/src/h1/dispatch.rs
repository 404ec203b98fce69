//! Running the handler for each HTTP/1.1 request of a connection: the loop that takes a
//! head from [`conn`](super::conn), begins the exchange on the connection's `Stream`, runs
//! the handler in the exchange slot (a panic before the response becomes a 500), and
//! finishes the exchange, under a `request` span.
//!
//! The exchange (handler and response writer: kilobytes of future state) runs in a slot of
//! its own, reused while requests keep coming and freed when the connection falls idle,
//! and so is the exchange's `Stream` ([`seat`](super::seat)): an idle connection holds
//! only this loop's small state and its transport; see [`io`](super::io) for the
//! buffers' side of the same rule.

use http::StatusCode;
use http_core::{Response, Stream, StreamHandler, catch_panic};
use tokio::io::{AsyncRead, AsyncWrite};
use tracing::Instrument;

use super::conn::{ConnConfig, H1Transport, NextHead};
use super::role::{BodyLength, HeadTerms};
use super::seat::Seat;
use super::sendfile::SendFile;

/// Serves HTTP/1.1 on the connection `transport` carries until the peer leaves, keep-alive
/// ends, the server shuts down, or a handler took the connection over
/// (`Stream::upgrade`: the loop then ends without touching the socket again).
///
/// Tracing: a DEBUG span `connection` (`proto`, `peer`) around the connection and a DEBUG
/// span `request` (`method`, `path`, `route` once a router matched, `status`,
/// `duration_ms`) around each exchange. Disabled spans cost a level check and nothing is
/// allocated for them.
// Not `async fn`s: an `async fn` keeps each argument twice in its future (the argument
// and its binding), and the transport (~500 bytes) is one. The async block below uses
// the seat it captured in place, so the connection's future holds the transport once.
pub(crate) fn serve_connection<IO, H>(transport: H1Transport<IO>, handler: &H) -> impl Future<Output = ()>
where
    IO: AsyncRead + AsyncWrite + SendFile + Unpin + Send + 'static,
    H: StreamHandler,
{
    let span = tracing::debug_span!("connection", proto = "h1", peer = ?transport.peer);
    serve_connection_inner(Seat::new(transport), handler).instrument(span)
}

/// The transport travels in `seat`, with the exchanges' `Stream` while requests keep coming.
fn serve_connection_inner<IO, H>(mut seat: Seat<IO>, handler: &H) -> impl Future<Output = ()>
where
    IO: AsyncRead + AsyncWrite + SendFile + Unpin + Send + 'static,
    H: StreamHandler,
{
    let cfg = seat.transport_mut().cfg.clone();
    async move {
        let _open = cfg.observe.connection(http_core::metrics::Protocol::Http1);
        // Bytes already reported to the metrics.
        let mut reported = (0, 0);
        // When the last exchange ended, if the next request was already waiting then: its
        // start, without another clock read.
        let mut taken_up = None;
        // The exchange runs in a slot of its own (see the module docs).
        let mut slot = None;
        let mut first = true;
        // A request that could not be decoded: answered, then the connection closes. The
        // loop's value, so that no storage is kept for it while the connection idles.
        let rejected = loop {
            // The head is consumed inside this block, before the exchange is awaited: a local
            // of the loop's body would keep its (hundreds of bytes of) storage in the
            // connection's future while the connection idles, moved-from or not.
            let (stream, warm, span, started, observed) = {
                let t = seat.transport_mut();
                let parsed = match t.read_head(first).await {
                    Ok(NextHead::Request(p)) => p,
                    Ok(NextHead::Released) => {
                        slot = None;
                        seat.release_stream();
                        continue;
                    }
                    Ok(NextHead::Close) => break None,
                    // Answered after the loop: awaited here, the head's storage would be kept
                    // beside the answer's future.
                    Err(e) => break Some(e),
                };
                first = false;
                let mut stream = seat.take_stream();
                let (warm, span, started, observed) = begin_exchange(&mut stream, parsed, &cfg, taken_up.take());
                (stream, warm, span, started, observed)
            };
            let exchange = slot.get_or_insert_with(|| Box::pin(None));
            exchange.set(Some(run_exchange::<IO, H>(stream, handler)));
            let running = exchange.as_mut().as_pin_mut().expect("just set");
            // Wrapping the exchange in its span costs a level check when nobody listens.
            let (back, keep_alive) =
                if span.is_disabled() { running.await } else { running.instrument(span.clone()).await };
            exchange.set(None);
            let stream = seat.put_stream(back);
            if let Some(observed) = observed {
                let ended = cfg.observe.finish(observed, &*stream as &Stream);
                let io = &stream.transport().io;
                taken_up = (!io.rbuf.is_empty()).then_some(ended);
                report_bytes(&cfg.observe, io, &mut reported);
            }
            if let Some(started) = started {
                span.record("status", (&*stream as &Stream).status().as_u16());
                span.record("duration_ms", started.elapsed().as_secs_f64() * 1000.0);
            }
            if !warm {
                // A lone request (on a new or long-idle connection) keeps nothing: freed at
                // once, its memory serves the next connection; a second request soon after
                // makes the connection hot, and then buffers, slot and `Stream` stay until it
                // idles.
                slot = None;
                stream.transport_mut().release_buffers();
                seat.release_stream();
            }
            if !keep_alive {
                break None;
            }
        };
        // Boxed: the answer to a rejected head and the lingering close (timers, the
        // discarding read) are each a connection's last state, and its task is sized for
        // its largest one; the idle wait should set that size, not them.
        Box::pin(close(seat.transport_mut(), rejected, &mut reported)).await;
    }
}

/// Ends the connection: answers a request that could not be decoded (if any), then the
/// lingering close, and reports the last bytes.
async fn close<IO>(t: &mut H1Transport<IO>, rejected: Option<http_core::Error>, reported: &mut (u64, u64))
where
    IO: AsyncRead + AsyncWrite + SendFile + Unpin + Send + 'static,
{
    if let Some(e) = rejected {
        t.reject(&e).await;
    }
    t.shutdown().await;
    report_bytes(&t.cfg.observe, &t.io, reported);
}

/// Begins the exchange for the head the parser just decoded on the connection's `Stream`:
/// the transport's per-request state, the request's context, its span and observation.
/// Returns whether the connection was hot, the span, when it started (if the span is on),
/// and the observation (with metrics or an access log).
pub(super) fn begin_exchange<IO>(
    stream: &mut Stream<H1Transport<IO>>,
    terms: HeadTerms,
    cfg: &ConnConfig,
    taken_up: Option<std::time::Instant>,
) -> (bool, tracing::Span, Option<std::time::Instant>, Option<crate::observe::Started>)
where
    IO: AsyncRead + AsyncWrite + SendFile + Unpin + Send + 'static,
{
    let t = stream.transport_mut();
    let warm = t.is_hot();
    t.begin_request(terms);
    let body_empty = terms.body == BodyLength::Empty;
    let (peer, via) = (t.peer, t.via);
    let head = &*t.decoded_head();
    let span = tracing::debug_span!(
        "request",
        method = %head.method,
        path = head.uri.path(),
        route = tracing::field::Empty,
        status = tracing::field::Empty,
        duration_ms = tracing::field::Empty,
    );
    let started = (!span.is_disabled()).then(std::time::Instant::now);
    let ctx = crate::forwarded::context(peer, via, &head.headers, &cfg.trusted);
    let observed = cfg.observe.start(head, &ctx, taken_up);
    stream.begin_taking(H1Transport::decoded_head, ctx, cfg.max_body_bytes, body_empty);
    (warm, span, started, observed)
}

/// Adds the connection's bytes since the last report to the metrics.
fn report_bytes<IO>(observe: &crate::observe::Observe, io: &super::io::Buffered<IO>, reported: &mut (u64, u64)) {
    if observe.metrics.is_some() {
        observe.bytes(io.received - reported.0, io.sent - reported.1);
        *reported = (io.received, io.sent);
    }
}

/// Runs the handler for the request `stream` was begun with, answers 500 if it panicked
/// before responding, and finishes the exchange; gives the stream back with whether the
/// connection stays open.
async fn run_exchange<IO, H>(
    mut stream: Box<Stream<H1Transport<IO>>>,
    handler: &H,
) -> (Box<Stream<H1Transport<IO>>>, bool)
where
    IO: AsyncRead + AsyncWrite + SendFile + Unpin + Send + 'static,
    H: StreamHandler,
{
    // Pinned where it is built: handing the (kilobytes large) handler future to
    // `catch_panic` by value would copy it twice more.
    let user: &mut Stream = &mut *stream;
    let outcome = {
        let call = std::pin::pin!(handler.call(user));
        catch_panic(call).await
    };
    match outcome {
        Ok(()) => {
            if !user.is_write_closed() {
                let _ = user.closewrite().await;
            }
        }
        Err(msg) => {
            http_core::metrics::handler_panicked();
            tracing::error!(peer = ?user.peer_addr(), panic = %msg, "handler panicked; answering 500");
            // A started response cannot become a 500: it is cut off instead.
            if user.is_head_sent()
                || user.write_response(Response::error(StatusCode::INTERNAL_SERVER_ERROR)).await.is_err()
            {
                stream.transport_mut().abort();
            }
        }
    }
    if (&*stream as &Stream).is_aborted() {
        tracing::debug!("response aborted; closing the connection");
        stream.transport_mut().abort();
    }
    let keep_alive = stream.transport_mut().finish_request().await;
    (stream, keep_alive)
}
