//! tlspin inside each client of issue #5, against a local server with a self-signed
//! certificate: the pinned request returns the server's body, and a wrong pin fails with a
//! `PinMismatch` naming the key the server presented.

mod common;

use std::convert::Infallible;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;

use bytes::Bytes;
use common::*;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Request, Response};
use hyper_util::rt::{TokioExecutor, TokioIo};
use rustls::crypto::CryptoProvider;
use rustls::ServerConfig;
use tlspin::ServerConfigBuilderExt;
use tlspin::{Pin, PinMismatch};
use tlspin_interop::{
    hyper_client, pin_mismatch, quinn_client, reqwest012_client, reqwest_client, tokio_client,
    tonic_client, ureq_client,
};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_rustls::TlsAcceptor;

/// The body the HTTPS server answers with, naming the HTTP version the request came in.
fn hello(version: hyper::Version) -> String {
    format!("hello from tlspin-interop over {version:?}")
}

/// A rustls server config for `cert` offering `alpn`, on aws-lc-rs; with `client_pins`, it
/// requires a client certificate with one of those keys.
fn server_config(cert: &TestCert, alpn: &[&[u8]], client_pins: Option<&[Pin]>) -> ServerConfig {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let builder = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("versions");
    let builder = match client_pins {
        Some(pins) => builder
            .with_client_pins(pins.iter().copied())
            .expect("pinned client verifier"),
        None => builder.with_no_client_auth(),
    };
    let mut config = builder
        .with_single_cert(vec![cert.der.clone()], cert.key())
        .expect("server certificate");
    config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
    config
}

/// A hyper server (HTTP/1.1 and HTTP/2) on a loopback port, over TLS with ALPN (or plain, for
/// the pass-through check); aborted when dropped.
struct HelloServer {
    addr: SocketAddr,
    pin: Pin,
    /// The server's self-signed certificate, DER and PEM.
    cert: rustls::pki_types::CertificateDer<'static>,
    cert_pem: String,
    tls: bool,
    task: JoinHandle<()>,
}

impl HelloServer {
    async fn start() -> Self {
        Self::start_with(true, None).await
    }

    /// A server that requires a client certificate whose key is one of `client_pins`.
    async fn start_mtls(client_pins: &[Pin]) -> Self {
        Self::start_with(true, Some(client_pins)).await
    }

    async fn start_with(tls: bool, client_pins: Option<&[Pin]>) -> Self {
        let cert = TestCert::self_signed();
        let acceptor = tls.then(|| {
            TlsAcceptor::from(Arc::new(server_config(
                &cert,
                &[b"h2", b"http/1.1"],
                client_pins,
            )))
        });
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .await
            .expect("bind loopback");
        let addr = listener.local_addr().expect("address");
        let task = tokio::spawn(async move {
            while let Ok((tcp, _)) = listener.accept().await {
                let acceptor = acceptor.clone();
                tokio::spawn(async move {
                    match acceptor {
                        // A client that rejects the certificate aborts the handshake: nothing
                        // to serve.
                        Some(acceptor) => {
                            if let Ok(Ok(tls)) =
                                tokio::time::timeout(TIMEOUT, acceptor.accept(tcp)).await
                            {
                                serve_hello(tls).await;
                            }
                        }
                        None => serve_hello(tcp).await,
                    }
                });
            }
        });
        Self {
            addr,
            pin: cert.pin,
            cert: cert.der.clone(),
            cert_pem: cert.pem.clone(),
            tls,
            task,
        }
    }

    fn url(&self) -> String {
        let scheme = if self.tls { "https" } else { "http" };
        format!("{scheme}://{}/", self.addr)
    }
}

