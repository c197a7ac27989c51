//! The capacity controller: once a second (on the sink thread) it measures each stream's cost
//! and the machine's budget, and — when [`MonitorConfig::degrade`](super::MonitorConfig::degrade)
//! allows — degrades the least important streams while the monitor is over its budget, and
//! restores them when the headroom is back.
//!
//! The policy, in order of [`StreamSpec::priority`](super::StreamSpec::priority) (lowest
//! first; ties by lowest level, then id):
//! 1. **Reduced** (level 1): the decoder skips non-reference pictures, detectors that need
//!    every picture (freeze, frame timing, blockiness, ...) are suspended (each gets a
//!    discontinuity when suspended and when resumed, so no gap reads as a defect), and the
//!    level-only detectors see one picture in four of what is left. Sound is analysed in full.
//! 2. **Handed back** (level 2, only with [`DegradePolicy::Shed`]): the stream is stopped and
//!    ends with [`Ending::Shed`](crate::pipeline::Ending::Shed) and its reason, so a fleet can
//!    give it to an instance with room. A stream handed back does not come back by itself.
//!
//! A step is taken when the streams need more than the budget (as many steps at once as the
//! estimated savings require, then 3 s to let the measurements settle), or when a stream
//! falls further behind real time (one step). Reduced streams are restored (highest
//! priority first, as many as fit, then 5 s of calm before the next round) when no stream is
//! lagging and the monitor would stay under 85 % of its budget with them restored.

use std::collections::BTreeMap;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use super::capacity::{self, Capacity, Load, Machine};
use super::health::StreamState;
use super::load::{FULL, REDUCED, SHED};
use super::stream::Stream;
use super::{MonitorConfig, Shared};
use crate::detect::Events;
use crate::event::Event;
use crate::media::{MediaTime, StreamInfo};

/// Seconds between degradation steps.
const STEP_PAUSE: Duration = Duration::from_secs(3);
/// Seconds of calm before a restore.
const RESTORE_PAUSE: Duration = Duration::from_secs(5);
/// A restore must leave the monitor under this share of its budget.
const RESTORE_MARGIN: f64 = 0.85;

/// What the monitor does when its streams need more CPU than its budget
/// ([`MonitorConfig::degrade`](super::MonitorConfig::degrade)); see
/// [`Monitor::capacity`](super::Monitor::capacity) for the budget.
///
/// ```
/// use avqc::monitor::{DegradePolicy, MonitorConfig};
/// let c: MonitorConfig = serde_json::from_str(r#"{"degrade": "shed"}"#).unwrap();
/// assert_eq!(c.degrade, DegradePolicy::Shed);
/// assert_eq!(MonitorConfig::default().degrade, DegradePolicy::Off);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum DegradePolicy {
    /// Nothing: every stream is analysed in full and falls behind together (the default, as
    /// a degraded stream is analysed less).
    #[default]
    Off,
    /// Reduce the analysis of the least important streams (cheaper decoding, detectors that
    /// need every picture suspended), and restore it when the headroom is back.
    Reduce,
    /// Reduce, and if that is not enough, hand the least important streams back: stop them,
    /// ending with [`Ending::Shed`](crate::pipeline::Ending::Shed).
    Shed,
}

impl DegradePolicy {
    fn max_level(self) -> u8 {
        match self {
            DegradePolicy::Off => FULL,
            DegradePolicy::Reduce => REDUCED,
            DegradePolicy::Shed => SHED,
        }
    }
}

/// The controller's state, shared with [`Monitor::try_add`](super::Monitor::try_add).
pub(crate) struct CapState {
    pub(crate) machine: Machine,
    /// The last known full cost per profile.
    pub(crate) profiles: BTreeMap<String, f64>,
    /// The mean full cost of the measured running streams (else of the known profiles), as
    /// of the last tick.
    mean: Option<f64>,
    next_step: Option<Instant>,
    last_change: Option<Instant>,
}

impl CapState {
    pub(crate) fn new(cfg: &MonitorConfig) -> Self {
        CapState {
            machine: Machine::new(
                cfg.core_count(),
                cfg.target_utilisation,
                cfg.measure_other_load,
            ),
            profiles: BTreeMap::new(),
            mean: None,
            next_step: None,
            last_change: None,
        }
    }
}

/// A profile name from the input's streams: `"1280x720-h264"` from the first picture stream,
/// `"audio-aac"` without one.
pub(crate) fn derive_profile(streams: &[StreamInfo]) -> String {
    let video = streams
        .iter()
        .find(|s| s.kind == crate::media::MediaKind::Video);
    match (video, streams.first()) {
        (Some(v), _) => format!(
            "{}x{}-{}",
            v.width.unwrap_or(0),
            v.height.unwrap_or(0),
            v.codec
        ),
        (None, Some(a)) => format!("audio-{}", a.codec),
        (None, None) => "default".to_string(),
    }
}

