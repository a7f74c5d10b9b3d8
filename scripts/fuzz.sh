#!/usr/bin/env bash
# Build Teller's fuzz targets and run each for a bounded time (docs/FUZZING.md):
# with AddressSanitizer on a nightly toolchain when one is installed, else on
# stable with --sanitizer none.
#
#   scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]     # default 60 s, every target
#
# Environment:
#   CARGO_TARGET_DIR  where to build (default fuzz/target: never the main workspace's target/)
#   FUZZ_WORK         run directory: growing corpora, crash artifacts, logs (default $CARGO_TARGET_DIR/work)
#   FUZZ_JOBS         targets run at once (default 1; each uses one core)
#   FUZZ_FLAGS        extra libFuzzer flags, e.g. "-fork=1 -ignore_crashes=1" to keep going after a crash
#   FUZZ_TOOLCHAIN    "nightly" (AddressSanitizer) or "stable" (no sanitizer); default nightly when
#                     `rustup run nightly rustc -V` works, else stable
#
# The committed seeds in fuzz/corpus/<target>/ are read, never written: new
# inputs go to $FUZZ_WORK/corpus/<target>/, and crashes, hangs (> 10 s per
# input) and out-of-memory inputs (> 2 GB) to $FUZZ_WORK/artifacts/<target>/.
# Every run stops by itself (libFuzzer's -max_total_time, with `timeout` as a
# backstop). Exit status: 0 when no target found anything, 1 otherwise.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

seconds=${1:-60}
shift || true
all=(record_verify receipt_verify roll_csv ballot_form ballot_json ballot_files token_parse election_toml)
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=("${all[@]}")
case $seconds in '' | *[!0-9]*)
  echo "usage: scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]" >&2
  exit 2
  ;;
esac

export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$root/fuzz/target}
work=${FUZZ_WORK:-$CARGO_TARGET_DIR/work}
jobs=${FUZZ_JOBS:-1}
read -r -a extra <<<"${FUZZ_FLAGS:-}"

dict_for() {
  case $1 in
    record_verify | receipt_verify | ballot_json) echo fuzz/dicts/json.dict ;;
    ballot_form) echo fuzz/dicts/form.dict ;;
    ballot_files) echo fuzz/dicts/blt.dict ;;
    roll_csv) echo fuzz/dicts/csv.dict ;;
    election_toml) echo fuzz/dicts/toml.dict ;;
    *) echo "" ;;
  esac
}

if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "==> installing cargo-fuzz"
  cargo install cargo-fuzz --locked
fi

# AddressSanitizer needs nightly's -Zsanitizer; on stable, --sanitizer none.
# Either way cargo-fuzz instruments for coverage (SanitizerCoverage), builds
# optimised with debug assertions and overflow checks, and sets cfg(fuzzing).
toolchain=${FUZZ_TOOLCHAIN:-}
if [ -z "$toolchain" ]; then
  if rustup run nightly rustc -V >/dev/null 2>&1; then toolchain=nightly; else toolchain=stable; fi
fi
case $toolchain in
  nightly) build=(cargo +nightly fuzz build --fuzz-dir fuzz -O --debug-assertions) sanitizer=address ;;
  stable) build=(cargo fuzz build --fuzz-dir fuzz -O --debug-assertions --sanitizer none) sanitizer=none ;;
  *)
    echo "FUZZ_TOOLCHAIN must be nightly or stable" >&2
    exit 2
    ;;
esac
# The bundled SQLite is linked into every target through the teller crate;
# ASan reports its globals as an ODR violation though there is one copy.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_odr_violation=0}
echo "==> building fuzz targets on $toolchain, sanitizer $sanitizer (target dir $CARGO_TARGET_DIR)"
only=()
[ ${#targets[@]} -eq 1 ] && only=("${targets[0]}") # one target: build just it
"${build[@]}" "${only[@]}"
triple=$(rustc -vV | sed -n 's/^host: //p')
bindir=$CARGO_TARGET_DIR/$triple/release

mkdir -p "$work/logs"
run_one() {
  local t=$1
  local dict
  dict=$(dict_for "$t")
  mkdir -p "$work/corpus/$t" "$work/artifacts/$t"
  local args=(
    -max_total_time="$seconds"
    -timeout=10
    -rss_limit_mb=2048
    -print_final_stats=1
    -artifact_prefix="$work/artifacts/$t/"
  )
  [ -n "$dict" ] && args+=(-dict="$dict")
  # Seeds after the working corpus: libFuzzer writes only to the first.
  timeout --kill-after=30 $((seconds + 300)) \
    "$bindir/$t" "${args[@]}" "${extra[@]}" "$work/corpus/$t" "fuzz/corpus/$t" \
    >"$work/logs/$t.log" 2>&1 || true
}

echo "==> fuzzing ${#targets[@]} target(s), ${seconds} s each, $jobs at a time; logs in $work/logs"
running=0
for t in "${targets[@]}"; do
  [ -x "$bindir/$t" ] || {
    echo "no such fuzz target: $t" >&2
    exit 2
  }
  echo "    $t"
  run_one "$t" &
  running=$((running + 1))
  if [ "$running" -ge "$jobs" ]; then
    wait -n || true
    running=$((running - 1))
  fi
done
wait || true

# Summary: libFuzzer's final stats and its last status line.
found=0
echo
echo "toolchain $toolchain ($(rustup run "$toolchain" rustc -V 2>/dev/null || rustc -V)), sanitizer $sanitizer"
printf '%-15s %8s %12s %9s %7s %8s %7s  %s\n' target seconds executions execs/s cov features corpus findings
for t in "${targets[@]}"; do
  log=$work/logs/$t.log
  stat() { sed -n "s/^stat::$1: *//p" "$log" | tail -1; }
  execs=$(stat number_of_executed_units)
  rate=$(stat average_exec_per_sec)
  last=$(grep -E '^#[0-9]+' "$log" | grep -E 'cov: ' | tail -1 || true)
  cov=$(sed -n 's/.*cov: \([0-9]*\).*/\1/p' <<<"$last")
  ft=$(sed -n 's/.*ft: \([0-9]*\).*/\1/p' <<<"$last")
  corp=$(sed -n 's/.*corp: \([0-9]*\).*/\1/p' <<<"$last")
  artifacts=$(find "$work/artifacts/$t" -type f 2>/dev/null | wc -l)
  findings=none
  if [ "$artifacts" -gt 0 ] || grep -qE '^==[0-9]+== ?ERROR|^SUMMARY: libFuzzer' "$log"; then
    findings="$artifacts artifact(s) in $work/artifacts/$t"
    found=1
  fi
  printf '%-15s %8s %12s %9s %7s %8s %7s  %s\n' "$t" "$seconds" "${execs:-?}" "${rate:-?}" "${cov:-?}" "${ft:-?}" \
    "${corp:-?}" "$findings"
done
if [ "$found" -ne 0 ]; then
  echo
  echo "Findings: reproduce with $bindir/TARGET ARTIFACT; minimise with"
  echo "$bindir/TARGET -minimize_crash=1 -runs=100000 ARTIFACT; keep it under fuzz/regressions/TARGET/."
  exit 1
fi
