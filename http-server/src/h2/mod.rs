//! HTTP/2 (RFC 9113) on the `h2` crate: [`conn`] drives a connection and its abuse
//! limits, [`transport`] carries one stream as the same `Stream` user code sees on
//! HTTP/1.1, [`upgrade`] carries a stream a handler took over after an
//! extended CONNECT (RFC 8441), and [`stats`] holds the counters they share.

pub(crate) mod conn;
pub(crate) mod stats;
pub(crate) mod transport;
pub(crate) mod upgrade;
