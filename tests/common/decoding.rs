//! Decoding the fixtures of tests/data to the end with the FFmpeg decoder, and what came out
//! (tests/decode.rs, tests/decode_timeline.rs).

use avqc::{Decoder, DecoderOptions, FfmpegDecoder, Media};

pub fn data(name: &str) -> String {
    format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"))
}

#[derive(Default, Debug)]
pub struct Summary {
    pub video: Vec<avqc::VideoFrame>,
    pub audio: Vec<avqc::AudioFrame>,
    pub notices: Vec<avqc::DecoderNotice>,
}

impl Summary {
    pub fn count(&self, name: &str) -> usize {
        self.notices
            .iter()
            .filter(|n| n.kind.name() == name)
            .count()
    }
    pub fn audio_samples(&self) -> usize {
        self.audio.iter().map(|a| a.samples_per_channel()).sum()
    }
}

pub fn drain(d: &mut dyn Decoder) -> Summary {
    let mut s = Summary::default();
    while let Some(m) = d.next().expect("decode") {
        match m {
            Media::Video(v) => s.video.push(v),
            Media::Audio(a) => s.audio.push(a),
            Media::Notice(n) => s.notices.push(n),
        }
    }
    // fused: stays at the end
    assert!(d.next().unwrap().is_none());
    assert!(d.next().unwrap().is_none());
    s
}

pub fn open(name: &str) -> FfmpegDecoder {
    FfmpegDecoder::open(&data(name), &DecoderOptions::default()).expect("open")
}
