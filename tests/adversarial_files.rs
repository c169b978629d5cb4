//! Adversarial review (issue 15) of the file handling: the `KnownHosts` store, the `PinConfig`
//! loader and the PEM readers. Written by an independent reviewer from the code and the README
//! alone; every test asserts the promised (or plainly expected) behaviour and failed on commit
//! 430ae44, before the fixes.
#![cfg(all(feature = "config", unix))]

mod common;

use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::sync::Mutex;
use std::time::Duration;

use common::*;
use rustls::client::danger::ServerCertVerifier;
use rustls::pki_types::{ServerName, UnixTime};
use tlspin::{
    host_pins::HostPinnedVerifier, host_pins::PinConfig, tofu::KnownHost, tofu::KnownHosts,
    tofu::Trust, Pin,
};

const PIN_A: &str = "sha256/47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=";
const PIN_B: &str = "sha256/ZHE5n8VWNTRIIRGnbwFXtn8dB4aKRJzKXBWnV3+4Jjg=";

fn entry(host: &str) -> KnownHost {
    KnownHost {
        host: host.into(),
        port: 443,
        pin: PIN_A.parse().unwrap(),
        trust: Trust::FirstUse,
        first_seen: UnixTime::since_unix_epoch(Duration::from_secs(1_767_225_600)),
    }
}

fn line(host: &str) -> String {
    format!("{host}:443 {PIN_A} tofu 2026-01-01T00:00:00Z\n")
}

// ---------------------------------------------------------------------------------------------
// 1. The fixed temporary path `<file>.tmp` is opened with File::create: it follows a symlink
//    planted there and truncates whatever file it points to (or a hard link's other names).
// ---------------------------------------------------------------------------------------------

/// Promise: "Every change is written to a temporary file ... and renamed over the store" — a
/// store write touches the store, nothing else. A symlink left at `known_hosts.tmp` (by another
/// user in a shared directory, or by anything else) must not redirect the write into another
/// file.
#[test]
fn a_symlink_at_the_temp_path_does_not_redirect_the_write() {
    let dir = tempfile::tempdir().unwrap();
    let victim = dir.path().join("victim.txt");
    std::fs::write(&victim, "precious data a person wrote\n").unwrap();
    std::os::unix::fs::symlink(&victim, dir.path().join("known_hosts.tmp")).unwrap();

    let store = KnownHosts::open(dir.path().join("known_hosts")).unwrap();
    let _ = store.add(entry("a.lan"));

    assert_eq!(
        std::fs::read_to_string(&victim).unwrap(),
        "precious data a person wrote\n",
        "the store write followed the symlink at known_hosts.tmp and overwrote another file"
    );
    let meta = std::fs::symlink_metadata(store.path()).unwrap();
    assert!(
        !meta.file_type().is_symlink(),
        "the planted symlink was renamed into place and became the store"
    );
}

/// Same cause, hard-link variant: a stale `known_hosts.tmp` that is another name of some file
/// is truncated in place, destroying that file's contents.
#[test]
fn a_hard_link_at_the_temp_path_is_not_truncated() {
    let dir = tempfile::tempdir().unwrap();
    let victim = dir.path().join("notes.txt");
    std::fs::write(&victim, "my notes\n").unwrap();
    std::fs::hard_link(&victim, dir.path().join("known_hosts.tmp")).unwrap();

    let store = KnownHosts::open(dir.path().join("known_hosts")).unwrap();
    let _ = store.add(entry("a.lan"));

    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "my notes\n");
}

/// Same cause, takeover variant: a file someone else created at `known_hosts.tmp` (for example
/// another user in a shared, sticky directory, mode 0666) is reused and renamed into place, so
/// the store becomes a file that person owns and can rewrite at will (adding their own pins for
/// any host). The store must always be a file the writer created itself.
#[test]
fn a_file_planted_at_the_temp_path_never_becomes_the_store() {
    let dir = tempfile::tempdir().unwrap();
    let planted = dir.path().join("known_hosts.tmp");
    std::fs::write(&planted, "planted\n").unwrap();
    let planted_inode = std::fs::metadata(&planted).unwrap().ino();
    // A second name keeps the planted inode alive, so the file system cannot hand its number
    // to the store's new file and make the comparison below meaningless.
    std::fs::hard_link(&planted, dir.path().join("planted-alias")).unwrap();

    let store = KnownHosts::open(dir.path().join("known_hosts")).unwrap();
    store.add(entry("a.lan")).unwrap();

    assert_ne!(
        std::fs::metadata(store.path()).unwrap().ino(),
        planted_inode,
        "the pre-existing known_hosts.tmp (and with it its owner) became the store"
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("planted-alias")).unwrap(),
        "planted\n"
    );
}

