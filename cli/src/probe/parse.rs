//! A parser for the server's first flight: TLS records carrying a ServerHello (or a TLS 1.3
//! HelloRetryRequest), Certificate, ServerKeyExchange and ServerHelloDone, or an alert.
//!
//! The input is whatever a server (or anything else listening on the port) sent back: every read
//! is bounds-checked, and every failure says what was expected, what was found and where. The
//! entry point, [`parse_server_flight`], is a plain function over `&[u8]` so it can be fuzzed.

use core::fmt;

use super::catalog::{suite_kx, Kx};

/// The largest handshake message the parser accepts (the probe reads at most 256 KiB in all).
const MAX_HANDSHAKE_MESSAGE: usize = 1 << 18;

/// The largest TLS record payload a peer may send (2^14 plus the expansion TLS allows).
const MAX_RECORD: usize = 16384 + 2048;

/// The `random` of a HelloRetryRequest (RFC 8446, section 4.1.3).
const HRR_RANDOM: [u8; 32] = [
    0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
    0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
];

const CONTENT_CHANGE_CIPHER_SPEC: u8 = 20;
const CONTENT_ALERT: u8 = 21;
const CONTENT_HANDSHAKE: u8 = 22;
const CONTENT_APPLICATION_DATA: u8 = 23;

const HS_SERVER_HELLO: u8 = 2;
const HS_CERTIFICATE: u8 = 11;
const HS_SERVER_KEY_EXCHANGE: u8 = 12;
const HS_SERVER_HELLO_DONE: u8 = 14;

const EXT_SUPPORTED_VERSIONS: u16 = 43;
const EXT_KEY_SHARE: u16 = 51;

/// TLS 1.2's protocol version number.
pub const TLS12: u16 = 0x0303;
/// TLS 1.3's protocol version number.
pub const TLS13: u16 = 0x0304;

/// How far the flight has got.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Progress {
    /// The bytes so far are a valid prefix; read more.
    NeedMore,
    /// The server has said what it had to say.
    Done(Reply),
}

/// The server's answer to a ClientHello.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    /// The server sent an alert before any ServerHello.
    Alert {
        /// 1 = warning, 2 = fatal.
        level: u8,
        /// The alert description (40 = handshake_failure, 70 = protocol_version, ...).
        description: u8,
    },
    /// The server chose parameters.
    Hello(ServerHello),
}

/// What a ServerHello and the messages after it revealed.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ServerHello {
    /// The negotiated version: from `supported_versions` if present, else `legacy_version`.
    pub version: u16,
    /// The chosen cipher suite.
    pub cipher_suite: u16,
    /// Whether this is a TLS 1.3 HelloRetryRequest.
    pub hello_retry: bool,
    /// The key-exchange group: from the HelloRetryRequest's key_share, or a TLS 1.2 ECDHE
    /// ServerKeyExchange.
    pub group: Option<u16>,
    /// The signature scheme of a TLS 1.2 ServerKeyExchange.
    pub kx_signature: Option<u16>,
    /// The certificates of a TLS 1.2-or-earlier Certificate message, leaf first.
    pub certificates: Vec<Vec<u8>>,
}

/// Why the bytes are not a TLS server flight.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    /// Byte offset of the problem in the server's reply.
    pub offset: usize,
    /// What was expected there.
    pub expected: &'static str,
    /// What was found instead.
    pub found: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "expected {} at byte {} of the server's reply, found {}",
            self.expected, self.offset, self.found
        )
    }
}

impl std::error::Error for ParseError {}

