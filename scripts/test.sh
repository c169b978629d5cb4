#!/usr/bin/env bash
# Runs every test (unit, integration, doc) of the tlspin library once per provider feature set:
# ring alone, aws-lc-rs alone (the default), and both together; then the interop member
# (tlspin inside HTTP/gRPC/QUIC clients, and the OpenSSL/GnuTLS peer matrix), which always uses
# both providers. Tests that drive a real peer need the `openssl` binary, and the interop tests
# need GnuTLS's `gnutls-serv` and `gnutls-cli` too.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v openssl >/dev/null 2>&1; then
  echo "the tests need the openssl binary: apt-get install -y openssl (or your system's package)" >&2
  exit 1
fi

for tool in gnutls-serv gnutls-cli; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "the interop tests need $tool: apt-get install -y gnutls-bin (or your system's package)" >&2
    exit 1
  fi
done

for features in "--no-default-features --features ring" "" "--all-features"; do
  echo "== cargo test -p tlspin ${features:-(default features: aws-lc-rs)}"
  # shellcheck disable=SC2086
  cargo test -p tlspin --locked $features
done

echo "== cargo test -p tlspin-interop (both providers)"
cargo test -p tlspin-interop --locked
