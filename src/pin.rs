//! [`Pin`]: the SHA-256 digest of a certificate's SubjectPublicKeyInfo.

use core::fmt;
use core::str::FromStr;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use rustls::pki_types::{CertificateDer, SubjectPublicKeyInfoDer};

use crate::der;
use crate::error::Error;

/// The SHA-256 digest of a DER-encoded SubjectPublicKeyInfo (SPKI): an "SPKI pin".
///
/// This is the pin format of OkHttp's `CertificatePinner`, curl's `--pinnedpubkey`, HPKP and
/// Android's Network Security Config. It identifies a *key*, not a certificate: a server that
/// renews its certificate with the same key keeps the same pin.
///
/// A pin prints as `sha256/<base64>` and parses from that form or from curl's `sha256//<base64>`.
/// It equals the output of
///
/// ```text
/// openssl x509 -pubkey -noout -in cert.pem | openssl pkey -pubin -outform der \
///   | openssl dgst -sha256 -binary | base64
/// ```
///
/// # Example
/// ```
/// use tlspin::Pin;
///
/// let pin: Pin = "sha256/ZHE5n8VWNTRIIRGnbwFXtn8dB4aKRJzKXBWnV3+4Jjg=".parse()?;
/// assert_eq!(pin.to_string(), "sha256/ZHE5n8VWNTRIIRGnbwFXtn8dB4aKRJzKXBWnV3+4Jjg=");
/// // curl's form parses to the same pin.
/// assert_eq!(pin, "sha256//ZHE5n8VWNTRIIRGnbwFXtn8dB4aKRJzKXBWnV3+4Jjg=".parse()?);
///
/// // A SHA-1 pin is refused with an error that says why.
/// let err = "sha1/TnTBo4Lmr3J9dSm0bOyEfJ7xTls=".parse::<Pin>().unwrap_err();
/// assert!(err.to_string().contains("SHA-1"));
/// # Ok::<(), tlspin::Error>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Pin([u8; Pin::LEN]);

impl Pin {
    /// Length of a SHA-256 digest in bytes.
    pub const LEN: usize = 32;

    /// Hashes a DER-encoded SubjectPublicKeyInfo (with its outer `SEQUENCE`).
    ///
    /// The bytes are hashed as given; nothing is parsed. Use [`Pin::from_cert_der`] for a
    /// certificate.
    pub fn from_spki_der(spki: &[u8]) -> Self {
        Self(sha256(spki))
    }

    /// Computes the pin of a DER-encoded X.509 certificate's public key.
    ///
    /// Only the structure up to the SubjectPublicKeyInfo is read, so this works for any
    /// well-formed certificate, including ones rustls would refuse for other reasons. A malformed
    /// certificate gives [`Error::InvalidCertificate`] saying where and why it is malformed.
    pub fn from_cert_der(cert: &CertificateDer<'_>) -> Result<Self, Error> {
        der::parse_certificate(cert.as_ref())
            .map(|fields| Self::from_spki_der(fields.spki))
            .map_err(Error::from)
    }

    /// Wraps an existing SHA-256 digest of an SPKI.
    pub const fn from_sha256(digest: [u8; Pin::LEN]) -> Self {
        Self(digest)
    }

    /// The raw SHA-256 digest.
    pub const fn as_bytes(&self) -> &[u8; Pin::LEN] {
        &self.0
    }

    /// The pin in curl's `--pinnedpubkey` form, `sha256//<base64>`.
    pub fn to_curl_string(&self) -> String {
        format!("sha256//{}", STANDARD.encode(self.0))
    }
}

impl From<&SubjectPublicKeyInfoDer<'_>> for Pin {
    fn from(spki: &SubjectPublicKeyInfoDer<'_>) -> Self {
        Self::from_spki_der(spki.as_ref())
    }
}

impl fmt::Display for Pin {
    /// Prints the OkHttp form, `sha256/<base64>`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "sha256/{}", STANDARD.encode(self.0))
    }
}

impl fmt::Debug for Pin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Pin({self})")
    }
}

impl FromStr for Pin {
    type Err = Error;

