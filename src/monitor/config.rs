//! The monitor's settings.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

use super::control::DegradePolicy;
use crate::limits::Limits;

/// Settings of a [`Monitor`](super::Monitor), as a serde struct (unknown fields are errors), so
/// an instance can take them from its environment or a config file.
///
/// ```
/// use avqc::monitor::MonitorConfig;
/// let c: MonitorConfig = serde_json::from_str(r#"{"workers": 2, "health_interval_secs": 5}"#).unwrap();
/// assert_eq!(c.workers, 2);
/// assert!(c.validate().is_ok());
/// assert!(serde_json::from_str::<MonitorConfig>(r#"{"wrokers": 2}"#).is_err());
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MonitorConfig {
    /// Worker threads that run every stream's decoding (inline inputs) and detectors; 0 = one
    /// per core. Default 0.
    pub workers: usize,
    /// Items a stream handles before it yields its worker to the next stream. Default 64.
    pub slice_items: usize,
    /// Milliseconds a stream may hold a worker before it yields. Default 10.
    pub slice_ms: u64,
    /// Items a reader thread may read ahead of the analysis (per stream). Default 32.
    pub queue_capacity: usize,
    /// A paced item within this many milliseconds of its due time is analysed now rather than
    /// after another timer wake-up. Default 10.
    pub pacing_slack_ms: u64,
    /// Seconds between health metric events (`stream_fps`, `stream_lag_secs`, ...) for every
    /// stream; 0 = none. Default 10.
    pub health_interval_secs: f64,
    /// A running stream that delivers nothing for this many seconds is `stalled` (and an
    /// `input_stalled` notice is emitted); 0 = never. Default 5.
    pub stall_secs: f64,
    /// Lag behind real time above which a stream is `lagging` (with a `stream_lagging`
    /// notice). Default 1.
    pub lag_warn_secs: f64,
    /// Lag above which a stream with [`OverloadPolicy::DropOldest`](crate::OverloadPolicy::DropOldest)
    /// skips analysis until it catches up. Default 2.
    pub max_lag_secs: f64,
    /// Resource limits applied to every stream (pictures, channels, open defects, queue).
    pub limits: Limits,
    /// Cores the monitor may use for its budget ([`Monitor::capacity`](super::Monitor::capacity));
    /// fractions allowed; 0 = as many as it has workers, at most the machine's cores.
    /// Default 0.
    pub cores: f64,
    /// The share of those cores the streams may need (the margin that keeps every admitted
    /// stream on time when costs vary), in (0, 1]. Default 0.8.
    pub target_utilisation: f64,
    /// Take what other processes use off the budget (measured from `/proc/stat` once a
    /// second on Linux; nothing elsewhere). Default true.
    pub measure_other_load: bool,
    /// The most streams [`Monitor::try_add`](super::Monitor::try_add) admits (running ones
    /// count), whatever the headroom; 0 = no cap. [`Monitor::add`](super::Monitor::add)
    /// ignores it. Default 0.
    pub max_streams: usize,
    /// What to do when the streams need more than the budget (see [`DegradePolicy`]).
    /// Default off.
    pub degrade: DegradePolicy,
}

impl Default for MonitorConfig {
    fn default() -> Self {
        MonitorConfig {
            workers: 0,
            slice_items: 64,
            slice_ms: 10,
            queue_capacity: 32,
            pacing_slack_ms: 10,
            health_interval_secs: 10.0,
            stall_secs: 5.0,
            lag_warn_secs: 1.0,
            max_lag_secs: 2.0,
            limits: Limits::default(),
            cores: 0.0,
            target_utilisation: 0.8,
            measure_other_load: true,
            max_streams: 0,
            degrade: DegradePolicy::Off,
        }
    }
}

impl MonitorConfig {
    /// Checks the ranges; the error names the field.
    pub fn validate(&self) -> Result<()> {
        let bad =
            |field: &str, why: &str| Err(Error::config("monitor", format!("`{field}` {why}")));
        if self.workers > 1024 {
            return bad("workers", "must be at most 1024");
        }
        if self.slice_items == 0 {
            return bad("slice_items", "must be at least 1");
        }
        if self.slice_ms == 0 {
            return bad("slice_ms", "must be at least 1");
        }
        if self.queue_capacity == 0 || self.queue_capacity > self.limits.max_queue {
            return bad(
                "queue_capacity",
                "must be at least 1 and at most `limits.max_queue`",
            );
        }
        if !(self.cores.is_finite() && self.cores >= 0.0) {
            return bad("cores", "must be a finite number >= 0");
        }
        if !(self.target_utilisation > 0.0 && self.target_utilisation <= 1.0) {
            return bad("target_utilisation", "must be in (0, 1]");
        }
        for (field, v) in [
            ("health_interval_secs", self.health_interval_secs),
            ("stall_secs", self.stall_secs),
            ("lag_warn_secs", self.lag_warn_secs),
            ("max_lag_secs", self.max_lag_secs),
        ] {
            if !(v.is_finite() && v >= 0.0) {
                return bad(field, "must be a finite number of seconds >= 0");
            }
        }
        Ok(())
    }

    /// The cores of the budget: `cores`, or when 0 the workers, at most the machine's cores.
    ///
    /// ```
    /// use avqc::monitor::MonitorConfig;
    /// let c = MonitorConfig { workers: 1, ..MonitorConfig::default() };
    /// assert_eq!(c.core_count(), 1.0);
    /// assert_eq!(MonitorConfig { cores: 0.5, ..c }.core_count(), 0.5);
    /// ```
    pub fn core_count(&self) -> f64 {
        if self.cores > 0.0 {
            return self.cores;
        }
        let machine = std::thread::available_parallelism().map_or(2, |n| n.get());
        self.worker_count().min(machine) as f64
    }

    /// The worker count to use: `workers`, or the cores when 0.
    pub fn worker_count(&self) -> usize {
        match self.workers {
            0 => std::thread::available_parallelism().map_or(2, |n| n.get()),
            n => n,
        }
    }
}
