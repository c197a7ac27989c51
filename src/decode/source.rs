use crate::decode::Decoder;
use crate::error::Result;
use crate::media::{Media, StreamInfo};

/// A pure-Rust decoder over any iterator of [`Media`]: synthetic frames for tests, frames a
/// host decoded itself, or a closure (`std::iter::from_fn`).
///
/// ```
/// use avqc::{AudioFrame, Decoder, FrameSource, Media, MediaTime, StreamInfo};
/// let mut i = 0;
/// let src = std::iter::from_fn(move || {
///     i += 1;
///     (i <= 5).then(|| Media::Audio(AudioFrame::new(48_000, 1, MediaTime::from_secs_f64((i - 1) as f64 * 0.02), vec![0.0; 960]).unwrap()))
/// });
/// let mut d = FrameSource::new("tone", vec![StreamInfo::audio(0, "pcm", 48_000, 1)], src);
/// assert!(d.next().unwrap().is_some());
/// ```
pub struct FrameSource<I> {
    name: String,
    streams: Vec<StreamInfo>,
    iter: Option<I>,
}

impl<I> FrameSource<I>
where
    I: Iterator<Item = Media> + Send,
{
    /// A source named `name` with `streams`, yielding the items of `iter`.
    pub fn new(
        name: impl Into<String>,
        streams: Vec<StreamInfo>,
        iter: impl IntoIterator<IntoIter = I>,
    ) -> Self {
        FrameSource {
            name: name.into(),
            streams,
            iter: Some(iter.into_iter()),
        }
    }
}

impl<I> Decoder for FrameSource<I>
where
    I: Iterator<Item = Media> + Send,
{
    fn name(&self) -> &str {
        &self.name
    }
    fn streams(&self) -> &[StreamInfo] {
        &self.streams
    }
    fn next(&mut self) -> Result<Option<Media>> {
        let item = self.iter.as_mut().and_then(Iterator::next);
        if item.is_none() {
            self.iter = None; // fused: stays at the end
        }
        Ok(item)
    }
}
