//! Side effects that wait until the server has proven it holds its certificate's key.
//!
//! rustls asks a server verifier about the certificates (`verify_server_cert`) *before* it
//! checks the server's handshake signature (`verify_tls12_signature` / `verify_tls13_signature`).
//! Until that signature verifies, the peer may be presenting somebody else's certificate without
//! its private key, so a policy must not record or report anything yet: a trust-on-first-use
//! store written at that point can be poisoned by anyone who has the real server's public
//! certificate.
//!
//! A policy hands such an effect to [`after_signature`] while it checks the certificates (custom
//! policies through [`crate::policy::after_handshake_signature`]).
//! rustls 0.23 makes the two calls one after the other, in the same function of the client's
//! handshake (TLS 1.2 `ExpectServerDone`, TLS 1.3 `ExpectCertificateVerify`) and so on the same
//! thread, with the same end-entity certificate; the effect therefore waits in a thread-local
//! list, tagged with the verifier and the certificate, and runs only when that verifier has
//! verified a signature made with that certificate's key. A failed check or signature drops
//! the effects; a verifier's next certificate check on the thread drops what it left waiting
//! there, with a warning naming it, so an effect never outlives its own step of its own
//! connection. Each verifier waits separately, so checking a certificate with several tlspin
//! verifiers in a row (a wrapper that asks them all) loses nothing; a wrapper that checks
//! signatures itself, not through the tlspin verifier, gets the warning and no effect. (rustls'
//! *server* checks a client's certificate and its signature on different messages, possibly on
//! different threads, so client verifiers do not defer effects.) rustls 0.24 also lets an
//! application verify the identity on any thread and continue later: `tlspin-rustls024` takes
//! what a check registered ([`RegisteredEffects`], hence `Send`) and keeps it in the verifier.

use core::cell::RefCell;
use std::sync::atomic::{AtomicU64, Ordering};

/// An effect that runs once the handshake signature has verified; its error fails the handshake.
pub(crate) struct Effect {
    /// What it does, for the warning when it is dropped unrun.
    pub(crate) what: String,
    /// `Send`: a verifier for rustls 0.24 keeps it until a signature checked on any thread.
    pub(crate) run: Box<dyn FnOnce() -> Result<(), rustls::Error> + Send>,
}

/// What one verifier's last certificate check on this thread left waiting.
struct Waiting {
    verifier: u64,
    /// The end-entity certificate the signature must be made with.
    end_entity: Vec<u8>,
    effects: Vec<Effect>,
}

/// Says which effects of `dropped` never saw the signature check they waited for. Called where
/// entries are dropped for that reason, never from a destructor: a thread's locals are dropped
/// as it exits, when a logger's own thread-locals may already be gone.
fn warn_unrun(dropped: impl IntoIterator<Item = Waiting>) {
    for waiting in dropped {
        if waiting.effects.is_empty() {
            continue;
        }
        let what: Vec<&str> = waiting.effects.iter().map(|e| e.what.as_str()).collect();
        log::warn!(
            "tlspin: dropped without running: {}. The certificate was accepted, but the \
             verifier that accepted it never checked the handshake signature made with it: \
             either that handshake failed in between, or the verifier is wrapped by one that \
             checks signatures itself (delegate verify_tls12_signature and \
             verify_tls13_signature to the tlspin verifier)",
            what.join("; ")
        );
    }
}

/// At most this many verifiers' effects wait on one thread; the oldest are dropped beyond it.
const MAX_WAITING: usize = 8;

/// At most this many certificate checks run inside one another on one thread.
const MAX_NESTING: usize = 16;

thread_local! {
    /// Effects registered by the policies whose checks are running on this thread, innermost
    /// last (a policy may ask another tlspin verifier about the same certificate).
    static REGISTERED: RefCell<Vec<Vec<Effect>>> = const { RefCell::new(Vec::new()) };
    /// Effects of accepted certificates, per verifier, waiting for that verifier's signature
    /// check.
    static WAITING: RefCell<Vec<Waiting>> = const { RefCell::new(Vec::new()) };
}

