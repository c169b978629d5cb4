//! Trust on first use: recording, mismatches, host-and-port keys, WebPKI marks, resumption
//! after a pin change, corrupt files, concurrent writers, and writers killed mid-write.

mod common;

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use common::*;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, SignatureScheme};
use tlspin::{
    tofu::KnownHost, tofu::KnownHostMismatch, tofu::KnownHosts, tofu::TofuVerifier, tofu::Trust,
    Pin,
};

const TLS13: &rustls::SupportedProtocolVersion = &rustls::version::TLS13;

fn store_in(dir: &Path) -> KnownHosts {
    KnownHosts::open(dir.join("known_hosts")).unwrap()
}

fn connect(
    verifier: Arc<tlspin::tofu::TofuVerifier>,
    provider: &Arc<rustls::crypto::CryptoProvider>,
    cert: &TestCert,
    name: &str,
) -> Outcome {
    handshake(
        client_config(provider, TLS13, verifier),
        ServerSetup::new(provider, cert).build(),
        name,
    )
}

#[test]
fn first_use_is_recorded_and_enforced() {
    for (name, provider) in providers() {
        let dir = tempfile::tempdir().unwrap();
        let store = store_in(dir.path());
        let first = self_signed_with(KeyType::EcdsaP256, leaf_params(&["device.lan"]));
        let second = self_signed_with(KeyType::EcdsaP256, leaf_params(&["device.lan"]));

        let verifier = store.verifier(provider.clone(), 443).unwrap();
        connect(verifier.clone(), &provider, &first, "device.lan").negotiated();
        let entry = store.get("device.lan", 443).unwrap().expect("recorded");
        assert_eq!((entry.pin, entry.trust), (first.pin, Trust::FirstUse));
        assert_eq!(entry.first_seen, test_time());

        connect(verifier.clone(), &provider, &first, "device.lan").negotiated();
        for verifier in [verifier, store.verifier(provider.clone(), 443).unwrap()] {
            let outcome = connect(verifier, &provider, &second, "DEVICE.lan");
            let error = outcome.client_error();
            let mismatch = KnownHostMismatch::from_rustls(error)
                .unwrap_or_else(|| panic!("{name}: {error:?}"));
            assert_eq!(mismatch.stored().pin, first.pin);
            assert_eq!(mismatch.presented(), second.pin);
            let shown = error.to_string();
            assert!(
                shown.contains(&format!("device.lan:443 presented key {}", second.pin)),
                "{shown}"
            );
            assert!(
                shown.contains("delete the line \"device.lan:443 "),
                "{shown}"
            );
            assert!(shown.contains("known_hosts"), "{shown}");
        }
        assert_eq!(store.entries().unwrap().len(), 1);
    }
}

#[test]
fn entries_are_keyed_by_host_and_port() {
    for (_, provider) in providers() {
        let dir = tempfile::tempdir().unwrap();
        let store = store_in(dir.path());
        let a = self_signed_with(KeyType::Ed25519, leaf_params(&["device.lan"]));
        let b = self_signed_with(KeyType::Ed25519, leaf_params(&["device.lan"]));
        connect(
            store.verifier(provider.clone(), 443).unwrap(),
            &provider,
            &a,
            "device.lan",
        )
        .negotiated();
        connect(
            store.verifier(provider.clone(), 8443).unwrap(),
            &provider,
            &b,
            "device.lan",
        )
        .negotiated();
        let pins: Vec<(u16, Pin)> = store
            .entries()
            .unwrap()
            .iter()
            .map(|e| (e.port, e.pin))
            .collect();
        assert_eq!(pins, vec![(443, a.pin), (8443, b.pin)]);
        let outcome = connect(
            store.verifier(provider.clone(), 8443).unwrap(),
            &provider,
            &a,
            "device.lan",
        );
        assert!(KnownHostMismatch::from_rustls(outcome.client_error()).is_some());
    }
}

#[test]
fn validity_is_checked_and_nothing_is_recorded_for_an_expired_certificate() {
    for (_, provider) in providers() {
        let dir = tempfile::tempdir().unwrap();
        let store = store_in(dir.path());
        let mut params = leaf_params(&["device.lan"]);
        params.not_after = rcgen::date_time_ymd(2025, 1, 1);
        let expired = self_signed_with(KeyType::EcdsaP256, params);
        let outcome = connect(
            store.verifier(provider.clone(), 443).unwrap(),
            &provider,
            &expired,
            "device.lan",
        );
        assert!(
            matches!(
                outcome.client_error(),
                rustls::Error::InvalidCertificate(CertificateError::ExpiredContext { .. })
            ),
            "{:?}",
            outcome.client
        );
        assert!(store.entries().unwrap().is_empty());
    }
}

