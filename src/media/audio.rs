use std::sync::Arc;

use crate::error::{Error, Result};
use crate::media::time::{MediaTime, Rational};

/// Decoded audio: `channels` planes of f32 samples (nominal full scale ±1.0) at `rate` Hz.
///
/// Samples are stored planar, channel after channel, in one shared buffer; cloning a frame
/// shares it.
///
/// ```
/// use avqc::{AudioFrame, MediaTime};
/// let f = AudioFrame::new(48_000, 2, MediaTime::ZERO, vec![0.5; 960]).unwrap();
/// assert_eq!(f.samples_per_channel(), 480);
/// assert_eq!(f.channel(1)[0], 0.5);
/// assert!((f.duration_secs() - 0.01).abs() < 1e-9);
/// ```
#[derive(Clone, Debug)]
pub struct AudioFrame {
    rate: u32,
    channels: usize,
    len: usize,
    samples: Arc<Vec<f32>>,
    time: MediaTime,
    stream: usize,
}

impl AudioFrame {
    /// A frame from planar samples (`samples.len()` must be a multiple of `channels`).
    pub fn new(rate: u32, channels: usize, time: MediaTime, samples: Vec<f32>) -> Result<Self> {
        Self::from_shared(rate, channels, time, Arc::new(samples))
    }

    /// A frame over a shared planar buffer (lets a decoder recycle buffers from a pool).
    pub fn from_shared(
        rate: u32,
        channels: usize,
        time: MediaTime,
        samples: Arc<Vec<f32>>,
    ) -> Result<Self> {
        if rate == 0 || channels == 0 || !samples.len().is_multiple_of(channels) {
            return Err(Error::config(
                "audio frame",
                format!(
                    "{} samples cannot be {channels} channels at {rate} Hz",
                    samples.len()
                ),
            ));
        }
        Ok(AudioFrame {
            rate,
            channels,
            len: samples.len() / channels,
            samples,
            time,
            stream: 0,
        })
    }

    /// Sets the stream index.
    pub fn with_stream(mut self, stream: usize) -> Self {
        self.stream = stream;
        self
    }

    /// Sets the time of the first sample.
    pub fn with_time(mut self, time: MediaTime) -> Self {
        self.time = time;
        self
    }

    /// Sample rate in Hz.
    pub fn rate(&self) -> u32 {
        self.rate
    }
    /// Number of channels.
    pub fn channels(&self) -> usize {
        self.channels
    }
    /// Samples in each channel.
    pub fn samples_per_channel(&self) -> usize {
        self.len
    }
    /// The samples of channel `c`. Panics when `c >= channels()`.
    pub fn channel(&self, c: usize) -> &[f32] {
        &self.samples[c * self.len..(c + 1) * self.len]
    }
    /// All samples, planar.
    pub fn samples(&self) -> &[f32] {
        &self.samples
    }
    /// Bytes of sample data the frame holds.
    pub fn byte_len(&self) -> usize {
        size_of_val(self.samples())
    }
    /// Time of the first sample.
    pub fn time(&self) -> MediaTime {
        self.time
    }
    /// Time of sample `i` of each channel.
    pub fn time_of(&self, i: usize) -> MediaTime {
        let base = Rational::new(1, self.rate as i32);
        let start = self.time.rescale(base);
        MediaTime::new(start.ticks().saturating_add(i as i64), base)
    }
    /// Duration in seconds.
    pub fn duration_secs(&self) -> f64 {
        self.len as f64 / self.rate as f64
    }
    /// Time just after the last sample.
    pub fn end_time(&self) -> MediaTime {
        self.time_of(self.len)
    }
    /// Index of the stream in its input.
    pub fn stream(&self) -> usize {
        self.stream
    }
}
