# Sourced by benches/relax.sh and benches/options.sh: the release `monitor`, the noisy H.264
# clip of compare.sh at $RES (made here if missing) and a median helper.
# Sets: here, work, monitor, clip, REPS (default 5), RES (default 1280x720), SECS (default 20).
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
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
median() { sort -g | awk '{v[NR]=$1} END {print (NR % 2) ? v[(NR+1)/2] : (v[NR/2] + v[NR/2+1]) / 2}'; }
