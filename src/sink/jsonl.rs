use std::io::{BufWriter, Write};

use crate::error::{Error, Result};

use crate::event::Event;

use crate::sink::Sink;

/// Writes each event as one JSON object per line (JSON Lines) to any [`Write`], buffered.
///
/// ```
/// use avqc::{Sink, sink::JsonLines, Event, MediaTime, event::MetricEvent};
/// let mut out = Vec::new();
/// {
///     let mut s = JsonLines::new(&mut out);
///     s.emit(&Event::Metric(MetricEvent { stream: "a".into(), detector: "d".into(),
///         name: "x".into(), value: 1.0, at: MediaTime::ZERO, track: None, language: None })).unwrap();
///     s.flush().unwrap();
/// }
/// assert_eq!(String::from_utf8(out).unwrap(),
///     "{\"kind\":\"metric\",\"stream\":\"a\",\"detector\":\"d\",\"name\":\"x\",\"value\":1.0,\"at\":0.0}\n");
/// ```
pub struct JsonLines<W: Write + Send> {
    out: BufWriter<W>,
    line_flush: bool,
}

impl<W: Write + Send> JsonLines<W> {
    /// A sink writing to `w`; lines are buffered until [`Sink::flush`].
    pub fn new(w: W) -> Self {
        JsonLines {
            out: BufWriter::new(w),
            line_flush: false,
        }
    }

    /// Flushes after every line, so a reader sees each event the moment it is emitted
    /// (for live monitoring through a pipe).
    pub fn line_buffered(mut self) -> Self {
        self.line_flush = true;
        self
    }

    fn io(e: std::io::Error) -> Error {
        Error::Sink {
            sink: "jsonl".into(),
            source: e,
        }
    }
}

impl<W: Write + Send> Sink for JsonLines<W> {
    fn name(&self) -> &str {
        "jsonl"
    }
    fn emit(&mut self, event: &Event) -> Result<()> {
        serde_json::to_writer(&mut self.out, event).map_err(|e| Self::io(e.into()))?;
        self.out.write_all(b"\n").map_err(Self::io)?;
        if self.line_flush {
            self.out.flush().map_err(Self::io)?;
        }
        Ok(())
    }
    fn flush(&mut self) -> Result<()> {
        self.out.flush().map_err(Self::io)
    }
}
