#!/usr/bin/env python3
"""Build the real-content evaluation corpus of avqc and its truth.json.

usage: make_corpus.py --out DIR [--seed N] [--only GROUP[,GROUP]] [--clips NAME[,NAME]] [--list]
                      [--picture NAME]

GROUP: clean, dropout, click, clipping, freeze, corruption, sync (default: all of these),
holdout (clean programmes from sources no other group uses, holdout.py) and stutter (pictures
repeated in moving footage, repeats.py); the last two are built only when named, into a corpus
directory of their own (so that the corpora of earlier seeds keep their clips).
Needs the packages of scripts/realeval/install.sh, Python 3.11 (stdlib) and ffmpeg.
Deterministic per seed (every clip draws from its own random.Random("seed:name")).
Clips already built (DIR/<clip>.ts with DIR/meta/<clip>.json) are kept: delete DIR
to rebuild. --picture NAME builds the same draw with its pictures coded another way
(encode.PICTURES: another frame size, interlaced coding, an ABR ladder's low rung), into a
directory of its own. See README.md beside this file for what each group is and how truth is made.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
from array import array

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import audiocheck  # noqa: E402
import encode as enc  # noqa: E402
import media  # noqa: E402
import tsdamage  # noqa: E402
from defect_groups import defect_clips  # noqa: E402
from groups import clean_clips  # noqa: E402
import holdout  # noqa: E402
from score import TRUE_PEAK_CEILING as DELIVERY_TRUE_PEAK  # noqa: E402

PREFIX = {"dropout": "dropout_", "click": "click_", "clipping": "clipping_", "freeze": "freeze_",
          "corruption": "corrupt_", "sync": "sync_", "stutter": "stutter_"}
OPT_IN = {"stutter"}  # groups built only when named (holdout too: its clips are not in `clips`)
EDGE = 0.5  # first and last seconds ignored for every type
# A clip without audio truth whose encode made a click is encoded again with its sound
# SHIFTS samples later, then drawn again, at most REDRAWS times (build_one, audiocheck.py,
# README "Encoder-made clicks")
SHIFTS = (64, 32, 96)
REDRAWS = 3


def group_of(name: str, clean_names: set[str], holdout_names: set[str] = frozenset()) -> str:
    if name in holdout_names:
        return "holdout"
    if name in clean_names:
        return "clean"
    for g, p in PREFIX.items():
        if name.startswith(p):
            return g
    return "other"


def ignores(p: dict, v_off: float, a_off: float) -> list[dict]:
    d = p["seconds"]
    ig = [{"type": "*", "start": 0.0, "end": EDGE + max(v_off, a_off), "reason": "clip start"},
          {"type": "*", "start": d - EDGE, "end": d + 5.0, "reason": "clip end"}]
    for t in p["defects"]:
        if t["type"] == "audio_dropout":
            ig.append({"type": "audio_click", "start": t["start"] - 0.02, "end": t["end"] + 0.02,
                       "reason": "dropout edges"})
        if t["type"] == "audio_clipping":
            ig.append({"type": "audio_click", "start": t["start"] - 0.1, "end": t["end"] + 0.1,
                       "reason": "clipped passage"})
            ig.append({"type": "audio_true_peak", "start": t["start"] - 0.5, "end": t["end"] + 0.5,
                       "reason": "clipped passage"})
        if t["type"] == "video_corruption":
            for ty in ("video_freeze", "video_stutter", "video_frame_drop", "video_black"):
                ig.append({"type": ty, "start": t["start"] - 0.2, "end": t["end"] + 0.2,
                           "reason": "concealment of damage"})
        if t["type"] == "video_freeze":
            ig.append({"type": "video_stutter", "start": t["start"] - 0.2, "end": t["end"] + 0.2,
                       "reason": "freeze edges"})
    return ig


def source_pcm(p: dict, shift: int = 0) -> array:
    """The PCM the encoder gets for plan `p`: its audio fitted to the clip's length, `shift`
    frames later (digital zero before it)."""
    n = int(p["seconds"] * media.SR) * 2
    a = p["audio"] if not shift else array("f", bytes(8 * shift)) + p["audio"][:n]
    return media.fit(a, n)


def clip_rng(seed: int, name: str, draw: int = 0) -> random.Random:
    """The random source of a clip; draw > 0: a clip drawn again (below)."""
    return random.Random(f"{seed}:{name}" if draw == 0 else f"{seed}:{name}:draw{draw}")


def audio_check(path: str, src: array, acodec: str, cache: str) -> dict:
    """Decode the delivered file's sound and compare it with the PCM that went in."""
    r = audiocheck.check_decode(src, media.decode_pcm(path, 2), enc.codec_delay(acodec, cache))
    return {k: r[k] for k in ("lag", "lag_expected", "lag_places", "clicks")}


