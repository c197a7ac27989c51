#!/usr/bin/env python3
"""Re-encode the sound of a built realeval corpus another way and carry its truth over.

usage: variants.py --from CORPUS --variant NAME --out DIR [--only GROUP[,GROUP]] [--list]

Each clip of CORPUS (as make_corpus.py built it) is copied with its pictures untouched
(`-c:v copy`, timestamps kept) and its sound decoded and encoded again as the variant says:
another sample rate, mono, another codec, or a second lossy generation. The truth moves
with the sound: the audio defects, ignores and the A/V offset of sync clips shift by the
measured change of the sound's place on the media timeline (start times from ffprobe plus
the lag between the two decodes, found by cross-correlation around the delay an impulse
through the same re-encode shows). Clips already built (DIR/<clip>.ts with DIR/meta/) are
kept. The re-encode can make a burst of its own, as a first encode can (make_corpus.py's
`audio_check`): the variant's decode is compared with the original's (audiocheck.py's
`find_clicks`, the original's decode standing for the PCM that went in) and each burst found
is listed (`variant.bursts`). A clip whose sound carries no truth is then encoded again
without the first few samples of its sound (SHIFTS: the rest keeps its place on the
timeline and falls differently on the encoder's blocks, as make_corpus.py's shifts do; the
lag measured carries the truth over; `variant.audio_trim`). The bursts still left after the
last try, and those of a clip with audio defects (whose encode is its truth), are added to
the clip's `ignore` for audio_click, with their reason. The variant measures how the
detectors hold up on sound they were not tuned on; the defects are the corpus's own, so a
variant scores the same truth, found or not.
"""
from __future__ import annotations

import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import audiocheck  # noqa: E402
import encode as enc  # noqa: E402
import media  # noqa: E402

# name: (sample rate, channels, encoder options, what it stands for)
VARIANTS = {
    "aac44-mono": (44100, 1, ["-c:a", "aac", "-b:a", "96k"], "44.1 kHz mono AAC (web video)"),
    "aac32": (32000, 2, ["-c:a", "aac", "-b:a", "128k"], "32 kHz stereo AAC"),
    "mp2-32": (32000, 2, ["-c:a", "mp2", "-b:a", "192k"], "32 kHz MPEG-1 Layer II (DAB-like)"),
    "ac3-44": (44100, 2, ["-c:a", "ac3", "-b:a", "192k"], "44.1 kHz AC-3"),
    "aac-twice": (48000, 2, ["-c:a", "aac", "-b:a", "96k"],
                  "a second AAC generation at 96 kb/s (a contribution feed coded again)"),
}
SPAN = 64  # samples (48 kHz) searched around the calibrated lag
# A clip whose sound carries no truth and whose re-encode made a burst is re-encoded without
# this many of its first samples (as make_corpus.py's SHIFTS: the same programme placed
# differently on the encoder's blocks, here without moving it); what is left after the last
# is ignored.
SHIFTS = (64, 32, 96)
BURST_IGNORE = 0.02  # s on each side of an encoder-made burst ignored for audio_click
MONO = "pan=mono|c0=0.5*c0+0.5*c1"  # the mono variant's downmix (see reencode)


def reencode(src: str, out: str, variant: str, trim: int = 0) -> None:
    """Re-encode `src`'s sound as `variant` says, its first `trim` samples (48 kHz) left out
    (the rest keeps its timestamps: the programme stays where it was on the timeline, placed
    differently on the encoder's blocks)."""
    rate, ch, codec, _ = VARIANTS[variant]
    # a mono variant averages the channels (FFmpeg's own downmix adds them at -3 dB each, up
    # to 3 dB over the source's peaks: overs the corpus never had)
    parts = ([f"atrim=start_sample={trim}"] if trim else []) + ([MONO] if ch == 1 else [])
    mix = (["-af", ",".join(parts)] if parts else []) + (["-ac", str(ch)] if ch != 1 else [])
    media.ffmpeg("-copyts", "-i", src, "-map", "0:v", "-map", "0:a", "-c:v", "copy",
                 "-ar", str(rate), *mix, *codec, "-f", "mpegts", out + ".tmp")
    os.replace(out + ".tmp", out)


def calibrate(acodec: str, variant: str, cache: str) -> int:
    """Lag (48 kHz samples) of the variant's decode behind the original's, from an impulse
    encoded like the corpus and then re-encoded like the variant."""
    orig = os.path.join(cache, f"calib-{acodec}.ts")
    enc.impulse_clip(orig, acodec)
    var = os.path.join(cache, f"calib-{acodec}-{variant}.ts")
    reencode(orig, var, variant)
    peaks = []
    for p in (orig, var):
        d = media.decode_pcm(p, 1)
        peaks.append(max(range(len(d)), key=lambda i: abs(d[i])))
    return peaks[1] - peaks[0]


def shift(items: list[dict], da: float, dv: float) -> list[dict]:
    out = []
    for d in items:
        d = dict(d)
        typ = d.get("type", "*")
        dt = da if typ.startswith("audio_") else dv if typ != "*" else 0.0
        d["start"] = round(d["start"] + dt, 5)
        d["end"] = round(d["end"] + dt, 5)
        out.append(d)
    return out


def encoder_bursts(src: str, out: str, ch: int, lag: int, to_variant: float) -> list[dict]:
    """Bursts the re-encode made: the decode of `out` (`ch` channels, `lag` samples behind)
    against the decode of `src` mixed the same way, as make_corpus.py checks a first encode
    against its PCM (audiocheck.find_clicks). Each burst gets `variant_time`: its place on the
    variant's timeline (decode sample / rate + `to_variant`)."""
    d0 = media.decode_pcm(src, ch, extra_filter=MONO if ch == 1 else None)
    d1 = media.decode_pcm(out, ch)
    found = audiocheck.find_clicks(d0, d1, lag, ch)
    for b in found:
        b["variant_time"] = round(b["sample"] / media.SR + to_variant, 5)
    return found


