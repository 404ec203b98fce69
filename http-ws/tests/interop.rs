//! Interop with an implementation nobody here wrote: tokio-tungstenite's client against
//! our server, and our client against tokio-tungstenite's server.

use futures_util::{SinkExt, StreamExt};
use http_ws::{CloseCode, Message, testing};
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::time::timeout;
use tokio_tungstenite::tungstenite::Message as TMessage;
use tokio_tungstenite::tungstenite::protocol::CloseFrame as TCloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode as TCloseCode;

#[tokio::test]
async fn tungstenite_client_against_our_server() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(testing::serve_echo(listener));
    let (mut ws, resp) = tokio_tungstenite::connect_async(format!("ws://{addr}/echo")).await.unwrap();
    assert_eq!(resp.status(), 101);
    let big = vec![7u8; 1 << 20];
    let msgs = [
        TMessage::text("hello"),
        TMessage::text("ünïcödé ".repeat(100)),
        TMessage::binary(vec![]),
        TMessage::binary(big),
    ];
    for m in &msgs {
        ws.send(m.clone()).await.unwrap();
        assert_eq!(&ws.next().await.unwrap().unwrap(), m);
    }
    ws.send(TMessage::Ping("x".into())).await.unwrap();
    assert_eq!(ws.next().await.unwrap().unwrap(), TMessage::Pong("x".into()));
    ws.close(Some(TCloseFrame { code: TCloseCode::Away, reason: "bye".into() })).await.unwrap();
    // our server echoes the code, then closes the connection
    match ws.next().await {
        Some(Ok(TMessage::Close(Some(f)))) => assert_eq!(f.code, TCloseCode::Away),
        other => panic!("{other:?}"),
    }
    assert!(timeout(Duration::from_secs(5), ws.next()).await.unwrap().is_none());
}

#[tokio::test]
async fn our_client_against_tungstenite_server() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let (tcp, _) = listener.accept().await.unwrap();
        let mut ws = tokio_tungstenite::accept_async(tcp).await.unwrap();
        while let Some(Ok(m)) = ws.next().await {
            if m.is_text() || m.is_binary() {
                ws.send(m).await.unwrap();
            }
        }
    });
    let mut ws = http_ws::client::connect(&format!("ws://{addr}/")).await.unwrap();
    let msgs = [Message::text("hello"), Message::text("ß".repeat(70_000)), Message::binary(vec![1u8; 200_000])];
    for m in &msgs {
        ws.send(m.clone()).await.unwrap();
        assert_eq!(&ws.next().await.unwrap().unwrap(), m);
    }
    ws.send(Message::Ping("p".into())).await.unwrap();
    assert_eq!(ws.next().await.unwrap().unwrap(), Message::Pong("p".into()));
    timeout(Duration::from_secs(5), ws.close(CloseCode::NORMAL, "done")).await.unwrap().unwrap();
    assert!(ws.next().await.is_none());
}
