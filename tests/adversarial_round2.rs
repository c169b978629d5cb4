//! Adversarial review of issue 15's fixes, round 2 (commit 65dfc78): trust-on-first-use
//! deferral and the known-hosts file handling. Written by an independent reviewer from the code
//! and the README alone; every test asserts the promised behaviour and failed on 65dfc78.
#![cfg(unix)]

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::*;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};
use tlspin::{KnownHost, KnownHosts, TofuVerifier, Trust};

const PIN_A: &str = "sha256/47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=";

fn entry(host: &str) -> KnownHost {
    KnownHost {
        host: host.into(),
        port: 443,
        pin: PIN_A.parse().unwrap(),
        trust: Trust::FirstUse,
        first_seen: UnixTime::since_unix_epoch(Duration::from_secs(1_767_225_600)),
    }
}

// ---------------------------------------------------------------------------------------------
// 1. TOFU recorded nothing, silently, when a TofuVerifier was composed with another verifier.
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
    webpki: Arc<tlspin::HostPinnedVerifier>,
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
                webpki: tlspin::HostPinnedVerifier::builder(test_roots(), provider.clone())
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
                tlspin::KnownHostMismatch::from_rustls(error).is_some(),
                "{context}: {error:?}"
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------
// 2. A rewrite turns a CRLF store into LF: every untouched line changes.
// ---------------------------------------------------------------------------------------------

/// Promise (`KnownHosts` rustdoc): "A change keeps the rest of the file as it was: comments and
/// blank lines a person added, the lines of untouched entries". The store was parsed fine with
/// CRLF line endings (a file edited on Windows or checked out with autocrlf); adding an entry
/// must not rewrite every other line of it.
#[test]
fn a_crlf_store_keeps_its_lines_byte_for_byte_when_an_entry_is_added() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("known_hosts");
    let text = format!(
        "# lab devices, checked by Ana\r\n\r\na.lan:443 {PIN_A} tofu 2026-01-01T00:00:00Z  # NAS\r\n"
    );
    std::fs::write(&path, &text).unwrap();
    let store = KnownHosts::open(&path).unwrap();
    store.add(entry("b.lan")).unwrap();
    let after = std::fs::read_to_string(&path).unwrap();
    assert!(
        after.starts_with(&text),
        "the untouched lines were rewritten:\nbefore {text:?}\nafter  {after:?}"
    );
}

// ---------------------------------------------------------------------------------------------
// 3. A store path that names a directory becomes a regular file.
// ---------------------------------------------------------------------------------------------

/// Promise (`KnownHosts::open`): "The file need not exist yet (it is created by the first
/// change), but its directory must". `dir/known_hosts/` (trailing slash) names a *directory*
/// `known_hosts` that does not exist; the kernel refuses to create a file by that name
/// (`EISDIR`), and so should `open`, instead of silently opening and later creating the regular
/// file `dir/known_hosts`. The same goes for a dangling link whose target ends in `/`.
#[test]
fn a_store_path_naming_a_directory_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let mut wrong = Vec::new();
    let slash = dir.path().join("known_hosts/");
    std::os::unix::fs::symlink("target/", dir.path().join("link")).unwrap();
    let link = dir.path().join("link");
    for path in [slash, link] {
        if let Ok(store) = KnownHosts::open(&path) {
            let added = store.add(entry("a.lan")).is_ok();
            wrong.push(format!(
                "{} opened as {} (add: {added})",
                path.display(),
                store.path().display()
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