impl Drop for HelloServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Answers every request on `io` with [`hello`], for at most [`TIMEOUT`].
async fn serve_hello<IO>(io: IO)
where
    IO: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let service = hyper::service::service_fn(|request: Request<Incoming>| async move {
        Ok::<_, Infallible>(Response::new(Full::new(Bytes::from(hello(
            request.version(),
        )))))
    });
    let _ = tokio::time::timeout(
        TIMEOUT,
        hyper_util::server::conn::auto::Builder::new(TokioExecutor::new())
            .serve_connection(TokioIo::new(io), service),
    )
    .await;
}

/// Asserts that `mismatch` rejected `presented` for the configured [`wrong_pin`].
fn assert_wrong_pin(mismatch: Option<&PinMismatch>, presented: Pin, context: &str) {
    let mismatch = mismatch.unwrap_or_else(|| panic!("{context}: no PinMismatch in the error"));
    assert_eq!(mismatch.expected(), &[wrong_pin()], "{context}");
    assert_eq!(mismatch.leaf_pin(), Some(presented), "{context}");
}

#[tokio::test]
async fn reqwest_pinned_request_and_wrong_pin() {
    let server = HelloServer::start().await;
    for (name, provider) in providers() {
        let client = reqwest_client::client(pinned(&provider, server.pin)).unwrap();
        let response = within("reqwest GET", client.get(server.url()).send())
            .await
            .unwrap();
        assert_eq!(response.version(), reqwest::Version::HTTP_11, "{name}");
        let body = within("reqwest body", response.text()).await.unwrap();
        assert_eq!(body, hello(hyper::Version::HTTP_11), "{name}");

        let client = reqwest_client::client(pinned(&provider, wrong_pin())).unwrap();
        let error = within("reqwest GET", client.get(server.url()).send())
            .await
            .unwrap_err();
        assert!(error.is_connect(), "{name}: {error:?}");
        assert_wrong_pin(pin_mismatch(&error), server.pin, name);
    }
}

/// reqwest 0.13's blocking client, which runs its own runtime (so it runs on a blocking thread
/// here, while this test's runtime serves).
#[tokio::test]
async fn reqwest_blocking_pinned_request_and_wrong_pin() {
    let server = HelloServer::start().await;
    let (url, pin) = (server.url(), server.pin);
    let outcome = tokio::task::spawn_blocking(move || {
        providers().map(|(name, provider)| {
            let client = reqwest_client::blocking_client(pinned(&provider, pin)).unwrap();
            let body = client.get(&url).send().and_then(|r| r.text());
            let client = reqwest_client::blocking_client(pinned(&provider, wrong_pin())).unwrap();
            let error = client.get(&url).send().unwrap_err();
            (name, body, pin_mismatch(&error).map(|m| m.leaf_pin()))
        })
    });
    for (name, body, mismatch) in within("reqwest blocking", outcome).await.unwrap() {
        assert_eq!(body.unwrap(), hello(hyper::Version::HTTP_11), "{name}");
        assert_eq!(mismatch, Some(Some(server.pin)), "{name}");
    }
}

