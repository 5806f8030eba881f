//! Information flow: deliveries handed over in each tick, and the sharing decision on each
//! partnership link with its gates (clearance, channel, marking, agreement, legal barriers,
//! trust), blocked-but-needed counts and handling violations.

use super::compile::{
    AgencyStatic, Barrier, BlockReason, Compiled, LinkStatic, Marking, ViolationKind, broken_rules,
    function_bit, is_legal_finding, reshare_breach,
};
use super::compile::{Effect, LinkSend, SendTables, Trigger};
use super::ids::{AgencyIx, ChannelIx, LinkIx, PartnershipIx, ThreatIx};
use super::outcome::EventKind;
use super::recorder::Recorder;
use super::rng::{Deferred, chance};
use super::state::{
    Agencies, Analysed, ChannelState, Delivery, Duplicate, EXPOSURE_HOPS, InFlight, InjectStates,
    Item, Items, Links, ModsDue, NO_ITEM, Tally, Tick, TrustSignal, change_gate, charge_upstream,
};
use crate::scenario::schema::{Classification, Function, Tlp};
use bevy_ecs::prelude::*;

/// Add the items and deliveries in flight to the world.
pub(crate) fn install(world: &mut World) {
    world.init_resource::<Items>();
    world.init_resource::<InFlight>();
}

/// Empty the items and the deliveries in flight for a new run, keeping their buffers.
pub(crate) fn reset(world: &mut World, st: &Compiled) {
    let mut items = world.resource_mut::<Items>();
    items.0.clear();
    items.1 = 0;
    world
        .resource_mut::<InFlight>()
        .reset(st.ticks, st.dt, st.agencies.len());
}

/// What the sharing loop touches to trip `FirstOffer` injects.
pub(crate) struct Trips<'a> {
    /// The MSEL's state.
    pub(crate) inj: &'a mut InjectStates,
    /// Set when a tripped withdrawal or hold changes what modifiers derive from.
    pub(crate) due: &'a mut ModsDue,
}

/// Trip the `FirstOffer` injects that watch partnership `p` and `threat`, each once, when a
/// sender at time `t` is about to pass an item over it. A withdrawal or legal hold of `p`
/// itself takes effect at once (before the item's gates are checked), so the item that
/// tripped it does not cross; any other effect is left to the MSEL at the next tick.
fn trip_first_offers(
    st: &Compiled,
    trips: &mut Trips,
    links: &mut Links,
    rec: &mut Recorder,
    (p, threat, t): (PartnershipIx, ThreatIx, f64),
) {
    let inj = &mut *trips.inj;
    for &i in &st.offer_trips {
        let i = i.ix();
        let s = &st.injects[i];
        let Trigger::FirstOffer {
            partnership: q,
            threat: th,
        } = s.trigger
        else {
            continue;
        };
        if q != p || th != threat || inj.done[i] || inj.tripped.iter().any(|e| e.1 == i) {
            continue;
        }
        let (Effect::Withdrawal(e) | Effect::LegalHold(e)) = s.effect else {
            inj.tripped.push((t, i));
            continue;
        };
        if e != p {
            inj.tripped.push((t, i));
            continue;
        }
        inj.done[i] = true;
        if !chance(&mut inj.rng[i], s.p) {
            continue;
        }
        inj.fired_at[i] = Some(t);
        if let Some(d) = s.duration {
            inj.ending.push((t + d, i));
        }
        rec.log(t, EventKind::Inject, &s.id, "", || {
            format!("Inject {}: {}", s.number, s.synopsis)
        });
        let hold = matches!(s.effect, Effect::LegalHold(_));
        for (ls, state) in st.links.iter().zip(links.0.iter_mut()) {
            if ls.partnership == p {
                change_gate(state, &mut links.1.closed, |state| {
                    if hold {
                        state.held += 1;
                    } else {
                        state.inject_withdrawn += 1;
                        state.mark_withdrawn(t);
                    }
                    state.ever_lost = true;
                });
            }
        }
        trips.due.mark();
    }
}

