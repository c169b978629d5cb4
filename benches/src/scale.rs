//! Item 4: pin sets, host patterns and known-hosts stores of 1 to 1M entries.

use std::fmt::Write as _;
use std::hint::black_box;
use std::path::Path;
use std::sync::Arc;

use rustls::client::danger::ServerCertVerifier;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::ServerName;
use tlspin::{
    host_pins::HostPinSet, host_pins::HostPinnedVerifier, tofu::KnownHosts, Pin,
    PinnedServerVerifier, PinnedWebPkiVerifier,
};

use crate::cases::Case;
use crate::fixtures::{bench_time, server_name, Certs, SERVER_NAME};

/// A deterministic stream of pseudo-random pins (splitmix64), none equal to a real key's.
pub fn random_pins(count: usize, seed: u64) -> Vec<Pin> {
    let mut state = seed;
    let mut next = || {
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    };
    (0..count)
        .map(|_| {
            let mut digest = [0u8; Pin::LEN];
            for chunk in digest.chunks_mut(8) {
                chunk.copy_from_slice(&next().to_le_bytes());
            }
            Pin::from_sha256(digest)
        })
        .collect()
}

/// `count` pins, one of them `real` (in the middle), the rest random.
fn pins_with(count: usize, real: Pin) -> Vec<Pin> {
    let mut pins = random_pins(count - 1, count as u64);
    pins.insert((count - 1) / 2, real);
    pins
}

/// A leaf-pinning verifier with `count` pins, one of them the leaf's. Once it has accepted the
/// leaf it remembers its key, so later checks of that key skip the hash and the search.
pub fn pinned_with(
    count: usize,
    certs: &Certs,
    provider: &Arc<CryptoProvider>,
) -> Arc<PinnedServerVerifier> {
    PinnedServerVerifier::builder(provider.clone())
        .pins(pins_with(count, certs.leaf.pin))
        .build()
        .expect("builds")
}

/// Like [`pinned_with`], plus the pins of [`OTHER_KEYS`](crate::cases::OTHER_KEYS) other keys it
/// has already accepted: it remembers no more keys, so every check of the leaf hashes its key and
/// searches the `count` pins, as on first sight.
pub fn pinned_new_key_with(
    count: usize,
    certs: &Certs,
    provider: &Arc<CryptoProvider>,
) -> Arc<dyn ServerCertVerifier> {
    crate::cases::pinned_verifier_new_key(pins_with(count, certs.leaf.pin), provider)
}

/// A WebPKI + pins verifier with `count` pins, one of them the root's.
pub fn webpki_pinned_with(
    count: usize,
    certs: &Certs,
    provider: &Arc<CryptoProvider>,
) -> Arc<PinnedWebPkiVerifier> {
    PinnedWebPkiVerifier::builder(certs.chain3_roots(), provider.clone())
        .pins(pins_with(count, certs.root.pin))
        .build()
        .expect("builds")
}

/// The host the known-hosts lookups ask for, among `count` entries.
pub fn probe_host(count: usize) -> String {
    format!("h{}.example.com", count / 2)
}

/// A host-pinned verifier with `count` pin sets: an exact set for [`SERVER_NAME`] (the host the
/// lookups ask for) and `count - 1` others, exact, `*.` and `**.` patterns in turn, two pins each
/// (the root's in every set).
pub fn host_pinned_with(
    count: usize,
    certs: &Certs,
    provider: &Arc<CryptoProvider>,
) -> Arc<HostPinnedVerifier> {
    let backups = random_pins(count, 7);
    let sets = (0..count).map(|i| {
        let pattern = match i % 3 {
            0 => format!("h{i}.example.com"),
            1 => format!("*.h{i}.example.com"),
            _ => format!("**.h{i}.example.net"),
        };
        HostPinSet::new(&pattern, [certs.root.pin, backups[i]]).expect("valid set")
    });
    let probe = HostPinSet::new(SERVER_NAME, [certs.root.pin, backups[0]]).expect("set");
    HostPinnedVerifier::builder(certs.chain3_roots(), provider.clone())
        .pin_sets(sets.take(count.saturating_sub(1)))
        .pin_set(probe)
        .build()
        .expect("builds")
}

/// A known-hosts file of `count` entries for port 443, written directly in the store's line
/// format (going through `KnownHosts::add` would rewrite the file once per entry). The probed
/// host carries `pin`.
pub fn write_known_hosts(path: &Path, count: usize, pin: Pin) {
    let pins = random_pins(count, 11);
    let mut text = String::with_capacity(count * 90);
    text.push_str("# tlspin known hosts (benchmark)\n");
    let probe = probe_host(count);
    for (i, random) in pins.iter().enumerate() {
        let host = format!("h{i}.example.com");
        let pin = if host == probe { pin } else { *random };
        writeln!(text, "{host}:443 {pin} tofu 2026-01-01T00:00:00Z").expect("write to String");
    }
    std::fs::write(path, text).expect("write the known-hosts file");
}

/// A case verifying the chain-3 (or self-signed) certificate with `verifier` for `host`,
/// without the handshake signature: what grows with the number of entries.
pub fn lookup_case(
    name: String,
    verifier: Arc<dyn ServerCertVerifier>,
    certs: &Certs,
    host: Option<String>,
    self_signed: bool,
) -> Case {
    let server_name = match host {
        Some(host) => ServerName::try_from(host).expect("valid name"),
        None => server_name(),
    };
    let chain = if self_signed {
        vec![certs.self_signed.der.clone()]
    } else {
        certs.chain3()
    };
    let now = bench_time();
    let (leaf, intermediates) = chain.split_first().expect("leaf");
    let (leaf, intermediates) = (leaf.clone(), intermediates.to_vec());
    verifier
        .verify_server_cert(&leaf, &intermediates, &server_name, &[], now)
        .unwrap_or_else(|e| panic!("{name}: refused: {e}"));
    Case::new(name, move || {
        verifier
            .verify_server_cert(black_box(&leaf), &intermediates, &server_name, &[], now)
            .expect("accepted");
    })
}

/// A case looking up the probed host's pin sets (`HostPins::sets_for`).
pub fn sets_for_case(name: String, verifier: Arc<HostPinnedVerifier>, host: String) -> Case {
    assert!(!verifier.policy().sets_for(&host).is_empty());
    Case::new(name, move || {
        black_box(verifier.policy().sets_for(black_box(&host)));
    })
}

/// A case reading one entry through the store (`KnownHosts::get`, which re-reads the file).
pub fn known_hosts_get_case(name: String, store: KnownHosts, host: String) -> Case {
    assert!(store.get(&host, 443).expect("reads").is_some());
    Case::new(name, move || {
        black_box(store.get(black_box(&host), 443).expect("reads"));
    })
}

/// A case opening (and so parsing) the store.
pub fn known_hosts_open_case(name: String, path: std::path::PathBuf) -> Case {
    Case::new(name, move || {
        black_box(KnownHosts::open(black_box(&path)).expect("opens"));
    })
}
