#!/usr/bin/env bash
# Real-content evaluation of avqc (issue 17): install the sources if needed, build the corpus
# once (cached), run `monitor` with its default detectors on every clip, score, print the tables.
#
#   scripts/realeval.sh [--seed N] [--only GROUP[,GROUP]] [--json] [--per-clip] [--live]
#                       [--live-extra] [--live-replay] [--variant NAME] [--picture NAME]
#                       [--channel CODEC] [--joins]
#
# --live also streams two clean clips in real time through a lossy UDP relay to the monitor
# (scripts/realeval/live.py, about 1.5 min) and scores that separately.
# --live-extra does the same with four other clean clips, out of sample (H.264 speech, MPEG-2
# with MP2 sound, interlaced H.264 3:2, HEVC; about 3 min), into target/realeval/live-extra-seedN.
# --live-replay runs the monitor again on the receptions the last --live (and --live-extra) run
# recorded (target/realeval/live-seedN/*_udp.ts, live-extra-seedN/*_udp.ts, as files) and scores
# that: with MONITOR_ARGS="--threads 1" the decode is the same on every run (FFmpeg's frame
# threads make a damaged decode vary).
# --variant NAME scores the corpus with its sound re-encoded another way (32 kHz, 44.1 kHz mono,
# MP2, AC-3, a second AAC generation: scripts/realeval/variants.py --list), truth carried over,
# built once into target/realeval/corpus-seedN-NAME (the clips of --only, default the audio
# groups and the clean set); events and report carry the variant's name.
# --picture NAME builds the same draw with its pictures coded another way (1280x720, 576i
# anamorphic coded interlaced, an ABR ladder's 480x270 low rung: make_corpus.py --picture,
# scripts/realeval/encode.py PICTURES) into target/realeval/corpus-seedN-pic-NAME (the clips
# of --only, default the picture groups: clean, freeze, corruption, sync); events and report
# carry pic-NAME.
# --channel CODEC (h264 or mpeg2) plays the clean set out as one channel (scripts/realeval/
# channel.py: programmes back to back at 25p through one encode, the PTS wrapping at 2^33 inside
# it, and eight live joins at byte offsets) into target/realeval/channel-seedN-CODEC, runs the
# monitor on it and scores that too (default of --only with it: clean,sync,corruption, the
# groups that hold clean clips: the clean set, the in-sync talking heads and the corruption
# clips' undamaged references; the channel plays every clean clip the corpus folder holds, so
# with these built it is the same whatever was built before).
# --joins cuts every clean clip twice at a seeded byte offset (scripts/realeval/joins.py: a
# monitor started on a live stream meets it mid-GOP, mid-PES) into target/realeval/
# joins-seedN, runs the monitor on the pieces and scores them (clean: every alarm is false).
#
# Environment:
#   MONITOR=path      use this monitor binary instead of building target/release/examples/monitor
#   CORPUS=dir        corpus directory (default target/realeval/corpus-seedN)
#   MONITOR_ARGS=...  extra monitor options (e.g. "--detectors freeze,silence")
#   NO_INSTALL=1      do not run scripts/realeval/install.sh
# Events go to target/realeval/events-seedN/<clip>.jsonl, the report to
# target/realeval/report-seedN[-GROUPS].txt (and .json). See scripts/realeval/README.md.
set -euo pipefail
cd "$(dirname "$0")/.."
SEED=1
ONLY=""
LIVE=""
EXTRA=""
REPLAY=""
VARIANT=""
PICTURE=""
CHANNEL=""
JOINS=""
# The out-of-sample clips of --live-extra.
EXTRA_CLIPS=news_espeak_0.ts,film_1.ts,rate_pulldown32_0.ts,corrupt_hevc_flip_3_ref.ts
SCORE_ARGS=()
while [ $# -gt 0 ]; do
    case "$1" in
        --seed) SEED="$2"; shift 2 ;;
        --only) ONLY="$2"; shift 2 ;;
        --json|--per-clip) SCORE_ARGS+=("$1"); shift ;;
        --live) LIVE=1; shift ;;
        --live-extra) EXTRA=1; shift ;;
        --live-replay) REPLAY=1; shift ;;
        --variant) VARIANT="$2"; shift 2 ;;
        --picture) PICTURE="$2"; shift 2 ;;
        --channel) CHANNEL="$2"; shift 2 ;;
        --joins) JOINS=1; shift ;;
        *) echo "unknown option $1" >&2; exit 2 ;;
    esac
