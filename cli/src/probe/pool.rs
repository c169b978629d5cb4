//! The probe's connections: at most `parallel` open at once, counted, and stopped after the first
//! network failure.
//!
//! Every connection the probe makes (raw ClientHellos and rustls handshakes alike) is leased
//! here, so `--parallel N` bounds them all, and the report can say how many it took. The pool
//! also keeps what the probe has learnt about the server's manners: whether it answers hellos
//! abandoned right behind ([`crate::net::ABANDON`]) as it answers plain ones, and whether it
//! closes connections unanswered (then fewer are opened at once).

use std::net::TcpStream;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex, PoisonError};

use crate::exit::Failure;
use crate::net::Target;

/// How often a connection refused as busy ([`Failure::busy`]) is tried again, and the pause
/// before the first retry (it grows by as much each time): Exim counts a connection until its
/// process has exited, half a second after the client closed.
const BUSY_RETRIES: u32 = 4;
const BUSY_PAUSE: std::time::Duration = std::time::Duration::from_millis(300);

/// The pause before retrying a handshake the server closed unanswered (it grows by as much each
/// time): a server that counts connections until their processes exit needs a moment.
const CLOSED_PAUSE: std::time::Duration = std::time::Duration::from_millis(100);

/// The default number of connections the probe keeps open at once.
pub const DEFAULT_PARALLEL: u16 = 16;

/// Connections to one target, at most `parallel` at a time.
#[derive(Debug)]
pub struct Pool<'a> {
    target: &'a Target,
    parallel: usize,
    /// (connections open, the current limit).
    slots: Mutex<(usize, usize)>,
    freed: Condvar,
    opened: AtomicUsize,
    failure: Mutex<Option<Failure>>,
    abandon_unreliable: AtomicBool,
    abandon_confirmed: AtomicBool,
    heard: AtomicBool,
    silences: AtomicUsize,
    /// Closes counted by `silence` that were not explained as refusals (changed under `slots`).
    unexplained: AtomicUsize,
}

/// One open connection; dropping it closes the socket, then frees its slot.
#[derive(Debug)]
pub struct Lease<'p, 'a> {
    socket: Option<TcpStream>,
    pool: &'p Pool<'a>,
}

impl Lease<'_, '_> {
    /// The connected socket, positioned where the TLS ClientHello goes.
    pub fn socket(&mut self) -> Result<&mut TcpStream, Failure> {
        self.socket
            .as_mut()
            .ok_or_else(|| Failure::network("the probe's connection was already closed"))
    }
}

impl<'a> Pool<'a> {
    /// A pool for `target` allowing `parallel` connections at once (at least one).
    pub fn new(target: &'a Target, parallel: usize) -> Self {
        let parallel = parallel.max(1);
        Self {
            target,
            parallel,
            slots: Mutex::new((0, parallel)),
            freed: Condvar::new(),
            opened: AtomicUsize::new(0),
            failure: Mutex::new(None),
            abandon_unreliable: AtomicBool::new(false),
            abandon_confirmed: AtomicBool::new(false),
            heard: AtomicBool::new(false),
            silences: AtomicUsize::new(0),
            unexplained: AtomicUsize::new(0),
        }
    }

