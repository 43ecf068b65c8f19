#!/usr/bin/env bash
# scripts/fuzz.sh [SECONDS] [TARGET...]: run each libFuzzer target of build/fuzz/ (make
# fuzz-build) for SECONDS (default 5) on a working copy of its committed seed corpus
# tests/fuzz/corpus/<target>/ (new inputs go to build/fuzz/corpus/, never into the repository).
# Prints one line per target: executions, executions/s, new coverage; exits 1 on any crash,
# leak, sanitizer report or timeout (the reproducer is left in build/fuzz/crashes/).
# Long runs: FUZZ_SECONDS=600 make fuzz, or scripts/fuzz.sh 600 http. See docs/FUZZING.md.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
secs=${1:-5}; shift || true
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=($(ls build/fuzz/ | sed -n 's/^fuzz_//p'))
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
export LSAN_OPTIONS="${LSAN_OPTIONS:-suppressions=$PWD/tests/support/lsan.supp:print_suppressions=0}"
mkdir -p build/fuzz/crashes build/fuzz/logs
fail=0
for t in "${targets[@]}"; do
  bin=build/fuzz/fuzz_$t
  [ -x "$bin" ] || { echo "fuzz: no $bin (run make fuzz-build)"; fail=1; continue; }
  work=build/fuzz/corpus/$t
  mkdir -p "$work"
  log=build/fuzz/logs/$t.log
  "$bin" -max_total_time="$secs" -timeout=20 -rss_limit_mb=2560 -max_len=65536 \
      -print_final_stats=1 -artifact_prefix=build/fuzz/crashes/$t- \
      "$work" tests/fuzz/corpus/$t > "$log" 2>&1
  rc=$?
  execs=$(grep -oE 'stat::number_of_executed_units: *[0-9]+' "$log" | grep -oE '[0-9]+$' | tail -1)
  speed=$(grep -oE 'stat::average_exec_per_sec: *[0-9]+' "$log" | grep -oE '[0-9]+$' | tail -1)
  cov=$(grep -oE 'cov: [0-9]+' "$log" | tail -1)
  if [ $rc -ne 0 ]; then
    echo "fuzz $t: FAILED (exit $rc) after ${execs:-?} executions; see $log and build/fuzz/crashes/"
    grep -E 'ERROR|SUMMARY|runtime error|Test unit written' "$log" | head -5
    fail=1
  else
    echo "fuzz $t: ${execs:-0} executions, ${speed:-0}/s, ${cov:-cov: ?}, 0 crashes"
  fi
done
exit $fail
