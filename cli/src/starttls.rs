//! `--starttls PROTO`: the plaintext exchange that comes before TLS in protocols that upgrade a
//! connection in place (PostgreSQL, MySQL, SMTP, IMAP, ...).
//!
//! [`negotiate`] runs one protocol's preamble on a connected socket and leaves it where the TLS
//! ClientHello must start. The server's replies are read by the pure parsers of this module
//! (`parse_*`, over `&[u8]`, fuzzed in `fuzz/`): each returns [`Parsed::Incomplete`] until a
//! whole reply is there, and an error that quotes what it saw when the bytes cannot be that
//! reply. Every reply is bounded to [`MAX_REPLY`] bytes, each read to the target's timeout, and
//! the whole preamble to four times that.

use core::fmt;
use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::str::FromStr;
use std::time::{Duration, Instant};

use crate::exit::Failure;

/// A protocol whose plaintext preamble `--starttls` runs before TLS.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Starttls {
    /// PostgreSQL: SSLRequest, then `S`.
    Postgres,
    /// MySQL and MariaDB: the server's initial handshake, then an SSLRequest packet.
    Mysql,
    /// SMTP (RFC 3207): EHLO, then STARTTLS.
    Smtp,
    /// LMTP (RFC 2033): LHLO, then STARTTLS.
    Lmtp,
    /// IMAP (RFC 3501): STARTTLS.
    Imap,
    /// POP3 (RFC 2595): STLS.
    Pop3,
    /// FTP (RFC 4217): AUTH TLS.
    Ftp,
    /// LDAP (RFC 4511): the StartTLS extended operation.
    Ldap,
    /// XMPP client-to-server (RFC 6120): stream features, then `<starttls/>`.
    Xmpp,
    /// XMPP server-to-server (RFC 6120), as `xmpp` in the `jabber:server` namespace.
    XmppServer,
    /// NNTP (RFC 4642): STARTTLS.
    Nntp,
    /// ManageSieve (RFC 5804): STARTTLS.
    Sieve,
    /// IRC (the IRCv3 `tls` extension): STARTTLS, then numeric 670.
    Irc,
}

impl Starttls {
    /// Every protocol, in the order `--help` lists them.
    pub const ALL: [Starttls; 13] = [
        Self::Postgres,
        Self::Mysql,
        Self::Smtp,
        Self::Lmtp,
        Self::Imap,
        Self::Pop3,
        Self::Ftp,
        Self::Ldap,
        Self::Xmpp,
        Self::XmppServer,
        Self::Nntp,
        Self::Sieve,
        Self::Irc,
    ];

    /// The name `--starttls` takes (as `openssl s_client -starttls` names it).
    pub fn name(self) -> &'static str {
        match self {
            Self::Postgres => "postgres",
            Self::Mysql => "mysql",
            Self::Smtp => "smtp",
            Self::Lmtp => "lmtp",
            Self::Imap => "imap",
            Self::Pop3 => "pop3",
            Self::Ftp => "ftp",
            Self::Ldap => "ldap",
            Self::Xmpp => "xmpp",
            Self::XmppServer => "xmpp-server",
            Self::Nntp => "nntp",
            Self::Sieve => "sieve",
            Self::Irc => "irc",
        }
    }

    fn help(self) -> &'static str {
        match self {
            Self::Postgres => "PostgreSQL (SSLRequest)",
            Self::Mysql => "MySQL and MariaDB (SSLRequest packet)",
            Self::Smtp => "SMTP (EHLO, STARTTLS)",
            Self::Lmtp => "LMTP (LHLO, STARTTLS)",
            Self::Imap => "IMAP (STARTTLS)",
            Self::Pop3 => "POP3 (STLS)",
            Self::Ftp => "FTP (AUTH TLS)",
            Self::Ldap => "LDAP (StartTLS extended operation)",
            Self::Xmpp => "XMPP client-to-server (<starttls/>; the stream is to --sni, else HOST)",
            Self::XmppServer => "XMPP server-to-server (as xmpp)",
            Self::Nntp => "NNTP (STARTTLS)",
            Self::Sieve => "ManageSieve (STARTTLS)",
            Self::Irc => "IRC (STARTTLS, numeric 670)",
        }
    }
}

impl fmt::Display for Starttls {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Starttls {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let wanted = match s.to_ascii_lowercase().as_str() {
            "postgresql" | "psql" => "postgres".to_owned(),
            "mariadb" => "mysql".to_owned(),
            other => other.to_owned(),
        };
        Self::ALL
            .into_iter()
            .find(|p| p.name() == wanted)
            .ok_or_else(|| {
                let names: Vec<&str> = Self::ALL.iter().map(|p| p.name()).collect();
                format!(
                    "expected a STARTTLS protocol ({}), found {s:?}",
                    names.join(", ")
                )
            })
    }
}

impl clap::ValueEnum for Starttls {
    fn value_variants<'a>() -> &'a [Self] {
        &Self::ALL
    }

    fn to_possible_value(&self) -> Option<clap::builder::PossibleValue> {
        let value = clap::builder::PossibleValue::new(self.name()).help(self.help());
        Some(match self {
            Self::Postgres => value.aliases(["postgresql", "psql"]),
            Self::Mysql => value.alias("mariadb"),
            _ => value,
        })
    }
}

/// The largest reply read for one step of a preamble (a greeting, an EHLO reply, XMPP stream
/// features); real ones are a few hundred bytes.
pub const MAX_REPLY: usize = 16 * 1024;

/// The state of parsing one reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Parsed<T> {
    /// The bytes so far are the start of a valid reply; more are needed.
    Incomplete,
    /// A whole reply, and the number of input bytes it took.
    Complete(T, usize),
}

/// A parser's answer: an error says what was expected and quotes what was seen.
pub type ParseResult<T> = Result<Parsed<T>, String>;

/// At most 120 bytes of `bytes` (cut at the last space after the first 60, if there is one) in
/// double quotes, printable ASCII as is, `"`, `\` and every other byte escaped (`\r`, `\x00`,
/// `\xff`: the bytes as sent), so it stays on one line; `…` marks a cut.
pub fn excerpt(bytes: &[u8]) -> String {
    const SHOWN: usize = 120;
    let shown = match bytes.get(..SHOWN) {
        Some(head) if bytes.len() > SHOWN => head
            .iter()
            .rposition(|b| *b == b' ')
            .filter(|space| *space >= SHOWN / 2)
            .and_then(|space| head.get(..space))
            .unwrap_or(head),
        _ => bytes,
    };
    let mut text = String::new();
    for byte in shown {
        match byte {
            b'"' | b'\\' => text.extend(['\\', char::from(*byte)]),
            0x20..=0x7e => text.push(char::from(*byte)),
            _ => text.extend(std::ascii::escape_default(*byte).map(char::from)),
        }
    }
    if bytes.len() > SHOWN {
        text.push('…');
    }
    format!("\"{text}\"")
}

/// The next complete line at `offset` (without its `\n` or `\r\n`) and the offset after it.
fn next_line(data: &[u8], offset: usize) -> Option<(&[u8], usize)> {
    let rest = data.get(offset..)?;
    let end = rest.iter().position(|b| *b == b'\n')?;
    let line = rest.get(..end)?;
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    Some((line, offset + end + 1))
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn starts_with_word(line: &[u8], word: &str) -> bool {
    line.len() >= word.len()
        && line
            .get(..word.len())
            .is_some_and(|start| start.eq_ignore_ascii_case(word.as_bytes()))
        && line
            .get(word.len())
            .is_none_or(|b| matches!(b, b' ' | b'\t' | b'('))
}

/// A reply with a three-digit code (SMTP, LMTP, FTP, NNTP), possibly multi-line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeReply {
    /// The reply code.
    pub code: u16,
    /// The text of each line, after the code and its separator.
    pub lines: Vec<String>,
}

