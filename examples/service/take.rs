//! Taking requests: each pool pulls one request at a time from its durable consumer, only
//! while the instance has room; a redelivered request is a handover from the previous owner.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use avqc::event::DefectEvent;
use avqc::monitor::{Monitor, StreamSpec};
use avqc::{DecoderOptions, Detector, Event, MediaTime, Phase, Registry};
use serde_json::{json, Value};

use crate::config::{is_token, Pool};
use crate::holds::{monitor_id, wall, Held, Shared};
use crate::js::{self, Delivery};
use crate::nats::Msg;

/// Whether this instance may pull one more request: the Monitor's capacity (measured cost
/// per stream, its budget less other processes' load, `AVQC_MAX_STREAMS`). The request
/// pulled is then admitted (or given back) by `Monitor::try_add`.
pub fn has_room(shared: &Shared, monitor: &Monitor) -> Result<(), String> {
    // Held requests, not the Monitor's running streams: one that ended is held until the
    // keeper has answered its request.
    let held = shared.lock().held.len();
    let max = shared.cfg.max_streams;
    if max > 0 && held >= max {
        return Err(format!("{held} streams held, AVQC_MAX_STREAMS={max}"));
    }
    let c = monitor.capacity();
    // A stream of some known profile must still fit; with nothing measured yet, `try_add`
    // decides (it admits one stream at a time until a cost is known).
    if !c.profiles.is_empty() && c.profiles.iter().all(|p| p.fits == 0) {
        return Err(format!(
            "{:.2} cores of headroom: no stream of a known profile fits",
            c.headroom_cores
        ));
    }
    Ok(())
}

/// A monitoring request as the host publishes it.
#[derive(serde::Deserialize)]
struct Request {
    id: String,
    input: String,
    #[serde(default = "yes")]
    realtime: bool,
    /// The stream's priority under overload (higher is kept longer; default 100).
    #[serde(default = "normal")]
    priority: u8,
}

fn normal() -> u8 {
    100
}

fn yes() -> bool {
    true
}

/// The detectors of a pool (`[]`: every default detector).
pub fn detectors(registry: &Registry, pool: &Pool) -> avqc::Result<Vec<Box<dyn Detector>>> {
    if pool.detectors.trim() == "[]" {
        registry.build_defaults()
    } else {
        registry.build_json(&pool.detectors)
    }
}

/// One pool's loop: pull while there is room, take what comes, until `stop`.
pub fn pull_loop(shared: &Shared, monitor: &Monitor, pool: &Pool, stop: &AtomicBool) {
    let registry = Registry::builtin();
    let puller = loop {
        match js::Puller::new(&shared.nc, &shared.cfg.requests_stream, &pool.name) {
            Ok(p) => break p,
            Err(e) if !stop.load(Ordering::Acquire) => {
                eprintln!("service: pool {}: {e}", pool.name);
                std::thread::sleep(Duration::from_secs(1));
            }
            Err(_) => return,
        }
    };
    let mut full = false;
    while !stop.load(Ordering::Acquire) && !shared.nc.is_closed() {
        if let Err(why) = has_room(shared, monitor) {
            if !full {
                eprintln!("service: pool {}: full, not pulling: {why}", pool.name);
                full = true;
            }
            std::thread::sleep(Duration::from_millis(100));
            continue;
        }
        full = false;
        let msg = match puller.next(&shared.nc, Duration::from_millis(500)) {
            Ok(Some(msg)) => msg,
            Ok(None) => continue,
            Err(e) => {
                eprintln!("service: pool {}: {e}", pool.name);
                std::thread::sleep(Duration::from_secs(1));
                continue;
            }
        };
        // Pools pull side by side; whether there is still room is decided under the lock,
        // and a request that came to a pool of an instance just filled goes back at once.
        let _turn = shared.admission.lock().unwrap_or_else(|p| p.into_inner());
        if let Err(why) = has_room(shared, monitor) {
            eprintln!(
                "service: pool {}: full, request given back: {why}",
                pool.name
            );
            if let Some(ack) = &msg.reply {
                let _ = js::ack(&shared.nc, ack, "-NAK");
            }
            continue;
        }
        take(shared, monitor, &registry, pool, msg, stop);
    }
}

