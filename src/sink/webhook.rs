//! Posts defect events to a URL, through a [`QueuedSink`] so a slow or absent receiver never
//! holds up the analysis.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::queue_stats::{QueueCounts, QueueStats};
use super::queued::{QueueConfig, QueuedSink};
use crate::error::{Error, Result};
use crate::event::Event;
use crate::sink::Sink;

/// Settings of a [`WebhookSink`] (a serde struct; unknown fields are errors).
///
/// ```
/// use avqc::sink::WebhookConfig;
/// let c: WebhookConfig = serde_json::from_str(r#"{
///     "url": "http://alerts.local:9000/avqc",
///     "headers": {"Authorization": "Bearer 123"},
///     "queue": {"capacity": 256}
/// }"#).unwrap();
/// assert_eq!(c.timeout_secs, 10.0);
/// assert_eq!(c.queue.capacity, 256);
/// assert!(!c.all_events);
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WebhookConfig {
    /// Where to POST (`http://…`; `https://…` with the `webhook-tls` feature). Required.
    pub url: String,
    /// The longest one request may take, connection included, in seconds. Default 10.
    pub timeout_secs: f64,
    /// Extra request headers (e.g. `Authorization`). Default none.
    pub headers: BTreeMap<String, String>,
    /// Post every event (metrics and notices too), not only defect starts and ends.
    /// Default false.
    pub all_events: bool,
    /// The queue, retries and backoff between the run and the receiver.
    pub queue: QueueConfig,
}

impl Default for WebhookConfig {
    fn default() -> Self {
        WebhookConfig {
            url: String::new(),
            timeout_secs: 10.0,
            headers: BTreeMap::new(),
            all_events: false,
            queue: QueueConfig::default(),
        }
    }
}

/// Posts each defect event (start and end), as the JSON object of [`Event`], to a URL: one
/// `POST` with `Content-Type: application/json` per event.
///
/// The posting runs on a [`QueuedSink`]'s thread: `emit` never waits for the network, a
/// failed post (no connection, a timeout, an HTTP status of 400 or more) is retried with
/// backoff, a full queue drops events and counts them ([`stats`](Self::stats)), and none of it
/// ends the run unless [`QueueConfig::fail_run`] is set. Built on
/// [ureq](https://docs.rs/ureq), a blocking HTTP client: no async runtime is started.
///
/// ```no_run
/// use avqc::sink::{WebhookConfig, WebhookSink};
/// let hook = WebhookSink::new(WebhookConfig {
///     url: "http://alerts.local:9000/avqc".into(),
///     ..WebhookConfig::default()
/// })?;
/// let stats = hook.stats();
/// // Pipeline::builder().sink(hook)... ; after the run:
/// println!("{} defects posted, {} lost", stats.counts().delivered, stats.counts().lost());
/// # Ok::<(), avqc::Error>(())
/// ```
pub struct WebhookSink {
    queue: QueuedSink,
    all_events: bool,
}

impl WebhookSink {
    /// Checks the settings and starts the posting thread.
    pub fn new(cfg: WebhookConfig) -> Result<Self> {
        let bad = |message: String| Error::Config {
            what: "webhook sink".into(),
            message,
        };
        let https = cfg.url.starts_with("https://");
        if !(cfg.url.starts_with("http://") || https) {
            return Err(bad(format!(
                "`url` must be an http(s) URL, not `{}`",
                cfg.url
            )));
        }
        if https && !cfg!(feature = "webhook-tls") {
            return Err(Error::Unsupported(
                "https webhook URLs need the `webhook-tls` feature".into(),
            ));
        }
        if !(cfg.timeout_secs.is_finite() && cfg.timeout_secs > 0.0 && cfg.timeout_secs <= 3600.0) {
            return Err(bad("`timeout_secs` must be above 0 and at most 3600".into()));
        }
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .timeout_global(Some(Duration::from_secs_f64(cfg.timeout_secs)))
            .http_status_as_error(true)
            .build()
            .into();
        let poster = Poster {
            agent,
            url: cfg.url,
            headers: cfg.headers,
            body: Vec::new(),
        };
        Ok(WebhookSink {
            queue: QueuedSink::new(poster, cfg.queue)?,
            all_events: cfg.all_events,
        })
    }

    /// The delivery counts (see [`QueuedSink::stats`]).
    pub fn stats(&self) -> QueueStats {
        self.queue.stats()
    }

    /// Stops taking events, posts what is queued within the finish timeout, and returns the
    /// final counts (dropping the sink does the same).
    pub fn finish(self) -> QueueCounts {
        self.queue.finish()
    }
}

impl Sink for WebhookSink {
    fn name(&self) -> &str {
        "webhook"
    }
    fn emit(&mut self, event: &Event) -> Result<()> {
        if self.all_events || event.as_defect().is_some() {
            self.queue.emit(event)
        } else {
            Ok(())
        }
    }
    fn flush(&mut self) -> Result<()> {
        self.queue.flush()
    }
}

/// The inner sink: one POST per event, on the queue's thread.
struct Poster {
    agent: ureq::Agent,
    url: String,
    headers: BTreeMap<String, String>,
    body: Vec<u8>,
}

impl Sink for Poster {
    fn name(&self) -> &str {
        "webhook"
    }
    fn emit(&mut self, event: &Event) -> Result<()> {
        let failed = |e: String| Error::Sink {
            sink: "webhook".into(),
            source: std::io::Error::other(e),
        };
        self.body.clear();
        serde_json::to_writer(&mut self.body, event).map_err(|e| failed(e.to_string()))?;
        let mut req = self
            .agent
            .post(&self.url)
            .header("Content-Type", "application/json");
        for (k, v) in &self.headers {
            req = req.header(k, v);
        }
        let resp = req
            .send(&self.body[..])
            .map_err(|e| failed(format!("POST {}: {e}", self.url)))?;
        // read the (small) answer so the connection can be used again
        let _ = resp.into_body().read_to_vec();
        Ok(())
    }
}
