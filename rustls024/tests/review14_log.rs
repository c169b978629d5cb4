//! Review 14: the README's "tlspin logs a warning when it drops one" for external identity
//! verification on another thread.

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
    log::set_logger(&Capture).unwrap();
    log::set_max_level(log::LevelFilter::Trace);
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
    let warnings: Vec<String> = LOGGED
        .lock()
        .unwrap()
        .iter()
        .filter(|l| l.starts_with("WARN"))
        .cloned()
        .collect();
    let entries = store.entries().unwrap();
    assert!(
        !warnings.is_empty() && entries.len() == 1 && outcomes == [true, false],
        "warnings: {warnings:?}; store: {entries:?}; handshakes accepted (first key, second \
         key): {outcomes:?}"
    );
}
