//! What `tlspin pin` prints about a certificate: names, validity, key type, pins, fingerprint.

use std::fmt::Write as _;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::CertificateDer;
use serde::Serialize;
use tlspin::Pin;
use x509_parser::prelude::{FromDer, GeneralName, X509Certificate};
use x509_parser::time::ASN1Time;
use x509_parser::x509::SubjectPublicKeyInfo;

use crate::exit::Failure;

/// The largest certificate file `tlspin pin` reads (certificate bundles are far smaller).
pub const MAX_INPUT: u64 = 16 * 1024 * 1024;

/// One certificate, described.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CertInfo {
    /// The subject distinguished name (RFC 4514 style, e.g. `CN=localhost`).
    pub subject: String,
    /// The issuer distinguished name.
    pub issuer: String,
    /// Start of the validity period, `YYYY-MM-DD hh:mm:ss UTC`.
    pub not_before: String,
    /// End of the validity period, `YYYY-MM-DD hh:mm:ss UTC`.
    pub not_after: String,
    /// subjectAltName entries, as `DNS:name`, `IP:address`, `email:...` or `URI:...`.
    pub sans: Vec<String>,
    /// The public key type, e.g. `ECDSA P-256` or `RSA 2048-bit`.
    pub key_type: String,
    /// The SPKI pin in OkHttp form, `sha256/<base64>`.
    pub pin: String,
    /// The SPKI pin in curl form, `sha256//<base64>`.
    pub pin_curl: String,
    /// SHA-256 of the whole certificate, as `openssl x509 -fingerprint -sha256` prints it.
    pub sha256_fingerprint: String,
}

/// Reads certificates from PEM text (every `CERTIFICATE` section) or from one DER certificate.
///
/// `source` names the input in error messages.
pub fn read_certificates(
    bytes: &[u8],
    source: &str,
) -> Result<Vec<CertificateDer<'static>>, Failure> {
    let is_pem = bytes.windows(11).any(|window| window == b"-----BEGIN ");
    if is_pem {
        return tlspin::certs_from_pem(bytes).map_err(|e| {
            Failure::usage(format!(
                "{source}: {}",
                e.to_string().replace("the given PEM text", "the input")
            ))
        });
    }
    match bytes.first() {
        Some(0x30) => Ok(vec![CertificateDer::from(bytes.to_vec())]),
        Some(byte) => Err(Failure::usage(format!(
            "{source}: expected a PEM certificate (\"-----BEGIN CERTIFICATE-----\") or a DER \
             certificate (first byte 0x30), found first byte 0x{byte:02x} and no PEM header"
        ))),
        None => Err(Failure::usage(format!(
            "{source}: expected a PEM or DER certificate, found empty input"
        ))),
    }
}

/// Describes one DER certificate. `index` is its position in the input, for error messages.
pub fn describe(cert: &CertificateDer<'_>, index: usize) -> Result<CertInfo, Failure> {
    let der = cert.as_ref();
    let pin = Pin::from_cert_der(cert)
        .map_err(|e| Failure::usage(format!("certificate [{index}]: {e}")))?;
    let parsed = match X509Certificate::from_der(der) {
        Ok((_, parsed)) => parsed,
        Err(e) => {
            return Err(Failure::usage(format!(
                "certificate [{index}]: expected a well-formed X.509 certificate, the X.509 \
                 parser found: {e}"
            )))
        }
    };
    let sans = match parsed.subject_alternative_name() {
        Ok(Some(extension)) => extension
            .value
            .general_names
            .iter()
            .map(general_name)
            .collect(),
        Ok(None) => Vec::new(),
        Err(e) => {
            return Err(Failure::usage(format!(
                "certificate [{index}]: expected a well-formed subjectAltName extension, found: \
                 {e}"
            )))
        }
    };
    Ok(CertInfo {
        subject: parsed.subject().to_string(),
        issuer: parsed.issuer().to_string(),
        not_before: utc(&parsed.validity().not_before),
        not_after: utc(&parsed.validity().not_after),
        sans,
        key_type: key_type(parsed.public_key()),
        pin: pin.to_string(),
        pin_curl: pin.to_curl_string(),
        sha256_fingerprint: sha256_fingerprint(der),
    })
}

/// The SHA-256 of `der` as colon-separated uppercase hex, as `openssl x509 -fingerprint -sha256`
/// prints it (after its `sha256 Fingerprint=` prefix).
pub fn sha256_fingerprint(der: &[u8]) -> String {
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, der);
    let mut out = String::with_capacity(95);
    for (i, byte) in digest.as_ref().iter().enumerate() {
        if i > 0 {
            out.push(':');
        }
        let _ = write!(out, "{byte:02X}");
    }
    out
}

fn utc(time: &ASN1Time) -> String {
    let t = time.to_datetime();
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02} UTC",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

