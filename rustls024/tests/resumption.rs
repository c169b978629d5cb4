//! rustls 0.24 keys resumed sessions by the verifier's type and `hash_config`: real TLS 1.3 (and
//! TLS 1.2, for leaf pins) resumptions through one session store show that a verifier with other pins, other options
//! or other roots never resumes a session it did not verify (it gets a full handshake, and its
//! own verdict), and that one with the same configuration does.

mod common;

use std::sync::Arc;

use common::*;
use rustls::client::danger::ServerVerifier as RustlsServerVerifier;
use rustls::client::ClientSessionMemoryCache;
use rustls::crypto::CryptoProvider;
use rustls::enums::ProtocolVersion;
use rustls::pki_types::{ServerName, UnixTime};
use rustls::RootCertStore;
use tlspin::host_pins::HostPinSet;
use tlspin::policy::{PeerChain, ServerCertPolicy};
use tlspin::tofu::KnownHosts;
use tlspin::Pin;
use tlspin_rustls024::{
    pin_mismatch, HostPinnedVerifier, PinnedServerVerifier, PinnedWebPkiVerifier,
    SelfSignedVerifier, ServerVerifier, TofuVerifier,
};

/// Connects with `verifier` through `store`; the handshake's outcome.
fn connect(
    provider: &Arc<CryptoProvider>,
    verifier: Arc<dyn RustlsServerVerifier>,
    store: &Arc<ClientSessionMemoryCache>,
    server: &Arc<rustls::ServerConfig>,
) -> Result<Negotiated, Failure> {
    let config = with_store(client_config(provider.clone(), verifier, None), store);
    handshake(&Arc::new(config), server)
}

#[test]
fn a_session_resumes_only_under_the_pins_that_verified_it() {
    let key_a = server_cert(KeyType::EcdsaP256);
    let key_b = server_cert(KeyType::Ed25519);
    let (server, _) = server_config(&Presented::cert(&key_a), None);
    for ((provider_name, provider), (version_name, version)) in providers()
        .into_iter()
        .flat_map(|provider| VERSIONS.map(|version| (provider.clone(), version)))
    {
        let name = format!("{provider_name} {version_name}");
        let provider = only(&provider, version);
        let store = Arc::new(ClientSessionMemoryCache::new(32));
        let pins_a = PinnedServerVerifier::new(provider.clone(), [key_a.pin]).unwrap();

        let first = connect(&provider, pins_a.clone(), &store, &server).unwrap();
        assert!(
            !first.resumed,
            "{name}: the first connection is a full handshake"
        );
        let again = connect(&provider, pins_a.clone(), &store, &server).unwrap();
        assert!(
            again.resumed,
            "{name}: the same verifier resumes (the harness resumes at all)"
        );

        // Another pin set, without A: no resumption, so its own verdict: refused.
        let pins_b = PinnedServerVerifier::new(provider.clone(), [key_b.pin]).unwrap();
        let error = connect(&provider, pins_b, &store, &server)
            .unwrap_err()
            .client();
        let mismatch = pin_mismatch(&error)
            .unwrap_or_else(|| panic!("{name}: resumed past a pin change, or: {error:?}"));
        assert_eq!(mismatch.leaf_pin(), Some(key_a.pin), "{name}");

        // A pin set that still accepts A, but is another configuration: a full handshake.
        let pins_ab = PinnedServerVerifier::new(provider.clone(), [key_a.pin, key_b.pin]).unwrap();
        let widened = connect(&provider, pins_ab, &store, &server).unwrap();
        assert!(
            !widened.resumed,
            "{name}: another pin set resumed a session"
        );

        // The same pins with another option: a full handshake (and its verdict: the
        // certificate is for localhost, so it passes).
        let named = PinnedServerVerifier::configure(provider.clone(), |pins| {
            pins.pin(key_a.pin).check_server_name(true)
        })
        .unwrap();
        let named = connect(&provider, named, &store, &server).unwrap();
        assert!(!named.resumed, "{name}: another option resumed a session");

        // A new verifier with the same pins and options resumes.
        let same = PinnedServerVerifier::new(provider.clone(), [key_a.pin]).unwrap();
        let resumed = connect(&provider, same, &store, &server).unwrap();
        assert!(
            resumed.resumed,
            "{name}: the same configuration must resume"
        );
    }
}