def build_one(name: str, builder, seed: int, out: str, cache: str) -> list[dict]:
    """Build one clip (and for corruption its clean reference); return truth entries.

    The encode's sound is decoded and compared with the PCM that went in (audiocheck.py).
    A clip whose sound carries no truth (clean, and the freeze, corruption and sync clips)
    and whose encode made a click is encoded again with its sound SHIFTS samples later (the
    same programme, placed differently on the encoder's 128-sample short blocks: seed 5
    `music_3`'s bursts sat astride their boundaries; 32 or 64 samples later none was left,
    128 or 256 later they came back, and 0.5 to 3 dB lower or 96k-192k kept them). Only if
    no shift clears it is the clip drawn again (its own random source `seed:name:drawN`, at
    most REDRAWS times). The shift moves the audio placement (`t_offset_audio`); the entry
    lists it (`audio_shift`, `draw`) and the rejected attempts (`audio_check.rejected`). A clip
    with audio defects keeps its encode (its clicks, dropouts and clipping are its truth)
    and lists what was found. A clip whose sound carries no truth and whose delivered sound
    reads DELIVERY_TRUE_PEAK or over (ffmpeg's 0.1 dB reading; the codec's overshoot on a bed
    mastered under it) is encoded again with its sound lowered by the excess, the reading's
    step and 0.3 dB (`true_peak_gain_db`)."""
    path = os.path.join(out, name + ".ts")
    entries = []
    rejected = []
    draw, shift, n_shift = 0, 0, 0
    gain_db, tp_tries = 0.0, 0
    p = damage = tmpfile = rng = None
    while True:
        if p is None:
            rng = clip_rng(seed, name, draw)
            p = builder(rng, cache)
            damage = p["extra"].pop("damage", None)
            tmpfile = p["extra"].pop("tmpfile", None)
        src = path if damage is None else os.path.join(out, name + "_ref.ts")
        pcm = source_pcm(p, shift)
        if gain_db:
            pcm = media.scale(pcm, 10 ** (gain_db / 20))
        enc.encode(src, p["vin"], p["graph"], pcm, p["seconds"], p["vcodec"], p["acodec"])
        check = audio_check(src, pcm, p["acodec"], cache)
        remedy = not any(t["type"].startswith("audio") for t in p["defects"])
        if not check["clicks"] or not remedy or (n_shift == len(SHIFTS) and draw == REDRAWS):
            # Delivered sound (EBU R 128): the codec's overshoot may carry a bed mastered under
            # media.TRUE_PEAK_CEILING to the delivery ceiling or over it (ffmpeg reads to 0.1 dB,
            # so a reading at the ceiling may be over it): such a clip's sound is lowered by the
            # excess, the reading's step and a margin, and encoded again.
            if not remedy or tp_tries == 3:
                break
            tp = media.true_peak_db(media.decode_pcm(src, 2), 2)
            if tp < DELIVERY_TRUE_PEAK - 1e-6:
                break
            gain_db = round(gain_db - (tp - DELIVERY_TRUE_PEAK) - 0.1 - 0.3, 2)
            tp_tries += 1
            print(f"  {name}: delivered sound reads {tp:.1f} dBTP: encoded again "
                  f"{-gain_db} dB lower", file=sys.stderr, flush=True)
            continue
        rejected.append({"draw": draw, "shift": shift, "content": p["content"],
                         "clicks": check["clicks"]})
        if n_shift < len(SHIFTS):
            shift = SHIFTS[n_shift]
            n_shift += 1
            how = f"{shift} samples later"
        else:
            draw, shift, n_shift, p = draw + 1, 0, 0, None
            how = "drawn again"
            if tmpfile and os.path.exists(tmpfile):
                os.remove(tmpfile)
        print(f"  {name}: encoder-made click(s) at "
              f"{', '.join(str(c['time']) for c in check['clicks'])} s: {how}",
              file=sys.stderr, flush=True)
    if tmpfile and os.path.exists(tmpfile):
        os.remove(tmpfile)
    if rejected:
        check["rejected"] = rejected
    if draw:
        p["extra"]["draw"] = draw
    if shift:
        p["extra"]["audio_shift"] = shift
    if gain_db:
        p["extra"]["true_peak_gain_db"] = gain_db
    v_off, a_off = enc.placement(src, p["acodec"], cache)
    a_off = round(a_off + shift / media.SR, 5)
    fps = enc.fps_value(enc.picture_fps(p["fps"]))
    base = {"duration": p["seconds"], "content": p["content"],
            "video": {"codec": p["vcodec"], "fps": enc.picture_fps(p["fps"]),
                      **({"picture": enc.PICTURE} if enc.PICTURE else {})},
            "audio": {"codec": p["acodec"], "channels": 2, "sample_rate": media.SR},
            "t_offset_video": v_off, "t_offset_audio": a_off, "audio_check": check}
    if damage is not None:
        entries.append(dict(file=os.path.basename(src), groups=["clean", "corruption_ref"],
                            clean=True, defects=[], ignore=ignores(p, v_off, a_off), **base))
        info = tsdamage.damage(src, path, damage["windows"], damage["mode"], rng)
        runs, worst = tsdamage.psnr_truth(path, src, fps)
        p["defects"] = [{"type": "video_corruption", "start": round(a, 4), "end": round(b, 4),
                         "subtype": f"{p['vcodec']}_{damage['mode']}"} for a, b in runs]
        base["damage"] = {"mode": damage["mode"], "applied": info, "worst_psnr": round(worst, 2)}
    else:
        for t in p["defects"]:
            off = a_off if t["type"].startswith("audio") else v_off
            t["start"] = round(t["start"] + off, 5)
            t["end"] = round(t["end"] + off, 5)
    e = dict(file=name + ".ts", groups=p["groups"], clean=p["clean"], defects=p["defects"],
             ignore=ignores(p, v_off, a_off), **base)
    if "offset_ms" in p["extra"]:
        off = p["extra"].pop("offset_ms")
        e["sync_test"] = True
        e["offset_ms"] = round(off + 1000 * (a_off - v_off), 1)
        e["offset_content_ms"] = off
    e.update(p["extra"])
    entries.append(e)
    return entries


