//! Side effects that wait for the handshake signature: a custom policy's
//! `after_handshake_signature` runs only for servers that proved they hold the key, and a
//! trust-on-first-use record dropped unrun (a wrapper that checks signatures itself) is logged,
//! never silent.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use common::*;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, SignatureScheme};
use tlspin::policy::{after_handshake_signature, PeerChain, ServerCertPolicy};
use tlspin::{policy::ServerVerifier, tofu::KnownHosts, tofu::TofuVerifier, Pin};

/// Accepts one pinned leaf key and counts the servers that proved they hold it.
#[derive(Debug)]
struct CountingPin {
    pin: Pin,
    proven: Arc<AtomicUsize>,
}

impl ServerCertPolicy for CountingPin {
    fn check_server_cert(
        &self,
        chain: PeerChain<'_>,
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<(), rustls::Error> {
        let presented =
            Pin::from_cert_der(chain.end_entity).map_err(|_| CertificateError::BadEncoding)?;
        if presented != self.pin {
            return Err(CertificateError::UnknownIssuer.into());
        }
        let proven = self.proven.clone();
        after_handshake_signature("a count of proven servers", move || {
            proven.fetch_add(1, Ordering::Relaxed);
            Ok(())
        });
        Ok(())
    }
}

#[test]
fn a_custom_policy_effect_runs_only_for_servers_that_prove_the_key() {
    for (name, provider) in providers() {
        for (version_name, version) in VERSIONS {
            let context = format!("{name} {version_name}");
            let real = self_signed_with(KeyType::EcdsaP256, leaf_params(&["device.lan"]));
            let thief = self_signed_with(KeyType::EcdsaP256, leaf_params(&["device.lan"]));
            let proven = Arc::new(AtomicUsize::new(0));
            let policy = CountingPin {
                pin: real.pin,
                proven: proven.clone(),
            };
            let verifier = Arc::new(ServerVerifier::with_policy(&provider, policy).unwrap());
            let connect = |server| {
                handshake(
                    client_config(&provider, version, verifier.clone()),
                    server,
                    "device.lan",
                )
            };
            // The real certificate without its key: accepted by the policy, refused by the
            // signature check, and not counted.
            let outcome = connect(impostor(&provider, &real, &thief));
            assert_eq!(
                outcome.client_error(),
                &rustls::Error::InvalidCertificate(CertificateError::BadSignature),
                "{context}"
            );
            assert_eq!(proven.load(Ordering::Relaxed), 0, "{context}");
            connect(ServerSetup::new(&provider, &real).build()).negotiated();
            connect(ServerSetup::new(&provider, &real).build()).negotiated();
            assert_eq!(proven.load(Ordering::Relaxed), 2, "{context}");
        }
    }
}

/// Warnings logged by tlspin in this test binary.
fn warnings() -> &'static Mutex<Vec<String>> {
    static WARNINGS: OnceLock<Mutex<Vec<String>>> = OnceLock::new();
    WARNINGS.get_or_init(Default::default)
}

struct Capture;

/// Sends this binary's log records to [`warnings`] (once, whichever test asks first).
fn capture_warnings() {
    static INSTALLED: OnceLock<()> = OnceLock::new();
    INSTALLED.get_or_init(|| {
        log::set_logger(&Capture).unwrap();
        log::set_max_level(log::LevelFilter::Warn);
    });
}

impl log::Log for Capture {
    fn enabled(&self, metadata: &log::Metadata<'_>) -> bool {
        metadata.level() <= log::Level::Warn
    }

    fn log(&self, record: &log::Record<'_>) {
        if self.enabled(record.metadata()) {
            warnings().lock().unwrap().push(record.args().to_string());
        }
    }

    fn flush(&self) {}
}

/// Asks a `TofuVerifier` about certificates but checks signatures with rustls' own functions:
/// the misuse the `TofuVerifier` documentation warns about.
#[derive(Debug)]
struct SignaturesElsewhere {
    tofu: Arc<TofuVerifier>,
    provider: Arc<CryptoProvider>,
}

