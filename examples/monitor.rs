//! `monitor`: watch one or more inputs for defects; JSON Lines events on stdout, a summary
//! per input on stderr.
//!
//! ```text
//! cargo run --release --example monitor -- [OPTIONS] INPUT...
//!
//!   --detectors a,b,...   detector types to run with default settings
//!                         (default: every built-in detector that is on by default)
//!   --config FILE         detector set as JSON: [{"type":"freeze","min_duration":1.0}, ...]
//!   --realtime            pace file inputs to their timestamps, as if live
//!   --analysis WxH        give detectors a copy downscaled to fit WxH
//!   --threads N           decoder threads per stream (0 = auto)
//!   --detector-threads N  threads running the detectors per stream (default 0: on the
//!                         decoder thread, the least CPU; 1 with --drop-oldest)
//!   --thin N              show detectors that need not see every picture (out_of_range,
//!                         letterbox, video_loss) only every N-th one (default 1)
//!   --full-decode         decode every picture in full even when no detector needs it
//!                         (by default the deblocking filter and non-reference pictures are
//!                         skipped when no detector of the set needs them)
//!   --drop-oldest         drop frames for a detector that falls behind (live inputs)
//!   --snapshots DIR       write a PNG of the picture at each defect start into DIR
//!   --stall SECS          report an input that delivers nothing for SECS of wall time as an
//!                         `input_stall` defect (default 5 for URLs, off for files; 0 = off)
//!   --reconnect N         reopen a URL whose reads fail, up to N attempts in a row, waiting
//!                         0.5 s doubling to 8 s between them (default 5 for URLs; 0 = off).
//!                         A UDP read fails only with the URL's `timeout` option (µs), e.g.
//!                         udp://127.0.0.1:5000?timeout=5000000
//!   --list                print the known detector types and exit
//! ```
//!
//! Inputs are files or URLs; several are analysed concurrently. The `stream` field of each
//! event is the input's file name (or the URL).
//!
//! Exit codes: 0 every input analysed; 2 usage or configuration error; 3 an input could not be
//! opened or decoded (the others are still analysed); 4 writing events failed.
//!
//! SIGINT or SIGTERM stops every input cleanly: each open defect gets its end event, the
//! output is flushed and the summaries are printed (exit 0 unless an input failed before); a
//! second signal exits at once (exit 1).

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;
use std::sync::{Arc, Mutex};

use avqc::sink::FnSink;
use avqc::{
    Decoder, DecoderOptions, Error, Event, FfmpegDecoder, OverloadPolicy, Pipeline, Registry,
    SnapshotConfig, StopSignal,
};

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

struct Args {
    detectors: Option<Vec<String>>,
    config: Option<String>,
    options: DecoderOptions,
    policy: OverloadPolicy,
    detector_threads: Option<usize>,
    thin: usize,
    snapshots: Option<String>,
    stall: Option<f64>,
    reconnect: Option<u32>,
    inputs: Vec<String>,
}

fn usage(msg: &str) -> ExitCode {
    eprintln!("monitor: {msg}");
    eprintln!("usage: monitor [--detectors a,b,..] [--config FILE] [--realtime] [--analysis WxH] [--threads N] [--detector-threads N] [--thin N] [--full-decode] [--drop-oldest] [--snapshots DIR] [--stall SECS] [--reconnect N] [--list] INPUT...");
    ExitCode::from(2)
}

