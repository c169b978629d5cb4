//! What a server policy defers until the handshake signature (a trust-on-first-use record, a
//! report-only report), kept by each verifier until a signature made with the accepted
//! certificate's key is checked.
//!
//! rustls 0.24 lets an application take the presented identity (`presented_identity`), verify it
//! itself, on any thread and at any time, and continue the handshake later (`continue_with`),
//! which then checks the signature through the configured verifier. So the identity checks of
//! several connections may come before their signatures, on other threads than theirs. A
//! signature names only the certificate it was made with, never its connection, and a peer
//! that copied a certificate presents the same bytes as its owner. The rule: what one accepted
//! identity check registered runs only on a verified signature made with the same certificate
//! when it is the only check of that certificate waiting, or when every check waiting for it
//! registered the same effects (the same `what`s). As soon as two checks of one certificate wait
//! with different effects, the certificate is ambiguous: all its effects are dropped, with a
//! warning naming them, and it stays ambiguous until every check waiting for it has met a
//! signature or expired (a first use is then recorded by a later connection). A failed
//! signature made with the certificate drops what waits for it. A check waits at most
//! [`MAX_WAIT`]: a handshake whose identity was verified and that was never continued is
//! forgotten then (with a warning if it had effects), so it does not keep its certificate
//! ambiguous for ever.

use core::time::Duration;
use std::sync::{Mutex, MutexGuard};
use std::time::Instant;

use tlspin::policy::RegisteredEffects;

/// At most this many certificates have identity checks waiting for their signatures; beyond
/// it, the one that waited longest is forgotten, with a warning.
const MAX_CERTIFICATES: usize = 64;

/// At most this many identity checks of one certificate wait; beyond it, all its effects are
/// dropped, with a warning.
const MAX_CHECKS: usize = 64;

/// How long an identity check waits for its connection's signature. Past it, the check is
/// forgotten: were its connection continued later still, its signature could meet another
/// check's effects, so keep external verification (`presented_identity` to `continue_with`)
/// well within it.
pub(crate) const MAX_WAIT: Duration = Duration::from_secs(120);

/// One accepted identity check, waiting for the handshake signature of its connection.
#[derive(Debug)]
enum Check {
    /// What its policy registered (possibly nothing).
    Live(RegisteredEffects),
    /// Its effects were dropped; it still counts, so that no other check's effects run for
    /// its connection's signature.
    Dropped,
}

/// The checks of one certificate (or raw public key) waiting for a signature made with it.
#[derive(Debug)]
struct Waiting {
    key: Vec<u8>,
    /// Either all live with the same effects, or all dropped; each with when it was made,
    /// oldest first.
    checks: Vec<(Instant, Check)>,
}

impl Waiting {
    /// Whether every check registered the same effects, so running any of them for any of
    /// their signatures attributes nothing to the wrong connection.
    fn unambiguous(&self) -> bool {
        let mut live = self.checks.iter().map(|(_, check)| match check {
            Check::Live(effects) => Some(effects.descriptions().collect::<Vec<_>>()),
            Check::Dropped => None,
        });
        let first = live.next().flatten();
        first.is_some() && live.all(|other| other == first)
    }

    /// Drops every check's effects, keeping the checks; returns what was dropped.
    fn drop_effects(&mut self) -> Vec<String> {
        let mut dropped = Vec::new();
        for (_, check) in &mut self.checks {
            if let Check::Live(effects) = core::mem::replace(check, Check::Dropped) {
                dropped.extend(effects.descriptions().map(str::to_owned));
            }
        }
        dropped
    }
}

/// One server verifier's waiting effects.
#[derive(Debug, Default)]
pub(crate) struct Pending {
    /// Oldest first.
    waiting: Mutex<Vec<Waiting>>,
}

impl Pending {
    fn lock(&self) -> MutexGuard<'_, Vec<Waiting>> {
        // The list stays consistent at every step: a panic elsewhere does not spoil it.
        self.waiting
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// An identity check accepted `key` (an end-entity certificate or raw public key), and its
    /// policy registered `effects`: they wait for a signature made with `key`.
    pub(crate) fn accepted(&self, key: &[u8], effects: RegisteredEffects) {
        self.accepted_at(key, effects, Instant::now());
    }

