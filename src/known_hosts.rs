//! [`KnownHosts`]: a trust-on-first-use store of server keys, one human-readable line per
//! `host:port`, safe against crashes and concurrent processes.

use core::fmt;
use std::collections::HashMap;
use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use rustls::pki_types::{DnsName, UnixTime};

use crate::error::Error;
use crate::pin::Pin;
use crate::time::{days_from_civil, days_in_month, format_rfc3339};

const HEADER: &str = "\
# tlspin known hosts: one line per server, \"HOST:PORT PIN TRUST FIRST-SEEN\".
# TRUST is \"webpki\" (its first chain was valid for WebPKI; a certificate that is not can
# never replace it) or \"tofu\" (trusted on first use). To accept a new key for a server,
# check it out of band, then delete the server's line.
";

/// How a known host was first trusted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Trust {
    /// Its first chain was valid for WebPKI; a certificate that is not can never replace it.
    WebPki,
    /// Trusted on first use, without any other evidence.
    FirstUse,
}

impl Trust {
    fn as_str(self) -> &'static str {
        match self {
            Self::WebPki => "webpki",
            Self::FirstUse => "tofu",
        }
    }
}

/// One entry of a [`KnownHosts`] store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KnownHost {
    /// Lowercase DNS name or IP address.
    pub host: String,
    /// TCP (or UDP, for QUIC) port.
    pub port: u16,
    /// The pin of the server's leaf key.
    pub pin: Pin,
    /// How it was first trusted.
    pub trust: Trust,
    /// When it was first trusted (whole seconds).
    pub first_seen: UnixTime,
}

impl KnownHost {
    /// The `host:port` key, with IPv6 addresses in brackets.
    pub fn address(&self) -> String {
        address(&self.host, self.port)
    }
}

impl fmt::Display for KnownHost {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {} {} {}",
            self.address(),
            self.pin,
            self.trust.as_str(),
            format_rfc3339(self.first_seen.as_secs())
        )
    }
}

/// A known-hosts file: the server keys a client has trusted, like SSH's `known_hosts`.
///
/// - The file is plain text, one `HOST:PORT PIN TRUST FIRST-SEEN` line per server, keyed by host
///   **and** port; `#` starts a comment.
/// - Every change is written to a temporary file, flushed to disk (`fsync`) and renamed over the
///   store, then the directory is flushed: a crash leaves the old or the new store, never a torn
///   or empty one.
/// - Changes happen under an exclusive lock on `<file>.lock`, after re-reading the store, so
///   concurrent processes never lose each other's entries.
/// - A store that does not parse is an error naming the line, never silently reset.
///
/// Use [`KnownHosts::verifier`] to trust servers on first use.
#[derive(Debug, Clone)]
pub struct KnownHosts {
    path: PathBuf,
    lock_path: PathBuf,
    temp_path: PathBuf,
}

impl KnownHosts {
    /// A store at `path`. The file need not exist yet (it is created by the first change), but
    /// if it exists it must parse.
    pub fn open(path: impl Into<PathBuf>) -> Result<Self, Error> {
        let path = path.into();
        let with_suffix = |suffix: &str| {
            let mut name = path.file_name().unwrap_or_default().to_os_string();
            name.push(suffix);
            path.with_file_name(name)
        };
        let store = Self {
            lock_path: with_suffix(".lock"),
            temp_path: with_suffix(".tmp"),
            path,
        };
        store.read()?;
        Ok(store)
    }

