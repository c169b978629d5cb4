//! Item 4: lookup cost for 1, 1k, 100k and 1M pins and host patterns, and for known-hosts
//! stores of 1k, 100k and 1M hosts. Memory and load times are printed by
//! `cargo run --release -p tlspin-benches --bin report -- scale`.
//!
//! `cargo bench -p tlspin-benches --bench scale`.

use std::sync::Arc;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use rustls::client::danger::ServerCertVerifier;
use tlspin::tofu::KnownHosts;
use tlspin_benches::fixtures::{Certs, KeyKind, SERVER_NAME};
use tlspin_benches::scale::{
    host_pinned_with, lookup_case, pinned_new_key_with, pinned_with, probe_host, sets_for_case,
    webpki_pinned_with, write_known_hosts,
};

const PIN_COUNTS: [usize; 4] = [1, 1_000, 100_000, 1_000_000];
const HOST_COUNTS: [usize; 3] = [1_000, 100_000, 1_000_000];

fn scale(c: &mut Criterion) {
    let certs = Certs::generate(KeyKind::P256);
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());

    for remembered in [false, true] {
        let mut group = c.benchmark_group(if remembered {
            "scale/pinned verify_server_cert, remembered key"
        } else {
            "scale/pinned verify_server_cert, key not remembered"
        });
        for count in PIN_COUNTS {
            let verifier: Arc<dyn ServerCertVerifier> = if remembered {
                pinned_with(count, &certs, &provider)
            } else {
                pinned_new_key_with(count, &certs, &provider)
            };
            let mut case = lookup_case(format!("{count} pins"), verifier, &certs, None, false);
            group.bench_function(&case.name, |b| b.iter(&mut case.run));
        }
        group.finish();
    }

    let mut group = c.benchmark_group("scale/webpki+pins verify_server_cert");
    for count in PIN_COUNTS {
        let verifier: Arc<dyn ServerCertVerifier> = webpki_pinned_with(count, &certs, &provider);
        let mut case = lookup_case(format!("{count} pins"), verifier, &certs, None, false);
        group.bench_function(&case.name, |b| b.iter(&mut case.run));
    }
    group.finish();

    let mut group = c.benchmark_group("scale/host patterns sets_for");
    for count in PIN_COUNTS {
        let verifier = host_pinned_with(count, &certs, &provider);
        let mut case = sets_for_case(format!("{count} patterns"), verifier, SERVER_NAME.into());
        group.bench_function(&case.name, |b| b.iter(&mut case.run));
    }
    group.finish();

    let dir = tempfile::tempdir().expect("temporary directory");
    let mut group = c.benchmark_group("scale/known-hosts TofuVerifier verify_server_cert");
    for count in HOST_COUNTS {
        let path = dir.path().join(format!("known_hosts_{count}"));
        write_known_hosts(&path, count, certs.self_signed.pin);
        let store = KnownHosts::open(&path).expect("opens");
        let verifier: Arc<dyn ServerCertVerifier> =
            store.verifier(provider.clone(), 443).expect("builds");
        let mut case = lookup_case(
            format!("{count} hosts"),
            verifier,
            &certs,
            Some(probe_host(count)),
            true,
        );
        group.bench_function(&case.name, |b| b.iter(&mut case.run));
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(2));
    targets = scale
}
criterion_main!(benches);
