//! `service`: one instance of an avqc fleet on NATS JetStream, configured from the
//! environment. Start N of them (on N machines, pods, tasks) against one NATS server or
//! cluster; the host publishes monitoring requests, the instances share them out.
//!
//! ```text
//! nats-server -js &
//! AVQC_INSTANCE=qc-1 AVQC_POOLS=video,audio cargo run --release --example service &
//! AVQC_INSTANCE=qc-2 AVQC_POOLS=video,audio cargo run --release --example service &
//! nats pub avqc.req.cam1 '{"id": "cam1", "input": "rtmp://...", "realtime": true}'
//! ```
//!
//! * **Requests**: JSON `{"id": "cam1", "input": "path or URL", "realtime": true}` on the
//!   stream `AVQC_REQUESTS` (subjects `avqc.req.>`, *interest* retention, created at start).
//!   `id`: 1-64 letters, digits, `-` or `_`; optional `"priority"` (0-255, default 100: the
//!   least important streams are reduced and handed back first under overload).
//! * **Pools**: each pool (`AVQC_POOLS`, e.g. `video,audio`) is one durable pull consumer of
//!   that stream, named as the pool, with its own detectors (`AVQC_DETECTORS_<POOL>`, a JSON
//!   array of detector configs): every pool sees every request, so the video detectors of a
//!   stream may run on one instance and its audio detectors on another. A request leaves
//!   the stream when every pool acknowledged it (its input ended).
//! * **Holding**: an instance pulls one request at a time while it has room (the Monitor's
//!   capacity: the measured cost of its streams against its CPU budget less other processes'
//!   load, and `AVQC_MAX_STREAMS`); `Monitor::try_add` admits the request pulled, or it goes
//!   back to the queue (`-NAK` with a 1 s delay) for an instance with room. It confirms each held request with `+WPI` every third of the ack wait
//!   (`AVQC_ACK_WAIT_SECS`), acknowledges it when the input ends, gives it back (`-NAK` with
//!   a delay; `+TERM` after `AVQC_OPEN_ATTEMPTS` deliveries) when the input cannot be opened.
//!   If an instance dies, its requests are redelivered after the ack wait to instances of
//!   the same pool with room. A stream the Monitor hands back under overload
//!   (`AVQC_DEGRADE=shed`, `Ending::Shed`) goes back to the queue the same way (`-NAK`).
//! * **Events**: every event of the Monitor, plus the service's own notices
//!   (`stream_held`, `stream_released`, `stream_handover`, `request_refused`), on
//!   `avqc.events.<pool>.<stream>` in the stream `AVQC_EVENTS`, each stored with a PubAck and
//!   numbered per instance (`instance`, `seq`, `wall` added to the event JSON).
//! * **Health**: the key `<pool>.<stream>` of the bucket `avqc_health` (owner, state, open
//!   defects with their start and details, media seconds, updated time), written every
//!   `AVQC_REFRESH_SECS` and at each defect start and end, with compare-and-set on the
//!   revision: a record written by another owner means the hold is lost, and the stream stops.
//! * **Handover**: a redelivered request (delivery count > 1) whose record names another
//!   owner: the new owner publishes `stream_handover` (`from`, `to`, `gap_secs`), ends each of
//!   the old owner's open defects (`details.reason: "handover"`), and monitors the stream
//!   afresh.
//! * **SIGTERM/SIGINT**: stops pulling, stops every stream (each open defect ends), gives each
//!   request back (`-NAK`) for another instance to take at once; exit 0. A second signal ends
//!   the process at once.
//!
//! Settings (environment):
//!
//! | variable | default | |
//! | --- | --- | --- |
//! | `AVQC_NATS_URL` | `nats://127.0.0.1:4222` | the NATS server |
//! | `AVQC_INSTANCE` | `<HOSTNAME>-<pid>` | this instance's name (events, health) |
//! | `AVQC_POOLS` | `all` | the pools it serves, e.g. `video,audio` |
//! | `AVQC_DETECTORS_<POOL>` | video: freeze, black; audio: silence, clipping; other: every default detector | a JSON array of detector configs |
//! | `AVQC_MAX_STREAMS` | 0 (no limit) | streams held at most, all pools together |
//! | `AVQC_ACK_WAIT_SECS` | 30 | redelivery after a silent owner (the failover time) |
//! | `AVQC_REFRESH_SECS` | 1 | health records written, holds checked |
//! | `AVQC_OPEN_ATTEMPTS` | 3 | deliveries of an input that cannot be opened |
//! | `AVQC_WORKERS` | 0 (one per core) | the Monitor's worker threads |
//! | `AVQC_CORES` | 0 (the workers' cores) | CPU the admission budgets (`MonitorConfig::cores`) |
//! | `AVQC_MEASURE_OTHERS` | 1 | take other processes' CPU load out of the budget (0: do not) |
//! | `AVQC_STREAM_COST` | 0.1 | cores a stream is assumed to cost until one was measured (0: admit one at a time until then) |
//! | `AVQC_DEGRADE` | `shed` | overload policy: `off`, `reduce`, `shed` (`MonitorConfig::degrade`) |
//! | `AVQC_METRICS_SECS` | 10 | the Monitor's per-stream metrics events |
//! | `AVQC_REQUESTS_STREAM`, `AVQC_REQUESTS_SUBJECTS` | `AVQC_REQUESTS`, `avqc.req.>` | where requests are |
//! | `AVQC_EVENTS_STREAM` | `AVQC_EVENTS` | where events are stored |
//! | `AVQC_HEALTH_BUCKET` | `avqc_health` | the key-value bucket of health records |
//!
//! A pool named `video` decodes only the pictures (`StreamSelection::VideoOnly`), an `audio`
//! pool only the sound. The requests stream keeps a request for the consumers that exist when
//! it is published: start one instance of every pool (or create the consumers) first. An
//! existing consumer keeps its settings (delete it to change its ack wait). Publish each
//! request with a `Nats-Msg-Id` header (e.g. the stream id) so that a repeated publish within
//! the stream's duplicate window is dropped; a second request for a stream another instance
//! monitors is refused (`request_refused`).
//!
//! Exit codes: 0 stopped by a signal; 1 lost the NATS connection; 2 bad configuration or
//! the NATS server or JetStream could not be reached.

