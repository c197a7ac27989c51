#!/usr/bin/env python3
"""A channel as one stream: a corpus's clean programmes played out back to back.

usage: channel.py --corpus DIR [--out DIR] [--seed N] [--codec h264|mpeg2] [--joins N]
                  [--join-seconds S] [--wrap-at FRACTION] [--no-wrap]

Every clip of the realeval corpus is a fresh monitor on 20-40 s, started and stopped at a
clip's edges (whose first and last half second the scorer ignores). An operator's monitor
watches a channel for hours: programmes follow one another at junctions inside the stream,
each programme's own rate converted to the channel's, the 33-bit PTS wraps every 26.5 hours,
and a monitor (re)started on a live stream joins it anywhere, mid-GOP and mid-PES. This
script builds that from the clean clips of DIR/truth.json (clean programme material: news,
dialogue, recorded voice, music, film, dark scenes, animation on twos, slideshows, 24->25 and
3:2 rate conversions, quiet programmes, the 10 fps static-camera scene, talking heads, the
undamaged references of the corruption clips):

  - a seeded running order; each programme trimmed to the part the corpus scores (its
    "clip start"/"clip end" ignores cut away), in whole pictures of the channel's rate;
  - a playout chain: pictures deinterlaced where coded interlaced (bwdif), converted to 25
    pictures a second by repeating or dropping pictures (`fps`), fitted into 640x360 (4:3
    pillarboxed); sound at 48 kHz stereo, A/V placement of each programme kept (the corpus's
    measured `t_offset_audio - t_offset_video`), faded out and in over 20 ms at each junction
    as a playout server joins programmes (a hard cut of the waveform is a click);
  - one encode to MPEG-TS (H.264 + AAC, or MPEG-2 + MP2): a second generation, as a channel
    re-encodes its contributions; timestamps offset (`-output_ts_offset`) so that the PTS
    wraps at 2^33 a FRACTION (default 0.37) into the channel;
  - live joins: N copies of JOIN-SECONDS of the channel starting at a seeded byte offset
    (a multiple of 188 bytes, anywhere: mid-GOP, mid-PES), as a monitor started on a live
    stream meets it.

Truth (OUT/truth.json, make_corpus.py's format): every file is clean (`groups` ["clean",
"channel"] or ["clean", "join"]): any defect avqc reports is a false alarm. The channel's
entry lists its junctions (`junctions`, s on the events' timeline), the programmes
(`programmes`: clip, start, seconds) and where the PTS wraps (`pts_wrap_at`). Encoder-made
clicks (audiocheck.py: the decoded sound against the PCM that went in) are listed as ignore
intervals of `audio_click` (reason "encoder-made click"), so the scorer does not count them;
their number is printed. The sound's true peak is checked like the clean set's (ffmpeg
ebur128): over -1 dBTP, the channel is encoded again lowered by the excess and 0.3 dB.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
from array import array

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import audiocheck  # noqa: E402
import encode as enc  # noqa: E402
import joins as join_cut  # noqa: E402
import media  # noqa: E402

FPS = 25
W, H = 640, 360
FADE = 960  # 20 ms at 48 kHz
WRAP = 2 ** 33 / 90000.0  # seconds of PTS before it wraps
DELIVERY_TRUE_PEAK = -1.0
CODECS = {"h264": ("h264", "aac"), "mpeg2": ("mpeg2", "mp2")}


def probe(path: str) -> dict:
    r = media.run(["ffprobe", "-v", "error", "-show_entries",
                   "stream=codec_type,field_order:format=duration,start_time", "-of", "json", path])
    return json.loads(r.stdout)


def programmes(corpus: str, rng: random.Random) -> list[dict]:
    """The clean clips of the corpus in a seeded running order, each with the part to play."""
    truth = json.load(open(os.path.join(corpus, "truth.json")))
    out = []
    for c in truth["clips"]:
        if not c.get("clean") or not os.path.exists(os.path.join(corpus, c["file"])):
            continue
        start = max([i["end"] for i in c.get("ignore", []) if i.get("reason") == "clip start"] + [0.5])
        end = min([i["start"] for i in c.get("ignore", []) if i.get("reason") == "clip end"]
                  + [c["duration"] - 0.5])
        frames = int((end - start) * FPS)
        if frames < 2 * FPS:
            continue
        p = probe(os.path.join(corpus, c["file"]))
        interlaced = any(s.get("field_order", "progressive") not in ("progressive", "unknown")
                         for s in p["streams"] if s["codec_type"] == "video")
        out.append({"clip": c["file"], "start": round(start, 5), "frames": frames,
                    "av": round(c.get("t_offset_audio", 0.0) - c.get("t_offset_video", 0.0), 5),
                    "interlaced": interlaced, "content": c.get("content", "")})
    rng.shuffle(out)
    return out


def graph(progs: list[dict], gain: float) -> str:
    """One filter graph: every programme's picture and sound trimmed, converted, joined."""
    parts = []
    for i, p in enumerate(progs):
        a, n = p["start"], p["frames"]
        samples = n * media.SR // FPS
        deint = "bwdif=mode=send_frame:deint=interlaced," if p["interlaced"] else ""
        parts.append(
            f"[{i}:v]{deint}fps={FPS}:start_time={a:.5f},trim=start={a:.5f},trim=end_frame={n},"
            f"setpts=PTS-STARTPTS,scale={W}:{H}:force_original_aspect_ratio=decrease,"
            f"pad={W}:{H}:-1:-1,setsar=1,format=yuv420p[v{i}]")
        # the programme's sound at the same media time as its pictures (its placement kept)
        sa = a + p["av"]
        parts.append(
            f"[{i}:a]aformat=sample_fmts=fltp:sample_rates={media.SR}:channel_layouts=stereo,"
            f"atrim=start={sa:.5f},asetpts=PTS-STARTPTS,apad=whole_len={samples},"
            f"atrim=end_sample={samples},afade=t=in:nb_samples={FADE},"
            f"afade=t=out:start_sample={samples - FADE}:nb_samples={FADE}[a{i}]")
    cat = "".join(f"[v{i}][a{i}]" for i in range(len(progs)))
    parts.append(f"{cat}concat=n={len(progs)}:v=1:a=1[vc][ac]")
    parts.append(f"[ac]volume={gain:.4f},asplit[a][as]")
    return ";".join(parts)


