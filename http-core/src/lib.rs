#![doc = include_str!("../README.md")]

pub mod adapt;
mod body;
mod context;
mod deferred;
pub mod engine;
mod error;
#[cfg(feature = "json")]
mod form;
mod handler;
mod health;
#[cfg(feature = "json")]
mod json;
pub mod metrics;
mod panic;
pub mod percent;
mod plain;
#[cfg(feature = "json")]
mod rejection;
mod request;
mod response;
mod spare_headers;
mod state;
mod store;
mod stream;
mod test_client;
pub mod testing;
#[cfg(feature = "tower")]
pub mod tower;
mod upgrade;

pub use adapt::{ServeAsStream, StreamAsServe, serve_as_stream, stream_as_serve};
pub use body::{Body, BodySender, Frame};
pub use context::{Deadline, Forwarded, Params, RequestContext};
pub use deferred::{DEFAULT_MAX_PENDING, Deferred, ParkError, Parked, Responder};
pub use error::{BoxError, Error, ErrorKind};
pub use handler::{BoxFuture, BoxHandler, BoxStreamHandler, Handler, StreamFn, StreamHandler, stream_fn};
pub use health::Health;
pub use panic::{catch_panic, panic_message};
pub use request::{Request, RequestHead};
pub use response::{IntoResponse, Response};
pub use stream::Stream;
pub use upgrade::Upgraded;

#[cfg(feature = "json")]
pub use form::from_urlencoded;
#[cfg(feature = "json")]
pub use json::{Json, from_json_slice};
pub use plain::{PLAIN_MAX_BODY_BYTES, Plain, PlainAsyncHandler, PlainHandler, plain, plain_async};
#[cfg(feature = "json")]
pub use rejection::{DEFAULT_BODY_LIMIT, Rejection};
pub use state::{SharedMap, State, WithState, with_state, with_state_arc};
#[cfg(feature = "redis")]
pub use store::RedisStore;
pub use store::{Store, StoreError, StoreErrorKind, UPDATE_ATTEMPTS};

pub use bytes::Bytes;
pub use http::{self, HeaderMap, HeaderName, HeaderValue, Method, StatusCode, Uri, Version, header};
pub use tokio_util::sync::CancellationToken;
