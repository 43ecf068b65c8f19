#!/usr/bin/env bash
# scripts/bench-upload.sh: benchmark of document uploads (not a test). Starts the release
# server with the local-folder store on a temporary database, uploads a 5 MiB PDF (real text on
# many pages, so extraction does real work) and a 5 MiB text file N times each with curl, one
# request at a time, and reports per-kind throughput (MB/s of file bytes, request time
# including extraction and storage) and the server's peak resident memory (VmHWM) before and
# after. Usage: scripts/bench-upload.sh [N]   (default 10). Needs: curl, python3, make release.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
N="${1:-10}"
BIN=build/release/sprout
[ -x "$BIN" ] || make -j2 release >/dev/null
work=$(mktemp -d /tmp/sprout-bench-upload.XXXXXX)
pid=""
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

python3 - "$work" <<'PY'
import sys
sys.path.insert(0, "tests")
from support.pdfgen import make_pdf
work = sys.argv[1]
target = 5 * 1024 * 1024
line = "Linear maps preserve addition and scalar multiplication; caf\u00e9 \u00fcber na\u00efve."
pages, pdf = [], b""
per_page = [f"{i:04d} {line}" for i in range(40)]
lo, hi = 1, 4000                      # pages so that the file is just under 5 MiB
while lo < hi:
    mid = (lo + hi + 1) // 2
    if len(make_pdf([per_page] * mid)) <= target:
        lo = mid
    else:
        hi = mid - 1
pdf = make_pdf([per_page] * lo)
open(f"{work}/bench.pdf", "wb").write(pdf)
text = ("Vectors, matrices and caf\u00e9 notes \u2014 \u00e9t\u00e9 \U0001F600\n" * 200000).encode()
open(f"{work}/bench.txt", "wb").write(text[:target])
print(f"files: bench.pdf {len(pdf)} bytes ({lo} pages), bench.txt {target} bytes")
PY

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
DB_PATH="$work/sprout.db" PORT="$port" STORAGE_DIR="$work/uploads" TMPDIR="$work" \
  AWS_S3_BUCKET= "$BIN" serve >"$work/server.log" 2>&1 &
pid=$!
base="http://127.0.0.1:$port"
for _ in $(seq 100); do curl -sf "$base/api/health" >/dev/null && break; sleep 0.1; done
hwm() { awk '/VmHWM/ {print $2 " " $3}' "/proc/$pid/status"; }
echo "server: pid $pid, peak RSS after start: $(hwm)"

user=00000000-0000-0000-0000-000000000000
branch=$(curl -sf -H 'Content-Type: application/json' -d "{\"title\":\"bench\",\"userId\":\"$user\"}" \
  "$base/api/branches" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
node=$(curl -sf -H 'Content-Type: application/json' \
  -d "{\"title\":\"bench\",\"userId\":\"$user\",\"type\":\"root\",\"branchId\":\"$branch\"}" \
  "$base/api/nodes" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')

run() { # file type
  local file=$1 type=$2 size total=0 t
  size=$(stat -c %s "$work/$file")
  for _ in $(seq "$N"); do
    t=$(curl -sf -o /dev/null -w '%{time_total}' -F "files=@$work/$file;type=$type" \
        "$base/api/nodes/$node/documents")
    total=$(python3 -c "print($total + $t)")
  done
  python3 -c "
n=$N; size=$size; total=$total
print(f'$file: {n} uploads of {size/1048576:.2f} MiB, mean {total/n*1000:.0f} ms/request, '
      f'{n*size/1048576/total:.1f} MiB/s')"
}
run bench.pdf application/pdf
echo "server peak RSS after PDF uploads: $(hwm)"
run bench.txt text/plain
echo "server peak RSS after text uploads: $(hwm)"
rows=$(curl -sf "$base/api/nodes/$node/documents" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
echo "documents stored: $rows; files in the store: $(find "$work/uploads" -type f | wc -l)"
