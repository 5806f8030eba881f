//! The "Partnership ledger" section of the after-action report: a context built from
//! `ledger.json` (pure), shown by both report templates when a ledger is present.

use super::charts::RenderedChart;
use super::ledger_data::{self as ld, alignment_gap, most_affected, player_name, target_name};
use super::text::{ChartRef, corrective_action, signed};
use crate::ledger::data::{Ledger, LedgerOf, Player, Verdict};
use crate::scenario::schema::ScenarioSpec;
use serde::Serialize;

/// Rows in each of the "most valuable" and "costliest misalignments" tables.
pub(super) const TOP_ROWS: usize = 5;
/// Most alignment parts listed per misalignment.
pub(super) const MAX_PARTS: usize = 3;
/// Most rows of each disagreement list (most central first, or most valuable first).
pub(super) const DISAGREEMENT_ROWS: usize = 8;

/// A P(met) difference in signed percentage points, one decimal ("+21.0 pp", "−3.5 pp").
pub(super) fn pp(v: f64) -> String {
    format!("{} pp", signed(v * 100.0, 1))
}

/// A 95% interval in percentage points ("+15.0 to +27.0 pp").
pub(super) fn pp_ci(lo: f64, hi: f64) -> String {
    format!("{} to {} pp", signed(lo * 100.0, 1), signed(hi * 100.0, 1))
}

/// One of the most valuable players.
#[derive(Debug, Clone, Serialize)]
pub(super) struct ValueLine {
    /// Display name.
    pub name: String,
    /// The agencies it joins ("A – B"), empty for an agency player.
    pub between: String,
    /// Value "+21.0 pp".
    pub value: String,
    /// Its 95% interval.
    pub ci: String,
    /// Whether the whole interval lies above the negligible band.
    pub clear: bool,
    /// Objective a knock-out hurts most (display name), or a dash.
    pub objective: String,
    /// P(met) change of that objective on knock-out, "−60.0 pp", or empty.
    pub objective_diff: String,
}

/// One of the costliest misalignments.
#[derive(Debug, Clone, Serialize)]
pub(super) struct GapLine {
    /// Display name.
    pub name: String,
    /// Objective alignment raises most (display name).
    pub objective: String,
    /// Gain of P(met) when aligned, "+30.0 pp".
    pub gap: String,
    /// Its 95% interval.
    pub ci: String,
    /// Screening verdict: "material", "negligible" or "undecided".
    pub verdict: String,
    /// Recommendation that closes the largest share of it (label).
    pub recommendation: String,
    /// The parts of the alignment priced alone on that objective: "change: +22.0 pp".
    pub parts: Vec<String>,
}

/// A player whose structural and behavioural ranks disagree.
#[derive(Debug, Clone, Serialize)]
pub(super) struct RankLine {
    /// Display name.
    pub name: String,
    /// Betweenness rank (1 = most central).
    pub betweenness_rank: usize,
    /// Value rank (1 = most valuable).
    pub value_rank: usize,
    /// Value "+0.3 pp".
    pub value: String,
    /// Its 95% interval.
    pub ci: String,
}

/// One improvement-plan item.
#[derive(Debug, Clone, Serialize)]
pub(super) struct PlanLine {
    /// Recommendation (label).
    pub recommendation: String,
    /// Corrective action in words.
    pub action: String,
    /// Player (display name).
    pub player: String,
    /// Objective (display name).
    pub objective: String,
    /// Change of P(met) "+30.0 pp".
    pub diff: String,
    /// Its 95% interval.
    pub ci: String,
}

/// Everything the templates show of the ledger.
#[derive(Debug, Clone, Serialize)]
pub(super) struct LedgerSection {
    /// "partnerships" or "partner agencies".
    pub who: String,
    /// "partnership" or "partner agency".
    pub who_one: String,
    /// Players priced.
    pub players: usize,
    /// The most valuable players.
    pub valuable: Vec<ValueLine>,
    /// The costliest misalignments.
    pub misaligned: Vec<GapLine>,
    /// Central in the graph, little value (most central first, at most
    /// [`DISAGREEMENT_ROWS`]).
    pub central_but_little: Vec<RankLine>,
    /// Flagged central-but-little players left out of the list.
    pub central_more: usize,
    /// Quiet in the graph, carry an objective (most valuable first, at most
    /// [`DISAGREEMENT_ROWS`]).
    pub quiet_carriers: Vec<RankLine>,
    /// Flagged quiet carriers left out of the list.
    pub quiet_more: usize,
    /// Improvement-plan items.
    pub plan: Vec<PlanLine>,
    /// How to read the ledger (one paragraph).
    pub how_to_read: String,
    /// How it was computed (sentences).
    pub method: Vec<String>,
    /// The ledger charts present, in order.
    pub charts: Vec<ChartRef>,
}

