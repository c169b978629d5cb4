//! Attacks from the adversarial review that held up, kept as regression tests.

mod common;

use std::hash::Hasher;
use std::sync::Arc;

use common::*;
use rustls::client::danger::ServerVerifier as RustlsServerVerifier;
use rustls::enums::ProtocolVersion;
use rustls::error::CertificateError;
use tlspin_rustls024::{
    PinnedClientVerifier, PinnedRawKeyClientVerifier, PinnedRawKeyServerVerifier,
    PinnedServerVerifier,
};

#[derive(Default)]
struct Bytes(Vec<u8>);
impl Hasher for Bytes {
    fn finish(&self) -> u64 {
        0
    }
    fn write(&mut self, bytes: &[u8]) {
        self.0.extend_from_slice(bytes);
    }
}

fn hash_of(v: &dyn RustlsServerVerifier) -> Vec<u8> {
    let mut b = Bytes::default();
    v.hash_config(&mut b);
    b.0
}

#[test]
fn stolen_raw_public_keys_fail_the_signature_both_ways() {
    let server_key = server_cert(KeyType::EcdsaP256);
    let client_key = server_cert(KeyType::Ed25519);
    for (name, provider) in providers() {
        let p = only(&provider, ProtocolVersion::TLSv1_3);
        let thief = test_ca().issue(KeyType::EcdsaP256, &["localhost"]);
        // Server presents the pinned raw key, signs with the thief's key.
        let stolen = Presented {
            identity: Presented::raw_key(&server_key).identity,
            key: thief.key.clone(),
        };
        let (server, _) = server_config(&stolen, None);
        let v = PinnedRawKeyServerVerifier::new(p.clone(), [server_key.pin]).unwrap();
        let err = handshake(&Arc::new(client_config(p.clone(), v, None)), &server)
            .unwrap_err()
            .client();
        assert_eq!(
            err,
            rustls::Error::InvalidCertificate(CertificateError::BadSignature),
            "{name}"
        );

        // Client presents the pinned raw key, signs with the thief's key.
        let clients = PinnedRawKeyClientVerifier::new(provider.clone(), [client_key.pin]).unwrap();
        let (server, _) = server_config(&Presented::raw_key(&server_key), Some(clients));
        let thief = test_ca().issue(KeyType::Ed25519, &["localhost"]);
        let stolen = Presented {
            identity: Presented::raw_key(&client_key).identity,
            key: thief.key.clone(),
        };
        let v = PinnedRawKeyServerVerifier::new(p.clone(), [server_key.pin]).unwrap();
        let err = handshake(
            &Arc::new(client_config(p.clone(), v, Some(&stolen))),
            &server,
        )
        .unwrap_err()
        .server();
        assert_eq!(
            err,
            rustls::Error::InvalidCertificate(CertificateError::BadSignature),
            "{name}"
        );
    }
}

#[test]
fn certificate_type_mismatches_fail() {
    let server_key = server_cert(KeyType::EcdsaP256);
    for (name, provider) in providers() {
        for (vn, version) in VERSIONS {
            let p = only(&provider, version);
            // Raw-key client, X.509 server.
            let (x509_server, _) = server_config(&Presented::cert(&server_key), None);
            let v = PinnedRawKeyServerVerifier::new(p.clone(), [server_key.pin]).unwrap();
            let r = handshake(&Arc::new(client_config(p.clone(), v, None)), &x509_server);
            assert!(
                r.is_err(),
                "{name} {vn}: raw-key client accepted an X.509 server: {r:?}"
            );
            eprintln!("{name} {vn} rpk client/x509 server: {r:?}");
            // X.509 client, raw-key server.
            let (rpk_server, _) = server_config(&Presented::raw_key(&server_key), None);
            let v = PinnedServerVerifier::new(p.clone(), [server_key.pin]).unwrap();
            let r = handshake(&Arc::new(client_config(p.clone(), v, None)), &rpk_server);
            assert!(
                r.is_err(),
                "{name} {vn}: X.509 client accepted a raw-key server: {r:?}"
            );
            eprintln!("{name} {vn} x509 client/rpk server: {r:?}");
            // X.509 client cert to a raw-key client verifier, and vice versa.
            let clients =
                PinnedRawKeyClientVerifier::new(provider.clone(), [server_key.pin]).unwrap();
            let (server, _) = server_config(&Presented::cert(&server_key), Some(clients));
            let v = PinnedServerVerifier::new(p.clone(), [server_key.pin]).unwrap();
            let r = handshake(
                &Arc::new(client_config(
                    p.clone(),
                    v,
                    Some(&Presented::cert(&server_key)),
                )),
                &server,
            );
            assert!(
                r.is_err(),
                "{name} {vn}: raw-key client verifier accepted an X.509 client: {r:?}"
            );
            let clients = PinnedClientVerifier::new(provider.clone(), [server_key.pin]).unwrap();
            let (server, _) = server_config(&Presented::cert(&server_key), Some(clients));
            let v = PinnedServerVerifier::new(p.clone(), [server_key.pin]).unwrap();
            let r = handshake(
                &Arc::new(client_config(
                    p.clone(),
                    v,
                    Some(&Presented::raw_key(&server_key)),
                )),
                &server,
            );
            assert!(
                r.is_err(),
                "{name} {vn}: X.509 client verifier accepted a raw-key client: {r:?}"
            );
        }
    }
}

