//! Engine unit tests: a World built the way the runner builds it, a precise state set up on
//! it, one system run once, and an exact assertion on what changed.
//!
//! Every test compiles a small scenario written inline, so state is set up through the same
//! entry points the engine uses (`load_str`, `compile`, each concept's `install` and
//! `reset`). The helpers that know the engine's internal layout all live in this file, so a
//! rename in the engine is fixed here once.

mod benefits;
mod evidence;
mod gates;
mod hazard;
mod injects;
mod queue;
mod surge;
mod trust;

use super::clock::{Clock, Static};
use super::compile::{BlockReason, Compiled, compile};
use super::ids::{AgencyIx, LinkIx, ThreatIx};
use super::partnership::apply_benefits;
use super::rng::{RunSeed, Stream};
use super::schedule;
use super::state::{
    Agencies, Analysed, Channels, Delivery, InFlight, Item, Items, LinkState, Links, ModsDue,
    Tally, ThreatStates, TrustSignal, create_item,
};
use crate::scenario::{ValidScenario, load_str};
use bevy_ecs::message::Messages;
use bevy_ecs::prelude::*;
use bevy_ecs::system::RunSystemOnce;
use std::path::Path;
use std::sync::Arc;

/// Default trust-model constants (docs/model.md §7), written out independently of the code.
pub(super) const GAIN: f64 = 0.05;
pub(super) const BIAS: f64 = 3.0;
pub(super) const KAPPA: f64 = 1.0;
pub(super) const DAMAGE: f64 = 0.1;

/// Tolerance for comparing floating-point results that follow one closed form.
pub(super) const EPS: f64 = 1e-12;

/// A scenario from the sections in `body` (agencies, channels, partnerships, threats,
/// optionally injects and model), with a 1 h tick, a 48 h exercise and one objective.
pub(super) fn scenario(body: &str) -> ValidScenario {
    let ron = format!(
        r#"(
  exercise: (name: "Unit", duration: hours(48), tick: hours(1)),
  {body}
  objectives: [(id: "o", description: "Nothing blocked", capability: IntelligenceAndInformationSharing,
                metric: BlockedButNeeded, target: AtMost(0.0))],
)"#
    );
    match load_str(Path::new("unit.ron"), &ron) {
        Ok(s) => s,
        Err(e) => panic!("test scenario invalid:\n{e}\n{ron}"),
    }
}

/// A threat section line: threat `t` of kind Cyber with the given marking (e.g.
/// `"Unclassified, tlp: Green"`) and extra fields; it signals only after 1,000 days, so the
/// collection phase never adds items of its own.
pub(super) fn threat_t(class_tlp: &str, extra: &str) -> String {
    format!(
        r#"threats: [(id: "t", name: "Tip", kind: Cyber, signal_interval: Fixed(days(1000)),
             marking: (class: {class_tlp}), response: (action: Warn), {extra})],"#
    )
}

/// A run's World, built and reset by `schedule::Runner`.
pub(super) struct Sim {
    pub(crate) world: World,
}

impl Sim {
    /// Compile the scenario with sections `body` and reset it to the start of run 0 of seed 1.
    pub(crate) fn new(body: &str) -> Sim {
        Sim::seeded(
            body,
            RunSeed {
                master: 1,
                run_index: 0,
            },
        )
    }

    /// Like [`Sim::new`] with a chosen seed.
    pub(crate) fn seeded(body: &str, seed: RunSeed) -> Sim {
        let st = Arc::new(compile(&scenario(body)));
        // The engine's own World, installed and reset by the runner; tests then run one
        // system at a time on it.
        Sim {
            world: schedule::Runner::new(&st, false).into_world_at(seed),
        }
    }

    /// The compiled model.
    pub(crate) fn st(&self) -> Arc<Compiled> {
        self.world.resource::<Static>().0.clone()
    }

