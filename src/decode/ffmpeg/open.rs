//! Opening an input: format context, stream selection, decoders.

use std::sync::Arc;

use super::demux::Demux;
use super::lane::Lane;
use super::refs::Follower;
use crate::decode::options::{DecoderOptions, StreamSelection};
use crate::error::{Error, Result};
use crate::ffi::{CustomIo, Dict, FfError, Input, Interrupt, Packet, StreamParams};
use crate::media::time::MICROS;
use crate::media::{MediaKind, MediaTime, Rational, StreamInfo};

/// Codecs of text-mode art, which FFmpeg's tty/bintext demuxers report for any file with a
/// matching extension.
const TEXT_ART: &[&str] = &["ansi", "bintext", "xbin", "idf"];

/// An open input and the decoders of its selected streams.
pub(super) struct Opened {
    pub(super) demux: Demux,
    /// One per selected stream, in the order of `streams`.
    pub(super) lanes: Vec<Lane>,
    pub(super) streams: Vec<StreamInfo>,
    /// The lane of each container stream, for the selected ones.
    pub(super) lane_of: Vec<Option<usize>>,
    /// The input's start time, when it says.
    pub(super) origin: Option<MediaTime>,
}

/// Opens input `name` (read from `io` when given) with the demuxer options `dict`, selects
/// its streams as `opts` says and opens their decoders.
pub(super) fn open_input(
    name: &str,
    io: Option<CustomIo>,
    mut dict: Dict,
    interrupt: Arc<Interrupt>,
    opts: &DecoderOptions,
) -> Result<Opened> {
    let mut input = Input::open(
        name,
        io,
        opts.format.as_deref(),
        &mut dict,
        Arc::clone(&interrupt),
    )
    .map_err(|e| open_error(name, &e))?;
    let unused = dict.keys();
    if !unused.is_empty() {
        log::warn!("{name}: options not recognised by the demuxer: {unused:?}");
    }

    let selected = select_streams(&input, &opts.streams, name)?;
    let mut lanes = Vec::with_capacity(selected.len());
    let mut streams = Vec::with_capacity(selected.len());
    let mut lane_of = vec![None; input.stream_count()];
    let container_duration = input.duration();
    let n = selected.last().map_or(0, |p| p.index);
    for p in selected {
        let Some(kind) = p.kind else { continue };
        let codec = match input.open_decoder(p.index, opts.threads, opts.limits.max_pixels()) {
            Ok(c) => c,
            // Of all the streams, one that cannot be decoded is left out (the others still
            // are analysed); one asked for by name is an error.
            Err(e) if opts.streams == StreamSelection::All && !last_chance(&lanes, p.index, n) => {
                log::warn!(
                    "{name}: stream {} ({}) left out: {}",
                    p.index,
                    p.codec,
                    e.message()
                );
                continue;
            }
            Err(e) => {
                return Err(Error::Codec {
                    input: name.into(),
                    stream: p.index,
                    message: format!("{} ({})", e.message(), p.codec),
                })
            }
        };
        let tb = if p.time_base.is_positive() {
            p.time_base
        } else {
            Rational::new(1, 90_000)
        };
        let rate = [p.avg_frame_rate, p.r_frame_rate]
            .into_iter()
            .find(|r| r.is_positive() && r.as_f64() < 1000.0);
        let step_secs = match kind {
            MediaKind::Video => rate.map_or(0.04, |r| 1.0 / r.as_f64()),
            MediaKind::Audio => {
                let n = if p.frame_size > 0 { p.frame_size } else { 1024 };
                n as f64 / p.sample_rate.max(1) as f64
            }
        };
        let step = ((step_secs / tb.as_f64()).round() as i64).max(1);
        let duration = p
            .duration
            .filter(|&d| d > 0)
            .map(|d| MediaTime::new(d, tb))
            .or(container_duration.map(|d| MediaTime::new(d, MICROS)));
        let info = match kind {
            MediaKind::Video => StreamInfo::video(p.index, &p.codec, p.width, p.height, rate),
            MediaKind::Audio => StreamInfo::audio(p.index, &p.codec, p.sample_rate, p.channels),
        }
        .with_duration(duration)
        .with_language(p.language.clone());
        opts.limits.check_stream(name, &info)?;
        let b_refs = info.b_pictures_referenced();
        streams.push(info);
        lane_of[p.index] = Some(lanes.len());
        let frame_secs = (kind == MediaKind::Video).then_some(step_secs);
        lanes.push(Lane::new(
            p.index,
            kind,
            codec,
            tb,
            p.wrap_bits,
            step,
            frame_secs,
        ));
        if let Some(lane) = lanes.last_mut() {
            lane.b_refs = b_refs;
            if kind == MediaKind::Video {
                lane.refs = Follower::for_codec(&p.codec);
            }
        }
    }
    let keep: Vec<usize> = lanes.iter().map(|l| l.index).collect();
    input.discard_others(&keep);
    let origin = input.start_time().map(|us| MediaTime::new(us, MICROS));
    let packet = Packet::new().map_err(|e| open_error(name, &e))?;
    Ok(Opened {
        demux: Demux::new(input, packet),
        lanes,
        streams,
        lane_of,
        origin,
    })
}

