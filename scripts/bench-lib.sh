# shellcheck shell=bash
# scripts/bench-lib.sh: helpers shared by the scripts/bench-*.sh drivers (sourced, not run).

# need_tools NAME TOOL...: stop (exit 1) naming the first TOOL not on PATH; NAME prefixes the message.
need_tools() {
  local name="$1" tool
  shift
  for tool in "$@"; do
    command -v "$tool" >/dev/null || { echo "$name: $tool not found" >&2; exit 1; }
  done
}

# free_port: print a TCP port free on 127.0.0.1 now.
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# bench_bin: BIN, when set, is the sprout binary to measure (e.g. another branch's, for an A/B
# comparison); else this tree's release build, built first.
bench_bin() {
  if [ -z "${BIN:-}" ]; then
    make -j2 release >/dev/null
    BIN="$PWD/build/release/sprout"
  fi
}

# wait_up PORT: until /api/health answers on 127.0.0.1:PORT (1 on giving up after 60 s: a
# server under valgrind starts slowly).
wait_up() {
  local _
  for _ in $(seq 1 1200); do
    curl -sf -o /dev/null "http://127.0.0.1:$1/api/health" && return 0
    sleep 0.05
  done
  return 1
}

# The one server a driver runs at a time: started in the background with its pid in PID;
# stop() ends it and waits for it (drivers set `trap stop EXIT`).
PID=""
stop() { [ -n "$PID" ] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null; PID=""; }

# callgrind_count DIR DB IDS SCENARIO CONNS PER_CONN: $BIN serving database DB under callgrind
# (one dump file a thread, DIR/cg.out.1-*): WARM requests of SCENARIO (bench/fixed_load.py with
# the ids file IDS), counters zeroed, CONNS x PER_CONN requests, counters dumped, server stopped.
callgrind_count() {
  local dir=$1 db=$2 ids=$3 sc=$4 conns=$5 per=$6 port
  port=$(free_port)
  valgrind --tool=callgrind --separate-threads=yes --callgrind-out-file="$dir/cg.out" \
    "$BIN" serve --db "$db" --port "$port" --quiet >"$dir/server.log" 2>&1 & PID=$!
  wait_up "$port"
  python3 bench/fixed_load.py "http://127.0.0.1:$port" "$ids" "$sc" 1 "$WARM"
  sleep 0.5
  callgrind_control -z "$PID" >/dev/null 2>&1
  python3 bench/fixed_load.py "http://127.0.0.1:$port" "$ids" "$sc" "$conns" "$per"
  callgrind_control -d "$PID" >/dev/null 2>&1
  stop
}

# ir_total FILE...: the instructions counted in callgrind dump files.
ir_total() { cat "$@" | awk '/^totals:/ {t += $2} END {print t + 0}'; }
