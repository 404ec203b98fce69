//! HTTP/2 (h2c prior knowledge and TLS+ALPN) and TLS, checked with independent clients:
//! the `h2` crate's client, hyper's http2 client, tokio-rustls, and raw frames/records
//! for what a well-behaved client will not send (floods, rapid reset, TLS 1.1).

mod common_h2;

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use bytes::Bytes;
use common_h2::*;
use http_body_util::{BodyExt, Full};
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const MIB8: usize = 8 * 1024 * 1024;
const ABC_MD5: &str = "900150983cd24fb0d6963f7d28e17f72";

// ---------------------------------------------------------------------------------------
// Streams, bodies, trailers, HEAD
// ---------------------------------------------------------------------------------------

/// 100 streams open at the same time on one h2c connection: every request waits in the
/// handler until all 100 are inside it, so they cannot have been served one by one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn h2c_100_concurrent_streams_on_one_connection() {
    let (server, app) = start(opts()).await;
    let tcp = TcpStream::connect(server.local_addr()).await.unwrap();
    let send = h2_client(tcp).await;
    let mut tasks = Vec::new();
    for _ in 0..100 {
        let mut send = send.clone();
        tasks.push(tokio::spawn(async move { h2_get(&mut send, "/gate?n=100").await }));
    }
    for t in tasks {
        let (parts, body, _) = bounded(WAIT, "gate stream", t).await.unwrap().expect("stream succeeds");
        assert_eq!(parts.status, 200);
        assert_eq!(parts.version, http::Version::HTTP_2);
        assert_eq!(String::from_utf8(body).unwrap(), "100");
    }
    assert_eq!(app.events.max_in_gate.load(Ordering::Acquire), 100);
    assert_eq!(server.connections(), 1, "all streams shared one connection");
    server.forceclose().await;
}

/// An 8 MiB POST echoed byte-exact over h2c with the `h2` client, which does its own flow
/// control: the client sends only as capacity is granted and reads concurrently.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn h2c_echo_8mib_byte_exact() {
    let (server, _) = start(opts()).await;
    let tcp = TcpStream::connect(server.local_addr()).await.unwrap();
    let send = h2_client(tcp).await;
    let data = Bytes::from(pattern(MIB8, 0x5eed));
    let req = http::Request::builder()
        .method("POST")
        .uri("http://localhost/echo")
        .header("content-length", MIB8.to_string())
        .body(())
        .unwrap();
    let mut ready = send.ready().await.unwrap();
    let (resp, mut body_tx) = ready.send_request(req, false).unwrap();
    let upload = {
        let data = data.clone();
        tokio::spawn(async move {
            let mut rest = data;
            while !rest.is_empty() {
                body_tx.reserve_capacity(rest.len().min(1 << 20));
                let n = std::future::poll_fn(|cx| body_tx.poll_capacity(cx)).await.expect("capacity").unwrap();
                let chunk = rest.split_to(n.min(rest.len()));
                body_tx.send_data(chunk, false).unwrap();
            }
            body_tx.send_data(Bytes::new(), true).unwrap();
        })
    };
    let echoed = bounded(Duration::from_secs(30), "8 MiB echo over h2c", async {
        let (parts, mut body) = resp.await.unwrap().into_parts();
        assert_eq!(parts.status, 200);
        assert_eq!(parts.headers["content-length"], MIB8.to_string().as_str());
        read_body(&mut body).await.unwrap()
    })
    .await;
    upload.await.unwrap();
    assert_eq!(echoed.len(), MIB8);
    assert!(echoed == data, "echo differs from what was sent");
    server.forceclose().await;
}

/// An 8 MiB POST echoed byte-exact over HTTP/2 on TLS, with hyper's http2 client on a
/// tokio-rustls connection that negotiated `h2`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_h2_echo_8mib_byte_exact_with_hyper() {
    let cert = make_cert();
    let (server, _) = start_tls(&cert, opts()).await;
    let tls = tls_connect(server.local_addr(), client_config(&cert, &[b"h2"], rustls::ALL_VERSIONS)).await.unwrap();
    assert_eq!(tls.get_ref().1.alpn_protocol(), Some(&b"h2"[..]));
    let (mut send, conn) =
        hyper::client::conn::http2::handshake(TokioExecutor::new(), TokioIo::new(tls)).await.expect("hyper h2");
    tokio::spawn(conn);
    let data = Bytes::from(pattern(MIB8, 0xfeed));
    let req =
        http::Request::builder().method("POST").uri("https://localhost/echo").body(Full::new(data.clone())).unwrap();
    let echoed = bounded(Duration::from_secs(30), "8 MiB echo over TLS", async {
        let resp = send.send_request(req).await.expect("response");
        assert_eq!(resp.status(), 200);
        assert_eq!(resp.version(), http::Version::HTTP_2);
        resp.into_body().collect().await.expect("body").to_bytes()
    })
    .await;
    assert_eq!(echoed.len(), MIB8);
    assert!(echoed == data, "echo differs from what was sent");
    server.forceclose().await;
}

/// Trailers on HTTP/2: a trailing HEADERS frame after the DATA.
#[tokio::test]
async fn h2c_trailers_in_trailing_headers() {
    let (server, _) = start(opts()).await;
    let mut send = h2_client(TcpStream::connect(server.local_addr()).await.unwrap()).await;
    let (parts, body, trailers) = h2_get(&mut send, "/trailers").await.unwrap();
    assert_eq!(parts.status, 200);
    assert_eq!(parts.headers["trailer"], "x-checksum");
    assert_eq!(body, b"abc");
    let trailers = trailers.expect("trailers arrived");
    assert_eq!(trailers["x-checksum"], ABC_MD5);
    server.forceclose().await;
}

