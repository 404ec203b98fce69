//! Reference runs of the Autobahn conformance table against tokio-tungstenite,
//! a well-known RFC 6455 implementation: its echo server under the fuzzing
//! client, and its client under the fuzzing server. They validate the table
//! and the fuzzer, not this crate. tungstenite has no permessage-deflate, so
//! sections 12 and 13 grade UNIMPLEMENTED.

mod autobahn;

use std::net::SocketAddr;
use std::sync::Arc;

use futures_util::{SinkExt as _, StreamExt as _};
use tokio::net::TcpListener;
use tokio_tungstenite::tungstenite::Message;

/// tokio-tungstenite echo server on an ephemeral port.
async fn tungstenite_echo_server() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(async move {
                let Ok(mut ws) = tokio_tungstenite::accept_async(stream).await else { return };
                while let Some(Ok(msg)) = ws.next().await {
                    if (msg.is_text() || msg.is_binary()) && ws.send(msg).await.is_err() {
                        break;
                    }
                }
            });
        }
    });
    addr
}

/// tokio-tungstenite client that echoes text and binary messages.
fn tungstenite_echo_client() -> autobahn::EchoClient {
    Arc::new(|url: String| {
        Box::pin(async move {
            let Ok((mut ws, _)) = tokio_tungstenite::connect_async(url.as_str()).await else { return };
            while let Some(Ok(msg)) = ws.next().await {
                if (msg.is_text() || msg.is_binary()) && ws.send(msg).await.is_err() {
                    break;
                }
            }
            let _: Option<Message> = None;
        })
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "reference run against tokio-tungstenite; run with --ignored"]
async fn tungstenite_server_under_fuzzing_client() {
    let scale = autobahn::scale_from_env();
    let (cases, left_out) = autobahn::selected_cases(scale);
    let addr = tungstenite_echo_server().await;
    let outcomes = autobahn::run_against_server(addr, cases.clone()).await;
    let report = autobahn::Report::new("tokio-tungstenite echo server (fuzzing client)", outcomes, left_out, &cases);
    report.publish("autobahn-reference-server.md");
    report.assert_no_failures();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "reference run against tokio-tungstenite; run with --ignored"]
async fn tungstenite_client_under_fuzzing_server() {
    let scale = autobahn::scale_from_env();
    let (cases, left_out) = autobahn::selected_cases(scale);
    let outcomes = autobahn::run_against_client(tungstenite_echo_client(), cases.clone()).await;
    let report = autobahn::Report::new("tokio-tungstenite client (fuzzing server)", outcomes, left_out, &cases);
    report.publish("autobahn-reference-client.md");
    report.assert_no_failures();
}

/// A server that completes the opening handshake and then ignores everything.
async fn black_hole_server() -> SocketAddr {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut s, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut head = Vec::new();
                let mut b = [0u8; 1024];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    match s.read(&mut b).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => head.extend_from_slice(&b[..n]),
                    }
                }
                let head = String::from_utf8_lossy(&head).into_owned();
                let key = autobahn::wire::header(&head, "sec-websocket-key").unwrap_or_default().to_owned();
                let resp = format!(
                    "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {}\r\n\r\n",
                    autobahn::wire::accept_key(&key)
                );
                let _ = s.write_all(resp.as_bytes()).await;
                while let Ok(n) = s.read(&mut b).await {
                    if n == 0 {
                        break;
                    }
                }
            });
        }
    });
    addr
}

#[tokio::test]
async fn fuzzer_fails_a_peer_that_ignores_everything() {
    // the grading must be able to fail: an echo that never comes, a protocol
    // error that is never answered, a close that is never answered
    let addr = black_hole_server().await;
    let cases: Vec<_> = autobahn::cases::all_cases(autobahn::cases::Scale::QUICK)
        .into_iter()
        .filter(|c| ["1.1.1", "2.5", "7.3.3"].contains(&c.id.as_str()))
        .collect();
    assert_eq!(cases.len(), 3);
    let outcomes = autobahn::run_against_server(addr, cases).await;
    for o in &outcomes {
        assert_eq!(o.grade, autobahn::cases::Grade::Failed, "{} should fail: {o:?}", o.id);
    }
}
