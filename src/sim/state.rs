//! The shared run state: every resource and message that more than one concept reads or
//! writes. Concept modules (agency, flow, partnership, failure, threat, insider, inject,
//! response, metrics) depend on this module and never on each other, so `src/sim` has no
//! import cycle.
//!
//! Agencies are plain indexed vectors ([`Agencies`], addressed by [`AgencyIx`]) rather than
//! entities: the set of agencies is fixed for a run, every access is by index from a link or an
//! item, and contiguous vectors keep the hot delivery loop free of entity lookups.

use super::clock::{Clock, Static};
use super::compile::{Compiled, KINDS};
use super::hook::Console;
use super::ids::{AgencyIx, ChannelIx, InsiderIx, LinkIx, ThreatIx};
use super::order::TimeSort;
use super::outcome::EventKind;
use super::recorder::Recorder;
use super::rng::Stream;
use bevy_ecs::message::{MessageCursor, Messages};
use bevy_ecs::prelude::*;
use bevy_ecs::system::SystemParam;
use std::collections::VecDeque;

/// What a test system needs: the tick window, the compiled model and the timeline.
#[cfg(test)]
#[derive(SystemParam)]
pub(crate) struct Run<'w> {
    /// The current tick's window.
    pub(crate) clock: Res<'w, Clock>,
    /// The compiled scenario.
    pub(crate) st: Res<'w, Static>,
    /// The event timeline (records only when asked).
    pub(crate) rec: ResMut<'w, Recorder>,
}

/// Every resource a tick's phases touch, fetched from the World once per tick: the schedule
/// runs the phases as one system over it (bevy's cost of fetching a resource is paid once per
/// tick, not once per phase), and each concept's system (kept for engine unit tests) is that
/// concept's phase function over the same parameter. [`RunState::tick`] lends it out as plain
/// references.
#[derive(SystemParam)]
pub(crate) struct RunState<'w> {
    /// The current tick's window (set here when one system run covers every tick of a run).
    clock: ResMut<'w, Clock>,
    /// The compiled scenario.
    st: Res<'w, Static>,
    /// The event timeline.
    rec: ResMut<'w, Recorder>,
    /// Items of the run.
    items: ResMut<'w, Items>,
    /// Deliveries in flight.
    flight: ResMut<'w, InFlight>,
    /// Link states.
    links: ResMut<'w, Links>,
    /// Running counts.
    tally: ResMut<'w, Tally>,
    /// Agency states.
    agencies: ResMut<'w, Agencies>,
    /// Threat states.
    threats: ResMut<'w, ThreatStates>,
    /// Channel states.
    channels: ResMut<'w, Channels>,
    /// The MSEL's state.
    inj: ResMut<'w, InjectStates>,
    /// Insider states.
    insiders: ResMut<'w, Insiders>,
    /// Watched values.
    watch: ResMut<'w, Watch>,
    /// When agencies' modifiers must be recomputed.
    due: ResMut<'w, ModsDue>,
    /// The console's hook.
    console: ResMut<'w, Console>,
    /// Items analysed.
    analysed: ResMut<'w, Messages<Analysed>>,
    /// Trust signals.
    signals: ResMut<'w, Messages<TrustSignal>>,
    /// Insider acts forced by injects.
    act_now: ResMut<'w, Messages<ActNow>>,
    /// The message readers' places.
    cursors: ResMut<'w, Cursors>,
}

impl RunState<'_> {
    /// The compiled scenario.
    pub(crate) fn compiled(&self) -> &Compiled {
        &self.st.0
    }

    /// Move to the window of `clock` (a run's ticks in one system run; see
    /// `schedule::whole_run`).
    pub(crate) fn set_clock(&mut self, clock: Clock) {
        *self.clock = clock;
    }

    /// The run state as plain references, for the phase functions of one tick (lend it to each
    /// with [`Tick::re`]).
    pub(crate) fn tick(&mut self) -> Tick<'_> {
        Tick {
            clock: &self.clock,
            st: &self.st.0,
            rec: &mut self.rec,
            items: &mut self.items,
            flight: &mut self.flight,
            links: &mut self.links,
            tally: &mut self.tally,
            agencies: &mut self.agencies,
            threats: &mut self.threats,
            channels: &mut self.channels,
            inj: &mut self.inj,
            insiders: &mut self.insiders,
            watch: &mut self.watch,
            due: &mut self.due,
            console: &mut self.console,
            analysed: &mut self.analysed,
            signals: &mut self.signals,
            act_now: &mut self.act_now,
            cursors: &mut self.cursors,
        }
    }
}

/// The run state lent to one phase function (see [`RunState`]).
pub(crate) struct Tick<'a> {
    /// The current tick's window.
    pub(crate) clock: &'a Clock,
    /// The compiled scenario.
    pub(crate) st: &'a Compiled,
    /// The event timeline.
    pub(crate) rec: &'a mut Recorder,
    /// Items of the run.
    pub(crate) items: &'a mut Items,
    /// Deliveries in flight.
    pub(crate) flight: &'a mut InFlight,
    /// Link states.
    pub(crate) links: &'a mut Links,
    /// Running counts.
    pub(crate) tally: &'a mut Tally,
    /// Agency states.
    pub(crate) agencies: &'a mut Agencies,
    /// Threat states.
    pub(crate) threats: &'a mut ThreatStates,
    /// Channel states.
    pub(crate) channels: &'a mut Channels,
    /// The MSEL's state.
    pub(crate) inj: &'a mut InjectStates,
    /// Insider states.
    pub(crate) insiders: &'a mut Insiders,
    /// Watched values.
    pub(crate) watch: &'a mut Watch,
    /// When agencies' modifiers must be recomputed.
    pub(crate) due: &'a mut ModsDue,
    /// The console's hook.
    pub(crate) console: &'a mut Console,
    /// Items analysed (written by the Analysis phase).
    pub(crate) analysed: &'a mut Messages<Analysed>,
    /// Trust signals (read by the Trust phase).
    pub(crate) signals: &'a mut Messages<TrustSignal>,
    /// Insider acts forced by injects (read by the Insiders phase).
    pub(crate) act_now: &'a mut Messages<ActNow>,
    /// The message readers' places.
    pub(crate) cursors: &'a mut Cursors,
}

impl Tick<'_> {
    /// The same run state lent again, to the next phase function.
    pub(crate) fn re(&mut self) -> Tick<'_> {
        Tick {
            clock: self.clock,
            st: self.st,
            rec: &mut *self.rec,
            items: &mut *self.items,
            flight: &mut *self.flight,
            links: &mut *self.links,
            tally: &mut *self.tally,
            agencies: &mut *self.agencies,
            threats: &mut *self.threats,
            channels: &mut *self.channels,
            inj: &mut *self.inj,
            insiders: &mut *self.insiders,
            watch: &mut *self.watch,
            due: &mut *self.due,
            console: &mut *self.console,
            analysed: &mut *self.analysed,
            signals: &mut *self.signals,
            act_now: &mut *self.act_now,
            cursors: &mut *self.cursors,
        }
    }
}

/// Each message reader's place in its buffers (what a `MessageReader` keeps in its system's
/// local state), kept across runs like the buffers themselves.
#[derive(Resource, Default)]
pub(crate) struct Cursors {
    /// The Sharing phase's reader of [`Analysed`].
    pub(crate) share: MessageCursor<Analysed>,
    /// The Response phase's reader of [`Analysed`].
    pub(crate) respond: MessageCursor<Analysed>,
    /// The Trust phase's reader of [`TrustSignal`].
    pub(crate) trust: MessageCursor<TrustSignal>,
    /// The Insiders phase's reader of [`ActNow`].
    pub(crate) forced: MessageCursor<ActNow>,
}

// ---------------------------------------------------------------------------------------------
// Agencies

/// Up/down state and capacity of an agency.
#[derive(Debug, Clone)]
pub(crate) struct Status {
    /// Up according to its own reliability process.
    pub(crate) stoch_up: bool,
    /// Next reliability transition [h] (∞ without reliability).
    pub(crate) next_transition: f64,
    /// Scripted outages in force.
    pub(crate) scripted_down: u32,
    /// Capacity factor from degraded-capacity injects, (0, 1].
    pub(crate) factor: f64,
    /// Sabotage stalls its work until this time [h].
    pub(crate) stalled_until: f64,
    /// Start of the current down period [h].
    pub(crate) down_since: Option<f64>,
    /// Accumulated down time [h].
    pub(crate) down_time: f64,
    /// Whether it was ever down or degraded.
    pub(crate) ever_down: bool,
    /// Analysts brought by arrivals in force.
    pub(crate) arrived_analysts: u32,
    /// Processing brought by arrivals in force [people/h].
    pub(crate) arrived_processing: f64,
    /// Shelter places brought by arrivals in force [people].
    pub(crate) arrived_shelter: f64,
    /// Restoration crews brought by arrivals in force [workers].
    pub(crate) arrived_crews: f64,
    /// Arrivals in force (an agency that `arrives` is in play while it has one).
    pub(crate) arrivals: u32,
    /// Outages in force of the shared service it provides: its dependants lose their
    /// function while it is above 0 (the provider itself keeps working).
    pub(crate) service_out: u32,
    /// First time it went down [h].
    pub(crate) failed_at: Option<f64>,
    /// First time it came back up after going down [h].
    pub(crate) recovered_at: Option<f64>,
}

