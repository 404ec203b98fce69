//! TLS with rustls (ring provider): PEM certificate chain and key (PKCS#8, PKCS#1 RSA or
//! SEC1 EC), TLS 1.2 and 1.3 only, ALPN `h2` then `http/1.1`, and reload without restart.
//!
//! Sessions resume with stateless tickets (RFC 8446 §4.6.1, RFC 5077 for TLS 1.2):
//! the session state travels encrypted (ChaCha20-Poly1305) in the ticket itself, under
//! keys rustls draws at random and rotates every 6 hours, so any number of clients can
//! resume and the server keeps nothing per client. rustls' default instead keeps 256
//! sessions in memory, two per handshake, so with more than about a hundred recent clients
//! a returning one finds its session evicted and pays a full handshake. The ticket keys
//! stay across certificate reloads; a restart draws new ones. No early data (0-RTT) is
//! accepted, so a replayed ticket buys nothing but a handshake.

use std::io;
use std::path::Path;
use std::sync::{Arc, RwLock};

use rustls::ServerConfig;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::ProducesTickets;

/// A server certificate and key, swappable while the server runs.
///
/// ```no_run
/// use http_server::{ServerOptions, TlsConfig};
/// let tls = TlsConfig::from_pem_files("cert.pem", "key.pem")?;
/// let opts = ServerOptions::new().port(8443).tls(tls.clone());
/// // later, after renewing the files on disk:
/// tls.reload_from_pem_files("cert.pem", "key.pem")?;
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Clone)]
pub struct TlsConfig {
    current: Arc<RwLock<Arc<ServerConfig>>>,
}

impl std::fmt::Debug for TlsConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TlsConfig")
    }
}

fn invalid(what: impl std::fmt::Display) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, what.to_string())
}

/// The certificate chain in a PEM text (leaf first).
fn chain_from(cert_pem: &[u8]) -> io::Result<Vec<CertificateDer<'static>>> {
    let chain = CertificateDer::pem_slice_iter(cert_pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| invalid(format!("certificate PEM: {e}")))?;
    if chain.is_empty() {
        return Err(invalid("no certificate found in the certificate PEM"));
    }
    Ok(chain)
}

/// The private key in a PEM text.
fn key_from(key_pem: &[u8]) -> io::Result<PrivateKeyDer<'static>> {
    PrivateKeyDer::from_pem_slice(key_pem).map_err(|e| invalid(format!("private key PEM: {e}")))
}

/// Stateless session tickets with fresh random keys, rotated by rustls every 6 hours.
fn new_ticketer() -> io::Result<Arc<dyn ProducesTickets>> {
    rustls::crypto::ring::Ticketer::new().map_err(invalid)
}

/// The rustls configuration: TLS 1.3 and 1.2, no client auth, ALPN `h2` then `http/1.1`,
/// sessions resumed with `ticketer`'s tickets.
fn configure(
    chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
    ticketer: Arc<dyn ProducesTickets>,
) -> io::Result<ServerConfig> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
        .map_err(invalid)?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(invalid)?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    config.ticketer = ticketer;
    Ok(config)
}

fn build(cert_pem: &[u8], key_pem: &[u8], ticketer: Arc<dyn ProducesTickets>) -> io::Result<ServerConfig> {
    configure(chain_from(cert_pem)?, key_from(key_pem)?, ticketer)
}

/// [`build`] from files; an error names the file (certificate or key) it is about.
fn build_from_files(cert: &Path, key: &Path, ticketer: Arc<dyn ProducesTickets>) -> io::Result<ServerConfig> {
    fn labelled(what: &str, path: &Path, e: io::Error) -> io::Error {
        io::Error::new(e.kind(), format!("TLS {what} file {}: {e}", path.display()))
    }
    let chain = std::fs::read(cert).and_then(|pem| chain_from(&pem)).map_err(|e| labelled("certificate", cert, e))?;
    let key_der = std::fs::read(key).and_then(|pem| key_from(&pem)).map_err(|e| labelled("key", key, e))?;
    configure(chain, key_der, ticketer).map_err(|e| {
        let msg = format!("TLS certificate file {} with key file {}: {e}", cert.display(), key.display());
        io::Error::new(e.kind(), msg)
    })
}

