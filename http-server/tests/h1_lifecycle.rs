//! Connection and server lifecycle over real sockets: timeouts (slowloris, idle),
//! graceful and forced shutdown, the connection count, handler panics, and the
//! connection limit.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::{Closed, Conn, bounded, eventually, get, opts, pattern};
use http_core::{Body, Request, Response, Stream};
use http_server::Server;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use tokio::sync::Notify;
use tokio::time::Instant;

const SLOW_BODY: usize = 100_000;

/// `/slow` signals `started`, sleeps 300 ms and answers a 100 kB body; `/hang` signals
/// and sleeps 30 s; `/panic` panics; `/huge` streams 256 MiB; anything else answers
/// `ok {path}` (after reading the body, as serve-style handlers do).
fn app(
    started: Arc<Notify>,
) -> impl Fn(Request) -> std::pin::Pin<Box<dyn Future<Output = Response> + Send>> + Send + Sync + 'static {
    move |req: Request| {
        let started = started.clone();
        Box::pin(async move {
            match req.path() {
                "/slow" => {
                    started.notify_one();
                    tokio::time::sleep(Duration::from_millis(300)).await;
                    Response::from(http::Response::new(pattern(SLOW_BODY, 5)))
                }
                "/hang" => {
                    started.notify_one();
                    tokio::time::sleep(Duration::from_secs(30)).await;
                    Response::text("too late")
                }
                "/panic" => panic!("handler panicked on purpose"),
                "/huge" => {
                    // 256 MiB, produced lazily: far more than the socket buffers hold.
                    let chunk = bytes::Bytes::from(vec![b'h'; 1024 * 1024]);
                    let chunks = std::iter::repeat_n(chunk, 256).map(Ok::<_, std::convert::Infallible>);
                    Response::from(http::Response::new(Body::from_bytes_stream(tokio_stream::iter(chunks))))
                }
                p => Response::text(format!("ok {p}")),
            }
        })
    }
}

async fn start(o: http_server::ServerOptions) -> (Server, Arc<Notify>) {
    let started = Arc::new(Notify::new());
    let server = Server::serve(o, app(started.clone())).await.expect("server starts");
    (server, started)
}

async fn expect_ok(conn: &mut Conn, path: &str) {
    conn.send(&get(path)).await;
    let r = conn.response().await;
    assert_eq!((r.status, r.text()), (200, format!("ok {path}")));
}

async fn assert_refused(server: &Server) {
    match tokio::time::timeout(Duration::from_secs(2), TcpStream::connect(server.local_addr())).await {
        Ok(Err(e)) => assert_eq!(e.kind(), std::io::ErrorKind::ConnectionRefused, "{e}"),
        Ok(Ok(_)) => panic!("a new connection was accepted after close()"),
        Err(_) => panic!("connect neither failed nor succeeded"),
    }
}

