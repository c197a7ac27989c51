use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::*;
use crate::event::MetricEvent;
use crate::media::MediaTime;

fn ev(i: usize) -> Event {
    Event::Metric(MetricEvent {
        stream: "a".into(),
        detector: "d".into(),
        name: "n".into(),
        value: i as f64,
        at: MediaTime::ZERO,
        track: None,
        language: None,
    })
}

/// A sink that fails while `down` is set, sleeps `delay` per event, and keeps what it got.
#[derive(Clone, Default)]
struct Flaky {
    got: Arc<Mutex<Vec<Event>>>,
    down: Arc<AtomicUsize>,
    delay: Duration,
}

impl Sink for Flaky {
    fn emit(&mut self, e: &Event) -> Result<()> {
        std::thread::sleep(self.delay);
        if self.down.load(Ordering::SeqCst) > 0 {
            return Err(Error::Sink {
                sink: "flaky".into(),
                source: std::io::Error::other("down"),
            });
        }
        self.got.lock().unwrap().push(e.clone());
        Ok(())
    }
}

fn fast() -> QueueConfig {
    QueueConfig {
        backoff_initial_secs: 0.01,
        backoff_max_secs: 0.05,
        finish_timeout_secs: 2.0,
        ..QueueConfig::default()
    }
}

fn wait_for(what: &str, mut f: impl FnMut() -> bool) {
    let t0 = Instant::now();
    while !f() {
        assert!(
            t0.elapsed() < Duration::from_secs(10),
            "timed out waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
}

#[test]
fn a_slow_sink_does_not_block_the_caller() {
    let inner = Flaky {
        delay: Duration::from_millis(50),
        ..Flaky::default()
    };
    let mut s = QueuedSink::new(inner.clone(), fast()).unwrap();
    let t0 = Instant::now();
    for i in 0..20 {
        s.emit(&ev(i)).unwrap();
    }
    // 20 events at 50 ms each take a second to deliver; queueing them takes far less
    assert!(
        t0.elapsed() < Duration::from_millis(500),
        "{:?}",
        t0.elapsed()
    );
    let c = s.finish();
    assert_eq!((c.delivered, c.lost(), c.queued), (20, 0, 0));
    let got = inner.got.lock().unwrap();
    assert_eq!(
        *got,
        (0..20).map(ev).collect::<Vec<_>>(),
        "in order, none lost"
    );
}

#[test]
fn failures_are_retried_until_the_sink_is_back() {
    let inner = Flaky::default();
    inner.down.store(1, Ordering::SeqCst);
    let mut s = QueuedSink::new(
        inner.clone(),
        QueueConfig {
            max_retries: None,
            ..fast()
        },
    )
    .unwrap();
    let stats = s.stats();
    for i in 0..5 {
        s.emit(&ev(i)).unwrap();
    }
    wait_for("retries", || stats.counts().retried >= 3);
    assert_eq!(stats.counts().delivered, 0);
    inner.down.store(0, Ordering::SeqCst);
    wait_for("delivery", || stats.counts().delivered == 5);
    let c = s.finish();
    assert!(c.finished);
    assert_eq!(c.lost(), 0);
    assert_eq!(inner.got.lock().unwrap().len(), 5);
}

#[test]
fn a_full_queue_drops_and_counts() {
    let inner = Flaky::default();
    inner.down.store(1, Ordering::SeqCst);
    let cfg = QueueConfig {
        capacity: 2,
        max_retries: None,
        finish_timeout_secs: 0.1,
        ..fast()
    };
    let mut s = QueuedSink::new(inner, cfg).unwrap();
    let stats = s.stats();
    s.emit(&ev(0)).unwrap();
    // the first event is being retried (out of the queue): two more fit, seven do not
    wait_for("the first retry", || stats.counts().retried >= 1);
    for i in 1..10 {
        s.emit(&ev(i)).unwrap();
    }
    assert_eq!(stats.counts().dropped, 7);
    assert_eq!(stats.counts().queued, 3);
    let c = s.finish();
    assert_eq!((c.delivered, c.dropped, c.unsent, c.failed), (0, 7, 3, 0));
}

#[test]
fn retries_give_up_and_count_failed() {
    let inner = Flaky::default();
    inner.down.store(1, Ordering::SeqCst);
    let mut s = QueuedSink::new(
        inner,
        QueueConfig {
            max_retries: Some(2),
            ..fast()
        },
    )
    .unwrap();
    s.emit(&ev(0)).unwrap();
    s.emit(&ev(1)).unwrap();
    let c = s.finish();
    assert_eq!((c.failed, c.retried, c.delivered), (2, 4, 0));
}

#[test]
fn fail_run_turns_a_loss_into_an_error() {
    let inner = Flaky::default();
    inner.down.store(1, Ordering::SeqCst);
    let cfg = QueueConfig {
        max_retries: Some(0),
        fail_run: true,
        ..fast()
    };
    let mut s = QueuedSink::new(inner, cfg).unwrap();
    let stats = s.stats();
    s.emit(&ev(0)).unwrap();
    wait_for("the failure", || stats.counts().failed == 1);
    assert!(s.emit(&ev(1)).is_err());
    assert!(s.flush().is_err());
}

#[test]
fn a_panicking_sink_is_a_failing_one() {
    struct Panics;
    impl Sink for Panics {
        fn emit(&mut self, _: &Event) -> Result<()> {
            panic!("boom")
        }
    }
    let mut s = QueuedSink::new(
        Panics,
        QueueConfig {
            max_retries: Some(1),
            ..fast()
        },
    )
    .unwrap();
    s.emit(&ev(0)).unwrap();
    let c = s.finish();
    assert_eq!((c.failed, c.retried), (1, 1));
}

#[test]
fn finishing_is_bounded_while_the_sink_is_down() {
    let inner = Flaky::default();
    inner.down.store(1, Ordering::SeqCst);
    let cfg = QueueConfig {
        max_retries: None,
        backoff_initial_secs: 10.0, // a long wait cut short by the finish deadline
        backoff_max_secs: 10.0,
        finish_timeout_secs: 0.3,
        ..QueueConfig::default()
    };
    let mut s = QueuedSink::new(inner, cfg).unwrap();
    for i in 0..4 {
        s.emit(&ev(i)).unwrap();
    }
    let t0 = Instant::now();
    let c = s.finish();
    assert!(t0.elapsed() < Duration::from_secs(2), "{:?}", t0.elapsed());
    assert_eq!(c.unsent, 4);
}

#[test]
fn bad_settings_are_refused() {
    for cfg in [
        QueueConfig {
            capacity: 0,
            ..QueueConfig::default()
        },
        QueueConfig {
            backoff_initial_secs: -1.0,
            ..QueueConfig::default()
        },
        QueueConfig {
            finish_timeout_secs: f64::NAN,
            ..QueueConfig::default()
        },
    ] {
        assert!(QueuedSink::new(Collect::new(), cfg).is_err());
    }
    assert_eq!(
        QueueConfig::default().backoff(1),
        Duration::from_millis(250)
    );
    assert_eq!(QueueConfig::default().backoff(3), Duration::from_secs(1));
    assert_eq!(QueueConfig::default().backoff(40), Duration::from_secs(30));
}

use crate::sink::Collect;
