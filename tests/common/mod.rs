//! Shared test support: the enabled providers, rcgen certificates, and an in-memory handshake.
//!
//! Every integration test file includes this module; not every file uses every helper.
#![allow(dead_code)]

pub mod certs;
pub mod contrast;
pub mod openssl;
pub mod openssl_peer;

pub use certs::*;

use std::sync::{Arc, Mutex};

use rustls::client::danger::ServerCertVerifier;
use rustls::client::{AlwaysResolvesClientRawPublicKeys, ResolvesClientCert};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::server::danger::ClientCertVerifier;
use rustls::server::{AlwaysResolvesServerRawPublicKeys, ResolvesServerCert};
use rustls::sign::{CertifiedKey, SigningKey, SingleCertAndKey};
use rustls::time_provider::TimeProvider;
use rustls::{
    ClientConfig, ClientConnection, Connection, ProtocolVersion, ServerConfig, ServerConnection,
    SignatureAlgorithm, SignatureScheme, SupportedProtocolVersion,
};
use tlspin::Pin;

/// Every provider this build enables, by name. Tests loop over it, so each runs per provider.
pub fn providers() -> Vec<(&'static str, Arc<CryptoProvider>)> {
    let all: Vec<(&'static str, Arc<CryptoProvider>)> = vec![
        #[cfg(feature = "aws-lc-rs")]
        (
            "aws-lc-rs",
            Arc::new(rustls::crypto::aws_lc_rs::default_provider()),
        ),
        #[cfg(feature = "ring")]
        ("ring", Arc::new(rustls::crypto::ring::default_provider())),
    ];
    assert!(!all.is_empty(), "no provider feature enabled");
    all
}

/// The protocol versions to test, by name.
pub const VERSIONS: [(&str, &SupportedProtocolVersion); 2] = [
    ("TLS 1.2", &rustls::version::TLS12),
    ("TLS 1.3", &rustls::version::TLS13),
];

impl KeyType {
    /// The key type whose signatures `scheme` describes. Panics on a scheme the tests do not
    /// know, so that a provider gaining a scheme forces the tests to cover it.
    pub fn for_scheme(scheme: SignatureScheme) -> KeyType {
        match scheme {
            SignatureScheme::ECDSA_NISTP256_SHA256 => KeyType::EcdsaP256,
            SignatureScheme::ECDSA_NISTP384_SHA384 => KeyType::EcdsaP384,
            SignatureScheme::ECDSA_NISTP521_SHA512 => KeyType::EcdsaP521,
            SignatureScheme::ED25519 => KeyType::Ed25519,
            SignatureScheme::RSA_PSS_SHA256
            | SignatureScheme::RSA_PSS_SHA384
            | SignatureScheme::RSA_PSS_SHA512
            | SignatureScheme::RSA_PKCS1_SHA256
            | SignatureScheme::RSA_PKCS1_SHA384
            | SignatureScheme::RSA_PKCS1_SHA512 => KeyType::Rsa2048,
            SignatureScheme::ML_DSA_44 => KeyType::MlDsa44,
            SignatureScheme::ML_DSA_65 => KeyType::MlDsa65,
            SignatureScheme::ML_DSA_87 => KeyType::MlDsa87,
            other => panic!("the tests have no key type for {other:?}: add one"),
        }
    }
}

/// A root store holding only [`test_ca`].
pub fn test_roots() -> Arc<rustls::RootCertStore> {
    roots_of(&[&test_ca().cert])
}

/// A root store holding `certs`.
pub fn roots_of(certs: &[&TestCert]) -> Arc<rustls::RootCertStore> {
    let mut roots = rustls::RootCertStore::empty();
    for cert in certs {
        roots.add(cert.der.clone()).expect("root parses");
    }
    Arc::new(roots)
}

/// A fixed clock, so validity checks do not depend on when the tests run.
#[derive(Debug)]
pub struct FixedTime(pub UnixTime);

impl TimeProvider for FixedTime {
    fn current_time(&self) -> Option<UnixTime> {
        Some(self.0)
    }
}

