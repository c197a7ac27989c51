//! `fleet`: two [`Monitor`]s in one process standing for two instances of a service, each
//! running its own subset of the detectors (one the video detectors, one the audio detectors),
//! fed the same streams; their events are merged and printed as JSON Lines, each tagged with
//! the instance that found it.
//!
//! ```text
//! cargo run --release --example fleet [-- INPUT...]     (default: a few tests/data clips)
//! ```
//!
//! In production each instance is its own process (a pod, a task), configured from its
//! environment, e.g.
//!
//! ```text
//! AVQC_INSTANCE=qc-video-0  AVQC_DETECTORS='[{"type":"freeze"},{"type":"black"}]'
//! ```
//!
//! and a router sends each stream to the instance [`Rendezvous::instance_for`] names (the
//! end of this example prints that assignment for a three-instance video pool).

use std::process::ExitCode;

use avqc::monitor::{Monitor, Rendezvous, StreamSpec, StreamState};
use avqc::sink::ChannelSink;
use avqc::{DecoderOptions, Event, Registry, StreamSelection};

const VIDEO: &str =
    r#"[{"type":"freeze"},{"type":"black"},{"type":"corruption"},{"type":"decode_errors"}]"#;
const AUDIO: &str = r#"[{"type":"silence"},{"type":"clipping"},{"type":"click"}]"#;

fn main() -> ExitCode {
    let mut inputs: Vec<String> = std::env::args().skip(1).collect();
    if inputs.is_empty() {
        inputs = ["demo.ts", "corrupt.ts", "video_loss.ts"]
            .iter()
            .map(|f| format!("{}/tests/data/{f}", env!("CARGO_MANIFEST_DIR")))
            .collect();
    }
    match run(&inputs) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(3),
        Err(e) => {
            eprintln!("fleet: {e}");
            ExitCode::from(2)
        }
    }
}

fn run(inputs: &[String]) -> avqc::Result<bool> {
    let registry = Registry::builtin();
    // One channel per instance: in a real fleet each instance has its own sink (a queue
    // topic, a log shipper); here the two are merged on this thread.
    let (video_tx, video_rx) = crossbeam_channel::unbounded::<Event>();
    let (audio_tx, audio_rx) = crossbeam_channel::unbounded::<Event>();
    let instances = [
        (
            "qc-video",
            VIDEO,
            StreamSelection::VideoOnly,
            video_tx,
            video_rx,
        ),
        (
            "qc-audio",
            AUDIO,
            StreamSelection::AudioOnly,
            audio_tx,
            audio_rx,
        ),
    ];
    let mut monitors = Vec::new();
    for (name, detectors, streams, tx, _) in &instances {
        // Each instance decodes only what its detectors look at.
        let options = DecoderOptions {
            streams: streams.clone(),
            ..Default::default()
        };
        let monitor = Monitor::builder()
            .workers(1)
            .health_interval(0.0)
            .sink(ChannelSink::new(tx.clone()))
            .build()?;
        for input in inputs {
            let id = std::path::Path::new(input)
                .file_name()
                .map_or(input.clone(), |n| n.to_string_lossy().into_owned());
            let spec = StreamSpec::open(id, input.clone(), &options)
                .detectors_json(&registry, detectors)?;
            monitor.add(spec)?;
        }
        monitors.push((*name, monitor));
    }
    let mut all_ok = true;
    for (name, monitor) in monitors {
        for h in monitor.finish()? {
            eprintln!(
                "{name}: {} {} ({} pictures, {} audio frames)",
                h.id,
                h.state.as_str(),
                h.video_frames,
                h.audio_frames
            );
            all_ok &= h.state == StreamState::Ended;
        }
    }
    // Every sender is gone with its monitor: drain both instances' events, merged by media time.
    let mut merged: Vec<(&str, Event)> = Vec::new();
    for (name, _, _, tx, rx) in instances {
        drop(tx);
        merged.extend(rx.iter().map(|e| (name, e)));
    }
    merged.sort_by(|a, b| {
        (a.1.stream(), time(&a.1))
            .partial_cmp(&(b.1.stream(), time(&b.1)))
            .unwrap_or(std::cmp::Ordering::Equal)
    });
    for (instance, event) in &merged {
        if matches!(event, Event::Defect(_)) {
            let line = serde_json::json!({ "instance": instance, "event": event });
            println!("{line}");
        }
    }
    let pool = Rendezvous::new(["qc-video-0", "qc-video-1", "qc-video-2"]);
    for input in inputs {
        let id = input.rsplit('/').next().unwrap_or(input);
        eprintln!("route: {id} -> {}", pool.instance_for(id).unwrap_or("-"));
    }
    Ok(all_ok)
}

fn time(e: &Event) -> f64 {
    match e {
        Event::Defect(d) => d.emitted_at.as_secs_f64(),
        Event::Metric(m) => m.at.as_secs_f64(),
        Event::Notice(n) => n.at.as_secs_f64(),
        #[allow(unreachable_patterns)]
        _ => 0.0,
    }
}
