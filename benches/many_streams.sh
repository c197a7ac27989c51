#!/usr/bin/env bash
# The Monitor runtime under load (issue 5): live-paced streams in one process.
#   1. 1,000 small streams (160x90 25 fps H.264 + mono AAC) with every default detector;
#   2. streams per core: 720p25 H.264 + stereo AAC with every default detector, N rising,
#      until streams report lag.
# Each run prints examples/many_streams' JSON summary (threads, RSS, lag) plus the process CPU
# time from /usr/bin/time. Env: SECS (run time per case, default 30), SMALL (default 1000),
# SWEEP (720p stream counts, default "4 8 12 16").
set -euo pipefail
cd "$(dirname "$0")/.."
SECS=${SECS:-30}
SMALL=${SMALL:-1000}
SWEEP=${SWEEP:-"4 8 12 16"}
dir=target/bench/many_streams
mkdir -p "$dir"
cargo build --release --example many_streams --quiet
bin=target/release/examples/many_streams
small="$dir/clip_160x90.ts"; big="$dir/clip_1280x720.ts"
[ -f "$small" ] || ffmpeg -v error -y -f lavfi -i "testsrc2=size=160x90:rate=25,noise=alls=8:allf=t" \
  -f lavfi -i "sine=frequency=440:sample_rate=48000" -t 90 -c:v libx264 -preset veryfast -g 50 \
  -b:v 150k -c:a aac -b:a 64k -ac 1 "$small"
[ -f "$big" ] || ffmpeg -v error -y -f lavfi -i "testsrc2=size=1280x720:rate=25,noise=alls=8:allf=t" \
  -f lavfi -i "sine=frequency=440:sample_rate=48000" -t 90 -c:v libx264 -preset veryfast -g 50 \
  -b:v 3000k -maxrate 3000k -bufsize 6000k -c:a aac -b:a 128k -ac 2 "$big"
run() {
  local label=$1; shift
  local out
  out=$( { /usr/bin/time -f "cpu_s=%U+%S" "$bin" --secs "$SECS" "$@" 2>"$dir/err.log"; } 2>&1 || true)
  echo "$label $(grep '^{' <<<"$out" | tail -1) $(grep -o 'cpu_s=.*' "$dir/err.log" | tail -1)"
}
echo "== $SMALL streams, 160x90, default detectors, ${SECS}s"
run "small-default" --streams "$SMALL" "$small"
echo "== $SMALL streams, 160x90 video only, freeze+black, ${SECS}s"
run "small-video" --streams "$SMALL" --video-only --detectors '[{"type":"freeze"},{"type":"black"}]' "$small"
for n in 100 200; do
  run "small-default-$n" --streams "$n" "$small"
done
echo "== streams per core: 720p25, default detectors, ${SECS}s each"
for n in $SWEEP; do
  run "720p-$n" --streams "$n" "$big"
done
