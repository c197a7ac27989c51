"""Damage to the video PID of an MPEG-TS file (bit flips, dropped packets) and the truth
of what it did: frames (display order) whose PSNR against the clean decode is low."""
from __future__ import annotations

import random
import re

import encode as enc
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


def _psnr_per_frame(damaged: str, clean: str) -> list[tuple[float, float]]:
    """(media time, worst-plane PSNR) of each frame of the clean decode against the damaged
    decode at the same time, display order. Both decodes are timed from their first picture
    (the damage never reaches it) and placed on the media timeline by the clean file's video
    start: on their own timestamps ffmpeg's `psnr` paired an HEVC clip's pictures one apart
    at 50 pictures a second, even against the same file (alternating 67 and 32 dB)."""
    f0, v0, _ = enc.start_times(clean)
    r = media.ffmpeg("-i", clean, "-i", damaged, "-lavfi",
                     "[0:v]setpts=PTS-STARTPTS[c];[1:v]setpts=PTS-STARTPTS[d];"
                     "[c][d]psnr=eof_action=repeat,metadata=print:file=-", "-f", "null", "-")
    out = []
    t = None
    vals: dict[str, float] = {}
    for line in r.stdout.decode().splitlines() + ["frame:end"]:
        if line.startswith("frame:"):
            if t is not None and vals:
                out.append((t, min(vals.values())))
            m = re.search(r"pts_time:(-?[\d.]+)", line)
            t = float(m.group(1)) + (v0 - f0) if m else None
            vals = {}
        else:
            m = re.match(r"lavfi\.psnr\.psnr\.([yuv])=(\S+)", line)
            if m:
                vals[m.group(1)] = 99.0 if m.group(2) == "inf" else float(m.group(2))
    return out


def _area_diff_per_frame(damaged: str, clean: str) -> list[int]:
    """The largest mean absolute difference of an area, for each frame in display order.
    The absolute difference of the two decodes (every plane, 4:2:0) is averaged over areas of
    about 16x16 samples of each plane (ffmpeg's area scaler); the largest area mean, in 8-bit
    levels, is the frame's value."""
    w, h = media.video_size(clean)
    tw = 2 * -(-w // 32)
    th = 2 * -(-h // 32)
    r = media.run(media.NICE + [
        "ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-i", clean, "-i", damaged,
        "-lavfi", "[0:v]format=yuv420p[a];[1:v]format=yuv420p[b];"
                  f"[a][b]blend=all_mode=difference,scale={tw}:{th}:flags=area",
        "-fps_mode", "passthrough", "-f", "rawvideo", "-pix_fmt", "yuv420p", "-"])
    size = tw * th * 3 // 2
    raw = r.stdout
    return [max(raw[i:i + size]) for i in range(0, len(raw) - size + 1, size)]


def psnr_truth(damaged: str, clean: str, fps: float, threshold: float = 35.0,
               area_level: int = 8, merge_gap: float = 0.5
               ) -> tuple[list[tuple[float, float]], float]:
    """Runs of damaged frames (display order, media time), merged across gaps <= merge_gap,
    and the worst whole-frame PSNR. A frame of the damaged decode is damaged when its
    worst-plane PSNR against the clean decode at the same time is under `threshold`, or when
    any area of about 16x16 samples of one plane differs from the clean decode by
    `area_level` 8-bit levels or more on average. Whole-frame PSNR alone dilutes local damage:
    two to five 16x16 areas off by 20-40 levels (plainly visible) measured 38-39 dB."""
    psnr = _psnr_per_frame(damaged, clean)
    area = _area_diff_per_frame(damaged, clean)
    if len(area) != len(psnr):  # both passes follow the clean decode frame by frame
        raise RuntimeError(f"{damaged}: {len(psnr)} frames by PSNR, {len(area)} by area")
    bad = []
    worst = 99.0
    for (t, p), a in zip(psnr, area):
        worst = min(worst, p)
        if p < threshold or a >= area_level:
            bad.append(t)
    runs: list[list[float]] = []
    step = 1.0 / fps
    for t in bad:
        if runs and t - runs[-1][1] <= merge_gap:
            runs[-1][1] = t + step
        else:
            runs.append([t, t + step])
    return [(a, b) for a, b in runs], worst
