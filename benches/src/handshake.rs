//! Full handshakes in memory (client and server connections pumping bytes through `Vec`s, no
//! sockets), and the configs they use.

use std::sync::Arc;

use rustls::client::danger::ServerCertVerifier;
use rustls::client::Resumption;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, UnixTime};
use rustls::server::NoServerSessionStorage;
use rustls::time_provider::TimeProvider;
use rustls::{
    ClientConfig, ClientConnection, Connection, ServerConfig, ServerConnection,
    SupportedProtocolVersion,
};

use crate::fixtures::{bench_time, server_name};

/// A fixed clock, so validity checks do not depend on when the benchmark runs.
#[derive(Debug)]
pub struct FixedTime(pub UnixTime);

impl TimeProvider for FixedTime {
    fn current_time(&self) -> Option<UnixTime> {
        Some(self.0)
    }
}

/// A stock rustls server config presenting `chain`, storing no sessions.
///
/// The clients never resume, so the server's session cache would only add work that belongs to
/// resumption: with the default 256-entry cache a TLS 1.3 server encodes, stores and sends two
/// tickets per handshake that the client then discards. rustls' own benchmark configures full
/// handshakes the same way (`NoServerSessionStorage`).
pub fn server_config(
    provider: &Arc<CryptoProvider>,
    version: &'static SupportedProtocolVersion,
    chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
) -> Arc<ServerConfig> {
    let mut config = ServerConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(&[version])
        .expect("version supported")
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .expect("server certificate and key");
    config.session_storage = Arc::new(NoServerSessionStorage {});
    config.time_provider = Arc::new(FixedTime(bench_time()));
    Arc::new(config)
}

/// A client config verifying with `verifier`, at the fixed time, with resumption disabled so
/// that every handshake is a full one (certificate verified).
pub fn client_config(
    provider: &Arc<CryptoProvider>,
    version: &'static SupportedProtocolVersion,
    verifier: Arc<dyn ServerCertVerifier>,
) -> Arc<ClientConfig> {
    let mut config = ClientConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(&[version])
        .expect("version supported")
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth();
    config.resumption = Resumption::disabled();
    config.time_provider = Arc::new(FixedTime(bench_time()));
    Arc::new(config)
}

/// One full handshake in memory, until neither side has anything left to send. Panics if it
/// fails.
pub fn handshake(client: &Arc<ClientConfig>, server: &Arc<ServerConfig>) {
    let mut client = Connection::Client(
        ClientConnection::new(client.clone(), server_name()).expect("client connection"),
    );
    let mut server =
        Connection::Server(ServerConnection::new(server.clone()).expect("server connection"));
    let mut buf = Vec::with_capacity(8192);
    for _ in 0..32 {
        let sent = transfer(&mut client, &mut server, &mut buf);
        server.process_new_packets().expect("server side succeeds");
        let received = transfer(&mut server, &mut client, &mut buf);
        client.process_new_packets().expect("client side succeeds");
        if sent == 0 && received == 0 {
            break;
        }
    }
    assert!(
        !client.is_handshaking() && !server.is_handshaking(),
        "the handshake did not complete"
    );
}

fn transfer(from: &mut Connection, to: &mut Connection, buf: &mut Vec<u8>) -> usize {
    buf.clear();
    while from.wants_write() {
        from.write_tls(buf).expect("write to a Vec");
    }
    let mut rest = &buf[..];
    while !rest.is_empty() {
        to.read_tls(&mut rest).expect("read from a slice");
    }
    buf.len()
}

/// Handshake rows, in table order.
pub const HS_STOCK_CHAIN3: &str = "rustls stock verifier, chain-of-3 server";
/// See [`HS_STOCK_CHAIN3`].
pub const HS_PINNED_CHAIN3: &str = "tlspin pinned (leaf), chain-of-3 server";
/// See [`HS_STOCK_CHAIN3`].
pub const HS_STOCK_SELF_SIGNED: &str = "rustls stock verifier, self-signed as root";
/// See [`HS_STOCK_CHAIN3`].
pub const HS_PINNED_SELF_SIGNED: &str = "tlspin pinned (leaf), self-signed server";
/// The ceiling: a verifier that only checks the handshake signature
/// (`danger::AcceptAnyServerCert`), the least work any verifier can do. No verifier that checks
/// the signature can make a handshake faster than this row.
pub const HS_SIGNATURE_ONLY_CHAIN3: &str =
    "signature only (danger::AcceptAnyServerCert), chain-of-3 server";

/// Item 3: full handshakes with `provider` and `version`, stock verifier against tlspin pinned,
/// against a server sending a chain of 3 and one sending a self-signed certificate.
pub fn handshake_cases(
    provider: &Arc<CryptoProvider>,
    version: &'static SupportedProtocolVersion,
    certs: &crate::fixtures::Certs,
) -> Vec<crate::cases::Case> {
    use crate::cases::{pinned_verifier, stock_verifier, Case};
    let chain3_server = server_config(provider, version, certs.chain3(), certs.leaf.key_der());
    let self_signed_server = server_config(
        provider,
        version,
        vec![certs.self_signed.der.clone()],
        certs.self_signed.key_der(),
    );
    let rows = [
        (
            HS_STOCK_CHAIN3,
            stock_verifier(certs.chain3_roots(), provider),
            &chain3_server,
        ),
        (
            HS_PINNED_CHAIN3,
            pinned_verifier(certs.leaf.pin, provider),
            &chain3_server,
        ),
        (
            HS_SIGNATURE_ONLY_CHAIN3,
            tlspin::danger::AcceptAnyServerCert::new(provider.clone())
                .expect("accept-any verifier builds") as Arc<dyn ServerCertVerifier>,
            &chain3_server,
        ),
        (
            HS_STOCK_SELF_SIGNED,
            stock_verifier(certs.self_signed_roots(), provider),
            &self_signed_server,
        ),
        (
            HS_PINNED_SELF_SIGNED,
            pinned_verifier(certs.self_signed.pin, provider),
            &self_signed_server,
        ),
    ];
    rows.into_iter()
        .map(|(name, verifier, server)| {
            let client = client_config(provider, version, verifier);
            let server = server.clone();
            handshake(&client, &server);
            Case::new(name, move || handshake(&client, &server))
        })
        .collect()
}
