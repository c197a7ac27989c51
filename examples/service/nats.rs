//! A small synchronous NATS client: the core protocol over a `std` TCP stream, one reader
//! thread, request/reply through one wildcard inbox subscription.
//!
//! Written for this example rather than taken from crates.io: the synchronous `nats` crate is
//! deprecated, and `async-nats` needs tokio, which avqc (a library without an async runtime)
//! does not bring into its users' programs. The protocol is a line of text per command
//! (`PUB`, `HPUB`, `SUB`, `UNSUB`, `PING`/`PONG` from the client; `INFO`, `MSG`, `HMSG`,
//! `PING`/`PONG`, `+OK`, `-ERR` from the server), which is little code.
//!
//! Shared with `tests/fleet_nats.rs` (through `#[path]`), which uses a part of it.
#![allow(dead_code)]

use std::collections::{HashMap, VecDeque};
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::Duration;

use crossbeam_channel::{Receiver, Sender};

/// A message from the server (`MSG` or `HMSG`).
#[derive(Clone, Debug, Default)]
pub struct Msg {
    /// The subject it was published to.
    pub subject: String,
    /// Where to reply (for JetStream: the ack subject of a delivered message).
    pub reply: Option<String>,
    /// The headers, in order.
    pub headers: Vec<(String, String)>,
    /// A status of the header line (`NATS/1.0 404 No Messages`): 404, 408, 503...
    pub status: Option<u16>,
    /// The text after the status code.
    pub description: String,
    /// The body.
    pub payload: Vec<u8>,
}

impl Msg {
    /// The first header named `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// A subscription: its messages arrive on `rx`.
pub struct Subscription {
    /// The subscription id.
    pub sid: u64,
    /// The messages.
    pub rx: Receiver<Msg>,
}

struct Inner {
    writer: Mutex<TcpStream>,
    subs: Mutex<HashMap<u64, Sender<Msg>>>,
    /// Requests waiting for their reply, by the last token of their inbox subject.
    pending: Mutex<HashMap<String, Sender<Msg>>>,
    pongs: Mutex<VecDeque<Sender<()>>>,
    next_sid: AtomicU64,
    next_token: AtomicU64,
    /// `_INBOX.<random>`; replies come to `<inbox>.<token>`.
    inbox: String,
    closed: AtomicBool,
    last_error: Mutex<Option<String>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// A connection to one NATS server.
pub struct Client {
    inner: Arc<Inner>,
    reader: Option<JoinHandle<()>>,
}

/// The `host:port` of a `nats://host:port` URL (or of a bare `host:port`).
fn address(url: &str) -> String {
    let rest = url.strip_prefix("nats://").unwrap_or(url);
    let rest = rest.rsplit('@').next().unwrap_or(rest); // no credentials are used
    let rest = rest.trim_end_matches('/');
    if rest.contains(':') {
        rest.to_string()
    } else {
        format!("{rest}:4222")
    }
}

/// A random-enough token (inbox names): hashed time, process id and a counter.
pub fn unique_token() -> String {
    use std::hash::{BuildHasher, Hasher};
    static COUNT: AtomicU64 = AtomicU64::new(0);
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default()
            .as_nanos(),
    );
    h.write_u32(std::process::id());
    h.write_u64(COUNT.fetch_add(1, Ordering::Relaxed));
    format!("{:016x}", h.finish())
}

fn other(msg: impl Into<String>) -> io::Error {
    io::Error::other(msg.into())
}

impl Client {
    /// Connects to `url` (`nats://host:port`), announcing itself as `name`; waits for the
    /// server's answer to a first PING, so a server that refuses the connection is an error
    /// here.
    pub fn connect(url: &str, name: &str) -> io::Result<Client> {
        let stream = TcpStream::connect(address(url))?;
        stream.set_nodelay(true)?;
        stream.set_read_timeout(Some(Duration::from_secs(5)))?;
        let mut reader = BufReader::new(stream.try_clone()?);
        let mut line = String::new();
        reader.read_line(&mut line)?;
        if !line.starts_with("INFO ") {
            return Err(other(format!("not a NATS server: {}", line.trim())));
        }
        let connect = serde_json::json!({
            "verbose": false, "pedantic": false, "tls_required": false, "name": name,
            "lang": "rust", "version": "0.1.0", "protocol": 1, "headers": true,
            "no_responders": true,
        });
        let mut w = stream.try_clone()?;
        w.write_all(format!("CONNECT {connect}\r\nPING\r\n").as_bytes())?;
        loop {
            line.clear();
            if reader.read_line(&mut line)? == 0 {
                return Err(other("the server closed the connection"));
            }
            match line.trim_end() {
                "PONG" => break,
                l if l.starts_with("-ERR") => return Err(other(format!("server: {l}"))),
                _ => {}
            }
        }
        stream.set_read_timeout(None)?;
        let inner = Arc::new(Inner {
            writer: Mutex::new(w),
            subs: Mutex::new(HashMap::new()),
            pending: Mutex::new(HashMap::new()),
            pongs: Mutex::new(VecDeque::new()),
            next_sid: AtomicU64::new(2),
            next_token: AtomicU64::new(1),
            inbox: format!("_INBOX.{}", unique_token()),
            closed: AtomicBool::new(false),
            last_error: Mutex::new(None),
        });
        inner.write(format!("SUB {}.* 1\r\n", inner.inbox).as_bytes())?;
        let i = inner.clone();
        let reader = std::thread::Builder::new()
            .name("nats-reader".into())
            .spawn(move || {
                if let Err(e) = read_loop(&i, reader) {
                    *lock(&i.last_error) = Some(e.to_string());
                }
                i.closed.store(true, Ordering::Release);
                // Wake everyone waiting: their senders are dropped.
                lock(&i.subs).clear();
                lock(&i.pending).clear();
                lock(&i.pongs).clear();
            })?;
        Ok(Client {
            inner,
            reader: Some(reader),
        })
    }

