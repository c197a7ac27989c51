//! The JetStream calls the service needs, over [`crate::nats::Client`]: streams and durable
//! pull consumers created idempotently, one message at a time from a pull consumer, the
//! acknowledgements, publishing with a PubAck, and a key-value bucket (a stream `KV_<bucket>`
//! on `$KV.<bucket>.>` keeping the last message of each key).
//!
//! Shared with `tests/fleet_nats.rs` (through `#[path]`), which uses a part of it.
#![allow(dead_code)]

use std::time::Duration;

use serde_json::{json, Value};

use crate::nats::{base64_decode, Client, Msg, Subscription};

/// How long an API call may take.
pub const API_TIMEOUT: Duration = Duration::from_secs(5);

/// A JetStream API error: its `err_code` (0 when the call failed before the server answered)
/// and a description.
#[derive(Debug)]
pub struct JsError {
    /// JetStream's own error code (e.g. 10058 "stream name already in use").
    pub err_code: u64,
    /// What went wrong.
    pub text: String,
}

impl std::fmt::Display for JsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} (err_code {})", self.text, self.err_code)
    }
}

fn transport(e: std::io::Error) -> JsError {
    JsError {
        err_code: 0,
        text: e.to_string(),
    }
}

/// Reads a JetStream JSON answer, turning `{"error": {...}}` into an error.
fn answer(msg: &Msg) -> Result<Value, JsError> {
    if msg.status == Some(503) {
        return Err(JsError {
            err_code: 0,
            text: "no responders: is JetStream enabled (nats-server -js)?".into(),
        });
    }
    let v: Value = serde_json::from_slice(&msg.payload).map_err(|e| JsError {
        err_code: 0,
        text: format!("bad JetStream answer: {e}"),
    })?;
    if let Some(err) = v.get("error") {
        return Err(JsError {
            err_code: err["err_code"].as_u64().unwrap_or(0),
            text: err["description"].as_str().unwrap_or("error").to_string(),
        });
    }
    Ok(v)
}

/// Calls `$JS.API.<what>` with a JSON body.
pub fn api(nc: &Client, what: &str, body: &Value) -> Result<Value, JsError> {
    let payload = if body.is_null() {
        Vec::new()
    } else {
        body.to_string().into_bytes()
    };
    let msg = nc
        .request(&format!("$JS.API.{what}"), &[], &payload, API_TIMEOUT)
        .map_err(transport)?;
    answer(&msg)
}

/// Creates a stream from its config (`name`, `subjects`, ...) unless one of that name exists.
pub fn ensure_stream(nc: &Client, config: &Value) -> Result<(), JsError> {
    let name = config["name"].as_str().unwrap_or_default();
    match api(nc, &format!("STREAM.CREATE.{name}"), config) {
        Ok(_) => Ok(()),
        Err(e) if e.err_code == 10058 => Ok(()), // already there (maybe with other settings)
        // Another instance created it a moment before: the server checked the name before that
        // stream existed and its subjects after ("subjects overlap", 10065). There it is now.
        Err(e) if e.err_code == 10065 && stream_exists(nc, name) => Ok(()),
        Err(e) => Err(e),
    }
}

/// Whether a stream of that name exists (`STREAM.INFO` answers without an error).
fn stream_exists(nc: &Client, name: &str) -> bool {
    api(nc, &format!("STREAM.INFO.{name}"), &Value::Null).is_ok()
}

/// Creates a durable pull consumer on `stream` unless it exists.
pub fn ensure_consumer(nc: &Client, stream: &str, config: &Value) -> Result<(), JsError> {
    let durable = config["durable_name"].as_str().unwrap_or_default();
    let body = json!({"stream_name": stream, "config": config});
    match api(
        nc,
        &format!("CONSUMER.DURABLE.CREATE.{stream}.{durable}"),
        &body,
    ) {
        Ok(_) => Ok(()),
        Err(e) if e.err_code == 10148 || e.err_code == 10013 => Ok(()), // exists
        Err(e) => Err(e),
    }
}

