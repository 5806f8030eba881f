//! The HSEEP After-Action Report / Improvement Plan: a context built from the batch (pure),
//! rendered by two minijinja templates (`report.html.j2`, auto-escaped as HTML, and
//! `report.md.j2`, whose every value is escaped for Markdown by the formatter).

use super::Batch;
use super::charts::RenderedChart;
use super::text::{
    ChartRef, clock, corrective_action, kind_label, md_escape, p2, signed, split_camel,
};
use crate::batch::summary::{ObjectiveSummary, VariantSummary};
use crate::error::{Error, Result};
use crate::sim::DriverKind;
use minijinja::{AutoEscape, Environment, Value, context};
use serde::Serialize;
use std::collections::BTreeMap;

/// Template of the HTML report.
pub(super) const HTML_TEMPLATE: &str = include_str!("../../assets/templates/report.html.j2");
/// Template of the Markdown report.
pub(super) const MD_TEMPLATE: &str = include_str!("../../assets/templates/report.md.j2");

/// Most narrative lines per exemplar.
pub(super) const MAX_NARRATIVE: usize = 60;

/// An agency in the overview.
#[derive(Debug, Clone, Serialize)]
pub(super) struct AgencyLine {
    /// Name.
    pub name: String,
    /// Region.
    pub region: String,
}

/// Agencies of one kind.
#[derive(Debug, Clone, Serialize)]
pub(super) struct AgencyGroup {
    /// Kind label.
    pub kind: String,
    /// Agencies.
    pub agencies: Vec<AgencyLine>,
}

/// One row of a capability table.
#[derive(Debug, Clone, Serialize)]
pub(super) struct CapabilityRow {
    /// Objective id.
    pub id: String,
    /// Objective text.
    pub description: String,
    /// Core capability, readable.
    pub capability: String,
    /// Target in words.
    pub target: String,
    /// Rating letter.
    pub rating: String,
    /// P(met), two decimals.
    pub p: String,
    /// 95% interval "0.59–0.65".
    pub ci: String,
    /// Runs it applied to, with the not-applicable runs (no active insider, threat not
    /// real) after them:
    /// "170 (+130 N/A)".
    pub n: String,
}

/// One variant's capability table.
#[derive(Debug, Clone, Serialize)]
pub(super) struct CapabilityTable {
    /// Variant id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Recommendation tested, readable.
    pub recommendation: String,
    /// Description.
    pub description: String,
    /// Rows.
    pub rows: Vec<CapabilityRow>,
}

/// One cell of the objectives × variants matrix.
#[derive(Debug, Clone, Serialize)]
pub(super) struct MatrixCell {
    /// Rating letter.
    pub rating: String,
    /// P(met), two decimals.
    pub p: String,
    /// Paired change of P(met) from the baseline, two decimals with sign ("" in the
    /// baseline column).
    pub diff: String,
    /// The change's 95% interval "−0.05 to +0.02" (the baseline column: the P(met) interval).
    pub ci: String,
    /// Whether the change's interval excludes zero.
    pub clear: bool,
    /// Whether the change is an improvement (only meaningful when `clear`).
    pub better: bool,
    /// The evaluator's rating overriding the simulated one (baseline column only; "" when
    /// none).
    pub evaluator: String,
}

/// An evaluator's judgement of an objective, beside the simulated evidence.
#[derive(Debug, Clone, Serialize)]
pub(super) struct EvaluationRow {
    /// Objective id.
    pub id: String,
    /// Objective text.
    pub description: String,
    /// Simulated rating letter.
    pub simulated: String,
    /// The simulated evidence: "P(met) 0.62 (95% CI 0.58–0.66)".
    pub evidence: String,
    /// Evaluator's rating ("" for a note only).
    pub rating: String,
    /// Evaluator's note.
    pub note: String,
    /// Evaluator.
    pub evaluator: String,
}

/// One objective's row of the matrix.
#[derive(Debug, Clone, Serialize)]
pub(super) struct MatrixRow {
    /// Objective id.
    pub id: String,
    /// Objective text.
    pub description: String,
    /// Core capability, readable.
    pub capability: String,
    /// Target in words.
    pub target: String,
    /// Cells, baseline first.
    pub cells: Vec<MatrixCell>,
}

/// One variant's column of the matrix, with its key entry.
#[derive(Debug, Clone, Serialize)]
pub(super) struct MatrixCol {
    /// Short label for the column head ("V1"; the baseline "Base").
    pub key: String,
    /// Display name.
    pub name: String,
    /// Recommendation tested, readable.
    pub recommendation: String,
    /// Description.
    pub description: String,
    /// Runs.
    pub runs: u64,
}

