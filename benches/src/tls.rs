//! TLS for the load programs (RFC 8446, TLS 1.3; RFC 5246, TLS 1.2; RFC 7301, ALPN): the
//! peers' server configuration, built as ours builds it except for session resumption,
//! and the `--tls-cert`/`--tls-key` flags they take.

use std::io;
use std::path::Path;
use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

/// The TLS flags of the peers (the same names as ours).
#[derive(Debug, Clone, clap::Args)]
#[command(about = None, long_about = None)]
pub struct TlsArgs {
    /// Certificate chain (PEM, leaf first).
    #[arg(long, value_name = "PEM")]
    pub tls_cert: std::path::PathBuf,
    /// Private key (PEM: PKCS#8, RSA or EC).
    #[arg(long, value_name = "PEM")]
    pub tls_key: std::path::PathBuf,
}

/// `--tls-cert` and `--tls-key` for a peer that serves TLS only when given both (and
/// cleartext when given neither; one without the other is a usage error).
///
/// ```
/// use clap::Parser;
/// #[derive(Parser)]
/// struct Cli {
///     #[command(flatten)]
///     tls: benches::tls::OptionalTlsArgs,
/// }
/// assert!(Cli::parse_from(["peer"]).tls.get().is_none());
/// assert!(Cli::try_parse_from(["peer", "--tls-cert", "c.pem"]).is_err());
/// let tls = Cli::parse_from(["peer", "--tls-cert", "c.pem", "--tls-key", "k.pem"]).tls.get().unwrap();
/// assert_eq!(tls.tls_key, std::path::Path::new("k.pem"));
/// ```
#[derive(Debug, Clone, clap::Args)]
#[command(about = None, long_about = None)]
pub struct OptionalTlsArgs {
    /// Serve TLS with this certificate chain (PEM, leaf first); needs --tls-key.
    #[arg(long, value_name = "PEM", requires = "tls_key")]
    pub tls_cert: Option<std::path::PathBuf>,
    /// The certificate's private key (PEM: PKCS#8, RSA or EC); needs --tls-cert.
    #[arg(long, value_name = "PEM", requires = "tls_cert")]
    pub tls_key: Option<std::path::PathBuf>,
}

impl OptionalTlsArgs {
    /// Both flags as [`TlsArgs`], or `None` when they were not given.
    pub fn get(&self) -> Option<TlsArgs> {
        Some(TlsArgs { tls_cert: self.tls_cert.clone()?, tls_key: self.tls_key.clone()? })
    }
}

fn invalid(what: impl std::fmt::Display) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, what.to_string())
}

/// A rustls server configuration with the settings ours uses: the ring provider, TLS 1.3
/// and 1.2, no client authentication, ALPN `h2` then `http/1.1`. Sessions resume as
/// rustls does by default, from 256 sessions kept in memory (what a hyper + tokio-rustls
/// server gets unless it configures more); ours issues stateless tickets instead.
///
/// ```
/// let dir = std::env::temp_dir().join(format!("benches-tls-doc-{}", std::process::id()));
/// std::fs::create_dir_all(&dir)?;
/// std::fs::write(dir.join("bad.pem"), "not a certificate")?;
/// let err = benches::tls::server_config(&dir.join("bad.pem"), &dir.join("bad.pem")).unwrap_err();
/// assert_eq!(err.kind(), std::io::ErrorKind::InvalidData);
/// assert!(benches::tls::server_config(&dir.join("missing.pem"), &dir.join("bad.pem")).is_err());
/// # std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn server_config(cert: &Path, key: &Path) -> io::Result<rustls::ServerConfig> {
    let chain = CertificateDer::pem_slice_iter(&std::fs::read(cert)?)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| invalid(format!("{}: {e}", cert.display())))?;
    if chain.is_empty() {
        return Err(invalid(format!("{}: no certificate", cert.display())));
    }
    let key =
        PrivateKeyDer::from_pem_slice(&std::fs::read(key)?).map_err(|e| invalid(format!("{}: {e}", key.display())))?;
    let mut config = rustls::ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
        .map_err(invalid)?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(invalid)?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(config)
}

/// [`server_config`] as a tokio-rustls acceptor, from the peers' flags.
pub fn acceptor(args: &TlsArgs) -> io::Result<tokio_rustls::TlsAcceptor> {
    Ok(tokio_rustls::TlsAcceptor::from(Arc::new(server_config(&args.tls_cert, &args.tls_key)?)))
}

/// [`acceptor`] for a peer that speaks one protocol: ALPN offers only `alpn` (`b"h2"` or
/// `b"http/1.1"`), so a client is never handed one the peer cannot serve.
///
/// ```no_run
/// # fn main() -> std::io::Result<()> {
/// let args = benches::tls::TlsArgs { tls_cert: "cert.pem".into(), tls_key: "key.pem".into() };
/// let acceptor = benches::tls::acceptor_offering(&args, b"h2")?;
/// # drop(acceptor);
/// # Ok(())
/// # }
/// ```
pub fn acceptor_offering(args: &TlsArgs, alpn: &[u8]) -> io::Result<tokio_rustls::TlsAcceptor> {
    let mut config = server_config(&args.tls_cert, &args.tls_key)?;
    config.alpn_protocols = vec![alpn.to_vec()];
    Ok(tokio_rustls::TlsAcceptor::from(Arc::new(config)))
}

/// Runs the TLS handshake on `tcp`, then `serve` on the TLS stream; a failed handshake
/// ends the connection. The per-connection body of a peer that serves TLS.
///
/// ```no_run
/// # fn main() -> std::io::Result<()> {
/// let args = benches::tls::TlsArgs { tls_cert: "cert.pem".into(), tls_key: "key.pem".into() };
/// let acceptor = benches::tls::acceptor_offering(&args, b"http/1.1")?;
/// let peer = benches::PeerArgs { host: "127.0.0.1".into(), port: 0, workers: Some(1) };
/// benches::run_tls_peer(&peer, move |tcp| {
///     benches::tls::accept_then(acceptor.clone(), tcp, |tls| async move { drop(tls) })
/// })
/// # }
/// ```
pub async fn accept_then<F, Fut>(acceptor: tokio_rustls::TlsAcceptor, tcp: tokio::net::TcpStream, serve: F)
where
    F: FnOnce(tokio_rustls::server::TlsStream<tokio::net::TcpStream>) -> Fut,
    Fut: Future<Output = ()>,
{
    if let Ok(tls) = acceptor.accept(tcp).await {
        serve(tls).await;
    }
}
