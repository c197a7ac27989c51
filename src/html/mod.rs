//! A picture of a run: one self-contained HTML file (no network) per run, with, for each
//! stream, a timeline of its defects (hover a mark for its details), the snapshot taken at each
//! defect start, the loudness curves (momentary, short-term, integrated, true peak) against a
//! target band, the A/V offset over time, and the per-detector table of its [`Report`].
//! An input with several tracks (two audio tracks, say) gets a timeline lane per defect type
//! and track (`audio_silence · track 2 (spa)`) and a curve per metric and track
//! (`short_term_lufs · track 2`); the defect list has a track column.
//!
//! [`HtmlReport`] records the events of one or many streams as a [`Sink`] (or fed by hand
//! with [`HtmlReport::record`] from a sink of your own); [`HtmlReport::render`] writes the
//! page at the end. Memory stays bounded on long runs: each curve keeps at most
//! [`HtmlReport::MAX_POINTS`] points (thinned evenly), each stream at most
//! [`HtmlReport::MAX_DEFECTS`] defects and [`HtmlReport::MAX_NOTICES`] notices (the page says
//! how many were left out).
//!
//! ```
//! use avqc::html::HtmlReport;
//! use avqc::{Pipeline, FrameSource, Media, MediaTime, PixelFormat, StreamInfo, VideoFrame, Registry};
//!
//! let frames = (0..75).map(|i| Media::Video(VideoFrame::filled(
//!     64, 36, PixelFormat::Yuv420p, MediaTime::from_secs_f64(i as f64 / 25.0), [120, 128, 128])
//!     .with_duration(Some(0.04))));
//! let source = FrameSource::new("still.raw", vec![StreamInfo::video(0, "raw", 64, 36, None)], frames);
//! let html = HtmlReport::new();
//! let report = Pipeline::builder()
//!     .decoder(source)
//!     .detectors(Registry::builtin().build_names(&["freeze"]).unwrap())
//!     .sink(html.clone())
//!     .build().unwrap()
//!     .run().unwrap();
//! let page = html.render(&[report]);
//! assert!(page.starts_with("<!DOCTYPE html>"));
//! assert!(page.contains("video_freeze"));
//! ```

mod base64;
mod page;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use serde_json::{Map, Value};

use crate::error::{Error, Result};
use crate::event::{Event, Phase};
use crate::pipeline::Report;
use crate::sink::Sink;

/// The metrics drawn as curves: the loudness measurement and the A/V offset.
const CURVES: [&str; 5] = [
    "momentary_lufs",
    "short_term_lufs",
    "integrated_lufs",
    "true_peak_dbtp",
    "av_offset_ms",
];

/// Records a run's events and renders them as one self-contained HTML page; see the
/// [module docs](self). Clones share one record, so a clone can be the sink while the host
/// keeps another to render.
#[derive(Clone)]
pub struct HtmlReport {
    inner: Arc<Mutex<Recorded>>,
    target: (f64, f64),
    snapshots: Option<PathBuf>,
    title: String,
}

#[derive(Default)]
struct Recorded {
    streams: Vec<StreamRecord>,
}

struct StreamRecord {
    name: String,
    defects: Vec<DefectRecord>,
    defects_left_out: u64,
    /// By metric and track (`None`: an event of the whole input).
    curves: BTreeMap<(&'static str, Option<usize>), Curve>,
    /// The language of each track seen.
    languages: BTreeMap<usize, String>,
    notices: Vec<(f64, String, String)>,
    notices_left_out: u64,
    last_time: f64,
}

struct DefectRecord {
    defect: String,
    detector: String,
    start: f64,
    end: Option<f64>,
    details: Map<String, Value>,
    track: Option<usize>,
}

/// A metric's points, thinned evenly once it holds `MAX_POINTS`.
#[derive(Default)]
struct Curve {
    points: Vec<(f64, f64)>,
    /// Keep one point in `stride`.
    stride: usize,
    seen: usize,
}

impl Curve {
    fn push(&mut self, t: f64, v: f64) {
        self.stride = self.stride.max(1);
        self.seen += 1;
        if !(self.seen - 1).is_multiple_of(self.stride) {
            return;
        }
        if self.points.len() >= HtmlReport::MAX_POINTS {
            let mut i = 0;
            self.points.retain(|_| {
                i += 1;
                i % 2 == 1
            });
            self.stride *= 2;
        }
        self.points.push((t, v));
    }
}

impl Default for HtmlReport {
    fn default() -> Self {
        Self::new()
    }
}

impl HtmlReport {
    /// Most points kept per curve and stream.
    pub const MAX_POINTS: usize = 20_000;
    /// Most defects kept per stream.
    pub const MAX_DEFECTS: usize = 10_000;
    /// Most notices kept per stream.
    pub const MAX_NOTICES: usize = 1_000;