/// Parses the bytes a server sent in reply to a ClientHello.
///
/// Returns [`Progress::NeedMore`] while `bytes` is a valid but incomplete flight, and
/// [`Progress::Done`] once it holds an alert, a TLS 1.3 ServerHello or HelloRetryRequest, or a
/// TLS 1.2-style flight up to ServerHelloDone. Never panics.
pub fn parse_server_flight(bytes: &[u8]) -> Result<Progress, ParseError> {
    let mut records = Reader::new(bytes, 0);
    // Handshake bytes, concatenated across records, each with the offset it came from.
    let mut handshake: Vec<u8> = Vec::new();
    let mut handshake_start = None;
    while !records.is_empty() {
        if records.remaining() < 5 {
            return Ok(Progress::NeedMore);
        }
        let header_offset = records.offset();
        let content_type = records.u8("a record content type")?;
        let version = records.u16("a record version")?;
        if version >> 8 != 0x03 {
            return Err(ParseError {
                offset: header_offset + 1,
                expected: "a TLS record version 0x03xx (is this port TLS?)",
                found: format!("0x{version:04x}"),
            });
        }
        let length = usize::from(records.u16("a record length")?);
        if length > MAX_RECORD {
            return Err(ParseError {
                offset: header_offset + 3,
                expected: "a record length of at most 18432",
                found: length.to_string(),
            });
        }
        if records.remaining() < length {
            return Ok(Progress::NeedMore);
        }
        let payload = records.take(length, "the record payload")?;
        match content_type {
            CONTENT_HANDSHAKE => {
                handshake_start.get_or_insert(payload.offset);
                handshake.extend_from_slice(payload.bytes);
                // The flight ends here: whatever follows (a server's closing alert, or the
                // plaintext error a STARTTLS server writes once TLS is abandoned) is not read.
                if let Some(done) = parse_handshake(&handshake, handshake_start.unwrap_or(0))? {
                    if done.complete {
                        return Ok(Progress::Done(Reply::Hello(done.hello)));
                    }
                }
            }
            CONTENT_ALERT => {
                let mut alert = payload.reader();
                let level = alert.u8("an alert level")?;
                let description = alert.u8("an alert description")?;
                // A warning other than close_notify (0) or user_canceled (90) does not end the
                // flight: OpenSSL servers send unrecognized_name (112) as a warning before
                // their ServerHello when they have no certificate for the SNI.
                if level == 1 && !matches!(description, 0 | 90) {
                    continue;
                }
                if let Some(done) = parse_handshake(&handshake, handshake_start.unwrap_or(0))? {
                    return Ok(Progress::Done(Reply::Hello(done.hello)));
                }
                return Ok(Progress::Done(Reply::Alert { level, description }));
            }
            CONTENT_CHANGE_CIPHER_SPEC | CONTENT_APPLICATION_DATA => {
                // After a TLS 1.3 ServerHello: the rest is encrypted.
                break;
            }
            other => {
                return Err(ParseError {
                    offset: header_offset,
                    expected: "a handshake (22), alert (21) or change_cipher_spec (20) record",
                    found: format!("content type {other}"),
                })
            }
        }
    }
    match parse_handshake(&handshake, handshake_start.unwrap_or(0))? {
        Some(done) if done.complete => Ok(Progress::Done(Reply::Hello(done.hello))),
        _ => Ok(Progress::NeedMore),
    }
}

struct Parsed {
    hello: ServerHello,
    /// Whether the flight is over (TLS 1.3 hello, or ServerHelloDone seen).
    complete: bool,
}

/// Parses the concatenated handshake messages; `None` until a whole ServerHello is present.
fn parse_handshake(bytes: &[u8], base: usize) -> Result<Option<Parsed>, ParseError> {
    let mut messages = Reader::new(bytes, base);
    let mut parsed: Option<Parsed> = None;
    while messages.remaining() >= 4 {
        let offset = messages.offset();
        let kind = messages.u8("a handshake message type")?;
        let length = messages.u24("a handshake message length")?;
        // Generous: a Certificate message with a long chain may exceed rustls' own 64 KiB limit,
        // and the probe should report that server rather than fail on it.
        if length > MAX_HANDSHAKE_MESSAGE {
            return Err(ParseError {
                offset: offset + 1,
                expected: "a handshake message of at most 262144 bytes",
                found: format!("{length} bytes"),
            });
        }
        if messages.remaining() < length {
            break;
        }
        let body = messages.take(length, "the handshake message body")?;
        match parsed.as_mut() {
            None if kind == HS_SERVER_HELLO => {
                let hello = parse_server_hello(body.reader())?;
                let complete = hello.version == TLS13 || hello.hello_retry;
                parsed = Some(Parsed { hello, complete });
            }
            None => {
                return Err(ParseError {
                    offset,
                    expected: "a ServerHello (handshake type 2) first",
                    found: format!("handshake type {kind}"),
                })
            }
            Some(done) if done.complete => break,
            Some(done) => match kind {
                HS_CERTIFICATE => done.hello.certificates = parse_certificates(body.reader())?,
                HS_SERVER_KEY_EXCHANGE => {
                    let (group, scheme) = parse_server_key_exchange(body.reader(), &done.hello)?;
                    done.hello.group = group;
                    done.hello.kx_signature = scheme;
                }
                HS_SERVER_HELLO_DONE => done.complete = true,
                // CertificateRequest, CertificateStatus, ...: not needed.
                _ => {}
            },
        }
    }
    Ok(parsed)
}

