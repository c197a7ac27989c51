//! `monitor`: watch one or more inputs for defects; JSON Lines events on stdout, a summary
//! per input on stderr. `monitor --help` lists every option, its default and the exit codes.
//!
//! ```text
//! cargo run --release --example monitor -- tests/data/demo.ts
//! cargo run --release --example monitor -- --list
//! cargo run --release --example monitor -- --set freeze.min_duration=2 --set hum=false --print-config
//! cargo run --release --example monitor -- --defects-only --summary-json summary.json INPUT...
//! ```
//!
//! Exit codes: 0 every input analysed; 2 usage or configuration error; 3 an input could not be
//! opened or decoded (the others are still analysed); 4 writing events failed; 1 a second
//! SIGINT/SIGTERM ended the process at once.

mod cli;
mod progress;

use std::io::{IsTerminal, Write};
use std::path::Path;
use std::process::ExitCode;
use std::sync::{Arc, Mutex};

use avqc::html::HtmlReport;
use avqc::sink::FnSink;
use avqc::{
    Decoder, Error, Event, FfmpegDecoder, Pipeline, Registry, Report, SnapshotConfig, StopSignal,
};
use clap::Parser;

use cli::Cli;
use progress::Progress;

/// Raises `stop` on SIGINT and SIGTERM (a second one exits at once).
#[cfg(unix)]
fn stop_on_signals(stop: &StopSignal) {
    use signal_hook::consts::{SIGINT, SIGTERM};
    for sig in [SIGINT, SIGTERM] {
        // Already stopping: a second signal ends the process.
        let r = signal_hook::flag::register_conditional_shutdown(sig, 1, stop.flag().clone())
            .and_then(|_| signal_hook::flag::register(sig, stop.flag().clone()));
        if let Err(e) = r {
            eprintln!("monitor: cannot handle signal {sig}: {e}");
        }
    }
}

#[cfg(not(unix))]
fn stop_on_signals(_: &StopSignal) {}

fn usage(msg: &str) -> ExitCode {
    eprintln!("monitor: {msg}");
    eprintln!("(monitor --help lists the options)");
    ExitCode::from(2)
}

/// The `stream` name of an input: a file's name, or the URL as given.
fn stream_name(input: &str) -> String {
    if input.contains("://") {
        return input.to_string();
    }
    Path::new(input)
        .file_name()
        .map_or_else(|| input.to_string(), |n| n.to_string_lossy().into_owned())
}