/// Sends one HTTP/1.1 request with `Connection: close` and returns (head, decoded body,
/// trailer block) of the response.
async fn h1_exchange(addr: std::net::SocketAddr, request: &str) -> (String, Vec<u8>, String) {
    let mut tcp = TcpStream::connect(addr).await.unwrap();
    tcp.write_all(request.as_bytes()).await.unwrap();
    let mut raw = Vec::new();
    bounded(WAIT, "h1 response", tcp.read_to_end(&mut raw)).await.unwrap();
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n").expect("complete head") + 4;
    let head = String::from_utf8(raw[..split].to_vec()).unwrap().to_ascii_lowercase();
    let mut rest = &raw[split..];
    if !head.contains("transfer-encoding: chunked") {
        return (head, rest.to_vec(), String::new());
    }
    let mut body = Vec::new();
    loop {
        let eol = rest.windows(2).position(|w| w == b"\r\n").expect("chunk size line");
        let size = usize::from_str_radix(std::str::from_utf8(&rest[..eol]).unwrap().trim(), 16).unwrap();
        rest = &rest[eol + 2..];
        if size == 0 {
            break;
        }
        body.extend_from_slice(&rest[..size]);
        assert_eq!(&rest[size..size + 2], b"\r\n");
        rest = &rest[size + 2..];
    }
    let trailer = String::from_utf8(rest.to_vec()).unwrap();
    assert!(trailer.ends_with("\r\n"), "chunked body ends with CRLF: {trailer:?}");
    (head, body, trailer)
}

/// Trailers on HTTP/1.1: chunked with the trailer in the last chunk when the client sent
/// `TE: trailers`; without it no trailer field goes on the wire.
#[tokio::test]
async fn h1_trailers_only_with_te_trailers() {
    let (server, _) = start(opts()).await;
    let addr = server.local_addr();
    let (head, body, trailer) =
        h1_exchange(addr, "GET /trailers HTTP/1.1\r\nHost: x\r\nTE: trailers\r\nConnection: close\r\n\r\n").await;
    assert!(head.starts_with("http/1.1 200"), "{head}");
    assert!(head.contains("transfer-encoding: chunked"), "{head}");
    assert_eq!(body, b"abc");
    assert_eq!(trailer.to_ascii_lowercase(), format!("x-checksum: {ABC_MD5}\r\n\r\n"));

    let (head, body, trailer) =
        h1_exchange(addr, "GET /trailers HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").await;
    assert!(head.starts_with("http/1.1 200"), "{head}");
    assert_eq!(body, b"abc");
    assert!(!trailer.contains("x-checksum"), "trailer sent without TE: trailers: {trailer:?}");
    assert!(!head.contains(ABC_MD5), "{head}");
    server.forceclose().await;
}

/// HEAD over HTTP/2: the GET's headers (content-length 13), and the HEADERS frame ends
/// the stream (no DATA).
#[tokio::test]
async fn h2c_head_has_headers_and_no_body() {
    let (server, _) = start(opts()).await;
    let send = h2_client(TcpStream::connect(server.local_addr()).await.unwrap()).await;
    let req = http::Request::builder().method("HEAD").uri("http://localhost/plaintext").body(()).unwrap();
    let mut ready = send.ready().await.unwrap();
    let (resp, _) = ready.send_request(req, true).unwrap();
    let (parts, mut body) = bounded(WAIT, "HEAD", resp).await.unwrap().into_parts();
    assert_eq!(parts.status, 200);
    assert_eq!(parts.headers["content-length"], "13");
    assert_eq!(parts.headers["content-type"], "text/plain; charset=utf-8");
    assert!(body.is_end_stream(), "HEADERS of a HEAD response carries END_STREAM");
    assert!(read_body(&mut body).await.unwrap().is_empty());
    server.forceclose().await;
}

/// The response head over HTTP/2, whether the handler set its fields on the `Stream` or
/// wrote a whole `Response`: its own `date` and other fields kept, the HTTP/1.1
/// connection fields gone (RFC 9113 §8.2.2), `content-length` the body's.
#[tokio::test]
async fn h2c_response_fields_kept_stripped_and_added() {
    let (server, _) = start(opts()).await;
    let mut send = h2_client(TcpStream::connect(server.local_addr()).await.unwrap()).await;
    for path in ["/fields", "/fields?whole"] {
        let (parts, body, _) = h2_get(&mut send, path).await.unwrap();
        assert_eq!((parts.status.as_u16(), &body[..]), (200, &b"ok"[..]), "{path}");
        let h = &parts.headers;
        assert_eq!(h.get_all("date").iter().collect::<Vec<_>>(), ["Sun, 06 Nov 1994 08:49:37 GMT"], "{path}");
        assert_eq!(h.get_all("content-length").iter().collect::<Vec<_>>(), ["2"], "{path}");
        assert_eq!(h["x-a"], "1", "{path}");
        for gone in ["connection", "keep-alive", "proxy-connection", "upgrade", "transfer-encoding"] {
            assert!(h.get(gone).is_none(), "{path}: {gone} in {h:?}");
        }
    }
    // Without a handler's `date`, the engine adds one.
    let (parts, _, _) = h2_get(&mut send, "/plaintext").await.unwrap();
    assert!(httpdate::parse_http_date(parts.headers["date"].to_str().unwrap()).is_ok(), "{:?}", parts.headers);
    server.forceclose().await;
}