#[test]
fn a_host_first_seen_through_webpki_cannot_be_taken_over_by_a_self_signed_certificate() {
    for (name, provider) in providers() {
        let dir = tempfile::tempdir().unwrap();
        let store = store_in(dir.path());
        let ca = TestCa::new(KeyType::EcdsaP256, "tofu CA");
        let real = ca.issue(KeyType::EcdsaP256, &["api.example.com"]);
        let renewed = ca.issue(KeyType::EcdsaP256, &["api.example.com"]);
        let impostor = self_signed_with(KeyType::EcdsaP256, leaf_params(&["api.example.com"]));
        let verifier = || {
            store
                .verifier_with_roots(provider.clone(), 443, roots_of(&[&ca.cert]))
                .unwrap()
        };

        connect(verifier(), &provider, &real, "api.example.com").negotiated();
        let entry = store.get("api.example.com", 443).unwrap().unwrap();
        assert_eq!((entry.pin, entry.trust), (real.pin, Trust::WebPki));

        let outcome = connect(verifier(), &provider, &impostor, "api.example.com");
        let error = outcome.client_error();
        assert!(
            KnownHostMismatch::from_rustls(error).is_some(),
            "{name}: {error:?}"
        );
        assert!(error.to_string().contains("cannot replace it"), "{error}");

        // A renewed certificate that is valid for WebPKI is accepted; the record stays.
        connect(verifier(), &provider, &renewed, "api.example.com").negotiated();
        assert_eq!(
            store.get("api.example.com", 443).unwrap().unwrap().pin,
            real.pin
        );

        // A self-signed device is still trusted on first use.
        let device = self_signed_with(KeyType::EcdsaP256, leaf_params(&["device.lan"]));
        connect(verifier(), &provider, &device, "device.lan").negotiated();
        assert_eq!(
            store.get("device.lan", 443).unwrap().unwrap().trust,
            Trust::FirstUse
        );
    }
}

/// TLS 1.3 resumption skips certificate verification. After the pin changes, a new verifier (so
/// a new rustls config) must refuse the old key even with the old session cache in hand.
#[test]
fn a_resumed_session_cannot_bypass_a_new_pin() {
    for (name, provider) in providers() {
        let dir = tempfile::tempdir().unwrap();
        let store = store_in(dir.path());
        let old_key = self_signed_with(KeyType::EcdsaP256, leaf_params(&["device.lan"]));
        let new_key = self_signed_with(KeyType::EcdsaP256, leaf_params(&["device.lan"]));
        let (server, _) = ServerSetup::new(&provider, &old_key).build();
        let run = |client: &rustls::ClientConfig| {
            handshake(
                client.clone(),
                (server.clone(), SchemeLog::default()),
                "device.lan",
            )
        };

        let old_client = client_config(
            &provider,
            TLS13,
            store.verifier(provider.clone(), 443).unwrap(),
        );
        assert!(!run(&old_client).negotiated().resumed, "{name}");
        assert!(
            run(&old_client).negotiated().resumed,
            "{name}: the harness must resume"
        );

        // The user learns out of band that the device's key is now `new_key`.
        assert!(store.forget("device.lan", 443).unwrap());
        store
            .add(KnownHost {
                host: "device.lan".into(),
                port: 443,
                pin: new_key.pin,
                trust: Trust::FirstUse,
                first_seen: test_time(),
            })
            .unwrap();

        let mut new_client = client_config(
            &provider,
            TLS13,
            store.verifier(provider.clone(), 443).unwrap(),
        );
        new_client.resumption = old_client.resumption.clone();
        let outcome = run(&new_client);
        let mismatch = KnownHostMismatch::from_rustls(outcome.client_error())
            .unwrap_or_else(|| panic!("{name}: resumed past the new pin: {:?}", outcome.client));
        assert_eq!(
            (mismatch.stored().pin, mismatch.presented()),
            (new_key.pin, old_key.pin)
        );
    }
}

