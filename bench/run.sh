#!/usr/bin/env bash
# The whole benchmark suite (`make bench`): the catalog, our server, nginx and Verdaccio side by
# side in one run, the worker sweep, the publish comparison and the SQL query counts.
#
#   bench/run.sh                 reuse the catalog in naap_bench if data.json is there
#   BENCH_FRESH=1 bench/run.sh   make the catalog anew first (bench/make_data.py, ~20 min)
#   BENCH_SWEEP=0 bench/run.sh   skip the gunicorn worker sweep
#   BENCH_MAKE_DEV=0 ...         skip timing `make dev` from a clean checkout
#   BENCH_ISSUE15=0 ...          skip issue 15's runs (bench/bootstrap_rollout.sh on this
#                                catalog and server, bench/field_reports.sh on its own)
#   BENCH_PUBLISH=0 ...          skip the publish comparison (it fills Verdaccio: leave its runs out too)
#   BENCH_RUNS='browse|search|Verdaccio|mixed'   only the runs whose names match (bash regex)
#   BENCH_PORTS=8170-8179        listen on ports of that range only (a shared machine)
#   BENCH_NGINX=0                no nginx anchor (with BENCH_RUNS leaving out its runs)
#
# Everything listens on 127.0.0.1 and is stopped by PID on exit; every wrk run is bounded
# (BENCH_SECONDS, default 10). Results: var/bench/results.md (+ results.tsv).
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
WORKERS="${WORKERS:-4}" WORKER_CLASS="${WORKER_CLASS:-sync}" THREADS="${THREADS:-1}"  # chosen by the sweep (docs/PERFORMANCE.md)

mkdir -p "$BENCH_DIR"
started=$(date +%s)

# --- tools: nginx from Debian, Verdaccio from the npm registry (no uplinks) ----------------------
if [ "${BENCH_NGINX:-1}" = 1 ] && ! command -v nginx >/dev/null && [ ! -x /usr/sbin/nginx ]; then
  sudo=$([ "$(id -u)" -eq 0 ] || echo sudo)
  $sudo apt-get install -y nginx-light >/dev/null
fi
if ! command -v wrk >/dev/null; then  # the load generator of every run, from Debian
  sudo=$([ "$(id -u)" -eq 0 ] || echo sudo)
  $sudo apt-get install -y wrk >/dev/null
fi
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
verdaccio_home="$PWD/var/verdaccio"
if [ ! -x "$verdaccio_home/node_modules/.bin/verdaccio" ]; then
  mkdir -p "$verdaccio_home"
  cp bench/verdaccio/package.json "$verdaccio_home/"
  npm install --prefix "$verdaccio_home" --no-audit --no-fund --loglevel error >/dev/null
fi

# --- the catalog ---------------------------------------------------------------------------------
have_db=$(psql -h 127.0.0.1 -U postgres -Atc \
  "SELECT 1 FROM pg_database WHERE datname = '$BENCH_DB'" || true)
if [ "${BENCH_FRESH:-0}" = 1 ] || [ ! -f "$BENCH_DIR/data.json" ] || [ "$have_db" != 1 ]; then
  # shellcheck disable=SC2086
  .venv/bin/python bench/make_data.py --out "$BENCH_DIR/data.json" ${BENCH_DATA_ARGS:-}
fi
.venv/bin/python manage.py migrate -v0
# A migration may have rewritten rows (0015 dated every package): measure a vacuumed catalog,
# as make_data.py leaves it.
psql -h 127.0.0.1 -U postgres -d "$BENCH_DB" -qc "VACUUM ANALYZE"
.venv/bin/python manage.py collectstatic --no-input -v0
redis-cli -u "$REDIS_URL" flushdb >/dev/null
requests="$BENCH_DIR/requests"
python3 bench/request_files.py "$BENCH_DIR/data.json" "$requests"
json() { python3 -c "import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])" \
  "$BENCH_DIR/data.json" "$1"; }
BENCH_CSRF=$(json csrf)  # the mixed run's writes send it as cookie and X-CSRFToken header
export BENCH_CSRF

