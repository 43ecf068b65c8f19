#!/usr/bin/env bash
# scripts/test.sh: the README's second command and what CI runs: install what is missing,
# build release + sanitizer binaries and unit tests, run every test (tests/run.sh).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
scripts/install-deps.sh
make -j"$(nproc)" release debug units
exec tests/run.sh "$@"
