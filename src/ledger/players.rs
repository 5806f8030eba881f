//! The players a ledger prices and the scenario each measure makes of them: knocked out,
//! failing as the main threat's first item would cross, or raised to the aligned level
//! (whole, or one recommendation's part of it).

use super::data::{LedgerOf, Measure};
use crate::error::{Error, Result};
use crate::scenario::ValidScenario;
use crate::scenario::schema::{
    Agreement, AlignedSpec, Classification, EffectSpec, InjectSpec, ScenarioSpec, TriggerSpec,
};
use crate::scenario::schema::{Dist, Duration};
use crate::sim::{agreement_violation_mult, default_compliance};

/// A player: a set of partnerships changed together (one for a partnership; all of an
/// agency's for an agency).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct PlayerDef {
    /// Partnership or agency id.
    pub(crate) id: String,
    /// Display name.
    pub(crate) name: String,
    /// One end (the agency itself for an agency player).
    pub(crate) from: String,
    /// Other end (empty for an agency player).
    pub(crate) to: String,
    /// Indices into `spec.partnerships` of the partnerships it changes.
    pub(crate) partnerships: Vec<usize>,
    /// For an agency player, its index into `spec.agencies`.
    pub(crate) agency: Option<usize>,
}

/// The players of a scenario, in scenario order: every enabled partnership, or every
/// agency that is an end of at least one enabled partnership.
pub(crate) fn players(spec: &ScenarioSpec, of: LedgerOf) -> Vec<PlayerDef> {
    let enabled: Vec<usize> = (0..spec.partnerships.len())
        .filter(|&i| spec.partnerships[i].enabled)
        .collect();
    let name_of = |id: &str| {
        spec.agencies
            .iter()
            .find(|a| a.id == id)
            .map_or_else(|| id.to_string(), |a| a.name.clone())
    };
    match of {
        LedgerOf::Partnerships => enabled
            .iter()
            .map(|&i| {
                let p = &spec.partnerships[i];
                PlayerDef {
                    id: p.id.clone(),
                    name: format!("{} – {}", name_of(&p.from), name_of(&p.to)),
                    from: p.from.clone(),
                    to: p.to.clone(),
                    partnerships: vec![i],
                    agency: None,
                }
            })
            .collect(),
        LedgerOf::Agencies => spec
            .agencies
            .iter()
            .enumerate()
            .filter_map(|(ai, a)| {
                let ps: Vec<usize> = enabled
                    .iter()
                    .copied()
                    .filter(|&i| {
                        let p = &spec.partnerships[i];
                        p.from == a.id || p.to == a.id
                    })
                    .collect();
                (!ps.is_empty()).then(|| PlayerDef {
                    id: a.id.clone(),
                    name: a.name.clone(),
                    from: a.id.clone(),
                    to: String::new(),
                    partnerships: ps,
                    agency: Some(ai),
                })
            })
            .collect(),
    }
}

/// The main threat's index: the scenario's `ledger.main_threat`, else the first threat that
/// can be real.
pub(crate) fn main_threat(spec: &ScenarioSpec) -> Result<usize> {
    if let Some(id) = &spec.ledger.main_threat {
        return spec
            .threats
            .iter()
            .position(|t| &t.id == id)
            .ok_or_else(|| Error::usage("ledger.main_threat", format!("no threat \"{id}\"")));
    }
    spec.threats
        .iter()
        .position(|t| t.truth_probability > 0.0)
        .ok_or_else(|| {
            Error::usage(
                "ledger",
                "the scenario has no threat that can be real: set `ledger: (main_threat: ..)`",
            )
        })
}

/// A recommendation of the source study, as the ledger names it (snake case, as in
/// `ledger.csv`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Part {
    /// Vetting of both partners.
    PartnerVetting,
    /// Formal agreement and the best partner's handling compliance.
    SharingAgreements,
    /// A balanced exchange: both sides pass what they analyse.
    SharedBenefits,
    /// The partners train and exercise together on handling rules.
    JointTraining,
    /// Trust at the expected level (value measured and fed back).
    MetricsAndEvaluation,
    /// Channels and clearances that carry the main threat's marking.
    TechnologyInvestment,
}

