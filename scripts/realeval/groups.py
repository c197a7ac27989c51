"""The clips of the evaluation: each builder returns a plan (picture inputs and graph,
float32 stereo audio, codecs, truth in content time) that make_corpus.py encodes."""
from __future__ import annotations

import random
from array import array

import encode as enc
import media
import speech

ENGINES = ["espeak", "flite", "festival"]


def voice(rng: random.Random, engine: str) -> tuple[str, str]:
    return engine, rng.choice(speech.VOICES[engine])


def speech_bed(rng, cache, seconds, engines, target=-23.0, room=-32.0, shout=False):
    """Speech (engines in turn) at `target` LUFS over room tone `room` dB (RMS) under it."""
    sp, _ = speech.speech_track(engines, seconds, cache, rng, shout=shout)
    st = media.to_lufs(media.mono_to_stereo(sp), 2, target)
    return media.mix(st, media.room_tone(len(sp), 2, target + room, rng.randrange(1 << 30)))


def music_bed(rng, seconds, target=-18.0, fade=True):
    path = rng.choice(media.MUSIC)
    # A bed never runs past its track's end (3 s margin for the track's own ending): a bed
    # that stopped mid-note and was padded with digital zero would be a cut-out in the clean set.
    start = min(rng.uniform(0, 20), max(0.0, media.duration(path) - seconds - 3.0))
    ff = f"afade=t=in:d=0.3,afade=t=out:st={seconds - 0.4:.3f}:d=0.3" if fade else None
    m = media.decode_pcm(path, 2, start, seconds, extra_filter=ff)
    m = media.fit(m, int(seconds * media.SR) * 2)
    # Mastered like a delivered programme: at most media.TRUE_PEAK_CEILING dBTP.
    return media.limit_true_peak(media.to_lufs(m, 2, target), 2), path.rsplit("/", 1)[1]


def film_sound(start, seconds, cache, loop=True):
    path = media.footage_path("megamind", cache)
    args = ["-stream_loop", "-1"] if loop else []
    out = media.ffmpeg(*args, "-ss", f"{start:.3f}", "-i", path, "-t", f"{seconds:.3f}", "-vn",
                       "-ac", "2", "-ar", str(media.SR), "-f", "f32le", "-").stdout
    a = array("f")
    a.frombytes(out)
    return media.fit(a, int(seconds * media.SR) * 2)


def moving_footage(rng, cache, **kw):
    name = rng.choice(["vtest", "box", "cup", "megamind"])
    start = rng.uniform(0, 8)
    return (name,) + enc.footage(name, start, cache, **kw)


def plan(name, groups, seconds, vin, graph, fps, audio, content, clean=True, defects=(),
         vcodec="h264", acodec="aac", **extra):
    return dict(name=name, groups=groups, seconds=seconds, vin=vin, graph=graph, fps=fps,
                audio=audio, content=content, clean=clean, defects=list(defects), vcodec=vcodec,
                acodec=acodec, extra=extra)


# ------------------------------------------------------------------ clean programmes

