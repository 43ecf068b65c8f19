#!/usr/bin/env bash
# scripts/bench-pg.sh: the shared workload (bench/) on SQLite, on PostgreSQL with one
# `sprout serve` and on PostgreSQL with two `sprout serve` behind one address, in one sitting,
# against the libmicrohttpd ceiling measured in the same sitting (docs/POSTGRESQL.md,
# "Benchmarks").
#  1. build the release binary and bench/ceiling/hello_mhd;
#  2. start a throw-away PostgreSQL server (initdb in bench/out/pg-<timestamp>/pg, 127.0.0.1 on
#     a free port, trust for the role `sprout`; as root the server runs as the unprivileged
#     `postgres` or `nobody` account, the tests/support/pgserver.py recipe), with the benchmark
#     settings below (printed), and stop it at the end;
#  3. seed a SQLite file and a PostgreSQL database through the API (bench/seed.sh; the edges
#     through sqlite3 / psql), VACUUM ANALYZE the PostgreSQL one;
#  4. hello_mhd: the health scenario (the ceiling);
#  5. every scenario on a fresh copy (cp / CREATE DATABASE ... TEMPLATE) for: sqlite (one
#     server), pg1 (one server), pg2 (two servers on one port: SPROUT_REUSE_PORT=1, the kernel
#     spreads the connections over both);
#  6. print the table (scripts/bench_pg_table.py): req/s, share of the ceiling and × the
#     original backend's share (bench/RESULTS.md), p99, resident memory of sprout (both
#     instances summed) and of the PostgreSQL server (PSS of all its processes, shared buffers
#     counted once).
# Knobs as bench/run.sh: REPEAT [2], DURATION [5s], WARMUP [1s], CONNS, THREADS, SCENARIOS;
# PG_SYNC [on] (synchronous_commit: on = a durable commit, like SQLite's FULL; off = faster,
# loses the last commits on a crash), PG_THREADS [""] (SPROUT_THREADS of each server on
# PostgreSQL; "" = sprout's default there, 4 per core and at least 16: a worker waits for the
# network and for each commit's WAL flush; SQLite keeps its default), PG_CONF [""] (more
# server settings, ';'-separated, e.g. "commit_delay=200;commit_siblings=2"), CONFIGS
# ["sqlite pg1 pg2"; pg1:N / pg2:N = that configuration with SPROUT_THREADS=N, in OUT/pg1-tN,
# not in the table], SPROUT_BIN [build/release/sprout, built first; another binary for A/B
# comparisons, e.g. main's], PG_STATEMENTS [0; 1 = load pg_stat_statements and write each PG
# configuration's statements, with their calls and mean time in the server, to
# OUT/<config>/statements.txt].
# Defaults finish in about 9 minutes. Results go to bench/out/pg-<timestamp>/ (git-ignored).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/bench-lib.sh
need_tools bench-pg wrk curl sqlite3 python3
export REPEAT="${REPEAT:-2}" DURATION="${DURATION:-5s}" WARMUP="${WARMUP:-1s}"
PG_SYNC="${PG_SYNC:-on}"
PG_THREADS="${PG_THREADS:-}"
PG_CONF="${PG_CONF:-}"
CONFIGS="${CONFIGS:-sqlite pg1 pg2}"
PG_STATEMENTS="${PG_STATEMENTS:-0}"
if [ -n "${SPROUT_BIN:-}" ]; then
  BIN=$(realpath "$SPROUT_BIN")
else
  make -j2 release >/dev/null
  BIN="$PWD/build/release/sprout"
fi
make -s -C bench/ceiling
OUT="$PWD/bench/out/pg-$(date +%Y%m%d-%H%M%S)"
mkdir -p "$OUT"
export IDS_SQLITE="$OUT/ids-sqlite.txt" IDS_PG="$OUT/ids-pg.txt"

# shellcheck disable=SC2012
PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -n "$PGBIN" ] || PGBIN=$(dirname "$(command -v pg_ctl || echo /nonexistent/pg_ctl)")
[ -x "$PGBIN/initdb" ] || { echo "bench-pg: PostgreSQL not found (scripts/install-deps.sh installs postgresql)" >&2; exit 1; }
export PSQL="$PGBIN/psql"
PGBASE="$OUT/pg"
PGDATA="$PGBASE/data"
PGPORT=$(free_port)
mkdir -p "$PGBASE"
as_pg=()
if [ "$(id -u)" = 0 ]; then # PostgreSQL refuses to run as root
  pguser=postgres
  id "$pguser" >/dev/null 2>&1 || pguser=nobody
  chown "$pguser" "$PGBASE"
  chmod 755 "$OUT" "$PGBASE"
  as_pg=(setpriv --reuid "$(id -u "$pguser")" --regid "$(id -g "$pguser")" --clear-groups --)
