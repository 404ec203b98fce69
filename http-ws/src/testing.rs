//! Test support: a minimal HTTP/1.1 WebSocket echo server over TCP, for conformance
//! runners and interop tests. It reads one request head, runs [`Accept::accept`], answers
//! 101 (or the rejection's status), and echoes every text and binary message.

use crate::{Accept, Config, Message, RequestHead, Role, WebSocket};
use bytes::BytesMut;
use futures_util::{FutureExt, StreamExt};
use http::{HeaderMap, HeaderName, HeaderValue, Method, Version};
use std::io;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// Accepts connections forever and echoes on each with [`Accept::default`] (deflate
/// accepted, 16 MiB message limit).
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
/// let url = format!("ws://{}/", listener.local_addr().unwrap());
/// tokio::spawn(http_ws::testing::serve_echo(listener));
/// # let _ = url;
/// # }
/// ```
pub async fn serve_echo(listener: TcpListener) -> io::Result<()> {
    serve_echo_with(listener, Accept::default()).await
}

/// [`serve_echo`] with a custom handshake policy.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
/// tokio::spawn(http_ws::testing::serve_echo_with(listener, http_ws::Accept::new().deflate(None)));
/// # }
/// ```
pub async fn serve_echo_with(listener: TcpListener, accept: Accept) -> io::Result<()> {
    loop {
        let (tcp, _) = listener.accept().await?;
        let _ = tcp.set_nodelay(true);
        let accept = accept.clone();
        tokio::spawn(async move {
            let _ = echo_connection(tcp, &accept).await;
        });
    }
}

/// Serves one connection: handshake, then echo until the close handshake ends.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
/// let addr = listener.local_addr().unwrap();
/// tokio::spawn(async move {
///     let (tcp, _) = listener.accept().await.unwrap();
///     http_ws::testing::echo_connection(tcp, &http_ws::Accept::new()).await
/// });
/// let mut ws = http_ws::client::connect(&format!("ws://{addr}/")).await.unwrap();
/// ws.send(http_ws::Message::text("x")).await.unwrap();
/// assert_eq!(ws.recv().await.unwrap().unwrap(), http_ws::Message::text("x"));
/// # }
/// ```
pub async fn echo_connection(mut tcp: TcpStream, accept: &Accept) -> io::Result<()> {
    if let Some((config, leftover)) = accept_http1(&mut tcp, accept).await? {
        let mut ws = WebSocket::from_parts(tcp, Role::Server, config, leftover);
        echo(&mut ws).await;
    }
    Ok(())
}

/// The server side of an HTTP/1.1 handshake on a raw connection: reads the request head,
/// runs [`Accept::accept`] and writes the answer. Returns the negotiated [`Config`] and
/// any bytes read past the head, or `None` when the request was refused (the refusal was
/// sent and the write side shut down).
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
/// let addr = listener.local_addr().unwrap();
/// tokio::spawn(async move {
///     let (mut tcp, _) = listener.accept().await.unwrap();
///     let (config, early) = http_ws::testing::accept_http1(&mut tcp, &http_ws::Accept::new()).await?.unwrap();
///     let mut ws = http_ws::WebSocket::from_parts(tcp, http_ws::Role::Server, config, early);
///     ws.send(http_ws::Message::text("welcome")).await.ok();
///     Ok::<_, std::io::Error>(())
/// });
/// let mut ws = http_ws::client::connect(&format!("ws://{addr}/")).await.unwrap();
/// assert_eq!(ws.recv().await.unwrap().unwrap(), http_ws::Message::text("welcome"));
/// # }
/// ```
pub async fn accept_http1<IO>(io: &mut IO, accept: &Accept) -> io::Result<Option<(Config, BytesMut)>>
where
    IO: AsyncRead + AsyncWrite + Unpin,
{
    let mut buf = BytesMut::with_capacity(4096);
    let (method, version, headers, head_len) = loop {
        if io.read_buf(&mut buf).await? == 0 {
            return Ok(None);
        }
        let mut slots = [httparse::EMPTY_HEADER; 64];
        let mut req = httparse::Request::new(&mut slots);
        match req.parse(&buf) {
            Ok(httparse::Status::Complete(n)) => {
                let method = Method::from_bytes(req.method.unwrap_or("GET").as_bytes()).map_err(io::Error::other)?;
                let version = if req.version == Some(0) { Version::HTTP_10 } else { Version::HTTP_11 };
                let mut headers = HeaderMap::new();
                for h in req.headers.iter() {
                    let name = HeaderName::from_bytes(h.name.as_bytes()).map_err(io::Error::other)?;
                    headers.append(name, HeaderValue::from_bytes(h.value).map_err(io::Error::other)?);
                }
                break (method, version, headers, n);
            }
            Ok(httparse::Status::Partial) if buf.len() < 16 << 10 => {}
            _ => {
                io.write_all(b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\nconnection: close\r\n\r\n").await?;
                io.shutdown().await?;
                return Ok(None);
            }
        }
    };
    let leftover = buf.split_off(head_len);
    let (status, answer_headers, config) = match accept.accept(&RequestHead::new(&method, version, &headers)) {
        Ok(a) => (a.status, a.headers, Some(a.config)),
        Err(rejection) => (rejection.status(), rejection.headers(), None),
    };
    let mut answer = format!("HTTP/1.1 {status}\r\n");
    if config.is_none() {
        answer.push_str("content-length: 0\r\nconnection: close\r\n");
    }
    for (k, v) in &answer_headers {
        answer.push_str(&format!("{k}: {}\r\n", v.to_str().unwrap_or("")));
    }
    answer.push_str("\r\n");
    io.write_all(answer.as_bytes()).await?;
    if config.is_none() {
        io.shutdown().await?;
    }
    Ok(config.map(|c| (c, leftover)))
}

/// Echoes text and binary messages until the connection ends; replies queued while more
/// input is ready go out with one flush.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// use http_ws::{Message, Role, WebSocket};
/// let (a, b) = tokio::io::duplex(4096);
/// tokio::spawn(async move {
///     let mut server = WebSocket::from_upgraded(a, Role::Server, Default::default());
///     http_ws::testing::echo(&mut server).await
/// });
/// let mut client = WebSocket::from_upgraded(b, Role::Client, Default::default());
/// client.send(Message::binary(vec![7])).await.unwrap();
/// assert_eq!(client.recv().await.unwrap().unwrap(), Message::binary(vec![7]));
/// # }
/// ```
pub async fn echo<IO>(ws: &mut WebSocket<IO>)
where
    IO: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    loop {
        let item = match ws.next().now_or_never() {
            Some(item) => item,
            None => {
                let _ = ws.flush().await;
                ws.next().await
            }
        };
        match item {
            None => return,
            Some(Ok(m @ (Message::Text(_) | Message::Binary(_)))) => {
                let _ = ws.feed(m).await;
            }
            // pings are answered by the socket; errors end in a close, then `None`
            Some(_) => {}
        }
    }
}