def build(corpus: str, out: str, progs: list[dict], codec: str, wrap_at: float | None,
          gain_db: float) -> tuple[str, str]:
    """Encode the channel; returns (channel file, raw PCM that went into the encoder)."""
    vcodec, acodec = CODECS[codec]
    path = os.path.join(out, "channel.ts")
    raw = os.path.join(out, "channel-source.f32")
    if os.path.exists(path) and os.path.exists(raw) and gain_db == 0.0:
        return path, raw  # built before its truth was written: measured again below
    args = []
    for p in progs:
        args += ["-i", os.path.join(corpus, p["clip"])]
    seconds = sum(p["frames"] for p in progs) / FPS
    args += ["-filter_complex", graph(progs, 10 ** (gain_db / 20)),
             "-map", "[vc]", "-map", "[a]", *enc.VCODEC[vcodec], "-r", str(FPS),
             *enc.ACODEC[acodec], "-ar", str(media.SR)]
    if wrap_at is not None:
        # the muxer starts at about 1.4 s (its delay): the PTS wraps wrap_at of the way in
        args += ["-output_ts_offset", f"{WRAP - 1.4 - wrap_at * seconds:.3f}"]
    args += ["-f", "mpegts", path + ".tmp", "-map", "[as]", "-f", "f32le", "-ac", "2", raw]
    media.ffmpeg(*args)
    os.replace(path + ".tmp", path)
    return path, raw


def true_peak(path: str) -> float:
    r = subprocess.run(["ffmpeg", "-nostdin", "-hide_banner", "-i", path, "-map", "0:a",
                        "-af", "ebur128=peak=true", "-f", "null", "-"], capture_output=True)
    peaks = [ln for ln in r.stderr.decode(errors="replace").splitlines() if "Peak:" in ln]
    return float(peaks[-1].split()[1]) if peaks else float("-inf")


def first_pts(path: str) -> tuple[float, float]:
    """(format start, first video PTS as written, before any unwrapping) in seconds."""
    r = media.run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries",
                   "packet=pts_time", "-read_intervals", "%+#1", "-of", "csv=p=0", path])
    p = probe(path)
    return float(p["format"]["start_time"]), float(r.stdout.decode().split()[0].strip(","))


