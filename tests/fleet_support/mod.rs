//! A fleet for the tests: a `nats-server -js` on a free port with its store in a temporary
//! directory, `service` instances as child processes, clips made with the ffmpeg CLI. Every
//! process is killed when the [`Fleet`] drops, also when a test panics.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::js;
use crate::nats::Client;

/// One service instance to start: its name and its environment.
pub struct Instance {
    name: String,
    env: Vec<(String, String)>,
}

impl Instance {
    /// An instance named `name`, with the tests' defaults (ack wait 6 s, one worker). The
    /// instances share a small machine with each other and with whatever runs beside the
    /// test: admission by measured CPU would make the placements depend on that load, so the
    /// budget is set far above it and the tests bound instances with `AVQC_MAX_STREAMS`
    /// (tests/capacity.rs covers the measured admission itself).
    pub fn new(name: &str) -> Instance {
        Instance {
            name: name.to_string(),
            env: Vec::new(),
        }
        .env("AVQC_ACK_WAIT_SECS", "6")
        .env("AVQC_WORKERS", "1")
        .env("AVQC_METRICS_SECS", "5")
        .env("AVQC_CORES", "64")
        .env("AVQC_MEASURE_OTHERS", "0")
    }

    /// Sets a variable.
    pub fn env(mut self, k: &str, v: &str) -> Instance {
        self.env.retain(|(key, _)| key != k);
        self.env.push((k.to_string(), v.to_string()));
        self
    }
}

/// The NATS server, the instances and the client the test uses.
pub struct Fleet {
    dir: PathBuf,
    port: u16,
    server: Child,
    instances: Vec<(String, Child)>,
    /// The test's own connection.
    pub nc: Client,
}

/// The `service` example binary beside the test binary.
fn service_binary() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let bin = exe
        .parent()
        .and_then(|p| p.parent())
        .unwrap()
        .join("examples")
        .join("service");
    assert!(
        bin.exists(),
        "{} is missing: run `cargo build --example service` first",
        bin.display()
    );
    bin
}

