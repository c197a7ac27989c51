#!/usr/bin/env bash
# Detection quality on the labeled corpus of ../shared/eval (or $AVQC_EVAL):
# builds the corpus once (cached in $CORPUS), runs `monitor` with its default detectors on every
# clip, runs FFmpeg's own filters (ffmpeg_baseline.py) as the peer, and scores both.
#
#   scripts/eval.sh [--set public|holdout-like] [--seed N] [--gen ARG]... [--out DIR] [-- extra monitor args]
#
# --gen passes one argument on to make_corpus.py, for the generator's variety options that its
# hold-out corpora use, e.g. a draw with HEVC, AC-3, other frame rates, 1080i MPEG-2, the extra
# loudness cases and opaque names:
#   scripts/eval.sh --set holdout-like --seed 21 --gen --hevc-share=0.5 --gen --ac3-share=0.5 \
#     --gen --alt-fps-share=0.5 --gen --interlaced=2 --gen --loudness-extra --gen --opaque-names
#
# Outputs in DIR (default target/eval/<set>): ours.jsonl, ffmpeg.jsonl, ours.txt, ffmpeg.txt
# (score tables), and latency lines. Exit 0 unless a step fails.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
eval_dir=${AVQC_EVAL:-$here/../shared/eval}
set_name=public; seed=""; out=""
extra=(); gen=()
while [ $# -gt 0 ]; do
  case "$1" in
    --set) set_name=$2; shift 2;;
    --seed) seed=$2; shift 2;;
    --gen) gen+=("$2"); shift 2;;
    --out) out=$2; shift 2;;
    --) shift; extra=("$@"); break;;
    *) echo "usage: $0 [--set public|holdout-like] [--seed N] [--gen ARG]... [--out DIR] [-- monitor args]" >&2; exit 2;;
  esac
done
set_args=(--set "$set_name")
name=$set_name
if [ -n "$seed" ]; then
  set_args+=(--seed "$seed")
  # the public set keeps its old folder names (seedN); other sets are named with their seed
  if [ "$set_name" = public ]; then name=seed$seed; else name=$set_name-seed$seed; fi
fi
if [ ${#gen[@]} -gt 0 ]; then name=$name-variety; fi
set_args+=("${gen[@]}")
out=${out:-$here/target/eval/$name}
corpus=${CORPUS:-$here/target/eval/corpus-$name}
mkdir -p "$out"
"$here/scripts/install-deps.sh"
if [ ! -f "$corpus/truth.json" ]; then
  python3 "$eval_dir/make_corpus.py" "${set_args[@]}" --out "$corpus"
fi
cargo build --release --example monitor --manifest-path "$here/Cargo.toml" >&2
monitor=$here/target/release/examples/monitor
: > "$out/ours.jsonl"
SECONDS=0
for clip in "$corpus"/*.ts; do
  "$monitor" "${extra[@]}" "$clip" >> "$out/ours.jsonl" 2>> "$out/monitor.log" || echo "monitor failed on $clip (exit $?)" >&2
done
echo "monitor: $(ls "$corpus"/*.ts | wc -l) clips in ${SECONDS} s" >&2
if [ ! -f "$out/ffmpeg.jsonl" ]; then
  python3 "$eval_dir/ffmpeg_baseline.py" --corpus "$corpus" --out "$out/ffmpeg.jsonl" >&2
fi
python3 "$eval_dir/score.py" --truth "$corpus/truth.json" --events "$out/ours.jsonl" > "$out/ours.txt"
python3 "$eval_dir/score.py" --truth "$corpus/truth.json" --events "$out/ffmpeg.jsonl" > "$out/ffmpeg.txt"
echo "== avqc monitor (default detectors) =="; cat "$out/ours.txt"
echo; echo "== ffmpeg_baseline.py =="; cat "$out/ffmpeg.txt"
