#!/usr/bin/env bash
# scripts/check-source.sh: source rules a compiler does not enforce (run by `make check`).
# 1. banned functions; 2. includes only point down the layers (STYLE.md §3); 3. no environment
# reads below cli/; 4. every source file opens with a comment saying what it is for.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
fail=0
bad=$(grep -nE '\b(strcpy|strcat|sprintf|vsprintf|gets|atoi|strtok)\s*\(' $(find src -name '*.[ch]') | grep -v 'snprintf\|vsnprintf' || true)
[ -n "$bad" ] && { echo "banned functions:"; echo "$bad"; fail=1; }

# layer -> project folders it may include
declare -A allowed=(
  [util]="util"
  [db]="util db"
  [storage]="util db storage"
  [objects]="util objects"
  [extract]="util extract"
  [llm]="util llm"
  [runs]="util runs"
  [agents]="util storage extract llm runs agents db/model.h db/schema.h"
  [api]="util storage objects extract llm runs agents api db/model.h db/schema.h"
  [http]="util runs api http"
  [cli]="util db storage objects extract llm runs agents api http cli"
)
for layer in "${!allowed[@]}"; do
  [ -d "src/$layer" ] || continue
  while IFS= read -r line; do
    file=${line%%:*}; inc=$(printf '%s' "$line" | sed -E 's/.*#include "([^"]+)".*/\1/')
    ok=0
    for a in ${allowed[$layer]}; do
      case "$inc" in "$a"|"$a"/*) ok=1 ;; esac
    done
    [ $ok -eq 0 ] && { echo "layer rule: $file includes $inc"; fail=1; }
  done < <(grep -n '#include "' $(find "src/$layer" -name '*.[ch]') 2>/dev/null)
done
# external headers per layer
grep -ln 'include <microhttpd.h>' $(find src -name '*.[ch]') | grep -v '^src/http/' | sed 's/^/microhttpd.h outside http\/: /' | grep . && fail=1
grep -ln 'include <libpq-fe.h>' $(find src/api src/http src/objects src/extract src/llm src/runs src/agents -name '*.[ch]' 2>/dev/null) 2>/dev/null | sed 's/^/libpq-fe.h above storage\/: /' | grep . && fail=1
grep -ln 'include <sqlite3.h>' $(find src/api src/http src/objects src/extract src/llm src/runs src/agents -name '*.[ch]' 2>/dev/null) 2>/dev/null | sed 's/^/sqlite3.h above storage\/: /' | grep . && fail=1

# replies are queued with http_queue_response(): MHD_queue_response is the interposer of
# libmicrohttpd's own error replies inside this executable (src/http/mhd_errors.c)
grep -nE '\bMHD_queue_response\s*\(' $(find src -name '*.[ch]') | grep -v '^src/http/mhd_errors\.[ch]:' | sed 's/^/MHD_queue_response called by name: /' | grep . && fail=1

# the environment is read in cli/ only (cli/settings.c), which hands each layer its config
grep -lnE 'getenv\(|include "util/config.h"' $(find src -name '*.[ch]') | grep -vE '^src/(cli|util/config)' | sed 's/^/environment read below cli\/: /' | grep . && fail=1

for f in $(find src -name '*.[ch]'); do
  head -c 2 "$f" | grep -q '/\*' || { echo "no header comment: $f"; fail=1; }
done
[ $fail -eq 0 ] && echo "check-source: ok"
exit $fail