/// The objectives × variants matrix: rating, P(met) and paired change from the baseline.
#[derive(Debug, Clone, Serialize)]
pub(super) struct Matrix {
    /// Columns, baseline first.
    pub cols: Vec<MatrixCol>,
    /// Rows, in scenario order.
    pub rows: Vec<MatrixRow>,
}

/// A strength or an area for improvement.
#[derive(Debug, Clone, Serialize)]
pub(super) struct Finding {
    /// Objective id.
    pub objective: String,
    /// Capability, readable.
    pub capability: String,
    /// Heading.
    pub title: String,
    /// The evidence sentence.
    pub text: String,
    /// Root causes (areas for improvement only), plain language.
    pub causes: Vec<String>,
    /// Chart that shows it.
    pub chart: Option<ChartRef>,
}

/// One row of the improvement plan matrix.
#[derive(Debug, Clone, Serialize)]
pub(super) struct PlanRow {
    /// Core capability.
    pub capability: String,
    /// Area for improvement (objective).
    pub issue: String,
    /// Corrective action.
    pub action: String,
    /// Recommendation it implements, readable.
    pub recommendation: String,
    /// Capability element (POETE).
    pub element: String,
    /// Evidence from variants.
    pub evidence: String,
}

/// One line of an exemplar narrative.
#[derive(Debug, Clone, Serialize)]
pub(super) struct NarrativeLine {
    /// "Day 1 06:30".
    pub clock: String,
    /// Scenario time [h], two decimals.
    pub t: String,
    /// What happened.
    pub text: String,
}

/// An exemplar run told as a narrative.
#[derive(Debug, Clone, Serialize)]
pub(super) struct Narrative {
    /// Heading.
    pub title: String,
    /// Why it was chosen.
    pub reason: String,
    /// Lines.
    pub lines: Vec<NarrativeLine>,
    /// Events left out (minor kinds or beyond the cap).
    pub omitted: usize,
    /// Timeline chart.
    pub chart: Option<ChartRef>,
}

/// Everything the templates show.
#[derive(Debug, Clone, Serialize)]
pub(super) struct Context {
    /// Handling marking.
    pub marking: String,
    /// Exercise name.
    pub name: String,
    /// Scenario summary.
    pub description: String,
    /// Exercise type.
    pub exercise_type: String,
    /// Mission areas.
    pub mission_areas: Vec<String>,
    /// Core capabilities evaluated.
    pub capabilities: Vec<String>,
    /// Sponsor.
    pub sponsor: String,
    /// Point of contact.
    pub poc: String,
    /// Start label.
    pub start_label: String,
    /// Agencies grouped by kind.
    pub agency_groups: Vec<AgencyGroup>,
    /// Threats and hazards "name (kind)".
    pub threats: Vec<String>,
    /// The rating rule in words.
    pub rating_rule: String,
    /// Capability tables, baseline first.
    pub tables: Vec<CapabilityTable>,
    /// The objectives × variants matrix.
    pub matrix: Matrix,
    /// Every variant's clear effects on the objectives (paired interval excluding zero),
    /// one sentence each, whether or not the variant tests a recommendation.
    pub variant_effects: Vec<String>,
    /// The evaluator's judgements (`evaluation.csv`), in objective order.
    pub evaluations: Vec<EvaluationRow>,
    /// The interactive partnership matrix (HTML fragment, escaped; "" without links).
    pub network_matrix: String,
    /// Strengths.
    pub strengths: Vec<Finding>,
    /// Areas for improvement.
    pub afis: Vec<Finding>,
    /// Improvement plan.
    pub plan: Vec<PlanRow>,
    /// Exemplar narratives.
    pub narratives: Vec<Narrative>,
    /// Charts by name.
    pub charts: BTreeMap<String, ChartRef>,
    /// Fan chart names.
    pub fans: Vec<String>,
    /// Runs per variant.
    pub runs: u64,
    /// Master seed.
    pub seed: u64,
    /// Scenario hash.
    pub hash: String,
    /// Tool version.
    pub version: String,
    /// Variant names.
    pub variants: Vec<String>,
    /// Whether the batch has variants beyond the baseline.
    pub has_variants: bool,
    /// Problems met while reading the batch.
    pub warnings: Vec<String>,
    /// The partnership-ledger section, when the directory holds a ledger.
    pub ledger: Option<super::ledger_aar::LedgerSection>,
    /// P(met) under parameter uncertainty, when the batch ran with `--uncertainty`.
    pub uncertainty: Option<super::uncertainty_aar::UncertaintySection>,
    /// "What the answer depends on" as HTML ("" without a sensitivity study).
    pub sensitivity_html: String,
    /// The same section as Markdown.
    pub sensitivity_md: String,
    /// The played session's section as HTML ("" without one).
    pub session_html: String,
    /// "Does the model reproduce the case?": the baseline's observed-value checks.
    pub observed: Vec<super::data::ObservedRow>,
    /// How many observed values fall outside the simulated 5–95% band.
    pub observed_outside: usize,
}

