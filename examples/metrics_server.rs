//! `metrics_server`: monitors one or more inputs and serves their metrics for Prometheus on
//! `http://ADDR/metrics` (the text exposition format, version 0.0.4).
//!
//! ```text
//! cargo run --release --example metrics_server -- --port 9184 tests/data/demo.ts udp://239.0.0.1:1234
//! curl -s localhost:9184/metrics | grep avqc_defects_total
//! ```
//!
//! Options:
//!
//! * `--port P`: the port to listen on (default: `AVQC_METRICS_PORT`, else 9184; 0 = any free
//!   port). The first line on stdout says where it listens: `listening on http://ADDR/metrics`.
//! * `--bind IP`: the address to listen on (default 127.0.0.1; 0.0.0.0 for every interface).
//! * `--detectors a,b,c`: the detectors to run (default: the default set).
//! * `--once`: play files once (default: files are played live-paced, in a loop, as if they
//!   were live channels).
//!
//! Inputs are files or URLs (default: `tests/data/demo.ts`); each stream is named by its
//! file name (the whole input when two share one, and for URLs). Runs until it is killed. Exit code 2 for a usage error, 3 when it cannot listen.

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use avqc::metrics::{Metrics, CONTENT_TYPE};
use avqc::monitor::{Monitor, MonitorConfig, StreamSpec, StreamState};
use avqc::{DecoderOptions, Registry};

struct Args {
    port: u16,
    bind: String,
    detectors: Option<Vec<String>>,
    once: bool,
    inputs: Vec<String>,
}

fn parse_args() -> Result<Args, String> {
    let mut a = Args {
        port: match std::env::var("AVQC_METRICS_PORT") {
            Ok(p) => p
                .parse()
                .map_err(|_| format!("AVQC_METRICS_PORT `{p}` is not a port"))?,
            Err(_) => 9184,
        },
        bind: "127.0.0.1".into(),
        detectors: None,
        once: false,
        inputs: Vec::new(),
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = |name: &str| args.next().ok_or(format!("{name} needs a value"));
        match arg.as_str() {
            "--port" => {
                let p = value("--port")?;
                a.port = p
                    .parse()
                    .map_err(|_| format!("--port `{p}` is not a port"))?;
            }
            "--bind" => a.bind = value("--bind")?,
            "--detectors" => {
                a.detectors = Some(value("--detectors")?.split(',').map(String::from).collect())
            }
            "--once" => a.once = true,
            "-h" | "--help" => return Err(String::new()),
            s if s.starts_with("--") => return Err(format!("unknown option {s}")),
            _ => a.inputs.push(arg),
        }
    }
    if a.inputs.is_empty() {
        a.inputs
            .push(format!("{}/tests/data/demo.ts", env!("CARGO_MANIFEST_DIR")));
    }
    Ok(a)
}

/// Each input with its stream id: its file name, or the whole input for URLs and for files
/// whose names are not unique.
fn named(inputs: Vec<String>) -> Vec<(String, String)> {
    let base = |i: &str| {
        if i.contains("://") {
            i.to_string()
        } else {
            std::path::Path::new(i)
                .file_name()
                .map_or(i.to_string(), |n| n.to_string_lossy().into_owned())
        }
    };
    inputs
        .iter()
        .map(|i| {
            let b = base(i);
            let unique = inputs.iter().filter(|j| base(j) == b).count() == 1;
            (if unique { b } else { i.clone() }, i.clone())
        })
        .collect()
}

