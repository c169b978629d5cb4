#!/usr/bin/env bash
# Runs every test (unit, integration, doc): the library once per provider feature set (ring
# alone, aws-lc-rs alone (the default), and both together), then the CLI (which always has both).
# Tests that drive a real peer need the `openssl` binary, and the CLI's also `gnutls-serv`.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v openssl >/dev/null 2>&1; then
  echo "the tests need the openssl binary: apt-get install -y openssl (or your system's package)" >&2
  exit 1
fi
if ! command -v gnutls-serv >/dev/null 2>&1; then
  echo "the CLI tests need gnutls-serv: apt-get install -y gnutls-bin (or your system's package)" >&2
  exit 1
fi

for features in "--no-default-features --features ring" "" "--all-features"; do
  echo "== cargo test -p tlspin ${features:-(default features: aws-lc-rs)}"
  # shellcheck disable=SC2086
  cargo test -p tlspin --locked $features
done

echo "== cargo test -p tlspin-cli"
cargo test -p tlspin-cli --locked

echo "== fuzz corpus replay (stable)"
cargo test --manifest-path fuzz/Cargo.toml --lib --locked
