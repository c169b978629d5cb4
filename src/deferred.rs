//! Side effects that wait until the server has proven it holds its certificate's key.
//!
//! rustls asks a server verifier about the certificates (`verify_server_cert`) *before* it
//! checks the server's handshake signature (`verify_tls12_signature` / `verify_tls13_signature`).
//! Until that signature verifies, the peer may be presenting somebody else's certificate without
//! its private key, so a policy must not record or report anything yet: a trust-on-first-use
//! store written at that point can be poisoned by anyone who has the real server's public
//! certificate.
//!
//! A policy hands such an effect to [`after_signature`] while it checks the certificates.
//! rustls 0.23 makes the two calls one after the other, in the same function of the client's
//! handshake (TLS 1.2 `ExpectServerDone`, TLS 1.3 `ExpectCertificateVerify`) and so on the same
//! thread, with the same end-entity certificate; the effect therefore waits in a thread-local
//! slot, tagged with the verifier and the certificate, and runs only when that verifier has
//! verified a signature made with that certificate's key. Every certificate check starts by
//! emptying the slot, and a failed check or signature empties it too, so an effect never
//! outlives its own step of its own connection. (rustls' *server* checks a client's certificate
//! and its signature on different messages, possibly on different threads, so client verifiers
//! do not defer effects.)

use core::cell::RefCell;
use std::sync::atomic::{AtomicU64, Ordering};

/// An effect that runs once the handshake signature has verified; its error fails the handshake.
pub(crate) type Effect = Box<dyn FnOnce() -> Result<(), rustls::Error>>;

struct Waiting {
    /// The verifier that accepted the certificate, once it has (`None` while its policy runs).
    verifier: Option<u64>,
    /// The end-entity certificate the signature must be made with.
    end_entity: Vec<u8>,
    effects: Vec<Effect>,
}

thread_local! {
    static WAITING: RefCell<Option<Waiting>> = const { RefCell::new(None) };
}

/// A fresh identity for a verifier.
pub(crate) fn verifier_id() -> u64 {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

/// Starts a certificate check of `end_entity`: drops whatever was waiting on this thread.
pub(crate) fn begin(end_entity: &[u8]) {
    WAITING.with(|slot| {
        slot.replace(Some(Waiting {
            verifier: None,
            end_entity: end_entity.to_vec(),
            effects: Vec::new(),
        }))
    });
}

/// Runs `effect` after the handshake signature of the connection whose certificates are being
/// checked on this thread has verified; never, if that connection fails first.
pub(crate) fn after_signature(effect: Effect) {
    WAITING.with(|slot| {
        if let Some(waiting) = slot.borrow_mut().as_mut() {
            waiting.effects.push(effect);
        }
    });
}

/// Ends the certificate check: `verifier` accepted the certificates (`true`), and the effects
/// wait for its signature check; or refused them, and the effects are dropped.
pub(crate) fn finish(verifier: u64, accepted: bool) {
    WAITING.with(|slot| {
        let mut slot = slot.borrow_mut();
        match slot.as_mut() {
            Some(waiting) if accepted && !waiting.effects.is_empty() => {
                waiting.verifier = Some(verifier);
            }
            _ => *slot = None,
        }
    });
}

/// The handshake signature made with `end_entity`'s key has verified for `verifier`: runs the
/// effects waiting for exactly that, in order, and stops at the first error.
pub(crate) fn signature_verified(verifier: u64, end_entity: &[u8]) -> Result<(), rustls::Error> {
    let waiting = WAITING.with(|slot| {
        let mut slot = slot.borrow_mut();
        match slot.as_ref() {
            Some(waiting)
                if waiting.verifier == Some(verifier) && waiting.end_entity == end_entity =>
            {
                slot.take()
            }
            _ => None,
        }
    });
    waiting.map_or(Ok(()), |waiting| {
        waiting.effects.into_iter().try_for_each(|effect| effect())
    })
}

/// The handshake signature failed: nothing that was waiting may happen.
pub(crate) fn signature_failed() {
    WAITING.with(|slot| slot.replace(None));
}
