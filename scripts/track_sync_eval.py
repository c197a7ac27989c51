#!/usr/bin/env python3
"""Dubbed-track sync evaluation of the `track_sync` detector.

Builds two-track MPEG-TS clips: track 1 (eng) = a music bed + one voice reading one text;
track 2 (spa) = the same music bed shifted by a known offset + another voice reading another
text (so the two tracks share only the music, as a dubbed programme shares its music and
effects). Runs `monitor --detectors track_sync` on each and scores:

- detection rate: clips whose |offset| is beyond the tolerance (40 ms) with an `av_sync`
  (details.source "track") on track 2;
- false alarms: clips in sync (offset 0) with any `av_sync`;
- median error of the `track_offset_ms` estimates (those at or above the confidence floor).

Sources: music from frozen-bubble-data, voices from espeak-ng and flite (Debian main, as in
scripts/realeval/). Usage:

    scripts/track_sync_eval.py [--monitor target/release/examples/monitor] [--out DIR]
"""
from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys

MUSIC = ["/usr/share/games/frozen-bubble/snd/" + n
         for n in ("frozen-mainzik-1p.ogg", "frozen-mainzik-2p.ogg", "introzik.ogg")]
OFFSETS_MS = [0, 40, -40, 80, -80, 150, -150, 300, -300, 500, -500]
SECONDS = 40.0
TOLERANCE_MS = 40.0
WORDS = ("the council announced a new plan for the river bank after a long meeting on "
         "tuesday evening while residents of the old town questioned the budget for next "
         "year and the transport union welcomed changes to the bus timetable despite heavy "
         "rain shop owners on the main street described the repairs to the station roof as "
         "long overdue and the regional weather service confirmed temperatures will reach "
         "twenty degrees").split()


def run(cmd: list[str]) -> None:
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def speech(path: str, engine: str, seed: str) -> None:
    rng = random.Random(seed)
    text = " ".join(rng.choice(WORDS) for _ in range(160))
    if engine == "espeak":
        run(["espeak-ng", "-v", "en-gb", "-s", "160", "-w", path, text])
    else:
        run(["flite", "-voice", "slt", "-t", text, "-o", path])


