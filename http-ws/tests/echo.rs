//! Our server and our client over real TCP on 127.0.0.1, and every protocol violation
//! sent as hand-built frames over a raw socket: the server must answer with a close frame
//! carrying the right code and then close the connection.

use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use http_ws::client::Client;
use http_ws::{CloseCode, Config, DeflateConfig, Message, testing};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::timeout;

async fn echo_server() -> std::net::SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(testing::serve_echo(listener));
    addr
}

#[tokio::test]
async fn messages_echo_with_and_without_deflate() {
    let addr = echo_server().await;
    let url = format!("ws://{addr}/echo");
    let big: Vec<u8> = (0..300_000u32).map(|i| (i % 253) as u8).collect();
    for deflate in [None, Some(DeflateConfig::default())] {
        for max_send_frame in [usize::MAX, 1000] {
            let mut config = Config::default();
            config.max_send_frame_size = max_send_frame;
            let client = Client::new().deflate(deflate.clone()).config(config);
            let mut ws = client.connect(&url).await.unwrap();
            assert_eq!(ws.config().deflate.is_some(), deflate.is_some());
            let msgs = [
                Message::text(""),
                Message::text("hello"),
                Message::text("héllo wörld ".repeat(500)),
                // 1 MB of multi-byte text: arrives over many reads (checked as it arrives)
                // and, with 1000-byte frames, splits characters across fragments
                Message::text("€ü".repeat(200_000)),
                Message::binary(vec![]),
                Message::binary(big.clone()),
            ];
            // a batch: fed without flushing, then one flush
            for m in &msgs {
                ws.feed(m.clone()).await.unwrap();
            }
            ws.flush().await.unwrap();
            for m in &msgs {
                assert_eq!(&ws.next().await.unwrap().unwrap(), m, "deflate {deflate:?} frame {max_send_frame}");
            }
            ws.send(Message::Ping("p".into())).await.unwrap();
            assert_eq!(ws.next().await.unwrap().unwrap(), Message::Pong("p".into()));
            timeout(Duration::from_secs(5), ws.close(CloseCode::NORMAL, "done")).await.unwrap().unwrap();
            assert!(ws.next().await.is_none());
            assert!(matches!(ws.send(Message::text("late")).await, Err(http_ws::Error::ConnectionClosed)));
        }
    }
}

#[tokio::test]
async fn a_16_mib_message_echoes() {
    let addr = echo_server().await;
    let mut ws = http_ws::client::connect(&format!("ws://{addr}/")).await.unwrap();
    let msg = Message::binary(vec![0x5a; 16 << 20]);
    ws.send(msg.clone()).await.unwrap();
    assert_eq!(ws.next().await.unwrap().unwrap(), msg);
}

/// A raw client: the handshake by hand, then bytes on the wire.
async fn raw_client(addr: std::net::SocketAddr, extensions: Option<&str>) -> TcpStream {
    let mut tcp = TcpStream::connect(addr).await.unwrap();
    let ext = extensions.map(|e| format!("Sec-WebSocket-Extensions: {e}\r\n")).unwrap_or_default();
    let req = format!(
        "GET / HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n{ext}\r\n"
    );
    tcp.write_all(req.as_bytes()).await.unwrap();
    let mut head = Vec::new();
    while !head.ends_with(b"\r\n\r\n") {
        let mut b = [0u8; 1];
        tcp.read_exact(&mut b).await.unwrap();
        head.push(b[0]);
    }
    let head = String::from_utf8(head).unwrap();
    assert!(head.starts_with("HTTP/1.1 101"), "{head}");
    assert!(head.contains("s3pPLMBiTxaQ9kYGzzhZRbK+xOo="), "{head}");
    if extensions.is_some() {
        assert!(head.to_ascii_lowercase().contains("sec-websocket-extensions: permessage-deflate"), "{head}");
    }
    tcp
}

/// A masked client frame.
fn frame(b0: u8, payload: &[u8]) -> Vec<u8> {
    let key = [0x11, 0x22, 0x33, 0x44];
    let mut out = vec![b0];
    match payload.len() {
        n if n < 126 => out.push(0x80 | n as u8),
        n if n <= 0xffff => {
            out.push(0x80 | 126);
            out.extend_from_slice(&(n as u16).to_be_bytes());
        }
        n => {
            out.push(0x80 | 127);
            out.extend_from_slice(&(n as u64).to_be_bytes());
        }
    }
    out.extend_from_slice(&key);
    out.extend(payload.iter().enumerate().map(|(i, b)| b ^ key[i % 4]));
    out
}

