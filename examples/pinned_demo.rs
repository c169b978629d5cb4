//! End to end: start a local TLS server with a fresh self-signed certificate, pin its key, and
//! connect to it over loopback — then show what a wrong pin looks like.
//!
//! ```text
//! cargo run --example pinned_demo [p256|p384|ed25519|rsa]
//! ```

use std::io::{Read, Write};
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::thread;

use rustls::crypto::CryptoProvider;
use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer, ServerName};
use rustls::sign::{CertifiedKey, Signer, SigningKey, SingleCertAndKey};
use rustls::{ClientConfig, ClientConnection, ServerConfig, ServerConnection, SignatureScheme};
use tlspin::{Pin, PinMismatch};

type Error = Box<dyn std::error::Error + Send + Sync>;

fn main() -> Result<(), Error> {
    let key_type = std::env::args().nth(1).unwrap_or_else(|| "p256".into());
    let (algorithm, label) = match key_type.as_str() {
        "p256" => (&rcgen::PKCS_ECDSA_P256_SHA256, "ECDSA P-256"),
        "p384" => (&rcgen::PKCS_ECDSA_P384_SHA384, "ECDSA P-384"),
        "ed25519" => (&rcgen::PKCS_ED25519, "Ed25519"),
        "rsa" => (&rcgen::PKCS_RSA_SHA256, "RSA-2048"),
        other => {
            return Err(
                format!("unknown key type {other:?}: use p256, p384, ed25519 or rsa").into(),
            )
        }
    };
    let (provider_name, provider) = provider();

    // The server: a self-signed certificate, as a device or lab machine would have.
    let key = rcgen::KeyPair::generate_for(algorithm)?;
    let cert = rcgen::CertificateParams::new(vec!["localhost".to_string()])?.self_signed(&key)?;
    let signed_with = Arc::new(Mutex::new(None));
    let server_key = provider
        .key_provider
        .load_private_key(PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(
            key.serialize_der(),
        )))?;
    let certified = CertifiedKey::new(
        vec![cert.der().clone()],
        Arc::new(RecordScheme {
            inner: server_key,
            scheme: signed_with.clone(),
        }),
    );
    let server_config = Arc::new(
        ServerConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()?
            .with_no_client_auth()
            .with_cert_resolver(Arc::new(SingleCertAndKey::from(certified))),
    );
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?;
    let address = listener.local_addr()?;
    println!(
        "server:  listening on {address} with a self-signed {label} certificate for \"localhost\""
    );
    let server = thread::spawn(move || -> Result<(), Error> {
        for _ in 0..2 {
            let (mut sock, _) = listener.accept()?;
            let mut conn = ServerConnection::new(server_config.clone())?;
            // The second client refuses the handshake; that is the point.
            if rustls::Stream::new(&mut conn, &mut sock)
                .write_all(b"hello from a pinned server\n")
                .is_ok()
            {
                conn.send_close_notify();
                conn.complete_io(&mut sock)?;
            }
        }
        Ok(())
    });

    // The client: pin the server's key. In real use the pin comes from `tlspin pin cert.pem`
    // or the OpenSSL pipeline in the README, obtained over a channel you trust.
    let pin = Pin::from_cert_der(cert.der())?;
    println!("pin:     {pin}");
    let config = tlspin::pinned_client_config(provider.clone(), [pin])?;
    let (conn, response) = connect(address.port(), config)?;
    println!("client:  connected to the pinned server");
    println!(
        "  protocol version: {:?}",
        conn.protocol_version().ok_or("no version")?
    );
    println!(
        "  cipher suite:     {:?}",
        conn.negotiated_cipher_suite().ok_or("no suite")?.suite()
    );
    let scheme = signed_with
        .lock()
        .map_err(|_| "poisoned")?
        .ok_or("server did not sign")?;
    println!(
        "  signature scheme: {scheme:?} (checked by tlspin with the {provider_name} provider)"
    );
    println!("  response:         {:?}", response.trim_end());

    // The same client with somebody else's pin.
    let wrong = Pin::from_sha256([0x42; 32]);
    let config = tlspin::pinned_client_config(provider, [wrong])?;
    match connect(address.port(), config) {
        Ok(_) => return Err("a wrong pin was accepted".into()),
        Err(error) => {
            let rustls_error = error
                .downcast_ref::<std::io::Error>()
                .and_then(|e| e.get_ref());
            let mismatch = rustls_error
                .and_then(|e| e.downcast_ref::<rustls::Error>())
                .and_then(PinMismatch::from_rustls)
                .ok_or_else(|| format!("unexpected failure: {error}"))?;
            println!("\nwith a wrong pin the handshake is refused:\n  {mismatch}");
        }
    }
    server.join().map_err(|_| "server thread panicked")??;
    Ok(())
}

fn connect(port: u16, config: ClientConfig) -> Result<(ClientConnection, String), Error> {
    let mut sock = TcpStream::connect((Ipv4Addr::LOCALHOST, port))?;
    sock.set_read_timeout(Some(std::time::Duration::from_secs(10)))?;
    let mut conn = ClientConnection::new(Arc::new(config), ServerName::try_from("localhost")?)?;
    let mut response = String::new();
    rustls::Stream::new(&mut conn, &mut sock).read_to_string(&mut response)?;
    Ok((conn, response))
}

#[cfg(feature = "aws-lc-rs")]
fn provider() -> (&'static str, Arc<CryptoProvider>) {
    (
        "aws-lc-rs",
        Arc::new(rustls::crypto::aws_lc_rs::default_provider()),
    )
}

#[cfg(not(feature = "aws-lc-rs"))]
fn provider() -> (&'static str, Arc<CryptoProvider>) {
    ("ring", Arc::new(rustls::crypto::ring::default_provider()))
}

/// The server's signing key, noting which scheme it signs the handshake with so the demo can
/// print it (rustls does not report the peer's scheme to the client).
#[derive(Debug)]
struct RecordScheme {
    inner: Arc<dyn SigningKey>,
    scheme: Arc<Mutex<Option<SignatureScheme>>>,
}

impl SigningKey for RecordScheme {
    fn choose_scheme(&self, offered: &[SignatureScheme]) -> Option<Box<dyn Signer>> {
        let signer = self.inner.choose_scheme(offered)?;
        if let Ok(mut scheme) = self.scheme.lock() {
            *scheme = Some(signer.scheme());
        }
        Some(signer)
    }

    fn algorithm(&self) -> rustls::SignatureAlgorithm {
        self.inner.algorithm()
    }
}
