//! `tls_conns`: new TLS connections per second against an HTTPS server, one request per
//! connection, full handshakes and resumptions counted apart (RFC 8446 §2.2: a TLS 1.3
//! resumption with a PSK from a NewSessionTicket, still with an (EC)DHE exchange).
//!
//! ```text
//! cargo run --release -p benches --bin tls_conns -- --url https://127.0.0.1:8443/plaintext \
//!     --mode resume --concurrency 32 --seconds 5 --server-pid 1234
//! ```
//!
//! `--concurrency` tasks on one thread each loop: connect, TLS handshake (rustls client,
//! ring provider, ALPN `http/1.1`), `GET PATH` with `Connection: close`, read the whole
//! response (by its Content-Length), drop the connection. `--mode full` turns the client's
//! session store off, so every handshake is full; `--mode resume` gives each of
//! `--clients` simulated clients its own ticket store (connections go to the clients in
//! turn), so a connection resumes when the server accepts a ticket it issued earlier.
//! What each handshake was comes from `ClientConnection::handshake_kind()`.
//!
//! A store keeps up to twice `--concurrency` tickets (at least 8), so a burst of new
//! connections does not run it dry: rustls' default client store keeps 8 per server,
//! and with 32 connections in flight bursts of more than 8 new ones found it empty and
//! made full handshakes that said nothing about the server. `no_ticket` counts the
//! ClientHellos that went out without a ticket all the same (a client's first connection,
//! or a store emptied by a burst); `full` minus `no_ticket` is what the server refused.
//! Many clients (`--clients 1000`) show whether the server remembers sessions for all of
//! them.
//!
//! The certificate and its signatures are not checked (a load generator: the server's
//! cost is what is measured, and the client's own verification would only slow it down).
//! After `--warmup` seconds the counters and the server's CPU time (`/proc/PID/stat`) are
//! read, again after `--seconds`, and one line of `key=value` results is printed:
//! `conns`, `full`, `resumed`, `no_ticket`, `errors`, `conns_per_s`, `cpu_ticks`,
//! `cpu_us_per_conn`.
//! Only 127.0.0.1 (or whatever `--url` names) is used; the run stops by itself.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use benches::target::Target;
use clap::{Parser, ValueEnum};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::{ClientSessionStore, Tls12ClientSessionValue, Tls13ClientSessionValue};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, HandshakeKind, NamedGroup, SignatureScheme};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Mode {
    /// No client session cache: every handshake is a full one.
    Full,
    /// A ticket store per client: resume whenever the server accepts a ticket.
    Resume,
}

#[derive(Parser)]
#[command(
    about = "New TLS connections per second (one request each): full vs resumed handshakes, server CPU per connection"
)]
struct Cli {
    /// https://HOST:PORT/PATH
    #[arg(long)]
    url: String,
    /// Whether connections may resume sessions.
    #[arg(long, value_enum, default_value_t = Mode::Resume)]
    mode: Mode,
    /// Connections in flight at once.
    #[arg(long, default_value_t = 32)]
    concurrency: usize,
    /// Simulated clients, each with its own ticket store; connections go to them in turn.
    #[arg(long, default_value_t = 1)]
    clients: usize,
    /// Unmeasured seconds first.
    #[arg(long, default_value_t = 1.0)]
    warmup: f64,
    /// Measured seconds.
    #[arg(long, default_value_t = 5.0)]
    seconds: f64,
    /// The server's PID, for its CPU time per connection.
    #[arg(long)]
    server_pid: Option<u32>,
    /// The name sent as SNI (the certificate is not checked).
    #[arg(long, default_value = "localhost")]
    server_name: String,
}

/// How far a response has come in: `None` while its head or body is still incomplete,
/// else its status and whether it is complete (`Err` for a head that cannot be read or a
/// response without Content-Length, which this generator does not expect).
fn response_status(buf: &[u8]) -> Option<Result<u16, String>> {
    let head_end = buf.windows(4).position(|w| w == b"\r\n\r\n")? + 4;
    let head = match std::str::from_utf8(&buf[..head_end]) {
        Ok(h) => h,
        Err(_) => return Some(Err("response head is not UTF-8".into())),
    };
    let mut lines = head.split("\r\n");
    let status = lines.next().and_then(|l| l.split(' ').nth(1)).and_then(|s| s.parse::<u16>().ok());
    let Some(status) = status else { return Some(Err(format!("bad status line in {head:?}"))) };
    let length = lines.find_map(|l| {
        let (name, value) = l.split_once(':')?;
        name.eq_ignore_ascii_case("content-length").then(|| value.trim().parse::<usize>().ok())?
    });
    match length {
        None => Some(Err("response without Content-Length".into())),
        Some(n) if buf.len() >= head_end + n => Some(Ok(status)),
        Some(_) => None,
    }
}

