#!/usr/bin/env bash
# Runs every cargo-fuzz target for SECONDS each (default 20) on the nightly toolchain and fails
# on the first crash. New inputs go to fuzz/work/<target> (ignored by git); the checked-in seeds
# in fuzz/corpus/<target> are only read. Usage: scripts/fuzz.sh [SECONDS] [TARGET...]
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${1:-20}
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  mapfile -t targets < <(cargo +nightly fuzz list)
fi
for target in "${targets[@]}"; do
  echo "== fuzz $target for ${seconds}s"
  mkdir -p "fuzz/work/$target"
  # grep keeps the summary and any crash report and drops libFuzzer's progress lines.
  set +e
  cargo +nightly fuzz run --sanitizer none "$target" "fuzz/work/$target" "fuzz/corpus/$target" -- \
    -max_total_time="$seconds" -print_final_stats=1 2>&1 \
    | grep -E '^#[0-9]+[[:space:]]+DONE|^stat::(number_of_executed_units|average_exec_per_sec)|panicked|ERROR|SUMMARY|Test unit written'
  status=${PIPESTATUS[0]}
  set -e
  if [ "$status" -ne 0 ]; then
    echo "fuzz target $target failed (exit $status); the crashing input is under fuzz/artifacts/$target" >&2
    exit 1
  fi
done