/// Reads the server's answer: skips data frames, returns the close code, then requires
/// the server to close the connection.
async fn expect_close(tcp: &mut TcpStream) -> Option<u16> {
    let code = loop {
        let mut h = [0u8; 2];
        tcp.read_exact(&mut h).await.unwrap();
        assert_eq!(h[1] & 0x80, 0, "server frames are unmasked");
        let len = match h[1] & 0x7f {
            126 => u64::from(tcp.read_u16().await.unwrap()),
            127 => tcp.read_u64().await.unwrap(),
            n => u64::from(n),
        };
        let mut payload = vec![0u8; len as usize];
        tcp.read_exact(&mut payload).await.unwrap();
        if h[0] & 0x0f == 0x8 {
            break (payload.len() >= 2).then(|| u16::from_be_bytes([payload[0], payload[1]]));
        }
    };
    // then the server closes the TCP connection
    let mut rest = Vec::new();
    timeout(Duration::from_secs(5), tcp.read_to_end(&mut rest)).await.expect("server closes").ok();
    code
}

#[tokio::test]
async fn violations_are_answered_with_the_right_close_code() {
    let addr = echo_server().await;
    let unmasked = b"\x81\x02hi".to_vec();
    let cases: Vec<(&str, Vec<u8>, u16)> = vec![
        ("unmasked frame", unmasked, 1002),
        ("reserved opcode 0x3", frame(0x83, b""), 1002),
        ("reserved opcode 0xb", frame(0x8b, b""), 1002),
        ("RSV2", frame(0xa1, b"x"), 1002),
        ("RSV1 without deflate", frame(0xc1, b"x"), 1002),
        ("control > 125", frame(0x89, &[0; 126]), 1002),
        ("control without FIN", frame(0x09, b""), 1002),
        ("stray continuation", frame(0x80, b"x"), 1002),
        ("new message while one is open", [frame(0x01, b"a"), frame(0x81, b"b")].concat(), 1002),
        ("1-byte close", frame(0x88, b"\x03"), 1002),
        ("close code 999", frame(0x88, &999u16.to_be_bytes()), 1002),
        ("close code 1005", frame(0x88, &1005u16.to_be_bytes()), 1002),
        ("close code 1006", frame(0x88, &1006u16.to_be_bytes()), 1002),
        ("close code 2999", frame(0x88, &2999u16.to_be_bytes()), 1002),
        ("invalid UTF-8 across fragments", [frame(0x01, b"ok \xce"), frame(0x80, b"\xff")].concat(), 1007),
        ("invalid UTF-8 in a close reason", frame(0x88, b"\x03\xe8\xff"), 1007),
        // fail fast: only the first 20 bytes of a 1000-byte text frame ever arrive
        (
            "invalid UTF-8 in a frame still arriving",
            frame(0x81, &[&b"ok\xff"[..], &[b'a'; 997]].concat())[..20].to_vec(),
            1007,
        ),
        (
            "invalid UTF-8 in a continuation still arriving",
            [frame(0x01, b"ok \xe2\x82"), frame(0x80, &[b'a'; 1000])[..20].to_vec()].concat(),
            1007,
        ),
        (
            "16 MiB + 1 frame header",
            {
                let mut h = vec![0x82, 0x80 | 127];
                h.extend_from_slice(&((16u64 << 20) + 1).to_be_bytes());
                h.extend_from_slice(&[1, 2, 3, 4]); // mask; no payload follows
                h
            },
            1009,
        ),
    ];
    for (name, bytes, want) in cases {
        let mut tcp = raw_client(addr, None).await;
        tcp.write_all(&bytes).await.unwrap();
        let got = timeout(Duration::from_secs(5), expect_close(&mut tcp))
            .await
            .unwrap_or_else(|_| panic!("{name}: no close"));
        assert_eq!(got, Some(want), "{name}");
    }
}