/// Refuses a request for good (`+TERM`), publishing why.
fn refuse(shared: &Shared, pool: &str, id: &str, ack: &str, why: &str) {
    eprintln!("service: pool {pool}: request {id} refused: {why}");
    let mut st = shared.lock();
    let stream = if is_token(id) { id } else { "_invalid" };
    shared.notice(
        &mut st,
        pool,
        stream,
        "request_refused",
        json!({"reason": why}),
    );
    drop(st);
    let _ = js::ack(&shared.nc, ack, "+TERM");
}

/// Takes one delivered request: checks it, reports a handover, starts monitoring.
fn take(
    shared: &Shared,
    monitor: &Monitor,
    registry: &Registry,
    pool: &Pool,
    msg: Msg,
    stop: &AtomicBool,
) {
    let Some(ack) = msg.reply.clone() else {
        return;
    };
    if stop.load(Ordering::Acquire) {
        let _ = js::ack(&shared.nc, &ack, "-NAK");
        return;
    }
    let delivery = Delivery::parse(&ack).unwrap_or(Delivery {
        delivered: 1,
        stream_seq: 0,
        pending: 0,
    });
    let req: Request = match serde_json::from_slice(&msg.payload) {
        Ok(r) => r,
        Err(e) => return refuse(shared, &pool.name, "", &ack, &format!("bad request: {e}")),
    };
    if !is_token(&req.id) {
        let why = "the id must be 1-64 letters, digits, - or _";
        return refuse(shared, &pool.name, &req.id, &ack, why);
    }
    let mid = monitor_id(&pool.name, &req.id);
    {
        let mut st = shared.lock();
        if let Some(h) = st.held.get_mut(&mid) {
            if h.delivery.stream_seq != delivery.stream_seq {
                drop(st);
                return refuse(shared, &pool.name, &req.id, &ack, "already monitored here");
            }
            // Our own request again (a confirmation came too late): keep holding it.
            h.ack = ack;
            h.delivery = delivery;
            h.confirmed = Instant::now();
            return;
        }
    }
    if delivery.delivered > 1 {
        handover(shared, &pool.name, &req.id);
    } else if let Some(owner) = live_owner(shared, &pool.name, &req.id) {
        // A second request for a stream another instance monitors: taking it would make
        // the two fight over the health record.
        let why = format!("already monitored by {owner}");
        return refuse(shared, &pool.name, &req.id, &ack, &why);
    }
    let dets = match detectors(registry, pool) {
        Ok(d) => d,
        Err(e) => return refuse(shared, &pool.name, &req.id, &ack, &e.to_string()),
    };
    let options = DecoderOptions {
        streams: pool.select.clone(),
        realtime: req.realtime,
        ..DecoderOptions::default()
    };
    shared.lock().held.insert(
        mid.clone(),
        Held {
            pool: pool.name.clone(),
            id: req.id.clone(),
            input: req.input.clone(),
            ack: ack.clone(),
            delivery: delivery.clone(),
            since: wall(),
            confirmed: Instant::now(),
            open: Vec::new(),
            state: "connecting".into(),
            media_secs: 0.0,
            revision: None,
            lost: None,
        },
    );
    let mut spec = StreamSpec::open(mid.clone(), req.input.clone(), &options)
        .detectors(dets)
        .priority(req.priority);
    if shared.cfg.stream_cost > 0.0 && monitor.capacity().profiles.is_empty() {
        // Nothing measured yet: admit at the configured guess rather than one at a time.
        spec = spec.expected_cost(shared.cfg.stream_cost);
    }
    match monitor.try_add(spec) {
        Ok(()) => {
            let mut st = shared.lock();
            // The first write overwrites whatever the previous owner left: the hold is ours.
            shared.put_health(&mut st, &mid);
            let extra = json!({"delivered": delivery.delivered, "input": req.input});
            shared.notice(&mut st, &pool.name, &req.id, "stream_held", extra);
        }
        Err(avqc::Error::Capacity { reason, .. }) => {
            // Full after all (the load rose since the pull): back to the queue, for an
            // instance with room, after a second.
            shared.lock().held.remove(&mid);
            eprintln!(
                "service: pool {}: {} given back: {reason}",
                pool.name, req.id
            );
            let _ = js::ack(&shared.nc, &ack, "-NAK {\"delay\": 1000000000}");
        }
        Err(e) => {
            shared.lock().held.remove(&mid);
            refuse(shared, &pool.name, &req.id, &ack, &e.to_string());
        }
    }
}