fn rec_label(r: &str) -> String {
    match r {
        "PartnerVetting" => "Rigorous partner vetting".into(),
        "SharingAgreements" => "Cybersecurity and data-sharing agreements".into(),
        "SharedBenefits" => "Shared benefits and transparency".into(),
        "JointTraining" => "Joint training and exercises".into(),
        "MetricsAndEvaluation" => "Metrics and evaluation".into(),
        "TechnologyInvestment" => "Technology investment for secure, efficient sharing".into(),
        other => split_camel(other),
    }
}

/// Recommendations that address a driver kind.
pub(super) fn recs_for(kind: DriverKind) -> &'static [&'static str] {
    match kind {
        DriverKind::PartnerFailure => &["TechnologyInvestment", "JointTraining"],
        DriverKind::InsiderAction => &["PartnerVetting"],
        DriverKind::PartnershipLoss => &["SharedBenefits", "SharingAgreements"],
        DriverKind::Inject => &["JointTraining"],
        DriverKind::ThreatReal => &["MetricsAndEvaluation"],
        DriverKind::Consequence => &[],
    }
}

fn pct(p: f64) -> String {
    format!("{:.0}%", p * 100.0)
}

fn row(o: &ObjectiveSummary) -> CapabilityRow {
    CapabilityRow {
        id: o.id.clone(),
        description: o.description.clone(),
        capability: split_camel(&o.capability),
        target: o.target.clone(),
        rating: o.rating.clone(),
        p: p2(o.p),
        ci: format!("{}–{}", p2(o.ci_low), p2(o.ci_high)),
        n: if o.not_applicable > 0 {
            format!("{} (+{} N/A)", o.n, o.not_applicable)
        } else {
            o.n.to_string()
        },
    }
}

/// Fewest runs on each side for a driver to be named as a root cause (smaller groups give
/// too noisy a P(met)).
pub(super) const MIN_CAUSE_RUNS: u64 = 10;

/// Plain-language root causes of a shortfall: drivers that lower P(met), largest first.
pub(super) fn root_causes(
    v: &VariantSummary,
    objective: &str,
    description: &str,
) -> Vec<(String, DriverKind)> {
    let mut effects: Vec<_> = v
        .drivers
        .iter()
        .filter(|d| {
            d.objective == objective
                && d.kind != DriverKind::Consequence
                && d.runs_with >= MIN_CAUSE_RUNS
                && d.runs_without >= MIN_CAUSE_RUNS
        })
        .filter_map(|d| {
            let (pw, po) = (d.p_with?, d.p_without?);
            Some((d, po - pw, pw, po))
        })
        .filter(|(d, drop, pw, po)| {
            // Two-proportion difference beyond chance at 95% (normal approximation).
            let se = (pw * (1.0 - pw) / d.runs_with as f64
                + po * (1.0 - po) / d.runs_without as f64)
                .sqrt();
            *drop >= 0.02 && *drop > 1.96 * se
        })
        .map(|(d, drop, _, _)| (d, drop))
        .collect();
    effects.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.label.cmp(&b.0.label)));
    effects
        .iter()
        .take(3)
        .map(|(d, _)| {
            (
                format!(
                    "When “{}” happened ({} of {} runs), the share of runs meeting “{}” fell from {} to {}.",
                    d.label,
                    d.runs_with,
                    d.runs_with + d.runs_without,
                    description,
                    p2(d.p_without.unwrap_or(0.0)),
                    p2(d.p_with.unwrap_or(0.0)),
                ),
                d.kind,
            )
        })
        .collect()
}