/// The other tlspin verifiers through reqwest 0.13: WebPKI + pins (the server's self-signed
/// certificate as the root, its key pinned), accept-any, and a client certificate (mTLS) that
/// the server pins.
#[tokio::test]
async fn reqwest_webpki_pins_accept_any_and_client_certificates() {
    let client_cert = TestCert::self_signed();
    let server = HelloServer::start_mtls(&[client_cert.pin]).await;
    for (name, provider) in providers() {
        let builder = || {
            rustls::ClientConfig::builder_with_provider(provider.clone())
                .with_safe_default_protocol_versions()
                .unwrap()
                .dangerous()
        };
        let with_identity = |builder: rustls::ConfigBuilder<
            rustls::ClientConfig,
            rustls::client::WantsClientCert,
        >| {
            builder
                .with_client_auth_cert(vec![client_cert.der.clone()], client_cert.key())
                .unwrap()
        };
        let mut roots = rustls::RootCertStore::empty();
        roots.add(server.cert.clone()).unwrap();
        let webpki_pins = tlspin::PinnedWebPkiVerifier::builder(roots, provider.clone())
            .pin(server.pin)
            .build()
            .unwrap();
        let accept_any = tlspin::danger::AcceptAnyServerCert::new(provider.clone()).unwrap();
        for (verifier_name, verifier) in [
            (
                "WebPKI + pins",
                webpki_pins as Arc<dyn rustls::client::danger::ServerCertVerifier>,
            ),
            ("accept-any", accept_any),
        ] {
            let config = with_identity(builder().with_custom_certificate_verifier(verifier));
            let client = reqwest_client::client(config).unwrap();
            let response = within("reqwest GET", client.get(server.url()).send())
                .await
                .unwrap();
            let body = within("reqwest body", response.text()).await.unwrap();
            assert_eq!(
                body,
                hello(hyper::Version::HTTP_11),
                "{name} {verifier_name}"
            );
        }
        // Without the client certificate the server refuses the connection (in TLS 1.3 after
        // the client's side of the handshake is done, so on the request).
        let client = reqwest_client::client(pinned(&provider, server.pin)).unwrap();
        let error = within("reqwest GET", client.get(server.url()).send())
            .await
            .unwrap_err();
        assert_eq!(
            tlspin_interop::rustls_error(&error),
            Some(&rustls::Error::AlertReceived(
                rustls::AlertDescription::CertificateRequired
            )),
            "{name}: {error:?}"
        );
    }
}

/// reqwest 0.12 (renamed `reqwest012` here), still widely used: the same example.
#[tokio::test]
async fn reqwest_0_12_pinned_request_and_wrong_pin() {
    let server = HelloServer::start().await;
    for (name, provider) in providers() {
        let client = reqwest012_client::client(pinned(&provider, server.pin)).unwrap();
        let response = within("reqwest GET", client.get(server.url()).send())
            .await
            .unwrap();
        assert_eq!(response.version(), reqwest012::Version::HTTP_11, "{name}");
        let body = within("reqwest body", response.text()).await.unwrap();
        assert_eq!(body, hello(hyper::Version::HTTP_11), "{name}");

        let client = reqwest012_client::client(pinned(&provider, wrong_pin())).unwrap();
        let error = within("reqwest GET", client.get(server.url()).send())
            .await
            .unwrap_err();
        assert!(error.is_connect(), "{name}: {error:?}");
        assert_wrong_pin(pin_mismatch(&error), server.pin, name);
    }
}

/// The easy mistake: `tls_backend_preconfigured` (and 0.12's `use_preconfigured_tls`) take
/// `impl Any`, so an `Arc<ClientConfig>` (or a config from another rustls version) compiles and
/// is refused only when the client is built.
#[test]
fn reqwest_refuses_a_config_it_does_not_recognise() {
    let (_, provider) = &providers()[0];
    let expected = "Unknown TLS backend passed to `use_preconfigured_tls`";
    let error = reqwest::Client::builder()
        .tls_backend_preconfigured(Arc::new(pinned(provider, wrong_pin())))
        .build()
        .unwrap_err();
    assert!(format!("{error:?}").contains(expected), "{error:?}");
    let error = reqwest012::Client::builder()
        .use_preconfigured_tls(Arc::new(pinned(provider, wrong_pin())))
        .build()
        .unwrap_err();
    assert!(format!("{error:?}").contains(expected), "{error:?}");
}

#[tokio::test]
async fn hyper_rustls_pinned_request_over_h2_and_wrong_pin() {
    let server = HelloServer::start().await;
    let uri: hyper::Uri = server.url().parse().unwrap();
    for (name, provider) in providers() {
        let client = hyper_client::client(pinned(&provider, server.pin));
        let response = within("hyper GET", client.get(uri.clone())).await.unwrap();
        // enable_http2() offered h2 by ALPN, and the server chose it.
        assert_eq!(response.version(), hyper::Version::HTTP_2, "{name}");
        let body = within("hyper body", response.into_body().collect())
            .await
            .unwrap()
            .to_bytes();
        assert_eq!(body, hello(hyper::Version::HTTP_2), "{name}");

        let client = hyper_client::client(pinned(&provider, wrong_pin()));
        let error = within("hyper GET", client.get(uri.clone()))
            .await
            .unwrap_err();
        assert!(error.is_connect(), "{name}: {error:?}");
        assert_wrong_pin(pin_mismatch(&error), server.pin, name);
    }
}