/// A consumer's state (`num_pending`, `num_ack_pending`, `num_redelivered`, ...).
pub fn consumer_info(nc: &Client, stream: &str, consumer: &str) -> Result<Value, JsError> {
    api(
        nc,
        &format!("CONSUMER.INFO.{stream}.{consumer}"),
        &Value::Null,
    )
}

/// A pull consumer read one message at a time, through a reply subject of its own (the
/// messages JetStream delivers keep their own subject, so they are told apart by the
/// subscription, not by the subject). A message that arrives after its request timed out is
/// returned by the next call rather than lost.
pub struct Puller {
    stream: String,
    consumer: String,
    inbox: String,
    sub: Subscription,
}

impl Puller {
    /// Subscribes the reply subject.
    pub fn new(nc: &Client, stream: &str, consumer: &str) -> Result<Puller, JsError> {
        let inbox = nc.new_inbox();
        let sub = nc.subscribe(&inbox).map_err(transport)?;
        Ok(Puller {
            stream: stream.to_string(),
            consumer: consumer.to_string(),
            inbox,
            sub,
        })
    }

    /// The next message, waiting at most `expires` on the server; `None` when there was none
    /// (status 404/408/409).
    pub fn next(&self, nc: &Client, expires: Duration) -> Result<Option<Msg>, JsError> {
        if let Ok(m) = self.sub.rx.try_recv() {
            if m.status.is_none() {
                return Ok(Some(m));
            }
        }
        let body = json!({"batch": 1, "expires": expires.as_nanos() as u64});
        nc.publish(
            &format!(
                "$JS.API.CONSUMER.MSG.NEXT.{}.{}",
                self.stream, self.consumer
            ),
            Some(&self.inbox),
            &[],
            body.to_string().as_bytes(),
        )
        .map_err(transport)?;
        let msg = match self.sub.rx.recv_timeout(expires + Duration::from_secs(2)) {
            Ok(m) => m,
            Err(crossbeam_channel::RecvTimeoutError::Timeout) => return Ok(None),
            Err(_) => return Err(transport(std::io::Error::other("NATS connection closed"))),
        };
        match msg.status {
            None => Ok(Some(msg)),
            Some(404) | Some(408) | Some(409) => Ok(None),
            Some(code) => Err(JsError {
                err_code: 0,
                text: format!(
                    "pull from {}/{}: status {code} {}",
                    self.stream, self.consumer, msg.description
                ),
            }),
        }
    }
}

/// Up to `batch` messages of a pull consumer, collected until the server says there are no
/// more or `expires` passed.
pub fn fetch(
    nc: &Client,
    stream: &str,
    consumer: &str,
    batch: usize,
    expires: Duration,
) -> Result<Vec<Msg>, JsError> {
    let inbox = nc.new_inbox();
    let sub = nc.subscribe(&inbox).map_err(transport)?;
    let body = json!({"batch": batch, "expires": expires.as_nanos() as u64});
    nc.publish(
        &format!("$JS.API.CONSUMER.MSG.NEXT.{stream}.{consumer}"),
        Some(&inbox),
        &[],
        body.to_string().as_bytes(),
    )
    .map_err(transport)?;
    let mut out = Vec::new();
    while out.len() < batch {
        match sub.rx.recv_timeout(expires + Duration::from_secs(2)) {
            Ok(m) if m.status.is_none() => out.push(m),
            _ => break,
        }
    }
    let _ = nc.unsubscribe(sub);
    Ok(out)
}

/// What the ack subject of a delivered message tells
/// (`$JS.ACK.<stream>.<consumer>.<delivered>.<stream seq>.<consumer seq>.<time>.<pending>`,
/// or the longer form with a domain and an account hash).
#[derive(Clone, Debug, PartialEq)]
pub struct Delivery {
    /// How many times this message was delivered (1 = first time).
    pub delivered: u64,
    /// Its sequence number in the stream.
    pub stream_seq: u64,
    /// Messages still pending for the consumer.
    pub pending: u64,
}