    fn accepted_at(&self, key: &[u8], effects: RegisteredEffects, now: Instant) {
        let mut warnings = Vec::new();
        {
            let mut waiting = self.lock();
            expire(&mut waiting, now, &mut warnings);
            let mut entry = match waiting.iter().position(|w| w.key == key) {
                Some(at) => waiting.remove(at),
                None => {
                    if waiting.len() >= MAX_CERTIFICATES {
                        let mut oldest = waiting.remove(0);
                        warnings.push((
                            oldest.drop_effects(),
                            "More certificates' identity checks waited for their handshake \
                             signatures than this verifier keeps; the oldest was forgotten (were \
                             handshakes verified with presented_identity and never continued?)",
                        ));
                    }
                    Waiting {
                        key: key.to_vec(),
                        checks: Vec::new(),
                    }
                }
            };
            entry.checks.push((now, Check::Live(effects)));
            if entry.checks.len() > MAX_CHECKS {
                warnings.push((
                    entry.drop_effects(),
                    "Too many connections presenting the same certificate waited for their \
                     handshake signatures at once",
                ));
                entry.checks.remove(0);
            } else if entry.checks.len() > 1 && !entry.unambiguous() {
                warnings.push((
                    entry.drop_effects(),
                    "Connections presenting the same certificate waited for their handshake \
                     signatures at once with different effects, and a signature does not say \
                     which connection made it: nothing is attributed to the wrong one (a first \
                     use is recorded by a later connection)",
                ));
            }
            waiting.push(entry);
        }
        // Outside the lock: a logger may itself verify certificates.
        warn(warnings);
    }

    /// A handshake signature made with `key` was checked: if it `verified`, returns the effects
    /// to run now (those of one waiting check, if attributable); if not, drops what waits for
    /// `key`.
    pub(crate) fn signature_checked(
        &self,
        key: &[u8],
        verified: bool,
    ) -> Option<RegisteredEffects> {
        self.signature_checked_at(key, verified, Instant::now())
    }

    fn signature_checked_at(
        &self,
        key: &[u8],
        verified: bool,
        now: Instant,
    ) -> Option<RegisteredEffects> {
        let mut warnings = Vec::new();
        let run = {
            let mut waiting = self.lock();
            expire(&mut waiting, now, &mut warnings);
            let at = waiting.iter().position(|w| w.key == key);
            at.and_then(|at| {
                let entry = waiting.get_mut(at)?;
                // Any one check: the waiting checks are interchangeable (see `Waiting::checks`).
                let check = (!entry.checks.is_empty()).then(|| entry.checks.remove(0).1);
                if !verified {
                    // Expected for the failed connection's own; any other check was a
                    // connection of the key's owner, waiting at once with an impostor's.
                    warnings.push((
                        entry.drop_effects(),
                        "A handshake signature made with the same certificate failed while \
                         these waited: an impostor's connection and its owner's cannot be told \
                         apart",
                    ));
                }
                if entry.checks.is_empty() {
                    waiting.remove(at);
                }
                match check {
                    Some(Check::Live(effects)) if verified => Some(effects),
                    _ => None,
                }
            })
        };
        warn(warnings);
        run
    }
}

/// Forgets the checks that waited longer than [`MAX_WAIT`].
fn expire(waiting: &mut Vec<Waiting>, now: Instant, warnings: &mut Vec<(Vec<String>, &str)>) {
    let mut dropped = Vec::new();
    for entry in waiting.iter_mut() {
        let stale = entry
            .checks
            .iter()
            .take_while(|(since, _)| now.saturating_duration_since(*since) > MAX_WAIT)
            .count();
        for (_, check) in entry.checks.drain(..stale) {
            if let Check::Live(effects) = check {
                dropped.extend(effects.descriptions().map(str::to_owned));
            }
        }
    }
    waiting.retain(|entry| !entry.checks.is_empty());
    warnings.push((
        dropped,
        "Their handshakes' identities were verified and the handshakes were not continued \
         within two minutes",
    ));
}