#[tokio::test]
async fn control_frames_interleave_with_fragments_and_close_is_echoed() {
    let addr = echo_server().await;
    let mut tcp = raw_client(addr, None).await;
    let bytes =
        [frame(0x01, b"he"), frame(0x89, b"ping!"), frame(0x00, b"ll"), frame(0x80, b"o"), frame(0x88, b"\x0f\xa0bye")]
            .concat();
    tcp.write_all(&bytes).await.unwrap();
    let mut got = Vec::new();
    // pong, then the echo, then the close echo with the peer's code (4000), then EOF
    timeout(Duration::from_secs(5), tcp.read_to_end(&mut got)).await.unwrap().unwrap();
    assert_eq!(got, [&b"\x8a\x05ping!"[..], b"\x81\x05hello", b"\x88\x02\x0f\xa0"].concat());
}

#[tokio::test]
async fn a_fragmented_message_passing_16_mib_is_refused() {
    let addr = echo_server().await;
    let mut tcp = raw_client(addr, None).await;
    let chunk = vec![b'a'; 1 << 20];
    let (mut rd, mut wr) = tcp.split();
    let writer = async {
        wr.write_all(&frame(0x02, &chunk)).await?;
        for _ in 0..15 {
            wr.write_all(&frame(0x00, &chunk)).await?;
        }
        wr.write_all(&frame(0x80, b"!")).await
    };
    let reader = async {
        let mut h = [0u8; 4];
        rd.read_exact(&mut h).await.unwrap();
        h
    };
    let (_, h) = tokio::join!(writer, timeout(Duration::from_secs(20), reader));
    assert_eq!(h.unwrap(), [0x88, 0x02, 0x03, 0xf1]); // close 1009
}

#[tokio::test]
async fn a_compressed_bomb_is_refused() {
    let addr = echo_server().await;
    let mut tcp = raw_client(addr, Some("permessage-deflate")).await;
    // 32 MiB of zeros, compressed to a few KiB
    let mut c = flate2::Compress::new(flate2::Compression::best(), false);
    let zeros = vec![0u8; 32 << 20];
    let mut out = Vec::with_capacity(1 << 20);
    c.compress_vec(&zeros, &mut out, flate2::FlushCompress::Sync).unwrap();
    assert!(out.len() < 1 << 20);
    tcp.write_all(&frame(0xc2, &out[..out.len() - 4])).await.unwrap();
    let code = timeout(Duration::from_secs(10), expect_close(&mut tcp)).await.unwrap();
    assert_eq!(code, Some(1009));
}

#[tokio::test]
async fn a_compressed_message_from_rfc7692_is_understood() {
    let addr = echo_server().await;
    let mut tcp = raw_client(addr, Some("permessage-deflate; client_max_window_bits")).await;
    // §7.2.3.1 "Hello", then the same in two fragments (§7.2.3.2)
    let hello = [0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00];
    tcp.write_all(&frame(0xc1, &hello)).await.unwrap();
    tcp.write_all(&[frame(0x41, &[0xf2, 0x48, 0xcd]), frame(0x80, &[0xc9, 0xc9, 0x07, 0x00])].concat()).await.unwrap();
    tcp.write_all(&frame(0x88, b"\x03\xe8")).await.unwrap();
    let mut got = Vec::new();
    timeout(Duration::from_secs(5), tcp.read_to_end(&mut got)).await.unwrap().unwrap();
    // the echoes are short (under the 64-byte threshold): sent uncompressed
    assert_eq!(got, [&b"\x81\x05Hello"[..], b"\x81\x05Hello", b"\x88\x02\x03\xe8"].concat());
}

