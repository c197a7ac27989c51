//! What an instance holds: the requests it took (one per pool and stream), each stream's
//! open defects and state, and the two ways it tells the world: events published with a
//! PubAck to `avqc.events.<pool>.<stream>` (each numbered per instance: `seq` 1, 2, 3...), and
//! one health record per pool and stream in the key-value bucket.
//!
//! Everything that publishes goes through [`Shared`]'s one lock, so an instance's `seq`
//! numbers reach the events stream in order: a consumer that sees 1..n with no gap lost
//! nothing (an instance killed mid-publish leaves its last number missing, not a gap).

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use avqc::event::DefectEvent;
use avqc::{Event, Phase};
use serde_json::{json, Value};

use crate::config::Config;
use crate::js::{self, Delivery, Kv};
use crate::nats::Client;

/// Seconds since the Unix epoch.
pub fn wall() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs_f64()
}

/// The Monitor's id of a pool's stream: `<pool>/<stream>` (two pools of one instance may take
/// the same stream).
pub fn monitor_id(pool: &str, id: &str) -> String {
    format!("{pool}/{id}")
}

/// One request this instance holds.
pub struct Held {
    /// The pool that took it.
    pub pool: String,
    /// The stream id of the request.
    pub id: String,
    /// The input (path or URL).
    pub input: String,
    /// The ack subject of the delivered request.
    pub ack: String,
    /// Its delivery count and sequence.
    pub delivery: Delivery,
    /// When it was taken (Unix seconds).
    pub since: f64,
    /// When the request was last confirmed (`+WPI`).
    pub confirmed: Instant,
    /// Defects started and not ended, as their start events.
    pub open: Vec<DefectEvent>,
    /// The Monitor's state of the stream (`connecting`, `running`...).
    pub state: String,
    /// Media seconds analysed.
    pub media_secs: f64,
    /// The revision of our last health record (None: not written yet).
    pub revision: Option<u64>,
    /// Why the hold was lost (another owner in the bucket), if it was.
    pub lost: Option<String>,
}

/// The lock-protected part of [`Shared`].
#[derive(Default)]
pub struct State {
    /// The last event number used.
    seq: u64,
    /// Held requests by Monitor id.
    pub held: HashMap<String, Held>,
}

/// The connection, the settings and the state every thread of an instance shares.
pub struct Shared {
    /// The NATS connection.
    pub nc: Client,
    /// The settings.
    pub cfg: Config,
    /// The health bucket.
    pub kv: Kv,
    /// Held while a pool checks for room and takes a request, and while a stream is
    /// released: the count `has_room` sees is never between two states.
    pub admission: Mutex<()>,
    state: Mutex<State>,
}

impl Shared {
    /// Puts the pieces together.
    pub fn new(nc: Client, cfg: Config, kv: Kv) -> Shared {
        Shared {
            nc,
            cfg,
            kv,
            admission: Mutex::new(()),
            state: Mutex::new(State::default()),
        }
    }

