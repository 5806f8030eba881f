//! The report's "How sure is the answer?" section: P(met) with its Monte Carlo interval and
//! its interval under parameter uncertainty (`uncertainty.json`, `batch --uncertainty`).

use crate::batch::uncertainty::{UncertaintySummary, letters};
use serde::Serialize;

/// One parameter row.
#[derive(Debug, Clone, Serialize)]
pub(super) struct ParamRow {
    /// Label.
    pub label: String,
    /// Path.
    pub path: String,
    /// Distribution as written.
    pub dist: String,
    /// Nominal value.
    pub nominal: String,
    /// Source of the range.
    pub source: String,
}

/// One objective of one variant.
#[derive(Debug, Clone, Serialize)]
pub(super) struct ObjectiveRow {
    /// Variant name.
    pub variant: String,
    /// Objective id.
    pub id: String,
    /// Nominal rating letter.
    pub rating: String,
    /// "0.79 [0.73, 0.84]".
    pub mc: String,
    /// "[0.00, 1.00]".
    pub with_params: String,
    /// "P 40%, S 60%".
    pub letters: String,
    /// Whether the letter changes across the parameter range.
    pub fragile: bool,
    /// For a variant: "+0.14 [+0.05, +0.22], not reversed in 95% of draws"; "" for the
    /// baseline.
    pub effect: String,
}

/// The section.
#[derive(Debug, Clone, Serialize)]
pub(super) struct UncertaintySection {
    /// Outer draws.
    pub draws: u64,
    /// Runs per draw.
    pub runs_per_draw: u64,
    /// Parameters.
    pub params: Vec<ParamRow>,
    /// Objectives, baseline first.
    pub rows: Vec<ObjectiveRow>,
    /// Fragile ratings of the baseline, "O1-handoff (S 50%, M 30%, U 20%)".
    pub fragile: Vec<String>,
    /// Variant effects that change sign within the parameter range.
    pub unstable_effects: Vec<String>,
}

fn num(x: f64) -> String {
    format!("{x:.2}")
}

fn signed(x: f64) -> String {
    format!("{x:+.2}")
}

/// Build the section from `uncertainty.json`.
pub(super) fn section(u: &UncertaintySummary) -> UncertaintySection {
    let mut rows = Vec::new();
    let mut fragile = Vec::new();
    let mut unstable = Vec::new();
    for (vi, v) in u.variants.iter().enumerate() {
        for o in &v.objectives {
            let effect = o.effect.as_ref().map_or_else(String::new, |e| {
                format!(
                    "{} [{}, {}], not reversed in {:.0}% of draws",
                    signed(e.mean),
                    signed(e.low),
                    signed(e.high),
                    100.0 * e.same_sign
                )
            });
            if let Some(e) = &o.effect
                && e.mean.abs() >= 0.02
                && e.same_sign < 0.9
            {
                unstable.push(format!(
                    "{} on {}: {} on average, but the other way in {:.0}% of the draws",
                    v.name,
                    o.id,
                    signed(e.mean),
                    100.0 * (1.0 - e.same_sign)
                ));
            }
            if vi == 0 && o.fragile {
                fragile.push(format!("{} ({})", o.id, letters(o)));
            }
            rows.push(ObjectiveRow {
                variant: v.name.clone(),
                id: o.id.clone(),
                rating: o.nominal_rating.clone(),
                mc: format!(
                    "{} [{}, {}]",
                    num(o.nominal_p),
                    num(o.mc_low),
                    num(o.mc_high)
                ),
                with_params: format!("[{}, {}]", num(o.low), num(o.high)),
                letters: letters(o),
                fragile: o.fragile,
                effect,
            });
        }
    }
    UncertaintySection {
        draws: u.draws,
        runs_per_draw: u.runs_per_draw,
        params: u
            .params
            .iter()
            .map(|p| ParamRow {
                label: p.label.clone(),
                path: p.path.clone(),
                dist: p.dist.clone(),
                nominal: format!("{}", p.nominal),
                source: p.source.clone(),
            })
            .collect(),
        rows,
        fragile,
        unstable_effects: unstable,
    }
}
