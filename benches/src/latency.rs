//! Probing at WAN latency: a delay proxy on loopback, and `tlspin probe` against sslscan through
//! it, both probing the same default `openssl s_server`.
//!
//! The proxy delays each direction by half the round trip, and holds a connection's first
//! client bytes until one round trip after it accepted it, as a real network delays the
//! client's first data by its TCP handshake; it connects to the server when those bytes arrive,
//! as a server's `accept` returns on the client's ACK. So every connection costs what it costs
//! on a real network with that round trip: one round trip to connect, one per exchange. It
//! counts the connections it accepts.

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

/// A TCP proxy on 127.0.0.1 that adds `rtt` of round-trip time to every connection.
pub struct DelayProxy {
    /// The port it listens on.
    pub port: u16,
    accepted: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
}

impl DelayProxy {
    /// Starts a proxy to `upstream`.
    pub fn start(upstream: SocketAddr, rtt: Duration) -> std::io::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let port = listener.local_addr()?.port();
        let accepted = Arc::new(AtomicUsize::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let (count, halt) = (accepted.clone(), stop.clone());
        thread::spawn(move || {
            for client in listener.incoming() {
                if halt.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(client) = client else { continue };
                count.fetch_add(1, Ordering::SeqCst);
                thread::spawn(move || relay(client, upstream, rtt));
            }
        });
        Ok(Self {
            port,
            accepted,
            stop,
        })
    }

    /// Connections accepted so far.
    pub fn connections(&self) -> usize {
        self.accepted.load(Ordering::SeqCst)
    }

    /// Resets the connection count.
    pub fn reset(&self) {
        self.accepted.store(0, Ordering::SeqCst);
    }
}

impl Drop for DelayProxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so it sees the flag.
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

fn relay(client: TcpStream, upstream: SocketAddr, rtt: Duration) {
    let accepted_at = Instant::now();
    let _ = client.set_nodelay(true);
    let Ok(client_read) = client.try_clone() else {
        return;
    };
    let half = rtt / 2;
    // The client's bytes: read as they come, each due half a round trip after it was sent, and
    // none before the client's TCP handshake would have let it send (one round trip).
    let (to_server, from_client) = mpsc::channel();
    let reader = thread::spawn(move || read_into(client_read, &to_server, half, accepted_at + rtt));
    // On a real network the server accepts a connection when the client's ACK arrives, one and
    // a half round trips after the client's SYN, together with the client's first data: connect
    // upstream only then, or a server that handles one connection at a time would sit waiting
    // for data that a real network delivers with the accept.
    thread::sleep(rtt + half);
    let Ok(server) = TcpStream::connect(upstream) else {
        return;
    };
    let _ = server.set_nodelay(true);
    let Ok(server_read) = server.try_clone() else {
        return;
    };
    let up = thread::spawn(move || deliver(&from_client, server));
    let (to_client, from_server) = mpsc::channel();
    let down = thread::spawn(move || deliver(&from_server, client));
    read_into(server_read, &to_client, half, accepted_at);
    let _ = (reader.join(), up.join(), down.join());
}

/// Reads `from` until it ends, queueing each chunk (then the end, as an empty chunk) to be
/// delivered `delay` after it was read, or after `not_before` if later.
fn read_into(
    mut from: TcpStream,
    queue: &mpsc::Sender<(Instant, Vec<u8>)>,
    delay: Duration,
    not_before: Instant,
) {
    let mut buffer = [0u8; 16 * 1024];
    loop {
        let n = from.read(&mut buffer).unwrap_or(0);
        let sent = Instant::now().max(not_before);
        if queue.send((sent + delay, buffer[..n].to_vec())).is_err() || n == 0 {
            return;
        }
    }
}

/// Writes each queued chunk to `to` when it is due; an empty chunk ends `to`'s stream.
fn deliver(queue: &mpsc::Receiver<(Instant, Vec<u8>)>, mut to: TcpStream) {
    for (due, bytes) in queue {
        let now = Instant::now();
        if due > now {
            thread::sleep(due - now);
        }
        if bytes.is_empty() {
            let _ = to.shutdown(Shutdown::Write);
            return;
        }
        if to.write_all(&bytes).is_err() {
            return;
        }
    }
}

/// An `openssl s_server` with its defaults and an RSA 2048-bit certificate, on a free port.
pub struct SServer {
    child: Child,
    /// Its address.
    pub address: SocketAddr,
}

impl SServer {
    /// Generates the certificate in `dir` and starts the server.
    pub fn start(dir: &Path) -> Self {
        let cert = dir.join("cert.pem");
        let key = dir.join("key.pem");
        let status = Command::new("openssl")
            .args([
                "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "30",
            ])
            .args(["-subj", "/CN=localhost", "-keyout"])
            .arg(&key)
            .arg("-out")
            .arg(&cert)
            .stderr(Stdio::null())
            .status()
            .expect("the openssl binary runs (apt-get install -y openssl)");
        assert!(status.success(), "openssl req failed");
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let child = Command::new("openssl")
            .args(["s_server", "-quiet", "-accept"])
            .arg(format!("127.0.0.1:{port}"))
            .arg("-cert")
            .arg(&cert)
            .arg("-key")
            .arg(&key)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("openssl s_server starts");
        let address: SocketAddr = ([127, 0, 0, 1], port).into();
        let deadline = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect(address).is_err() {
            assert!(
                Instant::now() < deadline,
                "s_server did not start listening"
            );
            thread::sleep(Duration::from_millis(20));
        }
        Self { child, address }
    }
}

impl Drop for SServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One probe's cost.
#[derive(Debug, Clone, Copy)]
pub struct Run {
    /// Wall-clock time.
    pub time: Duration,
    /// Connections the proxy accepted.
    pub connections: usize,
}

/// `tlspin probe` (the library the CLI runs) through `proxy`, `parallel` connections at a time.
pub fn tlspin_probe(proxy: &DelayProxy, parallel: usize) -> Run {
    let target = tlspin_cli::net::Target::parse(
        &format!("127.0.0.1:{}", proxy.port),
        None,
        Duration::from_secs(10),
    )
    .expect("a valid target");
    proxy.reset();
    let start = Instant::now();
    let report = tlspin_cli::probe::probe(&target, parallel, &|_| {}).expect("the probe succeeds");
    let time = start.elapsed();
    assert!(
        report.providers.iter().all(|p| p.compatible),
        "a default s_server is compatible: {report:?}"
    );
    // Let the proxy count connections still being torn down.
    thread::sleep(Duration::from_millis(50));
    Run {
        time,
        connections: proxy.connections(),
    }
}

/// `sslscan` (its defaults) through `proxy`.
pub fn sslscan(proxy: &DelayProxy) -> Run {
    proxy.reset();
    let start = Instant::now();
    let output = Command::new("sslscan")
        .args(["--no-colour", &format!("127.0.0.1:{}", proxy.port)])
        .output()
        .expect("sslscan runs (apt-get install -y sslscan)");
    let time = start.elapsed();
    assert!(output.status.success(), "sslscan failed: {output:?}");
    thread::sleep(Duration::from_millis(50));
    Run {
        time,
        connections: proxy.connections(),
    }
}
