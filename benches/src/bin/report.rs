//! Prints the benchmark tables of issue #7 as Markdown.
//!
//! ```text
//! report ab [ROUNDS]              items 1-3 and the parse-once experiment: interleaved medians
//!                                 and median ratios within rounds
//! report scale                    item 4: lookup time, load time and memory at 1 .. 1M entries
//! report concurrency [SECONDS]    item 5: handshakes/s over loopback with 1, 2 and 4 threads
//! report callgrind-run MANIFEST   runs every case under callgrind (see benches/callgrind.sh)
//! report callgrind-table MANIFEST OUT
//!                                 instruction counts per operation, and their ratios
//! report callgrind-run-scale MANIFEST, callgrind-table-scale MANIFEST OUT
//!                                 the same for the scale lookups
//! ```
#![deny(unsafe_code)]

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Arc;
use std::time::Duration;

use rustls::client::danger::ServerCertVerifier;
use tlspin::tofu::KnownHosts;
use tlspin_benches::alloc::{live_bytes, peak_bytes, reset_peak, Counting};
use tlspin_benches::cases::{
    parse_once_cases, pinned_verifier, sha256_case, stock_verifier, verifier_cases, Case,
    HOST_PINS, PINNED, PINNED_NEW_KEY, PINNED_SELF_SIGNED, STOCK_CHAIN3, STOCK_SELF_SIGNED,
    WEBPKI_PINS,
};
use tlspin_benches::concurrency::loopback_rate;
use tlspin_benches::fixtures::{
    all_certs, certs_of, providers, Certs, KeyKind, SCHEMES, SERVER_NAME,
};
use tlspin_benches::handshake::{
    client_config, handshake_cases, server_config, HS_PINNED_CHAIN3, HS_PINNED_SELF_SIGNED,
    HS_SIGNATURE_ONLY_CHAIN3, HS_STOCK_CHAIN3, HS_STOCK_SELF_SIGNED,
};
use tlspin_benches::measure::{
    callgrind_measured, human, interleave, median, pairs_against, Interleaved,
};
use tlspin_benches::scale::{
    host_pinned_with, known_hosts_get_case, known_hosts_open_case, lookup_case,
    pinned_new_key_with, pinned_with, probe_host, sets_for_case, webpki_pinned_with,
    write_known_hosts,
};

#[global_allocator]
static ALLOCATOR: Counting = Counting;

const VERSIONS: [(&str, &rustls::SupportedProtocolVersion); 2] = [
    ("TLS 1.3", &rustls::version::TLS13),
    ("TLS 1.2", &rustls::version::TLS12),
];

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let arg = |i: usize| args.get(i).map(String::as_str);
    match arg(0) {
        Some("ab") => ab(arg(1).map_or(31, |r| r.parse().expect("ROUNDS is a number"))),
        Some("scale") => scale(),
        Some("probe-latency") => probe_latency(
            arg(1).map_or(50, |ms| ms.parse().expect("RTT_MS is a number")),
            arg(2).map_or(5, |r| r.parse().expect("ROUNDS is a number")),
        ),
        Some("concurrency") => concurrency(arg(1).map_or(0.5, |s| s.parse().expect("SECONDS"))),
        Some("callgrind-run") => callgrind_run(arg(1).expect("MANIFEST path")),
        Some("callgrind-run-scale") => callgrind_run_scale(arg(1).expect("MANIFEST path")),
        Some("callgrind-table-scale") => callgrind_table_scale(
            arg(1).expect("MANIFEST path"),
            arg(2).expect("callgrind output file"),
        ),
        Some("callgrind-table") => callgrind_table(
            arg(1).expect("MANIFEST path"),
            arg(2).expect("callgrind output file"),
        ),
        _ => {
            eprintln!(
                "usage: report ab [ROUNDS] | scale | concurrency [SECONDS] | probe-latency [RTT_MS] [ROUNDS] | \
                 callgrind-run[-scale] MANIFEST | callgrind-table[-scale] MANIFEST OUT"
            );
            std::process::exit(2);
        }
    }
}

