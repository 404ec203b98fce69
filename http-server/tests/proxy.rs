//! The server behind a load balancer, over real sockets: PROXY protocol v1/v2 headers
//! (accepted from trusted peers only; every malformed, untrusted, oversized or late one
//! closes the connection) and `Forwarded`/`X-Forwarded-*` fields (believed from trusted
//! peers only).

mod common;

use std::time::Duration;

use common::{Conn, bounded, get, opts};
use http_core::Stream;
use http_server::{Cidr, Server, ServerOptions};

/// Describes what the server believes about the client.
async fn whoami(s: &mut Stream) {
    let text = format!(
        "client={} scheme={} host={} peer={}",
        s.client_addr().map_or("-".to_owned(), |a| a.to_string()),
        s.scheme(),
        s.host().unwrap_or("-"),
        s.peer_addr().map_or("-".to_owned(), |a| a.ip().to_string()),
    );
    let _ = s.write(text).await;
}

async fn server(options: ServerOptions) -> Server {
    Server::listen(options, whoami).await.expect("server starts")
}

fn proxied(trusted: &str) -> ServerOptions {
    opts()
        .read_header_timeout(Duration::from_millis(600))
        .proxy_protocol(true)
        .trusted_proxies(Cidr::parse_list(trusted).unwrap())
}

fn v2(cmd: u8, fam: u8, payload: &[u8]) -> Vec<u8> {
    let mut h = http_server::proxy_protocol::V2_SIGNATURE.to_vec();
    h.extend_from_slice(&[0x20 | cmd, fam]);
    h.extend_from_slice(&(payload.len() as u16).to_be_bytes());
    h.extend_from_slice(payload);
    h
}

fn v4_payload(tlvs: &[u8]) -> Vec<u8> {
    let mut p = vec![198, 51, 100, 20, 127, 0, 0, 1];
    p.extend_from_slice(&51000u16.to_be_bytes());
    p.extend_from_slice(&80u16.to_be_bytes());
    p.extend_from_slice(tlvs);
    p
}

