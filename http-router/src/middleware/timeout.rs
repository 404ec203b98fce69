//! `handlertimeout`: a deadline for the handler, after which it is dropped and a fixed
//! response (503 by default) is sent.

use std::time::Duration;

use bytes::Bytes;
use http_core::{
    BoxHandler, BoxStreamHandler, Handler, HeaderValue, Request, Response, StatusCode, Stream, StreamHandler, header,
};

use super::Layer;

/// HTTP.jl's `handlertimeout(timeout; status = 503, body = "handler timed out",
/// content_type = "text/plain; charset=utf-8")`.
///
/// The handler runs with a child [`RequestContext`](http_core::RequestContext) whose
/// deadline is the earlier of `timeout` from now and the parent's deadline, and which is
/// cancelled with the parent. When the deadline passes first, the child context is
/// cancelled, the handler's future is **dropped** (so its destructors — guards, open
/// files, connections — run right away, unlike HTTP.jl, where the task keeps running) and
/// the configured response is sent with Content-Length.
///
/// A handler's panic is not caught here (add [`catch_panics`](crate::catch_panics)
/// outside). On a stream route the same deadline covers the whole handler; if it had
/// already started its response when the deadline passed, no timeout response can be sent
/// and the response ends where it was cut.
///
/// # Panics
/// On a zero `timeout` (HTTP.jl's `ArgumentError`).
///
/// ```
/// use std::time::Duration;
/// use http_core::{Method, Request, testing};
/// use http_router::{Router, handlertimeout};
/// async fn slow(_r: Request) -> &'static str {
///     tokio::time::sleep(Duration::from_secs(1)).await;
///     "done"
/// }
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let router = Router::new().route_with("GET /slow", slow, [handlertimeout(Duration::from_millis(20))]);
/// let r = testing::call(&router, Request::new(Method::GET, "/slow")).await;
/// assert_eq!((r.status.as_u16(), r.text().as_str()), (503, "handler timed out"));
/// # }
/// ```
pub fn handlertimeout(timeout: Duration) -> HandlerTimeout {
    assert!(!timeout.is_zero(), "handlertimeout: the timeout must be greater than zero");
    HandlerTimeout {
        timeout,
        status: StatusCode::SERVICE_UNAVAILABLE,
        body: Bytes::from_static(b"handler timed out"),
        content_type: HeaderValue::from_static("text/plain; charset=utf-8"),
    }
}

/// The layer made by [`handlertimeout`]; its setters change the timeout response.
///
/// ```
/// use std::time::Duration;
/// use http_core::{Method, Request, StatusCode, testing};
/// use http_router::{HandlerTimeout, Router, handlertimeout};
/// async fn slow(_r: Request) -> &'static str {
///     tokio::time::sleep(Duration::from_secs(5)).await;
///     "done"
/// }
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let layer: HandlerTimeout = handlertimeout(Duration::from_millis(10)).status(StatusCode::GATEWAY_TIMEOUT).body("late");
/// let router = Router::new().route_with("GET /", slow, [layer]);
/// let r = testing::call(&router, Request::new(Method::GET, "/")).await;
/// assert_eq!((r.status, r.text().as_str()), (StatusCode::GATEWAY_TIMEOUT, "late"));
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct HandlerTimeout {
    timeout: Duration,
    status: StatusCode,
    body: Bytes,
    content_type: HeaderValue,
}

impl HandlerTimeout {
    /// The status of the timeout response. Default: 503 Service Unavailable.
    ///
    /// ```
    /// # use std::time::Duration;
    /// let t = http_router::handlertimeout(Duration::from_secs(1)).status(http_core::StatusCode::GATEWAY_TIMEOUT);
    /// # let _ = t;
    /// ```
    pub fn status(mut self, status: StatusCode) -> Self {
        self.status = status;
        self
    }

    /// The body of the timeout response. Default: `handler timed out`.
    ///
    /// ```
    /// # use std::time::Duration;
    /// let t = http_router::handlertimeout(Duration::from_secs(1)).body("too slow");
    /// # let _ = t;
    /// ```
    pub fn body(mut self, body: impl Into<Bytes>) -> Self {
        self.body = body.into();
        self
    }

    /// The Content-Type of the timeout response. Default: `text/plain; charset=utf-8`.
    ///
    /// # Panics
    /// When `content_type` is not a valid header value.
    ///
    /// ```
    /// # use std::time::Duration;
    /// let t = http_router::handlertimeout(Duration::from_secs(1)).content_type("application/json").body("{}");
    /// # let _ = t;
    /// ```
    pub fn content_type(mut self, content_type: &str) -> Self {
        self.content_type = HeaderValue::from_str(content_type).expect("handlertimeout: invalid content type");
        self
    }

    /// The timeout.
    ///
    /// ```
    /// use std::time::Duration;
    /// assert_eq!(http_router::handlertimeout(Duration::from_secs(30)).timeout(), Duration::from_secs(30));
    /// ```
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    fn response(&self) -> Response {
        Response::new(self.status)
            .with_header_value(header::CONTENT_TYPE, self.content_type.clone())
            .with_body(self.body.clone())
    }
}

