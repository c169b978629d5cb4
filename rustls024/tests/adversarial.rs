//! Attacks on tlspin-rustls024 from its adversarial review; each found a defect, now fixed.

mod common;

use std::hash::Hasher;
use std::sync::Arc;

use common::*;
use rustls::client::danger::ServerVerifier as RustlsServerVerifier;
use rustls::client::{ClientHandshake, ClientSessionMemoryCache};
use rustls::enums::ProtocolVersion;
use rustls::pki_types::{ServerName, UnixTime};
use rustls::{Connection, ServerSide, VecInput};
use tlspin::policy::{PeerChain, ServerCertPolicy};
use tlspin::tofu::KnownHosts;
use tlspin::Pin;
use tlspin_rustls024::{ServerVerifier, TofuVerifier};

// ---------------------------------------------------------------------------------------------
// Finding: the resumption key does not name the policy's type.
// ---------------------------------------------------------------------------------------------

/// Collects every byte fed to a hasher.
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

/// tlspin's documented `hash_config` example (`ServerCertPolicy::hash_config`): accepts exactly
/// the leaf key `0`, hashes `0`.
#[derive(Debug)]
struct OnlyKey(Pin);
impl ServerCertPolicy for OnlyKey {
    fn check_server_cert(
        &self,
        chain: PeerChain<'_>,
        _: &ServerName<'_>,
        _: &[u8],
        _: UnixTime,
    ) -> Result<(), rustls023::Error> {
        if Pin::from_cert_der(chain.end_entity).ok() == Some(self.0) {
            Ok(())
        } else {
            Err(rustls023::CertificateError::UnknownIssuer.into())
        }
    }
    fn hash_config(&self, mut h: &mut dyn Hasher) -> bool {
        use std::hash::Hash;
        self.0.hash(&mut h);
        true
    }
}

/// A block list: accepts every leaf key except the revoked key `0`; hashes `0`, all its
/// configuration, exactly as the documentation asks.
#[derive(Debug)]
struct AllButKey(Pin);
impl ServerCertPolicy for AllButKey {
    fn check_server_cert(
        &self,
        chain: PeerChain<'_>,
        _: &ServerName<'_>,
        _: &[u8],
        _: UnixTime,
    ) -> Result<(), rustls023::Error> {
        if Pin::from_cert_der(chain.end_entity).ok() == Some(self.0) {
            Err(rustls023::CertificateError::Revoked.into())
        } else {
            Ok(())
        }
    }
    fn hash_config(&self, mut h: &mut dyn Hasher) -> bool {
        use std::hash::Hash;
        self.0.hash(&mut h);
        true
    }
}

