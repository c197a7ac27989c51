//! `scte35`: the SCTE-35 cues of an MPEG-TS input as `cue` events, and their checks: a cue
//! that arrives after its splice time (`cue_late`), a break that goes out of the network
//! without coming back in after its duration plus a margin (`cue_no_return`; not for a
//! `splice_insert` with `auto_return`, whose splicer comes back by itself), and cue
//! sections that cannot be read (`cue_error`: CRC error, malformed).
//!
//! The cues come from the decoder's transport tap (see [`transport`](crate::transport)):
//! MPEG-TS inputs read through it (files, URLs, readers, pushed bytes) have them.

use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::detect::check::ConfigCheck;
use crate::detect::{Detector, DetectorConfig, Events, Wants};
use crate::error::Result;
use crate::event::{CueEvent, Details};
use crate::media::{Media, MediaTime, Needs, NoticeKind, SpliceCommand, SpliceCue};

/// Configuration of the [`Scte35`] detector (type `"scte35"`).
///
/// ```
/// use avqc::{DetectorConfig, detect::Scte35Config};
/// let c: Scte35Config = serde_json::from_str(r#"{"return_margin": 2}"#).unwrap();
/// assert_eq!(c.late_tolerance, 0.0);
/// assert!(Scte35Config { return_margin: -1.0, ..Default::default() }.build("scte35").is_err());
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Scte35Config {
    /// Seconds after an out cue's splice time plus its duration by which the matching in cue
    /// (same event id, or any in cue for a `time_signal`) must have arrived; later it is
    /// `cue_no_return`. Default `5.0`: splicers act on the in cue at once, and an in cue is
    /// normally sent seconds before its splice time.
    pub return_margin: f64,
    /// Seconds a cue may arrive after its splice time before it is `cue_late`. Default `0.0`
    /// (SCTE 67 asks for at least 4 s of preroll: any cue after its time is too late for a
    /// splicer).
    pub late_tolerance: f64,
}

impl Default for Scte35Config {
    fn default() -> Self {
        Scte35Config {
            return_margin: 5.0,
            late_tolerance: 0.0,
        }
    }
}

impl DetectorConfig for Scte35Config {
    const TYPE: &'static str = "scte35";
    // On: quiet unless the input carries cues, and cheap (a few cues a minute).
    const ON_BY_DEFAULT: bool = true;

    fn build(&self, name: &str) -> Result<Box<dyn Detector>> {
        let c = ConfigCheck::new(Self::TYPE, name);
        c.seconds("return_margin", self.return_margin)?;
        c.seconds("late_tolerance", self.late_tolerance)?;
        Ok(Box::new(Scte35::new(name, self.clone())))
    }
}

/// A break that went out and must come back in.
#[derive(Clone, Copy, Debug)]
struct Pending {
    event_id: Option<u32>,
    command: SpliceCommand,
    /// When the in cue is due at the latest.
    deadline: MediaTime,
    out_at: MediaTime,
}

/// Reports SCTE-35 cues and checks them. Built from a [`Scte35Config`].
pub struct Scte35 {
    name: String,
    cfg: Scte35Config,
    pending: Vec<Pending>,
}

impl Scte35 {
    /// A detector named `name`. Prefer [`Scte35Config::build`], which checks the values.
    pub fn new(name: &str, cfg: Scte35Config) -> Self {
        Scte35 {
            name: name.to_string(),
            cfg,
            pending: Vec::new(),
        }
    }

