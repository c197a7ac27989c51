"""Video sources as ffmpeg inputs + filter graphs, the encode to MPEG-TS, and the
measured placement of audio and video on the decoder's timeline."""
from __future__ import annotations

import json
import os
import subprocess
from array import array

import media

W, H = 640, 360
NATIVE_FPS = {"megamind": "24000/1001", "vtest": "10", "box": "30000/1001", "cup": "25"}
# box.mp4 and cup.mp4 carry timestamps out of display order (the decoder's order is right):
# their pictures are re-timed by count at the rate their regular steps show
TIMING = {"box": "setpts=N/(30000/1001*TB)", "cup": "setpts=N/(26.777*TB)"}
# A dark grade, then a legalizer as a broadcast chain has one: `eq` works on the full 0-255
# codes and pushes shadows below black (code 16), which EBU R 103 counts as a gamut error over
# the whole dark area; the clip keeps them at 16 (crushed, but legal).
DARK = "eq=brightness=-0.1:gamma=0.5:saturation=0.6,lutyuv=y='clip(val,16,235)'"
VCODEC = {
    "h264": ["-c:v", "libx264", "-preset", "veryfast", "-crf", "23", "-g", "50", "-pix_fmt", "yuv420p"],
    "h264i": ["-c:v", "libx264", "-preset", "veryfast", "-crf", "23", "-g", "60", "-pix_fmt", "yuv420p",
              "-flags", "+ilme+ildct", "-x264-params", "tff=1"],
    "mpeg2": ["-c:v", "mpeg2video", "-q:v", "4", "-bf", "2", "-g", "12", "-pix_fmt", "yuv420p"],
    "hevc": ["-c:v", "libx265", "-preset", "veryfast", "-crf", "28", "-pix_fmt", "yuv420p",
             "-x265-params", "log-level=error:keyint=50:pools=2"],
}
ACODEC = {"aac": ["-c:a", "aac", "-b:a", "128k"], "ac3": ["-c:a", "ac3", "-b:a", "192k"],
          "mp2": ["-c:a", "mp2", "-b:a", "192k"]}
FIT = f"scale={W}:{H}:force_original_aspect_ratio=increase,crop={W}:{H},setsar=1"

# The pictures coded another way (make_corpus.py --picture NAME): every clip's picture as the
# corpus builds it (640x360, or the talking heads' 320x240) is fitted into another frame at
# the end of its graph (`frame`, a filter chain; letter/pillarboxed, aspect kept) and coded
# with the codec options `codec` gives (replacing VCODEC's for that codec); timing and the
# sound are the corpus's own (a variant with its own `fps` repeats pictures to fill it), so
# the truth of freeze and sync clips carries over and corruption truth is measured on the
# variant's own decode.
_BOX = "scale={w}:{h}:force_original_aspect_ratio=decrease,pad={w}:{h}:-1:-1"
# An ABR ladder's rungs are progressive: the interlaced clips (3:2 pulldown) are coded as frames
LOW_H264 = ["-c:v", "libx264", "-preset", "veryfast", "-b:v", "250k", "-maxrate", "250k",
            "-bufsize", "500k", "-g", "50", "-pix_fmt", "yuv420p"]
PICTURES = {
    "hd720": {"note": "upconverted to 1280x720 (bicubic), the corpus's codecs and rates",
              "frame": _BOX.format(w=1280, h=720) + ",setsar=1", "codec": {}},
    "sd576i": {"note": "720x576 anamorphic 16:9 (SAR 64:45), coded interlaced (H.264 MBAFF "
                       "and MPEG-2 field/frame DCT, top field first; HEVC stays progressive)",
               "frame": _BOX.format(w=1024, h=576) + ",scale=720:576,setsar=64/45",
               "codec": {"h264": VCODEC["h264i"],
                         "mpeg2": VCODEC["mpeg2"] + ["-flags", "+ilme+ildct", "-top", "1",
                                                     "-alternate_scan", "1"]}},
    "hd720p50": {"note": "1280x720 at 50 pictures a second, each picture repeated as the rate "
                         "conversion needs (25p twice, 23.976p unevenly, 29.97p 5 in 3)",
                 "frame": _BOX.format(w=1280, h=720) + ",setsar=1,fps=50", "fps": "50",
                 "codec": {}},
    "low": {"note": "480x270 at an ABR ladder's bottom rung: H.264 250 kb/s, MPEG-2 600 kb/s, "
                    "HEVC 150 kb/s (capped, coarse quantization, skipped blocks; coded progressive)",
            "frame": _BOX.format(w=480, h=270) + ",setsar=1",
            "codec": {"h264": LOW_H264, "h264i": LOW_H264,
                      "mpeg2": ["-c:v", "mpeg2video", "-b:v", "600k", "-maxrate", "600k",
                                "-bufsize", "1000k", "-bf", "2", "-g", "12", "-pix_fmt", "yuv420p"],
                      "hevc": ["-c:v", "libx265", "-preset", "veryfast", "-b:v", "150k",
                               "-pix_fmt", "yuv420p", "-x265-params",
                               "log-level=error:keyint=50:pools=2:vbv-maxrate=150:vbv-bufsize=300"]}},
}
PICTURE: str | None = None


def set_picture(name: str | None) -> None:
    """Code every later encode's picture as PICTURES[name] says (None: as the corpus)."""
    global PICTURE
    if name is not None and name not in PICTURES:
        raise ValueError(f"unknown picture variant {name!r} (known: {', '.join(PICTURES)})")
    PICTURE = name


