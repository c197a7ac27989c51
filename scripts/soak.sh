#!/usr/bin/env bash
# Soak test (issue 6): demo.ts looped through a realtime pushed input and the default detectors
# for AVQC_SOAK_SECS seconds (default 1800 = 30 min), sampling the process RSS; fails when the
# RSS at the end is not within 10 % of the RSS at one sixth of the run. Prints the RSS curve.
#   scripts/soak.sh                    # 30 minutes
#   AVQC_SOAK_SECS=120 scripts/soak.sh # a short run
set -euo pipefail
cd "$(dirname "$0")/.."
export AVQC_SOAK_SECS="${AVQC_SOAK_SECS:-1800}"
cargo test --release --test soak -- --ignored --nocapture