/// Trusts any certificate and signature (see the module docs).
#[derive(Debug)]
struct AnyServer(Vec<SignatureScheme>);

impl ServerCertVerifier for AnyServer {
    fn verify_server_cert(
        &self,
        _: &CertificateDer<'_>,
        _: &[CertificateDer<'_>],
        _: &ServerName<'_>,
        _: &[u8],
        _: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }
    fn verify_tls12_signature(
        &self,
        _: &[u8],
        _: &CertificateDer<'_>,
        _: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        Ok(HandshakeSignatureValid::assertion())
    }
    fn verify_tls13_signature(
        &self,
        _: &[u8],
        _: &CertificateDer<'_>,
        _: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        Ok(HandshakeSignatureValid::assertion())
    }
    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.clone()
    }
}

/// One client's session store: its TLS 1.3 tickets (up to `capacity`, newest used
/// first, as rustls' own store), its TLS 1.2 session and key-exchange hint. It serves the
/// one server this generator talks to, so server names are not told apart. Counts the
/// ClientHellos it had no TLS 1.3 ticket for in `no_ticket`.
#[derive(Debug)]
struct TicketStore {
    tls13: Mutex<VecDeque<Tls13ClientSessionValue>>,
    tls12: Mutex<Option<Tls12ClientSessionValue>>,
    kx_hint: Mutex<Option<NamedGroup>>,
    capacity: usize,
    no_ticket: Arc<AtomicU64>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl ClientSessionStore for TicketStore {
    fn set_kx_hint(&self, _: ServerName<'static>, group: NamedGroup) {
        *lock(&self.kx_hint) = Some(group);
    }
    fn kx_hint(&self, _: &ServerName<'_>) -> Option<NamedGroup> {
        *lock(&self.kx_hint)
    }
    fn set_tls12_session(&self, _: ServerName<'static>, value: Tls12ClientSessionValue) {
        *lock(&self.tls12) = Some(value);
    }
    fn tls12_session(&self, _: &ServerName<'_>) -> Option<Tls12ClientSessionValue> {
        lock(&self.tls12).clone()
    }
    fn remove_tls12_session(&self, _: &ServerName<'static>) {
        *lock(&self.tls12) = None;
    }
    fn insert_tls13_ticket(&self, _: ServerName<'static>, value: Tls13ClientSessionValue) {
        let mut tickets = lock(&self.tls13);
        if tickets.len() == self.capacity {
            tickets.pop_front();
        }
        tickets.push_back(value);
    }
    fn take_tls13_ticket(&self, _: &ServerName<'static>) -> Option<Tls13ClientSessionValue> {
        let ticket = lock(&self.tls13).pop_back();
        if ticket.is_none() {
            self.no_ticket.fetch_add(1, Ordering::Relaxed);
        }
        ticket
    }
}

fn client_config(mode: Mode, tickets: usize, no_ticket: &Arc<AtomicU64>) -> rustls::ClientConfig {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let schemes = provider.signature_verification_algorithms.supported_schemes();
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
        .expect("ring supports TLS 1.3 and 1.2")
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(AnyServer(schemes)))
        .with_no_client_auth();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    config.resumption = match mode {
        Mode::Full => rustls::client::Resumption::disabled(),
        Mode::Resume => rustls::client::Resumption::store(Arc::new(TicketStore {
            tls13: Mutex::new(VecDeque::with_capacity(tickets)),
            tls12: Mutex::new(None),
            kx_hint: Mutex::new(None),
            capacity: tickets,
            no_ticket: no_ticket.clone(),
        })),
    };
    config
}

