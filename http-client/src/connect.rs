//! Opening connections: name resolution, TCP connect within the connect timeout, and the
//! TLS handshake (rustls) with ALPN offering `h2` then `http/1.1` (RFC 7301), each failure
//! classified (resolve, refused, handshake, certificate).

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use rustls::pki_types::ServerName;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;

use crate::error::{Error, ErrorKind, Result};
use crate::url::{Origin, Scheme};

/// A connection's byte stream: plain TCP or TLS over TCP.
#[derive(Debug)]
pub(crate) enum Io {
    Tcp(TcpStream),
    Tls(Box<TlsStream<TcpStream>>),
}

impl AsyncRead for Io {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Io::Tcp(s) => Pin::new(s).poll_read(cx, buf),
            Io::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Io {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Io::Tcp(s) => Pin::new(s).poll_write(cx, buf),
            Io::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Io::Tcp(s) => Pin::new(s).poll_flush(cx),
            Io::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Io::Tcp(s) => Pin::new(s).poll_shutdown(cx),
            Io::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
        }
    }
}

/// The TLS client configurations a client uses, one per ALPN offer.
#[derive(Debug, Clone)]
pub(crate) struct TlsConfigs {
    /// Offers `h2`, then `http/1.1`.
    pub(crate) h2_and_h1: Arc<rustls::ClientConfig>,
    /// Offers `http/1.1` only.
    pub(crate) h1: Arc<rustls::ClientConfig>,
    /// Offers `h2` only.
    pub(crate) h2: Arc<rustls::ClientConfig>,
}

impl TlsConfigs {
    pub(crate) fn new(roots: rustls::RootCertStore) -> Result<Self> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let base = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| Error::new(ErrorKind::Builder, e))?
            .with_root_certificates(roots)
            .with_no_client_auth();
        let with = |alpn: &[&[u8]]| {
            let mut c = base.clone();
            c.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
            Arc::new(c)
        };
        Ok(TlsConfigs { h2_and_h1: with(&[b"h2", b"http/1.1"]), h1: with(&[b"http/1.1"]), h2: with(&[b"h2"]) })
    }
}

/// The system's trusted roots; the bundled Mozilla roots when the system has none.
pub(crate) fn system_roots() -> rustls::RootCertStore {
    let mut roots = rustls::RootCertStore::empty();
    let found = rustls_native_certs::load_native_certs();
    roots.add_parsable_certificates(found.certs);
    if roots.is_empty() {
        roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    }
    roots
}

/// Exactly the certificates in `pem`.
pub(crate) fn roots_from_pem(pem: &[u8]) -> Result<rustls::RootCertStore> {
    use rustls::pki_types::CertificateDer;
    use rustls::pki_types::pem::PemObject;
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(pem) {
        let cert = cert.map_err(|e| Error::new(ErrorKind::Builder, format!("CA certificate PEM: {e}")))?;
        roots.add(cert).map_err(|e| Error::new(ErrorKind::Builder, format!("CA certificate: {e}")))?;
    }
    if roots.is_empty() {
        return Err(Error::new(ErrorKind::Builder, "no certificate in the CA file"));
    }
    Ok(roots)
}

/// Opens a TCP connection to `origin` within `timeout`, trying each resolved address.
pub(crate) async fn tcp(origin: &Origin, timeout: Duration) -> Result<TcpStream> {
    let attempt = async {
        let addrs: Vec<_> = tokio::net::lookup_host((origin.host.as_str(), origin.port))
            .await
            .map_err(|e| Error::new(ErrorKind::Resolve, e))?
            .collect();
        if addrs.is_empty() {
            return Err(Error::new(ErrorKind::Resolve, "no address"));
        }
        let mut last = None;
        for addr in addrs {
            match TcpStream::connect(addr).await {
                Ok(s) => {
                    let _ = s.set_nodelay(true);
                    return Ok(s);
                }
                Err(e) => last = Some(e),
            }
        }
        Err(Error::new(ErrorKind::Connect, last.unwrap_or_else(|| io::Error::other("no address"))))
    };
    match tokio::time::timeout(timeout, attempt).await {
        Ok(r) => r,
        Err(_) => Err(Error::new(ErrorKind::Timeout, format!("connect timeout ({timeout:?})"))),
    }
}

/// A TLS handshake over `tcp`; returns the stream and whether `h2` was negotiated.
pub(crate) async fn tls(
    tcp: TcpStream,
    origin: &Origin,
    config: Arc<rustls::ClientConfig>,
    timeout: Duration,
) -> Result<(Io, bool)> {
    debug_assert_eq!(origin.scheme, Scheme::Https);
    let name = ServerName::try_from(origin.host.clone()).map_err(|e| Error::new(ErrorKind::Builder, e))?;
    let handshake = TlsConnector::from(config).connect(name, tcp);
    let stream = match tokio::time::timeout(timeout, handshake).await {
        Err(_) => return Err(Error::new(ErrorKind::Timeout, "TLS handshake timeout")),
        Ok(Err(e)) => return Err(classify_tls(e)),
        Ok(Ok(s)) => s,
    };
    let h2 = stream.get_ref().1.alpn_protocol() == Some(b"h2");
    Ok((Io::Tls(Box::new(stream)), h2))
}

fn classify_tls(e: io::Error) -> Error {
    let kind = match e.get_ref().and_then(|c| c.downcast_ref::<rustls::Error>()) {
        Some(rustls::Error::InvalidCertificate(_)) => ErrorKind::Certificate,
        _ => ErrorKind::Tls,
    };
    Error::new(kind, e)
}
