//! One module per feature; the `showcase` binary mounts them all.

pub mod echo;
pub mod trailers;
pub mod sse;
pub mod routing;
