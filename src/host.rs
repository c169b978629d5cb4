//! The one spelling of a host that tlspin stores and compares.
//!
//! Host pin patterns, pin configuration files, known-hosts entries and look-ups, and the server
//! name of every connection all go through [`canonical_host`] or [`host_of`], so that two
//! spellings of the same host can never be told apart by accident: a pin set or a known host
//! written in one spelling always applies to a connection made with another.

use std::net::IpAddr;

use rustls::pki_types::{DnsName, ServerName};

/// The canonical text of `host`, or why it is neither a DNS name nor an IP address.
///
/// - A DNS name: ASCII lowercase, without its one optional trailing dot. Names pki-types
///   refuses (non-ASCII, empty labels, an all-numeric last label such as `127.1`) are refused.
/// - An IPv4 address: dotted decimal (`192.0.2.7`); other spellings (`0x7f.1`, `127.1`,
///   leading zeros) are refused rather than guessed.
/// - An IPv6 address: the RFC 5952 text form (lowercase, zeros compressed), with or without
///   brackets; an IPv4-mapped address (`::ffff:192.0.2.7`) is the IPv4 address it maps to,
///   because a connection to either reaches the same IPv4 host.
pub(crate) fn canonical_host(host: &str) -> Result<String, String> {
    let unbracketed = host
        .strip_prefix('[')
        .and_then(|rest| rest.strip_suffix(']'));
    if let Some(inner) = unbracketed {
        return match inner.parse::<std::net::Ipv6Addr>() {
            Ok(ip) => Ok(canonical_ip(IpAddr::V6(ip))),
            Err(_) => Err(format!(
                "expected an IPv6 address inside brackets, found {host:?}"
            )),
        };
    }
    if let Ok(ip) = host.parse::<IpAddr>() {
        return Ok(canonical_ip(ip));
    }
    let name = host.strip_suffix('.').unwrap_or(host).to_ascii_lowercase();
    // DnsName accepts one trailing dot; one was removed above, so a second is refused here.
    match DnsName::try_from(name.as_str()) {
        Ok(_) if !name.ends_with('.') => Ok(name),
        _ => Err(format!(
            "expected a DNS name or an IP address, found {host:?}"
        )),
    }
}

/// The canonical text of an IP address (see [`canonical_host`]).
fn canonical_ip(ip: IpAddr) -> String {
    ip.to_canonical().to_string()
}

/// The canonical host of a rustls server name. A name that is neither a DNS name nor an IP
/// address (rustls' enum is non-exhaustive) keeps its debug form, which matches no pattern and
/// no known host.
pub(crate) fn host_of(server_name: &ServerName<'_>) -> String {
    match server_name {
        ServerName::DnsName(name) => {
            let name = name.as_ref();
            canonical_host(name).unwrap_or_else(|_| name.to_ascii_lowercase())
        }
        ServerName::IpAddress(ip) => canonical_ip(IpAddr::from(*ip)),
        other => format!("{other:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_spelling_of_an_address_has_one_canonical_form() {
        for (spelling, canonical) in [
            ("2001:db8::7", "2001:db8::7"),
            ("2001:DB8::7", "2001:db8::7"),
            ("2001:0db8:0000:0000:0000:0000:0000:0007", "2001:db8::7"),
            ("2001:db8:0:0:0:0:0:7", "2001:db8::7"),
            ("[2001:db8::7]", "2001:db8::7"),
            ("0:0:0:0:0:0:0:1", "::1"),
            ("::ffff:192.0.2.7", "192.0.2.7"),
            ("::FFFF:c000:0207", "192.0.2.7"),
            ("192.0.2.7", "192.0.2.7"),
            ("Device.LAN.", "device.lan"),
            ("device.lan", "device.lan"),
        ] {
            assert_eq!(
                canonical_host(spelling).as_deref(),
                Ok(canonical),
                "{spelling}"
            );
        }
    }

    #[test]
    fn ambiguous_or_invalid_hosts_are_refused() {
        for host in [
            "",
            ".",
            "a..b",
            "a.lan..",
            "127.1",
            "0x7f.0.0.1",
            "127.000.000.001",
            "fe80::1%eth0",
            "[192.0.2.7]",
            "[::1",
            "exa mple.com",
            "bücher.example",
        ] {
            let problem = canonical_host(host).unwrap_err();
            assert!(problem.contains(&format!("{host:?}")), "{host}: {problem}");
        }
    }

    #[test]
    fn server_names_use_the_same_spelling() {
        let cases = [
            ("::ffff:192.0.2.7", "192.0.2.7"),
            ("2001:0db8::0007", "2001:db8::7"),
            ("Device.LAN.", "device.lan"),
        ];
        for (name, host) in cases {
            let server_name = ServerName::try_from(name).unwrap();
            assert_eq!(host_of(&server_name), host, "{name}");
        }
    }
}