    /// The target the pool connects to.
    pub fn target(&self) -> &'a Target {
        self.target
    }

    /// Waits for a free slot and connects. After any connection has failed (see
    /// [`Pool::fail`]), returns that failure instead of connecting again: a server that stalls
    /// or refuses costs one timeout per connection already open, not one per question left.
    pub fn connect(&self) -> Result<Lease<'_, 'a>, Failure> {
        self.stopped()?;
        {
            let mut slots = self.slots.lock().unwrap_or_else(PoisonError::into_inner);
            while slots.0 >= slots.1 {
                slots = self
                    .freed
                    .wait(slots)
                    .unwrap_or_else(PoisonError::into_inner);
            }
            slots.0 += 1;
        }
        if let Err(failure) = self.stopped() {
            self.release();
            return Err(failure);
        }
        let mut busy = 0u32;
        loop {
            self.opened.fetch_add(1, Ordering::Relaxed);
            match self.target.connect() {
                Ok(socket) => {
                    return Ok(Lease {
                        socket: Some(socket),
                        pool: self,
                    })
                }
                // A server with too many connections open (counting ones it is still closing,
                // as Exim does) may take this one a little later, with fewer open at once.
                Err(failure) if failure.busy && busy < BUSY_RETRIES => {
                    busy += 1;
                    self.silence();
                    std::thread::sleep(BUSY_PAUSE * busy);
                    self.stopped().inspect_err(|_| self.release())?;
                }
                Err(mut failure) => {
                    self.release();
                    if failure.busy {
                        failure.message.push_str(&format!(
                            " (refused {} times, down to {} connection(s) at a time: the server \
                             limits connections per client; raise its limit, or probe again \
                             when it is less busy)",
                            busy + 1,
                            self.limit()
                        ));
                    }
                    return Err(self.fail(failure));
                }
            }
        }
    }

    fn release(&self) {
        let mut slots = self.slots.lock().unwrap_or_else(PoisonError::into_inner);
        slots.0 = slots.0.saturating_sub(1);
        self.freed.notify_all();
    }

    /// Records `failure` as the reason to stop (the first one recorded wins) and returns the
    /// recorded one.
    pub fn fail(&self, failure: Failure) -> Failure {
        let mut slot = self.failure.lock().unwrap_or_else(PoisonError::into_inner);
        slot.get_or_insert(failure).clone()
    }

    /// The recorded failure, if any.
    pub fn stopped(&self) -> Result<(), Failure> {
        match &*self.failure.lock().unwrap_or_else(PoisonError::into_inner) {
            Some(failure) => Err(failure.clone()),
            None => Ok(()),
        }
    }

    /// Whether hellos may be abandoned right behind ([`crate::net::ABANDON`]): true until a
    /// server answered an abandoned hello differently from a plain one.
    pub fn abandon(&self) -> bool {
        !self.abandon_unreliable.load(Ordering::Relaxed)
    }

    /// Stops abandoning hellos on this pool's connections.
    pub fn abandon_unreliable(&self) {
        self.abandon_unreliable.store(true, Ordering::Relaxed);
    }

    /// Records that the server answered an abandoned hello with its handshake: it reads the
    /// hello before the alerts behind it, so its refusals of abandoned hellos are refusals.
    pub fn abandon_works(&self) {
        self.abandon_confirmed.store(true, Ordering::Relaxed);
    }

    /// Whether [`Pool::abandon_works`] has been recorded.
    pub fn abandon_confirmed(&self) -> bool {
        self.abandon_confirmed.load(Ordering::Relaxed)
    }

    /// Records that the server closed a connection without answering: from now on at most half
    /// as many connections (at least one) are opened at once, for servers that limit them.
    pub fn silence(&self) {
        self.silences.fetch_add(1, Ordering::Relaxed);
        let mut slots = self.slots.lock().unwrap_or_else(PoisonError::into_inner);
        self.unexplained.fetch_add(1, Ordering::Relaxed);
        slots.1 = (slots.1 / 2).max(1);
    }

    /// Records that `count` of the closes counted by [`Pool::silence`] were the server's way of
    /// refusing a hello (it closed every retry too), not a limit: once every close so far is
    /// explained so, the limit goes back to `--parallel`.
    pub fn explained(&self, count: usize) {
        let mut slots = self.slots.lock().unwrap_or_else(PoisonError::into_inner);
        let left = self
            .unexplained
            .fetch_sub(count, Ordering::Relaxed)
            .saturating_sub(count);
        if left == 0 {
            slots.1 = self.parallel;
            self.freed.notify_all();
        }
    }

    /// Runs `attempt` (one connection; it returns its result and whether the server closed or
    /// reset the connection before answering) up to three times while the server does that,
    /// with half as many connections open each time (see [`Pool::silence`]); if every attempt
    /// was closed, the server refuses that way ([`Pool::explained`]).
    pub fn retry_closed<T>(&self, mut attempt: impl FnMut() -> (T, bool)) -> T {
        let mut tries = 1;
        loop {
            let (result, closed) = attempt();
            if !closed || self.stopped().is_err() {
                return result;
            }
            if tries == 3 {
                self.explained(tries - 1);
                return result;
            }
            self.silence_and_pause(tries);
            tries += 1;
        }
    }

    /// [`Pool::silence`], then a pause of `tries` × 100 ms before the caller asks again: a
    /// limiter needs a moment to count the closed connections out.
    pub fn silence_and_pause(&self, tries: usize) {
        self.silence();
        let tries = u32::try_from(tries).unwrap_or(u32::MAX);
        std::thread::sleep(CLOSED_PAUSE.saturating_mul(tries));
    }

    /// How many connections the server closed without answering.
    pub fn silences(&self) -> usize {
        self.silences.load(Ordering::Relaxed)
    }

    /// The limit on open connections now (`--parallel`, or lower after [`Pool::silence`]).
    pub fn limit(&self) -> usize {
        self.slots.lock().unwrap_or_else(PoisonError::into_inner).1
    }

    /// The limit the pool started with.
    pub fn parallel(&self) -> usize {
        self.parallel
    }

    /// Records that the server sent something on one of the connections.
    pub fn heard(&self) {
        self.heard.store(true, Ordering::Relaxed);
    }

    /// Whether the server has sent anything on any connection.
    pub fn has_heard(&self) -> bool {
        self.heard.load(Ordering::Relaxed)
    }

    /// How many connections the pool has opened (or tried to).
    pub fn connections(&self) -> usize {
        self.opened.load(Ordering::Relaxed)
    }
}

