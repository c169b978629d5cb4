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

    /// Parses `sha256/<base64>` (OkHttp, HPKP) or `sha256//<base64>` (curl). Surrounding
    /// whitespace is ignored; the base64 must be standard (not URL-safe) and decode to 32 bytes.
    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let invalid = |problem: String| Error::InvalidPin {
            input: input.to_owned(),
            problem,
        };
        let trimmed = input.trim();
        let Some((algorithm, rest)) = trimmed.split_once('/') else {
            return Err(invalid(
                "there is no algorithm prefix (no '/' in the input)".into(),
            ));
        };
        if !algorithm.eq_ignore_ascii_case("sha256") {
            return Err(invalid(if algorithm.eq_ignore_ascii_case("sha1") {
                "it is a SHA-1 pin; SHA-1 pins are not accepted because SHA-1 is broken \
                 and OkHttp, curl and Android all pin SHA-256"
                    .into()
            } else {
                format!("the algorithm prefix is {algorithm:?}")
            }));
        }
        let encoded = rest.strip_prefix('/').unwrap_or(rest);
        if encoded.contains(['-', '_']) {
            return Err(invalid(
                "the digest contains '-' or '_', which is base64url; pins use standard base64 \
                 ('+' and '/')"
                    .into(),
            ));
        }
        let bytes = STANDARD
            .decode(encoded)
            .map_err(|e| invalid(format!("the digest is not valid base64 ({e})")))?;
        let digest: [u8; Pin::LEN] = bytes.as_slice().try_into().map_err(|_| {
            invalid(format!(
                "the digest decodes to {} bytes instead of {}",
                bytes.len(),
                Pin::LEN
            ))
        })?;
        Ok(Self(digest))
    }
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
    fn rejections_say_what_was_seen() {
        let cases = [
            ("", "no algorithm prefix"),
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