/// hyper-rustls sets ALPN itself and panics on a config that already has some.
#[test]
#[should_panic(expected = "ALPN protocols should not be pre-defined")]
fn hyper_rustls_panics_on_preset_alpn() {
    let (_, provider) = &providers()[0];
    let mut config = pinned(provider, wrong_pin());
    config.alpn_protocols = vec![b"h2".to_vec()];
    let _ = hyper_client::client(config);
}

#[tokio::test]
async fn tokio_rustls_pinned_request_and_wrong_pin() {
    let server = HelloServer::start().await;
    for (name, provider) in providers() {
        let mut config = pinned(&provider, server.pin);
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        let stream = within(
            "tokio-rustls connect",
            tokio_client::connect(config, server.addr, "localhost"),
        )
        .await
        .unwrap();
        let response = within(
            "tokio-rustls GET",
            tokio_client::http_get(stream, "localhost", "/"),
        )
        .await
        .unwrap();
        assert!(
            response.starts_with("HTTP/1.1 200 OK\r\n"),
            "{name}: {response}"
        );
        assert!(
            response.ends_with(&format!("\r\n\r\n{}", hello(hyper::Version::HTTP_11))),
            "{name}: {response}"
        );

        let error = within(
            "tokio-rustls connect",
            tokio_client::connect(pinned(&provider, wrong_pin()), server.addr, "localhost"),
        )
        .await
        .unwrap_err();
        assert_eq!(error.kind(), std::io::ErrorKind::InvalidData, "{name}");
        assert_wrong_pin(pin_mismatch(&error), server.pin, name);
    }
}

/// The README's tokio-postgres example: `MakeRustlsConnect` over a pinned config against a real
/// PostgreSQL with a self-signed certificate runs `SELECT 1`; with a wrong pin the handshake is
/// refused with a `PinMismatch`.
#[tokio::test]
async fn tokio_postgres_pinned_query_and_wrong_pin() {
    let cert = TestCert::self_signed();
    let dir = tempfile::tempdir().unwrap();
    let (cert_path, key_path) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    std::fs::write(&cert_path, &cert.pem).unwrap();
    std::fs::write(&key_path, &cert.key_pem).unwrap();
    let server = common::daemons::Daemon::postgres(&cert_path, &key_path);
    let params = format!(
        "host=127.0.0.1 port={} user=postgres dbname=postgres sslmode=require",
        server.port
    );
    for (name, provider) in providers() {
        let tls = tokio_postgres_rustls::MakeRustlsConnect::new(pinned(&provider, cert.pin));
        let (client, connection) = within(
            "tokio-postgres connect",
            tokio_postgres::connect(&params, tls),
        )
        .await
        .unwrap_or_else(|e| panic!("{name}: {e:?}"));
        let connection = tokio::spawn(connection);
        let row = within("SELECT 1", client.query_one("SELECT 1", &[]))
            .await
            .unwrap();
        assert_eq!(row.get::<_, i32>(0), 1, "{name}");
        drop(client);
        within("connection end", connection).await.unwrap().unwrap();

        let tls = tokio_postgres_rustls::MakeRustlsConnect::new(pinned(&provider, wrong_pin()));
        let error = within(
            "tokio-postgres connect",
            tokio_postgres::connect(&params, tls),
        )
        .await
        .err()
        .unwrap_or_else(|| panic!("{name}: a wrong pin connected"));
        assert_wrong_pin(pin_mismatch(&error), cert.pin, name);
    }
}

