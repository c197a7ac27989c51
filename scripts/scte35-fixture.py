#!/usr/bin/env python3
"""SCTE-35 cues in an MPEG-TS, written and read back.

  scte35-fixture.py write IN.ts OUT.ts   adds a cue PID (500, stream type 0x86, with the
                                         'CUEI' registration descriptor) to the PMT of IN.ts
                                         and the cues of CUES below, each in its own packet
                                         where the video reaches its arrival time
  scte35-fixture.py check TS             prints each cue the independent `threefive` parser
                                         finds in TS as one JSON line (command, event_id,
                                         out_of_network, splice_pts with pts_adjustment
                                         applied, duration in 90 kHz ticks)

IN.ts must be a single-program TS as ffmpeg writes it (PAT and PMT each in one packet).
Times below are seconds after the first video PTS.
"""
import json
import struct
import sys

CUE_PID = 500
ADJUST = 1_000_000  # pts_adjustment of every cue (ticks), so the parser must apply it
WRAP = 1 << 33

# (arrival, kind, event id, out, splice time or None (immediate), duration or None, seg type)
CUES = [
    (1.0, "null", None, None, None, None, None),
    (2.0, "insert", 100, True, 4.0, 2.0, None),  # a break 4-6 s
    (5.0, "insert", 100, False, 6.0, None, None),  # ...and its return
    (6.5, "signal", 200, True, 7.0, 2.0, 0x34),  # placement opportunity start, never ended
    (9.0, "insert", 300, True, 8.0, 1.0, None),  # late: arrives after its splice time
    (10.0, "badcrc", 999, True, 11.0, 1.0, None),  # CRC broken
    (10.2, "insert_auto", 400, True, 10.3, 0.4, None),  # auto_return: no in cue is due
]


def crc32(data):
    crc = 0xFFFFFFFF
    for b in data:
        crc ^= b << 24
        for _ in range(8):
            crc = ((crc << 1) ^ 0x04C11DB7) if crc & 0x80000000 else crc << 1
            crc &= 0xFFFFFFFF
    return crc


def splice_time(ticks):
    if ticks is None:
        return bytes([0x7F])
    return bytes([0xFE | (ticks >> 32)]) + struct.pack(">I", ticks & 0xFFFFFFFF)


def section(kind, event, out, ticks, duration, seg_type):
    """A splice_info_section; `ticks` is the splice time before pts_adjustment."""
    descriptors = b""
    if kind == "null":
        ctype, cmd = 0x00, b""
    elif kind == "signal":
        ctype, cmd = 0x06, splice_time(ticks)
        dur = round(duration * 90000)
        seg = struct.pack(">4sIB", b"CUEI", event, 0x7F)
        seg += bytes([0xFF]) + dur.to_bytes(5, "big")  # program, duration, not restricted
        seg += bytes([0x0F, 0x00, seg_type, 1, 1])  # no UPID, type, segment 1 of 1
        descriptors = bytes([0x02, len(seg)]) + seg
    else:
        ctype = 0x05
        immediate = ticks is None
        flags = (0x80 if out else 0) | 0x40 | (0x20 if duration else 0) | (0x10 if immediate else 0) | 0x0F
        cmd = struct.pack(">IBB", event, 0x7F, flags)
        if not immediate:
            cmd += splice_time(ticks)
        if duration:
            d = round(duration * 90000)
            auto = 0x80 if kind == "insert_auto" else 0x00  # auto_return
            cmd += bytes([auto | 0x7E | (d >> 32)]) + struct.pack(">I", d & 0xFFFFFFFF)
        cmd += struct.pack(">HBB", 1, 0, 0)
    body = bytes([0])  # protocol_version
    body += bytes([(ADJUST >> 32) & 1]) + struct.pack(">I", ADJUST & 0xFFFFFFFF)
    body += bytes([0, 0xFF, 0xF0 | (len(cmd) >> 8), len(cmd) & 0xFF, ctype]) + cmd
    body += struct.pack(">H", len(descriptors)) + descriptors
    length = len(body) + 4
    head = bytes([0xFC, 0x30 | (length >> 8), length & 0xFF])
    s = head + body
    crc = crc32(s)
    if kind == "badcrc":
        crc ^= 0x1
    return s + struct.pack(">I", crc)


