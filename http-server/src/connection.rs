//! One accepted connection: choose the protocol engine and run it.
//!
//! Today every connection speaks HTTP/1.1. This is the seam where TLS (ALPN) and the
//! HTTP/2 prior-knowledge preface are recognised and handed to their engines.

use std::net::SocketAddr;
use std::sync::Arc;

use http_core::StreamHandler;
use tokio::net::TcpStream;
use tokio_util::sync::CancellationToken;

use crate::h1::conn::{ConnConfig, H1Transport, serve_connection};

/// Everything a connection task needs from its server.
pub(crate) struct ConnContext<H> {
    pub(crate) handler: Arc<H>,
    pub(crate) h1: Arc<ConnConfig>,
    pub(crate) graceful: CancellationToken,
}

impl<H> Clone for ConnContext<H> {
    fn clone(&self) -> Self {
        ConnContext { handler: self.handler.clone(), h1: self.h1.clone(), graceful: self.graceful.clone() }
    }
}

/// Serves one TCP connection to its end.
pub(crate) async fn serve_tcp<H: StreamHandler>(tcp: TcpStream, peer: SocketAddr, cx: ConnContext<H>) {
    let transport = H1Transport::new(tcp, Some(peer), cx.h1.clone(), cx.graceful.clone());
    serve_connection(transport, &*cx.handler).await;
}