#[tokio::test]
async fn the_client_rejects_masked_server_frames() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(async move {
        let (mut tcp, _) = listener.accept().await.unwrap();
        let mut buf = vec![0u8; 4096];
        let mut head = Vec::new();
        while !head.ends_with(b"\r\n\r\n") {
            let n = tcp.read(&mut buf).await.unwrap();
            head.extend_from_slice(&buf[..n]);
        }
        let text = String::from_utf8(head).unwrap();
        let key = text.lines().find_map(|l| l.strip_prefix("Sec-WebSocket-Key: ")).unwrap().trim().to_owned();
        let accept = http_ws::accept_key(key.as_bytes());
        let resp = format!(
            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {accept}\r\n\r\n"
        );
        tcp.write_all(resp.as_bytes()).await.unwrap();
        tcp.write_all(&frame(0x81, b"masked")).await.unwrap();
        // read the client's close frame (masked: 2 + 4 + 2 bytes), then close
        let mut close = [0u8; 8];
        tcp.read_exact(&mut close).await.unwrap();
        let code = u16::from_be_bytes([close[6] ^ close[2], close[7] ^ close[3]]);
        drop(tcp);
        code
    });
    let mut ws = http_ws::client::connect(&format!("ws://{addr}/")).await.unwrap();
    let err = ws.next().await.unwrap().unwrap_err();
    assert_eq!(err.protocol(), Some(http_ws::ProtocolError::MaskedFrame));
    assert!(timeout(Duration::from_secs(5), ws.next()).await.unwrap().is_none());
    assert_eq!(server.await.unwrap(), 1002);
}

#[tokio::test]
async fn handshake_rejections_get_http_answers() {
    let addr = echo_server().await;
    let cases = [
        ("Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n", "400"),
        (
            "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 8\r\n",
            "426",
        ),
        ("Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n", "426"),
    ];
    for (headers, status) in cases {
        let mut tcp = TcpStream::connect(addr).await.unwrap();
        tcp.write_all(format!("GET / HTTP/1.1\r\nHost: x\r\n{headers}\r\n").as_bytes()).await.unwrap();
        let mut resp = String::new();
        timeout(Duration::from_secs(5), tcp.read_to_string(&mut resp)).await.unwrap().unwrap();
        assert!(resp.starts_with(&format!("HTTP/1.1 {status}")), "{headers:?}: {resp}");
        if status == "426" {
            let lower = resp.to_ascii_lowercase();
            assert!(lower.contains("sec-websocket-version: 13") || lower.contains("upgrade: websocket"), "{resp}");
        }
    }
}

#[tokio::test]
async fn close_times_out_when_the_peer_never_answers() {
    let (a, _b) = tokio::io::duplex(1 << 16); // the peer never reads or answers
    let mut config = Config::default();
    config.close_timeout = Duration::from_millis(100);
    let mut ws = http_ws::WebSocket::from_upgraded(a, http_ws::Role::Client, config);
    let started = std::time::Instant::now();
    timeout(Duration::from_secs(5), ws.close(CloseCode::GOING_AWAY, "")).await.unwrap().unwrap();
    assert!(started.elapsed() >= Duration::from_millis(100));
}

#[tokio::test]
async fn a_producer_waits_when_the_peer_does_not_read() {
    let (a, _b) = tokio::io::duplex(4096);
    let mut config = Config::default();
    config.write_buffer_size = 16 << 10;
    let mut ws = http_ws::WebSocket::from_upgraded(a, http_ws::Role::Server, config);
    let fill = async {
        for _ in 0..1000 {
            ws.feed(Message::binary(vec![0; 1024])).await.unwrap();
        }
    };
    assert!(
        timeout(Duration::from_millis(200), fill).await.is_err(),
        "feeding 1 MiB to a peer that never reads must wait"
    );
}

#[tokio::test]
async fn keep_alive_pings_are_sent_and_answered() {
    let (a, b) = tokio::io::duplex(4096);
    let mut config = Config::default();
    config.ping_interval = Some(Duration::from_millis(20));
    let mut server = http_ws::WebSocket::from_upgraded(a, http_ws::Role::Server, config);
    let mut client = http_ws::WebSocket::from_upgraded(b, http_ws::Role::Client, Config::default());
    let got_ping =
        tokio::spawn(async move { matches!(client.next().await, Some(Ok(Message::Ping(_)))).then_some(client) });
    let pong = timeout(Duration::from_secs(5), server.next()).await.unwrap();
    assert!(matches!(pong, Some(Ok(Message::Pong(_)))), "{pong:?}");
    let mut client = got_ping.await.unwrap().expect("client saw the ping");
    server.send(Message::text("bye")).await.unwrap();
    assert_eq!(client.next().await.unwrap().unwrap(), Message::text("bye"));
    // Sink::close sends a normal close
    SinkExt::close(&mut server).await.unwrap();
    assert_eq!(
        client.next().await.unwrap().unwrap(),
        Message::Close(Some(http_ws::CloseFrame::new(CloseCode::NORMAL, "")))
    );
}

