#![doc = include_str!("../README.md")]

mod body;
mod builder;
mod client;
mod connect;
mod decode;
mod error;
mod h1;
mod h2;
mod open;
mod pool;
mod proxy;
pub mod redirect;
mod response;
mod service;
mod sse;
mod url;

pub use body::body_from_reader;
pub use builder::{ClientBuilder, HttpVersion};
pub use client::{Client, Request, RequestBuilder};
pub use error::{Error, ErrorKind, Result};
pub use http_core::{Body, BodySender, Frame};
#[doc(no_inline)]
pub use http_sse::SseEvent;
pub use open::RequestWriter;
pub use response::{Hop, Response};
pub use service::ResponseFuture;
pub use sse::{DEFAULT_RETRY, EventSource};

pub use bytes::Bytes;
pub use http::{self, HeaderMap, HeaderName, HeaderValue, Method, StatusCode, Version, header};

/// GET `url` with the process-wide client (HTTP.jl's `HTTP.get(url)`).
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// # let server = http_server::Server::serve(http_server::ServerOptions::new().host("127.0.0.1").port(0), |_: http_core::Request| async { "hi" }).await.unwrap();
/// let body = http_client::get(&server.url()).await.unwrap().text().await.unwrap();
/// assert_eq!(body, "hi");
/// # server.forceclose().await;
/// # }
/// ```
pub async fn get(url: &str) -> Result<Response> {
    Client::shared().get(url).send().await
}

/// HTTP.jl's `HTTP.request(method, url, headers, body)` with the process-wide client.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// # let server = http_server::Server::serve(http_server::ServerOptions::new().host("127.0.0.1").port(0), |mut req: http_core::Request| async move { req.take_body().collect(1 << 20).await.unwrap() }).await.unwrap();
/// use http_client::{HeaderMap, Method};
/// let res = http_client::request(Method::PUT, &server.url(), HeaderMap::new(), "data").await.unwrap();
/// assert_eq!(res.bytes().await.unwrap(), "data");
/// # server.forceclose().await;
/// # }
/// ```
pub async fn request(method: Method, url: &str, headers: HeaderMap, body: impl Into<Body>) -> Result<Response> {
    Client::shared().request(method, url).headers(headers).body(body).send().await
}

/// HTTP.jl's `HTTP.open(method, url, headers)`: the request starts, its body is written
/// through the [`RequestWriter`], then its response is read.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// # let server = http_server::Server::serve(http_server::ServerOptions::new().host("127.0.0.1").port(0), |mut req: http_core::Request| async move { req.take_body().collect(1 << 20).await.unwrap() }).await.unwrap();
/// use http_client::{HeaderMap, Method};
/// let mut w = http_client::open(Method::POST, &server.url(), HeaderMap::new());
/// w.write("streamed").await.unwrap();
/// let mut res = w.response().await.unwrap();
/// assert_eq!(res.chunk().await.unwrap().unwrap(), "streamed");
/// # server.forceclose().await;
/// # }
/// ```
pub fn open(method: Method, url: &str, headers: HeaderMap) -> RequestWriter {
    Client::shared().request(method, url).headers(headers).open()
}
