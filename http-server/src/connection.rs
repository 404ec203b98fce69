//! One accepted connection: choose the protocol engine and run it.
//!
//! - TLS port: a first byte that is not a TLS handshake record gets a plain-text 400 (a
//!   plain HTTP request sent to the HTTPS port); otherwise the rustls handshake runs under
//!   `tls_handshake_timeout` and ALPN picks HTTP/2 (`h2`) or HTTP/1.1.
//! - Cleartext port: the first bytes are compared with the HTTP/2 connection preface
//!   (RFC 9113 §3.4, prior knowledge); a match goes to HTTP/2 with the bytes replayed,
//!   anything else to HTTP/1.1 with the bytes already in its read buffer.
//! - Either port, with the PROXY protocol on: first the peer must be a trusted proxy and
//!   send a valid header ([`proxy_protocol`](crate::proxy_protocol)), whose address then
//!   stands for the peer's.

use std::net::SocketAddr;
use std::sync::Arc;

use bytes::BytesMut;
use http_core::StreamHandler;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::forwarded::{Cidr, Via, is_trusted};
use crate::h1::conn::{ConnConfig, H1Transport};
use crate::h1::dispatch::serve_connection;
use crate::h2::conn::{H2Config, serve_h2};
use crate::proxy_protocol;
use crate::signal::Signal;
use crate::tls::TlsConfig;
use http_core::engine::Rewind;

const PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

/// Everything a connection task needs from its server.
pub(crate) struct ConnContext<H> {
    pub(crate) handler: Arc<H>,
    pub(crate) h1: Arc<ConnConfig>,
    pub(crate) h2: Arc<H2Config>,
    pub(crate) tls: Option<TlsConfig>,
    pub(crate) graceful: Signal,
    /// Read a PROXY protocol header first (from trusted peers only).
    pub(crate) proxy_protocol: bool,
    pub(crate) trusted: Arc<[Cidr]>,
}

impl<H> Clone for ConnContext<H> {
    fn clone(&self) -> Self {
        ConnContext {
            handler: self.handler.clone(),
            h1: self.h1.clone(),
            h2: self.h2.clone(),
            tls: self.tls.clone(),
            graceful: self.graceful.clone(),
            proxy_protocol: self.proxy_protocol,
            trusted: self.trusted.clone(),
        }
    }
}

/// Serves one TCP connection to its end.
// This and `serve_cleartext` are not `async fn`s: an `async fn` keeps each argument twice
// in its future (the argument and its binding), and this future is every connection's
// task; the async blocks use what they captured in place.
#[expect(clippy::manual_async_fn, reason = "an async fn would hold its arguments twice")]
pub(crate) fn serve_tcp<H: StreamHandler>(
    mut tcp: TcpStream,
    mut peer: SocketAddr,
    cx: &ConnContext<H>,
) -> impl Future<Output = ()> {
    async move {
        let mut proxied_tls = false;
        if cx.proxy_protocol {
            if !is_trusted(&cx.trusted, peer.ip()) {
                tracing::info!(%peer, "connection to the PROXY protocol listener from an untrusted address; closing");
                return;
            }
            let deadline = tokio::time::Instant::now() + cx.h1.read_header_timeout;
            // Boxed: a rare path, and each connection's task is sized for its largest state.
            match Box::pin(proxy_protocol::read_header(&mut tcp, deadline)).await {
                Ok(header) => {
                    peer = header.source.unwrap_or(peer);
                    proxied_tls = header.tls;
                }
                Err(e) => {
                    tracing::info!(%peer, error = %e, "PROXY protocol header refused; closing");
                    return;
                }
            }
        }
        match &cx.tls {
            // Boxed: the TLS and HTTP/2 states are large, and each connection's task is sized
            // for its largest state; a cleartext HTTP/1 connection should not pay for them.
            Some(tls) => Box::pin(serve_tls(tcp, peer, tls, cx)).await,
            None => serve_cleartext(tcp, peer, proxied_tls, cx).await,
        }
    }
}

#[expect(clippy::manual_async_fn, reason = "an async fn would hold its arguments twice")]
fn serve_cleartext<H: StreamHandler>(
    mut tcp: TcpStream,
    peer: SocketAddr,
    secure: bool,
    cx: &ConnContext<H>,
) -> impl Future<Output = ()> {
    async move {
        let deadline = tokio::time::Instant::now() + cx.h1.read_header_timeout;
        // Usually one peek decides: an HTTP/1 request differs from the preface at its first
        // byte. Peeking leaves the bytes in the socket, so no buffer is allocated here; the
        // HTTP/1 engine sizes its own to what arrives (an idle connection stays small).
        let mut start = [0u8; PREFACE.len()];
        let n = match tokio::time::timeout_at(deadline, tcp.peek(&mut start)).await {
            Ok(Ok(n)) if n > 0 => n,
            _ => return,
        };
        if start[..n] != PREFACE[..n] {
            let transport =
                H1Transport::new(tcp, Some(peer), cx.h1.clone(), cx.graceful.clone()).via(Via { secure, local: false });
            serve_connection(transport, &*cx.handler).await;
            return;
        }
        if n == PREFACE.len() {
            Box::pin(serve_h2(
                Rewind::new(bytes::Bytes::new(), tcp),
                Some(peer),
                Via { secure, local: false },
                cx.handler.clone(),
                cx.h2.clone(),
            ))
            .await;
            return;
        }
        // Rare: a preface prefix arrived alone. Read until the rest decides.
        let mut buf = BytesMut::with_capacity(PREFACE.len());
        while buf.len() < PREFACE.len() && PREFACE.starts_with(&buf) {
            match tokio::time::timeout_at(deadline, tcp.read_buf(&mut buf)).await {
                Ok(Ok(n)) if n > 0 => {}
                Ok(_) => return,
                // A silent connection: let HTTP/1 answer a partial head with 408, or just close.
                Err(_) if buf.is_empty() => return,
                Err(_) => break,
            }
        }
        if buf.starts_with(PREFACE) {
            Box::pin(serve_h2(
                Rewind::new(buf.freeze(), tcp),
                Some(peer),
                Via { secure, local: false },
                cx.handler.clone(),
                cx.h2.clone(),
            ))
            .await;
        } else {
            let transport = H1Transport::new(tcp, Some(peer), cx.h1.clone(), cx.graceful.clone())
                .with_buffered(buf)
                .via(Via { secure, local: false });
            serve_connection(transport, &*cx.handler).await;
        }
    }
}

