//! Information flow: items (one per observation or false report), deliveries in flight, and
//! the sharing decision on each partnership link with its gates (clearance, channel, marking,
//! agreement, legal barriers, trust), blocked-but-needed counts and handling violations.

use super::agency::{AgencyEntities, AgencyIx, Holdings, Queue};
use super::clock::{Clock, Static};
use super::compile::{BlockReason, Compiled};
use super::failure::Channels;
use super::metrics::Tally;
use super::outcome::EventKind;
use super::partnership::{Links, Modifiers, TrustSignal};
use super::recorder::Recorder;
use super::threat::ThreatStates;
use crate::scenario::schema::{Agreement, Tlp};
use bevy_ecs::prelude::*;
use std::cmp::Ordering;
use std::collections::BinaryHeap;

/// An information item: one observation of a threat (or a false report), with its marking.
#[derive(Debug, Clone)]
pub struct Item {
    /// Threat index.
    pub threat: usize,
    /// Ground truth (hidden from players).
    pub truth: bool,
    /// Creation time [h].
    pub created: f64,
    /// Originating agency.
    pub origin: usize,
    /// Retracted as false.
    pub retracted: bool,
}

/// All items of the run, by index.
#[derive(Resource, Debug, Default)]
pub struct Items(pub Vec<Item>);

/// An item analysed by an agency at time `t`.
#[derive(Message, Debug, Clone, Copy)]
pub struct Analysed {
    /// Completion time [h].
    pub t: f64,
    /// Agency index.
    pub agency: usize,
    /// Item index.
    pub item: u32,
}

/// A delivery in flight.
#[derive(Debug, Clone, Copy)]
pub struct Delivery {
    /// Arrival time [h].
    pub t: f64,
    /// Insertion sequence (tie-break, keeps order deterministic).
    pub seq: u64,
    /// Item index.
    pub item: u32,
    /// Receiving agency.
    pub to: usize,
    /// Link it travelled on (None: observed or injected directly).
    pub link: Option<usize>,
    /// Channel it travelled on.
    pub channel: Option<usize>,
}

