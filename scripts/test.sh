#!/usr/bin/env bash
# Runs every test (unit, integration, doc) once per provider feature set: ring alone, aws-lc-rs
# alone (the default), and both together. Tests that drive a real peer need the `openssl` binary.
# Only the library package: the benchmark member depends on tlspin with both providers, which
# would unify every run to both (the benches are compiled by `.ci/run`).
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v openssl >/dev/null 2>&1; then
  echo "the tests need the openssl binary: apt-get install -y openssl (or your system's package)" >&2
  exit 1
fi

for features in "--no-default-features --features ring" "" "--all-features"; do
  echo "== cargo test -p tlspin ${features:-(default features: aws-lc-rs)}"
  # shellcheck disable=SC2086
  cargo test -p tlspin --locked $features
done
