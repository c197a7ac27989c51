#!/usr/bin/env python3
"""Live UDP streaming through a lossy relay (optional, slow path: real time).

usage: live.py --corpus DIR [--monitor PATH] [--clips a.ts,b.ts] [--seed N] [--out DIR]

For each clip (clean clips of DIR/truth.json by default: two of them): a real sender
(`ffmpeg -re -i clip -c copy -f mpegts udp://127.0.0.1:A`), a Python relay that forwards
the datagrams to port B and drops some by a seeded pattern (runs of 1-4 datagrams, logged),
and the receiver: `monitor udp://127.0.0.1:B?timeout=...` when --monitor is given (its
events are saved with `stream` set to the received file's name). The relay also writes
every datagram it forwarded to OUT/<clip>_udp.ts: the bytes the receiver got.
Truth (OUT/truth.json, same format as make_corpus.py's): audio_dropout for every audio
frame touched by a lost datagram (media time from the PES PTS seen by the relay and the
frame's byte offset in the PES) and every audio frame of the clip that the receiver's demuxer
(ffprobe on the received bytes) never delivered, runs merged within 0.1 s; video_corruption
from the PSNR of the received decode against the clean clip (tsdamage.psnr_truth).
"""
from __future__ import annotations

import argparse
import json
import os
import random
import socket
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tsdamage  # noqa: E402


def free_port() -> int:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


class Relay(threading.Thread):
    """Forwards datagrams A -> B, dropping runs drawn from rng after `quiet` seconds."""

    def __init__(self, port_in, port_out, rng, record, quiet=3.0):
        super().__init__(daemon=True)
        self.rx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.rx.bind(("127.0.0.1", port_in))
        self.rx.settimeout(0.5)
        self.tx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.dst = ("127.0.0.1", port_out)
        self.rng, self.record, self.quiet = rng, record, quiet
        self.stop = False
        self.lost = []  # (datagram index, [(pid, last pts of that pid or None)])
        self.pes_pts: dict[int, float] = {}
        self.pes_bytes: dict[int, int] = {}
        self.first_pts = None
        self.first_pkt = None

    def _scan(self, data: bytes, lost: bool):
        """Track each PID's last PES PTS and payload bytes since it; for a lost datagram
        return (pid, pts of the PES, first and last payload byte lost within that PES)."""
        hit = {}
        for i in range(0, len(data) - 187, 188):
            pk = data[i:i + 188]
            pid = (pk[1] & 0x1F) << 8 | pk[2]
            ps = tsdamage._payload_start(pk)
            if ps >= 188 or pid == 0x1FFF:
                continue
            pay = pk[ps:]
            if pk[1] & 0x40:
                t = tsdamage._pts(pay)
                if t is not None:
                    self.pes_pts[pid] = t
                    self.first_pts = t if self.first_pts is None else min(self.first_pts, t)
                    self.pes_bytes[pid] = 0
                    pay = pay[9 + pay[8]:]
            off = self.pes_bytes.get(pid, 0)
            self.pes_bytes[pid] = off + len(pay)
            if lost:
                key = (pid, self.pes_pts.get(pid))
                lo, hi = hit.get(key, (off, off + len(pay)))
                hit[key] = (min(lo, off), max(hi, off + len(pay)))
        return [(pid, pts, lo, hi) for (pid, pts), (lo, hi) in hit.items()]

    def run(self):
        n, next_drop, drop_until, t0 = 0, None, -1, None
        with open(self.record, "wb") as rec:
            while not self.stop:
                try:
                    data, _ = self.rx.recvfrom(65536)
                except socket.timeout:
                    continue
                t0 = t0 or time.monotonic()
                if next_drop is None and time.monotonic() - t0 > self.quiet:
                    next_drop = n + self.rng.randint(150, 600)
                if next_drop is not None and n == next_drop:
                    drop_until = n + self.rng.randint(1, 4)
                    next_drop = drop_until + self.rng.randint(150, 600)
                if n < drop_until:
                    self.lost.append((n, self._scan(data, True)))
                    n += 1
                    continue
                self._scan(data, False)
                self.tx.sendto(data, self.dst)
                rec.write(data)
                n += 1


def probe(path):
    r = subprocess.run(["ffprobe", "-v", "error", "-show_entries",
                        "stream=index,id,codec_type,r_frame_rate:format=start_time", "-of", "json", path],
                       capture_output=True, check=True)
    return json.loads(r.stdout)


def audio_pts(path):
    """Presentation times (s) of the first audio stream's packets, as a demuxer sees them."""
    r = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "a:0", "-show_entries",
                        "packet=pts_time", "-of", "csv=p=0", path], capture_output=True, check=True)
    firsts = (line.split(",")[0] for line in r.stdout.decode().splitlines())
    return sorted(float(x) for x in firsts if x not in ("", "N/A"))


