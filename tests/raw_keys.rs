//! Raw public keys (RFC 7250), pinned, over real TLS 1.3 handshakes in both directions.

mod common;

use common::*;
use rustls::client::danger::ServerCertVerifier;
use tlspin::danger::AcceptAnyServerCert;
use tlspin::{
    raw_keys::PinnedRawKeyClientVerifier, raw_keys::PinnedRawKeyServerVerifier, PinMismatch,
};

const TLS13: &rustls::SupportedProtocolVersion = &rustls::version::TLS13;

#[test]
fn client_accepts_a_pinned_raw_key_server() {
    for (name, provider) in providers() {
        for kind in [KeyType::EcdsaP256, KeyType::Ed25519, KeyType::Rsa2048] {
            let cert = server_cert(kind);
            let verifier = PinnedRawKeyServerVerifier::new(provider.clone(), [cert.pin]).unwrap();
            assert!(verifier.requires_raw_public_keys());
            let mut server = ServerSetup::new(&provider, &cert);
            server.versions = vec![TLS13];
            server.identity = Identity::raw_public_key(&cert);
            let outcome = handshake(
                client_config(&provider, TLS13, verifier),
                server.build(),
                "localhost",
            );
            assert!(outcome.negotiated().scheme.is_some(), "{name} {kind:?}");
        }
    }
}

#[test]
fn client_rejects_an_unpinned_raw_key_or_the_pinned_key_without_its_private_key() {
    for (name, provider) in providers() {
        let cert = server_cert(KeyType::EcdsaP256);
        let other = self_signed_with(KeyType::EcdsaP256, leaf_params(&["localhost"]));

        let verifier = PinnedRawKeyServerVerifier::new(provider.clone(), [other.pin]).unwrap();
        let mut server = ServerSetup::new(&provider, &cert);
        server.versions = vec![TLS13];
        server.identity = Identity::raw_public_key(&cert);
        let outcome = handshake(
            client_config(&provider, TLS13, verifier),
            server.build(),
            "localhost",
        );
        let error = outcome.client_error();
        let mismatch =
            PinMismatch::from_rustls(error).unwrap_or_else(|| panic!("{name}: {error:?}"));
        assert_eq!(mismatch.presented(), &[Some(cert.pin)]);
        assert!(
            error.to_string().contains("the server's raw public key"),
            "{error}"
        );

        // The pinned public key, with the handshake signed by another private key, after the
        // genuine server: the verifier now remembers the key, and must still check the signature.
        let verifier = PinnedRawKeyServerVerifier::new(provider.clone(), [cert.pin]).unwrap();
        let raw_key_server = |signer: &TestCert| {
            let mut server = ServerSetup::new(&provider, &cert);
            server.versions = vec![TLS13];
            server.identity = Identity::raw_public_key(&cert);
            server.identity.key = signer.key_der();
            server.build()
        };
        let connect = |signer| {
            handshake(
                client_config(&provider, TLS13, verifier.clone()),
                raw_key_server(signer),
                "localhost",
            )
        };
        connect(&cert).negotiated();
        let outcome = connect(&other);
        assert_eq!(
            outcome.client_error(),
            &rustls::Error::InvalidCertificate(rustls::CertificateError::BadSignature),
            "{name}"
        );
    }
}

#[test]
fn a_client_requiring_raw_keys_fails_against_a_certificate_only_server() {
    for (name, provider) in providers() {
        let cert = server_cert(KeyType::EcdsaP256);
        let verifier = PinnedRawKeyServerVerifier::new(provider.clone(), [cert.pin]).unwrap();
        let mut server = ServerSetup::new(&provider, &cert);
        server.versions = vec![TLS13];
        let outcome = handshake(
            client_config(&provider, TLS13, verifier),
            server.build(),
            "localhost",
        );
        assert!(
            outcome.client.is_err(),
            "{name}: a certificate was accepted as a raw key"
        );
        assert!(
            matches!(outcome.server_error(), rustls::Error::PeerIncompatible(_)),
            "{name}: {:?}",
            outcome.server
        );
    }
}

#[test]
fn server_accepts_a_pinned_raw_key_client_and_rejects_others() {
    for (name, provider) in providers() {
        let client_cert = self_signed_with(KeyType::Ed25519, leaf_params(&["client"]));
        let stranger = self_signed_with(KeyType::Ed25519, leaf_params(&["client"]));
        for (presented, accepted) in [(&client_cert, true), (&stranger, false)] {
            let mut server = ServerSetup::new(&provider, &server_cert(KeyType::EcdsaP256));
            server.versions = vec![TLS13];
            server.client_verifier =
                Some(PinnedRawKeyClientVerifier::new(provider.clone(), [client_cert.pin]).unwrap());
            let (client, _) = client_config_with_identity(
                &provider,
                TLS13,
                AcceptAnyServerCert::new(provider.clone()).unwrap(),
                Some(Identity::raw_public_key(presented)),
            );
            let outcome = handshake(client, server.build(), "localhost");
            if accepted {
                outcome.negotiated();
            } else {
                let mismatch = PinMismatch::from_rustls(outcome.server_error())
                    .unwrap_or_else(|| panic!("{name}: {:?}", outcome.server));
                assert_eq!(mismatch.peer(), tlspin::Peer::Client);
                assert_eq!(mismatch.leaf_pin(), Some(stranger.pin));
            }
        }
    }
}

#[test]
fn tls12_never_completes_in_raw_key_mode() {
    for (name, provider) in providers() {
        let cert = server_cert(KeyType::EcdsaP256);
        let verifier = PinnedRawKeyServerVerifier::new(provider.clone(), [cert.pin]).unwrap();
        let mut server = ServerSetup::new(&provider, &cert);
        server.versions = vec![&rustls::version::TLS12];
        let outcome = handshake(
            client_config(&provider, &rustls::version::TLS12, verifier),
            server.build(),
            "localhost",
        );
        // rustls as a server refuses the raw-key extension in TLS 1.2.
        assert_eq!(
            outcome.client_error(),
            &rustls::Error::AlertReceived(rustls::AlertDescription::HandshakeFailure),
            "{name}"
        );
        assert_eq!(
            outcome.server_error(),
            &rustls::Error::PeerIncompatible(
                rustls::PeerIncompatible::IncorrectCertificateTypeExtension
            ),
            "{name}"
        );
    }
}

#[test]
fn building_without_pins_is_an_error() {
    for (_, provider) in providers() {
        let err = PinnedRawKeyServerVerifier::new(provider.clone(), []).unwrap_err();
        assert!(matches!(err, tlspin::Error::NoPins), "{err}");
        let err = PinnedRawKeyClientVerifier::new(provider, []).unwrap_err();
        assert!(matches!(err, tlspin::Error::NoPins), "{err}");
    }
}