/// Streams one after another on one connection (the engine rearms one `Stream` for them):
/// nothing of one stream (HEAD, trailers, status, headers, body) shows in the next, also
/// after the connection was quiet long enough to let its spare `Stream` go.
#[tokio::test]
async fn h2c_sequential_streams_share_nothing() {
    let (server, _) = start(opts()).await;
    let mut send = h2_client(TcpStream::connect(server.local_addr()).await.unwrap()).await;
    let plaintext_is_clean = |parts: &http::response::Parts, body: &[u8], trailers: &Option<http::HeaderMap>| {
        assert_eq!((parts.status.as_u16(), body), (200, &b"Hello, World!"[..]));
        assert_eq!(parts.headers["content-length"], "13");
        assert!(parts.headers.get("trailer").is_none(), "{:?}", parts.headers);
        assert!(trailers.is_none(), "{trailers:?}");
    };
    let head = http::Request::builder().method("HEAD").uri("http://localhost/plaintext").body(()).unwrap();
    let (resp, _) = send.clone().ready().await.unwrap().send_request(head, true).unwrap();
    let (parts, mut body) = bounded(WAIT, "HEAD", resp).await.unwrap().into_parts();
    assert_eq!(parts.status, 200);
    assert!(read_body(&mut body).await.unwrap().is_empty());
    let (parts, body, trailers) = h2_get(&mut send, "/plaintext").await.unwrap();
    plaintext_is_clean(&parts, &body, &trailers);
    let (parts, body, trailers) = h2_get(&mut send, "/trailers").await.unwrap();
    assert_eq!((parts.status.as_u16(), &body[..]), (200, &b"abc"[..]));
    assert_eq!(trailers.unwrap()["x-checksum"], ABC_MD5);
    let (parts, body, trailers) = h2_get(&mut send, "/plaintext").await.unwrap();
    plaintext_is_clean(&parts, &body, &trailers);
    let (parts, body, _) = h2_get(&mut send, "/missing").await.unwrap();
    assert_eq!((parts.status.as_u16(), &body[..]), (404, &b"not found"[..]));
    let post = http::Request::builder().method("POST").uri("http://localhost/echo").body(()).unwrap();
    let (resp, mut req_body) = send.clone().ready().await.unwrap().send_request(post, false).unwrap();
    req_body.send_data(Bytes::from_static(b"xyz"), true).unwrap();
    let (parts, mut body) = bounded(WAIT, "POST /echo", resp).await.unwrap().into_parts();
    assert_eq!((parts.status.as_u16(), read_body(&mut body).await.unwrap()), (200, b"xyz".to_vec()));
    let (parts, body, trailers) = h2_get(&mut send, "/plaintext").await.unwrap();
    plaintext_is_clean(&parts, &body, &trailers);
    // Quiet for longer than the connection keeps its spare `Stream`.
    tokio::time::sleep(Duration::from_millis(1300)).await;
    let (parts, body, trailers) = h2_get(&mut send, "/plaintext").await.unwrap();
    plaintext_is_clean(&parts, &body, &trailers);
    assert_eq!(server.connections(), 1);
    server.forceclose().await;
}

/// h2c and HTTP/1.1 share the cleartext port.
#[tokio::test]
async fn cleartext_port_serves_h1_and_h2c() {
    let (server, _) = start(opts()).await;
    let mut send = h2_client(TcpStream::connect(server.local_addr()).await.unwrap()).await;
    let (parts, body, _) = h2_get(&mut send, "/plaintext").await.unwrap();
    assert_eq!(
        (parts.status.as_u16(), parts.version, body.as_slice()),
        (200, http::Version::HTTP_2, &b"Hello, World!"[..])
    );
    let (head, body, _) =
        h1_exchange(server.local_addr(), "GET /plaintext HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").await;
    assert!(head.starts_with("http/1.1 200"), "{head}");
    assert_eq!(body, b"Hello, World!");
    server.forceclose().await;
}

// ---------------------------------------------------------------------------------------
// TLS: ALPN, versions, plain HTTP on the TLS port, reload
// ---------------------------------------------------------------------------------------

/// ALPN: `h2` when offered (first or alone), `http/1.1` when only it is offered, and
/// HTTP/1.1 without ALPN; each connection then speaks the negotiated protocol.
#[tokio::test]
async fn alpn_picks_the_offered_protocol() {
    let cert = make_cert();
    let (server, _) = start_tls(&cert, opts()).await;
    let addr = server.local_addr();

    for offer in [&[&b"h2"[..], &b"http/1.1"[..]][..], &[&b"http/1.1"[..], &b"h2"[..]][..], &[&b"h2"[..]][..]] {
        let tls = tls_connect(addr, client_config(&cert, offer, rustls::ALL_VERSIONS)).await.unwrap();
        assert_eq!(tls.get_ref().1.alpn_protocol(), Some(&b"h2"[..]), "offer {offer:?}");
        let mut send = h2_client(tls).await;
        let (parts, body, _) = h2_get(&mut send, "/plaintext").await.unwrap();
        assert_eq!((parts.status.as_u16(), body.as_slice()), (200, &b"Hello, World!"[..]));
    }

    for offer in [&[&b"http/1.1"[..]][..], &[][..]] {
        let mut tls = tls_connect(addr, client_config(&cert, offer, rustls::ALL_VERSIONS)).await.unwrap();
        let expected = if offer.is_empty() { None } else { Some(&b"http/1.1"[..]) };
        assert_eq!(tls.get_ref().1.alpn_protocol(), expected, "offer {offer:?}");
        tls.write_all(b"GET /plaintext HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n").await.unwrap();
        let mut raw = Vec::new();
        bounded(WAIT, "h1 over TLS", tls.read_to_end(&mut raw)).await.ok();
        let text = String::from_utf8_lossy(&raw);
        assert!(text.starts_with("HTTP/1.1 200"), "{text}");
        assert!(text.ends_with("Hello, World!"), "{text}");
    }
    server.forceclose().await;
}

/// TLS 1.2 alone is accepted (and TLS 1.3 is what a default client gets).
#[tokio::test]
async fn tls12_accepted_and_tls13_default() {
    let cert = make_cert();
    let (server, _) = start_tls(&cert, opts()).await;
    let tls = tls_connect(server.local_addr(), client_config(&cert, &[b"h2"], &[&rustls::version::TLS12]))
        .await
        .expect("TLS 1.2 handshake");
    assert_eq!(tls.get_ref().1.protocol_version(), Some(rustls::ProtocolVersion::TLSv1_2));
    let mut send = h2_client(tls).await;
    let (parts, body, _) = h2_get(&mut send, "/plaintext").await.unwrap();
    assert_eq!((parts.status.as_u16(), body.as_slice()), (200, &b"Hello, World!"[..]));

    let tls = tls_connect(server.local_addr(), client_config(&cert, &[b"h2"], rustls::ALL_VERSIONS)).await.unwrap();
    assert_eq!(tls.get_ref().1.protocol_version(), Some(rustls::ProtocolVersion::TLSv1_3));
    server.forceclose().await;
}