    /// Parses the text of a known-hosts file, for example to check one before installing it.
    pub fn parse(text: &str) -> Result<Vec<KnownHost>, Error> {
        parse(text, "the given text")
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Every entry, in file order.
    pub fn entries(&self) -> Result<Vec<KnownHost>, Error> {
        self.read()
    }

    /// The entry for `host` and `port`, if any.
    pub fn get(&self, host: &str, port: u16) -> Result<Option<KnownHost>, Error> {
        let host = normalize(host);
        Ok(self
            .read()?
            .into_iter()
            .find(|e| e.host == host && e.port == port))
    }

    /// Adds `entry` unless its `host:port` is already known, and returns the stored entry:
    /// `entry`, or the one that was there first (possibly written by another process).
    ///
    /// Fails with [`Error::InvalidKnownHost`] if the host is not a DNS name or IP address.
    pub fn add(&self, mut entry: KnownHost) -> Result<KnownHost, Error> {
        entry.host = canonical_host(&entry.host).map_err(|problem| Error::InvalidKnownHost {
            host: entry.host.clone(),
            problem,
        })?;
        self.change(|entries| {
            match entries
                .iter()
                .find(|e| e.host == entry.host && e.port == entry.port)
            {
                Some(existing) => existing.clone(),
                None => {
                    entries.push(entry.clone());
                    entry
                }
            }
        })
    }

    /// Removes the entry for `host` and `port`; returns whether there was one. Verifiers built
    /// before keep trusting the old key until they are rebuilt: build a new verifier (and with
    /// it a new rustls config) after any change, so that no session resumed from the old key
    /// skips the new check.
    pub fn forget(&self, host: &str, port: u16) -> Result<bool, Error> {
        let host = normalize(host);
        self.change(|entries| {
            let before = entries.len();
            entries.retain(|e| !(e.host == host && e.port == port));
            entries.len() != before
        })
    }

    /// Entries of `port`, by host, for a verifier's snapshot.
    pub(crate) fn for_port(&self, port: u16) -> Result<HashMap<String, KnownHost>, Error> {
        Ok(self
            .read()?
            .into_iter()
            .filter(|e| e.port == port)
            .map(|e| (e.host.clone(), e))
            .collect())
    }

    fn read(&self) -> Result<Vec<KnownHost>, Error> {
        match fs::read_to_string(&self.path) {
            Ok(text) => parse(&text, &self.path.display().to_string()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
            Err(e) => Err(self.io(&self.path, e)),
        }
    }

    /// Re-reads the store under the exclusive lock, applies `edit`, and replaces the file
    /// atomically if anything changed.
    fn change<T>(&self, edit: impl FnOnce(&mut Vec<KnownHost>) -> T) -> Result<T, Error> {
        let lock = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&self.lock_path)
            .map_err(|e| self.io(&self.lock_path, e))?;
        lock.lock().map_err(|e| self.io(&self.lock_path, e))?;
        let mut entries = self.read()?;
        let before = entries.clone();
        let result = edit(&mut entries);
        if entries != before {
            self.write(&entries)?;
        }
        // Dropping `lock` closes it, which releases the lock.
        Ok(result)
    }

    fn write(&self, entries: &[KnownHost]) -> Result<(), Error> {
        let mut text = String::from(HEADER);
        for entry in entries {
            text.push_str(&entry.to_string());
            text.push('\n');
        }
        let mut temp = File::create(&self.temp_path).map_err(|e| self.io(&self.temp_path, e))?;
        temp.write_all(text.as_bytes())
            .and_then(|()| temp.sync_all())
            .map_err(|e| self.io(&self.temp_path, e))?;
        drop(temp);
        fs::rename(&self.temp_path, &self.path).map_err(|e| self.io(&self.path, e))?;
        let dir = match self.path.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => dir,
            _ => Path::new("."),
        };
        File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(|e| self.io(dir, e))
    }

    fn io(&self, path: &Path, error: std::io::Error) -> Error {
        Error::Io {
            path: path.to_owned(),
            error: Arc::new(error),
        }
    }
}

fn normalize(host: &str) -> String {
    host.strip_suffix('.').unwrap_or(host).to_ascii_lowercase()
}

/// The one spelling of a host the store uses: a lowercase DNS name without a trailing dot, or
/// an IP address in its standard text form.
fn canonical_host(host: &str) -> Result<String, String> {
    let host = normalize(host);
    if let Ok(ip) = host.parse::<std::net::IpAddr>() {
        return Ok(ip.to_string());
    }
    // DnsName accepts one trailing dot; `normalize` already removed one, so a second is invalid.
    match DnsName::try_from(host.as_str()) {
        Ok(_) if !host.ends_with('.') => Ok(host),
        _ => Err(format!(
            "expected a DNS name or an IP address, found {host:?}"
        )),
    }
}

fn address(host: &str, port: u16) -> String {
    if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}

fn parse(text: &str, source: &str) -> Result<Vec<KnownHost>, Error> {
    let mut entries: Vec<KnownHost> = Vec::new();
    let mut seen: HashMap<(String, u16), usize> = HashMap::new();
    for (index, line) in text.lines().enumerate() {
        let line_number = index + 1;
        let content = line.trim();
        if content.is_empty() || content.starts_with('#') {
            continue;
        }
        let entry = parse_line(content).map_err(|problem| Error::KnownHostsCorrupt {
            source: source.to_owned(),
            line: line_number,
            problem,
        })?;
        let key = (entry.host.clone(), entry.port);
        if let Some(first) = seen.insert(key, line_number) {
            return Err(Error::KnownHostsCorrupt {
                source: source.to_owned(),
                line: line_number,
                problem: format!(
                    "{} is listed again (first on line {first})",
                    entry.address()
                ),
            });
        }
        entries.push(entry);
    }
    Ok(entries)
}

fn parse_line(line: &str) -> Result<KnownHost, String> {
    let fields: Vec<&str> = line.split_whitespace().collect();
    let [address, pin, trust, first_seen] = fields.as_slice() else {
        return Err(format!(
            "expected 4 fields \"HOST:PORT PIN TRUST FIRST-SEEN\", found {}",
            fields.len()
        ));
    };
    let (host, port) = split_address(address)?;
    let pin = pin.parse::<Pin>().map_err(|e| e.to_string())?;
    let trust = match *trust {
        "webpki" => Trust::WebPki,
        "tofu" => Trust::FirstUse,
        other => {
            return Err(format!(
                "expected TRUST \"webpki\" or \"tofu\", found {other:?}"
            ))
        }
    };
    let first_seen = parse_rfc3339(first_seen).ok_or_else(|| {
        format!("expected FIRST-SEEN as YYYY-MM-DDTHH:MM:SSZ, found {first_seen:?}")
    })?;
    Ok(KnownHost {
        host,
        port,
        pin,
        trust,
        first_seen,
    })
}