def built(meta: str, names: list[str]):
    """(name, meta entries) of each clip of `names` already built (meta/<name>.json)."""
    for name in names:
        mj = os.path.join(meta, name + ".json")
        if os.path.exists(mj):
            with open(mj) as f:
                yield name, json.load(f)


def check_audio(out: str, meta: str, clips: list, seed: int, cache: str) -> list[dict]:
    """--check-audio: rebuild each built clip's sound (no picture, no encode), decode the
    delivered file's sound and look for encoder-made clicks (audiocheck.py). Returns one
    record a clip."""
    import talkhead
    render = talkhead.render
    talkhead.render = lambda path, *a, **k: render(None, *a, **k)  # the sound needs no frames
    found = []
    builders = dict(clips)
    try:
        for name, entries in built(meta, [n for n, _ in clips]):
            builder = builders[name]
            e = entries[-1]
            t = time.time()
            draw, shift = e.get("draw", 0), e.get("audio_shift", 0)
            p = builder(clip_rng(seed, name, draw), cache)
            tmp = p["extra"].get("tmpfile")
            if tmp and os.path.exists(tmp):
                os.remove(tmp)
            r = audio_check(os.path.join(out, entries[0]["file"]), source_pcm(p, shift),
                            p["acodec"], cache)
            # t_offset_audio places the shifted sound's first programme sample; `time`
            # counts from the first sample encoded
            for c in r["clicks"]:
                c["media_time"] = round(c["time"] + e["t_offset_audio"] - shift / media.SR, 4)
            rec = {"clip": name, "file": entries[0]["file"], "acodec": p["acodec"],
                   "audio_defects": any(d["type"].startswith("audio") for d in e["defects"]),
                   "clean": entries[0]["clean"], "draw": draw, "audio_shift": shift, **r}
            found.append(rec)
            lag = "" if r["lag"] == r["lag_expected"] else \
                f" LAG {r['lag']} (codec {r['lag_expected']})"
            what = "; ".join(f"{c['media_time']} s ch{'+'.join(map(str, c['channels']))} "
                             f"d2 {c['d2']} (source {c['src_d2']}, local {c['local']}, "
                             f"span {c['span']})" for c in r["clicks"]) or "ok"
            print(f"{name}: {what}{lag} [{time.time() - t:.0f} s]", file=sys.stderr, flush=True)
    finally:
        talkhead.render = render
    return found


