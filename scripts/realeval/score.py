#!/usr/bin/env python3
"""Score avqc monitor events (JSON Lines) against truth.json of make_corpus.py.

usage: score.py --truth DIR/truth.json (--events FILE | --events-dir DIR) [--groups G,G]
                [--per-clip] [--json]

--groups keeps only the clips of those groups (clean, dropout, click, clipping, freeze,
corruption, stutter, sync; the undamaged references count as corruption too).

Events: one JSON object per line; `stream` names the clip (its file name, or a path or URL
ending in it). With --events-dir, DIR/<clip>.ts.jsonl or DIR/<clip>.jsonl per clip. Only
defect events with phase "end" (or no phase) count; "start" lines are used for latency.

Scored types and tolerances (a prediction matches a truth interval of its type when they
overlap and both boundaries are within the tolerance; one-to-one, smallest error first):
  video_freeze, video_corruption        0.2 s
  video_stutter                         0.1 s    (truth is exact to the picture: 2 pictures
                                                  at 25 fps, far under the 4 s between repeats)
  audio_dropout, audio_clipping         0.05 s   (audio_silence events also match dropouts)
  audio_click                           start within 0.010 s
Unmatched truth = FN; an unmatched prediction = FP unless half of it lies in an ignore
interval of its type (or "*") of that clip. ovlR = share of truth overlapped by any
prediction of the type (detected, whatever the boundaries).
A/V sync (sync clips, offset_ms positive = audio late): detected when any av_sync event
came; estimate = median details.offset_ms; sign and |error| reported; any av_sync on an
in-sync clip is a false alarm.
False-alarm rate: every defect event (end) on the clean clips, per hour of clean material,
by defect, by detector/details.source and by clean subgroup, leaving out events and time
under an ignore interval as above (a live join's cut-off last second). Goal: 0 per hour.
Clean-set check (not of avqc): every clean clip whose true peak, measured by ffmpeg
(`ebur128=peak=true`, 4x oversampled), is above the -1 dBTP delivery ceiling of EBU R 128 is
listed: the clean set claims delivered programmes, and this verifies the claim instead of
assuming it (measured peaks are cached in the events directory, `truepeak.json`; --no-peaks
skips the check).
"""
from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
from collections import Counter, defaultdict

# video_stutter: the truth is the repeated pictures' span, exact to the picture (stutter group,
# repeats.py), and the detector reports picture times too (from the first frame beyond the
# content's hold to the next new picture): 0.1 s allows one picture of 23.976-30 fps either way
# and some slack, and stays far under the 4 s between the group's repeats, so that two
# repeats never compete for one event.
TOL = {"video_freeze": 0.2, "video_corruption": 0.2, "video_stutter": 0.1, "audio_dropout": 0.05,
       "audio_clipping": 0.05, "audio_click": 0.010}
ALIASES = {"audio_silence": "audio_dropout"}
DEFAULT_TYPES = ["video_freeze", "video_black", "video_corruption", "video_loss", "video_out_of_range",
                 "video_frame_drop", "video_stutter", "audio_silence", "audio_dropout", "audio_clipping",
                 "audio_click", "audio_true_peak", "audio_phase_inverted", "audio_channel_missing",
                 "audio_dc_offset", "audio_hum", "av_sync", "transport_sync_loss",
                 "transport_sync_byte_error", "transport_pat_error", "transport_cc_error",
                 "transport_pmt_error", "transport_pid_error"]


TRUE_PEAK_CEILING = -1.0


def true_peak(path: str) -> float | None:
    """ffmpeg's true peak (dBTP) of a clip's sound, None when it cannot be measured."""
    try:
        r = subprocess.run(["nice", "-n", "10", "ffmpeg", "-nostdin", "-hide_banner", "-i", path, "-vn",
                            "-af", "ebur128=peak=true", "-f", "null", "-"], capture_output=True)
    except OSError:
        return None
    m = re.findall(r"True peak:\s+Peak:\s+(-?[\d.]+|-inf) dBFS", r.stderr.decode(errors="replace"))
    if not m:
        return None
    return -200.0 if m[-1] == "-inf" else float(m[-1])


