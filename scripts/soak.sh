#!/usr/bin/env bash
# The long, bounded soak: the crash tests (SIGKILL of `teller serve` under
# load, restarted on the same database; on PostgreSQL also PostgreSQL itself
# restarted under load) and the scale-out test, with larger settings than
# `cargo test` uses, built in release mode. Stops by itself within
# TELLER_SOAK_MINUTES (default 15), build included, and prints the figures:
# crash rounds, casts, receipts, ballots in flight at the kills, and retries
# that found their ballot already committed.
#
#   scripts/soak.sh                                   # SQLite only
#   TELLER_TEST_DATABASE_URL=postgres://teller:teller@127.0.0.1/teller scripts/soak.sh
#
# With TELLER_TEST_DATABASE_URL it also runs on PostgreSQL, restarts the local
# cluster that serves it (or TELLER_PG_CLUSTER, e.g. "15 main") with
# pg_ctlcluster, as root or the cluster's owner, and runs the scale-out test. Any TELLER_CRASH_*
# or TELLER_SCALEOUT_* variable already set overrides the soak's value (see
# the tables at the top of tests/crash.rs and tests/scaleout.rs); set
# TELLER_CRASH_SEED to replay the kill moments of an earlier run.
# Exit status: 0 when every test passed, 1 when one failed or ran out of time.
set -euo pipefail
cd "$(dirname "$0")/.."

minutes=${TELLER_SOAK_MINUTES:-15}
deadline=$(( $(date +%s) + minutes * 60 ))

export TELLER_CRASH_ROUNDS=${TELLER_CRASH_ROUNDS:-30}
export TELLER_CRASH_CASTS=${TELLER_CRASH_CASTS:-3000}
export TELLER_CRASH_CLIENTS=${TELLER_CRASH_CLIENTS:-64}
export TELLER_CRASH_SECONDS=${TELLER_CRASH_SECONDS:-300}
export TELLER_CRASH_PG_RESTARTS=${TELLER_CRASH_PG_RESTARTS:-3}
export TELLER_CRASH_PG_SECONDS=${TELLER_CRASH_PG_SECONDS:-45}
export TELLER_CRASH_PG_DOWN_MS=${TELLER_CRASH_PG_DOWN_MS:-1000}
export TELLER_SCALEOUT_INSTANCES=${TELLER_SCALEOUT_INSTANCES:-3}
export TELLER_SCALEOUT_CASTS=${TELLER_SCALEOUT_CASTS:-3000}
export TELLER_SCALEOUT_CLIENTS=${TELLER_SCALEOUT_CLIENTS:-60}
export TELLER_SCALEOUT_SECONDS=${TELLER_SCALEOUT_SECONDS:-60}

log=$(mktemp "${TMPDIR:-/tmp}/teller-soak.XXXXXX")
echo "soak: up to ${minutes} min; full output in $log"
env | grep -E '^TELLER_(CRASH|SCALEOUT|PG)_' | sort | sed 's/^/soak:   /'

remaining() { echo $(( deadline - $(date +%s) )); }

# A test stopped for time while PostgreSQL was held down cannot start it
# again itself: make sure the cluster is running whatever happens.
ensure_postgres() {
  if [ -n "${TELLER_TEST_DATABASE_URL:-}" ] && command -v pg_ctlcluster >/dev/null; then
    local v c port
    if [ -n "${TELLER_PG_CLUSTER:-}" ]; then
      read -r v c <<<"$TELLER_PG_CLUSTER"
    else
      port=${TELLER_TEST_DATABASE_URL##*@}; port=${port%%/*}
      [[ $port == *:* ]] && port=${port##*:} || port=5432
      read -r v c < <(pg_lsclusters -h | awk -v p="$port" '$3 == p {print $1, $2; exit}') || return 0
    fi
    [ -n "${v:-}" ] || return 0
    pg_ctlcluster "$v" "$c" status >/dev/null 2>&1 || pg_ctlcluster "$v" "$c" start || true
  fi
}
trap ensure_postgres EXIT

# timeout signals its whole process group, so a test stopped for time takes
# its `teller serve` children (which stop on SIGTERM) with it.
bounded() {
  local left
  left=$(remaining)
  if (( left <= 0 )); then
    echo "soak: out of time before: $*" | tee -a "$log"
    return 124
  fi
  timeout --kill-after=20 "$left" "$@"
}

# Build once and run the test executables themselves, so that every test
# runs the same build even if the sources change meanwhile.
echo "soak: building (release)"
started=$(date +%s)
build=$(mktemp "${TMPDIR:-/tmp}/teller-soak-build.XXXXXX")
if ! bounded cargo test --release -p teller --test crash --test scaleout --no-run >"$build" 2>&1; then
  cat "$build" >>"$log"
  tail -n 30 "$build"
  rm -f "$build"
  echo "soak: build failed or ran out of time"
  exit 1
fi
cat "$build" >>"$log"
executable() { sed -n "s|^ *Executable tests/$1\.rs (\(.*\))\$|\1|p" "$build" | tail -n 1; }
declare -A exe=([crash]="$(executable crash)" [scaleout]="$(executable scaleout)")
rm -f "$build"
for t in crash scaleout; do
  if [ ! -x "${exe[$t]}" ]; then
    echo "soak: cannot find the $t test executable in cargo's output"
    exit 1
  fi
done
echo "soak: built in $(( $(date +%s) - started )) s"

runs=("crash acknowledged_ballots_survive_sigkill_under_load::sqlite")
if [ -n "${TELLER_TEST_DATABASE_URL:-}" ]; then
  runs+=(
    "crash acknowledged_ballots_survive_sigkill_under_load::postgres"
    "crash a_postgres_restart_under_load_is_survived_without_restarting_teller"
    "scaleout instances_on_one_database_keep_one_chain_and_one_ballot_per_token"
  )
else
  echo "soak: TELLER_TEST_DATABASE_URL is not set: SQLite only (no PostgreSQL crash, restart or scale-out run)"
fi

failed=0
for run in "${runs[@]}"; do
  read -r target name <<<"$run"
  if (( $(remaining) <= 0 )); then
    failed=1
    echo "soak: out of time; not run: $target::$name"
    continue
  fi
  echo "soak: running $target::$name ($(remaining) s left)"
  started=$(date +%s)
  status=0
  bounded "${exe[$target]}" --exact "$name" --nocapture --test-threads=1 >>"$log" 2>&1 || status=$?
  took=$(( $(date +%s) - started ))
  if (( status == 0 )); then
    echo "soak:   passed in ${took} s"
  elif (( status == 124 || status == 137 )); then
    failed=1
    echo "soak:   stopped: out of time after ${took} s"
  else
    failed=1
    echo "soak:   FAILED (status $status) after ${took} s; the end of its output:"
    tail -n 40 "$log" | sed 's/^/soak:   | /'
  fi
done

echo
echo "soak: figures (one line per test; in_flight_at_kills = casts started but not answered at each kill, summed;"
echo "soak: committed_unanswered = retries that found their ballot already committed; seed replays the kill moments)"
grep -o 'FIGURES .*' "$log" | sed 's/^FIGURES /  /' || echo "  (none: no test got that far)"
if (( failed )); then
  echo "soak: FAILED; see $log"
  exit 1
fi
echo "soak: all passed"