    /// Move the clock to tick `k`.
    pub(crate) fn at(&mut self, k: u64) -> &mut Sim {
        let dt = self.st().dt;
        *self.world.resource_mut::<Clock>() = Clock::at(k, dt);
        self
    }

    /// Run one system once on the world.
    pub(crate) fn run<M>(&mut self, system: impl IntoSystem<(), (), M>) -> &mut Sim {
        if let Err(e) = self.world.run_system_once(system) {
            panic!("system failed: {e}");
        }
        self
    }

    /// Recompute this tick's availability, lost functions and benefits (the Benefits phase),
    /// which the sharing and analysis systems read.
    pub(crate) fn refresh(&mut self) -> &mut Sim {
        self.run(apply_benefits)
    }

    /// Index of agency `id`.
    pub(crate) fn agency(&self, id: &str) -> AgencyIx {
        let st = self.st();
        AgencyIx::new(
            st.agencies
                .iter()
                .position(|a| a.id == id)
                .unwrap_or_else(|| panic!("no agency {id}")),
        )
    }

    /// Index of channel `id`.
    pub(crate) fn channel(&self, id: &str) -> usize {
        self.st()
            .channels
            .iter()
            .position(|c| c.id == id)
            .unwrap_or_else(|| panic!("no channel {id}"))
    }

    /// Index of threat `id`.
    pub(crate) fn threat(&self, id: &str) -> ThreatIx {
        ThreatIx::new(
            self.st()
                .threats
                .iter()
                .position(|t| t.id == id)
                .unwrap_or_else(|| panic!("no threat {id}")),
        )
    }

    /// Index of the directed link `from → to`.
    pub(crate) fn link(&self, from: &str, to: &str) -> usize {
        let (f, t) = (self.agency(from), self.agency(to));
        self.st()
            .links
            .iter()
            .position(|l| l.from == f && l.to == t)
            .unwrap_or_else(|| panic!("no link {from} → {to}"))
    }

    /// The run state of link `from → to`.
    pub(crate) fn link_state(&self, from: &str, to: &str) -> &LinkState {
        &self.world.resource::<Links>().0[self.link(from, to)]
    }

    /// The count of closed links the sharing loop relies on, checked against the link states.
    pub(crate) fn closed_links(&self) -> u32 {
        let links = self.world.resource::<Links>();
        let actual = links.0.iter().filter(|s| s.is_closed()).count() as u32;
        assert!(!links.1.recount, "a test wrote a link state directly");
        assert_eq!(links.1.closed, actual, "the closed-link count drifted");
        actual
    }

    /// The sender's trust on link `from → to`.
    pub(crate) fn trust(&self, from: &str, to: &str) -> f64 {
        self.world.resource::<Links>().1.trust[self.link(from, to)]
    }

    /// Set the sender's trust on link `from → to`.
    pub(crate) fn set_trust(&mut self, from: &str, to: &str, x: f64) -> &mut Sim {
        let l = self.link(from, to);
        let st = self.st();
        self.world.resource_mut::<ModsDue>().mark();
        let mut links = self.world.resource_mut::<Links>();
        links.1.trust[l] = x;
        links.1.trust_moved(&[l], &st.send.slot_of);
        self
    }

