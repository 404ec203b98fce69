//! The `deferred` binary over real sockets: a request parked by `GET /wait/{id}` is
//! answered by `POST /release/{id}` from another connection (HTTP/1.1) or another stream
//! of the same connection (HTTP/2 with prior knowledge); no answer before `--deadline`
//! → 504; releasing an id nobody waits under → 404; a second wait under a busy id → 409.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use bytes::Bytes;

#[path = "../../testing/tools.rs"]
mod tools;
use tools::Killed;

/// `deferred --deadline SECS` on a free port, and its address.
fn start(deadline: &str) -> (Killed, String) {
    let child = Command::new(env!("CARGO_BIN_EXE_deferred"))
        .args(["--host", "127.0.0.1", "--port", "0", "--workers", "2", "--deadline", deadline])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start deferred");
    let mut child = Killed(child);
    let mut line = String::new();
    BufReader::new(child.0.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let addr = line.trim().strip_prefix("listening on http://").unwrap_or_else(|| panic!("{line:?}")).to_owned();
    (child, addr)
}

/// One HTTP/1.1 request on its own connection: (status, body).
fn request(addr: &str, method: &str, path: &str, body: &str) -> (u16, String) {
    let mut c = TcpStream::connect(addr).unwrap();
    c.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    let head =
        format!("{method} {path} HTTP/1.1\r\nHost: t\r\nContent-Length: {}\r\nConnection: close\r\n\r\n", body.len());
    c.write_all(head.as_bytes()).unwrap();
    c.write_all(body.as_bytes()).unwrap();
    let mut got = String::new();
    c.read_to_string(&mut got).unwrap();
    let status = got.get(9..12).and_then(|s| s.parse().ok()).unwrap_or_else(|| panic!("{got:?}"));
    let body = got.split_once("\r\n\r\n").map(|(_, b)| b.to_owned()).unwrap_or_default();
    (status, body)
}

/// Polls `/pending` until it lists `id` (bounded).
fn wait_until_parked(addr: &str, id: &str) {
    let start = Instant::now();
    while !request(addr, "GET", "/pending", "").1.contains(&format!("\"{id}\"")) {
        assert!(start.elapsed() < Duration::from_secs(10), "{id} parked within 10 s");
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn release_by_id_from_another_connection() {
    let (_server, addr) = start("30");
    let waiter = {
        let addr = addr.clone();
        std::thread::spawn(move || request(&addr, "GET", "/wait/job-1", ""))
    };
    wait_until_parked(&addr, "job-1");
    assert_eq!(request(&addr, "GET", "/wait/job-1", "").0, 409, "the id is taken while job-1 waits");
    assert_eq!(request(&addr, "POST", "/release/job-1", "here you go"), (204, String::new()));
    assert_eq!(waiter.join().unwrap(), (200, "here you go".to_owned()));
    assert_eq!(request(&addr, "GET", "/pending", ""), (200, "[]".to_owned()));
    assert_eq!(request(&addr, "POST", "/release/job-1", "twice").0, 404, "answered once only");
}

#[test]
fn fresh_ids_are_listed_and_released() {
    let (_server, addr) = start("30");
    let waiter = {
        let addr = addr.clone();
        std::thread::spawn(move || request(&addr, "GET", "/wait", ""))
    };
    let start = Instant::now();
    let id = loop {
        let (_, list) = request(&addr, "GET", "/pending", "");
        let ids: Vec<String> = serde_json::from_str(&list).unwrap();
        if let Some(id) = ids.into_iter().next() {
            break id;
        }
        assert!(start.elapsed() < Duration::from_secs(10), "parked within 10 s");
        std::thread::sleep(Duration::from_millis(10));
    };
    assert_eq!(request(&addr, "POST", &format!("/release/{id}"), "by number").0, 204);
    assert_eq!(waiter.join().unwrap(), (200, "by number".to_owned()));
}

#[test]
fn no_answer_before_the_deadline_is_504_and_unknown_ids_are_404() {
    let (_server, addr) = start("0.5");
    assert_eq!(request(&addr, "POST", "/release/nobody", "x").0, 404);
    let start = Instant::now();
    let (status, _) = request(&addr, "GET", "/wait/slow", "");
    let took = start.elapsed();
    assert_eq!(status, 504);
    assert!(took >= Duration::from_millis(500) && took < Duration::from_secs(5), "504 at the deadline, took {took:?}");
    assert_eq!(request(&addr, "POST", "/release/slow", "too late").0, 404, "a timed-out id is gone");
    assert_eq!(request(&addr, "GET", "/pending", ""), (200, "[]".to_owned()));
}

/// HTTP/2 with prior knowledge: the parked request and its release are two streams of
/// one connection; the wait does not block the release.
#[tokio::test]
async fn works_over_h2c_on_one_connection() {
    let (_server, addr) = start("30");
    let run = async {
        let io = tokio::net::TcpStream::connect(&addr).await.unwrap();
        let (send, conn) = h2::client::handshake(io).await.expect("h2c handshake");
        tokio::spawn(conn);
        let mut send = send.ready().await.unwrap();
        let get = http::Request::get(format!("http://{addr}/wait/h2-job")).body(()).unwrap();
        let (waiting, _) = send.send_request(get, true).unwrap();
        // The release goes out on a second stream once the first is parked.
        loop {
            let mut send = send.clone().ready().await.unwrap();
            let (resp, _) = send
                .send_request(http::Request::get(format!("http://{addr}/pending")).body(()).unwrap(), true)
                .unwrap();
            let body = read_body(resp.await.unwrap().into_body()).await;
            if body.contains("h2-job") {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let post = http::Request::post(format!("http://{addr}/release/h2-job")).body(()).unwrap();
        let mut send = send.ready().await.unwrap();
        let (released, mut body) = send.send_request(post, false).unwrap();
        body.send_data(Bytes::from_static(b"over h2"), true).unwrap();
        assert_eq!(released.await.unwrap().status(), 204);
        let answer = waiting.await.unwrap();
        assert_eq!(answer.status(), 200);
        assert_eq!(read_body(answer.into_body()).await, "over h2");
    };
    tokio::time::timeout(Duration::from_secs(30), run).await.expect("h2c exchange within 30 s");
}

async fn read_body(mut body: h2::RecvStream) -> String {
    let mut all = Vec::new();
    while let Some(chunk) = body.data().await {
        let chunk = chunk.unwrap();
        let _ = body.flow_control().release_capacity(chunk.len());
        all.extend_from_slice(&chunk);
    }
    String::from_utf8(all).unwrap()
}