/// The instance that monitors `pool`/`id` now according to the health bucket (a record of a
/// running stream refreshed within the ack wait), if any.
fn live_owner(shared: &Shared, pool: &str, id: &str) -> Option<String> {
    let entry = shared.kv.get(&shared.nc, &format!("{pool}.{id}")).ok()??;
    let r: Value = serde_json::from_slice(&entry.value).ok()?;
    let active = matches!(
        r["state"].as_str(),
        Some("connecting" | "running" | "stalled")
    );
    let fresh = wall() - r["updated"].as_f64()? < shared.cfg.ack_wait.as_secs_f64();
    (active && fresh).then(|| r["owner"].as_str().map(str::to_string))?
}

/// The previous owner stopped holding this request: report the handover and end each of its
/// open defects (read from its last health record) with `details.reason: "handover"`.
fn handover(shared: &Shared, pool: &str, id: &str) {
    let key = format!("{pool}.{id}");
    let record: Option<Value> = match shared.kv.get(&shared.nc, &key) {
        Ok(Some(e)) => serde_json::from_slice(&e.value).ok(),
        Ok(None) => None,
        Err(e) => {
            eprintln!("service: health of {key} unreadable: {e}");
            None
        }
    };
    let Some(record) = record else {
        return; // nobody held it (it was given back before it was taken)
    };
    let me = &shared.cfg.instance;
    let from = record["owner"].as_str().unwrap_or_default().to_string();
    if from == *me {
        return; // our own earlier hold (we gave it back and got it again)
    }
    let gap = record["updated"].as_f64().map(|u| (wall() - u).max(0.0));
    let mut st = shared.lock();
    let extra = json!({"from": from, "to": me, "gap_secs": gap,
                       "previous_state": record["state"]});
    shared.notice(&mut st, pool, id, "stream_handover", extra);
    let media = record["media_secs"].as_f64().unwrap_or(0.0);
    let open: Vec<DefectEvent> =
        serde_json::from_value(record["open_defects"].clone()).unwrap_or_default();
    for mut d in open {
        let end = MediaTime::from_secs_f64(media.max(d.start.as_secs_f64()));
        d.phase = Phase::End;
        d.end = Some(end);
        d.emitted_at = end;
        d.details.insert("reason".into(), json!("handover"));
        d.details.insert("ended_by".into(), json!(me));
        d.details.insert("previous_owner".into(), json!(from));
        if let Ok(v) = serde_json::to_value(Event::Defect(d)) {
            shared.publish(&mut st, pool, id, v);
        }
    }
}

/// Keeps the instance's pools pulling on their own threads.
pub fn spawn_pools(
    shared: &Arc<Shared>,
    monitor: &Arc<Monitor>,
    stop: &Arc<AtomicBool>,
) -> Vec<std::thread::JoinHandle<()>> {
    shared
        .cfg
        .pools
        .iter()
        .map(|pool| {
            let (shared, monitor, stop) = (shared.clone(), monitor.clone(), stop.clone());
            let pool = pool.clone();
            std::thread::Builder::new()
                .name(format!("pool-{}", pool.name))
                .spawn(move || pull_loop(&shared, &monitor, &pool, &stop))
                .expect("a pool thread starts")
        })
        .collect()
}