done
RE=scripts/realeval
OUT=target/realeval
if [ -n "$PICTURE" ]; then
    if [ -n "$VARIANT" ]; then echo "--picture and --variant: one at a time" >&2; exit 2; fi
    ONLY=${ONLY:-clean,freeze,corruption,sync}
    VARIANT=pic-$PICTURE
fi
if [ -n "$CHANNEL$JOINS" ]; then ONLY=${ONLY:-clean,sync,corruption}; fi
CORPUS=${CORPUS:-$OUT/corpus-seed$SEED${PICTURE:+-pic-$PICTURE}}
EVENTS=$OUT/events-seed$SEED${VARIANT:+-$VARIANT}
mkdir -p "$OUT" "$EVENTS"

if [ -z "${NO_INSTALL:-}" ]; then "$RE/install.sh"; fi

echo "== corpus $CORPUS (seed $SEED)" >&2
GEN=(python3 "$RE/make_corpus.py" --out "$CORPUS" --seed "$SEED")
if [ -n "$ONLY" ]; then GEN+=(--only "$ONLY"); fi
if [ -n "$PICTURE" ]; then GEN+=(--picture "$PICTURE"); fi
"${GEN[@]}" || echo "warning: some clips failed to build (see above); scoring the rest" >&2
if [ -n "$VARIANT" ] && [ -z "$PICTURE" ]; then
    echo "== variant $VARIANT of $CORPUS" >&2
    python3 "$RE/variants.py" --from "$CORPUS" --variant "$VARIANT" --out "$CORPUS-$VARIANT" \
        --only "${ONLY:-click,dropout,clipping,clean}"
    CORPUS=$CORPUS-$VARIANT
fi

if [ -z "${MONITOR:-}" ]; then
    echo "== building monitor (release)" >&2
    nice -n 10 cargo build --release --example monitor >&2
    MONITOR=${CARGO_TARGET_DIR:-target}/release/examples/monitor
fi
echo "== monitor: $MONITOR" >&2

