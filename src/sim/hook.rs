//! The console's hook into the engine: what a facilitator or a team has decided for a run in
//! progress (see `step.rs`). The MSEL and response systems consult it; left at its
//! default (nothing held, re-timed or controlled, nothing queued) it changes nothing, so a run
//! without a console draws exactly as before.

use super::ids::{AgencyIx, LinkIx, PartnershipIx, ThreatIx};
use crate::scenario::schema::Tlp;
use bevy_ecs::prelude::*;

/// The facilitator's control over one inject.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub(crate) enum InjectCtl {
    /// As scripted: its trigger and probability decide.
    #[default]
    Auto,
    /// Held: not fired while held (its trigger is judged again once resumed).
    Hold,
    /// Skipped: never fires in this run.
    Skip,
    /// Delivered at this time [h] (released now, or re-timed): fires for certain, without its
    /// probability draw.
    At(f64),
}

/// A team action applied at the start of the next tick.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum TeamEffect {
    /// Withdraw from a partnership (`on`), or take back the team's own withdrawal.
    CutOff {
        /// The partnership.
        partnership: PartnershipIx,
        /// Cut off (true) or restore (false).
        on: bool,
        /// Who, for the timeline.
        who: String,
    },
    /// Issue a public warning on a threat.
    Warn {
        /// The threat.
        threat: ThreatIx,
        /// Who, for the timeline.
        who: String,
    },
}

/// A share point decided: what the sharing phase of the next tick does with one item a bound
/// agency has analysed.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ShareChoice {
    /// The sending agency.
    pub(crate) agency: AgencyIx,
    /// The item.
    pub(crate) item: u32,
    /// The team's pick: the links to offer it on and the TLP it marks the offer with. `None`:
    /// the agency was handed back to the model, which offers it as it offers any analysed item.
    pub(crate) pick: Option<(Vec<LinkIx>, Tlp)>,
}

/// Console decisions in force in the current run.
#[derive(Resource, Debug, Default)]
pub(crate) struct Console {
    /// Control per inject (empty: every inject `Auto`).
    pub(crate) injects: Vec<InjectCtl>,
    /// Agencies whose decisions to act wait for their team (empty: none).
    pub(crate) controlled: Vec<bool>,
    /// Decision points waiting for a team: (agency, threat, since [h]).
    pub(crate) pending: Vec<(AgencyIx, ThreatIx, f64)>,
    /// Decisions to act a team has taken and the engine has not yet applied: (agency, threat).
    pub(crate) act: Vec<(AgencyIx, ThreatIx)>,
    /// Team effects to apply at the start of the next tick, in order.
    pub(crate) queued: Vec<TeamEffect>,
    /// Agencies whose sharing decisions wait for their team (empty: none).
    pub(crate) sharing: Vec<bool>,
    /// Share points waiting for a team: (agency, item, since [h]), in the order raised.
    pub(crate) shares: Vec<(AgencyIx, u32, f64)>,
    /// Share points decided and not yet applied, in order (the next sharing phase takes them).
    pub(crate) share_out: Vec<ShareChoice>,
}

impl Console {
    /// The control of inject `i`.
    pub(crate) fn inject(&self, i: usize) -> InjectCtl {
        self.injects.get(i).copied().unwrap_or_default()
    }

    /// Whether a team decides for agency `a`.
    pub(crate) fn controls(&self, a: AgencyIx) -> bool {
        self.controlled.get(a.ix()).copied().unwrap_or(false)
    }

    /// Whether a team decides where the items `a` analyses go.
    pub(crate) fn shares_for(&self, a: AgencyIx) -> bool {
        self.sharing.get(a.ix()).copied().unwrap_or(false)
    }

    /// Whether a team has decided that `a` acts on threat `t` now.
    pub(crate) fn forces(&self, a: AgencyIx, t: ThreatIx) -> bool {
        !self.act.is_empty() && self.act.contains(&(a, t))
    }

    /// Raise a decision point (once) for `a` on threat `t` at time `at`.
    pub(crate) fn raise(&mut self, a: AgencyIx, t: ThreatIx, at: f64) {
        if !self.pending.iter().any(|p| p.0 == a && p.1 == t) {
            self.pending.push((a, t, at));
        }
    }

    /// Raise a share point (once) for `a` on item `item` analysed at time `at`.
    pub(crate) fn raise_share(&mut self, a: AgencyIx, item: u32, at: f64) {
        if !self.shares.iter().any(|p| p.0 == a && p.1 == item) {
            self.shares.push((a, item, at));
        }
    }

    /// Close the share point of `a` on `item` with `pick` (applied at the next sharing phase).
    pub(crate) fn share(&mut self, a: AgencyIx, item: u32, pick: Option<(Vec<LinkIx>, Tlp)>) {
        self.shares.retain(|p| !(p.0 == a && p.1 == item));
        self.share_out.push(ShareChoice {
            agency: a,
            item,
            pick,
        });
    }

    /// Hand every open share point of `a` back to the model.
    pub(crate) fn release_shares(&mut self, a: AgencyIx) {
        let open: Vec<u32> = self
            .shares
            .iter()
            .filter(|p| p.0 == a)
            .map(|p| p.1)
            .collect();
        for item in open {
            self.share(a, item, None);
        }
    }

    /// The decision of `a` on `t` is taken: forget its point and its forcing.
    pub(crate) fn decided(&mut self, a: AgencyIx, t: ThreatIx) {
        self.pending.retain(|p| !(p.0 == a && p.1 == t));
        self.act.retain(|p| *p != (a, t));
    }
}
