#!/usr/bin/env bash
# Read-API benchmark: manifest (latest, exact), shell bootstrap and its upstream-shaped twin
# /base/plugins/personalized (5 and 30 plugins each, in the same run) under wrk
# against gunicorn + PostgreSQL + Redis, with 1,000 packages and 10,000 installs.
# Usage: bench/read_api.sh [seconds per run, default 15]. Needs wrk (apt-get install wrk).
set -euo pipefail
cd "$(dirname "$0")/.."
duration="${1:-15}"
db=naap_bench_read
port=$(.venv/bin/python -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
data_dir=$(mktemp -d)
export DEBUG=0 SECRET_KEY=bench-only-secret-key-0123456789abcdefghijklmnopqrstuvwxyz \
  SECURE_SSL_REDIRECT=0 ALLOWED_HOSTS=127.0.0.1 NAAP_DATA_DIR="$data_dir" \
  DATABASE_URL="postgres://postgres@127.0.0.1:5432/$db" REDIS_URL=redis://127.0.0.1:6379/14 \
  NAAP_THROTTLE_ANON_READ=100000000/min NAAP_THROTTLE_USER_WRITE=100000000/min
psql -h 127.0.0.1 -U postgres -qc "DROP DATABASE IF EXISTS $db" >/dev/null
psql -h 127.0.0.1 -U postgres -qc "CREATE DATABASE $db" >/dev/null
redis-cli -n 14 flushdb >/dev/null
server_pid=""
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
  psql -h 127.0.0.1 -U postgres -qc "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1 || true
  redis-cli -n 14 flushdb >/dev/null 2>&1 || true
  rm -rf "$data_dir"
}
trap cleanup EXIT

.venv/bin/python manage.py migrate -v0
.venv/bin/python manage.py collectstatic --no-input -v0
out=$(.venv/bin/python manage.py shell < bench/read_data.py)
five=$(echo "$out" | awk '/^FIVE/ {print $2}')
thirty=$(echo "$out" | awk '/^THIRTY/ {print $2}')
plugin=$(echo "$out" | awk '/^PLUGIN/ {print $2}')

workers="${WORKERS:-4}"
.venv/bin/gunicorn naap.wsgi --bind "127.0.0.1:$port" --workers "$workers" --log-level warning &
server_pid=$!
for _ in $(seq 1 50); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.2; done

base="http://127.0.0.1:$port"
run() {  # name, url, extra wrk args...
  local name=$1 url=$2; shift 2
  curl -sf "$url" "$@" -o /dev/null || { echo "$name: $url failed"; exit 1; }
  local result
  result=$(wrk -t2 -c16 -d"${duration}s" --latency "$@" "$url")
  local rps p50 p99
  rps=$(echo "$result" | awk '/Requests\/sec/ {print $2}')
  p50=$(echo "$result" | awk '$1 == "50%" {print $2}')
  p99=$(echo "$result" | awk '$1 == "99%" {print $2}')
  printf '| %s | %s | %s | %s |\n' "$name" "$rps" "$p50" "$p99"
}
echo "gunicorn: $workers sync workers; wrk: 2 threads, 16 connections, ${duration}s per run"
echo "| endpoint | req/s | p50 | p99 |"
echo "|---|---|---|---|"
run "manifest, latest" "$base/api/v1/plugins/registry/$plugin/latest/manifest"
run "manifest, 1.0.0" "$base/api/v1/plugins/registry/$plugin/1.0.0/manifest"
run "bootstrap, 5 plugins" "$base/api/v1/plugins/installed" -H "Cookie: $five"
run "bootstrap, 30 plugins" "$base/api/v1/plugins/installed" -H "Cookie: $thirty"
run "personalized, 5 plugins" "$base/api/v1/base/plugins/personalized" -H "Cookie: $five"
run "personalized, 30 plugins" "$base/api/v1/base/plugins/personalized" -H "Cookie: $thirty"