/// A stream spec for `input`, live-paced, with the chosen detectors.
fn spec(id: &str, input: &str, detectors: &Option<Vec<String>>) -> avqc::Result<StreamSpec> {
    let registry = Registry::builtin();
    let built = match detectors {
        Some(names) => registry.build_names(names)?,
        None => registry.build_defaults()?,
    };
    let opts = DecoderOptions {
        realtime: true,
        ..DecoderOptions::default()
    };
    Ok(StreamSpec::open(id, input, &opts).detectors(built))
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            if !e.is_empty() {
                eprintln!("metrics_server: {e}");
            }
            eprintln!("usage: metrics_server [--port P] [--bind IP] [--detectors a,b] [--once] [INPUT...]");
            return ExitCode::from(2);
        }
    };
    let metrics = Metrics::new();
    let config = MonitorConfig {
        health_interval_secs: 0.0, // the health is read at each scrape instead
        ..MonitorConfig::default()
    };
    let monitor = match Monitor::builder()
        .config(config)
        .sink(metrics.clone())
        .build()
    {
        Ok(m) => Arc::new(m),
        Err(e) => {
            eprintln!("metrics_server: {e}");
            return ExitCode::from(2);
        }
    };
    let inputs = named(args.inputs);
    for (id, input) in &inputs {
        if let Err(e) = spec(id, input, &args.detectors).and_then(|s| monitor.add(s)) {
            eprintln!("metrics_server: {input}: {e}");
            return ExitCode::from(2);
        }
    }
    let listener = match TcpListener::bind((args.bind.as_str(), args.port)) {
        Ok(l) => l,
        Err(e) => {
            eprintln!(
                "metrics_server: cannot listen on {}:{}: {e}",
                args.bind, args.port
            );
            return ExitCode::from(3);
        }
    };
    match listener.local_addr() {
        Ok(addr) => println!("listening on http://{addr}/metrics"),
        Err(e) => eprintln!("metrics_server: {e}"),
    }
    let _ = std::io::stdout().flush();
    if !args.once {
        replay_files(
            Arc::clone(&monitor),
            metrics.clone(),
            inputs,
            args.detectors,
        );
    }
    for conn in listener.incoming() {
        match conn {
            Ok(stream) => {
                if let Err(e) = serve(stream, &monitor, &metrics) {
                    eprintln!("metrics_server: request: {e}");
                }
            }
            Err(e) => eprintln!("metrics_server: accept: {e}"),
        }
    }
    ExitCode::SUCCESS
}

/// Adds each file input again when it ended, so it plays as a live channel would (its
/// counters go on from where they were).
fn replay_files(
    monitor: Arc<Monitor>,
    metrics: Metrics,
    inputs: Vec<(String, String)>,
    detectors: Option<Vec<String>>,
) {
    let files: Vec<_> = inputs
        .into_iter()
        .filter(|(_, i)| !i.contains("://"))
        .collect();
    std::thread::spawn(move || loop {
        std::thread::sleep(Duration::from_millis(200));
        for (id, f) in &files {
            let ended = monitor
                .stream_health(id)
                .is_some_and(|h| h.state == StreamState::Ended);
            if !ended {
                continue;
            }
            if let Some(h) = monitor.remove(id) {
                metrics.observe_health(&h); // its final counts, before they start again
            }
            if let Err(e) = spec(id, f, &detectors).and_then(|s| monitor.add(s)) {
                eprintln!("metrics_server: {f}: {e}");
            }
        }
    });
}

/// Answers one HTTP request: `GET /metrics` with the metrics, anything else 404 or 405.
fn serve(stream: TcpStream, monitor: &Monitor, metrics: &Metrics) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    stream.set_write_timeout(Some(Duration::from_secs(5)))?;
    let mut reader = BufReader::new(&stream);
    let mut request_line = String::new();
    reader.read_line(&mut request_line)?;
    // the headers, up to the blank line (a GET has no body)
    let mut line = String::new();
    let mut header_bytes = 0;
    while reader.read_line(&mut line)? > 0 && line.trim_end() != "" && header_bytes < 65536 {
        header_bytes += line.len();
        line.clear();
    }
    let mut parts = request_line.split_whitespace();
    let (method, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    let path = target.split('?').next().unwrap_or("");
    let (status, content_type, body) = match (method, path) {
        ("GET" | "HEAD", "/metrics") => {
            for h in monitor.health() {
                metrics.observe_health(&h);
            }
            metrics.observe_capacity(&monitor.capacity());
            ("200 OK", CONTENT_TYPE, metrics.render())
        }
        ("GET" | "HEAD", "/") => (
            "200 OK",
            "text/plain; charset=utf-8",
            "avqc metrics_server: see /metrics\n".to_string(),
        ),
        ("GET" | "HEAD", _) => (
            "404 Not Found",
            "text/plain; charset=utf-8",
            "not found\n".into(),
        ),
        _ => (
            "405 Method Not Allowed",
            "text/plain; charset=utf-8",
            "only GET\n".into(),
        ),
    };
    let mut out = &stream;
    write!(
        out,
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )?;
    if method != "HEAD" {
        out.write_all(body.as_bytes())?;
    }
    out.flush()
}
