#!/usr/bin/env bash
# What the cheaper-decoding options cost and save (issue 5 item 3), one clip, interleaved rounds:
# CPU (user + sys) and wall seconds of `monitor` on the noisy H.264 clip of compare.sh (made here
# if missing), median of $REPS rounds (default 5), each against the first row of its group.
#   threads   --threads 1 (one decoder thread, what many streams on few cores want) against
#             --threads 2 (libavcodec's frame threads: the shortest wall time for one file)
#   analysis  the default set on the full picture (the threads1 row) against --analysis 640x360 (the detectors
#             read a downscaled copy; the scaling is paid once per picture)
#   thin      the level checks (black, out_of_range, frame_drop, format_change, video_loss)
#             against the same with --thin 2 and --thin 4 (detectors that need not see every
#             picture see every n-th; out_of_range is the one of them with work per picture)
#   RES=1920x1080 benches/options.sh
set -euo pipefail
# shellcheck source=benches/setup.sh
source "$(dirname "$0")/setup.sh"
printf '%s' '[{"type":"black"},{"type":"out_of_range"},{"type":"frame_drop"},{"type":"format_change"},{"type":"video_loss"}]' > "$work/levels_video.json"
run_of() { # label, monitor args... -> "label cpu wall"
  local label=$1; shift
  /usr/bin/time -f "%U %S %e" -o "$work/time.txt" "$monitor" "$@" "$clip" > /dev/null 2> /dev/null
  awk -v l="$label" '{printf "%s %.3f %.3f\n", l, $1 + $2, $3}' "$work/time.txt"
}
runs=$work/options_$RES.txt
: > "$runs"
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
for _ in $(seq "$REPS"); do
  run_of threads1 --threads 1 >> "$runs"
  run_of threads2 --threads 2 >> "$runs"
  run_of analysis --threads 1 --analysis 640x360 >> "$runs"
  run_of thin1 --threads 1 --config "$work/levels_video.json" >> "$runs"
  run_of thin2 --threads 1 --thin 2 --config "$work/levels_video.json" >> "$runs"
  run_of thin4 --threads 1 --thin 4 --config "$work/levels_video.json" >> "$runs"
done
report() { # baseline label, other labels...
  local base=$1; shift
  local bc bw
  bc=$(awk -v l="$base" '$1==l{print $2}' "$runs" | median)
  bw=$(awk -v l="$base" '$1==l{print $3}' "$runs" | median)
  printf '%s %-9s cpu %.2f s  wall %.2f s\n' "$RES" "$base" "$bc" "$bw"
  for l in "$@"; do
    local c w
    c=$(awk -v l="$l" '$1==l{print $2}' "$runs" | median)
    w=$(awk -v l="$l" '$1==l{print $3}' "$runs" | median)
    awk -v r="$RES" -v l="$l" -v c="$c" -v w="$w" -v bc="$bc" -v bw="$bw" 'BEGIN {
      printf "%s %-9s cpu %.2f s  wall %.2f s   cpu x%.2f  wall x%.2f\n", r, l, c, w, c/bc, w/bw }'
  done
}
echo "median of $REPS rounds:"
report threads1 threads2
report threads1 analysis
report thin1 thin2 thin4
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
