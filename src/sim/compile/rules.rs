//! The handling rules an offer is judged by: which rules an offer of a marking over a link
//! breaks, how likely a sender is to pass such an offer anyway, and which violations are legal
//! findings. They depend on static data only, so the sharing loop reads them from tables
//! built once per scenario (see [`super::streams::send_tables`]).

use super::agencies::AgencyStatic;
use super::objectives::ViolationKind;
use super::partnerships::LinkStatic;
use super::threats::Marking;
use crate::scenario::schema::{AgencyKind, Agreement, Classification, Tlp};

/// Whether re-sharing an item marked `th` from `sender` to `to` breaches its TLP: TLP:RED
/// moves one hop only; TLP:AMBER+STRICT stays inside the recipient's organisation.
pub(crate) fn reshare_breach(th: &Marking, sender: &AgencyStatic, to: &AgencyStatic) -> bool {
    th.tlp == Tlp::Red || (th.tlp == Tlp::AmberStrict && sender.org != to.org)
}

/// Kinds whose recipients may hold criminal intelligence under 28 CFR Part 23 without a
/// `Cfr28Part23` or `TaskForce` agreement: law-enforcement and law-enforcement-intelligence
/// bodies.
fn is_law_enforcement(k: AgencyKind) -> bool {
    matches!(
        k,
        AgencyKind::FederalLawEnforcement
            | AgencyKind::Jttf
            | AgencyKind::RissCenter
            | AgencyKind::FusionCenter
            | AgencyKind::SlttLawEnforcement
    )
}

/// The rules an offer of an item of `th` from `sender` to `to` over `ls` would break, as a
/// mask of [`ViolationKind::bit`]s (0: it breaks none). `resharing`: the sender is not the
/// item's originating observer.
pub(crate) fn broken_rules(
    th: &Marking,
    sender: &AgencyStatic,
    to: &AgencyStatic,
    ls: &LinkStatic,
    resharing: bool,
) -> u8 {
    let mut m = 0;
    // TLP:RED moves one hop only; TLP:AMBER+STRICT stays inside the recipient's organisation.
    let reshare_breach = resharing && reshare_breach(th, sender, to);
    if th.tlp > ls.max_tlp || reshare_breach {
        m |= ViolationKind::Tlp.bit();
    }
    if ls.agreement == Agreement::None && th.tlp > Tlp::Green {
        m |= ViolationKind::Agreement.bit();
    }
    if to.kind == AgencyKind::Public && th.tlp > Tlp::Clear {
        m |= ViolationKind::Public.bit();
    }
    if th.criminal_intel
        && !is_law_enforcement(to.kind)
        && !matches!(ls.agreement, Agreement::Cfr28Part23 | Agreement::TaskForce)
    {
        m |= ViolationKind::CriminalIntel.bit();
    }
    if th.pii
        && !matches!(
            ls.agreement,
            Agreement::DataSharingAgreement
                | Agreement::Nda
                | Agreement::Cfr28Part23
                | Agreement::TaskForce
                | Agreement::Contract
        )
    {
        m |= ViolationKind::Pii.bit();
    }
    m
}

/// Probability that `sender` passes an offer breaking some rule over `ls` anyway, [0, 1]:
/// (1 − compliance) × vetting multiplier × agreement and training multiplier, capped at 1.
pub(crate) fn violation_probability(sender: &AgencyStatic, ls: &LinkStatic) -> f64 {
    ((1.0 - sender.compliance) * sender.vetting_violation_mult * ls.violation_mult).clamp(0.0, 1.0)
}

/// Whether a violation breaking `broken` is a legal finding: it breaks an agreement, 28 CFR
/// Part 23 or privacy law, or puts a controlled (CUI or classified) item before the public.
/// A TLP breach alone is not: TLP is not a control marking.
pub(crate) fn is_legal_finding(broken: u8, class: Classification) -> bool {
    let legal = ViolationKind::Agreement.bit()
        | ViolationKind::CriminalIntel.bit()
        | ViolationKind::Pii.bit();
    broken & legal != 0
        || (broken & ViolationKind::Public.bit() != 0 && class >= Classification::Cui)
}