fn main() -> ExitCode {
    let args = match Cli::try_parse() {
        Ok(a) => a,
        Err(e) => {
            // --help goes to stdout with exit 0; usage errors to stderr with exit 2.
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    let registry = Registry::builtin();
    if args.list {
        print!("{}", cli::list(&registry));
        return ExitCode::SUCCESS;
    }
    let set = match args.detector_set(&registry) {
        Ok(s) => s,
        Err(e) => return usage(&e),
    };
    if args.print_config {
        let full: Vec<_> = set
            .iter()
            .map(|c| registry.effective(c).expect("checked in detector_set"))
            .collect();
        println!(
            "{}",
            serde_json::to_string_pretty(&full).expect("JSON values serialise")
        );
        return ExitCode::SUCCESS;
    }
    // Fail now rather than after a long run.
    for path in [&args.summary_json, &args.report].into_iter().flatten() {
        if let Err(e) = std::fs::write(path, b"") {
            return usage(&format!("cannot write {}: {e}", path.display()));
        }
    }
    let html = args.report.as_ref().map(|_| match &args.snapshots {
        Some(dir) => HtmlReport::new().snapshots(dir),
        None => HtmlReport::new(),
    });

    let stop = StopSignal::new();
    stop_on_signals(&stop);
    let progress = (!args.no_progress && std::io::stderr().is_terminal())
        .then(|| Progress::start(args.inputs.len()));
    let stdout = Arc::new(Mutex::new(std::io::stdout()));
    let options = args.decoder_options();
    let results: Vec<(Option<Report>, Result<(), Error>)> = std::thread::scope(|s| {
        let handles: Vec<_> = args
            .inputs
            .iter()
            .enumerate()
            .map(|(i, input)| {
                let stdout = stdout.clone();
                let detectors = registry.build_set(set.clone());
                let (options, stop, args) = (&options, stop.clone(), &args);
                let tracker = progress.as_ref().map(|p| p.tracker(i));
                let html = html.clone();
                s.spawn(move || {
                    run_one(input, args, options, detectors, stop, stdout, tracker, html)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join().unwrap_or_else(|_| {
                    (None, Err(Error::Pipeline("input thread panicked".into())))
                })
            })
            .collect()
    });
    if let Some(p) = progress {
        p.finish();
    }

    let mut code = 0u8;
    let mut reports = Vec::new();
    for (input, (report, r)) in args.inputs.iter().zip(results) {
        if let Some(report) = report {
            // The summary says how the run ended, also when it failed part-way.
            eprint!("{report}");
            reports.push(report);
        }
        if let Err(e) = r {
            eprintln!("monitor: {input}: {e}");
            code = code.max(if matches!(e, Error::Sink { .. }) {
                4
            } else {
                3
            });
        }
    }
    if let (Some(path), Some(html)) = (&args.report, &html) {
        if let Err(e) = html.write(path, &reports) {
            eprintln!("monitor: {e}");
            code = code.max(4);
        }
    }
    if let Some(path) = &args.summary_json {
        let json = serde_json::to_vec_pretty(&reports).expect("reports serialise");
        if let Err(e) = std::fs::write(path, json) {
            eprintln!("monitor: cannot write {}: {e}", path.display());
            code = code.max(4);
        }
    }
    ExitCode::from(code)
}

/// Opens and analyses one input; its report (when the pipeline ran) and how it ended.
#[allow(clippy::too_many_arguments)]
fn run_one(
    input: &str,
    args: &Cli,
    options: &avqc::DecoderOptions,
    detectors: avqc::Result<Vec<Box<dyn avqc::Detector>>>,
    stop: StopSignal,
    stdout: Arc<Mutex<std::io::Stdout>>,
    tracker: Option<progress::Tracker>,
    html: Option<HtmlReport>,
) -> (Option<Report>, Result<(), Error>) {
    let url = input.contains("://");
    let stall = args.stall.unwrap_or(if url { 5.0 } else { 0.0 });
    let reconnect = args.reconnect.unwrap_or(if url { 5 } else { 0 });
    // A URL is opened on the decoder thread (retried under --reconnect), so the stall watch
    // and SIGINT apply while it is not sending yet; a file is opened at once.
    let decoder: Result<Box<dyn Decoder>, Error> = if url {
        let mut options = options.clone();
        options.reconnect.attempts = reconnect;
        Ok(Box::new(FfmpegDecoder::open_live(input, &options, &stop)))
    } else {
        FfmpegDecoder::open_interruptible(input, options, &stop).map(|d| Box::new(d) as _)
    };
    let (decoder, detectors) = match (decoder, detectors) {
        (Ok(d), Ok(s)) => (d, s),
        (Err(e), _) | (_, Err(e)) => return (None, Err(e)),
    };
    let defects_only = args.defects_only;
    let mut line = Vec::with_capacity(512);
    let sink = FnSink::new(move |e: &Event| {
        if let Some(t) = &tracker {
            t.saw(e);
        }
        if let Some(h) = &html {
            h.record(e);
        }
        if defects_only && e.as_defect().is_none() {
            return Ok(());
        }
        line.clear();
        serde_json::to_writer(&mut line, e).expect("events serialise");
        line.push(b'\n');
        let mut out = stdout.lock().unwrap_or_else(|p| p.into_inner());
        out.write_all(&line)
            .and_then(|_| out.flush())
            .map_err(|source| Error::Sink {
                sink: "stdout".into(),
                source,
            })
    });
    let mut pipeline = Pipeline::builder();
    if let Some(dir) = &args.snapshots {
        pipeline = pipeline.snapshots(SnapshotConfig::new(dir));
    }
    pipeline = pipeline.thin_pictures(args.thin as usize);
    if let Some(n) = args.detector_threads {
        pipeline = pipeline.detector_threads(n);
    }
    if stall > 0.0 {
        pipeline = pipeline.stall_timeout(std::time::Duration::from_secs_f64(stall));
    }
    let built = pipeline
        .decoder(decoder)
        .stream_name(stream_name(input))
        .detectors(detectors)
        .overload(args.policy())
        .stop_signal(stop)
        .sink(sink)
        .build();
    match built {
        Ok(p) => {
            let (report, result) = p.run_with_report();
            (Some(report), result)
        }
        Err(e) => (None, Err(e)),
    }
}