# clips listed in truth.json (only those of --only when given)
mapfile -t CLIPS < <(python3 - "$CORPUS/truth.json" "$ONLY" <<'EOF'
import json, sys
t = json.load(open(sys.argv[1]))
only = set(filter(None, sys.argv[2].split(",")))
for c in t["clips"]:
    g = set(c["groups"]) | {"corruption" if "corruption_ref" in c["groups"] else ""}
    if not only or g & only:
        print(c["file"])
EOF
)
# run_monitor DIR EVENTS CLIP...: the monitor on each clip of DIR, events to EVENTS/<clip>.jsonl
run_monitor() {
    local dir=$1 events=$2 n=0 total
    shift 2
    total=$#
    mkdir -p "$events"
    for f in "$@"; do
        ev="$events/$f.jsonl"
        # events are cached per monitor binary, its arguments and the clip as built (size and
        # modification time: a clip rebuilt in place runs again); delete EVENTS to re-run
        stamp="$events/$f.monitor"
        key="$(cksum < "$MONITOR") ${MONITOR_ARGS:-} $(stat -c '%s %Y' "$dir/$f")"
        if [ -s "$ev" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$key" ]; then
            continue
        fi
        # shellcheck disable=SC2086
        nice -n 10 "$MONITOR" ${MONITOR_ARGS:-} "$dir/$f" > "$ev.tmp" 2> "$events/$f.stderr" || {
            echo "monitor failed on $f (exit $?)" >&2; }
        mv "$ev.tmp" "$ev"
        echo "$key" > "$stamp"
        n=$((n + 1))
    done
    echo "== monitor ran on $n of $total clips (others cached)" >&2
}
run_monitor "$CORPUS" "$EVENTS" "${CLIPS[@]}"

REPORT=$OUT/report-seed$SEED${VARIANT:+-$VARIANT}${ONLY:+-${ONLY//,/-}}
python3 "$RE/score.py" --truth "$CORPUS/truth.json" --events-dir "$EVENTS" --groups "$ONLY" --json > "$REPORT.json"
python3 "$RE/score.py" --truth "$CORPUS/truth.json" --events-dir "$EVENTS" --groups "$ONLY" \
    "${SCORE_ARGS[@]}" | tee "$REPORT.txt"

# live NAME [live.py options]: streams clips through the lossy relay into $OUT/NAME-seedN.
live() {
    local name=$1
    shift
    echo "== live UDP through a lossy relay (real time): $name" >&2
    python3 "$RE/live.py" --corpus "$CORPUS" --seed "$SEED" --monitor "$MONITOR" \
        --out "$OUT/$name-seed$SEED" "$@"
    echo
    echo "Live UDP ($name, seed $SEED):"
    python3 "$RE/score.py" --truth "$OUT/$name-seed$SEED/truth.json" \
        --events-dir "$OUT/$name-seed$SEED" "${SCORE_ARGS[@]}" | tee "$OUT/report-$name-seed$SEED.txt"
}

# replay NAME: runs the monitor on the receptions recorded in $OUT/NAME-seedN.
replay() {
    local name=$1 ld=$OUT/$1-seed$SEED
    mkdir -p "$ld/replay"
    for f in "$ld"/*_udp.ts; do
        # shellcheck disable=SC2086
        nice -n 10 "$MONITOR" --defects-only --no-progress ${MONITOR_ARGS:-} "$f" \
            > "$ld/replay/$(basename "$f").jsonl" 2> /dev/null || echo "monitor failed on $f" >&2
    done
    echo
    echo "Live UDP receptions replayed ($name, seed $SEED, monitor args: ${MONITOR_ARGS:-none}):"
    python3 "$RE/score.py" --truth "$ld/truth.json" --events-dir "$ld/replay" \
        "${SCORE_ARGS[@]}" | tee "$OUT/report-$name-replay-seed$SEED.txt"
}

# derived DIR REPORT TITLE: the monitor on every clip of DIR/truth.json (events in DIR/events),
# scored, the report to $OUT/REPORT.txt under TITLE.
derived() {
    local dir=$1 report=$2 title=$3 clips
    mapfile -t clips < <(python3 -c 'import json,sys; [print(c["file"]) for c in json.load(open(sys.argv[1]))["clips"]]' "$dir/truth.json")
    run_monitor "$dir" "$dir/events" "${clips[@]}"
    echo
    echo "$title"
    python3 "$RE/score.py" --truth "$dir/truth.json" --events-dir "$dir/events" \
        "${SCORE_ARGS[@]}" | tee "$OUT/$report.txt"
}

if [ -n "$CHANNEL" ]; then
    CH=channel-seed$SEED${PICTURE:+-pic-$PICTURE}-$CHANNEL
    echo "== channel $OUT/$CH" >&2
    python3 "$RE/channel.py" --corpus "$CORPUS" --out "$OUT/$CH" --seed "$SEED" --codec "$CHANNEL"
    derived "$OUT/$CH" "report-$CH" \
        "Channel ($CHANNEL, seed $SEED: the clean set as one stream, and live joins):"
fi

if [ -n "$JOINS" ]; then
    JD=joins-seed$SEED${VARIANT:+-$VARIANT}
    echo "== live joins $OUT/$JD" >&2
    python3 "$RE/joins.py" --corpus "$CORPUS" --out "$OUT/$JD" --seed "$SEED"
    derived "$OUT/$JD" "report-$JD" "Live joins (seed $SEED: every clean clip from two byte offsets):"
fi

if [ -n "$LIVE" ]; then live live; fi
if [ -n "$EXTRA" ]; then live live-extra --clips "$EXTRA_CLIPS"; fi

if [ -n "$REPLAY" ]; then
    if [ ! -f "$OUT/live-seed$SEED/truth.json" ]; then
        echo "no recorded live run in $OUT/live-seed$SEED: run with --live first" >&2
        exit 2
    fi
    replay live
    if [ -f "$OUT/live-extra-seed$SEED/truth.json" ]; then replay live-extra; fi
fi
