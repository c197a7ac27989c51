#!/usr/bin/env bash
# Whole-process cost of `monitor` against the ffmpeg CLI on the same file, measured in one run
# so the ratios hold on a noisy shared machine:
#   decode only           ffmpeg -threads 1 -i CLIP -f null -
#   ffmpeg's detectors    same + freezedetect, blackdetect, silencedetect, astats
#   avqc decode only      monitor with only the (near-free) decode_errors detector
#   avqc monitor          default detectors, --threads 1
#   avqc analysis         default detectors on a 640x360 analysis copy
# Prints wall seconds, user+sys CPU seconds and peak RSS for each, best of $REPS runs.
#   benches/compare.sh [CLIP]      (default: a 20 s 1080p25 H.264 + AAC clip made here)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
REPS=${REPS:-3}
work=$here/target/bench; mkdir -p "$work"
clip=${1:-$work/testsrc2_1080p_20s.ts}
if [ ! -f "$clip" ]; then
  ffmpeg -v error -y -f lavfi -i "testsrc2=size=1920x1080:rate=25:duration=20" \
    -f lavfi -i "sine=frequency=440:sample_rate=48000:duration=20" \
    -c:v libx264 -preset veryfast -g 50 -pix_fmt yuv420p -c:a aac -b:a 128k "$clip"
fi
cargo build --release --quiet --example monitor --manifest-path "$here/Cargo.toml"
monitor=$here/target/release/examples/monitor

measure() { # name, command...
  local name=$1; shift
  local best_wall=999999 best_cpu=0 best_rss=0
  for _ in $(seq "$REPS"); do
    /usr/bin/time -f "%e %U %S %M" -o "$work/time.txt" "$@" > /dev/null 2>&1
    read -r wall user sys rss < "$work/time.txt"
    if awk "BEGIN{exit !($wall < $best_wall)}"; then
      best_wall=$wall; best_cpu=$(awk "BEGIN{print $user+$sys}"); best_rss=$rss
    fi
  done
  printf '%-22s wall %7.2f s   cpu %7.2f s   peak RSS %7.1f MiB\n' "$name" "$best_wall" "$best_cpu" "$(awk "BEGIN{print $best_rss/1024}")"
  echo "$name $best_wall $best_cpu $best_rss" >> "$work/results.txt"
}

: > "$work/results.txt"
echo "clip: $clip ($(ffprobe -v error -show_entries format=duration -of csv=p=0 "$clip") s)"
measure ffmpeg_decode ffmpeg -v error -threads 1 -i "$clip" -f null -
measure ffmpeg_filters ffmpeg -v error -threads 1 -i "$clip" \
  -vf "freezedetect=n=-60dB:d=0.5,blackdetect=d=0.2" -af "silencedetect=n=-60dB:d=0.02,astats=metadata=1:reset=480" -f null -
measure avqc_decode_only "$monitor" --threads 1 --detectors decode_errors "$clip"
measure avqc_monitor "$monitor" --threads 1 "$clip"
measure avqc_analysis "$monitor" --threads 1 --analysis 640x360 "$clip"
echo "ratios to ffmpeg_decode:"
awk 'NR==1{d=$2; dc=$3} {printf "  %-16s wall x%.2f   cpu x%.2f\n", $1, $2/d, $3/dc}' "$work/results.txt"
