//! Targets (`HOST:PORT`, optionally behind a STARTTLS preamble), sockets with timeouts, and a
//! rustls handshake over them.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rustls::pki_types::ServerName;
use rustls::{ClientConfig, ClientConnection};

use crate::exit::Failure;
use crate::starttls::{self, Starttls};

/// A server to connect to, and the name to present to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// The host as given: a DNS name or an IP address (without brackets).
    pub host: String,
    /// The TCP port.
    pub port: u16,
    /// The name sent in SNI and used as the rustls `ServerName`: `--sni`, else the host.
    pub server_name: ServerName<'static>,
    /// How long each connect, read and write may take.
    pub timeout: Duration,
    /// The plaintext protocol to run before TLS (`--starttls`), if any.
    pub starttls: Option<Starttls>,
}

impl Target {
    /// Parses `HOST:PORT` (`[v6]:PORT` for IPv6 addresses).
    pub fn parse(input: &str, sni: Option<&str>, timeout: Duration) -> Result<Self, Failure> {
        let invalid = |problem: &str| {
            Failure::usage(format!(
                "expected HOST:PORT (e.g. example.com:443, 127.0.0.1:4433 or [::1]:4433), \
                 found {input:?}: {problem}"
            ))
        };
        let (host, port) = if let Some(rest) = input.strip_prefix('[') {
            let (host, port) = rest
                .split_once("]:")
                .ok_or_else(|| invalid("a bracketed IPv6 address must be followed by ]:PORT"))?;
            (host, port)
        } else {
            input
                .rsplit_once(':')
                .ok_or_else(|| invalid("there is no ':PORT'"))?
        };
        if host.is_empty() {
            return Err(invalid("the host is empty"));
        }
        if host.contains(':') && !input.starts_with('[') {
            return Err(invalid("write IPv6 addresses in brackets"));
        }
        let port: u16 = port
            .parse()
            .map_err(|_| invalid("the port is not a number from 1 to 65535"))?;
        if port == 0 {
            return Err(invalid("port 0 cannot be connected to"));
        }
        let name = sni.unwrap_or(host);
        let server_name = ServerName::try_from(name.to_owned()).map_err(|_| match sni {
            Some(_) => Failure::usage(format!(
                "expected --sni to be a DNS name or IP address to present as the server name, \
                 found {name:?}"
            )),
            None => invalid("the host is neither a DNS name nor an IP address"),
        })?;
        Ok(Self {
            host: host.to_owned(),
            port,
            server_name,
            timeout,
            starttls: None,
        })
    }

    /// The same target, reached through `starttls`'s preamble (`None`: TLS from the start).
    pub fn with_starttls(self, starttls: Option<Starttls>) -> Self {
        Self { starttls, ..self }
    }

    /// The server name to send in SNI: `None` for an IP address (TLS never sends those).
    pub fn sni(&self) -> Option<&str> {
        match &self.server_name {
            ServerName::DnsName(name) => Some(name.as_ref()),
            _ => None,
        }
    }