    /// Parses every common way of writing an SPKI SHA-256 pin; surrounding whitespace is ignored:
    ///
    /// | form | origin |
    /// |---|---|
    /// | `sha256/<base64>` | OkHttp, Android |
    /// | `sha256//<base64>` | curl `--pinnedpubkey` |
    /// | `pin-sha256="<base64>"` | HPKP header |
    /// | `SPKI-SHA256-BASE64 <base64>` (or `=`/`:`), or the plist `<key>SPKI-SHA256-BASE64</key><string><base64></string>` | iOS `NSPinnedDomains` |
    /// | `3 1 1 <hex>`, optionally after `... IN TLSA` | DANE TLSA, selector 1 (SPKI), matching type 1 (SHA-256) |
    ///
    /// The base64 must be standard (not URL-safe) and decode to 32 bytes. SHA-1 pins are refused.
    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let invalid = |problem: String| Error::InvalidPin {
            input: input.to_owned(),
            problem,
        };
        let text = input.trim();
        let digest = if let Some(rest) = strip_prefix_ignore_case(text, "pin-sha256=") {
            let quoted = rest.trim_end_matches(';').trim();
            let unquoted = quoted
                .strip_prefix('"')
                .and_then(|q| q.strip_suffix('"'))
                .unwrap_or(quoted);
            decode_base64(unquoted)
        } else if let Some(rest) = strip_prefix_ignore_case(text, "<key>SPKI-SHA256-BASE64</key>") {
            match rest
                .trim()
                .strip_prefix("<string>")
                .and_then(|r| r.strip_suffix("</string>"))
            {
                Some(encoded) => decode_base64(encoded.trim()),
                None => Err("the plist key is not followed by <string>…</string>".into()),
            }
        } else if let Some(rest) = strip_prefix_ignore_case(text, "SPKI-SHA256-BASE64") {
            decode_base64(rest.trim_start_matches([' ', '\t', '=', ':']))
        } else if let Some(record) = tlsa_record(text) {
            decode_tlsa(record)
        } else if let Some((algorithm, rest)) = text.split_once('/') {
            if algorithm.eq_ignore_ascii_case("sha256") {
                match rest.strip_prefix('/') {
                    // curl's "sha256//<base64>", or OkHttp's form of a digest whose base64
                    // starts with '/': only one of the two is 44 characters long.
                    Some(curl) => {
                        decode_base64(curl).or_else(|e| decode_base64(rest).map_err(|_| e))
                    }
                    None => decode_base64(rest),
                }
            } else if algorithm.eq_ignore_ascii_case("sha1") {
                Err(
                    "it is a SHA-1 pin; SHA-1 pins are not accepted because SHA-1 is broken \
                     and OkHttp, curl and Android all pin SHA-256"
                        .into(),
                )
            } else {
                Err(format!("the algorithm prefix is {algorithm:?}"))
            }
        } else {
            Err("it is in none of the known pin forms".into())
        };
        digest.map(Self).map_err(invalid)
    }
}

fn strip_prefix_ignore_case<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    let head = text.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| text.get(prefix.len()..))
        .flatten()
}

/// Standard base64 of exactly 32 bytes.
pub(crate) fn decode_base64(encoded: &str) -> Result<[u8; Pin::LEN], String> {
    if encoded.contains(['-', '_']) {
        return Err(
            "the digest contains '-' or '_', which is base64url; pins use standard \
                    base64 ('+' and '/')"
                .into(),
        );
    }
    let bytes = STANDARD
        .decode(encoded)
        .map_err(|e| format!("the digest is not valid base64 ({e})"))?;
    exactly_32(&bytes)
}

fn exactly_32(bytes: &[u8]) -> Result<[u8; Pin::LEN], String> {
    bytes.try_into().map_err(|_| {
        format!(
            "the digest decodes to {} bytes instead of {}",
            bytes.len(),
            Pin::LEN
        )
    })
}

/// The `usage selector matching data` part of a TLSA record, if `text` looks like one: either
/// it contains the `TLSA` type, or it starts with a single-digit usage field.
fn tlsa_record(text: &str) -> Option<&str> {
    if let Some(at) = text.find(" TLSA ").or_else(|| text.find("\tTLSA\t")) {
        return text.get(at + 6..).map(str::trim);
    }
    let mut chars = text.chars();
    match (chars.next(), chars.next()) {
        (Some(digit), Some(space)) if digit.is_ascii_digit() && space.is_whitespace() => Some(text),
        _ => None,
    }
}

