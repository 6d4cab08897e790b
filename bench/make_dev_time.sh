#!/usr/bin/env bash
# Wall time of `make dev` from a clean checkout: clone HEAD into a temporary folder, run
# `make dev` on a free 127.0.0.1 port until the home page answers, then stop it by PID.
# Bounded: gives up after BENCH_MAKE_DEV_LIMIT seconds (default 600).
set -euo pipefail
cd "$(dirname "$0")/.."
limit="${BENCH_MAKE_DEV_LIMIT:-600}"
work=$(mktemp -d)
port=$(.venv/bin/python -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
git clone -q "$PWD" "$work/main"
pid=""
cleanup() {
  if [ -n "$pid" ]; then
    kill -- -"$pid" 2>/dev/null || true  # its own process group: make, runserver, the reloader
    wait "$pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT
started=$(date +%s.%N)
setsid bash -c 'cd "$1/main" && exec make dev PORT="$2" DATABASE_URL= REDIS_URL= NAAP_DATA_DIR=' \
  _ "$work" "$port" >"$work/make-dev.log" 2>&1 &
pid=$!
while ! curl -sf -o /dev/null "http://127.0.0.1:$port/"; do
  if ! kill -0 "$pid" 2>/dev/null; then tail -20 "$work/make-dev.log"; exit 1; fi
  if (($(date +%s) - ${started%.*} > limit)); then echo "make dev: no answer in $limit s"; exit 1; fi
  sleep 0.5
done
printf 'make dev from a clean checkout to the first page served: %.0f s\n' \
  "$(echo "$(date +%s.%N) - $started" | bc)"