def absent_audio(src, rec, f0, fdur):
    """Audio frames of the clean clip that the receiver's demuxer never delivered, as
    (start, end) spans in the received file's media time (its PTS minus `f0`). Losing one
    TS packet of an audio PES loses every frame of that PES (FFmpeg's demuxer drops it), not
    only the frames whose bytes were in the lost datagram: this measures what is missing."""
    s, r = audio_pts(src), audio_pts(rec)
    if not s or not r:
        return []
    # The sender copies the clip (PTS shifted by a constant): the received first packet is
    # one of the clip's first, the one whose shift puts most received packets on clip frames.
    def fit(c):
        grid = {round((x - s[0]) / fdur) for x in s}
        return sum(round((x - c - s[0]) / fdur) in grid for x in r[:200])
    c = max((r[0] - s[j] for j in range(min(5, len(s)))), key=fit)
    got = {round((x - c - s[0]) / fdur) for x in r}
    last = max(got)
    spans = []
    for x in s:
        i = round((x - s[0]) / fdur)
        if 0 <= i <= last and i not in got:
            t = x + c - f0
            spans.append((t, t + fdur))
    return spans


def one(clip, corpus, out, rng, monitor, entry):
    src = os.path.join(corpus, clip)
    pa, pb = free_port(), free_port()
    name = clip[:-3] + "_udp.ts"
    rec = os.path.join(out, name)
    relay = Relay(pa, pb, rng, rec)
    relay.start()
    mon = None
    if monitor:
        mon = subprocess.Popen([monitor, f"udp://127.0.0.1:{pb}?timeout=3000000", "--reconnect", "0"],
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        time.sleep(0.5)
    subprocess.run(["nice", "-n", "15", "ffmpeg", "-nostdin", "-loglevel", "error", "-re", "-i", src,
                    "-c", "copy", "-f", "mpegts", f"udp://127.0.0.1:{pa}?pkt_size=1316"], check=True)
    time.sleep(1.0)
    relay.stop = True
    relay.join()
    if mon:
        mon.send_signal(2)
        evs, _ = mon.communicate(timeout=30)
        with open(rec + ".jsonl", "w") as f:
            for line in evs.decode().splitlines():
                try:
                    e = json.loads(line)
                except json.JSONDecodeError:
                    continue
                e["stream"] = name
                f.write(json.dumps(e) + "\n")
    info = probe(rec)
    f0 = float(info["format"]["start_time"])
    apids = {int(s["id"], 16) for s in info["streams"] if s["codec_type"] == "audio"}
    vfps = next(s["r_frame_rate"] for s in info["streams"] if s["codec_type"] == "video")
    a, b = vfps.split("/")
    # audio frames touched: byte offsets in the PES at the stream's constant bit rate
    rate = {"aac": 128000, "ac3": 192000, "mp2": 192000}[entry["audio"]["codec"]] / 8
    fdur = {"aac": 1024, "ac3": 1536, "mp2": 1152}[entry["audio"]["codec"]] / 48000
    spans = []
    for _, hit in relay.lost:
        for pid, pts, lo, hi in hit:
            if pid in apids and pts is not None:
                i0, i1 = int(lo / rate / fdur), int(hi / rate / fdur) + 1
                spans.append((pts - f0 + i0 * fdur, pts - f0 + i1 * fdur))
    # and the frames the demuxer never delivered (a PES with a lost packet is lost whole)
    spans += absent_audio(src, rec, f0, fdur)
    runs = []
    for x, y in sorted(spans):
        if runs and x - runs[-1][1] <= 0.1:
            runs[-1][1] = max(runs[-1][1], y)
        else:
            runs.append([x, y])
    defects = [{"type": "audio_dropout", "start": round(x, 4), "end": round(y, 4), "subtype": "udp_loss"}
               for x, y in runs]
    vr, worst = tsdamage.psnr_truth(rec, src, int(a) / int(b))
    defects += [{"type": "video_corruption", "start": round(x, 4), "end": round(y, 4), "subtype": "udp_loss"}
                for x, y in vr]
    e = dict(entry)
    e.update(file=name, groups=["live"], clean=False, defects=defects,
             live={"datagrams_lost": len(relay.lost), "worst_psnr": round(worst, 2)})
    return e


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", required=True)
    ap.add_argument("--out")
    ap.add_argument("--monitor")
    ap.add_argument("--clips", default="")
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    truth = json.load(open(os.path.join(a.corpus, "truth.json")))
    by = {c["file"]: c for c in truth["clips"]}
    clips = [c for c in a.clips.split(",") if c] or \
        [c["file"] for c in truth["clips"] if c["clean"] and c["file"].startswith(("music_", "news_"))][:2]
    out = a.out or os.path.join(a.corpus, "live")
    os.makedirs(out, exist_ok=True)
    rng = random.Random(f"{a.seed}:live")
    entries = [one(c, a.corpus, out, rng, a.monitor, by[c]) for c in clips]
    with open(os.path.join(out, "truth.json"), "w") as f:
        json.dump({"format": "avqc-realeval-truth/1", "seed": a.seed, "clips": entries}, f, indent=1)
    for e in entries:
        print(e["file"], e["live"], len(e["defects"]), "defects", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
