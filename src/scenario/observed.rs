//! The `observed:` section: observed values of the real case, each naming the simulated metric
//! it is compared with. Checks ids, metric references (with a did-you-mean among the metric
//! ids the batch summarises) and values.

use super::diagnostics::{Problem, Severity, did_you_mean};
use super::schema::{
    EffectSpec, InsiderActionSpec, MetricSpec, ObservedValue, ScenarioSpec, ThreatSpec,
};
use std::collections::{BTreeMap, BTreeSet};

/// Most observed values a scenario may list.
pub(crate) const MAX_OBSERVED: usize = 200;

/// Block reasons and handling-violation kinds, as the metric ids spell them (the simulator's
/// `BlockReason::id` and `VIOLATION_KINDS`; a test checks they agree).
const BLOCK_REASONS: [&str; 5] = ["clearance", "channel", "marking", "legal", "withdrawn"];
const VIOLATIONS: [&str; 5] = ["tlp", "agreement", "public", "criminal_intel", "pii"];

/// Whether a false item about threat `t` can exist (truth < 1, a false report inject, or a
/// disinformation insider): then it has a retraction time.
fn can_be_false(spec: &ScenarioSpec, t: &ThreatSpec) -> bool {
    t.truth_probability < 1.0
        || spec
            .injects
            .iter()
            .any(|x| matches!(&x.effect, EffectSpec::FalseReport { threat, .. } if threat == &t.id))
        || spec
            .insiders
            .iter()
            .any(|x| matches!(&x.action, InsiderActionSpec::Disinformation(th) if th == &t.id))
}

/// Format a number as the metric ids do (`12`, `1.5`).
fn num(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        format!("{v}")
    }
}

/// The id of the column an objective's metric fills (as the simulator names it).
pub(crate) fn objective_metric_id(m: &MetricSpec) -> String {
    match m {
        MetricSpec::TimeToDetection(t) => format!("time_to_detection.{t}"),
        MetricSpec::TimeToFirstShare(t) => format!("time_to_first_share.{t}"),
        MetricSpec::Coverage { threat, within } => {
            format!("coverage_{}h.{threat}", num(within.hours()))
        }
        MetricSpec::TimeToAction(t) => format!("time_to_action.{t}"),
        MetricSpec::Resolved(t) => format!("resolved.{t}"),
        MetricSpec::LeakExposure => "leak_exposure".into(),
        MetricSpec::InsiderExposure => "insider_exposure".into(),
        MetricSpec::BlockedButNeeded => "blocked_but_needed".into(),
        MetricSpec::HandlingViolations => "handling_violations".into(),
        MetricSpec::MinTrust => "min_trust".into(),
        MetricSpec::MeanTrust => "mean_trust".into(),
        MetricSpec::Withdrawals => "withdrawals".into(),
        MetricSpec::ProcessedWithinHandoff(t) => format!("processed_within_handoff.{t}"),
        MetricSpec::PeakUnsheltered(t) => format!("peak_unsheltered.{t}"),
        MetricSpec::RetractionTime(t) => format!("retraction_time.{t}"),
        MetricSpec::FalseAlarmActed(t) => format!("false_alarm_acted.{t}"),
        MetricSpec::TimeToPublicWarning(t) => format!("time_to_public_warning.{t}"),
        MetricSpec::InsiderDetectionTime(i) => format!("insider_detection_time.{i}"),
        MetricSpec::FunctionLostHours(a) => format!("function_lost_hours.{a}"),
        MetricSpec::TimeToActionBy { threat, agency } => {
            format!("time_to_action.{threat}.{agency}")
        }
        MetricSpec::PeopleWithoutShelterPeak(t) => format!("people_without_shelter_peak.{t}"),
        MetricSpec::PeopleWithoutShelterHours(t) => format!("people_without_shelter_hours.{t}"),
        MetricSpec::CustomersWithoutPowerHours(a) => format!("customer_hours_out.{a}"),
        MetricSpec::CustomersRestoredShare { service, within } => {
            format!("restored_share_{}h.{service}", num(within.hours()))
        }
        MetricSpec::HoursWithoutService(a) => format!("hours_without_service.{a}"),
        MetricSpec::TimeToFirstRestoration(a) => format!("time_to_first_restoration.{a}"),
        MetricSpec::ServiceExposure(a) => format!("service_exposure.{a}"),
        MetricSpec::PartnershipUptime(p) => format!("uptime.{p}"),
        MetricSpec::ItemsCarried(p) => format!("items_carried.{p}"),
        MetricSpec::FirstItemCarried {
            partnership,
            threat,
        } => match threat {
            Some(t) => format!("first_item_carried.{partnership}.{t}"),
            None => format!("first_item_carried.{partnership}"),
        },
    }
}

