#!/usr/bin/env bash
# Where the detectors' CPU goes inside the process: `perf record` of `monitor --threads 1
# --full-decode --detectors TYPE` on the noisy H.264 clip of compare.sh, one detector type at
# a time, and the samples in avqc's detector code (symbols matching $SYMBOLS) against
# libavcodec's samples of the same run: the detector's cost as a share of the decode, measured
# within one run. Needs `perf` (Debian package linux-perf) and permission to use it.
#   benches/detector_share.sh                      every default video and audio detector
#   RUNS=3 benches/detector_share.sh freeze sync   some of them, three runs each
#   ARGS='--set corruption.grid_steps=false' benches/detector_share.sh corruption
#                                                  with extra monitor options (split on spaces)
set -euo pipefail
# shellcheck source=benches/setup.sh
source "$(dirname "$0")/setup.sh"
RUNS=${RUNS:-2}
SYMBOLS=${SYMBOLS:-'detect::|luma|blockiness|ebur128|hint'}
read -r -a args <<< "${ARGS:-}"
types=("$@")
[ ${#types[@]} -gt 0 ] || types=(freeze black corruption stutter out_of_range sync loudness click hum channels silence clipping)
data=$work/perf.data
for t in "${types[@]}"; do
  shares=()
  for _ in $(seq "$RUNS"); do
    perf record -q -F 8000 -o "$data" -- "$monitor" --threads 1 --full-decode --detectors "$t" ${args[@]+"${args[@]}"} "$clip" > /dev/null 2>&1
    av=$(perf report -i "$data" --stdio --sort dso -F sample,dso 2> /dev/null | awk '/libavcodec/ {print $1}')
    det=$(perf report -i "$data" --stdio --sort symbol -F sample,symbol --dsos monitor 2> /dev/null |
      grep -E "$SYMBOLS" | awk '{s += $1} END {print s + 0}')
    shares+=("$(awk -v d="$det" -v a="$av" 'BEGIN {printf "%.1f%%", 100 * d / a}')")
  done
  printf '%s %-13s %s of the decode\n' "$RES" "$t" "${shares[*]}"
done
