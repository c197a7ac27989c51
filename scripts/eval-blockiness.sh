#!/usr/bin/env bash
# Issue 3's blockiness check: runs the `blockiness` detector (off by default) on the heavily
# compressed and the pristine carphone source of ../shared/eval (fetched by make_corpus.py into
# ~/.cache/av-eval-corpus) and on every clean clip of the given corpus directories, and prints
# per clip the `video_blockiness` defects and the range of the per-second metrics.
#   scripts/eval-blockiness.sh [CORPUS_DIR...]   (default: target/eval/corpus-public)
# Expected: carphone_distorted flagged, carphone_pristine and every clean clip not.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cargo build --release --quiet --example monitor --manifest-path "$here/Cargo.toml"
monitor=$here/target/release/examples/monitor
src=$(find "$HOME/.cache/av-eval-corpus" -name carphone_distorted.mp4 2>/dev/null | head -1)
[ -n "$src" ] || { echo "carphone_distorted.mp4 not found: run ../shared/eval/make_corpus.py once" >&2; exit 1; }
dirs=("$@"); [ ${#dirs[@]} -gt 0 ] || dirs=("$here/target/eval/corpus-public")
clips=("$src" "$(dirname "$src")/carphone_pristine.mp4")
for d in "${dirs[@]}"; do clips+=("$d"/clean_*.ts); done
cfg=$(mktemp); trap 'rm -f "$cfg"' EXIT
echo '[{"type":"blockiness"}]' > "$cfg"
printf '%-34s %8s  %-19s %s\n' clip defects "blockiness/s" "blocky_share/s"
for f in "${clips[@]}"; do
  "$monitor" --config "$cfg" "$f" 2>/dev/null | python3 -c '
import json, sys
name = sys.argv[1]
ratio, share, defects = [], [], 0
for line in sys.stdin:
    e = json.loads(line)
    if e.get("kind") == "metric" and e.get("name") == "blockiness":
        ratio.append(e["value"])
    elif e.get("kind") == "metric" and e.get("name") == "blocky_share":
        share.append(e["value"])
    elif e.get("defect") == "video_blockiness" and e.get("phase") == "start":
        defects += 1
rng = lambda v: "%.2f-%.2f" % (min(v), max(v)) if v else "-"
print("%-34s %8d  %-19s %s" % (name[-34:], defects, rng(ratio), rng(share)))
' "$(basename "$(dirname "$f")")/$(basename "$f")"
done