def joins(path: str, out: str, rng: random.Random, n: int, seconds: float, total: float) -> list[dict]:
    """N pieces of the channel from seeded byte offsets (multiples of 188), JOIN seconds each."""
    size = os.path.getsize(path)
    rate = size / total
    entries = []
    for k in range(n):
        off = int(rng.uniform(0.02, 0.98) * (size - rate * seconds)) // 188 * 188
        name = f"join_{k}.ts"
        join_cut.cut(path, os.path.join(out, name), off, int(rate * seconds) // 188 * 188)
        d = join_cut.duration(os.path.join(out, name))
        # the piece ends mid-packet as a recording stopped anywhere does: its last second
        # is not scored (the corpus's clips leave theirs out the same way)
        end = [{"type": "*", "start": round(max(d - 1.0, 0.0), 3), "end": round(d + 1.0, 3),
                "reason": "clip end"}]
        entries.append({"file": name, "groups": ["clean", "join"], "clean": True, "defects": [],
                        "ignore": end, "duration": round(d, 3), "byte_offset": off,
                        "channel_time": round(off / rate, 2),
                        "content": "the channel from a byte offset (a live join)"})
    return entries


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", required=True)
    ap.add_argument("--out")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--codec", choices=sorted(CODECS), default="h264")
    ap.add_argument("--joins", type=int, default=8)
    ap.add_argument("--join-seconds", type=float, default=40.0)
    ap.add_argument("--wrap-at", type=float, default=0.37)
    ap.add_argument("--no-wrap", action="store_true")
    a = ap.parse_args()
    out = a.out or a.corpus.rstrip("/") + f"-channel-{a.codec}"
    os.makedirs(out, exist_ok=True)
    truth_path = os.path.join(out, "truth.json")
    if os.path.exists(truth_path):
        print(f"{truth_path} exists: the channel is built (delete the directory to build again)")
        return 0
    rng = random.Random(f"{a.seed}:channel:{a.codec}")
    progs = programmes(a.corpus, rng)
    if not progs:
        print(f"no clean clips in {a.corpus}", file=sys.stderr)
        return 1
    vcodec, acodec = CODECS[a.codec]
    wrap_at = None if a.no_wrap else a.wrap_at
    gain_db = 0.0
    for _ in range(3):
        path, raw = build(a.corpus, out, progs, a.codec, wrap_at, gain_db)
        tp = true_peak(path)
        if tp < DELIVERY_TRUE_PEAK:
            break
        gain_db -= tp - DELIVERY_TRUE_PEAK + 0.1 + 0.3
    seconds = sum(p["frames"] for p in progs) / FPS
    f0, v0 = first_pts(path)
    t = v0 - f0
    junctions, programme_list = [], []
    for p in progs:
        programme_list.append({"clip": p["clip"], "start": round(t, 3),
                               "seconds": p["frames"] / FPS, "content": p["content"]})
        t += p["frames"] / FPS
        junctions.append(round(t, 3))
    junctions.pop()
    src = array("f")
    with open(raw, "rb") as f:
        src.frombytes(f.read())
    os.remove(raw)
    cache = os.path.join(out, "cache")
    os.makedirs(cache, exist_ok=True)
    check = audiocheck.check_decode(src, media.decode_pcm(path, 2), enc.codec_delay(acodec, cache))
    del src
    ignore = [{"type": "audio_click", "start": round(c["time"] + v0 - f0 - 0.03, 4),
               "end": round(c["time"] + v0 - f0 + 0.03, 4), "reason": "encoder-made click"}
              for c in check["clicks"]]
    # the events' timeline is PTS minus the input's start time
    wrap = None if wrap_at is None else round(WRAP - f0, 3)
    entry = {"file": "channel.ts", "groups": ["clean", "channel"], "clean": True, "defects": [],
             "ignore": ignore, "duration": round(seconds, 3),
             "content": f"{len(progs)} programmes of {os.path.basename(a.corpus.rstrip('/'))} "
                        f"back to back, {vcodec} + {acodec}, 25p 640x360",
             "video": {"codec": vcodec, "fps": str(FPS)},
             "audio": {"codec": acodec, "channels": 2, "sample_rate": media.SR},
             "t_offset_video": round(v0 - f0, 5), "junctions": junctions,
             "programmes": programme_list, "pts_wrap_at": wrap, "true_peak_db": tp,
             "gain_db": round(gain_db, 2),
             "audio_check": {k: check[k] for k in ("lag", "lag_expected", "lag_places", "clicks")}}
    entries = [entry] + joins(path, out, rng, a.joins, a.join_seconds, seconds)
    truth = {"format": 1, "seed": a.seed, "time_convention": "PTS minus the input's start time",
             "clean_seconds": round(sum(e["duration"] for e in entries), 3), "clips": entries}
    with open(truth_path + ".tmp", "w") as f:
        json.dump(truth, f, indent=1)
    os.replace(truth_path + ".tmp", truth_path)
    print(f"{out}: {len(progs)} programmes, {seconds / 60:.1f} min, {len(junctions)} junctions, "
          f"PTS wraps at {wrap} s, true peak {tp:.1f} dBTP (gain {gain_db:.1f} dB), "
          f"{len(check['clicks'])} encoder-made clicks, {a.joins} joins")
    return 0


if __name__ == "__main__":
    sys.exit(main())