#[test]
fn leaf_pin_options_change_the_hash() {
    let a = server_cert(KeyType::EcdsaP256);
    let b = server_cert(KeyType::Ed25519);
    let p = server_provider();
    let base = hash_of(&*PinnedServerVerifier::new(p.clone(), [a.pin]).unwrap());
    let variants = [
        hash_of(&*PinnedServerVerifier::new(p.clone(), [b.pin]).unwrap()),
        hash_of(&*PinnedServerVerifier::new(p.clone(), [a.pin, b.pin]).unwrap()),
        hash_of(
            &*PinnedServerVerifier::configure(p.clone(), |x| x.pin(a.pin).check_validity(false))
                .unwrap(),
        ),
        hash_of(
            &*PinnedServerVerifier::configure(p.clone(), |x| x.pin(a.pin).check_server_name(true))
                .unwrap(),
        ),
        hash_of(
            &*PinnedServerVerifier::new(Arc::new(rustls_ring::DEFAULT_PROVIDER), [a.pin]).unwrap(),
        ),
        hash_of(&*PinnedRawKeyServerVerifier::new(p.clone(), [a.pin]).unwrap()),
    ];
    for (i, v) in variants.iter().enumerate() {
        assert_ne!(&base, v, "variant {i} hashes like the base");
    }
    assert_eq!(
        base,
        hash_of(&*PinnedServerVerifier::new(p.clone(), [a.pin]).unwrap())
    );
}

#[test]
fn raw_keys_over_tls12() {
    let server_key = server_cert(KeyType::EcdsaP256);
    for (name, provider) in providers() {
        let p = only(&provider, ProtocolVersion::TLSv1_2);
        let (server, _) = server_config(&Presented::raw_key(&server_key), None);
        let v = PinnedRawKeyServerVerifier::new(p.clone(), [server_key.pin]).unwrap();
        let r = handshake(&Arc::new(client_config(p.clone(), v, None)), &server);
        eprintln!("{name} TLS 1.2 rpk/rpk: {r:?}");
        assert!(r.is_err(), "{name}");
    }
}

#[test]
fn mutated_identities_do_not_panic() {
    use rustls::client::danger::ServerIdentity;
    use rustls::crypto::Identity;
    use rustls::pki_types::{CertificateDer, ServerName, SubjectPublicKeyInfoDer};
    let cert = server_cert(KeyType::EcdsaP256);
    let p = server_provider();
    let dir = tempfile::tempdir().unwrap();
    let store = tlspin::tofu::KnownHosts::open(dir.path().join("kh")).unwrap();
    let mut roots = rustls::RootCertStore::empty();
    roots.add(test_ca().cert.der.clone()).unwrap();
    let verifiers: Vec<Arc<dyn RustlsServerVerifier>> = vec![
        PinnedServerVerifier::configure(p.clone(), |b| b.pin(cert.pin).check_server_name(true))
            .unwrap(),
        PinnedRawKeyServerVerifier::new(p.clone(), [cert.pin]).unwrap(),
        tlspin_rustls024::TofuVerifier::with_roots(&store, p.clone(), 443, roots.clone()).unwrap(),
        tlspin_rustls024::SelfSignedVerifier::new([test_ca().cert.der.clone()], p.clone()).unwrap(),
        tlspin_rustls024::PinnedWebPkiVerifier::new(roots.clone(), p.clone(), [cert.pin]).unwrap(),
        tlspin_rustls024::HostPinnedVerifier::configure(roots.clone(), p.clone(), |b| {
            b.pin_set(tlspin::host_pins::HostPinSet::new("**.localhost", [cert.pin]).unwrap())
                .report_only(true)
        })
        .unwrap(),
    ];
    let name = ServerName::try_from("localhost").unwrap();
    let base = cert.der.as_ref().to_vec();
    let mut seed = 0x1234_5678_9abc_def0u64;
    let mut rnd = || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    for i in 0..3000 {
        let mut bytes = base.clone();
        match i % 4 {
            0 => {
                let at = (rnd() as usize) % bytes.len();
                bytes[at] = rnd() as u8;
            }
            1 => {
                let at = (rnd() as usize) % bytes.len();
                bytes.truncate(at);
            }
            2 => {
                for _ in 0..4 {
                    let at = (rnd() as usize) % bytes.len();
                    bytes[at] ^= 0xff;
                }
            }
            _ => {
                let at = (rnd() as usize) % bytes.len();
                bytes.insert(at, rnd() as u8);
            }
        }
        let identities = [
            Identity::from_cert_chain(vec![
                CertificateDer::from(bytes.clone()),
                CertificateDer::from(bytes.clone()),
            ])
            .unwrap(),
            Identity::RawPublicKey(SubjectPublicKeyInfoDer::from(bytes.clone())),
        ];
        for identity in &identities {
            for v in &verifiers {
                let _ = v.verify_identity(&ServerIdentity::new(identity, &name, test_time()));
            }
        }
    }
}

#[test]
fn helper_finds_rewrapped_pin_mismatch() {
    let cert = server_cert(KeyType::EcdsaP256);
    let other = server_cert(KeyType::Ed25519);
    let (server, _) = server_config(&Presented::cert(&cert), None);
    let p = server_provider();
    let v = PinnedServerVerifier::new(p.clone(), [other.pin]).unwrap();
    let error = handshake(&Arc::new(client_config(p, v, None)), &server)
        .unwrap_err()
        .client();
    let rustls::Error::InvalidCertificate(CertificateError::Other(o)) = &error else {
        panic!()
    };
    assert!(std::error::Error::source(o)
        .unwrap()
        .downcast_ref::<tlspin::PinMismatch>()
        .is_some());
}
