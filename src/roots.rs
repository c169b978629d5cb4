//! Root certificates for WebPKI validation, for [`PinnedWebPkiVerifier`](crate::PinnedWebPkiVerifier)
//! and [`HostPinnedVerifier`](crate::host_pins::HostPinnedVerifier): Mozilla's, compiled in
//! (feature `webpki-roots`), or the operating system's (feature `native-roots`).
//!
//! Neither ever hands back an empty store: a store that rejects every server looks like an
//! attack, not like a missing file.

#[cfg(feature = "webpki-roots")]
/// Mozilla's root certificates as the `webpki-roots` crate compiles them in: the same on every
/// machine, updated when you update that crate.
///
/// ```
/// let roots = tlspin::roots::mozilla();
/// assert!(roots.len() > 100);
/// ```
pub fn mozilla() -> rustls::RootCertStore {
    rustls::RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    }
}

#[cfg(feature = "native-roots")]
/// The operating system's root certificates, as `rustls-native-certs` finds them: when
/// `SSL_CERT_FILE` or `SSL_CERT_DIR` is set, the PEM bundle and directories they name and
/// nothing else; otherwise the platform's store (on Linux the bundle and directory OpenSSL
/// would use, such as `/etc/ssl/certs`).
///
/// Fails with [`Error::NativeRoots`] naming where it looked and what those variables held, if
/// any file or directory there cannot be read or parsed, if a certificate found cannot be a
/// trust anchor, or if none was found: never an empty store, and never a store silently
/// missing part of what you pointed it at. With `SSL_CERT_DIR`, every file in those directories
/// must be PEM (a dangling link or a DER file is named in the error).
///
/// ```no_run
/// let roots = tlspin::roots::native()?;
/// # Ok::<(), tlspin::Error>(())
/// ```
pub fn native() -> Result<rustls::RootCertStore, Error> {
    let failed = |problem: String| Error::NativeRoots {
        problem,
        searched: searched(),
    };
    let mut problems = unusable_files();
    let loaded = rustls_native_certs::load_native_certs();
    if problems.is_empty() {
        // The files were checked one by one above; what is left names no file of its own.
        problems.extend(loaded.errors.iter().map(ToString::to_string));
    }
    if !problems.is_empty() {
        return Err(failed(problems.join("; ")));
    }
    let mut roots = rustls::RootCertStore::empty();
    let (added, ignored) = roots.add_parsable_certificates(loaded.certs);
    if ignored > 0 {
        return Err(failed(format!(
            "{ignored} of the {} certificates found cannot be a trust anchor (not X.509, or not \
             DER)",
            added + ignored
        )));
    }
    if added == 0 {
        return Err(failed("no certificate was found there".into()));
    }
    Ok(roots)
}

/// The operating system's roots loaded as rustls-platform-verifier loads them: files that cannot
/// be read or parsed are logged and skipped, and the store may be empty (on platforms where
/// rustls-native-certs finds nothing). For the platform verifier's CA pins only, where missing
/// roots can make a pin fail but never make one pass.
#[cfg(feature = "platform")]
pub(crate) fn native_as_the_platform_loads_them() -> rustls::RootCertStore {
    let loaded = rustls_native_certs::load_native_certs();
    for error in &loaded.errors {
        log::warn!("tlspin: a native root certificate could not be loaded: {error}");
    }
    let mut roots = rustls::RootCertStore::empty();
    let (_, ignored) = roots.add_parsable_certificates(loaded.certs);
    if ignored > 0 {
        log::warn!("tlspin: {ignored} native root certificates cannot be trust anchors");
    }
    roots
}

/// The file `SSL_CERT_FILE` names, if set (even to nothing, as rustls-native-certs reads it).
#[cfg(feature = "native-roots")]
fn cert_file() -> Option<std::path::PathBuf> {
    std::env::var_os("SSL_CERT_FILE").map(std::path::PathBuf::from)
}

/// The directories `SSL_CERT_DIR` names, empty components left out (as rustls-native-certs
/// does).
#[cfg(feature = "native-roots")]
fn cert_dirs() -> Vec<std::path::PathBuf> {
    std::env::var_os("SSL_CERT_DIR")
        .map(|dirs| {
            std::env::split_paths(&dirs)
                .filter(|dir| !dir.as_os_str().is_empty())
                .collect()
        })
        .unwrap_or_default()
}

/// Every file that `SSL_CERT_FILE` and `SSL_CERT_DIR` name and that rustls-native-certs would
/// skip or report without naming it: unreadable files, dangling links, files that are not PEM,
/// PEM that does not parse. (The platform's own store is left to rustls-native-certs.)
#[cfg(feature = "native-roots")]
fn unusable_files() -> Vec<String> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::CertificateDer;

    let check = |path: &std::path::Path| -> Option<String> {
        match std::fs::read(path) {
            Err(e) => Some(format!("{}: {e}", path.display())),
            Ok(bytes) if !bytes.windows(11).any(|w| w == b"-----BEGIN ") => Some(format!(
                "{}: not PEM (no \"-----BEGIN\" line)",
                path.display()
            )),
            Ok(bytes) => CertificateDer::pem_slice_iter(&bytes)
                .find_map(Result::err)
                .map(|e| format!("{}: {}", path.display(), crate::certs::pem_problem(&e))),
        }
    };
    let mut problems = Vec::new();
    if let Some(file) = cert_file() {
        problems.extend(check(&file));
    }
    for dir in cert_dirs() {
        let entries = match std::fs::read_dir(&dir) {
            Ok(entries) => entries,
            // rustls-native-certs reports an unreadable directory itself, naming it.
            Err(_) => continue,
        };
        for entry in entries.flatten() {
            let path = entry.path();
            match std::fs::metadata(&path) {
                Ok(metadata) if metadata.is_file() => problems.extend(check(&path)),
                Ok(_) => {}
                Err(e) => problems.push(format!("{}: {e} (a dangling link?)", path.display())),
            }
        }
    }
    problems
}

#[cfg(feature = "native-roots")]
use crate::error::Error;

/// Where `rustls-native-certs` looks, in words, with the variables it read.
#[cfg(feature = "native-roots")]
fn searched() -> String {
    let variable = |name: &str| match std::env::var_os(name) {
        Some(value) => format!("{name}={value:?}"),
        None => format!("{name} unset"),
    };
    let variables = format!(
        "{}, {}",
        variable("SSL_CERT_FILE"),
        variable("SSL_CERT_DIR")
    );
    if cert_file().is_some() || !cert_dirs().is_empty() {
        return format!("read only what {variables} name");
    }
    format!(
        "{variables}, so the platform's store was read{}",
        platform_locations()
    )
}

#[cfg(all(feature = "native-roots", unix, not(target_os = "macos")))]
fn platform_locations() -> String {
    let probe = openssl_probe::probe();
    let mut places: Vec<String> = probe
        .cert_file
        .iter()
        .map(|f| f.display().to_string())
        .collect();
    places.extend(probe.cert_dir.iter().map(|d| d.display().to_string()));
    if places.is_empty() {
        ": no certificate bundle or directory exists in OpenSSL's usual places".into()
    } else {
        format!(" ({})", places.join(", "))
    }
}

#[cfg(all(feature = "native-roots", not(all(unix, not(target_os = "macos")))))]
fn platform_locations() -> String {
    String::new()
}
