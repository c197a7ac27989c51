#!/usr/bin/env bash
# Whole-process CPU of avqc's `monitor` against the ffmpeg CLI on the same files, per resolution,
# measured in one run so the ratios hold on a noisy shared machine. For each of 480p, 720p and
# 1080p (a ${SECS:-20} s H.264 + AAC clip of moving, noisy test pattern made here with ffmpeg, coded
# at a distribution bitrate):
#   a  ffmpeg_decode    ffmpeg -threads 1 -i CLIP -f null -             (the floor)
#   b  ffmpeg_filters   same + freezedetect,blackdetect,blockdetect / silencedetect,astats,ebur128
#   c  avqc_decode      monitor --threads 1 --full-decode with no detectors (`--config` of `[]`;
#                       without --full-decode an empty set would skip the deblocking filter)
#   d  avqc_defaults    monitor --threads 1 with the default detector set (on the decoder
#                       thread, the default)
#   e  avqc_thread      the same with --detector-threads 1 (one detector thread)
# CPU = user + sys seconds from /usr/bin/time (Debian package `time`); the four commands run
# interleaved, $REPS rounds (default 3), and the median of each is reported with the ratios
# d/c and e/c (detectors on top of avqc's own decode), d/a and d/b; then the same ratios of the
# fastest run of each (steadier when the host adds noise: it only ever adds time), and the
# ratios paired by round (median, and mean with its standard error).
#   benches/compare.sh                    all three resolutions
#   RES="1280x720" benches/compare.sh     just one
#   CLIP_ONLY=1 benches/compare.sh        only make the clips
# Extra monitor arguments for row d (e.g. a decoder option) go in $AVQC_ARGS.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
REPS=${REPS:-3}
SECS=${SECS:-20}
NOISE=${NOISE:-10}   # temporal noise strength of the clips (0: the clean pattern)
RES=${RES:-"854x480 1280x720 1920x1080"}
AVQC_ARGS=${AVQC_ARGS:-}
work=$here/target/bench; mkdir -p "$work"
cargo build --release --quiet --example monitor --manifest-path "$here/Cargo.toml"
monitor=$here/target/release/examples/monitor
echo '[]' > "$work/no_detectors.json"

