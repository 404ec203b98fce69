//! tower interop (feature `tower`), both ways.
//!
//! | you have | you want | use |
//! |---|---|---|
//! | a [`Handler`] or a `Router` | a `tower::Service` (for hyper, axum, tower layers) | [`into_service`] |
//! | a `tower::Service` (axum app, tower-http stack) | a [`Handler`] to mount or serve | [`from_service`] |
//! | a `tower::Layer` (compression, CORS, trace, ...) | middleware around handlers | [`middleware`], [`with_layer`] |
//! | any `http_body::Body` | a [`Body`] | [`Body::from_http_body`] |
//!
//! [`Body`] implements [`http_body::Body`] (data frames as [`Bytes`], trailers as a trailers
//! frame, the exact length as the size hint), so our responses go straight to hyper.
//!
//! The request context travels through tower stacks as an `http` extension: a
//! [`Request`] converted with [`Request::into_http`] and back keeps its route, parameters,
//! deadline and extensions.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")] async fn main() {
//! use http_core::{Body, Request, testing, tower::{from_service, into_service}};
//! use tower::ServiceExt;
//!
//! async fn hello(req: Request) -> String {
//!     format!("hello {}", req.path())
//! }
//!
//! // Handler → tower::Service
//! let svc = into_service(hello);
//! let resp = svc.clone().oneshot(http::Request::new(Body::from("x"))).await.unwrap();
//! assert_eq!(resp.status(), 200);
//!
//! // tower::Service → Handler
//! let handler = from_service(svc);
//! let r = testing::call(&handler, Request::new(http::Method::GET, "/there")).await;
//! assert_eq!(r.text(), "hello /there");
//! # }
//! ```

use std::any::Any;
use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::{Buf, Bytes};
use http::StatusCode;
use tower_service::Service;

use crate::body::{Body, Frame};
use crate::error::{BoxError, Error};
use crate::handler::{BoxFuture, BoxHandler, Handler};
use crate::panic::catch_panic;
use crate::request::Request;
use crate::response::Response;

/// The request-body limit of an [`into_service`] service unless changed: 10 MiB, the
/// server's default `max_body_bytes`.
///
/// ```
/// assert_eq!(http_core::tower::DEFAULT_MAX_BODY_BYTES, 10 << 20);
/// ```
pub const DEFAULT_MAX_BODY_BYTES: usize = 10 * 1024 * 1024;

impl http_body::Body for Body {
    type Data = Bytes;
    type Error = Error;

    fn poll_frame(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<http_body::Frame<Bytes>, Error>>> {
        Body::poll_frame(self.get_mut(), cx).map(|f| {
            f.map(|r| {
                r.map(|frame| match frame {
                    Frame::Data(d) => http_body::Frame::data(d),
                    Frame::Trailers(t) => http_body::Frame::trailers(t),
                })
            })
        })
    }

    fn is_end_stream(&self) -> bool {
        self.is_empty()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        match self.exact_len() {
            Some(n) => http_body::SizeHint::with_exact(n),
            None => http_body::SizeHint::default(),
        }
    }
}

impl Body {
    /// Wraps any [`http_body::Body`] (hyper's `Incoming`, axum's body, a tower-http
    /// compression body, ...) as a [`Body`]. Data frames become [`Frame::Data`], trailers
    /// [`Frame::Trailers`]; an exact size hint becomes [`exact_len`](Body::exact_len). A
    /// [`Body`] passed in comes back as it is, not wrapped again.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// use http_core::Body;
    /// let theirs = http_body_util::Full::new(bytes::Bytes::from("abc"));
    /// let ours = Body::from_http_body(theirs);
    /// assert_eq!(ours.exact_len(), Some(3));
    /// assert_eq!(ours.collect(16).await.unwrap(), "abc");
    /// # }
    /// ```
    pub fn from_http_body<B>(body: B) -> Body
    where
        B: http_body::Body + Send + 'static,
        B::Error: Into<BoxError>,
    {
        let mut slot = Some(body);
        if let Some(ours) = (&mut slot as &mut dyn Any).downcast_mut::<Option<Body>>() {
            return ours.take().unwrap_or_default();
        }
        let Some(body) = slot else { return Body::empty() };
        if body.is_end_stream() {
            return Body::empty();
        }
        let len = body.size_hint().exact();
        let stream = Body::from_stream(HttpBodyFrames(Box::pin(body)));
        match len {
            Some(n) => stream.with_exact_len(n),
            None => stream,
        }
    }
}

/// An `http_body::Body` as a stream of our frames.
struct HttpBodyFrames<B>(Pin<Box<B>>);

impl<B> tokio_stream::Stream for HttpBodyFrames<B>
where
    B: http_body::Body,
    B::Error: Into<BoxError>,
{
    type Item = Result<Frame, BoxError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        loop {
            let frame = match std::task::ready!(self.0.as_mut().poll_frame(cx)) {
                None => return Poll::Ready(None),
                Some(Err(e)) => return Poll::Ready(Some(Err(e.into()))),
                Some(Ok(f)) => f,
            };
            match frame.into_data() {
                Ok(mut data) => {
                    if data.has_remaining() {
                        let bytes = data.copy_to_bytes(data.remaining());
                        return Poll::Ready(Some(Ok(Frame::Data(bytes))));
                    }
                }
                Err(frame) => {
                    if let Ok(trailers) = frame.into_trailers() {
                        return Poll::Ready(Some(Ok(Frame::Trailers(trailers))));
                    }
                    // Frames of kinds this framework does not know are skipped.
                }
            }
        }
    }
}

