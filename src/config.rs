//! Config-builder helpers that take the verifier's provider from the config itself, so the
//! config and its verifier cannot disagree about which provider they use.

use std::sync::Arc;

use rustls::client::WantsClientCert;
use rustls::crypto::CryptoProvider;
use rustls::server::WantsServerCert;
use rustls::{ClientConfig, ConfigBuilder, ServerConfig, WantsVerifier};

use crate::error::Error;
use crate::pin::Pin;
use crate::pinned::{PinnedClientVerifier, PinnedServerVerifier, PinnedVerifierBuilder};

/// Adds pinned server verification to a rustls [`ClientConfig`] builder, using the builder's own
/// [`CryptoProvider`].
///
/// ```
/// # #[cfg(feature = "aws-lc-rs")] {
/// use std::sync::Arc;
/// use tlspin::{ClientConfigBuilderExt, Pin};
///
/// let pin: Pin = "sha256/ZHE5n8VWNTRIIRGnbwFXtn8dB4aKRJzKXBWnV3+4Jjg=".parse()?;
/// let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
/// let config = rustls::ClientConfig::builder_with_provider(provider)
///     .with_safe_default_protocol_versions()?
///     .with_pinned_server(|pins| pins.pin(pin).check_server_name(true))?
///     .with_no_client_auth();
/// # }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub trait ClientConfigBuilderExt {
    /// Verifies the server with a [`PinnedServerVerifier`] accepting `pins`, with default options.
    fn with_server_pins(
        self,
        pins: impl IntoIterator<Item = Pin>,
    ) -> Result<ConfigBuilder<ClientConfig, WantsClientCert>, Error>;

    /// Verifies the server with a [`PinnedServerVerifier`] that `configure` sets up.
    fn with_pinned_server(
        self,
        configure: impl FnOnce(
            PinnedVerifierBuilder<PinnedServerVerifier>,
        ) -> PinnedVerifierBuilder<PinnedServerVerifier>,
    ) -> Result<ConfigBuilder<ClientConfig, WantsClientCert>, Error>;
}

impl ClientConfigBuilderExt for ConfigBuilder<ClientConfig, WantsVerifier> {
    fn with_server_pins(
        self,
        pins: impl IntoIterator<Item = Pin>,
    ) -> Result<ConfigBuilder<ClientConfig, WantsClientCert>, Error> {
        self.with_pinned_server(|builder| builder.pins(pins))
    }

    fn with_pinned_server(
        self,
        configure: impl FnOnce(
            PinnedVerifierBuilder<PinnedServerVerifier>,
        ) -> PinnedVerifierBuilder<PinnedServerVerifier>,
    ) -> Result<ConfigBuilder<ClientConfig, WantsClientCert>, Error> {
        let provider = Arc::clone(self.crypto_provider());
        let verifier = configure(PinnedServerVerifier::builder(provider)).build()?;
        Ok(self.dangerous().with_custom_certificate_verifier(verifier))
    }
}

/// Adds pinned client-certificate verification (mTLS) to a rustls [`ServerConfig`] builder,
/// using the builder's own [`CryptoProvider`].
///
/// ```
/// # #[cfg(feature = "aws-lc-rs")] {
/// use std::sync::Arc;
/// use tlspin::{Pin, ServerConfigBuilderExt};
/// # let server = rcgen::generate_simple_self_signed(["server.lan".to_string()]).unwrap();
/// # let (cert_chain, key) = (
/// #     vec![server.cert.der().clone()],
/// #     rustls::pki_types::PrivateKeyDer::Pkcs8(server.signing_key.serialize_der().into()),
/// # );
///
/// // The keys of the clients allowed in, and a backup.
/// let sensor: Pin = "sha256/ZHE5n8VWNTRIIRGnbwFXtn8dB4aKRJzKXBWnV3+4Jjg=".parse()?;
/// let backup: Pin = "sha256/47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=".parse()?;
/// let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
/// let config = rustls::ServerConfig::builder_with_provider(provider)
///     .with_safe_default_protocol_versions()?
///     .with_client_pins([sensor, backup])?
///     .with_single_cert(cert_chain, key)?;
/// # }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub trait ServerConfigBuilderExt {
    /// Requires every client to present a certificate whose leaf key matches one of `pins`.
    fn with_client_pins(
        self,
        pins: impl IntoIterator<Item = Pin>,
    ) -> Result<ConfigBuilder<ServerConfig, WantsServerCert>, Error>;

    /// Requires client certificates accepted by a [`PinnedClientVerifier`] that `configure`
    /// sets up.
    fn with_pinned_clients(
        self,
        configure: impl FnOnce(
            PinnedVerifierBuilder<PinnedClientVerifier>,
        ) -> PinnedVerifierBuilder<PinnedClientVerifier>,
    ) -> Result<ConfigBuilder<ServerConfig, WantsServerCert>, Error>;
}

impl ServerConfigBuilderExt for ConfigBuilder<ServerConfig, WantsVerifier> {
    fn with_client_pins(
        self,
        pins: impl IntoIterator<Item = Pin>,
    ) -> Result<ConfigBuilder<ServerConfig, WantsServerCert>, Error> {
        self.with_pinned_clients(|builder| builder.pins(pins))
    }

    fn with_pinned_clients(
        self,
        configure: impl FnOnce(
            PinnedVerifierBuilder<PinnedClientVerifier>,
        ) -> PinnedVerifierBuilder<PinnedClientVerifier>,
    ) -> Result<ConfigBuilder<ServerConfig, WantsServerCert>, Error> {
        let provider = Arc::clone(self.crypto_provider());
        let verifier = configure(PinnedClientVerifier::builder(provider)).build()?;
        Ok(self.with_client_cert_verifier(verifier))
    }
}

/// A complete [`ClientConfig`] that trusts exactly the servers whose leaf key matches one of
/// `pins`: `provider` for everything, its safe default protocol versions, no client certificate.
///
/// ```
/// # #[cfg(feature = "aws-lc-rs")] {
/// use std::sync::Arc;
/// let pin = "sha256/ZHE5n8VWNTRIIRGnbwFXtn8dB4aKRJzKXBWnV3+4Jjg=".parse()?;
/// let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
/// let config = tlspin::pinned_client_config(provider, [pin])?;
/// # }
/// # Ok::<(), tlspin::Error>(())
/// ```
pub fn pinned_client_config(
    provider: Arc<CryptoProvider>,
    pins: impl IntoIterator<Item = Pin>,
) -> Result<ClientConfig, Error> {
    Ok(ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_server_pins(pins)?
        .with_no_client_auth())
}
