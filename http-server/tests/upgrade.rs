//! Connection upgrade over real sockets: a handler switches to an `echo` protocol with
//! `Stream::upgrade`, over HTTP/1.1 (`Upgrade`, cleartext and TLS) and HTTP/2 (extended
//! CONNECT, RFC 8441, over h2c), and the server stays usable and closable around it.

mod common_h2;

use std::time::Duration;

use bytes::Bytes;
use common_h2::{WAIT, bounded, client_config, get, h2_client, make_cert, opts, read_body, tls_connect};
use http::Method;
use http_core::{StatusCode, Stream, Version};
use http_server::Server;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;

/// Echoes bytes both ways once the client switched to `echo`; anything else gets a plain
/// answer naming its path.
async fn echo(s: &mut Stream) {
    if s.upgrade_protocol() != Some("echo") {
        let answer = format!("plain {}", s.startread().uri.path());
        let _ = s.write(answer).await;
        return;
    }
    let status = if s.version() == Version::HTTP_2 { StatusCode::OK } else { StatusCode::SWITCHING_PROTOCOLS };
    s.setstatus(status).unwrap();
    s.setheader("connection", "upgrade").unwrap();
    s.setheader("upgrade", "echo").unwrap();
    let mut io = s.upgrade().await.expect("upgrade");
    let mut buf = [0u8; 4096];
    loop {
        match io.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                if io.write_all(&buf[..n]).await.is_err() {
                    return;
                }
                let _ = io.flush().await;
            }
        }
    }
    let _ = io.shutdown().await;
}

async fn start() -> Server {
    Server::listen(opts(), echo).await.expect("server starts")
}

/// Reads a response head (through the blank line) and returns it with the bytes after it.
async fn read_head<S: AsyncRead + Unpin>(io: &mut S) -> (String, Vec<u8>) {
    let mut got = Vec::new();
    let mut buf = [0u8; 1024];
    loop {
        if let Some(end) = got.windows(4).position(|w| w == b"\r\n\r\n") {
            let rest = got.split_off(end + 4);
            return (String::from_utf8(got).unwrap(), rest);
        }
        let n = bounded(WAIT, "response head", io.read(&mut buf)).await.expect("read");
        assert!(n > 0, "connection closed before the head: {:?}", String::from_utf8_lossy(&got));
        got.extend_from_slice(&buf[..n]);
    }
}

/// Reads exactly `want.len()` bytes (after `already`) and compares.
async fn expect_bytes<S: AsyncRead + Unpin>(io: &mut S, mut already: Vec<u8>, want: &[u8]) {
    let mut buf = [0u8; 1024];
    while already.len() < want.len() {
        let n = bounded(WAIT, "echoed bytes", io.read(&mut buf)).await.expect("read");
        assert!(n > 0, "closed after {:?}", String::from_utf8_lossy(&already));
        already.extend_from_slice(&buf[..n]);
    }
    assert_eq!(already, want);
}

/// The HTTP/1.1 echo exchange over any byte stream: upgrade with bytes in the same packet
/// as the head, echo both ways, half-close, and see the server close too.
async fn h1_echo<S: AsyncRead + AsyncWrite + Unpin>(mut io: S) {
    io.write_all(b"GET /echo HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\nearly").await.unwrap();
    let (head, rest) = read_head(&mut io).await;
    let lower = head.to_ascii_lowercase();
    assert!(head.starts_with("HTTP/1.1 101 Switching Protocols\r\n"), "{head}");
    assert!(lower.contains("\r\nupgrade: echo\r\n") && lower.contains("\r\nconnection: upgrade\r\n"), "{head}");
    assert!(!lower.contains("content-length") && !lower.contains("transfer-encoding"), "{head}");
    expect_bytes(&mut io, rest, b"early").await;
    for msg in [&b"more"[..], b"and more"] {
        io.write_all(msg).await.unwrap();
        expect_bytes(&mut io, Vec::new(), msg).await;
    }
    io.shutdown().await.unwrap();
    let mut tail = Vec::new();
    bounded(WAIT, "server closes", io.read_to_end(&mut tail)).await.expect("read to end");
    assert!(tail.is_empty(), "{tail:?}");
}

#[tokio::test]
async fn h1_upgrade_echoes_both_ways() {
    let server = start().await;
    h1_echo(TcpStream::connect(server.local_addr()).await.unwrap()).await;
    // Without `Connection: upgrade` there is no upgrade, and the server answers as usual.
    let mut tcp = TcpStream::connect(server.local_addr()).await.unwrap();
    tcp.write_all(b"GET /x HTTP/1.1\r\nHost: a\r\nUpgrade: echo\r\nConnection: close\r\n\r\n").await.unwrap();
    let mut all = Vec::new();
    bounded(WAIT, "plain response", tcp.read_to_end(&mut all)).await.unwrap();
    let all = String::from_utf8(all).unwrap();
    assert!(all.starts_with("HTTP/1.1 200 OK\r\n") && all.contains("\r\nplain /x\r\n"), "{all}");
    server.close().await;
}