impl Status {
    /// A new, up status whose first reliability transition is at `next_transition` [h].
    pub(crate) fn new(next_transition: f64) -> Status {
        Status {
            stoch_up: true,
            next_transition,
            scripted_down: 0,
            factor: 1.0,
            stalled_until: f64::NEG_INFINITY,
            down_since: None,
            down_time: 0.0,
            ever_down: false,
            arrived_analysts: 0,
            arrived_processing: 0.0,
            arrived_shelter: 0.0,
            arrived_crews: 0.0,
            arrivals: 0,
            service_out: 0,
            failed_at: None,
            recovered_at: None,
        }
    }

    /// Whether the agency works right now.
    pub(crate) fn up(&self) -> bool {
        self.stoch_up && self.scripted_down == 0
    }

    /// Account for a possible change of `up()` at time `t` [h]; returns `Some(up)` when it
    /// changed.
    pub(crate) fn refresh(&mut self, t: f64) -> Option<bool> {
        match (self.up(), self.down_since) {
            (false, None) => {
                self.down_since = Some(t);
                self.ever_down = true;
                self.failed_at.get_or_insert(t);
                Some(false)
            }
            (true, Some(since)) => {
                self.down_time += (t - since).max(0.0);
                self.down_since = None;
                self.recovered_at.get_or_insert(t);
                Some(true)
            }
            _ => None,
        }
    }
}

/// The analyst queue: FIFO, `c` servers, exact event times inside each tick.
#[derive(Debug, Clone, Default)]
pub(crate) struct Queue {
    /// When each server is next free [h].
    pub(crate) free_at: Vec<f64>,
    /// Waiting items: (arrival time [h], item).
    pub(crate) waiting: VecDeque<(f64, u32)>,
    /// Items in service finishing after the current window: (completion [h], item).
    pub(crate) in_service: Vec<(f64, u32)>,
    /// Total service time given [h].
    pub(crate) busy: f64,
    /// Σ waiting time of items that started service [h].
    pub(crate) wait_sum: f64,
    /// Items that started service.
    pub(crate) served: u64,
    /// Server-hours available over the run (c × time) [h], for utilisation, up to the last
    /// change of staffing (see [`Queue::capacity_hours`]).
    pub(crate) capacity_folded: f64,
    /// Server-hours each tick adds while the staffing stays as it is: c × dt at work, 0 off.
    pub(crate) capacity_step: f64,
}

/// What an agency holds.
#[derive(Debug, Clone)]
pub(crate) struct Holdings {
    /// First time it was informed about each threat [h] (∞ if never).
    pub(crate) informed_at: Vec<f64>,
    /// Distinct items analysed per threat.
    pub(crate) analysed: Vec<u32>,
    /// Time of the latest analysis per threat [h].
    pub(crate) last_analysed: Vec<f64>,
    /// Whether it decided to act on each threat.
    pub(crate) decided: Vec<bool>,
    /// Independent sources (signals) per threat whose items it analysed and judged true (only
    /// counted at agencies that act on the threat, until they decide).
    pub(crate) evidence: Vec<u32>,
    /// Time of the latest item that added an independent source, per threat [h].
    pub(crate) evidence_at: Vec<f64>,
    /// Signals already counted in `evidence`, ascending (all threats; signal ids are unique).
    pub(crate) sources: Vec<u32>,
    /// Σ sensitivity of items held.
    pub(crate) sensitivity_held: f64,
    /// Items held.
    pub(crate) count: u32,
    /// Threats it has been informed about.
    pub(crate) informed_threats: u32,
}

impl Queue {
    /// Empty the queue for a new run, keeping its buffers.
    pub(crate) fn reset(&mut self) {
        self.free_at.clear();
        self.waiting.clear();
        self.in_service.clear();
        self.busy = 0.0;
        self.wait_sum = 0.0;
        self.served = 0;
        self.capacity_folded = 0.0;
        self.capacity_step = 0.0;
    }

    /// Server-hours available over the run so far [h], `pending` ticks after the last change
    /// of staffing or the last fold ([`Agencies::since_staffing`], at most 64): each of those
    /// ticks adds `capacity_step`, one addition at a time as a tick-by-tick sum would, so the
    /// total is the same to the last bit without touching every agency every tick.
    pub(crate) fn capacity_hours(&self, pending: u64) -> f64 {
        let mut x = self.capacity_folded;
        if self.capacity_step != 0.0 {
            for _ in 0..pending {
                x += self.capacity_step;
            }
        }
        x
    }
}

/// Which agency holds which item: a bitset of the agencies per item, one item after another,
/// so that the holders of one item (asked about on each of its offers) share a cache line.
#[derive(Debug, Default)]
pub(crate) struct Held {
    /// Words per item: ⌈agencies / 64⌉.
    words: usize,
    /// Item i's holders, bit `a % 64` of word `i·words + a / 64` for agency a.
    bits: Vec<u64>,
}

impl Held {
    /// Nothing held, for a run among `agencies` agencies, keeping the buffer.
    pub(crate) fn reset(&mut self, agencies: usize) {
        self.words = agencies.div_ceil(64).max(1);
        self.bits.clear();
    }

    /// Whether `agency` holds item `item`.
    pub(crate) fn holds(&self, agency: AgencyIx, item: u32) -> bool {
        let a = agency.ix();
        self.bits
            .get(item as usize * self.words + a / 64)
            .is_some_and(|x| x >> (a % 64) & 1 != 0)
    }

    /// Mark item `item` held by `agency`; returns false if it already was.
    pub(crate) fn insert(&mut self, agency: AgencyIx, item: u32) -> bool {
        let a = agency.ix();
        let w = item as usize * self.words + a / 64;
        if w >= self.bits.len() {
            self.bits.resize((item as usize + 1) * self.words, 0);
        }
        let bit = 1u64 << (a % 64);
        let had = self.bits[w] & bit != 0;
        self.bits[w] |= bit;
        !had
    }
}

impl Holdings {
    /// Empty the holdings for a new run with `threats` threats, keeping the buffers.
    pub(crate) fn reset(&mut self, threats: usize) {
        self.informed_at.clear();
        self.informed_at.resize(threats, f64::INFINITY);
        self.analysed.clear();
        self.analysed.resize(threats, 0);
        self.last_analysed.clear();
        self.last_analysed.resize(threats, f64::NEG_INFINITY);
        self.decided.clear();
        self.decided.resize(threats, false);
        self.evidence.clear();
        self.evidence.resize(threats, 0);
        self.evidence_at.clear();
        self.evidence_at.resize(threats, f64::NEG_INFINITY);
        self.sources.clear();
        self.sensitivity_held = 0.0;
        self.count = 0;
        self.informed_threats = 0;
    }

    /// Empty holdings for `threats` threats.
    pub(crate) fn new(threats: usize) -> Holdings {
        let mut h = Holdings {
            informed_at: Vec::new(),
            analysed: Vec::new(),
            last_analysed: Vec::new(),
            decided: Vec::new(),
            evidence: Vec::new(),
            evidence_at: Vec::new(),
            sources: Vec::new(),
            sensitivity_held: 0.0,
            count: 0,
            informed_threats: 0,
        };
        h.reset(threats);
        h
    }

    /// Whether it knows anything about any threat.
    pub(crate) fn informed_any(&self) -> bool {
        self.informed_threats > 0
    }
}

/// An agency's own random streams.
#[derive(Debug, Clone)]
pub(crate) struct AgencyStreams {
    /// Observation draws.
    pub(crate) collect: Stream,
    /// Service-time draws.
    pub(crate) service: Stream,
    /// Reliability draws.
    pub(crate) failure: Stream,
}

/// Per-agency modifiers for the current tick: availability, lost functions and benefits.
#[derive(Debug, Clone, Default)]
pub(crate) struct Mods {
    /// The agency works.
    pub(crate) up: bool,
    /// Sabotage stall in force.
    pub(crate) stalled: bool,
    /// Functions lost through dependencies (bits of `function_bit`).
    pub(crate) lost: u8,
    /// Extra observation probability per kind from partners' sensors, [0, 1].
    pub(crate) extra_collect: [f64; KINDS],
    /// Extra screening/detection probability (regional knowledge), [0, 1].
    pub(crate) screening: f64,
    /// Analysis speed-up (technology), [0, 0.95].
    pub(crate) speedup: f64,
    /// Corroboration items waived.
    pub(crate) relief: u32,
    /// Extra discrimination d′ from regional and cultural knowledge, ≥ 0.
    pub(crate) discrimination: f64,
    /// Extra analysts lent to it.
    pub(crate) extra_analysts: u32,
    /// Its own analysts lent out to partners (it keeps at least one).
    pub(crate) lent_analysts: u32,
    /// Processing lent to it minus processing it lends out [people/h] (never below minus its
    /// own processing).
    pub(crate) extra_processing: f64,
    /// Shelter lent to it minus shelter it lends out [people] (never below minus its own).
    pub(crate) extra_shelter: f64,
    /// Fraction of each function lost through partial dependencies (`degree` < 1), by the
    /// position of the function's bit (collection, analysis, dissemination, action), [0, 1).
    pub(crate) impaired: [f64; 4],
    /// Σ `degree` of the dependencies lost now: its exposure accrues at this rate [h/h].
    pub(crate) exposure_rate: f64,
}

