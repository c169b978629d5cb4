//! `tlspin`: compute certificate pins, probe a TLS server, and explain why rustls cannot talk to
//! it.

#![forbid(unsafe_code)]
#![cfg_attr(
    not(test),
    warn(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::indexing_slicing,
        clippy::panic
    )
)]

use std::fs::File;
use std::io::{self, IsTerminal, Read, Write};
use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};
use serde::Serialize;
use tlspin_cli::certinfo::{is_public_key, read_certificates, MAX_INPUT};
use tlspin_cli::exit::{Exit, Failure};
use tlspin_cli::net::Target;
use tlspin_cli::starttls::Starttls;
use tlspin_cli::{pin, probe};

const EXIT_CODES: &str = "\
Exit codes:
  0  success; for `probe`, every rustls provider (aws-lc-rs, ring) can talk to the server
  1  `probe`: the server is incompatible with at least one provider;
     `pin HOST:PORT`: the TLS handshake failed (the error is explained)
  2  usage or input error: bad arguments, unreadable file, not a certificate
  3  network error: cannot resolve or connect, timeout, connection closed, not a TLS server";

/// Certificate pins, server probes, and plain-words explanations of rustls handshake failures.
#[derive(Debug, Parser)]
#[command(name = "tlspin", version, after_help = EXIT_CODES)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    /// Print JSON on stdout instead of text.
    #[arg(long, global = true)]
    json: bool,
    /// Seconds allowed for each connect, read and write (1 to 3600).
    #[arg(
        long,
        global = true,
        default_value_t = 5,
        value_name = "SECONDS",
        value_parser = clap::value_parser!(u64).range(1..=3600)
    )]
    timeout: u64,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Print subject, issuer, validity, SANs, key type, SPKI pins and SHA-256 fingerprint of
    /// each certificate in a PEM or DER file, stdin (`-`), or the chain a server presents
    /// (HOST:PORT; the certificate is accepted, its handshake signature still verified); or the
    /// type and pins of a public-key file (PEM `PUBLIC KEY` or DER, as `openssl pkey -pubout`
    /// writes it).
    #[command(after_help = EXIT_CODES)]
    Pin {
        /// A PEM or DER certificate or public-key file, `-` for stdin, or HOST:PORT.
        input: String,
        /// The server name to send (SNI) when connecting; defaults to HOST.
        #[arg(long, value_name = "NAME")]
        sni: Option<String>,
        /// Run PROTO's plaintext preamble before TLS (HOST:PORT only).
        #[arg(long, value_name = "PROTO")]
        starttls: Option<Starttls>,
    },
    /// Report the protocol versions, cipher suites, groups and signature schemes a server
    /// supports, and whether each rustls provider (aws-lc-rs, ring) can talk to it, and why not.
    #[command(after_help = EXIT_CODES)]
    Probe {
        /// The server, as HOST:PORT (an IPv6 address in brackets: `[::1]:443`).
        target: String,
        /// The server name to send (SNI); defaults to HOST.
        #[arg(long, value_name = "NAME")]
        sni: Option<String>,
        /// Connections open at once, at most (1 to 64); 1 probes one connection at a time.
        #[arg(
            long,
            default_value_t = probe::pool::DEFAULT_PARALLEL,
            value_name = "N",
            value_parser = clap::value_parser!(u16).range(1..=64)
        )]
        parallel: u16,
        /// Run PROTO's plaintext preamble before TLS (the port stays required).
        #[arg(long, value_name = "PROTO")]
        starttls: Option<Starttls>,
    },
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            let _ = error.print();
            return ExitCode::from(if error.use_stderr() {
                Exit::Usage.code()
            } else {
                Exit::Success.code()
            });
        }
    };
    let json = cli.json;
    let result = run(cli);
    let (exit, output) = match result {
        Ok(output) => output,
        Err(failure) => {
            let _ = writeln!(io::stderr(), "tlspin: error: {failure}");
            if json {
                let body = ErrorJson {
                    error: &failure.message,
                    exit_code: failure.exit.code(),
                };
                (failure.exit, to_json(&body))
            } else {
                (failure.exit, String::new())
            }
        }
    };
    let mut stdout = io::stdout().lock();
    let _ = stdout.write_all(output.as_bytes());
    let _ = stdout.flush();
    ExitCode::from(exit.code())
}