/// Every group of cases that is compared within itself: verification per provider and scheme,
/// the parse-once experiment, handshakes per provider and version.
fn groups(certs: &[Certs]) -> Vec<(String, Vec<Case>)> {
    let mut groups = Vec::new();
    for (provider_name, provider) in providers() {
        for scheme in SCHEMES {
            let c = certs_of(certs, scheme.kind);
            let mut cases = verifier_cases(&provider, scheme, c);
            if scheme.kind == KeyKind::P256 {
                cases.push(sha256_case(&provider, &c.leaf));
            }
            groups.push((format!("verify {provider_name} {}", scheme.name), cases));
        }
    }
    for scheme in SCHEMES {
        let c = certs_of(certs, scheme.kind);
        groups.push((
            format!("parse-once aws-lc-rs {}", scheme.name),
            parse_once_cases(scheme, &c.leaf),
        ));
    }
    let p256 = certs_of(certs, KeyKind::P256);
    for (provider_name, provider) in providers() {
        for (version_name, version) in VERSIONS {
            groups.push((
                format!("handshake {provider_name} {version_name}"),
                handshake_cases(&provider, version, p256),
            ));
        }
    }
    groups
}

fn ab(rounds: usize) {
    let certs = all_certs();
    let mut results: Vec<(String, Interleaved)> = Vec::new();
    for (name, mut cases) in groups(&certs) {
        let batch = if name.starts_with("handshake") {
            Duration::from_millis(20)
        } else {
            Duration::from_millis(4)
        };
        let index = |wanted: &str| {
            cases
                .iter()
                .position(|c| c.name == wanted)
                .expect("case present")
        };
        let pairs = if name.starts_with("verify") {
            pairs_against(
                &[0, index(STOCK_CHAIN3), index(STOCK_SELF_SIGNED)],
                cases.len(),
            )
        } else if name.starts_with("parse-once") {
            pairs_against(&[0, 1], cases.len())
        } else {
            vec![
                (index(HS_STOCK_CHAIN3), index(HS_PINNED_CHAIN3)),
                (index(HS_STOCK_SELF_SIGNED), index(HS_PINNED_SELF_SIGNED)),
                (index(HS_STOCK_CHAIN3), index(HS_SIGNATURE_ONLY_CHAIN3)),
                (index(HS_SIGNATURE_ONLY_CHAIN3), index(HS_PINNED_CHAIN3)),
            ]
        };
        eprintln!("measuring {name}");
        results.push((name, interleave(&mut cases, &pairs, rounds, batch)));
    }
    println!(
        "Interleaved A/B: {rounds} rounds; in each round both sides of every compared pair run one \
         batch back to back, the first side alternating. Batches are timed in thread CPU time \
         (CLOCK_THREAD_CPUTIME_ID). Times are medians over all batches; ratios are medians of \
         the per-round ratios of the pair.\n"
    );
    print_verify_tables(&results, |r, i| human(r.median(i)), |r, i, j| r.ratio(i, j));
    print_parse_once(&results, |r, i| human(r.median(i)), |r, i, j| r.ratio(i, j));
    print_handshakes(
        &results,
        |r, i| format!("{:.0}/s", 1.0 / r.median(i)),
        |r, i, j| r.ratio(i, j),
    );
}

type Cell<'a> = &'a dyn Fn(&Interleaved, usize) -> String;
type Ratio<'a> = &'a dyn Fn(&Interleaved, usize, usize) -> f64;

