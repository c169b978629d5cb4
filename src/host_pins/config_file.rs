//! [`PinConfig`]: host pin sets from a TOML file a person writes by hand.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use rustls::pki_types::UnixTime;
use serde::Deserialize;
use toml::value::{Datetime, Offset};
use toml::Spanned;

use super::{HostPinSet, HostPinsBuilder};
use crate::error::Error;
use crate::pin::Pin;
use crate::time::{days_from_civil, days_in_month};

/// Host pin sets loaded from TOML (feature `config`).
///
/// ```toml
/// # Report pin failures instead of refusing connections (optional, default false).
/// report_only = false
///
/// [hosts."api.example.com"]
/// pins = [
///   "sha256/ZHE5n8VWNTRIIRGnbwFXtn8dB4aKRJzKXBWnV3+4Jjg=",  # current key
///   "sha256/47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=",  # backup key, kept offline
/// ]
/// expires = 2027-06-30   # optional: enforced through this date (UTC), not after it
///
/// [hosts."**.internal.example.com"]
/// pins = ["pin-sha256=\"ZHE5n8VWNTRIIRGnbwFXtn8dB4aKRJzKXBWnV3+4Jjg=\"", "3 1 1 E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855"]
/// ```
///
/// Host keys are [`HostPattern`](super::HostPattern)s; pins take any form [`Pin`] parses;
/// `expires` is a TOML date or date-time. A date is the last day the set is enforced: it stops
/// at 00:00 UTC of the next day. A date-time is the moment it stops (a local date-time is read as
/// UTC). Unknown keys are errors. Every error names the line, the column and the bad value.
///
/// ```
/// # #[cfg(feature = "aws-lc-rs")] {
/// # use std::sync::Arc;
/// # let ca = rcgen::generate_simple_self_signed(["ca".to_string()]).unwrap();
/// # let mut roots = rustls::RootCertStore::empty();
/// # roots.add(ca.cert.der().clone()).unwrap();
/// # let dir = tempfile::tempdir()?;
/// # let path = dir.path().join("pins.toml");
/// # std::fs::write(&path, r#"
/// # report_only = true
/// # [hosts."api.example.com"]
/// # pins = ["sha256/ZHE5n8VWNTRIIRGnbwFXtn8dB4aKRJzKXBWnV3+4Jjg=",
/// #         "sha256/47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="]
/// # expires = 2027-06-30
/// # "#)?;
/// // pins.toml: report_only = true, then a [hosts."api.example.com"] table as above.
/// let config = tlspin::host_pins::PinConfig::load(&path)?;
/// assert!(config.report_only()); // roll out: report failures, refuse nothing yet
/// let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
/// let verifier = tlspin::host_pins::HostPinnedVerifier::builder(roots, provider).config(&config).build()?;
/// # }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PinConfig {
    report_only: bool,
    sets: Vec<HostPinSet>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    report_only: bool,
    #[serde(default)]
    hosts: BTreeMap<String, Spanned<Host>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Host {
    pins: Vec<Spanned<String>>,
    expires: Option<Spanned<Datetime>>,
}

impl PinConfig {
    /// Parses TOML text.
    pub fn parse(text: &str) -> Result<Self, Error> {
        parse(text, "the given TOML")
    }

    /// Reads and parses a TOML file.
    pub fn load(path: impl AsRef<Path>) -> Result<Self, Error> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|error| Error::Io {
            path: path.to_owned(),
            error: Arc::new(error),
        })?;
        parse(&text, &path.display().to_string())
    }

    /// Whether pin failures are only reported.
    pub fn report_only(&self) -> bool {
        self.report_only
    }

    /// The pin sets, in the order of their patterns.
    pub fn sets(&self) -> &[HostPinSet] {
        &self.sets
    }
}

impl HostPinsBuilder {
    /// Adds the configuration's pin sets and report-only setting.
    pub fn config(self, config: &PinConfig) -> Self {
        self.pin_sets(config.sets.iter().cloned())
            .report_only(config.report_only)
    }
}

fn parse(text: &str, source: &str) -> Result<PinConfig, Error> {
    let error_at = |offset: usize, message: String| {
        let (line, column) = line_and_column(text, offset);
        Error::Config {
            source: source.to_owned(),
            line,
            column,
            message,
        }
    };
    let file: File = toml::from_str(text).map_err(|e| {
        let offset = e.span().map_or(0, |span| span.start);
        error_at(offset, e.message().trim().to_owned())
    })?;
    let mut sets: Vec<HostPinSet> = Vec::with_capacity(file.hosts.len());
    // Where each set's table starts, and its key as written.
    let mut tables: Vec<(usize, String)> = Vec::with_capacity(file.hosts.len());
    for (pattern, host) in file.hosts {
        let at = host.span().start;
        let host = host.into_inner();
        let mut pins = Vec::with_capacity(host.pins.len());
        for pin in host.pins {
            let parsed = pin
                .get_ref()
                .parse::<Pin>()
                .map_err(|e| error_at(pin.span().start, format!("in [hosts.{pattern:?}]: {e}")))?;
            pins.push(parsed);
        }
        let mut set = HostPinSet::new(&pattern, pins).map_err(|e| error_at(at, e.to_string()))?;
        // Two spellings of one pattern would silently merge (or one's expiry hide in the other).
        let same = sets
            .iter()
            .zip(&tables)
            .find(|(other, _)| other.pattern() == set.pattern());
        if let Some((_, (other_at, other))) = same {
            let (first, second, later) = if *other_at < at {
                (other.as_str(), pattern.as_str(), at)
            } else {
                (pattern.as_str(), other.as_str(), *other_at)
            };
            return Err(error_at(
                later,
                format!(
                    "[hosts.{second:?}] names the same hosts as [hosts.{first:?}] ({}); expected \
                     each host pattern once",
                    set.pattern()
                ),
            ));
        }
        tables.push((at, pattern.clone()));
        if let Some(expires) = host.expires {
            let time = unix_time(expires.get_ref())
                .map_err(|problem| error_at(expires.span().start, problem))?;
            set = set.expires(time);
        }
        sets.push(set);
    }
    Ok(PinConfig {
        report_only: file.report_only,
        sets,
    })
}

/// 1-based line and column (in characters) of a byte offset.
fn line_and_column(text: &str, offset: usize) -> (usize, usize) {
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
    (line, column)
}

fn unix_time(value: &Datetime) -> Result<UnixTime, String> {
    let Some(date) = value.date else {
        return Err(format!(
            "expires = {value} has no date; expected a date such as 2027-06-30"
        ));
    };
    let (year, month, day) = (
        u32::from(date.year),
        u32::from(date.month),
        u32::from(date.day),
    );
    if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
        return Err(format!("expires = {value} is not a calendar date"));
    }
    let mut secs = days_from_civil(i64::from(year), month, day) * 86_400;
    match value.time {
        Some(time) => {
            secs +=
                i64::from(time.hour) * 3600 + i64::from(time.minute) * 60 + i64::from(time.second)
        }
        // A date alone: the set is enforced through that whole day.
        None => secs += 86_400,
    }
    if let Some(Offset::Custom { minutes }) = value.offset {
        secs -= i64::from(minutes) * 60;
    }
    let secs = u64::try_from(secs)
        .map_err(|_| format!("expires = {value} is before 1970; expected a future date"))?;
    Ok(UnixTime::since_unix_epoch(Duration::from_secs(secs)))
}