    /// Locks the state (publishing happens under this lock).
    pub fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Publishes one event of `pool`/`stream`: adds the envelope (`stream`, `pool`,
    /// `instance`, `seq`, `wall`) and waits for the events stream's PubAck, retrying a few
    /// times (the `Nats-Msg-Id` makes a retry of a stored event a no-op).
    pub fn publish(&self, st: &mut State, pool: &str, stream: &str, mut event: Value) {
        st.seq += 1;
        let seq = st.seq;
        if let Some(obj) = event.as_object_mut() {
            obj.insert("stream".into(), json!(stream));
            obj.insert("pool".into(), json!(pool));
            obj.insert("instance".into(), json!(self.cfg.instance));
            obj.insert("seq".into(), json!(seq));
            obj.insert("wall".into(), json!(wall()));
        }
        let subject = format!("avqc.events.{pool}.{stream}");
        let msg_id = format!("{}-{seq}", self.cfg.instance);
        let body = event.to_string();
        let mut last = None;
        for attempt in 0..5 {
            match js::publish(
                &self.nc,
                &subject,
                &[("Nats-Msg-Id", &msg_id)],
                body.as_bytes(),
            ) {
                Ok(_) => return,
                Err(e) => last = Some(e),
            }
            if self.nc.is_closed() {
                break; // the instance is going down (exit code 1); retrying cannot help
            }
            std::thread::sleep(std::time::Duration::from_millis(100 << attempt));
        }
        if let Some(e) = last {
            eprintln!("service: event {seq} on {subject} NOT stored: {e}");
        }
    }

    /// A notice of the service itself (`detector: "service"`) with extra fields.
    pub fn notice(&self, st: &mut State, pool: &str, stream: &str, name: &str, extra: Value) {
        let mut v = json!({"kind": "notice", "detector": "service", "name": name,
                           "message": name.replace('_', " "), "at": 0.0});
        if let (Some(obj), Some(more)) = (v.as_object_mut(), extra.as_object()) {
            obj.extend(more.clone());
        }
        self.publish(st, pool, stream, v);
    }

    /// Handles one event of the Monitor (its sink): keeps the stream's open defects, then
    /// publishes. A defect start is recorded in the bucket before it is published and an end
    /// after, so an instance killed in between leaves the defect open in the bucket, where
    /// the next owner ends it (an end may come twice, a start is never left unended).
    pub fn on_event(&self, event: &Event) {
        let Ok(v) = serde_json::to_value(event) else {
            return;
        };
        let mid = v["stream"].as_str().unwrap_or_default().to_string();
        let (pool, id) = mid.split_once('/').unwrap_or(("", mid.as_str()));
        let mut st = self.lock();
        let defect = event.as_defect();
        if let (Some(d), Some(h)) = (defect, st.held.get_mut(&mid)) {
            match d.phase {
                Phase::Start => h.open.push(d.clone()),
                Phase::End => h.open.retain(|o| !same_defect(o, d)),
            }
        }
        let starts = defect.is_some_and(|d| d.phase == Phase::Start);
        if defect.is_some() && starts {
            self.put_health(&mut st, &mid);
        }
        self.publish(&mut st, pool, id, v);
        if defect.is_some() && !starts {
            self.put_health(&mut st, &mid);
        }
    }

    /// Writes the health record of a held stream, if this instance still owns it: with the
    /// revision of its last write expected, so a write of another owner in between shows
    /// (the hold is then marked lost).
    pub fn put_health(&self, st: &mut State, mid: &str) {
        let Some(h) = st.held.get_mut(mid) else {
            return;
        };
        if h.lost.is_some() {
            return;
        }
        let key = format!("{}.{}", h.pool, h.id);
        let record = json!({
            "owner": self.cfg.instance, "pool": h.pool, "stream": h.id, "input": h.input,
            "state": h.state, "since": h.since, "updated": wall(), "media_secs": h.media_secs,
            "delivered": h.delivery.delivered, "open_defects": h.open,
        })
        .to_string();
        match self.kv.put(&self.nc, &key, record.as_bytes(), h.revision) {
            Ok(rev) => h.revision = Some(rev),
            Err(e) if e.err_code == 10071 => {
                // Someone wrote in between: still us (a lost PubAck), or a new owner?
                match self.kv.get(&self.nc, &key) {
                    Ok(Some(entry)) => {
                        let owner = serde_json::from_slice::<Value>(&entry.value)
                            .ok()
                            .and_then(|v| v["owner"].as_str().map(str::to_string))
                            .unwrap_or_default();
                        if owner == self.cfg.instance {
                            h.revision = Some(entry.revision);
                        } else {
                            h.lost = Some(format!("the health bucket names `{owner}` as owner"));
                        }
                    }
                    Ok(None) => h.revision = None,
                    Err(e) => eprintln!("service: health of {key}: {e}"),
                }
            }
            Err(e) => eprintln!("service: health of {key} not written: {e}"),
        }
    }
}

/// The same defect interval (an end matches its start).
pub fn same_defect(a: &DefectEvent, b: &DefectEvent) -> bool {
    a.detector == b.detector && a.defect == b.defect && a.track == b.track && a.start == b.start
}
