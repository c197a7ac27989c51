"""A SYNTHETIC talking head: a drawn face over a photo whose mouth opening follows the
speech envelope frame by frame (no talking-face footage ships in a Debian or PyPI
package we found). Two shots (close-up, wide) alternate at cuts; the head sways and
blinks so the picture is never still. Output: raw yuv420p frames in a file.
"""
from __future__ import annotations

import math
import random
from array import array

import media


def _ellipse(planes, w, h, cx, cy, rx, ry, yuv):
    """Fill an ellipse in the three yuv420p planes (bytearrays)."""
    Y, U, V = planes
    for y in range(max(0, int(cy - ry)), min(h, int(cy + ry) + 1)):
        d = (y - cy) / max(ry, 0.5)
        if abs(d) > 1:
            continue
        half = rx * math.sqrt(1 - d * d)
        x0, x1 = max(0, int(cx - half)), min(w, int(cx + half) + 1)
        if x1 > x0:
            Y[y * w + x0:y * w + x1] = bytes([yuv[0]]) * (x1 - x0)
            if y % 2 == 0:
                cw = w // 2
                c0, c1 = x0 // 2, max(x0 // 2 + 1, x1 // 2)
                U[(y // 2) * cw + c0:(y // 2) * cw + c1] = bytes([yuv[1]]) * (c1 - c0)
                V[(y // 2) * cw + c0:(y // 2) * cw + c1] = bytes([yuv[2]]) * (c1 - c0)


def _background(still: str, w: int, h: int) -> bytes:
    return media.ffmpeg("-i", still, "-vf", f"scale={w}:{h}:force_original_aspect_ratio=increase,"
                        f"crop={w}:{h},boxblur=4", "-frames:v", "1", "-pix_fmt", "yuv420p",
                        "-f", "rawvideo", "-").stdout


def render(path: str | None, speech: array, seconds: float, fps: int, w: int, h: int,
           stills: list[str], rng: random.Random) -> list[float]:
    """Write raw yuv420p frames of the talking head to `path`; `speech` is the mono
    sound the mouth follows (48 kHz). Returns the cut times (s). With `path` None nothing is
    drawn: only the draws of `rng` are made (make_corpus.py --check-audio rebuilds the sound)."""
    cuts, t = [], rng.uniform(3, 6)
    while t < seconds - 2:
        cuts.append(round(t * fps) / fps)
        t += rng.uniform(4, 8)
    blinks = set()
    t = rng.uniform(1, 3)
    while t < seconds:
        f = int(t * fps)
        blinks.update({f, f + 1})
        t += rng.uniform(2.5, 5)
    if path is None:
        return cuts
    bgs = [_background(s, w, h) for s in stills[:2]]
    n = int(round(seconds * fps))
    hop = media.SR // fps
    env = media.envelope_db(speech, hop, int(0.04 * media.SR))
    ysz, csz = w * h, (w // 2) * (h // 2)
    with open(path, "wb") as out:
        for i in range(n):
            shot = sum(1 for c in cuts if c <= i / fps) % 2
            bg = bgs[shot % len(bgs)]
            planes = (bytearray(bg[:ysz]), bytearray(bg[ysz:ysz + csz]), bytearray(bg[ysz + csz:]))
            s = 1.0 if shot == 0 else 0.6
            sway = 3 * math.sin(2 * math.pi * i / fps / 3.7)
            cx = w * (0.5 if shot == 0 else 0.62) + sway
            cy = h * (0.52 if shot == 0 else 0.56) + sway / 2
            fr, fy = 0.26 * h * s, 0.36 * h * s
            _ellipse(planes, w, h, cx, cy + fy * 0.9, fr * 1.3, fy * 0.5, (60, 128, 128))  # shoulders
            _ellipse(planes, w, h, cx, cy, fr, fy, (165, 110, 150))  # face
            _ellipse(planes, w, h, cx, cy - fy * 0.75, fr * 0.95, fy * 0.35, (40, 120, 135))  # hair
            ey = cy - fy * 0.2
            eh = 1 if i in blinks else fy * 0.07
            for ex in (cx - fr * 0.38, cx + fr * 0.38):
                _ellipse(planes, w, h, ex, ey, fr * 0.14, fy * 0.09, (235, 128, 128))
                _ellipse(planes, w, h, ex, ey, fr * 0.07, eh, (20, 128, 128))
            db = env[min(i, len(env) - 1)]
            opening = min(1.0, max(0.0, (db + 42) / 30))
            my = cy + fy * 0.45
            _ellipse(planes, w, h, cx, my, fr * (0.30 + 0.08 * opening), fy * 0.035 + fy * 0.16 * opening,
                     (45, 120, 165))  # lips and mouth
            if opening > 0.15:
                _ellipse(planes, w, h, cx, my, fr * 0.24, fy * 0.14 * opening, (15, 128, 132))
            out.write(planes[0])
            out.write(planes[1])
            out.write(planes[2])
    return cuts