#[test]
fn the_file_is_human_readable() {
    let (_, provider) = providers().remove(0);
    let dir = tempfile::tempdir().unwrap();
    let store = store_in(dir.path());
    let cert = self_signed_with(KeyType::Ed25519, leaf_params(&["::1"]));
    let verifier = store.verifier(provider.clone(), 8443).unwrap();
    handshake(
        client_config(&provider, TLS13, verifier),
        ServerSetup::new(&provider, &cert).build(),
        "::1",
    )
    .negotiated();
    let text = std::fs::read_to_string(store.path()).unwrap();
    assert!(text.starts_with("# tlspin known hosts"), "{text}");
    let line = format!("[::1]:8443 {} tofu 2026-01-01T00:00:00Z\n", cert.pin);
    assert!(text.ends_with(&line), "{text}");
}

#[test]
fn a_corrupt_store_is_an_error_and_is_left_alone() {
    let (_, provider) = providers().remove(0);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("known_hosts");
    let pin = Pin::from_sha256([1; 32]);
    let corrupt =
        format!("# comment\na.lan:443 {pin} tofu 2026-01-01T00:00:00Z\nb.lan:443 {pin} tofu\n");
    std::fs::write(&path, &corrupt).unwrap();
    let err = KnownHosts::open(&path).unwrap_err();
    assert!(
        matches!(err, tlspin::Error::KnownHostsCorrupt { line: 3, .. }),
        "{err}"
    );
    assert!(err.to_string().contains("expected 4 fields"), "{err}");

    let duplicate = format!(
        "a.lan:443 {pin} tofu 2026-01-01T00:00:00Z\nA.lan:443 {pin} tofu 2026-01-01T00:00:00Z\n"
    );
    std::fs::write(&path, &duplicate).unwrap();
    let err = KnownHosts::open(&path).unwrap_err();
    assert!(
        err.to_string()
            .contains("a.lan:443 is listed again (first on line 1)"),
        "{err}"
    );

    // Corrupted after opening: the verifier fails closed and the file is untouched.
    std::fs::write(
        &path,
        format!("a.lan:443 {pin} tofu 2026-01-01T00:00:00Z\n"),
    )
    .unwrap();
    let store = KnownHosts::open(&path).unwrap();
    let verifier = store.verifier(provider.clone(), 443).unwrap();
    std::fs::write(&path, &corrupt).unwrap();
    let cert = self_signed_with(KeyType::EcdsaP256, leaf_params(&["c.lan"]));
    let outcome = connect(verifier, &provider, &cert, "c.lan");
    match outcome.client_error() {
        rustls::Error::InvalidCertificate(CertificateError::Other(other)) => assert!(
            matches!(
                other.0.downcast_ref::<tlspin::Error>(),
                Some(tlspin::Error::KnownHostsCorrupt { line: 3, .. })
            ),
            "{other:?}"
        ),
        other => panic!("expected the store's error, got {other:?}"),
    }
    assert_eq!(std::fs::read_to_string(&path).unwrap(), corrupt);
}

fn entry(i: usize) -> KnownHost {
    KnownHost {
        host: format!("host{i}.lan"),
        port: 443,
        pin: Pin::from_spki_der(&i.to_be_bytes()),
        trust: Trust::FirstUse,
        first_seen: UnixTime::since_unix_epoch(Duration::from_secs(1_767_225_600)),
    }
}

#[test]
fn hosts_must_be_names_or_addresses() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_in(dir.path());
    for host in ["", ".", "a b", "bad_host!"] {
        let err = store
            .add(KnownHost {
                host: host.into(),
                ..entry(1)
            })
            .unwrap_err();
        assert!(
            matches!(err, tlspin::Error::InvalidKnownHost { .. }),
            "{host:?}: {err}"
        );
    }
    let stored = store
        .add(KnownHost {
            host: "0:0::1".into(),
            ..entry(1)
        })
        .unwrap();
    assert_eq!(stored.address(), "[::1]:443");
    assert!(store.entries().unwrap().len() == 1);
}

#[test]
fn threads_sharing_a_store_lose_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_in(dir.path());
    std::thread::scope(|scope| {
        for t in 0..8 {
            let store = store.clone();
            scope.spawn(move || {
                for i in 0..10 {
                    store.add(entry(t * 100 + i)).unwrap();
                }
            });
        }
    });
    assert_eq!(store.entries().unwrap().len(), 80);
}