/// A hand-built ClientHello record: `version` as the legacy client version (no
/// supported_versions extension, so it is the highest version offered), ECDHE suites for
/// both TLS 1.2 (GCM) and TLS 1.0/1.1 (CBC-SHA), SNI, groups, point formats, signature
/// algorithms and extended master secret.
fn client_hello(version: [u8; 2]) -> Vec<u8> {
    let mut ext = Vec::new();
    let mut push_ext = |ty: u16, body: &[u8]| {
        ext.extend_from_slice(&ty.to_be_bytes());
        ext.extend_from_slice(&(body.len() as u16).to_be_bytes());
        ext.extend_from_slice(body);
    };
    let host = b"localhost";
    let mut sni = Vec::new();
    sni.extend_from_slice(&((host.len() + 3) as u16).to_be_bytes());
    sni.push(0);
    sni.extend_from_slice(&(host.len() as u16).to_be_bytes());
    sni.extend_from_slice(host);
    push_ext(0x0000, &sni);
    push_ext(0x000a, &[0x00, 0x04, 0x00, 0x1d, 0x00, 0x17]); // x25519, secp256r1
    push_ext(0x000b, &[0x01, 0x00]); // uncompressed points
    push_ext(0x000d, &[0x00, 0x08, 0x04, 0x03, 0x08, 0x04, 0x04, 0x01, 0x02, 0x01]);
    push_ext(0x0017, &[]); // extended master secret
    push_ext(0xff01, &[0x00]); // renegotiation_info

    let suites: [u16; 6] = [0xc02b, 0xc02f, 0xc009, 0xc013, 0xc00a, 0xc014];
    let mut body = Vec::new();
    body.extend_from_slice(&version);
    body.extend_from_slice(&pattern(32, 7)); // random
    body.push(0); // session id
    body.extend_from_slice(&((suites.len() * 2) as u16).to_be_bytes());
    for s in suites {
        body.extend_from_slice(&s.to_be_bytes());
    }
    body.extend_from_slice(&[0x01, 0x00]); // compression: null
    body.extend_from_slice(&(ext.len() as u16).to_be_bytes());
    body.extend_from_slice(&ext);

    let mut hs = vec![0x01];
    hs.extend_from_slice(&(body.len() as u32).to_be_bytes()[1..]);
    hs.extend_from_slice(&body);
    let mut record = vec![0x16, 0x03, 0x01];
    record.extend_from_slice(&(hs.len() as u16).to_be_bytes());
    record.extend_from_slice(&hs);
    record
}

/// Sends a raw ClientHello and returns the first bytes of the answer (empty on close).
async fn raw_hello(addr: std::net::SocketAddr, version: [u8; 2]) -> Vec<u8> {
    let mut tcp = TcpStream::connect(addr).await.unwrap();
    tcp.write_all(&client_hello(version)).await.unwrap();
    let mut buf = vec![0u8; 7];
    let mut got = 0;
    while got < buf.len() {
        match bounded(WAIT, "answer to a ClientHello", tcp.read(&mut buf[got..])).await {
            Ok(0) | Err(_) => break,
            Ok(n) => got += n,
        }
    }
    buf.truncate(got);
    buf
}

/// TLS 1.1 is refused: a TLS 1.1 ClientHello gets a fatal alert (or a close), never a
/// ServerHello. The same hello claiming TLS 1.2 does get a ServerHello, so the refusal is
/// about the version and not a malformed hello.
#[tokio::test]
async fn tls11_refused() {
    let cert = make_cert();
    let (server, _) = start_tls(&cert, opts()).await;
    let addr = server.local_addr();

    let answer = raw_hello(addr, [0x03, 0x03]).await;
    assert!(answer.len() >= 6, "TLS 1.2 hello answered: {answer:?}");
    assert_eq!((answer[0], answer[5]), (0x16, 0x02), "TLS 1.2 hello gets a ServerHello: {answer:?}");

    for version in [[0x03, 0x02], [0x03, 0x01]] {
        let answer = raw_hello(addr, version).await;
        assert!(answer.is_empty() || answer[0] == 0x15, "TLS {version:?} must get an alert or a close, got {answer:?}");
        if answer.len() == 7 {
            assert_eq!(answer[5], 2, "fatal alert");
            assert_eq!(answer[6], 70, "protocol_version alert");
        }
    }
    // The server still serves.
    let tls = tls_connect(addr, client_config(&cert, &[b"h2"], rustls::ALL_VERSIONS)).await.unwrap();
    let mut send = h2_client(tls).await;
    assert_eq!(h2_get(&mut send, "/plaintext").await.unwrap().0.status, 200);
    server.forceclose().await;
}

/// Plain HTTP sent to the TLS port gets a plain-text 400, and the server keeps serving.
#[tokio::test]
async fn plain_http_to_tls_port_gets_400() {
    let cert = make_cert();
    let (server, _) = start_tls(&cert, opts()).await;
    let (head, body, _) = h1_exchange(server.local_addr(), "GET /plaintext HTTP/1.1\r\nHost: localhost\r\n\r\n").await;
    assert!(head.starts_with("http/1.1 400"), "{head}");
    assert!(String::from_utf8_lossy(&body).contains("HTTPS"), "{body:?}");
    let tls = tls_connect(server.local_addr(), client_config(&cert, &[b"h2"], rustls::ALL_VERSIONS)).await.unwrap();
    let mut send = h2_client(tls).await;
    let (parts, body, _) = h2_get(&mut send, "/plaintext").await.unwrap();
    assert_eq!((parts.status.as_u16(), body.as_slice()), (200, &b"Hello, World!"[..]));
    server.forceclose().await;
}

