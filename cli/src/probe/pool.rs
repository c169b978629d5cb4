//! The probe's connections: at most `parallel` open at once, counted, and stopped after the first
//! network failure.
//!
//! Every connection the probe makes (raw ClientHellos and rustls handshakes alike) is leased
//! here, so `--parallel N` bounds them all, and the report can say how many it took.

use std::net::TcpStream;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex, PoisonError};

use crate::exit::Failure;
use crate::net::Target;

/// The default number of connections the probe keeps open at once.
pub const DEFAULT_PARALLEL: u16 = 16;

/// Connections to one target, at most `parallel` at a time.
#[derive(Debug)]
pub struct Pool<'a> {
    target: &'a Target,
    parallel: usize,
    open: Mutex<usize>,
    freed: Condvar,
    opened: AtomicUsize,
    failure: Mutex<Option<Failure>>,
    abandon_unreliable: AtomicBool,
    heard: AtomicBool,
}

/// One open connection; dropping it closes the socket and frees its slot.
#[derive(Debug)]
pub struct Lease<'p, 'a> {
    /// The connected socket, positioned where the TLS ClientHello goes.
    pub socket: TcpStream,
    pool: &'p Pool<'a>,
}

impl<'a> Pool<'a> {
    /// A pool for `target` allowing `parallel` connections at once (at least one).
    pub fn new(target: &'a Target, parallel: usize) -> Self {
        Self {
            target,
            parallel: parallel.max(1),
            open: Mutex::new(0),
            freed: Condvar::new(),
            opened: AtomicUsize::new(0),
            failure: Mutex::new(None),
            abandon_unreliable: AtomicBool::new(false),
            heard: AtomicBool::new(false),
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
            let mut open = self.open.lock().unwrap_or_else(PoisonError::into_inner);
            while *open >= self.parallel {
                open = self
                    .freed
                    .wait(open)
                    .unwrap_or_else(PoisonError::into_inner);
            }
            *open += 1;
        }
        let release = |pool: &Self| {
            let mut open = pool.open.lock().unwrap_or_else(PoisonError::into_inner);
            *open = open.saturating_sub(1);
            pool.freed.notify_one();
        };
        if let Err(failure) = self.stopped() {
            release(self);
            return Err(failure);
        }
        self.opened.fetch_add(1, Ordering::Relaxed);
        match self.target.connect() {
            Ok(socket) => Ok(Lease { socket, pool: self }),
            Err(failure) => {
                release(self);
                Err(self.fail(failure))
            }
        }
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
    /// server answered an abandoned hello with nothing where it answers a plain one.
    pub fn abandon(&self) -> bool {
        !self.abandon_unreliable.load(Ordering::Relaxed)
    }

    /// Stops abandoning hellos on this pool's connections.
    pub fn abandon_unreliable(&self) {
        self.abandon_unreliable.store(true, Ordering::Relaxed);
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
        let mut open = self
            .pool
            .open
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        *open = open.saturating_sub(1);
        self.pool.freed.notify_one();
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
}