fn print_verify_tables(
    results: &[(String, Interleaved)],
    cell: impl Fn(&Interleaved, usize) -> String,
    ratio: impl Fn(&Interleaved, usize, usize) -> f64,
) {
    let (cell, ratio): (Cell, Ratio) = (&cell, &ratio);
    println!("### Items 1 and 2: one verification (verify_server_cert + handshake signature)\n");
    println!(
        "Each verifier as a multiple of the floor (one handshake signature check, first column).\n\n\
         | provider | scheme | floor | stock, chain-3 | stock, self-signed root | pinned, chain-3 \
         | pinned, self-signed | pinned, new key | WebPKI + pins | host pin set | SHA-256(SPKI) |\n\
         |---|---|---|---|---|---|---|---|---|---|---|"
    );
    for (name, r) in results.iter().filter(|(n, _)| n.starts_with("verify ")) {
        let mut parts = name.split(' ').skip(1);
        let (provider, scheme) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
        let mut row = format!("| {provider} | {scheme} | {} |", cell(r, 0));
        for verifier in [
            STOCK_CHAIN3,
            STOCK_SELF_SIGNED,
            PINNED,
            PINNED_SELF_SIGNED,
            PINNED_NEW_KEY,
            WEBPKI_PINS,
            HOST_PINS,
        ] {
            write!(row, " {:.3} |", ratio(r, r.index(verifier), 0)).expect("write to String");
        }
        match r.names.iter().position(|n| n.starts_with("sha256")) {
            Some(i) => write!(row, " {} ({:.4}) |", cell(r, i), ratio(r, i, 0)),
            None => write!(row, " |"),
        }
        .expect("write to String");
        println!("{row}");
    }
    println!();
    println!("Targets (item 7): pinned ÷ floor ≤ 1.02; stock chain-3 ÷ pinned ≥ 2.9.\n");
    println!(
        "| provider | scheme | pinned ÷ floor | pinned (self-signed) ÷ floor | stock chain-3 ÷ \
         pinned | pinned (new key) ÷ floor |"
    );
    println!("|---|---|---|---|---|---|");
    for (name, r) in results.iter().filter(|(n, _)| n.starts_with("verify ")) {
        let mut parts = name.split(' ').skip(1);
        let (provider, scheme) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
        let pinned = r.index(PINNED);
        let pinned_ss = r.index(PINNED_SELF_SIGNED);
        println!(
            "| {provider} | {scheme} | {:.3} | {:.3} | {:.2} | {:.3} |",
            ratio(r, pinned, 0),
            ratio(r, pinned_ss, 0),
            ratio(r, r.index(STOCK_CHAIN3), pinned),
            ratio(r, r.index(PINNED_NEW_KEY), 0),
        );
    }
    println!();
}

fn print_parse_once(
    results: &[(String, Interleaved)],
    cell: impl Fn(&Interleaved, usize) -> String,
    ratio: impl Fn(&Interleaved, usize, usize) -> f64,
) {
    println!("### Item 7: parsing a pinned key once (aws-lc-rs)\n");
    println!("| scheme | floor (rustls verify_tls13_signature) | aws-lc-rs, key parsed per call | aws-lc-rs, key parsed once | parsed once ÷ per call |");
    println!("|---|---|---|---|---|");
    for (name, r) in results.iter().filter(|(n, _)| n.starts_with("parse-once")) {
        let scheme = name.rsplit(' ').next().unwrap_or("");
        println!(
            "| {scheme} | {} | {} | {} | {:.3} |",
            cell(r, 0),
            cell(r, 1),
            cell(r, 2),
            ratio(r, 2, 1)
        );
    }
    println!();
}

fn print_handshakes(
    results: &[(String, Interleaved)],
    cell: impl Fn(&Interleaved, usize) -> String,
    ratio: impl Fn(&Interleaved, usize, usize) -> f64,
) {
    println!("### Item 3: full in-memory handshakes, ECDSA P-256 certificates\n");
    println!(
        "| provider | version | stock, chain-3 | pinned, chain-3 | speed-up | stock, self-signed \
         root | pinned, self-signed | speed-up |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    for (name, r) in results.iter().filter(|(n, _)| n.starts_with("handshake")) {
        let rest = name.trim_start_matches("handshake ");
        let (provider, version) = rest.split_once(' ').unwrap_or((rest, ""));
        let (a, b) = (r.index(HS_STOCK_CHAIN3), r.index(HS_PINNED_CHAIN3));
        let (c, d) = (
            r.index(HS_STOCK_SELF_SIGNED),
            r.index(HS_PINNED_SELF_SIGNED),
        );
        println!(
            "| {provider} | {version} | {} | {} | {:.2}× | {} | {} | {:.2}× |",
            cell(r, a),
            cell(r, b),
            ratio(r, a, b),
            cell(r, c),
            cell(r, d),
            ratio(r, c, d),
        );
    }
    println!(
        "\nTargets (item 7): speed-up ≥ 1.45× against stock chain-3, ≥ 1.24× against stock \
         self-signed as root.\n"
    );
    println!(
        "The ceiling: a verifier that checks only the handshake signature, against the chain-of-3 \
         server. No verifier that checks the signature can beat it.\n\n\
         | provider | version | signature only | ceiling (stock ÷ signature only) | pinned ÷ \
         signature only |\n|---|---|---|---|---|"
    );
    for (name, r) in results.iter().filter(|(n, _)| n.starts_with("handshake")) {
        let rest = name.trim_start_matches("handshake ");
        let (provider, version) = rest.split_once(' ').unwrap_or((rest, ""));
        let floor = r.index(HS_SIGNATURE_ONLY_CHAIN3);
        println!(
            "| {provider} | {version} | {} | {:.2}× | {:.3} |",
            cell(r, floor),
            ratio(r, r.index(HS_STOCK_CHAIN3), floor),
            ratio(r, r.index(HS_PINNED_CHAIN3), floor),
        );
    }
    println!();
}