/// The objectives × variants matrix of a summary.
fn matrix(s: &crate::batch::summary::Summary, eval: &[super::evaluation::Override]) -> Matrix {
    let cols = s
        .variants
        .iter()
        .enumerate()
        .map(|(i, v)| MatrixCol {
            key: if i == 0 {
                "Base".to_string()
            } else {
                format!("V{i}")
            },
            name: v.name.clone(),
            recommendation: v
                .recommendation
                .as_deref()
                .map(rec_label)
                .unwrap_or_default(),
            description: v.description.clone(),
            runs: v.runs,
        })
        .collect();
    let rows = match s.variants.first() {
        None => Vec::new(),
        Some(base) => base
            .objectives
            .iter()
            .map(|o| MatrixRow {
                id: o.id.clone(),
                description: o.description.clone(),
                capability: split_camel(&o.capability),
                target: o.target.clone(),
                cells: s
                    .variants
                    .iter()
                    .enumerate()
                    .map(|(i, v)| {
                        let vo = v.objectives.iter().find(|x| x.id == o.id);
                        let (rating, p) = vo
                            .map(|x| (x.rating.clone(), p2(x.p)))
                            .unwrap_or_else(|| ("—".into(), "—".into()));
                        if i == 0 {
                            return MatrixCell {
                                rating,
                                p,
                                diff: String::new(),
                                ci: format!("{}–{}", p2(o.ci_low), p2(o.ci_high)),
                                clear: false,
                                better: false,
                                evaluator: eval
                                    .iter()
                                    .find(|e| e.objective == o.id)
                                    .and_then(|e| e.rating.clone())
                                    .unwrap_or_default(),
                            };
                        }
                        let key = format!("obj:{}", o.id);
                        let d = v.paired.iter().find(|d| d.id == key);
                        match d.and_then(|d| Some((d.mean_diff?, d.ci_low?, d.ci_high?))) {
                            Some((m, lo, hi)) => MatrixCell {
                                rating,
                                p,
                                diff: signed(m, 2),
                                ci: format!("{} to {}", signed(lo, 2), signed(hi, 2)),
                                clear: lo > 0.0 || hi < 0.0,
                                better: lo > 0.0,
                                evaluator: String::new(),
                            },
                            None => MatrixCell {
                                rating,
                                p,
                                diff: "—".into(),
                                ci: String::new(),
                                clear: false,
                                better: false,
                                evaluator: String::new(),
                            },
                        }
                    })
                    .collect(),
            })
            .collect(),
    };
    Matrix { cols, rows }
}

/// The evaluator's judgements beside the simulated evidence, in objective order.
fn evaluations(
    s: &crate::batch::summary::Summary,
    eval: &[super::evaluation::Override],
) -> Vec<EvaluationRow> {
    let Some(base) = s.variants.first() else {
        return Vec::new();
    };
    base.objectives
        .iter()
        .filter_map(|o| {
            let e = eval.iter().find(|e| e.objective == o.id)?;
            Some(EvaluationRow {
                id: o.id.clone(),
                description: o.description.clone(),
                simulated: o.rating.clone(),
                evidence: format!(
                    "P(met) {} (95% CI {}–{}) over {} runs",
                    p2(o.p),
                    p2(o.ci_low),
                    p2(o.ci_high),
                    o.n
                ),
                rating: e.rating.clone().unwrap_or_default(),
                note: e.note.clone(),
                evaluator: e.evaluator.clone(),
            })
        })
        .collect()
}

/// Every variant's clear effects on the objectives, one sentence per variant.
fn variant_effects(s: &crate::batch::summary::Summary) -> Vec<String> {
    let Some(base) = s.variants.first() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for v in s.variants.iter().skip(1) {
        let mut parts = Vec::new();
        for o in &base.objectives {
            let key = format!("obj:{}", o.id);
            let Some(d) = v.paired.iter().find(|d| d.id == key) else {
                continue;
            };
            let (Some(m), Some(lo), Some(hi)) = (d.mean_diff, d.ci_low, d.ci_high) else {
                continue;
            };
            if lo > 0.0 || hi < 0.0 {
                let points = (m * 100.0).abs();
                parts.push(format!(
                    "{} “{}” {} P(met) by {points:.0} points (95% CI {} to {}, paired over {} runs)",
                    o.id,
                    o.description,
                    if lo > 0.0 { "raises" } else { "lowers" },
                    signed(lo, 2),
                    signed(hi, 2),
                    d.n
                ));
            }
        }
        if parts.is_empty() {
            continue;
        }
        let tests = v
            .recommendation
            .as_deref()
            .map(|r| format!(" (tests: {})", rec_label(r)))
            .unwrap_or_default();
        out.push(format!(
            "Variant “{}”{tests}: {}.",
            v.name,
            parts.join("; ")
        ));
    }
    out
}

/// For a driver that happened in every run: why comparing runs cannot attribute the
/// shortfall to it, and the variant that would.
fn unattributable(d: &crate::batch::summary::DriverEffect) -> String {
    let (kind, name) = d.driver.split_once('.').unwrap_or(("", d.driver.as_str()));
    let variant = match kind {
        "inject" => format!("a variant without the inject (`Remove(\"injects[{name}]\")`)"),
        "insider" => format!("a variant without the insider (`Remove(\"insiders[{name}]\")`)"),
        "outage" => format!(
            "a variant in which {name} does not fail or degrade (no scripted outage, failure rate 0)"
        ),
        "channel" => {
            format!("a variant in which channel {name} does not fail (or with a backup channel)")
        }
        "partnership" => {
            format!("a variant in which partnership {name} is never withdrawn or held")
        }
        _ => "a variant that removes it".to_string(),
    };
    format!(
        "“{}” happened in every run, so comparing runs with and without it cannot attribute the shortfall to it. To measure its share, add {variant} and compare it with the baseline.",
        d.label
    )
}

