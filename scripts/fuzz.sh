#!/usr/bin/env bash
# Coverage-guided fuzzing of the targets in fuzz/ with cargo-fuzz (libFuzzer + AddressSanitizer,
# overflow checks on), one target at a time, each for FUZZ_SECS seconds (default 30).
#   scripts/fuzz.sh                          # every target
#   FUZZ_SECS=600 scripts/fuzz.sh frames     # one target for 10 minutes
#   FUZZ_CI=1 scripts/fuzz.sh                # CI: fixed seed, fixed number of runs per target
# Corpora grow in fuzz/corpus/<target> (not committed), seeded from tests/data and tests/fuzz_support/seeds;
# a crash input lands in fuzz/artifacts/<target>/ and fails the script. Keep each one as a
# regression test: copy it to tests/data/fuzz/<target>/ (tests/fuzz_regressions.rs replays it).
# cargo-fuzz runs on the stable toolchain with RUSTC_BOOTSTRAP=1 (`cargo install cargo-fuzz
# --locked`; .ci/run installs it).
set -euo pipefail
cd "$(dirname "$0")/.."
export RUSTC_BOOTSTRAP=1
secs="${FUZZ_SECS:-30}"
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(detector_config frames pushed_bytes)
command -v cargo-fuzz > /dev/null || { echo "fuzz: cargo-fuzz is not installed (cargo install cargo-fuzz --locked)" >&2; exit 1; }

cargo fuzz build
for t in "${targets[@]}"; do
  corpus="fuzz/corpus/$t"
  # CI starts from the committed seeds only (an empty corpus), like a new machine.
  [ -z "${FUZZ_CI:-}" ] || corpus=$(mktemp -d)
  mkdir -p "$corpus"
  case "$t" in
    detector_config) seeds=(tests/fuzz_support/seeds/detector_config); max_len=4096; ci_runs=20000 ;;
    frames) seeds=(tests/data); max_len=65536; ci_runs=0 ;; # replay only: see fuzz/README.md
    pushed_bytes) seeds=(tests/data); max_len=400000; ci_runs=40 ;;
    *) echo "fuzz: unknown target $t" >&2; exit 2 ;;
  esac
  [ -d "tests/data/fuzz/$t" ] && seeds+=("tests/data/fuzz/$t")
  if [ -n "${FUZZ_CI:-}" ] && [ "$ci_runs" = 0 ]; then
    # A target still finding crashes in long runs: CI replays its seeds and kept crashes once.
    mapfile -t files < <(find "${seeds[@]}" -type f | sort -u)
    echo "== fuzz $t: replay of ${#files[@]} seed and regression inputs"
    cargo fuzz run "$t" "${files[@]}" -- -timeout=30 -rss_limit_mb=2048
    continue
  elif [ -n "${FUZZ_CI:-}" ]; then
    # CI: a fixed seed and a fixed number of runs, so the same commit fuzzes the same inputs
    # (a crash in CI is then reproducible, not luck); long runs use FUZZ_SECS instead.
    bound=(-seed=1 -runs="$ci_runs")
    echo "== fuzz $t: $ci_runs runs, seed 1"
  else
    bound=(-max_total_time="$secs")
    echo "== fuzz $t for ${secs}s"
  fi
  # -timeout: one input taking 30 s is a hang; -rss_limit_mb: more than 2 GiB is a leak or an
  # unbounded allocation. New inputs go to the first corpus directory only.
  cargo fuzz run "$t" "$corpus" "${seeds[@]}" -- \
    "${bound[@]}" -timeout=30 -rss_limit_mb=2048 -max_len="$max_len" \
    -print_final_stats=1
done
