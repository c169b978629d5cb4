//! Item 5: N client threads sharing one `ClientConfig` (so one verifier) making handshakes over
//! loopback TCP against N server threads.

use std::io::Read;
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use rustls::{ClientConfig, ClientConnection, ServerConfig, ServerConnection};

use crate::fixtures::server_name;

fn serve(config: &Arc<ServerConfig>, mut sock: TcpStream) {
    let _ = sock.set_nodelay(true);
    let Ok(mut conn) = ServerConnection::new(config.clone()) else {
        return;
    };
    while conn.is_handshaking() {
        if conn.complete_io(&mut sock).is_err() {
            return;
        }
    }
    while conn.wants_write() {
        if conn.write_tls(&mut sock).is_err() {
            return;
        }
    }
    // Wait for the client to hang up.
    let mut sink = [0u8; 4096];
    while matches!(sock.read(&mut sink), Ok(n) if n > 0) {}
}

fn connect(config: &Arc<ClientConfig>, addr: std::net::SocketAddr) {
    let mut sock = TcpStream::connect(addr).expect("connect to loopback");
    sock.set_nodelay(true).expect("nodelay");
    let mut conn = ClientConnection::new(config.clone(), server_name()).expect("client");
    while conn.is_handshaking() {
        conn.complete_io(&mut sock).expect("handshake succeeds");
    }
    conn.send_close_notify();
    while conn.wants_write() {
        conn.write_tls(&mut sock).expect("write");
    }
    let _ = sock.shutdown(Shutdown::Both);
}

/// Full handshakes per second with `threads` client threads sharing `client` (and its verifier)
/// against `threads` server threads, over `duration`.
pub fn loopback_rate(
    client: &Arc<ClientConfig>,
    server: &Arc<ServerConfig>,
    threads: usize,
    duration: Duration,
) -> f64 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
    let addr = listener.local_addr().expect("address");
    let stop = Arc::new(AtomicBool::new(false));
    let servers: Vec<_> = (0..threads)
        .map(|_| {
            let listener = listener.try_clone().expect("clone listener");
            let (server, stop) = (server.clone(), stop.clone());
            thread::spawn(move || loop {
                let Ok((sock, _)) = listener.accept() else {
                    continue;
                };
                if stop.load(Ordering::Relaxed) {
                    break;
                }
                serve(&server, sock);
            })
        })
        .collect();
    let start = Instant::now();
    let deadline = start + duration;
    let clients: Vec<_> = (0..threads)
        .map(|_| {
            let client = client.clone();
            thread::spawn(move || {
                let mut count = 0u64;
                while Instant::now() < deadline {
                    connect(&client, addr);
                    count += 1;
                }
                count
            })
        })
        .collect();
    let total: u64 = clients
        .into_iter()
        .map(|c| c.join().expect("client thread"))
        .sum();
    let elapsed = start.elapsed().as_secs_f64();
    stop.store(true, Ordering::Relaxed);
    for _ in 0..threads {
        let _ = TcpStream::connect(addr);
    }
    for server in servers {
        server.join().expect("server thread");
    }
    total as f64 / elapsed
}
