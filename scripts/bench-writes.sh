#!/usr/bin/env bash
# scripts/bench-writes.sh: the write scenarios at synchronous=FULL (the default) against the
# libmicrohttpd ceiling measured in the same sitting (docs/SERVER.md "Writes at FULL").
#  1. build the release binary and bench/ceiling/hello_mhd;
#  2. seed a fresh database through the API (bench/seed.sh);
#  3. hello_mhd: the health scenario (the ceiling);
#  4. sprout on a fresh copy: health node_get chat_post answer_post progress_post mixed (FULL);
#  5. sprout on a fresh copy with SPROUT_SYNC=normal: the three write scenarios, for comparison.
# Knobs as bench/run.sh: REPEAT [2], DURATION [5s], WARMUP [2s], CONNS, THREADS.
# Everything goes to bench/out/writes-<timestamp>/ (git-ignored); the tables are printed.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/bench-lib.sh
export REPEAT="${REPEAT:-2}" DURATION="${DURATION:-5s}" WARMUP="${WARMUP:-2s}"
make -j2 release >/dev/null
make -s -C bench/ceiling
BIN="$PWD/build/release/sprout"
OUT="$PWD/bench/out/writes-$(date +%Y%m%d-%H%M%S)"
mkdir -p "$OUT"
export IDS="$OUT/ids.txt"
trap stop EXIT

echo "== seeding"
DB_PATH="$OUT/seeded.db" "$BIN" db migrate >/dev/null
PORT=$(free_port)
"$BIN" serve --db "$OUT/seeded.db" --port "$PORT" --quiet >"$OUT/seed-server.log" 2>&1 & PID=$!
wait_up "$PORT"
SPROUT_DB="$OUT/seeded.db" bench/seed.sh "http://127.0.0.1:$PORT" "$IDS" >/dev/null
stop

echo "== ceiling (hello_mhd)"
PORT=$(free_port)
bench/ceiling/hello_mhd "$PORT" 2 2>"$OUT/hello_mhd.log" & PID=$!
wait_up "$PORT"
SERVER_PID=$PID SCENARIOS=health OUT_DIR="$OUT/ceiling" bench/run.sh "http://127.0.0.1:$PORT" | tail -3
stop

run() { # label scenarios env...
  local label=$1 sc=$2; shift 2
  cp "$OUT/seeded.db" "$OUT/work.db"; rm -f "$OUT/work.db-wal" "$OUT/work.db-shm"
  PORT=$(free_port)
  env "$@" "$BIN" serve --db "$OUT/work.db" --port "$PORT" --quiet >"$OUT/server-$label.log" 2>&1 & PID=$!
  wait_up "$PORT"
  echo "== sprout, $label"
  SERVER_PID=$PID SCENARIOS="$sc" OUT_DIR="$OUT/$label" bench/run.sh "http://127.0.0.1:$PORT" | tail -8
  stop
}
run full "health node_get chat_post answer_post progress_post mixed"
run normal "chat_post answer_post progress_post" SPROUT_SYNC=normal
echo "results: $OUT"