def clean_over_ceiling(truth: dict, corpus: str, cache_dir: str | None) -> list[dict]:
    """Clean clips whose ffmpeg-measured true peak is above TRUE_PEAK_CEILING."""
    cache_path = os.path.join(cache_dir, "truepeak.json") if cache_dir else None
    cache = {}
    if cache_path and os.path.exists(cache_path):
        with open(cache_path) as f:
            cache = json.load(f)
    over = []
    for c in truth["clips"]:
        if not c.get("clean"):
            continue
        path = os.path.join(corpus, c["file"])
        if not os.path.exists(path):
            continue
        st = os.stat(path)
        key = f"{st.st_size}:{int(st.st_mtime)}"
        hit = cache.get(c["file"])
        if hit and hit["key"] == key:
            tp = hit["dbtp"]
        else:
            tp = true_peak(path)
            cache[c["file"]] = {"key": key, "dbtp": tp}
        if tp is not None and tp > TRUE_PEAK_CEILING:
            over.append({"file": c["file"], "true_peak_dbtp": tp})
    if cache_path:
        with open(cache_path + ".tmp", "w") as f:
            json.dump(cache, f, indent=1)
        os.replace(cache_path + ".tmp", cache_path)
    return over


def clip_key(stream: str) -> str:
    s = stream.split("?")[0].rstrip("/")
    return os.path.basename(s)


def load_events(args, files: set[str]) -> dict[str, list[dict]]:
    ev: dict[str, list[dict]] = defaultdict(list)
    paths = []
    if args.events:
        paths.append((args.events, None))
    if args.events_dir:
        for f in files:
            for cand in (f + ".jsonl", f.rsplit(".", 1)[0] + ".jsonl"):
                p = os.path.join(args.events_dir, cand)
                if os.path.exists(p):
                    paths.append((p, f))
                    break
    for p, forced in paths:
        with open(p) as fh:
            for line in fh:
                line = line.strip()
                if not line.startswith("{"):
                    continue
                try:
                    e = json.loads(line)
                except json.JSONDecodeError:
                    continue
                if e.get("kind", "defect") != "defect":
                    continue
                ev[forced or clip_key(e.get("stream", ""))].append(e)
    return ev


def ignored(pred: dict, ign: list[dict], typ: str) -> bool:
    a, b = pred["start"], pred["end"]
    length = max(b - a, 1e-6)
    for i in ign:
        if i["type"] in ("*", typ, pred.get("defect")):
            ov = min(b, i["end"]) - max(a, i["start"])
            if ov >= 0.5 * length or (b - a < 1e-6 and i["start"] <= a <= i["end"]):
                return True
    return False


def match(truth: list[dict], preds: list[dict], typ: str):
    tol = TOL[typ]
    pairs = []
    for i, t in enumerate(truth):
        for j, p in enumerate(preds):
            ds, de = abs(p["start"] - t["start"]), abs(p["end"] - t["end"])
            if typ == "audio_click":
                if ds <= tol:
                    pairs.append((ds, i, j))
            elif p["start"] < t["end"] + 1e-6 and p["end"] > t["start"] - 1e-6 and ds <= tol and de <= tol:
                pairs.append((max(ds, de), i, j))
    pairs.sort()
    ti, pj, m = set(), set(), []
    for err, i, j in pairs:
        if i not in ti and j not in pj:
            ti.add(i)
            pj.add(j)
            m.append((i, j))
    return m


