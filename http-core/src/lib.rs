//! # http-core
//!
//! The types every part of the framework shares: [`Request`], [`Response`], [`Body`],
//! [`RequestContext`], the two handler shapes ([`Handler`] for Request → Response,
//! [`StreamHandler`] for `&mut Stream`), and [`IntoResponse`].
//!
//! Protocol types (`Method`, `StatusCode`, `HeaderMap`, `Uri`, `Version`) are the `http`
//! crate's, re-exported here, so values move freely between this framework and the rest of
//! the Rust HTTP ecosystem.
//!
//! ```
//! use http_core::{Request, Method, testing};
//! async fn hello(req: Request) -> String {
//!     format!("Hello, {}!", req.query().unwrap_or("World"))
//! }
//! # #[tokio::main(flavor = "current_thread")] async fn main() {
//! let r = testing::call(&hello, Request::new(Method::GET, "/?you")).await;
//! assert_eq!(r.text(), "Hello, you!");
//! # }
//! ```

mod body;
mod context;
mod error;
mod handler;
mod panic;
mod request;
mod response;
mod stream;
pub mod testing;

pub use body::{Body, BodySender, Frame};
pub use context::{Deadline, Params, RequestContext};
pub use error::{BoxError, Error, ErrorKind};
pub use handler::{
    BoxFuture, BoxHandler, BoxStreamHandler, Handler, ServeStream, StreamFn, StreamHandler, streamhandler,
};
pub use panic::{catch_panic, panic_message};
pub use request::{Request, RequestHead};
pub use response::{IntoResponse, Response};
pub use stream::{OutgoingHead, Stream, Transport};

pub use bytes::Bytes;
pub use http::{self, HeaderMap, HeaderName, HeaderValue, Method, StatusCode, Uri, Version, header};
pub use tokio_util::sync::CancellationToken;