fn split_code(line: &[u8]) -> Option<(u16, Option<u8>, &[u8])> {
    let digits = line.get(..3)?;
    if !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let code = digits
        .iter()
        .fold(0u16, |n, d| n * 10 + u16::from(d - b'0'));
    match line.get(3) {
        None => Some((code, None, &[])),
        Some(sep @ (b' ' | b'-')) => Some((code, Some(*sep), line.get(4..).unwrap_or_default())),
        Some(_) => None,
    }
}

/// Parses an FTP (RFC 959) or NNTP (RFC 3977) reply: `ddd text`, or a multi-line reply from
/// `ddd-text` to the next line that starts with the same `ddd ` (FTP lets the lines between be
/// anything).
pub fn parse_code_reply(data: &[u8]) -> ParseResult<CodeReply> {
    code_reply(data, false)
}

/// Parses an SMTP or LMTP reply (RFC 5321 §4.2.1): as [`parse_code_reply`], but every line of a
/// multi-line reply carries the same code (`250-...`, then `250 ...`).
pub fn parse_smtp_reply(data: &[u8]) -> ParseResult<CodeReply> {
    code_reply(data, true)
}

fn code_reply(data: &[u8], strict: bool) -> ParseResult<CodeReply> {
    let mut offset = 0;
    let mut code = None;
    let mut lines = Vec::new();
    while let Some((line, next)) = next_line(data, offset) {
        offset = next;
        match (code, split_code(line)) {
            (None, Some((first, separator, rest))) => {
                lines.push(text(rest));
                if separator != Some(b'-') {
                    return Ok(Parsed::Complete(CodeReply { code: first, lines }, offset));
                }
                code = Some(first);
            }
            (None, None) => {
                return Err(format!(
                    "expected a reply line starting with a three-digit code, got {}",
                    excerpt(line)
                ))
            }
            (Some(first), Some((same, separator, rest))) if same == first => {
                lines.push(text(rest));
                if separator != Some(b'-') {
                    return Ok(Parsed::Complete(CodeReply { code: first, lines }, offset));
                }
            }
            (Some(first), _) if strict => {
                return Err(format!(
                    "expected every line of a multi-line reply to start with its code {first}, \
                     got {}",
                    excerpt(line)
                ))
            }
            (Some(_), _) => lines.push(text(line)),
        }
    }
    Ok(Parsed::Incomplete)
}

/// An IMAP server's status response (RFC 3501 §7.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImapStatus {
    /// `OK`, `NO`, `BAD`, `PREAUTH` or `BYE` (upper case).
    pub status: String,
    /// The text after the status word.
    pub text: String,
    /// The untagged lines before it (`* CAPABILITY ...`).
    pub untagged: Vec<String>,
}

fn imap_status(rest: &[u8], untagged: Vec<String>) -> Result<ImapStatus, String> {
    let word_end = rest.iter().position(|b| *b == b' ').unwrap_or(rest.len());
    let word = text(rest.get(..word_end).unwrap_or_default()).to_ascii_uppercase();
    if !matches!(word.as_str(), "OK" | "NO" | "BAD" | "PREAUTH" | "BYE") {
        return Err(format!(
            "expected an IMAP status (OK, NO, BAD, PREAUTH or BYE), got {}",
            excerpt(rest)
        ));
    }
    Ok(ImapStatus {
        status: word,
        text: text(rest.get(word_end..).unwrap_or_default().trim_ascii()),
        untagged,
    })
}

/// Parses an IMAP greeting (`tag` `None`: one `* OK|PREAUTH|BYE ...` line) or the response to
/// the command tagged `tag`: untagged `* ...` lines, then `tag OK|NO|BAD ...` (an untagged `BYE`
/// ends it too).
pub fn parse_imap(data: &[u8], tag: Option<&str>) -> ParseResult<ImapStatus> {
    let mut offset = 0;
    let mut untagged = Vec::new();
    while let Some((line, next)) = next_line(data, offset) {
        offset = next;
        if let Some(rest) = line.strip_prefix(b"* ") {
            let bye = starts_with_word(rest, "BYE");
            if tag.is_none() || bye {
                return Ok(Parsed::Complete(imap_status(rest, untagged)?, offset));
            }
            untagged.push(text(rest));
            continue;
        }
        let tagged = tag.and_then(|tag| {
            line.strip_prefix(tag.as_bytes())
                .and_then(|rest| rest.strip_prefix(b" "))
        });
        match tagged {
            Some(rest) => return Ok(Parsed::Complete(imap_status(rest, untagged)?, offset)),
            None => {
                return Err(format!(
                    "expected an IMAP response line (`* ...`{}), got {}",
                    tag.map(|t| format!(" or `{t} ...`")).unwrap_or_default(),
                    excerpt(line)
                ))
            }
        }
    }
    Ok(Parsed::Incomplete)
}

/// A POP3 reply (RFC 1939): `+OK` or `-ERR`, with its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pop3Reply {
    /// `true` for `+OK`.
    pub ok: bool,
    /// The text after the status.
    pub text: String,
}

/// Parses one POP3 status line.
pub fn parse_pop3(data: &[u8]) -> ParseResult<Pop3Reply> {
    let Some((line, next)) = next_line(data, 0) else {
        let prefix = |status: &[u8]| status.starts_with(data) || data.starts_with(status);
        return if prefix(b"+OK") || prefix(b"-ERR") {
            Ok(Parsed::Incomplete)
        } else {
            Err(format!("expected `+OK` or `-ERR`, got {}", excerpt(data)))
        };
    };
    let (ok, rest) = if let Some(rest) = line.strip_prefix(b"+OK") {
        (true, rest)
    } else if let Some(rest) = line.strip_prefix(b"-ERR") {
        (false, rest)
    } else {
        return Err(format!("expected `+OK` or `-ERR`, got {}", excerpt(line)));
    };
    Ok(Parsed::Complete(
        Pop3Reply {
            ok,
            text: text(rest.trim_ascii()),
        },
        next,
    ))
}

/// A ManageSieve response (RFC 5804 §1.2): `OK`, `NO` or `BYE`, after capability lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SieveReply {
    /// `OK`, `NO` or `BYE` (upper case).
    pub status: String,
    /// The text after the status word.
    pub text: String,
    /// The lines before it (the greeting's capabilities: `"STARTTLS"`, ...).
    pub capabilities: Vec<String>,
}

/// Parses a ManageSieve greeting or response: quoted capability lines, then a status line.
pub fn parse_sieve(data: &[u8]) -> ParseResult<SieveReply> {
    let mut offset = 0;
    let mut capabilities = Vec::new();
    while let Some((line, next)) = next_line(data, offset) {
        offset = next;
        if let Some(status) = ["OK", "NO", "BYE"]
            .into_iter()
            .find(|word| starts_with_word(line, word))
        {
            let rest = line.get(status.len()..).unwrap_or_default();
            return Ok(Parsed::Complete(
                SieveReply {
                    status: status.to_owned(),
                    text: text(rest.trim_ascii()),
                    capabilities,
                },
                offset,
            ));
        }
        if !line.starts_with(b"\"") {
            return Err(format!(
                "expected a quoted capability line or OK/NO/BYE, got {}",
                excerpt(line)
            ));
        }
        capabilities.push(text(line));
    }
    Ok(Parsed::Incomplete)
}

/// The IRC message that answers STARTTLS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IrcReply {
    /// The command: `670` (STARTTLS successful), `691` (failed), another numeric error, or
    /// `ERROR`.
    pub command: String,
    /// The whole line.
    pub line: String,
}

