#!/usr/bin/env bash
# scripts/test.sh: the README's second command and what CI runs: install what is missing,
# build release + sanitizer binaries and unit tests, run every test (tests/run.sh), then every
# fuzz target for a few seconds on its seed corpus (make fuzz; docs/FUZZING.md).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
scripts/install-deps.sh
make -j"$(nproc)" release debug units
tests/run.sh "$@"
make -j"$(nproc)" fuzz FUZZ_SECONDS="${FUZZ_SECONDS:-3}"