def carry(clip: dict, src: str, out: str, variant: str, lag_cal: int, trim: int = 0) -> dict:
    """The clip's truth entry for the re-encoded file `out` of `src` (its sound's first `trim`
    samples left out: the lag is looked for around `lag_cal - trim`)."""
    f0, v0, a0 = enc.start_times(src)
    f1, v1, a1 = enc.start_times(out)
    rate, ch, codec, _ = VARIANTS[variant]
    d0 = media.decode_pcm(src, 1)
    d1 = media.decode_pcm(out, 1)
    places = [list(x) for x in audiocheck.measure_lag(d0, d1, lag_cal - trim, 1, SPAN)]
    good = [lag for c, lag in places if c >= 0.9]
    lag = max(set(good), key=good.count) if good else lag_cal - trim
    dv = (v1 - f1) - (v0 - f0)
    da = (a1 - f1) - (a0 - f0) + lag / media.SR
    bursts = encoder_bursts(src, out, ch, lag, (a0 - f0) + da)
    c = dict(clip)
    c["defects"] = shift(clip["defects"], da, dv)
    c["ignore"] = shift(clip["ignore"], da, dv) + [
        {"type": "audio_click", "start": round(b["variant_time"] - BURST_IGNORE, 5),
         "end": round(b["variant_time"] + BURST_IGNORE, 5),
         "reason": "burst made by the variant's re-encode"} for b in bursts]
    c["t_offset_video"] = round(clip["t_offset_video"] + dv, 5)
    c["t_offset_audio"] = round(clip["t_offset_audio"] + da, 5)
    if "offset_ms" in c:
        c["offset_ms"] = round(c["offset_ms"] + 1000.0 * (da - dv), 2)
    c["audio"] = dict(clip["audio"], codec=codec[1], channels=ch, sample_rate=rate)
    c["variant"] = {"name": variant, "lag": lag, "lag_calibrated": lag_cal,
                    "lag_places": places, "shift_audio_s": round(da, 5),
                    "shift_video_s": round(dv, 5), "bursts": bursts}
    return c


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--from", dest="src", help="a corpus directory make_corpus.py built")
    ap.add_argument("--variant", choices=sorted(VARIANTS))
    ap.add_argument("--out")
    ap.add_argument("--only", default="", help="groups to carry over (default: every clip)")
    ap.add_argument("--list", action="store_true", help="print the variants and exit")
    a = ap.parse_args()
    if a.list:
        for k, v in VARIANTS.items():
            print(f"{k:12s} {v[3]}")
        return 0
    if not (a.src and a.variant and a.out):
        ap.error("--from, --variant and --out are required")
    with open(os.path.join(a.src, "truth.json")) as f:
        truth = json.load(f)
    only = set(filter(None, a.only.split(",")))
    clips = [c for c in truth["clips"] if not only or set(c["groups"]) & only
             or ("corruption" in only and "corruption_ref" in c["groups"])]
    meta = os.path.join(a.out, "meta")
    cache = os.path.join(a.out, "cache")
    os.makedirs(meta, exist_ok=True)
    os.makedirs(cache, exist_ok=True)
    lags: dict[str, int] = {}
    entries = []
    for i, c in enumerate(clips):
        mpath = os.path.join(meta, c["file"] + ".json")
        out = os.path.join(a.out, c["file"])
        if os.path.exists(mpath) and os.path.exists(out):
            with open(mpath) as f:
                entries.append(json.load(f))
            continue
        acodec = c["audio"]["codec"]
        if acodec not in lags:
            lags[acodec] = calibrate(acodec, a.variant, cache)
        src = os.path.join(a.src, c["file"])
        remedy = not any(t["type"].startswith("audio") for t in c["defects"])
        rejected = []
        for n, trim in enumerate((0, *SHIFTS)):
            reencode(src, out, a.variant, trim)
            e = carry(c, src, out, a.variant, lags[acodec], trim)
            bursts = e["variant"]["bursts"]
            if not bursts or not remedy or n == len(SHIFTS):
                break
            rejected.append({"trim": trim, "bursts": bursts})
            print(f"  {c['file']}: burst(s) made by the re-encode at "
                  f"{', '.join(str(b['variant_time']) for b in bursts)} s: encoded again "
                  f"without its first {SHIFTS[n]} samples", file=sys.stderr, flush=True)
        if trim:
            e["variant"]["audio_trim"] = trim
        if rejected:
            e["variant"]["rejected"] = rejected
        with open(mpath, "w") as f:
            json.dump(e, f)
        entries.append(e)
        v = e["variant"]
        print(f"[{i + 1}/{len(clips)}] {c['file']}: lag {v['lag']} (calibrated "
              f"{v['lag_calibrated']}), audio {v['shift_audio_s'] * 1000:+.2f} ms, video "
              f"{v['shift_video_s'] * 1000:+.2f} ms", file=sys.stderr, flush=True)
    clean_s = sum(e["duration"] for e in entries if e["clean"])
    out_truth = dict(truth, clips=entries, clean_seconds=clean_s,
                     variant={"name": a.variant, "what": VARIANTS[a.variant][3]})
    with open(os.path.join(a.out, "truth.json"), "w") as f:
        json.dump(out_truth, f, indent=1)
    print(f"{len(entries)} clips, clean {clean_s / 60:.1f} min", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
