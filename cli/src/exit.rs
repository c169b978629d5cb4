//! Exit codes and the error every command returns.

use core::fmt;

/// The process exit codes, as documented in `tlspin --help`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Exit {
    /// 0: the command succeeded; for `probe`, every provider can talk to the server.
    Success,
    /// 1: the server is incompatible with at least one rustls provider (`probe`), or the TLS
    /// handshake failed (`pin HOST:PORT`).
    Incompatible,
    /// 2: usage or input error: bad arguments, unreadable file, not a certificate.
    Usage,
    /// 3: network error: cannot resolve or connect, timeout, connection closed.
    Network,
}

impl Exit {
    /// The numeric process exit code.
    pub fn code(self) -> u8 {
        match self {
            Self::Success => 0,
            Self::Incompatible => 1,
            Self::Usage => 2,
            Self::Network => 3,
        }
    }
}

/// A command's failure: the exit code to use and a message that says what was expected and what
/// was seen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// The exit code.
    pub exit: Exit,
    /// The message for the user.
    pub message: String,
    /// The server refused for now, as servers that limit connections do (SMTP 421, PostgreSQL
    /// "too many clients", ...): a later attempt, with fewer connections open, may succeed.
    pub busy: bool,
}

impl Failure {
    /// A usage or input error (exit code 2).
    pub fn usage(message: impl Into<String>) -> Self {
        Self {
            exit: Exit::Usage,
            message: message.into(),
            busy: false,
        }
    }

    /// A network error (exit code 3).
    pub fn network(message: impl Into<String>) -> Self {
        Self {
            exit: Exit::Network,
            message: message.into(),
            busy: false,
        }
    }

    /// A network error (exit code 3) where the server refused for now ([`Failure::busy`]).
    pub fn busy(message: impl Into<String>) -> Self {
        Self {
            busy: true,
            ..Self::network(message)
        }
    }

    /// A failed TLS handshake or an incompatible server (exit code 1).
    pub fn incompatible(message: impl Into<String>) -> Self {
        Self {
            exit: Exit::Incompatible,
            message: message.into(),
            busy: false,
        }
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Failure {}