clip_for() { # WxH -> path (made once)
  local clip=$work/noise${NOISE}_${1}_${SECS}s.ts
  # A distribution bitrate: 0.12 bit per pixel at 25 fps (1080p 6.2 Mb/s, 720p 2.8, 480p 1.2).
  local w=${1%x*} h=${1#*x}
  local rate=$((w * h * 25 * 12 / 100))
  if [ ! -f "$clip" ]; then
    # testsrc2 moves everywhere; temporal noise makes it code and decode like camera footage.
    ffmpeg -v error -y -f lavfi -i "testsrc2=size=$1:rate=25:duration=$SECS,noise=alls=$NOISE:allf=t" \
      -f lavfi -i "sine=frequency=440:sample_rate=48000:duration=$SECS" \
      -c:v libx264 -preset veryfast -g 50 -pix_fmt yuv420p -maxrate "$rate" -bufsize "$((2 * rate))" \
      -c:a aac -b:a 128k "$clip"
  fi
  echo "$clip"
}

cpu_of() { # command... -> user+sys seconds
  /usr/bin/time -f "%U %S" -o "$work/time.txt" "$@" > /dev/null 2> /dev/null
  awk '{printf "%.3f\n", $1 + $2}' "$work/time.txt"
}

median() { sort -g | awk '{v[NR]=$1} END {print (NR % 2) ? v[(NR+1)/2] : (v[NR/2] + v[NR/2+1]) / 2}'; }
minimum() { sort -g | head -1; }

echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
for res in $RES; do
  clip=$(clip_for "$res")
  [ "${CLIP_ONLY:-0}" = 1 ] && continue   # just make the clips (benches/relax.sh)
  : > "$work/runs_$res.txt"
  for _ in $(seq "$REPS"); do
    echo "a $(cpu_of ffmpeg -v error -threads 1 -i "$clip" -f null -)" >> "$work/runs_$res.txt"
    echo "b $(cpu_of ffmpeg -v error -threads 1 -filter_threads 1 -i "$clip" \
      -vf freezedetect,blackdetect,blockdetect -af silencedetect,astats,ebur128 -f null -)" \
      >> "$work/runs_$res.txt"
    echo "c $(cpu_of "$monitor" --threads 1 --full-decode --config "$work/no_detectors.json" "$clip")" >> "$work/runs_$res.txt"
    # shellcheck disable=SC2086
    echo "d $(cpu_of "$monitor" --threads 1 $AVQC_ARGS "$clip")" >> "$work/runs_$res.txt"
    # shellcheck disable=SC2086
    echo "e $(cpu_of "$monitor" --threads 1 --detector-threads 1 $AVQC_ARGS "$clip")" >> "$work/runs_$res.txt"
  done
  a=$(awk '$1=="a"{print $2}' "$work/runs_$res.txt" | median)
  b=$(awk '$1=="b"{print $2}' "$work/runs_$res.txt" | median)
  c=$(awk '$1=="c"{print $2}' "$work/runs_$res.txt" | median)
  d=$(awk '$1=="d"{print $2}' "$work/runs_$res.txt" | median)
  e=$(awk '$1=="e"{print $2}' "$work/runs_$res.txt" | median)
  # Fastest run of each: the host's interference only ever adds time, so the minimum is the
  # steadiest estimate of a command's own cost when the scatter is wide.
  mb=$(awk '$1=="b"{print $2}' "$work/runs_$res.txt" | minimum)
  mc=$(awk '$1=="c"{print $2}' "$work/runs_$res.txt" | minimum)
  md=$(awk '$1=="d"{print $2}' "$work/runs_$res.txt" | minimum)
  me=$(awk '$1=="e"{print $2}' "$work/runs_$res.txt" | minimum)
  awk -v r="$res" -v a="$a" -v b="$b" -v c="$c" -v d="$d" -v e="$e" -v n="$REPS" \
    -v mb="$mb" -v mc="$mc" -v md="$md" -v me="$me" 'BEGIN {
    printf "%-9s cpu s (median of %d): a ffmpeg_decode %.2f  b ffmpeg_filters %.2f  c avqc_decode %.2f  d avqc_defaults %.2f  e avqc_thread %.2f\n", r, n, a, b, c, d, e
    printf "%-9s d/c x%.2f   e/c x%.2f   d/a x%.2f   d/b x%.2f   e/b x%.2f   (b/a x%.2f)\n", r, d/c, e/c, d/a, d/b, e/b, b/a
    printf "%-9s fastest runs: d/c x%.2f   e/c x%.2f   d/b x%.2f   e/b x%.2f\n", r, md/mc, me/mc, md/mb, me/mb }'
  # Paired by round: each round's d/c (and d/b), so a slow stretch of the host slows both
  # commands of the ratio; their median, and their mean with its standard error.
  paste <(awk '$1=="b"{print $2}' "$work/runs_$res.txt") <(awk '$1=="c"{print $2}' "$work/runs_$res.txt") \
        <(awk '$1=="d"{print $2}' "$work/runs_$res.txt") > "$work/pairs_$res.txt"
  dc_med=$(awk '{print $3/$2}' "$work/pairs_$res.txt" | median)
  db_med=$(awk '{print $3/$1}' "$work/pairs_$res.txt" | median)
  awk -v r="$res" -v dcm="$dc_med" -v dbm="$db_med" '{x=$3/$2; s+=x; q+=x*x; y=$3/$1; t+=y; u+=y*y; n++}
    END {m=s/n; v=(n>1)?(q-n*m*m)/(n-1):0; se=sqrt((v>0?v:0)/n); mb=t/n; vb=(n>1)?(u-n*mb*mb)/(n-1):0; seb=sqrt((vb>0?vb:0)/n)
      printf "%-9s per round: d/c median x%.3f, mean x%.3f +- %.3f (s.e., %d rounds)   d/b median x%.3f, mean x%.3f +- %.3f\n", r, dcm, m, se, n, dbm, mb, seb}' \
    "$work/pairs_$res.txt"
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