/// Not a test: the writer process that the tests below spawn (and kill). It adds entries
/// `TLSPIN_CHILD_FROM..+TLSPIN_CHILD_COUNT` to the store at `TLSPIN_CHILD_STORE`, printing
/// "committed N" after each write returns.
#[test]
#[ignore = "child process of the known-hosts crash and concurrency tests"]
fn known_hosts_writer_child() {
    let var = |name: &str| std::env::var(name).unwrap_or_else(|_| panic!("{name} not set"));
    let store = KnownHosts::open(var("TLSPIN_CHILD_STORE")).unwrap();
    let from: usize = var("TLSPIN_CHILD_FROM").parse().unwrap();
    let count: usize = var("TLSPIN_CHILD_COUNT").parse().unwrap();
    for i in from..from + count {
        store.add(entry(i)).unwrap();
        println!("committed {i}");
    }
}

fn spawn_writer(store: &Path, from: usize, count: usize) -> Child {
    Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "known_hosts_writer_child",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("TLSPIN_CHILD_STORE", store)
        .env("TLSPIN_CHILD_FROM", from.to_string())
        .env("TLSPIN_CHILD_COUNT", count.to_string())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

fn committed(child: &mut Child) -> std::thread::JoinHandle<BTreeSet<usize>> {
    let stdout = child.stdout.take().unwrap();
    std::thread::spawn(move || {
        BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
            .filter_map(|line| line.strip_prefix("committed ").and_then(|n| n.parse().ok()))
            .collect()
    })
}

#[test]
fn concurrent_processes_lose_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("known_hosts");
    let mut children: Vec<Child> = (0..4).map(|p| spawn_writer(&path, p * 1000, 25)).collect();
    for child in &mut children {
        assert!(child.wait().unwrap().success());
    }
    let hosts: BTreeSet<String> = KnownHosts::open(&path)
        .unwrap()
        .entries()
        .unwrap()
        .into_iter()
        .map(|e| e.host)
        .collect();
    assert_eq!(hosts.len(), 100);
    assert!(hosts.contains("host3024.lan"));
}

/// Kill a writer at a varying moment, over and over: the store always parses and keeps every
/// entry whose write had returned.
#[test]
fn a_writer_killed_mid_write_never_corrupts_or_loses_committed_entries() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("known_hosts");
    let mut all_committed = BTreeSet::new();
    let mut killed_mid_run = 0;
    for round in 0..30 {
        let mut child = spawn_writer(&path, round * 1000, 500);
        let reader = committed(&mut child);
        // A different moment each round: 1 to 40 ms.
        let jitter = 1
            + (std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .subsec_nanos() as u64
                + round as u64 * 7)
                % 40;
        std::thread::sleep(Duration::from_millis(jitter));
        let _ = child.kill();
        let status = child.wait().unwrap();
        if !status.success() {
            killed_mid_run += 1;
        }
        all_committed.extend(reader.join().unwrap());

        let entries = KnownHosts::open(&path)
            .and_then(|store| store.entries())
            .unwrap_or_else(|e| panic!("round {round}: store unreadable after kill: {e}"));
        let stored: BTreeSet<String> = entries.into_iter().map(|e| e.host).collect();
        for i in &all_committed {
            assert!(
                stored.contains(&format!("host{i}.lan")),
                "round {round}: lost committed entry {i}"
            );
        }
    }
    assert!(
        killed_mid_run >= 20,
        "only {killed_mid_run} of 30 writers were killed mid-run"
    );
    assert!(!all_committed.is_empty(), "no writer committed anything");
}