// ---------------------------------------------------------------------------------------------
// 2. An entry that `add` writes can make the store unreadable for good.
// ---------------------------------------------------------------------------------------------

/// Promise: a crash "never leaves a torn or empty store"; a store the library wrote itself must
/// parse again. `add` accepts a FIRST-SEEN after 9999-12-31, writes `10000-01-01T00:00:00Z`, and
/// from then on every `open`, `entries` and verifier build fails with "corrupt known-hosts entry"
/// (a denial of service of every TOFU connection until a person edits the file).
#[test]
fn every_entry_add_accepts_can_be_read_back() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("known_hosts");
    let store = KnownHosts::open(&path).unwrap();
    store.add(entry("a.lan")).unwrap();
    let far_future = KnownHost {
        first_seen: UnixTime::since_unix_epoch(Duration::from_secs(253_402_300_800)), // 10000-01-01
        ..entry("b.lan")
    };
    if store.add(far_future).is_ok() {
        let reopened = KnownHosts::open(&path);
        assert!(
            reopened.is_ok(),
            "add() succeeded but the store it wrote no longer opens: {}",
            reopened.unwrap_err()
        );
    }
}

// ---------------------------------------------------------------------------------------------
// 3. A store that is not UTF-8 is an I/O error without a line number.
// ---------------------------------------------------------------------------------------------

/// Promise: "A store that does not parse is an error naming the line". A Latin-1 `é` in a comment
/// a person added (any editor on a non-UTF-8 locale) gives `Error::Io` "stream did not contain
/// valid UTF-8", naming no line, and looks like a disk problem.
#[test]
fn a_store_with_invalid_utf8_is_corrupt_at_that_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("known_hosts");
    let mut bytes = line("a.lan").into_bytes();
    bytes.extend_from_slice(b"# NAS in the caf\xe9\n");
    bytes.extend_from_slice(line("b.lan").as_bytes());
    std::fs::write(&path, &bytes).unwrap();

    let err = KnownHosts::open(&path).unwrap_err();
    assert!(
        matches!(err, tlspin::Error::KnownHostsCorrupt { line: 2, .. }),
        "expected KnownHostsCorrupt at line 2, got {err:?}"
    );
}

// ---------------------------------------------------------------------------------------------
// 4. `#` starts a comment — but not after an entry.
// ---------------------------------------------------------------------------------------------

/// Doc of `KnownHosts`: "one `HOST:PORT PIN TRUST FIRST-SEEN` line per server ...; `#` starts a
/// comment." A note after an entry ("# office NAS") makes the whole store corrupt ("expected 4
/// fields, found 7"), and with it every TOFU connection fail.
#[test]
fn a_comment_after_an_entry_is_a_comment() {
    let text = format!("a.lan:443 {PIN_A} tofu 2026-01-01T00:00:00Z # office NAS\n");
    let entries = KnownHosts::parse(&text);
    assert!(entries.is_ok(), "{}", entries.unwrap_err());
    assert_eq!(entries.unwrap().len(), 1);
}

// ---------------------------------------------------------------------------------------------
// 5. A relative store path is re-resolved against the *current* directory on every access.
// ---------------------------------------------------------------------------------------------

static CWD: Mutex<()> = Mutex::new(());

/// `KnownHosts::open(path)` is "a store at `path`". With a relative path, a process that changes
/// directory afterwards (daemons chdir to `/`) silently sees an empty store: every host it had
/// pinned is trusted on first use again, and new entries go to a second file elsewhere.
#[test]
fn a_relative_store_stays_the_same_file_after_chdir() {
    let _guard = CWD.lock().unwrap_or_else(|p| p.into_inner());
    let home = tempfile::tempdir().unwrap();
    let elsewhere = tempfile::tempdir().unwrap();
    let original = std::env::current_dir().unwrap();

    std::env::set_current_dir(home.path()).unwrap();
    let store = KnownHosts::open("known_hosts").unwrap();
    store.add(entry("a.lan")).unwrap();
    std::env::set_current_dir(elsewhere.path()).unwrap();
    let seen = store.get("a.lan", 443);
    std::env::set_current_dir(original).unwrap();

    assert!(
        matches!(seen, Ok(Some(_))),
        "after chdir the store forgot a.lan: {seen:?}"
    );
}