#[derive(Serialize)]
struct ErrorJson<'a> {
    error: &'a str,
    exit_code: u8,
}

fn to_json(value: &impl Serialize) -> String {
    match serde_json::to_string_pretty(value) {
        Ok(text) => text + "\n",
        Err(e) => format!("{{\"error\": \"cannot serialize the report: {e}\"}}\n"),
    }
}

fn run(cli: Cli) -> Result<(Exit, String), Failure> {
    let timeout = Duration::from_secs(cli.timeout);
    match cli.command {
        Command::Pin {
            input,
            sni,
            starttls,
        } => {
            let report = match local_input(&input)? {
                Some((bytes, source)) => {
                    let flag = match (&sni, starttls) {
                        (Some(_), _) => Some("--sni"),
                        (None, Some(_)) => Some("--starttls"),
                        (None, None) => None,
                    };
                    if let Some(flag) = flag {
                        return Err(Failure::usage(format!(
                            "{flag} applies only when pinning a server (HOST:PORT), not a file"
                        )));
                    }
                    if is_public_key(&bytes) {
                        pin::from_public_key(&bytes, &source)?
                    } else {
                        pin::from_certificates(&read_certificates(&bytes, &source)?, &source)?
                    }
                }
                None => pin::from_server(
                    &Target::parse(&input, sni.as_deref(), timeout)?.with_starttls(starttls),
                )?,
            };
            let text = if cli.json {
                to_json(&report)
            } else {
                pin::render_report(&report)
            };
            Ok((Exit::Success, text))
        }
        Command::Probe {
            target,
            sni,
            parallel,
            starttls,
        } => {
            let target = Target::parse(&target, sni.as_deref(), timeout)?.with_starttls(starttls);
            let show_progress = io::stderr().is_terminal();
            let shown = target.display();
            let progress = |step: &str| {
                if show_progress {
                    let _ = write!(io::stderr(), "\r\x1b[2Kprobing {shown}: {step}...");
                }
            };
            let report = probe::probe(&target, usize::from(parallel), &progress);
            if show_progress {
                let _ = write!(io::stderr(), "\r\x1b[2K");
            }
            let report = report?;
            let text = if cli.json {
                to_json(&report)
            } else {
                probe::render(&report)
            };
            Ok((report.exit(), text))
        }
    }
}

/// The bytes of a local input (`-` or an existing file) and its name for messages; `None` if
/// `input` names neither (it is then taken as HOST:PORT).
fn local_input(input: &str) -> Result<Option<(Vec<u8>, String)>, Failure> {
    if input == "-" {
        return read_bounded(io::stdin().lock(), "stdin")
            .map(|bytes| Some((bytes, "stdin".into())));
    }
    let path = Path::new(input);
    if !path.exists() {
        if input.contains(':') {
            return Ok(None);
        }
        return Err(Failure::usage(format!(
            "expected a certificate or public-key file, `-` for stdin, or HOST:PORT; found {input:?}, which is \
             no existing file and has no ':PORT'"
        )));
    }
    let file = File::open(path).map_err(|e| Failure::usage(format!("cannot open {input}: {e}")))?;
    read_bounded(file, input).map(|bytes| Some((bytes, input.to_owned())))
}

fn read_bounded(reader: impl Read, source: &str) -> Result<Vec<u8>, Failure> {
    let mut bytes = Vec::new();
    reader
        .take(MAX_INPUT + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| Failure::usage(format!("cannot read {source}: {e}")))?;
    if bytes.len() as u64 > MAX_INPUT {
        return Err(Failure::usage(format!(
            "{source}: expected a certificate file of at most {MAX_INPUT} bytes, found more"
        )));
    }
    Ok(bytes)
}