def retruth(out: str, meta: str, names: set[str]) -> None:
    """Measure the truth of the damaged clips already in `out` again (after a change to
    tsdamage.psnr_truth), keeping their files."""
    for name, entries in built(meta, sorted(names)):
        e = entries[-1]
        if "damage" not in e:
            continue
        path = os.path.join(out, e["file"])
        runs, worst = tsdamage.psnr_truth(path, os.path.join(out, entries[0]["file"]),
                                          enc.fps_value(e["video"]["fps"]))
        mode = e["damage"].get("mode") or name.split("_")[2]  # corpora before "mode": by name
        sub = f"{e['video']['codec']}_{mode}"
        e["defects"] = [{"type": "video_corruption", "start": round(x, 4), "end": round(y, 4),
                         "subtype": sub} for x, y in runs]
        e["damage"]["worst_psnr"] = round(worst, 2)
        p = {"seconds": e["duration"], "defects": e["defects"]}
        e["ignore"] = ignores(p, e["t_offset_video"], e["t_offset_audio"])
        mj = os.path.join(meta, name + ".json")
        with open(mj + ".tmp", "w") as f:
            json.dump(entries, f, indent=1)
        os.replace(mj + ".tmp", mj)
        print(f"{name}: {len(runs)} damaged runs (truth measured again)", file=sys.stderr, flush=True)


