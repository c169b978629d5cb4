//! ureq 3 with a tlspin-verified config, through a custom connector.
//!
//! ureq builds its rustls config itself from a `TlsConfig` that only knows root certificates
//! and `disable_verification`; there is no way to hand it a verifier. Its transport API
//! (`ureq::unversioned::transport`) does let a [`Connector`] wrap the TCP stream in TLS, so
//! [`TlspinConnector`] does exactly that with your `ClientConfig`.
//!
//! Pitfalls:
//! - `TlsConfig::disable_verification(true)` is the wrong tool: its verifier advertises a
//!   hand-written list (ending in Ed448) and checks no handshake signature.
//! - The `unversioned` transport API is outside ureq's semver promise: pin ureq's minor version.
//! - The chain built here has no proxy connector, so the agent is built with `proxy(None)`:
//!   otherwise an `HTTPS_PROXY` variable would make ureq connect to the proxy's address and
//!   run TLS with the *target's* pins against it.
//! - The handshake error is returned as `ureq::Error::Rustls`, so
//!   [`tlspin::PinMismatch::from_rustls`] finds a pin mismatch.

use std::io::{Read, Write};
use std::sync::Arc;
use std::time::Duration;

use rustls::pki_types::ServerName;
use rustls::{ClientConfig, ClientConnection, StreamOwned};
use ureq::unversioned::resolver::DefaultResolver;
use ureq::unversioned::transport::{
    Buffers, ConnectionDetails, Connector, Either, LazyBuffers, NextTimeout, TcpConnector,
    Transport, TransportAdapter,
};
use ureq::Agent;

/// A ureq agent that opens TCP connections and runs TLS over them with `config` (whose
/// verifier is a tlspin one), with a 10 s overall timeout per request and no proxy.
pub fn agent(config: ClientConfig) -> Agent {
    let ureq_config = Agent::config_builder()
        .proxy(None)
        .timeout_global(Some(Duration::from_secs(10)))
        .build();
    let connector = ().chain(TcpConnector::default()).chain(TlspinConnector::new(config));
    Agent::with_parts(ureq_config, connector, DefaultResolver::default())
}

/// A ureq connector that wraps the chained transport in TLS using a given rustls config.
#[derive(Debug, Clone)]
pub struct TlspinConnector {
    config: Arc<ClientConfig>,
}

impl TlspinConnector {
    /// Uses `config` for every `https://` connection.
    pub fn new(config: ClientConfig) -> Self {
        Self {
            config: Arc::new(config),
        }
    }
}

impl<In: Transport> Connector<In> for TlspinConnector {
    type Out = Either<In, TlsTransport>;

    fn connect(
        &self,
        details: &ConnectionDetails,
        chained: Option<In>,
    ) -> Result<Option<Self::Out>, ureq::Error> {
        let Some(transport) = chained else {
            return Ok(None);
        };
        if !details.needs_tls() || transport.is_tls() {
            return Ok(Some(Either::A(transport)));
        }
        let host = details
            .uri
            .host()
            .ok_or(ureq::Error::Tls("the https URI has no host"))?;
        // `http::Uri` keeps the brackets of an IPv6 literal.
        let host = host.trim_start_matches('[').trim_end_matches(']');
        let name = ServerName::try_from(host.to_owned())
            .map_err(|_| ureq::Error::Tls("the URI's host is not a valid TLS server name"))?;
        let mut conn = ClientConnection::new(self.config.clone(), name)?;
        let mut sock = TransportAdapter::new(transport.boxed(), details.current_time.clone());
        sock.set_timeout(details.timeout);
        conn.complete_io(&mut sock).map_err(handshake_error)?;
        Ok(Some(Either::B(TlsTransport {
            buffers: LazyBuffers::new(
                details.config.input_buffer_size(),
                details.config.output_buffer_size(),
            ),
            stream: StreamOwned::new(conn, sock),
        })))
    }
}

/// rustls reports a handshake failure as an `io::Error` wrapping the `rustls::Error`; give it
/// back to the caller as `ureq::Error::Rustls` so the rustls error (and a `PinMismatch` inside
/// it) stays reachable.
fn handshake_error(error: std::io::Error) -> ureq::Error {
    match error
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>())
    {
        Some(rustls) => ureq::Error::Rustls(rustls.clone()),
        None => ureq::Error::Io(error),
    }
}

/// A TLS stream over a chained ureq transport.
pub struct TlsTransport {
    buffers: LazyBuffers,
    stream: StreamOwned<ClientConnection, TransportAdapter>,
}

impl Transport for TlsTransport {
    fn buffers(&mut self) -> &mut dyn Buffers {
        &mut self.buffers
    }

    fn transmit_output(&mut self, amount: usize, timeout: NextTimeout) -> Result<(), ureq::Error> {
        self.stream.sock.set_timeout(timeout);
        let output = self.buffers.output().get(..amount).ok_or(ureq::Error::Tls(
            "ureq asked to send more than its buffer holds",
        ))?;
        self.stream.write_all(output)?;
        Ok(())
    }

    fn await_input(&mut self, timeout: NextTimeout) -> Result<bool, ureq::Error> {
        self.stream.sock.set_timeout(timeout);
        let input = self.buffers.input_append_buf();
        let amount = self.stream.read(input)?;
        self.buffers.input_appended(amount);
        Ok(amount > 0)
    }

    fn is_open(&mut self) -> bool {
        self.stream.sock.get_mut().is_open()
    }

    fn is_tls(&self) -> bool {
        true
    }
}

impl std::fmt::Debug for TlsTransport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsTransport")
            .field("chained", &self.stream.sock.inner())
            .finish_non_exhaustive()
    }
}