#[test]
fn webpki_sessions_are_keyed_by_roots_and_pins() {
    let ca = test_ca();
    let leaf = server_cert(KeyType::EcdsaP256);
    let (server, _) = server_config(&Presented::cert(&leaf), None);
    let other_ca = TestCa::new(KeyType::EcdsaP256, "another CA");
    let roots = |certs: &[&TestCert]| {
        let mut store = RootCertStore::empty();
        for cert in certs {
            store.add(cert.der.clone()).unwrap();
        }
        store
    };
    for (name, provider) in providers() {
        let provider = only(&provider, ProtocolVersion::TLSv1_3);
        let store = Arc::new(ClientSessionMemoryCache::new(32));
        let verifier = |certs: &[&TestCert], pins: &[tlspin::Pin]| {
            PinnedWebPkiVerifier::new(roots(certs), provider.clone(), pins.iter().copied()).unwrap()
        };
        connect(
            &provider,
            verifier(&[&ca.cert], &[ca.cert.pin]),
            &store,
            &server,
        )
        .unwrap();
        let again = connect(
            &provider,
            verifier(&[&ca.cert], &[ca.cert.pin]),
            &store,
            &server,
        );
        assert!(
            again.unwrap().resumed,
            "{name}: the same roots and pins resume"
        );

        // Other roots (that do not validate this server): no resumption, refused.
        let error = connect(
            &provider,
            verifier(&[&other_ca.cert], &[ca.cert.pin]),
            &store,
            &server,
        )
        .unwrap_err()
        .client();
        assert_eq!(
            error,
            rustls::Error::InvalidCertificate(rustls::error::CertificateError::UnknownIssuer),
            "{name}"
        );
        // More roots: another configuration, a full handshake.
        let more = connect(
            &provider,
            verifier(&[&ca.cert, &other_ca.cert], &[ca.cert.pin]),
            &store,
            &server,
        );
        assert!(
            !more.unwrap().resumed,
            "{name}: other roots resumed a session"
        );
        // Another pin on the path: a full handshake.
        let leaf_pin = connect(
            &provider,
            verifier(&[&ca.cert], &[leaf.pin]),
            &store,
            &server,
        );
        assert!(
            !leaf_pin.unwrap().resumed,
            "{name}: other pins resumed a session"
        );
    }
}

/// A policy of one's own that does not hash its configuration.
#[derive(Debug)]
struct AcceptsKey(tlspin::Pin);