/// A server that presents the real server's certificate without its private key fails the
/// handshake and records nothing; the real server is then trusted on first use as if the
/// impostor had never answered. Both TLS versions, a reused verifier and a fresh one.
#[test]
fn a_server_without_the_key_records_nothing() {
    for (name, provider) in providers() {
        for (version_name, version) in VERSIONS {
            let context = format!("{name} {version_name}");
            let dir = tempfile::tempdir().unwrap();
            let store = store_in(dir.path());
            let real = self_signed_with(KeyType::EcdsaP256, leaf_params(&["device.lan"]));
            let thief = self_signed_with(KeyType::EcdsaP256, leaf_params(&["device.lan"]));
            let verifier = store.verifier(provider.clone(), 443).unwrap();

            let outcome = handshake(
                client_config(&provider, version, verifier.clone()),
                impostor(&provider, &real, &thief),
                "device.lan",
            );
            assert_eq!(
                outcome.client_error(),
                &rustls::Error::InvalidCertificate(CertificateError::BadSignature),
                "{context}"
            );
            assert!(store.entries().unwrap().is_empty(), "{context}");
            assert!(!store.path().exists(), "{context}: the store was written");

            // Nor did the verifier remember it: a server with another key is still a first use,
            // and so, on a fresh verifier, is the real one.
            let other = self_signed_with(KeyType::EcdsaP256, leaf_params(&["other.lan"]));
            let outcome = handshake(
                client_config(&provider, version, verifier.clone()),
                impostor(&provider, &other, &thief),
                "other.lan",
            );
            outcome.client_error();
            for verifier in [
                verifier.clone(),
                store.verifier(provider.clone(), 443).unwrap(),
            ] {
                handshake(
                    client_config(&provider, version, verifier),
                    ServerSetup::new(&provider, &real).build(),
                    "device.lan",
                )
                .negotiated();
            }
            let entries = store.entries().unwrap();
            assert_eq!(entries.len(), 1, "{context}");
            assert_eq!(entries[0].pin, real.pin, "{context}");
            assert_eq!(entries[0].host, "device.lan", "{context}");
        }
    }
}

/// A store opened through a symbolic link keeps the link, writes through to the shared file, and
/// shares its lock with the store opened by the real path; a rewrite keeps comments, blank lines
/// and the file's mode.
#[cfg(unix)]
#[test]
fn a_store_behind_a_link_stays_one_store_with_its_comments_and_mode() {
    use std::os::unix::fs::{symlink, PermissionsExt};

    let dir = tempfile::tempdir().unwrap();
    let shared = dir.path().join("shared");
    std::fs::create_dir(&shared).unwrap();
    let real = shared.join("known_hosts");
    let first = entry(1).to_string();
    let text = format!("# devices in the lab, checked by Ana\n\n{first}  # the NAS\n# end\n");
    std::fs::write(&real, &text).unwrap();
    std::fs::set_permissions(&real, std::fs::Permissions::from_mode(0o600)).unwrap();
    let link = dir.path().join("known_hosts");
    symlink(&real, &link).unwrap();

    let through_link = KnownHosts::open(&link).unwrap();
    let direct = KnownHosts::open(&real).unwrap();
    assert_eq!(through_link.path(), direct.path());
    through_link.add(entry(2)).unwrap();
    direct.add(entry(3)).unwrap();

    assert!(std::fs::symlink_metadata(&link)
        .unwrap()
        .file_type()
        .is_symlink());
    let after = std::fs::read_to_string(&real).unwrap();
    assert_eq!(
        after,
        format!("{text}{}\n{}\n", entry(2), entry(3)),
        "comments, blank lines and the first entry's own comment are kept"
    );
    let mode = std::fs::metadata(&real).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    assert!(!shared.join("known_hosts.tmp").exists());
    assert!(
        !dir.path().join("known_hosts.lock").exists(),
        "lock beside the link"
    );
    assert!(
        shared.join("known_hosts.lock").exists(),
        "lock beside the real file"
    );

    // Forgetting drops exactly that entry's line.
    assert!(through_link.forget("HOST1.LAN.", 443).unwrap());
    let after = std::fs::read_to_string(&real).unwrap();
    assert_eq!(
        after,
        format!(
            "# devices in the lab, checked by Ana\n\n# end\n{}\n{}\n",
            entry(2),
            entry(3)
        )
    );
    assert_eq!(
        std::fs::metadata(&real).unwrap().permissions().mode() & 0o777,
        0o600
    );

    // A link to a store that does not exist yet creates the store at the link's target.
    let dangling = dir.path().join("dangling");
    let target = shared.join("later");
    symlink(&target, &dangling).unwrap();
    KnownHosts::open(&dangling).unwrap().add(entry(4)).unwrap();
    assert!(std::fs::symlink_metadata(&dangling)
        .unwrap()
        .file_type()
        .is_symlink());
    assert_eq!(
        KnownHosts::open(&target).unwrap().entries().unwrap(),
        [entry(4)]
    );
}