impl TlsConfig {
    /// From PEM text: the certificate chain (leaf first) and the private key.
    ///
    /// ```
    /// # let ck = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    /// # let (cert_pem, key_pem) = (ck.cert.pem(), ck.signing_key.serialize_pem());
    /// use http_server::TlsConfig;
    /// let tls = TlsConfig::from_pem(cert_pem.as_bytes(), key_pem.as_bytes())?;
    /// assert_eq!(format!("{tls:?}"), "TlsConfig");
    /// let err = TlsConfig::from_pem(b"not a certificate", key_pem.as_bytes()).unwrap_err();
    /// assert_eq!(err.kind(), std::io::ErrorKind::InvalidData);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn from_pem(cert_pem: &[u8], key_pem: &[u8]) -> io::Result<Self> {
        let config = build(cert_pem, key_pem, new_ticketer()?)?;
        Ok(TlsConfig { current: Arc::new(RwLock::new(Arc::new(config))) })
    }

    /// From PEM files.
    ///
    /// ```
    /// # let ck = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    /// # let dir = std::env::temp_dir().join(format!("tls-doc-files-{}", std::process::id()));
    /// # std::fs::create_dir_all(&dir)?;
    /// # std::fs::write(dir.join("cert.pem"), ck.cert.pem())?;
    /// # std::fs::write(dir.join("key.pem"), ck.signing_key.serialize_pem())?;
    /// use http_server::TlsConfig;
    /// let tls = TlsConfig::from_pem_files(dir.join("cert.pem"), dir.join("key.pem"));
    /// assert!(tls.is_ok());
    /// assert!(TlsConfig::from_pem_files(dir.join("missing.pem"), dir.join("key.pem")).is_err());
    /// # std::fs::remove_dir_all(&dir)?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn from_pem_files(cert: impl AsRef<Path>, key: impl AsRef<Path>) -> io::Result<Self> {
        let config = build_from_files(cert.as_ref(), key.as_ref(), new_ticketer()?)?;
        Ok(TlsConfig { current: Arc::new(RwLock::new(Arc::new(config))) })
    }

    /// Replaces the certificate and key; new connections use them, open ones keep theirs.
    /// On error the old ones stay. Session tickets issued before the reload still resume.
    ///
    /// ```
    /// # let old = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    /// # let new = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    /// use http_server::TlsConfig;
    /// let tls = TlsConfig::from_pem(old.cert.pem().as_bytes(), old.signing_key.serialize_pem().as_bytes())?;
    /// tls.reload_from_pem(new.cert.pem().as_bytes(), new.signing_key.serialize_pem().as_bytes())?;
    /// // a bad reload is refused and the current certificate stays
    /// assert!(tls.reload_from_pem(b"garbage", b"garbage").is_err());
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn reload_from_pem(&self, cert_pem: &[u8], key_pem: &[u8]) -> io::Result<()> {
        let config = Arc::new(build(cert_pem, key_pem, self.current().ticketer.clone())?);
        *self.current.write().unwrap_or_else(|e| e.into_inner()) = config;
        Ok(())
    }

    /// [`reload_from_pem`](Self::reload_from_pem) from files.
    ///
    /// ```
    /// # let ck = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    /// # let dir = std::env::temp_dir().join(format!("tls-doc-reload-{}", std::process::id()));
    /// # std::fs::create_dir_all(&dir)?;
    /// # std::fs::write(dir.join("cert.pem"), ck.cert.pem())?;
    /// # std::fs::write(dir.join("key.pem"), ck.signing_key.serialize_pem())?;
    /// use http_server::TlsConfig;
    /// let tls = TlsConfig::from_pem_files(dir.join("cert.pem"), dir.join("key.pem"))?;
    /// // after the files were renewed on disk:
    /// tls.reload_from_pem_files(dir.join("cert.pem"), dir.join("key.pem"))?;
    /// assert!(tls.reload_from_pem_files(dir.join("gone.pem"), dir.join("key.pem")).is_err());
    /// # std::fs::remove_dir_all(&dir)?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn reload_from_pem_files(&self, cert: impl AsRef<Path>, key: impl AsRef<Path>) -> io::Result<()> {
        let config = Arc::new(build_from_files(cert.as_ref(), key.as_ref(), self.current().ticketer.clone())?);
        *self.current.write().unwrap_or_else(|e| e.into_inner()) = config;
        Ok(())
    }

    pub(crate) fn current(&self) -> Arc<ServerConfig> {
        self.current.read().unwrap_or_else(|e| e.into_inner()).clone()
    }
}