fn mib(bytes: usize) -> String {
    format!("{:.2} MiB", bytes as f64 / (1024.0 * 1024.0))
}

/// Builds `make()`'s value and returns it with the heap bytes it keeps.
fn retained<T>(make: impl FnOnce() -> T) -> (T, usize) {
    let before = live_bytes();
    let value = make();
    (value, live_bytes().saturating_sub(before))
}

/// One scale table: a title, the unit of its sizes, and per size the lookup case and the heap
/// bytes the structure keeps.
struct ScaleGroup {
    title: &'static str,
    unit: &'static str,
    rows: Vec<(usize, Case, usize)>,
}

/// What loading a known-hosts store of each size costs.
struct LoadRow {
    hosts: usize,
    file_bytes: u64,
    open_peak: usize,
    snapshot: usize,
    open: Case,
}

/// Every scale group, plus the known-hosts load rows; files go to `dir`.
fn scale_groups(dir: &std::path::Path) -> (Vec<ScaleGroup>, Vec<LoadRow>) {
    let certs = Certs::generate(KeyKind::P256);
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let counts = [1, 1_000, 100_000, 1_000_000];
    let mut groups = Vec::new();
    let verifier_rows = |make: &dyn Fn(usize) -> Arc<dyn ServerCertVerifier>| {
        counts
            .iter()
            .map(|&n| {
                let (v, bytes) = retained(|| make(n));
                (
                    n,
                    lookup_case(format!("{n}"), v, &certs, None, false),
                    bytes,
                )
            })
            .collect()
    };
    // Generated outside the memory measurements.
    tlspin_benches::cases::other_keys();
    groups.push(ScaleGroup {
        title: "PinnedServerVerifier::verify_server_cert, key not remembered",
        unit: "pins",
        rows: verifier_rows(&|n| pinned_new_key_with(n, &certs, &provider)),
    });
    groups.push(ScaleGroup {
        title: "PinnedServerVerifier::verify_server_cert, remembered key",
        unit: "pins",
        rows: verifier_rows(&|n| pinned_with(n, &certs, &provider)),
    });
    groups.push(ScaleGroup {
        title: "PinnedWebPkiVerifier::verify_server_cert",
        unit: "pins",
        rows: verifier_rows(&|n| webpki_pinned_with(n, &certs, &provider)),
    });
    groups.push(ScaleGroup {
        title: "HostPins::sets_for (pattern lookup)",
        unit: "pin sets",
        rows: counts
            .iter()
            .map(|&n| {
                let (v, bytes) = retained(|| host_pinned_with(n, &certs, &provider));
                (
                    n,
                    sets_for_case(format!("{n}"), v, SERVER_NAME.into()),
                    bytes,
                )
            })
            .collect(),
    });
    groups.push(ScaleGroup {
        title: "HostPinnedVerifier::verify_server_cert",
        unit: "pin sets",
        rows: verifier_rows(&|n| host_pinned_with(n, &certs, &provider)),
    });

    let mut lookups = Vec::new();
    let mut gets = Vec::new();
    let mut loads = Vec::new();
    for n in [1_000, 100_000, 1_000_000] {
        let path = dir.join(format!("known_hosts_{n}"));
        write_known_hosts(&path, n, certs.self_signed.pin);
        let file_bytes = std::fs::metadata(&path).expect("file").len();
        reset_peak();
        let base = live_bytes();
        let store = KnownHosts::open(&path).expect("opens");
        let open_peak = peak_bytes().saturating_sub(base);
        let (verifier, snapshot) =
            retained(|| store.verifier(provider.clone(), 443).expect("builds"));
        let verifier: Arc<dyn ServerCertVerifier> = verifier;
        let host = Some(probe_host(n));
        lookups.push((
            n,
            lookup_case(format!("{n}"), verifier, &certs, host, true),
            snapshot,
        ));
        gets.push((
            n,
            known_hosts_get_case(format!("{n}"), store, probe_host(n)),
            0,
        ));
        loads.push(LoadRow {
            hosts: n,
            file_bytes,
            open_peak,
            snapshot,
            open: known_hosts_open_case(format!("{n}"), path),
        });
    }
    groups.push(ScaleGroup {
        title: "TofuVerifier::verify_server_cert (snapshot HashMap)",
        unit: "hosts",
        rows: lookups,
    });
    groups.push(ScaleGroup {
        title: "KnownHosts::get (re-reads the file by design)",
        unit: "hosts",
        rows: gets,
    });
    (groups, loads)
}