#[derive(Default)]
struct Counts {
    full: AtomicU64,
    resumed: AtomicU64,
    errors: AtomicU64,
    /// Shared with every client's [`TicketStore`].
    no_ticket: Arc<AtomicU64>,
}

impl Counts {
    fn snapshot(&self) -> [u64; 4] {
        [&self.full, &self.resumed, &self.errors, &*self.no_ticket].map(|c| c.load(Ordering::Relaxed))
    }
}

/// One connection: handshake, one request, the whole response; its handshake kind.
async fn one(
    connector: &TlsConnector,
    name: &ServerName<'static>,
    target: &Target,
    request: &[u8],
) -> Result<HandshakeKind, String> {
    let tcp = TcpStream::connect(target.authority.as_str()).await.map_err(|e| format!("connect: {e}"))?;
    let _ = tcp.set_nodelay(true);
    let mut tls = connector.connect(name.clone(), tcp).await.map_err(|e| format!("handshake: {e}"))?;
    let kind = tls.get_ref().1.handshake_kind().ok_or("no handshake kind after the handshake")?;
    tls.write_all(request).await.map_err(|e| format!("write: {e}"))?;
    let mut buf = Vec::with_capacity(512);
    loop {
        if let Some(status) = response_status(&buf) {
            return match status? {
                200 => Ok(kind),
                s => Err(format!("status {s}")),
            };
        }
        if tls.read_buf(&mut buf).await.map_err(|e| format!("read: {e}"))? == 0 {
            return Err("connection closed before the whole response".into());
        }
    }
}

/// The simulated clients' connectors, taken in turn by new connections.
struct Clients {
    connectors: Vec<TlsConnector>,
    next: AtomicUsize,
}

impl Clients {
    fn next(&self) -> &TlsConnector {
        &self.connectors[self.next.fetch_add(1, Ordering::Relaxed) % self.connectors.len()]
    }
}

async fn worker(
    clients: Arc<Clients>,
    name: ServerName<'static>,
    target: Arc<Target>,
    counts: Arc<Counts>,
    until: Instant,
) {
    let request = format!("GET {} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n", target.path, target.authority);
    let mut reported = false;
    while Instant::now() < until {
        match one(clients.next(), &name, &target, request.as_bytes()).await {
            Ok(HandshakeKind::Resumed) => counts.resumed.fetch_add(1, Ordering::Relaxed),
            Ok(_) => counts.full.fetch_add(1, Ordering::Relaxed),
            Err(e) => {
                if !reported {
                    eprintln!("tls_conns: {e}");
                    reported = true;
                }
                counts.errors.fetch_add(1, Ordering::Relaxed)
            }
        };
    }
}

fn server_ticks(pid: Option<u32>) -> Option<u64> {
    pid.and_then(|p| benches::procfs::cpu_ticks(p).ok())
}

