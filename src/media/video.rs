use std::sync::Arc;

use bytes::Bytes;

use crate::error::{Error, Result};
use crate::media::time::MediaTime;

/// Pixel layouts avqc's detectors understand. Decoders convert anything else to
/// [`PixelFormat::Yuv420p`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum PixelFormat {
    /// One 8-bit luma plane.
    Gray8,
    /// 8-bit Y, U, V planes, chroma halved both ways.
    Yuv420p,
    /// 8-bit Y, U, V planes, chroma halved horizontally.
    Yuv422p,
    /// 8-bit Y, U, V planes, full-size chroma.
    Yuv444p,
    /// 8-bit Y plane and one interleaved UV plane, chroma halved both ways.
    Nv12,
}

impl PixelFormat {
    /// Number of planes.
    pub fn plane_count(self) -> usize {
        match self {
            PixelFormat::Gray8 => 1,
            PixelFormat::Nv12 => 2,
            _ => 3,
        }
    }

    /// Width and height in bytes/rows of plane `i` for a `width`×`height` picture.
    pub fn plane_size(self, i: usize, width: usize, height: usize) -> (usize, usize) {
        let half_w = width.div_ceil(2);
        let half_h = height.div_ceil(2);
        match (self, i) {
            (_, 0) => (width, height),
            (PixelFormat::Yuv420p, _) => (half_w, half_h),
            (PixelFormat::Yuv422p, _) => (half_w, height),
            (PixelFormat::Nv12, _) => (half_w * 2, half_h),
            _ => (width, height),
        }
    }

    /// A short name (`"yuv420p"`), as FFmpeg spells it.
    pub fn name(self) -> &'static str {
        match self {
            PixelFormat::Gray8 => "gray",
            PixelFormat::Yuv420p => "yuv420p",
            PixelFormat::Yuv422p => "yuv422p",
            PixelFormat::Yuv444p => "yuv444p",
            PixelFormat::Nv12 => "nv12",
        }
    }
}

/// Whether 8-bit luma spans 16–235 (limited, "TV") or 0–255 (full, "PC").
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum ColorRange {
    /// Not signalled; treat as limited (the broadcast default).
    #[default]
    Unknown,
    /// Luma 16–235, chroma 16–240.
    Limited,
    /// Luma and chroma 0–255.
    Full,
}

impl ColorRange {
    /// The code value of black luma in this range.
    pub fn black_level(self) -> u8 {
        match self {
            ColorRange::Full => 0,
            _ => 16,
        }
    }

    /// The code value of white luma in this range.
    pub fn white_level(self) -> u8 {
        match self {
            ColorRange::Full => 255,
            _ => 235,
        }
    }
}

/// The coding type of a decoded picture, when the decoder says.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum PictureType {
    /// Unknown or not applicable.
    #[default]
    Unknown,
    /// Intra-coded.
    I,
    /// Predicted.
    P,
    /// Bi-predicted.
    B,
}

/// Decoder flags of one picture: key frame, and whether the decoder saw damage.
///
/// ```
/// use avqc::FrameFlags;
/// let f = FrameFlags::KEY | FrameFlags::CONCEALED;
/// assert!(f.contains(FrameFlags::KEY));
/// assert!(f.is_damaged());
/// assert!(!FrameFlags::KEY.is_damaged());
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct FrameFlags(u32);

impl FrameFlags {
    /// No flag.
    pub const NONE: FrameFlags = FrameFlags(0);
    /// A key frame (decoding can start here; damage does not propagate across it).
    pub const KEY: FrameFlags = FrameFlags(1);
    /// The decoder flagged the picture as corrupt (`AV_FRAME_FLAG_CORRUPT`).
    pub const CORRUPT: FrameFlags = FrameFlags(2);
    /// Error concealment was applied to parts of the picture.
    pub const CONCEALED: FrameFlags = FrameFlags(4);
    /// The bitstream was invalid or a reference was missing while decoding this picture.
    pub const DECODE_ERROR: FrameFlags = FrameFlags(8);
    /// The packet(s) of this picture were marked corrupt by the demuxer (e.g. MPEG-TS
    /// continuity errors) or the decoder logged errors while decoding it.
    pub const DAMAGED_INPUT: FrameFlags = FrameFlags(16);
    /// No other picture is predicted from this one, as the stream's headers say (an MPEG-1/2
    /// B-picture, an HEVC sub-layer non-reference picture of the highest sub-layer): damage
    /// of its own ends with it. Not a damage flag.
    pub const NON_REFERENCE: FrameFlags = FrameFlags(32);

