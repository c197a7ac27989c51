"""Sources and sound helpers for make_corpus.py (Python 3.11 stdlib + ffmpeg CLI).

Sound is handled as 48 kHz float32 PCM in `array('f')` (mono or interleaved
stereo). Every source is a file of a Debian package installed by install.sh.
"""
from __future__ import annotations

import gzip
import math
import os
import re
import shutil
import subprocess
from array import array

SR = 48000
OPENCV = "/usr/share/doc/opencv-doc"
FOOTAGE = {
    # name: (path, note)
    "megamind": (f"{OPENCV}/examples/data/Megamind.avi",
                 "animated film excerpt, 720x528 23.976 fps, cuts, dark, AC-3 soundtrack"),
    "vtest": (f"{OPENCV}/examples/data/vtest.avi",
              "static camera, people walking, 768x576 10 fps, 79.5 s"),
    "box": (f"{OPENCV}/opencv4/html/box.mp4.gz", "hand-held camera, 640x480 29.97 fps"),
    "cup": (f"{OPENCV}/opencv4/html/cup.mp4.gz", "hand-held camera, 640x480"),
}
STILLS = [f"{OPENCV}/examples/data/{n}" for n in (
    "fruits.jpg", "baboon.jpg", "building.jpg", "home.jpg", "starry_night.jpg",
    "messi5.jpg", "orange.jpg", "lena.jpg", "aero3.jpg", "board.jpg", "apple.jpg",
    "butterfly.jpg", "graf1.png", "pic1.png", "stuff.jpg", "HappyFish.jpg", "smarties.png",
    "leuvenA.jpg", "left01.jpg", "chicky_512.png", "sudoku.png", "box_in_scene.png")]
MUSIC = ["/usr/share/games/etr/music/" + n for n in (
    "calmrace-ks.ogg", "credits1-cp.ogg", "freezingpoint.ogg", "race1-jt.ogg",
    "spunkyrace-ks.ogg", "start1-jt.ogg")] + ["/usr/share/games/frozen-bubble/snd/" + n for n in (
    "frozen-mainzik-1p.ogg", "frozen-mainzik-2p.ogg", "introzik.ogg")]
VOICE = ["/usr/share/codec2/wav/" + n for n in (
    "david4.wav", "all.wav", "vk2tpm_004.wav", "vk5qi.wav")] + [
    "/usr/share/codec2/raw/speech_orig_16k.wav"]

NICE = ["nice", "-n", "15"]


def run(cmd: list[str], **kw) -> subprocess.CompletedProcess:
    """Run a command, raising with its stderr tail on failure."""
    r = subprocess.run(cmd, capture_output=True, **kw)
    if r.returncode != 0:
        tail = r.stderr.decode(errors="replace")[-1500:]
        raise RuntimeError(f"command failed ({r.returncode}): {' '.join(cmd)[:300]}\n{tail}")
    return r


def ffmpeg(*args: str, **kw) -> subprocess.CompletedProcess:
    return run(NICE + ["ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-y", *args], **kw)


def available_stills() -> list[str]:
    return [p for p in STILLS if os.path.exists(p)]


def footage_path(name: str, cache: str) -> str:
    """Path of a footage source (gunzipped into the cache when shipped compressed)."""
    path = FOOTAGE[name][0]
    if path.endswith(".gz"):
        out = os.path.join(cache, os.path.basename(path)[:-3])
        if not os.path.exists(out):
            with gzip.open(path, "rb") as src, open(out + ".tmp", "wb") as dst:
                shutil.copyfileobj(src, dst)
            os.replace(out + ".tmp", out)
        return out
    return path


def check_sources() -> list[str]:
    """Missing source files (empty when install.sh ran)."""
    paths = [p for p, _ in FOOTAGE.values()] + MUSIC + VOICE
    missing = [p for p in paths if not os.path.exists(p)]
    for tool in ("espeak-ng", "flite", "text2wave", "ffmpeg", "ffprobe"):
        if shutil.which(tool) is None:
            missing.append(tool)
    return missing


# ---------------------------------------------------------------- PCM helpers

_DURATIONS: dict[str, float] = {}


def duration(path: str) -> float:
    """A media file's duration in seconds (ffprobe), cached."""
    if path not in _DURATIONS:
        out = run(["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0",
                   path]).stdout
        _DURATIONS[path] = float(out.decode().strip())
    return _DURATIONS[path]


def video_size(path: str) -> tuple[int, int]:
    """Width and height of a file's first video stream (ffprobe)."""
    out = run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries",
               "stream=width,height", "-of", "csv=p=0", path]).stdout.decode()
    w, h = out.strip().splitlines()[0].split(",")[:2]
    return int(w), int(h)


def decode_pcm(path: str, channels: int, start: float = 0.0, dur: float | None = None,
               extra_filter: str | None = None) -> array:
    """Decode (a part of) a file, or a `lavfi:` source, to 48 kHz float32."""
    args = []
    if path.startswith("lavfi:"):
        args += ["-f", "lavfi", "-i", path[6:]]
    else:
        if start > 0:
            args += ["-ss", f"{start:.3f}"]
        args += ["-i", path]
    if dur is not None:
        args += ["-t", f"{dur:.3f}"]
    if extra_filter:
        args += ["-af", extra_filter]
    args += ["-vn", "-ac", str(channels), "-ar", str(SR), "-f", "f32le", "-"]
    out = ffmpeg(*args).stdout
    a = array("f")
    a.frombytes(out)
    return a


