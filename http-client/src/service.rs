//! The client as a `tower::Service`, for tower's layers (timeouts, retries, rate limits,
//! concurrency limits) and for code written against `Service`: over this crate's
//! [`Request`], and over `http::Request<Body>`.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use http_core::Body;

use crate::client::{Client, Request};
use crate::error::{Error, Result};
use crate::response::Response;

/// The future a client's `Service::call` returns.
pub type ResponseFuture = Pin<Box<dyn Future<Output = Result<Response>> + Send + 'static>>;

/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// # let server = http_server::Server::serve(http_server::ServerOptions::new().host("127.0.0.1").port(0), |_: http_core::Request| async { "hi" }).await.unwrap();
/// use tower_service::Service;
/// let mut client = http_client::Client::new();
/// let req = http_client::Request::new(http_client::Method::GET, &server.url());
/// let res = client.call(req).await.unwrap();
/// assert_eq!(res.text().await.unwrap(), "hi");
/// # server.forceclose().await;
/// # }
/// ```
impl tower_service::Service<Request> for Client {
    type Response = Response;
    type Error = Error;
    type Future = ResponseFuture;

    /// Always ready: the pool opens connections as requests need them.
    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: Request) -> Self::Future {
        let client = self.clone();
        Box::pin(async move { client.execute(req).await })
    }
}

/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// # let server = http_server::Server::serve(http_server::ServerOptions::new().host("127.0.0.1").port(0), |_: http_core::Request| async { "hi" }).await.unwrap();
/// use tower_service::Service;
/// let req = http::Request::get(server.url()).body(http_client::Body::empty()).unwrap();
/// let res = http_client::Client::new().call(req).await.unwrap();
/// assert_eq!(res.status(), 200);
/// # server.forceclose().await;
/// # }
/// ```
impl tower_service::Service<http::Request<Body>> for Client {
    type Response = Response;
    type Error = Error;
    type Future = ResponseFuture;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: http::Request<Body>) -> Self::Future {
        let (parts, body) = req.into_parts();
        let mut request = Request::new(parts.method, &parts.uri.to_string());
        *request.headers_mut() = parts.headers;
        request.set_body(body);
        self.call(request)
    }
}