/// Deliver everything due in this window: dedupe, perishability, recipients down (retried next
/// tick), then into the recipient's queue and holdings.
#[cfg(test)]
pub(crate) fn deliver_items(mut s: super::state::RunState, mut spare: Local<Vec<Delivery>>) {
    deliver(s.tick(), &mut spare);
}

/// The Delivery phase (see [`deliver_items`]), with the spare buffer of parked deliveries.
pub(crate) fn deliver(t: Tick, spare: &mut Vec<Delivery>) {
    let Tick {
        clock,
        st,
        rec,
        items,
        flight,
        links,
        tally,
        agencies,
        watch,
        ..
    } = t;
    let Agencies {
        queue,
        holdings,
        held,
        mods,
        down,
        backlog,
        active,
        ..
    } = &mut *agencies;
    let due = flight.take_due(clock.tick);
    let stale = flight.take_stale();
    let (mut waiting, mark) = flight.take_parked();
    let mut parked = std::mem::take(spare);
    // Parked deliveries are offered again at the start of the tick, after what arrives before
    // that instant or was scheduled for it before the last Delivery phase ended.
    let now = clock.now;
    let split = due.partition_point(|d| d.t < now || (d.t == now && d.seq <= mark));
    let offered = due[..split]
        .iter()
        .copied()
        .chain(waiting.iter().map(|&d| Delivery { t: now, ..d }))
        .chain(due[split..].iter().copied());
    for d in offered {
        let it = &items.0[d.item as usize];
        if it.retracted {
            continue;
        }
        let th = &st.threats[it.threat.ix()];
        if let Some(p) = th.perish
            && d.t > it.created + p
        {
            tally.expired += 1;
            continue;
        }
        let to = d.to.ix();
        if !mods[to].up {
            parked.push(d);
            continue;
        }
        if !held.insert(d.to, d.item) {
            // An echo or duplicate: of no use to the receiver, neither a good nor a bad
            // experience (docs/model.md §7).
            continue;
        }
        let h = &mut holdings[to];
        h.count += 1;
        let sensitivity = th.marking_of(it.tearline).sensitivity;
        h.sensitivity_held += sensitivity;
        let ti = it.threat.ix();
        if h.informed_at[ti].is_infinite() {
            if !h.informed_any() {
                watch.informed_any += 1;
            }
            h.informed_threats += 1;
            watch.informed[ti] += 1;
        }
        if d.t < h.informed_at[ti] {
            h.informed_at[ti] = d.t;
        }
        queue[to].waiting.push_back((d.t, d.item));
        Agencies::activate(active, to);
        *backlog += 1;
        let ag = &st.agencies[to];
        if let Some(l) = d.link.get() {
            let ls = &st.links[l.ix()];
            let lk = &mut links.0[l.ix()];
            lk.items += 1;
            if lk.first_item_at.is_none_or(|f| d.t < f) {
                lk.first_item_at = Some(d.t);
            }
            if st.first_by_threat {
                match lk.first_by_threat.iter_mut().find(|e| e.0 == it.threat) {
                    Some(e) => e.1 = e.1.min(d.t),
                    None => lk.first_by_threat.push((it.threat, d.t)),
                }
            }
            lk.received += sensitivity;
            tally.delivered += 1;
            // What the receiver makes of it (docs/model.md §7): a true, timely item is useful
            // (value given by the sender, a good experience of it), a false one a bad
            // experience, a stale one of no use (neither).
            let timely = d.t - it.created <= st.timely_within;
            if it.truth && timely {
                lk.value += sensitivity;
                lk.value_total += sensitivity;
            } else if !it.truth
                && let Err(k) = lk.false_threats.binary_search(&it.threat)
            {
                lk.false_threats.insert(k, it.threat);
                links.1.false_delivered = true;
            }
            if let Some(r) = ls.reverse {
                let back = &mut links.0[r.ix()];
                if !it.truth {
                    back.bad += 1.0;
                } else if timely {
                    back.good += 1.0;
                }
            }
            rec.log(
                d.t,
                EventKind::Share,
                &ag.id,
                &st.partnerships[ls.partnership.ix()],
                || {
                    let via = d
                        .channel
                        .get()
                        .map(|c| st.channels[c.ix()].name.as_str())
                        .unwrap_or("?");
                    format!(
                        "{} receives an item on {} from {} via {}",
                        ag.name,
                        th.name,
                        st.agencies[ls.from.ix()].name,
                        via
                    )
                },
            );
        } else {
            rec.log(d.t, EventKind::Detection, &ag.id, "", || {
                if it.truth {
                    format!("{} observes a signal of {}", ag.name, th.name)
                } else {
                    format!(
                        "{} receives a report on {} (false, unknown to players)",
                        ag.name, th.name
                    )
                }
            });
        }
    }
    // Known duplicates last, in any order: each is a count (docs/model.md §7), worked out
    // as the general path above would, but without reading the holdings. A stale one expires
    // unless its item was retracted since it was sent; one that is not stale is read only
    // for a recipient down in this tick, where it is parked (for a recipient that is up it
    // does nothing: `InFlight::push_duplicate`).
    for x in &stale {
        if !x.retracted_since(items) {
            tally.expired += 1;
        }
    }
    for &to in down.iter() {
        for x in flight.quiet_due(to) {
            if !x.retracted_since(items) {
                parked.push(Delivery {
                    t: now,
                    seq: 0,
                    item: x.item,
                    to,
                    // Its holder already has it: no link carries it in (step 4).
                    link: LinkIx::NONE,
                    channel: ChannelIx::NONE,
                });
            }
        }
    }
    flight.recycle(due);
    flight.recycle_stale(stale);
    flight.park(parked);
    // The two parked lists take turns, so neither is allocated again.
    waiting.clear();
    *spare = waiting;
}