/// Parses IRC messages (RFC 1459 §2.3: `[:prefix] COMMAND params`) up to the one that answers
/// STARTTLS (`670`, an error numeric 400-599 or 691, or `ERROR`), skipping notices before it.
pub fn parse_irc(data: &[u8]) -> ParseResult<IrcReply> {
    let mut offset = 0;
    while let Some((line, next)) = next_line(data, offset) {
        offset = next;
        let message = match line.strip_prefix(b":") {
            Some(prefixed) => match prefixed.iter().position(|b| *b == b' ') {
                Some(space) => prefixed.get(space + 1..).unwrap_or_default(),
                None => &[],
            },
            None => line,
        };
        let end = message
            .iter()
            .position(|b| *b == b' ')
            .unwrap_or(message.len());
        let command = message.get(..end).unwrap_or_default();
        if command.is_empty() || !command.iter().all(u8::is_ascii_alphanumeric) {
            return Err(format!(
                "expected an IRC message (`[:prefix] COMMAND params`), got {}",
                excerpt(line)
            ));
        }
        // A command of exactly three digits (alphanumeric, so nothing follows them).
        let numeric = split_code(command).map(|(code, _, _)| code);
        let answers = command == b"ERROR"
            || matches!(numeric, Some(670 | 691))
            || numeric.is_some_and(|n| (400..600).contains(&n));
        if answers {
            return Ok(Parsed::Complete(
                IrcReply {
                    command: text(command),
                    line: text(line),
                },
                offset,
            ));
        }
    }
    Ok(Parsed::Incomplete)
}

/// The LDAPResult of an ExtendedResponse (RFC 4511 §4.12).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LdapResult {
    /// The messageID (the StartTLS request is message 1; 0 is an unsolicited notification).
    pub message_id: u32,
    /// The resultCode (0 = success).
    pub result_code: u32,
    /// The diagnosticMessage.
    pub diagnostic: String,
}

/// A BER element: tag, contents, and its total length with the header.
type Element<'a> = (u8, &'a [u8], usize);

/// One BER element at the start of `data`, `None` if incomplete. Lengths over [`MAX_REPLY`] and
/// indefinite lengths are errors.
fn ber(data: &[u8]) -> Result<Option<Element<'_>>, String> {
    let (Some(&tag), Some(&first)) = (data.first(), data.get(1)) else {
        return Ok(None);
    };
    let (length, header) = match first {
        0..=0x7f => (usize::from(first), 2),
        0x80 => return Err("expected a definite BER length, got the indefinite form".into()),
        0x81..=0x84 => {
            let count = usize::from(first & 0x7f);
            let Some(bytes) = data.get(2..2 + count) else {
                return Ok(None);
            };
            let length = bytes.iter().fold(0u64, |n, b| (n << 8) | u64::from(*b));
            if length > MAX_REPLY as u64 {
                return Err(format!(
                    "expected an LDAP message of at most {MAX_REPLY} bytes, got a BER length \
                     of {length}"
                ));
            }
            (usize::try_from(length).unwrap_or(MAX_REPLY), 2 + count)
        }
        _ => {
            return Err(format!(
                "expected a BER length of at most 4 bytes, got the length byte {first:#04x}"
            ))
        }
    };
    Ok(data
        .get(header..header + length)
        .map(|contents| (tag, contents, header + length)))
}

/// One BER element that must be complete inside its parent, with the expected `tag`.
fn ber_field<'a>(data: &'a [u8], tag: u8, what: &str) -> Result<(&'a [u8], &'a [u8]), String> {
    match ber(data)? {
        Some((found, contents, total)) if found == tag => {
            Ok((contents, data.get(total..).unwrap_or_default()))
        }
        Some((found, _, _)) => Err(format!(
            "expected {what} (BER tag {tag:#04x}), got tag {found:#04x}"
        )),
        None => Err(format!(
            "expected {what}, got a truncated element {}",
            excerpt(data)
        )),
    }
}

fn ber_uint(contents: &[u8], what: &str) -> Result<u32, String> {
    if contents.is_empty() || contents.len() > 4 {
        return Err(format!(
            "expected {what} as an integer of 1 to 4 bytes, got {} bytes",
            contents.len()
        ));
    }
    Ok(contents.iter().fold(0u32, |n, b| (n << 8) | u32::from(*b)))
}

/// Parses an LDAPMessage holding an ExtendedResponse (`30 .. 02 id 78 .. 0a code 04 dn 04
/// message ...`), reading only the LDAPResult.
pub fn parse_ldap(data: &[u8]) -> ParseResult<LdapResult> {
    if let Some(&tag) = data.first().filter(|tag| **tag != 0x30) {
        return Err(format!(
            "expected an LDAPMessage (BER SEQUENCE, tag 0x30), got tag {tag:#04x} in {}",
            excerpt(data)
        ));
    }
    let Some((_, message, total)) = ber(data)? else {
        return Ok(Parsed::Incomplete);
    };
    let (id, rest) = ber_field(message, 0x02, "the messageID")?;
    let message_id = ber_uint(id, "the messageID")?;
    let (response, _) = ber_field(rest, 0x78, "an ExtendedResponse")?;
    let (code, rest) = ber_field(response, 0x0a, "the resultCode")?;
    let result_code = ber_uint(code, "the resultCode")?;
    let (_matched_dn, rest) = ber_field(rest, 0x04, "the matchedDN")?;
    let (diagnostic, _) = ber_field(rest, 0x04, "the diagnosticMessage")?;
    Ok(Parsed::Complete(
        LdapResult {
            message_id,
            result_code,
            diagnostic: text(diagnostic),
        },
        total,
    ))
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack
        .windows(needle.len())
        .position(|window| window == needle)
}

/// The first `<name` in `data` that is the start of an element named `name` (followed by
/// whitespace, `/` or `>`), not of a longer name (`<starttlsx/>`).
fn find_element(data: &[u8], name: &[u8]) -> Option<usize> {
    let mut from = 0;
    while let Some(at) = data.get(from..).and_then(|rest| find(rest, name)) {
        let start = from + at;
        let after = data.get(start + name.len());
        if start > 0
            && data.get(start - 1) == Some(&b'<')
            && after.is_some_and(|b| b.is_ascii_whitespace() || matches!(b, b'/' | b'>'))
        {
            return Some(start - 1);
        }
        from = start + 1;
    }
    None
}

/// The namespace prefix the server's stream header uses (`stream` in `<stream:stream ...>`; RFC
/// 6120 allows any), `stream` until the header is seen.
fn stream_prefix(data: &[u8]) -> Vec<u8> {
    let mut from = 0;
    while let Some(at) = data.get(from..).and_then(|rest| find(rest, b":stream")) {
        let colon = from + at;
        let after = data.get(colon + b":stream".len());
        if after.is_some_and(|b| b.is_ascii_whitespace() || *b == b'>') {
            let before = data.get(..colon).unwrap_or_default();
            if let Some(lt) = before.iter().rposition(|b| *b == b'<') {
                let prefix = before.get(lt + 1..).unwrap_or_default();
                if !prefix.is_empty()
                    && prefix
                        .iter()
                        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
                {
                    return prefix.to_vec();
                }
            }
        }
        from = colon + 1;
    }
    b"stream".to_vec()
}

/// `prefix:name`, as bytes.
fn prefixed(prefix: &[u8], name: &str) -> Vec<u8> {
    [prefix, b":", name.as_bytes()].concat()
}

/// Whether `data` holds an XMPP stream error that means "not now" (RFC 6120 §4.9.3:
/// `<resource-constraint/>`, `<policy-violation/>`, e.g. too many connections).
pub fn xmpp_busy(data: &[u8]) -> bool {
    find_element(data, &prefixed(&stream_prefix(data), "error")).is_some()
        && (find_element(data, b"resource-constraint").is_some()
            || find_element(data, b"policy-violation").is_some())
}

