//! Discovering what a server supports, by sending it ClientHellos and reading its choices.
//!
//! Each question ("which cipher suites does TLS 1.2 accept?", "which groups does TLS 1.3 use?")
//! starts with one ClientHello offering every candidate; the server's pick is its preferred one.
//! The remaining candidates are then split into a few interleaved buckets searched concurrently,
//! each by offering its remaining candidates and removing the server's pick until the server
//! picks nothing. Versions, and the questions of one version, run concurrently too; the
//! [`Pool`] bounds the connections open at once. One reply answers several questions where it
//! can: a TLS 1.2 ECDHE ServerHello flight names its suite, its group and its signature scheme.

use std::io::{self, Read, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::Instant;

use rustls::crypto::CryptoProvider;

use super::catalog::{
    candidate_groups, candidate_schemes, group_name, legacy_candidates, scheme_name, suite_kx,
    suite_name, tls13_candidates, Kx,
};
use super::parse::{parse_server_flight, Progress, Reply, ServerHello, TLS12, TLS13};
use super::pool::Pool;
use super::tls13_schemes;
use super::wire::ClientHello;
use crate::exit::Failure;
use crate::net::abandon;

/// The largest reply the probe reads for one ClientHello (a server's first flight with a long
/// certificate chain is far smaller).
const MAX_REPLY: usize = 256 * 1024;

/// SSL 3.0's protocol version number.
pub const SSL3: u16 = 0x0300;

/// TLS 1.3, 1.2, 1.1, 1.0 and SSL 3.0: the versions the probe asks about, newest first.
pub const VERSIONS: [u16; 5] = [TLS13, TLS12, 0x0302, 0x0301, SSL3];

/// Concurrent buckets per question, after the first ClientHello: enough to keep the chain of
/// sequential connections short at WAN latency, few enough that each bucket's final refusal
/// (one connection each) stays a small cost.
const SUITE_BUCKETS: usize = 6;
const SMALL_BUCKETS: usize = 3;

/// What the server supports in one protocol version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionSupport {
    /// The protocol version (0x0304 = TLS 1.3, ...).
    pub version: u16,
    /// Cipher suites the server accepts: the one it picks when offered all of them first, then
    /// the rest in the catalogue's order.
    pub suites: Vec<u16>,
    /// Key-exchange groups, ordered likewise (TLS 1.3: from HelloRetryRequests; TLS 1.2: ECDHE
    /// ServerKeyExchanges; empty if not applicable or not discovered).
    pub groups: Vec<u16>,
    /// Signature schemes the server signs with, ordered likewise (TLS 1.3: discovered with
    /// rustls; TLS 1.2: from ServerKeyExchanges; empty with static RSA key exchange, which signs
    /// nothing).
    pub schemes: Vec<u16>,
    /// Whether the server picks suites by its own order of preference (then `suites` is in that
    /// order) rather than by the client's.
    pub server_order: bool,
    /// TLS 1.2 with an ECDSA certificate, on a server with its own order that ranks the
    /// certificate's curve (this group) above others: a TLS 1.2 client must list that curve, so
    /// the groups ranked below it cannot be seen, and `groups` may miss some.
    pub groups_hidden_by: Option<u16>,
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

/// One version's findings (`None`: not supported) and the leaf certificate it showed.
type VersionScan = (Option<VersionSupport>, Option<Vec<u8>>);

/// The candidates every question draws from.
struct Candidates {
    tls13_suites: Vec<u16>,
    legacy_suites: Vec<u16>,
    groups: Vec<u16>,
    schemes: Vec<u16>,
}

/// Scans the pool's target, reporting each step to `progress`.
///
/// `providers` supply the candidate signature schemes (plus the ones no provider verifies).
pub fn scan(
    pool: &Pool<'_>,
    providers: &[(&str, CryptoProvider)],
    progress: &(dyn Fn(&str) + Sync),
) -> Result<ServerProfile, Failure> {
    let candidates = Candidates {
        tls13_suites: tls13_candidates(),
        legacy_suites: legacy_candidates(),
        groups: candidate_groups(),
        schemes: candidate_schemes(providers),
    };
    progress("versions and cipher suites");
    let results: Vec<Result<VersionScan, Failure>> = thread::scope(|s| {
        let handles: Vec<_> = VERSIONS
            .iter()
            .map(|version| {
                let candidates = &candidates;
                s.spawn(move || {
                    if *version == TLS13 {
                        scan_tls13(pool, candidates)
                    } else {
                        scan_legacy(pool, *version, candidates)
                    }
                })
            })
            .collect();
        handles.into_iter().map(join).collect()
    });
    pool.stopped()?;
    if !pool.has_heard() {
        let target = pool.target();
        return Err(pool.fail(Failure::network(format!(
            "{} closed every connection without a byte of answer to the probe's ClientHellos \
             (expected a ServerHello or an alert); is this a TLS port, or does its protocol \
             start TLS later (--starttls)?",
            target.display()
        ))));
    }
    let mut profile = ServerProfile::default();
    for result in results {
        let (support, certificate) = result?;
        if profile.certificate.is_none() {
            profile.certificate = certificate;
        }
        profile.versions.extend(support);
    }
    still_answering(pool, &profile, &candidates)?;
    Ok(profile)
}

/// The first ClientHello of `version`: every candidate offered.
fn first_hello<'c>(
    version: u16,
    candidates: &'c Candidates,
    server_name: Option<&'c str>,
) -> ClientHello<'c> {
    let tls13 = version == TLS13;
    ClientHello {
        version: if tls13 { TLS12 } else { version },
        tls13,
        suites: if tls13 {
            &candidates.tls13_suites
        } else {
            &candidates.legacy_suites
        },
        groups: &candidates.groups,
        schemes: if version == TLS12 || tls13 {
            &candidates.schemes
        } else {
            &[]
        },
        server_name,
    }
}

