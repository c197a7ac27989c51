#!/usr/bin/env bash
# Capacity and graceful overload of the Monitor (issue 21): on this machine, find the capacity C
# of live-paced 720p25 H.264 + AAC streams with every default detector by admission
# (`Monitor::try_add`), then run 1.3×C streams (priorities 10/50/90 in turn) without and with
# the overload controller. Prints, per case, `uptime` before, the example's capacity and
# overload lines and its JSON summary. Env: SECS (run time per case, default 40), LOAD (default
# 1.3), CASES (default "admit nodegrade reduce shed").
set -euo pipefail
cd "$(dirname "$0")/.."
SECS=${SECS:-40}
LOAD=${LOAD:-1.3}
CASES=${CASES:-"admit nodegrade reduce shed"}
dir=target/bench/many_streams
mkdir -p "$dir"
cargo build --release --example many_streams --quiet
bin=target/release/examples/many_streams
big="$dir/clip_1280x720.ts"
[ -f "$big" ] || ffmpeg -v error -y -f lavfi -i "testsrc2=size=1280x720:rate=25,noise=alls=8:allf=t" \
  -f lavfi -i "sine=frequency=440:sample_rate=48000" -t 90 -c:v libx264 -preset veryfast -g 50 \
  -b:v 3000k -maxrate 3000k -bufsize 6000k -c:a aac -b:a 128k -ac 2 "$big"
for case in $CASES; do
  case $case in
    admit) args=(--admit --no-degrade) ;;
    nodegrade) args=(--admit --load "$LOAD" --no-degrade) ;;
    reduce) args=(--admit --load "$LOAD" --degrade reduce) ;;
    shed) args=(--admit --load "$LOAD" --degrade shed) ;;
    *) echo "unknown case $case" >&2; exit 2 ;;
  esac
  echo "== $case: ${args[*]} ($(uptime | sed 's/.*load/load/'))"
  "$bin" --secs "$SECS" "${args[@]}" "$big" 2>"$dir/overload_$case.log" | tail -1
  grep -E '^(capacity|  profile|overload)' "$dir/overload_$case.log"
done