fi
pgsql() { PGOPTIONS="-c client_min_messages=warning" "$PSQL" -X -q -At -v ON_ERROR_STOP=1 -d "postgres://sprout@127.0.0.1:$PGPORT/${2:-postgres}" -c "$1"; }

PIDS=""
SAMPLER=""
stop_servers() {
  local p
  for p in $PIDS; do kill "$p" 2>/dev/null || true; done
  for p in $PIDS; do wait "$p" 2>/dev/null || true; done
  PIDS=""
}
cleanup() {
  stop_servers
  [ -n "$SAMPLER" ] && kill "$SAMPLER" 2>/dev/null
  [ -f "$PGDATA/postmaster.pid" ] && (cd "$PGBASE" && "${as_pg[@]}" "$PGBIN/pg_ctl" -D "$PGDATA" -m fast -w stop >/dev/null 2>&1)
  return 0
}
trap cleanup EXIT

echo "== PostgreSQL ($PGBIN) on 127.0.0.1:$PGPORT"
(cd "$PGBASE" && "${as_pg[@]}" "$PGBIN/initdb" -D "$PGDATA" -U sprout --auth=trust -E UTF8 \
  --locale=C --no-sync >"$PGBASE/initdb.log")
# Benchmark settings: the data set (~10 MB) fits the shared buffers many times over; no
# checkpoint during a run (max_wal_size, checkpoint_timeout); no JIT (it only costs on short
# queries); durable commits as SQLite's synchronous=FULL unless PG_SYNC=off.
cat >>"$PGDATA/postgresql.conf" <<EOF
# scripts/bench-pg.sh
listen_addresses = '127.0.0.1'
port = $PGPORT
unix_socket_directories = '$PGDATA'
max_connections = 100
shared_buffers = 128MB
work_mem = 4MB
synchronous_commit = $PG_SYNC
fsync = on
wal_buffers = 16MB
max_wal_size = 4GB
checkpoint_timeout = 30min
jit = off
random_page_cost = 1.1
EOF
[ -z "$PG_CONF" ] || tr ';' '\n' <<<"$PG_CONF" >>"$PGDATA/postgresql.conf"
[ "$PG_STATEMENTS" = 1 ] && echo "shared_preload_libraries = 'pg_stat_statements'" >>"$PGDATA/postgresql.conf"
(cd "$PGBASE" && "${as_pg[@]}" "$PGBIN/pg_ctl" -D "$PGDATA" -l "$PGBASE/log" -w -t 60 start >/dev/null)
echo "PostgreSQL $(pgsql 'SHOW server_version'), settings:"
pgsql "SELECT name || ' = ' || setting || coalesce(' ' || unit, '') FROM pg_settings WHERE name IN
  ('shared_buffers','work_mem','synchronous_commit','fsync','full_page_writes','wal_buffers',
   'max_wal_size','checkpoint_timeout','jit','random_page_cost','max_connections','wal_level',
   'commit_delay','commit_siblings','wal_writer_delay','wal_writer_flush_after')
  ORDER BY name" | sed 's/^/  /'
PGURL="postgres://sprout@127.0.0.1:$PGPORT"

NSTART=0
LOGS=""
wait_up() { # port: health answers and every server started printed its start line
  local port=$1 p f ok
  for _ in $(seq 1 400); do
    ok=1
    for p in $PIDS; do
      # shellcheck disable=SC2086
      kill -0 "$p" 2>/dev/null || { echo "bench-pg: server $p died:" >&2; cat $LOGS >&2; return 1; }
    done
    for f in $LOGS; do grep -q "Sprout backend running" "$f" 2>/dev/null || ok=0; done
    [ $ok = 1 ] && curl -sf -o /dev/null "http://127.0.0.1:$port/api/health" && return 0
    sleep 0.05
  done
  echo "bench-pg: server did not answer" >&2
  return 1
}
start_servers() { # n db port [env...]
  local n=$1 db=$2 port=$3 log
  shift 3
  LOGS=""
  for _ in $(seq 1 "$n"); do
    NSTART=$((NSTART + 1))
    log="$OUT/server-$NSTART.log"
    env "$@" "$BIN" serve --db "$db" --port "$port" --quiet >"$log" 2>&1 &
    PIDS="$PIDS $!"
    LOGS="$LOGS $log"
  done
  wait_up "$port"
}

echo "== seeding SQLite and PostgreSQL through the API"
DB_PATH="$OUT/seeded.db" "$BIN" db migrate >/dev/null
PORT=$(free_port)
start_servers 1 "$OUT/seeded.db" "$PORT"
SPROUT_DB="$OUT/seeded.db" bench/seed.sh "http://127.0.0.1:$PORT" "$IDS_SQLITE" 2>/dev/null
stop_servers
pgsql "CREATE DATABASE seeded"
pgsql "ALTER DATABASE seeded SET synchronous_commit = off" # seeding only: sequential requests
PORT=$(free_port)
start_servers 1 "$PGURL/seeded" "$PORT"
SPROUT_DB="$PGURL/seeded" bench/seed.sh "http://127.0.0.1:$PORT" "$IDS_PG" 2>/dev/null
stop_servers
pgsql "ALTER DATABASE seeded RESET synchronous_commit"
pgsql "VACUUM ANALYZE" seeded
[ "$PG_STATEMENTS" = 1 ] && pgsql "CREATE EXTENSION pg_stat_statements" seeded