/// Parses `usage selector matching-type hex…` (the hex may be split by whitespace).
fn decode_tlsa(record: &str) -> Result<[u8; Pin::LEN], String> {
    let mut fields = record.split_whitespace();
    let mut number = |name: &str| -> Result<u8, String> {
        let field = fields.next().unwrap_or_default();
        field
            .parse::<u8>()
            .map_err(|_| format!("the TLSA {name} field is {field:?}, not a number"))
    };
    let usage = number("usage")?;
    let selector = number("selector")?;
    let matching = number("matching type")?;
    if usage != 3 {
        return Err(format!(
            "the TLSA usage is {usage}; tlspin reads usage 3 (DANE-EE: the server's own key, \
             without PKIX validation). Usages 0 and 1 also require PKIX validation and usage 2 \
             names a trust anchor: pin such a key as sha256/... with PinnedWebPkiVerifier"
        ));
    }
    if selector != 1 {
        return Err(format!(
            "the TLSA selector is {selector}; tlspin pins the public key (selector 1, \
             SubjectPublicKeyInfo), not the whole certificate (selector 0)"
        ));
    }
    if matching != 1 {
        return Err(format!(
            "the TLSA matching type is {matching}; tlspin pins SHA-256 digests (matching type 1)"
        ));
    }
    let hex: String = fields.collect();
    if hex.len() != 2 * Pin::LEN {
        return Err(format!(
            "the TLSA data has {} hex digits instead of {}",
            hex.len(),
            2 * Pin::LEN
        ));
    }
    let digits: Option<Vec<u8>> = hex
        .as_bytes()
        .chunks(2)
        .map(|pair| {
            // from_str_radix alone would also take a sign ("+f").
            if !pair.iter().all(u8::is_ascii_hexdigit) {
                return None;
            }
            u8::from_str_radix(core::str::from_utf8(pair).ok()?, 16).ok()
        })
        .collect();
    exactly_32(&digits.ok_or("the TLSA data is not hexadecimal")?)
}

#[cfg(feature = "aws-lc-rs")]
fn sha256(data: &[u8]) -> [u8; Pin::LEN] {
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, data);
    let mut out = [0; Pin::LEN];
    out.copy_from_slice(digest.as_ref());
    out
}

#[cfg(all(feature = "ring", not(feature = "aws-lc-rs")))]
fn sha256(data: &[u8]) -> [u8; Pin::LEN] {
    let digest = ring::digest::digest(&ring::digest::SHA256, data);
    let mut out = [0; Pin::LEN];
    out.copy_from_slice(digest.as_ref());
    out
}

/// Whether [`sha256`] runs in a FIPS-validated module: aws-lc-rs built with its `fips` feature
/// (tlspin's feature `fips`), which reports itself so at run time.
#[cfg(feature = "aws-lc-rs")]
pub(crate) fn digests_in_fips_module() -> bool {
    aws_lc_rs::try_fips_mode().is_ok()
}

/// *ring* is not a FIPS-validated module.
#[cfg(not(feature = "aws-lc-rs"))]
pub(crate) fn digests_in_fips_module() -> bool {
    false
}