/// A TLS server running [`App`] with `cert` read from PEM files in a fresh directory
/// (named after `test`), so it can be reloaded from them: the server, the directory and
/// the two files.
async fn start_tls_from_files(
    cert: &TestCert,
    test: &str,
) -> (http_server::Server, std::path::PathBuf, std::path::PathBuf, std::path::PathBuf) {
    let dir = std::env::temp_dir().join(format!("h2_tls_{test}_{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (cert_path, key_path) = (dir.join("cert.pem"), dir.join("key.pem"));
    std::fs::write(&cert_path, &cert.cert_pem).unwrap();
    std::fs::write(&key_path, &cert.key_pem).unwrap();
    let tls_config = http_server::TlsConfig::from_pem_files(&cert_path, &key_path).unwrap();
    let server = http_server::Server::listen(opts().tls(tls_config), App::default()).await.unwrap();
    (server, dir, cert_path, key_path)
}

/// `Server::reload_tls` swaps the certificate: new connections see the new one (and a
/// client trusting only the old one is refused), an open connection keeps working, and a
/// bad file leaves the current certificate in place.
#[tokio::test]
async fn reload_tls_serves_the_new_certificate() {
    let old = make_cert();
    let new = make_cert();
    assert_ne!(old.der, new.der);
    let (server, dir, cert_path, key_path) = start_tls_from_files(&old, "reload").await;
    let addr = server.local_addr();

    let before = tls_connect(addr, client_config(&old, &[b"h2"], rustls::ALL_VERSIONS)).await.unwrap();
    assert_eq!(before.get_ref().1.peer_certificates().unwrap()[0], old.der);
    let mut open = h2_client(before).await;

    std::fs::write(&cert_path, &new.cert_pem).unwrap();
    std::fs::write(&key_path, &new.key_pem).unwrap();
    server.reload_tls(&cert_path, &key_path).expect("reload");

    let after = tls_connect(addr, client_config(&new, &[b"h2"], rustls::ALL_VERSIONS)).await.unwrap();
    assert_eq!(after.get_ref().1.peer_certificates().unwrap()[0], new.der);
    let mut send = h2_client(after).await;
    assert_eq!(h2_get(&mut send, "/plaintext").await.unwrap().0.status, 200);
    assert!(
        tls_connect(addr, client_config(&old, &[b"h2"], rustls::ALL_VERSIONS)).await.is_err(),
        "a client trusting only the old certificate must fail after the reload"
    );
    assert_eq!(h2_get(&mut open, "/plaintext").await.unwrap().0.status, 200, "open connection keeps working");

    std::fs::write(&cert_path, "not a certificate").unwrap();
    assert!(server.reload_tls(&cert_path, &key_path).is_err());
    let again = tls_connect(addr, client_config(&new, &[b"h2"], rustls::ALL_VERSIONS)).await.unwrap();
    assert_eq!(again.get_ref().1.peer_certificates().unwrap()[0], new.der);
    let _ = std::fs::remove_dir_all(&dir);
    server.forceclose().await;
}

/// One HTTPS/1.1 `GET /plaintext` on a new connection with `client` (its own session
/// store): the handshake's kind, after the whole response was read (so the tickets that
/// came before it were stored).
async fn one_https_get(addr: std::net::SocketAddr, client: Arc<rustls::ClientConfig>) -> rustls::HandshakeKind {
    let mut tls = tls_connect(addr, client).await.expect("TLS handshake");
    let kind = tls.get_ref().1.handshake_kind().expect("handshake done");
    tls.write_all(b"GET /plaintext HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n").await.unwrap();
    let mut response = Vec::new();
    let _ = bounded(WAIT, "HTTPS response", tls.read_to_end(&mut response)).await;
    assert!(response.ends_with(b"Hello, World!"), "{}", String::from_utf8_lossy(&response));
    kind
}

/// Sessions resume for every returning client, however many there are: 300 clients (each
/// with its own session store) connect once, then again, and every second connection is
/// a resumption. A server keeping sessions in rustls' default in-memory store (256
/// entries, two per handshake) would have evicted the first clients' by then. TLS 1.2
/// resumes too, and sessions survive a certificate reload.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_sessions_resume_for_many_clients_and_across_a_reload() {
    use rustls::HandshakeKind::{Full, Resumed};
    let cert = make_cert();
    let (server, dir, cert_path, key_path) = start_tls_from_files(&cert, "resume").await;
    let addr = server.local_addr();

    let clients: Vec<_> = (0..300).map(|_| client_config(&cert, &[b"http/1.1"], rustls::ALL_VERSIONS)).collect();
    for round in [Full, Resumed] {
        for batch in clients.chunks(25) {
            let tasks: Vec<_> = batch.iter().map(|c| tokio::spawn(one_https_get(addr, c.clone()))).collect();
            for (i, t) in tasks.into_iter().enumerate() {
                assert_eq!(t.await.unwrap(), round, "client {i} of a batch, expected {round:?}");
            }
        }
    }

    let tls12 = client_config(&cert, &[b"http/1.1"], &[&rustls::version::TLS12]);
    assert_eq!(one_https_get(addr, tls12.clone()).await, Full);
    assert_eq!(one_https_get(addr, tls12.clone()).await, Resumed, "TLS 1.2 resumes");

    server.reload_tls(&cert_path, &key_path).expect("reload");
    assert_eq!(one_https_get(addr, clients[0].clone()).await, Resumed, "TLS 1.3 after a reload");
    assert_eq!(one_https_get(addr, tls12).await, Resumed, "TLS 1.2 after a reload");
    let _ = std::fs::remove_dir_all(&dir);
    server.forceclose().await;
}

// ---------------------------------------------------------------------------------------
// Shutdown
// ---------------------------------------------------------------------------------------

/// `close()` sends GOAWAY and lets the open stream finish: the response to a request in
/// flight arrives complete after the GOAWAY, and `close()` returns once it has.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn close_sends_goaway_and_lets_open_stream_finish() {
    let (server, app) = start(opts()).await;
    let mut raw = RawH2::connect(server.local_addr()).await;
    raw.send(&frame(HEADERS, END_HEADERS | END_STREAM, 1, &request_block("GET", "/slow?ms=700"))).await.unwrap();
    eventually(WAIT, "handler started", || app.events.started.load(Ordering::Acquire) == 1).await;
    let closer = {
        let server = server.clone();
        tokio::spawn(async move { server.close().await })
    };
    let (goaway, _) = raw.until_goaway(WAIT).await.expect("GOAWAY after close()");
    assert_eq!(goaway.goaway().1, NO_ERROR);
    assert_eq!(app.events.slow_done.load(Ordering::Acquire), 0, "GOAWAY came before the stream finished");
    let (frames, _) = raw.drain(WAIT).await;
    let headers = frames.iter().find(|f| f.ty == HEADERS && f.stream == 1).expect("response HEADERS after GOAWAY");
    assert_eq!(headers.payload[0], 0x88, ":status 200 (static index 8)");
    let body: Vec<u8> =
        frames.iter().filter(|f| f.ty == DATA && f.stream == 1).flat_map(|f| f.payload.to_vec()).collect();
    assert_eq!(body, b"done");
    assert!(frames.iter().any(|f| f.stream == 1 && f.flags & END_STREAM != 0), "stream 1 ended");
    if let Some(last) = frames.iter().rfind(|f| f.ty == GOAWAY) {
        assert_eq!(last.goaway(), (1, NO_ERROR), "final GOAWAY names stream 1 as the last processed");
    }
    bounded(WAIT, "close() returns", closer).await.unwrap();
    assert_eq!(app.events.slow_done.load(Ordering::Acquire), 1);
    assert!(TcpStream::connect(server.local_addr()).await.is_err() || server.connections() == 0);
}