/// A [`Handler`] as a `tower::Service<http::Request<B>>`; made by [`into_service`].
///
/// The service never fails (`Error = Infallible`): every outcome is a response. Like the
/// server's serve-style path, it reads the request body before calling the handler, up to
/// [`max_body_bytes`](HandlerService::max_body_bytes) (413 past it, 400 for a broken
/// body); [`stream_body`](HandlerService::stream_body) passes the body through unread
/// instead. A panicking handler costs its request a 500, logged as an `ERROR` event.
///
/// ```
/// use http_core::{Request, tower::into_service};
/// let svc = into_service(|_r: Request| async { "hi" }).max_body_bytes(1024);
/// # let _ = svc;
/// ```
pub struct HandlerService<H> {
    handler: Arc<H>,
    max_body: Option<usize>,
}

/// Turns a [`Handler`] (a function, a `Router`, a [`BoxHandler`]) into a
/// `tower::Service`, to be served by hyper or mounted in axum
/// (`Router::nest_service`, `fallback_service`).
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// use http_core::{Body, Request, tower::into_service};
/// use tower::ServiceExt;
/// let svc = into_service(|req: Request| async move { format!("{} {}", req.method(), req.path()) });
/// let req = http::Request::post("/items").body(Body::empty()).unwrap();
/// let resp = svc.oneshot(req).await.unwrap();
/// assert_eq!(resp.into_body().collect(64).await.unwrap(), "POST /items");
/// # }
/// ```
pub fn into_service<H: Handler>(handler: H) -> HandlerService<H> {
    HandlerService { handler: Arc::new(handler), max_body: Some(DEFAULT_MAX_BODY_BYTES) }
}

impl<H> HandlerService<H> {
    /// The largest request body read before the handler runs; a larger one is answered
    /// 413 without calling it. Default: [`DEFAULT_MAX_BODY_BYTES`] (10 MiB).
    ///
    /// ```
    /// use http_core::{Request, tower::into_service};
    /// let svc = into_service(|_r: Request| async { "" }).max_body_bytes(64 * 1024);
    /// # let _ = svc;
    /// ```
    pub fn max_body_bytes(mut self, limit: usize) -> Self {
        self.max_body = Some(limit);
        self
    }

    /// Passes the request body to the handler unread, as a streamed [`Body`] (for
    /// handlers that stream uploads, or behind a layer that already limits bodies).
    /// Default: off (the body is read first, as by the server).
    ///
    /// ```
    /// use http_core::{Request, tower::into_service};
    /// let svc = into_service(|_r: Request| async { "" }).stream_body();
    /// # let _ = svc;
    /// ```
    pub fn stream_body(mut self) -> Self {
        self.max_body = None;
        self
    }
}

impl<H> Clone for HandlerService<H> {
    fn clone(&self) -> Self {
        HandlerService { handler: self.handler.clone(), max_body: self.max_body }
    }
}

impl<H> std::fmt::Debug for HandlerService<H> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HandlerService").field("max_body", &self.max_body).finish()
    }
}

impl<H, B> Service<http::Request<B>> for HandlerService<H>
where
    H: Handler,
    B: http_body::Body + Send + 'static,
    B::Error: Into<BoxError>,
{
    type Response = http::Response<Body>;
    type Error = Infallible;
    type Future = BoxFuture<'static, Result<http::Response<Body>, Infallible>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: http::Request<B>) -> Self::Future {
        let handler = self.handler.clone();
        let max_body = self.max_body;
        Box::pin(async move {
            let (parts, body) = req.into_parts();
            let mut body = Body::from_http_body(body);
            if let Some(limit) = max_body {
                let declared = parts.headers.get(http::header::CONTENT_LENGTH).and_then(|v| v.to_str().ok());
                if declared.and_then(|v| v.trim().parse::<u64>().ok()).is_some_and(|n| n > limit as u64) {
                    return Ok(Response::error(StatusCode::PAYLOAD_TOO_LARGE).into_http());
                }
                body = match body.collect(limit).await {
                    Ok(bytes) => Body::from(bytes),
                    Err(e) => {
                        let status =
                            if e.is_body_too_large() { StatusCode::PAYLOAD_TOO_LARGE } else { StatusCode::BAD_REQUEST };
                        tracing::info!(error = %e, status = status.as_u16(), "request body rejected");
                        return Ok(Response::error(status).into_http());
                    }
                };
            }
            let req = Request::from(http::Request::from_parts(parts, body));
            let resp = match catch_panic(handler.call(req)).await {
                Ok(r) => r,
                Err(msg) => {
                    tracing::error!(panic = %msg, "handler panicked; answering 500");
                    Response::error(StatusCode::INTERNAL_SERVER_ERROR)
                }
            };
            Ok(resp.into_http())
        })
    }
}