fn warn(warnings: Vec<(Vec<String>, &str)>) {
    for (dropped, why) in warnings {
        if !dropped.is_empty() {
            log::warn!(
                "tlspin: dropped without running: {}. {why}",
                dropped.join("; ")
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    use super::*;
    use tlspin::policy::after_handshake_signature;

    /// What a policy registers: an effect named `what` that counts in `ran`.
    fn effects(what: &str, ran: &Arc<AtomicUsize>) -> RegisteredEffects {
        let ran = ran.clone();
        let what = what.to_owned();
        RegisteredEffects::collect(move || {
            after_handshake_signature(what, move || {
                ran.fetch_add(1, Ordering::Relaxed);
                Ok(())
            });
            Ok(())
        })
        .1
    }

    fn run(pending: &Pending, key: &[u8], verified: bool, now: Instant) {
        if let Some(effects) = pending.signature_checked_at(key, verified, now) {
            effects.run().unwrap();
        }
    }

    #[test]
    fn one_waiting_check_runs_on_its_signature_only() {
        let (pending, ran, t) = (Pending::default(), Arc::default(), Instant::now());
        pending.accepted_at(b"cert", effects("record a", &ran), t);
        run(&pending, b"other cert", true, t);
        assert_eq!(ran.load(Ordering::Relaxed), 0);
        run(&pending, b"cert", true, t);
        run(&pending, b"cert", true, t);
        assert_eq!(ran.load(Ordering::Relaxed), 1);
    }

    #[test]
    fn different_effects_for_one_certificate_never_run_until_every_check_is_gone() {
        let (pending, ran, t) = (Pending::default(), Arc::default(), Instant::now());
        pending.accepted_at(b"cert", effects("record a", &ran), t);
        pending.accepted_at(b"cert", effects("record b", &ran), t);
        run(&pending, b"cert", true, t);
        // One check still waits: a third check is ambiguous with it.
        pending.accepted_at(b"cert", effects("record c", &ran), t);
        run(&pending, b"cert", true, t);
        run(&pending, b"cert", true, t);
        assert_eq!(ran.load(Ordering::Relaxed), 0);
        // Nothing waits now: the next check is attributable.
        pending.accepted_at(b"cert", effects("record d", &ran), t);
        run(&pending, b"cert", true, t);
        assert_eq!(ran.load(Ordering::Relaxed), 1);
    }

    #[test]
    fn a_check_without_effects_counts() {
        let (pending, ran, t) = (Pending::default(), Arc::default(), Instant::now());
        pending.accepted_at(b"cert", RegisteredEffects::default(), t);
        pending.accepted_at(b"cert", effects("record a", &ran), t);
        run(&pending, b"cert", true, t);
        run(&pending, b"cert", true, t);
        assert_eq!(ran.load(Ordering::Relaxed), 0);
    }

    #[test]
    fn a_failed_signature_drops_what_waits_for_its_certificate() {
        let (pending, ran, t) = (Pending::default(), Arc::default(), Instant::now());
        pending.accepted_at(b"cert", effects("record a", &ran), t);
        pending.accepted_at(b"cert", effects("record a", &ran), t);
        run(&pending, b"cert", false, t);
        run(&pending, b"cert", true, t);
        assert_eq!(ran.load(Ordering::Relaxed), 0);
    }

    #[test]
    fn an_abandoned_check_expires() {
        let (pending, ran, t) = (Pending::default(), Arc::default(), Instant::now());
        pending.accepted_at(b"cert", effects("record abandoned", &ran), t);
        let later = t + MAX_WAIT + Duration::from_secs(1);
        pending.accepted_at(b"cert", effects("record a", &ran), later);
        run(&pending, b"cert", true, later);
        assert_eq!(ran.load(Ordering::Relaxed), 1);
        // Within MAX_WAIT it would have been ambiguous.
        pending.accepted_at(b"cert", effects("record abandoned", &ran), later);
        pending.accepted_at(b"cert", effects("record a", &ran), later + MAX_WAIT);
        run(&pending, b"cert", true, later + MAX_WAIT);
        assert_eq!(ran.load(Ordering::Relaxed), 1);
    }

    #[test]
    fn the_oldest_certificate_is_forgotten_beyond_the_bound() {
        let (pending, ran, t) = (Pending::default(), Arc::default(), Instant::now());
        for i in 0..=MAX_CERTIFICATES {
            pending.accepted_at(&i.to_be_bytes(), effects("record", &ran), t);
        }
        run(&pending, &0usize.to_be_bytes(), true, t);
        assert_eq!(ran.load(Ordering::Relaxed), 0, "forgotten");
        run(&pending, &MAX_CERTIFICATES.to_be_bytes(), true, t);
        assert_eq!(ran.load(Ordering::Relaxed), 1);
    }

    #[test]
    fn effects_wait_across_threads() {
        let (pending, ran, t) = (Arc::new(Pending::default()), Arc::default(), Instant::now());
        let registered = effects("record a", &ran);
        let p = pending.clone();
        std::thread::spawn(move || p.accepted_at(b"cert", registered, t))
            .join()
            .unwrap();
        run(&pending, b"cert", true, t);
        assert_eq!(ran.load(Ordering::Relaxed), 1);
    }
}
