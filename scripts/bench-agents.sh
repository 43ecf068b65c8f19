#!/usr/bin/env bash
# scripts/bench-agents.sh [RUNS] [TURN_RUNS]: the agent-run benchmarks of issue 7 (docs/agents-runs.md
# has the results), against the release build and the fake model in standalone mode
# (tests/support/fake_model.py, loopback only: no cloud model is ever reached).
#
#  1. streams: fake model answering every call after 2 s; RUNS (default 200) topic runs streaming
#     at once (SPROUT_AGENT_WORKERS=64, the rest queued); the server's resident memory (peak) and
#     REST reads meanwhile (wrk, GET /api/nodes/:id: p50/p99);
#  2. turns: fake model answering at once and calling every tool REPEAT (8) times, so a topic run
#     saves 8 concepts and bootstraps each; TURN_RUNS (default 20) topic runs one after another:
#     the wall time of a whole run, and the server's CPU time per model call (tool-loop turn).
# The fake model runs at nice 10: it stands for a remote service, and its CPU (Python, a thread
# per open model call) should not count against the server's latency on a 2-core machine.
# Everything goes to bench/out/agents-<timestamp>/ (git-ignored); the last lines are the JSON
# results. Knobs: WORKERS (64), DELAY (2), WRK_SECONDS (5), REPEAT (8).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
RUNS="${1:-200}"
TURN_RUNS="${2:-20}"
REPEAT="${REPEAT:-8}"
WORKERS="${WORKERS:-64}"
DELAY="${DELAY:-2}"
WRK_SECONDS="${WRK_SECONDS:-5}"
source scripts/bench-lib.sh
need_tools bench-agents wrk curl python3

make -j2 release >/dev/null
BIN="$PWD/build/release/sprout"
OUT="$PWD/bench/out/agents-$(date +%Y%m%d-%H%M%S)"
mkdir -p "$OUT"

FAKE_PID=""; SERVER_PID=""
stop_all() {
  for p in "$SERVER_PID" "$FAKE_PID"; do
    [ -n "$p" ] || continue
    kill -TERM "$p" 2>/dev/null || true
    wait "$p" 2>/dev/null || true
  done
  SERVER_PID=""; FAKE_PID=""
}
trap stop_all EXIT

start_fake() { # delay repeat
  FAKE_PORT=$(free_port)
  nice -n 10 python3 tests/support/fake_model.py --port "$FAKE_PORT" --delay "$1" --repeat "$2" >"$OUT/fake-$1.log" 2>&1 &
  FAKE_PID=$!
  for _ in $(seq 1 250); do
    curl -s -o /dev/null "http://127.0.0.1:$FAKE_PORT/" && return 0
    sleep 0.02
  done
  echo "bench-agents: the fake model did not start" >&2; return 1
}

start_server() { # log quiet-flag
  PORT=$(free_port)
  rm -f "$OUT/bench.db"*
  (cd "$OUT" && env -u ANTHROPIC_API_KEY -u ANTHROPIC_AUTH_TOKEN -u LLM_PROVIDER \
     ANTHROPIC_BASE_URL="http://127.0.0.1:$FAKE_PORT" SPROUT_AGENT_WORKERS="$WORKERS" \
     SPROUT_AGENT_QUEUE=100000 DB_PATH="$OUT/bench.db" \
     "$BIN" serve --port "$PORT" $2 >"$1" 2>&1) &
  SERVER_PID=$!
  for _ in $(seq 1 500); do
    curl -sf "http://127.0.0.1:$PORT/api/health" >/dev/null 2>&1 && break
    sleep 0.02
  done
  # the subshell's child is the server: measure that process
  SPROUT_PID=$(pgrep -P "$SERVER_PID" -x sprout || echo "$SERVER_PID")
}

echo "== streams: $RUNS topic runs at once, model delay ${DELAY}s, $WORKERS agent workers (results in $OUT)"
start_fake "$DELAY" 1
start_server "$OUT/server-streams.log" --quiet
python3 scripts/bench_agents.py streams --url "http://127.0.0.1:$PORT" --pid "$SPROUT_PID" \
  --runs "$RUNS" --wrk-seconds "$WRK_SECONDS" | tee "$OUT/streams.json"
stop_all

echo "== turns: $TURN_RUNS topic runs one after another, model delay 0, every tool called $REPEAT times"
start_fake 0 "$REPEAT"
start_server "$OUT/server-turns.log" ""
python3 scripts/bench_agents.py turns --url "http://127.0.0.1:$PORT" --pid "$SPROUT_PID" \
  --log "$OUT/server-turns.log" --runs "$TURN_RUNS" | tee "$OUT/turns.json"
stop_all
