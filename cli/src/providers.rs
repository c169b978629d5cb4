//! The rustls providers the tool reports on, and the client config it connects with.

use std::sync::Arc;

use rustls::client::WantsClientCert;
use rustls::crypto::CryptoProvider;
use rustls::{ClientConfig, ConfigBuilder};
use tlspin::danger::AcceptAnyServerCert;

use crate::exit::Failure;

/// Each rustls provider with its default configuration, by name: what a rustls client built with
/// `builder_with_provider(default_provider())` offers.
pub fn providers() -> Vec<(&'static str, CryptoProvider)> {
    vec![
        ("aws-lc-rs", rustls::crypto::aws_lc_rs::default_provider()),
        ("ring", rustls::crypto::ring::default_provider()),
    ]
}

/// A client config for `provider` (TLS 1.2 and 1.3) that accepts any certificate but still
/// verifies the handshake signature with the provider ([`AcceptAnyServerCert`]): for inspecting a
/// server, never for sending data to it.
pub fn inspecting_config(provider: CryptoProvider) -> Result<Arc<ClientConfig>, Failure> {
    Ok(Arc::new(
        inspecting_builder(provider)?.with_no_client_auth(),
    ))
}

/// [`inspecting_config`] before its client-certificate choice.
pub fn inspecting_builder(
    provider: CryptoProvider,
) -> Result<ConfigBuilder<ClientConfig, WantsClientCert>, Failure> {
    let provider = Arc::new(provider);
    let verifier = AcceptAnyServerCert::new(provider.clone())
        .map_err(|e| Failure::usage(format!("cannot build a verifier: {e}")))?;
    Ok(ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| Failure::usage(format!("cannot build a client config: {e}")))?
        .dangerous()
        .with_custom_certificate_verifier(verifier))
}

/// aws-lc-rs with every cipher suite and group it has (not just its defaults): for the probe's
/// handshakes that stop at the server's certificate or signature, so that as many servers as
/// possible get that far.
pub fn broadest_provider() -> CryptoProvider {
    CryptoProvider {
        cipher_suites: rustls::crypto::aws_lc_rs::ALL_CIPHER_SUITES.to_vec(),
        kx_groups: rustls::crypto::aws_lc_rs::ALL_KX_GROUPS.to_vec(),
        ..rustls::crypto::aws_lc_rs::default_provider()
    }
}