    /// `HOST:PORT`, for messages, followed by ` (STARTTLS PROTO)` with `--starttls`.
    pub fn display(&self) -> String {
        let address = if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        };
        match self.starttls {
            Some(protocol) => format!("{address} (STARTTLS {protocol})"),
            None => address,
        }
    }

    /// Connects over TCP with the target's timeout on connecting, reading and writing, and runs
    /// the STARTTLS preamble if there is one: the stream returned is where the TLS ClientHello
    /// starts. Each call makes its own connection, so threads may call it concurrently.
    pub fn connect(&self) -> Result<TcpStream, Failure> {
        let mut stream = self.connect_tcp()?;
        if let Some(protocol) = self.starttls {
            let domain = self.sni().unwrap_or(&self.host);
            starttls::negotiate(&mut stream, protocol, domain, self.timeout, &self.display())?;
        }
        Ok(stream)
    }

    fn connect_tcp(&self) -> Result<TcpStream, Failure> {
        let addresses: Vec<SocketAddr> = (self.host.as_str(), self.port)
            .to_socket_addrs()
            .map_err(|e| {
                Failure::network(format!(
                    "cannot resolve {}: expected an address for the host, got: {e}",
                    self.host
                ))
            })?
            .collect();
        let mut last_error = None;
        for address in &addresses {
            match TcpStream::connect_timeout(address, self.timeout) {
                Ok(stream) => {
                    let configured = stream
                        .set_read_timeout(Some(self.timeout))
                        .and_then(|()| stream.set_write_timeout(Some(self.timeout)))
                        .and_then(|()| stream.set_nodelay(true));
                    return match configured {
                        Ok(()) => Ok(stream),
                        Err(e) => Err(Failure::network(format!(
                            "cannot set socket timeouts for {address}: {e}"
                        ))),
                    };
                }
                Err(e) => last_error = Some((address, e)),
            }
        }
        Err(match last_error {
            Some((address, e)) => Failure::network(format!(
                "cannot connect to {} ({address}) within {}s: expected a server accepting TCP \
                 connections, got: {e}",
                self.display(),
                self.timeout.as_secs_f32()
            )),
            None => Failure::network(format!(
                "cannot connect to {}: the host resolved to no address",
                self.display()
            )),
        })
    }
}

/// Why a rustls handshake did not complete.
#[derive(Debug)]
pub enum HandshakeError {
    /// The network failed (connect, timeout, closed connection).
    Network(Failure),
    /// TLS failed; explain it with [`tlspin::explain`].
    Tls(rustls::Error),
}

/// Two alert records, `user_canceled` then `close_notify` (both warnings), that a probe writes
/// right behind its ClientHello before closing its sending side ([`abandon`]): the server
/// answers the hello, then reads these and the end of the stream and closes at once, instead of
/// waiting a round trip for the client's next flight. A server that handles one connection at a
/// time (`openssl s_server` even waits for the client to close) is then free for the next one
/// as soon as it has answered.
pub const ABANDON: [u8; 14] = [21, 3, 1, 0, 2, 1, 90, 21, 3, 1, 0, 2, 1, 0];

/// Writes [`ABANDON`] and closes `socket`'s sending side; the server's answer can still be read.
pub fn abandon(socket: &mut TcpStream) -> io::Result<()> {
    socket.write_all(&ABANDON)?;
    socket.shutdown(std::net::Shutdown::Write)
}

/// The largest number of bytes a handshake may read before it is abandoned.
const MAX_HANDSHAKE_BYTES: usize = 1 << 20;

/// Connects to `target` and runs a rustls handshake with `config`, within the target's timeout
/// per operation and four times that in total, reading at most 1 MiB.
pub fn handshake(
    target: &Target,
    config: Arc<ClientConfig>,
) -> Result<ClientConnection, HandshakeError> {
    let mut socket = target.connect().map_err(HandshakeError::Network)?;
    handshake_on(&mut socket, target, config, target.server_name.clone())
}

/// Runs a rustls handshake with `config` on `socket`, already connected to `target`, presenting
/// `server_name`; limits as for [`handshake`].
pub fn handshake_on(
    socket: &mut TcpStream,
    target: &Target,
    config: Arc<ClientConfig>,
    server_name: ServerName<'static>,
) -> Result<ClientConnection, HandshakeError> {
    let mut connection = ClientConnection::new(config, server_name).map_err(HandshakeError::Tls)?;
    drive_handshake(socket, target, &mut connection, false)?;
    Ok(connection)
}