#[tokio::test]
async fn ureq_pinned_request_and_wrong_pin() {
    let server = HelloServer::start().await;
    for (name, provider) in providers() {
        let url = server.url();
        let config = pinned(&provider, server.pin);
        let body = within(
            "ureq GET",
            tokio::task::spawn_blocking(move || {
                ureq_client::agent(config)
                    .get(&url)
                    .call()?
                    .body_mut()
                    .read_to_string()
            }),
        )
        .await
        .unwrap()
        .unwrap();
        assert_eq!(body, hello(hyper::Version::HTTP_11), "{name}");

        let url = server.url();
        let config = pinned(&provider, wrong_pin());
        let error = within(
            "ureq GET",
            tokio::task::spawn_blocking(move || ureq_client::agent(config).get(&url).call()),
        )
        .await
        .unwrap()
        .unwrap_err();
        match &error {
            ureq::Error::Rustls(rustls) => {
                assert_wrong_pin(PinMismatch::from_rustls(rustls), server.pin, name)
            }
            other => panic!("{name}: expected ureq::Error::Rustls, got {other:?}"),
        }
    }
}

/// The connector only wraps `https://` connections: a plain `http://` URL goes through as is.
#[tokio::test]
async fn ureq_connector_leaves_plain_http_alone() {
    let server = HelloServer::start_with(false, None).await;
    let (_, provider) = &providers()[0];
    let url = server.url();
    let config = pinned(provider, wrong_pin());
    let body = within(
        "ureq GET",
        tokio::task::spawn_blocking(move || {
            ureq_client::agent(config)
                .get(&url)
                .call()?
                .body_mut()
                .read_to_string()
        }),
    )
    .await
    .unwrap()
    .unwrap();
    assert_eq!(body, hello(hyper::Version::HTTP_11));
}

/// A gRPC health service on a loopback port. tonic serves it; TLS (ALPN h2) is a tokio-rustls
/// acceptor with an explicit provider, because tonic's own `ServerTlsConfig` builds its config
/// with `ServerConfig::builder()`, which panics when both rustls providers are compiled in and
/// no process default is installed (as in this crate).
struct GrpcServer {
    addr: SocketAddr,
    pin: Pin,
    task: JoinHandle<()>,
}

const GRPC_SERVICE: &str = "tlspin.interop.Demo";

impl GrpcServer {
    async fn start() -> Self {
        let cert = TestCert::self_signed();
        let (reporter, service) = tonic_health::server::health_reporter();
        reporter
            .set_service_status(GRPC_SERVICE, tonic_health::ServingStatus::Serving)
            .await;
        let acceptor = TlsAcceptor::from(Arc::new(server_config(&cert, &[b"h2"], None)));
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .await
            .expect("bind loopback");
        let addr = listener.local_addr().expect("address");
        let (connections, incoming) = tokio::sync::mpsc::channel::<std::io::Result<_>>(4);
        let task = tokio::spawn(async move {
            let accept = async move {
                while let Ok((tcp, _)) = listener.accept().await {
                    let acceptor = acceptor.clone();
                    let connections = connections.clone();
                    tokio::spawn(async move {
                        if let Ok(Ok(tls)) =
                            tokio::time::timeout(TIMEOUT, acceptor.accept(tcp)).await
                        {
                            let _ = connections.send(Ok(tls)).await;
                        }
                    });
                }
            };
            let serve = tonic::transport::Server::builder().serve_with_incoming(
                service,
                tokio_stream::wrappers::ReceiverStream::new(incoming),
            );
            tokio::select! {
                _ = accept => {}
                _ = serve => {}
            }
        });
        Self {
            addr,
            pin: cert.pin,
            task,
        }
    }
}

impl Drop for GrpcServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

