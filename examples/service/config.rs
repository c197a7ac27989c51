//! The service's settings, all from the environment (see the `service` docs in `main.rs`).

use std::time::Duration;

use avqc::monitor::DegradePolicy;
use avqc::{Registry, StreamSelection};

/// One pool of this instance: a durable consumer of the requests stream and the detectors
/// that run on each stream it takes.
#[derive(Clone, Debug)]
pub struct Pool {
    /// The pool's name (the consumer's durable name, a token of the event subjects).
    pub name: String,
    /// A JSON array of detector configs (as `Registry::build_json` reads).
    pub detectors: String,
    /// Which of an input's streams it decodes.
    pub select: StreamSelection,
}

/// Everything the service reads from the environment.
#[derive(Clone, Debug)]
pub struct Config {
    /// `AVQC_NATS_URL` (default `nats://127.0.0.1:4222`).
    pub nats_url: String,
    /// `AVQC_INSTANCE` (default `<host>-<pid>`): this instance's name in events and health.
    pub instance: String,
    /// `AVQC_POOLS` (default `all`) with `AVQC_DETECTORS_<POOL>` each.
    pub pools: Vec<Pool>,
    /// `AVQC_MAX_STREAMS` (default 0: no limit): streams (of all pools) this instance holds
    /// at most.
    pub max_streams: usize,
    /// `AVQC_ACK_WAIT_SECS` (default 30): how long a request stays with an instance that
    /// stopped confirming it before it is redelivered.
    pub ack_wait: Duration,
    /// `AVQC_REFRESH_SECS` (default 1): health written to the bucket, holds checked.
    pub refresh: Duration,
    /// `AVQC_REQUESTS_STREAM` (default `AVQC_REQUESTS`), on `AVQC_REQUESTS_SUBJECTS`
    /// (default `avqc.req.>`).
    pub requests_stream: String,
    /// Subjects of the requests stream.
    pub requests_subjects: String,
    /// `AVQC_EVENTS_STREAM` (default `AVQC_EVENTS`), on `avqc.events.>`.
    pub events_stream: String,
    /// `AVQC_HEALTH_BUCKET` (default `avqc_health`).
    pub bucket: String,
    /// `AVQC_WORKERS` (default 0: one per core).
    pub workers: usize,
    /// `AVQC_CORES` (default 0: the workers' cores): the CPU the Monitor's admission budgets
    /// (`MonitorConfig::cores`, times its target utilisation, less other processes' load).
    pub cores: f64,
    /// `AVQC_DEGRADE` (`off`, `reduce` or `shed`; default `shed`): what gives when the load
    /// grows after admission (`MonitorConfig::degrade`). A stream handed back goes back to
    /// the queue (`-NAK`) for an instance with room.
    pub degrade: DegradePolicy,
    /// `AVQC_STREAM_COST` (default 0.1; 0 = none): the cores a stream is assumed to cost
    /// while the Monitor has measured none yet (`StreamSpec::expected_cost`). Without it a
    /// fresh instance admits one stream at a time until the first cost is known.
    pub stream_cost: f64,
    /// `AVQC_MEASURE_OTHERS` (default 1): whether other processes' CPU load is taken out of
    /// the budget (`MonitorConfig::measure_other_load`).
    pub measure_others: bool,
    /// `AVQC_METRICS_SECS` (default 10): seconds between the monitor's health metrics events.
    pub metrics_secs: f64,
    /// `AVQC_OPEN_ATTEMPTS` (default 3): deliveries of a request whose input cannot be opened
    /// before it is terminated.
    pub open_attempts: u64,
}

fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

fn number<T: std::str::FromStr>(name: &str, default: T) -> Result<T, String> {
    match var(name) {
        None => Ok(default),
        Some(v) => v
            .trim()
            .parse()
            .map_err(|_| format!("{name}={v}: not a number")),
    }
}

