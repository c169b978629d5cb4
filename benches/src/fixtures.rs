//! Certificates generated with rcgen at start-up (fixed validity window, fixed verification
//! time), the providers, and real handshake signatures made with each provider's own signer.

use std::sync::Arc;
use std::time::Duration;

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair};
use rustls::crypto::CryptoProvider;
use rustls::internal::msgs::codec::Codec;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, RootCertStore, SignatureScheme};
use tlspin::Pin;

/// The server name every leaf is issued for.
pub const SERVER_NAME: &str = "bench.example.com";

/// Both providers, by name: every measurement runs once per provider.
pub fn providers() -> Vec<(&'static str, Arc<CryptoProvider>)> {
    vec![
        (
            "aws-lc-rs",
            Arc::new(rustls::crypto::aws_lc_rs::default_provider()),
        ),
        ("ring", Arc::new(rustls::crypto::ring::default_provider())),
    ]
}

/// The verification time: 2026-01-01, inside every certificate's validity window.
pub fn bench_time() -> UnixTime {
    UnixTime::since_unix_epoch(Duration::from_secs(1_767_225_600))
}

/// The server name as rustls takes it.
pub fn server_name() -> ServerName<'static> {
    ServerName::try_from(SERVER_NAME).expect("valid DNS name")
}

/// Key types of the certificates (every certificate of a chain uses the same type).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyKind {
    /// ECDSA P-256, certificates signed with SHA-256.
    P256,
    /// ECDSA P-384, certificates signed with SHA-384.
    P384,
    /// Ed25519.
    Ed25519,
    /// RSA-2048, certificates signed with PKCS#1 v1.5 SHA-256.
    Rsa2048,
}

impl KeyKind {
    fn algorithm(self) -> &'static rcgen::SignatureAlgorithm {
        match self {
            Self::P256 => &rcgen::PKCS_ECDSA_P256_SHA256,
            Self::P384 => &rcgen::PKCS_ECDSA_P384_SHA384,
            Self::Ed25519 => &rcgen::PKCS_ED25519,
            Self::Rsa2048 => &rcgen::PKCS_RSA_SHA256,
        }
    }

    fn generate(self) -> KeyPair {
        KeyPair::generate_for(self.algorithm())
            .unwrap_or_else(|e| panic!("rcgen cannot generate {self:?}: {e}"))
    }
}

/// A handshake signature scheme of the floor and verifier tables, with the key type it needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scheme {
    /// Short name used in tables and case ids.
    pub name: &'static str,
    /// The TLS scheme the server signs with.
    pub scheme: SignatureScheme,
    /// The certificates' key type.
    pub kind: KeyKind,
}

impl Scheme {
    /// Whether TLS 1.3 allows the scheme; RSA PKCS#1 handshake signatures exist in TLS 1.2
    /// only, so they are checked with `verify_tls12_signature`.
    pub fn tls13(&self) -> bool {
        !matches!(
            self.scheme,
            SignatureScheme::RSA_PKCS1_SHA256
                | SignatureScheme::RSA_PKCS1_SHA384
                | SignatureScheme::RSA_PKCS1_SHA512
        )
    }
}

/// The schemes of issue item 1.
pub const SCHEMES: [Scheme; 5] = [
    Scheme {
        name: "ecdsa-p256",
        scheme: SignatureScheme::ECDSA_NISTP256_SHA256,
        kind: KeyKind::P256,
    },
    Scheme {
        name: "ecdsa-p384",
        scheme: SignatureScheme::ECDSA_NISTP384_SHA384,
        kind: KeyKind::P384,
    },
    Scheme {
        name: "ed25519",
        scheme: SignatureScheme::ED25519,
        kind: KeyKind::Ed25519,
    },
    Scheme {
        name: "rsa2048-pss",
        scheme: SignatureScheme::RSA_PSS_SHA256,
        kind: KeyKind::Rsa2048,
    },
    Scheme {
        name: "rsa2048-pkcs1",
        scheme: SignatureScheme::RSA_PKCS1_SHA256,
        kind: KeyKind::Rsa2048,
    },
];

/// A certificate and its PKCS#8 private key.
#[derive(Debug, Clone)]
pub struct Cert {
    /// DER certificate.
    pub der: CertificateDer<'static>,
    /// PKCS#8 DER private key.
    pub key: Vec<u8>,
    /// The pin of its key.
    pub pin: Pin,
}

impl Cert {
    /// The private key as rustls takes it.
    pub fn key_der(&self) -> PrivateKeyDer<'static> {
        PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(self.key.clone()))
    }
}

/// The certificates of one key type: a chain of 3 (root, intermediate, leaf) and a self-signed
/// leaf, all for [`SERVER_NAME`] and valid 2024-01-01 to 2034-01-01.
#[derive(Debug, Clone)]
pub struct Certs {
    /// The key type.
    pub kind: KeyKind,
    /// The root CA (a trust anchor, never sent).
    pub root: Cert,
    /// The intermediate CA, sent after the leaf.
    pub intermediate: Cert,
    /// The leaf issued by the intermediate.
    pub leaf: Cert,
    /// A self-signed leaf (not a CA), trusted as a root by the stock verifier.
    pub self_signed: Cert,
}