impl Part {
    /// Every part, in the order the study lists the recommendations.
    pub(crate) const ALL: [Part; 6] = [
        Part::PartnerVetting,
        Part::SharingAgreements,
        Part::SharedBenefits,
        Part::JointTraining,
        Part::MetricsAndEvaluation,
        Part::TechnologyInvestment,
    ];

    /// Id in `ledger.csv` and `ledger.json`.
    pub(crate) fn id(self) -> &'static str {
        match self {
            Part::PartnerVetting => "partner_vetting",
            Part::SharingAgreements => "sharing_agreements",
            Part::SharedBenefits => "shared_benefits",
            Part::JointTraining => "joint_training",
            Part::MetricsAndEvaluation => "metrics_and_evaluation",
            Part::TechnologyInvestment => "technology_investment",
        }
    }
}

/// What a part of the alignment changes, in a planner's words.
pub(crate) fn part_description(part: Part, a: &AlignedSpec) -> String {
    match part {
        Part::PartnerVetting => format!("both partners vetted {:?}", a.vetting),
        Part::SharingAgreements => format!(
            "{:?} and handling compliance {}",
            a.agreement,
            a.handling_compliance
                .map_or_else(|| "as the best partner's".to_string(), |c| c.to_string())
        ),
        Part::SharedBenefits => format!(
            "balanced exchange: share probability ≥ {}, expected equity 1",
            a.share_probability
        ),
        Part::JointTraining => "joint training on handling rules".into(),
        Part::MetricsAndEvaluation => format!("trust at the expected level ({})", a.trust),
        Part::TechnologyInvestment => {
            "channels, clearances and TLP that carry the main threat's marking".into()
        }
    }
}

/// The best effective handling compliance of any agency in the scenario.
fn best_compliance(spec: &ScenarioSpec) -> f64 {
    spec.agencies
        .iter()
        .map(|a| {
            a.handling_compliance
                .unwrap_or_else(|| default_compliance(a.kind))
        })
        .fold(0.0, f64::max)
}