    /// An empty record; the loudness band is EBU R 128's −23 ± 1 LUFS until
    /// [`HtmlReport::loudness_target`] says otherwise.
    pub fn new() -> Self {
        HtmlReport {
            inner: Arc::default(),
            target: (-23.0, 1.0),
            snapshots: None,
            title: "avqc report".into(),
        }
    }

    /// The loudness target band drawn under the curves: `lufs` ± `tolerance`.
    pub fn loudness_target(mut self, lufs: f64, tolerance: f64) -> Self {
        self.target = (lufs, tolerance);
        self
    }

    /// The folder the snapshots were written to ([`crate::SnapshotConfig`]): the pictures named
    /// in defect events are embedded from there.
    pub fn snapshots(mut self, dir: impl Into<PathBuf>) -> Self {
        self.snapshots = Some(dir.into());
        self
    }

    /// The page title (default "avqc report").
    pub fn title(mut self, title: impl Into<String>) -> Self {
        self.title = title.into();
        self
    }

    /// Records one event (what the [`Sink`] implementation does).
    pub fn record(&self, e: &Event) {
        let mut rec = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        let name = e.stream();
        let i = match rec.streams.iter().position(|s| s.name == name) {
            Some(i) => i,
            None => {
                rec.streams.push(StreamRecord::new(name));
                rec.streams.len() - 1
            }
        };
        rec.streams[i].record(e);
    }

    /// The page, with `reports` (one per stream, matched by `input` to the event's stream; may
    /// be empty) for the per-detector tables and durations.
    pub fn render(&self, reports: &[Report]) -> String {
        let rec = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        let mut names: Vec<&str> = rec.streams.iter().map(|s| s.name.as_str()).collect();
        for r in reports {
            if !names.contains(&r.input.as_str()) {
                names.push(&r.input);
            }
        }
        let empty = StreamRecord::new("");
        let streams: Vec<page::StreamPage<'_>> = names
            .iter()
            .map(|n| {
                let record = rec.streams.iter().find(|s| s.name == *n).unwrap_or(&empty);
                let report = reports.iter().find(|r| r.input == *n);
                page::StreamPage {
                    name: n,
                    data: record.data(report),
                    report,
                    snapshots: record.snapshots(self.snapshots.as_deref()),
                }
            })
            .collect();
        page::render(&self.title, self.target, &streams)
    }

    /// [`HtmlReport::render`] into the file `path`.
    pub fn write(&self, path: impl AsRef<Path>, reports: &[Report]) -> Result<()> {
        let path = path.as_ref();
        std::fs::write(path, self.render(reports)).map_err(|source| Error::Sink {
            sink: format!("html report {}", path.display()),
            source,
        })
    }
}

impl Sink for HtmlReport {
    fn name(&self) -> &str {
        "html"
    }

    fn emit(&mut self, event: &Event) -> Result<()> {
        self.record(event);
        Ok(())
    }
}

impl StreamRecord {
    fn new(name: &str) -> Self {
        StreamRecord {
            name: name.to_string(),
            defects: Vec::new(),
            defects_left_out: 0,
            curves: BTreeMap::new(),
            languages: BTreeMap::new(),
            notices: Vec::new(),
            notices_left_out: 0,
            last_time: 0.0,
        }
    }

    fn record(&mut self, e: &Event) {
        let (track, language) = match e {
            Event::Defect(d) => (d.track, &d.language),
            Event::Metric(m) => (m.track, &m.language),
            Event::Notice(n) => (n.track, &n.language),
            Event::Cue(_) => (None, &None),
        };
        if let (Some(t), Some(l)) = (track, language) {
            self.languages.entry(t).or_insert_with(|| l.to_string());
        }
        match e {
            Event::Defect(d) => {
                let (start, at) = (d.start.as_secs_f64(), d.emitted_at.as_secs_f64());
                self.last_time = self.last_time.max(at);
                match d.phase {
                    Phase::Start => {
                        if self.defects.len() >= HtmlReport::MAX_DEFECTS {
                            self.defects_left_out += 1;
                            return;
                        }
                        self.defects.push(DefectRecord {
                            defect: d.defect.as_str().to_string(),
                            detector: d.detector.to_string(),
                            start,
                            end: None,
                            details: d.details.clone(),
                            track: d.track,
                        });
                    }
                    Phase::End => {
                        let end = d.end.map(|t| t.as_secs_f64());
                        let room = self.defects.len() < HtmlReport::MAX_DEFECTS;
                        let open = self.defects.iter_mut().rev().find(|r| {
                            r.end.is_none()
                                && r.detector == *d.detector
                                && r.defect == d.defect.as_str()
                                && r.track == d.track
                                && (r.start - start).abs() < 1e-6
                        });
                        match open {
                            Some(r) => {
                                r.end = end.or(Some(at));
                                r.details.extend(d.details.clone());
                            }
                            // A start left out (or reported start and end at once): keep the end.
                            None if room => self.defects.push(DefectRecord {
                                defect: d.defect.as_str().to_string(),
                                detector: d.detector.to_string(),
                                start,
                                end: end.or(Some(at)),
                                details: d.details.clone(),
                                track: d.track,
                            }),
                            None => {}
                        }
                    }
                }
            }
            Event::Metric(m) => {
                let t = m.at.as_secs_f64();
                self.last_time = self.last_time.max(t);
                if let Some(name) = CURVES.iter().find(|c| **c == m.name) {
                    if m.value.is_finite() {
                        let curve = self.curves.entry((name, m.track)).or_default();
                        curve.push(t, m.value);
                    }
                }
            }
            Event::Notice(n) => {
                let t = n.at.as_secs_f64();
                self.last_time = self.last_time.max(t);
                if self.notices.len() >= HtmlReport::MAX_NOTICES {
                    self.notices_left_out += 1;
                } else {
                    self.notices
                        .push((t, n.name.to_string(), n.message.clone()));
                }
            }
            Event::Cue(c) => {
                // shown with the notices
                let t = c.at.as_secs_f64();
                self.last_time = self.last_time.max(t);
                if self.notices.len() >= HtmlReport::MAX_NOTICES {
                    self.notices_left_out += 1;
                } else {
                    let what = format!(
                        "SCTE-35 {} event {:?} {} splice at {:?} s, duration {:?} s",
                        c.command.name(),
                        c.event_id,
                        match c.out_of_network {
                            Some(true) => "out",
                            Some(false) => "in",
                            None => "",
                        },
                        c.splice_at.map(|s| s.as_secs_f64()),
                        c.duration
                    );
                    self.notices.push((t, "cue".to_string(), what));
                }
            }
        }
    }

