//! Broken scenarios: every check's rendered diagnostics (insta snapshots) and their line:col.

use std::path::Path;
use tabletop::Error;

/// Load `tests/fixtures/broken/NAME.ron`; return the rendered report and the line:col the
/// fixture's `// expect-at: TEXT` header says the culprit sits at (first TEXT below the header).
fn broken(name: &str) -> (String, String) {
    let rel = format!("tests/fixtures/broken/{name}.ron");
    let full = Path::new(env!("CARGO_MANIFEST_DIR")).join(&rel);
    let text = std::fs::read_to_string(&full).expect("fixture exists");
    let expect = text
        .lines()
        .find_map(|l| l.strip_prefix("// expect-at: "))
        .expect("fixture has an expect-at header")
        .to_string();
    let body_start = text.find("\n(").expect("fixture has a body") + 1;
    // `|` in the expected text marks the caret position within it (default: its start).
    let (before, after) = expect.split_once('|').unwrap_or(("", expect.as_str()));
    let needle = format!("{before}{after}");
    let at = body_start
        + text[body_start..]
            .find(&needle)
            .expect("expect-at text occurs")
        + before.len();
    let line = text[..at].matches('\n').count() + 1;
    let col = text[..at].rsplit('\n').next().unwrap_or("").chars().count() + 1;
    let report = match tabletop::scenario::load_str(Path::new(&rel), &text) {
        Err(Error::Invalid(r)) => r.to_string(),
        Err(other) => panic!("{name}: expected an invalid scenario, got {other:?}"),
        Ok(_) => panic!("{name}: the broken fixture validated"),
    };
    (report, format!("--> {rel}:{line}:{col}"))
}

macro_rules! broken_fixture {
    ($test:ident, $name:literal) => {
        #[test]
        fn $test() {
            let (report, location) = broken($name);
            assert!(
                report.contains(&location),
                "expected a diagnostic {location} in:\n{report}"
            );
            insta::assert_snapshot!($name, report);
        }
    };
}

broken_fixture!(syntax_error_points_at_the_missing_comma, "syntax_error");
broken_fixture!(
    truncated_file_points_at_the_unterminated_string,
    "truncated"
);
broken_fixture!(unknown_field_suggests_the_right_name, "unknown_field");
broken_fixture!(
    unknown_enum_variant_suggests_the_right_name,
    "unknown_variant"
);
broken_fixture!(wrong_type_points_at_the_value, "wrong_type");
broken_fixture!(duplicate_id_points_at_the_second_use, "duplicate_id");
broken_fixture!(
    unknown_agency_reference_points_at_its_line,
    "unknown_agency"
);
broken_fixture!(
    unknown_channel_reference_suggests_a_channel,
    "unknown_channel"
);
broken_fixture!(probability_above_one_is_refused, "probability_out_of_range");
broken_fixture!(zero_mean_latency_is_refused, "non_positive_duration");
broken_fixture!(inject_after_the_end_is_refused, "inject_after_end");
broken_fixture!(after_inject_cycle_never_fires, "trigger_never_fires");
broken_fixture!(
    unreachable_metric_threshold_never_fires,
    "metric_never_reached"
);
broken_fixture!(surge_metric_without_surge_is_undefined, "undefined_metric");
broken_fixture!(
    within_target_needs_a_time_metric,
    "within_on_non_time_metric"
);
broken_fixture!(
    classified_channel_between_uncleared_agencies_is_refused,
    "channel_above_clearance"
);
broken_fixture!(bad_variant_path_points_at_the_change, "bad_variant_path");
broken_fixture!(bad_variant_value_points_at_the_value, "bad_variant_value");
broken_fixture!(
    variant_that_breaks_the_scenario_points_at_its_change,
    "variant_breaks_scenario"
);
broken_fixture!(list_limit_names_the_list_and_the_limit, "limit_hit");
broken_fixture!(
    unknown_channel_in_a_variants_added_partnership_points_at_the_channel,
    "variant_add_partnership_unknown_channel"
);
broken_fixture!(
    unknown_agency_in_a_variants_added_inject_points_at_the_agency,
    "variant_add_inject_unknown_agency"
);
broken_fixture!(
    unknown_channel_set_by_a_variant_points_at_the_value,
    "variant_set_unknown_channel"
);

