//! Discovering what a server supports, by sending it ClientHellos and reading its choices.

use std::io::{self, Read, Write};
use std::time::Instant;

use rustls::crypto::CryptoProvider;

use super::catalog::{
    candidate_groups, candidate_schemes, legacy_candidates, suite_kx, tls13_candidates, Kx,
};
use super::parse::{parse_server_flight, Progress, Reply, ServerHello, TLS12, TLS13};
use super::tls13_schemes;
use super::wire::ClientHello;
use crate::exit::Failure;
use crate::net::Target;

/// The largest reply the probe reads for one ClientHello (a server's first flight with a long
/// certificate chain is far smaller).
const MAX_REPLY: usize = 256 * 1024;

/// TLS 1.3, 1.2, 1.1, 1.0 and SSL 3.0: the versions the probe asks about, newest first.
pub const VERSIONS: [u16; 5] = [TLS13, TLS12, 0x0302, 0x0301, 0x0300];

/// What the server supports in one protocol version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionSupport {
    /// The protocol version (0x0304 = TLS 1.3, ...).
    pub version: u16,
    /// Cipher suites the server accepts, in the order it picked them (its preference).
    pub suites: Vec<u16>,
    /// Key-exchange groups (TLS 1.3: from HelloRetryRequests; TLS 1.2: ECDHE
    /// ServerKeyExchanges; empty if not applicable or not discovered).
    pub groups: Vec<u16>,
    /// Signature schemes the server signed with (TLS 1.3: discovered with rustls; TLS 1.2: from
    /// ServerKeyExchanges; empty with static RSA key exchange, which signs nothing).
    pub schemes: Vec<u16>,
}

/// Everything the scan found, one entry per supported version, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ServerProfile {
    /// The supported versions.
    pub versions: Vec<VersionSupport>,
    /// The leaf certificate (DER) of the newest version that presented one.
    pub certificate: Option<Vec<u8>>,
}

impl ServerProfile {
    /// The entry for `version`, if the server supports it.
    pub fn version(&self, version: u16) -> Option<&VersionSupport> {
        self.versions.iter().find(|v| v.version == version)
    }
}

/// Scans `target`, reporting each step to `progress`.
///
/// `providers` supply the candidate signature schemes (plus the ones no provider verifies).
pub fn scan(
    target: &Target,
    providers: &[(&str, CryptoProvider)],
    progress: &mut dyn FnMut(&str),
) -> Result<ServerProfile, Failure> {
    let groups = candidate_groups();
    let schemes = candidate_schemes(providers);
    let sni = target.sni();
    let mut profile = ServerProfile::default();

    progress("TLS 1.3 cipher suites");
    let ask13 = |suites: &[u16], groups: &[u16]| {
        let hello = ClientHello {
            version: TLS12,
            tls13: true,
            suites,
            groups,
            schemes: &schemes,
            server_name: sni,
        };
        Ok::<_, Failure>(exchange(target, &hello)?.filter(|hello| hello.version == TLS13))
    };
    let suites = enumerate(&tls13_candidates(), |offer| {
        Ok(ask13(offer, &groups)?.map(|hello| hello.cipher_suite))
    })?;
    if !suites.is_empty() {
        progress("TLS 1.3 key-exchange groups");
        let groups = enumerate(&groups, |offer| {
            Ok(ask13(&suites, offer)?
                .filter(|hello| hello.hello_retry)
                .and_then(|hello| hello.group))
        })?;
        progress("TLS 1.3 signature schemes");
        let (schemes, leaf) = tls13_schemes::discover(target, &schemes);
        profile.certificate = leaf;
        profile.versions.push(VersionSupport {
            version: TLS13,
            suites,
            groups,
            schemes,
        });
    }

    let legacy = legacy_candidates();
    for version in [TLS12, 0x0302, 0x0301, 0x0300] {
        progress(&format!("{} cipher suites", version_name(version)));
        let hello = |suites: &[u16], groups: &[u16], schemes: &[u16]| -> Result<_, Failure> {
            let hello = ClientHello {
                version,
                tls13: false,
                suites,
                groups,
                schemes: if version == TLS12 { schemes } else { &[] },
                server_name: sni,
            };
            Ok(exchange(target, &hello)?.filter(|hello| hello.version == version))
        };
        let suites = enumerate(&legacy, |offer| {
            let reply = hello(offer, &groups, &schemes)?;
            if profile.certificate.is_none() {
                profile.certificate = reply.as_ref().and_then(|h| h.certificates.first().cloned());
            }
            Ok(reply.map(|h| h.cipher_suite))
        })?;
        if suites.is_empty() {
            continue;
        }
        let mut support = VersionSupport {
            version,
            suites,
            groups: Vec::new(),
            schemes: Vec::new(),
        };
        if version == TLS12 {
            let ecdhe = suites_with(&support.suites, &[Kx::Ecdhe]);
            if !ecdhe.is_empty() {
                progress("TLS 1.2 key-exchange groups");
                let mut found = enumerate(&groups, |offer| {
                    Ok(hello(&ecdhe, offer, &schemes)?.and_then(|h| h.group))
                })?;
                // A TLS 1.2 server may use an ECDSA certificate only if the client lists its
                // curve, so the removal above stops early; ask for each remaining group first,
                // followed by the ones that worked.
                let rest: Vec<u16> = groups
                    .iter()
                    .copied()
                    .filter(|g| !found.contains(g))
                    .collect();
                for candidate in rest {
                    let offer: Vec<u16> = [candidate].iter().chain(&found).copied().collect();
                    if hello(&ecdhe, &offer, &schemes)?.and_then(|h| h.group) == Some(candidate) {
                        found.push(candidate);
                    }
                }
                support.groups = found;
            }
            let signed = suites_with(&support.suites, &[Kx::Ecdhe, Kx::Dhe]);
            if !signed.is_empty() {
                progress("TLS 1.2 signature schemes");
                support.schemes = enumerate(&schemes, |offer| {
                    Ok(hello(&signed, &groups, offer)?.and_then(|h| h.kx_signature))
                })?;
            }
        }
        profile.versions.push(support);
    }
    Ok(profile)
}

