//! Item 3: full in-memory handshakes (no sockets), TLS 1.3 and 1.2, rustls' stock verifier
//! against tlspin's pinned verifier, both providers, ECDSA P-256 certificates.
//!
//! `cargo bench -p tlspin-benches --bench handshake`.

use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use tlspin_benches::fixtures::{providers, Certs, KeyKind};
use tlspin_benches::handshake::handshake_cases;

fn handshakes(c: &mut Criterion) {
    let certs = Certs::generate(KeyKind::P256);
    for (provider_name, provider) in providers() {
        for (version_name, version) in [
            ("tls13", &rustls::version::TLS13),
            ("tls12", &rustls::version::TLS12),
        ] {
            let mut group = c.benchmark_group(format!("handshake/{provider_name}/{version_name}"));
            group.throughput(Throughput::Elements(1));
            for mut case in handshake_cases(&provider, version, &certs) {
                group.bench_function(&case.name, |b| b.iter(&mut case.run));
            }
            group.finish();
        }
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3));
    targets = handshakes
}
criterion_main!(benches);
