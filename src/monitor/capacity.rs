//! What the monitor's streams cost and what the machine gives it: the per-stream cost
//! estimate (CPU seconds per media second, smoothed), the cost per profile, the budget (cores
//! times the target utilisation, less what other processes take) and the admission arithmetic
//! of [`Monitor::try_add`](super::Monitor::try_add).

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use serde::Serialize;

/// Media seconds over which a stream's cost is smoothed (the time constant of its moving
/// average).
const TAU_SECS: f64 = 4.0;
/// Media seconds a stream must have run (after its first item) before its first sample.
const FIRST_SAMPLE_SECS: f64 = 2.0;
/// Media seconds between later samples.
const SAMPLE_SECS: f64 = 1.0;
/// What a stream at the reduced level is assumed to cost, as a share of its full cost, until
/// it was measured at that level.
pub(crate) const REDUCED_GUESS: f64 = 0.6;
/// A stream of unknown cost that has not delivered anything after this long counts as free
/// (an input that never starts must not block admission forever).
const PROBE_GIVE_UP: Duration = Duration::from_secs(10);

/// The monitor's capacity now (see [`Monitor::capacity`](super::Monitor::capacity)): its CPU
/// budget, what its streams need to keep up with real time, what is left, and per profile
/// what a stream costs and how many more fit.
///
/// All figures are in cores (CPU seconds per wall second); a stream's cost is the CPU time its
/// decoding and detectors take per second of media, measured on the threads that do the work.
///
/// ```
/// use avqc::monitor::{Monitor, MonitorConfig, StreamSpec};
/// use avqc::{FrameSource, Media, MediaTime, PixelFormat, StreamInfo, VideoFrame};
/// use avqc::sink::Collect;
/// let config = MonitorConfig { cores: 1.0, measure_other_load: false, ..MonitorConfig::default() };
/// let monitor = Monitor::builder().config(config).sink(Collect::new()).build()?;
/// let frames = (0..250).map(|i| Media::Video(VideoFrame::filled(
///     64, 36, PixelFormat::Yuv420p, MediaTime::from_secs_f64(i as f64 / 25.0), [120, 128, 128])));
/// let src = FrameSource::new("cam1", vec![StreamInfo::video(0, "raw", 64, 36, None)], frames);
/// monitor.add(StreamSpec::decoder("cam1", src).paced(true).profile("tiny").expected_cost(0.1))?;
/// let c = monitor.capacity();
/// assert!((c.budget_cores - 0.8).abs() < 1e-9);
/// assert!((c.used_cores - 0.1).abs() < 1e-9); // counted at its estimate until measured
/// assert_eq!(c.streams, 1);
/// # Ok::<(), avqc::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Serialize)]
#[non_exhaustive]
pub struct Capacity {
    /// Cores the monitor may use: [`MonitorConfig::cores`](super::MonitorConfig::cores) (or
    /// the cores it has) less what other processes take, times the target utilisation.
    pub budget_cores: f64,
    /// Cores the running streams need to keep up: each measured stream at its cost, each one
    /// not measured yet at the estimate it was admitted with.
    pub used_cores: f64,
    /// `budget_cores - used_cores` (negative when over budget).
    pub headroom_cores: f64,
    /// Cores other processes of the machine take (measured from `/proc/stat` on Linux when
    /// [`MonitorConfig::measure_other_load`](super::MonitorConfig::measure_other_load) is on;
    /// 0 otherwise): a rise is followed within seconds, a fall over about 20 s (a neighbour
    /// that works in bursts counts at its bursts).
    pub other_cores: f64,
    /// Streams running (not ended, not handed back).
    pub streams: usize,
    /// [`MonitorConfig::max_streams`](super::MonitorConfig::max_streams) (0 = no cap).
    pub max_streams: usize,
    /// Per profile (by name), the profiles met so far.
    pub profiles: Vec<ProfileCapacity>,
}

/// One profile's figures in a [`Capacity`].
///
/// ```
/// use avqc::monitor::Monitor;
/// use avqc::sink::Collect;
/// let monitor = Monitor::builder().sink(Collect::new()).build()?;
/// for p in &monitor.capacity().profiles {
///     println!("{}: {:.2} cores a stream, {} running, {} more fit", p.name, p.cost_cores, p.streams, p.fits);
/// }
/// # Ok::<(), avqc::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Serialize)]
#[non_exhaustive]
pub struct ProfileCapacity {
    /// The profile's name ([`StreamSpec::profile`](super::StreamSpec::profile), or derived
    /// from the input: `"1280x720-h264"`, `"audio-aac"`).
    pub name: String,
    /// What one stream of the profile costs at full analysis, in cores: the mean over its
    /// measured running streams (or the last known mean when none runs).
    pub cost_cores: f64,
    /// Streams of the profile running now.
    pub streams: usize,
    /// Streams of the profile that still fit in the headroom (and under `max_streams`).
    pub fits: usize,
    /// Of `streams`, those whose cost was measured already.
    pub measured: usize,
}

