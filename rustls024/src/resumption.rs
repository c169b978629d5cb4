//! Session resumption on the server side, for client (mTLS) verifiers.
//!
//! rustls 0.24 keys a *client's* stored sessions by its server verifier's configuration hash
//! (tlspin's server verifiers hash their pins, see the crate docs), but a *server* resumes any
//! session its session storage or ticketer knows: `ClientVerifier` has no configuration hash.
//! A client whose key is no longer pinned could resume a session made under old pins if a new
//! `ServerConfig` shares the old one's `session_storage` or `ticketer` (rustls'
//! "Sharing resumption storage between `ServerConfig`s"). [`isolate_resumption`] gives a config
//! resumption state of its own.

use rustls::server::ServerSessionMemoryCache;
use rustls::ServerConfig;

/// How many sessions the fresh session storage keeps: rustls' default.
const SESSIONS: usize = 256;

/// Gives `config` resumption state of its own: a fresh in-memory session storage (rustls'
/// default, 256 sessions) in place of whatever it shares, and, if it issues tickets, a fresh
/// ticketer from its provider's `ticketer_factory` (tickets of the old key are not accepted).
/// Call it on every `ServerConfig` built after the client pins (or any client verifier) changed,
/// so that no session verified under the old pins is resumed under the new ones; a client
/// refused by the new pins then gets a full handshake, and is refused. Fails only if the
/// provider cannot make a ticketer.
///
/// ```
/// use std::sync::Arc;
/// use rustls::crypto::Identity;
/// use tlspin_rustls024::{isolate_resumption, PinnedClientVerifier};
/// # let key = rcgen::KeyPair::generate()?;
/// # let cert = rcgen::CertificateParams::new(["localhost".to_string()])?.self_signed(&key)?;
/// # let identity = Arc::new(Identity::from_cert_chain(vec![cert.der().clone()])?);
/// # let key = rustls::pki_types::PrivateKeyDer::try_from(key.serialize_der())?;
///
/// let provider = Arc::new(rustls_aws_lc_rs::DEFAULT_PROVIDER);
/// let pin = "sha256/ZHE5n8VWNTRIIRGnbwFXtn8dB4aKRJzKXBWnV3+4Jjg=".parse()?;
/// let clients = PinnedClientVerifier::new(provider.clone(), [pin])?;
/// # let old = rustls::ServerConfig::builder(provider.clone())
/// #     .with_no_client_auth()
/// #     .with_single_cert(identity.clone(), key.clone_key())?;
/// let mut config = rustls::ServerConfig::builder(provider)
///     .with_client_cert_verifier(clients)
///     .with_single_cert(identity, key)?;
/// config.session_storage = old.session_storage.clone(); // shared: unsafe with new pins
/// let config = isolate_resumption(config)?;
/// assert!(!Arc::ptr_eq(&config.session_storage, &old.session_storage));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn isolate_resumption(mut config: ServerConfig) -> Result<ServerConfig, rustls::Error> {
    config.session_storage = ServerSessionMemoryCache::new(SESSIONS);
    if config.ticketer.is_some() {
        config.ticketer = Some(config.provider().ticketer_factory.ticketer()?);
    }
    Ok(config)
}

#[cfg(test)]
mod tests {
    #[test]
    fn sessions_constant_is_rustls_default() {
        assert_eq!(super::SESSIONS, 256);
    }
}