    /// True once the connection is gone (the server went away or closed it).
    pub fn is_closed(&self) -> bool {
        self.inner.closed.load(Ordering::Acquire)
    }

    /// The last error the reader saw (`-ERR` from the server, a broken socket).
    pub fn last_error(&self) -> Option<String> {
        lock(&self.inner.last_error).clone()
    }

    /// Publishes `payload` to `subject`, with an optional reply subject and headers.
    pub fn publish(
        &self,
        subject: &str,
        reply: Option<&str>,
        headers: &[(&str, &str)],
        payload: &[u8],
    ) -> io::Result<()> {
        if self.is_closed() {
            return Err(io::Error::new(
                io::ErrorKind::NotConnected,
                "NATS connection closed",
            ));
        }
        let reply = reply.map(|r| format!(" {r}")).unwrap_or_default();
        let mut buf = Vec::with_capacity(payload.len() + 128);
        if headers.is_empty() {
            buf.extend_from_slice(format!("PUB {subject}{reply} {}\r\n", payload.len()).as_bytes());
        } else {
            let mut h = String::from("NATS/1.0\r\n");
            for (k, v) in headers {
                h.push_str(&format!("{k}: {v}\r\n"));
            }
            h.push_str("\r\n");
            let total = h.len() + payload.len();
            buf.extend_from_slice(
                format!("HPUB {subject}{reply} {} {total}\r\n{h}", h.len()).as_bytes(),
            );
        }
        buf.extend_from_slice(payload);
        buf.extend_from_slice(b"\r\n");
        self.inner.write(&buf)
    }

    /// Subscribes to `subject` (wildcards allowed).
    pub fn subscribe(&self, subject: &str) -> io::Result<Subscription> {
        let sid = self.inner.next_sid.fetch_add(1, Ordering::Relaxed);
        let (tx, rx) = crossbeam_channel::unbounded();
        lock(&self.inner.subs).insert(sid, tx);
        self.inner
            .write(format!("SUB {subject} {sid}\r\n").as_bytes())?;
        Ok(Subscription { sid, rx })
    }

    /// Ends a subscription.
    pub fn unsubscribe(&self, sub: Subscription) -> io::Result<()> {
        lock(&self.inner.subs).remove(&sub.sid);
        self.inner
            .write(format!("UNSUB {}\r\n", sub.sid).as_bytes())
    }

    /// A fresh subject under this connection's inbox (for replies that `request` does not
    /// collect, e.g. several messages of a JetStream fetch).
    pub fn new_inbox(&self) -> String {
        format!("{}.s{}", self.inner.inbox, unique_token())
    }

    /// Publishes a request and waits at most `timeout` for its first reply.
    pub fn request(
        &self,
        subject: &str,
        headers: &[(&str, &str)],
        payload: &[u8],
        timeout: Duration,
    ) -> io::Result<Msg> {
        let token = self
            .inner
            .next_token
            .fetch_add(1, Ordering::Relaxed)
            .to_string();
        let (tx, rx) = crossbeam_channel::bounded(1);
        lock(&self.inner.pending).insert(token.clone(), tx);
        let reply = format!("{}.{token}", self.inner.inbox);
        let sent = self.publish(subject, Some(&reply), headers, payload);
        let got = sent.and_then(|_| {
            rx.recv_timeout(timeout).map_err(|e| match e {
                crossbeam_channel::RecvTimeoutError::Timeout => io::Error::new(
                    io::ErrorKind::TimedOut,
                    format!("no reply on {subject} within {timeout:?}"),
                ),
                crossbeam_channel::RecvTimeoutError::Disconnected => {
                    io::Error::new(io::ErrorKind::NotConnected, "NATS connection closed")
                }
            })
        });
        lock(&self.inner.pending).remove(&token);
        got
    }