# peak PSS (kB) of all PostgreSQL processes (postmaster and its children) every 200 ms -> $1
pg_pss() {
  local pm kids
  pm=$(head -1 "$PGDATA/postmaster.pid")
  kids=$(pgrep -P "$pm" | tr '\n' ' ')
  # shellcheck disable=SC2086
  for p in $pm $kids; do # a backend may exit meanwhile: not an error
    awk '/^Pss:/ {print $2}' "/proc/$p/smaps_rollup" 2>/dev/null || true
  done | awk '{t += $1} END {print t + 0}'
}
pg_sampler() {
  local max=0 v
  while :; do
    v=$(pg_pss)
    [ "$v" -gt "$max" ] && { max=$v; echo "$max" >"$1"; }
    sleep 0.2
  done
}

echo "== ceiling (hello_mhd)"
PORT=$(free_port)
bench/ceiling/hello_mhd "$PORT" 2 2>"$OUT/hello_mhd.log" &
PIDS=$!
for _ in $(seq 1 200); do curl -sf -o /dev/null "http://127.0.0.1:$PORT/api/health" && break; sleep 0.05; done
IDS="$IDS_SQLITE" SCENARIOS=health OUT_DIR="$OUT/ceiling" bench/run.sh "http://127.0.0.1:$PORT" | tail -3
stop_servers

uptime | tee "$OUT/uptime-before.txt"
for cfg in $CONFIGS; do
  PORT=$(free_port)
  threads_env=${PG_THREADS:+SPROUT_THREADS=$PG_THREADS}
  case $cfg in # pg1:N / pg2:N: that configuration with SPROUT_THREADS=N, in OUT/pg1-tN
  pg[12]:*) threads_env="SPROUT_THREADS=${cfg#*:}" ;;
  esac
  dir=${cfg/:/-t}
  echo 0 >"$OUT/pg-pss-$dir.txt"
  case $cfg in
  sqlite)
    cp "$OUT/seeded.db" "$OUT/work.db"
    rm -f "$OUT/work.db-wal" "$OUT/work.db-shm"
    start_servers 1 "$OUT/work.db" "$PORT"
    ids=$IDS_SQLITE
    ;;
  pg1 | pg2 | pg1:* | pg2:*)
    pgsql "DROP DATABASE IF EXISTS work"
    pgsql "CREATE DATABASE work TEMPLATE seeded"
    n=1
    [ "${cfg%%:*}" = pg2 ] && n=2
    # shellcheck disable=SC2086
    start_servers "$n" "$PGURL/work" "$PORT" SPROUT_REUSE_PORT=1 $threads_env
    ids=$IDS_PG
    [ "$PG_STATEMENTS" = 1 ] && pgsql "SELECT pg_stat_statements_reset()" work >/dev/null
    pg_pss >"$OUT/pg-pss-idle-$dir.txt"
    pg_sampler "$OUT/pg-pss-$dir.txt" &
    SAMPLER=$!
    ;;
  *) echo "bench-pg: unknown config $cfg (sqlite, pg1, pg2)" >&2; exit 2 ;;
  esac
  threads=""
  [ "$cfg" != sqlite ] && [ -n "$threads_env" ] && threads=" ($threads_env)"
  echo "== $cfg: sprout pid(s)$PIDS$threads"
  SERVER_PID="${PIDS# }" IDS="$ids" OUT_DIR="$OUT/$dir" bench/run.sh "http://127.0.0.1:$PORT" | tail -15
  [ -n "$SAMPLER" ] && { kill "$SAMPLER" 2>/dev/null; wait "$SAMPLER" 2>/dev/null || true; SAMPLER=""; }
  if [ "$PG_STATEMENTS" = 1 ] && [ "$cfg" != sqlite ]; then # calls | mean µs | rows per call | SQL
    pgsql "SELECT calls || ' | ' || round((mean_exec_time * 1000)::numeric, 1) || ' | ' ||
      round(rows::numeric / calls, 1) || ' | ' || left(regexp_replace(query, '\s+', ' ', 'g'), 160)
      FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = 'work')
      AND calls >= 100 ORDER BY total_exec_time DESC" work >"$OUT/$dir/statements.txt"
  fi
  stop_servers
done
uptime | tee "$OUT/uptime-after.txt"

echo "== results ($OUT)"
python3 scripts/bench_pg_table.py "$OUT" | tee "$OUT/table.md"
