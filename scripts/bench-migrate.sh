#!/usr/bin/env bash
# scripts/bench-migrate.sh: time `sprout db migrate` of the project's migrations (drizzle/, four
# migrations) on an empty database with hyperfine, release build. A benchmark, not a test.
# Usage: scripts/bench-migrate.sh [RUNS]   (SPROUT_BIN overrides build/release/sprout)
# Uses ../shared/bench/migrate-time.sh when present (same protocol as the other measurements),
# else hyperfine directly; the database lives in a temporary folder removed at the end.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
runs=${1:-30}
bin=${SPROUT_BIN:-$PWD/build/release/sprout}
[ -n "${SPROUT_BIN:-}" ] || make -s -j2 release
command -v hyperfine >/dev/null || { echo "bench-migrate: hyperfine not found (apt-get install hyperfine)" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
db="$tmp/bench.db"
shared=${SPROUT_SHARED:-$PWD/../shared}
if [ -x "$shared/bench/migrate-time.sh" ]; then
  OUT_JSON="$tmp/migrate-time.json" "$shared/bench/migrate-time.sh" "$db" "$runs" -- \
    "$bin" --migrations "$PWD/drizzle" db migrate
else
  hyperfine --runs "$runs" --warmup 1 -N --prepare "rm -f $db $db-wal $db-shm" \
    --export-json "$tmp/migrate-time.json" "$bin --db $db --migrations $PWD/drizzle db migrate"
  python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))["results"][0]; print("median %.1f ms" % (1000*r["median"]))' "$tmp/migrate-time.json"
fi