/// `forceclose()` cuts an open stream at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forceclose_cuts_open_streams() {
    let (server, app) = start(opts()).await;
    let mut send = h2_client(TcpStream::connect(server.local_addr()).await.unwrap()).await;
    let pending = tokio::spawn(async move { h2_get(&mut send, "/slow?ms=30000").await });
    eventually(WAIT, "handler started", || app.events.started.load(Ordering::Acquire) == 1).await;
    let t0 = std::time::Instant::now();
    bounded(Duration::from_secs(3), "forceclose", server.forceclose()).await;
    let r = bounded(Duration::from_secs(3), "cut stream", pending).await.unwrap();
    assert!(r.is_err(), "the stream was cut, not answered: {r:?}");
    assert!(t0.elapsed() < Duration::from_secs(3));
    assert_eq!(app.events.slow_done.load(Ordering::Acquire), 0);
    assert_eq!(server.connections(), 0);
}

// ---------------------------------------------------------------------------------------
// Abuse: rapid reset, CONTINUATION flood, SETTINGS and PING floods, a client that never reads
// ---------------------------------------------------------------------------------------

/// Asserts the server still answers a new h2c client.
async fn still_serves(addr: std::net::SocketAddr) {
    let mut send = h2_client(TcpStream::connect(addr).await.unwrap()).await;
    let (parts, body, _) = bounded(WAIT, "fresh request", h2_get(&mut send, "/plaintext")).await.unwrap();
    assert_eq!((parts.status.as_u16(), body.as_slice()), (200, &b"Hello, World!"[..]));
}

/// Rapid reset (CVE-2023-44487), burst form: HEADERS + RST_STREAM pairs written back to
/// back. The connection gets GOAWAY ENHANCE_YOUR_CALM after a bounded number of streams.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rapid_reset_burst_gets_enhance_your_calm() {
    let (server, app) = start(opts()).await;
    let mut raw = RawH2::connect(server.local_addr()).await;
    let block = request_block("GET", "/slow?ms=2000");
    let mut burst = Vec::new();
    const PAIRS: u32 = 1000;
    for i in 0..PAIRS {
        let id = 1 + 2 * i;
        burst.extend(frame(HEADERS, END_HEADERS | END_STREAM, id, &block));
        burst.extend(frame(RST_STREAM, 0, id, &CANCEL.to_be_bytes()));
    }
    // The server may stop reading (and close) part-way through: a failed write is fine.
    let _ = raw.tcp.write_all(&burst).await;
    let (goaway, _) = raw.until_goaway(WAIT).await.expect("GOAWAY");
    let (last, code) = goaway.goaway();
    assert_eq!(code, ENHANCE_YOUR_CALM, "GOAWAY reason");
    let started = app.events.started.load(Ordering::Acquire);
    eprintln!("rapid reset burst: GOAWAY(ENHANCE_YOUR_CALM) last_stream_id={last}, handlers started={started}");
    assert!(last < 2 * PAIRS, "GOAWAY came before the burst ended (last stream {last})");
    assert!(started <= 400, "handlers started for reset streams stays bounded: {started}");
    eventually(WAIT, "connection closed", || server.connections() == 0).await;
    still_serves(server.local_addr()).await;
    server.forceclose().await;
}

/// Rapid reset, paced form: each stream is reset only once its handler is running, so
/// the `h2` crate's pending-accept limit cannot see it; the server's own counter
/// (`h2_max_peer_resets`, here 50) must end the connection with ENHANCE_YOUR_CALM, and
/// each reset must cancel its (sleeping) handler at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rapid_reset_paced_hits_our_reset_counter() {
    let (server, app) = start(opts().h2_max_peer_resets(50)).await;
    let mut raw = RawH2::connect(server.local_addr()).await;
    let block = request_block("GET", "/slow?ms=2000");
    let mut outcome = None;
    for i in 0..200u32 {
        let id = 1 + 2 * i;
        if raw.send(&frame(HEADERS, END_HEADERS | END_STREAM, id, &block)).await.is_err() {
            outcome = Some(format!("write failed at stream {i}"));
            break;
        }
        let want = i as usize + 1;
        let start = std::time::Instant::now();
        while app.events.started.load(Ordering::Acquire) < want && start.elapsed() < Duration::from_secs(2) {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        if raw.send(&frame(RST_STREAM, 0, id, &CANCEL.to_be_bytes())).await.is_err() {
            outcome = Some(format!("write failed at reset {i}"));
            break;
        }
        // Look for a GOAWAY without blocking the attack.
        if let Ok(f) = raw.read_frame(Duration::from_millis(1)).await
            && f.ty == GOAWAY
        {
            outcome = Some(format!("GOAWAY {:?} after {} resets", f.goaway(), i + 1));
            let (_, code) = f.goaway();
            assert_eq!(code, ENHANCE_YOUR_CALM);
            assert!(i < 100, "GOAWAY after a bounded count ({i})");
            break;
        }
    }
    let outcome = match outcome {
        Some(o) => o,
        None => match raw.until_goaway(Duration::from_secs(3)).await {
            Ok((f, _)) => {
                assert_eq!(f.goaway().1, ENHANCE_YOUR_CALM);
                format!("GOAWAY {:?} after the loop", f.goaway())
            }
            Err((end, _)) => panic!("200 paced resets, limit 50: no GOAWAY ({end:?})"),
        },
    };
    eprintln!("rapid reset paced: {outcome}");
    assert!(outcome.starts_with("GOAWAY"), "{outcome}");
    // The reset streams' handlers were cancelled at the reset, not left sleeping 2 s.
    eventually(Duration::from_secs(1), "reset handlers cancelled", || {
        app.events.slow_cancelled.load(Ordering::Acquire) >= 50
    })
    .await;
    assert_eq!(app.events.slow_done.load(Ordering::Acquire), 0);
    still_serves(server.local_addr()).await;
    server.forceclose().await;
}

