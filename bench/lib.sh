# Shared by bench/run.sh and bench/endpoints.sh: the environment of the server under test, starting
# and stopping gunicorn by PID, and one bounded wrk run. Source it; do not run it.

BENCH_DB="${BENCH_DB:-naap_bench}"
BENCH_DIR="${BENCH_DIR:-$PWD/var/bench}"
BENCH_SECONDS="${BENCH_SECONDS:-10}"
BENCH_CONNECTIONS="${BENCH_CONNECTIONS:-16}"
export DEBUG=0 SECRET_KEY=bench-only-secret-key-0123456789abcdefghijklmnopqrstuvwxyz \
  SECURE_SSL_REDIRECT=0 ALLOWED_HOSTS=127.0.0.1 NAAP_DATA_DIR="$BENCH_DIR/data" \
  DATABASE_URL="postgres://postgres@127.0.0.1:5432/$BENCH_DB" \
  REDIS_URL="${BENCH_REDIS:-redis://127.0.0.1:6379/12}" \
  NAAP_THROTTLE_ANON_READ=100000000/min NAAP_THROTTLE_USER_WRITE=100000000/min \
  NAAP_THROTTLE_PUBLISH=100000/min LOG_LEVEL=ERROR

# BENCH_PORTS=8170-8179 takes ports from that range only (a shared machine), else any free one.
free_port() {
  .venv/bin/python - "${BENCH_PORTS:-}" <<'PY'
import socket, sys
low, _, high = sys.argv[1].partition("-")
for port in range(int(low), int(high or low) + 1) if low else [0]:
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", port))
    except OSError:
        continue
    print(s.getsockname()[1])
    break
else:
    sys.exit(f"no free port in {sys.argv[1]}")
PY
}

wait_for() {  # url: up to 15 s for it to answer
  for _ in $(seq 1 75); do curl -sf -o /dev/null "$1" && return 0; sleep 0.2; done
  echo "no answer from $1" >&2
  return 1
}

gunicorn_pid=""
start_gunicorn() {  # port, workers, [worker class], [threads]; more settings from the environment
  local port=$1 workers=$2 class=${3:-sync} threads=${4:-1}
  .venv/bin/gunicorn naap.wsgi --bind "127.0.0.1:$port" --workers "$workers" \
    --worker-class "$class" --threads "$threads" --log-level warning 2>>"$BENCH_DIR/gunicorn.log" &
  gunicorn_pid=$!
  wait_for "http://127.0.0.1:$port/healthz"
}

stop_gunicorn() {
  if [ -n "$gunicorn_pid" ]; then
    kill "$gunicorn_pid" 2>/dev/null || true
    wait "$gunicorn_pid" 2>/dev/null || true
    gunicorn_pid=""
  fi
}

# bench NAME BASE_URL REQUEST_FILE [seconds]: a warm-up (BENCH_WARMUP s, 2), then the measured run; prints a
# markdown row and appends a tab-separated one to $BENCH_DIR/results.tsv. With BENCH_CPU_PIDS
# (gunicorn's master PID, say), the row ends with the CPU per request of those processes (µs).
bench() {
  local name=$1 base=$2 file=$3 seconds=${4:-$BENCH_SECONDS} line
  # BENCH_RUNS: an extended regular expression; runs whose name does not match are skipped.
  if [ -n "${BENCH_RUNS:-}" ] && ! [[ $name =~ $BENCH_RUNS ]]; then return 0; fi
  local threads=$((BENCH_CONNECTIONS < 2 ? BENCH_CONNECTIONS : 2))
  BENCH_REQUESTS="$file" wrk -t"$threads" -c"$BENCH_CONNECTIONS" -d"${BENCH_WARMUP:-2}s" \
    -s bench/requests.lua "$base" \
    >/dev/null
  local ticks_before="" cpu=""
  # shellcheck disable=SC2086
  [ -n "${BENCH_CPU_PIDS:-}" ] && ticks_before=$(cpu_ticks $BENCH_CPU_PIDS)
  line=$(BENCH_REQUESTS="$file" wrk -t"$threads" -c"$BENCH_CONNECTIONS" -d"${seconds}s" --timeout 5s \
    -s bench/requests.lua "$base" | awk '/^BENCH/')
  # shellcheck disable=SC2086
  set -- $line
  # shellcheck disable=SC2086
  [ -n "$ticks_before" ] && cpu=$(cpu_per_request "$ticks_before" "$(cpu_ticks $BENCH_CPU_PIDS)" "$2")
  printf '| %s | %s | %s ms | %s ms | %s ms | %s |%s\n' "$name" "$3" "$4" "$5" "$6" "$(($7 + $8))" \
    "${cpu:+ $cpu µs |}"
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$3" "$4" "$5" "$6" "$(($7 + $8))" "$cpu" \
    >>"$BENCH_DIR/results.tsv"
}

# cpu_ticks PID...: the CPU time (user + system, clock ticks) of these processes and their
# children processes (gunicorn's workers). Per request it does not depend on what else the
# machine runs, unlike req/s: a measure for a shared machine.
cpu_ticks() {
  local pid total=0
  for pid in "$@" $(for parent in "$@"; do pgrep -P "$parent"; done); do
    # shellcheck disable=SC2046
    set -- $(sed 's/^.*) //' "/proc/$pid/stat" 2>/dev/null || echo)
    [ $# -ge 13 ] && total=$((total + ${12} + ${13}))
  done
  echo "$total"
}

# cpu_per_request TICKS_BEFORE TICKS_AFTER REQUESTS: microseconds of CPU per request.
cpu_per_request() {
  python3 -c "import os, sys; b, a, n = map(int, sys.argv[1:]); \
print(round((a - b) * 1e6 / os.sysconf('SC_CLK_TCK') / max(n, 1)))" "$1" "$2" "$3"
}