#[tokio::test]
async fn a_peer_that_never_reads_cannot_hold_a_failing_connection() {
    // a tiny pipe the peer never drains: our close frame cannot be written
    let (a, mut b) = tokio::io::duplex(64);
    let mut config = Config::default();
    config.close_timeout = Duration::from_millis(100);
    let mut ws = http_ws::WebSocket::from_upgraded(a, http_ws::Role::Server, config);
    // fill our side's output first, then send a violation
    let _ = timeout(Duration::from_millis(50), ws.feed(Message::binary(vec![0; 4096]))).await;
    let _ = timeout(Duration::from_millis(50), ws.flush()).await;
    b.write_all(b"\x81\x01x").await.unwrap(); // unmasked
    let got = timeout(Duration::from_secs(5), ws.next()).await.expect("gives up after the close timeout");
    assert!(matches!(got, Some(Err(http_ws::Error::Protocol(http_ws::ProtocolError::UnmaskedFrame)))), "{got:?}");
    assert!(timeout(Duration::from_secs(5), ws.next()).await.unwrap().is_none());
}

#[test]
fn sockets_and_policies_move_between_tasks() {
    fn send_static<T: Send + Sync + 'static>() {}
    fn send_only<T: Send + 'static>() {}
    send_only::<http_ws::WebSocket<TcpStream>>();
    send_only::<http_ws::WebSocket<http_ws::H2Stream>>();
    send_only::<http_ws::WebSocket<http_ws::client::ClientStream>>();
    send_static::<http_ws::Accept>();
    send_static::<Client>();
}

#[tokio::test]
async fn the_handshake_runs_over_any_io() {
    let (a, b) = tokio::io::duplex(4096);
    let server = tokio::spawn(async move {
        let mut a = a;
        let (config, early) =
            testing::accept_http1(&mut a, &http_ws::Accept::new().protocols(["v1"])).await.unwrap().unwrap();
        assert_eq!(config.protocol.as_deref(), Some("v1"));
        testing::echo(&mut http_ws::WebSocket::from_parts(a, http_ws::Role::Server, config, early)).await;
    });
    let uri = "ws://in-memory/path?q=1".parse().unwrap();
    let (mut ws, resp) =
        Client::new().protocols(["v0", "v1"]).deflate(Some(DeflateConfig::default())).handshake(b, &uri).await.unwrap();
    assert_eq!(resp.status(), 101);
    assert_eq!(ws.protocol(), Some("v1"));
    assert!(ws.config().deflate.is_some());
    ws.send(Message::text("in memory ".repeat(20))).await.unwrap();
    assert_eq!(ws.next().await.unwrap().unwrap(), Message::text("in memory ".repeat(20)));
    ws.close(CloseCode::NORMAL, "").await.unwrap();
    server.await.unwrap();
}

#[tokio::test]
async fn a_split_socket_receives_and_sends_from_two_tasks() {
    let addr = echo_server().await;
    let ws = http_ws::client::connect(&format!("ws://{addr}/")).await.unwrap();
    let (mut sink, mut stream) = ws.split();
    let n = 2000;
    let writer = tokio::spawn(async move {
        for i in 0..n {
            sink.feed(Message::text(format!("{i:06}").repeat(100))).await.unwrap();
            if i % 7 == 0 {
                sink.feed(Message::Ping(Bytes::from_static(b"k"))).await.unwrap();
            }
        }
        sink.flush().await.unwrap();
        sink
    });
    let mut got = 0;
    while got < n {
        match timeout(Duration::from_secs(10), stream.next()).await.unwrap().unwrap().unwrap() {
            Message::Text(t) => {
                assert_eq!(t, format!("{got:06}").repeat(100));
                got += 1;
            }
            Message::Pong(_) => {}
            other => panic!("{other:?}"),
        }
    }
    let sink = writer.await.unwrap();
    let mut ws = sink.reunite(stream).unwrap();
    ws.close(CloseCode::NORMAL, "").await.unwrap();
}
