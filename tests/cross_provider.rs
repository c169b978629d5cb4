//! Invariant 6: a *ring* client against an aws-lc-rs server holding a P-521 certificate.
//! *ring* cannot verify P-521 signatures, so tlspin's ring verifiers do not advertise
//! ECDSA_NISTP521_SHA512 and the handshake fails cleanly; a verifier that advertises
//! aws-lc-rs's list while verifying with *ring* gets `SignedHandshakeWithUnadvertisedSigScheme`.
#![cfg(all(feature = "ring", feature = "aws-lc-rs"))]

mod common;

use std::sync::Arc;

use common::contrast::HandWritten;
use common::*;
use rustls::crypto::{aws_lc_rs, ring};
use rustls::{AlertDescription, PeerIncompatible, PeerMisbehaved, SignatureScheme};

#[test]
fn ring_client_fails_cleanly_against_a_p521_server_and_aws_lc_rs_succeeds() {
    let ring = Arc::new(ring::default_provider());
    let aws = Arc::new(aws_lc_rs::default_provider());
    let cert = server_cert(KeyType::EcdsaP521);
    for (version_name, version) in VERSIONS {
        for (kind, verifier) in tlspin_verifiers(&ring, cert.pin) {
            assert!(!verifier
                .supported_verify_schemes()
                .contains(&SignatureScheme::ECDSA_NISTP521_SHA512));
            let outcome = handshake(
                client_config(&ring, version, verifier),
                ServerSetup::new(&aws, &cert).build(),
                "localhost",
            );
            // rustls as a server alerts in TLS 1.3 and hangs up in TLS 1.2; never PeerMisbehaved.
            let (client, server) = if version == &rustls::version::TLS13 {
                (
                    rustls::Error::AlertReceived(AlertDescription::HandshakeFailure),
                    rustls::Error::PeerIncompatible(PeerIncompatible::NoSignatureSchemesInCommon),
                )
            } else {
                (
                    rustls::Error::General(PEER_HUNG_UP.into()),
                    rustls::Error::General("incompatible signing key".into()),
                )
            };
            assert_eq!(
                outcome.client_error(),
                &client,
                "ring {kind} {version_name}"
            );
            assert_eq!(
                outcome.server_error(),
                &server,
                "ring {kind} {version_name}"
            );
        }
        for (kind, verifier) in tlspin_verifiers(&aws, cert.pin) {
            let outcome = handshake(
                client_config(&aws, version, verifier),
                ServerSetup::new(&aws, &cert).build(),
                "localhost",
            );
            assert_eq!(
                outcome.negotiated().scheme,
                Some(SignatureScheme::ECDSA_NISTP521_SHA512),
                "aws-lc-rs {kind} {version_name}"
            );
        }
    }
}

#[test]
fn advertising_another_providers_list_breaks_the_handshake() {
    let ring = Arc::new(ring::default_provider());
    let aws = Arc::new(aws_lc_rs::default_provider());
    let cert = server_cert(KeyType::EcdsaP521);
    for (version_name, version) in VERSIONS {
        let mismatched = HandWritten {
            advertise: aws.signature_verification_algorithms.supported_schemes(),
            verify_with: Some(ring.signature_verification_algorithms),
        };
        let outcome = handshake(
            client_config(&ring, version, Arc::new(mismatched)),
            ServerSetup::new(&aws, &cert).build(),
            "localhost",
        );
        assert_eq!(
            outcome.client_error(),
            &rustls::Error::PeerMisbehaved(
                PeerMisbehaved::SignedHandshakeWithUnadvertisedSigScheme
            ),
            "{version_name}"
        );
    }
}
