#!/usr/bin/env bash
# Re-measure some endpoints against the existing catalog (after bench/run.sh made it), e.g.
#   bench/endpoints.sh bootstrap_5 bootstrap_30 mixed
# Names are the request files under var/bench/requests/. gunicorn: WORKERS (4) workers of
# WORKER_CLASS (sync) with THREADS (1).
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
BENCH_CSRF=$(python3 -c "import json; print(json.load(open('$BENCH_DIR/data.json'))['csrf'])")
export BENCH_CSRF
trap stop_gunicorn EXIT
port=$(free_port)
start_gunicorn "$port" "${WORKERS:-4}" "${WORKER_CLASS:-sync}" "${THREADS:-1}"
echo "| run | req/s | p50 | p95 | p99 | errors + non-2xx |"
echo "|---|---|---|---|---|---|"
: >>"$BENCH_DIR/results.tsv"
for name in "$@"; do
  bench "ours: $name" "http://127.0.0.1:$port" "$BENCH_DIR/requests/$name.tsv"
done
