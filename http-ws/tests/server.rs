//! The server side on a real http-server: `upgrade` in a plain stream handler, and the
//! event-callback form `on_events`, driven by our client over TCP.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use http_core::Stream;
use http_server::{Server, ServerOptions};
use http_ws::{Accept, CloseCode, Event, Message, Outbox, UpgradeError, client, on_events};

async fn within<F: std::future::Future>(f: F) -> F::Output {
    tokio::time::timeout(Duration::from_secs(10), f).await.expect("in time")
}

/// Listen-style: the handler upgrades only /chat and echoes in upper case.
async fn chat(s: &mut Stream) {
    match http_ws::upgrade(s, &Accept::new().protocols(["chat"])).await {
        Ok(mut ws) => {
            while let Some(Ok(m)) = ws.recv().await {
                if let Message::Text(t) = m
                    && ws.send(Message::text(t.to_uppercase())).await.is_err()
                {
                    break;
                }
            }
        }
        Err(UpgradeError::Rejected(_)) => {} // answered already
        Err(e) => panic!("{e}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upgrade_in_a_stream_handler() {
    let server = Server::listen(ServerOptions::new().host("127.0.0.1").port(0), chat).await.unwrap();
    let url = format!("ws://127.0.0.1:{}/chat", server.port());
    let mut ws = within(client::Client::new().protocols(["chat"]).connect(&url)).await.unwrap();
    assert_eq!(ws.protocol(), Some("chat"));
    ws.send(Message::text("shout")).await.unwrap();
    assert_eq!(within(ws.recv()).await.unwrap().unwrap(), Message::text("SHOUT"));
    ws.close(CloseCode::NORMAL, "").await.unwrap();
    drop(ws);
    // a plain request gets the refusal
    let mut tcp = tokio::net::TcpStream::connect(server.local_addr()).await.unwrap();
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    tcp.write_all(b"GET /chat HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").await.unwrap();
    let mut got = String::new();
    within(tcp.read_to_string(&mut got)).await.unwrap();
    assert!(got.starts_with("HTTP/1.1 426"), "{got}");
    assert!(got.to_ascii_lowercase().contains("upgrade: websocket"), "{got}");
    assert!(got.ends_with("not a websocket upgrade request\n"), "{got}");
    server.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_events_sees_open_messages_and_close() {
    let log: Arc<Mutex<Vec<String>>> = Arc::default();
    let seen = log.clone();
    let handler = on_events(move |event, outbox: Outbox| {
        let seen = seen.clone();
        async move {
            let line = match event {
                Event::Open(req) => {
                    outbox.send(Message::text(format!("welcome to {}", req.path()))).await.unwrap();
                    format!("open {}", req.path())
                }
                Event::Message(m) if m.as_payload() == b"bye" => {
                    outbox.close(CloseCode(4003), "as you wish").await.unwrap();
                    "bye".to_owned()
                }
                Event::Message(m) => {
                    outbox.send(m.clone()).await.unwrap();
                    format!("message {:?}", String::from_utf8_lossy(m.as_payload()))
                }
                Event::Close(f) => format!("close {:?}", f.map(|f| f.code.0)),
                other => format!("{other:?}"),
            };
            seen.lock().unwrap().push(line);
        }
    });
    let server = Server::listen(ServerOptions::new().host("127.0.0.1").port(0), handler).await.unwrap();
    let url = format!("ws://127.0.0.1:{}/room", server.port());

    // the client closes
    let mut ws = within(client::connect(&url)).await.unwrap();
    assert_eq!(within(ws.recv()).await.unwrap().unwrap(), Message::text("welcome to /room"));
    ws.send(Message::binary(vec![1u8, 2])).await.unwrap();
    assert_eq!(within(ws.recv()).await.unwrap().unwrap(), Message::binary(vec![1u8, 2]));
    within(ws.close(CloseCode(4001), "done")).await.unwrap();
    drop(ws);
    // the server closes through the outbox
    let mut ws = within(client::connect(&url)).await.unwrap();
    within(ws.recv()).await.unwrap().unwrap();
    ws.send(Message::text("bye")).await.unwrap();
    let close = within(ws.recv()).await.unwrap().unwrap();
    assert!(matches!(&close, Message::Close(Some(f)) if f.code.0 == 4003 && f.reason == "as you wish"), "{close:?}");
    assert!(within(ws.recv()).await.is_none());
    drop(ws);
    server.close().await;

    let log = log.lock().unwrap().clone();
    assert_eq!(
        log,
        ["open /room", "message \"\\u{1}\\u{2}\"", "close Some(4001)", "open /room", "bye", "close Some(4003)",]
    );
}