fn xmpp_stream_check(data: &[u8]) -> Result<(), String> {
    if let Some(first) = data.iter().find(|b| !b.is_ascii_whitespace()) {
        if *first != b'<' {
            return Err(format!("expected an XML stream, got {}", excerpt(data)));
        }
    }
    let prefix = stream_prefix(data);
    if let Some(at) = find_element(data, &prefixed(&prefix, "error")) {
        return Err(format!(
            "expected stream features, got a stream error {}",
            excerpt(data.get(at..).unwrap_or_default())
        ));
    }
    if find(
        data,
        &[b"</", &prefixed(&prefix, "stream")[..], b">"].concat(),
    )
    .is_some()
    {
        return Err(format!(
            "expected stream features, got the end of the stream: {}",
            excerpt(data)
        ));
    }
    Ok(())
}

/// XMPP stream features (RFC 6120 §4.3.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct XmppFeatures {
    /// Whether they offer `<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'>`.
    pub starttls: bool,
    /// The features element, for messages.
    pub features: String,
}

/// Parses the server's stream header and `<stream:features>`, up to their end.
pub fn parse_xmpp_features(data: &[u8]) -> ParseResult<XmppFeatures> {
    xmpp_stream_check(data)?;
    let name = prefixed(&stream_prefix(data), "features");
    let Some(start) = find_element(data, &name) else {
        return Ok(Parsed::Incomplete);
    };
    let rest = data.get(start..).unwrap_or_default();
    let close = [b"</", &name[..], b">"].concat();
    let end = match (find(rest, &close), find(rest, b"/>")) {
        (Some(at), _) => at + close.len(),
        // `<stream:features/>`: empty.
        (None, Some(slash)) if !rest.get(..slash).unwrap_or_default().contains(&b'>') => slash + 2,
        _ => return Ok(Parsed::Incomplete),
    };
    let features = rest.get(..end).unwrap_or_default();
    Ok(Parsed::Complete(
        XmppFeatures {
            starttls: find_element(features, b"starttls").is_some()
                && find(features, b"urn:ietf:params:xml:ns:xmpp-tls").is_some(),
            features: text(features),
        },
        start + end,
    ))
}

/// Parses the answer to `<starttls/>`: `Ok(true)` for `<proceed/>`, `Ok(false)` for
/// `<failure/>`.
pub fn parse_xmpp_proceed(data: &[u8]) -> ParseResult<bool> {
    xmpp_stream_check(data)?;
    // The first of the two: a <failure/> whose text mentions <proceed/> is a failure.
    let first = [(&b"proceed"[..], true), (&b"failure"[..], false)]
        .into_iter()
        .filter_map(|(element, verdict)| find_element(data, element).map(|at| (at, verdict)))
        .min();
    if let Some((start, verdict)) = first {
        let rest = data.get(start..).unwrap_or_default();
        let close = if verdict {
            &b"</proceed>"[..]
        } else {
            &b"</failure>"[..]
        };
        let Some(gt) = rest.iter().position(|b| *b == b'>') else {
            return Ok(Parsed::Incomplete);
        };
        let end = if rest.get(gt.saturating_sub(1)) == Some(&b'/') {
            gt + 1
        } else if let Some(at) = find(rest, close) {
            at + close.len()
        } else {
            return Ok(Parsed::Incomplete);
        };
        return Ok(Parsed::Complete(verdict, start + end));
    }
    if data.contains(&b'>') {
        return Err(format!(
            "expected <proceed/> or <failure/>, got {}",
            excerpt(data)
        ));
    }
    Ok(Parsed::Incomplete)
}

/// A PostgreSQL server's answer to SSLRequest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PostgresReply {
    /// `S`: TLS follows.
    Accepted,
    /// `N`: the server does not do TLS.
    Refused,
    /// An ErrorResponse (`E`, servers older than 7.0 or refusing the connection).
    Error {
        /// Its SQLSTATE (field `C`; empty if it has none): `53300` too_many_connections,
        /// `57P03` cannot_connect_now.
        sqlstate: String,
        /// Its message (field `M`), or the fields quoted if it has none.
        message: String,
    },
}

/// Parses the answer to SSLRequest: one byte `S` or `N`, or an ErrorResponse.
pub fn parse_postgres(data: &[u8]) -> ParseResult<PostgresReply> {
    match data.first() {
        None => Ok(Parsed::Incomplete),
        Some(b'S') => Ok(Parsed::Complete(PostgresReply::Accepted, 1)),
        Some(b'N') => Ok(Parsed::Complete(PostgresReply::Refused, 1)),
        Some(b'E') => {
            let Some(length) = data.get(1..5) else {
                return Ok(Parsed::Incomplete);
            };
            let length = length.iter().fold(0u64, |n, b| (n << 8) | u64::from(*b));
            if !(4..=MAX_REPLY as u64).contains(&length) {
                return Err(format!(
                    "expected an ErrorResponse of 4 to {MAX_REPLY} bytes, got a length of \
                     {length}: {}",
                    excerpt(data)
                ));
            }
            let end = 1 + usize::try_from(length).unwrap_or(MAX_REPLY);
            let Some(fields) = data.get(5..end) else {
                return Ok(Parsed::Incomplete);
            };
            let field = |code: u8| {
                fields
                    .split(|b| *b == 0)
                    .find_map(|field| field.strip_prefix(&[code]))
                    .map(text)
            };
            let message = field(b'M').unwrap_or_else(|| excerpt(fields));
            let sqlstate = field(b'C').unwrap_or_default();
            Ok(Parsed::Complete(
                PostgresReply::Error { sqlstate, message },
                end,
            ))
        }
        Some(_) => Err(format!(
            "expected `S`, `N` or an ErrorResponse (`E`) in reply to SSLRequest, got {}",
            excerpt(data)
        )),
    }
}

/// MySQL capability flag CLIENT_PROTOCOL_41.
pub const CLIENT_PROTOCOL_41: u32 = 0x200;
/// MySQL capability flag CLIENT_SSL.
pub const CLIENT_SSL: u32 = 0x800;
const CLIENT_LONG_PASSWORD: u32 = 0x1;
const CLIENT_SECURE_CONNECTION: u32 = 0x8000;
const CLIENT_PLUGIN_AUTH: u32 = 0x8_0000;

/// What a MySQL or MariaDB server sends first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MysqlGreeting {
    /// An initial handshake packet, protocol version 10.
    Handshake {
        /// The server version string.
        server_version: String,
        /// Capability flags (the upper 16 bits are 0 if the packet has none).
        capabilities: u32,
        /// The server's default character set (`None` if the packet has none).
        charset: Option<u8>,
    },
    /// An error packet (`0xff`): e.g. "Host '...' is blocked".
    Error {
        /// The error code.
        code: u16,
        /// The message.
        message: String,
    },
}