async fn serve_tls<H: StreamHandler>(tcp: TcpStream, peer: SocketAddr, tls: &TlsConfig, cx: &ConnContext<H>) {
    let timeout = cx.h2.handshake_timeout;
    let mut first = [0u8; 1];
    match tokio::time::timeout(timeout, tcp.peek(&mut first)).await {
        Ok(Ok(1)) => {}
        _ => return,
    }
    if first[0] != 0x16 {
        tracing::info!(%peer, "plain HTTP sent to the TLS port; answering 400");
        reject_plaintext(tcp).await;
        return;
    }
    let acceptor = tokio_rustls::TlsAcceptor::from(tls.current());
    let accepted = tokio::time::timeout(timeout, acceptor.accept(tcp)).await;
    if let Some(m) = &cx.h1.observe.metrics {
        m.tls_handshake(matches!(accepted, Ok(Ok(_))));
    }
    let stream = match accepted {
        Ok(Ok(s)) => s,
        Ok(Err(e)) => {
            tracing::debug!(%peer, error = %e, "TLS handshake failed");
            return;
        }
        Err(_) => {
            tracing::debug!(%peer, "TLS handshake timed out");
            return;
        }
    };
    if stream.get_ref().1.alpn_protocol() == Some(b"h2") {
        serve_h2(stream, Some(peer), Via { secure: true, local: false }, cx.handler.clone(), cx.h2.clone()).await;
    } else {
        let transport = H1Transport::new(stream, Some(peer), cx.h1.clone(), cx.graceful.clone())
            .via(Via { secure: true, local: false });
        serve_connection(transport, &*cx.handler).await;
    }
}

async fn reject_plaintext(mut tcp: TcpStream) {
    const BODY: &str = "This port speaks HTTPS; the request was sent as plain HTTP.\n";
    let response = format!(
        "HTTP/1.1 400 Bad Request\r\ncontent-type: text/plain; charset=utf-8\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{BODY}",
        BODY.len()
    );
    let _ = tokio::time::timeout(std::time::Duration::from_secs(1), async {
        let _ = tcp.write_all(response.as_bytes()).await;
        let _ = tcp.shutdown().await;
    })
    .await;
}

/// Serves one Unix domain socket connection: TLS when configured, else HTTP/1.1 or
/// HTTP/2 prior knowledge, told apart by reading (Unix sockets cannot peek) and replaying
/// the first bytes. The peer, a local process, counts as 127.0.0.1 for trusted proxies;
/// the PROXY protocol is read on TCP listeners only.
#[cfg(unix)]
pub(crate) async fn serve_unix<H: StreamHandler>(mut s: tokio::net::UnixStream, cx: &ConnContext<H>) {
    if let Some(tls) = cx.tls.clone() {
        let via = Via { secure: true, local: true };
        let acceptor = tokio_rustls::TlsAcceptor::from(tls.current());
        let accepted = tokio::time::timeout(cx.h2.handshake_timeout, acceptor.accept(s)).await;
        if let Some(m) = &cx.h1.observe.metrics {
            m.tls_handshake(matches!(accepted, Ok(Ok(_))));
        }
        let Ok(Ok(stream)) = accepted else {
            return;
        };
        if stream.get_ref().1.alpn_protocol() == Some(b"h2") {
            serve_h2(stream, None, via, cx.handler.clone(), cx.h2.clone()).await;
        } else {
            let t = H1Transport::new(stream, None, cx.h1.clone(), cx.graceful.clone()).via(via);
            serve_connection(t, &*cx.handler).await;
        }
        return;
    }
    let via = Via { secure: false, local: true };
    let deadline = tokio::time::Instant::now() + cx.h1.read_header_timeout;
    let mut buf = BytesMut::with_capacity(1024);
    while buf.len() < PREFACE.len() && PREFACE.starts_with(&buf) {
        match tokio::time::timeout_at(deadline, s.read_buf(&mut buf)).await {
            Ok(Ok(n)) if n > 0 => {}
            Ok(_) => return,
            Err(_) if buf.is_empty() => return,
            Err(_) => break,
        }
    }
    if buf.starts_with(PREFACE) {
        serve_h2(Rewind::new(buf.freeze(), s), None, via, cx.handler.clone(), cx.h2.clone()).await;
    } else {
        let t = H1Transport::new(s, None, cx.h1.clone(), cx.graceful.clone()).with_buffered(buf).via(via);
        serve_connection(t, &*cx.handler).await;
    }
}
