//! `msel.csv`: the Master Scenario Events List of the baseline median exemplar, static inject
//! data from the scenario and fired times from the exemplar's timeline.

use super::Batch;
use super::text::{clock, split_camel};
use crate::error::{Error, Result};
use crate::output::csv_safe;
use crate::scenario::schema::{InjectSpec, MilestoneSpec, TriggerSpec};
use crate::sim::EventKind;

/// MSEL column headers.
pub(super) const HEADERS: [&str; 14] = [
    "Inject No.",
    "Inject ID",
    "Scenario time [h]",
    "Scenario clock",
    "Fired in exemplar run",
    "Trigger",
    "Event synopsis",
    "From (simulated)",
    "To (intended players)",
    "Delivery / channel",
    "Marking",
    "Expected player action",
    "Objectives",
    "Core capability",
];

fn trigger_text(t: &TriggerSpec) -> String {
    match t {
        TriggerSpec::At(d) => format!("at {} h", super::text::num(d.hours())),
        TriggerSpec::AfterInject { inject, delay } => {
            format!("{} h after {inject}", super::text::num(delay.hours()))
        }
        TriggerSpec::WhenMetric { metric, at_least } => format!("when {metric:?} ≥ {at_least}"),
        TriggerSpec::FirstOffer {
            partnership,
            threat,
        } => format!("first item on {threat} offered over {partnership}"),
        TriggerSpec::Contingency { unless, by } => {
            format!(
                "contingency at {} h unless {unless:?}",
                super::text::num(by.hours())
            )
        }
        TriggerSpec::Milestone { on, delay } => {
            let what = match on {
                MilestoneSpec::Harm(t) => format!("harm from {t}"),
                MilestoneSpec::Detected(t) => format!("{t} detected"),
                MilestoneSpec::FirstShared(t) => format!("{t} first shared"),
                MilestoneSpec::Acted(t) => format!("{t} acted on"),
                MilestoneSpec::Resolved(t) => format!("{t} resolved"),
                MilestoneSpec::AgencyFailed(a) => format!("{a} down"),
                MilestoneSpec::AgencyRecovered(a) => format!("{a} back up"),
                MilestoneSpec::PartnershipWithdrawn(p) => format!("{p} withdrawn"),
                MilestoneSpec::ObjectiveMet { objective, by } => {
                    format!("{objective} met at {} h", super::text::num(by.hours()))
                }
                MilestoneSpec::ObjectiveMissed { objective, by } => {
                    format!("{objective} missed at {} h", super::text::num(by.hours()))
                }
            };
            if delay.hours() > 0.0 {
                format!("{} h after {what}", super::text::num(delay.hours()))
            } else {
                format!("when {what}")
            }
        }
    }
}

/// Rows of the MSEL (without header), injects by number then id; fired times from the
/// baseline median exemplar when there is one.
pub(super) fn msel_rows(b: &Batch) -> Vec<Vec<String>> {
    let Some(sc) = &b.scenario else {
        return Vec::new();
    };
    let base = b
        .summary
        .variants
        .first()
        .map(|v| v.id.as_str())
        .unwrap_or("baseline");
    let ex = b.exemplar(base, "median");
    let mut injects: Vec<&InjectSpec> = sc.injects.iter().collect();
    injects.sort_by(|a, b| (a.number, &a.id).cmp(&(b.number, &b.id)));
    injects
        .iter()
        .map(|i| {
            let fired = ex.and_then(|e| {
                e.outcome
                    .timeline
                    .iter()
                    .find(|ev| ev.kind == EventKind::Inject && ev.who == i.id)
                    .map(|ev| ev.t)
            });
            let (time, clk, status) = match (fired, ex) {
                (Some(t), _) => (
                    format!("{t:.2}"),
                    clock(t, &sc.exercise.start_label),
                    "yes".to_string(),
                ),
                (None, Some(_)) if !i.enabled => {
                    (String::new(), String::new(), "no (disabled)".into())
                }
                (None, Some(_)) => (
                    String::new(),
                    String::new(),
                    "no (not triggered in this run)".into(),
                ),
                (None, None) => (String::new(), String::new(), "no exemplar run".into()),
            };
            // A timed inject that did not fire in the sample run keeps its scheduled time, so
            // the controller's MSEL still says when it is due.
            let (time, clk) = match (&i.trigger, time.is_empty()) {
                (TriggerSpec::At(d), true) => (
                    format!("{:.2}", d.hours()),
                    clock(d.hours(), &sc.exercise.start_label),
                ),
                _ => (time, clk),
            };
            vec![
                i.number.to_string(),
                i.id.clone(),
                time,
                clk,
                status,
                trigger_text(&i.trigger),
                i.synopsis.clone(),
                i.from.clone(),
                i.to.iter()
                    .map(|id| {
                        sc.agencies
                            .iter()
                            .find(|a| &a.id == id)
                            .map(|a| a.name.clone())
                            .unwrap_or_else(|| id.clone())
                    })
                    .collect::<Vec<_>>()
                    .join("; "),
                i.delivery.clone(),
                sc.exercise.marking.clone(),
                i.expected_action.clone(),
                i.objectives.join("; "),
                i.capability
                    .map(|c| split_camel(&format!("{c:?}")))
                    .unwrap_or_default(),
            ]
        })
        .collect()
}

/// The MSEL as CSV bytes: UTF-8 with BOM (for spreadsheet programs), formula cells neutralised.
pub(super) fn msel_csv(b: &Batch) -> Result<Vec<u8>> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(HEADERS).map_err(csv_err)?;
    for row in msel_rows(b) {
        w.write_record(row.iter().map(|c| csv_safe(c).into_owned()))
            .map_err(csv_err)?;
    }
    let body = w
        .into_inner()
        .map_err(|e| Error::Runtime(format!("msel.csv: {e}")))?;
    let mut out = vec![0xEF, 0xBB, 0xBF];
    out.extend(body);
    Ok(out)
}

fn csv_err(e: csv::Error) -> Error {
    Error::Runtime(format!("msel.csv: {e}"))
}