def run_check(a, out: str, meta: str, clips: list) -> int:
    """--check-audio and --self-test, in a cache of their own (DIR is only read)."""
    with tempfile.TemporaryDirectory(prefix="avqc-audiocheck-") as tmp:
        cache = a.cache or tmp
        os.makedirs(cache, exist_ok=True)
        shipped = os.path.join(out, "cache")
        if not a.cache and os.path.isdir(shipped):
            for f in os.listdir(shipped):  # synthesized speech, unpacked footage: read only
                if not os.path.exists(os.path.join(cache, f)):
                    os.symlink(os.path.join(shipped, f), os.path.join(cache, f))
        fails = audiocheck.self_test(cache)
        print("self-test:", "; ".join(fails) or "passed", file=sys.stderr, flush=True)
        if fails or a.self_test:
            return 1 if fails else 0
        found = check_audio(out, meta, clips, a.seed, cache)
    if a.json:
        with open(a.json, "w") as f:
            json.dump(found, f, indent=1)
    bad = [r for r in found if r["clicks"]]
    print(f"{len(found)} clips checked, {len(bad)} with encoder-made clicks: "
          f"{', '.join(r['clip'] for r in bad) or 'none'}", file=sys.stderr)
    return 1 if bad else 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--only", default="")
    ap.add_argument("--clips", default="",
                    help="build only these clips (comma-separated names, as --list prints them)")
    ap.add_argument("--list", action="store_true")
    ap.add_argument("--picture", choices=sorted(enc.PICTURES),
                    help="code the pictures another way (encode.PICTURES; build into a "
                         "directory of its own)")
    ap.add_argument("--retruth", action="store_true",
                    help="measure the corruption truth of clips already built again")
    ap.add_argument("--check-audio", action="store_true",
                    help="check the clips already built for encoder-made clicks (their sound "
                         "rebuilt, no encode; nothing in DIR is written) and exit")
    ap.add_argument("--cache", help="cache directory (default DIR/cache; with --check-audio a "
                                    "temporary one that links DIR/cache's files)")
    ap.add_argument("--json", help="with --check-audio: write the records to this file")
    ap.add_argument("--self-test", action="store_true",
                    help="check that the encoder-click check finds a 2-sample burst added to "
                         "a clean decode and ignores a click of the source, and exit")
    a = ap.parse_args()
    enc.set_picture(a.picture)
    only = set(filter(None, a.only.split(",")))
    missing = media.check_sources() + (holdout.check_sources() if "holdout" in only else [])
    if missing:
        print("missing sources (run scripts/realeval/install.sh):", *missing, sep="\n  ", file=sys.stderr)
        return 2
    cl = clean_clips(a.seed)
    clean_names = {n for n, _ in cl}
    ho = holdout.holdout_clips(a.seed)
    ho_names = {n for n, _ in ho}
    clips = cl + defect_clips(a.seed)
    if not only and not a.clips:
        clips = [(n, b) for n, b in clips if group_of(n, clean_names) not in OPT_IN]
    if only:
        clips = [(n, b) for n, b in clips + ho if group_of(n, clean_names, ho_names) in only]
    if a.clips:
        names = set(filter(None, a.clips.split(",")))
        clips = [(n, b) for n, b in clips + ([] if only else ho) if n in names]
        unknown = names - {n for n, _ in clips}
        if unknown:
            print("unknown clips (see --list):", *sorted(unknown), file=sys.stderr)
            return 2
    if a.list:
        for n, _ in clips:
            print(group_of(n, clean_names, ho_names), n)
        return 0
    out = os.path.abspath(a.out)
    meta = os.path.join(out, "meta")
    if a.check_audio or a.self_test:
        return run_check(a, out, meta, clips)
    cache = a.cache or os.path.join(out, "cache")
    tj = os.path.join(out, "truth.json")
    if os.path.exists(tj):
        with open(tj) as f:
            was = json.load(f).get("picture")
        if was != a.picture:
            print(f"{out} was built with --picture {was or '(none)'}: build into another "
                  "directory", file=sys.stderr)
            return 2
    os.makedirs(meta, exist_ok=True)
    os.makedirs(cache, exist_ok=True)
    t0 = time.time()
    failed: list[str] = []
    if a.retruth:
        retruth(out, meta, {n for n, _ in clips})
    for i, (name, builder) in enumerate(clips):
        mj = os.path.join(meta, name + ".json")
        if os.path.exists(mj) and os.path.exists(os.path.join(out, name + ".ts")):
            continue
        t = time.time()
        try:
            entries = build_one(name, builder, a.seed, out, cache)
        except Exception as ex:  # report, go on with the other clips
            failed.append(name)
            print(f"[{i + 1}/{len(clips)}] {name}: FAILED: {ex}", file=sys.stderr, flush=True)
            continue
        with open(mj + ".tmp", "w") as f:
            json.dump(entries, f, indent=1)
        os.replace(mj + ".tmp", mj)
        print(f"[{i + 1}/{len(clips)}] {name}: {len(entries[-1]['defects'])} defects, "
              f"{time.time() - t:.1f} s", file=sys.stderr, flush=True)
    entries = []
    for name in sorted(f[:-5] for f in os.listdir(meta) if f.endswith(".json")):
        with open(os.path.join(meta, name + ".json")) as f:
            entries += json.load(f)
    clean_s = sum(e["duration"] for e in entries if e["clean"])
    truth = {"format": "avqc-realeval-truth/1", "seed": a.seed,
             **({"picture": a.picture, "picture_note": enc.PICTURES[a.picture]["note"]}
                if a.picture else {}),
             "time_convention": "seconds of media time: PTS minus the input's start time "
                                "(as avqc's events); codec delays measured and applied",
             "clean_seconds": clean_s, "clips": entries}
    with open(os.path.join(out, "truth.json"), "w") as f:
        json.dump(truth, f, indent=1)
    print(f"{len(entries)} clips, clean {clean_s / 60:.1f} min, {time.time() - t0:.0f} s",
          file=sys.stderr)
    if failed:
        print("FAILED clips:", *failed, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
