"""The hold-out clean group: programmes made from sources none of the other groups (nor the
shared corpus) use, to measure false alarms on material avqc was never tuned on.

Sources (scripts/realeval/install.sh): festival's HMM/HTS statistical voice
(festvox-us-slt-hts), orchestral game music (wesnoth-1.16-music, OGG) and the music of
lincity-ng (lincity-ng-data: electronic, blues piano, ambient; OGG). Pictures reuse OpenCV's
footage and stills. Every clip is clean (as delivered, no defect added): every defect avqc
reports there is a false alarm. Built only on request (`make_corpus.py --only holdout`).
"""
from __future__ import annotations

import os

import encode as enc
import media
import speech
from groups import moving_footage, plan

WESNOTH = "/usr/share/games/wesnoth/1.16/data/core/music/"
LINCITY = "/usr/share/games/lincity-ng/music/default/"
# Drawn by character, as ffmpeg's ebur128 measures the tracks (integrated loudness I, loudness
# range LRA): loud = dense tutti (I above -14 LUFS, LRA under 14 LU); wide = soft passages
# between loud ones (LRA 14-22 LU); calm = soft throughout (strings, harp, flute, choir).
# Not used: northern_mountains.ogg (loud) carries ticks in the OGG itself: bursts of 2.5-3 ms
# (an impulse as Vorbis' short block spreads it) standing 22-27 dB over the music's high band
# in both channels, the programme's level the same before and after (within 2 dB), seven
# in 9 s from 54 s on; avqc reports them on the OGG as it ships (audio_click at 42.1, 46.4,
# 54.3, 56.9, 58.3 s): clicks of the source, not a clean passage.
# Not used either: masters clipped before their Vorbis encoding, so a bed of them is not clean
# of clipping. Their decoded samples pile up towards full scale: counted in 0.02-wide bins of
# |x| over the whole track, the larger bin of 0.96-1.00 holds more samples than the smaller bin
# of 0.86-0.90 (suspense 7183 > 5193, vengeful 17056 > 13895, frantic 1929 > 1842), where
# every other track of these lists holds fewer (e.g. the_deep_path 8488 < 11213, the loudest);
# avqc reports clipping on these OGGs as they ship (11, 10 and 4 passages), and hold-out 12's
# one clean-set clipping alarm was in vengeful.ogg at 186.6 s: suspense.ogg, vengeful.ogg,
# frantic.ogg. (Of the clean set's music, media.MUSIC, none piles so: spunkyrace-ks 10772 <
# 11183; race1-jt's 3 > 2 samples are no pile.)
ORCH_LOUD = [WESNOTH + n for n in (
    "loyalists.ogg", "northerners.ogg", "knalgan_theme.ogg", "siege_of_laurelmor.ogg",
    "the_deep_path.ogg")]
ORCH_WIDE = [WESNOTH + n for n in (
    "battle.ogg", "revelation.ogg", "knolls.ogg", "into_the_shadows.ogg", "main_menu.ogg",
    "nunc_dimittis.ogg", "journeys_end.ogg", "casualties_of_war.ogg", "weight_of_revenge.ogg",
    "the_king_is_dead.ogg")]
ORCH_CALM = [WESNOTH + n for n in (
    "love_theme.ogg", "elvish-theme.ogg", "silvan_sanctuary.ogg", "sad.ogg", "underground.ogg",
    "transience.ogg", "wanderer.ogg")]
OTHER_MUSIC = [LINCITY + n for n in (
    "01 - pronobozo - lincity.ogg", "02 - Robert van Herk - City Blues.ogg",
    "03 - Robert van Herk - Architectural Contemplations.ogg")]
HTS = ("hts", speech.VOICES["hts"][0])


def check_sources() -> list[str]:
    """Missing hold-out sources (empty when install.sh ran)."""
    missing = [p for p in ORCH_LOUD + ORCH_WIDE + ORCH_CALM + OTHER_MUSIC if not os.path.exists(p)]
    voice = "/usr/share/festival/voices/us/cmu_us_slt_arctic_hts"
    return missing + ([voice] if not os.path.isdir(voice) else [])