/// Parses the server's first packet (a 3-byte little-endian length, a sequence number, the
/// payload), refusing lengths over [`MAX_REPLY`] before reading them.
pub fn parse_mysql_greeting(data: &[u8]) -> ParseResult<MysqlGreeting> {
    let Some(header) = data.get(..4) else {
        return Ok(Parsed::Incomplete);
    };
    let length = header
        .iter()
        .take(3)
        .rev()
        .fold(0usize, |n, b| (n << 8) | usize::from(*b));
    if length == 0 || length > MAX_REPLY {
        return Err(format!(
            "expected an initial handshake packet of 1 to {MAX_REPLY} bytes, got a packet \
             length of {length}: {}",
            excerpt(data)
        ));
    }
    let Some(payload) = data.get(4..4 + length) else {
        return Ok(Parsed::Incomplete);
    };
    let greeting = match payload.split_first() {
        Some((0xff, rest)) => {
            let code = rest
                .get(..2)
                .map(|c| c.iter().rev().fold(0u16, |n, b| (n << 8) | u16::from(*b)))
                .unwrap_or_default();
            let message = rest.get(2..).unwrap_or_default();
            // 4.1 error packets carry `#` and a five-character SQL state first.
            let message = match message.strip_prefix(b"#") {
                Some(state) => state.get(5..).unwrap_or_default(),
                None => message,
            };
            MysqlGreeting::Error {
                code,
                message: text(message),
            }
        }
        Some((10, rest)) => {
            let nul = rest.iter().position(|b| *b == 0).ok_or_else(|| {
                format!(
                    "expected a NUL-terminated server version, got {}",
                    excerpt(rest)
                )
            })?;
            let server_version = text(rest.get(..nul).unwrap_or_default());
            // Connection id (4), auth-plugin-data part 1 (8), filler (1), capabilities (2),
            // then optionally charset (1), status (2), upper capabilities (2).
            let fixed = rest.get(nul + 1..).unwrap_or_default();
            let lower = fixed.get(13..15).ok_or_else(|| {
                format!(
                    "expected capability flags after the server version {server_version:?}, \
                     got a packet that ends before them"
                )
            })?;
            let upper = fixed.get(18..20).unwrap_or(&[0, 0]);
            let capabilities = [lower, upper]
                .iter()
                .enumerate()
                .map(|(half, bytes)| {
                    let value = bytes
                        .iter()
                        .rev()
                        .fold(0u32, |n, b| (n << 8) | u32::from(*b));
                    value << (16 * half)
                })
                .fold(0, |all, half| all | half);
            MysqlGreeting::Handshake {
                server_version,
                capabilities,
                charset: fixed.get(15).copied(),
            }
        }
        Some((version, _)) => {
            return Err(format!(
                "expected an initial handshake packet (protocol version 10) or an error packet \
                 (0xff), got protocol byte {version:#04x} in {}",
                excerpt(data)
            ))
        }
        None => return Err("expected a handshake packet, got an empty packet".into()),
    };
    Ok(Parsed::Complete(greeting, 4 + length))
}

/// The SSLRequest packet (36 bytes, sequence number 1) for a server with `capabilities` and `charset`: the
/// client flags it shares with the server, including CLIENT_SSL.
pub fn mysql_ssl_request(capabilities: u32, charset: u8) -> Vec<u8> {
    let flags = capabilities
        & (CLIENT_LONG_PASSWORD
            | CLIENT_PROTOCOL_41
            | CLIENT_SSL
            | CLIENT_SECURE_CONNECTION
            | CLIENT_PLUGIN_AUTH);
    // Length 32, sequence 1; flags, max packet size (16 MiB), charset, 23 reserved bytes.
    let mut packet = vec![32, 0, 0, 1];
    packet.extend_from_slice(&(flags | CLIENT_SSL).to_le_bytes());
    packet.extend_from_slice(&(1u32 << 24).to_le_bytes());
    packet.push(charset);
    packet.resize(36, 0);
    packet
}

/// What a server sent after the preamble instead of a TLS record, for messages: a MySQL error
/// packet (`0xff`, code, `#SQLSTATE`, message) as `MySQL error CODE (#STATE): "message"`, any
/// other bytes quoted ([`excerpt`]).
pub fn describe_plaintext(protocol: Starttls, bytes: &[u8]) -> String {
    if protocol == Starttls::Mysql {
        if let (Some(header), Some((0xff, rest))) =
            (bytes.get(..4), bytes.get(4..).and_then(<[u8]>::split_first))
        {
            let length = header
                .iter()
                .take(3)
                .rev()
                .fold(0usize, |n, b| (n << 8) | usize::from(*b));
            let rest = rest.get(..length.saturating_sub(1)).unwrap_or(rest);
            if let Some(code) = rest.get(..2) {
                let code = u16::from_le_bytes([
                    code.first().copied().unwrap_or(0),
                    code.get(1).copied().unwrap_or(0),
                ]);
                let message = rest.get(2..).unwrap_or_default();
                // A SQLSTATE is five ASCII letters or digits; anything else stays in the message
                // (quoted and escaped, as the excerpt does).
                let state = message
                    .strip_prefix(b"#")
                    .and_then(|tail| tail.get(..5))
                    .filter(|state| state.iter().all(u8::is_ascii_alphanumeric));
                let (state, message) = match state {
                    Some(state) => (
                        Some(format!(" (#{})", text(state))),
                        message.get(6..).unwrap_or_default(),
                    ),
                    None => (None, message),
                };
                return format!(
                    "MySQL error {code}{}: {}",
                    state.unwrap_or_default(),
                    excerpt(message)
                );
            }
        }
    }
    excerpt(bytes)
}

/// The last line of `raw`, without its line end.
fn last_line(raw: &[u8]) -> &[u8] {
    let raw = raw.strip_suffix(b"\n").unwrap_or(raw);
    let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
    raw.rsplit(|b| *b == b'\n').next().unwrap_or(raw)
}

/// The text of each line of a raw code reply (after the code and its separator), joined by
/// ` | `, as received.
fn reply_text(raw: &[u8]) -> Vec<u8> {
    let mut joined = Vec::new();
    let mut offset = 0;
    while let Some((line, next)) = next_line(raw, offset) {
        offset = next;
        if !joined.is_empty() {
            joined.extend_from_slice(b" | ");
        }
        joined.extend_from_slice(split_code(line).map_or(line, |(_, _, rest)| rest));
    }
    joined
}

/// The PostgreSQL SSLRequest message: length 8, code 80877103.
const POSTGRES_SSL_REQUEST: [u8; 8] = [0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f];

/// The LDAP StartTLS ExtendedRequest (messageID 1, requestName 1.3.6.1.4.1.1466.20037).
const LDAP_STARTTLS: &[u8] = b"\x30\x1d\x02\x01\x01\x77\x18\x80\x161.3.6.1.4.1.1466.20037";

/// One preamble in progress: the socket, the bytes read but not yet parsed, and the limits.
struct Session<'a> {
    stream: &'a mut TcpStream,
    buffer: Vec<u8>,
    peer: &'a str,
    timeout: Duration,
    deadline: Instant,
    /// The bytes of the last complete reply, as received (for quoting).
    last: Vec<u8>,
    /// SMTP and LMTP: every line of a multi-line reply carries its code.
    strict_codes: bool,
}