    /// The stream's data for the page's script: duration, defects, curves, notices.
    fn data(&self, report: Option<&Report>) -> Value {
        let duration = report
            .map_or(0.0, |r| r.media_duration)
            .max(self.last_time)
            .max(
                self.defects
                    .iter()
                    .filter_map(|d| d.end)
                    .fold(0.0, f64::max),
            );
        let several = self.several_tracks(report);
        let language = |t: usize| {
            report
                .and_then(|r| r.tracks.iter().find(|x| x.index == t))
                .and_then(|x| x.language.clone())
                .or_else(|| self.languages.get(&t).cloned())
        };
        let defects: Vec<Value> = self
            .defects
            .iter()
            .map(|d| {
                let lang = d.track.and_then(language);
                let lane = match d.track {
                    Some(t) if several => match &lang {
                        Some(l) => format!("{} · track {t} ({l})", d.defect),
                        None => format!("{} · track {t}", d.defect),
                    },
                    _ => d.defect.clone(),
                };
                serde_json::json!({
                    "defect": d.defect, "detector": d.detector, "start": d.start,
                    "end": d.end, "details": d.details, "track": d.track,
                    "language": lang, "lane": lane,
                })
            })
            .collect();
        let curves: Map<String, Value> = self
            .curves
            .iter()
            .map(|((name, track), c)| {
                let pts: Vec<[f64; 2]> = c.points.iter().map(|&(t, v)| [t, v]).collect();
                let key = match track {
                    Some(t) if several => format!("{name} · track {t}"),
                    _ => name.to_string(),
                };
                (key, serde_json::json!(pts))
            })
            .collect();
        serde_json::json!({
            "duration": duration,
            "defects": defects,
            "defects_left_out": self.defects_left_out,
            "curves": curves,
            "notices": self.notices.iter().map(|(t, n, m)| serde_json::json!([t, n, m])).collect::<Vec<_>>(),
            "notices_left_out": self.notices_left_out,
        })
    }

    /// Whether the stream's lanes and curves are drawn per track: its report lists several
    /// streams of one kind, or one defect type or curve came from more than one track.
    fn several_tracks(&self, report: Option<&Report>) -> bool {
        let in_report = report.is_some_and(|r| {
            r.tracks
                .iter()
                .any(|t| r.tracks.iter().filter(|u| u.kind == t.kind).count() > 1)
        });
        let mut seen: BTreeMap<&str, BTreeSet<Option<usize>>> = BTreeMap::new();
        for d in &self.defects {
            seen.entry(&d.defect).or_default().insert(d.track);
        }
        for (name, track) in self.curves.keys() {
            seen.entry(name).or_default().insert(*track);
        }
        in_report || seen.values().any(|tracks| tracks.len() > 1)
    }

    /// (defect, start, PNG as base64) of each snapshot named by a defect and found in `dir`.
    fn snapshots(&self, dir: Option<&Path>) -> Vec<(String, f64, String)> {
        let Some(dir) = dir else { return Vec::new() };
        self.defects
            .iter()
            .filter_map(|d| {
                let file = d.details.get("snapshot")?.as_str()?;
                // Only a plain file name inside the folder.
                if Path::new(file).file_name()? != file {
                    return None;
                }
                let png = std::fs::read(dir.join(file)).ok()?;
                Some((d.defect.clone(), d.start, base64::encode(&png)))
            })
            .collect()
    }
}

#[cfg(test)]
#[path = "tests.rs"]
mod tests;
