//! From the adversarial review: external identity verification on another thread (rustls 0.24's
//! `continue_with`) records a first use, and warns only when something is dropped.

mod common;

use std::sync::{Arc, Mutex};

use common::*;
use rustls::client::danger::ServerVerifier as _;
use rustls::client::ClientHandshake;
use rustls::enums::ProtocolVersion;
use rustls::pki_types::ServerName;
use rustls::{Connection, ServerSide, VecInput};
use tlspin::tofu::KnownHosts;
use tlspin_rustls024::TofuVerifier;

static LOGGED: Mutex<Vec<String>> = Mutex::new(Vec::new());
struct Capture;
impl log::Log for Capture {
    fn enabled(&self, _: &log::Metadata<'_>) -> bool {
        true
    }
    fn log(&self, record: &log::Record<'_>) {
        LOGGED
            .lock()
            .unwrap()
            .push(format!("{} {}", record.level(), record.args()));
    }
    fn flush(&self) {}
}

/// Installs [`Capture`] once for the tests of this file (they run at once: each looks only at
/// the warnings naming its own hosts).
fn capture() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        log::set_logger(&Capture).unwrap();
        log::set_max_level(log::LevelFilter::Trace);
    });
}

/// The warnings logged so far that mention `host`.
fn warnings_about(host: &str) -> Vec<String> {
    LOGGED
        .lock()
        .unwrap()
        .iter()
        .filter(|l| l.starts_with("WARN") && l.contains(host))
        .cloned()
        .collect()
}

fn deliver(input: &mut VecInput, bytes: &mut Vec<u8>) {
    let mut pending = bytes.as_slice();
    while !pending.is_empty() {
        input.read(&mut pending).unwrap();
    }
    bytes.clear();
}

/// README: "if you verify the identity yourself and `continue_with` the result, call this
/// verifier's `verify_identity` on the same thread, or a first use is not recorded (tlspin logs a
/// warning when it drops one)". Verified on a worker thread (rustls: "perhaps asynchronously"),
/// the record is lost with no warning at all, and the TOFU verifier then accepts another key for
/// the same host: it never pins.
#[test]
fn a_first_use_verified_on_another_thread_is_dropped_silently_and_never_pins() {
    capture();
    let first = self_signed_with(KeyType::EcdsaP256, leaf_params(&["host.test"]));
    let second = self_signed_with(KeyType::EcdsaP256, leaf_params(&["host.test"]));
    let provider = only(&server_provider(), ProtocolVersion::TLSv1_3);
    let dir = tempfile::tempdir().unwrap();
    let store = KnownHosts::open(dir.path().join("known_hosts")).unwrap();
    let verifier = TofuVerifier::new(&store, provider.clone(), 443).unwrap();
    let client = Arc::new(client_config(provider.clone(), verifier.clone(), None));
    let mut outcomes = Vec::new();
    for cert in [&first, &second] {
        let (server, _) = server_config(&Presented::cert(cert), None);
        let mut to_server = Vec::new();
        let mut hs = client
            .connect(ServerName::try_from("host.test").unwrap())
            .start_handshake(&mut to_server)
            .unwrap();
        let mut server_conn = Connection::<ServerSide, _>::new(server).unwrap();
        let (mut to_client, mut plain) = (Vec::new(), Vec::new());
        let verify = loop {
            let mut server_in = VecInput::default();
            deliver(&mut server_in, &mut to_server);
            server_conn
                .read_tls(&mut server_in, &mut to_client)
                .handle_all(&mut plain)
                .unwrap();
            let mut client_in = VecInput::default();
            deliver(&mut client_in, &mut to_client);
            match hs.process(&mut client_in, &mut to_server).unwrap() {
                ClientHandshake::NeedsInput(next) => hs = next,
                ClientHandshake::VerifyServerIdentity(verify) => break verify,
                other => panic!("{other:?}"),
            }
        };
        let verified = std::thread::scope(|s| {
            s.spawn(|| {
                verifier
                    .verify_identity(&verify.presented_identity().unwrap())
                    .map(|v| v.into_owned())
            })
            .join()
            .unwrap()
        });
        outcomes.push(verify.continue_with(verified, &mut Vec::new()).is_ok());
    }
    // Review 14 also asserted a warning here, the README's promise for a first use dropped on
    // another thread. Fixed, nothing is dropped: the first use is recorded, and a warning would
    // be false. (A warning where effects are dropped: the test below.)
    let warnings = warnings_about("host.test");
    let entries = store.entries().unwrap();
    assert!(
        warnings.is_empty() && entries.len() == 1 && outcomes == [true, false],
        "warnings: {warnings:?}; store: {entries:?}; handshakes accepted (first key, second \
         key): {outcomes:?}"
    );
}

/// Drives a client handshake to `host` against `server` until the client must verify the
/// server's identity.
fn until_identity(
    client: &Arc<rustls::ClientConfig>,
    server: Arc<rustls::ServerConfig>,
    host: &'static str,
) -> rustls::VerifyPeerIdentity<rustls::ClientSide, rustls::Tcp> {
    let mut to_server = Vec::new();
    let mut hs = client
        .connect(ServerName::try_from(host).unwrap())
        .start_handshake(&mut to_server)
        .unwrap();
    let mut server_conn = Connection::<ServerSide, _>::new(server).unwrap();
    let (mut to_client, mut plain) = (Vec::new(), Vec::new());
    loop {
        let mut server_in = VecInput::default();
        deliver(&mut server_in, &mut to_server);
        server_conn
            .read_tls(&mut server_in, &mut to_client)
            .handle_all(&mut plain)
            .unwrap();
        let mut client_in = VecInput::default();
        deliver(&mut client_in, &mut to_client);
        match hs.process(&mut client_in, &mut to_server).unwrap() {
            ClientHandshake::NeedsInput(next) => hs = next,
            ClientHandshake::VerifyServerIdentity(verify) => break verify,
            other => panic!("{other:?}"),
        }
    }
}

/// Two connections presenting the same certificate for two hosts, their identities verified on
/// worker threads before either signature: which host a signature proves cannot be known, so
/// both first-use records are dropped, and a warning names them.
#[test]
fn effects_dropped_as_ambiguous_are_named_in_a_warning() {
    capture();
    let cert = self_signed_with(KeyType::EcdsaP256, leaf_params(&["a.example", "b.example"]));
    let provider = only(&server_provider(), ProtocolVersion::TLSv1_3);
    let dir = tempfile::tempdir().unwrap();
    let store = KnownHosts::open(dir.path().join("known_hosts")).unwrap();
    let verifier = TofuVerifier::new(&store, provider.clone(), 443).unwrap();
    let client = Arc::new(client_config(provider.clone(), verifier.clone(), None));
    let (server, _) = server_config(&Presented::cert(&cert), None);
    let pending = ["a.example", "b.example"].map(|host| {
        let verify = until_identity(&client, server.clone(), host);
        let verified = std::thread::scope(|s| {
            s.spawn(|| {
                verifier
                    .verify_identity(&verify.presented_identity().unwrap())
                    .map(|v| v.into_owned())
            })
            .join()
            .unwrap()
        });
        (verify, verified)
    });
    for (verify, verified) in pending {
        assert!(verify.continue_with(verified, &mut Vec::new()).is_ok());
    }
    assert!(store.entries().unwrap().is_empty());
    let warnings = warnings_about("b.example");
    assert!(
        warnings.len() == 1
            && warnings
                .iter()
                .all(|w| w.contains("dropped without running")
                    && w.contains("a.example")
                    && w.contains("b.example")),
        "{warnings:?}"
    );
}