fn parse_server_hello(mut r: Reader<'_>) -> Result<ServerHello, ParseError> {
    let legacy_version = r.u16("the ServerHello version")?;
    let random = r.take(32, "the 32-byte ServerHello random")?;
    r.vec_u8("the session id")?;
    let cipher_suite = r.u16("the chosen cipher suite")?;
    r.u8("the compression method")?;
    let mut hello = ServerHello {
        version: legacy_version,
        cipher_suite,
        hello_retry: random.bytes == HRR_RANDOM,
        ..ServerHello::default()
    };
    if r.is_empty() {
        return Ok(hello);
    }
    let mut extensions = r.vec_u16("the extensions")?.reader();
    while !extensions.is_empty() {
        let kind = extensions.u16("an extension type")?;
        let mut data = extensions.vec_u16("the extension data")?.reader();
        match kind {
            EXT_SUPPORTED_VERSIONS => hello.version = data.u16("the selected version")?,
            EXT_KEY_SHARE => hello.group = Some(data.u16("the key_share group")?),
            _ => {}
        }
    }
    Ok(hello)
}

fn parse_certificates(mut r: Reader<'_>) -> Result<Vec<Vec<u8>>, ParseError> {
    let mut list = r.vec_u24("the certificate list")?.reader();
    let mut certificates = Vec::new();
    while !list.is_empty() {
        certificates.push(list.vec_u24("a certificate")?.bytes.to_vec());
    }
    Ok(certificates)
}

/// Reads the group (ECDHE) and signature scheme (TLS 1.2) of a ServerKeyExchange.
fn parse_server_key_exchange(
    mut r: Reader<'_>,
    hello: &ServerHello,
) -> Result<(Option<u16>, Option<u16>), ParseError> {
    let group = match suite_kx(hello.cipher_suite) {
        Kx::Ecdhe => {
            let offset = r.offset();
            let curve_type = r.u8("the ECParameters curve type")?;
            if curve_type != 3 {
                return Err(ParseError {
                    offset,
                    expected: "curve type 3 (named_curve)",
                    found: curve_type.to_string(),
                });
            }
            let group = r.u16("the named group")?;
            r.vec_u8("the ECDHE public key")?;
            Some(group)
        }
        Kx::Dhe => {
            r.vec_u16("the DH prime")?;
            r.vec_u16("the DH generator")?;
            r.vec_u16("the DH public value")?;
            None
        }
        // Static RSA sends no ServerKeyExchange; the others' (anonymous, PSK, SRP, ...) carry
        // no group or signature the scan asks about.
        _ => return Ok((None, None)),
    };
    let scheme = if hello.version == TLS12 {
        Some(r.u16("the signature scheme")?)
    } else {
        None
    };
    Ok((group, scheme))
}

/// A slice with the offset of its first byte in the whole reply.
#[derive(Debug, Clone, Copy)]
struct Span<'a> {
    bytes: &'a [u8],
    offset: usize,
}

impl<'a> Span<'a> {
    fn reader(self) -> Reader<'a> {
        Reader::new(self.bytes, self.offset)
    }
}

/// A bounds-checked cursor.
struct Reader<'a> {
    bytes: &'a [u8],
    position: usize,
    base: usize,
}

impl<'a> Reader<'a> {
    fn new(bytes: &'a [u8], base: usize) -> Self {
        Self {
            bytes,
            position: 0,
            base,
        }
    }

    fn offset(&self) -> usize {
        self.base + self.position
    }

