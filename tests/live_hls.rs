//! Live HLS over HTTP on loopback: a playlist written live by ffmpeg's HLS muxer, served by a
//! small server in the test; a playlist that stops updating, a segment that answers 404.
#![cfg(feature = "ffmpeg")]

mod common;
mod live;

use std::time::Duration;

use avqc::{DecoderOptions, FfmpegDecoder, Phase};
use live::*;

const DETECTORS: &[&str] = &[
    "freeze",
    "frame_drop",
    "video_loss",
    "sync",
    "silence",
    "corruption",
];

#[test]
fn a_playlist_that_stops_updating_is_a_stall_not_a_hang() {
    let dir = TempDir::new("hls-stop");
    let mut writer = hls_writer(5.0, &dir.0);
    assert!(
        wait_for_segments(&dir.0, 2, Duration::from_secs(20)),
        "no playlist"
    );
    let server = HttpServer::serve(dir.0.clone(), &[]);
    let url = format!("http://127.0.0.1:{}/live.m3u8", server.port);
    let run = run(
        move |stop| FfmpegDecoder::open_interruptible(&url, &DecoderOptions::default(), stop),
        DETECTORS,
        Duration::from_millis(2000),
    );
    assert!(
        run.wait_for(Duration::from_secs(30), |r| writer.exited()
            && r.counter.video() >= 50
            && r.stalled()),
        "no stall reported once the playlist stopped"
    );
    let (report, result, events) = run.stop(Duration::from_secs(10));
    assert!(result.is_ok(), "{result:?}");
    assert!(report.stopped);
    assert_every_start_ended(&events);
    assert_stall_pairs(&events);
}

#[test]
fn a_segment_that_answers_404_is_reported_and_skipped() {
    let dir = TempDir::new("hls-404");
    let mut writer = hls_writer(9.0, &dir.0);
    assert!(
        wait_for_segments(&dir.0, 2, Duration::from_secs(20)),
        "no playlist"
    );
    let server = HttpServer::serve(dir.0.clone(), &["seg4.ts"]);
    let url = format!("http://127.0.0.1:{}/live.m3u8", server.port);
    let run = run(
        move |stop| FfmpegDecoder::open_interruptible(&url, &DecoderOptions::default(), stop),
        DETECTORS,
        Duration::from_millis(2000),
    );
    assert!(
        run.wait_for(Duration::from_secs(40), |r| writer.exited()
            && r.counter.video() >= 175
            && r.stalled()),
        "the stream did not play to its end"
    );
    let counter = run.counter.clone();
    let (report, result, events) = run.stop(Duration::from_secs(10));
    assert!(result.is_ok(), "{result:?}");
    assert_every_start_ended(&events);
    // the segments after the missing one were played: the input went on to its end
    assert!(counter.video() >= 150, "{report}");
    // the second of pictures that never came is reported, where it is
    let drops = defects(&events, "video_frame_drop");
    let skipped = drops.iter().find(|d| {
        d.phase == Phase::End && (20..=30).contains(&d.details["missing_frames"].as_u64().unwrap())
    });
    let skipped = skipped.unwrap_or_else(|| panic!("no 1 s frame drop: {events:?}"));
    let at = skipped.start.as_secs_f64();
    assert!((1.0..8.0).contains(&at), "{skipped:?}");
    // and nothing else went wrong with the content
    for kind in ["video_freeze", "video_loss", "av_sync"] {
        assert!(defects(&events, kind).is_empty(), "{kind}: {events:?}");
    }
}