/// After connections were closed unanswered (and counted as refusals), checks that the server
/// still answers the first hello of its newest version: a server that has stopped answering
/// (a per-client connection budget) would otherwise get a report with suites missing.
fn still_answering(
    pool: &Pool<'_>,
    profile: &ServerProfile,
    candidates: &Candidates,
) -> Result<(), Failure> {
    let Some(newest) = profile.versions.first() else {
        return Ok(());
    };
    if pool.silences() == 0 {
        return Ok(());
    }
    let hello = first_hello(newest.version, candidates, pool.target().sni());
    match exchange_once(pool, &hello, false)? {
        Answer::Hello(_) => Ok(()),
        Answer::Refused(_) | Answer::Silent => Err(pool.fail(Failure::network(format!(
            "{} closed {} connections without answering, and no longer answers a {} \
             ClientHello it answered before: it limits connections per client, and the report \
             would miss what it did not answer; try --parallel 1, or probe again later",
            pool.target().display(),
            pool.silences(),
            version_name(newest.version)
        )))),
    }
}

/// TLS 1.3: suites and groups from HelloRetryRequests (the probe's key_share is empty, so the
/// server names its group), signature schemes and the certificate from rustls handshakes.
fn scan_tls13(pool: &Pool<'_>, candidates: &Candidates) -> Result<VersionScan, Failure> {
    let ask = |suites: &[u16], groups: &[u16]| {
        let hello = ClientHello {
            version: TLS12,
            tls13: true,
            suites,
            groups,
            schemes: &candidates.schemes,
            server_name: pool.target().sni(),
        };
        Ok::<_, Failure>(exchange(pool, &hello)?.filter(|hello| hello.version == TLS13))
    };
    let (first, (scheme, leaf)) = thread::scope(|s| {
        let signing = s.spawn(|| tls13_schemes::signed_with(pool, &candidates.schemes));
        let first = ask(&candidates.tls13_suites, &candidates.groups);
        (first, join(signing))
    });
    let Some(first) = first? else {
        return Ok((None, None));
    };
    let (suites, groups, schemes) = thread::scope(|s| {
        let groups = s.spawn(|| match first.group.filter(|_| first.hello_retry) {
            Some(group) => enumerate_rest(group, &candidates.groups, SMALL_BUCKETS, |offer| {
                Ok(ask(&candidates.tls13_suites, offer)?
                    .filter(|hello| hello.hello_retry)
                    .and_then(|hello| hello.group))
            }),
            None => Ok(Vec::new()),
        });
        let schemes = s.spawn(|| match scheme {
            Some(scheme) => enumerate_rest(scheme, &candidates.schemes, SMALL_BUCKETS, |offer| {
                Ok(tls13_schemes::signed_with(pool, offer).0)
            }),
            None => Ok(Vec::new()),
        });
        let suites = suites_in_order(first.cipher_suite, &candidates.tls13_suites, 2, |offer| {
            Ok(ask(offer, &candidates.groups)?.map(|hello| hello.cipher_suite))
        });
        (suites, join(groups), join(schemes))
    });
    let (suites, server_order) = suites?;
    let support = VersionSupport {
        version: TLS13,
        suites,
        groups: groups?,
        schemes: schemes?,
        server_order,
        groups_hidden_by: None,
    };
    Ok((Some(support), leaf))
}

