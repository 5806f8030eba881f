//! Shipped scenarios and the starter: they validate, every variant applies, and they survive
//! a RON round trip.

use std::path::{Path, PathBuf};
use tabletop::scenario::{self, schema::ScenarioSpec};

fn shipped() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map(|rd| rd.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    files.retain(|p| p.extension().is_some_and(|e| e == "ron"));
    files.sort();
    files
}

fn round_trips(name: &str, text: &str) {
    let spec: ScenarioSpec = scenario::ron_options().from_str(text).expect("parses");
    let pretty =
        ron::ser::to_string_pretty(&spec, ron::ser::PrettyConfig::default()).expect("serializes");
    let again: ScenarioSpec = scenario::ron_options()
        .from_str(&pretty)
        .expect("re-parses");
    assert_eq!(spec, again, "{name} changed in a round trip");
}

#[test]
fn every_shipped_scenario_validates_with_every_variant() {
    let files = shipped();
    assert!(
        files.len() >= 6,
        "expected at least 6 scenarios in scenarios/, found {}",
        files.len()
    );
    for f in files {
        let s = scenario::load(&f).unwrap_or_else(|e| panic!("{}:\n{e}", f.display()));
        for v in &s.spec().variants {
            s.with_variant(&v.id)
                .unwrap_or_else(|e| panic!("{} variant {}:\n{e}", f.display(), v.id));
        }
    }
}

#[test]
fn shipped_scenarios_survive_a_ron_round_trip() {
    for f in shipped() {
        let text = std::fs::read_to_string(&f).expect("readable");
        round_trips(&f.display().to_string(), &text);
    }
}

#[test]
fn the_starter_validates_with_its_variant() {
    let s =
        scenario::load_str(Path::new("starter.ron"), &scenario::starter("Drill 7")).expect("valid");
    assert_eq!(s.spec().exercise.name, "Drill 7");
    assert!(s.warnings().is_empty(), "{:?}", s.warnings());
    assert!((4..=6).contains(&s.spec().agencies.len()));
    for v in &s.spec().variants {
        let with = s.with_variant(&v.id).expect("variant applies");
        assert_eq!(with.variant(), Some(v.id.as_str()));
        assert_ne!(with.spec(), s.spec());
    }
}

#[test]
fn the_starter_survives_a_ron_round_trip() {
    round_trips("starter", scenario::STARTER);
}

#[test]
fn starter_names_with_quotes_are_escaped() {
    let text = scenario::starter("Op \"Quiet\" \\ Update");
    let s = scenario::load_str(Path::new("q.ron"), &text).expect("valid");
    assert_eq!(s.spec().exercise.name, "Op \"Quiet\" \\ Update");
}

#[test]
fn unknown_variant_is_a_usage_error_with_a_suggestion() {
    let s = scenario::load_str(Path::new("starter.ron"), scenario::STARTER).expect("valid");
    match s.with_variant("direct_reportin") {
        Err(tabletop::Error::Usage { flag, message }) => {
            assert_eq!(flag, "--variant direct_reportin");
            assert!(
                message.contains("did you mean \"direct_reporting\"?"),
                "{message}"
            )
        }
        other => panic!("expected a usage error, got {other:?}"),
    }
}

#[test]
fn sweep_changes_apply_and_bad_ones_are_refused() {
    use tabletop::scenario::schema::ChangeSpec;
    let s = scenario::load_str(Path::new("starter.ron"), scenario::STARTER).expect("valid");
    let set = |p: &str, v: &str| ChangeSpec::Set(p.to_string(), v.to_string());
    let ok = s
        .with_changes(&[
            set("agencies[fusion].analysts", "7"),
            set("channels[hsin].latency.median", "minutes(40)"),
        ])
        .expect("applies");
    assert_eq!(ok.spec().agencies[0].analysts, 7);
    assert_eq!(
        ok.variant(),
        Some("agencies[fusion].analysts=7, channels[hsin].latency.median=minutes(40)")
    );
    match s.with_changes(&[set("agencies[fusion].analysts", "0")]) {
        Err(tabletop::Error::Invalid(m)) => {
            assert!(m.to_string().contains("analysts must be 1–10,000"), "{m}")
        }
        other => panic!("expected invalid, got {other:?}"),
    }
    match s.with_changes(&[set("agencies[fusion].analyst", "3")]) {
        Err(tabletop::Error::Usage { message, .. }) => {
            assert!(message.contains("did you mean \"analysts\"?"), "{message}")
        }
        other => panic!("expected a usage error, got {other:?}"),
    }
}
