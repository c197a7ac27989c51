#!/usr/bin/env python3
"""Writes ATSC A/53 closed captions into an H.264 Annex B stream.

Usage: captions-fixture.py IN.h264 OUT.h264 FPS CAPTION_SECS

Before every picture (slice NAL of a new access unit) shown in the first CAPTION_SECS seconds
it inserts an SEI NAL (payload type 4, user_data_registered_itu_t_t35: country 0xB5, provider
0x0031, user identifier 'GA94', user_data_type_code 3) holding cc_data with one CEA-608
field-1 pair (cc_type 0, "CC" in odd parity), one field-2 padding pair (cc_type 1, not valid)
and one CEA-708 DTVCC packet start (cc_type 3). The input must be coded without B-pictures
(decode order = display order). Mux the result with `ffmpeg -c copy`; ffprobe then shows
"Closed Captions" on the video stream.
"""
import sys


def nal_units(data):
    """(start, end) of each NAL payload (after its start code) in an Annex B stream."""
    starts = []
    i = 0
    while True:
        i = data.find(b"\x00\x00\x01", i)
        if i < 0:
            break
        starts.append(i + 3)
        i += 3
    out = []
    for k, s in enumerate(starts):
        e = starts[k + 1] - 3 if k + 1 < len(starts) else len(data)
        # a 4-byte start code leaves a zero byte at the end of the previous unit
        while e > s and data[e - 1] == 0 and k + 1 < len(starts):
            e -= 1
        out.append((s, e))
    return out


def escape(rbsp):
    """Adds emulation prevention bytes."""
    out = bytearray()
    zeros = 0
    for b in rbsp:
        if zeros >= 2 and b <= 3:
            out.append(3)
            zeros = 0
        out.append(b)
        zeros = zeros + 1 if b == 0 else 0
    return bytes(out)


def caption_sei():
    triplets = [
        (0xFC, 0xC3, 0xC3),  # cc_valid=1, cc_type=0: CEA-608 field 1, "CC" (odd parity)
        (0xF9, 0x80, 0x80),  # cc_valid=0, cc_type=1: field 2 padding
        (0xFF, 0x02, 0x21),  # cc_valid=1, cc_type=3: CEA-708 DTVCC packet start
    ]
    cc = bytearray([0x40 | len(triplets), 0xFF])  # process_cc_data_flag, cc_count; em_data
    for t in triplets:
        cc += bytes(t)
    cc.append(0xFF)  # marker_bits
    payload = b"\xb5\x00\x31GA94\x03" + bytes(cc)
    sei = bytes([4, len(payload)]) + payload + b"\x80"  # type, size, payload, rbsp trailing bits
    return b"\x00\x00\x00\x01\x06" + escape(sei)


def main():
    src, dst, fps, secs = sys.argv[1], sys.argv[2], float(sys.argv[3]), float(sys.argv[4])
    data = open(src, "rb").read()
    sei = caption_sei()
    out = bytearray()
    pictures = 0
    for s, e in nal_units(data):
        kind = data[s] & 0x1F
        # first_mb_in_slice == 0 (first bit of the slice header set): a new picture
        if kind in (1, 5) and data[s + 1] & 0x80:
            if pictures < round(secs * fps):
                out += sei
            pictures += 1
        out += b"\x00\x00\x00\x01" + data[s:e]
    open(dst, "wb").write(out)
    print(f"{pictures} pictures, captions on the first {min(pictures, round(secs * fps))}")


if __name__ == "__main__":
    main()
