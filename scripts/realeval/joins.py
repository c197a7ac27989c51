#!/usr/bin/env python3
"""Live joins: a monitor started on a running stream meets it anywhere.

usage: joins.py --corpus DIR [--out DIR] [--seed N] [--per-clip K]

Every clip of the realeval corpus starts at a key frame, with its first PES whole: a file
cut at its start. A monitor (re)started on a live stream, and any recording of one, starts
wherever the bytes happen to be: mid-GOP (pictures whose references went by before the
join), mid-PES (a picture or an audio frame without its start), with B-pictures or HEVC
leading pictures that refer past the join. That is the stream as it is, not damage.

For every clean clip of DIR/truth.json, K pieces (default 2) from seeded byte offsets (a
multiple of 188 bytes, drawn in the 15-70 % of the file) to its end: OUT/<clip>@<offset>.ts.
Truth (OUT/truth.json, make_corpus.py's format): clean, groups ["clean", "join", <codec>];
any defect avqc reports there is a false alarm. The clip's own "clip end" ignore carries
over (moved by the piece's start).
"""
from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys


def duration(path: str) -> float:
    r = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of",
                        "csv=p=0", path], capture_output=True, check=True)
    return float(r.stdout.decode().strip() or 0)


def cut(src: str, dst: str, offset: int, length: int | None = None) -> None:
    """Bytes [offset, offset + length) of src (to its end without length) into dst."""
    with open(src, "rb") as f, open(dst + ".tmp", "wb") as g:
        f.seek(offset)
        g.write(f.read() if length is None else f.read(length))
    os.replace(dst + ".tmp", dst)


def piece_entry(name: str, src_entry: dict, path: str, skipped: float, offset: int) -> dict:
    d = duration(path)
    ignore = [dict(i, start=round(i["start"] - skipped, 3), end=round(i["end"] - skipped, 3))
              for i in src_entry.get("ignore", []) if i.get("reason") == "clip end"]
    codec = src_entry.get("video", {}).get("codec", "video")
    return {"file": name, "groups": ["clean", "join", codec], "clean": True, "defects": [],
            "ignore": ignore, "duration": round(d, 3), "byte_offset": offset,
            "from": src_entry["file"], "video": src_entry.get("video"),
            "audio": src_entry.get("audio"),
            "content": f"{src_entry.get('content', '')}, joined at byte {offset}"}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", required=True)
    ap.add_argument("--out")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--per-clip", type=int, default=2)
    a = ap.parse_args()
    out = a.out or a.corpus.rstrip("/") + "-joins"
    os.makedirs(out, exist_ok=True)
    truth = json.load(open(os.path.join(a.corpus, "truth.json")))
    entries = []
    for c in truth["clips"]:
        src = os.path.join(a.corpus, c["file"])
        if not c.get("clean") or not os.path.exists(src):
            continue
        rng = random.Random(f"{a.seed}:join:{c['file']}")
        size = os.path.getsize(src)
        total = duration(src)
        for _ in range(a.per_clip):
            off = int(rng.uniform(0.15, 0.70) * size) // 188 * 188
            name = f"{c['file'][:-3]}@{off}.ts"
            path = os.path.join(out, name)
            if not os.path.exists(path):
                cut(src, path, off)
            entries.append(piece_entry(name, c, path, total - duration(path), off))
    t = {"format": 1, "seed": a.seed, "time_convention": truth.get("time_convention"),
         "clean_seconds": round(sum(e["duration"] for e in entries), 3), "clips": entries}
    with open(os.path.join(out, "truth.json"), "w") as f:
        json.dump(t, f, indent=1)
    print(f"{out}: {len(entries)} joins, {t['clean_seconds'] / 60:.1f} min")
    return 0


if __name__ == "__main__":
    sys.exit(main())