#[tokio::test]
async fn tonic_pinned_grpc_call_and_wrong_pin() {
    use tonic_health::pb::health_check_response::ServingStatus;
    use tonic_health::pb::health_client::HealthClient;
    use tonic_health::pb::HealthCheckRequest;

    let server = GrpcServer::start().await;
    let uri = format!("https://{}", server.addr);
    for (name, provider) in providers() {
        let verifier = tlspin::PinnedServerVerifier::builder(provider.clone())
            .pin(server.pin)
            .build()
            .unwrap();
        let channel = within(
            "tonic connect",
            tonic_client::channel(uri.clone(), "localhost", verifier),
        )
        .await
        .unwrap();
        let response = within(
            "tonic Check",
            HealthClient::new(channel).check(HealthCheckRequest {
                service: GRPC_SERVICE.into(),
            }),
        )
        .await
        .unwrap();
        assert_eq!(
            response.into_inner().status(),
            ServingStatus::Serving,
            "{name}"
        );

        let verifier = tlspin::PinnedServerVerifier::builder(provider.clone())
            .pin(wrong_pin())
            .build()
            .unwrap();
        let error = within(
            "tonic connect",
            tonic_client::channel(uri.clone(), "localhost", verifier),
        )
        .await
        .unwrap_err();
        assert_wrong_pin(pin_mismatch(&error), server.pin, name);
    }
}

const QUIC_ALPN: &[u8] = b"tlspin-demo";

/// A quinn server on loopback UDP: for each bidirectional stream it reads the request and
/// answers with a greeting that quotes it.
struct QuicServer {
    addr: SocketAddr,
    pin: Pin,
    endpoint: quinn::Endpoint,
    task: JoinHandle<()>,
}

impl QuicServer {
    fn start(provider: &Arc<CryptoProvider>) -> Self {
        let cert = TestCert::self_signed();
        let mut crypto = ServerConfig::builder_with_provider(provider.clone())
            .with_protocol_versions(&[&rustls::version::TLS13])
            .expect("TLS 1.3")
            .with_no_client_auth()
            .with_single_cert(vec![cert.der.clone()], cert.key())
            .expect("server certificate");
        crypto.alpn_protocols = vec![QUIC_ALPN.to_vec()];
        let quic = quinn::crypto::rustls::QuicServerConfig::try_from(crypto)
            .expect("the provider has TLS13_AES_128_GCM_SHA256");
        let config = quinn::ServerConfig::with_crypto(Arc::new(quic));
        let endpoint = quinn::Endpoint::server(config, (Ipv4Addr::LOCALHOST, 0).into())
            .expect("bind loopback UDP");
        let addr = endpoint.local_addr().expect("address");
        let accepting = endpoint.clone();
        let task = tokio::spawn(async move {
            while let Some(incoming) = accepting.accept().await {
                tokio::spawn(async move {
                    let Ok(Ok(connection)) = tokio::time::timeout(TIMEOUT, incoming).await else {
                        return;
                    };
                    let _ = tokio::time::timeout(TIMEOUT, async {
                        let (mut send, mut recv) = connection.accept_bi().await?;
                        let request = recv.read_to_end(1024).await?;
                        let reply = format!(
                            "hello over QUIC, you said {:?}",
                            String::from_utf8_lossy(&request)
                        );
                        send.write_all(reply.as_bytes()).await?;
                        send.finish()?;
                        connection.closed().await;
                        Ok::<_, tlspin_interop::BoxError>(())
                    })
                    .await;
                });
            }
        });
        Self {
            addr,
            pin: cert.pin,
            endpoint,
            task,
        }
    }
}

impl Drop for QuicServer {
    fn drop(&mut self) {
        self.endpoint.close(0u32.into(), b"test over");
        self.task.abort();
    }
}