/// A `tower::Service` as a [`Handler`]; made by [`from_service`].
///
/// ```
/// use http_core::{Body, tower::from_service};
/// let svc = tower::service_fn(|_req: http::Request<Body>| async {
///     Ok::<_, std::convert::Infallible>(http::Response::new(Body::from("from tower")))
/// });
/// let handler = from_service(svc);
/// # let _ = handler;
/// ```
#[derive(Debug, Clone)]
pub struct ServiceHandler<S> {
    svc: S,
}

/// Turns any `tower::Service<http::Request<Body>>` (an axum `Router`, a tower-http stack,
/// a `service_fn`) into a [`Handler`], to serve it with our server or mount it in a
/// `Router`.
///
/// Each request clones the service (the tower convention), waits for `poll_ready`, and
/// calls it with the request as `http::Request<Body>` (the [`RequestContext`] rides along
/// as an extension). The response body may be any `http_body::Body`. A service error is
/// logged as an `ERROR` event and answered 500.
///
/// Services that are `Clone` but not `Sync` can be wrapped in
/// `tower::util::BoxCloneSyncService`.
///
/// [`RequestContext`]: crate::RequestContext
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// use http_core::{Body, Method, Request, testing, tower::from_service};
/// let svc = tower::service_fn(|req: http::Request<Body>| async move {
///     let n = req.headers().len();
///     Ok::<_, std::convert::Infallible>(http::Response::new(Body::from(format!("{n} headers"))))
/// });
/// let handler = from_service(svc);
/// let r = testing::call(&handler, Request::new(Method::GET, "/").with_header("a", "1")).await;
/// assert_eq!(r.text(), "1 headers");
/// # }
/// ```
pub fn from_service<S>(svc: S) -> ServiceHandler<S> {
    ServiceHandler { svc }
}

impl<S> ServiceHandler<S> {
    /// The wrapped service.
    ///
    /// ```
    /// let h = http_core::tower::from_service(7u8);
    /// assert_eq!(*h.get_ref(), 7);
    /// ```
    pub fn get_ref(&self) -> &S {
        &self.svc
    }
}

impl<S, ResB> Handler for ServiceHandler<S>
where
    S: Service<http::Request<Body>, Response = http::Response<ResB>> + Clone + Send + Sync + 'static,
    S::Future: Send,
    S::Error: Into<BoxError>,
    ResB: http_body::Body + Send + 'static,
    ResB::Error: Into<BoxError>,
{
    fn call(&self, req: Request) -> impl Future<Output = Response> + Send {
        let mut svc = self.svc.clone();
        async move {
            if let Err(e) = std::future::poll_fn(|cx| svc.poll_ready(cx)).await {
                let e: BoxError = e.into();
                tracing::error!(error = %e, "tower service not ready; answering 503");
                return Response::error(StatusCode::SERVICE_UNAVAILABLE);
            }
            match svc.call(req.into_http()).await {
                Ok(resp) => {
                    let (parts, body) = resp.into_parts();
                    Response::from_parts(parts.status, parts.headers, Body::from_http_body(body))
                }
                Err(e) => {
                    let e: BoxError = e.into();
                    tracing::error!(error = %e, "tower service failed; answering 500");
                    Response::error(StatusCode::INTERNAL_SERVER_ERROR)
                }
            }
        }
    }
}

/// Wraps one handler in a `tower::Layer`: the layer's service sees the request as
/// `http::Request<Body>` and calls `handler` inside (its body passed through unread).
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// use std::time::Duration;
/// use http_core::{Method, Request, testing, tower::with_layer};
/// let h = with_layer(|_r: Request| async { "fast" }, tower::timeout::TimeoutLayer::new(Duration::from_secs(5)));
/// assert_eq!(testing::call(&h, Request::new(Method::GET, "/")).await.text(), "fast");
/// # }
/// ```
pub fn with_layer<H, L>(handler: H, layer: L) -> ServiceHandler<L::Service>
where
    H: Handler,
    L: tower_layer::Layer<HandlerService<H>>,
{
    from_service(layer.layer(into_service(handler).stream_body()))
}