/// A fresh identity for a verifier.
fn verifier_id() -> u64 {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

/// Starts `verifier`'s check of a certificate: drops (and warns about) whatever that verifier
/// left waiting on this thread, since its previous connection never reached its signature check.
fn begin(verifier: u64) {
    REGISTERED.with(|registered| {
        let mut registered = registered.borrow_mut();
        // Checks nest only as deep as verifiers ask each other; more means frames were left by
        // a policy that panicked, and they are dropped.
        if registered.len() >= MAX_NESTING {
            registered.clear();
        }
        registered.push(Vec::new());
    });
    let stale: Vec<Waiting> = WAITING.with(|waiting| {
        let mut waiting = waiting.borrow_mut();
        let (stale, keep) = core::mem::take(&mut *waiting)
            .into_iter()
            .partition(|w| w.verifier == verifier);
        *waiting = keep;
        stale
    });
    // Outside the borrow: a logger may itself verify certificates.
    warn_unrun(stale);
}

/// Runs `effect` after the handshake signature of the connection whose certificates are being
/// checked on this thread has verified; never, if that connection fails first.
pub(crate) fn after_signature(effect: Effect) {
    REGISTERED.with(|registered| match registered.borrow_mut().last_mut() {
        Some(frame) => frame.push(effect),
        None => log::warn!(
            "tlspin: {} was dropped: it was registered outside a tlspin verifier's certificate \
             check, so no handshake signature will ever prove the server's key for it",
            effect.what
        ),
    });
}

/// Ends `verifier`'s check of `end_entity`: if it accepted the certificates, what its policy
/// registered waits for its signature check; if not, it is dropped.
fn finish(verifier: u64, end_entity: &[u8], accepted: bool) {
    let effects = REGISTERED
        .with(|registered| registered.borrow_mut().pop())
        .unwrap_or_default();
    if !accepted || effects.is_empty() {
        return;
    }
    let evicted = WAITING.with(|waiting| {
        let mut waiting = waiting.borrow_mut();
        let evicted = (waiting.len() >= MAX_WAITING).then(|| waiting.remove(0));
        waiting.push(Waiting {
            verifier,
            end_entity: end_entity.to_vec(),
            effects,
        });
        evicted
    });
    warn_unrun(evicted);
}

/// `verifier` verified a handshake signature made with `end_entity`'s key: runs the effects
/// waiting for exactly that, in order, and stops at the first error.
fn signature_verified(verifier: u64, end_entity: &[u8]) -> Result<(), rustls::Error> {
    let found = WAITING.with(|waiting| {
        let mut waiting = waiting.borrow_mut();
        let at = waiting
            .iter()
            .position(|w| w.verifier == verifier && w.end_entity == end_entity)?;
        Some(waiting.remove(at))
    });
    found.map_or(Ok(()), |found| {
        found
            .effects
            .into_iter()
            .try_for_each(|effect| (effect.run)())
    })
}

/// `verifier`'s signature check failed: nothing that waited for it may happen.
fn signature_failed(verifier: u64) {
    // Expected: the handshake fails, so nothing is owed and nothing is said.
    WAITING.with(|waiting| waiting.borrow_mut().retain(|w| w.verifier != verifier));
}

/// One server verifier's share of the deferred effects: what tlspin's rustls 0.23
/// [`ServerVerifier`](crate::policy::ServerVerifier) does around its policy, for the verifier
/// traits of another rustls version that checks identity and signature in one step, on one
/// thread (`tlspin-rustls024` uses [`RegisteredEffects`] instead). Not for applications: use a
/// tlspin verifier.
///
/// Call [`check_server_cert`](Self::check_server_cert) around the policy's certificate check and
/// [`signature_checked`](Self::signature_checked) with every handshake signature check, on the
/// same thread, in the same handshake step, with the same end-entity certificate (or raw
/// public key) bytes. Effects registered by the policy through
/// [`after_handshake_signature`](crate::policy::after_handshake_signature) run when the signature
/// verified, never otherwise. Each value has its own key, so verifiers nest and interleave
/// exactly as tlspin's own do.
///
/// ```
/// use std::sync::atomic::{AtomicBool, Ordering};
/// use std::sync::Arc;
/// use tlspin::policy::{after_handshake_signature, DeferredEffects};
///
/// let effects = DeferredEffects::new();
/// let ran = Arc::new(AtomicBool::new(false));
/// let flag = ran.clone();
/// effects.check_server_cert(b"leaf", || {
///     after_handshake_signature("a test flag", move || {
///         flag.store(true, Ordering::Relaxed);
///         Ok(())
///     });
///     Ok(())
/// })?;
/// assert!(!ran.load(Ordering::Relaxed), "not before the signature");
/// effects.signature_checked(b"leaf", true)?;
/// assert!(ran.load(Ordering::Relaxed));
/// # Ok::<(), rustls::Error>(())
/// ```
#[derive(Debug)]
pub struct DeferredEffects {
    id: u64,
}

impl Default for DeferredEffects {
    fn default() -> Self {
        Self::new()
    }
}

impl DeferredEffects {
    /// A fresh key, distinct from every other verifier's.
    pub fn new() -> Self {
        Self { id: verifier_id() }
    }

    /// Runs `check` (the policy's certificate check of `end_entity`); if it accepts, what the
    /// policy registered waits for this verifier's signature check; if not, it is dropped.
    pub fn check_server_cert(
        &self,
        end_entity: &[u8],
        check: impl FnOnce() -> Result<(), rustls::Error>,
    ) -> Result<(), rustls::Error> {
        begin(self.id);
        let verdict = check();
        finish(self.id, end_entity, verdict.is_ok());
        verdict
    }

    /// A handshake signature made with `end_entity`'s key was checked: if it `verified`, runs
    /// the effects waiting for exactly that (an effect's error fails the handshake); if not,
    /// drops everything this verifier left waiting.
    pub fn signature_checked(
        &self,
        end_entity: &[u8],
        verified: bool,
    ) -> Result<(), rustls::Error> {
        if verified {
            signature_verified(self.id, end_entity)
        } else {
            signature_failed(self.id);
            Ok(())
        }
    }
}

/// The effects a policy registered during one accepted certificate check, for a verifier that
/// keeps them itself until the handshake signature is checked, possibly on another thread
/// (`tlspin-rustls024`: rustls 0.24 lets an application verify a peer's identity outside the
/// handshake and continue it later). Not for applications: use a tlspin verifier.
///
/// ```
/// use std::sync::atomic::{AtomicBool, Ordering};
/// use std::sync::Arc;
/// use tlspin::policy::{after_handshake_signature, RegisteredEffects};
///
/// let ran = Arc::new(AtomicBool::new(false));
/// let flag = ran.clone();
/// let (verdict, effects) = RegisteredEffects::collect(|| {
///     after_handshake_signature("a test flag", move || {
///         flag.store(true, Ordering::Relaxed);
///         Ok(())
///     });
///     Ok(())
/// });
/// assert!(verdict.is_ok() && !ran.load(Ordering::Relaxed), "not before the signature");
/// assert_eq!(effects.descriptions().collect::<Vec<_>>(), ["a test flag"]);
/// std::thread::spawn(move || effects.run()).join().unwrap()?;
/// assert!(ran.load(Ordering::Relaxed));
/// # Ok::<(), rustls::Error>(())
/// ```
#[derive(Default)]
pub struct RegisteredEffects {
    effects: Vec<Effect>,
}

impl core::fmt::Debug for RegisteredEffects {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_list().entries(self.descriptions()).finish()
    }
}

