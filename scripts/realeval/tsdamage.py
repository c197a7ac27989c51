"""Damage to the video PID of an MPEG-TS file (bit flips, dropped packets) and the truth
of what it did: frames (display order) whose PSNR against the clean decode is low."""
from __future__ import annotations

import random
import re

import media

TS = 188


def _payload_start(pkt: bytes) -> int:
    afc = (pkt[3] >> 4) & 3
    if afc == 2:
        return TS
    if afc == 3:
        return 5 + pkt[4]
    return 4


def _pts(payload: bytes) -> float | None:
    if len(payload) < 14 or payload[:3] != b"\0\0\1" or not payload[7] & 0x80:
        return None
    p = payload[9:14]
    v = ((p[0] >> 1) & 7) << 30 | p[1] << 22 | (p[2] >> 1) << 15 | p[3] << 7 | p[4] >> 1
    return v / 90000.0


def damage(src: str, dst: str, windows: list[tuple[float, float]], mode: str,
           rng: random.Random) -> list[dict]:
    """Damage video packets whose last PES PTS (decode order, relative to the first) lies in
    each window: `flip` xors bytes in a few payloads, `drop` removes a run of packets.
    Packets that start a PES are never touched (timestamps survive). Returns what was done."""
    data = open(src, "rb").read()
    pkts = [data[i:i + TS] for i in range(0, len(data) - TS + 1, TS)]
    vpid, first, last = None, None, None
    cand: list[list[int]] = [[] for _ in windows]
    for i, pk in enumerate(pkts):
        pid = (pk[1] & 0x1F) << 8 | pk[2]
        pusi = pk[1] & 0x40
        ps = _payload_start(pk)
        if pusi and ps < TS:
            pay = pk[ps:]
            if pay[:3] == b"\0\0\1" and 0xE0 <= pay[3] <= 0xEF:
                vpid = pid
                t = _pts(pay)
                if t is not None:
                    first = t if first is None else first
                    last = t - first
            continue
        if pid != vpid or last is None or ps >= TS - 8:
            continue
        for k, (a, b) in enumerate(windows):
            if a <= last < b:
                cand[k].append(i)
    done = []
    drop = set()
    out = list(pkts)
    for k, c in enumerate(cand):
        if len(c) < 40:
            continue
        if mode == "flip":
            chosen = sorted(rng.sample(c, min(len(c), rng.randint(2, 6))))
            for i in chosen:
                pk = bytearray(out[i])
                ps = _payload_start(pk)
                for _ in range(rng.randint(2, 8)):
                    j = rng.randrange(ps, TS)
                    pk[j] ^= 1 << rng.randrange(8)
                out[i] = bytes(pk)
            done.append({"mode": "flip", "window": windows[k], "packets": len(chosen)})
        else:
            run = rng.randint(8, 40)
            j0 = rng.randrange(0, max(1, len(c) - run))
            chosen = c[j0:j0 + run]
            drop.update(chosen)
            done.append({"mode": "drop", "window": windows[k], "packets": len(chosen)})
    with open(dst, "wb") as f:
        for i, pk in enumerate(out):
            if i not in drop:
                f.write(pk)
    return done


def psnr_truth(damaged: str, clean: str, fps: float, threshold: float = 35.0,
               merge_gap: float = 0.5) -> tuple[list[tuple[float, float]], float]:
    """Runs of frames of the clean decode (display order, media time) whose worst-plane
    PSNR against the damaged decode at the same time is under `threshold`, merged across
    gaps <= merge_gap. Returns the runs and the worst PSNR."""
    r = media.ffmpeg("-i", clean, "-i", damaged, "-lavfi",
                     "[0:v][1:v]psnr=eof_action=repeat,metadata=print:file=-", "-f", "null", "-")
    text = r.stdout.decode()
    bad = []
    worst = 99.0
    t = None
    vals = {}
    for line in text.splitlines() + ["frame:end"]:
        if line.startswith("frame:"):
            if t is not None and vals:
                p = min(vals.values())
                worst = min(worst, p)
                if p < threshold:
                    bad.append(t)
            m = re.search(r"pts_time:(-?[\d.]+)", line)
            t = float(m.group(1)) if m else None
            vals = {}
        else:
            m = re.match(r"lavfi\.psnr\.psnr\.([yuv])=(\S+)", line)
            if m:
                vals[m.group(1)] = 99.0 if m.group(2) == "inf" else float(m.group(2))
    runs: list[list[float]] = []
    step = 1.0 / fps
    for t in bad:
        if runs and t - runs[-1][1] <= merge_gap:
            runs[-1][1] = t + step
        else:
            runs.append([t, t + step])
    return [(a, b) for a, b in runs], worst