/// CONTINUATION flood: HEADERS without END_HEADERS, then CONTINUATION frames far past the
/// header-list limit (32 KiB here) → a connection error, with the server reading a
/// bounded amount (it stops before the 16 MiB flood is written), its connection task
/// ending, and other clients still served.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn continuation_flood_is_a_connection_error() {
    let (server, app) = start(opts().max_header_bytes(32 * 1024)).await;
    let mut raw = RawH2::connect(server.local_addr()).await;
    raw.send(&frame(HEADERS, 0, 1, &request_block("GET", "/plaintext"))).await.unwrap();
    let mut piece = Vec::new();
    let mut n = 0;
    while piece.len() < 16 * 1024 - 64 {
        piece.extend(hpack_literal(&format!("x-flood-{n}"), "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"));
        n += 1;
    }
    let cont = frame(CONTINUATION, 0, 1, &piece);
    let (mut rd, mut wr) = raw.tcp.into_split();
    let writer = tokio::spawn(async move {
        let mut sent = 0usize;
        for _ in 0..1024 {
            match tokio::time::timeout(Duration::from_secs(3), wr.write_all(&cont)).await {
                Ok(Ok(())) => sent += cont.len(),
                _ => break,
            }
        }
        sent
    });
    let mut got = Vec::new();
    let read = bounded(WAIT, "server reaction", async {
        let mut buf = [0u8; 4096];
        loop {
            match rd.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => got.extend_from_slice(&buf[..n]),
            }
        }
    });
    read.await;
    let sent = bounded(WAIT, "flood writer", writer).await.unwrap();
    // Find the GOAWAY among what the server sent (SETTINGS, maybe a SETTINGS ACK, GOAWAY).
    let mut goaway = None;
    let mut at = 0;
    while at + 9 <= got.len() {
        let len = u32::from_be_bytes([0, got[at], got[at + 1], got[at + 2]]) as usize;
        if got[at + 3] == GOAWAY && at + 9 + 8 <= got.len() {
            let p = &got[at + 9..];
            goaway = Some(u32::from_be_bytes([p[4], p[5], p[6], p[7]]));
        }
        at += 9 + len;
    }
    eprintln!("continuation flood: server sent GOAWAY {goaway:?}, client wrote {sent} of {} bytes", 1024 * cont_len());
    let code = goaway.expect("a GOAWAY before the close");
    assert!(code == ENHANCE_YOUR_CALM || code == 0x1 || code == 0x9, "connection error code {code}");
    assert!(sent < 1024 * cont_len(), "the server stopped reading the flood ({sent} bytes written)");
    assert_eq!(app.events.started.load(Ordering::Acquire), 0, "no handler ran for the flooded stream");
    eventually(WAIT, "connection task ended", || server.connections() == 0).await;
    still_serves(server.local_addr()).await;
    server.forceclose().await;
}

fn cont_len() -> usize {
    16 * 1024
}

/// Reads frames from `rd` (leftovers kept in `buf`) until `want` frames of type `ty` with
/// the ACK flag came, each ACK's payload shown to `check`, within [`WAIT`]. Gives
/// `Ok(true)` when all came, `Ok(false)` when the connection ended first, and the count.
async fn count_acks(
    rd: &mut tokio::net::tcp::OwnedReadHalf,
    buf: &mut bytes::BytesMut,
    ty: u8,
    want: usize,
    mut check: impl FnMut(&[u8]),
) -> (Result<bool, tokio::time::error::Elapsed>, usize) {
    let mut acks = 0usize;
    let r = tokio::time::timeout(WAIT, async {
        while acks < want {
            match rd.read_buf(buf).await {
                Ok(0) | Err(_) => return false,
                Ok(_) => {}
            }
            while buf.len() >= 9 {
                let len = u32::from_be_bytes([0, buf[0], buf[1], buf[2]]) as usize;
                if buf.len() < 9 + len {
                    break;
                }
                if buf[3] == ty && buf[4] & ACK != 0 {
                    check(&buf[9..9 + len]);
                    acks += 1;
                }
                let _ = buf.split_to(9 + len);
            }
        }
        true
    })
    .await;
    (r, acks)
}

/// SETTINGS flood from a client that also reads: every SETTINGS is acknowledged, the
/// connection keeps working afterwards, and the server stays up.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn settings_flood_with_reading_client_is_survived() {
    let (server, _) = start(opts()).await;
    let raw = RawH2::connect(server.local_addr()).await;
    const N: usize = 20_000;
    let one = frame(SETTINGS, 0, 0, &[0x00, 0x03, 0x00, 0x00, 0x00, 0x64]); // MAX_CONCURRENT_STREAMS=100
    let flood: Vec<u8> = one.iter().copied().cycle().take(one.len() * N).collect();
    let (mut rd, mut wr) = raw.tcp.into_split();
    let writer = tokio::spawn(async move {
        let r = tokio::time::timeout(WAIT, wr.write_all(&flood)).await;
        (r, wr)
    });
    // Count SETTINGS ACKs while the flood goes in.
    let mut buf = bytes::BytesMut::new();
    let (counted, acks) = count_acks(&mut rd, &mut buf, SETTINGS, N + 1, |_| {}).await;
    let (w, mut wr) = writer.await.unwrap();
    eprintln!("settings flood (reading client): {acks} ACKs for {} SETTINGS, write {w:?}", N + 1);
    assert!(matches!(w, Ok(Ok(()))), "the flood was read");
    assert_eq!(counted, Ok(true), "every SETTINGS was acknowledged ({acks})");
    // The same connection still serves a request.
    wr.write_all(&frame(HEADERS, END_HEADERS | END_STREAM, 1, &request_block("GET", "/plaintext"))).await.unwrap();
    let mut raw = RawH2::from_parts(rd.reunite(wr).unwrap(), buf);
    let (frames, _) = raw.drain(Duration::from_millis(500)).await;
    let data: Vec<u8> =
        frames.iter().filter(|f| f.ty == DATA && f.stream == 1).flat_map(|f| f.payload.to_vec()).collect();
    assert_eq!(data, b"Hello, World!");
    still_serves(server.local_addr()).await;
    server.forceclose().await;
}

