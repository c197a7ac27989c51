use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use super::*;

#[test]
fn the_cost_is_cpu_seconds_per_media_second_after_the_start() {
    let mut c = CostCell::new(None, 50, None);
    // Opening cost 0.5 s of CPU before the first item: not counted.
    c.observe(500_000_000, 0.0, 0);
    c.observe(500_000_000, 0.04, 0);
    assert_eq!(c.full_cost(), None);
    // 1.9 s later (not enough for the first sample), then 2.04 s at 0.25 cores.
    c.observe(500_000_000 + 475_000_000, 1.94, 0);
    assert_eq!(c.full_cost(), None);
    c.observe(500_000_000 + 510_000_000, 2.08, 0);
    let first = c.full_cost().unwrap();
    assert!((first - 0.25).abs() < 1e-9, "{first}");
    // Later samples move it towards the new cost, smoothed.
    c.observe(500_000_000 + 510_000_000 + 500_000_000, 3.08, 0);
    let next = c.full_cost().unwrap();
    assert!(next > 0.25 && next < 0.5, "{next}");
}

#[test]
fn the_average_follows_a_change_within_a_few_time_constants() {
    let mut e = Ewma::default();
    e.add(1.0, 1.0);
    for _ in 0..12 {
        e.add(0.2, 1.0);
    }
    let v = e.0.unwrap();
    assert!((v - 0.2).abs() < 0.05, "{v}");
}

#[test]
fn a_level_change_measures_afresh_into_that_level() {
    let mut c = CostCell::new(None, 50, Some(0.3));
    assert_eq!(c.demand(0, Instant::now()), Some(0.3));
    c.observe(0, 0.04, 0);
    c.observe(600_000_000, 2.04, 0); // 0.3 cores
    c.restart();
    assert!((c.demand(1, Instant::now()).unwrap() - 0.3 * REDUCED_GUESS).abs() < 1e-9);
    c.observe(600_000_000, 2.5, 1);
    c.observe(600_000_000 + 200_000_000, 4.5, 1); // 0.1 cores when reduced
    assert!((c.demand(1, Instant::now()).unwrap() - 0.1).abs() < 1e-9);
    assert!((c.demand(0, Instant::now()).unwrap() - 0.3).abs() < 1e-9);
    assert_eq!(c.demand(2, Instant::now()), Some(0.0));
}

#[test]
fn a_probe_that_never_starts_stops_blocking_admission() {
    let mut c = CostCell::new(None, 50, None);
    assert_eq!(c.demand(0, Instant::now()), None);
    c.added = Instant::now() - Duration::from_secs(11);
    assert_eq!(c.demand(0, Instant::now()), Some(0.0));
}

#[test]
fn admission_counts_what_runs_and_refuses_with_the_figures() {
    let load = Load {
        used: 1.2,
        running: 4,
        probing: 0,
    };
    assert_eq!(admit(1.6, load, Some(0.3), 0), Ok(Some(0.3)));
    let r = admit(1.6, load, Some(0.5), 0).unwrap_err();
    assert_eq!(r.to_string(), "needs 0.50 cores, 0.40 left");
    assert_eq!(admit(1.6, load, Some(0.1), 4), Err(Refusal::Full(4)));
    // A stream of unknown cost goes alone.
    assert_eq!(admit(1.6, load, None, 0), Ok(None));
    let probing = Load { probing: 1, ..load };
    assert_eq!(admit(1.6, probing, Some(0.1), 0), Err(Refusal::Measuring));
    let full = Load { used: 1.7, ..load };
    let r = admit(1.6, full, None, 0).unwrap_err();
    assert_eq!(
        r.to_string(),
        "no cores left (-0.10) and its cost is unknown"
    );
}

#[test]
fn a_burst_of_admissions_cannot_overshoot() {
    // Each admitted stream counts at its estimate right away.
    let mut load = Load::default();
    let mut admitted = 0;
    while let Ok(Some(c)) = admit(1.6, load, Some(0.21), 0) {
        load.used += c;
        load.running += 1;
        admitted += 1;
    }
    assert_eq!(admitted, 7); // 7 × 0.21 = 1.47; an 8th would make 1.68
    assert!(load.used <= 1.6);
}

#[test]
fn the_budget_leaves_what_others_take() {
    assert!((budget(2.0, 2.0, 0.0, 0.8) - 1.6).abs() < 1e-9);
    assert!((budget(2.0, 2.0, 0.5, 0.8) - 1.2).abs() < 1e-9);
    // others on a big host do not touch a small allowance
    assert!((budget(2.0, 16.0, 4.0, 0.8) - 1.6).abs() < 1e-9);
    assert_eq!(budget(2.0, 2.0, 3.0, 0.8), 0.0);
}

#[test]
fn proc_stat_gives_busy_and_total_jiffies() {
    let text = "cpu  100 5 50 800 20 3 2 0 0 0\ncpu0 50 2 25 400 10 1 1 0 0 0\ncpu1 50 3 25 400 10 2 1 0 0 0\nintr 1 2\n";
    assert_eq!(parse_proc_stat(text), Some((160, 980, 2)));
    assert_eq!(parse_proc_stat("nonsense"), None);
}

#[test]
fn profiles_tell_how_many_more_fit() {
    let mut known = BTreeMap::new();
    known.insert("720p".to_string(), 0.4);
    known.insert("sd".to_string(), 0.1);
    let running = [(Some("720p"), true), (Some("720p"), false), (None, false)];
    let t = profile_table(&known, &running, 1.2, slots(0, 3));
    assert_eq!(t[0].name, "720p");
    assert_eq!((t[0].streams, t[0].measured, t[0].fits), (2, 1, 3));
    assert_eq!((t[1].streams, t[1].fits), (0, 12));
    let cap = Capacity {
        budget_cores: 1.6,
        used_cores: 0.4,
        headroom_cores: 1.2,
        other_cores: 0.0,
        streams: 3,
        max_streams: 5,
        profiles: profile_table(&known, &running, 1.2, slots(5, 3)),
    };
    assert_eq!(cap.fits("720p"), 2); // the cap
    assert_eq!(cap.fits("hd"), 2); // unknown: at the mean, capped
    assert_eq!(fits_in(-0.1, 0.2, 10), 0);
    assert_eq!(fits_in(0.5, 0.0, 10), 10);
}

#[test]
fn a_neighbour_is_counted_at_once_and_forgotten_slowly() {
    let mut o = follow(0.0, 0.2, 1.0, false);
    assert_eq!(o, 0.2); // the first reading as it is
    for _ in 0..4 {
        o = follow(o, 1.0, 1.0, true);
    }
    assert!(o > 0.9, "{o}");
    for _ in 0..5 {
        o = follow(o, 0.0, 1.0, true);
    }
    assert!(o > 0.7, "a 5 s gap barely lowers it: {o}");
    for _ in 0..60 {
        o = follow(o, 0.0, 1.0, true);
    }
    assert!(o < 0.1, "{o}");
}
