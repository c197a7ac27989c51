//! `monitor --report FILE.html` opened in a real headless browser (Debian `chromium`, installed
//! by scripts/install-deps.sh): the page loads without console errors, its script draws one
//! defect mark per defect, and a screenshot is kept in target/ci-artifacts/ for CI; an input
//! with two audio tracks gets a lane and curves per track.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

fn chromium() -> PathBuf {
    for name in ["chromium", "chromium-browser", "google-chrome"] {
        if let Ok(out) = Command::new("which").arg(name).output() {
            if out.status.success() {
                return PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
            }
        }
    }
    panic!("no chromium on this machine: run scripts/install-deps.sh (as root) to install it");
}

/// Runs headless chromium on `page` with `args`; (stdout, stderr).
fn browse(page: &Path, profile: &Path, args: &[&str]) -> (String, String) {
    let out = Command::new(chromium())
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
            // containers often have a small /dev/shm
            "--disable-dev-shm-usage",
        ])
        .args(["--enable-logging=stderr", "--v=0"])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(args)
        .arg(format!("file://{}", page.display()))
        .output()
        .expect("chromium runs");
    assert!(
        out.status.success(),
        "chromium failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn the_report_loads_in_a_browser_and_draws_every_defect() {
    let Some(monitor) = common::monitor_binary() else {
        return;
    };
    let dir = std::env::temp_dir().join(format!("avqc-html-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let page = dir.join("report.html");
    let snaps = dir.join("snaps");
    let out = Command::new(monitor)
        .args(["--defects-only", "--snapshots"])
        .arg(&snaps)
        .arg("--report")
        .arg(&page)
        .arg("tests/data/demo.ts")
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let events = String::from_utf8_lossy(&out.stdout);
    let starts = events
        .lines()
        .filter(|l| l.contains(r#""phase":"start""#))
        .count();
    assert!(
        starts >= 4,
        "demo.ts has a freeze, a black, a silence and clipping"
    );

    let html = std::fs::read_to_string(&page).unwrap();
    for remote in [
        "src=\"http",
        "href=\"http",
        "url(http",
        "@import",
        "fetch(",
        "XMLHttpRequest",
    ] {
        assert!(
            !html.contains(remote),
            "the page loads something from the network: {remote}"
        );
    }
    let snapshots = std::fs::read_dir(&snaps).unwrap().count();
    assert!(snapshots > 0);
    assert_eq!(
        html.matches("<img ").count(),
        starts,
        "one embedded snapshot per defect start"
    );

    let profile = dir.join("profile");
    let (dom, log) = browse(&page, &profile, &["--dump-dom"]);
    // The script ran to its end and drew a mark per defect, and logged nothing.
    assert!(
        dom.contains(r#"data-rendered="ok""#),
        "the page's script did not finish:\n{log}"
    );
    assert_eq!(dom.matches(r#"class="defect-mark""#).count(), starts);
    assert!(dom.contains(r#"class="curve""#), "no loudness curve drawn");
    let console: Vec<&str> = log.lines().filter(|l| l.contains(":CONSOLE")).collect();
    assert!(console.is_empty(), "console messages: {console:#?}");

    // The picture, kept for CI.
    let artifacts = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/ci-artifacts");
    std::fs::create_dir_all(&artifacts).unwrap();
    let shot = artifacts.join("report.png");
    let _ = std::fs::remove_file(&shot);
    browse(
        &page,
        &profile,
        &[
            "--window-size=1100,1900",
            &format!("--screenshot={}", shot.display()),
        ],
    );
    let png = std::fs::read(&shot).expect("chromium wrote the screenshot");
    assert!(
        png.starts_with(b"\x89PNG") && png.len() > 10_000,
        "not a picture of the page"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// 6 s: a video stream (index 0), an `eng` audio track (1) at 440 Hz and a `spa` one (2) at
/// 330 Hz, silent 2–4 s. Made with the ffmpeg CLI.
fn two_tracks(dir: &Path) -> PathBuf {
    let path = dir.join("two_tracks.ts");
    let status = Command::new("ffmpeg")
        .args(["-v", "error", "-y", "-f", "lavfi", "-i"])
        .arg("testsrc2=s=160x90:r=25:d=6")
        .args(["-f", "lavfi", "-i", "sine=f=440:r=48000:d=6"])
        .args(["-f", "lavfi", "-i"])
        .arg("aevalsrc='if(between(t,2,4),0,0.5*sin(2*PI*330*t))':s=48000:d=6")
        .args(["-map", "0:v", "-map", "1:a", "-map", "2:a"])
        .args(["-c:v", "libx264", "-g", "50", "-threads", "1"])
        .args(["-c:a", "aac", "-ac", "2"])
        .args(["-metadata:s:a:0", "language=eng"])
        .args(["-metadata:s:a:1", "language=spa"])
        .args(["-f", "mpegts"])
        .arg(&path)
        .status()
        .expect("the ffmpeg CLI runs (scripts/install-deps.sh installs it)");
    assert!(status.success(), "ffmpeg made the fixture");
    path
}

#[test]
fn two_audio_tracks_are_drawn_per_track() {
    let Some(monitor) = common::monitor_binary() else {
        return;
    };
    let dir = std::env::temp_dir().join(format!("avqc-html-tracks-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let input = two_tracks(&dir);
    let page = dir.join("report.html");
    let out = Command::new(monitor)
        .arg("--report")
        .arg(&page)
        .arg(&input)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (dom, log) = browse(&page, &dir.join("profile"), &["--dump-dom"]);
    assert!(
        dom.contains(r#"data-rendered="ok""#),
        "the page's script did not finish:\n{log}"
    );
    // drawn by the script (the data block holds the names too, never inside a <text>)
    for label in [
        ">audio_silence · track 2 (spa)</text>",
        ">short_term_lufs · track 1</text>",
        ">short_term_lufs · track 2</text>",
    ] {
        assert!(dom.contains(label), "{label} not drawn");
    }
    assert!(
        !dom.contains(">audio_silence · track 1"),
        "the eng track was never silent"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