/// The metric ids an observed value may name, with their units: the per-threat, per-insider
/// and whole-exercise columns every batch of the scenario summarises, and the metrics of its
/// objectives. (A subset of the batch's columns: a test checks each is one.)
pub(crate) fn metric_ids(spec: &ScenarioSpec) -> BTreeMap<String, &'static str> {
    let mut ids: BTreeMap<String, &'static str> = BTreeMap::new();
    let mut add = |id: String, unit: &'static str| {
        ids.entry(id).or_insert(unit);
    };
    for t in &spec.threats {
        let id = &t.id;
        add(format!("time_to_detection.{id}"), "h");
        add(format!("time_to_first_share.{id}"), "h");
        add(format!("time_to_action.{id}"), "h");
        if spec.agencies.iter().any(|a| a.needs.contains(&t.kind)) {
            add(format!("coverage.{id}"), "share");
        }
        if t.impact.is_none() {
            add(format!("resolved.{id}"), "0/1");
        } else {
            add(format!("impact_time.{id}"), "h");
        }
        if t.surge.is_some() {
            add(format!("processed_within_handoff.{id}"), "share");
            add(format!("peak_unsheltered.{id}"), "people");
            add(format!("peak_unsheltered_time.{id}"), "h");
        }
        if can_be_false(spec, t) {
            add(format!("retraction_time.{id}"), "h");
            add(format!("false_alarm_acted.{id}"), "0/1");
        }
    }
    for i in &spec.insiders {
        add(format!("insider_detection_time.{}", i.id), "h");
    }
    for (id, unit) in [
        ("leak_exposure", "exposure"),
        ("insider_exposure", "exposure"),
        ("blocked_but_needed", "deliveries"),
        ("handling_violations", "items"),
        ("legal_findings", "findings"),
        ("min_trust", "trust"),
        ("mean_trust", "trust"),
        ("withdrawals", "links"),
        ("mean_queue_wait", "h"),
        ("peak_backlog", "items"),
        ("utilisation", "share"),
        ("expired_items", "items"),
        ("items_delivered", "items"),
    ] {
        add(id.to_string(), unit);
    }
    for r in BLOCK_REASONS {
        add(format!("blocked.{r}"), "deliveries");
    }
    for k in VIOLATIONS {
        add(format!("violations.{k}"), "items");
    }
    for a in &spec.agencies {
        if a.reliability.is_some() {
            add(format!("availability.{}", a.id), "share");
        }
        if !a.depends_on.is_empty() {
            add(format!("function_lost_hours.{}", a.id), "h");
        }
    }
    for o in &spec.objectives {
        // Event times, plus the durations also measured in hours.
        let hours = o.metric.is_event_time()
            || matches!(
                o.metric,
                MetricSpec::FunctionLostHours(_)
                    | MetricSpec::HoursWithoutService(_)
                    | MetricSpec::ServiceExposure(_)
            );
        let unit = match &o.metric {
            _ if hours => "h",
            MetricSpec::Resolved(_) | MetricSpec::FalseAlarmActed(_) => "0/1",
            _ => "",
        };
        add(objective_metric_id(&o.metric), unit);
    }
    ids
}

/// Check the `observed:` section.
pub(crate) fn check(spec: &ScenarioSpec) -> Vec<Problem> {
    let mut out = Vec::new();
    let mut err = |path: String, message: String, help: Option<String>| {
        out.push(Problem {
            severity: Severity::Error,
            path,
            message,
            help,
        });
    };
    if spec.observed.is_empty() {
        return out;
    }
    if spec.observed.len() > MAX_OBSERVED {
        err(
            "observed".into(),
            format!(
                "too many observed values: {}, the limit is {MAX_OBSERVED}",
                spec.observed.len()
            ),
            None,
        );
        return out;
    }
    let ids = metric_ids(spec);
    let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
    let mut bad_id = BTreeSet::new();
    for (i, o) in spec.observed.iter().enumerate() {
        let p = format!("observed[{i}]");
        if let Some(first) = seen.get(o.id.as_str()) {
            err(
                format!("{p}.id"),
                format!(
                    "duplicate observed value id \"{}\" (first used by observed[{first}])",
                    o.id
                ),
                None,
            );
        } else {
            seen.insert(&o.id, i);
            if o.id.is_empty()
                || !o
                    .id
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
            {
                bad_id.insert(i);
                err(
                    format!("{p}.id"),
                    format!(
                        "observed value id \"{}\" must be non-empty and hold only letters, digits, `_` and `-`",
                        o.id
                    ),
                    None,
                );
            }
        }
        let unit = match ids.get(o.metric.as_str()) {
            Some(u) => Some(*u),
            None => {
                err(
                    format!("{p}.metric"),
                    format!(
                        "observed value \"{}\": unknown metric \"{}\" (it must be a metric the batch summarises: a per-threat, per-insider or whole-exercise metric id, or an objective's metric)",
                        o.id, o.metric
                    ),
                    did_you_mean(&o.metric, ids.keys().map(String::as_str)),
                );
                None
            }
        };
        let vp = format!("{p}.value.0");
        if let Some(v) = o.value.number() {
            if !v.is_finite() {
                err(vp.clone(), format!("`{v}` is not a finite number"), None);
            } else if v < 0.0 {
                err(
                    vp.clone(),
                    format!("observed value \"{}\" must be ≥ 0, found {v}", o.id),
                    None,
                );
            }
        }
        if let Some(u) = unit {
            if u == "h" && !o.value.is_time() && o.value != ObservedValue::Never {
                err(
                    format!("{p}.value"),
                    format!(
                        "observed value \"{}\": metric \"{}\" is a time; write the value with its unit, e.g. Time(hours(96)) or AtLeastTime(days(4))",
                        o.id, o.metric
                    ),
                    None,
                );
            } else if u != "h" && o.value.is_time() {
                err(
                    format!("{p}.value"),
                    format!(
                        "observed value \"{}\": metric \"{}\" is not a time (unit {}); write a plain number, e.g. Value(15000)",
                        o.id,
                        o.metric,
                        if u.is_empty() { "none" } else { u }
                    ),
                    None,
                );
            } else if matches!(u, "share" | "0/1" | "trust")
                && o.value.number().is_some_and(|v| v > 1.0)
            {
                err(
                    vp,
                    format!(
                        "observed value \"{}\": metric \"{}\" is a share in [0, 1]",
                        o.id, o.metric
                    ),
                    None,
                );
            }
        }
        if o.source.trim().is_empty() {
            err(
                format!("{p}.source"),
                format!(
                    "observed value \"{}\" needs a source (where the value was read)",
                    o.id
                ),
                None,
            );
        }
    }
    out
}

