//! [`KnownHosts`]: a trust-on-first-use store of server keys, one human-readable line per
//! `host:port`, safe against crashes and concurrent processes.

use core::fmt;
use std::collections::{HashMap, HashSet};
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use rustls::pki_types::UnixTime;

use crate::error::Error;
use crate::host::canonical_host;
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
///   **and** port; `#` starts a comment, on a line of its own or after an entry.
/// - Hosts are stored and looked up in one canonical spelling: DNS names in lowercase without a
///   trailing dot, IP addresses in their standard text form (an IPv4-mapped IPv6 address as the
///   IPv4 address).
/// - [`KnownHosts::open`] resolves symbolic links once: every later read, write, temporary file
///   and lock is on the real file, so two paths to one store (a link and its target) stay one
///   store and their locks exclude each other.
/// - Every change is written to a temporary file beside the real one (created afresh, never
///   through an existing file or link), flushed to disk (`fsync`) and renamed over the store,
///   then the directory is flushed: a crash leaves the old or the new store, never a torn or
///   empty one.
/// - A change keeps the rest of the file as it was: comments and blank lines a person added,
///   the lines of untouched entries, and the file's permissions (and, where the process may,
///   its owner and group). New entries are appended.
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
    /// A store at `path`, with symbolic links resolved now (see above). The file need not exist
    /// yet (it is created by the first change), but its directory must, and
    /// if it exists it must parse.
    pub fn open(path: impl Into<PathBuf>) -> Result<Self, Error> {
        let given = path.into();
        let path = resolve(&given).map_err(|error| Error::Io {
            path: given.clone(),
            error: Arc::new(error),
        })?;
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

    /// The file's path, absolute and with symbolic links resolved when the store was opened.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Every entry, in file order.
    pub fn entries(&self) -> Result<Vec<KnownHost>, Error> {
        self.read()
    }

    /// The entry for `host` and `port`, if any. `host` may be spelt any way that names the same
    /// host (`Device.LAN.`, `2001:DB8:0::7`).
    ///
    /// Fails with [`Error::InvalidKnownHost`] if `host` is not a DNS name or IP address.
    pub fn get(&self, host: &str, port: u16) -> Result<Option<KnownHost>, Error> {
        let host = checked_host(host)?;
        Ok(self
            .read()?
            .into_iter()
            .find(|e| e.host == host && e.port == port))
    }

    /// Adds `entry` unless its `host:port` is already known, and returns the stored entry:
    /// `entry`, or the one that was there first (possibly written by another process).
    ///
    /// Fails with [`Error::InvalidKnownHost`] if the host is not a DNS name or IP address, or its
    /// `first_seen` is after 9999-12-31T23:59:59Z (the file's four-digit years could not hold
    /// it).
    pub fn add(&self, mut entry: KnownHost) -> Result<KnownHost, Error> {
        entry.host = checked_host(&entry.host)?;
        if entry.first_seen.as_secs() > LAST_WRITABLE_SECOND {
            return Err(Error::InvalidKnownHost {
                host: entry.host,
                problem: format!(
                    "its first_seen ({} s after 1970) is after 9999-12-31T23:59:59Z; expected a \
                     time the file can record",
                    entry.first_seen.as_secs()
                ),
            });
        }
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
    ///
    /// `host` may be spelt any way that names the same host; fails with
    /// [`Error::InvalidKnownHost`] if it is not a DNS name or IP address.
    pub fn forget(&self, host: &str, port: u16) -> Result<bool, Error> {
        let host = checked_host(host)?;
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
        self.read_text()
            .and_then(|text| parse(&text, &self.path.display().to_string()))
    }

    /// The file's text; empty if it does not exist yet.
    fn read_text(&self) -> Result<String, Error> {
        let bytes = match fs::read(&self.path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(String::new()),
            Err(e) => return Err(self.io(&self.path, e)),
        };
        String::from_utf8(bytes).map_err(|e| {
            let valid = e.utf8_error().valid_up_to();
            let before = e.as_bytes().get(..valid).unwrap_or_default();
            let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
            let column = valid
                - before
                    .iter()
                    .rposition(|&b| b == b'\n')
                    .map_or(0, |i| i + 1);
            Error::KnownHostsCorrupt {
                source: self.path.display().to_string(),
                line,
                problem: format!(
                    "byte {} of the line is not UTF-8; expected UTF-8 text",
                    column + 1
                ),
            }
        })
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
        let text = self.read_text()?;
        let before = parse(&text, &self.path.display().to_string())?;
        let mut entries = before.clone();
        let result = edit(&mut entries);
        if entries != before {
            self.write(&render(&text, &entries))?;
        }
        // Dropping `lock` closes it, which releases the lock.
        Ok(result)
    }

    /// Replaces the store with `text`: a fresh temporary file with the store's permissions (and
    /// owner, where allowed), synced, renamed over the store, and the directory synced.
    fn write(&self, text: &str) -> Result<(), Error> {
        let existing = match fs::metadata(&self.path) {
            Ok(metadata) => Some(metadata),
            Err(e) if e.kind() == io::ErrorKind::NotFound => None,
            Err(e) => return Err(self.io(&self.path, e)),
        };
        let temp_error = |e| self.io(&self.temp_path, e);
        // A temporary file left by a crash (or anything else at that name, a link included) is
        // removed, never written through: the new file is created exclusively.
        match fs::remove_file(&self.temp_path) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(temp_error(e)),
        }
        let mut temp = create_exclusive(&self.temp_path, existing.is_some()).map_err(temp_error)?;
        if let Some(metadata) = &existing {
            keep_owner_and_mode(&temp, metadata).map_err(temp_error)?;
        }
        temp.write_all(text.as_bytes())
            .and_then(|()| temp.sync_all())
            .map_err(temp_error)?;
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

/// The last second a FIRST-SEEN field can hold: 9999-12-31T23:59:59Z.
const LAST_WRITABLE_SECOND: u64 = 253_402_300_799;

/// A line without its comment (from `#` on) and surrounding white space.
fn without_comment(line: &str) -> &str {
    line.split_once('#')
        .map_or(line, |(before, _)| before)
        .trim()
}

/// `host` in its canonical spelling, or [`Error::InvalidKnownHost`].
fn checked_host(host: &str) -> Result<String, Error> {
    canonical_host(host).map_err(|problem| Error::InvalidKnownHost {
        host: host.to_owned(),
        problem,
    })
}

/// The store's new text: `original` line by line, with comments, blank lines and the lines of
/// unchanged entries kept as they were, removed entries' lines dropped, changed entries
/// rewritten in place, and new entries appended. A new (empty) store starts with [`HEADER`].
fn render(original: &str, entries: &[KnownHost]) -> String {
    // New lines end the way the file's lines do.
    let newline = if original.contains("\r\n") {
        "\r\n"
    } else {
        "\n"
    };
    let mut text = if original.trim().is_empty() {
        HEADER.replace('\n', newline)
    } else {
        String::new()
    };
    let mut written = HashSet::new();
    for raw in original.split_inclusive('\n') {
        let line = raw.strip_suffix('\n').unwrap_or(raw);
        let line = line.strip_suffix('\r').unwrap_or(line);
        // A last line without its newline gets one, so that appended entries start anew.
        let ending = raw
            .get(line.len()..)
            .filter(|e| !e.is_empty())
            .unwrap_or(newline);
        let content = without_comment(line);
        if content.is_empty() {
            text.push_str(line);
            text.push_str(ending);
            continue;
        }
        // `original` parsed before the edit, so every other line is an entry.
        let Ok(old) = parse_line(content) else {
            text.push_str(line);
            text.push_str(ending);
            continue;
        };
        let key = (old.host.clone(), old.port);
        if let Some(new) = entries
            .iter()
            .find(|e| (&e.host, e.port) == (&key.0, key.1))
        {
            if *new == old {
                text.push_str(line);
            } else {
                text.push_str(&new.to_string());
            }
            text.push_str(ending);
            written.insert(key);
        }
    }
    for entry in entries {
        if !written.contains(&(entry.host.clone(), entry.port)) {
            text.push_str(&entry.to_string());
            text.push_str(newline);
        }
    }
    text
}

/// `path` with every symbolic link resolved, also when the file (or a link's target) does not
/// exist yet; its directory must exist, and it must name a file.
fn resolve(path: &Path) -> io::Result<PathBuf> {
    let names_a_directory = |path: &Path| {
        let text = path.as_os_str().as_encoded_bytes();
        text.ends_with(b"/") || (cfg!(windows) && text.ends_with(b"\\"))
    };
    let not_a_file = || io::Error::other("expected the path of a file, found a directory's");
    if names_a_directory(path) {
        return Err(not_a_file());
    }
    match fs::canonicalize(path) {
        Ok(real) if real.is_dir() => return Err(not_a_file()),
        Ok(real) => return Ok(real),
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => return Err(e),
    }
    // The file does not exist, or is a link to one that does not: follow links by hand, then
    // resolve the directory the final name is in.
    let mut path = path.to_path_buf();
    let mut links = 0;
    while let Ok(target) = fs::read_link(&path) {
        links += 1;
        if links > 40 {
            return Err(io::Error::other("too many levels of symbolic links"));
        }
        if names_a_directory(&target) {
            return Err(not_a_file());
        }
        path = match path.parent() {
            Some(dir) => dir.join(target),
            None => target,
        };
    }
    let name = path
        .file_name()
        .ok_or_else(|| io::Error::other("the path does not name a file"))?
        .to_owned();
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    Ok(fs::canonicalize(dir)?.join(name))
}

/// Creates `path`, failing if anything (a file, a link) is already there. When it will replace
/// an existing store, it starts readable by its owner only, until the store's mode is copied.
fn create_exclusive(path: &Path, replaces_existing: bool) -> io::Result<File> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    if replaces_existing {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    #[cfg(not(unix))]
    let _ = replaces_existing;
    options.open(path)
}

/// Gives `temp` the mode, and where the process is allowed to, the owner and group of the store
/// it replaces.
fn keep_owner_and_mode(temp: &File, store: &fs::Metadata) -> io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let current = temp.metadata()?;
        if (current.uid(), current.gid()) != (store.uid(), store.gid()) {
            if let Err(e) = std::os::unix::fs::fchown(temp, Some(store.uid()), Some(store.gid())) {
                log::warn!(
                    "tlspin: the rewritten known-hosts store keeps its mode but not its owner \
                     {}:{}: {e}",
                    store.uid(),
                    store.gid()
                );
            }
        }
    }
    temp.set_permissions(store.permissions())
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
        let content = without_comment(line);
        if content.is_empty() {
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