/// One stream as the controller sees it at a tick.
struct View {
    stream: Arc<Stream>,
    running: bool,
    level: u8,
    priority: u8,
    demand: Option<f64>,
    full: Option<f64>,
    lag: f64,
    lagging: bool,
    /// Its lag grew since the previous tick.
    falling_behind: bool,
    media: MediaTime,
    profile: Option<String>,
}

fn views(shared: &Shared, now: Instant, sample: bool) -> Vec<View> {
    shared
        .streams()
        .into_iter()
        .map(|s| {
            let (state, media, lag, lagging) = {
                let h = s.health();
                (h.state, h.media, h.lag, h.lagging)
            };
            let level = s.load.level.load(Ordering::Acquire);
            let running =
                !matches!(state, StreamState::Ended | StreamState::Failed) && level < SHED;
            let mut cell = s.load.cell();
            if sample {
                if cell.profile.is_none() {
                    if let Some(streams) = s.tracks.streams() {
                        cell.profile = Some(derive_profile(streams));
                    }
                }
                let cpu = s.load.cpu_ns.load(Ordering::Relaxed);
                cell.observe(cpu, media.as_secs_f64(), level);
            }
            let falling_behind = lagging && lag > cell.prev_lag + 0.1;
            if sample {
                cell.prev_lag = lag;
            }
            let v = View {
                running,
                level,
                priority: cell.priority,
                demand: if running {
                    cell.demand(level, now)
                } else {
                    Some(0.0)
                },
                full: cell.full_cost(),
                lag,
                lagging,
                falling_behind,
                media,
                profile: cell.profile.clone(),
                stream: s.clone(),
            };
            drop(cell);
            if sample {
                let mut h = s.health();
                h.load.level = level;
                h.load.cost = v.demand;
                h.load.profile.clone_from(&v.profile);
            }
            v
        })
        .collect()
}

fn load_of(views: &[View]) -> Load {
    let mut load = Load::default();
    for v in views.iter().filter(|v| v.running) {
        load.running += 1;
        match v.demand {
            Some(d) => load.used += d,
            None => load.probing += 1,
        }
    }
    load
}

/// The mean full cost of the measured running streams, else of the known profiles.
fn mean_cost(views: &[View], profiles: &BTreeMap<String, f64>) -> Option<f64> {
    let measured: Vec<f64> = views
        .iter()
        .filter(|v| v.running)
        .filter_map(|v| v.full)
        .collect();
    let pool: Vec<f64> = if measured.is_empty() {
        profiles.values().copied().collect()
    } else {
        measured
    };
    (!pool.is_empty()).then(|| pool.iter().sum::<f64>() / pool.len() as f64)
}

/// What a new stream is counted at: the host's expectation, its profile's cost, or the mean.
pub(crate) fn estimate(
    cap: &CapState,
    expected: Option<f64>,
    profile: Option<&str>,
) -> Option<f64> {
    expected
        .or_else(|| profile.and_then(|p| cap.profiles.get(p).copied()))
        .or(cap.mean)
}

/// The running streams' load now (for admission): no allocation per stream.
pub(crate) fn load(shared: &Shared) -> Load {
    let now = Instant::now();
    let mut load = Load::default();
    for s in shared.streams() {
        let state = s.health().state;
        let level = s.load.level.load(Ordering::Acquire);
        if matches!(state, StreamState::Ended | StreamState::Failed) || level >= SHED {
            continue;
        }
        load.running += 1;
        match s.load.cell().demand(level, now) {
            Some(d) => load.used += d,
            None => load.probing += 1,
        }
    }
    load
}

/// The capacity figures now.
pub(crate) fn capacity(shared: &Shared, cap: &CapState) -> Capacity {
    let views = views(shared, Instant::now(), false);
    figures(&views, cap, shared.cfg.max_streams)
}

fn figures(views: &[View], cap: &CapState, max_streams: usize) -> Capacity {
    let load = load_of(views);
    let budget = cap.machine.budget();
    let headroom = budget - load.used;
    let running: Vec<(Option<&str>, bool)> = views
        .iter()
        .filter(|v| v.running)
        .map(|v| (v.profile.as_deref(), v.full.is_some()))
        .collect();
    Capacity {
        budget_cores: budget,
        used_cores: load.used,
        headroom_cores: headroom,
        other_cores: cap.machine.others,
        streams: load.running,
        max_streams,
        profiles: capacity::profile_table(
            &cap.profiles,
            &running,
            headroom,
            capacity::slots(max_streams, load.running),
        ),
    }
}