#[tokio::test]
async fn accepted_headers_set_the_client() {
    let s = server(proxied("loopback")).await;
    // (what is sent before the request, in pieces, and the expected body)
    let rows: Vec<(Vec<Vec<u8>>, &str)> = vec![
        (vec![b"PROXY TCP4 203.0.113.7 127.0.0.1 40000 80\r\n".to_vec()], "client=203.0.113.7:40000 scheme=http"),
        (vec![b"PROXY TCP6 2001:db8::5 ::1 1234 80\r\n".to_vec()], "client=[2001:db8::5]:1234 scheme=http"),
        // split in the middle: the server waits for the rest
        (vec![b"PROXY TCP4 203.0.11".to_vec(), b"3.8 127.0.0.1 1 80\r\n".to_vec()], "client=203.0.113.8:1 scheme=http"),
        (vec![v2(1, 0x11, &v4_payload(&[]))], "client=198.51.100.20:51000 scheme=http"),
        // TLVs skipped; the SSL one says the client spoke TLS to the proxy
        (
            vec![v2(1, 0x11, &v4_payload(&[0x04, 0, 3, 1, 2, 3, 0x20, 0, 5, 1, 0, 0, 0, 0]))[..10].to_vec(), {
                let whole = v2(1, 0x11, &v4_payload(&[0x04, 0, 3, 1, 2, 3, 0x20, 0, 5, 1, 0, 0, 0, 0]));
                whole[10..].to_vec()
            }],
            "client=198.51.100.20:51000 scheme=https",
        ),
        // LOCAL and UNKNOWN: the proxy's own connection keeps the socket address
        (vec![v2(0, 0x00, &[])], "client=127.0.0.1:"),
        (vec![b"PROXY UNKNOWN\r\n".to_vec()], "client=127.0.0.1:"),
    ];
    for (pieces, want) in rows {
        let mut c = Conn::to(&s).await;
        let last = pieces.len() - 1;
        for (i, p) in pieces.iter().enumerate() {
            if i == last {
                // the request in the same segment as the header's end: exactly the header is consumed
                c.send(&[p.as_slice(), &get("/")].concat()).await;
            } else {
                c.send(p).await;
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
        let r = c.response().await;
        assert_eq!(r.status, 200, "{want}");
        assert!(r.text().starts_with(want), "{want}: {}", r.text());
        // keep-alive continues on the same connection, without another header
        c.send(&get("/")).await;
        assert!(c.response().await.text().starts_with(want));
    }
    s.close().await;
}

#[tokio::test]
async fn refused_headers_close_the_connection() {
    let s = server(proxied("loopback")).await;
    let mut bad_tlv = v2(1, 0x11, &v4_payload(&[0x04, 0, 200, 1]));
    bad_tlv.extend_from_slice(&get("/"));
    let mut too_long_v2 = v2(1, 0x11, &v4_payload(&[]));
    too_long_v2[14..16].copy_from_slice(&5000u16.to_be_bytes());
    let rows: Vec<(&str, Vec<u8>)> = vec![
        ("no header", get("/")),
        ("v1 bad address", [&b"PROXY TCP4 1.2.3 127.0.0.1 1 80\r\n"[..], &get("/")].concat()),
        ("v1 bad port", [&b"PROXY TCP4 1.2.3.4 127.0.0.1 1 99999\r\n"[..], &get("/")].concat()),
        ("v1 no CRLF within 107 bytes", [&b"PROXY UNKNOWN "[..], &[b'x'; 120]].concat()),
        ("v1 LF only", [&b"PROXY TCP4 1.2.3.4 127.0.0.1 1 80\n"[..], &get("/")].concat()),
        ("v2 TLV past the end", bad_tlv),
        ("v2 oversized", too_long_v2),
        ("v2 bad command", v2(7, 0x11, &v4_payload(&[]))),
        ("v2 short addresses", v2(1, 0x21, &v4_payload(&[]))),
    ];
    for (what, bytes) in rows {
        let mut c = Conn::to(&s).await;
        c.send_lenient(&bytes).await;
        let got = c.read_to_close().await;
        assert!(
            got.is_empty(),
            "{what}: the connection must close without an answer, got {:?}",
            String::from_utf8_lossy(&got)
        );
    }
    // a header that never ends: closed at the header timeout
    let mut c = Conn::to(&s).await;
    c.send(b"PROXY TCP4 203.0.113.7").await;
    let started = std::time::Instant::now();
    assert!(c.read_to_close().await.is_empty());
    assert!(started.elapsed() < Duration::from_secs(3), "closed by read_header_timeout");
    s.close().await;
}

#[tokio::test]
async fn a_header_from_an_untrusted_peer_closes_the_connection() {
    let s = server(proxied("10.0.0.0/8")).await;
    let mut c = Conn::to(&s).await;
    c.send_lenient(&[&b"PROXY TCP4 203.0.113.7 127.0.0.1 40000 80\r\n"[..], &get("/")].concat()).await;
    assert!(c.read_to_close().await.is_empty(), "loopback is not a trusted proxy here");
    s.close().await;
}

#[tokio::test]
async fn proxy_protocol_without_trusted_networks_does_not_start() {
    let err = Server::listen(opts().proxy_protocol(true), whoami).await.unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
    assert!(err.to_string().contains("trusted proxies"), "{err}");
}

async fn ask(s: &Server, fields: &str) -> String {
    let mut c = Conn::to(s).await;
    c.send(format!("GET / HTTP/1.1\r\nHost: origin.test\r\n{fields}\r\n").as_bytes()).await;
    bounded(Duration::from_secs(5), "response", c.response()).await.text()
}

#[tokio::test]
async fn forwarding_fields_are_believed_from_trusted_peers_only() {
    let trusting = server(opts().trusted_proxies(Cidr::parse_list("loopback").unwrap())).await;
    let wary = server(opts().trusted_proxies(Cidr::parse_list("10.0.0.0/8").unwrap())).await;
    let default = server(opts()).await;
    let spoof = "X-Forwarded-For: 203.0.113.9\r\nX-Forwarded-Proto: https\r\nX-Forwarded-Host: spoof.test\r\n";
    let rows: [(&Server, &str, &str); 6] = [
        (&trusting, spoof, "client=203.0.113.9:0 scheme=https host=spoof.test"),
        (
            &trusting,
            "X-Forwarded-For: 6.6.6.6, 203.0.113.9, 127.0.0.5\r\n",
            "client=203.0.113.9:0 scheme=http host=origin.test",
        ),
        (
            &trusting,
            "Forwarded: for=\"[2001:db8::1]:99\";proto=https;host=fw.test\r\n",
            "client=[2001:db8::1]:99 scheme=https host=fw.test",
        ),
        (&trusting, "X-Forwarded-Host: bad/host\r\n", "scheme=http host=origin.test"),
        // spoofed from an untrusted peer: ignored
        (&wary, spoof, "client=127.0.0.1:"),
        (&default, spoof, "client=127.0.0.1:"),
    ];
    for (s, fields, want) in rows {
        let got = ask(s, fields).await;
        assert!(got.contains(want), "{fields:?}: want {want:?} in {got:?}");
    }
    assert!(ask(&wary, spoof).await.contains("scheme=http host=origin.test"));
    for s in [trusting, wary, default] {
        s.close().await;
    }
}

/// The rejections a proxy-facing listener owes, beside the malformed headers above: a v2
/// header from an untrusted peer, a PROXY header where none is expected, a second header,
/// spoofed forwarding fields from a client behind the proxy, chains past `MAX_HOPS`, and
/// heads past the limits.
#[tokio::test]
async fn rejections_behind_a_proxy() {
    let header = b"PROXY TCP4 203.0.113.7 127.0.0.1 40000 80\r\n".as_slice();
    // A v2 header from an untrusted peer closes the connection like a v1 one.
    let wary = server(proxied("10.0.0.0/8")).await;
    let mut c = Conn::to(&wary).await;
    c.send_lenient(&[&v2(1, 0x11, &v4_payload(&[]))[..], &get("/")].concat()).await;
    assert!(c.read_to_close().await.is_empty(), "v2 from an untrusted peer");
    wary.close().await;

    // Without --proxy-protocol, a PROXY header is not HTTP: 400, whoever sends it.
    let plain = server(opts().trusted_proxies(Cidr::parse_list("loopback").unwrap())).await;
    let mut c = Conn::to(&plain).await;
    c.send_lenient(&[header, &get("/")].concat()).await;
    let r = c.response().await;
    assert_eq!(r.status, 400, "a PROXY header where none is expected");
    plain.close().await;

    let s = server(proxied("loopback").max_header_bytes(4096)).await;
    // A second PROXY header (a client trying to speak for itself through the proxy): 400.
    let mut c = Conn::to(&s).await;
    c.send_lenient(&[header, b"PROXY TCP4 6.6.6.6 127.0.0.1 1 80\r\n", &get("/")].concat()).await;
    assert_eq!(c.response().await.status, 400, "a second PROXY header");

    // The client behind the proxy is not a trusted proxy: its forwarding fields are ignored.
    let spoofed = "X-Forwarded-For: 6.6.6.6\r\nForwarded: for=7.7.7.7;proto=https\r\nX-Forwarded-Proto: https\r\n";
    let mut c = Conn::to(&s).await;
    c.send(&[header, format!("GET / HTTP/1.1\r\nHost: a\r\n{spoofed}\r\n").as_bytes()].concat()).await;
    let text = c.response().await.text();
    assert!(text.starts_with("client=203.0.113.7:40000 scheme=http"), "{text}");

    // Oversized: a head past max_header_bytes is answered 431 and the connection closed.
    let mut c = Conn::to(&s).await;
    let big = format!("GET / HTTP/1.1\r\nHost: a\r\nX-Big: {}\r\n\r\n", "a".repeat(8192));
    c.send_lenient(&[header, big.as_bytes()].concat()).await;
    let r = c.response().await;
    assert_eq!(r.status, 431, "oversized head behind the proxy");
    c.closed().await;
    s.close().await;

    // A chain longer than MAX_HOPS from a trusted proxy is not believed at all.
    let trusting = server(opts().trusted_proxies(Cidr::parse_list("loopback").unwrap())).await;
    let long: Vec<String> = (0..=http_server::MAX_HOPS).map(|i| format!("198.51.100.{}", i % 250)).collect();
    let got = ask(&trusting, &format!("X-Forwarded-For: {}\r\n", long.join(", "))).await;
    assert!(got.starts_with("client=127.0.0.1:"), "{} hops: {got}", long.len());
    let ok: Vec<&str> = long.iter().take(http_server::MAX_HOPS).map(String::as_str).collect();
    let got = ask(&trusting, &format!("X-Forwarded-For: {}\r\n", ok.join(", "))).await;
    assert!(got.starts_with("client=198.51.100.63:0"), "{} hops: {got}", ok.len());
    trusting.close().await;
}
