#!/usr/bin/env bash
# Instruction counts of every benchmark case under `valgrind --tool=callgrind`, and their ratios.
# Counts only the measured loop (`--toggle-collect`), one profile dump per case
# (`--dump-after`); fixtures are generated once, outside the counted code.
#
# Usage: benches/callgrind.sh [OUTPUT-DIR]   (default target/callgrind)
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v valgrind >/dev/null 2>&1; then
  echo "needs valgrind: apt-get install -y valgrind (or your system's package)" >&2
  exit 1
fi
out="${1:-target/callgrind}"
cargo build --profile bench --locked -p tlspin-benches --bin report
rm -rf "$out"
mkdir -p "$out"
valgrind --tool=callgrind --collect-atstart=no \
  --toggle-collect='*callgrind_measured*' --dump-after='tlspin_benches::measure::callgrind_measured' \
  --callgrind-out-file="$out/callgrind.out" \
  target/release/report callgrind-run "$out/manifest.tsv" 2>"$out/valgrind.log"
target/release/report callgrind-table "$out/manifest.tsv" "$out/callgrind.out"