impl Layer for HandlerTimeout {
    fn wrap_serve(&self, next: BoxHandler) -> BoxHandler {
        let cfg = self.clone();
        BoxHandler::new(move |mut req: Request| {
            let next = next.clone();
            let cfg = cfg.clone();
            async move {
                let mut child = req.context_mut().child(cfg.timeout);
                let token = child.cancellation();
                let deadline = child.deadline().map(|d| d.instant()).unwrap_or_else(std::time::Instant::now);
                *req.context_mut() = child;
                let route = req.route().map(str::to_owned);
                let mut fut = Box::pin(next.call(req));
                let outcome = tokio::time::timeout_at(deadline.into(), &mut fut).await;
                match outcome {
                    Ok(resp) => resp,
                    Err(_) => {
                        drop(fut);
                        token.cancel();
                        http_core::metrics::handler_timed_out();
                        tracing::warn!(
                            route = route.as_deref(),
                            timeout_ms = cfg.timeout.as_millis() as u64,
                            "handler timed out"
                        );
                        cfg.response()
                    }
                }
            }
        })
    }

    fn wrap_stream(&self, next: BoxStreamHandler) -> BoxStreamHandler {
        let cfg = self.clone();
        BoxStreamHandler::new(TimeoutStream { cfg, next })
    }
}

struct TimeoutStream {
    cfg: HandlerTimeout,
    next: BoxStreamHandler,
}

impl StreamHandler for TimeoutStream {
    async fn call(&self, s: &mut Stream) {
        let mut child = s.context_mut().child(self.cfg.timeout);
        let token = child.cancellation();
        let deadline = child.deadline().map(|d| d.instant()).unwrap_or_else(std::time::Instant::now);
        let parent = std::mem::replace(s.context_mut(), child);
        let outcome = {
            let fut = self.next.call(s);
            tokio::time::timeout_at(deadline.into(), fut).await
        };
        *s.context_mut() = parent;
        if outcome.is_err() {
            token.cancel();
            http_core::metrics::handler_timed_out();
            tracing::warn!(
                route = s.context().route(),
                timeout_ms = self.cfg.timeout.as_millis() as u64,
                "handler timed out"
            );
            if !s.is_head_sent() {
                // The handler may have set headers meant for its own response.
                s.response_headers_mut().clear();
                let _ = s.write_response(self.cfg.response()).await;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_core::{Method, testing};
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};

    struct SetOnDrop(Arc<AtomicBool>);
    impl Drop for SetOnDrop {
        fn drop(&mut self) {
            self.0.store(true, Ordering::SeqCst);
        }
    }

    #[tokio::test]
    async fn fast_handler_passes_with_child_deadline() {
        let h = handlertimeout(Duration::from_secs(5)).wrap_serve(BoxHandler::new(|req: Request| async move {
            let left = req.context().deadline().unwrap().remaining();
            assert!(left <= Duration::from_secs(5) && left > Duration::from_secs(4));
            "ok"
        }));
        let r = testing::call(&h, Request::new(Method::GET, "/")).await;
        assert_eq!((r.status.as_u16(), r.text().as_str()), (200, "ok"));
    }

    #[tokio::test]
    async fn parent_deadline_wins_when_earlier() {
        let h = handlertimeout(Duration::from_secs(60)).wrap_serve(BoxHandler::new(|_r: Request| async {
            tokio::time::sleep(Duration::from_secs(5)).await;
            "late"
        }));
        let mut req = Request::new(Method::GET, "/");
        req.context_mut().limit_deadline(http_core::Deadline::after(Duration::from_millis(20)));
        let started = std::time::Instant::now();
        let r = testing::call(&h, req).await;
        assert_eq!(r.status.as_u16(), 503);
        assert!(started.elapsed() < Duration::from_secs(2));
    }

    #[tokio::test]
    async fn configured_response_and_cancelled_child() {
        let dropped = Arc::new(AtomicBool::new(false));
        let token_slot = Arc::new(std::sync::Mutex::new(None));
        let (d, slot) = (dropped.clone(), token_slot.clone());
        let h = handlertimeout(Duration::from_millis(20))
            .status(StatusCode::GATEWAY_TIMEOUT)
            .body("{\"error\":\"slow\"}")
            .content_type("application/json")
            .wrap_serve(BoxHandler::new(move |mut req: Request| {
                let guard = SetOnDrop(d.clone());
                *slot.lock().unwrap() = Some(req.context_mut().cancellation());
                async move {
                    let _guard = guard;
                    tokio::time::sleep(Duration::from_secs(5)).await;
                    "late"
                }
            }));
        let r = testing::call(&h, Request::new(Method::GET, "/")).await;
        assert_eq!(r.status, StatusCode::GATEWAY_TIMEOUT);
        assert_eq!(r.text(), "{\"error\":\"slow\"}");
        assert_eq!(r.header("content-type"), Some("application/json"));
        assert!(dropped.load(Ordering::SeqCst), "the handler's future was dropped");
        assert!(token_slot.lock().unwrap().as_ref().unwrap().is_cancelled(), "the child context was cancelled");
    }

    #[tokio::test]
    async fn stream_form_drops_and_answers() {
        static DROPPED: AtomicBool = AtomicBool::new(false);
        async fn h(s: &mut Stream) {
            struct G;
            impl Drop for G {
                fn drop(&mut self) {
                    DROPPED.store(true, Ordering::SeqCst);
                }
            }
            let _g2 = G;
            let _ = s.setheader("x-partial", "1");
            tokio::time::sleep(Duration::from_secs(5)).await;
        }
        let wrapped = handlertimeout(Duration::from_millis(20)).wrap_stream(BoxStreamHandler::new(h));
        let r = testing::call_stream(&wrapped, Request::new(Method::GET, "/")).await;
        assert_eq!((r.status.as_u16(), r.text().as_str()), (503, "handler timed out"));
        assert_eq!(r.header("x-partial"), None);
        assert!(DROPPED.load(Ordering::SeqCst));
    }

    #[test]
    #[should_panic(expected = "greater than zero")]
    fn zero_timeout_panics() {
        let _ = handlertimeout(Duration::ZERO);
    }
}