impl Session<'_> {
    fn fail(&self, message: impl fmt::Display) -> Failure {
        Failure::network(format!("{}: {message}", self.peer))
    }

    /// A refusal that means "not now" (too many connections): [`Failure::busy`].
    fn busy(&self, message: impl fmt::Display) -> Failure {
        Failure::busy(format!(
            "{}: {message} (the server refuses connections for now)",
            self.peer
        ))
    }

    fn send(&mut self, bytes: &[u8], what: &str) -> Result<(), Failure> {
        if !self.buffer.is_empty() {
            return Err(self.fail(format_args!(
                "expected nothing more before sending {what}, got {} (sent before it was asked \
                 for)",
                excerpt(&self.buffer)
            )));
        }
        self.stream
            .write_all(bytes)
            .and_then(|()| self.stream.flush())
            .map_err(|e| self.fail(format_args!("cannot send {what}: {e}")))
    }

    /// Reads until `parse` finds a whole reply; returns it and drops its bytes from the buffer.
    fn read<T>(
        &mut self,
        what: &str,
        parse: impl Fn(&[u8]) -> ParseResult<T>,
    ) -> Result<T, Failure> {
        let mut chunk = [0u8; 4096];
        loop {
            match parse(&self.buffer) {
                Ok(Parsed::Complete(value, used)) => {
                    self.last = self.buffer.drain(..used.min(self.buffer.len())).collect();
                    return Ok(value);
                }
                Ok(Parsed::Incomplete) => {}
                Err(problem) if xmpp_busy(&self.buffer) => {
                    return Err(self.busy(format_args!("reading {what}: {problem}")));
                }
                Err(problem) => {
                    return Err(self.fail(format_args!("reading {what}: {problem}")));
                }
            }
            if self.buffer.len() >= MAX_REPLY {
                return Err(self.fail(format_args!(
                    "expected {what} within {MAX_REPLY} bytes, got more without its end: {}",
                    excerpt(&self.buffer)
                )));
            }
            let remaining = self.deadline.saturating_duration_since(Instant::now());
            if remaining.is_zero() {
                return Err(self.past_deadline(what));
            }
            let by_deadline = remaining < self.timeout;
            self.stream
                .set_read_timeout(Some(remaining.min(self.timeout)))
                .map_err(|e| self.fail(format_args!("cannot set the read timeout: {e}")))?;
            let room = (MAX_REPLY - self.buffer.len()).min(chunk.len());
            match self.stream.read(chunk.get_mut(..room).unwrap_or_default()) {
                Ok(0) => {
                    return Err(self.fail(format_args!(
                        "the server closed the connection; expected {what}, got {}",
                        if self.buffer.is_empty() {
                            "nothing".to_owned()
                        } else {
                            excerpt(&self.buffer)
                        }
                    )))
                }
                Ok(n) => self
                    .buffer
                    .extend_from_slice(chunk.get(..n).unwrap_or_default()),
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                    ) =>
                {
                    return Err(if by_deadline {
                        self.past_deadline(what)
                    } else {
                        self.timed_out(what)
                    })
                }
                Err(e) => return Err(self.fail(format_args!("cannot read {what}: {e}"))),
            }
        }
    }

    fn seen(&self) -> String {
        if self.buffer.is_empty() {
            "nothing".to_owned()
        } else {
            excerpt(&self.buffer)
        }
    }

    fn timed_out(&self, what: &str) -> Failure {
        self.fail(format_args!(
            "timed out after {}s: expected {what}, got {}",
            self.timeout.as_secs_f32(),
            self.seen()
        ))
    }

    fn past_deadline(&self, what: &str) -> Failure {
        self.fail(format_args!(
            "the preamble did not finish within {}s (4 x --timeout): expected {what}, got {}",
            (self.timeout * 4).as_secs_f32(),
            self.seen()
        ))
    }

    /// Reads a code reply; one whose code is not `expected` is an error, `421` (service not
    /// available, closing: too many connections) a [`Session::busy`] one.
    fn code(&mut self, what: &str, expected: &[u16]) -> Result<CodeReply, Failure> {
        let parse = if self.strict_codes {
            parse_smtp_reply
        } else {
            parse_code_reply
        };
        let reply = self.read(what, parse)?;
        if expected.contains(&reply.code) {
            return Ok(reply);
        }
        let codes: Vec<String> = expected.iter().map(u16::to_string).collect();
        let message = format!(
            "expected {what} with code {}, got {} {}",
            codes.join(" or "),
            reply.code,
            excerpt(&reply_text(&self.last))
        );
        Err(if reply.code == 421 {
            self.busy(message)
        } else {
            self.fail(message)
        })
    }
}

/// Runs `protocol`'s plaintext preamble on `stream`, leaving it where the TLS ClientHello must
/// start. `domain` is the name XMPP's stream header asks for; `peer` names the server in
/// messages. Each read waits at most `timeout`, the whole preamble four times that; the
/// socket's read timeout is `timeout` again afterwards.
pub fn negotiate(
    stream: &mut TcpStream,
    protocol: Starttls,
    domain: &str,
    timeout: Duration,
    peer: &str,
) -> Result<(), Failure> {
    let mut session = Session {
        stream,
        buffer: Vec::new(),
        peer,
        timeout,
        deadline: Instant::now() + timeout * 4,
        last: Vec::new(),
        strict_codes: matches!(protocol, Starttls::Smtp | Starttls::Lmtp),
    };
    run(&mut session, protocol, domain)?;
    if !session.buffer.is_empty() {
        return Err(session.fail(format_args!(
            "expected nothing more before TLS, got {}",
            excerpt(&session.buffer)
        )));
    }
    session
        .stream
        .set_read_timeout(Some(timeout))
        .map_err(|e| session.fail(format_args!("cannot set the read timeout: {e}")))
}