impl RegisteredEffects {
    /// Runs `check` (a policy's certificate check) and returns its verdict with what the policy
    /// registered through [`after_handshake_signature`](crate::policy::after_handshake_signature)
    /// meanwhile: nothing if it refused.
    ///
    /// ```
    /// use tlspin::policy::{after_handshake_signature, RegisteredEffects};
    ///
    /// let (verdict, effects) = RegisteredEffects::collect(|| {
    ///     after_handshake_signature("a record", || Ok(()));
    ///     Err(rustls::CertificateError::UnknownIssuer.into())
    /// });
    /// assert!(verdict.is_err() && effects.is_empty(), "a refusal keeps nothing");
    /// ```
    pub fn collect(
        check: impl FnOnce() -> Result<(), rustls::Error>,
    ) -> (Result<(), rustls::Error>, Self) {
        REGISTERED.with(|registered| {
            let mut registered = registered.borrow_mut();
            if registered.len() >= MAX_NESTING {
                registered.clear();
            }
            registered.push(Vec::new());
        });
        let verdict = check();
        let effects = REGISTERED
            .with(|registered| registered.borrow_mut().pop())
            .unwrap_or_default();
        let effects = if verdict.is_ok() { effects } else { Vec::new() };
        (verdict, Self { effects })
    }

    /// Whether the policy registered nothing.
    ///
    /// ```
    /// let (_, effects) = tlspin::policy::RegisteredEffects::collect(|| Ok(()));
    /// assert!(effects.is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.effects.is_empty()
    }

    /// What each effect does, in order (the `what` given to `after_handshake_signature`).
    ///
    /// ```
    /// use tlspin::policy::{after_handshake_signature, RegisteredEffects};
    ///
    /// let (_, effects) = RegisteredEffects::collect(|| {
    ///     after_handshake_signature("one", || Ok(()));
    ///     after_handshake_signature("two", || Ok(()));
    ///     Ok(())
    /// });
    /// assert_eq!(effects.descriptions().collect::<Vec<_>>(), ["one", "two"]);
    /// ```
    pub fn descriptions(&self) -> impl Iterator<Item = &str> {
        self.effects.iter().map(|effect| effect.what.as_str())
    }

    /// Runs the effects in order, stopping at the first error: call it once the handshake
    /// signature made with the accepted certificate's key has verified.
    ///
    /// ```
    /// use tlspin::policy::{after_handshake_signature, RegisteredEffects};
    ///
    /// let (_, effects) = RegisteredEffects::collect(|| {
    ///     after_handshake_signature("a failing record", || {
    ///         Err(rustls::Error::General("the store is read-only".into()))
    ///     });
    ///     Ok(())
    /// });
    /// assert!(effects.run().is_err(), "its error fails the handshake");
    /// ```
    pub fn run(self) -> Result<(), rustls::Error> {
        self.effects
            .into_iter()
            .try_for_each(|effect| (effect.run)())
    }
}
