//! Host patterns as OkHttp's `CertificatePinner` defines them, and an index that finds every
//! pattern matching a host in time proportional to the host's label count.

use core::fmt;
use core::str::FromStr;
use std::collections::HashMap;

use std::net::IpAddr;

use crate::error::Error;
use crate::host::canonical_host;

/// Which hosts a pin set applies to.
///
/// | pattern | matches | does not match |
/// |---|---|---|
/// | `example.com` | `example.com` | `www.example.com` |
/// | `*.example.com` | `www.example.com` (exactly one more label) | `example.com`, `a.b.example.com` |
/// | `**.example.com` | `example.com`, `www.example.com`, `a.b.example.com` | `notexample.com` |
/// | `192.0.2.7`, `::1` | that address | |
///
/// Patterns and hosts are compared in one canonical spelling: DNS names ignore ASCII case and a
/// trailing dot; an IP address matches however it is written (`2001:DB8:0::7` and
/// `2001:db8::7`, `::ffff:192.0.2.7` and `192.0.2.7` are the same address). A host that is not
/// a valid DNS name or IP address matches nothing.
///
/// ```
/// use tlspin::host_pins::HostPattern;
///
/// let pattern: HostPattern = "*.example.com".parse()?;
/// assert!(pattern.matches("API.example.com"));
/// assert!(!pattern.matches("example.com"));
/// assert!(!pattern.matches("a.b.example.com"));
/// # Ok::<(), tlspin::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct HostPattern {
    kind: Kind,
    /// The canonical host (see `crate::host`), without the wildcard prefix.
    domain: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Kind {
    Exact,
    OneLabel,
    AnyDepth,
}

impl HostPattern {
    /// Whether `host` (a DNS name or IP address) matches.
    pub fn matches(&self, host: &str) -> bool {
        let Ok(host) = canonical_host(host) else {
            return false;
        };
        match self.kind {
            Kind::Exact => host == self.domain,
            Kind::OneLabel => host
                .split_once('.')
                .is_some_and(|(label, parent)| !label.is_empty() && parent == self.domain),
            Kind::AnyDepth => {
                host == self.domain
                    || host
                        .strip_suffix(&self.domain)
                        .is_some_and(|prefix| prefix.len() > 1 && prefix.ends_with('.'))
            }
        }
    }
}

impl FromStr for HostPattern {
    type Err = Error;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let invalid = |problem: &str| Error::InvalidHostPattern {
            pattern: input.to_owned(),
            problem: problem.to_owned(),
        };
        let text = input.trim();
        let (kind, rest) = if let Some(rest) = text.strip_prefix("**.") {
            (Kind::AnyDepth, rest)
        } else if let Some(rest) = text.strip_prefix("*.") {
            (Kind::OneLabel, rest)
        } else {
            (Kind::Exact, text)
        };
        if rest.contains('*') {
            return Err(invalid(
                "a wildcard may only be the whole first label, as \"*.\" or \"**.\"",
            ));
        }
        let domain = canonical_host(rest).map_err(|problem| invalid(&problem))?;
        if kind != Kind::Exact && domain.parse::<IpAddr>().is_ok() {
            return Err(invalid("an IP address cannot take a wildcard"));
        }
        Ok(Self { kind, domain })
    }
}

impl fmt::Display for HostPattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let prefix = match self.kind {
            Kind::Exact => "",
            Kind::OneLabel => "*.",
            Kind::AnyDepth => "**.",
        };
        write!(f, "{prefix}{}", self.domain)
    }
}

/// Every pattern's id, found by the host's exact name, its parent (for `*.`), and each of its
/// suffixes (for `**.`): lookups cost one hash probe per label, whatever the number of patterns.
#[derive(Debug, Clone, Default)]
pub(crate) struct PatternIndex {
    exact: HashMap<String, Vec<usize>>,
    one_label: HashMap<String, Vec<usize>>,
    any_depth: HashMap<String, Vec<usize>>,
}

impl PatternIndex {
    pub(crate) fn insert(&mut self, pattern: &HostPattern, id: usize) {
        let map = match pattern.kind {
            Kind::Exact => &mut self.exact,
            Kind::OneLabel => &mut self.one_label,
            Kind::AnyDepth => &mut self.any_depth,
        };
        map.entry(pattern.domain.clone()).or_default().push(id);
    }

