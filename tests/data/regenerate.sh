#!/usr/bin/env bash
# tests/data/regenerate.sh [--write] [--keep DIR]: re-verify the drizzle-kit conformance set with
# the real drizzle-kit. Installs drizzle-kit and drizzle-orm (devDependencies of tests/package.json,
# exact versions, never needed by the tests themselves) under tests/node_modules when missing, then
# runs regenerate.py: generate steps 1..6 from cases/, answer the rename questions from
# answers.json, compare with expected/ (exit 0 = reproduced); --write replaces expected/.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
if [ ! -x "$here/../node_modules/.bin/drizzle-kit" ]; then
  echo "regenerate: npm install (drizzle-kit, drizzle-orm) in tests/"
  (cd "$here/.." && npm install --include=dev --no-audit --no-fund)
fi
exec python3 "$here/regenerate.py" "$@"