    /// True when every flag in `other` is set.
    pub fn contains(self, other: FrameFlags) -> bool {
        self.0 & other.0 == other.0
    }

    /// True when any damage flag is set.
    pub fn is_damaged(self) -> bool {
        self.0
            & (Self::CORRUPT.0 | Self::CONCEALED.0 | Self::DECODE_ERROR.0 | Self::DAMAGED_INPUT.0)
            != 0
    }

    /// The raw bits.
    pub fn bits(self) -> u32 {
        self.0
    }
}

impl std::ops::BitOr for FrameFlags {
    type Output = FrameFlags;
    fn bitor(self, rhs: FrameFlags) -> FrameFlags {
        FrameFlags(self.0 | rhs.0)
    }
}

impl std::ops::BitOrAssign for FrameFlags {
    fn bitor_assign(&mut self, rhs: FrameFlags) {
        self.0 |= rhs.0;
    }
}

/// One plane of a picture: shared bytes, with the distance between rows (`stride`) and the
/// visible size. The invariant `data.len() >= stride * (height - 1) + width` is checked once, at
/// construction, so rows can be sliced without further checks.
///
/// ```
/// use avqc::Plane;
/// let p = Plane::new(vec![1u8, 2, 3, 0, 4, 5, 6, 0].into(), 4, 3, 2).unwrap();
/// assert_eq!(p.row(1), &[4, 5, 6]);
/// ```
#[derive(Clone, Debug, Default)]
pub struct Plane {
    data: Bytes,
    stride: usize,
    width: usize,
    height: usize,
}

impl Plane {
    /// A plane over `data`, `height` rows of `width` bytes each starting `stride` bytes apart.
    pub fn new(data: Bytes, stride: usize, width: usize, height: usize) -> Result<Self> {
        // Checked: sizes come from hosts and hostile streams (an overflow is a bad plane).
        let needed = if height == 0 {
            Some(0)
        } else {
            stride
                .checked_mul(height - 1)
                .and_then(|n| n.checked_add(width))
        };
        if stride < width || needed.is_none_or(|n| data.len() < n) {
            return Err(Error::config(
                "plane",
                format!(
                    "{} bytes with stride {stride} cannot hold {height} rows of {width}",
                    data.len()
                ),
            ));
        }
        Ok(Plane {
            data,
            stride,
            width,
            height,
        })
    }

    /// Row `y` (visible bytes only). Panics when `y >= height`.
    #[inline]
    pub fn row(&self, y: usize) -> &[u8] {
        let start = y * self.stride;
        &self.data[start..start + self.width]
    }

    /// Hints the CPU to fetch row `y` into its caches ahead of a read (nothing when `y` is
    /// past the last row). Detectors that read every few rows call it for a row ahead.
    #[inline]
    pub(crate) fn prefetch_row(&self, y: usize) {
        if y < self.height {
            crate::hint::prefetch(self.row(y));
        }
    }

    /// All visible rows, top to bottom.
    pub fn rows(&self) -> impl Iterator<Item = &[u8]> + '_ {
        (0..self.height).map(move |y| self.row(y))
    }

    /// The shared bytes, padding included.
    pub fn data(&self) -> &Bytes {
        &self.data
    }

    /// Bytes from one row to the next.
    pub fn stride(&self) -> usize {
        self.stride
    }

    /// Visible bytes per row.
    pub fn width(&self) -> usize {
        self.width
    }

    /// Rows.
    pub fn height(&self) -> usize {
        self.height
    }
}

/// A decoded picture: planes shared with the decoder (no copy), format, timing and decoder flags.
///
/// Cloning is cheap (reference counts only).
///
/// ```
/// use avqc::{MediaTime, PixelFormat, VideoFrame};
/// let f = VideoFrame::filled(64, 36, PixelFormat::Yuv420p, MediaTime::from_secs_f64(0.04), [16, 128, 128]);
/// assert_eq!(f.luma().row(0)[0], 16);
/// assert_eq!(f.plane(1).unwrap().width(), 32);
/// ```
#[derive(Clone, Debug)]
pub struct VideoFrame {
    width: usize,
    height: usize,
    format: PixelFormat,
    range: ColorRange,
    planes: [Plane; 4],
    time: MediaTime,
    duration: Option<f64>,
    flags: FrameFlags,
    picture_type: PictureType,
    stream: usize,
    /// B-pictures of the stream may be references (false: MPEG-1/2, see
    /// [`StreamInfo::b_pictures_referenced`](crate::media::StreamInfo::b_pictures_referenced)).
    b_refs: bool,
    analysis: Option<Arc<VideoFrame>>,
    /// ATSC A/53 closed-caption bytes carried with the picture (`cc_data` triplets).
    a53_cc: Option<Bytes>,
    /// Tells pictures apart (shared by clones, which hold the same pixels): see [`Self::id`].
    id: u64,
}