nginx_pid="" verdaccio_pid="" run_dir=$(mktemp -d)
chmod 755 "$run_dir"  # nginx workers run as nobody when started by root
cleanup() {
  stop_gunicorn
  local pid
  for pid in $nginx_pid $verdaccio_pid; do
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  nginx_pid="" verdaccio_pid=""
  rm -rf "$run_dir"
  return 0
}
trap cleanup EXIT

# --- the gunicorn worker sweep (manifest, bootstrap 30, search; 3 s each after 1 s) ----------------
if [ "${BENCH_SWEEP:-1}" = 1 ]; then
  echo "## gunicorn sweep (wrk -t2 -c$BENCH_CONNECTIONS, 3 s per run after 1 s)" | tee "$BENCH_DIR/sweep.md"
  echo "| config / endpoint | req/s | p50 | p95 | p99 | errors |" | tee -a "$BENCH_DIR/sweep.md"
  echo "|---|---|---|---|---|---|" | tee -a "$BENCH_DIR/sweep.md"
  for config in "sync 2 1" "sync 3 1" "sync 4 1" "sync 6 1" "gthread 2 4" "gthread 3 2"; do
    # shellcheck disable=SC2086
    set -- $config
    port=$(free_port)
    start_gunicorn "$port" "$2" "$1" "$3"
    for endpoint in manifest_latest bootstrap_30 search; do
      BENCH_WARMUP=1 bench "$1 ${2}w×${3}t $endpoint" "http://127.0.0.1:$port" "$requests/$endpoint.tsv" 3 |
        tee -a "$BENCH_DIR/sweep.md"
    done
    stop_gunicorn
  done
fi

# --- the servers ---------------------------------------------------------------------------------
port=$(free_port)
start_gunicorn "$port" "$WORKERS" "$WORKER_CLASS" "$THREADS"
ours="http://127.0.0.1:$port"

static=""
if [ "${BENCH_NGINX:-1}" = 1 ]; then  # BENCH_NGINX=0: no nginx anchor (skip its runs too)
  mkdir -p "$run_dir/nginx/www" "$run_dir/nginx/tmp"
  plugin=$(json plugin)
  curl -sf "$ours/api/v1/plugins/registry/$plugin/latest/manifest" -o "$run_dir/nginx/www/manifest.json"
  cp "$NAAP_DATA_DIR/cdn/$(json bundleKey)" "$run_dir/nginx/www/bundle.js"
  nginx_port=$(free_port)
  sed -e "s#@PORT@#$nginx_port#" -e "s#@ROOT@#$run_dir/nginx#" bench/nginx.conf.in \
    >"$run_dir/nginx/nginx.conf"
  "$NGINX" -c "$run_dir/nginx/nginx.conf" -p "$run_dir/nginx" &
  nginx_pid=$!
  static="http://127.0.0.1:$nginx_port"
  wait_for "$static/manifest.json"
fi

verdaccio_port=$(free_port)
mkdir -p "$run_dir/verdaccio"
cp bench/verdaccio/config.yaml "$run_dir/verdaccio/config.yaml"
"$verdaccio_home/node_modules/.bin/verdaccio" --config "$run_dir/verdaccio/config.yaml" \
  --listen "127.0.0.1:$verdaccio_port" >"$run_dir/verdaccio/log" 2>&1 &
