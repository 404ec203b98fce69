//! `wss://` with a custom root store: a rustls server with a self-signed certificate for
//! `localhost`, our client trusting exactly that certificate.
#![cfg(feature = "tls")]

use http_ws::client::Client;
use http_ws::{Accept, Message, Role, WebSocket, testing};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use std::sync::Arc;
use tokio::net::TcpListener;

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

#[tokio::test]
async fn wss_with_a_custom_root_store() {
    let ck = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    let cert: CertificateDer<'static> = ck.cert.der().clone();
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(ck.signing_key.serialize_der()));
    let server_config = rustls::ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![cert.clone()], key)
        .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(server_config));
    let acceptor_again = acceptor.clone();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        let (tcp, _) = listener.accept().await.unwrap();
        drop(listener); // one connection only
        let mut tls = acceptor.accept(tcp).await.unwrap();
        let (config, early) = testing::accept_http1(&mut tls, &Accept::new()).await.unwrap().unwrap();
        testing::echo(&mut WebSocket::from_parts(tls, Role::Server, config, early)).await;
    });

    let mut roots = rustls::RootCertStore::empty();
    roots.add(cert).unwrap();
    let client_config = rustls::ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let client = Client::new().tls_config(Arc::new(client_config));
    let mut ws = client.connect(&format!("wss://localhost:{port}/secure")).await.unwrap();
    ws.send(Message::text("over TLS")).await.unwrap();
    assert_eq!(ws.recv().await.unwrap().unwrap(), Message::text("over TLS"));
    ws.close(http_ws::CloseCode::NORMAL, "").await.unwrap();
    assert!(ws.recv().await.is_none());
    drop(ws);

    // the default root store (webpki-roots) does not trust a self-signed certificate
    let listener = TcpListener::bind(("127.0.0.1", 0)).await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let acceptor = acceptor_again;
    tokio::spawn(async move {
        let (tcp, _) = listener.accept().await.unwrap();
        let _ = acceptor.accept(tcp).await; // fails: the client refuses the certificate
    });
    let err = http_ws::client::connect(&format!("wss://localhost:{port}/")).await.unwrap_err();
    assert!(err.to_string().to_lowercase().contains("certificate"), "{err}");
}
