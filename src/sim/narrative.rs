//! One run told as a narrative a facilitator can read aloud, a table of outcomes and
//! objectives, and the bytes of `timeline.csv` and `series.csv`: pure formatting, no I/O
//! (the app layer's `tabletop run` prints and writes them).

use super::outcome::{Catalog, RunOutcome};
use crate::error::{Error, Result};
use crate::output::csv_safe;
use std::fmt::Write as _;

/// Scenario time as "Day d hh:mm" (day 1 is the first 24 hours).
pub(crate) fn fmt_time(h: f64) -> String {
    let total_min = (h.max(0.0) * 60.0).round() as u64;
    let day = total_min / (24 * 60) + 1;
    let hh = (total_min / 60) % 24;
    let mm = total_min % 60;
    format!("Day {day} {hh:02}:{mm:02}")
}

/// The narrative text of a run's timeline.
pub(crate) fn narrative(outcome: &RunOutcome, start_label: &str) -> String {
    let mut s = String::new();
    if !start_label.is_empty() {
        let _ = writeln!(s, "Scenario time zero: {start_label}");
    }
    for e in &outcome.timeline {
        let _ = writeln!(s, "{}  {}", fmt_time(e.t), e.text);
    }
    s
}

/// A value with its unit for tables.
pub(crate) fn fmt_value(v: Option<f64>, unit: &str) -> String {
    match v {
        None => "—".to_string(),
        Some(x) if unit == "h" => format!("{x:.1} h"),
        Some(x) if unit == "share" => format!("{:.0}%", x * 100.0),
        Some(x) if unit == "0/1" => (if x >= 0.5 { "yes" } else { "no" }).to_string(),
        Some(x) if (x - x.round()).abs() < 1e-9 => format!("{x:.0}"),
        Some(x) => format!("{x:.2}"),
    }
}

/// The outcome and objectives table.
pub(crate) fn outcome_table(cat: &Catalog, o: &RunOutcome) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "\nObjectives");
    for (d, r) in cat.objectives.iter().zip(&o.objectives) {
        let unit = cat
            .metrics
            .iter()
            .find(|m| m.id == d.metric)
            .map(|m| m.unit.as_str())
            .unwrap_or("");
        let _ = writeln!(
            s,
            "  [{}] {:<14} {} (target {}; value {})",
            if !r.applicable {
                "n/a: no active insider or threat not real"
            } else if r.met {
                "met"
            } else {
                "NOT met"
            },
            d.id,
            d.description,
            d.target,
            fmt_value(r.value, unit)
        );
    }
    let _ = writeln!(s, "\nOutcomes");
    for (m, v) in cat.metrics.iter().zip(&o.metrics) {
        let _ = writeln!(s, "  {:<60} {}", m.label, fmt_value(*v, &m.unit));
    }
    s
}

/// `timeline.csv` bytes.
pub(crate) fn timeline_csv(o: &RunOutcome) -> Result<Vec<u8>> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let err = |source: csv::Error| Error::Csv {
        what: "timeline.csv".into(),
        source,
    };
    w.write_record(["time_h", "time", "kind", "who", "via", "text"])
        .map_err(err)?;
    for e in &o.timeline {
        w.write_record([
            format!("{:.4}", e.t).as_str(),
            &fmt_time(e.t),
            &format!("{:?}", e.kind),
            &csv_safe(e.who),
            &csv_safe(e.via),
            &csv_safe(e.text),
        ])
        .map_err(err)?;
    }
    w.into_inner().map_err(|e| err(e.into_error().into()))
}

/// `series.csv` bytes.
pub(crate) fn series_csv(cat: &Catalog, o: &RunOutcome) -> Result<Vec<u8>> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let err = |source: csv::Error| Error::Csv {
        what: "series.csv".into(),
        source,
    };
    let mut header = vec!["time_h".to_string()];
    header.extend(cat.series.iter().map(|s| s.id.clone()));
    w.write_record(&header).map_err(err)?;
    for (k, t) in cat.series_times.iter().enumerate() {
        let mut row = vec![format!("{t:.4}")];
        for s in &o.series {
            row.push(s.get(k).map(|v| format!("{v}")).unwrap_or_default());
        }
        w.write_record(&row).map_err(err)?;
    }
    w.into_inner().map_err(|e| err(e.into_error().into()))
}