    fn cue(
        &mut self,
        cue: &SpliceCue,
        splice_at: Option<MediaTime>,
        at: MediaTime,
        out: &mut Events,
    ) {
        let mut details = Details::new();
        if let Some(t) = cue.segmentation_type_id {
            details.insert("segmentation_type_id".into(), json!(t));
        }
        details.insert("cancel".into(), json!(cue.cancel));
        details.insert("immediate".into(), json!(cue.immediate));
        details.insert("pts_adjustment".into(), json!(cue.pts_adjustment));
        if cue.command == SpliceCommand::SpliceInsert && cue.duration_secs.is_some() {
            details.insert("auto_return".into(), json!(cue.auto_return));
        }
        if let Some(p) = cue.splice_pts {
            details.insert("splice_pts".into(), json!(p));
        }
        out.cue(CueEvent {
            stream: "".into(),
            detector: "".into(),
            at,
            splice_at,
            command: cue.command,
            event_id: cue.event_id,
            out_of_network: cue.out_of_network,
            duration: cue.duration_secs,
            pid: cue.pid,
            details,
        });
        let splices = matches!(
            cue.command,
            SpliceCommand::SpliceInsert | SpliceCommand::TimeSignal
        );
        if !splices {
            return;
        }
        let same = |p: &Pending| {
            p.command == cue.command
                && (cue.command == SpliceCommand::TimeSignal || p.event_id == cue.event_id)
        };
        if cue.cancel {
            self.pending.retain(|p| !same(p));
            return;
        }
        if let Some(s) = splice_at.filter(|_| !cue.immediate) {
            let late = at.secs_since(s);
            if late > self.cfg.late_tolerance {
                let msg = format!(
                    "SCTE-35 {} (event {}) arrived {late:.3} s after its splice time {:.3} s",
                    cue.command.name(),
                    fmt_id(cue.event_id),
                    s.as_secs_f64()
                );
                out.notice("cue_late", msg, at);
            }
        }
        match cue.out_of_network {
            // With auto_return the splicer comes back by itself: no in cue is due.
            Some(true) if cue.auto_return => self.pending.retain(|p| !same(p)),
            Some(true) => {
                if let Some(d) = cue.duration_secs {
                    let from = splice_at.filter(|_| !cue.immediate).unwrap_or(at);
                    self.pending.retain(|p| !same(p));
                    self.pending.push(Pending {
                        event_id: cue.event_id,
                        command: cue.command,
                        deadline: from.add_secs(d + self.cfg.return_margin),
                        out_at: from,
                    });
                }
            }
            Some(false) => self.pending.retain(|p| !same(p)),
            None => {}
        }
    }

    /// Media time reached `now`: breaks overdue are reported (once).
    fn advance(&mut self, now: MediaTime, out: &mut Events) {
        self.pending.retain(|p| {
            if now < p.deadline {
                return true;
            }
            let msg = format!(
                "SCTE-35 {} out (event {}) at {:.3} s: no in cue by {:.3} s (its duration plus {} s)",
                p.command.name(),
                fmt_id(p.event_id),
                p.out_at.as_secs_f64(),
                p.deadline.as_secs_f64(),
                self.cfg.return_margin
            );
            out.notice("cue_no_return", msg, p.deadline);
            false
        });
    }
}

fn fmt_id(id: Option<u32>) -> String {
    id.map_or_else(|| "-".into(), |i| i.to_string())
}

impl Detector for Scte35 {
    fn name(&self) -> &str {
        &self.name
    }

    fn wants(&self) -> Wants {
        // pictures and sound only move the clock on (overdue breaks)
        Wants::NOTICES | Wants::VIDEO | Wants::AUDIO
    }

    fn needs(&self) -> Needs {
        // pictures only move its clock on
        Needs::NONE
    }

    fn process(&mut self, media: &Media, out: &mut Events) {
        if let Media::Notice(n) = media {
            match &n.kind {
                NoticeKind::Cue { cue, splice_at } => {
                    self.advance(n.time, out);
                    self.cue(cue, *splice_at, n.time, out);
                }
                NoticeKind::CueError { pid, message } => {
                    let msg = format!("SCTE-35 section on PID {pid}: {message}");
                    out.notice("cue_error", msg, n.time);
                }
                _ => {}
            }
            return;
        }
        self.advance(media.time(), out);
    }

    fn finish(&mut self, at: MediaTime, out: &mut Events) {
        self.advance(at, out);
    }
}