    /// The ids of every pattern matching `host`, in no particular order.
    pub(crate) fn matching(&self, host: &str) -> Vec<usize> {
        let Ok(host) = canonical_host(host) else {
            return Vec::new();
        };
        let mut ids = Vec::new();
        let mut add = |map: &HashMap<String, Vec<usize>>, key: &str| {
            if let Some(found) = map.get(key) {
                ids.extend_from_slice(found);
            }
        };
        add(&self.exact, &host);
        if host.parse::<IpAddr>().is_ok() {
            return ids;
        }
        if let Some((label, parent)) = host.split_once('.') {
            if !label.is_empty() {
                add(&self.one_label, parent);
            }
        }
        let mut suffix = host.as_str();
        loop {
            add(&self.any_depth, suffix);
            match suffix.split_once('.') {
                Some((_, rest)) => suffix = rest,
                None => break,
            }
        }
        ids
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn okhttp_semantics() {
        let cases = [
            ("example.com", "example.com", true),
            ("example.com", "EXAMPLE.com.", true),
            ("example.com", "www.example.com", false),
            ("*.example.com", "www.example.com", true),
            ("*.example.com", "example.com", false),
            ("*.example.com", "a.b.example.com", false),
            ("*.example.com", "wwwexample.com", false),
            ("**.example.com", "example.com", true),
            ("**.example.com", "a.b.example.com", true),
            ("**.example.com", "notexample.com", false),
            ("192.0.2.7", "192.0.2.7", true),
            ("::1", "::1", true),
            ("::1", "0:0:0:0:0:0:0:1", true),
            ("2001:0DB8:0000::0007", "2001:db8::7", true),
            ("2001:db8::7", "2001:0db8:0:0:0:0:0:7", true),
            ("[2001:db8::7]", "2001:db8::7", true),
            ("::ffff:192.0.2.7", "192.0.2.7", true),
            ("192.0.2.7", "::ffff:c000:207", true),
            ("192.0.2.7", "192.0.2.70", false),
            ("2001:db8::7", "2001:db8::70", false),
            ("*.example.com", "WWW.EXAMPLE.COM.", true),
            ("example.com", "example.com..", false),
        ];
        for (pattern, host, expected) in cases {
            let parsed: HostPattern = pattern.parse().unwrap();
            assert_eq!(parsed.matches(host), expected, "{pattern} vs {host}");
            let mut index = PatternIndex::default();
            index.insert(&parsed, 7);
            assert_eq!(
                !index.matching(host).is_empty(),
                expected,
                "index: {pattern} vs {host}"
            );
        }
    }

    #[test]
    fn invalid_patterns_are_refused_with_a_reason() {
        for (pattern, needle) in [
            ("", "expected a DNS name or an IP address"),
            ("*", "whole first label"),
            ("a.*.com", "whole first label"),
            ("*foo.example.com", "whole first label"),
            ("***.example.com", "whole first label"),
            ("*.192.0.2.7", "IP address cannot take a wildcard"),
            ("exa mple.com", "expected a DNS name or an IP address"),
            ("example.com..", "expected a DNS name or an IP address"),
        ] {
            let err = pattern.parse::<HostPattern>().unwrap_err().to_string();
            assert!(err.contains(needle), "{pattern:?}: {err}");
        }
    }

    /// The definition, label by label.
    fn reference(pattern: &str, host: &str) -> bool {
        let host: Vec<&str> = host.split('.').collect();
        let (kind, domain) = match pattern.strip_prefix("**.") {
            Some(rest) => (Kind::AnyDepth, rest),
            None => match pattern.strip_prefix("*.") {
                Some(rest) => (Kind::OneLabel, rest),
                None => (Kind::Exact, pattern),
            },
        };
        let domain: Vec<&str> = domain.split('.').collect();
        let suffix_matches =
            host.len() >= domain.len() && host[host.len() - domain.len()..] == domain[..];
        match kind {
            Kind::Exact => host == domain,
            Kind::OneLabel => host.len() == domain.len() + 1 && suffix_matches,
            Kind::AnyDepth => suffix_matches,
        }
    }

    fn name() -> impl proptest::strategy::Strategy<Value = String> {
        use proptest::prelude::*;
        proptest::collection::vec(prop_oneof!["a", "b", "example", "com"], 1..5)
            .prop_map(|labels| labels.join("."))
    }

    proptest::proptest! {
        #[test]
        fn index_and_matches_agree_with_the_definition(
            patterns in proptest::collection::vec((0..3u8, name()), 1..20),
            host in name(),
        ) {
            let mut index = PatternIndex::default();
            let mut expected = Vec::new();
            for (id, (kind, domain)) in patterns.iter().enumerate() {
                let text = match kind { 0 => domain.clone(), 1 => format!("*.{domain}"), _ => format!("**.{domain}") };
                let pattern: HostPattern = text.parse().unwrap();
                index.insert(&pattern, id);
                let wanted = reference(&text, &host);
                proptest::prop_assert_eq!(pattern.matches(&host), wanted, "{} vs {}", text, host);
                if wanted {
                    expected.push(id);
                }
            }
            let mut found = index.matching(&host);
            found.sort_unstable();
            proptest::prop_assert_eq!(found, expected);
        }
    }

    #[test]
    fn display_round_trips() {
        for pattern in ["example.com", "*.example.com", "**.example.com", "::1"] {
            assert_eq!(pattern.parse::<HostPattern>().unwrap().to_string(), pattern);
        }
    }

    #[test]
    fn patterns_are_stored_in_the_canonical_spelling() {
        for (written, canonical) in [
            ("2001:0DB8:0000:0000:0000:0000:0000:0007", "2001:db8::7"),
            ("::FFFF:192.0.2.7", "192.0.2.7"),
            ("*.Example.COM.", "*.example.com"),
        ] {
            let pattern: HostPattern = written.parse().unwrap();
            assert_eq!(pattern.to_string(), canonical, "{written}");
            assert_eq!(pattern, canonical.parse().unwrap(), "{written}");
        }
    }
}