/// When the per-agency [`Mods`] must be recomputed: they derive from availability, sabotage
/// stalls, withdrawals and legal holds, which change rarely, so the Benefits phase recomputes
/// them only when one of those changed or a stall ends, not every tick.
#[derive(Resource, Debug, Clone, Copy)]
pub(crate) struct ModsDue {
    /// Bumped on every change and every recomputation: what is derived from the modifiers,
    /// an agency's capacity or a stall (the analysts at work), is stale when it moved.
    pub(crate) epoch: u64,
    /// The epoch the modifiers were last computed at: they are stale when `epoch` moved on.
    pub(crate) computed: u64,
    /// Earliest end of a sabotage stall in force [h] (∞ if none).
    pub(crate) stall_ends: f64,
}

impl Default for ModsDue {
    fn default() -> ModsDue {
        ModsDue {
            epoch: 1,
            computed: 0,
            stall_ends: f64::INFINITY,
        }
    }
}

impl ModsDue {
    /// Note a change to availability, capacity, a stall, a withdrawal or a hold.
    pub(crate) fn mark(&mut self) {
        self.epoch += 1;
    }

    /// Whether the modifiers must be recomputed at time `now` [h].
    pub(crate) fn stale(&self, now: f64) -> bool {
        self.computed != self.epoch || now >= self.stall_ends
    }

    /// Note that the modifiers were recomputed, with the earliest stall end now in force.
    pub(crate) fn recomputed(&mut self, stall_ends: f64) {
        self.epoch += 1;
        self.computed = self.epoch;
        self.stall_ends = stall_ends;
    }
}

/// Every agency's run state, by [`AgencyIx`] (structure of arrays).
#[derive(Resource, Debug, Default)]
pub(crate) struct Agencies {
    /// Up/down state and capacity.
    pub(crate) status: Vec<Status>,
    /// Analyst queues.
    pub(crate) queue: Vec<Queue>,
    /// Holdings.
    pub(crate) holdings: Vec<Holdings>,
    /// Which agency holds which item.
    pub(crate) held: Held,
    /// Random streams.
    pub(crate) streams: Vec<AgencyStreams>,
    /// This tick's modifiers (recomputed in the Benefits phase).
    pub(crate) mods: Vec<Mods>,
    /// Items waiting in all queues [items] (Σ of the queues' `waiting` lengths, kept up to
    /// date wherever an item joins or leaves a queue).
    pub(crate) backlog: u64,
    /// The agencies not up this tick ([`Mods::up`] false), in order (set with the
    /// modifiers).
    pub(crate) down: Vec<AgencyIx>,
    /// Some agency has a function lost through a dependency (set with the modifiers).
    pub(crate) any_lost: bool,
    /// Some agency is exposed to a lost partner or service (set with the modifiers).
    pub(crate) any_exposure: bool,
    /// Ticks since the staffing last changed or the queues last folded in their server-hours
    /// (every 64 ticks), whose server-hours the queues have not added yet (see
    /// [`Queue::capacity_hours`]).
    pub(crate) since_staffing: u64,
    /// The earliest of the agencies' next reliability transitions [h] (∞: none); the
    /// Failures phase looks at the agencies only once a tick's window reaches it.
    pub(crate) next_transition: f64,
    /// Agencies whose queue may have work (bit `ix % 64` of word `ix / 64`): set when an
    /// item joins a queue, cleared by the Analysis phase when it finds the queue empty.
    pub(crate) active: Vec<u64>,
    /// Agencies with items finishing in a later window, by tick (see [`Finishing`]).
    pub(crate) finishing: Finishing,
}

impl Agencies {
    /// Mark agency `ix`'s queue as having work.
    pub(crate) fn activate(active: &mut [u64], ix: usize) {
        active[ix / 64] |= 1 << (ix % 64);
    }
}

// ---------------------------------------------------------------------------------------------
// Items and deliveries

/// An information item: one observation of a threat (or a false report), with its marking.
#[derive(Debug, Clone)]
pub(crate) struct Item {
    /// Threat it is about.
    pub(crate) threat: ThreatIx,
    /// Originating agency.
    pub(crate) origin: AgencyIx,
    /// Creation time [h].
    pub(crate) created: f64,
    /// Ground truth (hidden from players).
    pub(crate) truth: bool,
    /// Retracted as false.
    pub(crate) retracted: bool,
    /// Source: the index of the first item created from the same signal observation (its own
    /// index for an item with a source of its own). Items sharing it corroborate once.
    pub(crate) signal: u32,
    /// The signal's own ambiguity z ~ N(0, 1), shared by every item of the signal (0 for
    /// injected and insider items); see [`judged_true`].
    pub(crate) evidence: f32,
    /// A tearline: the releasable version of item `signal`'s source item, marked and weighed
    /// by its threat's tearline (docs/model.md §5).
    pub(crate) tearline: bool,
    /// Index of this item's tearline version once a holder wrote one ([`NO_ITEM`] until then).
    pub(crate) tearline_item: u32,
}

/// No item: an [`Item::tearline_item`] not written yet.
pub(crate) const NO_ITEM: u32 = u32::MAX;

/// All items of the run, by index.
#[derive(Resource, Debug, Default)]
pub(crate) struct Items(pub(crate) Vec<Item>, pub(crate) Retractions);

/// How many times false items have been retracted in the run so far (see
/// [`Duplicate::retractions`]).
pub(crate) type Retractions = u32;

/// An item analysed by an agency at time `t`.
#[derive(Message, Debug, Clone, Copy)]
pub(crate) struct Analysed {
    /// Completion time [h].
    pub(crate) t: f64,
    /// Analysing agency.
    pub(crate) agency: AgencyIx,
    /// Item index.
    pub(crate) item: u32,
}

/// A delivery in flight (32 bytes).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Delivery {
    /// Arrival time [h].
    pub(crate) t: f64,
    /// Insertion sequence (tie-break, keeps order deterministic).
    pub(crate) seq: u64,
    /// Item index.
    pub(crate) item: u32,
    /// Receiving agency.
    pub(crate) to: AgencyIx,
    /// Link it travelled on ([`LinkIx::NONE`]: observed or injected directly).
    pub(crate) link: LinkIx,
    /// Channel it travelled on ([`ChannelIx::NONE`] when none).
    pub(crate) channel: ChannelIx,
}

/// A known duplicate as it is sent (see [`InFlight::push_duplicate`]): what its hand-over
/// needs, worked out when it is sent, so that handing it over reads neither the item nor the
/// recipient's holdings.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Duplicate {
    /// Item index.
    pub(crate) item: u32,
    /// Receiving agency.
    pub(crate) to: AgencyIx,
    /// The run's [`Retractions`] when it was sent: while that count is unchanged, the item
    /// is not retracted (an item already retracted is never sent).
    pub(crate) retractions: Retractions,
    /// It arrives after its threat's perishability: it expires on arrival.
    pub(crate) stale: bool,
}

/// A known duplicate in flight, as its hand-over reads it: its item and
/// [`Duplicate::retractions`] (8 bytes; where it waits says whether it is stale, and for one
/// that is not, its recipient).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Known {
    /// Item index.
    pub(crate) item: u32,
    /// The run's [`Retractions`] when it was sent.
    pub(crate) retractions: Retractions,
}

impl Known {
    /// Whether its item was retracted after it was sent (an item already retracted is never
    /// sent, and while the run's count is unchanged nothing was retracted).
    pub(crate) fn retracted_since(&self, items: &Items) -> bool {
        self.retractions != items.1 && items.0[self.item as usize].retracted
    }
}

/// A known duplicate that is not stale, waiting with its recipient, and the bucket it
/// arrives in.
#[derive(Debug, Clone, Copy)]
struct Quiet {
    /// Its bucket.
    bucket: u32,
    /// The duplicate.
    dup: Known,
}

/// Room in a full list of quiet duplicates: drop the ones whose tick (before `next_tick`) has
/// passed, and grow if that leaves little room, so that each push costs O(1) on average.
#[cold]
#[inline(never)]
fn make_room(list: &mut Vec<Quiet>, next_tick: u64) {
    list.retain(|q| u64::from(q.bucket) >= next_tick);
    if list.len() * 2 > list.capacity() {
        list.reserve(list.capacity().max(8));
    }
}