impl Capacity {
    /// How many more streams of `profile` fit: by its cost when known, else at the mean cost
    /// of the known profiles; 0 when nothing was measured yet or the monitor is full.
    ///
    /// ```
    /// use avqc::monitor::Monitor;
    /// use avqc::sink::Collect;
    /// let monitor = Monitor::builder().sink(Collect::new()).build()?;
    /// assert_eq!(monitor.capacity().fits("1280x720-h264"), 0); // nothing measured yet
    /// # Ok::<(), avqc::Error>(())
    /// ```
    pub fn fits(&self, profile: &str) -> usize {
        if let Some(p) = self.profile(profile) {
            return p.fits;
        }
        let known: Vec<f64> = self.profiles.iter().map(|p| p.cost_cores).collect();
        if known.is_empty() {
            return 0;
        }
        let mean = known.iter().sum::<f64>() / known.len() as f64;
        fits_in(self.headroom_cores, mean, self.slots_left())
    }

    /// The figures of one profile, if it was met.
    pub fn profile(&self, name: &str) -> Option<&ProfileCapacity> {
        self.profiles.iter().find(|p| p.name == name)
    }

    /// Streams that `max_streams` still allows (`usize::MAX` without a cap).
    fn slots_left(&self) -> usize {
        slots_left(self.max_streams, self.streams)
    }
}

fn slots_left(max_streams: usize, running: usize) -> usize {
    match max_streams {
        0 => usize::MAX,
        m => m.saturating_sub(running),
    }
}

/// Streams of cost `cost` that fit in `headroom`, at most `slots`.
pub(crate) fn fits_in(headroom: f64, cost: f64, slots: usize) -> usize {
    if headroom <= 0.0 {
        return 0;
    }
    if cost.is_nan() || cost <= 0.0 {
        return slots; // free (or unknown as free): only the cap counts
    }
    // A hair of tolerance: 1.2 / 0.4 is 2.9999999999999996 in floating point.
    let n = (headroom / cost + 1e-9).floor();
    (n as usize).min(slots)
}

/// A moving average over media time.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub(crate) struct Ewma(pub(crate) Option<f64>);

impl Ewma {
    /// Adds a sample that covers `secs` of media.
    pub(crate) fn add(&mut self, sample: f64, secs: f64) {
        self.0 = Some(match self.0 {
            None => sample,
            Some(v) => {
                let a = 1.0 - (-secs / TAU_SECS).exp();
                v + a * (sample - v)
            }
        });
    }
}

/// What the monitor knows of one stream's cost (updated once a second by the controller).
#[derive(Debug)]
pub(crate) struct CostCell {
    /// The profile: named by the host, or derived once the input is open.
    pub(crate) profile: Option<String>,
    /// The host's priority (higher = more important).
    pub(crate) priority: u8,
    /// Cores the stream was admitted at (host's `expected_cost`, its profile's cost or the
    /// mean); `None`: unknown (a probe).
    pub(crate) estimate: Option<f64>,
    /// Measured cost per degradation level (0 full, 1 reduced).
    pub(crate) cost: [Ewma; 2],
    /// CPU ns and media seconds at the start of the current sample.
    base: Option<(u64, f64)>,
    /// Whether the next sample is the first at this level.
    first: bool,
    /// When it was added.
    pub(crate) added: Instant,
    /// The lag at the controller's previous look.
    pub(crate) prev_lag: f64,
}

impl CostCell {
    pub(crate) fn new(profile: Option<String>, priority: u8, estimate: Option<f64>) -> Self {
        CostCell {
            profile,
            priority,
            estimate,
            cost: [Ewma::default(); 2],
            base: None,
            first: true,
            added: Instant::now(),
            prev_lag: 0.0,
        }
    }

