//! Reading certificates from PEM text and files.

use std::path::Path;
use std::sync::Arc;

use rustls::pki_types::pem::{self, PemObject};
use rustls::pki_types::CertificateDer;

use crate::error::Error;

/// Reads every `CERTIFICATE` section of PEM text, in order; other sections (keys, CSRs) are
/// skipped.
///
/// Fails with [`Error::NoCertificatesInPem`] if there is none, and [`Error::Pem`] if a section is
/// malformed (a file that cannot be read is [`Error::Io`]).
///
/// ```
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let pem = rcgen::generate_simple_self_signed(["device.local".to_string()])?.cert.pem();
/// // `pem` holds "-----BEGIN CERTIFICATE-----\n...", e.g. from std::fs::read_to_string.
/// let certs = tlspin::certs_from_pem(&pem)?;
/// let pin = tlspin::Pin::from_cert_der(&certs[0])?;
/// println!("pin the device with {pin}");
/// # Ok(()) }
/// ```
pub fn certs_from_pem(pem: impl AsRef<[u8]>) -> Result<Vec<CertificateDer<'static>>, Error> {
    collect(
        CertificateDer::pem_slice_iter(pem.as_ref()),
        "the given PEM text".into(),
        None,
    )
}

/// Reads every `CERTIFICATE` section of a PEM file, in order; see [`certs_from_pem`].
pub fn certs_from_pem_file(path: impl AsRef<Path>) -> Result<Vec<CertificateDer<'static>>, Error> {
    let path = path.as_ref();
    let source = path.display().to_string();
    match CertificateDer::pem_file_iter(path) {
        Ok(iter) => collect(iter, source, Some(path)),
        Err(e) => Err(error(e, source, Some(path))),
    }
}

fn collect(
    iter: impl Iterator<Item = Result<CertificateDer<'static>, pem::Error>>,
    source: String,
    file: Option<&Path>,
) -> Result<Vec<CertificateDer<'static>>, Error> {
    let certs = match iter.collect::<Result<Vec<_>, _>>() {
        Ok(certs) => certs,
        Err(e) => return Err(error(e, source, file)),
    };
    if certs.is_empty() {
        return Err(Error::NoCertificatesInPem { source });
    }
    Ok(certs)
}

/// A reading error of `file` as [`Error::Io`]; anything else as [`Error::Pem`], in words.
fn error(error: pem::Error, source: String, file: Option<&Path>) -> Error {
    let problem = match error {
        pem::Error::Io(error) => {
            return Error::Io {
                path: file.unwrap_or(Path::new(&source)).to_owned(),
                error: Arc::new(error),
            }
        }
        other => pem_problem(&other),
    };
    Error::Pem { source, problem }
}

/// A PEM parser's complaint in words, without the input bytes some of its errors carry: in a
/// flattened or damaged file they may be key material.
pub(crate) fn pem_problem(error: &pem::Error) -> String {
    match error {
        // The label is named only when it is plain text: in a file joined onto one line, the
        // "label" runs on into the base64 of the section (a key, perhaps).
        pem::Error::MissingSectionEnd { end_marker }
            if end_marker.len() <= 40
                && end_marker
                    .iter()
                    .all(|b| b.is_ascii_uppercase() || *b == b' ') =>
        {
            let label = String::from_utf8_lossy(end_marker);
            format!("a {label} section has no matching \"-----END {label}-----\" line")
        }
        pem::Error::MissingSectionEnd { .. } => {
            "a section has no matching \"-----END …-----\" line".into()
        }
        pem::Error::IllegalSectionStart { .. } => {
            "a \"-----BEGIN …-----\" line is malformed (is the file cut, or joined onto one line?)"
                .into()
        }
        pem::Error::Base64Decode(_) => "a section's body is not base64".into(),
        other => other.to_string(),
    }
}