/// A `tower::Layer` as middleware: a function from [`BoxHandler`] to [`BoxHandler`], which
/// is what `http_router::Router::use_middleware` and `route_with` accept (any
/// `Fn(BoxHandler) -> BoxHandler` is an `http_router::Layer`).
///
/// tower-http's layers work unchanged: `CompressionLayer`, `CorsLayer`, `TraceLayer`,
/// `SetResponseHeaderLayer`, ... Stream routes wrapped this way have their request body
/// read first (up to the server's `max_body_bytes`), like any serve-style middleware.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// use std::time::Duration;
/// use http_core::{BoxHandler, Handler, Method, Request, testing, tower::middleware};
/// let mw = middleware(tower::timeout::TimeoutLayer::new(Duration::from_secs(5)));
/// let h: BoxHandler = mw(BoxHandler::new(|_r: Request| async { "ok" }));
/// assert_eq!(testing::call(&h, Request::new(Method::GET, "/")).await.text(), "ok");
/// # }
/// ```
pub fn middleware<L, ResB>(layer: L) -> impl Fn(BoxHandler) -> BoxHandler + Clone + Send + Sync + 'static
where
    L: tower_layer::Layer<HandlerService<BoxHandler>> + Clone + Send + Sync + 'static,
    L::Service: Service<http::Request<Body>, Response = http::Response<ResB>> + Clone + Send + Sync + 'static,
    <L::Service as Service<http::Request<Body>>>::Future: Send,
    <L::Service as Service<http::Request<Body>>>::Error: Into<BoxError>,
    ResB: http_body::Body + Send + 'static,
    ResB::Error: Into<BoxError>,
{
    move |next: BoxHandler| BoxHandler::new(with_layer(next, layer.clone()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{HeaderMap, Method, testing};
    use tower::ServiceExt;

    #[tokio::test]
    async fn body_frames_and_trailers_cross_both_ways() {
        let mut trailers = HeaderMap::new();
        trailers.insert("x-sum", "3".parse().unwrap());
        let frames = vec![Ok::<_, Infallible>(Frame::Data("ab".into())), Ok(Frame::Trailers(trailers.clone()))];
        let ours = Body::from_stream(tokio_stream::iter(frames));
        // ours → http_body → ours: the frames survive.
        let mut back = Body::from_http_body(http_body_util::BodyExt::map_err(ours, |e| e));
        assert_eq!(back.next_frame().await.unwrap().unwrap(), Frame::Data("ab".into()));
        assert_eq!(back.next_frame().await.unwrap().unwrap(), Frame::Trailers(trailers));
        assert!(back.next_frame().await.is_none());
    }

    #[tokio::test]
    async fn our_body_is_not_wrapped_twice() {
        let b = Body::from("x");
        let b = Body::from_http_body(b);
        assert_eq!(b.as_bytes().unwrap(), "x", "still a whole body");
    }

    #[tokio::test]
    async fn service_enforces_body_limit_and_catches_panics() {
        let svc =
            into_service(|r: Request| async move { r.body().exact_len().unwrap_or(999).to_string() }).max_body_bytes(4);
        let ok = svc.clone().oneshot(http::Request::new(Body::from("abcd"))).await.unwrap();
        assert_eq!(ok.into_body().collect(16).await.unwrap(), "4");
        let big = svc.clone().oneshot(http::Request::new(Body::from("abcde"))).await.unwrap();
        assert_eq!(big.status(), StatusCode::PAYLOAD_TOO_LARGE);
        let declared = http::Request::builder().header("content-length", "100").body(Body::empty()).unwrap();
        assert_eq!(svc.oneshot(declared).await.unwrap().status(), StatusCode::PAYLOAD_TOO_LARGE);

        async fn boom(_r: Request) -> &'static str {
            panic!("boom")
        }
        let panics = into_service(boom);
        let r = panics.oneshot(http::Request::new(Body::empty())).await.unwrap();
        assert_eq!(r.status(), StatusCode::INTERNAL_SERVER_ERROR);
    }

    #[tokio::test]
    async fn context_survives_a_layer() {
        let inner = |r: Request| async move { r.param("id").unwrap_or("none").to_owned() };
        let h = with_layer(inner, tower::layer::util::Identity::new());
        let mut req = Request::new(Method::GET, "/");
        req.context_mut().params_mut().push("id", "7");
        assert_eq!(testing::call(&h, req).await.text(), "7");
    }

    #[tokio::test]
    async fn service_errors_become_500() {
        let failing = tower::service_fn(|_r: http::Request<Body>| async {
            Err::<http::Response<Body>, _>(std::io::Error::other("down"))
        });
        let r = testing::call(&from_service(failing), Request::new(Method::GET, "/")).await;
        assert_eq!(r.status, StatusCode::INTERNAL_SERVER_ERROR);
    }
}