    fn remaining(&self) -> usize {
        self.bytes.len().saturating_sub(self.position)
    }

    fn is_empty(&self) -> bool {
        self.remaining() == 0
    }

    fn take(&mut self, n: usize, what: &'static str) -> Result<Span<'a>, ParseError> {
        let offset = self.offset();
        let end = self.position.checked_add(n);
        match end.and_then(|end| self.bytes.get(self.position..end)) {
            Some(bytes) => {
                self.position += n;
                Ok(Span { bytes, offset })
            }
            None => Err(ParseError {
                offset,
                expected: what,
                found: format!("{} bytes where {n} are needed", self.remaining()),
            }),
        }
    }

    fn u8(&mut self, what: &'static str) -> Result<u8, ParseError> {
        let span = self.take(1, what)?;
        Ok(span.bytes.first().copied().unwrap_or_default())
    }

    fn u16(&mut self, what: &'static str) -> Result<u16, ParseError> {
        let span = self.take(2, what)?;
        Ok(span
            .bytes
            .iter()
            .fold(0u16, |acc, b| (acc << 8) | u16::from(*b)))
    }

    fn u24(&mut self, what: &'static str) -> Result<usize, ParseError> {
        let span = self.take(3, what)?;
        Ok(span
            .bytes
            .iter()
            .fold(0usize, |acc, b| (acc << 8) | usize::from(*b)))
    }

    fn vec_u8(&mut self, what: &'static str) -> Result<Span<'a>, ParseError> {
        let length = usize::from(self.u8(what)?);
        self.take(length, what)
    }

    fn vec_u16(&mut self, what: &'static str) -> Result<Span<'a>, ParseError> {
        let length = usize::from(self.u16(what)?);
        self.take(length, what)
    }

    fn vec_u24(&mut self, what: &'static str) -> Result<Span<'a>, ParseError> {
        let length = self.u24(what)?;
        self.take(length, what)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(content_type: u8, payload: &[u8]) -> Vec<u8> {
        let mut out = vec![content_type, 3, 3];
        out.extend_from_slice(&u16::try_from(payload.len()).unwrap().to_be_bytes());
        out.extend_from_slice(payload);
        out
    }

    fn handshake(kind: u8, body: &[u8]) -> Vec<u8> {
        let mut out = vec![kind];
        out.extend_from_slice(&u32::try_from(body.len()).unwrap().to_be_bytes()[1..]);
        out.extend_from_slice(body);
        out
    }

    fn server_hello(random: [u8; 32], suite: u16, extensions: &[u8]) -> Vec<u8> {
        let mut body = vec![3, 3];
        body.extend_from_slice(&random);
        body.push(0); // empty session id
        body.extend_from_slice(&suite.to_be_bytes());
        body.push(0);
        body.extend_from_slice(&u16::try_from(extensions.len()).unwrap().to_be_bytes());
        body.extend_from_slice(extensions);
        handshake(HS_SERVER_HELLO, &body)
    }

    #[test]
    fn hello_retry_request_gives_suite_and_group() {
        // supported_versions = TLS 1.3, key_share = X25519 (0x001d).
        let extensions = [0, 43, 0, 2, 3, 4, 0, 51, 0, 2, 0, 0x1d];
        let bytes = record(22, &server_hello(HRR_RANDOM, 0x1302, &extensions));
        let Progress::Done(Reply::Hello(hello)) = parse_server_flight(&bytes).unwrap() else {
            panic!("expected a hello");
        };
        assert!(hello.hello_retry);
        assert_eq!(
            (hello.version, hello.cipher_suite, hello.group),
            (TLS13, 0x1302, Some(0x1d))
        );
    }

    #[test]
    fn a_warning_alert_before_the_server_hello_is_skipped() {
        let mut bytes = record(21, &[1, 112]); // warning unrecognized_name
        bytes.extend(record(22, &server_hello([7; 32], 0xc02f, &[])));
        bytes.extend(record(22, &handshake(HS_SERVER_HELLO_DONE, &[])));
        let Progress::Done(Reply::Hello(hello)) = parse_server_flight(&bytes).unwrap() else {
            panic!("a complete flight")
        };
        assert_eq!(hello.cipher_suite, 0xc02f);
        // A fatal one, or a warning close_notify, ends the reply.
        for alert in [[2, 112], [1, 0]] {
            let reply = parse_server_flight(&record(21, &alert)).unwrap();
            assert_eq!(
                reply,
                Progress::Done(Reply::Alert {
                    level: alert[0],
                    description: alert[1]
                })
            );
        }
    }

    #[test]
    fn bytes_after_a_complete_flight_are_not_read() {
        let mut bytes = record(22, &server_hello([7; 32], 0xc02f, &[]));
        bytes.extend(record(22, &handshake(HS_SERVER_HELLO_DONE, &[])));
        bytes.extend_from_slice(b"500 OOPS: not TLS\r\n");
        let Progress::Done(Reply::Hello(hello)) = parse_server_flight(&bytes).unwrap() else {
            panic!("a complete flight")
        };
        assert_eq!(hello.cipher_suite, 0xc02f);
    }

    #[test]
    fn tls12_flight_reads_the_key_exchange_split_across_records() {
        let mut ske = vec![3, 0, 0x17, 2, 0xaa, 0xbb]; // secp256r1, 2-byte point
        ske.extend_from_slice(&[0x04, 0x03, 0, 1, 0xcc]); // ECDSA_NISTP256_SHA256, 1-byte sig
        let mut flight = server_hello([7; 32], 0xc02b, &[]);
        flight.extend(handshake(HS_CERTIFICATE, &[0, 0, 5, 0, 0, 2, 0x30, 0]));
        flight.extend(handshake(HS_SERVER_KEY_EXCHANGE, &ske));
        flight.extend(handshake(HS_SERVER_HELLO_DONE, &[]));
        let (first, second) = flight.split_at(20);
        let mut bytes = record(22, first);
        assert_eq!(parse_server_flight(&bytes).unwrap(), Progress::NeedMore);
        bytes.extend(record(22, second));
        let Progress::Done(Reply::Hello(hello)) = parse_server_flight(&bytes).unwrap() else {
            panic!("expected a hello");
        };
        assert_eq!(hello.version, TLS12);
        assert_eq!(hello.group, Some(0x17));
        assert_eq!(hello.kx_signature, Some(0x0403));
        assert_eq!(hello.certificates, vec![vec![0x30, 0]]);
        // Every prefix is either incomplete or the same answer, never a panic.
        for end in 0..bytes.len() {
            let _ = parse_server_flight(&bytes[..end]);
        }
    }

    #[test]
    fn alert_is_reported() {
        let bytes = record(21, &[2, 40]);
        assert_eq!(
            parse_server_flight(&bytes).unwrap(),
            Progress::Done(Reply::Alert {
                level: 2,
                description: 40
            })
        );
    }

    #[test]
    fn non_tls_replies_say_what_was_expected() {
        let err = parse_server_flight(b"HTTP/1.1 400 Bad Request\r\n").unwrap_err();
        assert!(
            err.to_string().contains("expected a TLS record version"),
            "{err}"
        );
        let err = parse_server_flight(&record(22, &handshake(11, &[]))).unwrap_err();
        assert!(err.to_string().contains("ServerHello"), "{err}");
        let err = parse_server_flight(&record(22, &handshake(2, &[3, 3, 1]))).unwrap_err();
        assert!(
            err.to_string().contains("32-byte ServerHello random"),
            "{err}"
        );
    }

    #[test]
    fn arbitrary_bytes_never_panic() {
        // A cheap deterministic generator: every length up to 300, many byte patterns, and
        // plausible record headers in front of them.
        let mut state = 0x2545_f491_u32;
        for len in 0..300 {
            for prefix in [
                &[][..],
                &[22, 3, 3, 0, 80][..],
                &[22, 3, 3, 0, 80, 2, 0, 0, 70][..],
            ] {
                let mut bytes = prefix.to_vec();
                for _ in 0..len {
                    state ^= state << 13;
                    state ^= state >> 17;
                    state ^= state << 5;
                    bytes.push(state.to_be_bytes()[0]);
                }
                let _ = parse_server_flight(&bytes);
            }
        }
    }
}
