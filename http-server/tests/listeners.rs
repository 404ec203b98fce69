//! Listeners over real sockets: a listener the application opened (`from_listener`),
//! several on one server, `SO_REUSEPORT`, Unix domain sockets (HTTP/1.1, HTTP/2 prior
//! knowledge, trusted-proxy fields, the socket file's life), and an interface name as host.

mod common;

use std::time::Duration;

use common::{Conn, get, opts};
use http_core::Stream;
use http_server::{Cidr, Listener, Server};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

async fn whoami(s: &mut Stream) {
    let text = format!("client={}", s.client_addr().map_or("-".to_owned(), |a| a.to_string()));
    let _ = s.write(text).await;
}

async fn answers(addr: std::net::SocketAddr) -> bool {
    let mut c = Conn::open(addr).await;
    c.send(&get("/")).await;
    c.response().await.status == 200
}

#[tokio::test]
async fn from_listener_serves_an_application_socket() {
    let std_listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = std_listener.local_addr().unwrap();
    let s = Server::from_listener(Listener::tcp(std_listener).unwrap(), opts(), whoami).await.unwrap();
    assert_eq!(s.local_addr(), addr);
    assert_eq!(s.url(), format!("http://{addr}"));
    assert!(answers(addr).await);
    s.close().await;
    assert!(tokio::net::TcpStream::connect(addr).await.is_err(), "closed with the server");
}

#[tokio::test]
async fn one_server_several_listeners() {
    let a = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let b = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let (aa, ba) = (a.local_addr().unwrap(), b.local_addr().unwrap());
    let s = Server::listen(opts().listener(a).listener(b), whoami).await.unwrap();
    assert_eq!(s.urls(), vec![format!("http://{aa}"), format!("http://{ba}")]);
    assert!(answers(aa).await && answers(ba).await);
    s.close().await;
    for addr in [aa, ba] {
        assert!(tokio::net::TcpStream::connect(addr).await.is_err(), "{addr} closed");
    }
}

#[tokio::test]
async fn reuseport_lets_two_servers_share_a_port() {
    let first = Server::listen(opts().reuseport(true), whoami).await.unwrap();
    let port = first.port();
    let second = Server::listen(opts().port(port).reuseport(true), whoami).await.unwrap();
    assert_eq!(second.port(), port);
    let refused = Server::listen(opts().port(port), whoami).await.unwrap_err();
    assert_eq!(refused.kind(), std::io::ErrorKind::AddrInUse, "without SO_REUSEPORT the port is taken");
    assert!(answers(first.local_addr()).await);
    second.close().await;
    first.close().await;
}

fn sock_path(name: &str) -> std::path::PathBuf {
    std::env::temp_dir().join(format!("http-rs-{name}-{}.sock", std::process::id()))
}

async fn unix_get(path: &std::path::Path, extra: &str) -> String {
    let mut c = tokio::net::UnixStream::connect(path).await.unwrap();
    c.write_all(format!("GET / HTTP/1.1\r\nHost: sock\r\nConnection: close\r\n{extra}\r\n").as_bytes()).await.unwrap();
    let mut out = String::new();
    tokio::time::timeout(Duration::from_secs(5), c.read_to_string(&mut out)).await.unwrap().unwrap();
    out
}

#[tokio::test]
async fn unix_socket_serves_h1_and_h2_and_cleans_up() {
    let path = sock_path("serve");
    let _ = std::fs::remove_file(&path);
    let trusted = Cidr::parse_list("loopback").unwrap();
    let s = Server::listen(opts().unix(&path).trusted_proxies(trusted), whoami).await.unwrap();
    assert_eq!(s.url(), format!("unix:{}", path.display()));
    let plain = unix_get(&path, "").await;
    assert!(plain.starts_with("HTTP/1.1 200") && plain.contains("\r\nclient=-\r\n"), "{plain}");
    // a local proxy (nginx's proxy_pass to unix:) counts as loopback for trust
    let proxied = unix_get(&path, "X-Forwarded-For: 203.0.113.4\r\n").await;
    assert!(proxied.contains("client=203.0.113.4:0"), "{proxied}");
    // HTTP/2 prior knowledge: the server's SETTINGS frame answers the preface
    let mut c = tokio::net::UnixStream::connect(&path).await.unwrap();
    c.write_all(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\0\0\0\x04\0\0\0\0\0").await.unwrap();
    let mut frame = [0u8; 9];
    tokio::time::timeout(Duration::from_secs(5), c.read_exact(&mut frame)).await.unwrap().unwrap();
    assert_eq!(frame[3], 0x4, "a SETTINGS frame");
    drop(c);
    s.close().await;
    assert!(!path.exists(), "the socket file is removed on close");
}

#[tokio::test]
async fn unix_socket_paths_stale_and_in_use() {
    let path = sock_path("stale");
    let _ = std::fs::remove_file(&path);
    // a socket file nobody listens on (a crashed server's) is replaced
    drop(std::os::unix::net::UnixListener::bind(&path).unwrap());
    assert!(path.exists());
    let s = Server::listen(opts().unix(&path), whoami).await.unwrap();
    assert!(unix_get(&path, "").await.starts_with("HTTP/1.1 200"));
    // one in use is not
    let err = Server::listen(opts().unix(&path), whoami).await.unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::AddrInUse, "{err}");
    assert!(err.to_string().contains("unix:"), "{err}");
    s.close().await;
    // nor is a path that is not a socket
    std::fs::write(&path, "data").unwrap();
    let err = Server::listen(opts().unix(&path), whoami).await.unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::AlreadyExists, "{err}");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "data", "left alone");
    std::fs::remove_file(&path).unwrap();
}

#[tokio::test]
async fn interface_name_as_host() {
    if !std::path::Path::new("/sys/class/net/lo").exists() {
        return; // not Linux: interface names are not looked up
    }
    let s = Server::listen(opts().host("lo"), whoami).await.unwrap();
    assert!(s.local_addr().ip().is_loopback(), "{}", s.url());
    assert!(answers(s.local_addr()).await);
    s.close().await;
}
