# shellcheck shell=bash
# scripts/bench-lib.sh: helpers shared by the scripts/bench-*.sh drivers (sourced, not run).

# need_tools NAME TOOL...: stop (exit 1) naming the first TOOL not on PATH; NAME prefixes the message.
need_tools() {
  local name="$1" tool
  shift
  for tool in "$@"; do
    command -v "$tool" >/dev/null || { echo "$name: $tool not found" >&2; exit 1; }
  done
}

# free_port: print a TCP port free on 127.0.0.1 now.
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
