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
/// malformed.
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
    )
}

/// Reads every `CERTIFICATE` section of a PEM file, in order; see [`certs_from_pem`].
pub fn certs_from_pem_file(path: impl AsRef<Path>) -> Result<Vec<CertificateDer<'static>>, Error> {
    let path = path.as_ref();
    let source = path.display().to_string();
    match CertificateDer::pem_file_iter(path) {
        Ok(iter) => collect(iter, source),
        Err(pem::Error::Io(error)) => Err(Error::Io {
            path: path.to_owned(),
            error: Arc::new(error),
        }),
        Err(e) => Err(Error::Pem {
            source,
            problem: e.to_string(),
        }),
    }
}

fn collect(
    iter: impl Iterator<Item = Result<CertificateDer<'static>, pem::Error>>,
    source: String,
) -> Result<Vec<CertificateDer<'static>>, Error> {
    let certs = iter
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| Error::Pem {
            source: source.clone(),
            problem: e.to_string(),
        })?;
    if certs.is_empty() {
        return Err(Error::NoCertificatesInPem { source });
    }
    Ok(certs)
}
