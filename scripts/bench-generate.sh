#!/usr/bin/env bash
# scripts/bench-generate.sh: time `sprout db generate` with no changes (the shipped drizzle/
# folder against the compiled-in schema: validate 4 snapshots, load the latest, diff, print
# "No schema changes") with hyperfine, release build. A benchmark, not a test.
# Usage: scripts/bench-generate.sh [RUNS]   (SPROUT_BIN overrides build/release/sprout)
# Works on a copy of drizzle/ in a temporary folder, so the project folder is never touched.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
runs=${1:-50}
bin=${SPROUT_BIN:-$PWD/build/release/sprout}
[ -n "${SPROUT_BIN:-}" ] || make -s -j2 release
command -v hyperfine >/dev/null || { echo "bench-generate: hyperfine not found (apt-get install hyperfine)" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp -r drizzle "$tmp/drizzle"
out=$("$bin" --migrations "$tmp/drizzle" db generate)
case "$out" in *"No schema changes"*) ;; *) echo "bench-generate: expected no changes, got: $out" >&2; exit 1;; esac
hyperfine --runs "$runs" --warmup 3 -N --export-json "$tmp/generate.json" \
  "$bin --migrations $tmp/drizzle db generate"
python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))["results"][0]; print("median %.2f ms" % (1000*r["median"]))' "$tmp/generate.json"