/// Apply one part of the alignment to partnership `pi` of `spec`. Returns a planner's
/// description of what it changed, or None when the partnership already meets that part.
pub(crate) fn align_part(
    spec: &mut ScenarioSpec,
    pi: usize,
    part: Part,
    threat: usize,
) -> Option<String> {
    let aligned = spec.ledger.aligned.clone();
    let (from, to) = {
        let p = &spec.partnerships[pi];
        (p.from.clone(), p.to.clone())
    };
    let ends: Vec<usize> = spec
        .agencies
        .iter()
        .enumerate()
        .filter(|(_, a)| a.id == from || a.id == to)
        .map(|(i, _)| i)
        .collect();
    let mut what: Vec<String> = Vec::new();
    match part {
        Part::PartnerVetting => {
            for &a in &ends {
                let ag = &mut spec.agencies[a];
                if ag.vetting < aligned.vetting {
                    ag.vetting = aligned.vetting;
                    what.push(format!("{} vetted {:?}", ag.id, aligned.vetting));
                }
            }
        }
        Part::SharingAgreements => {
            let p = &mut spec.partnerships[pi];
            if agreement_violation_mult(p.agreement) > agreement_violation_mult(aligned.agreement)
                || p.agreement == Agreement::None
            {
                what.push(format!(
                    "agreement {:?} → {:?}",
                    p.agreement, aligned.agreement
                ));
                p.agreement = aligned.agreement;
            }
            let best = aligned
                .handling_compliance
                .unwrap_or_else(|| best_compliance(spec));
            for &a in &ends {
                let ag = &mut spec.agencies[a];
                let now = ag
                    .handling_compliance
                    .unwrap_or_else(|| default_compliance(ag.kind));
                if now < best {
                    ag.handling_compliance = Some(best);
                    what.push(format!("{} handling compliance {now} → {best}", ag.id));
                }
            }
        }
        Part::SharedBenefits => {
            let p = &mut spec.partnerships[pi];
            if p.share_probability < aligned.share_probability {
                what.push(format!(
                    "share probability {} → {}",
                    p.share_probability, aligned.share_probability
                ));
                p.share_probability = aligned.share_probability;
            }
            if p.expected_equity > 1.0 {
                what.push(format!("expected equity {} → 1", p.expected_equity));
                p.expected_equity = 1.0;
            }
            if let Some(e) = p.to_expected_equity.filter(|&e| e > 1.0) {
                what.push(format!("the other end's expected equity {e} → 1"));
                p.to_expected_equity = Some(1.0);
            }
        }
        Part::JointTraining => {
            let p = &mut spec.partnerships[pi];
            if !p.joint_training {
                p.joint_training = true;
                what.push("joint training".into());
            }
        }
        Part::MetricsAndEvaluation => {
            let p = &mut spec.partnerships[pi];
            if p.trust < aligned.trust {
                what.push(format!("trust {} → {}", p.trust, aligned.trust));
                p.trust = aligned.trust;
            }
        }
        Part::TechnologyInvestment => {
            let marking = spec.threats[threat].marking;
            let class = marking.class;
            let carries = |spec: &ScenarioSpec, c: &str| {
                spec.channels
                    .iter()
                    .any(|ch| ch.id == c && ch.max_class >= class)
            };
            let has = spec.partnerships[pi]
                .channels
                .iter()
                .any(|c| carries(spec, c));
            if !has {
                // The fastest channel of the scenario that carries the class (by median
                // latency), else a new one at that class as fast as the fastest channel.
                let best = spec
                    .channels
                    .iter()
                    .filter(|ch| ch.max_class >= class)
                    .min_by(|a, b| typical_hours(&a.latency).total_cmp(&typical_hours(&b.latency)))
                    .map(|ch| ch.id.clone());
                let id = match best {
                    Some(id) => id,
                    None => {
                        let fastest = spec
                            .channels
                            .iter()
                            .min_by(|a, b| {
                                typical_hours(&a.latency).total_cmp(&typical_hours(&b.latency))
                            })
                            .cloned();
                        let mut ch = fastest?;
                        ch.id =
                            unique_id(spec.channels.iter().map(|c| c.id.as_str()), "ledger-secure");
                        ch.name = format!("Channel cleared to {class:?} (ledger)");
                        ch.max_class = class;
                        ch.reliability = None;
                        let id = ch.id.clone();
                        spec.channels.push(ch);
                        id
                    }
                };
                what.push(format!("channel {id} added"));
                spec.partnerships[pi].channels.insert(0, id);
            }
            if class >= Classification::Confidential {
                for &a in &ends {
                    let ag = &mut spec.agencies[a];
                    if ag.clearance < class {
                        what.push(format!("{} cleared to {class:?}", ag.id));
                        ag.clearance = class;
                    }
                }
            }
            let p = &mut spec.partnerships[pi];
            if p.max_tlp < marking.tlp {
                what.push(format!("passes TLP {:?}", marking.tlp));
                p.max_tlp = marking.tlp;
            }
        }
    }
    (!what.is_empty()).then(|| what.join("; "))
}

/// A typical value of a time distribution [h] (its mean, or median for a log-normal), for
/// ranking channels by speed.
fn typical_hours(d: &Dist<Duration>) -> f64 {
    match d {
        Dist::Fixed(v) => v.hours(),
        Dist::Uniform { min, max } => (min.hours() + max.hours()) / 2.0,
        Dist::Triangular { min, mode, max } => (min.hours() + mode.hours() + max.hours()) / 3.0,
        Dist::Exponential { mean } => mean.hours(),
        Dist::LogNormal { median, .. } => median.hours(),
        Dist::Weibull { scale, .. } => scale.hours(),
    }
}

