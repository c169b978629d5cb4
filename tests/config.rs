//! The TOML pin configuration: the documented format parses, and every error names the line,
//! the column and the bad value.
#![cfg(feature = "config")]

mod common;

use common::*;
use rustls::client::danger::ServerCertVerifier;
use rustls::pki_types::ServerName;
use tlspin::{host_pins::HostPinnedVerifier, host_pins::PinConfig, Pin};

const EXAMPLE: &str = r#"
# Report pin failures instead of refusing connections.
report_only = true

[hosts."api.example.com"]
pins = [
  "sha256/ZHE5n8VWNTRIIRGnbwFXtn8dB4aKRJzKXBWnV3+4Jjg=",  # current key
  "sha256//47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=", # backup key
]
expires = 2027-06-30

[hosts."**.internal.example.com"]
pins = ["pin-sha256=\"ZHE5n8VWNTRIIRGnbwFXtn8dB4aKRJzKXBWnV3+4Jjg=\"",
        "3 1 1 E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855"]
expires = 2027-06-30T12:00:00+02:00
"#;

fn pin(s: &str) -> Pin {
    s.parse().unwrap()
}

#[test]
fn the_documented_format_parses() {
    let config = PinConfig::parse(EXAMPLE).unwrap();
    assert!(config.report_only());
    let sets = config.sets();
    assert_eq!(sets.len(), 2);
    let a = pin("sha256/ZHE5n8VWNTRIIRGnbwFXtn8dB4aKRJzKXBWnV3+4Jjg=");
    let b = pin("sha256/47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=");
    let mut both = vec![a, b];
    both.sort();
    assert_eq!(sets[0].pattern().to_string(), "**.internal.example.com");
    assert_eq!(sets[0].pins(), both.as_slice());
    assert_eq!(sets[0].expiry().unwrap().as_secs(), 1_814_349_600); // 2027-06-30T10:00:00Z
    assert_eq!(sets[1].pattern().to_string(), "api.example.com");
    assert_eq!(sets[1].pins(), both.as_slice());
    // A date is the last day enforced: the set stops at 00:00 UTC of the next day.
    assert_eq!(sets[1].expiry().unwrap().as_secs(), 1_814_400_000); // 2027-07-01T00:00:00Z
}

fn error(text: &str) -> String {
    PinConfig::parse(text).unwrap_err().to_string()
}

#[test]
fn errors_name_the_line_column_and_value() {
    let bad_pin = "[hosts.\"api.example.com\"]\npins = [\"sha256/ZHE5n8VWNTRIIRGnbwFXtn8dB4aKRJzKXBWnV3+4Jjg=\",\n        \"sha1/TnTBo4Lmr3J9dSm0bOyEfJ7xTls=\"]\n";
    let message = error(bad_pin);
    assert!(message.starts_with("the given TOML:3:9: "), "{message}");
    assert!(
        message.contains("sha1/TnTBo4Lmr3J9dSm0bOyEfJ7xTls="),
        "{message}"
    );
    assert!(message.contains("SHA-1"), "{message}");
    assert!(message.contains("api.example.com"), "{message}");

    let message = error("report_only = true\n[hosts.\"a.example.com\"]\npins = []\npinz = 1\n");
    assert!(message.starts_with("the given TOML:4:1: "), "{message}");
    assert!(message.contains("pinz"), "{message}");

    let message = error("[hosts.\"a.*.example.com\"]\npins = [\"sha256/47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\"]\n");
    assert!(message.starts_with("the given TOML:1:"), "{message}");
    assert!(message.contains("a.*.example.com"), "{message}");

    let message = error("[hosts.\"a.example.com\"]\npins = []\n");
    assert!(message.contains("has no pins"), "{message}");

    let message = error("[hosts.\"a.example.com\"]\nexpires = 2027-01-01\n");
    assert!(message.contains("pins"), "{message}");

    let message = error("[hosts.\"a.example.com\"]\npins = [\"sha256/47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\"]\nexpires = 12:00:00\n");
    assert!(message.starts_with("the given TOML:3:11: "), "{message}");
    assert!(message.contains("has no date"), "{message}");

    let message = error("report_only = \"yes\"\n");
    assert!(message.starts_with("the given TOML:1:15: "), "{message}");

    let message = error("[hosts.\"a.example.com\"\n");
    assert!(message.starts_with("the given TOML:1:"), "{message}");
}

#[test]
fn files_are_loaded_and_missing_files_named() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("pins.toml");
    std::fs::write(&path, EXAMPLE).unwrap();
    assert_eq!(
        PinConfig::load(&path).unwrap(),
        PinConfig::parse(EXAMPLE).unwrap()
    );

    std::fs::write(&path, "report_only = maybe\n").unwrap();
    let message = PinConfig::load(&path).unwrap_err().to_string();
    assert!(message.contains("pins.toml:1:15"), "{message}");

    let message = PinConfig::load(dir.path().join("absent.toml"))
        .unwrap_err()
        .to_string();
    assert!(message.contains("absent.toml"), "{message}");
}

#[test]
fn a_loaded_config_drives_the_verifier() {
    for (_, provider) in providers() {
        let root = TestCa::new(KeyType::EcdsaP256, "config root");
        let leaf = root.issue(KeyType::EcdsaP256, &["api.example.com"]);
        let enforce = EXAMPLE.replace("report_only = true", "report_only = false");
        for (text, accepted) in [(EXAMPLE.to_string(), true), (enforce, false)] {
            let config = PinConfig::parse(&text).unwrap();
            let verifier = HostPinnedVerifier::builder(roots_of(&[&root.cert]), provider.clone())
                .config(&config)
                .build()
                .unwrap();
            let result = verifier.verify_server_cert(
                &leaf.der,
                &[],
                &ServerName::try_from("api.example.com").unwrap(),
                &[],
                test_time(),
            );
            assert_eq!(result.is_ok(), accepted, "{result:?}");
        }
    }
}
