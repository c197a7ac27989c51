//! The metrics example scraped by a real Prometheus server: the test starts `prometheus`
//! (Debian package `prometheus`, installed by scripts/install-deps.sh) and
//! `examples/metrics_server` on free ports, then asks Prometheus' HTTP API for
//! `avqc_defects_total` and the lag gauge until they are there. A missing `prometheus`
//! binary fails the test.
#![cfg(all(unix, feature = "ffmpeg"))]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Child processes killed (and waited for) on drop, so a failing test leaves none behind.
struct Kill(Vec<Child>, PathBuf);

impl Drop for Kill {
    fn drop(&mut self) {
        for c in &mut self.0 {
            let _ = c.kill();
            let _ = c.wait();
        }
        let _ = std::fs::remove_dir_all(&self.1);
    }
}

/// The `prometheus` binary: `$PROMETHEUS`, else the one on the PATH; the test fails without.
fn prometheus_binary() -> PathBuf {
    if let Some(p) = std::env::var_os("PROMETHEUS") {
        return p.into();
    }
    let found = std::env::var_os("PATH").and_then(|path| {
        std::env::split_paths(&path)
            .map(|d| d.join("prometheus"))
            .find(|p| p.is_file())
    });
    found.expect(
        "the `prometheus` server is not installed: run scripts/install-deps.sh \
         (Debian package `prometheus`) or set PROMETHEUS to its binary",
    )
}

/// The `metrics_server` example beside this test's binary (`cargo build --example
/// metrics_server`, which scripts/test.sh runs first); `None` skips when it was not built,
/// unless `AVQC_REQUIRE_EXAMPLES` is set.
fn example_binary() -> Option<PathBuf> {
    let exe = std::env::current_exe().unwrap();
    let bin = exe
        .parent()?
        .parent()?
        .join("examples")
        .join("metrics_server");
    if bin.exists() {
        return Some(bin);
    }
    assert!(
        std::env::var_os("AVQC_REQUIRE_EXAMPLES").is_none(),
        "{} is missing: run `cargo build --example metrics_server`",
        bin.display()
    );
    eprintln!(
        "skipped: {} not built (cargo build --example metrics_server)",
        bin.display()
    );
    None
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn percent_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// GET `path` on `port`, returning the status code and the body.
fn get(port: u16, path: &str) -> std::io::Result<(u16, String)> {
    let mut s = TcpStream::connect(("127.0.0.1", port))?;
    s.set_read_timeout(Some(Duration::from_secs(5)))?;
    write!(s, "GET {path} HTTP/1.0\r\nHost: 127.0.0.1:{port}\r\n\r\n")?;
    let mut text = String::new();
    s.read_to_string(&mut text)?;
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let body = text
        .split_once("\r\n\r\n")
        .map_or("", |(_, b)| b)
        .to_string();
    Ok((status, body))
}

/// The samples of an instant query: (labels, value).
fn query(port: u16, q: &str) -> Vec<(serde_json::Value, f64)> {
    let Ok((200, body)) = get(port, &format!("/api/v1/query?query={}", percent_encode(q))) else {
        return Vec::new();
    };
    let v: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
    v["data"]["result"]
        .as_array()
        .map(|r| {
            r.iter()
                .filter_map(|s| {
                    let value = s["value"][1].as_str()?.parse().ok()?;
                    Some((s["metric"].clone(), value))
                })
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn prometheus_scrapes_the_metrics_example() {
    let prometheus = prometheus_binary();
    let Some(example) = example_binary() else {
        return;
    };
    let dir = std::env::temp_dir().join(format!("avqc-prometheus-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut kill = Kill(Vec::new(), dir.clone());

    // the example on a port of its choosing, read from its first line
    let data = format!("{}/tests/data/demo.ts", env!("CARGO_MANIFEST_DIR"));
    let mut server = Command::new(example)
        .args([
            "--port",
            "0",
            "--detectors",
            "freeze,black,silence,loudness",
            &data,
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("the metrics example starts");
    let out = server.stdout.take().unwrap();
    kill.0.push(server);
    let mut first = String::new();
    BufReader::new(out).read_line(&mut first).unwrap();
    let addr = first
        .trim()
        .strip_prefix("listening on http://")
        .and_then(|a| a.strip_suffix("/metrics"))
        .unwrap_or_else(|| panic!("unexpected first line {first:?}"))
        .to_string();
    let example_port: u16 = addr.rsplit(':').next().unwrap().parse().unwrap();

    let prom_port = free_port();
    let config = dir.join("prometheus.yml");
    std::fs::write(
        &config,
        format!(
            "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n\
             scrape_configs:\n  - job_name: avqc\n    scrape_interval: 1s\n    \
             static_configs:\n      - targets: ['{addr}']\n"
        ),
    )
    .unwrap();
    let prom = Command::new(&prometheus)
        .arg(format!("--config.file={}", config.display()))
        .arg(format!(
            "--storage.tsdb.path={}",
            dir.join("data").display()
        ))
        .arg(format!("--web.listen-address=127.0.0.1:{prom_port}"))
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(dir.join("prometheus.log")).unwrap())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {}: {e}", prometheus.display()));
    kill.0.push(prom);

    // the example itself answers in the text format
    let (status, text) = get(example_port, "/metrics").unwrap();
    assert_eq!(status, 200);
    assert!(
        text.contains("# TYPE avqc_stream_lag_seconds gauge"),
        "{text}"
    );

    // demo.ts freezes from 2.0 s to 3.5 s (live-paced): wait for Prometheus to have scraped it
    let t0 = Instant::now();
    let (freezes, lag) = loop {
        let freezes = query(
            prom_port,
            r#"avqc_defects_total{job="avqc",defect="video_freeze"}"#,
        );
        let lag = query(prom_port, r#"avqc_stream_lag_seconds{job="avqc"}"#);
        if freezes.iter().any(|(_, v)| *v >= 1.0) && !lag.is_empty() {
            break (freezes, lag);
        }
        if t0.elapsed() > Duration::from_secs(60) {
            let log = std::fs::read_to_string(dir.join("prometheus.log")).unwrap_or_default();
            let tail: String = log.lines().rev().take(20).collect::<Vec<_>>().join("\n");
            panic!(
                "after 60 s Prometheus has freezes {freezes:?} and lag {lag:?}; its log ends with:\n{tail}"
            );
        }
        std::thread::sleep(Duration::from_millis(500));
    };
    let (labels, count) = &freezes[0];
    assert_eq!(labels["stream"], "demo.ts", "{labels}");
    assert!((1.0..100.0).contains(count), "{count}");
    let (labels, lag) = &lag[0];
    assert_eq!(labels["stream"], "demo.ts", "{labels}");
    // a 10 s clip played live on an idle machine is analysed within seconds of its schedule
    assert!(lag.is_finite() && (0.0..10.0).contains(lag), "lag {lag}");

    // the scrape target is up, and the state gauge says the stream runs (it plays in a loop)
    let up = query(prom_port, r#"up{job="avqc"}"#);
    assert_eq!(up.first().map(|u| u.1), Some(1.0), "{up:?}");
    let running = query(prom_port, r#"sum(avqc_stream_state{job="avqc"})"#);
    assert_eq!(running.first().map(|u| u.1), Some(1.0), "{running:?}");
}
