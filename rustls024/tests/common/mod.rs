//! Test support for rustls 0.24: the two provider crates, configs, and real handshakes in
//! memory and over loopback. Certificates and the `openssl` peer are the library's own helpers
//! (`tests/common/certs.rs`, `tests/common/openssl_peer.rs`), shared rather than copied.
#![allow(dead_code)]

#[path = "../../../tests/common/certs.rs"]
mod certs;
#[path = "../../../tests/common/openssl_peer.rs"]
pub mod openssl_peer;

pub use certs::*;

use std::borrow::Cow;
use std::net::{Ipv4Addr, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rustls::client::danger::ServerVerifier;
use rustls::client::{ClientSessionMemoryCache, Resumption};
use rustls::crypto::{Credentials, CryptoProvider, Identity, SingleCredential};
use rustls::crypto::{SelectedCredential, SignatureScheme};
use rustls::enums::{CertificateType, ProtocolVersion};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use rustls::server::danger::ClientVerifier;
use rustls::server::{ClientHello, ServerCredentialResolver};
use rustls::{ClientConfig, Connection, HandshakeKind, ServerConfig, ServerSide, VecInput};

/// Both rustls 0.24 provider crates, by name: every test runs once per provider.
pub fn providers() -> Vec<(&'static str, Arc<CryptoProvider>)> {
    vec![
        (
            "rustls-aws-lc-rs",
            Arc::new(rustls_aws_lc_rs::DEFAULT_PROVIDER),
        ),
        ("rustls-ring", Arc::new(rustls_ring::DEFAULT_PROVIDER)),
    ]
}

/// The server side's provider: aws-lc-rs signs with every key type the tests make (*ring*
/// cannot load P-521 keys), so a client provider's own limits are what a test sees.
pub fn server_provider() -> Arc<CryptoProvider> {
    Arc::new(rustls_aws_lc_rs::DEFAULT_PROVIDER)
}

/// The protocol versions, by name.
pub const VERSIONS: [(&str, ProtocolVersion); 2] = [
    ("TLS 1.2", ProtocolVersion::TLSv1_2),
    ("TLS 1.3", ProtocolVersion::TLSv1_3),
];

/// `provider` restricted to `version` (rustls 0.24 chooses versions through the provider's
/// cipher suites).
pub fn only(provider: &CryptoProvider, version: ProtocolVersion) -> Arc<CryptoProvider> {
    let mut restricted = provider.clone();
    if version == ProtocolVersion::TLSv1_2 {
        restricted.tls13_cipher_suites = Cow::Borrowed(&[]);
    } else {
        restricted.tls12_cipher_suites = Cow::Borrowed(&[]);
    }
    Arc::new(restricted)
}

/// What a certificate-presenting side sends: its chain (or raw key) and the key it signs with,
/// which need not match (an impostor's).
pub struct Presented {
    pub identity: Identity<'static>,
    /// PKCS#8 DER of the signing key.
    pub key: Vec<u8>,
}

impl Presented {
    /// `cert` with its own key.
    pub fn cert(cert: &TestCert) -> Self {
        Self::chain(vec![cert.der.clone()], cert)
    }

    /// `chain` (leaf first), signed with `signer`'s key.
    pub fn chain(chain: Vec<CertificateDer<'static>>, signer: &TestCert) -> Self {
        Self {
            identity: Identity::from_cert_chain(chain).expect("a chain has a leaf"),
            key: signer.key.clone(),
        }
    }

    /// `cert`'s key as a raw public key (RFC 7250).
    pub fn raw_key(cert: &TestCert) -> Self {
        let spki = server_provider()
            .key_provider
            .load_private_key(PrivateKeyDer::Pkcs8(cert.key.clone().into()))
            .expect("the provider loads the key")
            .public_key()
            .expect("the key has a public key")
            .into_owned();
        Self {
            identity: Identity::RawPublicKey(spki),
            key: cert.key.clone(),
        }
    }

    /// The credentials, unchecked: an impostor's key need not match its certificate.
    fn credentials(&self, provider: &CryptoProvider) -> Credentials {
        let key = provider
            .key_provider
            .load_private_key(PrivateKeyDer::Pkcs8(self.key.clone().into()))
            .expect("the provider loads the key");
        Credentials::new_unchecked(Arc::new(self.identity.clone()), key)
    }
}

/// Records the signature schemes a ClientHello offered, then resolves as `inner` does.
#[derive(Debug)]
pub struct RecordingResolver {
    inner: SingleCredential,
    pub offered: Mutex<Option<Vec<SignatureScheme>>>,
}

impl ServerCredentialResolver for RecordingResolver {
    fn resolve(&self, client_hello: &ClientHello<'_>) -> Result<SelectedCredential, rustls::Error> {
        *self.offered.lock().unwrap() = Some(client_hello.signature_schemes().to_vec());
        self.inner.resolve(client_hello)
    }

    fn supported_certificate_types(&self) -> &'static [CertificateType] {
        self.inner.supported_certificate_types()
    }
}

/// A server presenting `presented`, verifying clients with `clients` (or not asking).
pub fn server_config(
    presented: &Presented,
    clients: Option<Arc<dyn ClientVerifier>>,
) -> (Arc<ServerConfig>, Arc<RecordingResolver>) {
    let provider = server_provider();
    let resolver = Arc::new(RecordingResolver {
        inner: SingleCredential::from(presented.credentials(&provider)),
        offered: Mutex::new(None),
    });
    let builder = ServerConfig::builder(provider);
    let builder = match clients {
        Some(verifier) => builder.with_client_cert_verifier(verifier),
        None => builder.with_no_client_auth(),
    };
    let config = builder
        .with_server_credential_resolver(resolver.clone())
        .expect("server config");
    (Arc::new(config), resolver)
}

