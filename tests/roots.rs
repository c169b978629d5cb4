//! Root sources (features `webpki-roots`, `native-roots`): Mozilla's roots refuse a private CA;
//! the system's roots follow `SSL_CERT_FILE`, and a missing, empty or broken bundle is an error
//! naming where it looked, never an empty store.
#![cfg(any(feature = "webpki-roots", feature = "native-roots"))]

mod common;

use common::*;

#[cfg(feature = "webpki-roots")]
#[test]
fn mozilla_roots_refuse_a_private_ca() {
    assert!(tlspin::roots::mozilla().len() > 100);
    for (name, provider) in providers() {
        let leaf = server_cert(KeyType::EcdsaP256);
        let verifier = tlspin::PinnedWebPkiVerifier::builder_with_mozilla_roots(provider.clone())
            .pin(test_ca().cert.pin)
            .build()
            .unwrap();
        let mut server = ServerSetup::new(&provider, &leaf);
        server.identity.chain.push(test_ca().cert.der.clone());
        let outcome = handshake(
            client_config(&provider, &rustls::version::TLS13, verifier),
            server.build(),
            "localhost",
        );
        assert_eq!(
            outcome.client_error(),
            &rustls::Error::InvalidCertificate(rustls::CertificateError::UnknownIssuer),
            "{name}"
        );
    }
}

/// One test, because it changes this process's environment.
#[cfg(feature = "native-roots")]
#[test]
fn native_roots_follow_ssl_cert_file_and_never_come_back_empty() {
    let dir = tempfile::tempdir().unwrap();
    let bundle = dir.path().join("roots.pem");
    std::fs::write(&bundle, &test_ca().cert.pem).unwrap();
    std::env::remove_var("SSL_CERT_DIR");
    std::env::set_var("SSL_CERT_FILE", &bundle);

    let roots = tlspin::roots::native().unwrap();
    assert_eq!(roots.len(), 1);
    for (name, provider) in providers() {
        let leaf = server_cert(KeyType::EcdsaP256);
        let pinned = tlspin::PinnedWebPkiVerifier::builder_with_native_roots(provider.clone())
            .unwrap()
            .pin(test_ca().cert.pin)
            .build()
            .unwrap();
        let unpinned =
            tlspin::host_pins::HostPinnedVerifier::builder_with_native_roots(provider.clone())
                .unwrap()
                .pin_set(
                    tlspin::host_pins::HostPinSet::new(
                        "localhost",
                        [
                            tlspin::Pin::from_sha256([1; 32]),
                            tlspin::Pin::from_sha256([2; 32]),
                        ],
                    )
                    .unwrap(),
                )
                .build()
                .unwrap();
        let connect = |verifier: std::sync::Arc<dyn rustls::client::danger::ServerCertVerifier>| {
            handshake(
                client_config(&provider, &rustls::version::TLS13, verifier),
                ServerSetup::new(&provider, &leaf).build(),
                "localhost",
            )
        };
        connect(pinned).negotiated();
        let outcome = connect(unpinned);
        let error = outcome.client_error();
        assert!(
            tlspin::PinMismatch::from_rustls(error).is_some(),
            "{name}: {error:?}"
        );
    }

    let empty = dir.path().join("empty.pem");
    std::fs::write(&empty, "").unwrap();
    let missing = dir.path().join("missing.pem");
    let broken = dir.path().join("broken.pem");
    std::fs::write(
        &broken,
        "-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n",
    )
    .unwrap();
    for (file, needle) in [
        (&empty, "empty.pem: not PEM"),
        (&missing, "missing.pem: No such file"),
        (&broken, "broken.pem: a section's body is not base64"),
    ] {
        std::env::set_var("SSL_CERT_FILE", file);
        let error = tlspin::roots::native().unwrap_err();
        assert!(
            matches!(error, tlspin::Error::NativeRoots { .. }),
            "{error}"
        );
        let shown = error.to_string();
        assert!(shown.contains(needle), "{shown}");
        assert!(
            shown.contains(&format!("SSL_CERT_FILE={:?}", file.as_os_str())),
            "{shown}"
        );
        assert!(shown.contains("SSL_CERT_DIR unset"), "{shown}");
        let provider = providers()[0].1.clone();
        assert!(tlspin::PinnedWebPkiVerifier::builder_with_native_roots(provider).is_err());
    }
    std::env::remove_var("SSL_CERT_FILE");
}
