//! Bad input never panics or hangs: it is a clear `Err`, or decodes what it can and ends.

// ---------------------------------------------------------------------------------------------
// Decoder (FFmpeg) part
// ---------------------------------------------------------------------------------------------
#[cfg(feature = "ffmpeg")]
mod decoder {
    use std::time::{Duration, Instant};

    use avqc::{Decoder, DecoderOptions, Error, FfmpegDecoder, Media, MediaKind, StopSignal};

    fn data(name: &str) -> String {
        format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"))
    }

    fn open(name: &str) -> avqc::Result<FfmpegDecoder> {
        FfmpegDecoder::open(&data(name), &DecoderOptions::default())
    }

    /// Decodes to the end; returns (video frames, audio frames, notices, ended with an error).
    fn run(d: &mut FfmpegDecoder) -> (usize, usize, Vec<avqc::DecoderNotice>, bool) {
        let (mut v, mut a, mut notices) = (0, 0, Vec::new());
        let mut failed = false;
        for _ in 0..1_000_000 {
            match d.next() {
                Ok(Some(Media::Video(_))) => v += 1,
                Ok(Some(Media::Audio(_))) => a += 1,
                Ok(Some(Media::Notice(n))) => notices.push(n),
                Ok(None) => break,
                Err(_) => {
                    failed = true;
                    break;
                }
            }
        }
        // after the end or an error: Ok(None) for ever
        for _ in 0..3 {
            assert!(matches!(d.next(), Ok(None)));
        }
        (v, a, notices, failed)
    }