mod config;
mod holds;
mod js;
mod keeper;
mod nats;
mod take;

use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use avqc::monitor::{Monitor, MonitorConfig};
use avqc::sink::Sink;
use avqc::{Event, Registry};
use serde_json::json;

use config::Config;
use holds::Shared;

/// The Monitor's sink: each event goes through [`Shared::on_event`].
struct FleetSink(Arc<Shared>);

impl Sink for FleetSink {
    fn name(&self) -> &str {
        "nats"
    }
    fn emit(&mut self, event: &Event) -> avqc::Result<()> {
        self.0.on_event(event);
        Ok(())
    }
}

/// Raises `stop` on SIGINT and SIGTERM (a second one ends the process at once).
fn stop_on_signals(stop: &Arc<AtomicBool>) {
    use signal_hook::consts::{SIGINT, SIGTERM};
    for sig in [SIGINT, SIGTERM] {
        let r = signal_hook::flag::register_conditional_shutdown(sig, 1, stop.clone())
            .and_then(|_| signal_hook::flag::register(sig, stop.clone()));
        if let Err(e) = r {
            eprintln!("service: cannot handle signal {sig}: {e}");
        }
    }
}

fn fail(msg: impl std::fmt::Display) -> ExitCode {
    eprintln!("service: {msg}");
    ExitCode::from(2)
}