fn print_scale_group(title: &str, unit: &str, rows: &[(usize, String, usize)], ratio: &[f64]) {
    println!("| {title} | {unit} | per lookup | ÷ smallest | retained memory |");
    println!("|---|---|---|---|---|");
    for ((count, cell, bytes), ratio) in rows.iter().zip(ratio) {
        println!("| | {count} | {cell} | {ratio:.2} | {} |", mib(*bytes));
    }
    println!();
}

fn scale() {
    println!(
        "### Item 4: scale (aws-lc-rs, ECDSA P-256)\n\nMemory: heap bytes the structure keeps, \
         from a counting global allocator (Rust allocations; aws-lc's own mallocs are not seen). \
         Times: thread CPU time, interleaved medians over 21 rounds (5 for loading); ratios to \
         the smallest size, within rounds.\n"
    );
    let dir = tempfile::tempdir().expect("temporary directory");
    let (groups, loads) = scale_groups(dir.path());
    for group in groups {
        let mut cases = Vec::new();
        let mut meta = Vec::new();
        for (count, case, bytes) in group.rows {
            meta.push((count, bytes));
            cases.push(case);
        }
        let pairs = pairs_against(&[0], cases.len());
        let r = interleave(&mut cases, &pairs, 21, Duration::from_millis(5));
        let rows: Vec<(usize, String, usize)> = meta
            .iter()
            .enumerate()
            .map(|(i, (count, bytes))| (*count, human(r.median(i)), *bytes))
            .collect();
        let ratios: Vec<f64> = (0..rows.len()).map(|i| r.ratio(i, 0)).collect();
        print_scale_group(group.title, group.unit, &rows, &ratios);
    }
    let mut opens = Vec::new();
    let mut meta = Vec::new();
    for load in loads {
        meta.push((load.hosts, load.file_bytes, load.open_peak, load.snapshot));
        opens.push(load.open);
    }
    let pairs = pairs_against(&[0], opens.len());
    let r = interleave(&mut opens, &pairs, 5, Duration::from_millis(5));
    println!(
        "| known-hosts store | hosts | file size | KnownHosts::open (parse) | ÷ 1k | peak heap \
         while opening | TofuVerifier snapshot |"
    );
    println!("|---|---|---|---|---|---|---|");
    for (i, (n, size, peak, bytes)) in meta.iter().enumerate() {
        println!(
            "| | {n} | {} | {} | {:.1} | {} | {} |",
            mib(usize::try_from(*size).unwrap_or(usize::MAX)),
            human(r.median(i)),
            r.ratio(i, 0),
            mib(*peak),
            mib(*bytes)
        );
    }
    println!();
}

/// `tlspin probe` against sslscan through a delay proxy with `rtt_ms` of round trip, on a
/// default `openssl s_server`; `rounds` runs of each, alternating, medians reported.
fn probe_latency(rtt_ms: u64, rounds: usize) {
    use tlspin_benches::latency::{sslscan, tlspin_probe, DelayProxy, SServer};
    let dir = tempfile::tempdir().expect("a temporary directory");
    let server = SServer::start(dir.path());
    let proxy = DelayProxy::start(server.address, Duration::from_millis(rtt_ms))
        .expect("the delay proxy starts");
    let (mut ours, mut theirs) = (Vec::new(), Vec::new());
    for round in 0..rounds.max(1) {
        if round % 2 == 0 {
            ours.push(tlspin_probe(&proxy, 16));
            theirs.push(sslscan(&proxy));
        } else {
            theirs.push(sslscan(&proxy));
            ours.push(tlspin_probe(&proxy, 16));
        }
    }
    // (median, fastest, slowest, connections of the median run)
    let summary = |runs: &mut Vec<tlspin_benches::latency::Run>| {
        runs.sort_by_key(|r| r.time);
        let median = runs[runs.len() / 2];
        (
            median.time.as_secs_f64(),
            runs[0].time.as_secs_f64(),
            runs[runs.len() - 1].time.as_secs_f64(),
            median.connections,
        )
    };
    let (ours, theirs) = (summary(&mut ours), summary(&mut theirs));
    println!(
        "| {rtt_ms} ms RTT, default openssl s_server | time, median of {rounds} (fastest–slowest) | connections |"
    );
    println!("|---|---|---|");
    for (name, (median, fastest, slowest, connections)) in
        [("tlspin probe (--parallel 16)", ours), ("sslscan", theirs)]
    {
        println!("| {name} | {median:.3} s ({fastest:.3}–{slowest:.3}) | {connections} |");
    }
    println!("\nsslscan ÷ tlspin (medians): {:.1}×", theirs.0 / ours.0);
}