/// Deliveries in flight, kept in one bucket per tick (a calendar queue): a delivery waits in
/// the bucket of the first tick whose Delivery phase will hand it over, and each bucket is
/// sorted by (arrival time, insertion sequence) when its tick comes. The order is exactly that
/// of a single priority queue popped while `t < end of tick`, without its cost.
///
/// A bucket is a list of fixed-size chunks, filled in insertion order, from one store of
/// chunks shared by every bucket (see [`Chunks`]): memory follows the deliveries in flight, not
/// the number of ticks or the largest bucket ever seen, and a worker reuses the chunks run
/// after run.
///
/// A delivery whose recipient is down is *parked* rather than rescheduled: it waits in
/// [`InFlight::take_parked`]'s list, in order, and is offered again at the start of every tick
/// until its recipient is up. That is exactly the order rescheduling it at the start of the
/// next tick would give (after the deliveries due before that instant or scheduled before the
/// previous Delivery phase ended), without pushing and sorting it again every tick.
#[derive(Resource, Debug, Default)]
pub(crate) struct InFlight {
    /// Tick k's deliveries, in insertion order; the last bucket holds deliveries due after the
    /// run ends.
    buckets: Chunks<Delivery>,
    /// Tick k's stale known duplicates (see [`InFlight::push_duplicate`]).
    stale_buckets: Chunks<Known>,
    /// Buffer lent out by [`InFlight::take_due`] and given back by [`InFlight::recycle`].
    due: Vec<Delivery>,
    /// Sorts a tick's deliveries.
    sorter: TimeSort<Delivery>,
    /// Buffer lent out by [`InFlight::take_stale`] and given back by
    /// [`InFlight::recycle_stale`].
    stale: Vec<Known>,
    /// Known duplicates that are not stale, by recipient (see [`InFlight::push_duplicate`]);
    /// the ones whose tick has passed are dropped when a list fills.
    quiet: Vec<Vec<Quiet>>,
    /// How many of them arrive in each bucket (they are in flight until then).
    quiet_count: Vec<u32>,
    /// Deliveries and duplicates in buckets.
    len: usize,
    /// Next sequence number.
    seq: u64,
    /// The run's ticks.
    grid: Grid,
    /// First tick whose Delivery phase has not run yet.
    next_tick: u64,
    /// Deliveries waiting for their recipient to come back up, in the order they are offered.
    parked: Vec<Delivery>,
    /// The sequence number reached when the last Delivery phase ended: deliveries scheduled
    /// for the start of this tick with a sequence up to it come before the parked ones.
    parked_mark: u64,
}

/// A tick number beyond any exercise and exactly representable: times at or past it are all
/// "far" (the validator bounds ticks far below it).
const FAR_TICK: f64 = 4_503_599_627_370_496.0; // 2^52

/// Values per chunk of a bucket (2 KiB of deliveries).
const CHUNK: usize = 64;

/// No chunk (the end of a list).
const NO_CHUNK: u32 = u32::MAX;

/// One list of values per bucket, each list a chain of chunks of [`CHUNK`] values in one
/// shared store, with a free chain of chunks. A list is three numbers (no allocation of its
/// own), so that adding a value reads one list entry and writes one slot.
#[derive(Debug)]
struct Chunks<T> {
    /// Each bucket's list.
    lists: Vec<ChunkList>,
    /// The chunks, one after another: chunk c is `store[c·CHUNK .. (c+1)·CHUNK]`.
    store: Vec<T>,
    /// The chunk after chunk c in its list or in the free chain ([`NO_CHUNK`]: none).
    next: Vec<u32>,
    /// First empty chunk ([`NO_CHUNK`]: none).
    free: u32,
}

/// One bucket's chunks: a chain from `head` to `tail`, all full but the tail.
#[derive(Debug, Clone, Copy)]
struct ChunkList {
    /// First chunk ([`NO_CHUNK`]: the list is empty).
    head: u32,
    /// Last chunk, the one being filled.
    tail: u32,
    /// Values in the tail chunk.
    fill: u32,
}

impl ChunkList {
    /// An empty list.
    const EMPTY: ChunkList = ChunkList {
        head: NO_CHUNK,
        tail: NO_CHUNK,
        fill: 0,
    };
}

impl<T> Default for Chunks<T> {
    fn default() -> Self {
        Chunks {
            lists: Vec::new(),
            store: Vec::new(),
            next: Vec::new(),
            free: NO_CHUNK,
        }
    }
}

impl<T: Copy> Chunks<T> {
    /// `n` empty buckets, keeping the chunks.
    fn reset(&mut self, n: usize) {
        for k in 0..self.lists.len() {
            self.release(k);
        }
        self.lists.resize(n, ChunkList::EMPTY);
    }

    /// Buckets.
    fn len(&self) -> usize {
        self.lists.len()
    }

    /// Give bucket `k`'s chunks to the free chain, emptying it.
    fn release(&mut self, k: usize) {
        let list = std::mem::replace(&mut self.lists[k], ChunkList::EMPTY);
        if list.head != NO_CHUNK {
            self.next[list.tail as usize] = self.free;
            self.free = list.head;
        }
    }

    /// Append `x` to bucket `k`.
    fn push(&mut self, k: usize, x: T) {
        self.push_if(k, x, true);
    }

    /// Append `x` to bucket `k` if `keep`; either way `x` is written to the bucket's next
    /// slot, so that the caller need not branch on `keep`.
    fn push_if(&mut self, k: usize, x: T, keep: bool) {
        let list = &mut self.lists[k];
        if list.head == NO_CHUNK || list.fill as usize == CHUNK {
            let c = if self.free == NO_CHUNK {
                let c = self.next.len() as u32;
                self.store.resize(self.store.len() + CHUNK, x);
                self.next.push(NO_CHUNK);
                c
            } else {
                let c = self.free;
                self.free = self.next[c as usize];
                self.next[c as usize] = NO_CHUNK;
                c
            };
            if list.head == NO_CHUNK {
                list.head = c;
            } else {
                self.next[list.tail as usize] = c;
            }
            list.tail = c;
            list.fill = 0;
        }
        self.store[list.tail as usize * CHUNK + list.fill as usize] = x;
        list.fill += u32::from(keep);
    }

    /// Move bucket `k`'s values, in order, to the end of `out`, emptying the bucket.
    fn take(&mut self, k: usize, out: &mut Vec<T>) {
        let list = self.lists[k];
        let mut c = list.head;
        while c != NO_CHUNK {
            let len = if c == list.tail {
                list.fill as usize
            } else {
                CHUNK
            };
            let at = c as usize * CHUNK;
            out.extend_from_slice(&self.store[at..at + len]);
            c = self.next[c as usize];
        }
        self.release(k);
    }
}

impl InFlight {
    /// Empty the calendar for a run of `ticks` ticks of `dt` hours among `agencies`
    /// agencies, keeping its buffers.
    pub(crate) fn reset(&mut self, ticks: u64, dt: f64, agencies: usize) {
        let n = ticks as usize + 1;
        self.buckets.reset(n);
        self.stale_buckets.reset(n);
        self.quiet.resize_with(agencies, Vec::new);
        self.quiet.iter_mut().for_each(Vec::clear);
        self.quiet_count.clear();
        self.quiet_count.resize(n, 0);
        self.parked.clear();
        self.parked_mark = 0;
        self.len = 0;
        self.seq = 0;
        self.grid = Grid::new(dt);
        self.next_tick = 0;
    }

    /// The tick whose window [k·dt, (k+1)·dt) holds time `t`, with the same arithmetic as
    /// [`super::clock::Clock::at`].
    #[cfg(test)]
    fn tick_of(&self, t: f64) -> u64 {
        self.grid.tick_of(t)
    }

    /// The bucket of a delivery arriving at `t` [h]: its tick's, but never one whose Delivery
    /// phase has run, and the last for any time after the run.
    fn bucket_of(&self, t: f64) -> usize {
        self.grid.bucket(t, self.next_tick, self.buckets.len())
    }

    /// Schedule a delivery of `item` to `to` at time `t` [h].
    pub(crate) fn push(
        &mut self,
        t: f64,
        item: u32,
        to: AgencyIx,
        link: LinkIx,
        channel: ChannelIx,
    ) {
        self.seq += 1;
        let k = self.bucket_of(t);
        self.buckets.push(
            k,
            Delivery {
                t,
                seq: self.seq,
                item,
                to,
                link,
                channel,
            },
        );
        self.len += 1;
    }

    /// Schedule a delivery at time `t` [h] of an item its recipient already holds (holdings
    /// only grow, so it will arrive as a duplicate). What a duplicate does when handed over
    /// (nothing if retracted, an expiry, parking while the recipient is down, else nothing:
    /// it is of no use to its recipient) is a count, the same in any order within its tick:
    /// it takes no sequence number and is handed over after its tick's other deliveries,
    /// unsorted.
    ///
    /// A stale one expires unless retracted, whoever receives it: it waits in the calendar
    /// ([`InFlight::take_stale`]). One that is not stale does something only if its recipient
    /// is down when it arrives (it is then parked): it waits in its recipient's list, and is
    /// handed over ([`InFlight::quiet_due`]) only in a tick its recipient is down. Dropping the
    /// others unread is what they would do: nothing.
    pub(crate) fn push_duplicate(&mut self, t: f64, dup: Duplicate) {
        let k = self.bucket_of(t);
        self.len += 1;
        let known = Known {
            item: dup.item,
            retractions: dup.retractions,
        };
        if dup.stale {
            self.stale_buckets.push(k, known);
            return;
        }
        let list = &mut self.quiet[dup.to.ix()];
        if list.len() == list.capacity() {
            make_room(list, self.next_tick);
        }
        list.push(Quiet {
            bucket: k as u32,
            dup: known,
        });
        self.quiet_count[k] += 1;
    }

