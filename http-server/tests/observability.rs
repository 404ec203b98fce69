//! Metrics and access logs over real sockets: what HTTP/1.1, HTTP/2 and TLS connections
//! record, `/metrics` on the same listener, access log lines with the client's real
//! address (PROXY protocol, trusted `X-Forwarded-For`), and the binaries' flags
//! (`--metrics`, `--metrics-addr`, `--access-log`, `--access-log-file`).

mod common;
mod common_h2;

use std::sync::{Arc, LazyLock, Mutex};
use std::time::Duration;

use common::{Conn, get, opts};
use http_core::metrics::Metrics;
use http_core::{StatusCode, Stream};
use http_server::{AccessLog, Cidr, LogFormat, Server};

static ITEMS: LazyLock<Arc<str>> = LazyLock::new(|| Arc::from("/items/{id}"));

/// What a router would do: `/items/...` matches the pattern, `/panic` panics, anything
/// else is a 404 without a route.
async fn app(s: &mut Stream) {
    let path = s.startread().uri.path().to_owned();
    if path.starts_with("/items/") {
        s.context_mut().set_route(ITEMS.clone());
        let _ = s.write("item").await;
    } else if path == "/panic" {
        panic!("boom");
    } else {
        let _ = s.setstatus(StatusCode::NOT_FOUND);
        let _ = s.write("none").await;
    }
}

async fn scrape(addr: std::net::SocketAddr) -> String {
    let mut c = Conn::open(addr).await;
    c.send(&get("/metrics")).await;
    let r = c.response().await;
    assert_eq!(r.status, 200);
    assert!(r.header("content-type").unwrap().starts_with("text/plain; version=0.0.4"));
    r.text()
}

fn value(text: &str, series: &str) -> f64 {
    text.lines()
        .find_map(|l| l.strip_prefix(series).and_then(|rest| rest.strip_prefix(' ')))
        .unwrap_or_else(|| panic!("no {series} in\n{text}"))
        .parse()
        .unwrap()
}

