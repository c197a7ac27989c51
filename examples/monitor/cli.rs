//! The command line of `monitor`: options (clap), and the detector set they describe.

use std::path::PathBuf;

use avqc::{DecoderOptions, OverloadPolicy, Registry, StreamSelection};
use clap::Parser;
use serde_json::{Map, Value};

const AFTER_HELP: &str = "\
Detector sets: without --detectors or --config, every built-in detector that is on by
default runs with its defaults (--list shows them). --set changes single fields on top of
whichever set is chosen; --print-config shows the result.

Output: JSON Lines on stdout, one event per line (defects, notices and metrics; --defects-only
keeps the defects). A summary per input goes to stderr at the end, and a progress line while
it runs when stderr is a terminal.

Exit codes:
  0  every input analysed
  1  a second SIGINT/SIGTERM ended the process at once
  2  usage or configuration error (nothing was opened)
  3  an input could not be opened or decoded (the others are still analysed)
  4  writing events failed

SIGINT or SIGTERM stops every input cleanly: each open defect gets its end event, the output
is flushed and the summaries are printed.";

/// Watch inputs (files or URLs) for audio/video defects.
#[derive(Parser, Debug)]
#[command(name = "monitor", after_help = AFTER_HELP, disable_version_flag = true)]
pub struct Cli {
    /// Files or URLs; several are analysed concurrently. An event's `stream` is the input's
    /// file name (or the URL).
    #[arg(value_name = "INPUT", required_unless_present_any = ["list", "print_config"])]
    pub inputs: Vec<String>,

    /// Detector types to run, with their defaults [default: every type on by default].
    #[arg(
        long,
        value_name = "TYPE,..",
        value_delimiter = ',',
        conflicts_with = "config"
    )]
    pub detectors: Option<Vec<String>>,

    /// Detector set as JSON: an array [{"type":"freeze","min_duration":1.0}, ...] (exactly
    /// that set) or {"tune": {"freeze": {"min_duration": 1.0}, "hum": false}} (the default
    /// set with those changes).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Change one field of one detector on top of the chosen set, e.g.
    /// `--set freeze.min_duration=2` (VALUE is JSON, else a string); `--set hum=false` removes
    /// a detector, `--set letterbox=true` adds one. Repeatable.
    #[arg(long = "set", value_name = "DETECTOR.FIELD=VALUE")]
    pub set: Vec<String>,

    /// Print the effective detector set (every field with its value) as JSON and exit.
    #[arg(long)]
    pub print_config: bool,

    /// Print the detector types, whether each is on by default and what it reports, and exit.
    #[arg(long)]
    pub list: bool,

    /// Write only defect events to stdout (no metrics, no notices).
    #[arg(long)]
    pub defects_only: bool,

    /// Write a picture of the run to FILE at the end: one self-contained HTML page with each
    /// input's defect timeline, snapshots (with --snapshots), loudness and A/V offset curves
    /// and detector table.
    #[arg(long, value_name = "FILE.html")]
    pub report: Option<PathBuf>,

    /// Also write the per-input summaries as a JSON array to FILE at the end.
    #[arg(long, value_name = "FILE")]
    pub summary_json: Option<PathBuf>,

    /// No progress line on stderr (by default there is one when stderr is a terminal).
    #[arg(long)]
    pub no_progress: bool,

    /// Pace file inputs to their timestamps, as if live.
    #[arg(long)]
    pub realtime: bool,

    /// Give detectors a copy downscaled to fit WxH, e.g. 640x360.
    #[arg(long, value_name = "WxH", value_parser = parse_size)]
    pub analysis: Option<(u32, u32)>,

    /// Decoder threads per stream (0 = auto).
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub threads: usize,

    /// Threads running the detectors per stream [default: 0, on the decoder thread, the least
    /// CPU; 1 with --drop-oldest].
    #[arg(long, value_name = "N")]
    pub detector_threads: Option<usize>,

    /// Show detectors that need not see every picture (out_of_range, letterbox, video_loss)
    /// only every N-th one.
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..))]
    pub thin: u32,

    /// Decode every picture in full even when no detector needs it (by default the deblocking
    /// filter and non-reference pictures are skipped when no detector of the set needs them).
    #[arg(long)]
    pub full_decode: bool,

    /// Drop frames for a detector that falls behind (live inputs) instead of blocking.
    #[arg(long)]
    pub drop_oldest: bool,

    /// Write a PNG of the picture at each defect start into DIR.
    #[arg(long, value_name = "DIR")]
    pub snapshots: Option<String>,

    /// Report an input that delivers nothing for SECS of wall time as an `input_stall` defect,
    /// also one that has sent nothing yet since the start [default: 5 for URLs, off for files;
    /// 0 = off].
    #[arg(long, value_name = "SECS", value_parser = parse_secs)]
    pub stall: Option<f64>,

    /// Reopen a URL whose reads fail, or whose first open fails (not sending yet), up to N
    /// attempts in a row, waiting 0.5 s doubling to 8 s between them [default: 5 for URLs;
    /// 0 = off]. A UDP read fails only with the URL's
    /// `timeout` option (µs), e.g. udp://127.0.0.1:5000?timeout=5000000
    #[arg(long, value_name = "N")]
    pub reconnect: Option<u32>,

    /// Streams to analyse: `all` (every video stream and audio track, each by its own
    /// detectors), `best` (one video + one audio stream, FFmpeg's choice) or stream indices,
    /// e.g. `0,2`.
    #[arg(long, value_name = "all|best|N,N", default_value = "all", value_parser = parse_tracks)]
    pub tracks: StreamSelection,
}