impl ServerCertVerifier for SignaturesElsewhere {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        self.tofu
            .verify_server_cert(end_entity, intermediates, server_name, ocsp, now)
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        let algorithms = &self.provider.signature_verification_algorithms;
        rustls::crypto::verify_tls12_signature(message, cert, dss, algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        let algorithms = &self.provider.signature_verification_algorithms;
        rustls::crypto::verify_tls13_signature(message, cert, dss, algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.tofu.supported_verify_schemes()
    }
}

/// Such a wrapper cannot get a first use recorded (the `TofuVerifier` never sees the proof);
/// the record it drops is named in a warning at the verifier's next check on the thread.
#[test]
fn a_first_use_record_dropped_unrun_is_logged() {
    capture_warnings();
    for (name, provider) in providers() {
        for (version_name, version) in VERSIONS {
            let context = format!("{name} {version_name}");
            let dir = tempfile::tempdir().unwrap();
            let store = KnownHosts::open(dir.path().join("known_hosts")).unwrap();
            let wrapper = Arc::new(SignaturesElsewhere {
                tofu: store.verifier(provider.clone(), 443).unwrap(),
                provider: provider.clone(),
            });
            let host = format!("{}-{}.lan", name, version_name.replace('.', "-"))
                .to_ascii_lowercase()
                .replace(' ', "-");
            let cert = self_signed_with(KeyType::EcdsaP256, leaf_params(&[host.as_str()]));
            for _ in 0..2 {
                handshake(
                    client_config(&provider, version, wrapper.clone()),
                    ServerSetup::new(&provider, &cert).build(),
                    &host,
                )
                .negotiated();
            }
            assert!(store.entries().unwrap().is_empty(), "{context}");
            let logged = warnings().lock().unwrap().clone();
            let named = logged
                .iter()
                .filter(|w| w.contains(&format!("record \"{host}:443 {}", cert.pin)))
                .collect::<Vec<_>>();
            assert_eq!(named.len(), 1, "{context}: {logged:#?}");
            assert!(
                named[0].contains("delegate verify_tls12_signature"),
                "{}",
                named[0]
            );
        }
    }
}

/// Registers an effect, then asks another tlspin verifier about the same certificate (as a
/// policy combining verifiers would): the inner check must not swallow the outer effect.
#[derive(Debug)]
struct AlsoAsks {
    inner: Arc<dyn ServerCertVerifier>,
    proven: Arc<AtomicUsize>,
}

impl ServerCertPolicy for AlsoAsks {
    fn check_server_cert(
        &self,
        chain: PeerChain<'_>,
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<(), rustls::Error> {
        let proven = self.proven.clone();
        after_handshake_signature("a count of proven servers", move || {
            proven.fetch_add(1, Ordering::Relaxed);
            Ok(())
        });
        self.inner
            .verify_server_cert(
                chain.end_entity,
                chain.intermediates,
                server_name,
                ocsp_response,
                now,
            )
            .map(|_| ())
    }
}

#[test]
fn an_effect_survives_a_nested_verifier_check() {
    for (name, provider) in providers() {
        for (version_name, version) in VERSIONS {
            let real = self_signed_with(KeyType::EcdsaP256, leaf_params(&["device.lan"]));
            let proven = Arc::new(AtomicUsize::new(0));
            let inner = tlspin::PinnedServerVerifier::builder(provider.clone())
                .pin(real.pin)
                .build()
                .unwrap();
            let policy = AlsoAsks {
                inner,
                proven: proven.clone(),
            };
            let verifier = Arc::new(ServerVerifier::with_policy(&provider, policy).unwrap());
            handshake(
                client_config(&provider, version, verifier),
                ServerSetup::new(&provider, &real).build(),
                "device.lan",
            )
            .negotiated();
            assert_eq!(proven.load(Ordering::Relaxed), 1, "{name} {version_name}");
        }
    }
}

#[test]
fn an_effect_registered_outside_a_check_is_dropped_and_logged() {
    capture_warnings();
    let ran = Arc::new(AtomicUsize::new(0));
    let count = ran.clone();
    after_handshake_signature("the stray effect of this test", move || {
        count.fetch_add(1, Ordering::Relaxed);
        Ok(())
    });
    assert_eq!(ran.load(Ordering::Relaxed), 0);
    let logged = warnings().lock().unwrap().clone();
    assert!(
        logged
            .iter()
            .any(|w| w.contains("the stray effect of this test was dropped")),
        "{logged:#?}"
    );
}
