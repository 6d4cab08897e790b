#!/usr/bin/env bash
# The bootstrap while rollouts are active (issue 15: req/s within 10 % of without), on the
# catalog of bench/make_data.py, in one run against one server: the 30-plugin person's bootstrap
# and the bootstraps of 20 people of the mixed run (~45 plugins each), without rollouts, with
# one rollout at 50 % on each of 20 of their packages (bench/bootstrap_rollout.py), and without
# again after aborting them. The ratio compares "with" to the mean of the two "without" runs.
# Each run is warmed for BENCH_ROLLOUT_WARMUP s (10): starting or ending a rollout changes the
# packages' bootstraps, which every worker then builds once through Django per person.
#
#   bench/bootstrap_rollout.sh               start gunicorn (WORKERS, default 4) on BENCH_PORT
#                                            (default: a free port) and stop it after
#   bench/bootstrap_rollout.sh BASE_URL      measure a server already running (bench/run.sh;
#                                            GUNICORN_PID=its master's PID for the CPU column)
#
# Besides req/s, each run gives gunicorn's CPU per request (master and workers): on a machine
# other work shares, req/s swings with that work, CPU per request much less; both ratios are
# printed.
# Settings as bench/lib.sh (BENCH_DB, BENCH_DIR, BENCH_REDIS, BENCH_SECONDS); the catalog must
# exist ($BENCH_DIR/data.json: run bench/run.sh, or bench/make_data.py, first).
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
data="$BENCH_DIR/data.json"
[ -f "$data" ] || { echo "no catalog at $data: run bench/run.sh or bench/make_data.py first" >&2; exit 1; }
requests="$BENCH_DIR/requests"
[ -f "$requests/bootstrap_30.tsv" ] || python3 bench/request_files.py "$data" "$requests"
python3 bench/bootstrap_rollout.py requests "$data" "$requests/bootstrap_people.tsv" >/dev/null

stop_rollouts() { .venv/bin/python bench/bootstrap_rollout.py stop; }
base="${1:-}"
if [ -z "$base" ]; then
  port="${BENCH_PORT:-$(free_port)}"
  start_gunicorn "$port" "${WORKERS:-4}" "${WORKER_CLASS:-sync}" "${THREADS:-1}"
  base="http://127.0.0.1:$port"
  BENCH_CPU_PIDS=$gunicorn_pid
  trap 'stop_rollouts >/dev/null || true; stop_gunicorn' EXIT
else
  BENCH_CPU_PIDS="${GUNICORN_PID:-}"
  trap 'stop_rollouts >/dev/null || true' EXIT
fi
export BENCH_CPU_PIDS
stop_rollouts >/dev/null  # none left over from an interrupted run

export BENCH_WARMUP="${BENCH_ROLLOUT_WARMUP:-10}"
echo "## bootstrap while rollouts are active (wrk -t2 -c$BENCH_CONNECTIONS, ${BENCH_SECONDS} s per run after a ${BENCH_WARMUP} s warm-up)"
echo "| run | req/s | p50 | p95 | p99 | errors + non-2xx |${BENCH_CPU_PIDS:+ gunicorn CPU per request |}"
echo "|---|---|---|---|---|---|${BENCH_CPU_PIDS:+---|}"
measure() {  # label
  bench "bootstrap, 30 plugins, $1" "$base" "$requests/bootstrap_30.tsv"
  bench "bootstrap, 20 people, $1" "$base" "$requests/bootstrap_people.tsv"
}
measure "no rollout"
started=$(.venv/bin/python bench/bootstrap_rollout.py start "$data")
measure "rollouts at 50 %"
stop_rollouts >/dev/null
measure "no rollout (after)"
echo
echo "$started"
column() {  # run name, column (2: req/s, 7: CPU per request): the last such row
  awk -F'\t' -v name="$1" -v column="$2" '$1 == name {value = $column} END {print value}' \
    "$BENCH_DIR/results.tsv"
}
for who in "30 plugins" "20 people"; do
  values=()
  for column in 2 7; do
    for label in "no rollout" "rollouts at 50 %" "no rollout (after)"; do
      values+=("$(column "bootstrap, $who, $label" "$column")")
    done
  done
  python3 - "$who" "${values[@]}" <<'PY'
import sys

who, *values = sys.argv[1:]
before, during, after = map(float, values[:3])
ratio = during / ((before + after) / 2)
verdict = "met" if ratio >= 0.9 else "NOT met"
print(f"- bootstrap, {who}: req/s with rollouts / without = {ratio:.2f} "
      f"(target >= 0.90, within 10 %: {verdict}; without: {before:.0f} and {after:.0f} req/s)")
if all(values[3:]):
    before, during, after = map(float, values[3:])
    ratio = ((before + after) / 2) / during
    print(f"  CPU per request without / with = {ratio:.2f} (the req/s ratio where CPU bounds "
          f"both: {'met' if ratio >= 0.9 else 'NOT met'}; {before:.0f}, {during:.0f} and "
          f"{after:.0f} us)")
PY
done
