#!/usr/bin/env bash
# scripts/format.sh [--check] [FILE...]: format the C sources with clang-format and the
# repository's .clang-format (`make format`). Without files: every .c/.h under src/,
# tests/unit/, tests/support/ and scripts/. --check changes nothing: it lists the files that
# differ from the style and exits 1 if there are any (for `make check`).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
check=0
if [ "${1:-}" = "--check" ]; then check=1; shift; fi
command -v clang-format >/dev/null || { echo "format: clang-format is not installed" >&2; exit 2; }
if [ $# -gt 0 ]; then files=("$@"); else
  mapfile -t files < <(find src tests/unit tests/support scripts -name '*.[ch]' | LC_ALL=C sort)
fi
if [ $check -eq 0 ]; then
  clang-format --style=file -i "${files[@]}"
  exit 0
fi
bad=0
for f in "${files[@]}"; do
  if ! clang-format --style=file "$f" | cmp -s - "$f"; then
    echo "not formatted: $f"; bad=1
  fi
done
[ $bad -eq 0 ] && echo "format: ok"
exit $bad