#[test]
fn a_variant_error_names_the_change_it_sits_in() {
    let (report, _) = broken("variant_add_partnership_unknown_channel");
    assert!(
        report.contains(
            "with variant \"pd_jttf\", in its AddPartnership(\"pd_jttf\"): unknown channel \"hsni\""
        ),
        "{report}"
    );
    let (report, _) = broken("variant_set_unknown_channel");
    assert!(
        report.contains("in its Set(\"partnerships[fc_jttf].channels\", ..)"),
        "{report}"
    );
}

#[test]
fn a_variant_value_error_names_the_entity_by_its_id_in_planner_words() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/fuel-line.ron");
    let text = std::fs::read_to_string(&path)
        .expect("shipped scenario")
        .replace(
            "Set(\"partnerships[op_cisa].max_tlp\", \"Amber\")",
            "Set(\"injects[I-05].number\", \"abc\")",
        );
    let report = match tabletop::scenario::load_str(Path::new("v.ron"), &text) {
        Err(Error::Invalid(r)) => r.to_string(),
        other => panic!("expected an invalid scenario, got {other:?}"),
    };
    assert!(
        report.contains(
            "`injects[I-05].number`: expected a whole number of 0 or more, found \"abc\""
        ),
        "{report}"
    );
    assert!(
        !report.contains("injects[4]") && !report.contains("u32"),
        "{report}"
    );
}

#[test]
fn a_channel_class_warning_names_partnerships_whose_receiver_could_hold_the_item() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/green-room.ron");
    let s = tabletop::scenario::load(&path).expect("shipped scenario validates");
    let carry: Vec<&String> = s
        .warnings()
        .iter()
        .filter(|w| w.contains("above every channel"))
        .collect();
    // The Secret regional warning cannot reach the Secret-cleared state police over their
    // unclassified channels: named. Nobody in these partnerships is cleared for the Top
    // Secret adversary item, nor is the Cui-cleared utility for the Secret one: no warning.
    assert!(
        carry
            .iter()
            .any(|w| w.contains("\"regional_warning\"") && w.contains("\"cfc_msp\"")),
        "{carry:?}"
    );
    assert!(
        !carry.iter().any(|w| w.contains("\"adversary_cyber\"")),
        "{carry:?}"
    );
    assert!(
        !carry.iter().any(|w| w.contains("\"cisa_utility\"")),
        "{carry:?}"
    );
}

#[test]
fn every_semantic_problem_is_reported_in_one_pass() {
    let (report, _) = broken("duplicate_id");
    assert_eq!(
        report.matches("\nerror: ").count() + usize::from(report.starts_with("error: ")),
        4
    );
}

#[test]
fn warnings_do_not_fail_and_are_kept_apart() {
    let text = tabletop::scenario::STARTER
        .replace("id: \"fusion_eoc\",", "id: \"fusion_eoc\", max_tlp: Red,")
        .replace("id: \"eoc\",", "id: \"eoc\", handling_compliance: 0.8,");
    let s = tabletop::scenario::load_str(Path::new("w.ron"), &text).expect("warnings only");
    assert_eq!(s.warnings().len(), 1, "{:?}", s.warnings());
    assert!(s.warnings()[0].starts_with("warning: partnership \"fusion_eoc\" passes TLP:RED"));
}

broken_fixture!(
    insider_tied_to_a_threat_not_of_kind_insider_is_refused,
    "insider_threat_wrong_kind"
);

/// The report of `tests/fixtures/broken/insider_threat_wrong_kind.ron` edited by `edit`.
fn edited(edit: impl Fn(String) -> String) -> String {
    let rel = "tests/fixtures/broken/insider_threat_wrong_kind.ron";
    let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(rel))
        .expect("fixture exists");
    match tabletop::scenario::load_str(Path::new(rel), &edit(text)) {
        Err(Error::Invalid(r)) => r.to_string(),
        Err(other) => panic!("expected an invalid scenario, got {other:?}"),
        Ok(_) => String::new(),
    }
}