/// "TLS 1.3", "TLS 1.2", ...
pub fn version_name(version: u16) -> String {
    match version {
        TLS13 => "TLS 1.3".into(),
        TLS12 => "TLS 1.2".into(),
        0x0302 => "TLS 1.1".into(),
        0x0301 => "TLS 1.0".into(),
        0x0300 => "SSL 3.0".into(),
        other => format!("version 0x{other:04x}"),
    }
}

fn suites_with(suites: &[u16], kinds: &[Kx]) -> Vec<u16> {
    suites
        .iter()
        .copied()
        .filter(|suite| kinds.contains(&suite_kx(*suite)))
        .collect()
}

/// Offers `candidates`, removes what the server picked, and repeats until the server picks
/// nothing (or something it was not offered): returns the picks in order. At most one attempt
/// per candidate, plus one.
pub fn enumerate(
    candidates: &[u16],
    mut attempt: impl FnMut(&[u16]) -> Result<Option<u16>, Failure>,
) -> Result<Vec<u16>, Failure> {
    let mut remaining = candidates.to_vec();
    let mut found = Vec::new();
    while !remaining.is_empty() {
        match attempt(&remaining)? {
            Some(choice) if remaining.contains(&choice) => {
                remaining.retain(|candidate| *candidate != choice);
                found.push(choice);
            }
            _ => break,
        }
    }
    Ok(found)
}

/// Sends `hello` on a fresh connection and reads the reply: `Some` ServerHello, or `None` if the
/// server refused (an alert, or closing the connection).
fn exchange(target: &Target, hello: &ClientHello<'_>) -> Result<Option<ServerHello>, Failure> {
    let mut socket = target.connect()?;
    socket.write_all(&hello.encode()).map_err(|e| {
        Failure::network(format!(
            "cannot send a ClientHello to {}: {e}",
            target.display()
        ))
    })?;
    let deadline = Instant::now() + target.timeout * 2;
    let mut reply = Vec::new();
    let mut chunk = [0u8; 8192];
    loop {
        match parse_server_flight(&reply) {
            Ok(Progress::Done(Reply::Hello(hello))) => return Ok(Some(hello)),
            Ok(Progress::Done(Reply::Alert { .. })) => return Ok(None),
            Ok(Progress::NeedMore) => {}
            Err(e) => {
                return Err(Failure::network(format!(
                    "{} did not answer like a TLS server: {e}",
                    target.display()
                )))
            }
        }
        if reply.len() > MAX_REPLY {
            return Err(Failure::network(format!(
                "{} sent more than {MAX_REPLY} bytes without finishing its first flight \
                 (expected ServerHello ... ServerHelloDone)",
                target.display()
            )));
        }
        if Instant::now() > deadline {
            return Err(timed_out(target, reply.len()));
        }
        match socket.read(&mut chunk) {
            Ok(0) => return Ok(None),
            Ok(n) => reply.extend_from_slice(chunk.get(..n).unwrap_or_default()),
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                return Err(timed_out(target, reply.len()))
            }
            Err(e) if e.kind() == io::ErrorKind::ConnectionReset => return Ok(None),
            Err(e) => {
                return Err(Failure::network(format!(
                    "cannot read the reply of {}: {e}",
                    target.display()
                )))
            }
        }
    }
}

fn timed_out(target: &Target, received: usize) -> Failure {
    Failure::network(format!(
        "timed out after {}s waiting for {} to answer a ClientHello: expected a ServerHello or \
         an alert, received {received} bytes",
        target.timeout.as_secs_f32(),
        target.display()
    ))
}