    /// Waits until the server has processed everything sent before (a PING answered).
    pub fn flush(&self, timeout: Duration) -> io::Result<()> {
        let (tx, rx) = crossbeam_channel::bounded(1);
        {
            // The PONGs come back in the order of the PINGs: queue and send under one lock.
            let mut pongs = lock(&self.inner.pongs);
            pongs.push_back(tx);
            self.inner.write(b"PING\r\n")?;
        }
        rx.recv_timeout(timeout)
            .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "no PONG from the server"))
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        let _ = lock(&self.inner.writer).shutdown(Shutdown::Both);
        if let Some(h) = self.reader.take() {
            let _ = h.join();
        }
    }
}

impl Inner {
    fn write(&self, buf: &[u8]) -> io::Result<()> {
        let mut w = lock(&self.writer);
        w.write_all(buf)
    }

    fn deliver(&self, sid: u64, msg: Msg) {
        if sid == 1 {
            let token = msg.subject.rsplit('.').next().unwrap_or_default();
            if let Some(tx) = lock(&self.pending).remove(token) {
                let _ = tx.send(msg);
            }
        } else if let Some(tx) = lock(&self.subs).get(&sid) {
            let _ = tx.send(msg);
        }
    }
}

/// Reads the server's commands until the connection ends.
fn read_loop(inner: &Inner, mut r: BufReader<TcpStream>) -> io::Result<()> {
    let mut line = String::new();
    loop {
        line.clear();
        if r.read_line(&mut line)? == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "server closed the connection",
            ));
        }
        let l = line.trim_end();
        let (op, args) = l.split_once(' ').unwrap_or((l, ""));
        match op.to_ascii_uppercase().as_str() {
            "PING" => inner.write(b"PONG\r\n")?,
            "PONG" => {
                if let Some(tx) = lock(&inner.pongs).pop_front() {
                    let _ = tx.send(());
                }
            }
            "MSG" | "HMSG" => {
                let f: Vec<&str> = args.split_whitespace().collect();
                let with_headers = op.eq_ignore_ascii_case("HMSG");
                let sizes = if with_headers { 2 } else { 1 };
                if f.len() < 2 + sizes || f.len() > 3 + sizes {
                    return Err(other(format!("bad {op} line: {l}")));
                }
                let num = |s: &str| {
                    s.parse::<usize>()
                        .map_err(|_| other(format!("bad {op} line: {l}")))
                };
                let sid = num(f[1])? as u64;
                let reply = (f.len() == 3 + sizes).then(|| f[2].to_string());
                let total = num(f[f.len() - 1])?;
                let hdr_len = if with_headers {
                    num(f[f.len() - 2])?
                } else {
                    0
                };
                if hdr_len > total {
                    return Err(other(format!("bad {op} line: {l}")));
                }
                let mut body = vec![0u8; total + 2];
                r.read_exact(&mut body)?;
                body.truncate(total);
                let mut msg = Msg {
                    subject: f[0].to_string(),
                    reply,
                    ..Msg::default()
                };
                if with_headers {
                    parse_headers(&body[..hdr_len], &mut msg);
                }
                msg.payload = body.split_off(hdr_len);
                inner.deliver(sid, msg);
            }
            "-ERR" => {
                *lock(&inner.last_error) = Some(args.to_string());
                eprintln!("nats: server error: {args}");
            }
            _ => {} // INFO updates, +OK
        }
    }
}

/// Parses `NATS/1.0[ code text]\r\nKey: value\r\n...`.
fn parse_headers(block: &[u8], msg: &mut Msg) {
    let text = String::from_utf8_lossy(block);
    let mut lines = text.split("\r\n");
    if let Some(first) = lines.next() {
        let mut parts = first.splitn(3, ' ');
        let _version = parts.next();
        msg.status = parts.next().and_then(|c| c.parse().ok());
        msg.description = parts.next().unwrap_or_default().to_string();
    }
    for l in lines {
        if let Some((k, v)) = l.split_once(':') {
            msg.headers
                .push((k.trim().to_string(), v.trim().to_string()));
        }
    }
}

/// Decodes standard base64 (JetStream returns stored messages so); `None` if malformed.
pub fn base64_decode(text: &str) -> Option<Vec<u8>> {
    fn value(c: u8) -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        } as u32)
    }
    let bytes: Vec<u8> = text.bytes().filter(|c| !c.is_ascii_whitespace()).collect();
    let data = bytes
        .strip_suffix(b"==")
        .or_else(|| bytes.strip_suffix(b"="))
        .unwrap_or(&bytes);
    let mut out = Vec::with_capacity(data.len() * 3 / 4);
    for chunk in data.chunks(4) {
        let mut n = 0u32;
        for (i, &c) in chunk.iter().enumerate() {
            n |= value(c)? << (18 - 6 * i);
        }
        let full = [(n >> 16) as u8, (n >> 8) as u8, n as u8];
        match chunk.len() {
            4 => out.extend_from_slice(&full),
            3 => out.extend_from_slice(&full[..2]),
            2 => out.push(full[0]),
            _ => return None,
        }
    }
    Some(out)
}