    /// The duplicates that are not stale arriving at `to` in the tick of the last
    /// [`InFlight::take_due`] (asked for a recipient that is down in that tick).
    pub(crate) fn quiet_due(&self, to: AgencyIx) -> impl Iterator<Item = Known> + '_ {
        let k = self.next_tick.saturating_sub(1);
        self.quiet[to.ix()]
            .iter()
            .filter(move |q| u64::from(q.bucket) == k)
            .map(|q| q.dup)
    }

    /// Take the deliveries handed over in tick `k`, in (time, sequence) order. Give the
    /// buffer back with [`InFlight::recycle`].
    pub(crate) fn take_due(&mut self, k: u64) -> Vec<Delivery> {
        self.next_tick = k + 1;
        let mut due = std::mem::take(&mut self.due);
        due.clear();
        if k as usize + 1 >= self.buckets.len() {
            return due;
        }
        self.buckets.take(k as usize, &mut due);
        let window = (k as f64 * self.grid.dt, self.grid.dt);
        self.sorter.sort(
            &mut due,
            window,
            |d| d.t,
            |a, b| a.t.total_cmp(&b.t).then(a.seq.cmp(&b.seq)),
        );
        self.len -= due.len();
        due
    }

    /// The stale known duplicates handed over in the tick of the last [`InFlight::take_due`],
    /// in no particular order (see [`InFlight::push_duplicate`]); the quiet ones of that tick
    /// leave the count in flight. Give the buffer back with [`InFlight::recycle_stale`].
    pub(crate) fn take_stale(&mut self) -> Vec<Known> {
        let k = self.next_tick.saturating_sub(1) as usize;
        let mut stale = std::mem::take(&mut self.stale);
        stale.clear();
        if k + 1 >= self.stale_buckets.len() {
            return stale;
        }
        self.stale_buckets.take(k, &mut stale);
        self.len -= stale.len() + self.quiet_count[k] as usize;
        self.quiet_count[k] = 0;
        stale
    }

    /// Return the buffer from [`InFlight::take_stale`] for reuse.
    pub(crate) fn recycle_stale(&mut self, buf: Vec<Known>) {
        self.stale = buf;
    }

    /// Return the buffer from [`InFlight::take_due`] for reuse.
    pub(crate) fn recycle(&mut self, buf: Vec<Delivery>) {
        self.due = buf;
    }

    /// Take the parked deliveries (see [`InFlight`]) and the sequence mark that places them:
    /// at the start of this tick they come after the due deliveries that arrive earlier or at
    /// the same instant with a sequence number up to the mark.
    pub(crate) fn take_parked(&mut self) -> (Vec<Delivery>, u64) {
        (std::mem::take(&mut self.parked), self.parked_mark)
    }

    /// Park the deliveries whose recipient was down in this Delivery phase, in the order they
    /// were offered, and mark the end of the phase.
    pub(crate) fn park(&mut self, parked: Vec<Delivery>) {
        self.parked_mark = self.seq;
        self.parked = parked;
    }

    /// Deliveries in flight, parked ones included (the calendar's and the parked list's).
    pub(crate) fn len(&self) -> usize {
        self.len + self.parked.len()
    }
}

/// A run's ticks of `dt` hours: which tick a time falls in, for the calendars.
#[derive(Debug, Default, Clone, Copy)]
struct Grid {
    /// Tick length [h].
    dt: f64,
    /// 1 / dt [1/h] (a multiplication instead of a division per time).
    inv_dt: f64,
}

impl Grid {
    /// Ticks of `dt` hours.
    fn new(dt: f64) -> Grid {
        Grid {
            dt,
            inv_dt: 1.0 / dt,
        }
    }

    /// The tick whose window [k·dt, (k+1)·dt) holds time `t` [h], with the same arithmetic
    /// as [`super::clock::Clock::at`].
    fn tick_of(&self, t: f64) -> u64 {
        // The estimate is exact but for rounding at a window's edge, which the slow path
        // corrects. Integer ↔ float conversions go through i64 (one instruction each; exact,
        // as every tick number is far below 2^53); negative times land in tick 0.
        let x = t * self.inv_dt;
        if x.is_nan() {
            return 0;
        }
        if x >= FAR_TICK {
            // Beyond any exercise (a latency drawn from a huge tail, or infinite): the last
            // bucket, without counting ticks one by one (the edge loop cannot step past 2^53).
            return FAR_TICK as u64;
        }
        let k = (x as i64).max(0);
        if (k > 0 && t < k as f64 * self.dt) || t >= (k + 1) as f64 * self.dt {
            return tick_of_edge(t, self.dt, k as u64);
        }
        k as u64
    }

    /// The bucket, of `buckets` (one per tick, the last for all times after the run), of an
    /// event at `t` [h] that may not go in a tick before `earliest`.
    fn bucket(&self, t: f64, earliest: u64, buckets: usize) -> usize {
        (self.tick_of(t).max(earliest) as usize).min(buckets - 1)
    }
}

/// [`Grid::tick_of`] when the estimate `k` is off by rounding.
#[cold]
#[inline(never)]
fn tick_of_edge(t: f64, dt: f64, mut k: u64) -> u64 {
    while k > 0 && t < k as f64 * dt {
        k -= 1;
    }
    while t >= (k + 1) as f64 * dt {
        k += 1;
    }
    k
}

/// The agencies with an analyst's item finishing after the window it started in, by the tick
/// it finishes in: the Analysis phase looks at their in-service items in that tick only,
/// instead of asking every agency at work every tick whether one is done. An agency is noted
/// once per such item.
#[derive(Debug, Default)]
pub(crate) struct Finishing {
    /// Agencies, by tick; the last bucket holds the finishes after the run.
    lists: Chunks<u32>,
    /// The run's ticks.
    grid: Grid,
}

impl Finishing {
    /// Empty for a run of `ticks` ticks of `dt` hours, keeping the buffers.
    pub(crate) fn reset(&mut self, ticks: u64, dt: f64) {
        self.lists.reset(ticks as usize + 1);
        self.grid = Grid::new(dt);
    }

    /// Note, if `keep`, that agency `ix` has an item finishing at `t` [h], a time after tick
    /// `now`'s window ends (the note is written either way, so that the caller need not branch
    /// on `keep`).
    pub(crate) fn note_if(&mut self, t: f64, now: u64, ix: usize, keep: bool) {
        let k = self.grid.bucket(t, now + 1, self.lists.len());
        self.lists.push_if(k, ix as u32, keep);
    }

    /// Move the agencies noted for tick `k` to `out`.
    pub(crate) fn take(&mut self, k: u64, out: &mut Vec<u32>) {
        if (k as usize) + 1 < self.lists.len() {
            self.lists.take(k as usize, out);
        }
    }
}

/// Items, deliveries in flight and threat milestones: what creating an item touches.
pub(crate) fn create_item(
    items: &mut Items,
    flight: &mut InFlight,
    threats: &mut ThreatStates,
    threat: ThreatIx,
    truth: bool,
    agency: AgencyIx,
    t: f64,
) -> u32 {
    let ix = items.0.len() as u32;
    items.0.push(Item {
        threat,
        truth,
        created: t,
        origin: agency,
        retracted: false,
        signal: ix,
        evidence: 0.0,
        tearline: false,
        tearline_item: NO_ITEM,
    });
    let ts = &mut threats.0[threat.ix()];
    if ts.detected_at.is_none() {
        ts.detected_at = Some(t);
    }
    flight.push(t, ix, agency, LinkIx::NONE, ChannelIx::NONE);
    ix
}

/// Signal-detection judgement of an item (docs/model.md §12): the analyst perceives
/// `x = ±d′/2 + z` (+ for a true item, − for a false one, `z` the signal's ambiguity) and takes
/// the item as true when `x > criterion`. Hence P(accept true) = Φ(d′/2 − c) and
/// P(recognise false) = Φ(d′/2 + c).
pub(crate) fn judged_true(truth: bool, evidence: f32, d_prime: f64, criterion: f64) -> bool {
    let mean = if truth { d_prime / 2.0 } else { -d_prime / 2.0 };
    mean + f64::from(evidence) > criterion
}

/// Mark every false item about `threat` retracted.
pub(crate) fn retract_false(items: &mut Items, threat: ThreatIx) {
    items.1 += 1;
    for it in items
        .0
        .iter_mut()
        .filter(|x| x.threat == threat && !x.truth)
    {
        it.retracted = true;
    }
}

// ---------------------------------------------------------------------------------------------
// Links and channels