/// The last picture identity handed out (0 is never used).
static LAST_ID: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

impl VideoFrame {
    /// A frame from its planes. Checks that the planes match `format` and the picture size.
    pub fn new(
        width: usize,
        height: usize,
        format: PixelFormat,
        time: MediaTime,
        planes: impl IntoIterator<Item = Plane>,
    ) -> Result<Self> {
        let mut arr: [Plane; 4] = Default::default();
        let mut n = 0;
        for p in planes {
            if n == 4 {
                return Err(Error::config("video frame", "more than 4 planes"));
            }
            arr[n] = p;
            n += 1;
        }
        if n != format.plane_count() {
            return Err(Error::config(
                "video frame",
                format!(
                    "{} needs {} planes, got {n}",
                    format.name(),
                    format.plane_count()
                ),
            ));
        }
        for (i, p) in arr.iter().take(n).enumerate() {
            let (w, h) = format.plane_size(i, width, height);
            if p.width < w || p.height < h {
                return Err(Error::config(
                    "video frame",
                    format!(
                        "plane {i} is {}x{}, {} {width}x{height} needs {w}x{h}",
                        p.width,
                        p.height,
                        format.name()
                    ),
                ));
            }
        }
        Ok(VideoFrame {
            width,
            height,
            format,
            range: ColorRange::Unknown,
            planes: arr,
            time,
            duration: None,
            flags: FrameFlags::NONE,
            picture_type: PictureType::Unknown,
            stream: 0,
            b_refs: true,
            analysis: None,
            a53_cc: None,
            id: LAST_ID.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1,
        })
    }

    /// A frame of one flat colour per plane (`values[i]` for plane `i`), e.g. `[16, 128, 128]`
    /// for limited-range black. Allocates; meant for tests and synthetic sources.
    pub fn filled(
        width: usize,
        height: usize,
        format: PixelFormat,
        time: MediaTime,
        values: [u8; 3],
    ) -> Self {
        Self::from_fn(width, height, format, time, |plane, _, _| {
            values[plane.min(2)]
        })
    }

    /// A frame whose byte at (`x`, `y`) of plane `p` is `f(p, x, y)`. Allocates; for tests and
    /// synthetic sources.
    pub fn from_fn(
        width: usize,
        height: usize,
        format: PixelFormat,
        time: MediaTime,
        mut f: impl FnMut(usize, usize, usize) -> u8,
    ) -> Self {
        let planes = (0..format.plane_count()).map(|i| {
            let (w, h) = format.plane_size(i, width, height);
            let mut v = Vec::with_capacity(w * h);
            for y in 0..h {
                for x in 0..w {
                    v.push(f(i, x, y));
                }
            }
            Plane {
                data: Bytes::from(v),
                stride: w,
                width: w,
                height: h,
            }
        });
        // The planes were made to fit `format`, so `new` cannot fail here.
        Self::new(width, height, format, time, planes.collect::<Vec<_>>()).expect("planes fit")
    }

    /// Picture width in pixels.
    pub fn width(&self) -> usize {
        self.width
    }
    /// Picture height in pixels.
    pub fn height(&self) -> usize {
        self.height
    }
    /// Pixel format.
    pub fn format(&self) -> PixelFormat {
        self.format
    }
    /// Colour range.
    pub fn range(&self) -> ColorRange {
        self.range
    }
    /// Presentation time on the input's timeline.
    pub fn time(&self) -> MediaTime {
        self.time
    }
    /// Display duration in seconds, when known.
    pub fn duration(&self) -> Option<f64> {
        self.duration
    }
    /// Decoder flags.
    pub fn flags(&self) -> FrameFlags {
        self.flags
    }
    /// Coding type.
    pub fn picture_type(&self) -> PictureType {
        self.picture_type
    }
    /// Index of the stream in its input.
    pub fn stream(&self) -> usize {
        self.stream
    }
    /// Whether B-pictures of this picture's stream may be references for other pictures: a
    /// fact of the stream's codec ([`StreamInfo::b_pictures_referenced`]), `true` (may be)
    /// unless the decoder said otherwise.
    ///
    /// [`StreamInfo::b_pictures_referenced`]: crate::media::StreamInfo::b_pictures_referenced
    pub fn b_pictures_referenced(&self) -> bool {
        self.b_refs
    }
    /// Plane `i`, if the format has it.
    pub fn plane(&self, i: usize) -> Option<&Plane> {
        (i < self.format.plane_count()).then(|| &self.planes[i])
    }
    /// The ATSC A/53 closed-caption data the picture carried (from the codec's SEI or user
    /// data; FFmpeg's `AV_FRAME_DATA_A53_CC`): `cc_data` triplets of 3 bytes each (the first
    /// holds `cc_valid` in bit 2 and `cc_type` in bits 0-1: 0/1 CEA-608 field 1/2, 2/3
    /// CEA-708 DTVCC), shared with the decoder without a copy. `None` when it carried none.
    ///
    /// ```
    /// use avqc::{MediaTime, PixelFormat, VideoFrame};
    /// let f = VideoFrame::filled(16, 16, PixelFormat::Gray8, MediaTime::ZERO, [16, 128, 128]);
    /// assert!(f.a53_captions().is_none());
    /// let f = f.with_a53_captions(bytes::Bytes::from_static(&[0xfc, 0x94, 0x2c]));
    /// assert_eq!(f.a53_captions(), Some(&[0xfc, 0x94, 0x2c][..]));
    /// ```
    pub fn a53_captions(&self) -> Option<&[u8]> {
        self.a53_cc.as_deref()
    }

