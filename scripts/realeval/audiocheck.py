"""Encoder-made clicks: a clip's decoded sound compared with the PCM that went into the encoder.

A lossy audio encoder can add a short burst that is not in the programme. Seed 5 `music_3`
(FFmpeg's AAC at 128k): four samples alternating in pairs at 32.69 s, a second difference of
0.36 where the PCM before coding has 0.005 nearby, 15 times the decoded sound's own local
level. The clean set claims delivered, defect-free programmes, so the generator decodes every
encode and looks for such bursts (`find_clicks`), with a measurement of its own, independent
of avqc's detectors:

  - the decoded sound's second difference |x[k+1] - 2 x[k] + x[k-1]| at sample k is at least
    R_SRC times the source's largest within +/- NEAR samples of the same place (a click that
    is in the source, injected or shipped in a recording, stays under it), and
  - at least R_LOC times the decoded sound's own RMS second difference over +/- LOCAL samples
    leaving out +/- GUARD samples around k (it stands out of the coding noise around it; a
    burst longer than a few samples raises that level itself and stays under it), and
  - at least R_SPREAD times the source's largest second difference within +/- SPREAD samples
    (a codec spreads a click, a cut or an attack of the programme over its transform window:
    that is the coding of the programme's own transient, not a click the encoder made).

Stdlib only: the per-sample work runs in C (array slices, map, accumulate); Python visits
64-sample blocks and the few samples that stand out.
"""
from __future__ import annotations

import math
import random
from array import array
from itertools import accumulate
from operator import mul, sub

import media

R_SRC = 10.0   # decoded |d2| over the source's |d2| at the same place (+/- NEAR)
R_LOC = 8.0    # decoded |d2| over its own local RMS level (+/- LOCAL, without +/- GUARD)
LOCAL = 240    # 5 ms
GUARD = 4
NEAR = 3
# A codec spreads a transient of the source over its transform window (AAC: 2048 samples,
# pre-echo up to 1024 before it): the decoded burst must also stand R_SPREAD times over the
# source's largest second difference within +/- SPREAD samples, or it is the coding of a
# click, a cut or an attack that is in the programme (an injected click, a dropout's edges).
SPREAD = 1024
R_SPREAD = 2.0
SRC_FLOOR = 1e-4   # |d2| floor of the source (-80 dBFS): digital silence has none
MERGE = 96         # samples (2 ms): hits closer than this are one burst
# The first and last 10 ms of the source are not judged: there the programme itself starts
# and stops (the cut of the clip's end is the stream's edge, not a click in the sound).
EDGE = 480
BLOCK = 64


def second_diff(x: array) -> list[float]:
    """|x[k+1] - 2 x[k] + x[k-1]| at index k (0 at both ends)."""
    if len(x) < 3:
        return [0.0] * len(x)
    fwd = map(sub, x[2:], x[1:-1])
    bwd = map(sub, x[1:-1], x[:-2])
    return [0.0] + list(map(abs, map(sub, fwd, bwd))) + [0.0]