#[tokio::test]
async fn h1_upgrade_over_tls() {
    let cert = make_cert();
    let server = Server::listen(opts().tls(cert.tls_config()), echo).await.unwrap();
    let config = client_config(&cert, &[b"http/1.1"], &[&rustls::version::TLS13]);
    let tls = tls_connect(server.local_addr(), config).await.expect("TLS connect");
    h1_echo(tls).await;
    server.close().await;
}

/// Reads `want.len()` bytes from an h2 stream, giving the capacity back.
async fn h2_expect(recv: &mut h2::RecvStream, want: &[u8]) {
    let mut got = Vec::new();
    while got.len() < want.len() {
        let data = bounded(WAIT, "h2 data", recv.data()).await.expect("stream open").expect("data");
        let _ = recv.flow_control().release_capacity(data.len());
        got.extend_from_slice(&data);
    }
    assert_eq!(got, want);
}

async fn h2_plain(client: &mut h2::client::SendRequest<Bytes>, path: &str) -> String {
    let ready = bounded(WAIT, "h2 ready", client.clone().ready()).await.unwrap();
    *client = ready;
    let (resp, _) = client.send_request(get(path), true).unwrap();
    let resp = bounded(WAIT, "h2 response", resp).await.unwrap();
    String::from_utf8(read_body(&mut resp.into_body()).await.unwrap()).unwrap()
}

fn connect_echo() -> http::Request<()> {
    http::Request::builder()
        .method(Method::CONNECT)
        .uri("http://localhost/echo")
        .extension(h2::ext::Protocol::from_static("echo"))
        .body(())
        .unwrap()
}

#[tokio::test]
async fn h2_extended_connect_echoes_beside_other_streams() {
    let server = start().await;
    let mut client = h2_client(TcpStream::connect(server.local_addr()).await.unwrap()).await;
    // Once a request was answered, the server's SETTINGS have been read.
    assert_eq!(h2_plain(&mut client, "/before").await, "plain /before");
    assert!(client.is_extended_connect_protocol_enabled(), "SETTINGS_ENABLE_CONNECT_PROTOCOL");
    let (resp, mut send) = client.send_request(connect_echo(), false).unwrap();
    let resp = bounded(WAIT, "CONNECT response", resp).await.unwrap();
    assert_eq!(resp.status(), 200);
    let mut recv = resp.into_body();
    for msg in [&b"hello"[..], &vec![7u8; 100_000]] {
        send.send_data(Bytes::copy_from_slice(msg), false).unwrap();
        h2_expect(&mut recv, msg).await;
        // Another stream of the same connection is served meanwhile.
        assert_eq!(h2_plain(&mut client, "/during").await, "plain /during");
    }
    send.send_data(Bytes::new(), true).unwrap();
    // The server ends its side after ours (END_STREAM, perhaps on an empty DATA frame).
    while let Some(data) = bounded(WAIT, "echo ends", recv.data()).await {
        assert!(data.expect("no reset").is_empty(), "nothing more was sent");
    }
    server.close().await;
}

#[tokio::test]
async fn close_does_not_wait_forever_for_upgraded_connections() {
    let server = Server::listen(opts().shutdown_timeout(Duration::from_millis(300)), echo).await.unwrap();
    // One upgraded HTTP/1.1 connection and one upgraded HTTP/2 stream, both left open.
    let mut tcp = TcpStream::connect(server.local_addr()).await.unwrap();
    tcp.write_all(b"GET /echo HTTP/1.1\r\nHost: a\r\nConnection: upgrade\r\nUpgrade: echo\r\n\r\n").await.unwrap();
    let (head, _) = read_head(&mut tcp).await;
    assert!(head.starts_with("HTTP/1.1 101"), "{head}");
    let mut client = h2_client(TcpStream::connect(server.local_addr()).await.unwrap()).await;
    assert_eq!(h2_plain(&mut client, "/").await, "plain /");
    let (resp, _send) = client.send_request(connect_echo(), false).unwrap();
    let resp = bounded(WAIT, "CONNECT response", resp).await.unwrap();
    assert_eq!(resp.status(), 200);
    bounded(Duration::from_secs(5), "close with upgraded connections open", server.close()).await;
    assert_eq!(server.connections(), 0);
    let mut rest = Vec::new();
    let read = bounded(WAIT, "upgraded h1 connection cut", tcp.read_to_end(&mut rest)).await;
    assert!(read.is_err() || rest.is_empty(), "{rest:?}");
}
