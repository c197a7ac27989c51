//! The `monitor` example's command line: help, list, configuration on top of the defaults,
//! output filtering and the JSON summary (runs the built example as a process).

mod common;

use std::process::{Command, Output};

use avqc::Registry;
use serde_json::Value;

fn run(args: &[&str]) -> Option<Output> {
    let bin = common::monitor_binary()?;
    Some(Command::new(bin).args(args).output().expect("monitor runs"))
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn help_explains_every_option_and_the_exit_codes() {
    let Some(o) = run(&["--help"]) else { return };
    assert_eq!(o.status.code(), Some(0));
    let help = stdout(&o);
    for opt in [
        "--detectors",
        "--config",
        "--set",
        "--print-config",
        "--list",
        "--defects-only",
        "--summary-json",
        "--realtime",
        "--analysis",
        "--threads",
        "--detector-threads",
        "--thin",
        "--full-decode",
        "--drop-oldest",
        "--snapshots",
        "--stall",
        "--reconnect",
    ] {
        assert!(help.contains(opt), "--help does not mention {opt}:\n{help}");
    }
    assert!(help.contains("Exit codes"), "{help}");
    for code in ["  2  usage", "  3  an input"] {
        assert!(help.contains(code), "--help lacks exit code line {code:?}");
    }
}

#[test]
fn list_says_which_types_are_on_by_default_and_what_they_report() {
    let Some(o) = run(&["--list"]) else { return };
    assert_eq!(o.status.code(), Some(0));
    let reg = Registry::builtin();
    let text = stdout(&o);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), reg.types().count());
    for (line, ty) in lines.iter().zip(reg.types()) {
        let mut words = line.split_whitespace();
        assert_eq!(words.next(), Some(ty));
        let on = if reg.on_by_default(ty) == Some(true) {
            "on"
        } else {
            "off"
        };
        assert_eq!(words.next(), Some(on), "{line}");
        assert!(words.next().is_some(), "no summary for {ty}: {line}");
    }
}

#[test]
fn set_changes_only_what_it_names_on_top_of_the_defaults() {
    let Some(o) = run(&[
        "--set",
        "freeze.min_duration=2.5",
        "--set",
        "hum=false",
        "--set",
        "letterbox.threshold=12",
        "--print-config",
    ]) else {
        return;
    };
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let set: Vec<Value> = serde_json::from_slice(&o.stdout).expect("--print-config prints JSON");
    let reg = Registry::builtin();
    let types: Vec<&str> = set.iter().map(|c| c["type"].as_str().unwrap()).collect();
    let mut want: Vec<&str> = reg.defaults().filter(|t| *t != "hum").collect();
    want.push("letterbox");
    assert_eq!(types, want);
    let freeze = &set[0];
    assert_eq!(freeze["min_duration"], 2.5);
    // Every other field at its default, printed in full.
    let defaults = reg
        .effective(&serde_json::json!({"type": "freeze"}))
        .unwrap();
    for (k, v) in defaults.as_object().unwrap() {
        if k != "min_duration" {
            assert_eq!(&freeze[k], v, "freeze.{k}");
        }
    }
    let letterbox = set.iter().find(|c| c["type"] == "letterbox").unwrap();
    assert_eq!(letterbox["threshold"], 12);
}

#[test]
fn a_config_file_can_tune_the_default_set() {
    let dir = std::env::temp_dir().join(format!("avqc-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("tune.json");
    std::fs::write(
        &path,
        r#"{"tune": {"black": {"min_share": 0.8}, "sync": false}}"#,
    )
    .unwrap();
    let Some(o) = run(&["--config", path.to_str().unwrap(), "--print-config"]) else {
        return;
    };
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let set: Vec<Value> = serde_json::from_slice(&o.stdout).unwrap();
    assert!(set
        .iter()
        .any(|c| c["type"] == "black" && c["min_share"] == 0.8));
    assert!(!set.iter().any(|c| c["type"] == "sync"));
    assert_eq!(set.len(), Registry::builtin().defaults().count() - 1);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn bad_settings_are_usage_errors_that_name_the_field() {
    for (args, needle) in [
        (
            &["--set", "freeze.min_durration=2", "tests/data/demo.ts"][..],
            "min_durration",
        ),
        (
            &["--set", "freeze.min_duration=-1", "tests/data/demo.ts"][..],
            "min_duration",
        ),
        (
            &["--set", "fraeze=true", "tests/data/demo.ts"][..],
            "fraeze",
        ),
        (
            &["--set", "freeze", "tests/data/demo.ts"][..],
            "DETECTOR.FIELD=VALUE",
        ),
        (&["--thin", "0", "tests/data/demo.ts"][..], "--thin"),
        (&["--analysis", "640", "tests/data/demo.ts"][..], "WxH"),
    ] {
        let Some(o) = run(args) else { return };
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
        assert!(
            err.contains(needle),
            "{args:?}: error does not name {needle}: {err}"
        );
        assert!(o.stdout.is_empty(), "{args:?} wrote events");
    }
}

#[test]
fn defects_only_keeps_exactly_the_defect_lines() {
    let Some(all) = run(&["tests/data/demo.ts"]) else {
        return;
    };
    let Some(only) = run(&["--defects-only", "tests/data/demo.ts"]) else {
        return;
    };
    assert_eq!(all.status.code(), Some(0));
    assert_eq!(only.status.code(), Some(0));
    let defects: Vec<String> = stdout(&all)
        .lines()
        .filter(|l| l.contains(r#""kind":"defect""#))
        .map(String::from)
        .collect();
    assert!(
        stdout(&all).lines().count() > defects.len(),
        "demo.ts has metric lines"
    );
    assert!(!defects.is_empty());
    let kept: Vec<String> = stdout(&only).lines().map(String::from).collect();
    assert_eq!(kept, defects);
}

#[test]
fn summary_json_has_one_report_per_analysed_input() {
    let dir = std::env::temp_dir().join(format!("avqc-cli-sum-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("summary.json");
    let Some(o) = run(&[
        "--defects-only",
        "--summary-json",
        path.to_str().unwrap(),
        "tests/data/demo.ts",
        "tests/data/does-not-exist.ts",
    ]) else {
        return;
    };
    assert_eq!(
        o.status.code(),
        Some(3),
        "the missing input makes it exit 3"
    );
    let reports: Vec<Value> = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    assert_eq!(
        reports.len(),
        1,
        "the input that could not be opened has no report"
    );
    assert_eq!(reports[0]["input"], "demo.ts");
    let starts = stdout(&o)
        .lines()
        .filter(|l| l.contains(r#""phase":"start""#))
        .count();
    assert_eq!(reports[0]["defects"].as_u64(), Some(starts as u64));
    assert!(reports[0]["detectors"]
        .as_array()
        .is_some_and(|d| !d.is_empty()));
    let _ = std::fs::remove_dir_all(&dir);
}
