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
/// any file or directory there cannot be read or parsed, or if no root certificate was found:
/// never an empty store. Certificates that parse but cannot be trust anchors are skipped with a
/// warning (that refuses more, never less).
///
/// ```no_run
/// let roots = tlspin::roots::native()?;
/// # Ok::<(), tlspin::Error>(())
/// ```
pub fn native() -> Result<rustls::RootCertStore, Error> {
    let loaded = rustls_native_certs::load_native_certs();
    let failed = |problem: String| Error::NativeRoots {
        problem,
        searched: searched(),
    };
    if !loaded.errors.is_empty() {
        let problems: Vec<String> = loaded.errors.iter().map(ToString::to_string).collect();
        return Err(failed(problems.join("; ")));
    }
    let mut roots = rustls::RootCertStore::empty();
    let (added, ignored) = roots.add_parsable_certificates(loaded.certs);
    if ignored > 0 {
        log::warn!(
            "tlspin: {ignored} of the system's {} root certificates cannot be trust anchors and \
             were skipped ({})",
            added + ignored,
            searched()
        );
    }
    if added == 0 {
        return Err(failed(if ignored == 0 {
            "no certificate was found there".into()
        } else {
            format!("none of the {ignored} certificates found can be a trust anchor")
        }));
    }
    Ok(roots)
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
    let overridden = ["SSL_CERT_FILE", "SSL_CERT_DIR"]
        .iter()
        .any(|name| std::env::var_os(name).is_some_and(|value| !value.is_empty()));
    if overridden {
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