/// The demuxer and protocol options of `opts`.
pub(super) fn options_dict(opts: &DecoderOptions) -> Result<Dict> {
    let mut dict = Dict::new();
    for (k, v) in &opts.format_options {
        dict.set(k, v)
            .map_err(|e| Error::config("decoder format option", e.message()))?;
    }
    if let Some(key) = &opts.decryption_key {
        let key = key.trim();
        if key.len() != 32 || !key.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(Error::config(
                "decryption key",
                "expected 32 hexadecimal digits (a 128-bit key)",
            ));
        }
        dict.set("decryption_key", key)
            .map_err(|e| Error::config("decryption key", e.message()))?;
    }
    Ok(dict)
}

/// Whether stream `index`, the last selected one (`last`), would leave no stream at all.
fn last_chance(lanes: &[Lane], index: usize, last: usize) -> bool {
    lanes.is_empty() && index == last
}

pub(super) fn open_error(name: &str, e: &FfError) -> Error {
    Error::Open {
        input: name.into(),
        message: e.message(),
    }
}

fn select_streams(
    input: &Input,
    selection: &StreamSelection,
    name: &str,
) -> Result<Vec<StreamParams>> {
    let no_stream = |what: &str| Error::NoStream {
        input: name.into(),
        what: what.into(),
    };
    let indices: Vec<usize> = match selection {
        StreamSelection::All => (0..input.stream_count())
            .filter(|&i| {
                input
                    .stream_params(i)
                    .is_some_and(|p| p.kind.is_some() && !p.attached_pic)
            })
            .collect(),
        StreamSelection::Best => {
            let v = input.best_stream(MediaKind::Video, None);
            let a = input.best_stream(MediaKind::Audio, v);
            v.into_iter().chain(a).collect()
        }
        StreamSelection::VideoOnly => input
            .best_stream(MediaKind::Video, None)
            .into_iter()
            .collect(),
        StreamSelection::AudioOnly => input
            .best_stream(MediaKind::Audio, None)
            .into_iter()
            .collect(),
        StreamSelection::Indices(list) => {
            for &i in list {
                let ok = input.stream_params(i).is_some_and(|p| p.kind.is_some());
                if !ok {
                    return Err(no_stream(&format!("audio or video stream at index {i}")));
                }
            }
            let mut v = list.clone();
            v.dedup();
            v
        }
    };
    let explicit = matches!(selection, StreamSelection::Indices(_));
    let params: Vec<StreamParams> = indices
        .into_iter()
        .filter_map(|i| input.stream_params(i))
        .filter(|p| p.kind.is_some())
        // Text-mode art "video" (the demuxers claim any `.bin`/`.ans`/`.txt` file by its
        // extension): never a picture to monitor unless asked for by index.
        .filter(|p| explicit || !TEXT_ART.contains(&p.codec.as_str()))
        .collect();
    if params.is_empty() {
        let what = match selection {
            StreamSelection::VideoOnly => "video",
            StreamSelection::AudioOnly => "audio",
            _ => "audio or video",
        };
        return Err(no_stream(what));
    }
    Ok(params)
}
