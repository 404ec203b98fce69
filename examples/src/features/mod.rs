//! One module per feature. The `showcase` binary mounts echo, trailers, sse, routing and ws;
//! counter, deferred, interop, json_api and plain each have a binary of their own.

pub mod counter;
pub mod deferred;
pub mod echo;
pub mod interop;
pub mod json_api;
pub mod plain;
pub mod routing;
pub mod sse;
pub mod trailers;
pub mod ws;
