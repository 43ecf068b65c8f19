#!/usr/bin/env bash
# scripts/callgrind-reads.sh: instructions per read request, counted by callgrind on the release
# server, on a seeded database of either engine (docs/POSTGRESQL.md "Reads"). Deterministic where
# req/s on a shared machine is not: the same database, the same requests (bench/fixed_load.py,
# fixed seeds), so two binaries compare on the same work.
#  1. the server (BIN, default build/release/sprout, built first) under valgrind
#     --tool=callgrind --separate-threads=yes on DB (a SQLite file or a postgres:// URL, seeded
#     by bench/seed.sh with its ids in IDS; a SQLite file is copied first, a PostgreSQL database
#     is only read);
#  2. per scenario: WARM requests, counters zeroed, CONNS x PER_CONN requests, counters dumped;
#  3. prints Ir per request: all of sprout's threads (PostgreSQL's own work is not in it: see
#     pg_stat_statements for that side).
# Usage: DB=... IDS=... scripts/callgrind-reads.sh [scenario...]   (default: chat_list nodes_list
# node_get). Knobs: CONNS [1], PER_CONN [200], WARM [50], OUT, BIN.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/bench-lib.sh
need_tools callgrind-reads valgrind callgrind_control curl python3
: "${DB:?DB= a seeded SQLite file or postgres:// URL}" "${IDS:?IDS= the ids file bench/seed.sh wrote}"
SCENARIOS=("$@")
[ ${#SCENARIOS[@]} -gt 0 ] || SCENARIOS=(chat_list nodes_list node_get)
CONNS="${CONNS:-1}"
PER_CONN="${PER_CONN:-200}"
WARM="${WARM:-50}"
bench_bin
OUT="${OUT:-$PWD/bench/out/callgrind-reads-$(date +%Y%m%d-%H%M%S)}"
mkdir -p "$OUT"
trap stop EXIT

printf 'scenario\tconns\trequests\tIr/req\n' | tee "$OUT/table.tsv"
for sc in "${SCENARIOS[@]}"; do
  n=$((CONNS * PER_CONN))
  dir="$OUT/$sc"
  rm -rf "$dir"; mkdir -p "$dir"
  db=$DB
  case $DB in
  postgres://* | postgresql://*) ;;
  *) cp "$DB" "$dir/work.db"; db="$dir/work.db" ;;
  esac
  callgrind_count "$dir" "$db" "$IDS" "$sc" "$CONNS" "$PER_CONN"
  all=$(ir_total "$dir"/cg.out.1-*)
  printf '%s\t%d\t%d\t%d\n' "$sc" "$CONNS" "$n" $((all / n)) | tee -a "$OUT/table.tsv"
done
echo "results: $OUT"