fn run(s: &mut Session<'_>, protocol: Starttls, domain: &str) -> Result<(), Failure> {
    match protocol {
        Starttls::Postgres => {
            s.send(&POSTGRES_SSL_REQUEST, "the SSLRequest")?;
            match s.read("the answer to SSLRequest", parse_postgres)? {
                PostgresReply::Accepted => Ok(()),
                PostgresReply::Refused => Err(s.fail(
                    "expected `S` (TLS accepted) in reply to SSLRequest, got `N`: the server \
                     does not accept TLS (ssl = off?)",
                )),
                PostgresReply::Error { sqlstate, message } => {
                    let message = format!(
                        "expected `S` in reply to SSLRequest, got error {}: {}",
                        if sqlstate.is_empty() {
                            "without SQLSTATE"
                        } else {
                            &sqlstate
                        },
                        excerpt(message.as_bytes())
                    );
                    // 53300 too_many_connections, 57P03 cannot_connect_now.
                    Err(if matches!(sqlstate.as_str(), "53300" | "57P03") {
                        s.busy(message)
                    } else {
                        s.fail(message)
                    })
                }
            }
        }
        Starttls::Mysql => match s.read("the initial handshake packet", parse_mysql_greeting)? {
            MysqlGreeting::Error { code, message } => {
                let message = format!(
                    "expected an initial handshake packet, got error {code}: {}",
                    excerpt(message.as_bytes())
                );
                // 1040 ER_CON_COUNT_ERROR (too many connections), 1203
                // ER_TOO_MANY_USER_CONNECTIONS.
                Err(if matches!(code, 1040 | 1203) {
                    s.busy(message)
                } else {
                    s.fail(message)
                })
            }
            MysqlGreeting::Handshake {
                server_version,
                capabilities,
                charset,
            } => {
                if capabilities & CLIENT_SSL == 0 {
                    return Err(s.fail(format_args!(
                        "expected the CLIENT_SSL capability in the initial handshake, got \
                             capabilities {capabilities:#010x} from server {}: TLS is not \
                             enabled",
                        excerpt(server_version.as_bytes())
                    )));
                }
                let Some(charset) = charset.filter(|_| capabilities & CLIENT_PROTOCOL_41 != 0)
                else {
                    return Err(s.fail(format_args!(
                        "expected a protocol 4.1 handshake (CLIENT_PROTOCOL_41 and a \
                             character set), got capabilities {capabilities:#010x} from server \
                             {}",
                        excerpt(server_version.as_bytes())
                    )));
                };
                s.send(
                    &mysql_ssl_request(capabilities, charset),
                    "the SSLRequest packet",
                )
            }
        },
        Starttls::Smtp | Starttls::Lmtp => {
            s.code("the greeting", &[220])?;
            let hello = if protocol == Starttls::Smtp {
                "EHLO"
            } else {
                "LHLO"
            };
            // RFC 5321 §4.1.1.1: a domain or an address literal; the local socket's address.
            let literal = match s.stream.local_addr().map(|a| a.ip()) {
                Ok(std::net::IpAddr::V4(ip)) => format!("[{ip}]"),
                Ok(std::net::IpAddr::V6(ip)) => format!("[IPv6:{ip}]"),
                Err(_) => "[127.0.0.1]".to_owned(),
            };
            s.send(format!("{hello} {literal}\r\n").as_bytes(), hello)?;
            let what = format!("the reply to {hello}");
            let reply = s.code(&what, &[250])?;
            let offered = reply.lines.iter().any(|line| {
                line.split_ascii_whitespace()
                    .next()
                    .is_some_and(|word| word.eq_ignore_ascii_case("STARTTLS"))
            });
            if !offered {
                return Err(s.fail(format_args!(
                    "expected STARTTLS among the {hello} extensions, got {}",
                    excerpt(reply.lines.join(" | ").as_bytes())
                )));
            }
            s.send(b"STARTTLS\r\n", "STARTTLS")?;
            s.code("the reply to STARTTLS", &[220]).map(drop)
        }
        Starttls::Imap => {
            let greeting = s.read("the greeting", |data| parse_imap(data, None))?;
            if greeting.status != "OK" && greeting.status != "PREAUTH" {
                let message = format!(
                    "expected the greeting `* OK`, got `* {}` {}",
                    greeting.status,
                    excerpt(greeting.text.as_bytes())
                );
                // RFC 3501 §7.1.5: a BYE greeting refuses the connection (too many, ...).
                return Err(if greeting.status == "BYE" {
                    s.busy(message)
                } else {
                    s.fail(message)
                });
            }
            s.send(b"T1 STARTTLS\r\n", "STARTTLS")?;
            let reply = s.read("the reply to STARTTLS", |data| parse_imap(data, Some("T1")))?;
            if reply.status != "OK" {
                return Err(s.fail(format_args!(
                    "expected `T1 OK` in reply to STARTTLS, got {} {}",
                    reply.status,
                    excerpt(reply.text.as_bytes())
                )));
            }
            Ok(())
        }
        Starttls::Pop3 => {
            for (command, what) in [(None, "the greeting"), (Some("STLS"), "the reply to STLS")] {
                if let Some(command) = command {
                    s.send(format!("{command}\r\n").as_bytes(), command)?;
                }
                let reply = s.read(what, parse_pop3)?;
                if !reply.ok {
                    let message = format!(
                        "expected `+OK` as {what}, got `-ERR` {}",
                        excerpt(reply.text.as_bytes())
                    );
                    // An `-ERR` greeting ([IN-USE], [SYS/TEMP], too many connections).
                    return Err(if command.is_none() {
                        s.busy(message)
                    } else {
                        s.fail(message)
                    });
                }
            }
            Ok(())
        }
        Starttls::Ftp => {
            // 120: "service ready in nnn minutes", followed by the 220 greeting.
            if s.code("the greeting", &[120, 220])?.code == 120 {
                s.code("the greeting", &[220])?;
            }
            s.send(b"AUTH TLS\r\n", "AUTH TLS")?;
            s.code("the reply to AUTH TLS", &[234]).map(drop)
        }
        Starttls::Nntp => {
            s.code("the greeting", &[200, 201])?;
            s.send(b"STARTTLS\r\n", "STARTTLS")?;
            s.code("the reply to STARTTLS", &[382]).map(drop)
        }
        Starttls::Ldap => {
            s.send(LDAP_STARTTLS, "the StartTLS extended request")?;
            let result = s.read("the StartTLS extended response", parse_ldap)?;
            if result.message_id != 1 || result.result_code != 0 {
                let message = format!(
                    "expected resultCode 0 (success) for message 1, got resultCode {} for \
                     message {}: {}",
                    result.result_code,
                    result.message_id,
                    excerpt(result.diagnostic.as_bytes())
                );
                // 51 busy, 52 unavailable.
                return Err(if matches!(result.result_code, 51 | 52) {
                    s.busy(message)
                } else {
                    s.fail(message)
                });
            }
            Ok(())
        }
        Starttls::Xmpp | Starttls::XmppServer => {
            let namespace = if protocol == Starttls::Xmpp {
                "jabber:client"
            } else {
                "jabber:server"
            };
            let domain: String = domain
                .chars()
                .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':'))
                .collect();
            s.send(
                format!(
                    "<?xml version='1.0'?><stream:stream xmlns='{namespace}' \
                     xmlns:stream='http://etherx.jabber.org/streams' to='{domain}' \
                     version='1.0'>"
                )
                .as_bytes(),
                "the stream header",
            )?;
            let features = s.read("the stream features", parse_xmpp_features)?;
            if !features.starttls {
                return Err(s.fail(format_args!(
                    "expected <starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/> among the \
                     stream features, got {}",
                    excerpt(features.features.as_bytes())
                )));
            }
            s.send(
                b"<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>",
                "<starttls/>",
            )?;
            if !s.read("<proceed/>", parse_xmpp_proceed)? {
                return Err(s.fail("expected <proceed/> in reply to <starttls/>, got <failure/>"));
            }
            Ok(())
        }
        Starttls::Sieve => {
            let greeting = s.read("the greeting", parse_sieve)?;
            let offered = greeting
                .capabilities
                .iter()
                .any(|line| line.to_ascii_uppercase().starts_with("\"STARTTLS\""));
            if greeting.status != "OK" || !offered {
                return Err(s.fail(format_args!(
                    "expected a greeting that ends in OK and lists \"STARTTLS\", got {} after {}",
                    greeting.status,
                    excerpt(greeting.capabilities.join(" | ").as_bytes())
                )));
            }
            s.send(b"STARTTLS\r\n", "STARTTLS")?;
            let reply = s.read("the reply to STARTTLS", parse_sieve)?;
            if reply.status != "OK" {
                return Err(s.fail(format_args!(
                    "expected OK in reply to STARTTLS, got {} {}",
                    reply.status,
                    excerpt(reply.text.as_bytes())
                )));
            }
            Ok(())
        }
        Starttls::Irc => {
            s.send(b"STARTTLS\r\n", "STARTTLS")?;
            let reply = s.read("numeric 670 (STARTTLS successful)", parse_irc)?;
            if reply.command != "670" {
                let message = format!(
                    "expected numeric 670 (STARTTLS successful), got {}",
                    excerpt(last_line(&s.last))
                );
                let line = reply.line.to_ascii_lowercase();
                // `ERROR :Closing link: ... [No more connections allowed ...]`.
                let busy = reply.command == "ERROR"
                    && (line.contains("closing link") || line.contains("connection"));
                return Err(if busy {
                    s.busy(message)
                } else {
                    s.fail(message)
                });
            }
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for protocol in Starttls::ALL {
            assert_eq!(protocol.name().parse::<Starttls>(), Ok(protocol));
            assert_eq!(protocol.to_string(), protocol.name());
        }
        assert_eq!("psql".parse::<Starttls>(), Ok(Starttls::Postgres));
        let err = "gopher".parse::<Starttls>().unwrap_err();
        assert!(
            err.contains("postgres, mysql") && err.contains("\"gopher\""),
            "{err}"
        );
    }

    #[test]
    fn code_replies() {
        let ehlo = b"250-mail.lab Hello\r\n250-SIZE 1000\r\n250 STARTTLS\r\n";
        let Ok(Parsed::Complete(reply, used)) = parse_code_reply(ehlo) else {
            panic!()
        };
        assert_eq!((reply.code, used), (250, ehlo.len()));
        assert_eq!(reply.lines, ["mail.lab Hello", "SIZE 1000", "STARTTLS"]);
        assert_eq!(parse_code_reply(b"250-a\r\n250 b"), Ok(Parsed::Incomplete));
        let ftp = b"220-Welcome\r\n  free text\r\n220 ready\r\n";
        assert!(matches!(parse_code_reply(ftp), Ok(Parsed::Complete(r, _)) if r.code == 220));
        let err = parse_code_reply(b"* OK IMAP4rev1\r\n").unwrap_err();
        assert!(
            err.contains("three-digit code") && err.contains("* OK"),
            "{err}"
        );
    }

    #[test]
    fn excerpts_quote_bytes_as_sent_and_cut_at_a_word() {
        assert_eq!(
            excerpt(b"a\xff\xfe\x1b\"\\"),
            "\"a\\xff\\xfe\\x1b\\\"\\\\\""
        );
        let long = [&b"word "[..]; 40].concat();
        let shown = excerpt(&long);
        assert!(shown.ends_with("word…\""), "{shown}");
        assert!(shown.len() <= 120 + 5, "{shown}");
        let unbroken = excerpt(&[b'x'; 200]);
        assert_eq!(unbroken.len(), 1 + 120 + '…'.len_utf8() + 1);
    }

    #[test]
    fn smtp_replies_carry_the_code_on_every_line() {
        let reply = b"250-mail.lab\r\n500 garbage\r\nSTARTTLS\r\n250 SIZE 1\r\n";
        let err = parse_smtp_reply(reply).unwrap_err();
        assert!(
            err.contains("its code 250") && err.contains("500 garbage"),
            "{err}"
        );
        assert!(matches!(parse_code_reply(reply), Ok(Parsed::Complete(r, _)) if r.code == 250));
        let ehlo = b"250-mail.lab\r\n250 STARTTLS\r\n";
        assert_eq!(parse_smtp_reply(ehlo), parse_code_reply(ehlo));
        assert_eq!(reply_text(b"250-a b\r\n250 c\r\n"), b"a b | c");
    }

    #[test]
    fn xmpp_elements_and_prefixes() {
        assert_eq!(
            find_element(b"<starttlsx/><starttls/>", b"starttls"),
            Some(12)
        );
        assert_eq!(find_element(b"<starttls", b"starttls"), None);
        let features = b"<s:stream xmlns:s='http://etherx.jabber.org/streams'><s:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/></s:features>";
        assert_eq!(stream_prefix(features), b"s");
        assert!(matches!(parse_xmpp_features(features), Ok(Parsed::Complete(f, _)) if f.starttls));
        let decoy = b"<stream:stream><stream:features><starttlsx xmlns='urn:ietf:params:xml:ns:xmpp-tls'/></stream:features>";
        assert!(matches!(parse_xmpp_features(decoy), Ok(Parsed::Complete(f, _)) if !f.starttls));
        let failure = b"<failure xmlns='urn:ietf:params:xml:ns:xmpp-tls'><text>no <proceed/></text></failure>";
        assert_eq!(
            parse_xmpp_proceed(failure),
            Ok(Parsed::Complete(false, failure.len()))
        );
        assert!(xmpp_busy(
            b"<stream:stream><stream:error><policy-violation/></stream:error>"
        ));
        assert!(!xmpp_busy(
            b"<stream:stream><stream:error><host-unknown/></stream:error>"
        ));
    }

    #[test]
    fn plaintext_after_the_preamble_is_described() {
        let error = b"\x16\x00\x00\x02\xff\x13\x04#08S01Bad handshake";
        assert_eq!(
            describe_plaintext(Starttls::Mysql, error),
            "MySQL error 1043 (#08S01): \"Bad handshake\""
        );
        assert_eq!(
            describe_plaintext(Starttls::Mysql, b"\x01\x00"),
            "\"\\x01\\x00\""
        );
        assert_eq!(
            describe_plaintext(Starttls::Smtp, b"EXTRA\r\n"),
            "\"EXTRA\\r\\n\""
        );
        // Found by fuzzing: a "SQLSTATE" with a line feed was printed raw, a second line.
        let odd = b"?\x00\x00\x00\xffi\x04#J\x00\x00\x00\n8.0";
        let described = describe_plaintext(Starttls::Mysql, odd);
        assert_eq!(described, "MySQL error 1129: \"#J\\x00\\x00\\x00\\n8.0\"");
    }

    #[test]
    fn imap_pop3_sieve_irc() {
        let greeting = parse_imap(b"* OK [CAPABILITY IMAP4rev1 STARTTLS] ready\r\n", None);
        assert!(matches!(greeting, Ok(Parsed::Complete(s, _)) if s.status == "OK"));
        let reply = parse_imap(b"* CAPABILITY X\r\nT1 NO no tls\r\n", Some("T1"));
        assert!(
            matches!(reply, Ok(Parsed::Complete(s, _)) if s.status == "NO" && s.untagged.len() == 1)
        );
        assert!(parse_imap(b"220 smtp\r\n", None).is_err());
        assert!(matches!(parse_pop3(b"+OK"), Ok(Parsed::Incomplete)));
        assert!(matches!(parse_pop3(b"-ERR no\r\n"), Ok(Parsed::Complete(r, 9)) if !r.ok));
        assert!(parse_pop3(b"220 x").is_err());
        let sieve = b"\"IMPLEMENTATION\" \"x\"\r\n\"STARTTLS\"\r\nOK \"ready\"\r\n";
        assert!(
            matches!(parse_sieve(sieve), Ok(Parsed::Complete(r, _)) if r.capabilities.len() == 2)
        );
        let irc = b":irc.lab NOTICE * :hi\r\n:irc.lab 670 * :STARTTLS successful\r\n";
        assert!(
            matches!(parse_irc(irc), Ok(Parsed::Complete(r, n)) if r.command == "670" && n == irc.len())
        );
    }

    #[test]
    fn ldap_results() {
        let ok = b"\x30\x0c\x02\x01\x01\x78\x07\x0a\x01\x00\x04\x00\x04\x00";
        assert_eq!(
            parse_ldap(ok),
            Ok(Parsed::Complete(
                LdapResult {
                    message_id: 1,
                    result_code: 0,
                    diagnostic: String::new()
                },
                ok.len()
            ))
        );
        assert_eq!(parse_ldap(&ok[..5]), Ok(Parsed::Incomplete));
        let huge = parse_ldap(b"\x30\x84\x80\x00\x00\x00").unwrap_err();
        assert!(huge.contains("2147483648"), "{huge}");
    }

    #[test]
    fn xmpp() {
        let features = b"<?xml version='1.0'?><stream:stream from='lab'><stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'><required/></starttls></stream:features>";
        assert!(
            matches!(parse_xmpp_features(features), Ok(Parsed::Complete(f, n)) if f.starttls && n == features.len())
        );
        assert_eq!(
            parse_xmpp_features(b"<stream:stream>"),
            Ok(Parsed::Incomplete)
        );
        let proceed = b"<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>";
        assert_eq!(
            parse_xmpp_proceed(proceed),
            Ok(Parsed::Complete(true, proceed.len()))
        );
        assert!(parse_xmpp_features(b"220 mail\r\n").is_err());
    }

    #[test]
    fn postgres_and_mysql() {
        assert_eq!(
            parse_postgres(b"S"),
            Ok(Parsed::Complete(PostgresReply::Accepted, 1))
        );
        let busy = b"E\x00\x00\x00\x1dSFATAL\x00C53300\x00Mtoo many\x00\x00";
        assert_eq!(
            parse_postgres(busy),
            Ok(Parsed::Complete(
                PostgresReply::Error {
                    sqlstate: "53300".into(),
                    message: "too many".into()
                },
                busy.len()
            ))
        );
        assert!(parse_postgres(b"J\x00").is_err());
        let huge = parse_mysql_greeting(b"\xff\xff\xff\x00\x0a").unwrap_err();
        assert!(huge.contains("16777215"), "{huge}");
        let mut packet = vec![0u8, 0, 0, 0, 10];
        packet.extend_from_slice(b"10.11.6-MariaDB\0");
        packet.extend_from_slice(&[1, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 0]);
        packet.extend_from_slice(&[0x00, 0x0a, 45, 2, 0, 0xff, 0x81]);
        packet[0] = (packet.len() - 4) as u8;
        let Ok(Parsed::Complete(
            MysqlGreeting::Handshake {
                capabilities,
                charset,
                ..
            },
            _,
        )) = parse_mysql_greeting(&packet)
        else {
            panic!()
        };
        assert_eq!((capabilities, charset), (0x81ff_0a00, Some(45)));
        let request = mysql_ssl_request(capabilities, 45);
        assert_eq!(request[..4], [32, 0, 0, 1]);
        assert_eq!(
            request[4..8],
            (CLIENT_SSL | CLIENT_PROTOCOL_41 | CLIENT_PLUGIN_AUTH).to_le_bytes()
        );
        assert_eq!(request[12], 45);
    }
}
