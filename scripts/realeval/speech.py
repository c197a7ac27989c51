"""Synthesized speech (espeak-ng, flite, festival diphone and HTS voices) and recorded voice
(codec2-examples).

Text is drawn from a small news-style grammar with a seeded random.Random, so a
seed gives the same words, and each engine is deterministic for the same text.
"""
from __future__ import annotations

import hashlib
import os
import random
import subprocess
from array import array

import media

SUBJECTS = ["The city council", "A spokesperson for the ministry", "The harbour authority",
            "Local farmers", "The regional weather service", "Researchers at the university",
            "The transport union", "Residents of the old town", "The national library",
            "Emergency crews", "The football club", "Shop owners on the main street"]
VERBS = ["announced", "confirmed", "rejected", "welcomed", "postponed", "questioned",
         "presented", "approved", "criticised", "described"]
OBJECTS = ["a new plan for the river bank", "the budget for next year", "the results of the survey",
           "changes to the bus timetable", "a report on water quality", "the opening of a bridge",
           "plans for a larger hospital", "the repairs to the station roof",
           "a proposal to extend the cycle paths", "the winter road programme"]
TAILS = ["on Tuesday evening", "after a long meeting", "in a short statement",
         "despite heavy rain", "earlier this morning", "at a press conference",
         "following months of talks", "without giving further details"]
FOLLOW = ["Officials expect the work to take {n} months.", "About {n} people attended.",
          "The cost is estimated at {n} million.", "A decision is due within {n} weeks.",
          "More than {n} letters were sent in support.", "Temperatures will reach {n} degrees.",
          "Traffic was delayed for {n} minutes.", "The next session starts at {n} o'clock."]
SHOUTS = ["Stop right there!", "Get out of the way now!", "Watch out, it is coming down!",
          "Everybody run, run!", "No, no, no, that is wrong!", "Go, go, go, faster!",
          "Help, over here!", "Look at that, incredible!"]
NUMBERS = ["two", "three", "five", "seven", "twelve", "fifteen", "twenty", "forty", "sixty"]

# engine name -> list of voice settings (drawn per clip)
VOICES = {
    "espeak": ["en-us", "en-gb", "en-gb-x-rp", "en-gb-scotland", "en-us+f3", "en-gb+f2"],
    "flite": ["slt", "kal", "awb", "rms"],
    "festival": ["kal"],
    # festival's HMM (HTS) statistical voice, festvox-us-slt-hts: a vocoder-generated waveform,
    # neither concatenated diphones (kal) nor a formant synthesizer (espeak-ng); used only by
    # the hold-out group (holdout.py)
    "hts": ["cmu_us_slt_arctic_hts"],
}


def sentence(rng: random.Random) -> str:
    s = f"{rng.choice(SUBJECTS)} {rng.choice(VERBS)} {rng.choice(OBJECTS)} {rng.choice(TAILS)}."
    if rng.random() < 0.6:
        s += " " + rng.choice(FOLLOW).format(n=rng.choice(NUMBERS))
    return s


def synth(engine: str, voice: str, text: str, cache: str, rng: random.Random,
          shout: bool = False) -> array:
    """One utterance as mono 48 kHz float32 (cached by content)."""
    key = int(hashlib.sha1(repr((engine, voice, text, shout)).encode()).hexdigest()[:10], 16)
    wav = os.path.join(cache, f"tts-{engine}-{key}.wav")
    if not os.path.exists(wav):
        tmp = wav + ".tmp.wav"
        if engine == "espeak":
            speed = 175 if shout else 150 + (key % 30)
            args = ["espeak-ng", "-v", voice, "-s", str(speed), "-w", tmp]
            if shout:
                args += ["-a", "200", "-p", "80"]
            subprocess.run(args + [text], check=True, capture_output=True)
        elif engine == "flite":
            subprocess.run(["flite", "-voice", voice, "-t", text, "-o", tmp], check=True,
                           capture_output=True)
        elif engine in ("festival", "hts"):
            txt = wav + ".txt"
            with open(txt, "w") as f:
                f.write(text + "\n")
            select = f"(voice_{voice}_diphone)" if engine == "festival" else f"(voice_{voice})"
            subprocess.run(["text2wave", "-o", tmp, "-eval", select, txt],
                           check=True, capture_output=True)
            os.remove(txt)
        else:
            raise ValueError(engine)
        os.replace(tmp, wav)
    return media.decode_pcm(wav, 1)


def speech_track(engines: list[tuple[str, str]], seconds: float, cache: str, rng: random.Random,
                 shout: bool = False, pause=(0.25, 0.9)) -> tuple[array, list[tuple[int, int, int]]]:
    """Sentences spoken in turn by the (engine, voice) pairs, with pauses between them, as
    mono float32 of exactly `seconds`. Returns the track and (start, end, speaker) spans."""
    n = int(seconds * media.SR)
    out = array("f")
    spans = []
    k = 0
    pos = int(rng.uniform(0.3, 0.8) * media.SR)
    out.extend(array("f", bytes(4 * pos)))
    while len(out) < n:
        engine, voice = engines[k % len(engines)]
        text = " ".join(rng.choice(SHOUTS) for _ in range(3)) if shout else sentence(rng)
        u = synth(engine, voice, text, cache, rng, shout)
        # peak-normalise each utterance to -3 dBFS (engines differ by 10 dB and more)
        peak = max(max(u), -min(u), 1e-6)
        u = media.scale(u, 0.707 / peak)
        spans.append((len(out), len(out) + len(u), k % len(engines)))
        out.extend(u)
        gap = rng.uniform(*pause)
        out.extend(array("f", bytes(4 * int(gap * media.SR))))
        k += 1
    return media.fit(out, n), spans


def recorded_voice(seconds: float, rng: random.Random, first: int | None = None) -> tuple[array, str]:
    """Recorded human speech (codec2-examples, 8/16 kHz mono) cut to `seconds`, looped
    over several recordings joined by pauses (each recording faded in and out over 40 ms);
    mono float32 at 48 kHz."""
    n = int(seconds * media.SR)
    order = media.VOICE[:]
    rng.shuffle(order)
    if first is not None:  # a different recording first for each clip of a group
        k = first % len(order)
        order = order[k:] + order[:k]
    out = array("f")
    used = []
    i = 0
    while len(out) < n:
        path = order[i % len(order)]
        used.append(os.path.basename(path))
        rec = media.decode_pcm(path, 1, extra_filter="highpass=f=70")
        # faded in and out over 40 ms, as an editor joins recordings: a splice straight from
        # a recording's room tone to digital zero is a cut (a fault), not a pause
        fade = min(int(0.04 * media.SR), len(rec) // 2)
        for j in range(fade):
            g = (j + 0.5) / fade
            rec[j] *= g
            rec[len(rec) - 1 - j] *= g
        out.extend(rec)
        out.extend(array("f", bytes(4 * int(rng.uniform(0.4, 1.0) * media.SR))))
        i += 1
    return media.fit(out, n), "+".join(used)
