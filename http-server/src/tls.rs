//! TLS with rustls (ring provider): PEM certificate chain and key (PKCS#8, PKCS#1 RSA or
//! SEC1 EC), TLS 1.2 and 1.3 only, ALPN `h2` then `http/1.1`, and reload without restart.

use std::io;
use std::path::Path;
use std::sync::{Arc, RwLock};

use rustls::ServerConfig;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

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

fn build(cert_pem: &[u8], key_pem: &[u8]) -> io::Result<ServerConfig> {
    let chain = CertificateDer::pem_slice_iter(cert_pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| invalid(format!("certificate PEM: {e}")))?;
    if chain.is_empty() {
        return Err(invalid("no certificate found in the certificate PEM"));
    }
    let key = PrivateKeyDer::from_pem_slice(key_pem).map_err(|e| invalid(format!("private key PEM: {e}")))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
        .map_err(invalid)?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(invalid)?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(config)
}

impl TlsConfig {
    /// From PEM text: the certificate chain (leaf first) and the private key.
    pub fn from_pem(cert_pem: &[u8], key_pem: &[u8]) -> io::Result<Self> {
        Ok(TlsConfig { current: Arc::new(RwLock::new(Arc::new(build(cert_pem, key_pem)?))) })
    }

    /// From PEM files.
    pub fn from_pem_files(cert: impl AsRef<Path>, key: impl AsRef<Path>) -> io::Result<Self> {
        Self::from_pem(&std::fs::read(cert)?, &std::fs::read(key)?)
    }

    /// Replaces the certificate and key; new connections use them, open ones keep theirs.
    /// On error the old ones stay.
    pub fn reload_from_pem(&self, cert_pem: &[u8], key_pem: &[u8]) -> io::Result<()> {
        let config = Arc::new(build(cert_pem, key_pem)?);
        *self.current.write().unwrap_or_else(|e| e.into_inner()) = config;
        Ok(())
    }

    /// [`reload_from_pem`](Self::reload_from_pem) from files.
    pub fn reload_from_pem_files(&self, cert: impl AsRef<Path>, key: impl AsRef<Path>) -> io::Result<()> {
        self.reload_from_pem(&std::fs::read(cert)?, &std::fs::read(key)?)
    }

    pub(crate) fn current(&self) -> Arc<ServerConfig> {
        self.current.read().unwrap_or_else(|e| e.into_inner()).clone()
    }
}
