#!/usr/bin/env bash
# What skipping unneeded decoding work saves (issue 5 item 3): CPU of `monitor --threads 1` on the
# noisy H.264 clip of compare.sh (made here if missing), each detector set with the decoder
# relaxed to what the set needs (the default) and with --full-decode, interleaved, median of
# $REPS rounds (default 5):
#   none      no detectors: nothing needed from the pictures (deblocking and non-reference
#             pictures skipped)
#   levels    black, out_of_range, frame_drop, format_change, video_loss + silence, clipping,
#             loudness: every picture, deblocking not needed
#   defaults  the default set: freeze, stutter and corruption need every picture deblocked,
#             so nothing is skipped (the two rows must be equal)
#   RES=1920x1080 benches/relax.sh
set -euo pipefail
# shellcheck source=benches/setup.sh
source "$(dirname "$0")/setup.sh"
echo '[]' > "$work/none.json"
printf '%s' '[{"type":"black"},{"type":"out_of_range"},{"type":"frame_drop"},{"type":"format_change"},{"type":"video_loss"},{"type":"silence"},{"type":"clipping"},{"type":"loudness"}]' > "$work/levels.json"
cpu_of() { # command... -> user+sys seconds
  /usr/bin/time -f "%U %S" -o "$work/time.txt" "$@" > /dev/null 2> /dev/null
  awk '{printf "%.3f\n", $1 + $2}' "$work/time.txt"
}
runs=$work/relax_runs.txt; : > "$runs"
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
for _ in $(seq "$REPS"); do
  for set in none levels defaults; do
    cfg=(--config "$work/$set.json"); [ "$set" = defaults ] && cfg=()
    echo "$set relaxed $(cpu_of "$monitor" --threads 1 "${cfg[@]}" "$clip")" >> "$runs"
    echo "$set full $(cpu_of "$monitor" --threads 1 --full-decode "${cfg[@]}" "$clip")" >> "$runs"
  done
done
for set in none levels defaults; do
  r=$(awk -v s=$set '$1==s && $2=="relaxed"{print $3}' "$runs" | median)
  f=$(awk -v s=$set '$1==s && $2=="full"{print $3}' "$runs" | median)
  awk -v s=$set -v r="$r" -v f="$f" -v n="$REPS" -v res="$RES" 'BEGIN {
    printf "%s %-8s cpu s (median of %d): relaxed %.2f  full decode %.2f  relaxed/full x%.2f\n", res, s, n, r, f, r/f }'
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