/// `partner_vetting` → `PartnerVetting` (the recommendation ids of scenario variants).
fn camel(id: &str) -> String {
    id.split('_')
        .map(|w| {
            let mut c = w.chars();
            match c.next() {
                Some(f) => f.to_uppercase().chain(c).collect::<String>(),
                None => String::new(),
            }
        })
        .collect()
}

/// An integer with thousands separators ("12,400").
pub(super) fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn agency_name(sc: Option<&ScenarioSpec>, id: &str) -> String {
    sc.and_then(|s| s.agencies.iter().find(|a| a.id == id))
        .map_or_else(|| id.to_string(), |a| a.name.clone())
}

/// The agencies a partnership player joins ("A – B"), or empty when its name already says
/// so (names both) or it is an agency player.
fn between(sc: Option<&ScenarioSpec>, p: &Player) -> String {
    if p.to.is_empty() {
        return String::new();
    }
    let (a, b) = (agency_name(sc, &p.from), agency_name(sc, &p.to));
    if p.name.contains(a.as_str()) && p.name.contains(b.as_str()) {
        return String::new();
    }
    format!("{a} – {b}")
}

fn rank_line(p: &Player) -> RankLine {
    RankLine {
        name: p.name.clone(),
        betweenness_rank: p.betweenness_rank,
        value_rank: p.value_rank,
        value: pp(p.value),
        ci: pp_ci(p.value_low, p.value_high),
    }
}

fn verdict_word(v: Verdict) -> &'static str {
    match v {
        Verdict::Material => "material",
        Verdict::Negligible => "negligible",
        Verdict::Undecided => "undecided",
    }
}