def channel_hits(s: array, d: array, r_src: float, r_loc: float, r_spread: float) -> list[tuple]:
    """Samples k where the decoded channel `d` (aligned with the source channel `s`) has a
    second difference r_src times the source's near k, r_loc times its own local level and
    r_spread times the source's largest within +/- SPREAD:
    (k, |d2 dec|, local RMS, source |d2| near, source |d2| within SPREAD)."""
    n = min(len(s), len(d))
    dd = second_diff(d[:n])
    ds = second_diff(s[:n])
    cs = [0.0] + list(accumulate(map(mul, dd, dd)))
    # the local level with the burst left out is at least the level of the whole window
    # minus the burst's own energy (at most 2 GUARD + 1 samples of the peak), so a block whose
    # peak is under r_loc/2 of its whole-window level has no hit (GUARD << LOCAL)
    pre = r_loc / 2
    hits = []
    for b in range(0, n, BLOCK):
        e = min(n, b + BLOCK)
        m = max(dd[b:e])
        if m <= 0.0:
            continue
        lo, hi = max(0, b - LOCAL), min(n, e + LOCAL)
        floor = pre * math.sqrt((cs[hi] - cs[lo]) / (hi - lo))
        if m < floor:
            continue
        for k in range(b, e):
            v = dd[k]
            if v < floor:
                continue
            near = max(ds[max(0, k - NEAR):k + NEAR + 1])
            if v < r_src * max(near, SRC_FLOOR):
                continue
            lo, hi = max(0, k - LOCAL), min(n, k + LOCAL + 1)
            glo, ghi = max(0, k - GUARD), min(n, k + GUARD + 1)
            energy = (cs[hi] - cs[lo]) - (cs[ghi] - cs[glo])
            local = math.sqrt(max(energy, 0.0) / max((hi - lo) - (ghi - glo), 1))
            if v >= r_loc * local and EDGE <= k < n - EDGE:
                wide = max(ds[max(0, k - SPREAD):k + SPREAD + 1])
                if v >= r_spread * max(wide, SRC_FLOOR):
                    hits.append((k, v, local, near, wide))
    return hits


def find_clicks(src: array, dec: array, lag: int, channels: int = 2,
                r_src: float | None = None, r_loc: float | None = None,
                r_spread: float | None = None) -> list[dict]:
    """Encoder-made bursts: `src` is the interleaved PCM that went into the encoder, `dec` the
    decode of the delivered file, whose frame lag + k holds source frame k. Returns one dict a
    burst: time (s of source time), channels, peak |d2| decoded, source |d2| near, local
    level, ratios, and the samples spanned by the hits."""
    r_src = R_SRC if r_src is None else r_src
    r_loc = R_LOC if r_loc is None else r_loc
    r_spread = R_SPREAD if r_spread is None else r_spread
    per = []
    for ch in range(channels):
        s = src[ch::channels]
        d = dec[ch::channels]
        if lag >= 0:
            d = d[lag:]
            off = 0
        else:
            s = s[-lag:]
            off = -lag
        for k, v, local, near, wide in channel_hits(s, d, r_src, r_loc, r_spread):
            per.append((k + off, ch, v, local, near, wide))
    per.sort()
    bursts: list[dict] = []
    for k, ch, v, local, near, wide in per:
        b = bursts[-1] if bursts else None
        if b is None or k - b["last"] > MERGE:
            b = {"first": k, "last": k, "channels": set(), "d2": 0.0}
            bursts.append(b)
        b["last"] = k
        b["channels"].add(ch)
        if v > b["d2"]:
            b.update(d2=v, local=local, src_d2=near, src_wide=wide, peak=k)
    out = []
    for b in bursts:
        out.append({"time": round(b["peak"] / media.SR, 5), "sample": b["peak"],
                    "channels": sorted(b["channels"]), "span": b["last"] - b["first"] + 1,
                    "d2": round(b["d2"], 4), "src_d2": round(b["src_d2"], 5),
                    "local": round(b["local"], 5), "src_wide": round(b["src_wide"], 5),
                    "r_src": round(b["d2"] / max(b["src_d2"], SRC_FLOOR), 1),
                    "r_loc": round(b["d2"] / max(b["local"], 1e-12), 1),
                    "r_spread": round(b["d2"] / max(b["src_wide"], SRC_FLOOR), 2)})
    return out


