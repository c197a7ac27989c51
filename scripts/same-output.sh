#!/usr/bin/env bash
# Are the events of this checkout the same, byte for byte, as those of another revision?
# For changes that must not change what avqc reports (refactors, speed work).
#
#   scripts/same-output.sh REV [DIR ...]
#
# Builds `monitor` at REV (in a git worktree under target/same-output/) and in this checkout,
# runs both with one decoder thread on every fixture of tests/data and on every clip of the
# DIRs given (default: the corpora scripts/eval.sh built under target/eval/corpus-*), once with
# the default detector set and once with every registered detector, and compares the outputs
# with `diff`. Prints the diff command and its output; exit 0 when every output is identical,
# 1 when one differs.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
[ $# -ge 1 ] || { echo "usage: $0 REV [DIR ...]" >&2; exit 2; }
rev=$(git -C "$here" rev-parse --short "$1"); shift
dirs=("$@")
if [ ${#dirs[@]} -eq 0 ]; then
  for d in "$here"/target/eval/corpus-*; do [ -d "$d" ] && dirs+=("$d"); done
fi
work=$here/target/same-output
mkdir -p "$work"
"$here/scripts/install-deps.sh"

# The other revision's monitor, built once per revision.
old=$work/monitor-$rev
if [ ! -x "$old" ]; then
  wt=$work/wt-$rev
  git -C "$here" worktree remove --force "$wt" 2>/dev/null || true
  git -C "$here" worktree add --detach "$wt" "$rev" > /dev/null
  CARGO_TARGET_DIR=$work/target-old cargo build --release --example monitor \
    --manifest-path "$wt/Cargo.toml" --quiet
  cp "$work/target-old/release/examples/monitor" "$old"
  git -C "$here" worktree remove --force "$wt"
fi
cargo build --release --example monitor --manifest-path "$here/Cargo.toml" --quiet
new=$here/target/release/examples/monitor

inputs=()
for f in "$here"/tests/data/*; do
  case "$f" in *.ts|*.mka|*.mp4|*.m4a|*.wav|*.bin) inputs+=("$f");; esac
done
for d in "${dirs[@]}"; do
  for f in "$d"/*.ts; do [ -f "$f" ] && inputs+=("$f"); done
done
all=$("$old" --list | awk '{print $1}' | paste -sd, -)

run() { # binary out-file detector-args...
  local bin=$1 out=$2; shift 2
  : > "$out"
  for f in "${inputs[@]}"; do
    "$bin" --threads 1 "$@" "$f" >> "$out" 2>/dev/null || echo "exit $? on $(basename "$f")" >> "$out"
  done
}
SECONDS=0
run "$old" "$work/old-default.jsonl"
run "$new" "$work/new-default.jsonl"
run "$old" "$work/old-all.jsonl" --detectors "$all"
run "$new" "$work/new-all.jsonl" --detectors "$all"
status=0
for set in default all; do
  echo "\$ diff target/same-output/old-$set.jsonl target/same-output/new-$set.jsonl"
  if diff "$work/old-$set.jsonl" "$work/new-$set.jsonl" | head -40; then :; fi
  if ! cmp -s "$work/old-$set.jsonl" "$work/new-$set.jsonl"; then status=1; fi
  echo "($set set: $(wc -l < "$work/new-$set.jsonl") lines, $(grep -c '"phase":"end"' "$work/new-$set.jsonl" || true) defects)"
done
echo "same-output: ${#inputs[@]} inputs, $rev vs this checkout, ${SECONDS} s: $([ $status = 0 ] && echo identical || echo DIFFERENT)"
exit $status