/// SETTINGS and PING floods from a client that never reads: the server cannot send the
/// ACKs, so it must stop reading (back-pressure) instead of queueing them, and the write
/// timeout (1 s here) ends the connection. Memory stays bounded by the socket buffers.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn settings_and_ping_floods_without_reading_are_bounded() {
    let (server, _) = start(opts().write_timeout(Duration::from_secs(1))).await;
    for (what, one) in [
        ("SETTINGS", frame(SETTINGS, 0, 0, &[0x00, 0x03, 0x00, 0x00, 0x00, 0x64])),
        ("PING", frame(PING, 0, 0, &[1, 2, 3, 4, 5, 6, 7, 8])),
    ] {
        let raw = RawH2::connect(server.local_addr()).await;
        let total = 64 * 1024 * 1024; // far more than socket buffers can hold
        let n = total / one.len();
        let flood: Vec<u8> = one.iter().copied().cycle().take(one.len() * n).collect();
        let mut tcp = raw.tcp;
        let mut sent = 0usize;
        let t0 = std::time::Instant::now();
        for chunk in flood.chunks(64 * 1024) {
            match tokio::time::timeout(Duration::from_secs(3), tcp.write_all(chunk)).await {
                Ok(Ok(())) => sent += chunk.len(),
                _ => break,
            }
        }
        eprintln!("{what} flood (never reading): wrote {sent} of {total} bytes in {:?}", t0.elapsed());
        assert!(sent < total, "{what}: the server must stop reading a flood whose ACKs cannot be sent");
        eventually(WAIT, "flooding connection closed by the write timeout", || server.connections() == 0).await;
        still_serves(server.local_addr()).await;
    }
    server.forceclose().await;
}

/// PING flood from a client that reads: every PING is answered, the server survives.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ping_flood_with_reading_client_is_answered() {
    let (server, _) = start(opts()).await;
    let raw = RawH2::connect(server.local_addr()).await;
    const N: usize = 20_000;
    let one = frame(PING, 0, 0, b"pingpong");
    let flood: Vec<u8> = one.iter().copied().cycle().take(one.len() * N).collect();
    let (mut rd, mut wr) = raw.tcp.into_split();
    let writer = tokio::spawn(async move { tokio::time::timeout(WAIT, wr.write_all(&flood)).await });
    let mut buf = bytes::BytesMut::new();
    let (r, pongs) = count_acks(&mut rd, &mut buf, PING, N, |payload| assert_eq!(payload, b"pingpong")).await;
    eprintln!("ping flood (reading client): {pongs} PING ACKs for {N} PINGs");
    assert!(matches!(writer.await.unwrap(), Ok(Ok(()))), "the flood was read");
    assert_eq!(r, Ok(true), "every PING answered ({pongs})");
    still_serves(server.local_addr()).await;
    server.forceclose().await;
}

/// A client that never reads a large response, with flow control open wide (so only
/// the socket stops it): the write timeout (1 s) fails the handler's write and ends the
/// connection, and the server serves others meanwhile.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn never_reading_client_hits_the_write_timeout() {
    let (server, app) = start(opts().write_timeout(Duration::from_secs(1))).await;
    let mut raw = RawH2::connect_with_settings(server.local_addr(), &[(0x4, 0x7fff_ffff)]).await;
    raw.send(&frame(WINDOW_UPDATE, 0, 0, &0x7fff_0000u32.to_be_bytes())).await.unwrap();
    raw.send(&frame(SETTINGS, ACK, 0, &[])).await.unwrap();
    raw.send(&frame(HEADERS, END_HEADERS | END_STREAM, 1, &request_block("GET", "/big?mb=256"))).await.unwrap();
    still_serves(server.local_addr()).await;
    let t0 = std::time::Instant::now();
    eventually(Duration::from_secs(10), "handler write failed", || {
        app.events.big_write_failed.load(Ordering::Acquire) == 1
    })
    .await;
    eventually(Duration::from_secs(10), "connection closed", || server.connections() == 0).await;
    eprintln!("never-reading client (socket-bound): cut after {:?}", t0.elapsed());
    assert_eq!(app.events.big_write_ok.load(Ordering::Acquire), 0);
    drop(raw);
    still_serves(server.local_addr()).await;
    server.forceclose().await;
}

/// A client that never reads, held back by HTTP/2 flow control (default 64 KiB window,
/// never updated): the stream's write timeout resets it and the handler sees the error.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn never_reading_stream_hits_the_write_timeout() {
    let (server, app) = start(opts().write_timeout(Duration::from_secs(1))).await;
    let mut send = h2_client(TcpStream::connect(server.local_addr()).await.unwrap()).await;
    let mut ready = send.clone().ready().await.unwrap();
    let (resp, _) = ready.send_request(get("/big?mb=64"), true).unwrap();
    let (_, mut body) = bounded(WAIT, "response head", resp).await.unwrap().into_parts();
    let t0 = std::time::Instant::now();
    eventually(Duration::from_secs(10), "handler write failed", || {
        app.events.big_write_failed.load(Ordering::Acquire) == 1
    })
    .await;
    eprintln!("never-reading stream (flow-control-bound): cut after {:?}", t0.elapsed());
    // The client sees the stream reset, not a complete body.
    let mut total = 0;
    let end = bounded(WAIT, "reset seen", async {
        while let Some(c) = body.data().await {
            match c {
                Ok(c) => total += c.len(),
                Err(e) => return Some(e),
            }
        }
        None
    })
    .await;
    assert!(end.as_ref().is_some_and(|e| e.is_reset()), "stream reset after {total} bytes: {end:?}");
    assert!(total < 64 * 1024 * 1024);
    // The connection itself is fine once the client gives back the connection window
    // the unread stream held (dropping the body releases it).
    drop(body);
    let (parts, _, _) = h2_get(&mut send, "/plaintext").await.unwrap();
    assert_eq!(parts.status, 200);
    server.forceclose().await;
}