def pes_pts(p):
    """The PTS of a packet that starts a PES with one."""
    if not p[1] & 0x40:
        return None
    at = 4
    if p[3] & 0x20:
        at = 5 + p[4]
    pay = p[at:]
    if len(pay) < 14 or pay[:3] != b"\x00\x00\x01" or not pay[7] & 0x80:
        return None
    b = pay[9:14]
    return ((b[0] >> 1) & 7) << 30 | b[1] << 22 | (b[2] >> 1) << 15 | b[3] << 7 | b[4] >> 1


def with_cue_pid(p):
    """The PMT packet `p` with the cue stream (and CUEI registration) added."""
    pointer = p[4]
    s = p[5 + pointer:]
    length = ((s[1] & 0x0F) << 8) | s[2]
    sec = bytearray(s[: 3 + length - 4])
    info_len = ((sec[10] & 0x0F) << 8) | sec[11]
    reg = bytes([0x05, 4]) + b"CUEI"
    sec[12 + info_len:12 + info_len] = reg
    info_len += len(reg)
    sec[10], sec[11] = 0xF0 | (info_len >> 8), info_len & 0xFF
    sec += bytes([0x86, 0xE0 | (CUE_PID >> 8), CUE_PID & 0xFF, 0xF0, 0x00])
    length = len(sec) - 3 + 4
    sec[1], sec[2] = (sec[1] & 0xF0) | (length >> 8), length & 0xFF
    sec += struct.pack(">I", crc32(bytes(sec)))
    out = bytes(p[:5 + pointer]) + bytes(sec)
    return out + b"\xff" * (188 - len(out))


def write(src, dst):
    data = open(src, "rb").read()
    packets = [data[i:i + 188] for i in range(0, len(data), 188)]
    pmt_pid = None
    for p in packets:
        pid = ((p[1] & 0x1F) << 8) | p[2]
        if pid == 0 and p[1] & 0x40:
            pmt_pid = ((p[15] & 0x1F) << 8) | p[16]  # first program of the PAT
            break
    first = None
    out = []
    pending = sorted(CUES)
    cc = 0
    for p in packets:
        pid = ((p[1] & 0x1F) << 8) | p[2]
        if pid == pmt_pid:
            p = with_cue_pid(p)
        t = pes_pts(p) if pid == 0x100 else None
        if t is not None:
            first = t if first is None else first
            while pending and (t - first) / 90000 >= pending[0][0]:
                _, kind, event, outn, at, dur, seg = pending.pop(0)
                ticks = None if at is None else (first + round(at * 90000) - ADJUST) % WRAP
                s = section(kind, event, outn, ticks, dur, seg)
                pkt = bytes([0x47, 0x40 | (CUE_PID >> 8), CUE_PID & 0xFF, 0x10 | cc, 0]) + s
                out.append(pkt + b"\xff" * (188 - len(pkt)))
                cc = (cc + 1) & 0x0F
        out.append(p)
    open(dst, "wb").write(b"".join(out))
    print(f"first video PTS {first}; {len(CUES) - len(pending)} cues written")


def check(path):
    import threefive  # installed by scripts/install-deps.sh

    def show(cue):
        cmd = cue.command
        adj = round(float(cue.info_section.pts_adjustment or 0) * 90000)
        pts = getattr(cmd, "pts_time", None)
        splice = None if pts is None else (round(pts * 90000) + adj) % WRAP
        dur = getattr(cmd, "break_duration", None)
        event = getattr(cmd, "splice_event_id", None)
        out = getattr(cmd, "out_of_network_indicator", None)
        for d in cue.descriptors:
            if getattr(d, "tag", None) == 2:
                seg_id = d.segmentation_event_id
                if isinstance(seg_id, str):  # threefive gives it as hex text
                    seg_id = int(seg_id, 16)
                event = event if event is not None else seg_id
                if dur is None and d.segmentation_duration:
                    dur = float(d.segmentation_duration)
        print(json.dumps({
            "command": {0: "splice_null", 5: "splice_insert", 6: "time_signal"}.get(
                cue.info_section.splice_command_type, "other"),
            "event_id": event,
            "out_of_network": out,
            "splice_pts": splice,
            "duration_ticks": None if dur is None else round(dur * 90000),
            "auto_return": getattr(cmd, "break_auto_return", None),
        }), flush=True)

    threefive.Stream(path).decode(func=show)


if __name__ == "__main__":
    if sys.argv[1] == "write":
        write(sys.argv[2], sys.argv[3])
    else:
        check(sys.argv[2])