#[test]
fn an_insider_tied_to_an_insider_kind_threat_validates() {
    let report = edited(|t| t.replace("kind: Plot,", "kind: Insider,"));
    assert_eq!(report, "", "{report}");
}

#[test]
fn tip_off_effect_retry_group_size_and_function_loss_are_checked() {
    let report = edited(|t| {
        t.replace("kind: Plot,", "kind: Insider,")
            .replace(
                "response: (action: Interdict),",
                "tipoff_advance: hours(6), tipoff: Some(Abort), \
                 response: (action: Interdict, retry_after: Some(hours(0))),",
            )
            .replace(
                "metric: InsiderDetectionTime(\"mole\"), target: Within(days(2))",
                "metric: FunctionLostHours(\"jttf\"), target: AtMost(12.0)",
            )
    });
    for expected in [
        "sets both `tipoff` and `tipoff_advance`",
        "the retry delay must be",
        "agency \"jttf\" has no `depends_on`",
    ] {
        assert!(
            report.contains(expected),
            "{expected:?} missing from:\n{report}"
        );
    }
}

/// The report of `scenarios/landfall.ron` edited by `edit`.
fn landfall_edited(edit: impl Fn(String) -> String) -> String {
    let rel = "scenarios/landfall.ron";
    let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(rel))
        .expect("landfall exists");
    match tabletop::scenario::load_str(Path::new(rel), &edit(text)) {
        Err(Error::Invalid(r)) => r.to_string(),
        Err(other) => panic!("expected an invalid scenario, got {other:?}"),
        Ok(_) => String::new(),
    }
}

#[test]
fn hazard_impacts_outages_roles_and_degrees_are_checked_with_locations() {
    let report = landfall_edited(|t| {
        t.replace("service: \"entergy\",", "service: \"entergyy\",")
            .replace(
                "depends_on: [(partner: \"entergy\", function: Action, degree: 0.5)],\n        ),\n        (\n            id: \"redcross\"",
                "depends_on: [(partner: \"entergy\", function: Action, degree: 1.5)],\n        ),\n        (\n            id: \"redcross\"",
            )
            .replace(
                "metric: Resolved(\"cad_ransomware\")",
                "metric: Resolved(\"ida\")",
            )
            .replace(
                "(agency: \"redcross\", action: MassCare,",
                "(agency: \"gohsep\", action: MassCare,",
            )
            .replace(
                "response: (action: Warn),\n            // Landfall",
                "response: (action: Warn), deadline: Some(Fixed(hours(40))),\n            // Landfall",
            )
    });
    for expected in [
        "unknown agency \"entergyy\"",
        "did you mean \"entergy\"",
        "fraction of the function lost, in (0, 1], found 1.5",
        "is a hazard with an `impact`",
        "agency \"gohsep\" has two roles on threat \"ida\"",
        "has both a `deadline`",
        "--> scenarios/landfall.ron:",
    ] {
        assert!(
            report.contains(expected),
            "{expected:?} missing from:\n{report}"
        );
    }
}

broken_fixture!(
    a_negative_rate_shows_its_unit_in_the_message,
    "rate_negative"
);
broken_fixture!(
    an_unknown_rate_unit_lists_the_units_that_exist,
    "rate_unknown_unit"
);
broken_fixture!(
    a_milestone_on_an_unknown_objective_suggests_the_right_id,
    "milestone_unknown_objective"
);
broken_fixture!(
    a_partnership_metric_on_an_unknown_partnership_suggests_the_right_id,
    "partnership_metric_unknown"
);
broken_fixture!(
    an_objective_judged_after_the_end_is_refused,
    "milestone_after_end"
);

