//! Echo throughput and server CPU per message: our server against tokio-tungstenite's and
//! fastwebsockets', each on its own single-threaded runtime over TCP on 127.0.0.1, driven
//! by the same client (ours) sending bursts of `window` messages (one write) and reading
//! their echoes: window 1 is plain ping-pong, window 16 a pipelined client.
//!
//! `cargo bench -p http-ws --bench ws_echo` (a load benchmark: run it on an idle machine).
//! `HTTP_WS_BENCH_SECS` sets the seconds per case (default 3).

use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use http_ws::{Accept, Message, Role, WebSocket, testing};
use std::time::{Duration, Instant};
use tokio::net::{TcpListener, TcpStream};

#[derive(Clone, Copy, Debug)]
enum Server {
    HttpWs,
    Tungstenite,
    FastWebSockets,
}

/// This thread's user + system CPU time (Linux; zero elsewhere).
fn thread_cpu() -> Duration {
    let Ok(stat) = std::fs::read_to_string("/proc/thread-self/stat") else { return Duration::ZERO };
    // fields after the parenthesised command: state is field 3, utime 14, stime 15
    let rest = &stat[stat.rfind(')').map_or(0, |i| i + 2)..];
    let f: Vec<u64> = rest.split(' ').skip(11).take(2).filter_map(|x| x.parse().ok()).collect();
    Duration::from_millis(f.iter().sum::<u64>() * 10) // USER_HZ = 100
}

async fn serve_one(server: Server, listener: TcpListener) {
    let (mut tcp, _) = listener.accept().await.unwrap();
    tcp.set_nodelay(true).unwrap();
    let (config, early) = testing::accept_http1(&mut tcp, &Accept::new().deflate(None)).await.unwrap().unwrap();
    match server {
        Server::HttpWs => testing::echo(&mut WebSocket::from_parts(tcp, Role::Server, config, early)).await,
        Server::Tungstenite => {
            assert!(early.is_empty());
            use tokio_tungstenite::tungstenite::protocol::Role as TRole;
            let mut ws = tokio_tungstenite::WebSocketStream::from_raw_socket(tcp, TRole::Server, None).await;
            while let Some(Ok(m)) = ws.next().await {
                if (m.is_text() || m.is_binary()) && ws.send(m).await.is_err() {
                    break;
                }
            }
        }
        Server::FastWebSockets => {
            assert!(early.is_empty());
            use fastwebsockets::{OpCode, Role as FRole, WebSocket as FWebSocket};
            let mut ws = FWebSocket::after_handshake(tcp, FRole::Server);
            ws.set_auto_close(true);
            while let Ok(frame) = ws.read_frame().await {
                match frame.opcode {
                    OpCode::Close => break,
                    OpCode::Text | OpCode::Binary => {
                        // the received frame keeps its mask: answer with an unmasked one
                        let echo = fastwebsockets::Frame::new(true, frame.opcode, None, frame.payload);
                        if ws.write_frame(echo).await.is_err() {
                            break;
                        }
                    }
                    _ => {}
                }
            }
        }
    }
}

/// Runs one case: (round trips per second, server CPU per message).
fn run(server: Server, size: usize, window: usize, secs: f64) -> (f64, Duration) {
    let std_listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    std_listener.set_nonblocking(true).unwrap();
    let addr = std_listener.local_addr().unwrap();
    let server_thread = std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(async move {
            let listener = TcpListener::from_std(std_listener).unwrap();
            let start = thread_cpu();
            serve_one(server, listener).await;
            thread_cpu() - start
        })
    });
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let count = rt.block_on(async move {
        let tcp = TcpStream::connect(addr).await.unwrap();
        tcp.set_nodelay(true).unwrap();
        let uri = format!("ws://{addr}/").parse().unwrap();
        let mut ws = http_ws::client::handshake(tcp, &uri, http::HeaderMap::new()).await.unwrap();
        let msg = Message::Binary(Bytes::from(vec![0x61; size]));
        // bursts: `window` messages in one write, then their echoes
        let deadline = Instant::now() + Duration::from_secs_f64(secs);
        let mut count = 0u64;
        while Instant::now() < deadline {
            for _ in 0..window {
                ws.feed(msg.clone()).await.unwrap();
            }
            ws.flush().await.unwrap();
            for _ in 0..window {
                ws.next().await.unwrap().unwrap();
            }
            count += window as u64;
        }
        let _ = ws.close(http_ws::CloseCode::NORMAL, "").await;
        count
    });
    let cpu = server_thread.join().unwrap();
    (count as f64 / secs, cpu / (count.max(1) as u32))
}

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        return; // `cargo test --all-targets` runs bench binaries without `--bench`: no load there
    }
    let secs: f64 = std::env::var("HTTP_WS_BENCH_SECS").ok().and_then(|s| s.parse().ok()).unwrap_or(3.0);
    println!("{:<16} {:>6} {:>8} {:>12} {:>18}", "server", "window", "bytes", "msgs/s", "server CPU/msg");
    for window in [1, 16] {
        for size in [16, 1024, 16 << 10] {
            for server in [Server::HttpWs, Server::Tungstenite, Server::FastWebSockets] {
                let (rate, cpu) = run(server, size, window, secs);
                let name = format!("{server:?}");
                println!("{name:<16} {window:>6} {size:>8} {rate:>12.0} {:>15.2} µs", cpu.as_secs_f64() * 1e6);
            }
        }
    }
}