/// Runs `connection`'s handshake on `socket` (limits as for [`handshake`]); the connection stays
/// with the caller, who can still read what was negotiated (e.g. ALPN) when it fails. With
/// `abandon`, the ClientHello is abandoned right behind ([`abandon`]): for handshakes the caller
/// stops at the server's first flight, which then never needs a second ClientHello or a client
/// Finished.
pub fn drive_handshake(
    socket: &mut TcpStream,
    target: &Target,
    connection: &mut ClientConnection,
    abandon: bool,
) -> Result<(), HandshakeError> {
    let mut abandon = abandon;
    let deadline = Instant::now() + target.timeout * 4;
    let mut read_total = 0usize;
    let mut buffer = [0u8; 16 * 1024];
    while connection.is_handshaking() {
        if Instant::now() > deadline {
            return Err(HandshakeError::Network(Failure::network(format!(
                "the TLS handshake with {} did not finish within {}s",
                target.display(),
                (target.timeout * 4).as_secs_f32()
            ))));
        }
        while connection.wants_write() {
            connection
                .write_tls(socket)
                .map_err(|e| io_failure(target, "write to", e))?;
        }
        if abandon {
            abandon = false;
            self::abandon(socket).map_err(|e| io_failure(target, "write to", e))?;
        }
        socket
            .flush()
            .map_err(|e| io_failure(target, "write to", e))?;
        if !connection.is_handshaking() {
            break;
        }
        let n = socket
            .read(&mut buffer)
            .map_err(|e| io_failure(target, "read from", e))?;
        if n == 0 {
            return Err(HandshakeError::Network(Failure::network(format!(
                "{} closed the connection during the TLS handshake (expected its next \
                 handshake message); a server that drops unacceptable ClientHellos without an \
                 alert does this",
                target.display()
            ))));
        }
        read_total += n;
        if read_total > MAX_HANDSHAKE_BYTES {
            return Err(HandshakeError::Network(Failure::network(format!(
                "{} sent more than {MAX_HANDSHAKE_BYTES} bytes without finishing the handshake",
                target.display()
            ))));
        }
        let chunk = buffer.get(..n).unwrap_or_default();
        let mut received = chunk;
        while !received.is_empty() {
            connection
                .read_tls(&mut received)
                .map_err(|e| io_failure(target, "buffer data from", e))?;
            if let Err(error) = connection.process_new_packets() {
                // Send our alert, as a well-behaved client does; the error is what matters.
                let _ = connection.write_tls(socket);
                return Err(match target.starttls {
                    Some(protocol) if not_tls(&error) => {
                        HandshakeError::Network(plaintext_after_preamble(target, protocol, chunk))
                    }
                    _ => HandshakeError::Tls(error),
                });
            }
        }
    }
    // Deliver our last flight (Finished) before the caller closes.
    while connection.wants_write() {
        connection
            .write_tls(socket)
            .map_err(|e| io_failure(target, "write to", e))?;
    }
    Ok(())
}

/// What a server did after the client finished its handshake.
#[derive(Debug)]
pub enum AfterFinished {
    /// It went on speaking TLS (session tickets, data or its own close_notify) without an alert.
    Accepted,
    /// It sent an alert (or something rustls refuses).
    Rejected(rustls::Error),
    /// It closed the connection without a word, or said nothing in time: cannot be told.
    Unknown(String),
}

/// After a completed handshake, sends close_notify and reads the server's answer for up to
/// `wait`: in TLS 1.3 the client finishes first, so a server that rejects the client (for
/// example for sending no certificate) says so only now, with an alert; one that accepts it
/// sends its session tickets or answers the close_notify with its own. Sending close_notify at
/// once means a server that sends no tickets need not be waited for.
pub fn after_finished(
    socket: &mut TcpStream,
    target: &Target,
    connection: &mut ClientConnection,
    wait: Duration,
) -> AfterFinished {
    connection.send_close_notify();
    while connection.wants_write() {
        if connection.write_tls(socket).is_err() {
            break;
        }
    }
    if socket
        .set_read_timeout(Some(wait.max(Duration::from_millis(1))))
        .is_err()
    {
        return AfterFinished::Unknown("cannot set a read timeout".into());
    }
    let deadline = Instant::now() + wait;
    let mut spoke = false;
    let mut buffer = [0u8; 16 * 1024];
    loop {
        let n = match socket.read(&mut buffer) {
            Ok(n) => n,
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                return if spoke {
                    AfterFinished::Accepted
                } else {
                    AfterFinished::Unknown(format!(
                        "{} said nothing within {}s after the handshake",
                        target.display(),
                        wait.as_secs_f32()
                    ))
                };
            }
            Err(e) => {
                return AfterFinished::Unknown(format!(
                    "cannot read from {} after the handshake: {e}",
                    target.display()
                ))
            }
        };
        if n == 0 {
            return if spoke {
                AfterFinished::Accepted
            } else {
                AfterFinished::Unknown(format!(
                    "{} closed the connection after the handshake without a TLS alert or \
                     close_notify",
                    target.display()
                ))
            };
        }
        let mut received = buffer.get(..n).unwrap_or_default();
        while !received.is_empty() {
            if let Err(e) = connection.read_tls(&mut received) {
                return AfterFinished::Unknown(format!("cannot buffer data: {e}"));
            }
            if let Err(error) = connection.process_new_packets() {
                return AfterFinished::Rejected(error);
            }
            spoke = true;
        }
        if Instant::now() > deadline {
            return AfterFinished::Accepted;
        }
    }
}