/// Which scheme the server signed its handshake with, recorded by its signing key.
pub type SchemeLog = Arc<Mutex<Option<SignatureScheme>>>;

/// Wraps a server's signing key to record the scheme it signs with and, optionally, to restrict
/// the schemes it is willing to use (as a server configured with `-sigalgs` would).
#[derive(Debug)]
struct RecordingKey {
    inner: Arc<dyn SigningKey>,
    only: Option<Vec<SignatureScheme>>,
    log: SchemeLog,
}

impl SigningKey for RecordingKey {
    fn choose_scheme(&self, offered: &[SignatureScheme]) -> Option<Box<dyn rustls::sign::Signer>> {
        let offered: Vec<SignatureScheme> = offered
            .iter()
            .copied()
            .filter(|s| self.only.as_ref().is_none_or(|only| only.contains(s)))
            .collect();
        let signer = self.inner.choose_scheme(&offered)?;
        *self.log.lock().unwrap() = Some(signer.scheme());
        Some(signer)
    }

    fn algorithm(&self) -> SignatureAlgorithm {
        self.inner.algorithm()
    }
}

/// A certificate chain and the key that signs with it, as one side of a test presents it.
pub struct Identity {
    /// The certificates sent, leaf first (sent as given, even if empty or malformed).
    pub chain: Vec<CertificateDer<'static>>,
    /// The key that signs the handshake (it need not match the leaf).
    pub key: PrivateKeyDer<'static>,
    /// Restrict the handshake signature to these schemes (as OpenSSL's `-sigalgs` would).
    pub only_schemes: Option<Vec<SignatureScheme>>,
    /// Present the key as a raw public key (RFC 7250) instead of `chain`.
    pub raw_public_key: bool,
}

impl Identity {
    pub fn of(cert: &TestCert) -> Self {
        Self {
            chain: vec![cert.der.clone()],
            key: cert.key_der(),
            only_schemes: None,
            raw_public_key: false,
        }
    }

    /// Presents the key's SubjectPublicKeyInfo as a raw public key (RFC 7250) instead of `chain`.
    pub fn raw_public_key(cert: &TestCert) -> Self {
        Self {
            raw_public_key: true,
            ..Self::of(cert)
        }
    }

    fn certified(self, provider: &CryptoProvider) -> (Arc<CertifiedKey>, SchemeLog) {
        let log = SchemeLog::default();
        let inner = provider
            .key_provider
            .load_private_key(self.key)
            .expect("provider loads the test key");
        let key = RecordingKey {
            inner,
            only: self.only_schemes,
            log: log.clone(),
        };
        let chain = if self.raw_public_key {
            // The leaf's key, which need not be the signing key.
            let leaf = self
                .chain
                .first()
                .expect("a leaf to take the public key from");
            let spki = rustls::server::ParsedCertificate::try_from(leaf)
                .expect("leaf parses")
                .subject_public_key_info();
            vec![CertificateDer::from(spki.as_ref().to_vec())]
        } else {
            self.chain
        };
        (Arc::new(CertifiedKey::new(chain, Arc::new(key))), log)
    }

    fn server_resolver(
        self,
        provider: &CryptoProvider,
    ) -> (Arc<dyn ResolvesServerCert>, SchemeLog) {
        let raw = self.raw_public_key;
        let (key, log) = self.certified(provider);
        let resolver: Arc<dyn ResolvesServerCert> = if raw {
            Arc::new(AlwaysResolvesServerRawPublicKeys::new(key))
        } else {
            Arc::new(SingleCertAndKey::from(key))
        };
        (resolver, log)
    }

    fn client_resolver(
        self,
        provider: &CryptoProvider,
    ) -> (Arc<dyn ResolvesClientCert>, SchemeLog) {
        let raw = self.raw_public_key;
        let (key, log) = self.certified(provider);
        let resolver: Arc<dyn ResolvesClientCert> = if raw {
            Arc::new(AlwaysResolvesClientRawPublicKeys::new(key))
        } else {
            Arc::new(SingleCertAndKey::from(key))
        };
        (resolver, log)
    }
}

