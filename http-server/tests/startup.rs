//! Start-up errors say what failed: the address a bind failed on, the host a lookup failed
//! for, and which TLS file (certificate or key) could not be used.

use std::io::ErrorKind;
use std::path::PathBuf;

use http_core::Request;
use http_server::{Server, ServerOptions, TlsConfig};

async fn start(options: ServerOptions) -> std::io::Error {
    match Server::serve(options, |_r: Request| async { "" }).await {
        Ok(server) => panic!("started on {}", server.url()),
        Err(e) => e,
    }
}

#[tokio::test]
async fn bind_error_names_the_address() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    let err = start(ServerOptions::new().host("127.0.0.1").port(port)).await;
    assert_eq!(err.kind(), ErrorKind::AddrInUse);
    let text = err.to_string();
    assert!(text.contains(&format!("cannot listen on 127.0.0.1:{port}")), "{text}");
}

#[tokio::test]
async fn lookup_error_names_the_host() {
    // A NUL byte fails before any name service is asked, so no query leaves the machine.
    let err = start(ServerOptions::new().host("bad\0host").port(0)).await;
    let text = err.to_string();
    assert!(text.contains(r#"cannot resolve host "bad\0host""#), "{text}");
}

struct Dir(PathBuf);

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[test]
fn tls_file_errors_name_the_file() {
    let dir = Dir(std::env::temp_dir().join(format!("startup-tls-{}", std::process::id())));
    std::fs::create_dir_all(&dir.0).unwrap();
    let ck = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    let (cert, key) = (dir.0.join("cert.pem"), dir.0.join("key.pem"));
    std::fs::write(&cert, ck.cert.pem()).unwrap();
    std::fs::write(&key, ck.signing_key.serialize_pem()).unwrap();
    let (missing, garbage) = (dir.0.join("missing.pem"), dir.0.join("garbage.pem"));
    std::fs::write(&garbage, "not PEM at all").unwrap();
    assert!(TlsConfig::from_pem_files(&cert, &key).is_ok());

    let rows = [
        ("missing cert", &missing, &key, format!("TLS certificate file {}", missing.display()), ErrorKind::NotFound),
        ("missing key", &cert, &missing, format!("TLS key file {}", missing.display()), ErrorKind::NotFound),
        ("garbage cert", &garbage, &key, format!("TLS certificate file {}", garbage.display()), ErrorKind::InvalidData),
        ("garbage key", &cert, &garbage, format!("TLS key file {}", garbage.display()), ErrorKind::InvalidData),
    ];
    for (name, c, k, want, kind) in rows {
        let err = TlsConfig::from_pem_files(c, k).unwrap_err();
        assert_eq!(err.kind(), kind, "{name}");
        assert!(err.to_string().starts_with(&want), "{name}: {err}");
        let tls = TlsConfig::from_pem_files(&cert, &key).unwrap();
        let err = tls.reload_from_pem_files(c, k).unwrap_err();
        assert!(err.to_string().starts_with(&want), "{name} (reload): {err}");
    }
}
