//! Stream handler → serve-style handler.
//!
//! The stream handler runs on a [`Stream`] whose transport hands the response head and body
//! chunks back through shared state. The returned [`Response`] is ready once the head is
//! committed; its body is a stream that keeps driving the handler, so a streamed response
//! stays streamed, and dropping the response drops the handler's future (its cleanup runs).
//! No task is spawned.

use std::collections::VecDeque;
use std::future::{Future, poll_fn};
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};

use bytes::{Bytes, BytesMut};
use http::{HeaderMap, StatusCode, Version};

use crate::body::{Body, Frame};
use crate::engine::{OutgoingHead, Transport};
use crate::error::Error;
use crate::handler::{BoxStreamHandler, Handler, StreamHandler};
use crate::request::Request;
use crate::response::Response;
use crate::stream::Stream;

/// Body bytes buffered between the handler and the response consumer before the handler's
/// writes wait.
const HIGH_WATER: usize = 64 * 1024;

/// A [`StreamHandler`] usable as a [`Handler`]; made by [`stream_as_serve`].
///
/// ```
/// use http_core::{Handler, Method, Request, Stream, StreamAsServe, stream_as_serve};
/// async fn echo(s: &mut Stream) {
///     let body = s.read_to_end(1024).await.unwrap_or_default();
///     let _ = s.write(body).await;
/// }
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let h: StreamAsServe = stream_as_serve(echo);
/// let resp = h.call(Request::new(Method::POST, "/").with_body("ping")).await;
/// assert_eq!(resp.into_body().collect(1024).await.unwrap(), "ping");
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct StreamAsServe(BoxStreamHandler);

/// Runs a stream handler as a serve-style handler (the reverse of
/// [`serve_as_stream`](crate::serve_as_stream)). The response is returned as soon as the
/// handler commits its head; the body streams as the handler writes it, trailers included.
/// A [`BoxStreamHandler`] boxed from a serve-style handler is called directly.
///
/// ```
/// use http_core::{Method, Request, Stream, stream_as_serve, testing};
/// async fn hello(s: &mut Stream) {
///     let _ = s.setheader("x-kind", "stream");
///     let _ = s.write("hello").await;
/// }
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let h = stream_as_serve(hello);
/// let r = testing::call(&h, Request::new(Method::GET, "/")).await;
/// assert_eq!((r.text().as_str(), r.header("x-kind")), ("hello", Some("stream")));
/// # }
/// ```
pub fn stream_as_serve(handler: impl StreamHandler) -> StreamAsServe {
    StreamAsServe(BoxStreamHandler::new(handler))
}

#[derive(Default)]
struct Shared {
    head: Option<(StatusCode, HeaderMap, Option<u64>)>,
    chunks: VecDeque<Bytes>,
    buffered: usize,
    trailers: Option<HeaderMap>,
    finished: bool,
}

fn lock(shared: &Mutex<Shared>) -> MutexGuard<'_, Shared> {
    // A panic while holding this lock cannot leave the state half-updated (each update is
    // a single push or assignment), so a poisoned lock is still usable.
    shared.lock().unwrap_or_else(|e| e.into_inner())
}

struct PipeTransport {
    body: Body,
    peer: Option<SocketAddr>,
    request_trailers: Option<HeaderMap>,
    shared: Arc<Mutex<Shared>>,
}

impl Transport for PipeTransport {
    fn version(&self) -> Version {
        Version::HTTP_11
    }

    fn peer_addr(&self) -> Option<SocketAddr> {
        self.peer
    }

    fn poll_read(&mut self, cx: &mut Context<'_>) -> Poll<Result<Option<Bytes>, Error>> {
        self.body.poll_data(cx, &mut self.request_trailers)
    }

    fn take_request_trailers(&mut self) -> Option<HeaderMap> {
        self.request_trailers.take()
    }

    fn send_head(&mut self, mut head: OutgoingHead<'_>) -> Result<(), Error> {
        let mut s = lock(&self.shared);
        let headers = head.owned_headers();
        s.head = Some((head.status, headers, head.length));
        if head.end_stream {
            s.finished = true;
        }
        Ok(())
    }

    fn poll_write(&mut self, _cx: &mut Context<'_>, data: &mut Bytes) -> Poll<Result<(), Error>> {
        let mut s = lock(&self.shared);
        if s.buffered >= HIGH_WATER {
            // The consumer polls this future again once it has drained the queue.
            return Poll::Pending;
        }
        s.buffered += data.len();
        s.chunks.push_back(std::mem::take(data));
        Poll::Ready(Ok(()))
    }

    fn poll_flush(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        Poll::Ready(Ok(()))
    }

    fn poll_finish(&mut self, _cx: &mut Context<'_>, trailers: Option<&HeaderMap>) -> Poll<Result<(), Error>> {
        let mut s = lock(&self.shared);
        s.trailers = trailers.cloned();
        s.finished = true;
        Poll::Ready(Ok(()))
    }
}

type Driver = Pin<Box<dyn Future<Output = ()> + Send>>;

/// The response body: drains what the handler wrote, driving the handler when empty.
struct DriveBody {
    driver: Option<Driver>,
    shared: Arc<Mutex<Shared>>,
}

