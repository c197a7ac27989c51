//! Keeping the held requests: about once a second each stream's health goes to the bucket,
//! each request is confirmed (`+WPI`) well inside the ack wait, ended streams are
//! acknowledged, streams that could not be opened are given back (`-NAK` with a delay, then
//! `+TERM`), and a stream whose hold was lost is stopped at once.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use avqc::monitor::{Monitor, StreamState};
use avqc::pipeline::Ending;
use serde_json::json;

use crate::holds::Shared;
use crate::js;

/// Why a held stream is let go, and what the request gets.
enum Release {
    /// The input ended: `+ACK`.
    Ended,
    /// The input failed: `-NAK` with a delay, or `+TERM` after too many deliveries.
    Failed(String),
    /// The Monitor handed the stream back under overload (`Ending::Shed`): `-NAK`, for an
    /// instance with room.
    HandedBack(String),
    /// This instance stops: `-NAK`, for another instance to take it at once.
    Shutdown,
    /// Another instance holds it now: nothing (the request is not ours to answer).
    Lost(String),
}

/// Runs until `stop`, then gives every held request back.
pub fn run(shared: &Shared, monitor: &Monitor, stop: &AtomicBool) {
    while !stop.load(Ordering::Acquire) && !shared.nc.is_closed() {
        let started = Instant::now();
        tick(shared, monitor);
        let left = shared.cfg.refresh.saturating_sub(started.elapsed());
        let until = Instant::now() + left;
        while Instant::now() < until && !stop.load(Ordering::Acquire) {
            std::thread::sleep(Duration::from_millis(50));
        }
    }
    let mids: Vec<String> = shared.lock().held.keys().cloned().collect();
    for mid in mids {
        release(shared, monitor, &mid, Release::Shutdown);
    }
}

/// One round over the held streams.
fn tick(shared: &Shared, monitor: &Monitor) {
    let mids: Vec<String> = shared.lock().held.keys().cloned().collect();
    for mid in mids {
        let Some(h) = monitor.stream_health(&mid) else {
            continue; // being added
        };
        let never_ran = h.video_frames + h.audio_frames == 0;
        let why = || {
            h.ending
                .as_ref()
                .and_then(|e| serde_json::to_value(e).ok())
                .map_or_else(|| "failed".to_string(), |v| v.to_string())
        };
        match h.state {
            StreamState::Ended if matches!(h.ending, Some(Ending::Shed(_))) => {
                // Handed back under overload: back to the queue for an instance with room.
                release(shared, monitor, &mid, Release::HandedBack(why()));
                continue;
            }
            StreamState::Ended => {
                release(shared, monitor, &mid, Release::Ended);
                continue;
            }
            StreamState::Failed => {
                let reason = if never_ran {
                    format!("cannot open the input: {}", why())
                } else {
                    format!("the input failed: {}", why())
                };
                release(shared, monitor, &mid, Release::Failed(reason));
                continue;
            }
            _ => {}
        }
        let (lost, confirm) = {
            let mut st = shared.lock();
            let Some(held) = st.held.get_mut(&mid) else {
                continue;
            };
            held.state = h.state.as_str().to_string();
            held.media_secs = h.media_secs;
            let confirm =
                (held.confirmed.elapsed() >= shared.cfg.progress_every()).then(|| held.ack.clone());
            (held.lost.clone(), confirm)
        };
        if let Some(why) = lost {
            release(shared, monitor, &mid, Release::Lost(why));
            continue;
        }
        if let Some(ack) = confirm {
            if let Err(e) = js::ack(&shared.nc, &ack, "+WPI") {
                let why = format!("cannot confirm the request: {e}");
                release(shared, monitor, &mid, Release::Lost(why));
                continue;
            }
            if let Some(held) = shared.lock().held.get_mut(&mid) {
                held.confirmed = Instant::now();
            }
        }
        let mut st = shared.lock();
        shared.put_health(&mut st, &mid);
        let lost = st.held.get(&mid).and_then(|h| h.lost.clone());
        drop(st);
        if let Some(why) = lost {
            release(shared, monitor, &mid, Release::Lost(why));
        }
    }
}

/// Stops monitoring `mid` (its open defects end) and answers its request.
fn release(shared: &Shared, monitor: &Monitor, mid: &str, how: Release) {
    // No pool takes a request while a stream is half released.
    let _turn = shared.admission.lock().unwrap_or_else(|p| p.into_inner());
    monitor.remove(mid);
    // The end events pass through the Monitor's sink thread: let them be published before
    // the final health record (a lost hold publishes its ends too: its new owner may end the
    // same defects by handover, so an end can come twice, a start never stays open).
    let deadline = Instant::now() + Duration::from_secs(3);
    while Instant::now() < deadline {
        let open = shared.lock().held.get(mid).map_or(0, |h| h.open.len());
        if open == 0 {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let (reason, answer) = match &how {
        Release::Ended => ("ended".to_string(), Some("+ACK".to_string())),
        Release::Shutdown => ("shutdown".to_string(), Some("-NAK".to_string())),
        Release::HandedBack(why) => (why.clone(), Some("-NAK".to_string())),
        Release::Lost(why) => (format!("lost: {why}"), None),
        Release::Failed(why) => {
            let delivered = shared
                .lock()
                .held
                .get(mid)
                .map_or(1, |h| h.delivery.delivered);
            let answer = if delivered >= shared.cfg.open_attempts {
                "+TERM".to_string() // the reason is in the event (2.9 takes no text)
            } else {
                "-NAK {\"delay\": 5000000000}".to_string()
            };
            (why.clone(), Some(answer))
        }
    };
    let mut st = shared.lock();
    let Some(held) = st.held.get_mut(mid) else {
        return;
    };
    held.state = match how {
        Release::Ended => "ended",
        Release::Failed(_) => "failed",
        Release::Shutdown | Release::HandedBack(_) => "released",
        Release::Lost(_) => "lost",
    }
    .to_string();
    held.open.clear();
    let (pool, id, ack) = (held.pool.clone(), held.id.clone(), held.ack.clone());
    shared.put_health(&mut st, mid);
    eprintln!("service: {mid} released: {reason}");
    shared.notice(
        &mut st,
        &pool,
        &id,
        "stream_released",
        json!({"reason": reason}),
    );
    st.held.remove(mid);
    drop(st);
    if let Some(kind) = answer {
        if let Err(e) = js::ack(&shared.nc, &ack, &kind) {
            eprintln!("service: {mid}: {kind} not confirmed: {e}");
        }
    }
}