impl Fleet {
    /// Starts a NATS server with JetStream; fails the test if `nats-server` is missing.
    pub fn start(name: &str) -> Fleet {
        let dir = std::env::temp_dir().join(format!("avqc-fleet-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let log = std::fs::File::create(dir.join("nats.log")).unwrap();
        let server = Command::new("nats-server")
            .args(["-js", "-a", "127.0.0.1", "-p", &port.to_string(), "-sd"])
            .arg(dir.join("js"))
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| {
                panic!("cannot start nats-server ({e}): install it (scripts/install-deps.sh)")
            });
        let deadline = Instant::now() + Duration::from_secs(10);
        let nc = loop {
            match Client::connect(&format!("nats://127.0.0.1:{port}"), "test") {
                Ok(c) => break c,
                Err(e) if Instant::now() > deadline => panic!("nats-server not reachable: {e}"),
                Err(_) => std::thread::sleep(Duration::from_millis(50)),
            }
        };
        Fleet {
            dir,
            port,
            server,
            instances: Vec::new(),
            nc,
        }
    }

    /// A live-like clip (MPEG-TS, 160x90 at 10 fps, a tone), black and silent where the
    /// ffmpeg expression `dark` is true; its path.
    pub fn clip(&self, name: &str, secs: f64, dark: &str) -> String {
        let path = self.dir.join(format!("{name}.ts"));
        let status = Command::new("ffmpeg")
            .args([
                "-hide_banner",
                "-loglevel",
                "error",
                "-y",
                "-f",
                "lavfi",
                "-i",
            ])
            .arg(format!("testsrc=size=160x90:rate=10:duration={secs}"))
            .args(["-f", "lavfi", "-i"])
            .arg(format!("sine=frequency=440:duration={secs}"))
            .arg("-vf")
            .arg(format!("drawbox=color=black:t=fill:enable='{dark}'"))
            .arg("-af")
            .arg(format!("volume=enable='{dark}':volume=0"))
            .args(["-c:v", "mpeg2video", "-c:a", "mp2", "-shortest"])
            .arg(&path)
            .status()
            .expect("the ffmpeg CLI runs");
        assert!(status.success(), "ffmpeg failed for {name}");
        path.to_string_lossy().into_owned()
    }

    /// Starts an instance (its log: `<dir>/<name>.log`).
    pub fn spawn(&mut self, inst: Instance) {
        let log = std::fs::File::create(self.dir.join(format!("{}.log", inst.name))).unwrap();
        let child = Command::new(service_binary())
            .env("AVQC_NATS_URL", format!("nats://127.0.0.1:{}", self.port))
            .env("AVQC_INSTANCE", &inst.name)
            .envs(inst.env.iter().map(|(k, v)| (k, v)))
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("the service starts");
        self.instances.push((inst.name, child));
    }

    /// Waits until the instances created the requests stream and these pools' consumers.
    pub fn wait_consumers(&self, pools: &[&str]) {
        let deadline = Instant::now() + Duration::from_secs(15);
        while !pools
            .iter()
            .all(|p| js::consumer_info(&self.nc, "AVQC_REQUESTS", p).is_ok())
        {
            assert!(Instant::now() < deadline, "no consumers: {}", self.logs());
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Publishes a request to monitor `input` as stream `id`, live-paced.
    pub fn request(&self, id: &str, input: &str) {
        let body = json!({"id": id, "input": input, "realtime": true}).to_string();
        js::publish(&self.nc, &format!("avqc.req.{id}"), &[], body.as_bytes())
            .expect("the requests stream takes it");
    }

    /// A pool's consumer state.
    pub fn consumer(&self, pool: &str) -> Value {
        js::consumer_info(&self.nc, "AVQC_REQUESTS", pool).unwrap()
    }

    /// Waits until the health record of each key satisfies `ok`; the records. Fails the
    /// test (with the records and the logs) after `timeout`.
    pub fn wait_records(
        &self,
        keys: &[String],
        timeout: Duration,
        ok: impl Fn(&str, &Value) -> bool,
    ) -> BTreeMap<String, Value> {
        let deadline = Instant::now() + timeout;
        loop {
            let records = kv_records(self, keys);
            let bad: Vec<&String> = keys
                .iter()
                .filter(|k| !records.get(*k).is_some_and(|r| ok(k, r)))
                .collect();
            if bad.is_empty() {
                return records;
            }
            if Instant::now() > deadline {
                let shown: Vec<_> = bad.iter().map(|k| (k, records.get(*k))).collect();
                panic!(
                    "after {timeout:?}, not as expected: {shown:?}\n{}",
                    self.logs()
                );
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// Kills an instance with SIGKILL.
    pub fn kill(&mut self, name: &str) {
        let i = self.instances.iter().position(|(n, _)| n == name).unwrap();
        let (_, mut child) = self.instances.remove(i);
        child.kill().unwrap();
        child.wait().unwrap();
    }

    /// Sends a signal (`-STOP`, `-CONT`...) to an instance.
    pub fn signal(&self, name: &str, signal: &str) {
        let (_, child) = self.instances.iter().find(|(n, _)| n == name).unwrap();
        let sent = Command::new("kill")
            .args([signal, &child.id().to_string()])
            .status()
            .unwrap();
        assert!(sent.success());
    }

    /// Stops every instance with SIGTERM; their exit statuses (at most 15 s each).
    pub fn stop_all(&mut self) -> Vec<ExitStatus> {
        let names: Vec<String> = self.instances.iter().map(|(n, _)| n.clone()).collect();
        for name in &names {
            self.signal(name, "-TERM");
        }
        names.iter().map(|n| self.wait_exit(n)).collect()
    }

    /// Stops one instance with SIGTERM; its exit status (at most 15 s).
    pub fn stop(&mut self, name: &str) -> ExitStatus {
        self.signal(name, "-TERM");
        self.wait_exit(name)
    }

    fn wait_exit(&mut self, name: &str) -> ExitStatus {
        let i = self.instances.iter().position(|(n, _)| n == name).unwrap();
        let (_, mut child) = self.instances.remove(i);
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            if let Some(s) = child.try_wait().unwrap() {
                return s;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                panic!("{name} did not stop on SIGTERM: {}", self.logs());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Every event stored in the events stream, in order.
    pub fn events(&self) -> Vec<Value> {
        let cfg = json!({"durable_name": "check", "ack_policy": "none", "deliver_policy": "all"});
        js::ensure_consumer(&self.nc, "AVQC_EVENTS", &cfg).unwrap();
        let mut out = Vec::new();
        loop {
            let batch = js::fetch(
                &self.nc,
                "AVQC_EVENTS",
                "check",
                500,
                Duration::from_millis(500),
            )
            .unwrap();
            if batch.is_empty() {
                break;
            }
            for m in batch {
                let v: Value = serde_json::from_slice(&m.payload).unwrap();
                let want = format!("avqc.events.{}.{}", v["pool"].as_str().unwrap(), {
                    v["stream"].as_str().unwrap()
                });
                assert_eq!(m.subject, want, "{v}");
                out.push(v);
            }
        }
        out
    }

    /// The last lines of every log, for failure messages.
    pub fn logs(&self) -> String {
        let mut out = String::new();
        let mut names: Vec<String> = vec!["nats".into()];
        names.extend(self.instances.iter().map(|(n, _)| n.clone()));
        for n in names {
            let text =
                std::fs::read_to_string(self.dir.join(format!("{n}.log"))).unwrap_or_default();
            let lines: Vec<&str> = text.lines().collect();
            let tail = lines[lines.len().saturating_sub(15)..].join("\n");
            out.push_str(&format!("--- {n}.log\n{tail}\n"));
        }
        out
    }
}

impl Drop for Fleet {
    fn drop(&mut self) {
        for (_, child) in &mut self.instances {
            let _ = child.kill();
            let _ = child.wait();
        }
        let _ = self.server.kill();
        let _ = self.server.wait();
        if !std::thread::panicking() {
            let _ = std::fs::remove_dir_all(&self.dir);
        } else {
            eprintln!("fleet files kept in {}", self.dir.display());
        }
    }
}

/// The health records of `keys` that exist.
pub fn kv_records<K: AsRef<str>>(fleet: &Fleet, keys: &[K]) -> BTreeMap<String, Value> {
    let kv = js::Kv {
        bucket: "avqc_health".into(),
    };
    keys.iter()
        .filter_map(|k| {
            let e = kv.get(&fleet.nc, k.as_ref()).ok()??;
            Some((
                k.as_ref().to_string(),
                serde_json::from_slice(&e.value).ok()?,
            ))
        })
        .collect()
}
