#!/usr/bin/env bash
# Runs every test (unit, integration, doc): the tlspin library once per provider feature set
# (ring alone, aws-lc-rs alone (the default), and both together with every optional feature
# but `fips`); the FIPS tests on aws-lc-rs's FIPS module (feature `fips`: its build needs CMake
# and Go); then the CLI and the interop member (tlspin inside HTTP/gRPC/QUIC clients, and the
# OpenSSL/GnuTLS peer matrix), which always use both providers; then a stable replay of the fuzz
# corpora. Tests that drive a real peer need the `openssl` binary and GnuTLS's `gnutls-serv` and
# `gnutls-cli`. The rustls 0.24 member (tlspin-rustls024, on the rustls 0.24 prerelease) runs once,
# with both of its provider crates (rustls-aws-lc-rs, rustls-ring) in the one build.
#
# `scripts/test.sh quick` is the contributors' loop: the library's tests with default features
# (aws-lc-rs) and the CLI's tests, under a minute on a warm cache. The full run is CI's.
set -euo pipefail
cd "$(dirname "$0")/.."
mode="${1:-full}"
case "$mode" in
  full | quick) ;;
  *)
    echo "usage: scripts/test.sh [quick]" >&2
    exit 2
    ;;
esac

for tool in openssl gnutls-serv gnutls-cli; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "the tests need $tool: apt-get install -y openssl gnutls-bin (or your system's packages)" >&2
    exit 1
  fi
done
# The real servers of the CLI's `--starttls` tests (and the tokio-postgres interop test); .ci/run
# installs them.
for check in "ls /usr/lib/postgresql/*/bin/initdb:postgresql" "command -v mariadb-install-db:mariadb-server" \
  "test -x /usr/lib/dovecot/imap-login:dovecot-imapd" "test -x /usr/lib/dovecot/pop3-login:dovecot-pop3d" \
  "test -x /usr/lib/dovecot/managesieve-login:dovecot-managesieved" "test -x /usr/lib/dovecot/lmtp:dovecot-lmtpd" \
  "command -v slapd:slapd" "command -v exim:exim4-daemon-light" "command -v prosody:prosody" \
  "command -v inspircd:inspircd" "command -v vsftpd:vsftpd"; do
  if ! eval "${check%:*}" >/dev/null 2>&1; then
    echo "the STARTTLS tests need ${check##*:}: apt-get install -y ${check##*:} (.ci/run installs it)" >&2
    exit 1
  fi
done
if [ "$mode" = full ]; then
  for tool in cmake go; do
    if ! command -v "$tool" >/dev/null 2>&1; then
      echo "the FIPS build needs $tool: apt-get install -y cmake golang-go" >&2
      exit 1
    fi
  done
fi

# Every feature but `fips`, which replaces aws-lc-rs's module for the whole build and has its own
# run below.
all_but_fips="--features ring,aws-lc-rs,config,webpki-roots,native-roots,platform"

if [ "$mode" = quick ]; then
  echo "== cargo test -p tlspin (default features: aws-lc-rs)"
  cargo test -p tlspin --locked
  echo "== cargo test -p tlspin-cli"
  cargo test -p tlspin-cli --locked
  exit 0
fi

for features in "--no-default-features --features ring" "" "$all_but_fips"; do
  echo "== cargo test -p tlspin ${features:-(default features: aws-lc-rs)}"
  # shellcheck disable=SC2086
  cargo test -p tlspin --locked $features
done

echo "== cargo test -p tlspin --features fips,ring (FIPS module: fips() reports, schemes, handshakes)"
cargo test -p tlspin --locked --features fips,ring --test fips --test schemes --test pinned --test adversarial_round4

echo "== cargo test -p tlspin-cli"
cargo test -p tlspin-cli --locked

echo "== cargo test -p tlspin-interop (both providers)"
cargo test -p tlspin-interop --locked

echo "== cargo test -p tlspin-rustls024 (rustls 0.24 prerelease; rustls-aws-lc-rs and rustls-ring)"
cargo test -p tlspin-rustls024 --locked

echo "== fuzz corpus replay (stable)"
cargo test --manifest-path fuzz/Cargo.toml --lib --locked
