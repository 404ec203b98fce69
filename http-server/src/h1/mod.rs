//! HTTP/1.1 (RFC 9112), split as hyper's `proto/h1` is: [`decode`] (request head and body
//! framing), [`encode`] (response head, chunks, trailers), [`conn`] (the connection state
//! machine and the `Transport` it gives to user code).

pub(crate) mod conn;
pub(crate) mod decode;
pub(crate) mod encode;
pub(crate) mod sendfile;
