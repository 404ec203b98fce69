//! WebSocket over HTTP/2 extended CONNECT (RFC 8441) on 127.0.0.1: an `h2` server that
//! answers with `Accept::accept` and echoes over `H2Stream`, driven by
//! `Client::handshake_h2`.

use bytes::Bytes;
use futures_util::StreamExt;
use http_ws::client::Client;
use http_ws::{Accept, CloseCode, DeflateConfig, H2Stream, Message, RequestHead, Role, WebSocket, testing};
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};
use tokio::time::timeout;

async fn h2_echo_server(enable_connect: bool) -> std::net::SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let (tcp, _) = listener.accept().await.unwrap();
            tokio::spawn(async move {
                let mut builder = h2::server::Builder::new();
                if enable_connect {
                    builder.enable_connect_protocol();
                }
                let mut conn = builder.handshake::<_, Bytes>(tcp).await.unwrap();
                while let Some(Ok((req, mut respond))) = conn.accept().await {
                    tokio::spawn(async move {
                        let protocol = req.extensions().get::<h2::ext::Protocol>().map(|p| p.as_str().to_owned());
                        let mut head = RequestHead::new(req.method(), req.version(), req.headers());
                        if let Some(p) = &protocol {
                            head = head.with_protocol(p);
                        }
                        let accept = Accept::new().protocols(["chat"]);
                        let (status, headers, config) = match accept.accept(&head) {
                            Ok(a) => (a.status, a.headers, Some(a.config)),
                            Err(r) => (r.status(), r.headers(), None),
                        };
                        let mut resp = http::Response::new(());
                        *resp.status_mut() = status;
                        *resp.headers_mut() = headers;
                        let send = respond.send_response(resp, config.is_none()).unwrap();
                        if let Some(config) = config {
                            let io = H2Stream::new(send, req.into_body());
                            testing::echo(&mut WebSocket::from_upgraded(io, Role::Server, config)).await;
                        }
                    });
                }
            });
        }
    });
    addr
}

async fn h2_client(addr: std::net::SocketAddr) -> h2::client::SendRequest<Bytes> {
    let tcp = TcpStream::connect(addr).await.unwrap();
    let (send_request, conn) = h2::client::handshake(tcp).await.unwrap();
    tokio::spawn(conn);
    send_request
}

#[tokio::test]
async fn echo_over_http2_extended_connect() {
    let addr = h2_echo_server(true).await;
    let send_request = h2_client(addr).await;
    let uri = format!("ws://{addr}/chat").parse().unwrap();
    for deflate in [None, Some(DeflateConfig::default())] {
        let client = Client::new().protocols(["chat"]).deflate(deflate.clone());
        // two WebSockets, one after the other, on the same HTTP/2 connection
        let (mut ws, resp) = client.handshake_h2(send_request.clone(), &uri).await.unwrap();
        assert_eq!(resp.status(), 200);
        assert_eq!(ws.protocol(), Some("chat"));
        assert_eq!(ws.config().deflate.is_some(), deflate.is_some());
        // larger than the default 64 KiB HTTP/2 window: flow control in both directions
        let msgs =
            [Message::text("hello over h2"), Message::binary(vec![3u8; 300_000]), Message::text("x".repeat(100_000))];
        for m in &msgs {
            ws.send(m.clone()).await.unwrap();
            assert_eq!(&ws.next().await.unwrap().unwrap(), m);
        }
        timeout(Duration::from_secs(5), ws.close(CloseCode::NORMAL, "")).await.unwrap().unwrap();
    }
}

#[tokio::test]
async fn http2_without_extended_connect_is_refused_by_the_client() {
    let addr = h2_echo_server(false).await;
    let send_request = h2_client(addr).await;
    let uri = format!("ws://{addr}/").parse().unwrap();
    let err = Client::new().handshake_h2(send_request, &uri).await.unwrap_err();
    assert!(matches!(err, http_ws::Error::Handshake(http_ws::HandshakeError::NoExtendedConnect)), "{err:?}");
}
