//! The console's hook into the engine: what a facilitator or a team has decided for a run in
//! progress (see `step.rs`). The MSEL and response systems consult it; left at its
//! default (nothing held, re-timed or controlled, nothing queued) it changes nothing, so a run
//! without a console draws exactly as before.

use super::ids::{AgencyIx, PartnershipIx, ThreatIx};
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

    /// The decision of `a` on `t` is taken: forget its point and its forcing.
    pub(crate) fn decided(&mut self, a: AgencyIx, t: ThreatIx) {
        self.pending.retain(|p| !(p.0 == a && p.1 == t));
        self.act.retain(|p| *p != (a, t));
    }
}
