"""Pictures repeated by construction (the `stutter` group, defect_groups.py): a picture of the
delivered stream shown 1-3 extra times at seeded places where the scene moves, with truth as
the stutter detector reports it (from the first frame beyond the content's own hold to the
first new picture)."""
from __future__ import annotations

import encode as enc
import media

# The picture graph is rendered once at GW x GH grey (area means, about the detector's coarse
# cells) to find places in motion.
GW, GH = 64, 36
MOVE = 12.0     # a step in motion: its worst cell changed by this many code values or more
SHARE = 0.05    # ... and this share of the cells by MOVE / 2 or more
REPEAT = 1.5    # a step of the content's own repeat (a drawing held, 24 -> 25): worst cell below
EDIT = 3.0      # no step within EDGE_S of the place changed the mean cell EDIT times the
EDGE_S = 0.5    # median step of that window, or more (a cut, a loop seam)


def steps(vin: list, graph: str, seconds: float) -> list[tuple[float, float, float]]:
    """(worst cell change, share of cells changed by MOVE / 2 or more, mean cell change) of
    every step k -> k + 1 of the picture graph (index k), as rendered without repeats."""
    g = graph[:-3] + f",scale={GW}:{GH}:flags=area,format=gray[v]"
    args = ["-f", "lavfi", "-i", "anullsrc"]
    for vi in vin:
        args += vi
    raw = media.ffmpeg(*args, "-filter_complex", g, "-map", "[v]", "-t", f"{seconds:.3f}",
                       "-f", "rawvideo", "-").stdout
    n = GW * GH
    frames = [raw[i:i + n] for i in range(0, len(raw) - n + 1, n)]
    out = []
    for a, b in zip(frames, frames[1:]):
        d = [abs(x - y) for x, y in zip(a, b)]
        out.append((max(d), sum(1 for x in d if x >= MOVE / 2) / n, sum(d) / n))
    return out


def moving(st, k: int) -> bool:
    """Step k (frame k -> k + 1) moves."""
    return st[k][0] >= MOVE and st[k][1] >= SHARE


def candidates(st, fps: float, held: int, lo: float, hi: float) -> list[int]:
    """Frames K whose repeat is a stutter the detector promises: the content's own hold
    before K (`held` frames: 1 for footage, 2 for animation on twos) ends at K, the step
    into that hold and the step out of K move, the hold's own steps repeat (twos) and no
    edit lies within EDGE_S."""
    w = int(EDGE_S * fps)
    out = []
    for k in range(max(held + w, int(lo * fps)), min(len(st) - w, int(hi * fps))):
        if not (moving(st, k) and moving(st, k - held)):
            continue
        if any(st[j][0] >= REPEAT for j in range(k - held + 1, k)):
            continue
        win = sorted(s[2] for s in st[k - w:k + w])
        med = win[len(win) // 2]
        if max(s[2] for s in st[k - w:k + w]) >= EDIT * max(med, 0.5):
            continue
        out.append(k)
    return out


def place(rng, cands: list[int], fps: float, count: int, spacing: float) -> list[int]:
    """`count` frames of `cands`, at least `spacing` s apart (seeded)."""
    pool = cands[:]
    rng.shuffle(pool)
    chosen: list[int] = []
    for k in pool:
        if all(abs(k - j) >= spacing * fps for j in chosen):
            chosen.append(k)
        if len(chosen) == count:
            break
    return sorted(chosen)


def inject(rng, vin: list, graph: str, fps_s: str, seconds: float, held: int, label: str,
           count: int) -> tuple[str, list[dict]]:
    """The graph with `count` pictures repeated 1-3 extra times (seeded) and their truth."""
    f = enc.fps_value(fps_s)
    st = steps(vin, graph, seconds)
    ks = place(rng, candidates(st, f, held, 4.0, seconds - 3.0), f, count, 4.0)
    loops, truth, added = [], [], 0
    for k in ks:
        n = rng.choice([1, 2, 3])
        # loop's start counts the frames the earlier loops added
        loops.append(f"loop=loop={n}:size=1:start={k + added}")
        s = k + added + 1  # the first extra picture; the next new one comes n frames later
        truth.append({"type": "video_stutter", "start": s / f, "end": (s + n) / f,
                      "subtype": f"{label}_{n}", "repeated_frames": n,
                      "motion": [round(st[k - held][0], 1), round(st[k][0], 1)]})
        added += n
    if not loops:
        return graph, truth
    return graph[:-3] + "," + ",".join(loops) + f",setpts=N/({fps_s}*TB)[v]", truth