/// What a test server presents and how it signs.
pub struct ServerSetup {
    pub provider: Arc<CryptoProvider>,
    pub versions: Vec<&'static SupportedProtocolVersion>,
    pub identity: Identity,
    pub client_verifier: Option<Arc<dyn ClientCertVerifier>>,
}

impl ServerSetup {
    pub fn new(provider: &Arc<CryptoProvider>, cert: &TestCert) -> Self {
        Self {
            provider: provider.clone(),
            versions: vec![&rustls::version::TLS13, &rustls::version::TLS12],
            identity: Identity::of(cert),
            client_verifier: None,
        }
    }

    /// The server config, and the log of the scheme its key signs with.
    pub fn build(self) -> (ServerConfig, SchemeLog) {
        let (resolver, log) = self.identity.server_resolver(&self.provider);
        let builder = ServerConfig::builder_with_provider(self.provider)
            .with_protocol_versions(&self.versions)
            .expect("versions supported");
        let builder = match self.client_verifier {
            Some(verifier) => builder.with_client_cert_verifier(verifier),
            None => builder.with_no_client_auth(),
        };
        let mut config = builder.with_cert_resolver(resolver);
        config.time_provider = Arc::new(FixedTime(test_time()));
        (config, log)
    }
}

/// A server that presents `cert` but signs the handshake with `signer`'s key: a man in the middle
/// holding only the public certificate.
pub fn impostor(
    provider: &Arc<CryptoProvider>,
    cert: &TestCert,
    signer: &TestCert,
) -> (ServerConfig, SchemeLog) {
    let mut server = ServerSetup::new(provider, cert);
    server.identity.key = signer.key_der();
    server.build()
}

/// tlspin's server verifiers that accept `pin`'s key in a chain issued by [`test_ca`]: pinned,
/// accept-any, and ignore-name over [`test_roots`].
pub fn tlspin_verifiers(
    provider: &Arc<CryptoProvider>,
    pin: Pin,
) -> Vec<(&'static str, Arc<dyn ServerCertVerifier>)> {
    vec![
        (
            "pinned",
            tlspin::PinnedServerVerifier::builder(provider.clone())
                .pin(pin)
                .build()
                .expect("verifier"),
        ),
        (
            "accept-any",
            tlspin::danger::AcceptAnyServerCert::new(provider.clone()).expect("verifier"),
        ),
        (
            "ignore-name",
            tlspin::danger::IgnoreServerName::new(test_roots(), provider.clone())
                .expect("verifier"),
        ),
    ]
}

/// A client config for `provider` and `version` that verifies with `verifier`, at the test time.
pub fn client_config(
    provider: &Arc<CryptoProvider>,
    version: &'static SupportedProtocolVersion,
    verifier: Arc<dyn ServerCertVerifier>,
) -> ClientConfig {
    client_config_with_identity(provider, version, verifier, None).0
}

/// Like [`client_config`], presenting `identity` when the server asks for a certificate; also
/// returns the log of the scheme the client's key signs with.
pub fn client_config_with_identity(
    provider: &Arc<CryptoProvider>,
    version: &'static SupportedProtocolVersion,
    verifier: Arc<dyn ServerCertVerifier>,
    identity: Option<Identity>,
) -> (ClientConfig, SchemeLog) {
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(&[version])
        .expect("version supported")
        .dangerous()
        .with_custom_certificate_verifier(verifier);
    let (mut config, log) = match identity {
        Some(identity) => {
            let (resolver, log) = identity.client_resolver(provider);
            (builder.with_client_cert_resolver(resolver), log)
        }
        None => (builder.with_no_client_auth(), SchemeLog::default()),
    };
    config.time_provider = Arc::new(FixedTime(test_time()));
    (config, log)
}

/// What a completed handshake negotiated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Negotiated {
    pub version: ProtocolVersion,
    pub suite: rustls::CipherSuite,
    /// The scheme the server signed with (`None` if the server never signed).
    pub scheme: Option<SignatureScheme>,
    /// Whether the session was resumed (no certificate was verified).
    pub resumed: bool,
}

