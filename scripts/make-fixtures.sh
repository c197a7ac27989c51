#!/usr/bin/env bash
# Makes the small test clips in tests/data (committed; rerun only to change them).
# Needs the ffmpeg CLI (with libx264 and the native aac encoder) and python3.
# Output is deterministic for a given FFmpeg build (bitexact flags, one encoder thread,
# fixed seeds). The injected defect times are listed in tests/data/README.md.
set -euo pipefail
cd "$(dirname "$0")/../tests/data"

FF=(ffmpeg -hide_banner -loglevel error -y)
BITEXACT=(-fflags +bitexact -flags +bitexact)
X264=(-c:v libx264 -threads 1 -preset veryfast -crf 30 -g 50 -bf 2 -pix_fmt yuv420p)
AAC=(-c:a aac -b:a 64k -ar 48000 -ac 2)

# --- demo.ts: 10 s, 320x180 @ 25 fps H.264 + 48 kHz stereo AAC, MPEG-TS -------------------
# video:  freeze   2.00–3.52 s  (frames 50..87 all show frame 50: freezeframes first=51 last=87)
#         black    5.00–6.00 s  (frames 125..149: Y=16 U=V=128, limited range)
# audio:  440 Hz sine at -6 dBFS, with
#         silence  7.00–8.00 s  (digital zero)
#         clipping 8.50–9.00 s  (4x the sine clipped at ±1.0: a square-ish wave at full scale)
VIDEO_FILTER="[0:v]format=yuv420p,split[a][b];[a][b]freezeframes=first=51:last=87:replace=50,lutyuv=y=16:u=128:v=128:enable='between(n,125,149)'[v]"
AUDIO_EXPR="if(between(t,7,8-1/96000),0,if(between(t,8.5,9),max(-1,min(1,4*sin(2*PI*440*t))),0.5*sin(2*PI*440*t)))"
"${FF[@]}" -f lavfi -i "testsrc2=size=320x180:rate=25:duration=10" \
  -f lavfi -i "aevalsrc=exprs='${AUDIO_EXPR}':channel_layout=stereo:sample_rate=48000:duration=10" \
  -filter_complex "$VIDEO_FILTER" -map "[v]" -map 1:a "${X264[@]}" "${AAC[@]}" "${BITEXACT[@]}" \
  -f mpegts -mpegts_flags +initial_discontinuity demo.ts

# --- video_only.mp4: 3 s H.264, no audio -------------------------------------------------
"${FF[@]}" -f lavfi -i "testsrc2=size=320x180:rate=25:duration=3" \
  "${X264[@]}" "${BITEXACT[@]}" -an video_only.mp4

# --- audio_only.m4a: 3 s AAC 48 kHz stereo, no video -------------------------------------
"${FF[@]}" -f lavfi -i "sine=frequency=1000:sample_rate=48000:duration=3" \
  "${AAC[@]}" "${BITEXACT[@]}" -vn audio_only.m4a

# --- surround.wav: 0.25 s of 5.1 s16 PCM (packed, 6 channels), channel c = (c+1)/10 constant --
"${FF[@]}" -f lavfi -i "aevalsrc=exprs='0.1|0.2|0.3|0.4|0.5|0.6':channel_layout=5.1:sample_rate=48000:duration=0.25" \
  -c:a pcm_s16le "${BITEXACT[@]}" surround.wav

# --- high10.mp4: 2 s H.264 High 10 (yuv420p10le), converted to yuv420p by the decoder ------
"${FF[@]}" -f lavfi -i "testsrc2=size=320x180:rate=25:duration=2" \
  -c:v libx264 -threads 1 -preset veryfast -crf 30 -g 50 -pix_fmt yuv420p10le \
  "${BITEXACT[@]}" -an high10.mp4

# --- encrypted.mp4: 2 s H.264 + AAC, CENC (AES-CTR) --------------------------------------
# key 00112233445566778899aabbccddeeff, kid 0123456789abcdef0123456789abcdef
"${FF[@]}" -f lavfi -i "testsrc2=size=320x180:rate=25:duration=2" \
  -f lavfi -i "sine=frequency=440:sample_rate=48000:duration=2" \
  "${X264[@]}" "${AAC[@]}" "${BITEXACT[@]}" \
  -encryption_scheme cenc-aes-ctr -encryption_key 00112233445566778899aabbccddeeff \
  -encryption_kid 0123456789abcdef0123456789abcdef encrypted.mp4