    /// The luma plane (plane 0 of every supported format).
    pub fn luma(&self) -> &Plane {
        &self.planes[0]
    }

    /// Bytes of picture data the frame holds (its planes, and its analysis copy if any): about
    /// what keeping it in a queue costs.
    ///
    /// ```
    /// use avqc::{MediaTime, PixelFormat, VideoFrame};
    /// let f = VideoFrame::filled(64, 32, PixelFormat::Yuv420p, MediaTime::ZERO, [16, 128, 128]);
    /// assert_eq!(f.byte_len(), 64 * 32 + 2 * (32 * 16));
    /// ```
    pub fn byte_len(&self) -> usize {
        let planes: usize = self.planes[..self.format.plane_count()]
            .iter()
            .map(|p| p.data().len())
            .sum();
        planes + self.analysis.as_ref().map_or(0, |a| a.byte_len())
    }

    /// The downscaled copy made for analysis (see the decoder's analysis size), or this frame
    /// when there is none. Detectors that do not need full resolution read this.
    pub fn analysis(&self) -> &VideoFrame {
        self.analysis.as_deref().unwrap_or(self)
    }

    /// This picture's identity in the process: unique to each frame made by [`VideoFrame::new`]
    /// and kept by its clones and `with_*` changes, none of which touch the pixels. Never 0.
    pub(crate) fn id(&self) -> u64 {
        self.id
    }

    /// Sets the colour range.
    pub fn with_range(mut self, range: ColorRange) -> Self {
        self.range = range;
        self
    }
    /// Sets the display duration in seconds.
    pub fn with_duration(mut self, secs: Option<f64>) -> Self {
        self.duration = secs;
        self
    }
    /// Sets decoder flags.
    pub fn with_flags(mut self, flags: FrameFlags) -> Self {
        self.flags = flags;
        self
    }
    /// Sets the coding type.
    pub fn with_picture_type(mut self, t: PictureType) -> Self {
        self.picture_type = t;
        self
    }
    /// Sets whether B-pictures of the stream may be references (see
    /// [`b_pictures_referenced`](Self::b_pictures_referenced)).
    pub fn with_b_pictures_referenced(mut self, referenced: bool) -> Self {
        self.b_refs = referenced;
        self
    }
    /// Attaches ATSC A/53 closed-caption data (see [`a53_captions`](Self::a53_captions)).
    pub fn with_a53_captions(mut self, cc_data: Bytes) -> Self {
        self.a53_cc = Some(cc_data);
        self
    }
    /// Sets the stream index.
    pub fn with_stream(mut self, stream: usize) -> Self {
        self.stream = stream;
        self
    }
    /// Sets the presentation time (of the analysis copy too; moved in place, no allocation,
    /// when the copy is not shared).
    pub fn with_time(mut self, time: MediaTime) -> Self {
        self.time = time;
        if let Some(small) = &mut self.analysis {
            Arc::make_mut(small).time = time;
        }
        self
    }
    /// Attaches a downscaled copy for analysis (its own time and flags are replaced by this
    /// frame's).
    pub fn with_analysis(mut self, small: VideoFrame) -> Self {
        let small = VideoFrame {
            analysis: None,
            a53_cc: self.a53_cc.clone(),
            time: self.time,
            flags: self.flags,
            stream: self.stream,
            ..small
        };
        self.analysis = Some(Arc::new(small));
        self
    }
}
