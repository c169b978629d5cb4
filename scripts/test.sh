#!/usr/bin/env bash
# Runs every test (unit, integration, doc) once per provider feature set: ring alone, aws-lc-rs
# alone (the default), and both together. Tests that drive a real peer need the `openssl` binary.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v openssl >/dev/null 2>&1; then
  echo "the tests need the openssl binary: apt-get install -y openssl (or your system's package)" >&2
  exit 1
fi

for features in "--no-default-features --features ring" "" "--all-features"; do
  echo "== cargo test --workspace ${features:-(default features: aws-lc-rs)}"
  # shellcheck disable=SC2086
  cargo test --workspace --locked $features
done

echo "== fuzz corpus replay (stable)"
cargo test --manifest-path fuzz/Cargo.toml --lib --locked
