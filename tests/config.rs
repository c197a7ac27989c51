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

#[test]
fn tuning_changes_the_default_set_and_checks_what_it_names() {
    let reg = Registry::builtin();
    let defaults = reg.default_set().len();
    // Removing and adding.
    let set = reg
        .set_from_json(r#"{"tune": {"hum": false, "letterbox": {"threshold": 9}}}"#)
        .unwrap();
    assert_eq!(set.len(), defaults);
    assert!(set
        .iter()
        .any(|c| c["type"] == "letterbox" && c["threshold"] == 9));
    assert_eq!(reg.build_set(set).unwrap().len(), defaults);
    // On top of a named set, a detector is addressed by its name.
    let set = reg
        .set_from_json(
            r#"{"detectors": [{"type": "silence", "name": "quiet"}], "tune": {"quiet": {"min_duration": 2.0}}}"#,
        )
        .unwrap();
    assert_eq!(set.len(), 1);
    assert_eq!(set[0]["min_duration"], 2.0);
    // Errors: unknown detector, type change, bad value, unknown key, wrong shape.
    for bad in [
        r#"{"tune": {"fraeze": {}}}"#,
        r#"{"tune": {"freeze": {"type": "black"}}}"#,
        r#"{"tune": {"freeze": 3}}"#,
        r#"{"tune": {}, "detector": []}"#,
        r#"{"tune": []}"#,
        r#"{}"#,
    ] {
        assert!(reg.set_from_json(bad).is_err(), "{bad} accepted");
    }
    // A tuned value is checked when built, like any config.
    let set = reg
        .set_from_json(r#"{"tune": {"freeze": {"min_duration": -1}}}"#)
        .unwrap();
    assert!(reg.build_set(set).is_err());
}

#[test]
fn effective_configs_print_every_field_and_build_the_same_detectors() {
    let reg = Registry::builtin();
    for ty in reg.types() {
        let full = reg.effective(&serde_json::json!({ "type": ty })).unwrap();
        assert_eq!(full["type"], ty);
        assert_eq!(full["name"], ty);
        // What was printed reads back and builds.
        reg.build_value(full.clone()).unwrap();
        assert!(!reg.summary(ty).unwrap().is_empty(), "{ty} has no summary");
    }
}
