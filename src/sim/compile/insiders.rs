//! Insiders: activation, precursors, detection and hostile acts.

use super::agencies::AgencyStatic;
use crate::ids::{AgencyIx, ThreatIx};
use crate::scenario::schema::{Access, InsiderActionSpec, InsiderSpec};
use crate::scenario::validate::InsiderRefs;

/// What an insider does.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum InsiderAct {
    /// Posts held items to the press or public.
    Leak,
    /// Passes held items to a foreign service.
    Exfiltration,
    /// Stalls the agency's work for this long per act [h].
    Sabotage(f64),
    /// Introduces a false item about the threat.
    Disinformation(ThreatIx),
    /// Tips off the adversary behind the threat.
    TipOff(ThreatIx),
}

/// Static insider data.
#[derive(Debug, Clone)]
pub(crate) struct InsiderStatic {
    /// Scenario id.
    pub(crate) id: String,
    /// The agency they work in.
    pub(crate) agency: AgencyIx,
    /// Exposure of one act relative to a clerk's, by access level (×1 clerk … ×100 system
    /// administrator).
    pub(crate) access_mult: f64,
    /// What they do.
    pub(crate) act: InsiderAct,
    /// Probability they are active in a run, after vetting, [0, 1].
    pub(crate) activation_p: f64,
    /// When they become active [h].
    pub(crate) start: f64,
    /// Precursors per hour [1/h], ≥ 0.
    pub(crate) precursor_rate: f64,
    /// Probability a precursor is detected (report × monitoring), [0, 1].
    pub(crate) detect_p: f64,
    /// Hostile acts per hour while active and undetected [1/h], ≥ 0.
    pub(crate) action_rate: f64,
    /// The `Insider`-kind threat tied to them, if any.
    pub(crate) threat: Option<ThreatIx>,
}

/// Exposure of one act relative to a clerk's.
fn access_mult(a: Access) -> f64 {
    match a {
        Access::Clerk => 1.0,
        Access::Analyst => 5.0,
        Access::Privileged => 20.0,
        Access::Sysadmin => 100.0,
    }
}

/// The insiders, in scenario order; one whose agency or target does not resolve is left out.
pub(super) fn insiders(
    specs: &[InsiderSpec],
    refs: &[InsiderRefs],
    agencies: &[AgencyStatic],
) -> Vec<InsiderStatic> {
    specs
        .iter()
        .zip(refs)
        .filter_map(|(i, r)| {
            let agency = r.agency?;
            let act = match &i.action {
                InsiderActionSpec::Leak => InsiderAct::Leak,
                InsiderActionSpec::Exfiltration => InsiderAct::Exfiltration,
                InsiderActionSpec::Sabotage { outage } => InsiderAct::Sabotage(outage.hours()),
                InsiderActionSpec::Disinformation(_) => InsiderAct::Disinformation(r.threat?),
                InsiderActionSpec::TipOff(_) => InsiderAct::TipOff(r.threat?),
            };
            let ag = &agencies[agency.ix()];
            Some(InsiderStatic {
                id: i.id.clone(),
                agency,
                access_mult: access_mult(i.access),
                act,
                activation_p: i.activation_probability * ag.vetting_mult,
                start: i.start.hours(),
                precursor_rate: i.precursors_per_month.per_hour(),
                detect_p: i.report_probability * ag.monitoring,
                action_rate: i.actions_per_month.per_hour(),
                threat: r.tied,
            })
        })
        .collect()
}