/// The result of an in-memory handshake, from both sides.
#[derive(Debug)]
pub struct Outcome {
    pub client: Result<Negotiated, rustls::Error>,
    pub server: Result<(), rustls::Error>,
}

impl Outcome {
    /// The client's error; panics with the whole outcome if the handshake succeeded.
    pub fn client_error(&self) -> &rustls::Error {
        match &self.client {
            Err(e) => e,
            Ok(_) => panic!("expected the client to fail: {self:?}"),
        }
    }

    pub fn server_error(&self) -> &rustls::Error {
        match &self.server {
            Err(e) => e,
            Ok(()) => panic!("expected the server to fail: {self:?}"),
        }
    }

    pub fn negotiated(&self) -> &Negotiated {
        match &self.client {
            Ok(n) if self.server.is_ok() => n,
            _ => panic!("expected the handshake to succeed: {self:?}"),
        }
    }
}

/// A side's error when its peer failed without sending an alert (rustls does that in a few
/// paths): over TCP it would see the connection close.
pub const PEER_HUNG_UP: &str = "test harness: the peer failed without sending an alert";

/// Runs a full TLS handshake between `client` and `server` in memory (no sockets), including the
/// alert a failing side sends, so both sides' errors are observed.
pub fn handshake(
    client: ClientConfig,
    (server, log): (ServerConfig, SchemeLog),
    name: &str,
) -> Outcome {
    let server_name = ServerName::try_from(name.to_string()).expect("valid server name");
    let mut client = Connection::Client(
        ClientConnection::new(Arc::new(client), server_name).expect("client connection"),
    );
    let mut server =
        Connection::Server(ServerConnection::new(Arc::new(server)).expect("server connection"));
    let (mut client_err, mut server_err) = (None, None);
    for _ in 0..100 {
        let sent = transfer(&mut client, &mut server, server_err.is_some());
        if server_err.is_none() {
            server_err = server.process_new_packets().err();
        }
        let received = transfer(&mut server, &mut client, client_err.is_some());
        if client_err.is_none() {
            client_err = client.process_new_packets().err();
        }
        if sent == 0 && received == 0 {
            break;
        }
    }
    let client = match client_err {
        Some(e) => Err(e),
        None if client.is_handshaking() => {
            assert!(
                server_err.is_some(),
                "handshake stalled with no error on either side"
            );
            Err(rustls::Error::General(PEER_HUNG_UP.into()))
        }
        None => Ok(Negotiated {
            version: client.protocol_version().expect("version"),
            suite: client.negotiated_cipher_suite().expect("suite").suite(),
            scheme: *log.lock().unwrap(),
            resumed: client.handshake_kind() == Some(rustls::HandshakeKind::Resumed),
        }),
    };
    let server = match server_err {
        Some(e) => Err(e),
        None if server.is_handshaking() => {
            assert!(
                client.is_err(),
                "handshake stalled with no error on either side"
            );
            Err(rustls::Error::General(PEER_HUNG_UP.into()))
        }
        None => Ok(()),
    };
    Outcome { client, server }
}

/// Moves every pending TLS byte from `from` to `to` (dropping them if `to` already failed) and
/// returns how many there were.
fn transfer(from: &mut Connection, to: &mut Connection, to_failed: bool) -> usize {
    let mut buf = Vec::new();
    while from.wants_write() {
        from.write_tls(&mut buf).expect("write to a Vec");
    }
    let mut rest = &buf[..];
    while !to_failed && !rest.is_empty() {
        if to.read_tls(&mut rest).is_err() {
            break;
        }
    }
    buf.len()
}

/// `der` as a PEM block labelled `label` (64-character lines).
pub fn pem(label: &str, der: &[u8]) -> String {
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    let lines: Vec<&str> = b64
        .as_bytes()
        .chunks(64)
        .map(|c| std::str::from_utf8(c).expect("base64 is ASCII"))
        .collect();
    format!(
        "-----BEGIN {label}-----\n{}\n-----END {label}-----\n",
        lines.join("\n")
    )
}