/// A client on `provider` verifying servers with `verifier`, optionally presenting `identity`.
pub fn client_config(
    provider: Arc<CryptoProvider>,
    verifier: Arc<dyn ServerVerifier>,
    identity: Option<&Presented>,
) -> ClientConfig {
    let builder = ClientConfig::builder(provider.clone())
        .dangerous()
        .with_custom_certificate_verifier(verifier);
    match identity {
        Some(presented) => builder
            .with_client_credential_resolver(Arc::new(SingleCredential::from(
                presented.credentials(&provider),
            )))
            .expect("client config"),
        None => builder.with_no_client_auth().expect("client config"),
    }
}

/// `config` sharing `store` for resumption with every other config given the same store.
pub fn with_store(mut config: ClientConfig, store: &Arc<ClientSessionMemoryCache>) -> ClientConfig {
    config.resumption = Resumption::store(store.clone());
    config
}

/// What a completed handshake negotiated.
#[derive(Debug)]
pub struct Negotiated {
    pub version: ProtocolVersion,
    pub resumed: bool,
}

/// Which side failed a handshake, and how.
#[derive(Debug)]
pub enum Failure {
    /// The client's error (its verifier refused, or it received the server's alert).
    Client(rustls::Error),
    /// The server's error (its client verifier refused, or it could not go on).
    Server(rustls::Error),
}

impl Failure {
    /// The client's error; panics naming the server's if the server failed first.
    pub fn client(self) -> rustls::Error {
        match self {
            Failure::Client(error) => error,
            Failure::Server(error) => {
                panic!("expected the client to fail; the server did: {error}")
            }
        }
    }

    /// The server's error; panics naming the client's if the client failed first.
    pub fn server(self) -> rustls::Error {
        match self {
            Failure::Server(error) => error,
            Failure::Client(error) => {
                panic!("expected the server to fail; the client did: {error}")
            }
        }
    }
}

/// Moves everything in `bytes` into `input`.
fn deliver(input: &mut VecInput, bytes: &mut Vec<u8>) {
    let mut pending = bytes.as_slice();
    while !pending.is_empty() {
        input.read(&mut pending).expect("in-memory delivery");
    }
    bytes.clear();
}

/// A real handshake between a rustls 0.24 client and server, in memory, run until both are done
/// and every message (session tickets included) is delivered.
pub fn handshake(
    client: &Arc<ClientConfig>,
    server: &Arc<ServerConfig>,
) -> Result<Negotiated, Failure> {
    let name = ServerName::try_from("localhost").expect("name");
    let mut to_server = Vec::new();
    let mut client_conn = client
        .connect(name)
        .build(&mut to_server)
        .map_err(Failure::Client)?;
    let mut server_conn =
        Connection::<ServerSide, _>::new(server.clone()).map_err(Failure::Server)?;
    let (mut client_in, mut server_in) = (VecInput::default(), VecInput::default());
    let mut to_client = Vec::new();
    let mut plaintext = Vec::new();
    for _ in 0..32 {
        if to_server.is_empty()
            && to_client.is_empty()
            && !client_conn.is_handshaking()
            && !server_conn.is_handshaking()
        {
            return Ok(Negotiated {
                version: client_conn.protocol_version().expect("version"),
                resumed: client_conn.handshake_kind() == Some(HandshakeKind::Resumed),
            });
        }
        deliver(&mut server_in, &mut to_server);
        let served = server_conn
            .read_tls(&mut server_in, &mut to_client)
            .handle_all(&mut plaintext);
        if let Err(error) = served {
            return Err(Failure::Server(error));
        }
        deliver(&mut client_in, &mut to_client);
        let read = client_conn
            .read_tls(&mut client_in, &mut to_server)
            .handle_all(&mut plaintext);
        if let Err(error) = read {
            return Err(Failure::Client(error));
        }
    }
    panic!("the handshake did not finish in 32 rounds");
}

/// Connects to `127.0.0.1:port` as `localhost` and runs the handshake to completion: a rustls
/// 0.24 client against a real peer (`openssl s_server`).
pub fn connect_loopback(port: u16, config: ClientConfig) -> Result<ProtocolVersion, rustls::Error> {
    use std::io::Write;

    let mut socket =
        TcpStream::connect_timeout(&(Ipv4Addr::LOCALHOST, port).into(), Duration::from_secs(10))
            .expect("connect to the loopback server");
    socket
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    let name = ServerName::try_from("localhost").expect("name");
    let mut out = Vec::new();
    let mut conn = Arc::new(config).connect(name).build(&mut out)?;
    let mut input = VecInput::default();
    let mut plaintext = Vec::new();
    loop {
        socket
            .write_all(&out)
            .expect("write to the loopback server");
        out.clear();
        if !conn.is_handshaking() {
            return Ok(conn.protocol_version().expect("version"));
        }
        let read = input
            .read(&mut socket)
            .expect("read from the loopback server");
        assert!(read > 0, "the peer hung up without an alert");
        let handled = conn
            .read_tls(&mut input, &mut out)
            .handle_all(&mut plaintext);
        if let Err(error) = handled {
            let _ = socket.write_all(&out);
            return Err(error);
        }
    }
}