    #[test]
    fn missing_file_is_an_open_error_naming_the_input() {
        match open("does-not-exist.ts") {
            Err(Error::Open { input, message }) => {
                assert!(input.ends_with("does-not-exist.ts"));
                assert!(message.to_lowercase().contains("no such file"), "{message}");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn empty_file_is_an_error() {
        let r = open("empty.ts");
        assert!(
            matches!(r, Err(Error::Open { .. }) | Err(Error::NoStream { .. })),
            "{r:?}"
        );
    }

    #[test]
    fn random_bytes_are_an_error() {
        let r = open("random.bin");
        assert!(
            matches!(r, Err(Error::Open { .. }) | Err(Error::NoStream { .. })),
            "{r:?}"
        );
    }

    #[test]
    fn random_bytes_forced_as_mpegts_do_not_hang() {
        let opts = DecoderOptions {
            format: Some("mpegts".into()),
            ..Default::default()
        };
        match FfmpegDecoder::open(&data("random.bin"), &opts) {
            Err(Error::Open { .. }) | Err(Error::NoStream { .. }) => {}
            Err(e) => panic!("{e:?}"),
            Ok(mut d) => {
                run(&mut d);
            }
        }
    }

    #[test]
    fn unknown_forced_format_is_an_open_error() {
        let opts = DecoderOptions {
            format: Some("no-such-format".into()),
            ..Default::default()
        };
        assert!(matches!(
            FfmpegDecoder::open(&data("demo.ts"), &opts),
            Err(Error::Open { .. })
        ));
    }

    #[test]
    fn truncated_ts_decodes_what_is_there_and_ends() {
        let mut d = open("truncated.ts").unwrap();
        let (v, a, notices, failed) = run(&mut d);
        assert!(!failed);
        // 40 % of a 10 s clip
        assert!((80..=110).contains(&v), "{v} pictures");
        assert!(a > 100, "{a} audio frames");
        assert!(matches!(
            notices.last().map(|n| &n.kind),
            Some(avqc::NoticeKind::EndOfStream)
        ));
    }

    #[test]
    fn audio_only_and_video_only_inputs_open() {
        let mut d = open("audio_only.m4a").unwrap();
        assert_eq!(d.streams().len(), 1);
        assert_eq!(d.streams()[0].kind, MediaKind::Audio);
        let (v, a, _, failed) = run(&mut d);
        assert!(!failed && v == 0 && a > 100);

        let mut d = open("video_only.mp4").unwrap();
        assert_eq!(d.streams().len(), 1);
        assert_eq!(d.streams()[0].kind, MediaKind::Video);
        let (v, a, _, failed) = run(&mut d);
        assert!(!failed && v == 75 && a == 0);

        // asking for what is not there
        let opts = DecoderOptions {
            streams: avqc::StreamSelection::VideoOnly,
            ..Default::default()
        };
        assert!(matches!(
            FfmpegDecoder::open(&data("audio_only.m4a"), &opts),
            Err(Error::NoStream { .. })
        ));
    }

    #[test]
    fn garbage_through_a_channel_errors_or_ends() {
        let bytes = std::fs::read(data("random.bin")).unwrap();
        let (tx, rx) = crossbeam_channel::unbounded();
        for c in bytes.chunks(4096) {
            tx.send(bytes::Bytes::copy_from_slice(c)).unwrap();
        }
        drop(tx);
        let opts = DecoderOptions {
            format: Some("mpegts".into()),
            ..Default::default()
        };
        let started = Instant::now();
        if let Ok(mut d) = FfmpegDecoder::from_channel("garbage.ts", rx, &opts) {
            run(&mut d);
        }
        assert!(started.elapsed() < Duration::from_secs(30));

        // probing unknown garbage
        let (tx, rx) = crossbeam_channel::unbounded();
        tx.send(bytes::Bytes::from(bytes)).unwrap();
        drop(tx);
        if let Ok(mut d) = FfmpegDecoder::from_channel("garbage", rx, &DecoderOptions::default()) {
            run(&mut d);
        }
    }

    #[test]
    fn empty_channel_is_an_open_error() {
        let (tx, rx) = crossbeam_channel::unbounded::<bytes::Bytes>();
        drop(tx);
        assert!(matches!(
            FfmpegDecoder::from_channel("nothing", rx, &DecoderOptions::default()),
            Err(Error::Open { .. })
        ));
    }

    #[test]
    fn failing_reader_ends_with_a_read_error() {
        struct Failing {
            good: std::io::Cursor<Vec<u8>>,
        }
        impl std::io::Read for Failing {
            fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
                match self.good.read(buf)? {
                    0 => Err(std::io::Error::other("link down")),
                    n => Ok(n),
                }
            }
        }
        let mut bytes = std::fs::read(data("demo.ts")).unwrap();
        bytes.truncate(188 * 600);
        let r = Failing {
            good: std::io::Cursor::new(bytes),
        };
        let mut d = FfmpegDecoder::from_reader("failing.ts", r, &DecoderOptions::default())
            .expect("the first 600 packets are fine");
        let mut err = None;
        loop {
            match d.next() {
                Ok(Some(_)) => {}
                Ok(None) => break,
                Err(e) => {
                    err = Some(e);
                    break;
                }
            }
        }
        match err {
            Some(Error::Read { input, message }) => {
                assert_eq!(input, "failing.ts");
                assert!(message.contains("link down"), "{message}");
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(d.next(), Ok(None)));
    }

    #[test]
    fn stop_unblocks_a_channel_waiting_for_data() {
        let bytes = std::fs::read(data("demo.ts")).unwrap();
        let (tx, rx) = crossbeam_channel::unbounded();
        // enough to open, then the host goes quiet without closing the channel
        tx.send(bytes::Bytes::from(bytes[..188 * 800].to_vec()))
            .unwrap();
        let mut d =
            FfmpegDecoder::from_channel("quiet.ts", rx, &DecoderOptions::default()).unwrap();
        let stop = StopSignal::new();
        d.set_stop_signal(stop.clone());
        let stopper = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(300));
            stop.stop();
        });
        let started = Instant::now();
        let (v, _, _, _) = run(&mut d);
        stopper.join().unwrap();
        assert!(v > 0);
        assert!(started.elapsed() < Duration::from_secs(10));
        drop(tx);
    }
}