/// A name that can be a NATS subject token and a consumer name.
pub fn is_token(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// Default detectors of a pool named `video` or `audio`; every default detector otherwise.
fn default_detectors(pool: &str) -> String {
    match pool {
        "video" => r#"[{"type":"freeze"},{"type":"black"}]"#.into(),
        "audio" => r#"[{"type":"silence"},{"type":"clipping"}]"#.into(),
        _ => "[]".into(),
    }
}

impl Config {
    /// Reads and checks the settings.
    pub fn from_env(registry: &Registry) -> Result<Config, String> {
        let host = var("HOSTNAME").unwrap_or_else(|| "avqc".into());
        let instance =
            var("AVQC_INSTANCE").unwrap_or_else(|| format!("{host}-{}", std::process::id()));
        if !is_token(&instance) {
            return Err(format!(
                "AVQC_INSTANCE={instance}: use letters, digits, - and _"
            ));
        }
        let mut pools = Vec::new();
        for name in var("AVQC_POOLS").unwrap_or_else(|| "all".into()).split(',') {
            let name = name.trim().to_string();
            if !is_token(&name) {
                return Err(format!("AVQC_POOLS: `{name}` is not a valid pool name"));
            }
            let key = format!(
                "AVQC_DETECTORS_{}",
                name.to_ascii_uppercase().replace('-', "_")
            );
            let detectors = var(&key).unwrap_or_else(|| default_detectors(&name));
            // "[]" stands for the default set: checked by building it once.
            if detectors.trim() != "[]" {
                registry
                    .build_json(&detectors)
                    .map_err(|e| format!("{key}: {e}"))?;
            }
            let select = match name.as_str() {
                "video" => StreamSelection::VideoOnly,
                "audio" => StreamSelection::AudioOnly,
                _ => StreamSelection::All,
            };
            pools.push(Pool {
                name,
                detectors,
                select,
            });
        }
        let secs = |name: &str, default: f64| -> Result<Duration, String> {
            let v: f64 = number(name, default)?;
            if !(v > 0.0 && v < 86_400.0) {
                return Err(format!("{name}={v}: out of range"));
            }
            Ok(Duration::from_secs_f64(v))
        };
        let cfg = Config {
            nats_url: var("AVQC_NATS_URL").unwrap_or_else(|| "nats://127.0.0.1:4222".into()),
            instance,
            pools,
            max_streams: number("AVQC_MAX_STREAMS", 0)?,
            ack_wait: secs("AVQC_ACK_WAIT_SECS", 30.0)?,
            refresh: secs("AVQC_REFRESH_SECS", 1.0)?,
            requests_stream: var("AVQC_REQUESTS_STREAM").unwrap_or_else(|| "AVQC_REQUESTS".into()),
            requests_subjects: var("AVQC_REQUESTS_SUBJECTS").unwrap_or_else(|| "avqc.req.>".into()),
            events_stream: var("AVQC_EVENTS_STREAM").unwrap_or_else(|| "AVQC_EVENTS".into()),
            bucket: var("AVQC_HEALTH_BUCKET").unwrap_or_else(|| "avqc_health".into()),
            workers: number("AVQC_WORKERS", 0)?,
            cores: number("AVQC_CORES", 0.0)?,
            stream_cost: number("AVQC_STREAM_COST", 0.1)?,
            measure_others: number::<u8>("AVQC_MEASURE_OTHERS", 1)? != 0,
            degrade: match var("AVQC_DEGRADE").as_deref().map(str::trim) {
                None | Some("shed") => DegradePolicy::Shed,
                Some("reduce") => DegradePolicy::Reduce,
                Some("off") => DegradePolicy::Off,
                Some(v) => return Err(format!("AVQC_DEGRADE={v}: use off, reduce or shed")),
            },
            metrics_secs: number("AVQC_METRICS_SECS", 10.0)?,
            open_attempts: number("AVQC_OPEN_ATTEMPTS", 3)?,
        };
        if cfg.refresh * 2 >= cfg.ack_wait {
            return Err(format!(
                "AVQC_REFRESH_SECS ({:?}) must be well under AVQC_ACK_WAIT_SECS ({:?})",
                cfg.refresh, cfg.ack_wait
            ));
        }
        Ok(cfg)
    }

    /// How often each held request is confirmed (`+WPI`): a third of the ack wait.
    pub fn progress_every(&self) -> Duration {
        self.ack_wait / 3
    }
}
