"""Defects by construction in float32 PCM (interleaved stereo) with their truth in
samples: dropouts (the waveform cut to zero), clicks (an impulse of 1-3 samples added),
hard clipping."""
from __future__ import annotations

import random
from array import array

import media

HOP = 480  # 10 ms


def _envelope(st: array) -> list[float]:
    mono = st[0::2]
    return media.envelope_db(mono, HOP, 960)


def inside_sound(st: array, rng: random.Random, count: int, spacing: float, margin: float = 2.0,
                 below_peak: float = 18.0, context: float = 0.15) -> list[int]:
    """Sample positions (frames) inside running sound: the 10 ms level within
    `below_peak` dB of the loud level around the position, for +/- `context` s."""
    env = _envelope(st)
    n = len(env)
    loud = sorted(env)[int(0.95 * (n - 1))]
    c = int(context * 100)
    good = [i for i in range(int(margin * 100), n - int(margin * 100))
            if all(e > loud - below_peak for e in env[i - c:i + c + 1])]
    rng.shuffle(good)
    chosen: list[int] = []
    for i in good:
        if all(abs(i - j) >= spacing * 100 for j in chosen):
            chosen.append(i)
        if len(chosen) == count:
            break
    return sorted(i * HOP + rng.randrange(HOP) for i in chosen)


def dropouts(st: array, rng: random.Random, count: int, signal: str) -> list[dict]:
    """Cut the waveform (both channels) to digital zero for 10-100 ms inside sound."""
    out = []
    for p in inside_sound(st, rng, count, spacing=2.5):
        n = int(rng.uniform(0.010, 0.100) * media.SR)
        st[2 * p:2 * (p + n)] = array("f", bytes(8 * n))
        out.append({"type": "audio_dropout", "start": p / media.SR, "end": (p + n) / media.SR,
                    "subtype": f"zero_{signal}", "samples": [p, p + n]})
    return out


def clicks(st: array, rng: random.Random, count: int, signal: str) -> list[dict]:
    """Add an impulse of 1-3 samples: one polarity or alternating, one or both channels.
    The impulse is added to the sound (a click is an impulse on top of it, not a sample value:
    writing the value could land next to the sound's own level and leave no click); where
    adding would pass full scale the impulse goes the other way, so every sample steps by the
    full amplitude. `subtype` names the polarity that resulted."""
    out = []
    for p in inside_sound(st, rng, count, spacing=1.5):
        n = rng.randint(1, 3)
        pol = rng.choice(["pos", "neg", "alt"]) if n > 1 else rng.choice(["pos", "neg"])
        amp = rng.uniform(0.3, 0.8)
        chans = rng.choice([(0,), (1,), (0, 1)])
        signs = []
        for k in range(n):
            s = -1.0 if pol == "neg" or (pol == "alt" and k % 2) else 1.0
            for ch in chans:
                i = 2 * (p + k) + ch
                v = st[i] + s * amp
                if abs(v) > 1.0:
                    s, v = -s, st[i] - s * amp
                st[i] = v
            signs.append(s)
        got = "pos" if all(x > 0 for x in signs) else "neg" if all(x < 0 for x in signs) else "alt"
        out.append({"type": "audio_click", "start": p / media.SR, "end": (p + n) / media.SR,
                    "subtype": f"{n}smp_{got}_{signal}", "samples": [p, p + n],
                    "amplitude": round(amp, 3)})
    return out


def clip_passage(st: array, rng: random.Random, level: float, label: str) -> list[dict]:
    """Boost a 0.5-3 s passage of loud sound by 6-12 dB and hard-clip it at +/-level.
    The boost is raised where needed so that the passage's loudest sample goes at least
    3 dB over the level (as the shared corpus' 3-12 dB over full scale): a passage that
    barely reaches the level is a handful of samples 0.1 dB over it, not clipped sound.
    Truth: first to last clipped sample."""
    dur = rng.uniform(0.5, 3.0)
    env = _envelope(st)
    n = len(env)
    best, best_i = -1e9, None
    w = int(dur * 100)
    starts = list(range(200, n - 200 - w, 10))
    rng.shuffle(starts)
    for i in starts[:60]:  # a loud passage among a few random ones
        m = sum(env[i:i + w]) / w
        if m > best:
            best, best_i = m, i
    a, b = best_i * HOP, (best_i + w) * HOP
    g = 10 ** (rng.uniform(6, 12) / 20)
    peak = max(abs(st[j]) for j in range(2 * a, 2 * b)) or 1.0
    g = max(g, level * 10 ** (3 / 20) / peak)
    # The boost comes in and goes out over 5 ms, as an editor's gain change does: a step of
    # gain mid-waveform is a discontinuity of its own, which a click detector rightly reports
    # (seed 10 drew one 0.17 s before the first clipped sample, outside the truth's ignores).
    ramp = max(1, min(int(0.005 * media.SR), (b - a) // 4))
    first = last = None
    for j in range(2 * a, 2 * b):
        k = j // 2
        edge = min(k - a, b - 1 - k)
        gk = g if edge >= ramp else 1.0 + (g - 1.0) * (edge + 0.5) / ramp
        v = st[j] * gk
        if v >= level or v <= -level:
            v = level if v > 0 else -level
            if first is None:
                first = j // 2
            last = j // 2
        st[j] = v
    if first is None:
        return []
    return [{"type": "audio_clipping", "start": first / media.SR, "end": (last + 1) / media.SR,
             "subtype": label, "passage": [a / media.SR, b / media.SR],
             "gain_db": round(20 * __import__("math").log10(g), 1)}]