    /// The run state of link `from → to`, to change.
    pub(crate) fn link_state_mut(&mut self, from: &str, to: &str) -> Mut<'_, LinkState> {
        let l = self.link(from, to);
        self.world.resource_mut::<ModsDue>().mark();
        let mut links = self.world.resource_mut::<Links>();
        links.1.recount = true;
        links.map_unchanged(move |x| &mut x.0[l])
    }

    /// A copy of link `from → to`'s random stream as it stands.
    pub(crate) fn link_stream(&self, from: &str, to: &str) -> Stream {
        let l = self.link(from, to);
        let slot = self.st().send.slot_of[l] as usize;
        self.world.resource::<Links>().1.rng[slot].clone()
    }

    /// Add an item about `threat` originated by `origin` at time `t` [h], and nothing else (no
    /// delivery, no milestone): the state an item is in once its holder has analysed it.
    pub(crate) fn item(&mut self, threat: &str, origin: &str, t: f64) -> u32 {
        let (th, o) = (self.threat(threat), self.agency(origin));
        let mut items = self.world.resource_mut::<Items>();
        let ix = items.0.len() as u32;
        items.0.push(Item {
            threat: th,
            origin: o,
            created: t,
            truth: true,
            retracted: false,
            signal: ix,
            evidence: 0.0,
            tearline: false,
            tearline_item: crate::sim::state::NO_ITEM,
        });
        (items.0.len() - 1) as u32
    }

    /// Create an item the way an observation does (`state::create_item`): it is on its way into
    /// `origin`'s own queue, arriving at `t` [h].
    pub(crate) fn observe(&mut self, threat: &str, origin: &str, t: f64) -> u32 {
        let (th, o) = (self.threat(threat), self.agency(origin));
        self.world.resource_scope(|w, mut items: Mut<Items>| {
            w.resource_scope(|w, mut flight: Mut<InFlight>| {
                let mut threats = w.resource_mut::<ThreatStates>();
                create_item(&mut items, &mut flight, &mut threats, th, true, o, t)
            })
        })
    }

    /// Put `item` in flight from `from` to `to` over their link's first channel, arriving at
    /// `t` [h] (what a passed offer does).
    pub(crate) fn send(&mut self, item: u32, from: &str, to: &str, t: f64) -> &mut Sim {
        let l = self.link(from, to);
        let ch = self.st().links[l].channels[0];
        let to = self.agency(to);
        self.world
            .resource_mut::<InFlight>()
            .push(t, item, to, LinkIx::new(l), ch);
        self
    }

    /// Write a trust signal of size `x` on link `from → to`.
    pub(crate) fn signal(&mut self, from: &str, to: &str, x: f64) -> &mut Sim {
        let link = LinkIx::new(self.link(from, to));
        self.world.write_message(TrustSignal { link, x });
        self
    }

    /// Announce that `agency` finished analysing `item` at `t` [h] (the `Analysed` message the
    /// Analysis phase writes and the Sharing phase reads).
    pub(crate) fn analysed(&mut self, agency: &str, item: u32, t: f64) -> &mut Sim {
        let agency = self.agency(agency);
        self.world.write_message(Analysed { t, agency, item });
        self
    }

    /// Empty the buffers of message type `M` (as the end of a tick does), so that a system
    /// run next reads only what is written after.
    pub(crate) fn clear<M: Message>(&mut self) -> &mut Sim {
        self.world.resource_mut::<Messages<M>>().clear();
        self
    }

    /// Every message of type `M` in the buffers, oldest first.
    pub(crate) fn messages<M: Message + Clone>(&mut self) -> Vec<M> {
        self.world
            .run_system_once(|mut r: MessageReader<M>| r.read().cloned().collect::<Vec<M>>())
            .unwrap_or_else(|e| panic!("reading messages failed: {e}"))
    }

    /// Trust signals written so far: (link from, link to, x).
    pub(crate) fn trust_signals(&mut self) -> Vec<(String, String, f64)> {
        let st = self.st();
        self.messages::<TrustSignal>()
            .into_iter()
            .map(|s| {
                let l = &st.links[s.link.ix()];
                (
                    st.agencies[l.from.ix()].id.clone(),
                    st.agencies[l.to.ix()].id.clone(),
                    s.x,
                )
            })
            .collect()
    }

    /// Take the analysis completions written so far: (time, agency id, item), and empty the
    /// buffer (as the end of a tick does).
    pub(crate) fn completions(&mut self) -> Vec<(f64, String, u32)> {
        let st = self.st();
        let out = self
            .messages::<Analysed>()
            .into_iter()
            .map(|m| (m.t, st.agencies[m.agency.ix()].id.clone(), m.item))
            .collect();
        self.clear::<Analysed>();
        out
    }

    /// The running counts.
    pub(crate) fn tally(&self) -> &Tally {
        self.world.resource::<Tally>()
    }

    /// Blocked needed offers for each reason, in `BlockReason::ALL` order.
    pub(crate) fn blocked(&self) -> [u64; 5] {
        let t = self.tally();
        BlockReason::ALL.map(|r| t.blocked[r.index()])
    }

    /// Blocked counts with `n` offers under `reason` and none under any other.
    pub(crate) fn only(reason: BlockReason, n: u64) -> [u64; 5] {
        BlockReason::ALL.map(|r| if r == reason { n } else { 0 })
    }

    /// Deliveries in flight.
    pub(crate) fn in_flight(&self) -> usize {
        self.world.resource::<InFlight>().len()
    }

    /// Take the deliveries due in tick `k` (as the Delivery phase does), as (arrival time,
    /// recipient id, item, link `Some((from, to))`, channel id).
    #[allow(clippy::type_complexity)]
    pub(crate) fn take_due(
        &mut self,
        k: u64,
    ) -> Vec<(f64, String, u32, Option<(String, String)>, Option<String>)> {
        let st = self.st();
        let due: Vec<Delivery> = self.world.resource_mut::<InFlight>().take_due(k);
        due.iter()
            .map(|d| {
                (
                    d.t,
                    st.agencies[d.to.ix()].id.clone(),
                    d.item,
                    d.link.get().map(|l| {
                        let l = &st.links[l.ix()];
                        (
                            st.agencies[l.from.ix()].id.clone(),
                            st.agencies[l.to.ix()].id.clone(),
                        )
                    }),
                    d.channel.get().map(|c| st.channels[c.ix()].id.clone()),
                )
            })
            .collect()
    }

    /// The agencies' run state.
    pub(crate) fn agencies(&self) -> &Agencies {
        self.world.resource::<Agencies>()
    }

    /// The agencies' run state, to change (the Benefits phase recomputes the modifiers next,
    /// as after any change the engine makes).
    pub(crate) fn agencies_mut(&mut self) -> Mut<'_, Agencies> {
        self.world.resource_mut::<ModsDue>().mark();
        self.world.resource_mut::<Agencies>()
    }

    /// The channels' run state.
    pub(crate) fn channels(&self) -> &Channels {
        self.world.resource::<Channels>()
    }

    /// Whether agency `id` holds item `item`.
    pub(crate) fn holds(&self, id: &str, item: u32) -> bool {
        self.agencies().held.holds(self.agency(id), item)
    }
}

