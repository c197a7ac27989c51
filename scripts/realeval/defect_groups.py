"""Clips with defects by construction (dropouts, clipping, clicks, freezes, corruption,
repeated pictures, A/V offsets); corruption truth is measured after the encode (make_corpus.py)."""
from __future__ import annotations

import os
from array import array

import encode as enc
import inject
import media
import repeats
import speech
import talkhead
from groups import ENGINES, film_sound, moving_footage, music_bed, plan, speech_bed, voice


def defect_clips(seed: int) -> list[tuple[str, callable]]:
    out = []

    def audio_defect(kind, k, signal, acodec):
        def b(rng, cache):
            dur = 30.0
            if signal == "music":
                au, what = music_bed(rng, dur, target=rng.uniform(-20, -14))
            elif signal == "recorded":
                v, what = speech.recorded_voice(dur, rng)
                au = media.mix(media.to_lufs(media.mono_to_stereo(v), 2, -23),
                               media.room_tone(len(v), 2, -75, rng.randrange(1 << 30)))
            else:
                au = speech_bed(rng, cache, dur, [voice(rng, signal)], room=-35)
                what = signal
            fn = inject.dropouts if kind == "dropout" else inject.clicks
            truth = fn(au, rng, 4 if kind == "dropout" else 5, signal if signal == "music" else "speech")
            name_v, vin, graph, fps = moving_footage(rng, cache)
            return plan(f"{kind}_{signal}_{k}", [kind], dur, vin, graph, fps, au,
                        f"{what} over {name_v}", clean=False, defects=truth, acodec=acodec)
        return b
    for k, (sig, ac) in enumerate([("espeak", "aac"), ("flite", "aac"), ("festival", "ac3"),
                                   ("recorded", "aac"), ("music", "aac"), ("music", "ac3"),
                                   ("music", "mp2")]):
        out.append((f"dropout_{sig}_{k}", audio_defect("dropout", k, sig, ac)))
    for k, (sig, ac) in enumerate([("espeak", "aac"), ("flite", "ac3"), ("festival", "aac"),
                                   ("recorded", "aac"), ("music", "aac"), ("music", "ac3")]):
        out.append((f"click_{sig}_{k}", audio_defect("click", k, sig, ac)))

    def clipping(k, level_db, acodec):
        def b(rng, cache):
            dur = 25.0
            engine = ENGINES[k % 3] if k % 3 != 2 else "espeak"
            au = speech_bed(rng, cache, dur, [voice(rng, engine)], target=-14, room=-40, shout=True)
            peak = max(max(au), -min(au)) or 1.0
            au = media.scale(au, 0.5 / peak)  # the unclipped rest peaks at -6 dBFS
            lvl = 10 ** (level_db / 20)
            truth = inject.clip_passage(au, rng, lvl, f"hard_{level_db}dBFS_{acodec}")
            name_v, vin, graph, fps = moving_footage(rng, cache)
            return plan(f"clipping_{level_db}dB_{acodec}_{k}", ["clipping"], dur, vin, graph, fps, au,
                        f"shouted {engine} speech over {name_v}", clean=False, defects=truth,
                        acodec=acodec, vcodec="h264" if acodec == "aac" else "mpeg2")
        return b
    for k, (lv, ac) in enumerate([(0, "aac"), (0, "ac3"), (-1, "aac"), (-1, "ac3"), (0, "aac"),
                                  (-1, "ac3")]):
        out.append((f"clipping_{lv}dB_{ac}_{k}", clipping(k, lv, ac)))

    def freeze(k, src):
        def b(rng, cache):
            dur = 30.0
            fps = enc.NATIVE_FPS[src]
            f = enc.fps_value(fps)
            loops, truth, t = [], [], rng.uniform(4, 9)
            while t < dur - 7 and len(loops) < 2:
                hold = rng.uniform(0.5, 3.0)
                kf, n = int(round(t * f)), max(1, int(round(hold * f)))
                loops.append(f"loop=loop={n}:size=1:start={kf}")
                truth.append({"type": "video_freeze", "start": kf / f, "end": (kf + n) / f,
                              "subtype": f"dark_{src}"})
                t += hold + rng.uniform(5, 9)
            post = ",".join(loops) + f",setpts=N/({fps}*TB)"
            vin, graph, fps = enc.footage(src, rng.uniform(0, 5), cache, pre=enc.DARK + "," + post)
            au, track = music_bed(rng, dur, target=-26)
            return plan(f"freeze_dark_{src}_{k}", ["freeze"], dur, vin, graph, fps, au,
                        f"{src} graded dark, frames held, {track}", clean=False, defects=truth)
        return b
    for k, src in enumerate(["vtest", "box", "megamind", "vtest", "megamind"]):
        out.append((f"freeze_dark_{src}_{k}", freeze(k, src)))

    def stutter(k, src, kind):
        """Moving footage with 2-3 pictures shown 1-3 extra times (repeats.py); `kind`:
        native25 (cup at its 25 fps), 24to25 and pulldown32 (as the clean `rate` clips),
        twos (Megamind on twos: a drawing held 2 + n pictures instead of 2, the n frames
        beyond its hold are scored)."""
        def b(rng, cache):
            dur = rng.choice([25.0, 28.0, 30.0])
            start = rng.uniform(0, 5)
            held, vc = 1, "h264"
            if kind == "native25":
                vin, graph, fps = enc.footage(src, start, cache)
            elif kind == "24to25":
                pre = "fps=24" if src != "megamind" else ""
                vin, graph, fps = enc.footage(src, start, cache, fps="25", pre=pre)
            elif kind == "pulldown32":
                pre = "fps=24000/1001" if src != "megamind" else ""
                vin, graph, _ = enc.footage(src, start, cache, fps="24000/1001", pre=pre,
                                            post="telecine=first_field=top:pattern=23")
                fps, vc = "30000/1001", "h264i"
            else:
                vin, graph, fps = enc.footage(src, start, cache, pre="fps=12000/1001",
                                              post="fps=24000/1001")
                held = 2
            graph, truth = repeats.inject(rng, vin, graph, fps, dur, held, kind, rng.choice([2, 3]))
            au, track = music_bed(rng, dur)
            what = ", ".join(f"{t['start']:.2f} s +{t['repeated_frames']}" for t in truth)
            return plan(f"stutter_{kind}_{k}", ["stutter"], dur, vin, graph, fps, au,
                        f"{src} {kind}, pictures repeated at {what}, {track}", clean=False,
                        defects=truth, vcodec=vc)
        return b
    for k, (src, kind) in enumerate([("cup", "native25"), ("cup", "native25"),
                                     ("megamind", "24to25"), ("box", "24to25"),
                                     ("megamind", "pulldown32"), ("box", "pulldown32"),
                                     ("megamind", "twos"), ("megamind", "twos")]):
        out.append((f"stutter_{kind}_{k}", stutter(k, src, kind)))

    def corruption(k, src, vcodec, acodec, mode):
        def b(rng, cache):
            dur = 25.0
            fps = None if src != "cup" else "25"
            vin, graph, fps = enc.footage(src, rng.uniform(0, 5), cache, fps=fps)
            au, track = music_bed(rng, dur, target=-20)
            wins, t = [], rng.uniform(4, 7)
            while t < dur - 5:
                wins.append((round(t, 2), round(t + 0.6, 2)))
                t += rng.uniform(6, 9)
            return plan(f"corrupt_{vcodec}_{mode}_{k}", ["corruption"], dur, vin, graph, fps, au,
                        f"{src} {vcodec} with {track}", clean=False, vcodec=vcodec, acodec=acodec,
                        damage={"mode": mode, "windows": wins})
        return b
    for k, (src, vc, ac, mode) in enumerate([("megamind", "mpeg2", "mp2", "flip"),
                                             ("box", "mpeg2", "ac3", "drop"),
                                             ("cup", "mpeg2", "mp2", "drop"),
                                             ("vtest", "hevc", "aac", "flip"),
                                             ("cup", "hevc", "aac", "drop"),
                                             ("megamind", "hevc", "aac", "flip")]):
        out.append((f"corrupt_{vc}_{mode}_{k}", corruption(k, src, vc, ac, mode)))

    def talking(k, offset_ms):
        def b(rng, cache):
            dur = 30.0
            engine = ENGINES[k % 3]
            sp, _ = speech.speech_track([voice(rng, engine)], dur, cache, rng, pause=(0.3, 1.2))
            yuv = os.path.join(cache, f"talkhead-{seed}-{k}.yuv")
            stills = rng.sample(media.available_stills(), 2)
            cuts = talkhead.render(yuv, sp, dur, 25, 320, 240, stills, rng)
            shift = int(offset_ms * media.SR / 1000)
            if shift >= 0:
                moved = array("f", bytes(4 * shift)) + sp[:len(sp) - shift]
            else:
                moved = sp[-shift:] + array("f", bytes(-4 * shift))
            st = media.to_lufs(media.mono_to_stereo(moved), 2, -23)
            st = media.mix(st, media.room_tone(len(moved), 2, -58, rng.randrange(1 << 30)))
            vin = [["-f", "rawvideo", "-pix_fmt", "yuv420p", "-s", "320x240", "-r", "25", "-i", yuv]]
            graph = f"[1:v]noise=alls=3:allf=t:all_seed={seed * 100 + k},setsar=1[v]"
            groups = ["sync"] + (["clean"] if offset_ms == 0 else [])
            return plan(f"sync_talkhead_{k}", groups, dur, vin, graph, "25", st,
                        f"SYNTHETIC talking head ({engine}), cuts at {cuts}", clean=offset_ms == 0,
                        offset_ms=offset_ms, sync_kind="talking_head", tmpfile=yuv)
        return b

    def film_sync(k, offset_ms):
        def b(rng, cache):
            dur = 11.0
            vin, graph, fps = enc.footage("megamind", 0, cache, loop=False)
            snd = film_sound(0, dur + 0.5, cache, loop=False)
            shift = 2 * int(offset_ms * media.SR / 1000)
            if shift >= 0:
                moved = array("f", bytes(4 * shift)) + snd
            else:
                moved = snd[-shift:]
            groups = ["sync"] + (["clean"] if offset_ms == 0 else [])
            return plan(f"sync_film_{k}", groups, dur, vin, graph, fps, moved,
                        "Megamind dialogue with cuts, own soundtrack", clean=offset_ms == 0,
                        offset_ms=offset_ms, sync_kind="film_dialogue")
        return b

    import random as _r
    srng = _r.Random(f"{seed}:sync-offsets")
    mags = [300, 100, 160, 200, 120, 250]
    th_offsets = [m * srng.choice([-1, 1]) for m in mags] + [0, 0]
    for k, off in enumerate(th_offsets):
        out.append((f"sync_talkhead_{k}", talking(k, off)))
    fm = [srng.choice([-1, 1]) * m for m in (100, 200, 300)] + [0]
    for k, off in enumerate(fm):
        out.append((f"sync_film_{k}", film_sync(k, off)))
    return out