/// Build the report context from a batch and its rendered charts.
pub(super) fn context(b: &Batch, charts: &[RenderedChart]) -> Context {
    let s = &b.summary;
    let sc = b.scenario.as_ref();
    let chart_map: BTreeMap<String, ChartRef> = charts
        .iter()
        .map(|c| {
            (
                c.name.clone(),
                ChartRef {
                    name: c.name.clone(),
                    title: c.title.clone(),
                },
            )
        })
        .collect();
    let chart = |name: &str| chart_map.get(name).cloned();
    let mut agency_groups: Vec<AgencyGroup> = Vec::new();
    if let Some(sc) = sc {
        let mut kinds: Vec<_> = sc.agencies.iter().map(|a| a.kind).collect();
        kinds.sort();
        kinds.dedup();
        for k in kinds {
            agency_groups.push(AgencyGroup {
                kind: kind_label(k).to_string(),
                agencies: sc
                    .agencies
                    .iter()
                    .filter(|a| a.kind == k)
                    .map(|a| AgencyLine {
                        name: a.name.clone(),
                        region: a.region.clone(),
                    })
                    .collect(),
            });
        }
    }
    let thresholds = |id: &str| {
        b.catalog
            .objectives
            .iter()
            .find(|o| o.id == id)
            .map(|o| o.thresholds)
            .unwrap_or([0.9, 0.75, 0.5])
    };
    let mut caps: Vec<String> = b
        .catalog
        .objectives
        .iter()
        .map(|o| split_camel(&format!("{:?}", o.capability)))
        .collect();
    if caps.is_empty()
        && let Some(v) = s.variants.first()
    {
        caps = v
            .objectives
            .iter()
            .map(|o| split_camel(&o.capability))
            .collect();
    }
    caps.sort();
    caps.dedup();
    let distinct: Vec<[f64; 3]> = {
        let mut t: Vec<[f64; 3]> = b.catalog.objectives.iter().map(|o| o.thresholds).collect();
        t.dedup();
        t
    };
    let rating_rule = if distinct.len() <= 1 {
        let [p, ss, m] = distinct.first().copied().unwrap_or([0.9, 0.75, 0.5]);
        format!(
            "Simulated rating from the share of runs meeting the target: P (performed without challenges) at {} or more, S (with some challenges) at {} or more, M (with major challenges: in HSEEP's words, met, but with major problems or negative impacts) at {} or more, otherwise U (unable to be performed).",
            p2(p),
            p2(ss),
            p2(m)
        )
    } else {
        "Simulated rating from the share of runs meeting the target against each objective's thresholds (P ≥ p, S ≥ s, M ≥ m, otherwise U; thresholds set per objective in the scenario). M is HSEEP's \"performed with major challenges\": met, but with major problems or negative impacts.".to_string()
    };
    let tables = s
        .variants
        .iter()
        .map(|v| CapabilityTable {
            id: v.id.clone(),
            name: v.name.clone(),
            recommendation: v
                .recommendation
                .as_deref()
                .map(rec_label)
                .unwrap_or_default(),
            description: v.description.clone(),
            rows: v.objectives.iter().map(row).collect(),
        })
        .collect();
    let mut strengths = Vec::new();
    let mut afis = Vec::new();
    let mut plan = Vec::new();
    if let Some(base) = s.variants.first() {
        for o in &base.objectives {
            let cap = split_camel(&o.capability);
            let evidence = format!(
                "Target {} met in {} of runs (95% CI {}–{}), simulated rating {}.",
                o.target,
                pct(o.p),
                pct(o.ci_low),
                pct(o.ci_high),
                o.rating
            );
            let driver_chart = chart(&format!("drivers_{}", crate::output::safe_file_name(&o.id)));
            // An evaluator's rating (evaluation.csv) decides the side; the simulated
            // evidence stays beside it.
            let judged = b
                .evaluation
                .iter()
                .find(|e| e.objective == o.id)
                .and_then(|e| e.rating.as_ref().map(|r| (r.clone(), e.note.clone())));
            let rating = judged
                .as_ref()
                .map_or(o.rating.as_str(), |(r, _)| r.as_str());
            let evidence = match &judged {
                Some((r, note)) if r != &o.rating => {
                    let note = if note.is_empty() {
                        String::new()
                    } else {
                        format!(": {note}")
                    };
                    format!("{evidence} Evaluator's rating {r}{note}.")
                }
                _ => evidence,
            };
            if rating == "P" || rating == "S" {
                strengths.push(Finding {
                    objective: o.id.clone(),
                    capability: cap,
                    title: format!("{}: {}", o.id, o.description),
                    text: evidence,
                    causes: Vec::new(),
                    chart: driver_chart.or_else(|| chart("objectives")),
                });
                continue;
            }
            let causes = root_causes(base, &o.id, &o.description);
            let [tp, _, _] = thresholds(&o.id);
            let mut cause_text: Vec<String> = causes.iter().map(|c| c.0.clone()).collect();
            if cause_text.is_empty() {
                cause_text.extend(
                    base.drivers
                        .iter()
                        .filter(|d| {
                            d.objective == o.id
                                && d.kind != DriverKind::Consequence
                                && d.kind != DriverKind::ThreatReal
                                && d.runs_without == 0
                                && d.runs_with > 0
                        })
                        .take(3)
                        .map(unattributable),
                );
            }
            if cause_text.is_empty() {
                cause_text.push(format!(
                    "No single simulated event explains the shortfall: the target is missed across runs, so the capacity, delays or reach behind it fall short in general (see the distributions chart). P needs {} of runs.",
                    pct(tp)
                ));
            }
            afis.push(Finding {
                objective: o.id.clone(),
                capability: cap.clone(),
                title: format!("{}: {}", o.id, o.description),
                text: evidence,
                causes: cause_text,
                chart: driver_chart.or_else(|| chart("distributions")),
            });
            // Candidate corrective actions: tested recommendations first (by effect), then
            // those suggested by the drivers.
            let key = format!("obj:{}", o.id);
            // (recommendation, lower CI bound, evidence sentence)
            let mut tested: Vec<(String, f64, String)> = Vec::new();
            for v in s.variants.iter().skip(1) {
                let (Some(r), Some(d)) = (
                    v.recommendation.as_ref(),
                    v.paired.iter().find(|d| d.id == key),
                ) else {
                    continue;
                };
                let (Some(m), Some(lo), Some(hi)) = (d.mean_diff, d.ci_low, d.ci_high) else {
                    continue;
                };
                if m == 0.0 && lo == 0.0 && hi == 0.0 {
                    tested.push((
                        r.clone(),
                        lo,
                        format!(
                            "Variant “{}”: no measurable effect (P(met) unchanged in every one of {} paired runs).",
                            v.name, d.n
                        ),
                    ));
                    continue;
                }
                let verdict = if lo > 0.0 {
                    "a clear improvement"
                } else if hi < 0.0 {
                    "clearly worse"
                } else {
                    "no clear effect"
                };
                tested.push((
                    r.clone(),
                    lo,
                    format!(
                        "Variant “{}”: P(met) {} (95% CI {} to {}), paired over {} runs: {verdict}.",
                        v.name,
                        signed(m, 2),
                        signed(lo, 2),
                        signed(hi, 2),
                        d.n
                    ),
                ));
            }
            tested.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
            // Order: tested with a clear improvement, then suggested by the root causes, then
            // the other tested ones.
            let mut recs: Vec<String> = Vec::new();
            for (r, lo, _) in &tested {
                if *lo > 0.0 && !recs.contains(r) {
                    recs.push(r.clone());
                }
            }
            let mut suggested: Vec<&str> = causes
                .iter()
                .flat_map(|c| recs_for(c.1).iter().copied())
                .collect();
            if suggested.is_empty() {
                suggested = vec!["JointTraining", "MetricsAndEvaluation"];
            }
            for r in suggested {
                if !recs.iter().any(|x| x == r) {
                    recs.push(r.to_string());
                }
            }
            for (r, _, _) in &tested {
                if !recs.contains(r) {
                    recs.push(r.clone());
                }
            }
            for r in recs {
                let (action, element) = corrective_action(&r);
                let ev: Vec<&str> = tested
                    .iter()
                    .filter(|t| t.0 == r)
                    .map(|t| t.2.as_str())
                    .collect();
                plan.push(PlanRow {
                    capability: cap.clone(),
                    issue: format!("{}: {}", o.id, o.description),
                    action: action.to_string(),
                    recommendation: rec_label(&r),
                    element: element.to_string(),
                    evidence: if ev.is_empty() {
                        "Not tested in this batch: add a variant to measure it.".to_string()
                    } else {
                        ev.join(" ")
                    },
                });
            }
        }
    }
    let start_label = sc
        .map(|x| x.exercise.start_label.clone())
        .unwrap_or_default();
    let mut narratives = Vec::new();
    if let Some(base) = s.variants.first() {
        for role in ["median", "worst"] {
            let Some(ex) = b.exemplar(&base.id, role) else {
                continue;
            };
            // The same folding as `tabletop run` (sim::narrative::fold_timeline).
            let mut lines = Vec::new();
            let mut omitted = 0;
            for (t, text) in crate::sim::narrative::fold_timeline(&ex.outcome.timeline) {
                if lines.len() >= MAX_NARRATIVE || !t.is_finite() {
                    omitted += 1;
                    continue;
                }
                lines.push(NarrativeLine {
                    clock: clock(t, &start_label),
                    t: format!("{t:.2}"),
                    text,
                });
            }
            let label = if role == "median" {
                "Median run"
            } else {
                "Worst-decile run"
            };
            narratives.push(Narrative {
                title: format!("{label} (run {})", ex.outcome.run_index),
                reason: ex.reason.clone(),
                lines,
                omitted,
                chart: chart(&format!(
                    "timeline_{}_{role}",
                    crate::output::safe_file_name(&base.id)
                )),
            });
        }
    }
    Context {
        marking: s.marking.clone(),
        name: s.scenario_name.clone(),
        description: sc
            .map(|x| x.exercise.description.clone())
            .unwrap_or_default(),
        exercise_type: sc
            .map(|x| split_camel(&format!("{:?}", x.exercise.exercise_type)))
            .unwrap_or_default(),
        mission_areas: sc
            .map(|x| {
                x.exercise
                    .mission_areas
                    .iter()
                    .map(|m| format!("{m:?}"))
                    .collect()
            })
            .unwrap_or_default(),
        capabilities: caps,
        sponsor: sc.map(|x| x.exercise.sponsor.clone()).unwrap_or_default(),
        poc: sc.map(|x| x.exercise.poc.clone()).unwrap_or_default(),
        start_label,
        agency_groups,
        threats: sc
            .map(|x| {
                x.threats
                    .iter()
                    .map(|t| format!("{} ({:?})", t.name, t.kind))
                    .collect()
            })
            .unwrap_or_default(),
        rating_rule,
        tables,
        matrix: matrix(s, &b.evaluation),
        evaluations: evaluations(s, &b.evaluation),
        network_matrix: {
            let (nodes, edges) = super::data::network_data(s, sc);
            let (nodes, edges) = super::netscale::in_matrix_order(&nodes, &edges);
            // with a ledger, each cell also gives its partnership's net value (a mutual
            // partnership's on both of its cells, unless the other direction has its own)
            let mut values: BTreeMap<(&str, &str), String> = BTreeMap::new();
            let players = b.ledger.iter().flat_map(|l| &l.players);
            for p in players.clone().filter(|p| !p.to.is_empty()) {
                values.insert(
                    (p.from.as_str(), p.to.as_str()),
                    format!(
                        "ledger net value {} pp (95% CI {} to {})",
                        super::text::signed(p.value * 100.0, 1),
                        super::text::signed(p.value_low * 100.0, 1),
                        super::text::signed(p.value_high * 100.0, 1)
                    ),
                );
            }
            for p in players.filter(|p| !p.to.is_empty()) {
                if let Some(t) = values.get(&(p.from.as_str(), p.to.as_str())).cloned() {
                    values.entry((p.to.as_str(), p.from.as_str())).or_insert(t);
                }
            }
            super::netmatrix::network_matrix_html(&nodes, &edges, &|f, t| {
                values.get(&(f, t)).cloned()
            })
        },
        variant_effects: variant_effects(s),
        strengths,
        afis,
        plan,
        narratives,
        fans: charts
            .iter()
            .filter(|c| c.name.starts_with("fan_"))
            .map(|c| c.name.clone())
            .collect(),
        charts: chart_map,
        runs: s.runs,
        seed: s.master_seed,
        hash: s.scenario_hash.clone(),
        version: s.version.clone(),
        variants: s.variants.iter().map(|v| v.name.clone()).collect(),
        has_variants: s.variants.len() > 1,
        warnings: {
            let mut w = b.warnings.clone();
            for id in sc.map(|x| x.exercise.key_metrics.as_slice()).unwrap_or(&[]) {
                if b.catalog.metrics.iter().any(|m| &m.id == id) {
                    continue;
                }
                let near = b
                    .catalog
                    .metrics
                    .iter()
                    .map(|m| (strsim::jaro_winkler(id, &m.id), &m.id))
                    .max_by(|a, b| a.0.total_cmp(&b.0))
                    .filter(|(d, _)| *d > 0.8)
                    .map(|(_, m)| format!(" (did you mean \"{m}\"?)"))
                    .unwrap_or_default();
                w.push(format!(
                    "exercise.key_metrics: no metric \"{id}\"{near}; the metric ids are the columns of runs.csv. It is left out of the key outcomes."
                ));
            }
            w
        },
        ledger: b
            .ledger
            .as_ref()
            .map(|l| super::ledger_aar::section(l, sc, charts)),
        uncertainty: b.uncertainty.as_ref().map(super::uncertainty_aar::section),
        sensitivity_html: b
            .sensitivity
            .as_ref()
            .map(super::sens_report::section_html)
            .unwrap_or_default(),
        sensitivity_md: b
            .sensitivity
            .as_ref()
            .map(super::sens_report::section_markdown)
            .unwrap_or_default(),
        session_html: b.session_html.clone().unwrap_or_default(),
        observed: super::data::observed_rows(s),
        observed_outside: s
            .variants
            .first()
            .map_or(0, |v| v.observed.iter().filter(|c| !c.inside).count()),
    }
}