    /// Takes the CPU time spent so far (`cpu_ns`) at media second `media`, at `level`.
    pub(crate) fn observe(&mut self, cpu_ns: u64, media: f64, level: u8) {
        let Some((cpu0, media0)) = self.base else {
            if media > 0.0 {
                // The first item: what opening the input cost is not a per-second cost.
                self.base = Some((cpu_ns, media));
            }
            return;
        };
        let secs = media - media0;
        if secs < 0.0 {
            self.base = Some((cpu_ns, media)); // the timeline jumped back
            return;
        }
        let need = if self.first {
            FIRST_SAMPLE_SECS
        } else {
            SAMPLE_SECS
        };
        if secs < need {
            return;
        }
        let sample = cpu_ns.saturating_sub(cpu0) as f64 / 1e9 / secs;
        if let Some(e) = self.cost.get_mut(usize::from(level)) {
            e.add(sample, secs);
        }
        self.first = false;
        self.base = Some((cpu_ns, media));
    }

    /// The level changed: the next sample starts afresh (and belongs to the new level).
    pub(crate) fn restart(&mut self) {
        self.base = None;
        self.first = true;
    }

    /// The measured full cost, if any.
    pub(crate) fn full_cost(&self) -> Option<f64> {
        self.cost[0].0
    }

    /// Cores the stream needs at `level` (0 when handed back); `None` while a probe of
    /// unknown cost.
    pub(crate) fn demand(&self, level: u8, now: Instant) -> Option<f64> {
        let full = self.cost[0].0.or(self.estimate);
        let d = match level {
            0 => full,
            1 => self.cost[1].0.or(full.map(|c| c * REDUCED_GUESS)),
            _ => Some(0.0),
        };
        match d {
            None if now.duration_since(self.added) > PROBE_GIVE_UP && self.base.is_none() => {
                Some(0.0)
            }
            d => d,
        }
    }
}

/// Why [`admit`] refuses.
#[derive(Debug, PartialEq)]
pub(crate) enum Refusal {
    /// `max_streams` reached.
    Full(usize),
    /// The stream needs more than is left.
    Cores { need: f64, left: f64 },
    /// A stream of unknown cost is being measured.
    Measuring,
    /// Nothing is left (and the new stream's cost is unknown).
    NoHeadroom { left: f64 },
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Refusal::Full(m) => write!(f, "the monitor runs its maximum of {m} streams"),
            Refusal::Cores { need, left } => {
                write!(f, "needs {need:.2} cores, {:.2} left", left.max(0.0))
            }
            Refusal::Measuring => {
                f.write_str("the cost of a new stream is being measured; retry in a few seconds")
            }
            Refusal::NoHeadroom { left } => {
                write!(f, "no cores left ({left:.2}) and its cost is unknown")
            }
        }
    }
}

/// What the monitor's running streams add up to, for [`admit`].
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub(crate) struct Load {
    /// Cores the streams of known cost need.
    pub(crate) used: f64,
    /// Streams running.
    pub(crate) running: usize,
    /// Streams of unknown cost (probes).
    pub(crate) probing: usize,
}

/// Whether a stream of `estimate` cores (None: unknown) fits: the cores it is counted at.
/// A stream of unknown cost is admitted alone (no other probe running) when there is any
/// headroom, so the first stream of a fresh monitor gets measured.
pub(crate) fn admit(
    budget: f64,
    load: Load,
    estimate: Option<f64>,
    max_streams: usize,
) -> Result<Option<f64>, Refusal> {
    if max_streams > 0 && load.running >= max_streams {
        return Err(Refusal::Full(max_streams));
    }
    let left = budget - load.used;
    if load.probing > 0 {
        return Err(Refusal::Measuring);
    }
    match estimate {
        Some(need) if need > left => Err(Refusal::Cores { need, left }),
        Some(need) => Ok(Some(need)),
        None if left > 0.0 => Ok(None),
        None => Err(Refusal::NoHeadroom { left }),
    }
}

/// The machine's side: cores, target utilisation, and what other processes take.
pub(crate) struct Machine {
    /// Cores the monitor may use.
    pub(crate) cores: f64,
    target: f64,
    measure_others: bool,
    /// Cores other processes take, smoothed.
    pub(crate) others: f64,
    last: Option<Sample>,
    /// Whether `others` holds a measurement yet (the first one is taken as it is).
    measured: bool,
}

/// One reading of `/proc/stat` and of our own CPU time.
#[derive(Clone, Copy)]
struct Sample {
    at: Instant,
    busy: u64,
    total: u64,
    cpus: usize,
    ours_ns: u64,
}

impl Machine {
    /// The machine's side; its first reading of the load is taken now.
    pub(crate) fn new(cores: f64, target: f64, measure_others: bool) -> Self {
        let mut m = Machine {
            cores,
            target,
            measure_others,
            others: 0.0,
            last: None,
            measured: false,
        };
        m.sample(Instant::now());
        m
    }

