#!/usr/bin/env bash
# scripts/bench-migrate.sh: time `sprout db migrate` of the project's migrations (drizzle/, four
# migrations) on an empty database with hyperfine, release build. A benchmark, not a test.
# Usage: scripts/bench-migrate.sh [RUNS]   (SPROUT_BIN overrides build/release/sprout)
# Uses bench/migrate-time.sh (hyperfine, the same protocol as the other measurements); the
# database lives in a temporary folder removed at the end.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
runs=${1:-30}
bin=${SPROUT_BIN:-$PWD/build/release/sprout}
[ -n "${SPROUT_BIN:-}" ] || make -s -j2 release
command -v hyperfine >/dev/null || { echo "bench-migrate: hyperfine not found (apt-get install hyperfine)" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
db="$tmp/bench.db"
OUT_JSON="$tmp/migrate-time.json" bench/migrate-time.sh "$db" "$runs" -- \
  "$bin" --migrations "$PWD/drizzle" db migrate