/// Run state of a directed link.
#[derive(Debug, Clone)]
pub(crate) struct LinkState {
    /// Reputation damage R, [0, 1]: caps how far trust can recover.
    pub(crate) damage: f64,
    /// Withdrawn by the sender (trust fell below its threshold).
    pub(crate) withdrawn: bool,
    /// Withdrawal injects in force on its partnership.
    pub(crate) inject_withdrawn: u32,
    /// Legal holds in force on its partnership.
    pub(crate) held: u32,
    /// Ever withdrawn or held.
    pub(crate) ever_lost: bool,
    /// First time it was withdrawn, by its sender's loss of trust or by an inject [h]
    /// (legal holds do not count).
    pub(crate) withdrawn_at: Option<f64>,
    /// An item on it leaked or crossed a compromised channel.
    pub(crate) compromised: bool,
    /// Items delivered over it.
    pub(crate) items: u32,
    /// First unique item delivered over it [h].
    pub(crate) first_item_at: Option<f64>,
    /// First unique item delivered over it, by threat: (threat, time [h]), in the order
    /// first seen (noted only when some metric reads it: [`Compiled::first_by_threat`]).
    pub(crate) first_by_threat: Vec<(ThreatIx, f64)>,
    /// Value its sender gave the receiver over it in the current review window [SWD]: the
    /// useful items it delivered (new to the receiver, true and timely, by sensitivity) plus
    /// the value of the benefits it carried from its sender while it worked (docs/model.md §7).
    pub(crate) value: f64,
    /// The same over the whole run [SWD].
    pub(crate) value_total: f64,
    /// The sender's good experiences with the receiver in the current window: useful items
    /// received from it over the reverse link.
    pub(crate) good: f64,
    /// The sender's bad experiences with the receiver in the current window, by size: false
    /// items received from it (1 each) and every negative trust signal (|x|).
    pub(crate) bad: f64,
    /// Threats on which it delivered false items, ascending (a retraction of their false
    /// items costs its sender the receiver's trust).
    pub(crate) false_threats: Vec<ThreatIx>,
    /// Unique items it delivered into the receiver, weighted by sensitivity [SWD] (the
    /// receiver did not hold them before; echoes and duplicates are not counted).
    pub(crate) received: f64,
    /// Exposure attributed to it [SWD]: items exposed in violations on it or while crossing a
    /// compromised channel on it, plus its share (`received` ÷ held) of the receiver's
    /// insider leaks and exfiltrations.
    pub(crate) exposure: f64,
    /// The part of `exposure` that was the sender's own collection [SWD]: what the sender,
    /// as originator, lost through this partnership (see [`charge_upstream`]).
    pub(crate) origin_exposure: f64,
    /// Handling violations on it, by [`ViolationKind`](super::compile::ViolationKind).
    pub(crate) violations: [u32; 5],
    /// Offers on it passed in violation (each counted once, whatever its kinds).
    pub(crate) violating_offers: u32,
    /// Legal findings on it (violations of law or agreement).
    pub(crate) legal_findings: u32,
}

impl LinkState {
    /// Set back to the start of a run, keeping the room of its lists.
    pub(crate) fn clear(&mut self) {
        let mut first = std::mem::take(&mut self.first_by_threat);
        let mut false_threats = std::mem::take(&mut self.false_threats);
        first.clear();
        false_threats.clear();
        *self = LinkState {
            first_by_threat: first,
            false_threats,
            ..LinkState::new()
        };
    }

    /// A link's state at the start of a run.
    pub(crate) fn new() -> LinkState {
        LinkState {
            damage: 0.0,
            withdrawn: false,
            inject_withdrawn: 0,
            held: 0,
            ever_lost: false,
            withdrawn_at: None,
            compromised: false,
            items: 0,
            first_item_at: None,
            first_by_threat: Vec::new(),
            value: 0.0,
            value_total: 0.0,
            good: 0.0,
            bad: 0.0,
            false_threats: Vec::new(),
            received: 0.0,
            exposure: 0.0,
            origin_exposure: 0.0,
            violations: [0; 5],
            violating_offers: 0,
            legal_findings: 0,
        }
    }

    /// Whether the partnership is withdrawn (by trust or by an inject).
    pub(crate) fn is_withdrawn(&self) -> bool {
        self.withdrawn || self.inject_withdrawn > 0
    }

    /// Whether the link carries nothing: withdrawn or under a legal hold.
    pub(crate) fn is_closed(&self) -> bool {
        self.is_withdrawn() || self.held > 0
    }

    /// Note that it became withdrawn at `t` [h] (by trust or by an inject).
    pub(crate) fn mark_withdrawn(&mut self, t: f64) {
        self.ever_lost = true;
        self.withdrawn_at.get_or_insert(t);
    }
}

/// The equity log ratio x = ln((received + 1) ÷ (given + 1)) − ln(expected) [SWD]: one
/// document of pseudo-count on each side keeps a window with nothing received finite.
pub(crate) fn equity_log_ratio(received: f64, given: f64, expected: f64) -> f64 {
    ((received + 1.0) / (given + 1.0)).ln() - expected.ln()
}

/// Links back from the point of exposure that an exposure is charged along (the partnership
/// it happened on or into counts as the first).
pub(crate) const EXPOSURE_HOPS: u32 = 3;

/// Charge `amount` [SWD] exposed out of agency `at`'s holdings to the links that brought
/// them: each link into `at` (except from `came_from`, the way the exposure arrived) carries
/// its share `received ÷ held` of `at`'s holdings, and that share is charged on to the links
/// into its sender the same way, `hops` links deep (docs/model.md §5, §10). An item that
/// crossed three partnerships is charged to each: per-link exposures do not add up to the
/// run's total.
///
/// The rest of `at`'s holdings, `held − Σ received` over all links into it, is its own
/// collection: that part of `amount` is attributed to `at` as originator, on the link `via`
/// over which the exposure reached `at` (its `origin_exposure`), so a partner's exposure of
/// what an agency gave it is known per partnership. At the point of exposure itself (`via`
/// none) the agency exposed its own collection, which no partnership carried.
pub(crate) fn charge_upstream(
    st: &Compiled,
    links: &mut [LinkState],
    holdings: &[Holdings],
    (at, came_from, via): (AgencyIx, AgencyIx, LinkIx),
    amount: f64,
    hops: u32,
) {
    let held = holdings[at.ix()].sensitivity_held;
    if amount <= 0.0 || held <= 0.0 {
        return;
    }
    if let Some(v) = via.get() {
        let brought: f64 = st.agencies[at.ix()]
            .in_links
            .iter()
            .map(|l| links[l.ix()].received)
            .sum();
        let own = (held - brought).max(0.0) / held;
        links[v.ix()].origin_exposure += amount * own;
    }
    if hops == 0 {
        return;
    }
    for &l in &st.agencies[at.ix()].in_links {
        let from = st.links[l.ix()].from;
        if from == came_from {
            continue;
        }
        let share = amount * links[l.ix()].received / held;
        if share > 0.0 {
            links[l.ix()].exposure += share;
            charge_upstream(st, links, holdings, (from, at, l), share, hops - 1);
        }
    }
}

/// All links, by [`LinkIx`]: their states, and apart from them what only sharing and the
/// trust review touch (so the per-tick passes over the states stay small in cache).
#[derive(Resource, Debug, Default)]
pub(crate) struct Links(pub(crate) Vec<LinkState>, pub(crate) LinkSide);

/// The part of [`Links`] kept apart from the link states.
#[derive(Debug, Default)]
pub(crate) struct LinkSide {
    /// Sharing and latency draws of each link, by slot (`SendTables`: each sender's links
    /// together; read on every offer, so kept out of [`LinkState`], dense).
    pub(crate) rng: Vec<Stream>,
    /// Each sender's trust in its receiver, [0, 1], by [`LinkIx`] (read on every offer, so
    /// dense, next to the streams).
    pub(crate) trust: Vec<f64>,
    /// `trust` by slot, the sharing tables' order (`SendTables`), for the sharing loop's
    /// reads: kept by [`LinkSide::trust_moved`].
    pub(crate) trust_by_slot: Vec<f64>,
    /// A false item was delivered since the trust review last looked for retracted threats
    /// among the links' `false_threats`.
    pub(crate) false_delivered: bool,
    /// The links' mean trust as last sampled for the series; `None` once some link's trust
    /// may have moved since ([`LinkSide::trust_moved`] clears it).
    pub(crate) mean_trust: Option<f64>,
    /// Links withdrawn or under a legal hold ([`LinkState::is_closed`]): while none is, the
    /// sharing loop does not read the link states. Kept by every writer of those fields
    /// through [`change_gate`].
    pub(crate) closed: u32,
    /// `closed` must be counted again (set by the tests, which write link states directly).
    pub(crate) recount: bool,
}

/// Change a link's withdrawal or hold fields through `f`, keeping `closed`, the count of
/// closed links ([`LinkSide::closed`]), right: the one way the engine opens or closes a link.
pub(crate) fn change_gate(state: &mut LinkState, closed: &mut u32, f: impl FnOnce(&mut LinkState)) {
    let was = state.is_closed();
    f(state);
    match (was, state.is_closed()) {
        (false, true) => *closed += 1,
        (true, false) => *closed -= 1,
        _ => {}
    }
}