    /// The budget in cores.
    pub(crate) fn budget(&self) -> f64 {
        budget(self.cores, self.host_cpus(), self.others, self.target)
    }

    fn host_cpus(&self) -> f64 {
        self.last.map_or(f64::INFINITY, |s| s.cpus as f64)
    }

    /// Reads the machine's load (about once a second; a no-op off Linux or when off).
    pub(crate) fn sample(&mut self, now: Instant) {
        if !self.measure_others {
            return;
        }
        let (Some((busy, total, cpus)), Some(ours_ns)) = (proc_stat(), crate::cpu::process_ns())
        else {
            return;
        };
        let s = Sample {
            at: now,
            busy,
            total,
            cpus,
            ours_ns,
        };
        if let Some(p) = self.last {
            let wall = now.duration_since(p.at).as_secs_f64();
            let ticks = s.total.saturating_sub(p.total);
            if wall > 0.2 && ticks > 0 {
                let busy_cores = s.busy.saturating_sub(p.busy) as f64 / ticks as f64 * cpus as f64;
                let ours = s.ours_ns.saturating_sub(p.ours_ns) as f64 / 1e9 / wall;
                let others = (busy_cores - ours).max(0.0);
                self.others = follow(self.others, others, wall, self.measured);
                self.measured = true;
            } else {
                return; // too soon: keep the older reading as the base
            }
        }
        self.last = Some(s);
    }
}

/// Seconds over which a rise of the other processes' load is followed.
const OTHERS_UP_SECS: f64 = 1.5;
/// Seconds over which a fall is followed: a neighbour that works in bursts is counted at its
/// bursts, so streams are neither admitted nor restored into the gaps between them.
const OTHERS_DOWN_SECS: f64 = 20.0;

/// The smoothed load of the other processes after a reading of `now` over `secs`.
fn follow(smoothed: f64, now: f64, secs: f64, measured: bool) -> f64 {
    if !measured {
        return now;
    }
    let tau = if now > smoothed {
        OTHERS_UP_SECS
    } else {
        OTHERS_DOWN_SECS
    };
    smoothed + (1.0 - (-secs / tau).exp()) * (now - smoothed)
}

/// The budget: the cores we may use, capped by what the others leave of the host, times the
/// target utilisation.
pub(crate) fn budget(cores: f64, host_cpus: f64, others: f64, target: f64) -> f64 {
    (cores.min(host_cpus - others) * target).max(0.0)
}

/// Busy and total jiffies of every CPU, and the CPU count, from `/proc/stat`.
fn proc_stat() -> Option<(u64, u64, usize)> {
    let text = std::fs::read_to_string("/proc/stat").ok()?;
    parse_proc_stat(&text)
}

fn parse_proc_stat(text: &str) -> Option<(u64, u64, usize)> {
    let mut lines = text.lines();
    let first = lines.next()?;
    let mut it = first.split_whitespace();
    if it.next()? != "cpu" {
        return None;
    }
    let v: Vec<u64> = it.filter_map(|x| x.parse().ok()).collect();
    if v.len() < 4 {
        return None;
    }
    // user nice system idle iowait irq softirq steal (guest is inside user)
    let total: u64 = v.iter().take(8).sum();
    let idle = v[3] + v.get(4).copied().unwrap_or(0);
    let cpus = lines
        .take_while(|l| l.starts_with("cpu"))
        .filter(|l| l.as_bytes().get(3).is_some_and(u8::is_ascii_digit))
        .count();
    Some((total - idle, total, cpus.max(1)))
}

/// Per profile: cost, running streams, measured ones.
pub(crate) fn profile_table(
    known: &BTreeMap<String, f64>,
    running: &[(Option<&str>, bool)],
    headroom: f64,
    slots: usize,
) -> Vec<ProfileCapacity> {
    known
        .iter()
        .map(|(name, &cost)| {
            let mine = running.iter().filter(|r| r.0 == Some(name.as_str()));
            ProfileCapacity {
                name: name.clone(),
                cost_cores: cost,
                streams: mine.clone().count(),
                fits: fits_in(headroom, cost, slots),
                measured: mine.filter(|r| r.1).count(),
            }
        })
        .collect()
}

/// Streams `max_streams` still allows.
pub(crate) fn slots(max_streams: usize, running: usize) -> usize {
    slots_left(max_streams, running)
}

#[cfg(test)]
#[path = "capacity_tests.rs"]
mod tests;
