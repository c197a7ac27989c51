#!/usr/bin/env bash
# Capacity and graceful overload of the Monitor (issue 21), with live-paced 720p25 H.264 + AAC
# streams and every default detector:
#   1. `admit`: the capacity C of this machine by admission (`Monitor::try_add` until refused;
#      default target utilisation 0.8, other processes' load measured and left out), run SECS;
#   2. for each factor F of LOADS: F×C streams (priorities 10/50/90 in turn), once without the
#      overload controller (`--no-degrade`, the before), once with `--degrade reduce` and once
#      with `--degrade shed`.
# Prints per run `uptime`'s load, the example's JSON summary and its capacity/overload lines
# (kept up = running and never more than 1 s behind in the second half of the run).
# Env: SECS (default 40), LOADS (default "1.3 1.6"), CAP (skip step 1 and use this C).
set -euo pipefail
cd "$(dirname "$0")/.."
SECS=${SECS:-40}
LOADS=${LOADS:-"1.3 1.6"}
dir=target/bench/many_streams
mkdir -p "$dir"
cargo build --release --example many_streams --quiet
bin=target/release/examples/many_streams
big="$dir/clip_1280x720.ts"
[ -f "$big" ] || ffmpeg -v error -y -f lavfi -i "testsrc2=size=1280x720:rate=25,noise=alls=8:allf=t" \
  -f lavfi -i "sine=frequency=440:sample_rate=48000" -t 90 -c:v libx264 -preset veryfast -g 50 \
  -b:v 3000k -maxrate 3000k -bufsize 6000k -c:a aac -b:a 128k -ac 2 "$big"
run() {
  local case=$1; shift
  echo "== $case: $* ($(uptime | sed 's/.*load/load/'))"
  "$bin" --secs "$SECS" "$@" "$big" 2>"$dir/overload_$case.log" | tail -1
  grep -E '^(capacity|  profile|overload|  priority)' "$dir/overload_$case.log"
}
if [ -z "${CAP:-}" ]; then
  run admit --admit --no-degrade
  CAP=$(grep -o '^capacity: [0-9]*' "$dir/overload_admit.log" | grep -o '[0-9]*$')
fi
for f in $LOADS; do
  n=$(python3 -c "print(round($CAP * $f))")
  run "nodegrade_$f" --streams "$n" --no-degrade
  run "reduce_$f" --streams "$n" --degrade reduce
  run "shed_$f" --streams "$n" --degrade shed
done