fn split_address(address: &str) -> Result<(String, u16), String> {
    let bad = || format!("expected HOST:PORT (IPv6 as [ADDRESS]:PORT), found {address:?}");
    let (host, port) = match address.strip_prefix('[') {
        Some(rest) => {
            let (host, port) = rest.split_once("]:").ok_or_else(bad)?;
            (host, port)
        }
        None => address.rsplit_once(':').ok_or_else(bad)?,
    };
    if host.contains(':') != address.starts_with('[') {
        return Err(bad());
    }
    let port = port.parse::<u16>().map_err(|_| bad())?;
    Ok((canonical_host(host)?, port))
}

fn parse_rfc3339(text: &str) -> Option<UnixTime> {
    let b = text.as_bytes();
    if b.len() != 20
        || b.get(4) != Some(&b'-')
        || b.get(7) != Some(&b'-')
        || b.get(10) != Some(&b'T')
        || b.get(13) != Some(&b':')
        || b.get(16) != Some(&b':')
        || b.get(19) != Some(&b'Z')
    {
        return None;
    }
    let number = |range: core::ops::Range<usize>| -> Option<u32> {
        let digits = text.get(range)?;
        digits
            .bytes()
            .all(|d| d.is_ascii_digit())
            .then(|| digits.parse().ok())
            .flatten()
    };
    let (year, month, day) = (number(0..4)?, number(5..7)?, number(8..10)?);
    let (hour, minute, second) = (number(11..13)?, number(14..16)?, number(17..19)?);
    if !(1970..=9999).contains(&year)
        || !(1..=12).contains(&month)
        || day == 0
        || day > days_in_month(year, month)
        || hour > 23
        || minute > 59
        || second > 59
    {
        return None;
    }
    let days = u64::try_from(days_from_civil(i64::from(year), month, day)).ok()?;
    let secs = days * 86_400 + u64::from(hour * 3600 + minute * 60 + second);
    Some(UnixTime::since_unix_epoch(Duration::from_secs(secs)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_round_trip() {
        let entry = KnownHost {
            host: "::1".into(),
            port: 8443,
            pin: Pin::from_sha256([1; 32]),
            trust: Trust::FirstUse,
            first_seen: UnixTime::since_unix_epoch(Duration::from_secs(1_763_903_045)),
        };
        let line = entry.to_string();
        assert!(line.starts_with("[::1]:8443 sha256/"), "{line}");
        assert!(line.ends_with(" tofu 2025-11-23T13:04:05Z"), "{line}");
        assert_eq!(parse_line(&line).unwrap(), entry);
    }

    #[test]
    fn addresses_are_canonical() {
        let pin = Pin::from_sha256([1; 32]);
        let entry = parse_line(&format!("[0:0::1]:443 {pin} tofu 2025-11-23T13:04:05Z")).unwrap();
        assert_eq!(entry.address(), "[::1]:443");
        let entry =
            parse_line(&format!("Device.LAN.:443 {pin} tofu 2025-11-23T13:04:05Z")).unwrap();
        assert_eq!(entry.address(), "device.lan:443");
    }

    #[test]
    fn corrupt_lines_say_what_is_wrong() {
        let pin = Pin::from_sha256([1; 32]);
        let cases = [
            (format!("a:1 {pin} tofu"), "expected 4 fields"),
            (
                format!("a {pin} tofu 2025-11-23T13:04:05Z"),
                "expected HOST:PORT",
            ),
            (
                format!("a:99999 {pin} tofu 2025-11-23T13:04:05Z"),
                "expected HOST:PORT",
            ),
            (
                format!("::1:443 {pin} tofu 2025-11-23T13:04:05Z"),
                "expected HOST:PORT",
            ),
            (
                format!("[]:443 {pin} tofu 2025-11-23T13:04:05Z"),
                "expected HOST:PORT",
            ),
            (
                format!(".:443 {pin} tofu 2025-11-23T13:04:05Z"),
                "expected a DNS name or an IP",
            ),
            (
                format!("a.lan..:443 {pin} tofu 2025-11-23T13:04:05Z"),
                "expected a DNS name or an IP",
            ),
            (
                format!("a_b!:443 {pin} tofu 2025-11-23T13:04:05Z"),
                "expected a DNS name or an IP",
            ),
            (
                "a:1 sha256/xx tofu 2025-11-23T13:04:05Z".to_string(),
                "invalid pin",
            ),
            (
                format!("a:1 {pin} maybe 2025-11-23T13:04:05Z"),
                "expected TRUST",
            ),
            (
                format!("a:1 {pin} tofu 2025-02-30T13:04:05Z"),
                "expected FIRST-SEEN",
            ),
            (format!("a:1 {pin} tofu yesterday"), "expected FIRST-SEEN"),
        ];
        for (line, needle) in cases {
            let err = parse_line(&line).unwrap_err();
            assert!(err.contains(needle), "{line}: {err}");
        }
    }
}