impl ServerCertPolicy for AcceptsKey {
    fn check_server_cert(
        &self,
        chain: PeerChain<'_>,
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<(), rustls023::Error> {
        match tlspin::Pin::from_cert_der(chain.end_entity) {
            Ok(pin) if pin == self.0 => Ok(()),
            _ => Err(rustls023::CertificateError::UnknownIssuer.into()),
        }
    }
}

/// Without a configuration hash, sessions are keyed by the verifier instance: only the verifier
/// that verified a session resumes it.
#[test]
fn a_policy_without_a_configuration_hash_resumes_only_through_its_own_verifier() {
    let key = server_cert(KeyType::EcdsaP256);
    let (server, _) = server_config(&Presented::cert(&key), None);
    for (name, provider) in providers() {
        let provider = only(&provider, ProtocolVersion::TLSv1_3);
        let store = Arc::new(ClientSessionMemoryCache::new(32));
        let verifier = Arc::new(ServerVerifier::with_policy(&provider, AcceptsKey(key.pin)));
        connect(&provider, verifier.clone(), &store, &server).unwrap();
        let again = connect(&provider, verifier, &store, &server).unwrap();
        assert!(again.resumed, "{name}: its own verifier resumes");
        let twin = Arc::new(ServerVerifier::with_policy(&provider, AcceptsKey(key.pin)));
        let twin = connect(&provider, twin, &store, &server).unwrap();
        assert!(!twin.resumed, "{name}: another instance resumed a session");
    }
}

#[test]
fn a_host_pin_set_change_prevents_resumption() {
    let ca = test_ca();
    let key = server_cert(KeyType::EcdsaP256);
    let (server, _) = server_config(&Presented::cert(&key), None);
    let unrelated: Pin = "sha256/47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="
        .parse()
        .unwrap();
    for ((provider_name, provider), (version_name, version)) in providers()
        .into_iter()
        .flat_map(|provider| VERSIONS.map(|version| (provider.clone(), version)))
    {
        let name = format!("{provider_name} {version_name}");
        let provider = only(&provider, version);
        let store = Arc::new(ClientSessionMemoryCache::new(32));
        let verifier = |sets: Vec<HostPinSet>, report_only: bool| {
            let mut roots = RootCertStore::empty();
            roots.add(ca.cert.der.clone()).unwrap();
            HostPinnedVerifier::configure(roots, provider.clone(), |b| {
                b.pin_sets(sets).report_only(report_only)
            })
            .unwrap()
        };
        let set = |pins: &[Pin]| HostPinSet::new("localhost", pins.iter().copied()).unwrap();

        let first = connect(
            &provider,
            verifier(vec![set(&[ca.cert.pin])], false),
            &store,
            &server,
        )
        .unwrap();
        assert!(!first.resumed, "{name}");
        let same = connect(
            &provider,
            verifier(vec![set(&[ca.cert.pin])], false),
            &store,
            &server,
        )
        .unwrap();
        assert!(same.resumed, "{name}: the same pin sets must resume");

        // The set changed to pins the server does not match: a full handshake, refused.
        let error = connect(
            &provider,
            verifier(vec![set(&[unrelated])], false),
            &store,
            &server,
        )
        .unwrap_err()
        .client();
        assert!(
            pin_mismatch(&error).is_some(),
            "{name}: resumed past a pin-set change, or: {error:?}"
        );
        // Widened, report-only, or for another pattern: other configurations, no resumption.
        for (what, changed) in [
            (
                "widened",
                verifier(vec![set(&[ca.cert.pin, unrelated])], false),
            ),
            ("report-only", verifier(vec![set(&[ca.cert.pin])], true)),
            (
                "another pattern",
                verifier(
                    vec![HostPinSet::new("*.localhost", [ca.cert.pin]).unwrap()],
                    false,
                ),
            ),
            (
                "expiring",
                verifier(
                    vec![set(&[ca.cert.pin]).expires(UnixTime::since_unix_epoch(
                        core::time::Duration::from_secs(4_000_000_000),
                    ))],
                    false,
                ),
            ),
        ] {
            let changed = connect(&provider, changed, &store, &server).unwrap();
            assert!(
                !changed.resumed,
                "{name}: {what} pin sets resumed a session"
            );
        }
    }
}

#[test]
fn self_signed_sessions_are_keyed_by_the_given_certificates() {
    let device = self_signed_with(KeyType::EcdsaP256, leaf_params(&["localhost"]));
    let spare = self_signed_with(KeyType::EcdsaP256, leaf_params(&["spare"]));
    let (server, _) = server_config(&Presented::cert(&device), None);
    for (name, provider) in providers() {
        let provider = only(&provider, ProtocolVersion::TLSv1_3);
        let store = Arc::new(ClientSessionMemoryCache::new(32));
        let given = |certs: &[&TestCert]| {
            SelfSignedVerifier::new(certs.iter().map(|c| c.der.clone()), provider.clone()).unwrap()
        };
        connect(&provider, given(&[&device]), &store, &server).unwrap();
        let same = connect(&provider, given(&[&device]), &store, &server).unwrap();
        assert!(same.resumed, "{name}: the same certificates must resume");
        let error = connect(&provider, given(&[&spare]), &store, &server)
            .unwrap_err()
            .client();
        assert!(
            matches!(error, rustls::Error::InvalidCertificate(_)),
            "{name}: resumed past a change of certificates, or: {error:?}"
        );
        let both = connect(&provider, given(&[&device, &spare]), &store, &server).unwrap();
        assert!(
            !both.resumed,
            "{name}: other certificates resumed a session"
        );
    }
}

/// A TOFU verifier resumes its own sessions; one built later from the store (which may have
/// changed meanwhile) never resumes them, so a forgotten host is verified again.
#[test]
fn tofu_sessions_resume_only_through_the_snapshot_that_verified_them() {
    let key = server_cert(KeyType::EcdsaP256);
    let (server, _) = server_config(&Presented::cert(&key), None);
    for (name, provider) in providers() {
        let provider = only(&provider, ProtocolVersion::TLSv1_3);
        let dir = tempfile::tempdir().unwrap();
        let known = KnownHosts::open(dir.path().join("known_hosts")).unwrap();
        let store = Arc::new(ClientSessionMemoryCache::new(32));
        let verifier = TofuVerifier::new(&known, provider.clone(), 443).unwrap();
        connect(&provider, verifier.clone(), &store, &server).unwrap();
        let again = connect(&provider, verifier, &store, &server).unwrap();
        assert!(again.resumed, "{name}: its own verifier resumes");

        assert!(known.forget("localhost", 443).unwrap(), "{name}");
        let rebuilt = TofuVerifier::new(&known, provider.clone(), 443).unwrap();
        let after = connect(&provider, rebuilt, &store, &server).unwrap();
        assert!(!after.resumed, "{name}: resumed past a store change");
        assert!(
            known.get("localhost", 443).unwrap().is_some(),
            "{name}: the full handshake records the host again"
        );
    }
}