def score(truth: dict, ev: dict[str, list[dict]], per_clip: bool) -> dict:
    res = {t: Counter() for t in TOL}
    bnd = {t: ([], []) for t in TOL}
    latency = {t: [] for t in TOL}
    sub = {t: defaultdict(lambda: [0, 0]) for t in TOL}
    lines = []
    clean_s = 0.0
    fa = Counter()
    fa_src = Counter()
    fa_group = defaultdict(Counter)
    group_s = Counter()
    sync_rows = []
    for c in truth["clips"]:
        f = c["file"]
        evs = ev.get(f, [])
        ends = [e for e in evs if e.get("phase", "end") == "end" and e.get("end") is not None]
        starts = [e for e in evs if e.get("phase") == "start"]
        if c["clean"]:
            # time under an ignore of every type (a live join's cut-off last second) is not clean time
            gone = sum(max(0.0, min(i["end"], c["duration"]) - max(i["start"], 0.0))
                       for i in c["ignore"] if i["type"] == "*")
            clean_s += c["duration"] - gone
            # the kind of content: the first tag after "clean" (and "holdout", whose clips name it next)
            g = next((x for x in c["groups"] if x not in ("clean", "holdout")), "clean")
            group_s[g] += c["duration"] - gone
            for e in ends:
                if ignored(e, c["ignore"], e["defect"]):
                    continue
                fa[e["defect"]] += 1
                src = (e.get("details") or {}).get("source", "")
                fa_src[(e["defect"], e.get("detector", ""), src)] += 1
                fa_group[g][e["defect"]] += 1
        for typ in TOL:
            tr = [d for d in c["defects"] if d["type"] == typ]
            pr = [e for e in ends if ALIASES.get(e["defect"], e["defect"]) == typ]
            m = match(tr, pr, typ)
            mt = {i for i, _ in m}
            mp = {j for _, j in m}
            fp = [p for j, p in enumerate(pr) if j not in mp and not ignored(p, c["ignore"], typ)]
            ovl = sum(1 for t in tr if any(p["start"] < t["end"] and p["end"] > t["start"]
                                           or (typ == "audio_click" and abs(p["start"] - t["start"]) < 0.05)
                                           for p in pr))
            r = res[typ]
            r["truth"] += len(tr)
            r["tp"] += len(m)
            r["fp"] += len(fp)
            r["ovl"] += ovl
            for i, j in m:
                bnd[typ][0].append(abs(pr[j]["start"] - tr[i]["start"]))
                bnd[typ][1].append(abs(pr[j]["end"] - tr[i]["end"]))
            for i, t in enumerate(tr):
                s = sub[typ][t.get("subtype", "-")]
                s[0] += i in mt
                s[1] += 1
                st = [e for e in starts if ALIASES.get(e["defect"], e["defect"]) == typ
                      and e.get("emitted_at") is not None and abs(e["start"] - t["start"]) <= TOL[typ]]
                if st:
                    latency[typ].append(st[0]["emitted_at"] - t["start"])
            if per_clip and (tr or fp):
                for i, t in enumerate(tr):
                    lines.append(f"{f:34s} {typ:17s} truth {t['start']:8.3f}-{t['end']:8.3f} "
                                 f"{'hit' if i in mt else 'MISS'} {t.get('subtype', '')}")
                for p in fp:
                    lines.append(f"{f:34s} {typ:17s} FP    {p['start']:8.3f}-{p['end']:8.3f} "
                                 f"{(p.get('details') or {}).get('source', '')}")
        if c.get("sync_test"):
            syn = [e for e in ends if e["defect"] == "av_sync"]
            offs = [e["details"]["offset_ms"] for e in syn if "offset_ms" in (e.get("details") or {})]
            est = statistics.median(offs) if offs else None
            sync_rows.append({"file": f, "kind": c.get("sync_kind", ""), "truth_ms": c["offset_ms"],
                              "content_ms": c.get("offset_content_ms"), "events": len(syn),
                              "estimate_ms": est,
                              "sources": sorted({(e.get("details") or {}).get("source", "") for e in syn})})
    table = {}
    for typ, r in res.items():
        p = r["tp"] / (r["tp"] + r["fp"]) if r["tp"] + r["fp"] else None
        rc = r["tp"] / r["truth"] if r["truth"] else None
        f1 = 2 * p * rc / (p + rc) if p and rc else (0.0 if r["truth"] else None)
        table[typ] = {"truth": r["truth"], "tp": r["tp"], "fp": r["fp"], "fn": r["truth"] - r["tp"],
                      "precision": p, "recall": rc, "f1": f1,
                      "overlap_recall": r["ovl"] / r["truth"] if r["truth"] else None,
                      "median_dstart_ms": 1000 * statistics.median(bnd[typ][0]) if bnd[typ][0] else None,
                      "median_dend_ms": 1000 * statistics.median(bnd[typ][1]) if bnd[typ][1] else None,
                      "median_latency_ms": 1000 * statistics.median(latency[typ]) if latency[typ] else None,
                      "by_subtype": {k: f"{v[0]}/{v[1]}" for k, v in sorted(sub[typ].items())}}
    hours = clean_s / 3600 if clean_s else 1.0
    alarms = {t: {"count": fa.get(t, 0), "per_hour": fa.get(t, 0) / hours} for t in DEFAULT_TYPES}
    for t in fa:
        alarms.setdefault(t, {"count": fa[t], "per_hour": fa[t] / hours})
    by_src = [{"defect": d, "detector": det, "source": s, "count": n, "per_hour": n / hours}
              for (d, det, s), n in sorted(fa_src.items())]
    sync = {"rows": sync_rows}
    off = [r for r in sync_rows if abs(r["truth_ms"]) >= 50]
    ins = [r for r in sync_rows if abs(r["truth_ms"]) < 50]
    det = [r for r in off if r["events"]]
    sign = [r for r in det if r["estimate_ms"] is not None and (r["estimate_ms"] > 0) == (r["truth_ms"] > 0)]
    errs = [abs(r["estimate_ms"] - r["truth_ms"]) for r in det if r["estimate_ms"] is not None]
    sync.update({"offset_clips": len(off), "detected": len(det), "sign_correct": len(sign),
                 "median_abs_error_ms": statistics.median(errs) if errs else None,
                 "within_20ms": sum(1 for e in errs if e <= 20),
                 "in_sync_clips": len(ins), "in_sync_false_alarms": sum(1 for r in ins if r["events"])})
    return {"clips": len(truth["clips"]), "clean_minutes": clean_s / 60, "types": table,
            "alarms_per_hour": alarms, "alarms_by_source": by_src,
            "alarms_by_group": {g: {"minutes": group_s[g] / 60, "alarms": dict(fa_group[g])}
                                for g in sorted(group_s)},
            "sync": sync, "per_clip": lines}