impl tokio_stream::Stream for DriveBody {
    type Item = Result<Frame, Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        loop {
            {
                let mut s = lock(&self.shared);
                if let Some(chunk) = s.chunks.pop_front() {
                    s.buffered -= chunk.len();
                    return Poll::Ready(Some(Ok(Frame::Data(chunk))));
                }
                if self.driver.is_none() || s.finished {
                    let trailers = s.trailers.take();
                    drop(s);
                    return Poll::Ready(trailers.map(|t| Ok(Frame::Trailers(t))));
                }
            }
            let Some(driver) = self.driver.as_mut() else { return Poll::Ready(None) };
            let done = driver.as_mut().poll(cx).is_ready();
            if done {
                self.driver = None;
            }
            let s = lock(&self.shared);
            if !done && s.chunks.is_empty() && !s.finished {
                return Poll::Pending;
            }
        }
    }
}

/// Runs `handler` on a piped stream for `req`.
async fn pipe(handler: BoxStreamHandler, req: Request) -> Response {
    let (head, body, ctx) = req.into_parts();
    let empty = body.is_empty();
    let shared = Arc::new(Mutex::new(Shared::default()));
    let transport = PipeTransport { body, peer: ctx.peer_addr(), request_trailers: None, shared: shared.clone() };
    let mut driver: Driver = Box::pin(async move {
        let mut typed = Stream::new(transport);
        typed.begin(head, ctx, u64::MAX, empty);
        let stream: &mut Stream = &mut typed;
        handler.call(stream).await;
        if !stream.is_write_closed() {
            let _ = stream.closewrite().await;
        }
    });
    let done = poll_fn(|cx| {
        let done = driver.as_mut().poll(cx).is_ready();
        if done || lock(&shared).head.is_some() { Poll::Ready(done) } else { Poll::Pending }
    })
    .await;
    let mut s = lock(&shared);
    let Some((status, headers, length)) = s.head.take() else {
        return Response::error(StatusCode::INTERNAL_SERVER_ERROR);
    };
    if done && s.trailers.is_none() {
        let mut all = BytesMut::with_capacity(s.buffered);
        s.chunks.drain(..).for_each(|c| all.extend_from_slice(&c));
        return Response::from_parts(status, headers, Body::from(all.freeze()));
    }
    drop(s);
    let stream = DriveBody { driver: (!done).then_some(driver), shared };
    let body = Body::from_stream(stream);
    let body = match length {
        Some(n) => body.with_exact_len(n),
        None => body,
    };
    Response::from_parts(status, headers, body)
}

impl Handler for StreamAsServe {
    async fn call(&self, req: Request) -> Response {
        match self.0.serve_form() {
            Some(serve) => serve.call(req).await,
            None => pipe(self.0.clone(), req).await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Method, testing};
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::time::Duration;

    #[tokio::test]
    async fn streamed_body_and_trailers_pass_through() {
        async fn h(s: &mut Stream) {
            s.setstatus(StatusCode::ACCEPTED).unwrap();
            for i in 0..3 {
                s.write(format!("{i};")).await.unwrap();
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
            s.addtrailer("x-done", "yes").unwrap();
            s.closewrite().await.unwrap();
        }
        let r = testing::call(&stream_as_serve(h), Request::new(Method::GET, "/")).await;
        assert_eq!(r.status, StatusCode::ACCEPTED);
        assert_eq!(r.text(), "0;1;2;");
        assert_eq!(r.trailers.unwrap().get("x-done").unwrap(), "yes");
    }

    #[tokio::test]
    async fn large_body_exceeds_the_buffer_and_still_arrives() {
        async fn h(s: &mut Stream) {
            for _ in 0..40 {
                s.write(vec![b'x'; 8 * 1024]).await.unwrap();
            }
        }
        let r = testing::call(&stream_as_serve(h), Request::new(Method::GET, "/")).await;
        assert_eq!(r.body.len(), 40 * 8 * 1024);
    }

    #[tokio::test]
    async fn request_body_is_readable() {
        async fn h(s: &mut Stream) {
            let b = s.read_to_end(100).await.unwrap();
            s.write(b).await.unwrap();
        }
        let r = testing::call(&stream_as_serve(h), Request::new(Method::POST, "/").with_body("ping")).await;
        assert_eq!(r.text(), "ping");
        assert_eq!(r.header("content-length"), None, "no framing header in a serve response");
    }

    #[tokio::test]
    async fn dropping_the_response_drops_the_handler() {
        static DROPPED: AtomicBool = AtomicBool::new(false);
        struct Guard;
        impl Drop for Guard {
            fn drop(&mut self) {
                DROPPED.store(true, Ordering::SeqCst);
            }
        }
        async fn h(s: &mut Stream) {
            let _g = Guard;
            s.write("first").await.unwrap();
            std::future::pending::<()>().await;
        }
        let resp = stream_as_serve(h).call(Request::new(Method::GET, "/")).await;
        assert!(!DROPPED.load(Ordering::SeqCst));
        drop(resp);
        assert!(DROPPED.load(Ordering::SeqCst));
    }

    #[tokio::test]
    async fn a_boxed_serve_handler_is_called_directly() {
        let boxed = BoxStreamHandler::from_serve(|_r: Request| async {
            Body::from_stream(tokio_stream::empty::<Result<Frame, Error>>())
        });
        // Through the pipe a streamed body would come back as a stream too; called
        // directly, the handler's own body is returned unchanged.
        let resp = stream_as_serve(boxed).call(Request::new(Method::GET, "/")).await;
        assert!(resp.body().is_stream() && resp.body().exact_len().is_none());
        let plain = |_r: Request| async { "direct" };
        let r =
            testing::call(&stream_as_serve(BoxStreamHandler::from_serve(plain)), Request::new(Method::GET, "/")).await;
        assert_eq!(r.text(), "direct");
    }
}