def bed(rng, paths, seconds, target):
    """A passage of a drawn track long enough for it, anywhere in it (3 s clear of its end),
    faded in and out over 0.3 s, set to `target` LUFS and mastered to
    media.TRUE_PEAK_CEILING dBTP (as groups.music_bed). Returns the sound and 'track@start'.
    A bed never runs out: a track shorter than the clip would end in digital zero, a cut-out."""
    path = rng.choice([p for p in paths if media.duration(p) >= seconds + 3.0])
    start = rng.uniform(0, media.duration(path) - seconds - 3.0)
    ff = f"afade=t=in:d=0.3,afade=t=out:st={seconds - 0.4:.3f}:d=0.3"
    m = media.fit(media.decode_pcm(path, 2, start, seconds, extra_filter=ff),
                  int(seconds * media.SR) * 2)
    m = media.limit_true_peak(media.to_lufs(m, 2, target), 2)
    return m, f"{os.path.basename(path)}@{start:.1f}s"


def hts_speech(rng, cache, seconds, target=-23.0, room=-32.0):
    """HTS speech at `target` LUFS over room tone `room` dB under it (as groups.speech_bed)."""
    sp, _ = speech.speech_track([HTS], seconds, cache, rng)
    st = media.to_lufs(media.mono_to_stereo(sp), 2, target)
    return media.mix(st, media.room_tone(len(sp), 2, target + room, rng.randrange(1 << 30)))


def pictures(rng, cache, seconds, stills):
    """Footage (drawn) or a slideshow of 8 drawn stills: (inputs, graph, fps, what)."""
    if stills:
        vin, graph, fps, _ = enc.slideshow(rng.sample(media.available_stills(), 8), seconds, rng)
        return vin, graph, fps, "slideshow"
    what, vin, graph, fps = moving_footage(rng, cache)
    return vin, graph, fps, what


def holdout_clips(seed: int) -> list[tuple[str, callable]]:
    """(name, builder(rng, cache)) of the hold-out group; about 10.5 minutes."""
    out = []

    def clip(name, kind, seconds, sound, stills=False, vcodec="h264", acodec="aac"):
        def b(rng, cache):
            au, what = sound(rng, cache, seconds)
            vin, graph, fps, pic = pictures(rng, cache, seconds, stills)
            return plan(name, ["clean", "holdout", kind], seconds, vin, graph, fps, au,
                        f"{what} over {pic}", vcodec=vcodec, acodec=acodec)
        out.append((name, b))

    def news(room, target=-23.0):
        def s(rng, cache, seconds):
            r = -rng.uniform(*room)
            return hts_speech(rng, cache, seconds, target, r), \
                f"HTS voice at {target:.0f} LUFS, room tone {-r:.0f} dB under"
        return s

    def music(paths, target):
        def s(rng, cache, seconds):
            t = rng.uniform(*target)
            m, what = bed(rng, paths, seconds, t)
            return m, f"music {what} at {t:.1f} LUFS"
        return s

    def mixed(paths, under):
        def s(rng, cache, seconds):
            sp = hts_speech(rng, cache, seconds, -23.0, -35.0)
            m, what = bed(rng, paths, seconds, -23.0 - under)
            return media.mix(sp, m), f"HTS voice over {what} {under} dB under"
        return s

    clip("ho_news_hts_0", "speech", 40.0, news((28, 40)))
    clip("ho_news_hts_1", "speech", 40.0, news((28, 40)), stills=True)
    clip("ho_news_hts_2", "speech", 35.0, news((28, 40)), vcodec="mpeg2", acodec="mp2")
    clip("ho_quiet_hts", "quiet", 40.0, news((32, 32), target=-40.0))
    clip("ho_orch_loud_0", "music", 60.0, music(ORCH_LOUD, (-16, -14)))
    clip("ho_orch_loud_1", "music", 50.0, music(ORCH_LOUD, (-18, -15)), stills=True, acodec="ac3")
    clip("ho_orch_wide_0", "music", 60.0, music(ORCH_WIDE, (-23, -20)), vcodec="hevc")
    clip("ho_orch_wide_1", "music", 60.0, music(ORCH_WIDE, (-23, -18)), stills=True)
    clip("ho_orch_calm", "music", 55.0, music(ORCH_CALM, (-24, -20)))
    clip("ho_other_music_0", "music", 45.0, music(OTHER_MUSIC, (-20, -16)))
    clip("ho_other_music_1", "music", 45.0, music(OTHER_MUSIC, (-20, -16)), stills=True,
         vcodec="mpeg2", acodec="ac3")
    clip("ho_mixed_orch", "speech", 50.0, mixed(ORCH_WIDE + ORCH_CALM, 12))
    clip("ho_mixed_other", "speech", 45.0, mixed(OTHER_MUSIC, 15))
    return out