impl PartialEq for Delivery {
    fn eq(&self, o: &Self) -> bool {
        self.cmp(o) == Ordering::Equal
    }
}
impl Eq for Delivery {}
impl PartialOrd for Delivery {
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for Delivery {
    /// Reversed so the max-heap pops the earliest delivery first.
    fn cmp(&self, o: &Self) -> Ordering {
        o.t.total_cmp(&self.t).then(o.seq.cmp(&self.seq))
    }
}

/// Deliveries in flight, earliest first.
#[derive(Resource, Debug, Default)]
pub struct InFlight {
    /// The heap.
    pub heap: BinaryHeap<Delivery>,
    /// Next sequence number.
    pub seq: u64,
}

impl InFlight {
    /// Schedule a delivery.
    pub fn push(&mut self, t: f64, item: u32, to: usize, link: Option<usize>, ch: Option<usize>) {
        self.seq += 1;
        self.heap.push(Delivery {
            t,
            seq: self.seq,
            item,
            to,
            link,
            channel: ch,
        });
    }
}

/// Create an item observed (or injected) at `agency` at time `t` and schedule its arrival
/// there; records first detection.
pub fn create_item(
    items: &mut Items,
    flight: &mut InFlight,
    threats: &mut ThreatStates,
    threat: usize,
    truth: bool,
    agency: usize,
    t: f64,
) -> u32 {
    let ix = items.0.len() as u32;
    items.0.push(Item {
        threat,
        truth,
        created: t,
        origin: agency,
        retracted: false,
    });
    let ts = &mut threats.0[threat];
    if ts.detected_at.is_none() {
        ts.detected_at = Some(t);
    }
    flight.push(t, ix, agency, None, None);
    ix
}

/// Whether agency `a` wants items about `threat` (needs or acts on its kind, or relays).
pub fn relevant(st: &Compiled, a: usize, threat: usize) -> bool {
    let k = st.threats[threat].kind_ix;
    let ag = &st.agencies[a];
    ag.needs[k] || ag.acts_on[k] || ag.is_hub
}

/// Whether agency `a` needs items about `threat` (need-to-know or responsible).
pub fn needed(st: &Compiled, a: usize, threat: usize) -> bool {
    let k = st.threats[threat].kind_ix;
    st.agencies[a].needs[k] || st.agencies[a].acts_on[k]
}

/// Deliver everything due in this window: dedupe, perishability, recipients down (retried next
/// tick), then into the recipient's queue and holdings.
#[allow(clippy::too_many_arguments)]
pub fn deliver_items(
    clock: Res<Clock>,
    st: Res<Static>,
    ents: Res<AgencyEntities>,
    mods: Res<Modifiers>,
    mut flight: ResMut<InFlight>,
    items: Res<Items>,
    mut links: ResMut<Links>,
    mut tally: ResMut<Tally>,
    mut watch: ResMut<super::metrics::Watch>,
    mut rec: ResMut<Recorder>,
    mut signals: MessageWriter<TrustSignal>,
    mut agencies: Query<(&AgencyIx, &mut Queue, &mut Holdings)>,
) {
    let mut retry = Vec::new();
    while flight.heap.peek().is_some_and(|d| d.t < clock.end) {
        let Some(d) = flight.heap.pop() else { break };
        let it = &items.0[d.item as usize];
        if it.retracted {
            continue;
        }
        let th = &st.threats[it.threat];
        if let Some(p) = th.perish
            && d.t > it.created + p
        {
            tally.expired += 1;
            continue;
        }
        if !mods.0[d.to].up {
            retry.push(d);
            continue;
        }
        let Ok((_, mut q, mut h)) = agencies.get_mut(ents.0[d.to]) else {
            continue;
        };
        if !h.insert(d.item) {
            continue;
        }
        h.count += 1;
        h.sensitivity_held += th.sensitivity;
        if h.informed_at[it.threat].is_infinite() {
            if !h.informed_any() {
                watch.informed_any += 1;
            }
            watch.informed[it.threat] += 1;
        }
        if d.t < h.informed_at[it.threat] {
            h.informed_at[it.threat] = d.t;
        }
        q.waiting.push_back((d.t, d.item));
        let to = &st.agencies[d.to];
        if let Some(l) = d.link {
            let ls = &st.links[l];
            links.0[l].items += 1;
            tally.delivered += 1;
            if let Some(r) = ls.reverse {
                signals.write(TrustSignal { link: r, x: 1.0 });
            }
            rec.log(
                d.t,
                EventKind::Share,
                &to.id,
                &st.partnerships[ls.partnership],
                || {
                    let via = d
                        .channel
                        .map(|c| st.channels[c].name.as_str())
                        .unwrap_or("?");
                    format!(
                        "{} receives an item on {} from {} via {}",
                        to.name, th.name, st.agencies[ls.from].name, via
                    )
                },
            );
        } else {
            rec.log(d.t, EventKind::Detection, &to.id, "", || {
                if it.truth {
                    format!("{} observes a signal of {}", to.name, th.name)
                } else {
                    format!(
                        "{} receives a report on {} (false, unknown to players)",
                        to.name, th.name
                    )
                }
            });
        }
    }
    for d in retry {
        flight.push(clock.end, d.item, d.to, d.link, d.channel);
    }
}

/// Offer each item analysed this tick to the analysing agency's partners, through the gates.
#[allow(clippy::too_many_arguments)]
pub fn share_items(
    st: Res<Static>,
    mods: Res<Modifiers>,
    channels: Res<Channels>,
    mut analysed: MessageReader<Analysed>,
    items: Res<Items>,
    mut flight: ResMut<InFlight>,
    mut links: ResMut<Links>,
    mut threats: ResMut<ThreatStates>,
    mut tally: ResMut<Tally>,
    mut rec: ResMut<Recorder>,
    mut signals: MessageWriter<TrustSignal>,
) {
    use crate::scenario::schema::Function;
    let dissem = super::compile::function_bit(Function::Dissemination);
    for m in analysed.read() {
        let item = &items.0[m.item as usize];
        if item.retracted {
            continue;
        }
        let th = &st.threats[item.threat];
        let sender = &st.agencies[m.agency];
        let ms = &mods.0[m.agency];
        if !ms.up || ms.stalled || ms.lost & dissem != 0 {
            continue;
        }
        let resharing = item.origin != m.agency;
        for &l in &sender.out_links {
            let ls = &st.links[l];
            let w = ls.to;
            if !relevant(&st, w, item.threat) {
                continue;
            }
            let need = needed(&st, w, item.threat);
            let state = &mut links.0[l];
            // One uniform per offer, whatever the outcome, keeps streams aligned across variants.
            let u_share: f64 = rand::RngExt::random(&mut state.rng);
            let u_violate: f64 = rand::RngExt::random(&mut state.rng);
            // The sender's choice first: a block counts only an offer it would have made.
            if u_share >= ls.p0 * state.trust {
                continue;
            }
            if state.withdrawn || state.inject_withdrawn > 0 {
                if need {
                    tally.block(BlockReason::Withdrawn);
                }
                continue;
            }
            if state.held > 0 {
                if need {
                    tally.block(BlockReason::Legal);
                }
                continue;
            }
            let block = |tally: &mut Tally, rec: &mut Recorder, r: BlockReason| {
                if need {
                    tally.block(r);
                    rec.log(
                        m.t,
                        EventKind::Blocked,
                        &sender.id,
                        &st.partnerships[ls.partnership],
                        || {
                            format!(
                                "{} cannot pass an item on {} to {}: blocked by {}",
                                sender.name,
                                th.name,
                                st.agencies[w].name,
                                r.id()
                            )
                        },
                    );
                }
            };
            if th.class > st.agencies[w].clearance {
                block(&mut tally, &mut rec, BlockReason::Clearance);
                continue;
            }
            let Some(ch) = ls
                .channels
                .iter()
                .copied()
                .find(|&c| channels.0[c].up() && st.channels[c].max_class >= th.class)
            else {
                block(&mut tally, &mut rec, BlockReason::Channel);
                continue;
            };
            let marking_ok = th.tlp <= ls.max_tlp
                && (ls.agreement != Agreement::None || th.tlp <= Tlp::Green)
                && !(resharing && th.tlp >= Tlp::AmberStrict);
            let mut violation = false;
            if !marking_ok {
                if u_violate < 1.0 - sender.compliance {
                    violation = true;
                } else {
                    block(&mut tally, &mut rec, BlockReason::Marking);
                    continue;
                }
            }
            let mut delay = 0.0;
            let mut legal_block = false;
            for &(p, d, min_class) in &ls.barriers {
                let u: f64 = rand::RngExt::random(&mut state.rng);
                if th.class >= min_class {
                    if u < p {
                        legal_block = true;
                    } else {
                        delay += d;
                    }
                }
            }
            if legal_block {
                block(&mut tally, &mut rec, BlockReason::Legal);
                continue;
            }
            let latency = st.channels[ch].latency.sample(&mut state.rng);
            state.given += th.sensitivity;
            if channels.0[ch].compromised > 0 {
                tally.exposure += th.sensitivity;
                state.compromised = true;
                rec.log(
                    m.t,
                    EventKind::Leak,
                    &sender.id,
                    &st.channels[ch].id,
                    || {
                        format!(
                            "An item on {} crosses the compromised {}: exposed",
                            th.name, st.channels[ch].name
                        )
                    },
                );
            }
            if violation {
                tally.violations += 1;
                if st.agencies[w].kind == crate::scenario::schema::AgencyKind::Public {
                    tally.exposure += th.sensitivity;
                }
                if let Some(&ol) = st.agencies[item.origin]
                    .out_links
                    .iter()
                    .find(|&&ol| st.links[ol].to == m.agency)
                {
                    signals.write(TrustSignal { link: ol, x: -1.0 });
                }
                rec.log(
                    m.t,
                    EventKind::HandlingViolation,
                    &sender.id,
                    &st.partnerships[ls.partnership],
                    || {
                        format!(
                            "{} passes a {:?} item on {} to {} beyond what its marking or agreement allows",
                            sender.name, th.tlp, th.name, st.agencies[w].name
                        )
                    },
                );
            }
            let ts = &mut threats.0[item.threat];
            if ts.first_share_at.is_none_or(|f| m.t < f) {
                ts.first_share_at = Some(m.t);
            }
            if !item.truth && ts.first_false_share_at.is_none() {
                ts.first_false_share_at = Some(m.t);
            }
            flight.push(m.t + latency + delay, m.item, w, Some(l), Some(ch));
        }
    }
}