#[tokio::test]
async fn slowloris_is_cut_off_by_read_header_timeout() {
    let (server, _) = start(opts().read_header_timeout(Duration::from_millis(300))).await;
    let mut conn = Conn::to(&server).await;
    let started = Instant::now();
    conn.send(b"GET / HTTP/1.1\r\nHost: t\r\n").await;
    // Trickle one header byte every 50 ms, never finishing the head.
    let mut tcp = conn.tcp;
    let (mut rd, mut wr) = tcp.split();
    let trickle = async {
        for b in b"X-Slow: ".iter().chain([b'a'; 200].iter()).cycle().take(60) {
            if wr.write_all(&[*b]).await.is_err() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    };
    let read = async {
        let mut out = Vec::new();
        let _ =
            bounded(common::WAIT, "slowloris response", tokio::io::AsyncReadExt::read_to_end(&mut rd, &mut out)).await;
        out
    };
    let (bytes, ()) = tokio::join!(read, trickle);
    let took = started.elapsed();
    let text = String::from_utf8_lossy(&bytes);
    assert!(text.starts_with("HTTP/1.1 408 Request Timeout\r\n"), "{text:?}");
    assert!(text.contains("\r\nconnection: close\r\n"), "{text:?}");
    assert!(text.ends_with("\r\n\r\nRequest Timeout"), "{text:?}");
    assert!(took >= Duration::from_millis(250), "cut off too early: {took:?}");
    assert!(took < Duration::from_millis(2000), "cut off too late: {took:?}");

    // The same guard on a later request of a keep-alive connection, timed from its first byte.
    let mut conn = Conn::to(&server).await;
    expect_ok(&mut conn, "/first").await;
    tokio::time::sleep(Duration::from_millis(400)).await; // idle is not slowloris
    expect_ok(&mut conn, "/second").await;
    conn.send(b"GET /third HTTP/1.1\r\n").await;
    let t0 = Instant::now();
    let r = conn.response().await;
    assert_eq!((r.status, r.says_close()), (408, true));
    assert!(t0.elapsed() >= Duration::from_millis(250) && t0.elapsed() < Duration::from_secs(2), "{:?}", t0.elapsed());
    conn.closed().await;
    server.close().await;
}

#[tokio::test]
async fn silent_connection_is_closed_without_a_response() {
    let (server, _) = start(opts().read_header_timeout(Duration::from_millis(300))).await;
    let mut conn = Conn::to(&server).await;
    let t0 = Instant::now();
    assert_eq!(conn.read_to_close().await, b"", "no response to a connection that sent nothing");
    assert!(t0.elapsed() >= Duration::from_millis(250) && t0.elapsed() < Duration::from_secs(2), "{:?}", t0.elapsed());
    eventually(Duration::from_secs(2), "connection count back to 0", || server.connections() == 0).await;
    server.close().await;
}

#[tokio::test]
async fn idle_keep_alive_connection_is_closed_after_idle_timeout() {
    let (server, _) = start(opts().idle_timeout(Duration::from_millis(300))).await;
    let mut conn = Conn::to(&server).await;
    expect_ok(&mut conn, "/a").await;
    let t0 = Instant::now();
    // Still open well within the timeout.
    assert!(conn.silent_for(Duration::from_millis(150)).await);
    expect_ok(&mut conn, "/b").await;
    let t0b = Instant::now();
    conn.closed().await;
    assert!(t0b.elapsed() >= Duration::from_millis(250), "closed too early: {:?}", t0b.elapsed());
    assert!(t0.elapsed() < Duration::from_secs(2), "closed too late: {:?}", t0.elapsed());
    eventually(Duration::from_secs(2), "connection count back to 0", || server.connections() == 0).await;
    server.close().await;
}

/// A connection idle past the buffer-release delay (1 s) has given its buffers and
/// exchange slot back; it must serve on exactly as before: single requests, a pipeline,
/// a head split across writes, a body, and the idle timeout still counted from the start
/// of the wait (not restarted by the release).
#[tokio::test]
async fn connection_serves_on_after_releasing_its_buffers_when_idle() {
    let (server, _) = start(opts().idle_timeout(Duration::from_millis(2500))).await;
    let mut conn = Conn::to(&server).await;
    // Cold (lone request), then hot (a second one right after), then idle past release.
    expect_ok(&mut conn, "/cold").await;
    expect_ok(&mut conn, "/hot").await;
    assert!(conn.silent_for(Duration::from_millis(1300)).await);
    let mut pipeline = Vec::new();
    for p in ["/p1", "/p2", "/p3"] {
        pipeline.extend_from_slice(&get(p));
    }
    conn.send(&pipeline).await;
    for p in ["/p1", "/p2", "/p3"] {
        let r = conn.response().await;
        assert_eq!((r.status, r.text()), (200, format!("ok {p}")));
    }
    assert!(conn.silent_for(Duration::from_millis(1300)).await);
    // A head in two pieces, then a body, after another release.
    conn.send(b"POST /split HTTP/1.1\r\nHost: x\r\nContent-").await;
    tokio::time::sleep(Duration::from_millis(50)).await;
    conn.send(b"Length: 5\r\n\r\nhello").await;
    let r = conn.response().await;
    assert_eq!((r.status, r.text()), (200, "ok /split".to_string()));
    // Idle timeout measured from the end of the last exchange: 2.5 s, with a release at 1 s.
    let t0 = Instant::now();
    conn.closed().await;
    let idle = t0.elapsed();
    assert!(idle >= Duration::from_millis(2300) && idle < Duration::from_millis(3300), "closed after {idle:?}");
    server.close().await;
}

#[tokio::test]
async fn close_finishes_in_flight_and_refuses_new_connections() {
    let (server, started) = start(opts()).await;
    let mut idle = Conn::to(&server).await;
    expect_ok(&mut idle, "/warm").await;
    let mut busy = Conn::to(&server).await;
    busy.send(&get("/slow")).await;
    bounded(common::WAIT, "handler starts", started.notified()).await;
    assert_eq!(server.connections(), 2);

    let t0 = Instant::now();
    let closing = tokio::spawn({
        let server = server.clone();
        async move { server.close().await }
    });
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert!(!server.is_open());
    assert!(!closing.is_finished(), "close() returned while a request was in flight");
    assert_refused(&server).await;
    // The idle keep-alive connection is closed at once, without a response.
    assert_eq!(bounded(Duration::from_millis(500), "idle close", idle.try_closed()).await, Ok(Closed::Eof));

    let r = busy.response().await;
    assert_eq!(r.status, 200);
    assert!(r.body == pattern(SLOW_BODY, 5), "in-flight body cut or changed ({} bytes)", r.body.len());
    assert!(r.says_close(), "a response during shutdown announces the close: {:?}", r.headers);
    busy.closed().await;

    bounded(Duration::from_secs(2), "close() returns", closing).await.unwrap();
    assert!(t0.elapsed() >= Duration::from_millis(200), "close() did not wait for the handler: {:?}", t0.elapsed());
    assert_eq!(server.connections(), 0);
    bounded(Duration::from_millis(100), "wait() after close", server.wait()).await;
    assert_refused(&server).await;
}

#[tokio::test]
async fn close_cuts_what_outlives_shutdown_timeout() {
    let (server, started) = start(opts().shutdown_timeout(Duration::from_millis(300))).await;
    let mut busy = Conn::to(&server).await;
    busy.send(&get("/hang")).await;
    bounded(common::WAIT, "handler starts", started.notified()).await;
    let t0 = Instant::now();
    bounded(Duration::from_secs(3), "close()", server.close()).await;
    assert!(t0.elapsed() >= Duration::from_millis(250), "{:?}", t0.elapsed());
    assert_eq!(busy.read_to_close().await, b"");
    assert_eq!(server.connections(), 0);
}

#[tokio::test]
async fn forceclose_cuts_in_flight_requests_at_once() {
    let (server, started) = start(opts()).await;
    let mut busy = Conn::to(&server).await;
    busy.send(&get("/hang")).await;
    bounded(common::WAIT, "handler starts", started.notified()).await;
    let mut idle = Conn::to(&server).await;
    expect_ok(&mut idle, "/x").await;

    let t0 = Instant::now();
    bounded(Duration::from_secs(2), "forceclose()", server.forceclose()).await;
    assert!(t0.elapsed() < Duration::from_secs(1), "forceclose took {:?}", t0.elapsed());
    let got = bounded(Duration::from_secs(1), "in-flight cut", busy.read_to_close()).await;
    assert_eq!(got, b"", "no response for the cut request");
    bounded(Duration::from_secs(1), "idle cut", idle.try_closed()).await.unwrap();
    assert_eq!(server.connections(), 0);
    assert!(!server.is_open());
    assert_refused(&server).await;
}

async fn streaming_then_hang(s: &mut Stream) {
    let _ = s.write("first part;").await;
    let _ = s.flush().await;
    tokio::time::sleep(Duration::from_secs(30)).await;
    let _ = s.write("never").await;
}

#[tokio::test]
async fn forceclose_cuts_a_streaming_response() {
    let server = Server::listen(opts(), streaming_then_hang).await.unwrap();
    let mut conn = Conn::to(&server).await;
    conn.send(&get("/")).await;
    // Wait for the first chunk to be on the wire.
    eventually(Duration::from_secs(2), "first chunk", || server.connections() == 1).await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    bounded(Duration::from_secs(2), "forceclose()", server.forceclose()).await;
    let err = bounded(Duration::from_secs(1), "read", conn.try_response(false)).await.unwrap_err();
    assert!(err.contains("EOF") || err.contains("read error"), "{err}");
    assert_eq!(server.connections(), 0);
}

#[tokio::test]
async fn connection_count_follows_open_connections() {
    let (server, _) = start(opts()).await;
    assert_eq!(server.connections(), 0);
    let mut conns = Vec::new();
    for i in 0..3 {
        let mut c = Conn::to(&server).await;
        expect_ok(&mut c, &format!("/c{i}")).await;
        conns.push(c);
    }
    assert_eq!(server.connections(), 3);
    conns.truncate(1);
    eventually(Duration::from_secs(2), "count 1", || server.connections() == 1).await;
    // A client-side `Connection: close` ends its connection too.
    let mut c = Conn::to(&server).await;
    c.send(b"GET /bye HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n").await;
    assert_eq!(c.response().await.status, 200);
    c.closed().await;
    eventually(Duration::from_secs(2), "count 1 again", || server.connections() == 1).await;
    drop(conns);
    eventually(Duration::from_secs(2), "count 0", || server.connections() == 0).await;
    server.close().await;
    assert_eq!(server.connections(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn handler_panic_costs_one_request() {
    let (server, _) = start(opts()).await;
    let mut conn = Conn::to(&server).await;
    let mut other = Conn::to(&server).await;
    expect_ok(&mut other, "/before").await;

    conn.send(&get("/panic")).await;
    let r = conn.response().await;
    assert_eq!((r.status, r.text().as_str()), (500, "Internal Server Error"));
    r.assert_date();
    // The same connection goes on.
    expect_ok(&mut conn, "/after").await;
    // So do pipelined neighbours of a panicking request.
    let mut batch = get("/p1");
    batch.extend(get("/panic"));
    batch.extend(get("/p3"));
    conn.send(&batch).await;
    let statuses: Vec<(u16, String)> = [conn.response().await, conn.response().await, conn.response().await]
        .iter()
        .map(|r| (r.status, r.text()))
        .collect();
    assert_eq!(
        statuses,
        vec![(200, "ok /p1".to_owned()), (500, "Internal Server Error".to_owned()), (200, "ok /p3".to_owned())]
    );
    // And other connections, and new ones.
    expect_ok(&mut other, "/other").await;
    let mut fresh = Conn::to(&server).await;
    expect_ok(&mut fresh, "/fresh").await;
    assert!(server.is_open());
    server.close().await;
}

async fn panic_after_head(s: &mut Stream) {
    if s.startread().uri.path() == "/mid" {
        let _ = s.write("partial").await;
        let _ = s.flush().await;
        panic!("panic after the head was sent");
    }
    let _ = s.setheader("content-length", "2");
    let _ = s.write("ok").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn handler_panic_after_the_head_cuts_that_response() {
    let server = Server::listen(opts(), panic_after_head).await.unwrap();
    let mut conn = Conn::to(&server).await;
    conn.send(&get("/mid")).await;
    // The response had started (chunked): it cannot become a 500, so it is cut short.
    let err = conn.try_response(false).await.unwrap_err();
    assert!(err.contains("EOF"), "{err}");
    let mut c2 = Conn::to(&server).await;
    c2.send(&get("/fine")).await;
    let r = c2.response().await;
    assert_eq!((r.status, r.text().as_str()), (200, "ok"));
    server.close().await;
}

#[tokio::test]
async fn over_max_connections_is_503() {
    let (server, _) = start(opts().max_connections(2)).await;
    let mut a = Conn::to(&server).await;
    expect_ok(&mut a, "/a").await;
    let mut b = Conn::to(&server).await;
    expect_ok(&mut b, "/b").await;
    assert_eq!(server.connections(), 2);

    for send_first in [false, true] {
        let mut c = Conn::to(&server).await;
        if send_first {
            c.send(&get("/c")).await;
        }
        let r = c.response().await;
        assert_eq!(r.status, 503, "send_first={send_first}");
        assert_eq!(r.text(), "Service Unavailable");
        assert!(r.says_close());
        assert!(r.header("retry-after").is_some());
        c.closed().await;
    }
    assert_eq!(server.connections(), 2, "refused connections are not counted");
    // The existing ones still work; once one leaves, a new one is accepted.
    expect_ok(&mut a, "/a2").await;
    drop(b);
    eventually(Duration::from_secs(2), "count 1", || server.connections() == 1).await;
    let mut d = Conn::to(&server).await;
    expect_ok(&mut d, "/d").await;
    server.close().await;
}

#[tokio::test]
async fn stalled_request_body_is_cut_by_read_timeout() {
    let (server, _) = start(opts().read_timeout(Duration::from_millis(300))).await;
    let mut conn = Conn::to(&server).await;
    conn.send(b"POST /upload HTTP/1.1\r\nHost: t\r\nContent-Length: 100\r\n\r\n0123456789").await;
    let t0 = Instant::now();
    let r = conn.response().await;
    assert_eq!((r.status, r.text().as_str()), (408, "Request Timeout"));
    assert!(t0.elapsed() >= Duration::from_millis(250) && t0.elapsed() < Duration::from_secs(2), "{:?}", t0.elapsed());
    // The body is broken off: the connection cannot be reused, and the response says so.
    assert!(r.says_close(), "{:?}", r.headers);
    conn.closed().await;
    eventually(Duration::from_secs(2), "count 0", || server.connections() == 0).await;
    server.close().await;
}

#[tokio::test]
async fn client_that_stops_reading_is_cut_by_write_timeout() {
    let (server, _) = start(opts().write_timeout(Duration::from_millis(300))).await;
    let mut conn = Conn::to(&server).await;
    conn.send(&get("/huge")).await;
    eventually(Duration::from_secs(2), "connection accepted", || server.connections() == 1).await;
    // Never read: the server's writes stall once the socket buffers are full.
    eventually(Duration::from_secs(3), "connection dropped after write_timeout", || server.connections() == 0).await;
    let got = conn.read_to_close().await;
    assert!(got.len() < 256 * 1024 * 1024, "the whole body was sent");
    server.close().await;
}