/// `exercise.key_metrics` ids that name none of the metrics [`metric_ids`] knows: a warning
/// with a did-you-mean (the report leaves such an id out of its key outcomes).
pub(crate) fn key_metric_problems(spec: &ScenarioSpec) -> Vec<Problem> {
    if spec.exercise.key_metrics.is_empty() {
        return Vec::new();
    }
    let ids = metric_ids(spec);
    spec.exercise
        .key_metrics
        .iter()
        .enumerate()
        .filter(|(_, k)| !ids.contains_key(k.as_str()))
        .map(|(i, k)| Problem {
            severity: Severity::Warning,
            path: format!("exercise.key_metrics[{i}]"),
            message: format!(
                "key metric \"{k}\" is not a metric this scenario summarises (a column of \
                 runs.csv such as time_to_action.<threat>); the report will leave it out"
            ),
            help: did_you_mean(k, ids.keys().map(String::as_str)),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_block_and_violation_ids_match_the_simulator() {
        assert_eq!(VIOLATIONS, crate::sim::VIOLATION_KINDS);
    }

    #[test]
    fn every_metric_id_an_observed_value_may_name_is_a_column_of_the_batch() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
        let mut n = 0;
        for e in std::fs::read_dir(&dir).expect("scenarios/") {
            let path = e.expect("entry").path();
            if path.extension().and_then(|x| x.to_str()) != Some("ron") {
                continue;
            }
            let scn = crate::scenario::load(&path).expect("shipped scenario validates");
            let model = crate::sim::Model::new(&scn);
            let cols: BTreeMap<&str, &str> = model
                .catalog()
                .metrics
                .iter()
                .map(|m| (m.id.as_str(), m.unit.as_str()))
                .collect();
            for (id, unit) in metric_ids(scn.spec()) {
                let col = cols.get(id.as_str());
                assert!(col.is_some(), "{}: {id} is no column", path.display());
                if unit == "h" {
                    assert_eq!(col.copied(), Some("h"), "{}: {id}", path.display());
                }
                n += 1;
            }
        }
        assert!(n > 100, "{n}");
    }

    #[test]
    fn an_unknown_metric_and_a_value_without_its_unit_are_errors() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/caustic.ron");
        let src = std::fs::read_to_string(&path).expect("caustic");
        let bad = src.replace("\"retraction_time.naoh\"", "\"retraction_tme.naoh\"");
        let err = crate::scenario::load_str(&path, &bad).expect_err("unknown metric");
        let text = format!("{err}");
        assert!(
            text.contains("did you mean \"retraction_time.naoh\""),
            "{text}"
        );
        let bad = src.replace("value: Never,", "value: Value(3),");
        let err = crate::scenario::load_str(&path, &bad).expect_err("a time without its unit");
        assert!(format!("{err}").contains("is a time"), "{err}");
    }

    #[test]
    fn objective_metric_ids_format_windows_like_the_columns() {
        let m = MetricSpec::Coverage {
            threat: "t".into(),
            within: super::super::schema::Duration::Hours(12.0),
        };
        assert_eq!(objective_metric_id(&m), "coverage_12h.t");
    }
}