fn params(names: &[&str], common_name: &str, ca: bool) -> CertificateParams {
    let mut params =
        CertificateParams::new(names.iter().map(|n| n.to_string()).collect::<Vec<_>>())
            .expect("valid names");
    params.distinguished_name = rcgen::DistinguishedName::new();
    params
        .distinguished_name
        .push(DnType::CommonName, common_name);
    params.not_before = rcgen::date_time_ymd(2024, 1, 1);
    params.not_after = rcgen::date_time_ymd(2034, 1, 1);
    if ca {
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    }
    params
}

fn cert(der: &CertificateDer<'static>, key: &KeyPair) -> Cert {
    Cert {
        pin: Pin::from_cert_der(der).expect("rcgen certificate parses"),
        der: der.clone(),
        key: key.serialize_der(),
    }
}

impl Certs {
    /// Generates fresh keys and certificates of `kind`.
    pub fn generate(kind: KeyKind) -> Self {
        let root_params = params(&[], "tlspin bench root", true);
        let root_key = kind.generate();
        let root = root_params.self_signed(&root_key).expect("root");
        let root_issuer = rcgen::Issuer::new(root_params, root_key);

        let inter_params = params(&[], "tlspin bench intermediate", true);
        let inter_key = kind.generate();
        let inter = inter_params
            .signed_by(&inter_key, &root_issuer)
            .expect("intermediate");
        let inter_issuer = rcgen::Issuer::new(inter_params, inter_key);

        let leaf_key = kind.generate();
        let leaf = params(&[SERVER_NAME], SERVER_NAME, false)
            .signed_by(&leaf_key, &inter_issuer)
            .expect("leaf");

        let self_key = kind.generate();
        let self_signed = params(&[SERVER_NAME], SERVER_NAME, false)
            .self_signed(&self_key)
            .expect("self-signed");

        Self {
            kind,
            root: cert(root.der(), root_issuer.key()),
            intermediate: cert(inter.der(), inter_issuer.key()),
            leaf: cert(leaf.der(), &leaf_key),
            self_signed: cert(self_signed.der(), &self_key),
        }
    }

    /// `count` more self-signed leaves of this key type, each with its own key.
    pub fn other_leaves(kind: KeyKind, count: usize) -> Vec<Cert> {
        (0..count)
            .map(|_| {
                let key = kind.generate();
                let der = params(&[SERVER_NAME], SERVER_NAME, false)
                    .self_signed(&key)
                    .expect("self-signed");
                cert(der.der(), &key)
            })
            .collect()
    }

    /// What a chain-of-3 server sends: leaf, then intermediate.
    pub fn chain3(&self) -> Vec<CertificateDer<'static>> {
        vec![self.leaf.der.clone(), self.intermediate.der.clone()]
    }

    /// A root store holding the chain's root.
    pub fn chain3_roots(&self) -> Arc<RootCertStore> {
        roots_of(&self.root.der)
    }

    /// A root store holding the self-signed leaf.
    pub fn self_signed_roots(&self) -> Arc<RootCertStore> {
        roots_of(&self.self_signed.der)
    }
}

fn roots_of(der: &CertificateDer<'static>) -> Arc<RootCertStore> {
    let mut roots = RootCertStore::empty();
    roots.add(der.clone()).expect("root parses");
    Arc::new(roots)
}

/// A TLS 1.3 CertificateVerify input as the server signs it: 64 spaces, the context string, a
/// zero byte and a transcript hash (fixed bytes here).
pub fn tls13_message() -> Vec<u8> {
    let mut message = vec![0x20; 64];
    message.extend_from_slice(b"TLS 1.3, server CertificateVerify\0");
    message.extend_from_slice(&[0x5a; 32]);
    message
}

/// A real signature over `message` by `cert`'s key with `scheme`, made by `provider`'s signer.
pub fn sign(
    provider: &CryptoProvider,
    cert: &Cert,
    scheme: SignatureScheme,
    message: &[u8],
) -> DigitallySignedStruct {
    let key = provider
        .key_provider
        .load_private_key(cert.key_der())
        .expect("provider loads the key");
    let signer = key
        .choose_scheme(&[scheme])
        .unwrap_or_else(|| panic!("the key cannot sign with {scheme:?}"));
    let signature = signer.sign(message).expect("signs");
    let mut encoded = Vec::new();
    scheme.encode(&mut encoded);
    let length = u16::try_from(signature.len()).expect("signature fits a u16 length");
    encoded.extend_from_slice(&length.to_be_bytes());
    encoded.extend_from_slice(&signature);
    DigitallySignedStruct::read_bytes(&encoded).expect("a well-formed DigitallySignedStruct")
}

/// Certificates for every key type of [`SCHEMES`], generated once (RSA keys are slow to make).
pub fn all_certs() -> Vec<Certs> {
    [
        KeyKind::P256,
        KeyKind::P384,
        KeyKind::Ed25519,
        KeyKind::Rsa2048,
    ]
    .into_iter()
    .map(Certs::generate)
    .collect()
}

/// The certificates of `kind` among `all`.
pub fn certs_of(all: &[Certs], kind: KeyKind) -> &Certs {
    all.iter()
        .find(|c| c.kind == kind)
        .expect("certificates generated for every key type")
}
