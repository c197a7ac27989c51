//! Prints the TR 101 290 priority-1 findings of MPEG-TS files (no decoding):
//! `cargo run --release --example tr101290 -- FILE...`

use std::io::Read;

use avqc::transport::TsAnalyzer;

fn main() {
    let files: Vec<String> = std::env::args().skip(1).collect();
    if files.is_empty() {
        eprintln!("usage: tr101290 FILE...");
        std::process::exit(2);
    }
    let mut buf = vec![0u8; 64 * 1024];
    for name in files {
        let mut f = match std::fs::File::open(&name) {
            Ok(f) => f,
            Err(e) => {
                eprintln!("{name}: {e}");
                continue;
            }
        };
        let mut a = TsAnalyzer::new();
        let mut found = 0;
        loop {
            let n = match f.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) => {
                    eprintln!("{name}: {e}");
                    break;
                }
            };
            a.feed(&buf[..n]);
            for x in a.drain() {
                found += 1;
                let pts = x
                    .pts
                    .map_or("-".into(), |p| format!("{:.3}", p as f64 / 90_000.0));
                println!(
                    "{name}\t{}\t{:?}\t{:?}\tpts {pts}\tbyte {}",
                    x.error.defect(),
                    x.pid,
                    x.phase,
                    x.offset
                );
            }
        }
        a.finish();
        for x in a.drain() {
            found += 1;
            println!(
                "{name}\t{}\t{:?}\t{:?}\tbyte {}",
                x.error.defect(),
                x.pid,
                x.phase,
                x.offset
            );
        }
        let state = if a.is_transport_stream() {
            "MPEG-TS"
        } else {
            "not MPEG-TS"
        };
        eprintln!("{name}: {state}, {} packets, {found} findings", a.packets());
    }
}