fn concurrency(seconds: f64) {
    let certs = Certs::generate(KeyKind::P256);
    let duration = Duration::from_secs_f64(seconds);
    let rounds = 5;
    println!(
        "### Item 5: loopback handshakes, N client threads sharing one verifier (TLS 1.3, \
         ECDSA P-256, chain-of-3 server; {rounds} interleaved rounds of {seconds} s; \
         {} cores)\n",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    println!("| provider | threads | stock verifier | tlspin pinned | pinned ÷ stock | pinned scaling vs 1 thread |");
    println!("|---|---|---|---|---|---|");
    for (provider_name, provider) in providers() {
        let server = server_config(
            &provider,
            &rustls::version::TLS13,
            certs.chain3(),
            certs.leaf.key_der(),
        );
        let stock = client_config(
            &provider,
            &rustls::version::TLS13,
            stock_verifier(certs.chain3_roots(), &provider),
        );
        let pinned = client_config(
            &provider,
            &rustls::version::TLS13,
            pinned_verifier(certs.leaf.pin, &provider),
        );
        let mut one_thread = 0.0;
        for threads in [1, 2, 4] {
            let (mut s, mut p) = (Vec::new(), Vec::new());
            for round in 0..rounds {
                let order: [(&Arc<rustls::ClientConfig>, bool); 2] = if round % 2 == 0 {
                    [(&stock, false), (&pinned, true)]
                } else {
                    [(&pinned, true), (&stock, false)]
                };
                for (config, is_pinned) in order {
                    let rate = loopback_rate(config, &server, threads, duration);
                    if is_pinned {
                        p.push(rate)
                    } else {
                        s.push(rate)
                    }
                }
            }
            let ratios: Vec<f64> = p.iter().zip(&s).map(|(a, b)| a / b).collect();
            let pinned_rate = median(&p);
            if threads == 1 {
                one_thread = pinned_rate;
            }
            println!(
                "| {provider_name} | {threads} | {:.0}/s | {:.0}/s | {:.2} | {:.2}× |",
                median(&s),
                pinned_rate,
                median(&ratios),
                pinned_rate / one_thread
            );
        }
    }
    println!();
}

/// Iterations per callgrind measurement of a case in group `group`.
fn callgrind_iterations(group: &str) -> u64 {
    if group.starts_with("handshake") {
        5
    } else {
        20
    }
}

fn callgrind_run(manifest: &str) {
    let certs = all_certs();
    let mut lines = String::new();
    for (group, cases) in groups(&certs) {
        let iterations = callgrind_iterations(&group);
        for mut case in cases {
            // Warm up outside the measurement (lazy initialisation, CPU feature detection).
            (case.run)();
            callgrind_measured(&mut case.run, iterations);
            writeln!(lines, "{group}\t{}\t{iterations}", case.name).expect("write to String");
        }
    }
    std::fs::write(manifest, lines).expect("write the manifest");
}

/// Like [`callgrind_run`], for the scale lookups (manifest lines: title, size, iterations,
/// retained bytes).
fn callgrind_run_scale(manifest: &str) {
    let dir = tempfile::tempdir().expect("temporary directory");
    let (groups, _) = scale_groups(dir.path());
    let mut lines = String::new();
    for group in groups {
        // KnownHosts::get re-reads the file: a handful of calls is plenty.
        let iterations = if group.title.starts_with("KnownHosts::get") {
            1
        } else {
            20
        };
        for (count, mut case, bytes) in group.rows {
            (case.run)();
            callgrind_measured(&mut case.run, iterations);
            writeln!(
                lines,
                "{}|{}\t{count}\t{iterations}\t{bytes}",
                group.title, group.unit
            )
            .expect("write to String");
        }
    }
    std::fs::write(manifest, lines).expect("write the manifest");
}

fn callgrind_table_scale(manifest: &str, out: &str) {
    let text = std::fs::read_to_string(manifest).expect("manifest");
    // (size, instructions per lookup, retained bytes) per group title.
    type Rows = Vec<(usize, f64, usize)>;
    let mut groups: Vec<(String, Rows)> = Vec::new();
    for (k, line) in text.lines().enumerate() {
        let fields: Vec<&str> = line.split('\t').collect();
        let [group, count, iterations, bytes] = fields.as_slice() else {
            panic!("bad manifest line {line:?}");
        };
        let iterations: f64 = iterations.parse().expect("number");
        let instructions = dump_instructions(&format!("{out}.{}", k + 1)) / iterations;
        let row = (
            count.parse().expect("number"),
            instructions,
            bytes.parse().expect("number"),
        );
        match groups.last_mut() {
            Some((g, rows)) if g == group => rows.push(row),
            _ => groups.push(((*group).to_owned(), vec![row])),
        }
    }
    println!(
        "Callgrind: instructions per lookup (`valgrind --tool=callgrind`, counted only inside \
         the measured loop; cache misses are not instructions, see the timed table for those).\n"
    );
    for (group, rows) in groups {
        let (title, unit) = group.split_once('|').unwrap_or((&group, ""));
        let smallest = rows.first().map_or(1.0, |r| r.1);
        let cells: Vec<(usize, String, usize)> = rows
            .iter()
            .map(|(n, ir, bytes)| (*n, format!("{ir:.0} Ir"), *bytes))
            .collect();
        let ratios: Vec<f64> = rows.iter().map(|r| r.1 / smallest).collect();
        print_scale_group(title, unit, &cells, &ratios);
    }
}

/// The instruction count of one callgrind dump.
fn dump_instructions(path: &str) -> f64 {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    text.lines()
        .find_map(|l| {
            l.strip_prefix("summary:")
                .or_else(|| l.strip_prefix("totals:"))
        })
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("{path}: no summary line"))
}