impl Cli {
    /// Decoder options from the flags.
    pub fn decoder_options(&self) -> DecoderOptions {
        DecoderOptions {
            realtime: self.realtime,
            full_decode: self.full_decode,
            threads: self.threads,
            analysis_size: self.analysis,
            streams: self.tracks.clone(),
            ..Default::default()
        }
    }

    /// What a detector that falls behind does.
    pub fn policy(&self) -> OverloadPolicy {
        if self.drop_oldest {
            OverloadPolicy::DropOldest
        } else {
            OverloadPolicy::Block
        }
    }

    /// The detector set as config objects: `--config`, else `--detectors`, else the defaults,
    /// with the `--set` changes on top. Errors are usage errors.
    pub fn detector_set(&self, registry: &Registry) -> Result<Vec<Value>, String> {
        let set = match (&self.config, &self.detectors) {
            (Some(path), _) => {
                let json = std::fs::read_to_string(path)
                    .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
                registry.set_from_json(&json).map_err(|e| e.to_string())?
            }
            (None, Some(names)) => names
                .iter()
                .map(|n| serde_json::json!({ "type": n.trim() }))
                .collect(),
            (None, None) => registry.default_set(),
        };
        let tune = self.tune()?;
        let set = registry.tune_set(set, &tune).map_err(|e| e.to_string())?;
        // Check every config now, so a bad one is a usage error before any input is opened.
        for c in &set {
            registry.effective(c).map_err(|e| e.to_string())?;
        }
        Ok(set)
    }

    /// The `--set` options as a tune object: `{"freeze": {"min_duration": 2}, "hum": false}`.
    fn tune(&self) -> Result<Map<String, Value>, String> {
        let mut tune = Map::new();
        for s in &self.set {
            let (key, value) = s
                .split_once('=')
                .ok_or_else(|| format!("--set {s}: expected DETECTOR.FIELD=VALUE"))?;
            let value = serde_json::from_str(value).unwrap_or_else(|_| Value::String(value.into()));
            match key.split_once('.') {
                None if value.is_boolean() => {
                    tune.insert(key.to_string(), value);
                }
                None => return Err(format!("--set {s}: a detector alone takes true or false")),
                Some((det, field)) if !det.is_empty() && !field.is_empty() => {
                    let entry = tune
                        .entry(det.to_string())
                        .or_insert_with(|| Value::Object(Map::new()));
                    if !entry.is_object() {
                        *entry = Value::Object(Map::new());
                    }
                    entry
                        .as_object_mut()
                        .expect("an object")
                        .insert(field.to_string(), value);
                }
                Some(_) => return Err(format!("--set {s}: expected DETECTOR.FIELD=VALUE")),
            }
        }
        Ok(tune)
    }
}

fn parse_size(v: &str) -> Result<(u32, u32), String> {
    let (w, h) = v
        .split_once(['x', 'X'])
        .ok_or("expected WxH, e.g. 640x360")?;
    let w: u32 = w.parse().map_err(|_| "bad width")?;
    let h: u32 = h.parse().map_err(|_| "bad height")?;
    if w == 0 || h == 0 {
        return Err("width and height must be > 0".into());
    }
    Ok((w, h))
}

fn parse_tracks(v: &str) -> Result<StreamSelection, String> {
    match v {
        "all" => Ok(StreamSelection::All),
        "best" => Ok(StreamSelection::Best),
        list => list
            .split(',')
            .map(|i| i.trim().parse::<usize>())
            .collect::<Result<Vec<_>, _>>()
            .map(StreamSelection::Indices)
            .map_err(|_| "expected all, best or stream indices such as 0,2".into()),
    }
}

fn parse_secs(v: &str) -> Result<f64, String> {
    match v.parse::<f64>() {
        Ok(s) if s.is_finite() && s >= 0.0 => Ok(s),
        _ => Err("expected seconds >= 0".into()),
    }
}

/// `--list`: one line per type: name, on/off by default, what it reports.
pub fn list(registry: &Registry) -> String {
    let width = registry.types().map(str::len).max().unwrap_or(0);
    let mut out = String::new();
    for t in registry.types() {
        let on = if registry.on_by_default(t) == Some(true) {
            "on "
        } else {
            "off"
        };
        let summary = registry.summary(t).unwrap_or("");
        out.push_str(&format!("{t:width$}  {on}  {summary}\n"));
    }
    out
}
