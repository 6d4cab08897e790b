#!/usr/bin/env bash
# Field reports benchmark: the ingestion endpoint (batches of 10 events, one Redis round trip
# each) next to the manifest hot path, in the same run, under wrk against gunicorn +
# PostgreSQL + Redis. Usage: bench/field_reports.sh [seconds per run, default 15].
# Needs wrk (apt-get install wrk).
set -euo pipefail
cd "$(dirname "$0")/.."
duration="${1:-15}"
db=naap_bench_field_reports
port=$(.venv/bin/python -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
data_dir=$(mktemp -d)
redis_db="${REDIS_DB:-13}"
export DEBUG=0 SECRET_KEY=bench-only-secret-key-0123456789abcdefghijklmnopqrstuvwxyz \
  SECURE_SSL_REDIRECT=0 ALLOWED_HOSTS=127.0.0.1 NAAP_DATA_DIR="$data_dir" \
  DATABASE_URL="postgres://postgres@127.0.0.1:5432/$db" REDIS_URL="redis://127.0.0.1:6379/$redis_db" \
  NAAP_THROTTLE_ANON_READ=100000000/min NAAP_FIELD_REPORTS_PER_MINUTE=100000000
psql -h 127.0.0.1 -U postgres -qc "DROP DATABASE IF EXISTS $db" >/dev/null
psql -h 127.0.0.1 -U postgres -qc "CREATE DATABASE $db" >/dev/null
redis-cli -n "$redis_db" flushdb >/dev/null
server_pid=""
script=""
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
  psql -h 127.0.0.1 -U postgres -qc "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1 || true
  redis-cli -n "$redis_db" flushdb >/dev/null 2>&1 || true
  rm -rf "$data_dir" ${script:+"$script"}
}
trap cleanup EXIT

.venv/bin/python manage.py migrate -v0
out=$(.venv/bin/python manage.py shell < bench/field_reports_data.py)
plugin=$(echo "$out" | awk '/^PLUGIN/ {print $2}')
script=$(echo "$out" | awk '/^SCRIPT/ {print $2}')

workers="${WORKERS:-4}"
.venv/bin/gunicorn naap.wsgi --bind "127.0.0.1:$port" --workers "$workers" --log-level warning &
server_pid=$!
for _ in $(seq 1 50); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.2; done

base="http://127.0.0.1:$port"
run() {  # name, url, extra wrk args...
  local name=$1 url=$2; shift 2
  local result
  result=$(wrk -t2 -c16 -d"${duration}s" --latency "$@" "$url")
  local rps p50 p99 errors
  rps=$(echo "$result" | awk '/Requests\/sec/ {print $2}')
  p50=$(echo "$result" | awk '$1 == "50%" {print $2}')
  p99=$(echo "$result" | awk '$1 == "99%" {print $2}')
  errors=$(echo "$result" | awk '/Non-2xx/ {print $NF}')
  printf '| %s | %s | %s | %s | %s |\n' "$name" "$rps" "$p50" "$p99" "${errors:-0}"
}
curl -sf "$base/api/v1/plugins/registry/$plugin/latest/manifest" -o /dev/null
echo "gunicorn: $workers sync workers; wrk: 2 threads, 16 connections, ${duration}s per run"
echo "| endpoint | req/s | p50 | p99 | non-2xx |"
echo "|---|---|---|---|---|"
run "manifest, latest (hot path)" "$base/api/v1/plugins/registry/$plugin/latest/manifest"
run "field reports, 10 events" "$base/api/v1/plugins/field-reports" -s "$script"
# Every batch was counted: 8 mounted loads per batch on the first version's counters.
.venv/bin/python manage.py flush_field_reports