impl Drop for Lease<'_, '_> {
    fn drop(&mut self) {
        // Close the socket before the slot is free, so that no more than the limit are open.
        drop(self.socket.take());
        self.pool.release();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;
    use std::time::Duration;

    #[test]
    fn bounds_open_connections_and_stops_after_a_failure() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let target =
            Target::parse(&format!("127.0.0.1:{port}"), None, Duration::from_secs(2)).unwrap();
        let pool = Pool::new(&target, 2);
        let most = AtomicUsize::new(0);
        let now = AtomicUsize::new(0);
        std::thread::scope(|s| {
            for _ in 0..6 {
                s.spawn(|| {
                    let lease = pool.connect().unwrap();
                    let open = now.fetch_add(1, Ordering::SeqCst) + 1;
                    most.fetch_max(open, Ordering::SeqCst);
                    std::thread::sleep(Duration::from_millis(30));
                    now.fetch_sub(1, Ordering::SeqCst);
                    drop(lease);
                });
            }
        });
        assert_eq!(most.load(Ordering::SeqCst), 2);
        assert_eq!(pool.connections(), 6);
        let failure = pool.fail(Failure::network("first"));
        assert_eq!(failure.message, "first");
        assert_eq!(pool.fail(Failure::network("second")).message, "first");
        assert_eq!(pool.connect().unwrap_err().message, "first");
        assert_eq!(pool.connections(), 6, "no connection after a failure");
    }

    #[test]
    fn silences_halve_the_limit_down_to_one() {
        let target = Target::parse("127.0.0.1:1", None, Duration::from_secs(1)).unwrap();
        let pool = Pool::new(&target, 16);
        for expected in [8, 4, 2, 1, 1] {
            pool.silence();
            assert_eq!(pool.limit(), expected);
        }
        assert_eq!((pool.silences(), pool.parallel()), (5, 16));
        // Closes explained as refusals bring the limit back once all of them are.
        pool.explained(3);
        assert_eq!(pool.limit(), 1);
        pool.explained(2);
        assert_eq!(pool.limit(), 16);
    }
}