def fmt(x, p=2):
    return "-" if x is None else (f"{x:.{p}f}" if isinstance(x, float) else str(x))


def report(s: dict) -> str:
    o = [f"clips {s['clips']}, clean material {s['clean_minutes']:.1f} min", "",
         "type              truth   TP   FP   FN  prec recall    F1  ovlR |dStart| |dEnd| latency",
         "                                                               med ms  med ms  med ms",
         "-" * 92]
    for t, r in s["types"].items():
        o.append(f"{t:17s} {r['truth']:5d} {r['tp']:4d} {r['fp']:4d} {r['fn']:4d} {fmt(r['precision']):>5s} "
                 f"{fmt(r['recall']):>6s} {fmt(r['f1']):>5s} {fmt(r['overlap_recall']):>5s} "
                 f"{fmt(r['median_dstart_ms'], 0):>8s} {fmt(r['median_dend_ms'], 0):>6s} "
                 f"{fmt(r['median_latency_ms'], 0):>7s}")
    o += ["", "Recall by subtype (TP/truth):"]
    for t, r in s["types"].items():
        if r["by_subtype"]:
            o.append(f"  {t:17s} " + ", ".join(f"{k} {v}" for k, v in r["by_subtype"].items()))
    y = s["sync"]
    o += ["", "A/V sync (positive = audio late):",
          f"  offset clips detected {y['detected']}/{y['offset_clips']}, sign correct {y['sign_correct']}, "
          f"median |error| {fmt(y['median_abs_error_ms'], 1)} ms, within 20 ms {y['within_20ms']}; "
          f"in-sync clips with an alarm {y['in_sync_false_alarms']}/{y['in_sync_clips']}"]
    for r in y["rows"]:
        o.append(f"  {r['file']:28s} {r['kind']:14s} truth {r['truth_ms']:+7.1f}  events {r['events']:3d}  "
                 f"estimate {fmt(r['estimate_ms'], 1):>7s}  {','.join(r['sources'])}")
    o += ["", f"False alarms on the clean set ({s['clean_minutes']:.1f} min), per hour, default-on types:"]
    for t, a in s["alarms_per_hour"].items():
        o.append(f"  {t:28s} {a['count']:5d}  {a['per_hour']:8.1f}/h")
    o += ["", "  by detector / details.source:"]
    for r in s["alarms_by_source"]:
        o.append(f"  {r['defect']:22s} {r['detector']:12s} {r['source'] or '-':10s} {r['count']:5d} "
                 f"{r['per_hour']:8.1f}/h")
    o += ["", "  by clean subgroup (minutes: alarms):"]
    for g, v in s["alarms_by_group"].items():
        al = ", ".join(f"{k} {n}" for k, n in sorted(v["alarms"].items())) or "none"
        o.append(f"  {g:18s} {v['minutes']:5.1f} min: {al}")
    if s.get("clean_over_true_peak") is not None:
        over = s["clean_over_true_peak"]
        o += ["", f"Clean clips over {TRUE_PEAK_CEILING:g} dBTP (ffmpeg ebur128 true peak; the clean set "
              f"must be delivered sound): {len(over) or 'none'}"]
        o += [f"  {r['file']:28s} {r['true_peak_dbtp']:+.1f} dBTP" for r in over]
    if s["per_clip"]:
        o += ["", "Per clip:"] + s["per_clip"]
    return "\n".join(o)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--truth", required=True)
    ap.add_argument("--events")
    ap.add_argument("--events-dir")
    ap.add_argument("--groups", default="")
    ap.add_argument("--per-clip", action="store_true")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--no-peaks", action="store_true", help="skip the clean clips' true-peak check")
    a = ap.parse_args()
    if not a.events and not a.events_dir:
        ap.error("--events or --events-dir needed")
    with open(a.truth) as f:
        truth = json.load(f)
    only = set(filter(None, a.groups.split(",")))
    if only:
        def groups(c):
            return set(c["groups"]) | ({"corruption"} if "corruption_ref" in c["groups"] else set())
        truth["clips"] = [c for c in truth["clips"] if groups(c) & only]
    ev = load_events(a, {c["file"] for c in truth["clips"]})
    s = score(truth, ev, a.per_clip)
    if not a.no_peaks:
        s["clean_over_true_peak"] = clean_over_ceiling(truth, os.path.dirname(os.path.abspath(a.truth)),
                                                       a.events_dir)
    print(json.dumps(s, indent=1) if a.json else report(s))
    return 0


if __name__ == "__main__":
    sys.exit(main())
