//! FIPS (feature `fips`): verifiers report `fips() == true` only when the provider's signature
//! algorithms are FIPS and the pin digests run in the FIPS module; *ring* is never FIPS.
#![cfg(feature = "fips")]

mod common;

use std::sync::Arc;

use common::*;

#[test]
fn verifiers_report_fips_only_for_the_fips_provider() {
    let fips = Arc::new(rustls::crypto::default_fips_provider());
    assert!(fips.fips(), "rustls' FIPS provider reports FIPS");
    let pin = server_cert(KeyType::EcdsaP256).pin;

    let pinned = tlspin::PinnedServerVerifier::builder(fips.clone())
        .pin(pin)
        .build()
        .unwrap();
    assert!(pinned.fips());
    let config = tlspin::pinned_client_config(fips.clone(), [pin]).unwrap();
    assert!(config.fips(), "the config rustls reports on");
    assert!(tlspin::danger::AcceptAnyServerCert::new(fips.clone())
        .unwrap()
        .fips());
    assert!(
        tlspin::PinnedWebPkiVerifier::builder(test_roots(), fips.clone())
            .pin(pin)
            .build()
            .unwrap()
            .fips()
    );
    assert!(tlspin::PinnedClientVerifier::builder(fips.clone())
        .pin(pin)
        .build()
        .unwrap()
        .fips());

    // A real handshake through the FIPS verifier, both TLS versions.
    for (_, version) in VERSIONS {
        handshake(
            client_config(&fips, version, pinned.clone()),
            ServerSetup::new(&fips, &server_cert(KeyType::EcdsaP256)).build(),
            "localhost",
        )
        .negotiated();
    }

    #[cfg(feature = "ring")]
    {
        let ring = Arc::new(rustls::crypto::ring::default_provider());
        let verifier = tlspin::PinnedServerVerifier::builder(ring)
            .pin(pin)
            .build()
            .unwrap();
        assert!(!verifier.fips(), "ring is not a FIPS module");
    }
}