/// TLS 1.2 and older: everything from plaintext ServerHello flights.
fn scan_legacy(
    pool: &Pool<'_>,
    version: u16,
    candidates: &Candidates,
) -> Result<VersionScan, Failure> {
    let ask = |suites: &[u16], groups: &[u16], schemes: &[u16]| {
        let hello = ClientHello {
            version,
            tls13: false,
            suites,
            groups,
            schemes: if version == TLS12 { schemes } else { &[] },
            server_name: pool.target().sni(),
        };
        Ok::<_, Failure>(exchange(pool, &hello)?.filter(|hello| hello.version == version))
    };
    let all = &candidates.legacy_suites;
    let Some(first) = ask(all, &candidates.groups, &candidates.schemes)? else {
        return Ok((None, None));
    };
    let leaf = first.certificates.first().cloned();
    // A TLS 1.2 server may use an ECDSA certificate only with a curve the client lists, so an
    // offer of groups without the certificate's curve would look like "no ECDHE" (RFC 8422,
    // section 5.1): that curve goes last in every groups offer.
    let curve = leaf.as_deref().and_then(ec_curve_group);
    let ecdhe = suites_with(all, &[Kx::Ecdhe]);
    let signed = suites_with(all, &[Kx::Ecdhe, Kx::Dhe]);
    let hidden = AtomicBool::new(false);
    let (suites, groups, schemes) = thread::scope(|s| {
        let groups = s.spawn(|| {
            if version != TLS12 {
                return Ok(Vec::new());
            }
            let attempt = |offer: &[u16]| {
                let mut groups = offer.to_vec();
                if let Some(curve) = curve.filter(|c| !offer.contains(c)) {
                    groups.push(curve);
                }
                let pick = ask(&ecdhe, &groups, &candidates.schemes)?.and_then(|hello| hello.group);
                // The appended curve picked: either none of the offer is supported, or the
                // server ranks its certificate's curve above all of it (then no TLS 1.2 hello
                // can show those groups: it must list that curve).
                if pick.is_some_and(|p| Some(p) == curve && !offer.contains(&p)) {
                    hidden.store(true, Ordering::Relaxed);
                }
                Ok(pick.filter(|group| offer.contains(group)))
            };
            let first = match first.group {
                Some(group) => Some(group),
                None => attempt(&candidates.groups)?,
            };
            match first {
                Some(group) => enumerate_rest(group, &candidates.groups, SMALL_BUCKETS, attempt),
                None => Ok(Vec::new()),
            }
        });
        let schemes = s.spawn(|| {
            if version != TLS12 {
                return Ok(Vec::new());
            }
            let attempt = |offer: &[u16]| {
                Ok(ask(&signed, &candidates.groups, offer)?.and_then(|hello| hello.kx_signature))
            };
            let first = match first.kx_signature {
                Some(scheme) => Some(scheme),
                None => attempt(&candidates.schemes)?,
            };
            match first {
                Some(scheme) => enumerate_rest(scheme, &candidates.schemes, SMALL_BUCKETS, attempt),
                None => Ok(Vec::new()),
            }
        });
        let suites =
            suites_in_order(first.cipher_suite, all, SUITE_BUCKETS, |offer| {
                Ok(ask(offer, &candidates.groups, &candidates.schemes)?
                    .map(|hello| hello.cipher_suite))
            });
        (suites, join(groups), join(schemes))
    });
    let (suites, server_order) = suites?;
    let support = VersionSupport {
        version,
        suites,
        groups: groups?,
        schemes: schemes?,
        server_order,
        groups_hidden_by: curve.filter(|_| server_order && hidden.load(Ordering::Relaxed)),
    };
    Ok((Some(support), leaf))
}

/// The TLS group of an ECDSA certificate's named curve (NIST P-256/384/521, brainpool), if the
/// certificate has such a key.
fn ec_curve_group(certificate: &[u8]) -> Option<u16> {
    use x509_parser::prelude::{FromDer, X509Certificate};
    let (_, certificate) = X509Certificate::from_der(certificate).ok()?;
    let spki = &certificate.tbs_certificate.subject_pki;
    if spki.algorithm.algorithm.to_id_string() != "1.2.840.10045.2.1" {
        return None;
    }
    let curve = spki.algorithm.parameters.as_ref()?.as_oid().ok()?;
    Some(match curve.to_id_string().as_str() {
        "1.2.840.10045.3.1.7" => 0x0017,
        "1.3.132.0.34" => 0x0018,
        "1.3.132.0.35" => 0x0019,
        "1.3.36.3.3.2.8.1.1.7" => 0x001a,
        "1.3.36.3.3.2.8.1.1.11" => 0x001b,
        "1.3.36.3.3.2.8.1.1.13" => 0x001c,
        "1.3.132.0.10" => 0x0016,
        _ => return None,
    })
}