def write_raw(path: str, a: array) -> None:
    with open(path, "wb") as f:
        a.tofile(f)


def fit(a: array, n: int) -> array:
    """Cut or zero-pad to n samples."""
    if len(a) >= n:
        return a[:n]
    return a + array("f", bytes(4 * (n - len(a))))


def mono_to_stereo(m: array) -> array:
    s = array("f", bytes(8 * len(m)))
    s[0::2] = m
    s[1::2] = m
    return s


def mix(a: array, b: array, gain_b: float = 1.0) -> array:
    n = min(len(a), len(b))
    if gain_b == 1.0:
        return array("f", map(float.__add__, a[:n], b[:n]))
    return array("f", (x + gain_b * y for x, y in zip(a[:n], b[:n])))


def scale(a: array, g: float) -> array:
    return array("f", (x * g for x in a))


def rms_db(a: array, step: int = 7) -> float:
    acc = 0.0
    n = 0
    for i in range(0, len(a), step):
        acc += a[i] * a[i]
        n += 1
    return 10 * math.log10(acc / max(n, 1) + 1e-20)


def lufs(a: array, channels: int) -> float:
    """Integrated loudness (ffmpeg's ebur128) of float32 PCM."""
    r = run(NICE + ["ffmpeg", "-nostdin", "-hide_banner", "-f", "f32le", "-ar", str(SR),
                    "-ac", str(channels), "-i", "-", "-af", "ebur128", "-f", "null", "-"],
            input=a.tobytes())
    m = re.findall(r"I:\s+(-?[\d.]+) LUFS", r.stderr.decode())
    return float(m[-1]) if m else -70.0


def to_lufs(a: array, channels: int, target: float) -> array:
    return scale(a, 10 ** ((target - lufs(a, channels)) / 20))


# Delivery ceiling of the clean programmes' sound: EBU R 128 allows -1 dBTP; beds are mastered
# a margin under it (the lossy codecs add a few tenths of a dB of overshoot).
TRUE_PEAK_CEILING = -1.5


def true_peak_db(a: array, channels: int) -> float:
    """True peak (dBTP, ffmpeg's ebur128 with 4x oversampling) of float32 PCM."""
    r = run(NICE + ["ffmpeg", "-nostdin", "-hide_banner", "-f", "f32le", "-ar", str(SR),
                    "-ac", str(channels), "-i", "-", "-af", "ebur128=peak=true", "-f", "null", "-"],
            input=a.tobytes())
    m = re.findall(r"True peak:\s+Peak:\s+(-?[\d.]+|-inf) dBFS", r.stderr.decode())
    return float(m[-1]) if m and m[-1] != "-inf" else -200.0


def limit_true_peak(a: array, channels: int, ceiling: float = TRUE_PEAK_CEILING) -> array:
    """Master `a` to at most `ceiling` dBTP the way a delivery chain does: a look-ahead
    limiter (ffmpeg `alimiter`, 5 ms attack, delay compensated) run at 4x the sample rate, so
    that it sees the peaks between samples. Sound already under the ceiling is returned as it
    is; otherwise the limit is lowered until the result measures under it."""
    if true_peak_db(a, channels) <= ceiling:
        return a
    limit_db = ceiling - 0.3
    for _ in range(4):
        lin = 10 ** (limit_db / 20)
        out = ffmpeg("-f", "f32le", "-ar", str(SR), "-ac", str(channels), "-i", "-",
                     "-af", f"aresample={4 * SR},alimiter=limit={lin:.5f}:attack=5:"
                     f"release=50:level=0:latency=1,aresample={SR}",
                     "-f", "f32le", "-", input=a.tobytes()).stdout
        b = array("f")
        b.frombytes(out)
        b = fit(b, len(a))
        if true_peak_db(b, channels) <= ceiling:
            return b
        limit_db -= 0.5
    return b


def envelope_db(mono: array, hop: int, win: int) -> list[float]:
    """RMS level (dBFS) of windows of `win` samples centred every `hop` samples."""
    out = []
    n = len(mono)
    for c in range(0, n, hop):
        lo = max(0, c - win // 2)
        hi = min(n, c + win // 2)
        seg = mono[lo:hi:2]
        e = sum(x * x for x in seg) / max(len(seg), 1)
        out.append(10 * math.log10(e + 1e-20))
    return out


def room_tone(n_frames: int, channels: int, level_db: float, seed: int) -> array:
    """Low-passed pink noise (an air-conditioned room), float32 at level_db RMS."""
    a = decode_pcm(f"lavfi:anoisesrc=c=pink:a=0.1:seed={seed}:r={SR}", channels, dur=n_frames / SR + 0.1,
                   extra_filter="lowpass=f=2500,highpass=f=60")
    a = fit(a, n_frames * channels)
    return scale(a, 10 ** ((level_db - rms_db(a)) / 20))
