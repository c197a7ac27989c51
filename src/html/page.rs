//! The page of an [`HtmlReport`](super::HtmlReport): HTML and tables written here, the
//! timeline and curves drawn by the page's own script from the data embedded in it.

use std::fmt::Write;

use serde_json::Value;

use crate::pipeline::Report;

/// What one stream's section shows.
pub(super) struct StreamPage<'a> {
    pub name: &'a str,
    /// Duration, defects, curves and notices (see `StreamRecord::data`).
    pub data: Value,
    pub report: Option<&'a Report>,
    /// (defect, start, PNG as base64).
    pub snapshots: Vec<(String, f64, String)>,
}

const STYLE: &str = r##"
body { font: 14px/1.4 system-ui, sans-serif; margin: 24px; color: #222; max-width: 1000px; }
h1 { font-size: 22px; } h2 { font-size: 18px; border-top: 1px solid #ccc; padding-top: 12px; }
h3 { font-size: 15px; margin-bottom: 4px; }
.meta, .summary { color: #555; }
table { border-collapse: collapse; margin: 4px 0 12px; font-size: 13px; }
td, th { border: 1px solid #ddd; padding: 2px 8px; text-align: left; vertical-align: top; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
code { font-size: 12px; word-break: break-all; }
svg { display: block; background: #fafafa; border: 1px solid #eee; }
svg text { font: 11px system-ui, sans-serif; fill: #333; }
.defect-mark:hover { stroke: #000; stroke-width: 1.5; }
.snaps { display: flex; flex-wrap: wrap; gap: 8px; }
.snaps figure { margin: 0; } .snaps img { max-width: 240px; border: 1px solid #ccc; display: block; }
.snaps figcaption { font-size: 12px; color: #444; }
.empty { color: #888; font-style: italic; }
"##;

const SCRIPT: &str = r##"
"use strict";
(function () {
  const data = JSON.parse(document.getElementById("avqc-data").textContent);
  const NS = "http://www.w3.org/2000/svg";
  const W = 960, LEFT = 210, RIGHT = 12;
  function el(name, attrs, parent) {
    const e = document.createElementNS(NS, name);
    for (const k in attrs) e.setAttribute(k, attrs[k]);
    if (parent) parent.appendChild(e);
    return e;
  }
  function text(parent, x, y, s, anchor) {
    const t = el("text", { x: x, y: y, "text-anchor": anchor || "start" }, parent);
    t.textContent = s;
    return t;
  }
  function clock(t) {
    const m = Math.floor(t / 60), s = t - 60 * m;
    return m + ":" + (s < 10 ? "0" : "") + s.toFixed(s < 600 ? 1 : 0);
  }
  function colour(name, light) {
    let h = 0;
    for (const c of name) h = (h * 31 + c.charCodeAt(0)) % 360;
    return "hsl(" + h + ",65%," + (light || 48) + "%)";
  }
  function step(span, most) {
    for (const s of [0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 1800, 3600, 7200])
      if (span / s <= most) return s;
    return span / most;
  }
  function timeAxis(svg, y0, y1, dur) {
    const x = t => LEFT + (W - LEFT - RIGHT) * t / dur, st = step(dur, 10);
    for (let t = 0; t <= dur + 1e-9; t += st) {
      el("line", { x1: x(t), x2: x(t), y1: y0, y2: y1, stroke: "#ddd" }, svg);
      text(svg, x(t), y1 + 12, clock(t), "middle");
    }
  }
  function timeline(svg, s) {
    const lane_of = d => d.lane || d.defect;
    const types = Array.from(new Set(s.defects.map(lane_of))).sort();
    const lane = 22, lanes = Math.max(types.length, 1), h = lanes * lane + 22;
    svg.setAttribute("viewBox", "0 0 " + W + " " + h);
    svg.setAttribute("width", W);
    svg.setAttribute("height", h);
    const dur = Math.max(s.duration, 0.001);
    const x = t => LEFT + (W - LEFT - RIGHT) * Math.min(Math.max(t, 0), dur) / dur;
    timeAxis(svg, 0, lanes * lane, dur);
    if (!types.length) text(svg, LEFT + 8, 15, "no defects");
    types.forEach((ty, i) => text(svg, 4, i * lane + 15, ty));
    for (const d of s.defects) {
      const i = types.indexOf(lane_of(d)), end = d.end === null ? dur : d.end;
      const r = el("rect", {
        class: "defect-mark", x: x(d.start), y: i * lane + 3,
        width: Math.max(3, x(end) - x(d.start)), height: lane - 6, fill: colour(d.defect),
      }, svg);
      const lines = [lane_of(d) + " (" + d.detector + ")",
        clock(d.start) + " to " + (d.end === null ? "the end (still open)" : clock(d.end))];
      for (const k of Object.keys(d.details)) lines.push(k + ": " + JSON.stringify(d.details[k]));
      el("title", {}, r).textContent = lines.join("\n");
    }
  }
  function chart(svg, s, names, band, unit, floor) {
    // a curve per name, or per name and track ("short_term_lufs · track 2")
    const keys = Object.keys(s.curves).sort();
    const series = names.flatMap(n => keys.filter(k => k === n || k.startsWith(n + " · ")))
      .filter(k => s.curves[k].length);
    const h = Math.max(200, series.length * 16 + 40), top = 8, bottom = h - 22;
    svg.setAttribute("viewBox", "0 0 " + W + " " + h);
    svg.setAttribute("width", W);
    svg.setAttribute("height", h);
    if (!series.length) { text(svg, LEFT + 8, 20, "no data"); return; }
    let lo = Infinity, hi = -Infinity;
    for (const n of series) for (const p of s.curves[n]) {
      const v = Math.max(p[1], floor);
      lo = Math.min(lo, v); hi = Math.max(hi, v);
    }
    if (band) { lo = Math.min(lo, band[0]); hi = Math.max(hi, band[1]); }
    if (hi - lo < 1) { hi += 0.5; lo -= 0.5; }
    const dur = Math.max(s.duration, 0.001);
    const x = t => LEFT + (W - LEFT - RIGHT) * t / dur;
    const y = v => bottom - (bottom - top) * (Math.max(v, floor) - lo) / (hi - lo);
    timeAxis(svg, top, bottom, dur);
    const ys = step(hi - lo, 6);
    for (let v = Math.ceil(lo / ys) * ys; v <= hi + 1e-9; v += ys) {
      el("line", { x1: LEFT, x2: W - RIGHT, y1: y(v), y2: y(v), stroke: "#eee" }, svg);
      text(svg, LEFT - 4, y(v) + 4, (Math.round(v * 10) / 10) + " " + unit, "end");
    }
    if (band) {
      el("rect", { class: "band", x: LEFT, width: W - LEFT - RIGHT, y: y(band[1]),
        height: Math.max(1, y(band[0]) - y(band[1])), fill: "rgba(0,160,0,0.12)" }, svg);
    }
    // one hue per metric; its tracks in turn darker, lighter, and dashed
    const base = k => names.find(n => k === n || k.startsWith(n + " · "));
    const shades = [48, 30, 66, 40], dashes = ["", "7 3", "2 2", "9 3 2 3"];
    series.forEach((n, i) => {
      const pts = s.curves[n].map(p => x(p[0]).toFixed(1) + "," + y(p[1]).toFixed(1)).join(" ");
      const b = base(n), k = series.filter(o => base(o) === b).indexOf(n) % 4;
      const c = colour(b, shades[k]), dash = dashes[k];
      el("polyline", { class: "curve", points: pts, fill: "none", stroke: c, "stroke-width": 1.3,
        "stroke-dasharray": dash }, svg);
      el("line", { x1: 3, x2: 16, y1: top + i * 16 + 5, y2: top + i * 16 + 5, stroke: c,
        "stroke-width": 3, "stroke-dasharray": dash }, svg);
      text(svg, 20, top + i * 16 + 9, n);
    });
  }
  data.streams.forEach((s, i) => {
    timeline(document.querySelector('svg.timeline[data-stream="' + i + '"]'), s);
    const t = data.target;
    chart(document.querySelector('svg.loudness[data-stream="' + i + '"]'), s,
      ["momentary_lufs", "short_term_lufs", "integrated_lufs", "true_peak_dbtp"],
      [t[0] - t[1], t[0] + t[1]], "dB", -70);
    chart(document.querySelector('svg.offset[data-stream="' + i + '"]'), s,
      ["av_offset_ms"], null, "ms", -1e9);
  });
  document.body.setAttribute("data-rendered", "ok");
})();
"##;

/// The whole page.
pub(super) fn render(title: &str, target: (f64, f64), streams: &[StreamPage<'_>]) -> String {
    let mut h = String::with_capacity(64 * 1024);
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width\">\
         <title>{t}</title><style>{STYLE}</style></head>\n<body>\n<h1>{t}</h1>\n\
         <p class=\"meta\">avqc {v}: {n} stream(s). Hover a defect mark for its details; \
         the green band is the loudness target {lufs} ± {tol} LUFS.</p>\n",
        t = esc(title),
        v = env!("CARGO_PKG_VERSION"),
        n = streams.len(),
        lufs = target.0,
        tol = target.1,
    );
    for (i, s) in streams.iter().enumerate() {
        section(&mut h, i, s);
    }
    let data = serde_json::json!({
        "target": [target.0, target.1],
        "streams": streams.iter().map(|s| &s.data).collect::<Vec<_>>(),
    });
    // No `<` at all inside the script element (`</script>`, `<!--`): in JSON text it only
    // occurs inside strings, where `\u003c` means the same.
    let json = serde_json::to_string(&data)
        .expect("values serialise")
        .replace('<', "\\u003c");
    let _ = write!(
        h,
        "<script type=\"application/json\" id=\"avqc-data\">{json}</script>\n\
         <script>{SCRIPT}</script>\n</body></html>\n"
    );
    h
}

fn section(h: &mut String, i: usize, s: &StreamPage<'_>) {
    let d = &s.data;
    let defects = d["defects"].as_array().map_or(0, Vec::len);
    let _ = write!(
        h,
        "<section class=\"stream\" id=\"stream-{i}\">\n<h2>{}</h2>\n<p class=\"summary\">{:.2} s of media, {defects} defect(s)",
        esc(s.name),
        d["duration"].as_f64().unwrap_or(0.0),
    );
    if let Some(r) = s.report {
        let _ = write!(
            h,
            ", {} video + {} audio frames decoded, ended by {}",
            r.video_frames_decoded,
            r.audio_frames_decoded,
            esc(&r.ending.to_string())
        );
    }
    for (key, what) in [
        ("defects_left_out", "defects"),
        ("notices_left_out", "notices"),
    ] {
        if let Some(n) = d[key].as_u64().filter(|n| *n > 0) {
            let _ = write!(h, "; {n} more {what} left out of this page");
        }
    }
    let _ = write!(
        h,
        ".</p>\n<h3>Defects</h3>\n<svg class=\"timeline\" data-stream=\"{i}\" role=\"img\"></svg>\n"
    );
    h.push_str("<h3>Snapshots at defect starts</h3>\n");
    if s.snapshots.is_empty() {
        h.push_str("<p class=\"empty\">none</p>\n");
    } else {
        h.push_str("<div class=\"snaps\">\n");
        for (defect, start, png) in &s.snapshots {
            let _ = writeln!(
                h,
                "<figure><img alt=\"{d} at {start:.2} s\" src=\"data:image/png;base64,{png}\">\
                 <figcaption>{d} at {start:.2} s</figcaption></figure>",
                d = esc(defect)
            );
        }
        h.push_str("</div>\n");
    }
    let _ = write!(
        h,
        "<h3>Loudness</h3>\n<svg class=\"chart loudness\" data-stream=\"{i}\"></svg>\n\
         <h3>A/V offset (positive = audio late)</h3>\n<svg class=\"chart offset\" data-stream=\"{i}\"></svg>\n"
    );
    defect_table(h, d);
    if let Some(r) = s.report {
        detector_table(h, r);
    }
    notice_table(h, d);
    h.push_str("</section>\n");
}

fn defect_table(h: &mut String, d: &Value) {
    let Some(list) = d["defects"].as_array().filter(|l| !l.is_empty()) else {
        return;
    };
    h.push_str("<h3>Defect list</h3>\n<table><tr><th>defect</th><th>track</th><th>detector</th><th>start s</th><th>end s</th><th>details</th></tr>\n");
    for x in list {
        let end = x["end"]
            .as_f64()
            .map_or("open".into(), |e| format!("{e:.3}"));
        let track = match (x["track"].as_u64(), x["language"].as_str()) {
            (Some(t), Some(l)) => format!("{t} ({l})"),
            (Some(t), None) => t.to_string(),
            (None, _) => String::new(),
        };
        let _ = writeln!(
            h,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td class=\"n\">{:.3}</td><td class=\"n\">{end}</td><td><code>{}</code></td></tr>",
            esc(x["defect"].as_str().unwrap_or("")),
            esc(&track),
            esc(x["detector"].as_str().unwrap_or("")),
            x["start"].as_f64().unwrap_or(0.0),
            esc(&x["details"].to_string()),
        );
    }
    h.push_str("</table>\n");
}

fn detector_table(h: &mut String, r: &Report) {
    h.push_str("<h3>Detectors</h3>\n<table><tr><th>detector</th><th>video frames</th><th>audio frames</th><th>dropped</th><th>events</th><th>failed</th></tr>\n");
    for d in &r.detectors {
        let _ = writeln!(
            h,
            "<tr><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td>{}</td></tr>",
            esc(&d.name),
            d.video_frames,
            d.audio_frames,
            d.dropped,
            d.events,
            esc(d.panicked.as_deref().unwrap_or("")),
        );
    }
    h.push_str("</table>\n");
}

fn notice_table(h: &mut String, d: &Value) {
    let Some(list) = d["notices"].as_array().filter(|l| !l.is_empty()) else {
        return;
    };
    h.push_str("<h3>Notices</h3>\n<table><tr><th>at s</th><th>notice</th><th>message</th></tr>\n");
    for n in list {
        let _ = writeln!(
            h,
            "<tr><td class=\"n\">{:.3}</td><td>{}</td><td>{}</td></tr>",
            n[0].as_f64().unwrap_or(0.0),
            esc(n[1].as_str().unwrap_or("")),
            esc(n[2].as_str().unwrap_or("")),
        );
    }
    h.push_str("</table>\n");
}

/// Text as HTML (element content and quoted attribute values).
fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::esc;

    #[test]
    fn text_is_escaped() {
        assert_eq!(
            esc(r#"<a href="x">&'"#),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
    }
}