fn general_name(name: &GeneralName<'_>) -> String {
    match name {
        GeneralName::DNSName(dns) => format!("DNS:{dns}"),
        GeneralName::IPAddress(bytes) => match <[u8; 4]>::try_from(*bytes) {
            Ok(v4) => format!("IP:{}", std::net::Ipv4Addr::from(v4)),
            Err(_) => match <[u8; 16]>::try_from(*bytes) {
                Ok(v6) => format!("IP:{}", std::net::Ipv6Addr::from(v6)),
                Err(_) => format!("IP:(malformed, {} bytes)", bytes.len()),
            },
        },
        GeneralName::RFC822Name(email) => format!("email:{email}"),
        GeneralName::URI(uri) => format!("URI:{uri}"),
        other => format!("{other}"),
    }
}

/// The key type of a SubjectPublicKeyInfo, as `tlspin pin` names it (see
/// [`crate::keytype::key_type`]).
pub fn key_type(spki: &SubjectPublicKeyInfo<'_>) -> String {
    crate::keytype::key_type(spki)
}

/// A public key read from a file (`openssl pkey -pubout`): its type and pins.
#[derive(Debug, Clone, Serialize)]
pub struct KeyInfo {
    /// e.g. "ECDSA P-256", "RSA 2048-bit".
    pub key_type: String,
    /// `sha256/<base64>`.
    pub pin: String,
    /// `sha256//<base64>`, curl's form.
    pub pin_curl: String,
}

/// Describes the public key in `bytes` (PEM `PUBLIC KEY` or DER SubjectPublicKeyInfo), or says
/// why it is not one.
pub fn describe_public_key(bytes: &[u8], source: &str) -> Result<KeyInfo, Failure> {
    let pin = Pin::from_public_key(bytes)
        .map_err(|e| Failure::usage(e.to_string().replace("the given bytes", source)))?;
    let der = if bytes.windows(11).any(|w| w == b"-----BEGIN ") {
        rustls::pki_types::SubjectPublicKeyInfoDer::from_pem_slice(bytes)
            .map(|key| key.as_ref().to_vec())
            .map_err(|e| Failure::usage(format!("{source}: {e}")))?
    } else {
        bytes.to_vec()
    };
    let key_type = match SubjectPublicKeyInfo::from_der(&der) {
        Ok((_, spki)) => key_type(&spki),
        Err(e) => format!("unreadable key ({e})"),
    };
    Ok(KeyInfo {
        key_type,
        pin: pin.to_string(),
        pin_curl: pin.to_curl_string(),
    })
}

/// Whether `bytes` are to be read as a key rather than as certificates: PEM with a `... KEY`
/// block and no `CERTIFICATE` block, or DER that is a SubjectPublicKeyInfo. Keys of the wrong kind (a
/// private key, PKCS#1) then get the library's reason and the command that converts them.
pub fn is_public_key(bytes: &[u8]) -> bool {
    let has = |text: &[u8]| bytes.windows(text.len()).any(|w| w == text);
    if has(b"-----BEGIN ") {
        return !has(b"-----BEGIN CERTIFICATE-----") && has(b" KEY-----");
    }
    Pin::from_public_key(bytes).is_ok()
}

/// The human-readable block `tlspin pin` prints for certificate `index` of a chain.
pub fn render(info: &CertInfo, index: usize) -> String {
    let role = if index == 0 { "leaf" } else { "chain" };
    let sans = if info.sans.is_empty() {
        "(none)".to_owned()
    } else {
        info.sans.join(", ")
    };
    format!(
        "certificate [{index}] ({role})\n  \
         subject:      {}\n  \
         issuer:       {}\n  \
         valid:        {} to {}\n  \
         SANs:         {sans}\n  \
         key:          {}\n  \
         pin (OkHttp): {}\n  \
         pin (curl):   {}\n  \
         SHA-256 fingerprint: {}\n",
        info.subject,
        info.issuer,
        info.not_before,
        info.not_after,
        info.key_type,
        info.pin,
        info.pin_curl,
        info.sha256_fingerprint
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn input_that_is_neither_pem_nor_der_says_what_it_found() {
        let err = read_certificates(b"hello", "stdin").unwrap_err();
        assert!(err.message.contains("found first byte 0x68"), "{err}");
        let err = read_certificates(b"", "stdin").unwrap_err();
        assert!(err.message.contains("found empty input"), "{err}");
        let err = read_certificates(b"-----BEGIN PRIVATE KEY-----\n", "k.pem").unwrap_err();
        assert!(err.message.starts_with("k.pem: "), "{err}");
    }

    #[test]
    fn garbage_der_is_an_error_not_a_panic() {
        for bytes in [&b"\x30"[..], b"\x30\x03\x02\x01", b"\x30\x82\xff\xff"] {
            let certs = read_certificates(bytes, "x").unwrap();
            let err = describe(&certs[0], 0).unwrap_err();
            assert!(err.message.contains("certificate [0]"), "{err}");
        }
    }

    #[test]
    fn fingerprint_of_empty_input_is_the_known_digest() {
        assert_eq!(
            sha256_fingerprint(b""),
            "E3:B0:C4:42:98:FC:1C:14:9A:FB:F4:C8:99:6F:B9:24:27:AE:41:E4:64:9B:93:4C:A4:95:99:1B:78:52:B8:55"
        );
    }
}