#[tokio::test]
async fn http1_requests_connections_bytes_and_panics_are_counted() {
    let metrics = Metrics::new();
    let s = Server::listen(opts().metrics(metrics.clone()).metrics_endpoint(true), app).await.unwrap();
    let addr = s.local_addr();
    let panics_before = http_core::metrics::handler_panics();
    let mut c = Conn::open(addr).await;
    let paths = ["/items/1", "/items/2", "/items/3", "/nothing", "/panic"];
    for path in paths {
        c.send(&get(path)).await;
        c.response().await;
    }
    let text = scrape(addr).await;
    // (series, value)
    let rows = [
        (r#"http_requests_total{route="/items/{id}",status="200"}"#, 3.0),
        (r#"http_requests_total{route="",status="404"}"#, 1.0),
        (r#"http_requests_total{route="",status="500"}"#, 1.0),
        (r#"http_request_duration_seconds_count{route="/items/{id}"}"#, 3.0),
        (r#"http_connections_total{protocol="http1"}"#, 2.0),
        (r#"http_connections_open{protocol="http1"}"#, 2.0),
        (r#"http_connections_total{protocol="http2"}"#, 0.0),
    ];
    for (series, want) in rows {
        assert_eq!(value(&text, series), want, "{series}\n{text}");
    }
    assert!(value(&text, "http_handler_panics_total") > panics_before as f64);
    // Exactly the five requests (the scrape's own bytes are reported after its answer).
    let sent: usize = paths.iter().map(|p| get(p).len()).sum();
    assert_eq!(value(&text, "http_received_bytes_total"), sent as f64, "{text}");
    assert!(value(&text, "http_sent_bytes_total") > 5.0 * 20.0, "{text}");
    drop(c);
    common::eventually(Duration::from_secs(5), "connections closed", || {
        metrics.render().contains(r#"http_connections_open{protocol="http1"} 0"#)
    })
    .await;
    s.close().await;
}

#[tokio::test]
async fn pipelined_requests_are_each_counted_and_timed() {
    let metrics = Metrics::new();
    let s = Server::listen(opts().metrics(metrics.clone()), app).await.unwrap();
    let mut c = Conn::open(s.local_addr()).await;
    c.send(&[get("/items/1"), get("/items/2"), get("/items/3"), get("/items/4")].concat()).await;
    for _ in 0..4 {
        assert_eq!(c.response().await.status, 200);
    }
    common::eventually(Duration::from_secs(5), "four requests counted", || {
        let text = metrics.render();
        text.contains(r#"http_requests_total{route="/items/{id}",status="200"} 4"#)
            && text.contains(r#"http_request_duration_seconds_count{route="/items/{id}"} 4"#)
    })
    .await;
    s.close().await;
}

#[tokio::test]
async fn without_the_endpoint_the_handler_answers_metrics_paths() {
    let s = Server::listen(opts().metrics(Metrics::new()), app).await.unwrap();
    let mut c = Conn::open(s.local_addr()).await;
    c.send(&get("/metrics")).await;
    assert_eq!(c.response().await.status, 404, "the application's own /metrics");
    s.close().await;
}

#[tokio::test]
async fn http2_streams_and_connections_are_counted() {
    use common_h2::{HEADERS, RawH2, frame, request_block};
    let metrics = Metrics::new();
    let s = Server::listen(opts().metrics(metrics.clone()), app).await.unwrap();
    let mut raw = RawH2::connect(s.local_addr()).await;
    raw.send(&frame(HEADERS, 0x5, 1, &request_block("GET", "/items/7"))).await.unwrap();
    raw.send(&frame(HEADERS, 0x5, 3, &request_block("GET", "/nothing"))).await.unwrap();
    common::eventually(Duration::from_secs(5), "two streams counted", || {
        let text = metrics.render();
        text.contains(r#"http_requests_total{route="/items/{id}",status="200"} 1"#)
            && text.contains(r#"http_requests_total{route="",status="404"} 1"#)
    })
    .await;
    let text = metrics.render();
    assert_eq!(value(&text, r#"http_connections_open{protocol="http2"}"#), 1.0, "{text}");
    assert!(value(&text, "http_received_bytes_total") > 24.0, "the preface at least: {text}");
    assert!(value(&text, "http_sent_bytes_total") > 0.0, "{text}");
    s.close().await;
}

#[tokio::test]
async fn tls_handshakes_are_counted_by_result() {
    use tokio::io::AsyncWriteExt;
    let cert = common_h2::make_cert();
    let metrics = Metrics::new();
    let options = opts().metrics(metrics.clone()).tls(cert.tls_config());
    let s = Server::listen(options, app).await.unwrap();
    let client = common_h2::client_config(&cert, &[b"http/1.1"], &[&rustls::version::TLS13]);
    let ok = common_h2::tls_connect(s.local_addr(), client).await.expect("handshake");
    // A ClientHello record header with garbage after it: the handshake fails.
    let mut bad = tokio::net::TcpStream::connect(s.local_addr()).await.unwrap();
    bad.write_all(&[0x16, 0x03, 0x01, 0x00, 0x05, 1, 2, 3, 4, 5]).await.unwrap();
    common::eventually(Duration::from_secs(5), "both handshakes counted", || {
        let text = metrics.render();
        text.contains(r#"http_tls_handshakes_total{result="ok"} 1"#)
            && text.contains(r#"http_tls_handshakes_total{result="failed"} 1"#)
    })
    .await;
    drop((ok, bad));
    s.close().await;
}

/// A writer the test reads back.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Captured {
    async fn lines(&self, n: usize) -> Vec<String> {
        let mut got = Vec::new();
        common::eventually(Duration::from_secs(5), "log lines", || {
            got = String::from_utf8_lossy(&self.0.lock().unwrap()).lines().map(str::to_owned).collect();
            got.len() >= n
        })
        .await;
        got
    }
}

#[tokio::test]
async fn access_log_has_the_real_client_from_trusted_forwarding_fields() {
    let out = Captured::default();
    let options = opts()
        .trusted_proxies(Cidr::parse_list("loopback").unwrap())
        .access_log(AccessLog::to_writer(out.clone(), LogFormat::Combined));
    let s = Server::listen(options, app).await.unwrap();
    let mut c = Conn::open(s.local_addr()).await;
    c.send(b"GET /items/9?x=1 HTTP/1.1\r\nHost: a\r\nX-Forwarded-For: 203.0.113.50\r\nUser-Agent: probe/1\r\nReferer: http://r/\r\n\r\n").await;
    c.response().await;
    c.send(&get("/nothing")).await;
    c.response().await;
    let lines = out.lines(2).await;
    assert!(lines[0].starts_with("203.0.113.50 - - ["), "{}", lines[0]);
    assert!(lines[0].ends_with(r#"] "GET /items/9?x=1 HTTP/1.1" 200 - "http://r/" "probe/1""#), "{}", lines[0]);
    assert!(lines[1].starts_with("127.0.0.1 - - ["), "no forwarding field: the peer: {}", lines[1]);
    assert!(lines[1].contains(r#""GET /nothing HTTP/1.1" 404 "#), "{}", lines[1]);
    s.close().await;
}

#[tokio::test]
async fn access_log_json_has_the_client_from_the_proxy_protocol_and_ignores_untrusted_fields() {
    let out = Captured::default();
    let options = opts()
        .proxy_protocol(true)
        .trusted_proxies(Cidr::parse_list("loopback").unwrap())
        .access_log(AccessLog::to_writer(out.clone(), LogFormat::Json));
    let s = Server::listen(options, app).await.unwrap();
    let mut c = Conn::open(s.local_addr()).await;
    c.send(b"PROXY TCP4 198.51.100.4 127.0.0.1 5555 80\r\nGET /items/1 HTTP/1.1\r\nHost: a\r\n\r\n").await;
    c.response().await;
    let lines = out.lines(1).await;
    let line: serde_json::Value = serde_json::from_str(&lines[0]).unwrap();
    assert_eq!(line["client"], "198.51.100.4");
    assert_eq!(line["route"], "/items/{id}");
    assert_eq!((line["status"].as_u64(), line["method"].as_str()), (Some(200), Some("GET")));
    s.close().await;

    // Without trusted proxies, a spoofed X-Forwarded-For is not what the log says.
    let out = Captured::default();
    let s = Server::listen(opts().access_log(AccessLog::to_writer(out.clone(), LogFormat::Json)), app).await.unwrap();
    let mut c = Conn::open(s.local_addr()).await;
    c.send(b"GET / HTTP/1.1\r\nHost: a\r\nX-Forwarded-For: 1.2.3.4\r\n\r\n").await;
    c.response().await;
    let line: serde_json::Value = serde_json::from_str(&out.lines(1).await[0]).unwrap();
    assert_eq!(line["client"], "127.0.0.1");
    s.close().await;
}

#[cfg(unix)]
mod binary {
    use std::io::{BufRead, BufReader, Read};
    use std::process::{Child, Command, Stdio};

    use super::*;

    struct Running {
        child: Child,
        addr: std::net::SocketAddr,
        stdout: BufReader<std::process::ChildStdout>,
    }

    impl Drop for Running {
        fn drop(&mut self) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }

    fn fileserver(dir: &std::path::Path, flags: &[&str]) -> Running {
        std::fs::create_dir_all(dir).unwrap();
        std::fs::write(dir.join("index.html"), "home").unwrap();
        let mut child = Command::new(env!("CARGO_BIN_EXE_fileserver"))
            .args(["--port", "0", "--quiet"])
            .args(flags)
            .arg(dir)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut first = String::new();
        stdout.read_line(&mut first).unwrap();
        let addr = first.trim().strip_prefix("listening on http://").expect(&first).parse().unwrap();
        Running { child, addr, stdout }
    }

    fn temp(name: &str) -> std::path::PathBuf {
        std::env::temp_dir().join(format!("http-rs-obs-{name}-{}", std::process::id()))
    }

    #[tokio::test]
    async fn fileserver_metrics_and_json_access_log_on_stdout() {
        let dir = temp("stdout");
        let mut run = fileserver(&dir, &["--metrics", "--access-log", "json"]);
        let mut c = Conn::open(run.addr).await;
        c.send(&get("/")).await;
        assert_eq!(c.response().await.text(), "home");
        // Counted when the exchange ends, which may be just after the client has the
        // response: scrape until it shows (bounded).
        let series = r#"http_requests_total{route="",status="200"}"#;
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        loop {
            let text = scrape(run.addr).await;
            if text.lines().any(|l| l.starts_with(series)) && value(&text, series) >= 1.0 {
                break;
            }
            assert!(std::time::Instant::now() < deadline, "no {series} ≥ 1 within 10 s:\n{text}");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        // The scrapes are logged too, and one that began before the exchange ended may be
        // logged before it: the first line that is not a scrape is the request's.
        let json = loop {
            let mut line = String::new();
            assert!(run.stdout.read_line(&mut line).unwrap() > 0, "stdout ended before the request's log line");
            let json: serde_json::Value = serde_json::from_str(&line).expect(&line);
            if json["target"].as_str() != Some("/metrics") {
                break json;
            }
        };
        assert_eq!((json["target"].as_str(), json["client"].as_str()), (Some("/"), Some("127.0.0.1")));
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[tokio::test]
    async fn fileserver_metrics_addr_and_access_log_file() {
        let dir = temp("file");
        let log = dir.with_extension("log");
        let _ = std::fs::remove_file(&log);
        let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let metrics_addr = probe.local_addr().unwrap();
        drop(probe);
        let mut run = fileserver(
            &dir,
            &["--metrics-addr", &metrics_addr.to_string(), "--access-log-file", log.to_str().unwrap()],
        );
        let mut c = Conn::open(run.addr).await;
        c.send(&get("/")).await;
        c.response().await;
        // /metrics is not on the main listener, but on its own.
        c.send(&get("/metrics")).await;
        assert_eq!(c.response().await.status, 404);
        let text = scrape(metrics_addr).await;
        assert!(value(&text, r#"http_requests_total{route="",status="200"}"#) >= 1.0, "{text}");
        assert_eq!(value(&text, r#"http_connections_total{protocol="http1"}"#), 1.0, "scrapes are not counted: {text}");
        common::eventually(Duration::from_secs(5), "log file lines", || {
            std::fs::read_to_string(&log).is_ok_and(|t| t.lines().count() >= 2)
        })
        .await;
        let logged = std::fs::read_to_string(&log).unwrap();
        assert!(logged.lines().next().unwrap().contains(r#""GET / HTTP/1.1" 200 4 "-" "-""#), "{logged}");
        // Nothing but the first line on stdout.
        let _ = run.child.kill();
        let mut rest = String::new();
        let _ = run.stdout.read_to_string(&mut rest);
        assert_eq!(rest, "", "stdout after the first line");
        let _ = std::fs::remove_dir_all(&dir);
        let _ = std::fs::remove_file(&log);
    }
}
