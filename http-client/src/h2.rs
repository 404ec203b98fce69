//! The client side of HTTP/2 (RFC 9113) on the `h2` crate: one multiplexed connection per
//! origin, request bodies sent as DATA frames within flow control, and the errors that
//! mean "not processed, safe to retry" (RST_STREAM(REFUSED_STREAM), and a graceful GOAWAY
//! whose last-stream-id is below the stream) told apart from the rest.

use bytes::Bytes;
use h2::client::SendRequest;
use http::header::{self, HeaderMap};
use http::{Method, Request};

use http_core::{Body, Frame};

use crate::body::next_frame;
use crate::connect::Io;
use crate::error::{Error, ErrorKind, Result};
use crate::h1::Timeouts;

/// A handle to an HTTP/2 connection; clones share the connection.
pub(crate) type H2Handle = SendRequest<Bytes>;

/// The HTTP/2 handshake; the connection then runs on its own task.
pub(crate) async fn handshake(io: Io, t: &Timeouts) -> Result<H2Handle> {
    let (send, conn) = t
        .run("the HTTP/2 handshake", h2::client::Builder::new().handshake::<_, Bytes>(io))
        .await?
        .map_err(|e| map_error(e, false))?;
    tokio::spawn(async move {
        if let Err(e) = conn.await {
            tracing::debug!("HTTP/2 connection ended: {e}");
        }
    });
    Ok(send)
}

/// Sends one request and waits for its response head.
pub(crate) async fn send(
    handle: &H2Handle,
    method: Method,
    uri: http::Uri,
    headers: &HeaderMap,
    mut body: Body,
    t: &Timeouts,
) -> Result<http::Response<h2::RecvStream>> {
    // Nothing was sent yet: a connection that failed while pooled is always safe to leave.
    let mut send = t
        .run("waiting for an HTTP/2 stream", handle.clone().ready())
        .await?
        .map_err(|e| map_error(e, true).retryable(true))?;
    let mut req = Request::builder().method(method).uri(uri).body(()).map_err(|e| Error::new(ErrorKind::Builder, e))?;
    for (name, value) in headers {
        // Connection-specific fields do not exist in HTTP/2 (RFC 9113 §8.2.2).
        if !is_connection_specific(name) {
            req.headers_mut().append(name, value.clone());
        }
    }
    let end = body.is_empty();
    let (response, mut stream) = send.send_request(req, end).map_err(|e| map_error(e, true))?;
    if !end {
        loop {
            match next_frame(&mut body).await? {
                Some(Frame::Data(mut data)) => {
                    while !data.is_empty() {
                        stream.reserve_capacity(data.len());
                        let cap = t
                            .run("sending the request body", std::future::poll_fn(|cx| stream.poll_capacity(cx)))
                            .await?
                            .ok_or_else(|| Error::new(ErrorKind::StreamReset, "stream closed while sending"))?
                            .map_err(|e| map_error(e, false))?;
                        let piece = data.split_to(cap.min(data.len()));
                        stream.send_data(piece, false).map_err(|e| map_error(e, false))?;
                    }
                }
                Some(Frame::Trailers(trailers)) => {
                    stream.send_trailers(trailers).map_err(|e| map_error(e, false))?;
                    break;
                }
                None => {
                    stream.send_data(Bytes::new(), true).map_err(|e| map_error(e, false))?;
                    break;
                }
            }
        }
    }
    t.run("waiting for the response", response).await?.map_err(|e| map_error(e, true))
}

fn is_connection_specific(name: &header::HeaderName) -> bool {
    [header::CONNECTION, header::HOST, header::TRANSFER_ENCODING, header::UPGRADE, header::TE].contains(name)
        || name.as_str() == "keep-alive"
        || name.as_str() == "proxy-connection"
}

/// An `h2` error as a client error. `before_response`: no response byte came yet, so a
/// refused stream or a graceful GOAWAY means the server did not process it.
pub(crate) fn map_error(e: h2::Error, before_response: bool) -> Error {
    if e.is_io() {
        return Error::new(ErrorKind::Io, e);
    }
    let refused = e.reason() == Some(h2::Reason::REFUSED_STREAM)
        || (e.is_go_away() && e.is_remote() && e.reason() == Some(h2::Reason::NO_ERROR));
    let kind = if e.is_reset() || e.is_go_away() { ErrorKind::StreamReset } else { ErrorKind::Malformed };
    Error::new(kind, e).retryable(before_response && refused)
}