/// Creates the requests and events streams, the bucket and this instance's consumers
/// (each call does nothing if the thing exists).
fn setup(nc: &nats::Client, cfg: &Config) -> Result<js::Kv, js::JsError> {
    js::ensure_stream(
        nc,
        &json!({"name": cfg.requests_stream, "subjects": [cfg.requests_subjects],
                "retention": "interest", "storage": "file", "num_replicas": 1}),
    )?;
    js::ensure_stream(
        nc,
        &json!({"name": cfg.events_stream, "subjects": ["avqc.events.>"],
                "retention": "limits", "storage": "file", "num_replicas": 1,
                "max_age": 7u64 * 86_400 * 1_000_000_000, "duplicate_window": 120_000_000_000u64}),
    )?;
    for pool in &cfg.pools {
        js::ensure_consumer(
            nc,
            &cfg.requests_stream,
            &json!({"durable_name": pool.name, "ack_policy": "explicit",
                    "deliver_policy": "all", "ack_wait": cfg.ack_wait.as_nanos() as u64,
                    "max_deliver": -1, "max_ack_pending": -1, "max_waiting": 512}),
        )?;
    }
    js::Kv::ensure(nc, &cfg.bucket)
}

fn main() -> ExitCode {
    let registry = Registry::builtin();
    let cfg = match Config::from_env(&registry) {
        Ok(c) => c,
        Err(e) => return fail(e),
    };
    let stop = Arc::new(AtomicBool::new(false));
    stop_on_signals(&stop);
    let mut tries = 0;
    let nc = loop {
        match nats::Client::connect(&cfg.nats_url, &cfg.instance) {
            Ok(c) => break c,
            Err(e) if tries < 20 => {
                tries += 1;
                eprintln!("service: {}: {e}; retrying", cfg.nats_url);
                std::thread::sleep(Duration::from_millis(500));
            }
            Err(e) => return fail(format_args!("cannot connect to {}: {e}", cfg.nats_url)),
        }
    };
    let kv = match setup(&nc, &cfg) {
        Ok(kv) => kv,
        Err(e) => return fail(format_args!("JetStream setup: {e}")),
    };
    let shared = Arc::new(Shared::new(nc, cfg.clone(), kv));
    let monitor = Monitor::builder()
        .config(MonitorConfig {
            workers: cfg.workers,
            health_interval_secs: cfg.metrics_secs,
            cores: cfg.cores,
            measure_other_load: cfg.measure_others,
            max_streams: cfg.max_streams,
            degrade: cfg.degrade,
            ..MonitorConfig::default()
        })
        .sink(FleetSink(shared.clone()))
        .build();
    let monitor = match monitor {
        Ok(m) => Arc::new(m),
        Err(e) => return fail(e),
    };
    let pools: Vec<&str> = cfg.pools.iter().map(|p| p.name.as_str()).collect();
    eprintln!(
        "service: instance {} up, pools {}",
        cfg.instance,
        pools.join(",")
    );
    let pullers = take::spawn_pools(&shared, &monitor, &stop);
    let keeper = {
        let (shared, monitor, stop) = (shared.clone(), monitor.clone(), stop.clone());
        std::thread::spawn(move || keeper::run(&shared, &monitor, &stop))
    };
    while !stop.load(Ordering::Acquire) && !shared.nc.is_closed() {
        std::thread::sleep(Duration::from_millis(100));
    }
    let lost = shared.nc.is_closed();
    stop.store(true, Ordering::Release);
    for h in pullers {
        let _ = h.join();
    }
    let _ = keeper.join();
    if let Ok(m) = Arc::try_unwrap(monitor) {
        if let Err(e) = m.shutdown() {
            eprintln!("service: {e}");
        }
    }
    let _ = shared.nc.flush(Duration::from_secs(2));
    if lost {
        eprintln!(
            "service: lost the NATS connection: {}",
            shared.nc.last_error().unwrap_or_default()
        );
        return ExitCode::from(1);
    }
    eprintln!("service: instance {} stopped", cfg.instance);
    ExitCode::SUCCESS
}