#[tokio::test]
async fn quinn_pinned_request_and_wrong_pin() {
    let bind: SocketAddr = (Ipv4Addr::LOCALHOST, 0).into();
    for (server_provider, provider) in providers() {
        let server = QuicServer::start(&provider);
        for (name, provider) in providers() {
            let context = format!("{name} client, {server_provider} server");
            let endpoint =
                quinn_client::endpoint(pinned(&provider, server.pin), bind, QUIC_ALPN).unwrap();
            let response = within(
                "quinn request",
                quinn_client::request(&endpoint, server.addr, "localhost", b"ping", 1024),
            )
            .await
            .unwrap();
            assert_eq!(
                String::from_utf8(response).unwrap(),
                "hello over QUIC, you said \"ping\"",
                "{context}"
            );

            let endpoint =
                quinn_client::endpoint(pinned(&provider, wrong_pin()), bind, QUIC_ALPN).unwrap();
            let error = within(
                "quinn request",
                quinn_client::request(&endpoint, server.addr, "localhost", b"ping", 1024),
            )
            .await
            .unwrap_err();
            // quinn keeps only rustls' message: the pin mismatch is named, not downcastable.
            let message = error.to_string();
            assert!(
                error.downcast_ref::<quinn::ConnectionError>().is_some(),
                "{context}: {error:?}"
            );
            assert!(
                message.contains("certificate pin mismatch")
                    && message.contains(&server.pin.to_string())
                    && message.contains(&wrong_pin().to_string()),
                "{context}: {message}"
            );
        }
    }
}

/// QUIC needs TLS13_AES_128_GCM_SHA256 for its Initial packets: a provider without it is
/// refused when the quinn config is built, before any packet is sent.
#[test]
fn quinn_refuses_a_provider_without_aes_128_gcm() {
    for (name, provider) in providers() {
        let mut only_aes_256 = (*provider).clone();
        only_aes_256
            .cipher_suites
            .retain(|suite| suite.suite() == rustls::CipherSuite::TLS13_AES_256_GCM_SHA384);
        assert_eq!(only_aes_256.cipher_suites.len(), 1, "{name}");
        let config = pinned(&Arc::new(only_aes_256), wrong_pin());
        let error =
            quinn_client::endpoint(config, (Ipv4Addr::LOCALHOST, 0).into(), QUIC_ALPN).unwrap_err();
        assert!(
            error
                .downcast_ref::<quinn::crypto::rustls::NoInitialCipherSuite>()
                .is_some(),
            "{name}: {error:?}"
        );
    }
}

/// reqwest 0.13 with the operating system's trust plus pins (`tlspin::platform`): the real
/// rustls-platform-verifier path, trusting what `SSL_CERT_FILE` names (here the test server's
/// self-signed certificate), and the pin must match too. No other test in this binary reads
/// `SSL_CERT_FILE`.
#[tokio::test]
async fn reqwest_with_os_trust_and_pins() {
    let server = HelloServer::start().await;
    let dir = tempfile::tempdir().unwrap();
    let bundle = dir.path().join("roots.pem");
    std::fs::write(&bundle, &server.cert_pem).unwrap();
    std::env::set_var("SSL_CERT_FILE", &bundle);
    for (name, provider) in providers() {
        let config = |pin: Pin| {
            rustls::ClientConfig::builder_with_provider(provider.clone())
                .with_safe_default_protocol_versions()
                .unwrap()
                .dangerous()
                .with_custom_certificate_verifier(
                    tlspin::platform::PlatformPinnedVerifier::new(provider.clone(), [pin]).unwrap(),
                )
                .with_no_client_auth()
        };
        let client = reqwest_client::client(config(server.pin)).unwrap();
        let response = within("reqwest GET", client.get(server.url()).send())
            .await
            .unwrap();
        let body = within("reqwest body", response.text()).await.unwrap();
        assert_eq!(body, hello(hyper::Version::HTTP_11), "{name}");

        let client = reqwest_client::client(config(wrong_pin())).unwrap();
        let error = within("reqwest GET", client.get(server.url()).send())
            .await
            .unwrap_err();
        assert!(pin_mismatch(&error).is_some(), "{name}: {error:?}");
    }
    std::env::remove_var("SSL_CERT_FILE");
}