// ---------------------------------------------------------------------------------------------
// 6. Config: an IPv6 host key that is not in canonical form never matches, so its pins are
//    silently never enforced (fail open to plain WebPKI).
// ---------------------------------------------------------------------------------------------

/// Expected: a pin set written for an IP address applies to that address, whatever its spelling
/// (KnownHosts canonicalises addresses for exactly this reason), or the file is refused. Observed:
/// `[hosts."2001:0db8::1"]` (leading zero, a common spelling) loads fine, but the verifier sees the
/// host as `2001:db8::1`, finds no pin set and accepts any WebPKI-valid certificate.
#[test]
fn an_ipv6_pin_set_applies_whatever_its_spelling() {
    for spelling in ["2001:0db8::1", "2001:db8:0:0:0:0:0:1", "2001:DB8:0::1"] {
        let text = format!("[hosts.\"{spelling}\"]\npins = [\"{PIN_A}\", \"{PIN_B}\"]\n");
        let Ok(config) = PinConfig::parse(&text) else {
            continue; // refusing the spelling is also acceptable
        };
        let (_, provider) = providers().remove(0);
        let root = TestCa::new(KeyType::EcdsaP256, "review root");
        let leaf = root.issue(KeyType::EcdsaP256, &["2001:db8::1"]);
        let verifier = HostPinnedVerifier::builder(roots_of(&[&root.cert]), provider)
            .config(&config)
            .build()
            .unwrap();
        let ip: std::net::IpAddr = "2001:db8::1".parse().unwrap();
        let result = verifier.verify_server_cert(
            &leaf.der,
            &[],
            &ServerName::IpAddress(ip.into()),
            &[],
            test_time(),
        );
        assert!(
            result.is_err(),
            "[hosts.\"{spelling}\"]: a certificate matching neither pin was accepted"
        );
        assert!(
            config.sets()[0].pattern().matches("2001:db8::1"),
            "[hosts.\"{spelling}\"] loads but does not match 2001:db8::1"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// 7. Config: the same host under two spellings is silently merged.
// ---------------------------------------------------------------------------------------------

/// TOML refuses a host written twice; KnownHosts refuses `a.lan` and `A.lan` ("is listed again
/// (first on line 1)"). The pin config silently accepts the same host under two spellings and
/// merges them, so a person who edits one copy (removing a compromised pin, setting `expires`)
/// keeps enforcing/accepting the other. Expected: an error naming the second key's line.
#[test]
fn a_host_listed_twice_under_different_spellings_is_an_error() {
    let text = format!(
        "[hosts.\"api.example.com\"]\npins = [\"{PIN_A}\", \"{PIN_B}\"]\n\
         [hosts.\"API.Example.com.\"]\npins = [\"{PIN_A}\", \"{PIN_B}\"]\n"
    );
    match PinConfig::parse(&text) {
        Ok(config) => panic!(
            "the same host was accepted twice: {:?}",
            config
                .sets()
                .iter()
                .map(|s| s.pattern().to_string())
                .collect::<Vec<_>>()
        ),
        Err(e) => assert!(matches!(e, tlspin::Error::Config { line: 3, .. }), "{e}"),
    }
}

// ---------------------------------------------------------------------------------------------
// 8. Error kinds and messages for file problems.
// ---------------------------------------------------------------------------------------------

/// `certs_from_pem_file` documents `Error::Pem` for "a section is malformed"; an unreadable path
/// (here a directory) is an I/O problem and should be `Error::Io` naming the path, as a missing
/// file is. Observed: `Error::Pem { problem: "I/O error: Is a directory" }`.
#[test]
fn reading_a_directory_as_pem_is_an_io_error() {
    let dir = tempfile::tempdir().unwrap();
    let err = tlspin::certs_from_pem_file(dir.path()).unwrap_err();
    assert!(matches!(err, tlspin::Error::Io { .. }), "{err:?}");
}

/// A failed store *write* is reported as "cannot read <file>.lock" / "cannot read
/// <file>.tmp", sending a person to look for a read problem (permissions to read, a missing
/// file) when the store's directory is missing or not writable, or the disk is full.
#[test]
fn a_failed_write_does_not_claim_a_read_failed() {
    let dir = tempfile::tempdir().unwrap();
    // A store in a missing directory is refused when opened, naming the path.
    let missing = dir.path().join("missing-dir").join("known_hosts");
    let err = KnownHosts::open(&missing).unwrap_err();
    let message = err.to_string();
    assert!(
        message.starts_with(&format!("cannot use {}", missing.display())),
        "{message}"
    );
    // A directory the store cannot write in fails the write, not a read.
    let store = KnownHosts::open(dir.path().join("known_hosts")).unwrap();
    std::fs::create_dir(dir.path().join("known_hosts.lock")).unwrap();
    let err = store.add(entry("a.lan")).unwrap_err();
    let message = err.to_string();
    assert!(!message.starts_with("cannot read"), "{message}");
    assert!(message.contains("known_hosts.lock"), "{message}");
}

/// A PEM file with a section that is never closed (a truncated download, a copy-paste that
/// lost the last line) reports `missing section end marker: [67, 69, 82, 84, 73, 70, 73, 67, 65,
/// 84, 69]`: the section label as a list of decimal bytes, which no person can act on.
#[test]
fn an_unterminated_pem_section_is_named_in_text() {
    let cert = self_signed_with(KeyType::EcdsaP256, leaf_params(&["a.lan"]));
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bundle.pem");
    std::fs::write(
        &path,
        format!("{}{}", cert.pem, &cert.pem[..cert.pem.len() / 2]),
    )
    .unwrap();
    let message = tlspin::certs_from_pem_file(&path).unwrap_err().to_string();
    assert!(message.contains("bundle.pem"), "{message}");
    assert!(
        message.contains("CERTIFICATE") && !message.contains("[67, 69"),
        "{message}"
    );
}

// ---------------------------------------------------------------------------------------------
// Checks that held up (kept as regression tests; they pass).
// ---------------------------------------------------------------------------------------------

fn write_store(dir: &Path, text: &str) -> std::path::PathBuf {
    let path = dir.join("known_hosts");
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn held_up_line_endings_and_duplicate_spellings() {
    let dir = tempfile::tempdir().unwrap();
    // CRLF, no final newline, tabs and NBSP between fields.
    let text = format!(
        "# c\r\na.lan:443\t{PIN_A} tofu 2026-01-01T00:00:00Z\r\nb.lan:443\u{a0}{PIN_A} tofu 2026-01-01T00:00:00Z"
    );
    let store = KnownHosts::open(write_store(dir.path(), &text)).unwrap();
    assert_eq!(store.entries().unwrap().len(), 2);

    for (first, second) in [
        ("[::1]", "[0:0::1]"),
        ("a.lan", "A.LAN."),
        ("[2001:db8::1]", "[2001:0db8:0::1]"),
    ] {
        let text = format!("{}{}", line(first), line(second));
        let err = KnownHosts::parse(&text).unwrap_err();
        assert!(
            matches!(err, tlspin::Error::KnownHostsCorrupt { line: 2, .. }),
            "{err}"
        );
    }
    // NUL bytes, BOM: refused with the line, and the file left alone.
    for text in [
        format!("a.lan\0:443 {PIN_A} tofu 2026-01-01T00:00:00Z\n"),
        format!("\u{feff}{}", line("a.lan")),
    ] {
        let path = write_store(dir.path(), &text);
        let err = KnownHosts::open(&path).unwrap_err();
        assert!(
            matches!(err, tlspin::Error::KnownHostsCorrupt { line: 1, .. }),
            "{err}"
        );
        assert_eq!(std::fs::read_to_string(&path).unwrap(), text);
    }
}

#[test]
fn held_up_a_directory_or_stale_temp_file() {
    let dir = tempfile::tempdir().unwrap();
    assert!(matches!(
        KnownHosts::open(dir.path()),
        Err(tlspin::Error::Io { .. })
    ));
    // A stale regular temp file from a crash is simply replaced.
    std::fs::write(dir.path().join("known_hosts.tmp"), "torn").unwrap();
    let store = KnownHosts::open(dir.path().join("known_hosts")).unwrap();
    store.add(entry("a.lan")).unwrap();
    assert_eq!(store.entries().unwrap().len(), 1);
    // A symlink at the lock path is followed but its target is not truncated.
    let target = dir.path().join("lock-target");
    std::fs::write(&target, "keep").unwrap();
    let dir2 = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(&target, dir2.path().join("known_hosts.lock")).unwrap();
    KnownHosts::open(dir2.path().join("known_hosts"))
        .unwrap()
        .add(entry("a.lan"))
        .unwrap();
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "keep");
}

#[test]
fn held_up_config_edge_cases() {
    // Empty pins: an error with the line, never "pin nothing".
    let err = PinConfig::parse("\n[hosts.\"a.example.com\"]\npins = []\n").unwrap_err();
    assert!(
        matches!(err, tlspin::Error::Config { line: 2, .. }),
        "{err}"
    );
    // Exact duplicate keys: TOML refuses.
    let text = format!(
        "[hosts.\"a.example.com\"]\npins = [\"{PIN_A}\"]\n[hosts.\"a.example.com\"]\npins = [\"{PIN_A}\"]\n"
    );
    assert!(PinConfig::parse(&text).is_err());
    // Unknown keys at every level.
    for text in [
        "reportonly = true\n".to_string(),
        format!("[hosts.\"a.example.com\"]\npins = [\"{PIN_A}\"]\nexpire = 2027-01-01\n"),
    ] {
        assert!(PinConfig::parse(&text).is_err(), "{text}");
    }
    // A BOM before the TOML does not shift columns off the value.
    let err = PinConfig::parse("\u{feff}report_only = 3\n").unwrap_err();
    assert!(err.to_string().contains(":1:"), "{err}");
    // Pins parsed from a file that does not exist name the file.
    let err = PinConfig::load("/nonexistent/review/pins.toml").unwrap_err();
    assert!(err.to_string().contains("pins.toml"), "{err}");
    let _: Pin = PIN_B.parse().unwrap();
}

// ---------------------------------------------------------------------------------------------
// Round 2 (commit 65dfc78). A rewrite turns a CRLF store into LF: every untouched line changes.
// ---------------------------------------------------------------------------------------------

/// Promise (`KnownHosts` rustdoc): "A change keeps the rest of the file as it was: comments and
/// blank lines a person added, the lines of untouched entries". The store was parsed fine with
/// CRLF line endings (a file edited on Windows or checked out with autocrlf); adding an entry
/// must not rewrite every other line of it.
#[test]
fn a_crlf_store_keeps_its_lines_byte_for_byte_when_an_entry_is_added() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("known_hosts");
    let text = format!(
        "# lab devices, checked by Ana\r\n\r\na.lan:443 {PIN_A} tofu 2026-01-01T00:00:00Z  # NAS\r\n"
    );
    std::fs::write(&path, &text).unwrap();
    let store = KnownHosts::open(&path).unwrap();
    store.add(entry("b.lan")).unwrap();
    let after = std::fs::read_to_string(&path).unwrap();
    assert!(
        after.starts_with(&text),
        "the untouched lines were rewritten:\nbefore {text:?}\nafter  {after:?}"
    );
}

// ---------------------------------------------------------------------------------------------
// Round 2 (commit 65dfc78). A store path that names a directory becomes a regular file.
// ---------------------------------------------------------------------------------------------

/// Promise (`KnownHosts::open`): "The file need not exist yet (it is created by the first
/// change), but its directory must". `dir/known_hosts/` (trailing slash) names a *directory*
/// `known_hosts` that does not exist; the kernel refuses to create a file by that name
/// (`EISDIR`), and so should `open`, instead of silently opening and later creating the regular
/// file `dir/known_hosts`. The same goes for a dangling link whose target ends in `/`.
#[test]
fn a_store_path_naming_a_directory_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let mut wrong = Vec::new();
    let slash = dir.path().join("known_hosts/");
    std::os::unix::fs::symlink("target/", dir.path().join("link")).unwrap();
    let link = dir.path().join("link");
    for path in [slash, link] {
        if let Ok(store) = KnownHosts::open(&path) {
            let added = store.add(entry("a.lan")).is_ok();
            wrong.push(format!(
                "{} opened as {} (add: {added})",
                path.display(),
                store.path().display()
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
