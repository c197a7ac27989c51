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
here=$(cd "$(dirname "$0")/.." && pwd)
REPS=${REPS:-5}
RES=${RES:-1280x720}
SECS=${SECS:-20}
work=$here/target/bench; mkdir -p "$work"
cargo build --release --quiet --example monitor --manifest-path "$here/Cargo.toml"
monitor=$here/target/release/examples/monitor
clip=$work/noise10_${RES}_${SECS}s.ts
if [ ! -f "$clip" ]; then
  RES=$RES SECS=$SECS CLIP_ONLY=1 "$here/benches/compare.sh" > /dev/null
fi
echo '[]' > "$work/none.json"
printf '%s' '[{"type":"black"},{"type":"out_of_range"},{"type":"frame_drop"},{"type":"format_change"},{"type":"video_loss"},{"type":"silence"},{"type":"clipping"},{"type":"loudness"}]' > "$work/levels.json"
cpu_of() { # command... -> user+sys seconds
  /usr/bin/time -f "%U %S" -o "$work/time.txt" "$@" > /dev/null 2> /dev/null
  awk '{printf "%.3f\n", $1 + $2}' "$work/time.txt"
}
median() { sort -g | awk '{v[NR]=$1} END {print (NR % 2) ? v[(NR+1)/2] : (v[NR/2] + v[NR/2+1]) / 2}'; }
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