fn callgrind_table(manifest: &str, out: &str) {
    let text = std::fs::read_to_string(manifest).expect("manifest");
    let mut results: BTreeMap<String, Vec<(String, f64)>> = BTreeMap::new();
    let mut order: Vec<String> = Vec::new();
    for (k, line) in text.lines().enumerate() {
        let mut fields = line.split('\t');
        let (group, case, iterations) = (
            fields.next().expect("group"),
            fields.next().expect("case"),
            fields.next().expect("iterations"),
        );
        let iterations: f64 = iterations.parse().expect("number");
        let instructions = dump_instructions(&format!("{out}.{}", k + 1)) / iterations;
        if !results.contains_key(group) {
            order.push(group.to_owned());
        }
        results
            .entry(group.to_owned())
            .or_default()
            .push((case.to_owned(), instructions));
    }
    // One instruction-count "measurement" per group: ratios are exact, no rounds.
    let as_interleaved: Vec<(String, Interleaved)> = order
        .iter()
        .map(|g| {
            let rows = &results[g];
            (
                g.clone(),
                Interleaved {
                    names: rows.iter().map(|(n, _)| n.clone()).collect(),
                    times: rows.iter().map(|(_, ir)| vec![*ir]).collect(),
                    pairs: Default::default(),
                },
            )
        })
        .collect();
    println!(
        "Callgrind: instructions per operation (`valgrind --tool=callgrind`, counted only \
         inside the measured loop), and ratios of those counts.\n"
    );
    let instructions = |r: &Interleaved, i: usize| format!("{:.0} Ir", r.times[i][0]);
    print_verify_tables(&as_interleaved, instructions, |r, i, j| r.ratio(i, j));
    print_parse_once(&as_interleaved, instructions, |r, i, j| r.ratio(i, j));
    print_handshakes(&as_interleaved, instructions, |r, i, j| r.ratio(i, j));
}
