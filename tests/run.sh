#!/usr/bin/env bash
# tests/run.sh: run every test: the C unit tests (sanitizer build), then the pytest suites
# (conformance, CLI, end to end against the real binary built with ASan+UBSan).
# Prints a final "N passed, N failed" line and exits non-zero on any failure.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:exitcode=86}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1:exitcode=87}"
export LSAN_OPTIONS="${LSAN_OPTIONS:-suppressions=$PWD/tests/support/lsan.supp:print_suppressions=0}"
export SPROUT_BIN="${SPROUT_BIN:-$PWD/build/debug/sprout}"
passed=0; failed=0
# The unit tests are the sources tests/unit/<layer>/test_*.c; each must have been built (make
# units) into build/debug/tests/<layer>/test_*: a missing binary is a failure, not a skip.
units=$(cd tests/unit && find . -name 'test_*.c' | sed -e 's|^\./||' -e 's|\.c$||' | sort)
[ -n "$units" ] || { echo "no unit tests found under tests/unit"; failed=1; }
for u in $units; do
  t=build/debug/tests/$u
  if [ ! -x "$t" ]; then
    echo "FAILED: $t missing (run make units)"; failed=$((failed + 1)); continue
  fi
  out=$("$t" 2>&1); rc=$?
  line=$(printf '%s\n' "$out" | grep -E '[0-9]+ passed, [0-9]+ failed' | tail -1)
  p=$(printf '%s' "$line" | sed -E 's/.* ([0-9]+) passed.*/\1/'); f=$(printf '%s' "$line" | sed -E 's/.* ([0-9]+) failed.*/\1/')
  [ -z "$line" ] && { p=0; f=1; }
  [ $rc -ne 0 ] && [ "${f:-0}" -eq 0 ] && f=1
  passed=$((passed + p)); failed=$((failed + f))
  if [ $rc -ne 0 ]; then printf '%s\n' "$out"; echo "FAILED: $t (exit $rc)"; else echo "$line"; fi
done
echo "unit: $passed passed, $failed failed"
[ -x "$SPROUT_BIN" ] || { echo "FAILED: $SPROUT_BIN missing (run make debug)"; failed=$((failed + 1)); }
PYTEST=(/usr/bin/python3 -m pytest)
"${PYTEST[@]}" -q -p no:cacheprovider tests/ "$@" | tee build/pytest.log
prc=${PIPESTATUS[0]}
summary=$(grep -E '[0-9]+ (passed|failed|errors?)( |,|$)' build/pytest.log | grep -E ' in [0-9.]+s' | tail -1)
pp=$(printf '%s' "$summary" | grep -oE '[0-9]+ passed' | grep -oE '[0-9]+' || echo 0)
pf=$(printf '%s' "$summary" | grep -oE '[0-9]+ (failed|errors?)' | grep -oE '[0-9]+' | awk '{s+=$1} END {print s+0}')
[ $prc -ne 0 ] && [ "${pf:-0}" -eq 0 ] && pf=1
passed=$((passed + ${pp:-0})); failed=$((failed + ${pf:-0}))
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