/// An id not among `taken`: `base`, else `base-2`, `base-3`, ...
fn unique_id<'a>(taken: impl Iterator<Item = &'a str> + Clone, base: &str) -> String {
    let free = |s: &str| !taken.clone().any(|t| t == s);
    if free(base) {
        return base.to_string();
    }
    (2..)
        .map(|k| format!("{base}-{k}"))
        .find(|s| free(s))
        .unwrap_or_else(|| base.to_string())
}

/// What a measure (or one part of the alignment) does to a player.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Change {
    /// A paired measure.
    Measure(Measure),
    /// One part of the alignment alone.
    Part(Part),
}

/// The scenario with `change` applied to `player`, validated again; None when the change
/// changes nothing (an alignment part the player already meets).
pub(crate) fn changed(
    base: &ValidScenario,
    player: &PlayerDef,
    change: Change,
    threat: usize,
) -> Result<Option<ValidScenario>> {
    let mut spec = base.spec().clone();
    let mut what: Vec<String> = Vec::new();
    match change {
        Change::Measure(Measure::Knockout) => {
            for &pi in &player.partnerships {
                spec.partnerships[pi].enabled = false;
            }
            what.push("knocked out".into());
        }
        Change::Measure(Measure::Failure) => {
            let threat_id = spec.threats[threat].id.clone();
            let last = spec.injects.iter().map(|x| x.number).max().unwrap_or(0);
            for (number, &pi) in (last + 1..).zip(&player.partnerships) {
                let p = spec.partnerships[pi].id.clone();
                let id = unique_id(
                    spec.injects.iter().map(|x| x.id.as_str()),
                    &format!("ledger-failure-{p}"),
                );
                let effect = match player.agency {
                    Some(a) => EffectSpec::AgencyOutage(spec.agencies[a].id.clone()),
                    None => EffectSpec::Withdrawal(p.clone()),
                };
                spec.injects.push(InjectSpec {
                    id,
                    number,
                    trigger: TriggerSpec::FirstOffer {
                        partnership: p.clone(),
                        threat: threat_id.clone(),
                    },
                    synopsis: format!(
                        "{} fails as the first item on {threat_id} would cross it",
                        player.id
                    ),
                    effect,
                    probability: 1.0,
                    duration: None,
                    from: "Ledger".into(),
                    to: Vec::new(),
                    delivery: String::new(),
                    expected_action: String::new(),
                    objectives: Vec::new(),
                    capability: None,
                    enabled: true,
                });
            }
            what.push(format!("fails on the first item of {threat_id}"));
        }
        Change::Measure(Measure::Aligned) => {
            for &pi in &player.partnerships {
                for part in Part::ALL {
                    if let Some(w) = align_part(&mut spec, pi, part, threat) {
                        what.push(w);
                    }
                }
            }
            if what.is_empty() {
                return Ok(None);
            }
        }
        Change::Part(part) => {
            for &pi in &player.partnerships {
                if let Some(w) = align_part(&mut spec, pi, part, threat) {
                    what.push(w);
                }
            }
            if what.is_empty() {
                return Ok(None);
            }
        }
    }
    let label = format!("ledger {}: {}", player.id, what.join("; "));
    base.with_spec(spec, label).map(Some)
}

/// The scenario with only the players in `present` (a mask over `players`) enabled among
/// `players`; every other partnership stays as written. Used for Shapley coalitions.
pub(crate) fn coalition(
    base: &ValidScenario,
    players: &[PlayerDef],
    present: &[bool],
) -> Result<ValidScenario> {
    let mut spec = base.spec().clone();
    let mut out = 0;
    for (p, &on) in players.iter().zip(present) {
        if !on {
            out += 1;
            for &pi in &p.partnerships {
                spec.partnerships[pi].enabled = false;
            }
        }
    }
    base.with_spec(spec, format!("ledger coalition without {out} players"))
}
