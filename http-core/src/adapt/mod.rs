//! Adapters between the two handler forms, one per direction:
//!
//! | adapter | from | to | reads the request body |
//! |---|---|---|---|
//! | [`serve_as_stream`] → [`ServeAsStream`] | [`Handler`](crate::Handler) (Request → Response) | [`StreamHandler`](crate::StreamHandler) | whole, before the handler runs |
//! | [`stream_as_serve`] → [`StreamAsServe`] | [`StreamHandler`](crate::StreamHandler) (`&mut Stream`) | [`Handler`](crate::Handler) | as the stream handler reads it |
//!
//! Engines run stream handlers only, so serve-style code reaches them through
//! [`serve_as_stream`] (HTTP.jl's `streamhandler`). [`stream_as_serve`] goes the other way,
//! for in-process calls, tower services and serve-style middleware around stream handlers.
//! A serve-style handler boxed with [`BoxStreamHandler::from_serve`](crate::BoxStreamHandler::from_serve)
//! keeps its serve form, so a round trip through both adapters calls it directly.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")] async fn main() {
//! use http_core::{Method, Request, Stream, serve_as_stream, stream_as_serve, testing};
//! async fn shout(s: &mut Stream) {
//!     let body = s.read_to_end(64).await.unwrap_or_default();
//!     let _ = s.write(body.to_ascii_uppercase()).await;
//! }
//! let serve = stream_as_serve(shout); // a Handler
//! let stream = serve_as_stream(|_r: Request| async { "hi" }); // a StreamHandler
//! let req = || Request::new(Method::POST, "/").with_body("hey");
//! assert_eq!(testing::call(&serve, req()).await.text(), "HEY");
//! assert_eq!(testing::call_stream(&stream, req()).await.text(), "hi");
//! # }
//! ```

mod serve_as_stream;
mod stream_as_serve;

pub use serve_as_stream::{ServeAsStream, serve_as_stream};
pub use stream_as_serve::{StreamAsServe, stream_as_serve};
