#!/usr/bin/env bash
# scripts/setup-and-run.sh: the README's first command. Installs what is missing, builds the
# release binary, migrates ./sprout.db (or $DB_PATH) and runs the server on the embedded
# defaults: port 8000, a SQLite file, documents in ./uploads. The server's last line says to open
# http://localhost:8000/ (the learner's page, built into the binary).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
scripts/install-deps.sh
make -j"$(nproc)" release
exec build/release/sprout serve "$@"
