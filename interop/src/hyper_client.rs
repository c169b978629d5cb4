//! hyper 1 through hyper-rustls 0.27 with a tlspin-verified config.
//!
//! Pitfalls:
//! - `HttpsConnectorBuilder::with_tls_config` **panics** if the config already has ALPN
//!   protocols; leave `alpn_protocols` empty and let `enable_http1()` / `enable_http2()` set them.
//! - hyper-rustls' `with_webpki_roots` / `with_native_roots` build their own config: use
//!   `with_tls_config` or tlspin's verifier is not used.
//! - `https_only()` refuses `http://` URIs, so a typo cannot silently skip TLS.

use bytes::Bytes;
use http_body_util::Empty;
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use rustls::ClientConfig;

/// A hyper client for HTTPS only, HTTP/1.1 or HTTP/2 as the server prefers, verifying servers
/// with `config`'s verifier (a tlspin one). `config.alpn_protocols` must be empty.
pub fn client(config: ClientConfig) -> Client<HttpsConnector<HttpConnector>, Empty<Bytes>> {
    let connector = hyper_rustls::HttpsConnectorBuilder::new()
        .with_tls_config(config)
        .https_only()
        .enable_http1()
        .enable_http2()
        .build();
    Client::builder(TokioExecutor::new()).build(connector)
}