impl Delivery {
    /// Parses an ack subject.
    pub fn parse(reply: &str) -> Option<Delivery> {
        let t: Vec<&str> = reply.split('.').collect();
        if t.len() < 9 || t[0] != "$JS" || t[1] != "ACK" {
            return None;
        }
        let at = if t.len() == 9 { 4 } else { 6 };
        let n = |i: usize| t.get(at + i).and_then(|s| s.parse::<u64>().ok());
        Some(Delivery {
            delivered: n(0)?,
            stream_seq: n(1)?,
            pending: n(4)?,
        })
    }
}

/// Sends an acknowledgement (`+ACK`, `-NAK`, `+WPI`, `+TERM`, or `-NAK {"delay": ns}`) and
/// waits for the server to confirm it.
pub fn ack(nc: &Client, reply: &str, kind: &str) -> Result<(), JsError> {
    nc.request(reply, &[], kind.as_bytes(), API_TIMEOUT)
        .map(|_| ())
        .map_err(transport)
}

/// Publishes to a stream's subject and waits for its PubAck; the stream sequence.
pub fn publish(
    nc: &Client,
    subject: &str,
    headers: &[(&str, &str)],
    payload: &[u8],
) -> Result<u64, JsError> {
    let msg = nc
        .request(subject, headers, payload, API_TIMEOUT)
        .map_err(transport)?;
    let v = answer(&msg)?;
    v["seq"].as_u64().ok_or_else(|| JsError {
        err_code: 0,
        text: format!("no PubAck from a stream for {subject}"),
    })
}

/// A key-value bucket.
#[derive(Clone, Debug)]
pub struct Kv {
    /// Its name.
    pub bucket: String,
}

/// One stored value of a bucket.
#[derive(Clone, Debug)]
pub struct Entry {
    /// The stream sequence it was stored at (the revision, for compare-and-set).
    pub revision: u64,
    /// The value.
    pub value: Vec<u8>,
}

impl Kv {
    /// Creates the bucket's stream unless it exists (the last value of each key kept).
    pub fn ensure(nc: &Client, bucket: &str) -> Result<Kv, JsError> {
        ensure_stream(
            nc,
            &json!({
                "name": format!("KV_{bucket}"),
                "subjects": [format!("$KV.{bucket}.>")],
                "retention": "limits", "storage": "file", "num_replicas": 1,
                "max_msgs_per_subject": 1, "discard": "new", "deny_delete": true,
                "allow_rollup_hdrs": true,
            }),
        )?;
        Ok(Kv {
            bucket: bucket.to_string(),
        })
    }

    /// Stores `value` under `key`; with `expect` only if the key's last revision is that one
    /// (0: the key must not exist). The new revision.
    pub fn put(
        &self,
        nc: &Client,
        key: &str,
        value: &[u8],
        expect: Option<u64>,
    ) -> Result<u64, JsError> {
        let subject = format!("$KV.{}.{key}", self.bucket);
        match expect {
            Some(rev) => publish(
                nc,
                &subject,
                &[("Nats-Expected-Last-Subject-Sequence", &rev.to_string())],
                value,
            ),
            None => publish(nc, &subject, &[], value),
        }
    }

    /// The last value of `key`, if any.
    pub fn get(&self, nc: &Client, key: &str) -> Result<Option<Entry>, JsError> {
        let body = json!({"last_by_subj": format!("$KV.{}.{key}", self.bucket)});
        match api(nc, &format!("STREAM.MSG.GET.KV_{}", self.bucket), &body) {
            Ok(v) => {
                let m = &v["message"];
                let value =
                    base64_decode(m["data"].as_str().unwrap_or_default()).ok_or_else(|| {
                        JsError {
                            err_code: 0,
                            text: "bad base64 in a stored message".into(),
                        }
                    })?;
                Ok(Some(Entry {
                    revision: m["seq"].as_u64().unwrap_or(0),
                    value,
                }))
            }
            Err(e) if e.err_code == 10037 => Ok(None), // no message
            Err(e) => Err(e),
        }
    }
}
