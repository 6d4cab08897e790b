#!/usr/bin/env bash
# Field reports benchmark: the ingestion endpoint (batches of 10 events, one Redis round trip
# each) next to the manifest hot path, in the same run, under wrk against gunicorn +
# PostgreSQL + Redis. Usage: bench/field_reports.sh [seconds per run, default 15].
# Needs wrk (apt-get install wrk). Environment: FIELD_REPORTS_DB (the database made and dropped,
# default naap_bench_field_reports), REDIS_PORT and REDIS_DB (flushed; 6379, 13), BENCH_PORT (default: a
# free port), WORKERS (default 4). Prints the ratio and p99 against issue 15's targets.
set -euo pipefail
cd "$(dirname "$0")/.."
duration="${1:-15}"
db="${FIELD_REPORTS_DB:-naap_bench_field_reports}"
port="${BENCH_PORT:-$(.venv/bin/python -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}"
data_dir=$(mktemp -d)
redis_db="${REDIS_DB:-13}" redis_port="${REDIS_PORT:-6379}"
export DEBUG=0 SECRET_KEY=bench-only-secret-key-0123456789abcdefghijklmnopqrstuvwxyz \
  SECURE_SSL_REDIRECT=0 ALLOWED_HOSTS=127.0.0.1 NAAP_DATA_DIR="$data_dir" \
  DATABASE_URL="postgres://postgres@127.0.0.1:5432/$db" REDIS_URL="redis://127.0.0.1:$redis_port/$redis_db" \
  NAAP_THROTTLE_ANON_READ=100000000/min NAAP_FIELD_REPORTS_PER_MINUTE=100000000
psql -h 127.0.0.1 -U postgres -qc "DROP DATABASE IF EXISTS $db" >/dev/null
psql -h 127.0.0.1 -U postgres -qc "CREATE DATABASE $db" >/dev/null
redis-cli -p "$redis_port" -n "$redis_db" flushdb >/dev/null
server_pid=""
script=""
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
  psql -h 127.0.0.1 -U postgres -qc "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1 || true
  redis-cli -p "$redis_port" -n "$redis_db" flushdb >/dev/null 2>&1 || true
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
# CPU time (clock ticks) of gunicorn (master and workers) and of the Redis server: per request,
# it does not depend on what else the machine runs, unlike req/s (with a Redis of its own,
# REDIS_PORT, that nobody else uses; the shared one counts others' commands too).
redis_pid=$(redis-cli -p "$redis_port" info server | awk -F: '/^process_id/ {print $2}' | tr -d '\r')
cpu_ticks() {
  local pid total=0
  for pid in "$server_pid" $(pgrep -P "$server_pid") $redis_pid; do
    # shellcheck disable=SC2046
    set -- $(sed 's/^.*) //' "/proc/$pid/stat" 2>/dev/null || echo)
    [ $# -ge 13 ] && total=$((total + ${12} + ${13}))
  done
  echo "$total"
}
run() {  # name, url, extra wrk args...
  local name=$1 url=$2; shift 2
  local result before after
  before=$(cpu_ticks)
  result=$(wrk -t2 -c"${connections:-16}" -d"${duration}s" --latency "$@" "$url")
  after=$(cpu_ticks)
  local rps p50 p99 errors requests cpu
  requests=$(echo "$result" | awk '/requests in/ {print $1}')
  cpu=$(python3 -c "import os,sys; print(f'{(int(sys.argv[2]) - int(sys.argv[1])) * 1e6 / os.sysconf(\"SC_CLK_TCK\") / int(sys.argv[3]):.0f}')" "$before" "$after" "$requests")
  rps=$(echo "$result" | awk '/Requests\/sec/ {print $2}')
  p50=$(echo "$result" | awk '$1 == "50%" {print $2}')
  p99=$(echo "$result" | awk '$1 == "99%" {print $2}')
  errors=$(echo "$result" | awk '/Non-2xx/ {print $NF}')
  printf '| %s | %s | %s | %s | %s | %s µs |\n' "$name" "$rps" "$p50" "$p99" "${errors:-0}" "$cpu"
  printf '%s\t%s\t%s\t%s\n' "$name" "$rps" "$p99" "$cpu" >>"$data_dir/results.tsv"
}
curl -sf "$base/api/v1/plugins/registry/$plugin/latest/manifest" -o /dev/null
echo "gunicorn: $workers sync workers; wrk: 2 threads, 16 connections, ${duration}s per run"
echo "| endpoint | req/s | p50 | p99 | non-2xx | CPU per request (gunicorn + Redis) |"
echo "|---|---|---|---|---|---|"
run "manifest, latest (hot path)" "$base/api/v1/plugins/registry/$plugin/latest/manifest"
run "field reports, 10 events" "$base/api/v1/plugins/field-reports" -s "$script"
# The same below saturation: one connection per worker, so no request waits for a worker and
# the p99 is the time a batch takes, not the queue 16 connections build on two cores.
connections=$workers run "field reports, 10 events, $workers connections" \
  "$base/api/v1/plugins/field-reports" -s "$script"
python3 - "$data_dir/results.tsv" <<'PY'
import sys

def ms(text):  # wrk's latency: 850.00us, 12.34ms, 1.20s
    for unit, factor in (("us", 0.001), ("ms", 1.0), ("s", 1000.0)):
        if text.endswith(unit):
            return float(text[: -len(unit)]) * factor
    return float(text)

rows = [line.rstrip("\n").split("\t") for line in open(sys.argv[1])]
(_, manifest, _, manifest_cpu), (_, reports, p99, reports_cpu), (_, calm, calm_p99, _) = rows
ratio = float(reports) / float(manifest)
print(f"- field reports / manifest hot path, req/s: {ratio:.2f} "
      f"(target >= 0.50: {'met' if ratio >= 0.5 else 'NOT met'})")
cpu_ratio = float(manifest_cpu) / float(reports_cpu)
print(f"- manifest / field reports, CPU per request: {cpu_ratio:.2f} (the req/s ratio where CPU "
      f"bounds both; {manifest_cpu} and {reports_cpu} us)")
print(f"- field reports p99: {ms(p99):.1f} ms (target < 20 ms: {'met' if ms(p99) < 20 else 'NOT met'})")
calm_ratio = float(calm) / float(manifest)
print(f"- one connection per worker: {float(calm):.0f} req/s = {calm_ratio:.2f} of the manifest "
      f"hot path's saturated req/s, p99 {ms(calm_p99):.1f} ms (both targets at once: "
      f"{'met' if calm_ratio >= 0.5 and ms(calm_p99) < 20 else 'NOT met'})")
PY
# Every batch was counted: 8 mounted loads per batch on the first version's counters.
.venv/bin/python manage.py flush_field_reports
