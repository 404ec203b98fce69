//! The `fetch` binary, judged by its exit codes (curl's), its stdout and its stderr,
//! against our server in-process and raw TCP servers.

mod support;

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::Duration;

use support::*;
use tokio::io::AsyncWriteExt;

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

/// Runs fetch with `args` (and `stdin`, when given) off the runtime's thread, so the
/// in-process servers keep serving.
async fn fetch(args: &[&str], stdin: Option<&[u8]>) -> Run {
    fetch_env(args, stdin, &[]).await
}

/// [`fetch`] with `env` set, and no proxy variables but those.
async fn fetch_env(args: &[&str], stdin: Option<&[u8]>, env: &[(&str, &str)]) -> Run {
    let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    let env: Vec<(String, String)> = env.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    let stdin = stdin.map(<[u8]>::to_vec);
    let out = bounded(Duration::from_secs(30), "fetch", async {
        tokio::task::spawn_blocking(move || {
            let mut cmd = Command::new(env!("CARGO_BIN_EXE_fetch"));
            for var in ["http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "no_proxy", "NO_PROXY"] {
                cmd.env_remove(var);
            }
            let mut child = cmd
                .args(&args)
                .envs(env)
                .stdin(if stdin.is_some() { Stdio::piped() } else { Stdio::null() })
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("fetch runs");
            if let Some(data) = stdin {
                let mut pipe = child.stdin.take().unwrap();
                pipe.write_all(&data).unwrap();
            }
            child.wait_with_output().unwrap()
        })
        .await
        .unwrap()
    })
    .await;
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Exit codes, each with the one stderr line that explains it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exit_codes_follow_curl() {
    let server = serve_routes().await;
    let cert = make_cert();
    let tls = serve_routes_tls(&cert).await;
    let refused = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap().local_addr().unwrap();
    let bad_status = raw_server(b"HTTP/1.1 abc OK\r\n\r\n".to_vec()).await;
    let conflicting = raw_server(b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab".to_vec()).await;
    let bad_chunk = raw_server(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nxyz\r\n".to_vec()).await;
    let huge_head = raw_server(format!("HTTP/1.1 200 OK\r\nX: {}\r\n\r\n", "a".repeat(1 << 20)).into_bytes()).await;
    let short = raw_server(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npartial".to_vec()).await;
    let silent = scripted_server(|s, _| async move {
        tokio::time::sleep(Duration::from_secs(20)).await;
        drop(s);
    })
    .await;
    let reset = h2_server(|_, _| H2Act::ShortBody).await;
    let base = server.url();
    let tls_url = format!("https://localhost:{}/hello", tls.local_addr().port());
    let plain_as_tls = format!("https://localhost:{}/hello", server.local_addr().port());
    let cacert = std::env::temp_dir().join(format!("fetch-test-ca-{}.pem", std::process::id()));
    std::fs::write(&cacert, &cert.cert_pem).unwrap();
    let cacert = cacert.to_str().unwrap().to_owned();
    let cases: Vec<(Vec<String>, i32, &str)> = vec![
        (vec![format!("{base}/hello")], 0, ""),
        (vec![format!("http://{refused}/")], 7, "could not connect"),
        (vec!["http://nonexistent.invalid/".into()], 6, "could not resolve"),
        (vec![bad_status.url("/")], 8, "malformed"),
        (vec![conflicting.url("/")], 8, "Content-Length"),
        (vec![bad_chunk.url("/")], 8, "chunk"),
        (vec![huge_head.url("/")], 8, "size limit"),
        (vec![short.url("/")], 18, "shorter"),
        (vec!["-f".into(), format!("{base}/status/404")], 22, "404"),
        (vec![format!("{base}/status/404")], 0, ""),
        (vec!["-m".into(), "0.3".into(), silent.url("/")], 28, "timed out"),
        (vec![plain_as_tls], 35, "TLS handshake"),
        (
            vec!["-L".into(), "--max-redirs".into(), "2".into(), format!("{base}/redirect/302")],
            47,
            "too many redirects",
        ),
        (vec![tls_url.clone()], 60, "certificate"),
        (vec!["--http2-prior-knowledge".into(), reset.url("/")], 92, "HTTP/2 stream"),
        (vec!["--cacert".into(), cacert.clone(), tls_url], 0, ""),
    ];
    for (args, want, says) in cases {
        let argv: Vec<&str> = args.iter().map(String::as_str).collect();
        let run = fetch(&argv, None).await;
        assert_eq!(run.code, want, "{args:?}: {}", run.stderr);
        if want != 0 {
            assert_eq!(run.stderr.lines().count(), 1, "{args:?}: one line on stderr: {:?}", run.stderr);
            assert!(run.stderr.contains(says), "{args:?}: {:?}", run.stderr);
            let quiet = fetch(&[&["-s"], &argv[..]].concat(), None).await;
            assert_eq!((quiet.code, quiet.stderr.as_str()), (want, ""), "{args:?} with -s");
        }
    }
    let failed = fetch(&["-f", &format!("{base}/status/500")], None).await;
    assert_eq!((failed.code, failed.stdout.as_str()), (22, ""), "-f prints no body");
    let _ = std::fs::remove_file(&cacert);
    server.forceclose().await;
    tls.forceclose().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn include_head_redirects_and_bodies() {
    let server = serve_routes().await;
    let base = server.url();
    let run = fetch(&["-i", &format!("{base}/hello")], None).await;
    assert!(run.stdout.starts_with("HTTP/1.1 200 OK\r\n"), "{:?}", run.stdout);
    assert!(run.stdout.ends_with("\r\n\r\nhello"), "{:?}", run.stdout);
    let run = fetch(&["-i", "--http2-prior-knowledge", &format!("{base}/hello")], None).await;
    assert!(run.stdout.starts_with("HTTP/2 200\r\n"), "{:?}", run.stdout);
    // -L: the redirect's head block comes first; 303 turns the POST into a GET.
    let run = fetch(&["-i", "-L", "-d", "x=1", &format!("{base}/redirect/303?/echo")], None).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.starts_with("HTTP/1.1 303 See Other\r\n"), "{:?}", run.stdout);
    assert!(run.stdout.contains("x-method: GET\r\n"), "{:?}", run.stdout);
    // -d is a POST with a form body; --data-binary @- streams stdin (chunked).
    let run = fetch(&["-i", "-d", "a=1", "-d", "b=2", &format!("{base}/echo")], None).await;
    assert!(run.stdout.contains("x-method: POST") && run.stdout.ends_with("a=1&b=2"), "{:?}", run.stdout);
    let data = vec![b'z'; 300_000];
    for version in ["--http1.1", "--http2-prior-knowledge"] {
        let run = fetch(&[version, "--data-binary", "@-", &format!("{base}/echo")], Some(&data)).await;
        assert_eq!(run.stdout.len(), data.len(), "{version}: {}", run.stderr);
    }
    // -X HEAD: no body read, whatever Content-Length says.
    let run = fetch(&["-i", "-X", "HEAD", &format!("{base}/hello")], None).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("content-length: 5\r\n") && run.stdout.ends_with("\r\n\r\n"), "{:?}", run.stdout);
    // --compressed: asked for and decoded; without it, nothing is offered.
    let run = fetch(&["--compressed", &format!("{base}/coded/gzip")], None).await;
    assert_eq!(run.stdout, CODED_TEXT, "{}", run.stderr);
    let run = fetch(&["-i", &format!("{base}/coded/gzip")], None).await;
    assert!(run.stdout.contains("x-accept-encoding: -\r\n"), "{:?}", run.stdout);
    // -o writes the body to a file.
    let out = std::env::temp_dir().join(format!("fetch-test-out-{}", std::process::id()));
    let run = fetch(&["-o", out.to_str().unwrap(), &format!("{base}/hello")], None).await;
    assert_eq!((run.code, run.stdout.as_str()), (0, ""));
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "hello");
    let _ = std::fs::remove_file(&out);
    server.forceclose().await;
}

/// Several URLs in order over one connection; -v says the protocol and the reuse.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn several_urls_reuse_the_connection() {
    let server = serve_routes().await;
    let url = format!("{}/peer", server.url());
    for (flag, protocol) in [("--http1.1", "HTTP/1.1"), ("--http2-prior-knowledge", "HTTP/2")] {
        let run = fetch(&["-v", flag, &url, &url, &url], None).await;
        assert_eq!(run.code, 0, "{}", run.stderr);
        assert_eq!(run.stdout.len() % 3, 0);
        let third = run.stdout.len() / 3;
        assert!(run.stdout[..third] == run.stdout[third..2 * third], "one client port: {}", run.stdout);
        assert_eq!(run.stderr.matches("re-using").count(), 2, "{}", run.stderr);
        assert!(run.stderr.contains(protocol), "{}", run.stderr);
    }
    server.forceclose().await;
}

/// A response that the server closes as soon as its head is out is cut short.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn body_cut_short_is_never_silent() {
    let server = scripted_server(|mut s, _| async move {
        if read_head(&mut s).await.is_some() {
            let _ = s.write_all(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\ndata\r\n").await;
        }
    })
    .await;
    let run = fetch(&[&server.url("/")], None).await;
    assert_eq!(run.code, 18, "{}", run.stderr);
    assert_eq!(run.stdout, "data", "what came is written, and the exit code says it is not all");
}

/// Proxies from the environment: absolute-form for http://, CONNECT for https://,
/// upper-case HTTP_PROXY ignored, NO_PROXY honoured.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn proxies_from_the_environment() {
    let proxy = proxy_server().await;
    let server = serve_routes().await;
    let cert = make_cert();
    let tls = serve_routes_tls(&cert).await;
    let proxy_url = format!("http://user:pa%20ss@{}", proxy.addr);
    let run = fetch_env(&["http://example.invalid/a?b=1"], None, &[("http_proxy", &proxy_url)]).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.starts_with("proxied: GET http://example.invalid/a?b=1 HTTP/1.1\r\n"), "{:?}", run.stdout);
    assert!(run.stdout.contains("host: example.invalid\r\n"), "{:?}", run.stdout);
    assert!(run.stdout.contains("proxy-authorization: Basic dXNlcjpwYSBzcw==\r\n"), "{:?}", run.stdout);
    let direct = format!("{}/hello", server.url());
    let run = fetch_env(&[&direct], None, &[("HTTP_PROXY", &proxy_url)]).await;
    assert_eq!(run.stdout, "hello", "upper-case HTTP_PROXY is not read");
    let run = fetch_env(&[&direct], None, &[("http_proxy", &proxy_url), ("NO_PROXY", "127.0.0.1")]).await;
    assert_eq!(run.stdout, "hello", "NO_PROXY");
    let before = proxy.connections();
    let cacert = std::env::temp_dir().join(format!("fetch-proxy-ca-{}.pem", std::process::id()));
    std::fs::write(&cacert, &cert.cert_pem).unwrap();
    let secure = format!("https://localhost:{}/hello", tls.local_addr().port());
    for var in ["HTTPS_PROXY", "https_proxy"] {
        let run = fetch_env(&["--cacert", cacert.to_str().unwrap(), "-v", &secure], None, &[(var, &proxy_url)]).await;
        assert_eq!((run.code, run.stdout.as_str()), (0, "hello"), "{var}: {}", run.stderr);
        assert!(run.stderr.contains("HTTP/2"), "h2 through the tunnel: {}", run.stderr);
    }
    assert_eq!(proxy.connections(), before + 2, "both went through the proxy");
    let _ = std::fs::remove_file(&cacert);
    server.forceclose().await;
    tls.forceclose().await;
}