def clean_clips(seed: int) -> list[tuple[str, callable]]:
    """(name, builder(rng, cache)) of the clean group; about 31 minutes."""
    out = []
    stills = media.available_stills()

    def news(engine, k, footage_kind):
        def b(rng, cache):
            dur = rng.choice([35.0, 40.0, 45.0])
            au = speech_bed(rng, cache, dur, [voice(rng, engine)], room=-rng.uniform(28, 40))
            if footage_kind == "stills":
                vin, graph, fps, _ = enc.slideshow(rng.sample(stills, 8), dur, rng)
                what = "slideshow"
            else:
                what, vin, graph, fps = moving_footage(rng, cache)
            return plan(f"news_{engine}_{k}", ["clean", "speech"], dur, vin, graph, fps, au,
                        f"{engine} news over {what}")
        return b
    for engine, n in (("espeak", 3), ("flite", 3), ("festival", 2)):
        for k in range(n):
            out.append((f"news_{engine}_{k}", news(engine, k, "stills" if k == 1 else "footage")))

    def dialogue(k):
        def b(rng, cache):
            dur = 45.0
            e = rng.sample(ENGINES, 2)
            sp = speech_bed(rng, cache, dur, [voice(rng, e[0]), voice(rng, e[1])], room=-35)
            mus, track = music_bed(rng, dur, target=-38)
            vin, graph, fps = enc.footage("megamind", rng.uniform(0, 10), cache)
            return plan(f"dialogue_film_{k}", ["clean", "speech", "film"], dur, vin, graph, fps,
                        media.mix(sp, mus), f"{e[0]}+{e[1]} dialogue and {track} under film cuts")
        return b
    for k in range(3):
        out.append((f"dialogue_film_{k}", dialogue(k)))

    def recorded(k):
        def b(rng, cache):
            dur = 40.0
            v, used = speech.recorded_voice(dur, rng, first=k)
            st = media.to_lufs(media.mono_to_stereo(v), 2, -23)
            st = media.mix(st, media.room_tone(len(v), 2, -78, rng.randrange(1 << 30)))
            what, vin, graph, fps = moving_footage(rng, cache)
            return plan(f"voice_recorded_{k}", ["clean", "speech", "recorded"], dur, vin, graph, fps,
                        st, f"recorded voice {used} over {what}")
        return b
    for k in range(3):
        out.append((f"voice_recorded_{k}", recorded(k)))

    def music(k):
        def b(rng, cache):
            dur = 45.0
            au, track = music_bed(rng, dur, target=rng.uniform(-20, -14))
            what, vin, graph, fps = moving_footage(rng, cache)
            return plan(f"music_{k}", ["clean", "music"], dur, vin, graph, fps, au,
                        f"music {track} over {what}")
        return b
    for k in range(6):
        out.append((f"music_{k}", music(k)))

    def film(k):
        def b(rng, cache):
            dur = 33.0
            vin, graph, fps = enc.footage("megamind", 0, cache)
            return plan(f"film_{k}", ["clean", "film", "dark"], dur, vin, graph, fps,
                        film_sound(0, dur, cache), "Megamind excerpt with its soundtrack, looped 3x",
                        vcodec="h264" if k == 0 else "mpeg2", acodec="aac" if k == 0 else "mp2")
        return b
    for k in range(2):
        out.append((f"film_{k}", film(k)))

    def dark(name):
        def b(rng, cache):
            dur = 40.0
            vin, graph, fps = enc.footage(name, rng.uniform(0, 5), cache, pre=enc.DARK)
            if rng.random() < 0.5:
                au, what = music_bed(rng, dur, target=-24)
            else:
                au, what = speech_bed(rng, cache, dur, [voice(rng, "espeak")]), "espeak"
            return plan(f"dark_{name}", ["clean", "dark"], dur, vin, graph, fps, au,
                        f"{name} graded dark, {what}")
        return b
    for name in ("vtest", "box", "megamind"):
        out.append((f"dark_{name}", dark(name)))

    def twos(k):
        def b(rng, cache):
            dur = 40.0
            vin, graph, fps = enc.footage("megamind", rng.uniform(0, 10), cache,
                                          pre="fps=12000/1001", post="fps=24000/1001")
            au, track = music_bed(rng, dur)
            return plan(f"twos_{k}", ["clean", "animation_twos"], dur, vin, graph, fps, au,
                        f"Megamind on twos (12 drawings/s, each held 2 frames at 23.976), {track}",
                        vcodec="h264" if k == 0 else "mpeg2", acodec="aac" if k == 0 else "ac3")
        return b
    for k in range(2):
        out.append((f"twos_{k}", twos(k)))

    def slides(k):
        def b(rng, cache):
            dur = 45.0
            vin, graph, fps, times = enc.slideshow(rng.sample(stills, 12), dur, rng)
            if k % 2:
                au, what = music_bed(rng, dur)
            else:
                au, what = speech_bed(rng, cache, dur, [voice(rng, "flite")]), "flite speech"
            return plan(f"slideshow_{k}", ["clean", "slideshow"], dur, vin, graph, fps, au,
                        f"held stills 3-5 s, cuts at {times}, {what}")
        return b
    for k in range(3):
        out.append((f"slideshow_{k}", slides(k)))

    def rate(k, src, conv):
        def b(rng, cache):
            dur = 40.0
            if conv == "24to25":
                pre = "fps=24" if src != "megamind" else ""
                vin, graph, fps = enc.footage(src, rng.uniform(0, 5), cache, fps="25", pre=pre)
                vc = "h264"
            else:
                pre = "fps=24000/1001" if src != "megamind" else ""
                vin, graph, fps = enc.footage(src, rng.uniform(0, 5), cache, fps="24000/1001", pre=pre,
                                              post="telecine=first_field=top:pattern=23")
                fps, vc = "30000/1001", "h264i"
            au, track = music_bed(rng, dur)
            return plan(f"rate_{conv}_{k}", ["clean", f"rate_{conv}"], dur, vin, graph, fps, au,
                        f"{src} {conv}, {track}", vcodec=vc)
        return b
    out += [("rate_24to25_0", rate(0, "megamind", "24to25")), ("rate_24to25_1", rate(1, "box", "24to25")),
            ("rate_pulldown32_0", rate(0, "megamind", "pulldown32")),
            ("rate_pulldown32_1", rate(1, "box", "pulldown32"))]

    def quiet(k, level):
        def b(rng, cache):
            dur = 40.0
            au = speech_bed(rng, cache, dur, [voice(rng, ENGINES[k % 3])], target=level, room=-32)
            what, vin, graph, fps = moving_footage(rng, cache)
            return plan(f"quiet_{-level}_{k}", ["clean", "quiet", "speech"], dur, vin, graph, fps, au,
                        f"speech at {level} LUFS, room tone 32 dB under, over {what}")
        return b
    for level in (-40, -45):
        for k in range(2):
            out.append((f"quiet_{-level}_{k}", quiet(k, level)))

    def walking(k):
        def b(rng, cache):
            dur = 40.0
            vin, graph, fps = enc.footage("vtest", 35.0 * k, cache)
            au = speech_bed(rng, cache, dur, [voice(rng, "festival")], room=-30)
            return plan(f"static_walk_{k}", ["clean", "static_10fps"], dur, vin, graph, fps, au,
                        "vtest.avi: static camera, people walking, 10 fps")
        return b
    for k in range(2):
        out.append((f"static_walk_{k}", walking(k)))
    return out
