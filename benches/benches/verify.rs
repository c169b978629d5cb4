//! Items 1 and 2: the floor (one handshake signature check; SHA-256 of an SPKI) and the
//! per-verification cost of each verifier, per scheme and provider.
//!
//! `cargo bench -p tlspin-benches --bench verify`. Ratios measured in one run come from
//! `cargo run --release -p tlspin-benches --bin report -- ab` (see README).

use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use tlspin_benches::cases::{parse_once_cases, sha256_case, verifier_cases};
use tlspin_benches::fixtures::{all_certs, certs_of, providers, SCHEMES};

fn verify(c: &mut Criterion) {
    let certs = all_certs();
    for (provider_name, provider) in providers() {
        for scheme in SCHEMES {
            let certs = certs_of(&certs, scheme.kind);
            let mut group = c.benchmark_group(format!("verify/{provider_name}/{}", scheme.name));
            let mut cases = verifier_cases(&provider, scheme, certs);
            if scheme.name == "ecdsa-p256" {
                cases.push(sha256_case(&provider, &certs.leaf));
            }
            if provider_name == "aws-lc-rs" {
                cases.extend(parse_once_cases(scheme, &certs.leaf).into_iter().skip(1));
            }
            for mut case in cases {
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
        .measurement_time(Duration::from_secs(2));
    targets = verify
}
criterion_main!(benches);
