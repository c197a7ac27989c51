//! The progress line on stderr (only when it is a terminal): media time analysed, speed
//! against real time, defects so far. Fed by the events each input's sink sees.

use std::io::Write;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use avqc::{Event, Phase};

struct Shared {
    /// Per input: the latest media time seen (f64 bits).
    media: Vec<AtomicU64>,
    defects: AtomicU64,
    done: AtomicBool,
}

/// The running progress line; [`Progress::finish`] clears it.
pub struct Progress {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

/// One input's handle on the progress line.
pub struct Tracker {
    shared: Arc<Shared>,
    input: usize,
}

impl Progress {
    /// Starts redrawing the line twice a second for `inputs` inputs.
    pub fn start(inputs: usize) -> Self {
        let shared = Arc::new(Shared {
            media: (0..inputs)
                .map(|_| AtomicU64::new(0f64.to_bits()))
                .collect(),
            defects: AtomicU64::new(0),
            done: AtomicBool::new(false),
        });
        let s = shared.clone();
        let thread = std::thread::spawn(move || {
            let began = Instant::now();
            while !s.done.load(Ordering::Relaxed) {
                std::thread::sleep(Duration::from_millis(500));
                let media: Vec<f64> = s
                    .media
                    .iter()
                    .map(|m| f64::from_bits(m.load(Ordering::Relaxed)))
                    .collect();
                let total: f64 = media.iter().sum();
                let least = media.iter().cloned().fold(f64::INFINITY, f64::min);
                let wall = began.elapsed().as_secs_f64().max(1e-3);
                let what = if media.len() == 1 {
                    format!("media {}", clock(total))
                } else {
                    format!("{} inputs, slowest at {}", media.len(), clock(least))
                };
                let line = format!(
                    "\r\x1b[Kmonitor: {what}  speed {:.1}x  defects {}",
                    total / wall,
                    s.defects.load(Ordering::Relaxed)
                );
                let mut err = std::io::stderr().lock();
                let _ = err.write_all(line.as_bytes()).and_then(|_| err.flush());
            }
        });
        Progress {
            shared,
            thread: Some(thread),
        }
    }

    /// The handle input number `input` feeds.
    pub fn tracker(&self, input: usize) -> Tracker {
        Tracker {
            shared: self.shared.clone(),
            input,
        }
    }

    /// Stops redrawing and clears the line.
    pub fn finish(mut self) {
        self.shared.done.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        eprint!("\r\x1b[K");
    }
}

impl Tracker {
    /// Notes an event: its media time, and a defect start.
    pub fn saw(&self, e: &Event) {
        let at = match e {
            Event::Defect(d) => {
                if d.phase == Phase::Start {
                    self.shared.defects.fetch_add(1, Ordering::Relaxed);
                }
                d.emitted_at
            }
            Event::Metric(m) => m.at,
            Event::Notice(n) => n.at,
            _ => return,
        };
        let slot = &self.shared.media[self.input];
        let t = at.as_secs_f64();
        if t > f64::from_bits(slot.load(Ordering::Relaxed)) {
            slot.store(t.to_bits(), Ordering::Relaxed);
        }
    }
}

/// `m:ss.s` (or `h:mm:ss`).
fn clock(secs: f64) -> String {
    let s = secs.max(0.0);
    if s >= 3600.0 {
        let t = s as u64;
        format!("{}:{:02}:{:02}", t / 3600, t / 60 % 60, t % 60)
    } else {
        format!("{}:{:04.1}", (s / 60.0) as u64, s % 60.0)
    }
}