def measure_lag(src: array, dec: array, expect: int, channels: int = 2, span: int = 64,
                win: int = 4800) -> list[tuple[float, int]]:
    """Cross-correlation of the first channel at three places (1/4, 1/2, 3/4 of the source)
    over lags expect +/- span: (normalised peak, lag) for each place with sound."""
    s = src[0::channels]
    d = dec[0::channels]
    out = []
    for start in (len(s) // 4, len(s) // 2, 3 * len(s) // 4):
        seg = s[start:start + win]
        es = sum(map(mul, seg, seg))
        if es <= 1e-9:
            continue
        best = (-2.0, expect)
        for lag in range(max(0, expect - span), expect + span + 1):
            dd = d[start + lag:start + lag + win]
            if len(dd) < len(seg):
                continue
            ed = sum(map(mul, dd, dd))
            if ed <= 0.0:
                continue
            c = sum(map(mul, seg, dd)) / math.sqrt(es * ed)
            if c > best[0]:
                best = (c, lag)
        out.append((round(best[0], 4), best[1]))
    return out


def check_decode(src: array, dec: array, expect: int, channels: int = 2) -> dict:
    """Find the lag (the codec's known delay `expect`, checked by cross-correlation: the
    majority of the places must peak there with a correlation of at least 0.9, otherwise
    the lag found is used and reported) and the encoder-made bursts."""
    places = [list(x) for x in measure_lag(src, dec, expect, channels)]
    good = [lag for c, lag in places if c >= 0.9]
    lag = expect
    if good and good.count(expect) * 2 <= len(good):
        lag = max(set(good), key=good.count)
    return {"lag": lag, "lag_expected": expect, "lag_places": places,
            "clicks": find_clicks(src, dec, lag, channels)}


def _burst_found(clicks: list[dict], k: int, what: str) -> list[str]:
    hit = [c for c in clicks if abs(c["sample"] - k) <= 2 and c["channels"] == [1]]
    return [] if len(clicks) == 1 and hit else [f"{what}: the burst at {k} found as {clicks}"]


def self_test(cache: str) -> list[str]:
    """The check must find a 2-sample alternating burst added to a decode, and only it: not
    a click of the source (in the PCM before coding too), nor the coding noise of a clean
    AAC encode. Returns the failures (empty: passed)."""
    import encode as enc
    import os
    rng = random.Random(7)
    n = 6 * media.SR
    src = array("f", bytes(8 * n))
    for i in range(n):  # two tones and a little noise (-60 dBFS), about -14 dBFS
        t = i / media.SR
        v = 0.12 * math.sin(2 * math.pi * 440 * t) + 0.06 * math.sin(2 * math.pi * 1234.5 * t)
        src[2 * i] = v + 0.001 * rng.gauss(0, 1)
        src[2 * i + 1] = v * 0.8 + 0.001 * rng.gauss(0, 1)
    # a click of the source, in both channels, of the shape of seed 5's encoder burst
    # (samples alternating in pairs)
    k_src = 4 * media.SR + 101
    for j, v in enumerate((0.4, 0.4, -0.4, -0.4)):
        src[2 * (k_src + j)] += v
        src[2 * (k_src + j) + 1] += v
    k = 2 * media.SR + 333  # the encoder-made burst: added to the decode only, channel 1
    lag = 1024
    fails = []
    # 1. a decode as sharp as the source (a transparent codec: the source's click is in the
    # decode as it is, so only the comparison with the source tells it from the burst)
    dec = array("f", bytes(8 * lag)) + array("f", (x + 1e-4 * rng.gauss(0, 1) for x in src))
    for j, v in enumerate((0.15, -0.15)):
        dec[2 * (lag + k + j) + 1] += v
    fails += _burst_found(find_clicks(src, dec, lag), k, "transparent decode")
    # 2. a real AAC encode and decode: the lag found is the codec's, nothing found, then the
    # burst added to the decode is found
    path = os.path.join(cache, "audiocheck-selftest.ts")
    enc.encode(path, [["-f", "lavfi", "-i", "color=gray:s=64x64:r=25"]], "[1:v]null[v]",
               src, 6.0, "h264", "aac")
    dec = media.decode_pcm(path, 2)
    os.remove(path)
    delay = enc.codec_delay("aac", cache)
    r = check_decode(src, dec, delay)
    if r["lag"] != delay:
        fails.append(f"lag {r['lag']} found, codec delay {delay}")
    if r["clicks"]:
        fails.append(f"clicks found in a clean AAC encode: {r['clicks']}")
    for j, v in enumerate((0.15, -0.15)):
        dec[2 * (delay + k + j) + 1] += v
    fails += _burst_found(check_decode(src, dec, delay)["clicks"], k, "AAC decode")
    return fails