#[cfg(not(any(feature = "aws-lc-rs", feature = "ring")))]
compile_error!("tlspin needs one of its features `aws-lc-rs` or `ring` (it hashes pins with it)");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256_of_empty_input_is_the_known_digest() {
        // SHA-256("") from FIPS 180-2 test vectors.
        assert_eq!(
            Pin::from_spki_der(b"").to_string(),
            "sha256/47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="
        );
    }

    #[test]
    fn a_digest_whose_base64_starts_with_a_slash_round_trips_in_both_forms() {
        let pin = Pin::from_sha256([0xfc; 32]);
        assert!(pin.to_string().starts_with("sha256//P"), "{pin}");
        assert_eq!(pin.to_string().parse::<Pin>().unwrap(), pin);
        assert_eq!(pin.to_curl_string().parse::<Pin>().unwrap(), pin);
        let pin = Pin::from_sha256([0xff; 32]);
        assert_eq!(pin.to_string().parse::<Pin>().unwrap(), pin);
        assert_eq!(pin.to_curl_string().parse::<Pin>().unwrap(), pin);
    }

    #[test]
    fn round_trips_both_forms() {
        let pin = Pin::from_sha256([7; 32]);
        assert_eq!(pin.to_string().parse::<Pin>().unwrap(), pin);
        assert_eq!(pin.to_curl_string().parse::<Pin>().unwrap(), pin);
        assert_eq!(format!("  {pin}\n").parse::<Pin>().unwrap(), pin);
        assert_eq!(
            pin.to_string()
                .replace("sha256", "SHA256")
                .parse::<Pin>()
                .unwrap(),
            pin
        );
    }

    #[test]
    fn every_form_parses_to_the_same_pin() {
        let pin = Pin::from_spki_der(b"tlspin");
        let b64 = STANDARD.encode(pin.as_bytes());
        let hex: String = pin.as_bytes().iter().map(|b| format!("{b:02X}")).collect();
        let (hex_a, hex_b) = hex.split_at(20);
        let forms = [
            format!("sha256/{b64}"),
            format!("sha256//{b64}"),
            format!("pin-sha256=\"{b64}\""),
            format!("pin-sha256=\"{b64}\";"),
            format!("PIN-SHA256={b64}"),
            format!("SPKI-SHA256-BASE64 {b64}"),
            format!("SPKI-SHA256-BASE64={b64}"),
            format!("SPKI-SHA256-BASE64: {b64}"),
            format!("<key>SPKI-SHA256-BASE64</key>\n  <string>{b64}</string>"),
            format!("3 1 1 {hex}"),
            format!("3 1 1 {}", hex.to_lowercase()),
            format!("3 1 1 {hex_a} {hex_b}"),
            format!("_443._tcp.example.com. 3600 IN TLSA 3 1 1 {hex}"),
        ];
        for form in forms {
            assert_eq!(form.parse::<Pin>().unwrap(), pin, "{form}");
        }
    }

    #[test]
    fn tlsa_records_that_are_not_spki_sha256_are_refused() {
        let hex = "AB".repeat(32);
        let cases = [
            (format!("3 0 1 {hex}"), "selector is 0"),
            (format!("3 1 2 {}", "AB".repeat(64)), "matching type is 2"),
            (format!("3 1 0 {hex}"), "matching type is 0"),
            (format!("4 1 1 {hex}"), "usage is 4"),
            // PKIX-TA, PKIX-EE and DANE-TA records say more than "this key": not a bare pin.
            (format!("0 1 1 {hex}"), "usage is 0"),
            (format!("1 1 1 {hex}"), "usage is 1"),
            (format!("2 1 1 {hex}"), "usage is 2"),
            (format!("3 1 1 +f{}", "AB".repeat(31)), "not hexadecimal"),
            (
                format!("3 1 1 {}", "AB".repeat(31)),
                "62 hex digits instead of 64",
            ),
            (format!("3 1 1 {}", "ZZ".repeat(32)), "not hexadecimal"),
            ("3 x 1 00".to_string(), "selector field is \"x\""),
            ("3 1".to_string(), "matching type field is \"\""),
            (
                format!("3 1 1 {}é", "A".repeat(63)),
                "hex digits instead of 64",
            ),
        ];
        for (input, needle) in cases {
            let message = input.parse::<Pin>().unwrap_err().to_string();
            assert!(message.contains(needle), "{input}: {message}");
        }
    }

    #[test]
    fn rejections_say_what_was_seen() {
        let cases = [
            ("", "none of the known pin forms"),
            ("pin-sha256=\"abc\"", "not valid base64"),
            (
                "<key>SPKI-SHA256-BASE64</key><integer>1</integer>",
                "not followed by <string>",
            ),
            (
                "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=",
                "algorithm prefix is \"47DEQpj8HBSa+\"",
            ),
            ("sha1/TnTBo4Lmr3J9dSm0bOyEfJ7xTls=", "SHA-1"),
            ("md5/abc", "algorithm prefix is \"md5\""),
            (
                "sha256/47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU=",
                "base64url",
            ),
            ("sha256/not base64!", "not valid base64"),
            (
                "sha256/47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU",
                "not valid base64",
            ),
            (
                "sha256/TnTBo4Lmr3J9dSm0bOyEfJ7xTls=",
                "20 bytes instead of 32",
            ),
            ("sha256/", "0 bytes instead of 32"),
            (
                "sha256///47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=",
                "not valid base64",
            ),
        ];
        for (input, needle) in cases {
            let err = input.parse::<Pin>().unwrap_err();
            let message = err.to_string();
            assert!(message.contains(needle), "{input:?}: {message}");
            assert!(message.contains("expected"), "{input:?}: {message}");
        }
    }
}