impl LinkSide {
    /// Note that the trust of links `moved` (by link) changed: their copy by slot follows
    /// (`slot_of`: `SendTables::slot_of`) and the cached mean is forgotten. Every writer of
    /// `trust` (the Trust phase; the tests) calls it after writing.
    pub(crate) fn trust_moved(&mut self, moved: &[usize], slot_of: &[u32]) {
        if moved.is_empty() {
            return;
        }
        self.mean_trust = None;
        for &l in moved {
            self.trust_by_slot[slot_of[l] as usize] = self.trust[l];
        }
    }

    /// Whether some link may be closed (counting them again first when asked to).
    pub(crate) fn any_closed(&mut self, states: &[LinkState]) -> bool {
        if self.recount {
            self.closed = states.iter().filter(|s| s.is_closed()).count() as u32;
            self.recount = false;
        }
        self.closed > 0
    }
}

/// The mean of the links' trust (`None` without links), summed in link order.
pub(crate) fn mean_trust(trust: &[f64]) -> Option<f64> {
    (!trust.is_empty()).then(|| trust.iter().sum::<f64>() / trust.len() as f64)
}

/// An experience that moves the sender's trust on a link: x > 0 good, x < 0 bad.
#[derive(Message, Debug, Clone, Copy)]
pub(crate) struct TrustSignal {
    /// Link whose trust moves.
    pub(crate) link: LinkIx,
    /// Signed size of the experience (±1 a typical event).
    pub(crate) x: f64,
}

/// Run state of a channel.
#[derive(Debug, Clone)]
pub(crate) struct ChannelState {
    /// Up according to its reliability process.
    pub(crate) stoch_up: bool,
    /// Next reliability transition [h].
    pub(crate) next_transition: f64,
    /// Scripted outages in force.
    pub(crate) scripted_down: u32,
    /// Compromises in force.
    pub(crate) compromised: u32,
    /// Ever down or compromised.
    pub(crate) ever_down: bool,
    /// Reliability draws.
    pub(crate) rng: Stream,
}

impl ChannelState {
    /// Whether the channel carries traffic now.
    pub(crate) fn up(&self) -> bool {
        self.stoch_up && self.scripted_down == 0
    }
}

/// All channels, by [`ChannelIx`].
#[derive(Resource, Debug, Default)]
pub(crate) struct Channels(pub(crate) Vec<ChannelState>);