/// Offer each item analysed this tick to the analysing agency's partners, through the gates.
/// An item analysed by an agency whose sharing is bound to a team at the console is not offered: it becomes a
/// share point for the team. The team's decisions (taken before this tick) are offered first,
/// at the start of the tick, on the links the team picked and under the TLP it chose.
#[cfg(test)]
pub(crate) fn share_items(mut s: super::state::RunState, mut buffers: Local<Sharing>) {
    share(s.tick(), &mut buffers);
}

/// The Sharing phase's buffers, kept between ticks.
#[derive(Debug, Default)]
pub(crate) struct Sharing {
    /// The links a sender chooses (by position among its out-links), with their compliance
    /// draws.
    chosen: Vec<(u32, Deferred)>,
    /// The offers of one item that passed the gates, in order, to be put in flight.
    passed: Vec<Passed>,
}

/// An offer that passed the gates: what putting it in flight needs.
#[derive(Debug, Clone, Copy)]
struct Passed {
    /// Arrival time [h].
    at: f64,
    /// The item sent (the tearline version, when one is sent).
    sent: u32,
    /// Recipient.
    to: AgencyIx,
    /// Link.
    link: LinkIx,
    /// Channel.
    channel: ChannelIx,
}

/// The Sharing phase (see [`share_items`]), with its buffers.
pub(crate) fn share(t: Tick, buffers: &mut Sharing) {
    let Tick {
        clock,
        st,
        rec,
        items,
        flight,
        links,
        tally,
        agencies,
        channels,
        threats,
        inj,
        due,
        analysed,
        cursors,
        signals,
        console,
        ..
    } = t;
    let Sharing { chosen, passed } = buffers;
    let mut trips = Trips { inj, due };
    let dissem = function_bit(Function::Dissemination);
    let decided = std::mem::take(&mut console.share_out);
    let now = clock.now;
    let offers = decided
        .into_iter()
        .map(|c| (now, c.agency, c.item, c.pick, true))
        .chain(
            cursors
                .share
                .read(analysed)
                .map(|m| (m.t, m.agency, m.item, None, false)),
        );
    for (t, agency, item_ix, pick, from_console) in offers {
        let m = Analysed {
            t,
            agency,
            item: item_ix,
        };
        let item = items.0[m.item as usize].clone();
        if item.retracted {
            continue;
        }
        let th = &st.threats[item.threat.ix()];
        let sender = &st.agencies[m.agency.ix()];
        let ms = &agencies.mods[m.agency.ix()];
        if !ms.up || ms.stalled || ms.lost & dissem != 0 {
            continue;
        }
        if !from_console && console.shares_for(m.agency) {
            // The team decides where this item goes (docs/console.md).
            if !sender.out_links.is_empty() {
                console.raise_share(m.agency, m.item, m.t);
            }
            continue;
        }
        let resharing = item.origin != m.agency;
        let kind_bit = 1u8 << th.kind_ix;
        let p_share = 1.0 - ms.impaired[2];
        let tables = &st.send;
        let (first_slot, out) = tables.out_of(m.agency);
        let team_tlp = pick.as_ref().map(|p| p.1);
        // The sender's choice first, on every link (a block counts only an offer it would
        // have made): the links it offers the item to, in order, each with its compliance
        // draw. Each link draws from its own stream, so taking the choices before the gates
        // draws the same numbers as taking them link by link. (Written without a branch on
        // the draw, which no predictor can guess.)
        chosen.clear();
        chosen.resize(out.len(), (0, Deferred::default()));
        let mut n = 0;
        for (i, hot) in out.iter().enumerate() {
            let (take, violate) = match &pick {
                // The team chose to offer it: no draw for the sender's choice or compliance.
                Some((to, _)) => (to.contains(&hot.link), Deferred::default()),
                None => {
                    if hot.relevant & kind_bit == 0 {
                        continue;
                    }
                    let rng = &mut links.1.rng[first_slot + i];
                    // One uniform per offer, whatever the outcome, keeps streams aligned
                    // across variants.
                    let u_share: f64 = rand::RngExt::random(rng);
                    // The compliance draw is worked out only for an offer that breaks a
                    // rule (`Stream::defer`).
                    let violate = rng.defer();
                    (
                        u_share < hot.p0 * links.1.trust_by_slot[first_slot + i] * p_share,
                        violate,
                    )
                }
            };
            chosen[n] = (i as u32, violate);
            n += usize::from(take);
        }
        chosen.truncate(n);
        for &(i, violate) in chosen.iter() {
            let hot = &out[i as usize];
            let (l, slot) = (hot.link.ix(), first_slot + i as usize);
            let need = hot.needed & kind_bit != 0;
            let ls = &tables.send[slot];
            if !st.offer_trips.is_empty() {
                let at = (ls.partnership, item.threat, m.t);
                trip_first_offers(st, &mut trips, links, rec, at);
            }
            let w = ls.to.ix();
            if links.1.any_closed(&links.0) {
                let state = &links.0[l];
                if state.is_withdrawn() {
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
            }
            let block = |tally: &mut Tally, rec: &mut Recorder, r: BlockReason| {
                if need {
                    tally.block(r);
                    rec.log(
                        m.t,
                        EventKind::Blocked,
                        &sender.id,
                        &st.partnerships[ls.partnership.ix()],
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
            // Clearance governs classified items only: an unclassified or controlled item (CUI)
            // is governed by its TLP and the agreement, checked below (the verdicts are
            // worked out once per scenario: `compile::SendTables`).
            let verdict = tables.verdict(slot, item.threat);
            let channel = |mk: &Marking| link_channel(ls, tables, &channels.0, st, mk.class);
            // A partner who may not receive the full item (not cleared, or no channel for
            // its class) gets the threat's tearline, when it has one and the partnership
            // writes tearlines: the releasable version, written by this sender, who is its
            // originator.
            let tearline = ls.tearlines
                && !item.tearline
                && th.tearline.is_some()
                && (!verdict.cleared[0] || channel(&th.marking).is_none());
            // The marking offered: 0 the threat's own, 1 its tearline (`Verdict`'s index).
            let marking = usize::from(item.tearline || tearline);
            let mk = th.marking_of(marking == 1);
            if !verdict.cleared[marking] {
                block(tally, rec, BlockReason::Clearance);
                continue;
            }
            let Some(ch) = channel(mk) else {
                block(tally, rec, BlockReason::Channel);
                continue;
            };
            let resharing = resharing && !tearline;
            let own = *mk;
            let (mk, broken) = match team_tlp {
                Some(tlp) => {
                    team_marking(&own, tlp, sender, &st.agencies[w], &st.links[l], resharing)
                }
                None => (own, verdict.broken[2 * marking + usize::from(resharing)]),
            };
            let mk = &mk;
            if broken != 0
                && team_tlp.is_none()
                && violate.uniform(&links.1.rng[slot]) >= ls.p_violate
            {
                block(tally, rec, BlockReason::Marking);
                continue;
            }
            let violation = broken != 0;
            let mut delay = 0.0;
            let mut legal_block = false;
            if ls.barriers {
                for &Barrier {
                    block_p: p,
                    delay_h: d,
                    min_class,
                } in &st.links[l].barriers
                {
                    let u: f64 = rand::RngExt::random(&mut links.1.rng[slot]);
                    if mk.class >= min_class {
                        if u < p {
                            legal_block = true;
                        } else {
                            delay += d;
                        }
                    }
                }
            }
            if legal_block {
                block(tally, rec, BlockReason::Legal);
                continue;
            }
            let latency = st.channels[ch].latency.sample(&mut links.1.rng[slot]);
            // Exposure on this link, to charge on to the links that brought a re-shared item
            // to the sender.
            let mut exposed = 0.0;
            if channels.0[ch].compromised > 0 {
                let state = &mut links.0[l];
                tally.exposure += mk.sensitivity;
                state.exposure += mk.sensitivity;
                exposed += mk.sensitivity;
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
                // Every violation exposes the item to a party the rules exclude, is counted
                // by kind on the link, may be a legal finding, and costs the sender the
                // originator's trust.
                let state = &mut links.0[l];
                tally.violations += 1;
                state.violating_offers += 1;
                for k in ViolationKind::ALL {
                    if broken & k.bit() != 0 {
                        tally.violation_kinds[k.index()] += 1;
                        state.violations[k.index()] += 1;
                    }
                }
                if is_legal_finding(broken, mk.class) {
                    tally.legal_findings += 1;
                    state.legal_findings += 1;
                }
                tally.exposure += mk.sensitivity;
                state.exposure += mk.sensitivity;
                exposed += mk.sensitivity;
                if let Some(&ol) = st.agencies[item.origin.ix()]
                    .out_links
                    .iter()
                    .find(|&&ol| st.links[ol.ix()].to == m.agency)
                {
                    signals.write(TrustSignal { link: ol, x: -1.0 });
                }
                rec.log(
                    m.t,
                    EventKind::HandlingViolation,
                    &sender.id,
                    &st.partnerships[ls.partnership.ix()],
                    || {
                        format!(
                            "{} passes a TLP:{} item on {} to {} beyond what its marking or agreement allows ({})",
                            sender.name, mk.tlp.label(), th.name, st.agencies[w].name,
                            ViolationKind::ALL
                                .iter()
                                .filter(|k| broken & k.bit() != 0)
                                .map(|k| k.id())
                                .collect::<Vec<_>>()
                                .join(", ")
                        )
                    },
                );
            }
            if exposed > 0.0 {
                if !resharing {
                    // The sender's own collection: all of it is the originator's loss on this
                    // link.
                    links.0[l].origin_exposure += exposed;
                } else {
                    // A received item: the sender did not originate it, so only the
                    // partnerships that brought it (and their senders' own parts) are charged.
                    charge_upstream(
                        st,
                        &mut links.0,
                        &agencies.holdings,
                        (m.agency, AgencyIx::new(w), LinkIx::NONE),
                        exposed,
                        EXPOSURE_HOPS - 1,
                    );
                }
            }
            let sent = if tearline {
                tearline_of(items, m.item, m.agency)
            } else {
                m.item
            };
            passed.push(Passed {
                at: m.t + latency + delay,
                sent,
                to: AgencyIx::new(w),
                link: hot.link,
                channel: ChannelIx::new(ch),
            });
        }
        if !passed.is_empty() {
            // The threat's first share (of a false item) is now, if not earlier.
            let ts = &mut threats.0[item.threat.ix()];
            if ts.first_share_at.is_none_or(|f| m.t < f) {
                ts.first_share_at = Some(m.t);
            }
            if !item.truth && ts.first_false_share_at.is_none() {
                ts.first_false_share_at = Some(m.t);
            }
        }
        // Into flight, in the order offered, once the item's offers are all drawn: each
        // arrival time waits on its latency draw, and the next offer's gates need not wait
        // for it.
        for p in passed.drain(..) {
            if agencies.held.holds(p.to, p.sent) {
                let dup = Duplicate {
                    item: p.sent,
                    to: p.to,
                    retractions: items.1,
                    stale: th.perish.is_some_and(|d| p.at > item.created + d),
                };
                flight.push_duplicate(p.at, dup);
            } else {
                flight.push(p.at, p.sent, p.to, p.link, p.channel);
            }
        }
    }
}

/// The first of the link's channels (`ls`) that is up and carries `class`: the first channel
/// without reading the link's list, the others from it.
#[inline(always)]
fn link_channel(
    ls: &LinkSend,
    tables: &SendTables,
    states: &[ChannelState],
    st: &Compiled,
    class: Classification,
) -> Option<usize> {
    let fits = |&c: &usize| states[c].up() && st.channels[c].max_class >= class;
    let first = ls.first.get()?.ix();
    if fits(&first) {
        return Some(first);
    }
    tables.channels[ls.channels.0 as usize + 1..ls.channels.1 as usize]
        .iter()
        .map(|c| c.ix())
        .find(fits)
}

/// The marking of an offer a team marked `tlp`, and the rules the offer breaks. The team's TLP
/// replaces the item's own (`own`) on this offer: the agreement, the partnership's highest TLP
/// and the public rule are judged on it. A re-sharer may not lower the originator's marking
/// (doing so is a TLP breach), and the item's own one-hop (RED) and in-organisation
/// (AMBER+STRICT) limits still bind it. Class, 28 CFR Part 23, PII and sensitivity stay the
/// item's.
pub(crate) fn team_marking(
    own: &Marking,
    tlp: Tlp,
    sender: &AgencyStatic,
    to: &AgencyStatic,
    ls: &LinkStatic,
    resharing: bool,
) -> (Marking, u8) {
    let marked = Marking { tlp, ..*own };
    let mut broken = broken_rules(&marked, sender, to, ls, false);
    if resharing && (tlp < own.tlp || reshare_breach(own, sender, to)) {
        broken |= ViolationKind::Tlp.bit();
    }
    (marked, broken)
}

/// The tearline version of item `full`, written by `writer` the first time a holder needs it
/// and shared by every later one: it keeps the full item's threat, truth, creation time and
/// source (so it never corroborates the full item), and takes its threat's tearline marking.
fn tearline_of(items: &mut Items, full: u32, writer: AgencyIx) -> u32 {
    let existing = items.0[full as usize].tearline_item;
    if existing != NO_ITEM {
        return existing;
    }
    let ix = items.0.len() as u32;
    let src = &items.0[full as usize];
    let derived = Item {
        origin: writer,
        tearline: true,
        tearline_item: NO_ITEM,
        ..src.clone()
    };
    items.0.push(derived);
    items.0[full as usize].tearline_item = ix;
    ix
}
