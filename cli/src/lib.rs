//! The `tlspin` command-line tool, as a library so that tests and fuzzers reach its parts:
//! certificate details and pins ([`certinfo`], [`pin`]), the server probe ([`probe`], whose
//! untrusted-input parser is [`probe::parse::parse_server_flight`]), the network plumbing
//! ([`net`]), and the plaintext preambles of `--starttls` ([`starttls`], whose reply parsers are
//! fuzzed too).

#![forbid(unsafe_code)]
#![warn(missing_docs)]
#![cfg_attr(
    not(test),
    warn(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::indexing_slicing,
        clippy::panic
    )
)]

pub mod certinfo;
pub mod exit;
pub mod keytype;
pub mod net;
pub mod pin;
pub mod probe;
pub mod providers;
pub mod starttls;
