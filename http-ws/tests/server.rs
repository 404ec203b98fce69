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

/// The route form's callback runs on a task of its own (not the connection's), and that
/// changes nothing the server promises about it: `close()` sends 1001 to a socket parked
/// in a receive, a panic in one callback ends only its socket, `forceclose()` drops the
/// callback.
mod callback_task {
    use super::*;
    use std::sync::atomic::{AtomicBool, Ordering};

    use http_core::StreamHandler;

    /// Records the task the connection runs in, then hands over to the WebSocket handler.
    struct RecordTask<H>(H, Arc<Mutex<Vec<tokio::task::Id>>>);

    impl<H: StreamHandler> StreamHandler for RecordTask<H> {
        async fn call(&self, s: &mut Stream) {
            self.1.lock().unwrap().push(tokio::task::id());
            self.0.call(s).await;
        }
    }

    /// Sets its flag when dropped (the callback's future is gone).
    struct Dropped(Arc<AtomicBool>);

    impl Drop for Dropped {
        fn drop(&mut self) {
            self.0.store(true, Ordering::SeqCst);
        }
    }

    /// Echoes; "panic" panics; records its task and sets `dropped` when its future goes.
    fn echo(tasks: Arc<Mutex<Vec<tokio::task::Id>>>, dropped: Arc<AtomicBool>) -> impl StreamHandler {
        http_ws::websocket(move |mut ws| {
            let tasks = tasks.clone();
            let guard = Dropped(dropped.clone());
            async move {
                let _guard = guard;
                tasks.lock().unwrap().push(tokio::task::id());
                while let Some(Ok(m)) = ws.recv().await {
                    assert_ne!(m, Message::text("panic"), "asked to panic");
                    if ws.send(m).await.is_err() {
                        break;
                    }
                }
            }
        })
    }

    async fn start() -> (Server, String, Arc<Mutex<Vec<tokio::task::Id>>>, Arc<AtomicBool>) {
        let conn_tasks: Arc<Mutex<Vec<tokio::task::Id>>> = Arc::default();
        let callback_tasks: Arc<Mutex<Vec<tokio::task::Id>>> = Arc::default();
        let dropped = Arc::new(AtomicBool::new(false));
        let handler = RecordTask(echo(callback_tasks.clone(), dropped.clone()), conn_tasks.clone());
        let server = Server::listen(ServerOptions::new().host("127.0.0.1").port(0), handler).await.unwrap();
        let url = format!("ws://127.0.0.1:{}/ws", server.port());
        let mut ws = within(client::connect(&url)).await.unwrap();
        ws.send(Message::text("hi")).await.unwrap();
        assert_eq!(within(ws.recv()).await.unwrap().unwrap(), Message::text("hi"));
        let (conn, cb) = (conn_tasks.lock().unwrap().clone(), callback_tasks.lock().unwrap().clone());
        assert_eq!((conn.len(), cb.len()), (1, 1));
        assert_ne!(conn[0], cb[0], "the callback runs on a task of its own");
        drop(ws);
        (server, url, callback_tasks, dropped)
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn server_close_sends_1001_to_a_socket_waiting_in_its_own_task() {
        let (server, url, _, _) = start().await;
        let mut ws = within(client::connect(&url)).await.unwrap();
        ws.send(Message::text("x")).await.unwrap();
        assert_eq!(within(ws.recv()).await.unwrap().unwrap(), Message::text("x"));
        // the callback now waits in `recv` on its own task
        let closing = tokio::spawn({
            let server = server.clone();
            async move { server.close().await }
        });
        let got = within(ws.recv()).await.unwrap().unwrap();
        assert!(matches!(&got, Message::Close(Some(f)) if f.code == CloseCode::GOING_AWAY), "{got:?}");
        assert!(within(ws.recv()).await.is_none());
        within(closing).await.unwrap();
        assert_eq!(server.connections(), 0);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_panicking_callback_costs_only_its_socket() {
        let (server, url, _, _) = start().await;
        let mut a = within(client::connect(&url)).await.unwrap();
        let mut b = within(client::connect(&url)).await.unwrap();
        a.send(Message::text("panic")).await.unwrap();
        // the panicking socket's connection ends without a close handshake
        assert!(matches!(within(a.recv()).await, None | Some(Err(_))));
        for ws in [&mut b, &mut within(client::connect(&url)).await.unwrap()] {
            ws.send(Message::text("still here")).await.unwrap();
            assert_eq!(within(ws.recv()).await.unwrap().unwrap(), Message::text("still here"));
        }
        within(b.close(CloseCode::NORMAL, "")).await.unwrap();
        server.close().await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn forceclose_drops_the_callback() {
        let (server, url, _, dropped) = start().await;
        // the first socket's callback is gone with its connection: watch a new one
        within(async {
            while !dropped.load(Ordering::SeqCst) {
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        })
        .await;
        dropped.store(false, Ordering::SeqCst);
        let mut ws = within(client::connect(&url)).await.unwrap();
        ws.send(Message::text("x")).await.unwrap();
        assert_eq!(within(ws.recv()).await.unwrap().unwrap(), Message::text("x"));
        assert!(!dropped.load(Ordering::SeqCst));
        within(server.forceclose()).await;
        assert_eq!(server.connections(), 0);
        // the callback's task is aborted with its connection's, its future dropped
        within(async {
            while !dropped.load(Ordering::SeqCst) {
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        })
        .await;
        // a 1001 may slip out before the connection is cut (`forceclose` cancels the
        // shutdown signal first); then the end comes
        loop {
            match within(ws.recv()).await {
                None | Some(Err(_)) => break,
                Some(Ok(Message::Close(Some(f)))) if f.code == CloseCode::GOING_AWAY => {}
                other => panic!("{other:?}"),
            }
        }
    }
}