/// Every structural error of a file is reported in one pass, each at its own line, in a
/// planner's words; `tabletop validate` exits 2.
#[test]
fn every_structural_error_is_reported_in_one_pass() {
    let rel = "tests/fixtures/broken/five_errors.ron";
    let out = assert_cmd::Command::cargo_bin("tabletop")
        .expect("binary built")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["validate", rel])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let source =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)).expect("fixture");
    let line_of = |needle: &str| {
        let at = source.find(needle).expect("needle in fixture");
        source[..at].matches('\n').count() + 1
    };
    let expected = [
        (
            "a duration needs its unit: seconds(4), minutes(4), hours(4), days(4) or weeks(4) (at `exercise.duration`)",
            "duration: 4",
        ),
        (
            "expected a whole number of 0 or more, found -3 (at `agencies[fusion].analysts`)",
            "analysts: -3",
        ),
        (
            "unknown agency kind `FederalComponant` (at `agencies[cisa].kind`)",
            "FederalComponant",
        ),
        (
            "an agency needs the field `name`, which is missing (at `agencies[eoc]`)",
            "id: \"eoc\"",
        ),
        (
            "a partnership has no field `trsut` (at `partnerships[fbi_fusion]`)",
            "trsut",
        ),
        (
            "expected a number, found \"high\" (at `partnerships[fusion_utility].share_probability`)",
            "\"high\"",
        ),
    ];
    assert_eq!(
        text.matches("\nerror: ").count() + usize::from(text.starts_with("error: ")),
        expected.len(),
        "{text}"
    );
    for (message, needle) in expected {
        assert!(
            text.contains(&format!("error: {message}\n")),
            "{message:?} missing:\n{text}"
        );
        // the missing field points at the agency's opening parenthesis, one line above its id
        let line = line_of(needle) - usize::from(needle.starts_with("id:"));
        assert!(
            text.contains(&format!("--> {rel}:{line}:")),
            "{message:?} not at line {line}:\n{text}"
        );
    }
    assert!(text.contains("did you mean \"FederalComponent\"? The valid ones are: FederalComponent, FederalLawEnforcement, Jttf"));
    assert!(text.contains("did you mean \"trust\"?"));
    assert!(text.contains("invalid — 6 errors"), "{text}");
}

/// A semantic error (an unknown agency) is still found beside the structural ones, and the
/// neutral values put in place of the culprits raise no echo (the missing duration makes no
/// inject "after the end").
#[test]
fn semantic_errors_are_found_beside_structural_ones_without_echoes() {
    let rel = "tests/fixtures/broken/five_errors.ron";
    let source = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(rel))
        .expect("fixture")
        .replacen("from: \"utility\"", "from: \"utilty\"", 1);
    let report = match tabletop::scenario::load_str(Path::new(rel), &source) {
        Err(Error::Invalid(r)) => r.to_string(),
        other => panic!("expected invalid, got {other:?}"),
    };
    assert!(
        report.contains("error: unknown agency \"utilty\""),
        "{report}"
    );
    assert!(report.contains("did you mean \"utility\"?"), "{report}");
    assert!(!report.contains("after the exercise ends"), "{report}");
    assert!(report.contains("invalid (7 errors)"), "{report}");
}

/// A variant with several changes that cannot apply reports each of them, not only the first.
#[test]
fn every_change_of_a_variant_that_cannot_apply_is_reported_in_one_pass() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/fuel-line.ron");
    let text = std::fs::read_to_string(&path)
        .expect("shipped scenario")
        .replace(
            "Set(\"partnerships[op_tsa].share_probability\", \"0.9\"),",
            "Set(\"partnerships[op_tsa].share_probability\", \"lots\"),
                Set(\"injects[4].probablity\", \"0.5\"),
                Set(\"injects[I-99].probability\", \"0.5\"),",
        );
    let report = match tabletop::scenario::load_str(Path::new("v.ron"), &text) {
        Err(Error::Invalid(r)) => r.to_string(),
        other => panic!("expected an invalid scenario, got {other:?}"),
    };
    for needle in [
        "`partnerships[op_tsa].share_probability`: expected a number, found \"lots\"",
        "`injects[4]` has no field `probablity`",
        "did you mean \"probability\"?",
        "`injects` has no element with id \"I-99\"",
    ] {
        assert!(report.contains(needle), "no {needle:?} in:\n{report}");
    }
    assert_eq!(
        report.matches("error: variant \"tsa-directive\"").count(),
        3,
        "{report}"
    );
}