/// rustls 0.24 hashes `verifier.type_id()` on an `Arc<dyn ServerVerifier>` (the `Arc`'s own
/// `TypeId`, the same for every verifier), so the adapter's `hash_config` is the only thing that
/// separates two verifiers; it does not include the policy's type. A session verified by
/// `ServerVerifier<AllButKey>` is resumed by `ServerVerifier<OnlyKey>`, which would refuse the
/// server: full verification skipped.
#[test]
fn a_session_resumes_across_policy_types_with_equal_configuration_bytes() {
    let served = server_cert(KeyType::EcdsaP256);
    let other = server_cert(KeyType::Ed25519);
    let (server, _) = server_config(&Presented::cert(&served), None);
    let mut resumed_past_verification = Vec::new();
    for (name, provider) in providers() {
        for (version_name, version) in VERSIONS {
            let provider = only(&provider, version);
            // The pin of another key: AllButKey accepts `served`, OnlyKey refuses it.
            let lenient = Arc::new(ServerVerifier::with_policy(&provider, AllButKey(other.pin)));
            let strict = Arc::new(ServerVerifier::with_policy(&provider, OnlyKey(other.pin)));

            // The attack's precondition: the two policies hash equal configuration bytes.
            let (mut a, mut b) = (Bytes::default(), Bytes::default());
            assert!(lenient.policy().hash_config(&mut a) && strict.policy().hash_config(&mut b));
            assert_eq!(a.0, b.0, "the two policies' configuration hashes are equal");
            // (Review 14 asserted the verifiers' hashes equal too: the defect. Fixed, the
            // verifiers' hashes name the policy type and differ.)
            let (mut a, mut b) = (Bytes::default(), Bytes::default());
            RustlsServerVerifier::hash_config(&*lenient, &mut a);
            RustlsServerVerifier::hash_config(&*strict, &mut b);
            assert_ne!(a.0, b.0, "the two verifiers' configuration hashes differ");

            // Alone, the strict verifier refuses the server.
            let fresh = Arc::new(ClientSessionMemoryCache::new(8));
            let config = with_store(
                client_config(provider.clone(), strict.clone(), None),
                &fresh,
            );
            assert!(
                handshake(&Arc::new(config), &server).is_err(),
                "{name} {version_name}: OnlyKey accepted another key"
            );

            // Through a shared store, after the lenient verifier's session:
            let store = Arc::new(ClientSessionMemoryCache::new(8));
            let config = with_store(client_config(provider.clone(), lenient, None), &store);
            handshake(&Arc::new(config), &server).expect("AllButKey accepts");
            let config = with_store(client_config(provider.clone(), strict, None), &store);
            let resumed = handshake(&Arc::new(config), &server);
            if resumed.is_ok() {
                resumed_past_verification.push(format!("{name} {version_name}: {resumed:?}"));
            }
        }
    }
    assert!(
        resumed_past_verification.is_empty(),
        "the strict verifier accepted a server it refuses, by resuming the other policy's \
         session: {resumed_past_verification:#?}"
    );
}

/// The same for a host pin set's fallback, a `dyn ServerCertPolicy`: the fallback's concrete type
/// is part of the configuration hash.
#[test]
fn host_pin_fallbacks_of_different_types_hash_differently() {
    use tlspin_rustls024::HostPinnedVerifier;
    let other = server_cert(KeyType::Ed25519);
    let ca = test_ca();
    let verifier = |lenient: bool| {
        let mut roots = rustls::RootCertStore::empty();
        roots.add(ca.cert.der.clone()).unwrap();
        HostPinnedVerifier::configure(roots, server_provider(), |b| {
            if lenient {
                b.fallback(AllButKey(other.pin))
            } else {
                b.fallback(OnlyKey(other.pin))
            }
        })
        .unwrap()
    };
    let (mut a, mut b) = (Bytes::default(), Bytes::default());
    RustlsServerVerifier::hash_config(&*verifier(true), &mut a);
    RustlsServerVerifier::hash_config(&*verifier(false), &mut b);
    assert_ne!(
        a.0, b.0,
        "fallbacks of two types share a configuration hash"
    );
    let mut again = Bytes::default();
    RustlsServerVerifier::hash_config(&*verifier(true), &mut again);
    assert_eq!(a.0, again.0, "the same configuration hashes the same");
}

// ---------------------------------------------------------------------------------------------
// Finding: deferred effects are attributed to the wrong connection under rustls 0.24's
// external identity verification (`VerifyPeerIdentity::presented_identity` + `continue_with`).
// ---------------------------------------------------------------------------------------------

/// A client handshake to `name` against `server`, driven until the client must verify the
/// server's identity. Returns the pending verification and the server connection.
struct Pending {
    verify: rustls::VerifyPeerIdentity<rustls::ClientSide, rustls::Tcp>,
    server: Connection<ServerSide, rustls::Tcp>,
    to_server: Vec<u8>,
}

fn deliver(input: &mut VecInput, bytes: &mut Vec<u8>) {
    let mut pending = bytes.as_slice();
    while !pending.is_empty() {
        input.read(&mut pending).unwrap();
    }
    bytes.clear();
}

