#!/usr/bin/env bash
# scripts/install-deps.sh: install every Debian package the build, the tests and the benchmarks
# need (idempotent; skips apt when all are present), plus the npm test peers (s3rver, and for the
# browser tests playwright-core and axe-core) under tests/node_modules. Run as root (or with sudo
# available). The web page's libraries come from Debian: libjs-marked, node-dompurify (embedded
# at build time); the browser tests drive Debian's chromium.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
pkgs=(build-essential pkg-config libmicrohttpd-dev libjansson-dev libcurl4-openssl-dev
      libsqlite3-dev uuid-dev libssl-dev libpoppler-glib-dev sqlite3 python3 python3-pytest
      curl wrk hyperfine poppler-utils nodejs npm libjs-marked node-dompurify chromium clang clang-format
      postgresql libpq-dev python3-psycopg2)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# nodejs/npm may come from elsewhere on the machine: only ask apt when the commands are absent
if command -v node >/dev/null && command -v npm >/dev/null; then
  missing=("${missing[@]/nodejs}"); missing=("${missing[@]/npm}")
fi
read -r -a missing <<< "${missing[*]:-}"
if [ "${#missing[@]}" -gt 0 ]; then
  echo "install-deps: apt-get install ${missing[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi
# test-only peers: the S3 server, the browser driver and the accessibility checker
if [ ! -x "$here/tests/node_modules/.bin/s3rver" ] || [ ! -d "$here/tests/node_modules/playwright-core" ] ||
   [ ! -d "$here/tests/node_modules/axe-core" ]; then
  echo "install-deps: npm install (tests/node_modules: s3rver, playwright-core, axe-core)"
  (cd "$here/tests" && npm install --omit=dev --no-audit --no-fund --silent >/dev/null 2>&1) ||
    echo "install-deps: warning: npm install failed; the S3 and browser tests will fail" >&2
fi