fn environment() -> Result<Environment<'static>> {
    let mut env = Environment::new();
    env.set_auto_escape_callback(|name| {
        if name.ends_with(".md.j2") {
            AutoEscape::Custom("markdown")
        } else {
            minijinja::default_auto_escape_callback(name)
        }
    });
    env.set_formatter(|out, state, value| {
        if state.auto_escape() == AutoEscape::Custom("markdown") {
            if value.is_undefined() || value.is_none() {
                return Ok(());
            }
            let s = value.to_string();
            let s = if value.is_safe() {
                s
            } else {
                md_escape(&crate::output::display_safe(&s))
            };
            out.write_str(&s).map_err(minijinja::Error::from)
        } else if !value.is_safe()
            && let Some(text) = value.as_str()
            && let std::borrow::Cow::Owned(clean) = crate::output::display_safe(text)
        {
            // Bidi overrides and control characters neutralised, then HTML-escaped.
            minijinja::escape_formatter(out, state, &Value::from(clean))
        } else {
            minijinja::escape_formatter(out, state, value)
        }
    });
    env.set_trim_blocks(true);
    env.set_lstrip_blocks(true);
    env.add_template("report.html.j2", HTML_TEMPLATE)
        .map_err(tpl_err)?;
    env.add_template("report.md.j2", MD_TEMPLATE)
        .map_err(tpl_err)?;
    Ok(env)
}