fn until_identity(
    client: &Arc<rustls::ClientConfig>,
    server: &Arc<rustls::ServerConfig>,
    name: &'static str,
) -> Pending {
    let mut to_server = Vec::new();
    let mut hs = client
        .connect(ServerName::try_from(name).unwrap())
        .start_handshake(&mut to_server)
        .unwrap();
    let mut server_conn = Connection::<ServerSide, _>::new(server.clone()).unwrap();
    let mut to_client = Vec::new();
    let mut plaintext = Vec::new();
    for _ in 0..8 {
        let mut server_in = VecInput::default();
        deliver(&mut server_in, &mut to_server);
        server_conn
            .read_tls(&mut server_in, &mut to_client)
            .handle_all(&mut plaintext)
            .unwrap();
        let mut client_in = VecInput::default();
        deliver(&mut client_in, &mut to_client);
        match hs.process(&mut client_in, &mut to_server).unwrap() {
            ClientHandshake::NeedsInput(next) => hs = next,
            ClientHandshake::VerifyServerIdentity(verify) => {
                return Pending {
                    verify,
                    server: server_conn,
                    to_server,
                }
            }
            other => panic!("unexpected {other:?}"),
        }
    }
    panic!("never asked to verify the server's identity");
}

/// rustls 0.24's documented external verification: the application verifies the presented
/// identity itself (here with the configured tlspin verifier, on the same thread) and continues
/// the handshake later. Two connections interleave: a genuine one to `one.test`, and an impostor
/// presenting the same public certificate without its key for `two.test`. The genuine
/// connection's signature runs the impostor's trust-on-first-use record: `two.test` is recorded
/// with a key its server never proved, and the genuine host is never recorded.
#[test]
fn tofu_records_the_impostor_when_identities_are_verified_before_signatures() {
    let genuine = self_signed_with(KeyType::EcdsaP256, leaf_params(&["one.test", "two.test"]));
    let thief = self_signed_with(KeyType::EcdsaP256, leaf_params(&["thief.test"]));
    let mut wrong = Vec::new();
    for (name, provider) in providers() {
        for (version_name, version) in VERSIONS {
            let dir = tempfile::tempdir().unwrap();
            let store = KnownHosts::open(dir.path().join("known_hosts")).unwrap();
            let provider = only(&provider, version);
            let verifier = TofuVerifier::new(&store, provider.clone(), 443).unwrap();
            let client = Arc::new(client_config(provider.clone(), verifier.clone(), None));
            let (real_server, _) = server_config(&Presented::cert(&genuine), None);
            let (impostor, _) =
                server_config(&Presented::chain(vec![genuine.der.clone()], &thief), None);

            let one = until_identity(&client, &real_server, "one.test");
            let two = until_identity(&client, &impostor, "two.test");
            let verified_one = verifier.verify_identity(&one.verify.presented_identity().unwrap());
            let verified_two = verifier.verify_identity(&two.verify.presented_identity().unwrap());
            let verified_one = verified_one.map(|v| v.into_owned());
            let verified_two = verified_two.map(|v| v.into_owned());

            let mut out = Vec::new();
            let _ = one.verify.continue_with(verified_one, &mut out);
            let impostor_result = two.verify.continue_with(verified_two, &mut Vec::new());
            assert!(impostor_result.is_err(), "the impostor's signature fails");
            drop((one.server, one.to_server, two.server, two.to_server));

            let recorded: Vec<String> = store
                .entries()
                .unwrap()
                .iter()
                .map(|e| e.to_string())
                .collect();
            let impostor_recorded = recorded.iter().any(|e| e.contains("two.test"));
            // Review 14 expected one.test recorded here. A signature names only its certificate,
            // which both connections presented: which of the two records it proves cannot be
            // known (the owner of the key could as well have served two.test), so both are
            // dropped. The first use is recorded by the next, unambiguous connection.
            let later = until_identity(&client, &real_server, "one.test");
            let verified = verifier
                .verify_identity(&later.verify.presented_identity().unwrap())
                .map(|v| v.into_owned());
            let later_result = later.verify.continue_with(verified, &mut Vec::new());
            let recorded: Vec<String> = store
                .entries()
                .unwrap()
                .iter()
                .map(|e| e.to_string())
                .collect();
            let genuine_recorded = recorded.iter().any(|e| e.contains("one.test"));
            let impostor_recorded =
                impostor_recorded || recorded.iter().any(|e| e.contains("two.test"));
            if impostor_recorded || !genuine_recorded || later_result.is_err() {
                wrong.push(format!("{name} {version_name}: store = {recorded:?}"));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "the impostor's host (two.test) was trusted on first use although its handshake \
         signature failed, and the genuine host (one.test) was not: {wrong:#?}"
    );
}

/// The same external verification, on another thread (rustls: "verify that outside the library
/// (perhaps asynchronously)"): the first-use record waits on the verifying thread and never runs,
/// so the TOFU verifier never pins anything and accepts any key for the host forever.
#[test]
fn tofu_never_pins_when_identity_is_verified_on_another_thread() {
    let first = self_signed_with(KeyType::EcdsaP256, leaf_params(&["host.test"]));
    let second = self_signed_with(KeyType::EcdsaP256, leaf_params(&["host.test"]));
    for (name, provider) in providers() {
        let dir = tempfile::tempdir().unwrap();
        let store = KnownHosts::open(dir.path().join("known_hosts")).unwrap();
        let provider = only(&provider, ProtocolVersion::TLSv1_3);
        let verifier = TofuVerifier::new(&store, provider.clone(), 443).unwrap();
        let client = Arc::new(client_config(provider.clone(), verifier.clone(), None));
        for cert in [&first, &second] {
            let (server, _) = server_config(&Presented::cert(cert), None);
            let pending = until_identity(&client, &server, "host.test");
            let v = verifier.clone();
            let verified = std::thread::scope(|s| {
                s.spawn(|| {
                    v.verify_identity(&pending.verify.presented_identity().unwrap())
                        .map(|v| v.into_owned())
                })
                .join()
                .unwrap()
            });
            let result = pending.verify.continue_with(verified, &mut Vec::new());
            if std::ptr::eq(cert, &second) {
                assert!(
                    result.is_err(),
                    "{name}: a second key for host.test was accepted: TOFU never recorded the \
                     first ({:?})",
                    store.entries().unwrap()
                );
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Finding: client (mTLS) verifiers key no resumption at all.
// ---------------------------------------------------------------------------------------------

/// lib.rs promised: "Every verifier here hashes its provider's signature table and its policy's
/// whole configuration ... so a session made under one pin set is never resumed under another".
/// Not so for client (mTLS) verifiers: rustls 0.24's `ClientVerifier` has no `hash_config`, and a
/// server resumes whatever its session storage or ticketer knows. A server that rotates its client
/// pins (a new ServerConfig with a new `PinnedClientVerifier`) but keeps the old config's session
/// storage or ticketer resumes the session of a client whose key is no longer pinned.
///
/// Fixed: the docs promise it for server verifiers only, and tell servers to give the new config
/// resumption state of its own (`isolate_resumption`). This test checks that practice (the
/// original assertion, on a config following the docs), and documents the rustls limitation: a
/// config sharing the old one's storage or ticketer does resume (if rustls ever keys server-side
/// resumption by the client verifier, this assertion fails and the docs can say so).
#[test]
fn a_client_session_resumes_under_new_client_pins() {
    use tlspin_rustls024::{isolate_resumption, PinnedClientVerifier, PinnedServerVerifier};
    let served = server_cert(KeyType::EcdsaP256);
    let revoked_client = server_cert(KeyType::Ed25519);
    let new_client = server_cert(KeyType::EcdsaP384);
    let mut resumed_anyway = Vec::new();
    let mut not_resumed_when_shared = Vec::new();
    for (name, provider) in providers() {
        for (version_name, version) in VERSIONS {
            for tickets in [false, true] {
                for isolated in [false, true] {
                    let provider = only(&provider, version);
                    let old_pins =
                        PinnedClientVerifier::new(server_provider(), [revoked_client.pin]).unwrap();
                    let new_pins =
                        PinnedClientVerifier::new(server_provider(), [new_client.pin]).unwrap();
                    let (before, _) = server_config(&Presented::cert(&served), Some(old_pins));
                    let mut before = (*before).clone();
                    if tickets {
                        before.ticketer =
                            Some(server_provider().ticketer_factory.ticketer().unwrap());
                    }
                    let before = Arc::new(before);
                    let (after, _) = server_config(&Presented::cert(&served), Some(new_pins));
                    let mut after = (*after).clone();
                    after.session_storage = before.session_storage.clone();
                    after.ticketer = before.ticketer.clone();
                    if isolated {
                        after = isolate_resumption(after).unwrap();
                    }
                    let after = Arc::new(after);

                    let server_pins =
                        PinnedServerVerifier::new(provider.clone(), [served.pin]).unwrap();
                    let client = Arc::new(client_config(
                        provider.clone(),
                        server_pins,
                        Some(&Presented::cert(&revoked_client)),
                    ));
                    // Control: without a stored session, the new pins refuse this client.
                    let fresh = Arc::new(client_config(
                        provider.clone(),
                        PinnedServerVerifier::new(provider.clone(), [served.pin]).unwrap(),
                        Some(&Presented::cert(&revoked_client)),
                    ));
                    let case = format!("{name} {version_name} tickets={tickets}");
                    assert!(handshake(&fresh, &after).is_err(), "{case}: control");

                    handshake(&client, &before).expect("the old pins accept the client");
                    let result = handshake(&client, &after);
                    match (isolated, result) {
                        (true, Ok(negotiated)) => {
                            resumed_anyway.push(format!("{case}: {negotiated:?}"))
                        }
                        (false, Err(error)) => {
                            not_resumed_when_shared.push(format!("{case}: {error:?}"))
                        }
                        _ => {}
                    }
                }
            }
        }
    }
    assert!(
        resumed_anyway.is_empty(),
        "a client whose key the new pins refuse was accepted by resuming a session verified \
         under the old pins: {resumed_anyway:#?}"
    );
    assert!(
        not_resumed_when_shared.is_empty(),
        "the rustls limitation documented in README.md (shared server-side resumption state \
         resumes across client verifiers) no longer holds here; update the docs: \
         {not_resumed_when_shared:#?}"
    );
}

// ---------------------------------------------------------------------------------------------
// Finding: typed errors other than four listed tlspin types are not downcastable.
// ---------------------------------------------------------------------------------------------

/// Whether `T` is anywhere in the `source()` chain of a rustls 0.24 `Other` certificate error.
fn finds<T: std::error::Error + 'static>(error: &rustls::Error) -> bool {
    let rustls::Error::InvalidCertificate(rustls::error::CertificateError::Other(other)) = error
    else {
        return false;
    };
    let mut current: Option<&(dyn std::error::Error + 'static)> = Some(other);
    while let Some(e) = current {
        if e.downcast_ref::<T>().is_some() {
            return true;
        }
        current = e.source();
    }
    false
}

/// TOFU's first-use record fails (the store cannot be written): tlspin reports its own
/// `tlspin::Error` in `CertificateError::Other`. Under rustls 0.23 it downcasts; through the
/// adapter it is wrapped in an `Arc<dyn Error>` that no `downcast_ref` reaches.
#[test]
fn a_tofu_store_error_is_not_downcastable_to_tlspin_error() {
    let cert = self_signed_with(KeyType::EcdsaP256, leaf_params(&["localhost"]));
    let (server, _) = server_config(&Presented::cert(&cert), None);
    for (name, provider) in providers() {
        let dir = tempfile::tempdir().unwrap();
        let store = KnownHosts::open(dir.path().join("known_hosts")).unwrap();
        // The store writes through known_hosts.tmp: a directory there makes every write fail.
        std::fs::create_dir(dir.path().join("known_hosts.tmp")).unwrap();
        let verifier = TofuVerifier::new(&store, provider.clone(), 443).unwrap();
        let config = Arc::new(client_config(provider.clone(), verifier, None));
        let error = handshake(&config, &server).unwrap_err().client();
        assert!(
            finds::<tlspin::Error>(&error),
            "{name}: the store's tlspin::Error is not downcastable: {error:?}"
        );
    }
}

/// A policy's own error type, returned as tlspin's policy docs ask.
#[derive(Debug, Clone)]
struct Quarantined(String);
impl std::fmt::Display for Quarantined {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} is quarantined", self.0)
    }
}
impl std::error::Error for Quarantined {}

#[derive(Debug)]
struct Quarantine;
impl ServerCertPolicy for Quarantine {
    fn check_server_cert(
        &self,
        _: PeerChain<'_>,
        name: &ServerName<'_>,
        _: &[u8],
        _: UnixTime,
    ) -> Result<(), rustls023::Error> {
        Err(
            rustls023::CertificateError::Other(rustls023::OtherError(Arc::new(Quarantined(
                name.to_str().into_owned(),
            ))))
            .into(),
        )
    }
}

#[test]
fn a_custom_policys_typed_error_is_not_downcastable() {
    let cert = server_cert(KeyType::EcdsaP256);
    let (server, _) = server_config(&Presented::cert(&cert), None);
    for (name, provider) in providers() {
        let verifier = Arc::new(ServerVerifier::with_policy(&provider, Quarantine));
        let config = Arc::new(client_config(provider.clone(), verifier, None));
        let error = handshake(&config, &server).unwrap_err().client();
        assert!(
            finds::<Quarantined>(&error),
            "{name}: the policy's error type is lost: {error:?}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Finding: raw-public-key verifiers accept an X.509 certificate over TLS 1.2.
// ---------------------------------------------------------------------------------------------

/// `PinnedRawKeyServerVerifier` ("RFC 7250, TLS 1.3"): over TLS 1.2 rustls negotiates no
/// certificate type and hands the verifier an `Identity::X509`; the adapter passes the whole
/// certificate to `RawKeyPins` as if it were a SubjectPublicKeyInfo. The refusal names the
/// certificate's hash as "the server's raw public key sha256/…"; pinning that value makes the
/// raw-key verifier accept an X.509 server (and the same for the raw-key client verifier).
#[test]
fn raw_key_verifiers_accept_an_x509_peer_over_tls12() {
    use tlspin_rustls024::{PinnedRawKeyClientVerifier, PinnedRawKeyServerVerifier};
    let cert = server_cert(KeyType::EcdsaP256);
    let client_cert = server_cert(KeyType::Ed25519);
    // What the refusal reports as the server's "raw public key": a hash of the certificate.
    let cert_hash = Pin::from_spki_der(cert.der.as_ref());
    let client_cert_hash = Pin::from_spki_der(client_cert.der.as_ref());
    let mut accepted = Vec::new();
    for (name, provider) in providers() {
        let p = only(&provider, ProtocolVersion::TLSv1_2);
        let (server, _) = server_config(&Presented::cert(&cert), None);

        let refusing = PinnedRawKeyServerVerifier::new(p.clone(), [cert.pin]).unwrap();
        let error = handshake(&Arc::new(client_config(p.clone(), refusing, None)), &server)
            .unwrap_err()
            .client();
        // Review 14 asserted that the refusal names the certificate's hash as the server's
        // "raw public key" (the defect). Fixed, it names the kinds expected and seen instead.
        let message = error.to_string();
        assert!(!message.contains(&cert_hash.to_string()), "{error}");
        assert!(
            message.contains("expects a raw public key") && message.contains("X.509"),
            "{error}"
        );

        let raw = PinnedRawKeyServerVerifier::new(p.clone(), [cert_hash]).unwrap();
        if let Ok(n) = handshake(&Arc::new(client_config(p.clone(), raw, None)), &server) {
            accepted.push(format!(
                "{name}: raw-key server verifier accepted X.509: {n:?}"
            ));
        }

        let clients =
            PinnedRawKeyClientVerifier::new(provider.clone(), [client_cert_hash]).unwrap();
        let (server, _) = server_config(&Presented::cert(&cert), Some(clients));
        let servers = tlspin_rustls024::PinnedServerVerifier::new(p.clone(), [cert.pin]).unwrap();
        let config = client_config(p.clone(), servers, Some(&Presented::cert(&client_cert)));
        if let Ok(n) = handshake(&Arc::new(config), &server) {
            accepted.push(format!(
                "{name}: raw-key client verifier accepted X.509: {n:?}"
            ));
        }
    }
    assert!(accepted.is_empty(), "{accepted:#?}");
}

/// The same interleaving with report-only host pin sets: a report-only pin failure report is
/// made for the impostor's connection (whose handshake signature fails), on the strength of the
/// genuine connection's signature; the genuine connection's own report is dropped.
#[test]
fn report_only_reports_the_impostor_when_identities_are_verified_before_signatures() {
    use std::sync::Mutex;
    use tlspin::host_pins::HostPinSet;
    use tlspin_rustls024::HostPinnedVerifier;
    let ca = test_ca();
    let genuine = ca.issue(KeyType::EcdsaP256, &["one.test", "two.test"]);
    let thief = ca.issue(KeyType::EcdsaP256, &["thief.test"]);
    let unrelated = server_cert(KeyType::Ed25519);
    let mut wrong = Vec::new();
    for (name, provider) in providers() {
        for (version_name, version) in VERSIONS {
            let provider = only(&provider, version);
            let mut roots = rustls::RootCertStore::empty();
            roots.add(ca.cert.der.clone()).unwrap();
            let reports = Arc::new(Mutex::new(Vec::<String>::new()));
            let sink = reports.clone();
            let verifier = HostPinnedVerifier::configure(roots, provider.clone(), |b| {
                b.pin_set(HostPinSet::new("*.test", [unrelated.pin]).unwrap())
                    .report_only(true)
                    .on_pin_failure(move |r| sink.lock().unwrap().push(r.host.clone()))
            })
            .unwrap();
            let client = Arc::new(client_config(provider.clone(), verifier.clone(), None));
            let (real_server, _) = server_config(&Presented::cert(&genuine), None);
            let (impostor, _) =
                server_config(&Presented::chain(vec![genuine.der.clone()], &thief), None);

            let one = until_identity(&client, &real_server, "one.test");
            let two = until_identity(&client, &impostor, "two.test");
            let v1 = verifier
                .verify_identity(&one.verify.presented_identity().unwrap())
                .map(|v| v.into_owned());
            let v2 = verifier
                .verify_identity(&two.verify.presented_identity().unwrap())
                .map(|v| v.into_owned());
            assert!(one.verify.continue_with(v1, &mut Vec::new()).is_ok());
            assert!(two.verify.continue_with(v2, &mut Vec::new()).is_err());
            // Review 14 expected one.test's report here; which connection the one verified
            // signature proves cannot be known, so both reports are dropped (with a warning).
            // The next connection to one.test, unambiguous, reports.
            assert_eq!(
                *reports.lock().unwrap(),
                Vec::<String>::new(),
                "{name} {version_name}"
            );
            let later = until_identity(&client, &real_server, "one.test");
            let v = verifier
                .verify_identity(&later.verify.presented_identity().unwrap())
                .map(|v| v.into_owned());
            assert!(later.verify.continue_with(v, &mut Vec::new()).is_ok());
            let reports = reports.lock().unwrap().clone();
            if reports != ["one.test"] {
                wrong.push(format!("{name} {version_name}: reports for {reports:?}"));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "expected exactly one report, for the genuine one.test: {wrong:#?}"
    );
}

/// Two connections to the same host presenting the same certificate, interleaved the same way,
/// register the same effect: it is not ambiguous, and each verified signature runs one (two
/// reports for two genuine connections).
#[test]
fn the_same_effects_of_interleaved_connections_each_run() {
    use std::sync::Mutex;
    use tlspin::host_pins::HostPinSet;
    use tlspin_rustls024::HostPinnedVerifier;
    let ca = test_ca();
    let genuine = ca.issue(KeyType::EcdsaP256, &["one.test"]);
    let unrelated = server_cert(KeyType::Ed25519);
    for (name, provider) in providers() {
        for (version_name, version) in VERSIONS {
            let provider = only(&provider, version);
            let mut roots = rustls::RootCertStore::empty();
            roots.add(ca.cert.der.clone()).unwrap();
            let reports = Arc::new(Mutex::new(Vec::<String>::new()));
            let sink = reports.clone();
            let verifier = HostPinnedVerifier::configure(roots, provider.clone(), |b| {
                b.pin_set(HostPinSet::new("*.test", [unrelated.pin]).unwrap())
                    .report_only(true)
                    .on_pin_failure(move |r| sink.lock().unwrap().push(r.host.clone()))
            })
            .unwrap();
            let client = Arc::new(client_config(provider.clone(), verifier.clone(), None));
            let (server, _) = server_config(&Presented::cert(&genuine), None);
            let one = until_identity(&client, &server, "one.test");
            let two = until_identity(&client, &server, "one.test");
            let v1 = verifier
                .verify_identity(&one.verify.presented_identity().unwrap())
                .map(|v| v.into_owned());
            let v2 = verifier
                .verify_identity(&two.verify.presented_identity().unwrap())
                .map(|v| v.into_owned());
            assert!(two.verify.continue_with(v2, &mut Vec::new()).is_ok());
            assert_eq!(reports.lock().unwrap().len(), 1, "{name} {version_name}");
            assert!(one.verify.continue_with(v1, &mut Vec::new()).is_ok());
            assert_eq!(
                *reports.lock().unwrap(),
                ["one.test", "one.test"],
                "{name} {version_name}"
            );
        }
    }
}

/// A connection whose identity was checked and that never continued (abandoned) makes the
/// certificate ambiguous while its check waits (at most two minutes, see the unit tests of
/// `deferred.rs`): a record for another host is dropped, never run on the strength of a
/// signature the abandoned connection could have made; the handshakes themselves go ahead.
#[test]
fn an_abandoned_check_makes_the_certificate_ambiguous_while_it_waits() {
    let genuine = self_signed_with(KeyType::EcdsaP256, leaf_params(&["one.test", "two.test"]));
    let (name, provider) = providers().remove(0);
    let provider = only(&provider, ProtocolVersion::TLSv1_3);
    let dir = tempfile::tempdir().unwrap();
    let store = KnownHosts::open(dir.path().join("known_hosts")).unwrap();
    let verifier = TofuVerifier::new(&store, provider.clone(), 443).unwrap();
    let client = Arc::new(client_config(provider.clone(), verifier.clone(), None));
    let (server, _) = server_config(&Presented::cert(&genuine), None);
    let verify_now = |host: &'static str| {
        let pending = until_identity(&client, &server, host);
        let verified = verifier
            .verify_identity(&pending.verify.presented_identity().unwrap())
            .map(|v| v.into_owned());
        (pending, verified)
    };
    let hosts = |store: &KnownHosts| -> Vec<String> {
        store
            .entries()
            .unwrap()
            .iter()
            .map(|e| e.host.clone())
            .collect()
    };
    // two.test's check waits and its handshake is abandoned.
    let (abandoned, _) = verify_now("two.test");
    drop(abandoned);
    for _ in 0..3 {
        let (one, verified) = verify_now("one.test");
        assert!(
            one.verify.continue_with(verified, &mut Vec::new()).is_ok(),
            "{name}"
        );
        assert_eq!(hosts(&store), Vec::<String>::new(), "{name}");
    }
}
