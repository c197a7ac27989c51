//! Detector-set configuration: good sets build, bad ones are clear `Error::Config`s.

use avqc::{Error, Registry};

fn config_error(json: &str) -> String {
    match Registry::builtin().build_json(json) {
        Err(Error::Config { what, message }) => format!("{what}: {message}"),
        Err(other) => panic!("expected a config error for {json}, got {other}"),
        Ok(set) => panic!(
            "expected a config error for {json}, got {} detectors",
            set.len()
        ),
    }
}

#[test]
fn every_builtin_builds_with_defaults() {
    let reg = Registry::builtin();
    let types: Vec<String> = reg.types().map(str::to_string).collect();
    assert!(types.len() >= 5);
    for t in &types {
        let d = reg.build_names(&[t]).unwrap_or_else(|e| panic!("{t}: {e}"));
        assert_eq!(d[0].name(), t);
    }
    assert!(!reg.build_defaults().unwrap().is_empty());
}

#[test]
fn named_instances_and_wrapped_form() {
    let set = Registry::builtin()
        .build_json(r#"{"detectors":[{"type":"freeze","name":"freeze_fast","min_duration":0.2},{"type":"freeze"}]}"#)
        .unwrap();
    assert_eq!(set[0].name(), "freeze_fast");
    assert_eq!(set[1].name(), "freeze");
}

#[test]
fn bad_sets_are_config_errors() {
    assert!(config_error("not json").contains("JSON"));
    assert!(config_error(r#"{"freeze":{}}"#).contains("array"));
    assert!(config_error(r#"[42]"#).contains("object"));
    assert!(config_error(r#"[{"min_duration":1}]"#).contains("type"));
    assert!(config_error(r#"[{"type":"fraeze"}]"#).contains("fraeze"));
    assert!(config_error(r#"[{"type":"freeze","min_durration":1}]"#).contains("min_durration"));
    assert!(config_error(r#"[{"type":"freeze","min_duration":"long"}]"#).contains("freeze"));
    assert!(config_error(r#"[{"type":"freeze","name":""}]"#).contains("name"));
    assert!(config_error(r#"[{"type":"silence","min_duration":-1}]"#).contains("silence"));
}

#[test]
fn unknown_names_are_config_errors() {
    let err = Registry::builtin()
        .build_names(&["freeze", "nope"])
        .err()
        .unwrap();
    assert!(
        matches!(&err, Error::Config { message, .. } if message.contains("nope")),
        "{err}"
    );
}
