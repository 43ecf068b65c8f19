#!/usr/bin/env bash
# scripts/test.sh: the README's second command and what CI runs: install what is missing,
# build release + sanitizer binaries and unit tests, run every fuzz target for a few seconds on
# its seed corpus (make fuzz; docs/FUZZING.md), then every test (tests/run.sh), whose
# "N passed, N failed" line is the last one printed.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
scripts/install-deps.sh
make -j"$(nproc)" release debug units
make -j"$(nproc)" fuzz FUZZ_SECONDS="${FUZZ_SECONDS:-3}"
exec tests/run.sh "$@"