fn tpl_err(e: minijinja::Error) -> Error {
    Error::Runtime(format!("report template: {e:#}"))
}

/// Render `report.md`.
pub(super) fn render_markdown(ctx: &Context) -> Result<String> {
    let env = environment()?;
    let t = env.get_template("report.md.j2").map_err(tpl_err)?;
    t.render(ctx).map_err(tpl_err)
}

/// Render the self-contained `report.html`, with the charts' SVG inline.
pub(super) fn render_html(ctx: &Context, charts: &[RenderedChart]) -> Result<String> {
    let env = environment()?;
    let t = env.get_template("report.html.j2").map_err(tpl_err)?;
    let svgs: BTreeMap<String, Value> = charts
        .iter()
        .map(|c| {
            (
                c.name.clone(),
                Value::from_safe_string(strip_xml_prolog(&c.svg)),
            )
        })
        .collect();
    t.render(context! { svgs => svgs, ..Value::from_serialize(ctx) })
        .map_err(tpl_err)
}

fn strip_xml_prolog(svg: &str) -> String {
    match svg.find("<svg") {
        Some(i) => svg[i..].to_string(),
        None => svg.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::fixture;

    #[test]
    fn root_causes_name_the_driver_and_both_probabilities() {
        let s = fixture::summary("x");
        let c = root_causes(&s.variants[0], "warn", "All informed");
        assert_eq!(
            c[0].0,
            "When “Virginia Fusion Center outage” happened (430 of 1000 runs), the share of runs meeting “All informed” fell from 0.81 to 0.34."
        );
        assert_eq!(c[0].1, DriverKind::PartnerFailure);
        assert!(root_causes(&s.variants[0], "detect", "d").is_empty());
        // ISAC insider: 0.60 with (95 runs) vs 0.622 without is within chance.
        assert!(
            !root_causes(&s.variants[0], "warn", "w")
                .iter()
                .any(|c| c.0.contains("ISAC insider"))
        );
    }

    #[test]
    fn every_recommendation_has_an_action_and_an_element() {
        for r in [
            "PartnerVetting",
            "SharingAgreements",
            "SharedBenefits",
            "JointTraining",
            "MetricsAndEvaluation",
            "TechnologyInvestment",
        ] {
            let (a, e) = corrective_action(r);
            assert!(!a.is_empty());
            assert!(
                [
                    "Planning",
                    "Organization",
                    "Equipment",
                    "Training",
                    "Exercise"
                ]
                .contains(&e)
            );
        }
    }

    #[test]
    fn markdown_template_escapes_values_but_not_safe_ones() {
        let env = environment().unwrap();
        let mut env = env;
        env.add_template("t.md.j2", "{{ a }} {{ b|safe }}").unwrap();
        let out = env
            .get_template("t.md.j2")
            .unwrap()
            .render(context! { a => "<b>*x*</b>", b => "a_b.png" })
            .unwrap();
        assert_eq!(out, "\\<b\\>\\*x\\*\\</b\\> a_b.png");
    }
}