/// Build the section from a ledger, the scenario (for agency names) and the rendered charts.
pub(super) fn section(
    l: &Ledger,
    scenario: Option<&ScenarioSpec>,
    charts: &[RenderedChart],
) -> LedgerSection {
    let (who, who_one) = match l.manifest.of {
        LedgerOf::Partnerships => ("partnerships", "partnership"),
        LedgerOf::Agencies => ("partner agencies", "partner agency"),
    };
    let valuable = ld::top_value(l, TOP_ROWS)
        .into_iter()
        .filter(|b| b.value > 0.0)
        .filter_map(|b| {
            let p = l.players.iter().find(|p| p.id == b.id)?;
            let hurt = most_affected(l, &p.id);
            Some(ValueLine {
                name: p.name.clone(),
                between: between(scenario, p),
                value: pp(p.value),
                ci: pp_ci(p.value_low, p.value_high),
                clear: p.value_low > l.manifest.negligible.abs(),
                objective: hurt
                    .map(|r| target_name(l, &r.target).to_string())
                    .unwrap_or_else(|| "—".into()),
                objective_diff: hurt.and_then(|r| r.diff).map(pp).unwrap_or_default(),
            })
        })
        .collect();
    let misaligned = ld::alignment_bars(l, TOP_ROWS)
        .into_iter()
        .filter_map(|b| {
            let r = alignment_gap(l, &b.id)?;
            // the parts that move the objective at all, largest first, at most three
            let mut parts: Vec<_> = l
                .gap_parts
                .iter()
                .filter(|g| g.player == b.id && g.target == r.target && g.diff.abs() >= 0.0005)
                .collect();
            parts.sort_by(|a, b| b.diff.total_cmp(&a.diff));
            parts.truncate(MAX_PARTS);
            Some(GapLine {
                name: player_name(l, &b.id).to_string(),
                objective: b.objective.clone(),
                gap: pp(b.value),
                ci: pp_ci(b.lo, b.hi),
                verdict: verdict_word(r.verdict).into(),
                recommendation: ld::recommendation_label(&b.recommendation),
                parts: parts
                    .iter()
                    .map(|g| {
                        format!(
                            "{} ({}): {} ({})",
                            g.change,
                            ld::recommendation_label(&g.recommendation),
                            pp(g.diff),
                            pp_ci(g.ci_low, g.ci_high)
                        )
                    })
                    .collect(),
            })
        })
        .collect();
    let by = |tag: &str, central: bool| -> (Vec<RankLine>, usize) {
        let mut v: Vec<&Player> = l.players.iter().filter(|p| p.disagreement == tag).collect();
        if central {
            v.sort_by_key(|p| (p.betweenness_rank, p.value_rank));
        } else {
            v.sort_by_key(|p| (p.value_rank, p.betweenness_rank));
        }
        let more = v.len().saturating_sub(DISAGREEMENT_ROWS);
        (
            v.into_iter()
                .take(DISAGREEMENT_ROWS)
                .map(rank_line)
                .collect(),
            more,
        )
    };
    let (central_but_little, central_more) = by("central_but_little", true);
    let (quiet_carriers, quiet_more) = by("quiet_carrier", false);
    let plan = l
        .plan
        .iter()
        .map(|p| PlanLine {
            recommendation: ld::recommendation_label(&p.recommendation),
            action: corrective_action(&camel(&p.recommendation)).0.to_string(),
            player: player_name(l, &p.player).to_string(),
            objective: target_name(l, &p.target).to_string(),
            diff: pp(p.diff),
            ci: pp_ci(p.ci_low, p.ci_high),
        })
        .collect();
    let m = &l.manifest;
    let band = signed(m.negligible.abs() * 100.0, 1)
        .trim_start_matches('+')
        .to_string();
    let how_to_read = format!(
        "A {who_one}'s value is the share of runs meeting the objectives that is lost when it is absent from the start (knock-out), averaged over the objectives, in percentage points (pp) of P(met): positive means the network does better with it. Its alignment gap is the P(met) gained on an objective when it is raised to the aligned level (a formal data-sharing agreement, continuous vetting on both sides, handling as the best partner's, channels and clearances that carry the threat's markings, trust at the expected level, a balanced exchange); the recommendation named is the one whose part of the alignment closes the largest share of the gap. Risk is the exposure attributed to it in the scenario as written, in sensitivity-weighted documents (SWD) per run. Differences within ±{band} pp are treated as negligible."
    );
    let mut method = vec![
        format!(
            "Paired runs on common random numbers against the scenario as written: each {who_one} knocked out, failed when the first item on the main threat ({}) would cross it, and aligned, one at a time, the rest of the network unchanged; {} {who} priced with {} paired runs in all, at most {} per {who_one} and measure, in blocks of {}.",
            m.main_threat,
            l.players.len(),
            thousands(m.total_runs),
            thousands(m.max_runs),
            thousands(m.block)
        ),
        format!(
            "Screening: replications of a {who_one} stop once the 95% interval of its difference lies inside the negligible band (±{band} pp) or outside it; each screening decision has an error rate of {} (Bonferroni over the looks). Differences still straddling the band when the budget ran out are marked undecided.",
            m.alpha
        ),
    ];
    if let Some(sh) = &l.shapley {
        let how = if sh.exact {
            format!(
                "computed exactly over every coalition, {} runs per coalition",
                sh.runs_per_coalition
            )
        } else {
            format!(
                "sampled with {} antithetic permutations (each walked forwards and in reverse, all nested coalitions on the same seeds), {} runs per coalition; the largest standard error reached is {:.1} pp (target {:.1} pp)",
                sh.permutations,
                sh.runs_per_coalition,
                sh.precision_reached * 100.0,
                sh.precision_target * 100.0,
            )
        };
        method.push(format!(
            "Shapley values (each {who_one}'s fair share of the network's P(met), counting redundancy) over the {} {who} of highest knock-out value, the others held present: {how}.",
            sh.players.len()
        ));
    }
    method.push(format!(
        "Structure: betweenness in the partnership graph, normalised to [0, 1] and ranked; a {who_one} is flagged where its betweenness rank and its value rank disagree."
    ));
    method.push(format!(
        "Provenance: scenario sha256 {}, master seed {}, tabletop {}.",
        m.scenario_hash, m.seed, m.tabletop_version
    ));
    if !m.shard.is_empty() {
        method.push(format!(
            "This directory holds shard {} only: merge all shards for the whole ledger.",
            m.shard
        ));
    }
    let charts = charts
        .iter()
        .filter(|c| c.name.starts_with("ledger-"))
        .map(|c| ChartRef {
            name: c.name.clone(),
            title: c.title.clone(),
        })
        .collect();
    LedgerSection {
        who: who.into(),
        who_one: who_one.into(),
        players: l.players.len(),
        valuable,
        misaligned,
        central_but_little,
        central_more,
        quiet_carriers,
        quiet_more,
        plan,
        how_to_read,
        method,
        charts,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::fixture;

    #[test]
    fn thousands_are_separated() {
        assert_eq!(thousands(12_400), "12,400");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1_000_000), "1,000,000");
    }

    #[test]
    fn recommendation_ids_map_to_the_variant_spelling() {
        assert_eq!(camel("partner_vetting"), "PartnerVetting");
        assert_eq!(camel("metrics_and_evaluation"), "MetricsAndEvaluation");
        assert_ne!(
            corrective_action(&camel("technology_investment")).0,
            corrective_action("Unknown").0
        );
    }

    #[test]
    fn the_section_lists_the_top_values_gaps_disagreements_and_plan() {
        let l = fixture::ledger();
        let sc: ScenarioSpec = ron::from_str(fixture::SCENARIO_RON).unwrap();
        let s = section(&l, Some(&sc), &[]);
        assert_eq!(s.players, 6);
        // hostile (value 0) and the others with a positive value: five at most, all positive
        assert_eq!(s.valuable.len(), 5);
        assert_eq!(s.valuable[0].value, "+21.0 pp");
        assert_eq!(s.valuable[0].ci, "+15.0 to +27.0 pp");
        assert!(s.valuable[0].clear);
        assert!(!s.valuable[3].clear, "ONG-ISAC: −2.0 to +4.0 pp");
        // a name that names both agencies needs no "between"; a short one gets them
        assert_eq!(s.valuable[0].between, "");
        assert_eq!(
            s.valuable[1].between,
            "Colonial Pipeline control room – FBI Atlanta Field Office"
        );
        assert_eq!(s.valuable[0].objective_diff, "−60.0 pp");
        assert_eq!(s.misaligned[0].recommendation, "Partner vetting");
        assert_eq!(s.misaligned[0].gap, "+30.0 pp");
        assert_eq!(s.misaligned[0].parts.len(), 2);
        assert!(s.misaligned[0].parts[0].starts_with("Continuous vetting"));
        assert_eq!(s.central_but_little.len(), 1);
        assert_eq!(s.central_but_little[0].betweenness_rank, 1);
        assert_eq!(s.central_but_little[0].value_rank, 5);
        assert_eq!(s.quiet_carriers.len(), 1);
        assert_eq!((s.central_more, s.quiet_more), (0, 0));
        // long lists are cut, most central first
        let mut many = l.clone();
        for (i, p) in many.players.iter_mut().enumerate() {
            p.disagreement = "central_but_little".into();
            p.betweenness_rank = 10 - i;
        }
        let mut more = many.players.clone();
        for (k, p) in more.iter_mut().enumerate() {
            p.id = format!("x{k}");
            p.betweenness_rank = 20 + k;
        }
        many.players.extend(more);
        let s = section(&many, Some(&sc), &[]);
        assert_eq!(s.central_but_little.len(), DISAGREEMENT_ROWS);
        assert_eq!(s.central_more, 12 - DISAGREEMENT_ROWS);
        assert_eq!(s.central_but_little[0].betweenness_rank, 5);
        assert_eq!(s.plan.len(), 4);
        assert_eq!(s.plan[0].objective, "No leak of <b>AMBER</b> & \"=cmd\"");
        assert!(
            s.method
                .iter()
                .any(|m| m.contains("2.4 pp (target 3.0 pp)"))
        );
        assert!(s.how_to_read.contains("±1.0 pp"));
    }
}
