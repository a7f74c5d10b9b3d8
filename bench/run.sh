#!/usr/bin/env bash
# Reproduce the benchmark suite: build both binaries in release mode, run
# `teller bench`, and write the report to bench/RESULTS.md.
#
#   bench/run.sh                                  # SQLite only
#   TELLER_BENCH_POSTGRES_URL=postgres://teller:teller@127.0.0.1/teller bench/run.sh
#   bench/run.sh --quick --out /tmp/smoke.md      # options go on to `teller bench`
#
# The PostgreSQL role must be allowed to CREATE DATABASE: the run makes its
# own databases and drops them. A full run takes about ten minutes on two
# cores; `teller bench --help` lists every option.
set -euo pipefail
cd "$(dirname "$0")/.."

cargo build --release --workspace
# Read-only: names the commit measured (working-tree changes are not detected).
TELLER_BENCH_REVISION="$(git rev-parse --short HEAD 2>/dev/null || echo unknown) (git HEAD)"
export TELLER_BENCH_REVISION
teller="${CARGO_TARGET_DIR:-target}/release/teller"

# Whether the caller gave option $1 themselves (it may then not be repeated).
given() {
    local option="$1" arg
    shift
    for arg in "$@"; do
        [[ "$arg" == "$option" || "$arg" == "$option="* ]] && return 0
    done
    return 1
}

args=(bench)
given --out "$@" || args+=(--out bench/RESULTS.md)
if [[ -n "${TELLER_BENCH_POSTGRES_URL:-}" ]]; then
    # Records on PostgreSQL too, up to 100,000 ballots: a 1,000,000-ballot
    # election built through PostgreSQL would add 10-15 minutes (extrapolated
    # from 100,000); pass --postgres-sizes 10000,100000,1000000 to measure it.
    given --export-postgres "$@" || args+=(--export-postgres)
    given --postgres-sizes "$@" || args+=(--postgres-sizes 10000,100000)
else
    echo "TELLER_BENCH_POSTGRES_URL is not set: PostgreSQL is skipped." >&2
fi
# teller reads TELLER_BENCH_POSTGRES_URL itself, keeping the password off the command line.
exec "$teller" "${args[@]}" "$@"