# --- truncated.ts: demo.ts cut at 40 %, in the middle of a 188-byte TS packet --------------
python3 - <<'PY'
data = open("demo.ts", "rb").read()
cut = (len(data) * 4 // 10) // 188 * 188 + 97
open("truncated.ts", "wb").write(data[:cut])
PY

# --- random.bin: 200 000 pseudo-random bytes from a fixed seed -----------------------------
python3 - <<'PY'
import random
r = random.Random(1)
open("random.bin", "wb").write(bytes(r.getrandbits(8) for _ in range(200_000)))
PY

# --- wrap.ts: 4 s H.264 + AAC whose 33-bit MPEG-TS timestamps wrap about 1.7 s in ----------
# (output_ts_offset puts the start just under 2^33 / 90 kHz = 95443.7 s; the muxer writes 33 bits)
"${FF[@]}" -f lavfi -i "testsrc2=size=160x90:rate=25:duration=4" \
  -f lavfi -i "sine=frequency=440:sample_rate=48000:duration=4" \
  -c:v libx264 -threads 1 -g 25 -c:a aac -fflags +bitexact -flags +bitexact \
  -output_ts_offset 95442 -muxdelay 0 wrap.ts

# --- empty.ts: 0 bytes --------------------------------------------------------------------
: > empty.ts

# --- corrupt.ts: demo.ts with bytes flipped in video TS packets ----------------------------
# Every 60th video packet (PID of the first video stream) from packet 200 on that does not
# start a PES gets 16 payload bytes inverted: the H.264 decoder logs errors and conceals.
VPID=$(ffprobe -v error -select_streams v:0 -show_entries stream=id -of csv=p=0 demo.ts | head -n 1) \
python3 - <<'PY'
data = bytearray(open("demo.ts", "rb").read())
n = len(data) // 188
import os
video_pid = int(os.environ["VPID"], 16)
assert video_pid is not None, "no H.264 stream in the PMT"
flipped = []
count = 0
for i in range(n):
    off = i * 188
    p = data[off:off + 188]
    pid = ((p[1] & 0x1F) << 8) | p[2]
    pusi = p[1] & 0x40
    has_payload = p[3] & 0x10
    has_adapt = p[3] & 0x20
    if pid != video_pid or pusi or not has_payload or has_adapt:
        continue
    count += 1
    if count >= 200 and count % 60 == 0:
        for k in range(40, 56):
            data[off + k] ^= 0xFF
        flipped.append(i)
open("corrupt.ts", "wb").write(data)
print("corrupt.ts: flipped TS packets", flipped)
PY
ls -l

# --- video_loss.ts: 8 s, 160x90 @ 25 fps H.264 + continuous 48 kHz stereo AAC, MPEG-TS -----
# video frames 75..149 (3.00–6.00 s) removed, the others keep their timestamps: no picture for
# 3 s while the sound goes on (video_loss 3.00–6.00 s with the default 2 s max_gap).
"${FF[@]}" -f lavfi -i "testsrc2=size=160x90:rate=25:duration=8" \
  -f lavfi -i "sine=frequency=440:sample_rate=48000:duration=8" \
  -vf "select='not(between(n,75,149))'" -fps_mode passthrough \
  "${CADENCE_X264[@]}" "${AAC[@]}" "${BITEXACT[@]}" -f mpegts -muxdelay 0 video_loss.ts

# --- audio_corrupt.ts: demo.ts with bytes inverted in six audio TS packets -----------------
# Audio packets 300–305 (counting the audio PID's packets that carry payload, from 1) get 60
# payload bytes (offsets 60–119) inverted: they lie in the PES packets at 6.144 s and 6.485 s of
# the file's timeline (each holds about 0.34 s of AAC frames). The AAC decoder reports errors on
# some frames there: decoder dropouts, and nothing else changes.
APID=$(ffprobe -v error -select_streams a:0 -show_entries stream=id -of csv=p=0 demo.ts | head -n 1) \
python3 - <<'PY'
import os
data = bytearray(open("demo.ts", "rb").read())
audio_pid = int(os.environ["APID"], 16)
count = 0
for i in range(len(data) // 188):
    off = i * 188
    p = data[off:off + 188]
    if ((p[1] & 0x1F) << 8) | p[2] != audio_pid or not p[3] & 0x10:
        continue
    count += 1
    if 300 <= count < 306:
        for k in range(60, 120):
            data[off + k] ^= 0xFF
open("audio_corrupt.ts", "wb").write(data)
PY

# --- format_change.ts: 2 s 160x90 then 2 s 128x72 (both 25 fps H.264 + AAC), concatenated ---
# Two MPEG-TS clips glued with `cat` (the second offset by 2.08 s so its timestamps follow the
# first's): the resolution changes mid-stream at 2.0 s of content; the junction shows one
# continuity-counter error (a corrupt-packet notice), no discontinuity.
"${FF[@]}" -f lavfi -i "testsrc2=size=160x90:rate=25:duration=2" \
  -f lavfi -i "sine=frequency=440:sample_rate=48000:duration=2" \
  "${X264[@]}" "${AAC[@]}" "${BITEXACT[@]}" -f mpegts format_change_a.tmp.ts
"${FF[@]}" -f lavfi -i "testsrc2=size=128x72:rate=25:duration=2" \
  -f lavfi -i "sine=frequency=440:sample_rate=48000:duration=2" \
  "${X264[@]}" "${AAC[@]}" "${BITEXACT[@]}" -output_ts_offset 2.08 -f mpegts format_change_b.tmp.ts
cat format_change_a.tmp.ts format_change_b.tmp.ts > format_change.ts
rm -f format_change_a.tmp.ts format_change_b.tmp.ts

# --- cadence fixtures: frame drops and stutter (detectors frame_drop, stutter) --------------
# 160x90 testsrc2 (moving), H.264 GOP 50 without B-frames, MPEG-TS, no audio. Injected
# repeats avoid key frames (a key frame re-codes a repeated picture with much more noise).
CADENCE_X264=(-c:v libx264 -threads 1 -preset veryfast -crf 34 -g 50 -bf 0 -pix_fmt yuv420p)
# drop.ts: 7 s @ 25 fps; frames 60..64 (2.40–2.60 s), 125 (5.00 s) and 170..171 (6.80–6.88 s)
# removed; the frames kept keep their timestamps (-fps_mode passthrough), leaving gaps.
"${FF[@]}" -f lavfi -i "testsrc2=size=160x90:rate=25:duration=7" \
  -vf "select='not(between(n,60,64)+eq(n,125)+between(n,170,171))'" -fps_mode passthrough \
  "${CADENCE_X264[@]}" "${BITEXACT[@]}" -an -f mpegts -muxdelay 0 drop.ts
# stutter.ts: 7 s @ 25 fps; frame 61 repeats 60 (2.44 s), 101..102 repeat 100 (4.04–4.12 s),
# 120 repeats 119 and 125 repeats 124 (4.80 s and 5.00 s: one episode, 4.80–5.04 s). The
# first 3 s are learned, not judged (the detector's learn_for): 2.44 s is not reported.
"${FF[@]}" -f lavfi -i "testsrc2=size=160x90:rate=25:duration=7" \
  -filter_complex "[0:v]split=5[s0][s1][s2][s3][s4];[s0][s1]freezeframes=first=61:last=61:replace=60[f1];[f1][s2]freezeframes=first=101:last=102:replace=100[f2];[f2][s3]freezeframes=first=120:last=120:replace=119[f3];[f3][s4]freezeframes=first=125:last=125:replace=124[v]" \
  -map "[v]" "${CADENCE_X264[@]}" "${BITEXACT[@]}" -an -f mpegts -muxdelay 0 stutter.ts
# doubled.ts: 6 s of 12.5 fps content at 25 fps (every picture shown twice: a regular cadence,
# no stutter), with frame 102 (4.08 s) showing picture 50 (frames 100..101) a third time in
# place of picture 51: one irregular repeat, 4.08–4.12 s.
"${FF[@]}" -f lavfi -i "testsrc2=size=160x90:rate=12.5:duration=6" \
  -filter_complex "[0:v]fps=25,split=2[s0][s1];[s0][s1]freezeframes=first=102:last=102:replace=101[v]" \
  -map "[v]" "${CADENCE_X264[@]}" "${BITEXACT[@]}" -an -f mpegts -muxdelay 0 doubled.ts
# pulldown.ts: 4 s of 24 fps content converted to 30 fps (every 4th picture shown twice;
# clean: no stutter, no drop).
"${FF[@]}" -f lavfi -i "testsrc2=size=160x90:rate=24:duration=4" \
  -vf fps=30 "${CADENCE_X264[@]}" "${BITEXACT[@]}" -an -f mpegts -muxdelay 0 pulldown.ts

# --- format_change.ts: 2 s 160x90 then 2 s 128x72 (both 25 fps H.264 + AAC), concatenated ---
# Two MPEG-TS clips glued with `cat` (the second offset by 2.08 s so its timestamps follow the
# first's): the resolution changes mid-stream at 2.0 s of content; the junction shows one
# continuity-counter error (a corrupt-packet notice), no discontinuity.
"${FF[@]}" -f lavfi -i "testsrc2=size=160x90:rate=25:duration=2" \
  -f lavfi -i "sine=frequency=440:sample_rate=48000:duration=2" \
  "${X264[@]}" "${AAC[@]}" "${BITEXACT[@]}" -f mpegts format_change_a.tmp.ts
"${FF[@]}" -f lavfi -i "testsrc2=size=128x72:rate=25:duration=2" \
  -f lavfi -i "sine=frequency=440:sample_rate=48000:duration=2" \
  "${X264[@]}" "${AAC[@]}" "${BITEXACT[@]}" -output_ts_offset 2.08 -f mpegts format_change_b.tmp.ts
cat format_change_a.tmp.ts format_change_b.tmp.ts > format_change.ts
rm -f format_change_a.tmp.ts format_change_b.tmp.ts

# --- sync_late.ts / sync_ok.ts: 6 s flash+beep test pattern, 160x90 @ 25 fps + 48 kHz AAC ----
# A mid-grey picture (Y=110) with one white frame (Y=235) every second from frame 12 (0.48 s,
# 1.48 s, ...), and a 40 ms 1 kHz beep at 0.5 peak starting with each white frame. In
# sync_late.ts the sound is delayed by 80 ms with adelay (audio late: offset +80 ms); in
# sync_ok.ts it is not (offset 0).
SYNC_VIDEO="color=c=0x6e6e6e:size=160x90:rate=25:duration=6,format=yuv420p,geq=lum='if(eq(mod(N\,25)\,12)\,235\,110)':cb=128:cr=128"
SYNC_BEEP="0.5*sin(2*PI*1000*t)*gte(t,0.48)*lt(mod(t-0.48,1),0.04)"
for clip in ok late; do
  if [ "$clip" = late ]; then DELAY=",adelay=80|80,atrim=0:6"; else DELAY=""; fi
  "${FF[@]}" -f lavfi -i "$SYNC_VIDEO" \
    -f lavfi -i "aevalsrc=exprs='${SYNC_BEEP}':channel_layout=stereo:sample_rate=48000:duration=6" \
    -filter_complex "[1:a]anull${DELAY}[a]" -map 0:v -map "[a]" \
    "${X264[@]}" "${AAC[@]}" "${BITEXACT[@]}" -f mpegts "sync_${clip}.ts"
done

# --- channel and dropout fixtures (detectors `silence` relative/decoder dropouts, `channels`,
# `hum`): 6 s of 48 kHz stereo AAC (64 kb/s) in Matroska audio, no video. The programme is a
# centre voice (notes changing every 0.5 s) with a quieter voice on each side, so left and
# right correlate at about +0.9 without being identical. Truth in tests/data/README.md.
CH_AAC=(-c:a aac -b:a 64k -ar 48000 -ac 2)
CH_F="(220*pow(2,mod(floor(2*t)*5,12)/12))"
CH_C="(0.5*sin(2*PI*${CH_F}*t)+0.2*sin(4*PI*${CH_F}*t))"
CH_SL="0.15*sin(2*PI*(330*pow(2,mod(floor(2*t+0.5)*7,12)/12))*t)"
CH_SR="0.15*sin(2*PI*(277*pow(2,mod(floor(2*t+0.25)*3,12)/12))*t)"
CH_L="0.3*(${CH_C}+${CH_SL})"
CH_R="0.3*(${CH_C}+${CH_SR})"
ch_make() { # ch_make FILE LEFT RIGHT
  "${FF[@]}" -f lavfi -i "aevalsrc=exprs='$2|$3':channel_layout=stereo:sample_rate=48000:duration=6" \
    "${CH_AAC[@]}" "${BITEXACT[@]}" -vn "$1"
}
# phase.mka: the right channel inverted 2.0–4.5 s (audio_phase_inverted).
ch_make phase.mka "${CH_L}" "if(between(t,2,4.5),-1,1)*${CH_R}"
# missing.mka: the right channel digital zero 2.0–4.5 s (audio_channel_missing, channel 1).
ch_make missing.mka "${CH_L}" "if(between(t,2,4.5),0,${CH_R})"
# dc.mka: +0.1 (−20 dBFS) added to the left channel 2.0–4.5 s (audio_dc_offset, channel 0).
ch_make dc.mka "${CH_L}+if(between(t,2,4.5),0.1,0)" "${CH_R}"
# hum.mka: 50 Hz hum with 2nd and 3rd harmonics (−32, −38, −42 dBFS peak) on both channels
# 2.0–5.0 s (audio_hum).
CH_HUM="if(between(t,2,5),0.025*sin(2*PI*50*t)+0.0125*sin(2*PI*100*t)+0.008*sin(2*PI*150*t),0)"
ch_make hum.mka "${CH_L}+${CH_HUM}" "${CH_R}+${CH_HUM}"
# dual_mono.mka: stereo 0–3 s, then the left channel on both sides 3–6 s (audio_dual_mono
# notice only; no defect).
ch_make dual_mono.mka "${CH_L}" "if(gte(t,3),${CH_L},${CH_R})"
# dropout_relative.mka: a steady chord at about −20 dBFS RMS that drops by 35 dB (to about
# −55 dBFS, above the −60 dBFS silence threshold) 2.00–2.05 s and 4.00–4.12 s
# (audio_dropout, source "relative").
CH_CHORD="(0.08*sin(2*PI*262*t)+0.06*sin(2*PI*330*t)+0.05*sin(2*PI*392*t))"
CH_GAIN="if(between(t,2,2.05-1/96000)+between(t,4,4.12-1/96000),0.0178,1)"
ch_make dropout_relative.mka "${CH_GAIN}*${CH_CHORD}" "${CH_GAIN}*${CH_CHORD}*0.9"
ls -l phase.mka missing.mka dc.mka hum.mka dual_mono.mka dropout_relative.mka

# --- captions.ts: 8 s 160x90 @ 25 fps H.264 (no B-pictures), CEA-608/708 captions as ATSC
# A/53 cc_data SEI on the first 100 pictures (0–4 s) only, written by captions-fixture.py --
"${FF[@]}" -f lavfi -i "testsrc2=size=160x90:rate=25:duration=8" \
  -c:v libx264 -threads 1 -preset veryfast -crf 35 -g 25 -bf 0 -pix_fmt yuv420p \
  "${BITEXACT[@]}" -f h264 captions_plain.h264
python3 ../../scripts/captions-fixture.py captions_plain.h264 captions_cc.h264 25 4
"${FF[@]}" -r 25 -f h264 -i captions_cc.h264 -c copy "${BITEXACT[@]}" -f mpegts captions.ts
rm captions_plain.h264 captions_cc.h264
ls -l captions.ts

# --- scte35.ts: 12 s 160x90 @ 25 fps H.264, MPEG-TS, with an SCTE-35 PID (500, stream type
# 0x86) and the cues of scripts/scte35-fixture.py (splice_null, an out/in pair, a time_signal
# placement opportunity without its end, a late cue, a cue with a broken CRC, an auto-return
# break) ------------------------------------------------------------------------------------
"${FF[@]}" -f lavfi -i "testsrc2=size=160x90:rate=25:duration=12" \
  -c:v libx264 -threads 1 -preset veryfast -crf 35 -g 25 -bf 0 -pix_fmt yuv420p \
  "${BITEXACT[@]}" -f mpegts scte35_plain.ts
python3 ../../scripts/scte35-fixture.py write scte35_plain.ts scte35.ts
rm scte35_plain.ts
ls -l scte35.ts
