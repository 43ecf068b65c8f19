#!/usr/bin/env bash
# scripts/callgrind-writes.sh: instructions per write request, counted by callgrind on the release
# server (docs/SERVER.md "Work per write request"). Deterministic where req/s on a shared
# machine is not: the same seeded database, the same requests (bench/fixed_load.py, fixed seeds).
#  1. build the release binary; seed a database through the API (bench/seed.sh), once per OUT;
#  2. per scenario and connection count: a fresh copy, optionally grown by GROW extra answers
#     and chat messages (the tables as they are after a few seconds of benchmark), the server
#     under valgrind --tool=callgrind --separate-threads=yes; WARM requests, counters zeroed,
#     CONNS x PER_CONN requests, counters dumped;
#  3. prints Ir per request: all threads, the writer thread, and all but libmicrohttpd's
#     memset of its connection pool (a `rep stosb` callgrind counts per byte).
# Usage: scripts/callgrind-writes.sh [scenario...]   (default: answer_post chat_post progress_post)
# Knobs: CONNS_LIST ["1 16"], PER_CONN [100 / conns, at least 8], WARM [50], GROW [0], OUT,
# BIN [build/release/sprout, built first] to count another binary (before/after comparisons).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/bench-lib.sh
need_tools callgrind-writes valgrind callgrind_control callgrind_annotate curl python3 sqlite3
SCENARIOS=("$@")
[ ${#SCENARIOS[@]} -gt 0 ] || SCENARIOS=(answer_post chat_post progress_post)
CONNS_LIST="${CONNS_LIST:-1 16}"
WARM="${WARM:-50}"
GROW="${GROW:-0}"
bench_bin
OUT="${OUT:-$PWD/bench/out/callgrind-$(date +%Y%m%d-%H%M%S)}"
mkdir -p "$OUT"
trap stop EXIT

if [ ! -s "$OUT/seeded.db" ]; then
  rm -f "$OUT"/seeded.db*
  DB_PATH="$OUT/seeded.db" "$BIN" db migrate >/dev/null
  PORT=$(free_port)
  "$BIN" serve --db "$OUT/seeded.db" --port "$PORT" --quiet >"$OUT/seed-server.log" 2>&1 & PID=$!
  wait_up "$PORT"
  SPROUT_DB="$OUT/seeded.db" bench/seed.sh "http://127.0.0.1:$PORT" "$OUT/ids.txt" >/dev/null 2>&1
  stop
fi

# grow DB N: N extra answers (spread over the seeded questions) and N chat messages, one
# transaction, straight into the file (the server is not running).
grow() {
  [ "$2" -gt 0 ] || return 0
  sqlite3 "$1" "
    WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $2),
      q AS (SELECT id, assessment_id, row_number() OVER (ORDER BY id) - 1 AS k FROM questions),
      nq AS (SELECT count(*) AS c FROM questions)
    INSERT INTO answers (id, user_id, assessment_id, question_id, answer_text, score)
      SELECT lower(hex(randomblob(16))), (SELECT user_id FROM answers LIMIT 1), q.assessment_id,
             q.id, 'grown', 0.5
      FROM n, nq JOIN q ON q.k = n.i % nq.c;
    WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $2),
      s AS (SELECT id, user_id, row_number() OVER (ORDER BY id) - 1 AS k FROM chat_sessions),
      ns AS (SELECT count(*) AS c FROM chat_sessions)
    INSERT INTO chat_messages (id, session_id, user_id, role, content)
      SELECT lower(hex(randomblob(16))), s.id, s.user_id, 'user', 'grown'
      FROM n, ns JOIN s ON s.k = n.i % ns.c;"
}

# Ir of libmicrohttpd's memset of its connection pool in the dump files given
ir_memset_mhd() {
  local f s=0 v
  for f in "$@"; do
    v=$(callgrind_annotate --threshold=100 --tree=caller "$f" 2>/dev/null |
      awk '/<.*libmicrohttpd/ {v = $1; gsub(/,/, "", v); c += v}
           /\*  .*memset/ {print c + 0; exit}
           /^$/ {c = 0}')
    s=$((s + ${v:-0}))
  done
  echo "$s"
}

printf 'scenario\tconns\trequests\tIr/req\twriter Ir/req\tIr/req without MHD memset\n' | tee "$OUT/table.tsv"
for sc in "${SCENARIOS[@]}"; do
  for conns in $CONNS_LIST; do
    per=${PER_CONN:-$(( 100 / conns < 8 ? 8 : 100 / conns ))}
    n=$((conns * per))
    dir="$OUT/$sc-c$conns"
    rm -rf "$dir"; mkdir -p "$dir"
    cp "$OUT/seeded.db" "$dir/work.db"
    grow "$dir/work.db" "$GROW"
    callgrind_count "$dir" "$dir/work.db" "$OUT/ids.txt" "$sc" "$conns" "$per"
    dumps=("$dir"/cg.out.1-*)
    writer=$(grep -l 'writer_main' "${dumps[@]}" || true)
    all=$(ir_total "${dumps[@]}")
    w=0; [ -n "$writer" ] && w=$(ir_total $writer)
    ms=$(ir_memset_mhd "${dumps[@]}")
    printf '%s\t%d\t%d\t%d\t%d\t%d\n' "$sc" "$conns" "$n" $((all / n)) $((w / n)) \
      $(((all - ms) / n)) | tee -a "$OUT/table.tsv"
  done
done
echo "results: $OUT"