/// "TLS 1.3", "TLS 1.2", ..., "SSL 3.0".
pub fn version_name(version: u16) -> String {
    match version {
        TLS13 => "TLS 1.3".into(),
        TLS12 => "TLS 1.2".into(),
        0x0302 => "TLS 1.1".into(),
        0x0301 => "TLS 1.0".into(),
        SSL3 => "SSL 3.0".into(),
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

/// Every candidate the server accepts, given `first`, its pick when offered all of them: the
/// other candidates are dealt into `buckets` lists (round robin, so related candidates that
/// tend to be accepted together spread out), searched concurrently by [`enumerate`]. Returns
/// `first`, then the others in `candidates`' order.
pub fn enumerate_rest(
    first: u16,
    candidates: &[u16],
    buckets: usize,
    attempt: impl Fn(&[u16]) -> Result<Option<u16>, Failure> + Sync,
) -> Result<Vec<u16>, Failure> {
    if !candidates.contains(&first) {
        return Ok(Vec::new());
    }
    let rest: Vec<u16> = candidates.iter().copied().filter(|c| *c != first).collect();
    let buckets = buckets.clamp(1, rest.len().max(1));
    let mut dealt = vec![Vec::new(); buckets];
    for (index, candidate) in rest.iter().enumerate() {
        if let Some(bucket) = dealt.get_mut(index % buckets) {
            bucket.push(*candidate);
        }
    }
    let attempt = &attempt;
    let found: Vec<Result<Vec<u16>, Failure>> = thread::scope(|s| {
        let handles: Vec<_> = dealt
            .iter()
            .filter(|bucket| !bucket.is_empty())
            .map(|bucket| s.spawn(move || enumerate(bucket, attempt)))
            .collect();
        handles.into_iter().map(join).collect()
    });
    let mut accepted = Vec::new();
    for bucket in found {
        accepted.extend(bucket?);
    }
    let mut out = vec![first];
    out.extend(rest.into_iter().filter(|c| accepted.contains(c)));
    Ok(out)
}

/// The cipher suites the server accepts ([`enumerate_rest`]), and whether it picks by its own
/// order: then they are returned in that order. A hello offering every candidate in reverse
/// order, sent alongside, tells: a server that follows the client's order picks another suite
/// than `first`. A server with its own order is asked for it one suite at a time, as a
/// sequential scanner does: one connection per suite, each after the last.
fn suites_in_order(
    first: u16,
    candidates: &[u16],
    buckets: usize,
    attempt: impl Fn(&[u16]) -> Result<Option<u16>, Failure> + Sync,
) -> Result<(Vec<u16>, bool), Failure> {
    let reversed: Vec<u16> = candidates.iter().rev().copied().collect();
    let (found, reversed_pick) = thread::scope(|s| {
        let reversed_pick = s.spawn(|| attempt(&reversed));
        let found = enumerate_rest(first, candidates, buckets, &attempt);
        (found, join(reversed_pick))
    });
    let found = found?;
    let server_order = found.len() > 1 && reversed_pick? == Some(first);
    if !server_order {
        return Ok((found, false));
    }
    let rest: Vec<u16> = found.iter().copied().filter(|s| *s != first).collect();
    let mut ordered = vec![first];
    ordered.extend(enumerate(&rest, &attempt)?);
    // A server whose answers change between connections keeps the discovery's list.
    if ordered.len() == found.len() {
        Ok((ordered, true))
    } else {
        Ok((found, true))
    }
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

/// The value of a scoped thread; a panic in it is re-raised here (the probe's own code does not
/// panic on any input; this only keeps a bug from being mistaken for a server's answer).
pub(crate) fn join<T>(handle: thread::ScopedJoinHandle<'_, T>) -> T {
    match handle.join() {
        Ok(value) => value,
        Err(panic) => std::panic::resume_unwind(panic),
    }
}

/// Sends `hello` on a fresh connection and reads the reply: `Some` ServerHello, or `None` if the
/// server refused it (an alert, or closing the connection unanswered, three times).
///
/// While the pool allows it, the hello is abandoned right behind ([`abandon`]), so the server
/// closes as soon as it has answered. A server that answers an abandoned hello with nothing, or
/// with an alert before it has shown that it reads hellos before the alerts behind them, is
/// asked again plainly; if that gets a handshake, the pool stops abandoning. A connection closed
/// unanswered makes the pool open fewer at once, and the hello is asked again, up to three
/// times: servers that limit connections per client do that (the scan checks at the end that
/// the server still answers; see [`scan`]).
fn exchange(pool: &Pool<'_>, hello: &ClientHello<'_>) -> Result<Option<ServerHello>, Failure> {
    let mut abandoned = pool.abandon();
    let mut tried_abandoned = false;
    let mut silences = 0;
    loop {
        match exchange_once(pool, hello, abandoned)? {
            Answer::Hello(answer) => {
                if abandoned {
                    pool.abandon_works();
                } else if tried_abandoned {
                    pool.abandon_unreliable();
                }
                check_choices(pool, hello, &answer)?;
                return Ok(Some(answer));
            }
            // A refusal of an abandoned hello is trusted only once the server has shown that
            // it reads hellos before the alerts behind them, and only if it is one of the
            // alerts servers refuse hellos with: handshake_failure (40), protocol_version (70)
            // or insufficient_security (71). Others (unexpected_message, decode_error, ...) may
            // answer the alerts rather than the hello.
            Answer::Refused(description)
                if abandoned
                    && (!pool.abandon_confirmed() || !matches!(description, 40 | 70 | 71)) =>
            {
                (abandoned, tried_abandoned) = (false, true);
            }
            Answer::Refused(_) => return Ok(None),
            Answer::Silent if abandoned => (abandoned, tried_abandoned) = (false, true),
            Answer::Silent => {
                silences += 1;
                pool.silence_and_pause(silences);
                if silences == 3 {
                    // Three closes, fewer connections open each time: this server refuses
                    // this hello by closing (as Schannel does for versions it disables).
                    pool.explained(silences);
                    return Ok(None);
                }
            }
        }
    }
}

/// Fails the scan if the server chose something the hello did not offer: TLS forbids it, and
/// no report about such a server could be right.
fn check_choices(
    pool: &Pool<'_>,
    hello: &ClientHello<'_>,
    answer: &ServerHello,
) -> Result<(), Failure> {
    let group = answer.group.filter(|g| !hello.groups.contains(g));
    let scheme = answer
        .kx_signature
        .filter(|s| !hello.schemes.is_empty() && !hello.schemes.contains(s));
    let violation = if !hello.suites.contains(&answer.cipher_suite) {
        Some(("cipher suite", suite_name(answer.cipher_suite)))
    } else if let Some(group) = group {
        Some(("key-exchange group", group_name(group)))
    } else {
        scheme.map(|scheme| ("signature scheme", scheme_name(scheme)))
    };
    match violation {
        Some((what, name)) => Err(pool.fail(Failure::network(format!(
            "{} answered a ClientHello with the {what} {name}, which the hello did not offer: \
             expected one of the client's (TLS servers must choose from the client's list); \
             this is not a TLS server the probe can describe",
            pool.target().display()
        )))),
        None => Ok(()),
    }
}

/// A server's answer to one ClientHello.
enum Answer {
    Hello(ServerHello),
    /// An alert refusing the hello (its description).
    Refused(u8),
    /// Nothing (a close or a reset), or only an answer to the probe's own closing alerts.
    Silent,
}

fn exchange_once(
    pool: &Pool<'_>,
    hello: &ClientHello<'_>,
    abandoned: bool,
) -> Result<Answer, Failure> {
    let target = pool.target();
    let fail = |failure: Failure| Err(pool.fail(failure));
    let mut lease = pool.connect()?;
    let socket = lease.socket()?;
    let sent = socket.write_all(&hello.encode()).and_then(|()| {
        if abandoned {
            abandon(socket)
        } else {
            Ok(())
        }
    });
    if let Err(e) = sent {
        // A server that has already answered and closed makes the write fail: read its answer.
        if !matches!(
            e.kind(),
            io::ErrorKind::ConnectionReset
                | io::ErrorKind::BrokenPipe
                | io::ErrorKind::ConnectionAborted
                | io::ErrorKind::NotConnected
        ) {
            return fail(Failure::network(format!(
                "cannot send a ClientHello to {}: {e}",
                target.display()
            )));
        }
    }
    let deadline = Instant::now() + target.timeout * 2;
    let mut reply = Vec::new();
    let mut chunk = [0u8; 8192];
    loop {
        match parse_server_flight(&reply) {
            Ok(Progress::Done(Reply::Hello(hello))) => return Ok(Answer::Hello(hello)),
            // close_notify (0) and user_canceled (90) answer the probe's own alerts.
            Ok(Progress::Done(Reply::Alert { description, .. }))
                if abandoned && matches!(description, 0 | 90) =>
            {
                return Ok(Answer::Silent)
            }
            Ok(Progress::Done(Reply::Alert { description, .. })) => {
                return Ok(Answer::Refused(description))
            }
            Ok(Progress::NeedMore) => {}
            Err(e) => {
                return fail(match target.starttls {
                    // Not a TLS record at all: quote what the server said after its preamble.
                    Some(protocol) if !matches!(reply.first(), Some(20..=23)) => {
                        crate::net::plaintext_after_preamble(target, protocol, &reply)
                    }
                    _ => Failure::network(format!(
                        "{} did not answer like a TLS server: {e}",
                        target.display()
                    )),
                });
            }
        }
        if reply.len() > MAX_REPLY {
            return fail(Failure::network(format!(
                "{} sent more than {MAX_REPLY} bytes without finishing its first flight \
                 (expected ServerHello ... ServerHelloDone)",
                target.display()
            )));
        }
        if Instant::now() > deadline {
            return fail(timed_out(pool, reply.len()));
        }
        match socket.read(&mut chunk) {
            Ok(0) if reply.is_empty() => return Ok(Answer::Silent),
            Ok(0) => {
                return fail(Failure::network(format!(
                    "{} closed the connection in the middle of its reply to a ClientHello, \
                     after {} bytes (expected a complete ServerHello flight or an alert)",
                    target.display(),
                    reply.len()
                )))
            }
            Ok(n) => {
                pool.heard();
                reply.extend_from_slice(chunk.get(..n).unwrap_or_default());
            }
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                return fail(timed_out(pool, reply.len()))
            }
            Err(e) if e.kind() == io::ErrorKind::ConnectionReset && reply.is_empty() => {
                return Ok(Answer::Silent)
            }
            Err(e) => {
                return fail(Failure::network(format!(
                    "cannot read the reply of {} to a ClientHello after {} bytes: {e}",
                    target.display(),
                    reply.len()
                )))
            }
        }
    }
}

fn timed_out(pool: &Pool<'_>, received: usize) -> Failure {
    let target = pool.target();
    Failure::network(format!(
        "timed out after {}s waiting for {} to answer a ClientHello: expected a ServerHello or \
         an alert, received {received} bytes",
        target.timeout.as_secs_f32(),
        target.display()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    /// A server that accepts `accepted`, preferring them in that order.
    fn server(accepted: &[u16]) -> impl Fn(&[u16]) -> Result<Option<u16>, Failure> + Sync + '_ {
        move |offer: &[u16]| Ok(accepted.iter().copied().find(|a| offer.contains(a)))
    }

    #[test]
    fn enumerate_rest_finds_every_accepted_candidate_in_few_attempts() {
        let candidates: Vec<u16> = (1..=40).collect();
        let accepted = [7, 3, 30, 12, 13, 14, 15, 39];
        let attempts = Mutex::new(0);
        let counted = |offer: &[u16]| {
            *attempts.lock().unwrap() += 1;
            server(&accepted)(offer)
        };
        let first = server(&accepted)(&candidates).unwrap().unwrap();
        let found = enumerate_rest(first, &candidates, 3, counted).unwrap();
        assert_eq!(found, [7, 3, 12, 13, 14, 15, 30, 39]);
        // One attempt per accepted candidate after the first, plus one refusal per bucket.
        assert_eq!(*attempts.lock().unwrap(), 7 + 3);
    }

    #[test]
    fn enumerate_rest_with_nothing_else_accepted_and_a_stray_first() {
        let found = enumerate_rest(5, &[1, 5, 9], 6, server(&[5])).unwrap();
        assert_eq!(found, [5]);
        assert!(enumerate_rest(4, &[1, 5], 2, server(&[4]))
            .unwrap()
            .is_empty());
    }

    #[test]
    fn enumerate_rest_stops_at_the_first_failure() {
        let failing = |_: &[u16]| Err(Failure::network("boom"));
        let err = enumerate_rest(1, &[1, 2, 3], 2, failing).unwrap_err();
        assert_eq!(err.message, "boom");
    }
}