verdaccio_pid=$!
verdaccio="http://127.0.0.1:$verdaccio_port"
wait_for "$verdaccio/-/ping"
npm_token=$(curl -sf -X PUT -H 'Content-Type: application/json' \
  -d '{"name":"bench","password":"bench-password-1"}' \
  "$verdaccio/-/user/org.couchdb.user:bench" | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
printf 'registry=%s/\n//127.0.0.1:%s/:_authToken=%s\n' "$verdaccio" "$verdaccio_port" "$npm_token" \
  >"$run_dir/npmrc"

# --- publish: naap-plugin publish vs npm publish, 1 MiB, median of 5 -------------------------------
publish="(skipped: BENCH_PUBLISH=0)"
if [ "${BENCH_PUBLISH:-1}" != 1 ] && { [ -z "${BENCH_RUNS:-}" ] || [[ "Verdaccio" =~ $BENCH_RUNS ]]; }; then
  # The publish comparison is what puts the anchor package into Verdaccio: without it, its
  # metadata run would measure 404s and every ratio would be meaningless.
  echo "BENCH_PUBLISH=0 leaves Verdaccio empty: also leave its runs out (BENCH_RUNS)" >&2
  exit 2
fi
if [ "${BENCH_PUBLISH:-1}" = 1 ]; then
  token=$(json publishToken)  # made with the catalog (bench/make_data.py)
  publish=$(.venv/bin/python bench/publish_compare.py --registry "$ours" --token "$token" \
    --verdaccio "$verdaccio/" --npmrc "$run_dir/npmrc" --runs 5)
  echo "$publish"
fi
printf 'GET\t/bench-plugin\t\t\n' >"$requests/verdaccio_metadata.tsv"

# --- the runs ------------------------------------------------------------------------------------
: >"$BENCH_DIR/results.tsv"
{
  echo "# bench run $(date -u +%Y-%m-%dT%H:%MZ)"
  echo "gunicorn $WORKERS $WORKER_CLASS workers × $THREADS threads; wrk -t2 -c$BENCH_CONNECTIONS, ${BENCH_SECONDS} s per run after a 2 s warm-up"
  echo
  echo "| run | req/s | p50 | p95 | p99 | errors + non-2xx |"
  echo "|---|---|---|---|---|---|"
} | tee "$BENCH_DIR/results.md"
{
  bench "ours: manifest, latest" "$ours" "$requests/manifest_latest.tsv"
  bench "ours: manifest, exact version" "$ours" "$requests/manifest_exact.tsv"
  bench "nginx: the same manifest JSON" "$static" "$requests/static_manifest.tsv"
  bench "Verdaccio: package metadata" "$verdaccio" "$requests/verdaccio_metadata.tsv"
  bench "ours: bootstrap, 5 plugins" "$ours" "$requests/bootstrap_5.tsv"
  bench "ours: bootstrap, 30 plugins" "$ours" "$requests/bootstrap_30.tsv"
  bench "ours: personalized (upstream shape), 5 plugins" "$ours" "$requests/personalized_5.tsv"
  bench "ours: personalized (upstream shape), 30 plugins" "$ours" "$requests/personalized_30.tsv"
  bench "ours: search, 50 queries, cached results" "$ours" "$requests/search.tsv"
  bench "ours: category browse (API)" "$ours" "$requests/category.tsv"
  bench "ours: browse page" "$ours" "$requests/browse_page.tsv"
  bench "ours: browse page, signed in" "$ours" "$requests/browse_page_signed_in.tsv"
  bench "ours: plugin detail page" "$ours" "$requests/detail_page.tsv"
  bench "ours: 300 KB bundle from /cdn/" "$ours" "$requests/cdn_bundle.tsv"
  bench "nginx: the same 300 KB bundle" "$static" "$requests/static_bundle.tsv"
  bench "ours: mixed 90 % reads / 10 % writes" "$ours" "$requests/mixed.tsv"
  # Search made cheaper, not only cached: the same server with result caching off.
  if [ -z "${BENCH_RUNS:-}" ] || [[ "ours: search" =~ $BENCH_RUNS ]]; then
    stop_gunicorn
    NAAP_SEARCH_RESULT_CACHE=0 start_gunicorn "$port" "$WORKERS" "$WORKER_CLASS" "$THREADS"
    bench "ours: search, 50 queries" "$ours" "$requests/search.tsv"
    BENCH_CONNECTIONS=1 bench "ours: search, 50 queries, 1 connection" "$ours" "$requests/search.tsv"
    stop_gunicorn  # this block runs in a subshell: the EXIT trap does not know this server
  fi
} | tee -a "$BENCH_DIR/results.md"

# --- issue 15: the bootstrap while rollouts are active, the field reports' ingestion -----------
if [ "${BENCH_ISSUE15:-1}" = 1 ]; then
  { echo; GUNICORN_PID=$gunicorn_pid bench/bootstrap_rollout.sh "$ours"; } |
    tee -a "$BENCH_DIR/results.md"
  # Its own database (made and dropped) and Redis database (flushed): FIELD_REPORTS_REDIS_DB.
  { echo; echo "## field reports ingestion next to the manifest hot path (bench/field_reports.sh)"
    FIELD_REPORTS_DB="${BENCH_DB}_field_reports" REDIS_DB="${FIELD_REPORTS_REDIS_DB:-13}" \
      bench/field_reports.sh "$BENCH_SECONDS"; } | tee -a "$BENCH_DIR/results.md"
fi

rate() { awk -F'\t' -v name="$1" '$1 == name {print $2}' "$BENCH_DIR/results.tsv"; }
ratio() { python3 -c "import sys; print(f'{float(sys.argv[1]) / float(sys.argv[2]):.3g}')" "${1:-nan}" "${2:-nan}"; }
p95() { awk -F'\t' -v name="$1" '$1 == name {print $4}' "$BENCH_DIR/results.tsv"; }
target() {  # label, run name, minimum ratio to Verdaccio's metadata req/s
  local got
  got=$(ratio "$(rate "$2")" "$(rate 'Verdaccio: package metadata')")
  python3 -c "import sys; g=float(sys.argv[2]); print(f'- {sys.argv[1]}: not measured' if g != g else f'- {sys.argv[1]}: {g:.3g}× (target ≥ {sys.argv[3]}×: ' + ('met' if g >= float(sys.argv[3]) else 'NOT met') + ')')" "$1" "$got" "$3"
}
{
  echo
  echo "ratios (ours / anchor, req/s, same run):"
  echo "- manifest latest / nginx manifest: $(ratio "$(rate 'ours: manifest, latest')" "$(rate 'nginx: the same manifest JSON')")"
  echo "- manifest latest / Verdaccio metadata: $(ratio "$(rate 'ours: manifest, latest')" "$(rate 'Verdaccio: package metadata')")"
  echo "- manifest exact / Verdaccio metadata: $(ratio "$(rate 'ours: manifest, exact version')" "$(rate 'Verdaccio: package metadata')")"
  echo "- /cdn/ bundle / nginx bundle: $(ratio "$(rate 'ours: 300 KB bundle from /cdn/')" "$(rate 'nginx: the same 300 KB bundle')")"
  echo
  echo "browse and search targets (ours / Verdaccio metadata, req/s, same run; issue 16):"
  target "anonymous browse page" "ours: browse page" 0.2
  target "signed-in browse page" "ours: browse page, signed in" 0.08
  target "API search, 16 connections, result caching off" "ours: search, 50 queries" 0.1
  echo "  (the same with cached results: $(ratio "$(rate 'ours: search, 50 queries, cached results')" "$(rate 'Verdaccio: package metadata')")×)"
  target "mixed run (errors: $(awk -F'\t' '$1 == "ours: mixed 90 % reads / 10 % writes" {print $6}' "$BENCH_DIR/results.tsv"))" "ours: mixed 90 % reads / 10 % writes" 0.2
  echo "- API search p95 at 1 connection, result caching off: $(p95 'ours: search, 50 queries, 1 connection') ms (target ≤ 25 ms)"
  echo
  echo "publish of 1 MiB (wall time, 5 runs alternating):"
  echo "$publish" | sed 's/^/    /'
  echo
  echo "SQL queries per request:"
  .venv/bin/python bench/query_counts.py "$BENCH_DIR/data.json" | sed 's/^/    /'
  echo
  if [ -f "$BENCH_DIR/sweep.md" ] && [ "${BENCH_SWEEP:-1}" = 1 ]; then echo; cat "$BENCH_DIR/sweep.md"; fi
  if [ "${BENCH_MAKE_DEV:-1}" = 1 ]; then echo; bench/make_dev_time.sh; fi
  echo
  echo "total wall time of this run: $(($(date +%s) - started)) s"
} | tee -a "$BENCH_DIR/results.md"
cleanup
trap - EXIT