fn main() -> Result<(), String> {
    let cli = Cli::parse();
    let target = Arc::new(Target::parse(&cli.url, "https")?);
    let name = ServerName::try_from(cli.server_name.clone()).map_err(|e| format!("--server-name: {e}"))?;
    let counts = Arc::new(Counts::default());
    let tickets = (2 * cli.concurrency).max(8);
    let connectors = (0..cli.clients.max(1))
        .map(|_| TlsConnector::from(Arc::new(client_config(cli.mode, tickets, &counts.no_ticket))))
        .collect();
    let clients = Arc::new(Clients { connectors, next: AtomicUsize::new(0) });
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(|e| e.to_string())?;
    rt.block_on(async {
        let start = Instant::now();
        let warm = start + Duration::from_secs_f64(cli.warmup);
        let until = warm + Duration::from_secs_f64(cli.seconds);
        let tasks: Vec<_> = (0..cli.concurrency.max(1))
            .map(|_| tokio::spawn(worker(clients.clone(), name.clone(), target.clone(), counts.clone(), until)))
            .collect();
        tokio::time::sleep_until(warm.into()).await;
        let (c0, t0, n0) = (counts.snapshot(), server_ticks(cli.server_pid), Instant::now());
        tokio::time::sleep_until(until.into()).await;
        let (c1, t1, secs) = (counts.snapshot(), server_ticks(cli.server_pid), n0.elapsed().as_secs_f64());
        for t in tasks {
            let _ = t.await;
        }
        let [full, resumed, errors, no_ticket] = [0, 1, 2, 3].map(|i| c1[i] - c0[i]);
        let conns = full + resumed;
        let (ticks, per_conn) = match (t0, t1) {
            (Some(a), Some(b)) if conns > 0 => {
                (format!("{}", b - a), format!("{:.2}", benches::procfs::cpu_us_per(b - a, conns)))
            }
            _ => ("nan".into(), "nan".into()),
        };
        println!(
            "mode={:?} clients={} conns={conns} full={full} resumed={resumed} no_ticket={no_ticket} errors={errors} seconds={secs:.2} conns_per_s={:.0} cpu_ticks={ticks} cpu_us_per_conn={per_conn}",
            cli.mode,
            cli.clients.max(1),
            conns as f64 / secs
        );
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A response's bytes and what `response_status` says of them (`Err(())`: an error).
    type ResponseCase = (&'static [u8], Option<Result<u16, ()>>);

    #[test]
    fn responses() {
        let cases: &[ResponseCase] = &[
            (b"", None),
            (b"HTTP/1.1 200 OK\r\nContent-Length: 13\r\n", None),
            (b"HTTP/1.1 200 OK\r\nContent-Length: 13\r\n\r\nHello", None),
            (b"HTTP/1.1 200 OK\r\ncontent-length: 13\r\n\r\nHello, World!", Some(Ok(200))),
            (b"HTTP/1.1 200 OK\r\nServer: x\r\nCONTENT-LENGTH:0\r\n\r\n", Some(Ok(200))),
            (b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n", Some(Ok(404))),
            (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", Some(Err(()))),
            (b"nonsense\r\n\r\n", Some(Err(()))),
        ];
        for (bytes, want) in cases {
            assert_eq!(response_status(bytes).map(|r| r.map_err(|_| ())), *want, "{}", String::from_utf8_lossy(bytes));
        }
    }

    /// A local rustls server (ours' configuration) answering one request per connection.
    async fn server() -> (std::net::SocketAddr, std::path::PathBuf) {
        let ck = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
        let dir = std::env::temp_dir().join(format!("tls-conns-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("cert.pem"), ck.cert.pem()).unwrap();
        std::fs::write(dir.join("key.pem"), ck.signing_key.serialize_pem()).unwrap();
        let acceptor = benches::tls::acceptor(&benches::tls::TlsArgs {
            tls_cert: dir.join("cert.pem"),
            tls_key: dir.join("key.pem"),
        })
        .unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            while let Ok((tcp, _)) = listener.accept().await {
                let acceptor = acceptor.clone();
                tokio::spawn(async move {
                    let Ok(mut tls) = acceptor.accept(tcp).await else { return };
                    let mut buf = Vec::new();
                    while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
                        if tls.read_buf(&mut buf).await.unwrap_or(0) == 0 {
                            return;
                        }
                    }
                    let _ = tls.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok").await;
                    let _ = tls.shutdown().await;
                });
            }
        });
        (addr, dir)
    }

    #[tokio::test]
    async fn full_and_resumed_handshakes_are_told_apart() {
        let (addr, dir) = server().await;
        let target = Target::parse(&format!("https://{addr}/plaintext"), "https").unwrap();
        let name = ServerName::try_from("localhost").unwrap();
        let request = format!("GET /plaintext HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
        for (mode, second) in [(Mode::Full, HandshakeKind::Full), (Mode::Resume, HandshakeKind::Resumed)] {
            let no_ticket = Arc::new(AtomicU64::new(0));
            let connector = TlsConnector::from(Arc::new(client_config(mode, 8, &no_ticket)));
            let first = one(&connector, &name, &target, request.as_bytes()).await.unwrap();
            assert_eq!(first, HandshakeKind::Full, "{mode:?}: the first connection has no session to resume");
            let next = one(&connector, &name, &target, request.as_bytes()).await.unwrap();
            assert_eq!(next, second, "{mode:?}");
            let want_no_ticket = if mode == Mode::Resume { 1 } else { 0 };
            assert_eq!(no_ticket.load(Ordering::Relaxed), want_no_ticket, "{mode:?}: ClientHellos without a ticket");
        }
        std::fs::remove_dir_all(dir).unwrap();
    }
}
