#!/usr/bin/env bash
# scripts/bench-server.sh [PASSES]: measure the release server with the project's benchmark
# workload (bench/: seeding over HTTP, the wrk scenarios, the tables; docs/SERVER.md has the results).
#
#  1. build the release binary;
#  2. create a fresh database (sprout db migrate), start the server on it (--quiet, free port),
#     seed it through the API with bench/seed.sh (SPROUT_DB set, so the dependency
#     edges are inserted too), stop it and keep that file as the seeded copy;
#  3. PASSES times (default 3): copy the seeded database, start the server, run
#     bench/run.sh with SERVER_PID, stop the server;
#  4. print the pooled table (table.py over every pass) and start-up time / idle RSS
#     (startup.py, 5 runs on fresh copies of the seeded database).
# Everything goes to bench/out/<timestamp>/ (git-ignored). run.sh knobs pass through the
# environment (DURATION, REPEAT, CONNS, THREADS, WARMUP, SCENARIOS, WRK_PREFIX, QUIET_WAIT);
# e.g. a quick look: REPEAT=1 DURATION=5s scripts/bench-server.sh 1
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
PASSES="${1:-3}"
BENCH="$PWD/bench"
source scripts/bench-lib.sh
need_tools bench-server wrk curl sqlite3 python3

make -j2 release >/dev/null
BIN="$PWD/build/release/sprout"
OUT="$PWD/bench/out/$(date +%Y%m%d-%H%M%S)"
mkdir -p "$OUT"
SEEDED="$OUT/seeded.db"
WORK="$OUT/work.db"
IDS="$OUT/ids.txt"

SERVER_PID=""
start_server() { # db port
  "$BIN" serve --db "$1" --port "$2" --quiet >"$OUT/server.log" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 1 500); do
    curl -sf "http://127.0.0.1:$2/api/health" >/dev/null 2>&1 && return 0
    kill -0 "$SERVER_PID" 2>/dev/null || { cat "$OUT/server.log" >&2; return 1; }
    sleep 0.02
  done
  echo "bench-server: server did not answer" >&2
  return 1
}
stop_server() {
  [ -n "$SERVER_PID" ] || return 0
  kill -TERM "$SERVER_PID" 2>/dev/null || true
  wait "$SERVER_PID" 2>/dev/null || true
  SERVER_PID=""
}
trap stop_server EXIT

echo "== seeding (results in $OUT)"
DB_PATH="$SEEDED" "$BIN" db migrate >/dev/null
PORT=$(free_port)
start_server "$SEEDED" "$PORT"
SPROUT_DB="$SEEDED" "$BENCH/seed.sh" "http://127.0.0.1:$PORT" "$IDS"
stop_server
rm -f "$SEEDED-wal" "$SEEDED-shm"

for pass in $(seq 1 "$PASSES"); do
  echo "== pass $pass of $PASSES"
  cp "$SEEDED" "$WORK"
  rm -f "$WORK-wal" "$WORK-shm"
  PORT=$(free_port)
  start_server "$WORK" "$PORT"
  SERVER_PID="$SERVER_PID" IDS="$IDS" OUT_DIR="$OUT/pass-$pass" "$BENCH/run.sh" "http://127.0.0.1:$PORT"
  stop_server
done

echo "== pooled over $PASSES pass(es)"
python3 "$BENCH/table.py" "$OUT"/pass-*/raw.tsv | tee "$OUT/table.md"

echo "== start-up time and idle RSS (seeded database)"
PORT=$(free_port)
python3 "$BENCH/startup.py" --runs 5 --before "cp '$SEEDED' '$WORK'; rm -f '$WORK-wal' '$WORK-shm'" \
  "http://127.0.0.1:$PORT" -- "$BIN" serve --db "$WORK" --port "$PORT" --quiet | tee "$OUT/startup.txt"