/// Whether `error` is a closed or reset connection (not a timeout, not TLS): the server may
/// limit connections, and the same handshake may succeed later.
pub fn closed_early(error: &HandshakeError) -> bool {
    match error {
        HandshakeError::Network(failure) => {
            !failure.message.starts_with("timed out")
                && !failure.message.contains("did not finish within")
        }
        HandshakeError::Tls(_) => false,
    }
}

/// Whether `error` means the peer does not speak TLS at all: rustls could not read a TLS record
/// header (an unknown content type or record version, or a length no TLS record has) — what a
/// plain HTTP, SSH or SMTP server's first bytes look like.
pub fn not_tls(error: &rustls::Error) -> bool {
    matches!(
        error,
        rustls::Error::InvalidMessage(
            rustls::InvalidMessage::InvalidContentType
                | rustls::InvalidMessage::UnknownProtocolVersion
                | rustls::InvalidMessage::MessageTooLarge
        )
    )
}

/// The failure (exit code 3, one line) for a server that, after `protocol`'s STARTTLS preamble,
/// answered the ClientHello with `received`, plaintext rather than a TLS record (a late reply,
/// or a refusal such as MySQL's error packet).
pub fn plaintext_after_preamble(target: &Target, protocol: Starttls, received: &[u8]) -> Failure {
    Failure::network(format!(
        "{}: after the STARTTLS preamble the server sent plaintext instead of TLS (expected a \
         TLS record in answer to the ClientHello), got {}",
        target.display(),
        starttls::describe_plaintext(protocol, received)
    ))
}

fn io_failure(target: &Target, action: &str, error: io::Error) -> HandshakeError {
    let timed_out = matches!(
        error.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
    );
    HandshakeError::Network(Failure::network(if timed_out {
        format!(
            "timed out after {}s waiting to {action} {} during the TLS handshake",
            target.timeout.as_secs_f32(),
            target.display()
        )
    } else {
        format!(
            "cannot {action} {} during the TLS handshake: {error}",
            target.display()
        )
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_targets_and_says_what_is_wrong() {
        let t = Duration::from_secs(1);
        let target = Target::parse("127.0.0.1:4433", None, t).unwrap();
        assert_eq!((target.host.as_str(), target.port), ("127.0.0.1", 4433));
        assert_eq!(target.sni(), None);
        let target = Target::parse("[::1]:443", Some("device.local"), t).unwrap();
        assert_eq!(
            (target.host.as_str(), target.sni()),
            ("::1", Some("device.local"))
        );
        assert_eq!(target.display(), "[::1]:443");
        for (input, needle) in [
            ("localhost", "no ':PORT'"),
            (":443", "host is empty"),
            ("host:https", "not a number"),
            ("host:0", "port 0"),
            ("::1:443", "brackets"),
            ("[::1]443", "]:PORT"),
        ] {
            let err = Target::parse(input, None, t).unwrap_err();
            assert!(err.message.contains(needle), "{input}: {err}");
            assert!(err.message.contains("expected HOST:PORT"), "{input}: {err}");
        }
        let err = Target::parse("host:1", Some("bad name!"), t).unwrap_err();
        assert!(err.message.contains("\"bad name!\""), "{err}");
        let target = Target::parse("db.lab:5432", None, t)
            .unwrap()
            .with_starttls(Some(Starttls::Postgres));
        assert_eq!(target.display(), "db.lab:5432 (STARTTLS postgres)");
    }
}