fn parse(mut it: impl Iterator<Item = String>) -> Result<Option<Args>, String> {
    let mut a = Args {
        detectors: None,
        config: None,
        options: DecoderOptions::default(),
        policy: OverloadPolicy::Block,
        detector_threads: None,
        thin: 1,
        snapshots: None,
        stall: None,
        reconnect: None,
        inputs: Vec::new(),
    };
    while let Some(arg) = it.next() {
        let mut value = |name: &str| it.next().ok_or_else(|| format!("{name} needs a value"));
        match arg.as_str() {
            "--detectors" => {
                a.detectors = Some(
                    value("--detectors")?
                        .split(',')
                        .map(|s| s.trim().to_string())
                        .filter(|s| !s.is_empty())
                        .collect(),
                )
            }
            "--config" => a.config = Some(value("--config")?),
            "--snapshots" => a.snapshots = Some(value("--snapshots")?),
            "--stall" => {
                let secs: f64 = value("--stall")?
                    .parse()
                    .map_err(|_| "--stall takes seconds")?;
                if !(secs.is_finite() && secs >= 0.0) {
                    return Err("--stall takes seconds >= 0".into());
                }
                a.stall = Some(secs);
            }
            "--reconnect" => {
                a.reconnect = Some(
                    value("--reconnect")?
                        .parse()
                        .map_err(|_| "--reconnect takes a number of attempts")?,
                )
            }
            "--realtime" => a.options.realtime = true,
            "--drop-oldest" => a.policy = OverloadPolicy::DropOldest,
            "--full-decode" => a.options.full_decode = true,
            "--analysis" => {
                let v = value("--analysis")?;
                let (w, h) = v
                    .split_once('x')
                    .ok_or("--analysis takes WxH, e.g. 640x360")?;
                let w = w.parse().map_err(|_| "--analysis: bad width")?;
                let h = h.parse().map_err(|_| "--analysis: bad height")?;
                a.options.analysis_size = Some((w, h));
            }
            "--threads" => {
                a.options.threads = value("--threads")?
                    .parse()
                    .map_err(|_| "--threads takes a number")?
            }
            "--detector-threads" => {
                a.detector_threads = Some(
                    value("--detector-threads")?
                        .parse()
                        .map_err(|_| "--detector-threads takes a number")?,
                )
            }
            "--thin" => {
                a.thin = value("--thin")?
                    .parse()
                    .map_err(|_| "--thin takes a number")?
            }
            "--list" => return Ok(None),
            "-h" | "--help" => return Err("help".into()),
            "--" => a.inputs.extend(it.by_ref()),
            s if s.starts_with("--") => return Err(format!("unknown option {s}")),
            _ => a.inputs.push(arg),
        }
    }
    Ok(Some(a))
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
    let registry = Registry::builtin();
    let args = match parse(std::env::args().skip(1)) {
        Ok(Some(a)) => a,
        Ok(None) => {
            for t in registry.types() {
                println!("{t}");
            }
            return ExitCode::SUCCESS;
        }
        Err(e) => return usage(&e),
    };
    if args.inputs.is_empty() {
        return usage("no input");
    }
    if args.config.is_some() && args.detectors.is_some() {
        return usage("--config and --detectors exclude each other");
    }
    let config_json = match &args.config {
        Some(path) => match std::fs::read_to_string(path) {
            Ok(s) => Some(s),
            Err(e) => return usage(&format!("cannot read {path}: {e}")),
        },
        None => None,
    };
    // Build once up front so a bad configuration is a usage error before any input is opened.
    let build = || match (&config_json, &args.detectors) {
        (Some(json), _) => registry.build_json(json),
        (None, Some(names)) => registry.build_names(names),
        (None, None) => registry.build_defaults(),
    };
    if let Err(e) = build() {
        return usage(&e.to_string());
    }

    let stop = StopSignal::new();
    stop_on_signals(&stop);
    let stdout = Arc::new(Mutex::new(std::io::stdout()));
    let results: Vec<Result<(), Error>> = std::thread::scope(|s| {
        let handles: Vec<_> = args
            .inputs
            .iter()
            .map(|input| {
                let stdout = stdout.clone();
                let detectors = build();
                let (options, policy, snapshots) = (&args.options, args.policy, &args.snapshots);
                let (detector_threads, thin) = (args.detector_threads, args.thin);
                let stop = stop.clone();
                let url = input.contains("://");
                let stall = args.stall.unwrap_or(if url { 5.0 } else { 0.0 });
                let reconnect = args.reconnect.unwrap_or(if url { 5 } else { 0 });
                s.spawn(move || -> Result<(), Error> {
                    // Interruptible: a live input that sends nothing blocks while it is probed.
                    let decoder: Box<dyn Decoder> = if url && reconnect > 0 {
                        let mut options = options.clone();
                        options.reconnect.attempts = reconnect;
                        Box::new(FfmpegDecoder::open_reconnecting(input, &options, &stop)?)
                    } else {
                        Box::new(FfmpegDecoder::open_interruptible(input, options, &stop)?)
                    };
                    let mut line = Vec::with_capacity(512);
                    let sink = FnSink::new(move |e: &Event| {
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
                    if let Some(dir) = snapshots {
                        pipeline = pipeline.snapshots(SnapshotConfig::new(dir));
                    }
                    pipeline = pipeline.thin_pictures(thin);
                    if let Some(n) = detector_threads {
                        pipeline = pipeline.detector_threads(n);
                    }
                    if stall > 0.0 {
                        pipeline =
                            pipeline.stall_timeout(std::time::Duration::from_secs_f64(stall));
                    }
                    let (report, result) = pipeline
                        .decoder(decoder)
                        .stream_name(stream_name(input))
                        .detectors(detectors?)
                        .overload(policy)
                        .stop_signal(stop)
                        .sink(sink)
                        .build()?
                        .run_with_report();
                    // The summary says how the run ended, also when it failed part-way.
                    eprint!("{report}");
                    result
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err(Error::Pipeline("input thread panicked".into())))
            })
            .collect()
    });

    let mut code = 0u8;
    for (input, r) in args.inputs.iter().zip(results) {
        if let Err(e) = r {
            eprintln!("monitor: {input}: {e}");
            code = code.max(if matches!(e, Error::Sink { .. }) {
                4
            } else {
                3
            });
        }
    }
    ExitCode::from(code)
}
