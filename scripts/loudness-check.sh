#!/usr/bin/env bash
# Integrated loudness of avqc's `loudness` detector against FFmpeg's `ebur128` filter, on every
# clip with audio:
#
#   scripts/loudness-check.sh [DIR|CLIP ...]     (default: $CORPUS, else target/eval/corpus-public)
#
# For each clip: FFmpeg's summary "I:" (0.1 LU steps) and its last `lavfi.r128.I` frame value
# (0.001 LU), avqc's last `integrated_lufs` metric (`monitor --detectors loudness`), and the
# differences. Exit 1 when any |avqc - FFmpeg summary| > 0.1 LU (or a clip could not be
# measured by either), 2 on usage errors.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
limit=0.1
args=("$@")
if [ ${#args[@]} -eq 0 ]; then
  args=("${CORPUS:-$here/target/eval/corpus-public}")
fi
clips=()
for a in "${args[@]}"; do
  if [ -d "$a" ]; then
    for f in "$a"/*.ts "$a"/*.mp4 "$a"/*.m4a "$a"/*.wav; do [ -f "$f" ] && clips+=("$f"); done
  elif [ -f "$a" ]; then
    clips+=("$a")
  else
    echo "no such clip or directory: $a" >&2; exit 2
  fi
done
[ ${#clips[@]} -gt 0 ] || { echo "no clips found in ${args[*]}" >&2; exit 2; }

cargo build --release --quiet --example monitor --manifest-path "$here/Cargo.toml" >&2
monitor=$here/target/release/examples/monitor
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

printf '%-32s %4s %10s %10s %10s %8s %8s\n' clip ch "ffmpeg I" "ffmpeg I'" "avqc I" diff "diff'"
printf '%-32s %4s %10s %10s %10s %8s %8s\n' "" "" "(summary)" "(frames)" "" "" "(frames)"
failed=0; n=0; worst=0
for clip in "${clips[@]}"; do
  ch=$(ffprobe -v error -select_streams a:0 -show_entries stream=channels -of csv=p=0 "$clip" || true)
  ch=${ch%%$'\n'*}
  [ -n "$ch" ] || continue   # no audio
  n=$((n + 1))
  ffmpeg -hide_banner -nostats -i "$clip" -map 0:a:0 \
    -af "ebur128=peak=true:metadata=1,ametadata=mode=print:key=lavfi.r128.I:file=$tmp/frames.txt" \
    -f null - > /dev/null 2> "$tmp/ffmpeg.log" || true
  # The summary printed when the filter graph is torn down is the last one in the log.
  ff=$(awk '/Integrated loudness:/{getline; if ($1 == "I:") v=$2} END{print v}' "$tmp/ffmpeg.log")
  ffp=$(awk -F= '/^lavfi.r128.I=/{v=$2} END{print v}' "$tmp/frames.txt" 2>/dev/null || true)
  ours=$("$monitor" --detectors loudness "$clip" 2>/dev/null \
    | python3 -c 'import json,sys
v=""
for l in sys.stdin:
    e=json.loads(l)
    if e.get("kind")=="metric" and e.get("name")=="integrated_lufs": v=e["value"]
print(v)')
  read -r d dp bad < <(python3 -c 'import sys
a,b,c,lim=sys.argv[1:]
f=lambda x: float(x) if x else None
o,s,p=f(a),f(b),f(c)
d=None if o is None or s is None else o-s
dp=None if o is None or p is None else o-p
bad=d is None or abs(d)>float(lim)+1e-9
fmt=lambda x: "-" if x is None else "%+.3f"%x
print(fmt(d),fmt(dp),int(bad))' "$ours" "$ff" "$ffp" "$limit")
  printf '%-32s %4s %10s %10s %10s %8s %8s%s\n' "$(basename "$clip")" "$ch" "${ff:--}" "${ffp:--}" \
    "${ours:--}" "$d" "$dp" "$([ "$bad" = 1 ] && echo '  <-- over')"
  [ "$bad" = 1 ] && failed=$((failed + 1))
  worst=$(python3 -c 'import sys; w,d=sys.argv[1:]; print(max(float(w), abs(float(d)) if d!="-" else 0))' "$worst" "$d")
done
echo "clips with audio: $n; max |diff| vs FFmpeg summary: $worst LU (limit $limit); over the limit or unmeasured: $failed"
[ "$failed" -eq 0 ]