/// `--sse`: JSON lines as events arrive; reconnection after `retry:` with Last-Event-ID;
/// a 204 ends it (exit 0); a failing status or another content type fails it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sse_reconnects_with_the_last_event_id_until_204() {
    const STREAM: &str = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\r\n";
    let server = scripted_server(|mut s, i| async move {
        let Some(head) = read_head(&mut s).await else { return };
        let last_id = head.lines().find_map(|l| l.strip_prefix("last-event-id: ")).unwrap_or("none").to_owned();
        let reply = match i {
            0 => format!("{STREAM}: a comment\nretry: 100\nid: 1\ndata: a\n\nevent: tick\ndata: b\ndata: c\n\n"),
            1 => format!("{STREAM}data: after {last_id}\n\nid: 2\nevent:\ndata: \"quoted\"\n\n"),
            _ => format!("HTTP/1.1 204 No Content\r\nx-last: {last_id}\r\n\r\n"),
        };
        let _ = s.write_all(reply.as_bytes()).await;
    })
    .await;
    let run = fetch(&["--sse", "-m", "10", &server.url("/events")], None).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    let want = [
        r#"{"id":"1","event":"message","data":"a"}"#,
        r#"{"id":"1","event":"tick","data":"b\nc"}"#,
        r#"{"id":"1","event":"message","data":"after 1"}"#,
        r#"{"id":"2","event":"message","data":"\"quoted\""}"#,
    ];
    assert_eq!(run.stdout.lines().collect::<Vec<_>>(), want);
    assert_eq!(server.connections(), 3);
    // -m bounds the whole stream, reconnections included.
    let endless = scripted_server(|mut s, _| async move {
        if read_head(&mut s).await.is_some() {
            let _ = s.write_all(format!("{STREAM}retry: 50\ndata: tick\n\n").as_bytes()).await;
        }
    })
    .await;
    let run = fetch(&["--sse", "-m", "1", &endless.url("/")], None).await;
    assert_eq!(run.code, 28, "{}", run.stderr);
    assert!(run.stdout.lines().count() > 2, "reconnected: {}", run.stdout);
    let routes = serve_routes().await;
    for (path, code) in [("/status/404", 22), ("/status/500", 22), ("/hello", 1), ("/status/202", 1)] {
        let run = fetch(&["--sse", &format!("{}{path}", routes.url())], None).await;
        assert_eq!(run.code, code, "{path}: {}", run.stderr);
        assert_eq!(run.stderr.lines().count(), 1, "{path}: {}", run.stderr);
    }
    routes.forceclose().await;
}

/// IPv6 literals: `http://[::1]:PORT/` reaches a server on the IPv6 loopback.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ipv6_literal_urls() {
    let Ok(listener) = std::net::TcpListener::bind("[::1]:0") else {
        let _ = std::io::Write::write_all(&mut std::io::stderr(), b"SKIPPED: no IPv6 loopback on this machine\n");
        return;
    };
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let server = http_server::Server::serve(opts().host("::1").port(port), |_: http_core::Request| async { "six" })
        .await
        .expect("server on [::1]");
    let run = fetch(&["-i", &format!("http://[::1]:{port}/x?y#frag")], None).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.ends_with("six"), "{:?}", run.stdout);
    server.forceclose().await;
}