def video_args(vcodec: str) -> list[str]:
    """The encoder options of `vcodec` under the current picture variant."""
    return PICTURES[PICTURE]["codec"].get(vcodec, VCODEC[vcodec]) if PICTURE else VCODEC[vcodec]


def picture_fps(fps: str) -> str:
    """The frame rate a clip made at `fps` has under the current picture variant."""
    return PICTURES[PICTURE].get("fps", fps) if PICTURE else fps


def picture_graph(graph: str) -> str:
    """`graph` (ending in [v]) with the current picture variant's frame appended."""
    if not PICTURE:
        return graph
    assert graph.endswith("[v]"), graph
    return graph[:-3] + "[vc];[vc]" + PICTURES[PICTURE]["frame"] + "[v]"


def fps_value(fps: str) -> float:
    if "/" in fps:
        a, b = fps.split("/")
        return int(a) / int(b)
    return float(fps)


def footage(name: str, start: float, cache: str, fps: str | None = None, pre: str = "",
            post: str = "", loop: bool = True) -> tuple[list[list[str]], str, str]:
    """One footage source: (inputs, graph ending in [v], output fps). `pre` filters run at
    the native rate before the rate change, `post` ones after it."""
    path = media.footage_path(name, cache)
    args = (["-stream_loop", "-1"] if loop else []) + (["-ss", f"{start:.3f}"] if start > 0 else [])
    native = NATIVE_FPS[name]
    out = fps or native
    chain = [TIMING.get(name, "setpts=PTS-STARTPTS"), f"fps={native}"] + ([pre] if pre else []) + ([f"fps={out}"] if out != native else [])
    chain += [FIT] + ([post] if post else [])
    return [args + ["-i", path]], "[1:v]" + ",".join(chain) + "[v]", out


def slideshow(stills: list[str], seconds: float, rng, fps: str = "25") -> tuple[list[list[str]], str, str, list]:
    """Held stills of 3-5 s each, hard cuts between them."""
    inputs, parts, t, times = [], [], 0.0, []
    while t < seconds:
        d = round(rng.uniform(3, 5) * 25) / 25
        img = stills[len(inputs) % len(stills)]
        inputs.append(["-loop", "1", "-framerate", fps, "-t", f"{d:.2f}", "-i", img])
        times.append(round(t, 2))
        t += d
    for k in range(len(inputs)):
        parts.append(f"[{k + 1}:v]{FIT},format=yuv420p[s{k}]")
    graph = ";".join(parts) + ";" + "".join(f"[s{k}]" for k in range(len(inputs))) + \
        f"concat=n={len(inputs)}:v=1:a=0,fps={fps}[v]"
    return inputs, graph, fps, times


def encode(out: str, vinputs: list[list[str]], graph: str, audio: array, seconds: float,
           vcodec: str = "h264", acodec: str = "aac") -> None:
    """Encode the picture graph and the float32 stereo audio to MPEG-TS."""
    raw = out + ".f32"
    media.write_raw(raw, media.fit(audio, int(seconds * media.SR) * 2))
    args = ["-f", "f32le", "-ar", str(media.SR), "-ac", "2", "-i", raw]
    for vi in vinputs:
        args += vi
    args += ["-filter_complex", picture_graph(graph), "-map", "[v]", "-map", "0:a",
             "-t", f"{seconds:.3f}", *video_args(vcodec), *ACODEC[acodec], "-f", "mpegts",
             out + ".tmp"]
    try:
        media.ffmpeg(*args)
    finally:
        os.remove(raw)
    os.replace(out + ".tmp", out)


_DELAY: dict[str, int] = {}


def impulse_clip(out: str, acodec: str) -> None:
    """A 3 s calibration clip: an impulse at 1.000 s of the source sound (interleaved stereo:
    frame `media.SR`), encoded as the corpus encodes (gray 64x64 pictures, `acodec` sound)."""
    a = array("f", bytes(8 * 3 * media.SR))
    a[2 * media.SR] = a[2 * media.SR + 1] = 0.9
    encode(out, [["-f", "lavfi", "-i", "color=gray:s=64x64:r=25"]], "[1:v]null[v]", a, 3.0,
           "h264", acodec)


def codec_delay(acodec: str, cache: str) -> int:
    """Samples between the start of the decoded audio and the first source sample for an
    audio codec in MPEG-TS, measured once: an impulse at 1.000 s, encoded, decoded, found."""
    if acodec in _DELAY:
        return _DELAY[acodec]
    out = os.path.join(cache, f"calib-{acodec}.ts")
    impulse_clip(out, acodec)
    dec = media.decode_pcm(out, 1)
    idx = max(range(len(dec)), key=lambda i: abs(dec[i]))
    _DELAY[acodec] = idx - media.SR
    return _DELAY[acodec]


def start_times(path: str) -> tuple[float, float, float]:
    """(format start, video start, audio start) in seconds, as ffprobe reads them."""
    r = subprocess.run(["ffprobe", "-v", "error", "-show_entries",
                        "stream=codec_type,start_time:format=start_time", "-of", "json", path],
                       capture_output=True, check=True)
    j = json.loads(r.stdout)
    st = {s["codec_type"]: float(s["start_time"]) for s in j["streams"]}
    return float(j["format"]["start_time"]), st["video"], st["audio"]


def placement(path: str, acodec: str, cache: str) -> tuple[float, float]:
    """(video offset, audio offset) in seconds: where video frame 0 and source audio sample
    0 sit on the timeline events use (PTS minus the input's start time)."""
    f0, v0, a0 = start_times(path)
    v = v0 - f0
    a = a0 - f0 + codec_delay(acodec, cache) / media.SR
    return round(v, 5), round(a, 5)
