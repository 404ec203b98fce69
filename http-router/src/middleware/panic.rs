//! Catching handler panics: 500 instead of a dropped connection.

use http_core::{
    BoxHandler, BoxStreamHandler, Handler, Request, Response, StatusCode, Stream, StreamHandler, catch_panic,
};

use super::Layer;

/// Turns a panic in the wrapped handler into `500 Internal Server Error`. The panic
/// message is logged (`tracing` ERROR), never sent to the client.
///
/// On a stream route that had already started its response, no status can be sent any
/// more; the response is left as it was cut.
///
/// ```
/// use http_core::{Method, Request, testing};
/// use http_router::{Router, catch_panics};
/// async fn boom(_r: Request) -> &'static str { panic!("secret detail") }
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let router = Router::new().use_middleware(catch_panics()).route("GET /", boom);
/// let r = testing::call(&router, Request::new(Method::GET, "/")).await;
/// assert_eq!(r.status.as_u16(), 500);
/// assert!(!r.text().contains("secret"));
/// # }
/// ```
pub fn catch_panics() -> CatchPanics {
    CatchPanics { _priv: () }
}

/// The layer made by [`catch_panics`].
///
/// ```
/// use http_core::{Method, Request, testing};
/// use http_router::{CatchPanics, Router, catch_panics};
/// async fn boom(_r: Request) -> &'static str { panic!("oops") }
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let layer: CatchPanics = catch_panics();
/// let router = Router::new().route_with("GET /boom", boom, [layer]);
/// assert_eq!(testing::call(&router, Request::new(Method::GET, "/boom")).await.status.as_u16(), 500);
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct CatchPanics {
    _priv: (),
}

impl Layer for CatchPanics {
    fn wrap_serve(&self, next: BoxHandler) -> BoxHandler {
        BoxHandler::new(move |req: Request| {
            let next = next.clone();
            async move {
                let path = req.path().to_owned();
                let call = std::pin::pin!(next.call(req));
                match catch_panic(call).await {
                    Ok(resp) => resp,
                    Err(msg) => {
                        http_core::metrics::handler_panicked();
                        tracing::error!(path = %path, panic = %msg, "handler panicked");
                        Response::error(StatusCode::INTERNAL_SERVER_ERROR)
                    }
                }
            }
        })
    }

    fn wrap_stream(&self, next: BoxStreamHandler) -> BoxStreamHandler {
        BoxStreamHandler::new(CatchStream { next })
    }
}

struct CatchStream {
    next: BoxStreamHandler,
}

impl StreamHandler for CatchStream {
    async fn call(&self, s: &mut Stream) {
        let path = s.startread().uri.path().to_owned();
        let result = {
            let call = std::pin::pin!(self.next.call(s));
            catch_panic(call).await
        };
        if let Err(msg) = result {
            http_core::metrics::handler_panicked();
            tracing::error!(path = %path, panic = %msg, "handler panicked");
            if !s.is_head_sent() {
                s.response_headers_mut().clear();
                let _ = s.write_response(Response::error(StatusCode::INTERNAL_SERVER_ERROR)).await;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_core::{Method, testing};

    #[tokio::test]
    async fn stream_panic_before_head_is_500() {
        async fn h(s: &mut Stream) {
            let _ = s.setheader("x-half", "1");
            if s.startread().uri.path() == "/boom" {
                panic!("boom");
            }
            let _ = s.write("fine").await;
        }
        let wrapped = catch_panics().wrap_stream(BoxStreamHandler::new(h));
        let r = testing::call_stream(&wrapped, Request::new(Method::GET, "/boom")).await;
        assert_eq!((r.status.as_u16(), r.header("x-half")), (500, None));
        let r = testing::call_stream(&wrapped, Request::new(Method::GET, "/ok")).await;
        assert_eq!((r.status.as_u16(), r.text().as_str()), (200, "fine"));
    }

    #[tokio::test]
    async fn stream_panic_after_head_keeps_what_was_sent() {
        async fn h(s: &mut Stream) {
            s.write("partial").await.unwrap();
            panic!("late");
        }
        let wrapped = catch_panics().wrap_stream(BoxStreamHandler::new(h));
        let r = testing::call_stream(&wrapped, Request::new(Method::GET, "/")).await;
        assert_eq!((r.status.as_u16(), r.text().as_str()), (200, "partial"));
    }
}