/// One trust experience of size `x` on (T, R), per docs/model.md §7 with the default constants.
pub(super) fn doc_trust(t: f64, r: f64, x: f64) -> (f64, f64) {
    let s = (KAPPA * x).tanh();
    if s > 0.0 {
        let ceiling = 1.0 - r;
        ((t + GAIN * s * (ceiling - t).max(0.0)).clamp(0.0, 1.0), r)
    } else {
        (
            (t + GAIN * BIAS * s * t).clamp(0.0, 1.0),
            (r + DAMAGE * s.abs() * (1.0 - r)).clamp(0.0, 1.0),
        )
    }
}

/// Assert two floats agree to [`EPS`].
#[track_caller]
pub(super) fn assert_close(got: f64, want: f64) {
    assert!(
        (got - want).abs() <= EPS,
        "got {got}, want {want} (diff {})",
        got - want
    );
}

/// The phases fix the order of every pair of systems that touch the same data (the systems
/// installed do not depend on the scenario, so the starter stands for all).
#[test]
fn the_schedule_has_no_ambiguities() {
    let scn = crate::scenario::load_str(
        std::path::Path::new("starter.ron"),
        crate::scenario::STARTER,
    )
    .expect("the starter scenario is valid");
    let compiled = std::sync::Arc::new(super::compile::compile(&scn));
    let mut runner = super::schedule::Runner::new(&compiled, true);
    assert!(runner.initialize().is_ok(), "schedule has ambiguities");
}