/// `get` and `forget` take any spelling of a host, as `add` does; an invalid one is an error,
/// never a silent miss.
#[test]
fn get_and_forget_take_any_spelling_of_a_host() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_in(dir.path());
    for host in ["Device.LAN.", "2001:DB8:0:0::7", "::ffff:192.0.2.7"] {
        store
            .add(KnownHost {
                host: host.into(),
                ..entry(1)
            })
            .unwrap();
    }
    for (spelling, stored) in [
        ("device.lan", "device.lan"),
        ("DEVICE.lan.", "device.lan"),
        ("[2001:db8::7]", "2001:db8::7"),
        ("2001:0db8::0007", "2001:db8::7"),
        ("192.0.2.7", "192.0.2.7"),
        ("::FFFF:C000:207", "192.0.2.7"),
    ] {
        let found = store.get(spelling, 443).unwrap();
        assert_eq!(found.map(|e| e.host), Some(stored.to_owned()), "{spelling}");
    }
    assert!(store.forget("DEVICE.LAN.", 443).unwrap());
    assert!(store.forget("2001:0DB8::7", 443).unwrap());
    assert!(store.forget("::ffff:192.0.2.7", 443).unwrap());
    assert!(store.entries().unwrap().is_empty());
    for bad in ["bad host!", "127.1", "a..lan"] {
        for result in [
            store.get(bad, 443).map(|_| ()),
            store.forget(bad, 443).map(|_| ()),
        ] {
            let err = result.unwrap_err();
            assert!(
                matches!(err, tlspin::Error::InvalidKnownHost { .. }),
                "{bad}: {err}"
            );
            assert!(err.to_string().contains(&format!("{bad:?}")), "{err}");
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Adversarial review, round 2: TOFU recorded nothing, silently, when a TofuVerifier was composed with another verifier.
//
// On 65dfc78 the record waited in one thread-local slot that the next tlspin verifier's
// `verify_server_cert` emptied, so an "all of these must pass" wrapper (TofuVerifier, then a
// HostPinnedVerifier, signatures by the TofuVerifier) never recorded a first use: every later
// connection was again a "first use". Each verifier now waits separately. (A wrapper that checks
// signatures without the TofuVerifier cannot get a record: the TofuVerifier never sees the proof.
// Its documentation says to delegate the signature methods, and tlspin logs a warning when it
// drops such a record.)
// ---------------------------------------------------------------------------------------------

/// Certificates: the TofuVerifier AND a HostPinnedVerifier (plain WebPKI for this host).
/// Signatures: the TofuVerifier, as its documentation asks.
#[derive(Debug)]
struct BothMustPass {
    tofu: Arc<TofuVerifier>,
    webpki: Arc<tlspin::host_pins::HostPinnedVerifier>,
}

impl ServerCertVerifier for BothMustPass {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let verified =
            self.tofu
                .verify_server_cert(end_entity, intermediates, server_name, ocsp, now)?;
        self.webpki
            .verify_server_cert(end_entity, intermediates, server_name, ocsp, now)?;
        Ok(verified)
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.tofu.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.tofu.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.tofu.supported_verify_schemes()
    }
}

/// Promise (`TofuVerifier` rustdoc, README "Trust on first use"): "the first connection to a
/// `host:port` records the server's key in a KnownHosts file; later connections must present the
/// same key", also through a wrapper that delegates the signature methods to it.
#[test]
fn tofu_composed_with_another_verifier_still_records_the_first_key() {
    for (name, provider) in providers() {
        for (version_name, version) in VERSIONS {
            let context = format!("{name} {version_name}");
            let dir = tempfile::tempdir().unwrap();
            let store = KnownHosts::open(dir.path().join("known_hosts")).unwrap();
            let composed = Arc::new(BothMustPass {
                tofu: store.verifier(provider.clone(), 443).unwrap(),
                webpki: tlspin::host_pins::HostPinnedVerifier::builder(
                    test_roots(),
                    provider.clone(),
                )
                .build()
                .unwrap(),
            });
            // Two WebPKI-valid `localhost` servers with different keys.
            let real = server_cert(KeyType::EcdsaP256);
            let other = test_ca().issue(KeyType::EcdsaP256, &["localhost"]);

            handshake(
                client_config(&provider, version, composed.clone()),
                ServerSetup::new(&provider, &real).build(),
                "localhost",
            )
            .negotiated();
            let recorded = store.entries().unwrap();
            assert_eq!(recorded.len(), 1, "{context}: {recorded:?}");
            assert_eq!(recorded[0].pin, real.pin, "{context}");
            let second = handshake(
                client_config(&provider, version, composed.clone()),
                ServerSetup::new(&provider, &other).build(),
                "localhost",
            );
            let error = second.client_error();
            assert!(
                KnownHostMismatch::from_rustls(error).is_some(),
                "{context}: {error:?}"
            );
        }
    }
}