def make_clip(out: str, music: str, start: float, offset_ms: int, a: str, b: str,
              other: float | None = None) -> None:
    """Track 1: music from `start`; track 2: the same music `offset_ms` later (positive: the
    sound comes later on track 2), or (control) the music from `other` s: nothing shared."""
    d = offset_ms / 1000.0 if other is None else -(other - start)
    pre = 1.0  # music read from start - pre, so a shift either way stays inside it
    graph = (
        f"[0:a]aresample=48000,pan=mono|c0=0.5*c0+0.5*c1,atrim=0:{SECONDS + 2 * pre},asplit[m1][m2];"
        f"[m1]atrim=start={pre},asetpts=PTS-STARTPTS[t1m];"
        f"[m2]atrim=start={pre - d},asetpts=PTS-STARTPTS[t2m];"
        f"[1:a]aresample=48000,apad,atrim=0:{SECONDS}[s1];"
        f"[2:a]aresample=48000,apad,atrim=0:{SECONDS}[s2];"
        f"[t1m]volume=0.5,atrim=0:{SECONDS}[b1];[t2m]volume=0.5,atrim=0:{SECONDS}[b2];"
        f"[b1][s1]amix=inputs=2:normalize=0,pan=stereo|c0=c0|c1=c0[o1];"
        f"[b2][s2]amix=inputs=2:normalize=0,pan=stereo|c0=c0|c1=c0[o2]"
    )
    run(["ffmpeg", "-v", "error", "-y", "-ss", f"{max(start - pre, 0.0)}", "-i", music,
         "-i", a, "-i", b, "-filter_complex", graph, "-map", "[o1]", "-map", "[o2]",
         "-c:a", "aac", "-b:a", "128k", "-metadata:s:a:0", "language=eng",
         "-metadata:s:a:1", "language=spa", "-f", "mpegts", out])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--monitor", default="target/release/examples/monitor")
    ap.add_argument("--out", default="target/track-sync-eval")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    rows = []
    for mi, music in enumerate(MUSIC):
        a = os.path.join(args.out, f"speech-a{mi}.wav")
        b = os.path.join(args.out, f"speech-b{mi}.wav")
        if not os.path.exists(a):
            speech(a, "espeak", f"a{mi}")
            speech(b, "flite", f"b{mi}")
        start = 30.0 + 40.0 * mi
        for off in OFFSETS_MS:
            clip = os.path.join(args.out, f"m{mi}_{off:+d}.ts")
            if not os.path.exists(clip):
                make_clip(clip, music, start, off, a, b)
            res = subprocess.run([args.monitor, "--no-progress", "--detectors", "track_sync", clip],
                                 check=True, capture_output=True, text=True)
            events = [json.loads(line) for line in res.stdout.splitlines() if line.strip()]
            est = [e for e in events if e.get("kind") == "metric" and e["name"] == "track_offset_ms"]
            conf = [e["value"] for e in events
                    if e.get("kind") == "metric" and e["name"] == "track_offset_confidence"]
            alarms = [e for e in events if e.get("kind") == "defect" and e["phase"] == "start"
                      and e["defect"] == "av_sync" and e["details"].get("source") == "track"]
            good = [x["value"] for x, c in zip(est, conf) if c >= 0.15]
            rows.append({"clip": os.path.basename(clip), "offset_ms": off, "estimates": good,
                         "confidences": conf, "alarms": len(alarms),
                         "alarm_tracks": sorted({x.get("track") for x in alarms})})
    # Controls: track 2's music from elsewhere in the piece (nothing shared but the style).
    for mi, music in enumerate(MUSIC):
        a = os.path.join(args.out, f"speech-a{mi}.wav")
        b = os.path.join(args.out, f"speech-b{mi}.wav")
        clip = os.path.join(args.out, f"m{mi}_unrelated.ts")
        start = 30.0 + 40.0 * mi
        if not os.path.exists(clip):
            make_clip(clip, music, start, 0, a, b, other=start + 0.9)
        res = subprocess.run([args.monitor, "--no-progress", "--detectors", "track_sync", clip],
                             check=True, capture_output=True, text=True)
        events = [json.loads(line) for line in res.stdout.splitlines() if line.strip()]
        conf = [e["value"] for e in events
                if e.get("kind") == "metric" and e["name"] == "track_offset_confidence"]
        alarms = [e for e in events if e.get("kind") == "defect" and e["phase"] == "start"]
        print(f"{os.path.basename(clip):<14} nothing shared  confidence {conf}  alarms {len(alarms)}")
    beyond = [r for r in rows if abs(r["offset_ms"]) > TOLERANCE_MS]
    clean = [r for r in rows if r["offset_ms"] == 0]
    errors = [abs(v - r["offset_ms"]) for r in rows for v in r["estimates"]]
    for r in rows:
        print(f"{r['clip']:<14} truth {r['offset_ms']:+5d} ms  estimates {r['estimates']}  "
              f"confidence {r['confidences']}  alarms {r['alarms']} on {r['alarm_tracks']}")
    detected = sum(1 for r in beyond if r["alarms"] > 0 and r["alarm_tracks"] == [1])
    print(f"detection rate (|offset| > {TOLERANCE_MS:.0f} ms): {detected}/{len(beyond)}")
    print(f"false alarms (in sync): {sum(1 for r in clean if r['alarms'])}/{len(clean)} clips")
    if errors:
        print(f"median error: {statistics.median(errors):.1f} ms over {len(errors)} estimates "
              f"(95th percentile {sorted(errors)[int(0.95 * (len(errors) - 1))]:.1f} ms)")
    missing = sum(1 for r in rows if not r["estimates"])
    print(f"clips without a confident estimate: {missing}/{len(rows)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