/// Log an agency going down or coming back, and let partners that depend on it lose trust.
pub(crate) fn agency_changed(
    st: &Compiled,
    a: AgencyIx,
    up: bool,
    t: f64,
    rec: &mut Recorder,
    signals: &mut Messages<TrustSignal>,
) {
    let ag = &st.agencies[a.ix()];
    rec.log(
        t,
        if up {
            EventKind::Repair
        } else {
            EventKind::Failure
        },
        &ag.id,
        "",
        || {
            if up {
                format!("{} is back in operation", ag.name)
            } else {
                format!("{} goes down", ag.name)
            }
        },
    );
    if up {
        return;
    }
    for other in &st.agencies {
        if !other.depends.iter().any(|d| d.partner == a) {
            continue;
        }
        for &l in &other.out_links {
            if st.links[l.ix()].to == a {
                signals.write(TrustSignal { link: l, x: -0.5 });
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Threats

/// Surge bookkeeping of a migration threat.
#[derive(Debug, Clone, Default)]
pub(crate) struct SurgeState {
    /// Waiting cohorts: (arrival time [h], people).
    pub(crate) cohorts: VecDeque<(f64, f64)>,
    /// People arrived so far.
    pub(crate) arrived: f64,
    /// People processed within the hand-off deadline.
    pub(crate) within: f64,
    /// People processed late.
    pub(crate) late: f64,
    /// Largest number without shelter at any tick [people].
    pub(crate) peak_unsheltered: f64,
    /// Scenario time the largest number without shelter was first reached [h] (0 while
    /// nobody has been without shelter).
    pub(crate) peak_unsheltered_at: f64,
    /// Arrival draws (`threat/<id>/surge`).
    pub(crate) rng: Option<Stream>,
}

impl SurgeState {
    /// People waiting now.
    pub(crate) fn waiting(&self) -> f64 {
        self.cohorts.iter().map(|c| c.1).sum()
    }
}

/// Run state of a threat.
#[derive(Debug, Clone)]
pub(crate) struct ThreatState {
    /// Ground truth in this run.
    pub(crate) real: bool,
    /// Next signal time [h].
    pub(crate) next_signal: f64,
    /// Time harm occurs [h] (None: no deadline).
    pub(crate) deadline: Option<f64>,
    /// First observation by any agency [h].
    pub(crate) detected_at: Option<f64>,
    /// First item shared with a partner [h].
    pub(crate) first_share_at: Option<f64>,
    /// First false item shared [h].
    pub(crate) first_false_share_at: Option<f64>,
    /// False items retracted at [h].
    pub(crate) retracted_at: Option<f64>,
    /// First completed action [h].
    pub(crate) first_action_at: Option<f64>,
    /// Resolved (real threat acted on successfully before harm) at [h].
    pub(crate) resolved_at: Option<f64>,
    /// A false alarm was acted on.
    pub(crate) false_alarm_acted: bool,
    /// Harm occurred at [h].
    pub(crate) harm_at: Option<f64>,
    /// First public warning [h].
    pub(crate) public_warning_at: Option<f64>,
    /// Tied to an insider who is not active in this run: nothing about it surfaces.
    pub(crate) dormant: bool,
    /// The adversary abandoned the plot after a tip-off at [h] (no harm at the deadline).
    pub(crate) aborted_at: Option<f64>,
    /// No more signals (resolved, harm done, or false alarm put to rest).
    pub(crate) over: bool,
    /// Actions decided and not yet complete: (completion [h], agency).
    pub(crate) pending: Vec<(f64, AgencyIx)>,
    /// Signal and truth draws.
    pub(crate) rng: Stream,
    /// Decision, action and retraction draws.
    pub(crate) act_rng: Stream,
    /// Surge state, for migration threats.
    pub(crate) surge: Option<SurgeState>,
    /// Time of the hazard's impact [h] (drawn at the start of the run; `None` without an
    /// impact or when the threat is not real).
    pub(crate) impact_at: Option<f64>,
    /// First successful action of each agency on it [h] (∞ if none), by agency.
    pub(crate) acted_ok: Vec<f64>,
    /// Consequences of the impact, for hazards.
    pub(crate) hazard: Option<HazardState>,
}

/// Consequences of a hazard's impact so far.
#[derive(Debug, Clone, Default)]
pub(crate) struct HazardState {
    /// The impact has struck.
    pub(crate) struck: bool,
    /// People needing shelter after evacuation [people].
    pub(crate) displaced: f64,
    /// Most people without shelter at a tick's end [people].
    pub(crate) peak_unsheltered: f64,
    /// Σ people without shelter × hours [person-h].
    pub(crate) unsheltered_hours: f64,
    /// Each outage's state, parallel to the impact's outages.
    pub(crate) outages: Vec<OutageState>,
}

/// A shared service's outage so far.
#[derive(Debug, Clone, Default)]
pub(crate) struct OutageState {
    /// Crew-hours worked on it [worker-h].
    pub(crate) work: f64,
    /// First customers restored at [h].
    pub(crate) first_restored_at: Option<f64>,
    /// The service's function came back (first restoration or workaround) at [h].
    pub(crate) back_at: Option<f64>,
    /// Customers restored [customers].
    pub(crate) restored: f64,
    /// Σ customers out × hours [customer-h].
    pub(crate) customer_hours: f64,
    /// Restored share at each checkpoint of the outage (NaN until reached).
    pub(crate) shares: Vec<f64>,
}

/// All threats, by [`ThreatIx`].
#[derive(Resource, Debug, Default)]
pub(crate) struct ThreatStates(pub(crate) Vec<ThreatState>);

// ---------------------------------------------------------------------------------------------
// Insiders and injects

/// Run state of an insider.
#[derive(Debug, Clone)]
pub(crate) struct InsiderState {
    /// Active (malicious) in this run.
    pub(crate) active: bool,
    /// Detected at [h].
    pub(crate) detected_at: Option<f64>,
    /// Next precursor [h].
    pub(crate) next_precursor: f64,
    /// Next hostile act [h].
    pub(crate) next_action: f64,
    /// Hostile acts so far.
    pub(crate) acts: u32,
    /// Precursors observed but not reported.
    pub(crate) unreported: u32,
    /// Draws.
    pub(crate) rng: Stream,
}

/// All insiders, by [`InsiderIx`].
#[derive(Resource, Debug, Default)]
pub(crate) struct Insiders(pub(crate) Vec<InsiderState>);

/// An inject forcing an insider to act now.
#[derive(Message, Debug, Clone, Copy)]
pub(crate) struct ActNow {
    /// The insider.
    pub(crate) insider: InsiderIx,
    /// Time [h].
    pub(crate) t: f64,
}

/// Run state of the MSEL.
#[derive(Resource, Debug, Default)]
pub(crate) struct InjectStates {
    /// When each inject fired [h].
    pub(crate) fired_at: Vec<Option<f64>>,
    /// Whether its trigger has been evaluated (each inject is considered once).
    pub(crate) done: Vec<bool>,
    /// Effects in force with an end: (end [h], inject index).
    pub(crate) ending: Vec<(f64, usize)>,
    /// Probability draws, one stream per inject.
    pub(crate) rng: Vec<Stream>,
    /// Effects waiting for their lead time (arrivals): (start [h], inject index).
    pub(crate) starting: Vec<(f64, usize)>,
    /// Objectives judged for `ObjectiveMet`/`ObjectiveMissed` triggers: (inject index,
    /// judgement time [h], met), `met` being `None` where the objective does not apply.
    pub(crate) judged: Vec<(usize, f64, Option<bool>)>,
    /// `FirstOffer` injects tripped by the sharing loop, waiting to fire at the next tick
    /// (those whose effect the loop could not apply itself): (trip time [h], inject index).
    pub(crate) tripped: Vec<(f64, usize)>,
}

// ---------------------------------------------------------------------------------------------
// Tallies

use super::compile::BlockReason;

/// Running counts.
#[derive(Resource, Debug, Default, Clone)]
pub(crate) struct Tally {
    /// Leak exposure [SWD: sensitivity-weighted documents].
    pub(crate) exposure: f64,
    /// The part of `exposure` from insiders' leaks and exfiltration [SWD].
    pub(crate) insider_exposure: f64,
    /// Needed deliveries blocked, by reason.
    pub(crate) blocked: [u64; 5],
    /// Handling violations.
    pub(crate) violations: u64,
    /// Handling violations by [`ViolationKind`](super::compile::ViolationKind).
    pub(crate) violation_kinds: [u64; 5],
    /// Legal findings (violations of law or agreement).
    pub(crate) legal_findings: u64,
    /// Links withdrawn.
    pub(crate) withdrawals: u64,
    /// Items expired or destroyed before use.
    pub(crate) expired: u64,
    /// Items delivered between partners.
    pub(crate) delivered: u64,
    /// Peak backlog [items].
    pub(crate) peak_backlog: u64,
}

impl Tally {
    /// Count a needed delivery blocked for `r`.
    pub(crate) fn block(&mut self, r: BlockReason) {
        self.blocked[r.index()] += 1;
    }
}

/// Values of the current tick that metric triggers watch.
#[derive(Resource, Debug, Default, Clone)]
pub(crate) struct Watch {
    /// Agencies informed per threat (kept up to date on delivery).
    pub(crate) informed: Vec<u32>,
    /// Agencies informed about any threat.
    pub(crate) informed_any: u32,
    /// Items waiting in all queues.
    pub(crate) backlog: u64,
}

#[cfg(test)]
mod far_deliveries {
    use super::*;

    #[test]
    fn a_delivery_beyond_any_exercise_goes_to_the_last_bucket_at_once() {
        let mut f = InFlight::default();
        f.reset(10, 1.0, 1);
        for t in [1e30, f64::INFINITY, 4.6e15, 2.5] {
            f.push(t, 0, AgencyIx::new(0), LinkIx::NONE, ChannelIx::NONE);
        }
        assert_eq!(f.tick_of(2.5), 2);
        assert_eq!(f.tick_of(1e30), FAR_TICK as u64);
        assert_eq!(f.tick_of(f64::INFINITY), FAR_TICK as u64);
        assert_eq!(f.tick_of(f64::NAN), 0);
    }
}

#[cfg(test)]
mod calendar {
    use super::*;

    /// A recipient's list of quiet duplicates keeps only what is still in flight once it
    /// fills, however many pass through it, and hands over exactly a tick's ones.
    #[test]
    fn quiet_duplicates_are_dropped_once_past_and_handed_over_by_tick() {
        let mut f = InFlight::default();
        f.reset(1000, 1.0, 1);
        let to = AgencyIx::new(0);
        let mut most = 0;
        for k in 0..1000u64 {
            f.take_due(k);
            f.take_stale();
            // Due now: the even ones pushed in tick k - 1, the odd ones pushed in k - 2.
            let mut want = Vec::new();
            if k >= 1 {
                want.extend([4 * (k - 1), 4 * (k - 1) + 2]);
            }
            if k >= 2 {
                want.extend([4 * (k - 2) + 1, 4 * (k - 2) + 3]);
            }
            let mut due: Vec<u64> = f.quiet_due(to).map(|d| u64::from(d.item)).collect();
            due.sort_unstable();
            want.sort_unstable();
            assert_eq!(due, want, "tick {k}");
            for j in 0..4u64 {
                // Item 4k + j arrives in tick k + 1 + j % 2.
                let t = (k + 1 + j % 2) as f64 + 0.5;
                let item = (4 * k + j) as u32;
                f.push_duplicate(
                    t,
                    Duplicate {
                        item,
                        to,
                        retractions: 0,
                        stale: false,
                    },
                );
            }
            most = most.max(f.quiet[0].capacity());
        }
        assert!(most <= 64, "the list grew to {most}");
    }

    fn dup(item: u32, stale: bool) -> Duplicate {
        Duplicate {
            item,
            to: AgencyIx::new(1),
            retractions: 0,
            stale,
        }
    }

    #[test]
    fn a_bucket_over_many_chunks_comes_out_whole_and_sorted_and_its_chunks_are_reused() {
        let mut f = InFlight::default();
        f.reset(4, 1.0, 2);
        // 200 deliveries (four chunks) in tick 2, at times out of order, some tied.
        let n = 200u32;
        for i in 0..n {
            let t = 2.0 + f64::from((i * 37) % 50) / 100.0;
            f.push(t, i, AgencyIx::new(0), LinkIx::NONE, ChannelIx::NONE);
        }
        // 70 stale duplicates (in the calendar) and 30 that are not (with their recipient).
        for i in 0..70 {
            f.push_duplicate(2.5, dup(1000 + i, true));
        }
        for i in 0..30 {
            f.push_duplicate(2.25, dup(2000 + i, false));
        }
        f.push(1.5, 999, AgencyIx::new(0), LinkIx::NONE, ChannelIx::NONE);
        assert_eq!(f.len(), 301);
        assert!(f.take_due(0).is_empty());
        assert!(f.take_stale().is_empty());
        assert_eq!(f.quiet_due(AgencyIx::new(1)).count(), 0);
        assert_eq!(
            f.take_due(1).iter().map(|d| d.item).collect::<Vec<_>>(),
            [999]
        );
        let due = f.take_due(2);
        assert_eq!(due.len(), n as usize);
        for w in due.windows(2) {
            assert!(
                (w[0].t, w[0].seq) < (w[1].t, w[1].seq),
                "{:?} then {:?}",
                w[0],
                w[1]
            );
        }
        let mut items: Vec<u32> = due.iter().map(|d| d.item).collect();
        items.sort_unstable();
        assert_eq!(items, (0..n).collect::<Vec<_>>());
        let dups = f.take_stale();
        assert_eq!(dups.len(), 70);
        assert_eq!(
            dups.iter().map(|d| d.item).sum::<u32>(),
            (1000..1070u32).sum::<u32>()
        );
        assert_eq!(
            f.quiet_due(AgencyIx::new(1))
                .map(|d| d.item)
                .collect::<Vec<_>>(),
            (2000..2030u32).collect::<Vec<_>>()
        );
        assert_eq!(f.quiet_due(AgencyIx::new(0)).count(), 0);
        assert_eq!(f.len(), 0);
        f.recycle(due);
        f.recycle_stale(dups);
        // A new run reuses the chunks: the store does not grow.
        let (store, dup_store) = (f.buckets.store.len(), f.stale_buckets.store.len());
        f.reset(4, 1.0, 2);
        for i in 0..n {
            f.push(3.0, i, AgencyIx::new(0), LinkIx::NONE, ChannelIx::NONE);
        }
        assert_eq!(f.buckets.store.len(), store);
        assert_eq!(f.stale_buckets.store.len(), dup_store);
        assert_eq!(f.take_due(3).len(), n as usize);
    }
}

#[cfg(test)]
mod held {
    use super::*;

    /// Holders are kept per item and per agency, across word boundaries and as items are
    /// added, and a new run starts with nothing held.
    #[test]
    fn each_agency_holds_exactly_what_it_was_given() {
        let mut h = Held::default();
        h.reset(130);
        let given = [
            (0, 0),
            (63, 0),
            (64, 0),
            (129, 0),
            (5, 7),
            (128, 1000),
            (64, 1000),
        ];
        for &(a, i) in &given {
            assert!(h.insert(AgencyIx::new(a), i));
            assert!(!h.insert(AgencyIx::new(a), i), "({a}, {i}) twice");
        }
        for a in 0..130 {
            for i in [0, 1, 7, 999, 1000, 1001] {
                let want = given.contains(&(a, i));
                assert_eq!(h.holds(AgencyIx::new(a), i), want, "({a}, {i})");
            }
        }
        h.reset(130);
        assert!(!h.holds(AgencyIx::new(0), 0));
        assert!(h.insert(AgencyIx::new(0), 0));
    }
}