/// The controller's tick (about once a second, on the sink thread): measures, then degrades
/// or restores; its notices go to `emit`.
pub(crate) fn tick(shared: &Shared, now: Instant, emit: &mut dyn FnMut(Event)) {
    let mut cap = shared.cap.lock().unwrap_or_else(|p| p.into_inner());
    cap.machine.sample(now);
    let views = views(shared, now, true);
    // The profiles' costs: the mean over their measured running streams.
    let mut sums: BTreeMap<&str, (f64, usize)> = BTreeMap::new();
    for v in views.iter().filter(|v| v.running) {
        if let (Some(p), Some(c)) = (v.profile.as_deref(), v.full) {
            let e = sums.entry(p).or_default();
            e.0 += c;
            e.1 += 1;
        }
    }
    for (p, (sum, n)) in sums {
        cap.profiles.insert(p.to_string(), sum / n as f64);
    }
    cap.mean = mean_cost(&views, &cap.profiles);
    let policy = shared.cfg.degrade;
    if policy == DegradePolicy::Off {
        return;
    }
    let load = load_of(&views);
    let budget = cap.machine.budget();
    let over = load.used - budget;
    let behind = views.iter().find(|v| v.running && v.falling_behind);
    let may_step = cap.next_step.is_none_or(|t| now >= t);
    if (over > 0.0 || behind.is_some()) && may_step {
        let reason = if over > 0.0 {
            format!(
                "over budget: the streams need {:.2} cores, {budget:.2} available",
                load.used
            )
        } else {
            let v = behind.map_or(&views[0], |v| v);
            format!("stream `{}` falls behind ({:.1} s)", v.stream.id, v.lag)
        };
        let mut order: Vec<&View> = views
            .iter()
            .filter(|v| v.running && v.level < policy.max_level())
            .collect();
        order.sort_by(|a, b| {
            (a.priority, a.level, &a.stream.id).cmp(&(b.priority, b.level, &b.stream.id))
        });
        let mut excess = over;
        for v in order {
            let saving = step_saving(v);
            set_level(shared, v, v.level + 1, &reason, emit);
            excess -= saving;
            if excess <= 0.0 {
                break; // (a lag-driven step is one step: excess starts at or below 0)
            }
        }
        cap.next_step = Some(now + STEP_PAUSE);
        cap.last_change = Some(now);
        return;
    }
    let calm = cap.last_change.is_none_or(|t| now >= t + RESTORE_PAUSE);
    if !calm || views.iter().any(|v| v.running && v.lagging) {
        return;
    }
    // Restore the most important reduced streams first, as many as stay under the margin.
    let mut reduced: Vec<&View> = views
        .iter()
        .filter(|v| v.running && v.level == REDUCED)
        .collect();
    reduced.sort_by(|a, b| (b.priority, &a.stream.id).cmp(&(a.priority, &b.stream.id)));
    let mut used = load.used;
    for v in reduced {
        let now_cost = v.demand.unwrap_or(0.0);
        let full = v.full.unwrap_or(now_cost / capacity::REDUCED_GUESS);
        let extra = (full - now_cost).max(0.0);
        if used + extra > budget * RESTORE_MARGIN {
            break; // a less important stream does not come back before this one
        }
        let reason = format!(
            "headroom is back: {used:.2} of {budget:.2} cores used, {:.2} with it",
            used + extra
        );
        set_level(shared, v, FULL, &reason, emit);
        used += extra;
        cap.last_change = Some(now);
    }
}

/// Cores a step of `v` to the next level is expected to save.
fn step_saving(v: &View) -> f64 {
    let now = v.demand.unwrap_or(0.0);
    match v.level {
        FULL => now * (1.0 - capacity::REDUCED_GUESS),
        _ => now,
    }
}

fn set_level(shared: &Shared, v: &View, level: u8, reason: &str, emit: &mut dyn FnMut(Event)) {
    let s = &v.stream;
    if level == SHED {
        *s.load.shed_reason.lock().unwrap_or_else(|p| p.into_inner()) = reason.to_string();
    }
    s.load.cell().restart();
    s.load.level.store(level, Ordering::Release);
    s.health().load.level = level;
    let mut out = Events::new(&s.id, "monitor");
    let (name, what) = match level {
        FULL => ("stream_restored", "full analysis"),
        REDUCED => ("stream_degraded", "reduced analysis"),
        _ => ("stream_degraded", "handed back"),
    };
    out.notice(
        name,
        format!("level {level} ({what}): {reason}; priority {}", v.priority),
        v.media,
    );
    for ev in out.drain() {
        emit(ev);
    }
    if level == SHED {
        shared.sched.wake(s); // its task ends it
    }
}
