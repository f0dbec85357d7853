#!/usr/bin/env bash
# Runs fuzz targets one after the other (docs/RELIABILITY.md, "Fuzzing").
#   fuzz/run.sh [SECONDS] [TARGET...]     default: 600 s each, every target
# The committed seeds in fuzz/corpus/<target>/ are read; what a run adds goes to
# $FUZZ_WORK/corpus/<target> (default /tmp/refcan-fuzz), the log to $FUZZ_WORK/<target>.log,
# crashes to fuzz/artifacts/<target>/. Limits: 2 GB RSS, 1 GB per allocation, 10 s per input.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-600}"
shift || true
work="${FUZZ_WORK:-/tmp/refcan-fuzz}"
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  mapfile -t targets < <(cargo +nightly fuzz list)
fi
mkdir -p "$work"
for t in "${targets[@]}"; do
  mkdir -p "$work/corpus/$t"
  echo "== $t: ${seconds}s, log $work/$t.log"
  cargo +nightly fuzz run -a ${FUZZ_TARGET_DIR:+--target-dir "$FUZZ_TARGET_DIR"} "$t" \
    "$work/corpus/$t" "fuzz/corpus/$t" -- \
    -max_total_time="$seconds" -rss_limit_mb=2048 -malloc_limit_mb=1024 -timeout=10 \
    -report_slow_units=2 -print_final_stats=1 >"$work/$t.log" 2>&1 || {
    echo "!! $t stopped early: see $work/$t.log and fuzz/artifacts/$t/"
  }
  grep -E "INITED|^Done|DONE|stat::number_of_executed_units|stat::average_exec_per_sec" \
    "$work/$t.log" | head -6 || true
  tail -n 3 "$work/$t.log" | grep -E "#[0-9]+" || true
done
