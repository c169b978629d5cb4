//! Test certificates made with rcgen: key types, leaves, CAs and their pins. They use only
//! rcgen, pki-types and tlspin, so the rustls 0.24 member's tests share them
//! (`rustls024/tests/common/mod.rs`).
#![allow(dead_code)]

use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use rcgen::{CertificateParams, DnType, KeyPair};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, UnixTime};
use tlspin::Pin;

/// Key types the tests generate with rcgen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyType {
    EcdsaP256,
    EcdsaP384,
    EcdsaP521,
    Ed25519,
    Rsa2048,
    MlDsa44,
    MlDsa65,
    MlDsa87,
}

impl KeyType {
    /// The classic key types every provider is expected to handle in some form.
    pub const CLASSIC: [KeyType; 5] = [
        KeyType::EcdsaP256,
        KeyType::EcdsaP384,
        KeyType::EcdsaP521,
        KeyType::Ed25519,
        KeyType::Rsa2048,
    ];

    fn algorithm(self) -> &'static rcgen::SignatureAlgorithm {
        match self {
            KeyType::EcdsaP256 => &rcgen::PKCS_ECDSA_P256_SHA256,
            KeyType::EcdsaP384 => &rcgen::PKCS_ECDSA_P384_SHA384,
            KeyType::EcdsaP521 => &rcgen::PKCS_ECDSA_P521_SHA512,
            KeyType::Ed25519 => &rcgen::PKCS_ED25519,
            KeyType::Rsa2048 => &rcgen::PKCS_RSA_SHA256,
            KeyType::MlDsa44 => &rcgen::PKCS_ML_DSA_44,
            KeyType::MlDsa65 => &rcgen::PKCS_ML_DSA_65,
            KeyType::MlDsa87 => &rcgen::PKCS_ML_DSA_87,
        }
    }

    /// A fresh key pair of this type (rcgen generates RSA keys at 2048 bits).
    pub fn generate(self) -> KeyPair {
        KeyPair::generate_for(self.algorithm())
            .unwrap_or_else(|e| panic!("rcgen cannot generate {self:?}: {e}"))
    }
}

/// A certificate with its private key and pin.
#[derive(Debug, Clone)]
pub struct TestCert {
    pub der: CertificateDer<'static>,
    pub pem: String,
    /// The private key, PKCS#8 DER.
    pub key: Vec<u8>,
    pub pin: Pin,
}

impl TestCert {
    pub fn key_der(&self) -> PrivateKeyDer<'static> {
        PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(self.key.clone()))
    }
}

/// rcgen parameters for a leaf valid for `names`, with the fixed validity window the tests use.
pub fn leaf_params(names: &[&str]) -> CertificateParams {
    let mut params =
        CertificateParams::new(names.iter().map(|n| n.to_string()).collect::<Vec<_>>())
            .expect("valid names");
    params.distinguished_name.push(
        DnType::CommonName,
        names.first().copied().unwrap_or("tlspin test"),
    );
    params.not_before = rcgen::date_time_ymd(2024, 1, 1);
    params.not_after = rcgen::date_time_ymd(2034, 1, 1);
    params
}

/// A verification time inside [`leaf_params`]' validity window.
pub fn test_time() -> UnixTime {
    UnixTime::since_unix_epoch(Duration::from_secs(1_767_225_600)) // 2026-01-01
}

/// A self-signed certificate of `kind` made from `params`.
pub fn self_signed_with(kind: KeyType, params: CertificateParams) -> TestCert {
    let key = kind.generate();
    let cert = params.self_signed(&key).expect("self-signed certificate");
    TestCert {
        pin: Pin::from_cert_der(cert.der()).expect("rcgen certificate parses"),
        der: cert.der().clone(),
        pem: cert.pem(),
        key: key.serialize_der(),
    }
}

/// The CA the tests trust in WebPKI mode (ECDSA P-256), made once per test binary.
pub fn test_ca() -> &'static TestCa {
    static CA: OnceLock<TestCa> = OnceLock::new();
    CA.get_or_init(|| TestCa::new(KeyType::EcdsaP256, "tlspin test CA"))
}

/// A `localhost` leaf of `kind` issued by [`test_ca`], cached per key type (RSA generation is
/// slow).
pub fn server_cert(kind: KeyType) -> TestCert {
    static CACHE: OnceLock<Mutex<Vec<(KeyType, TestCert)>>> = OnceLock::new();
    let mut cache = CACHE.get_or_init(Default::default).lock().unwrap();
    if let Some((_, cert)) = cache.iter().find(|(k, _)| *k == kind) {
        return cert.clone();
    }
    let cert = test_ca().issue(kind, &["localhost"]);
    cache.push((kind, cert.clone()));
    cert
}

/// rcgen parameters for a CA named `name`, valid over the tests' window.
pub fn ca_params(name: &str) -> CertificateParams {
    let mut params = leaf_params(&[]);
    params.distinguished_name = rcgen::DistinguishedName::new();
    params.distinguished_name.push(DnType::CommonName, name);
    params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    params
}

/// A CA that issues leaves, for chains with intermediates.
pub struct TestCa {
    pub cert: TestCert,
    issuer: rcgen::Issuer<'static, KeyPair>,
}

impl TestCa {
    pub fn new(kind: KeyType, name: &str) -> Self {
        let params = ca_params(name);
        let key = kind.generate();
        let cert = params.self_signed(&key).expect("CA certificate");
        let test_cert = TestCert {
            pin: Pin::from_cert_der(cert.der()).expect("parses"),
            der: cert.der().clone(),
            pem: cert.pem(),
            key: key.serialize_der(),
        };
        Self {
            cert: test_cert,
            issuer: rcgen::Issuer::new(params, key),
        }
    }

    /// An intermediate CA of `kind` named `name`, signed by this CA.
    pub fn issue_ca(&self, kind: KeyType, name: &str) -> TestCa {
        let key = kind.generate();
        self.issue_ca_with_key(ca_params(name), key)
    }

    /// A CA certificate for `params` and `key`, signed by this CA (two CAs signing the same
    /// `params` and key make a cross-signed intermediate).
    pub fn issue_ca_with_key(&self, params: CertificateParams, key: KeyPair) -> TestCa {
        let cert = params
            .signed_by(&key, &self.issuer)
            .expect("CA certificate");
        TestCa {
            cert: TestCert {
                pin: Pin::from_cert_der(cert.der()).expect("parses"),
                der: cert.der().clone(),
                pem: cert.pem(),
                key: key.serialize_der(),
            },
            issuer: rcgen::Issuer::new(params, key),
        }
    }

    /// A leaf of `kind` for `names`, signed by this CA.
    pub fn issue(&self, kind: KeyType, names: &[&str]) -> TestCert {
        self.issue_with(kind, leaf_params(names))
    }

    /// A certificate of `kind` made from `params`, signed by this CA.
    pub fn issue_with(&self, kind: KeyType, params: CertificateParams) -> TestCert {
        let key = kind.generate();
        let cert = params
            .signed_by(&key, &self.issuer)
            .expect("issued certificate");
        TestCert {
            pin: Pin::from_cert_der(cert.der()).expect("parses"),
            der: cert.der().clone(),
            pem: cert.pem(),
            key: key.serialize_der(),
        }
    }
}
