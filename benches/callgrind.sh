#!/usr/bin/env bash
# Instruction counts of the benchmark cases under `valgrind --tool=callgrind`, and their ratios.
# Counts only the measured loop (`--toggle-collect`), one profile dump per case
# (`--dump-after`); fixtures are generated once, outside the counted code.
#
# Usage: benches/callgrind.sh [verify|scale] [OUTPUT-DIR]
#   verify (default): floor, per-verification cost, parse-once experiment, handshakes
#   scale: pin-set, host-pattern and known-hosts lookups at 1 .. 1M entries
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v valgrind >/dev/null 2>&1; then
  echo "needs valgrind: apt-get install -y valgrind (or your system's package)" >&2
  exit 1
fi
mode="${1:-verify}"
case "$mode" in
  verify) suffix="" ;;
  scale) suffix="-scale" ;;
  *) echo "unknown mode $mode: expected verify or scale" >&2; exit 2 ;;
esac
out="${2:-target/callgrind-$mode}"
cargo build --profile bench --locked -p tlspin-benches --bin report
rm -rf "$out"
mkdir -p "$out"
valgrind --tool=callgrind --collect-atstart=no \
  --toggle-collect='*callgrind_measured*' \
  --dump-after='tlspin_benches::measure::callgrind_measured' \
  --callgrind-out-file="$out/callgrind.out" \
  target/release/report "callgrind-run$suffix" "$out/manifest.tsv" 2>"$out/valgrind.log"
target/release/report "callgrind-table$suffix" "$out/manifest.tsv" "$out/callgrind.out"
