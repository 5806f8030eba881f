//! Partnerships: directed links with trust, reputation damage and an equity ledger; the
//! benefits a working partnership brings (collection, technology, regional knowledge,
//! resources) and the functions an agency loses when a partner it depends on is down.
//!
//! Trust (docs/model.md §7) moves three ways:
//! * **shocks**, bad experiences as they happen (violations, leaks, failures, retractions),
//!   through the asymmetric two-layer model of Pant & Yu (2025): s = tanh(κ·x); if s > 0,
//!   T ← T + λ⁺·s·max(0, Θ − T) with the ceiling Θ = 1 − R; otherwise T ← T + λ⁻·s·T and
//!   R ← R + d·|s|·(1 − R), with λ⁻ = bias·λ⁺;
//! * **usefulness**, at each review window's end: T ← T + α·(Θ·u − T) with
//!   u = good ÷ (good + bias·bad), so trust converges to T* = Θ·u, set by the ratio of good to
//!   bad experiences, not by the volume of traffic;
//! * **equity**, at each window's end on mutual partnerships: x = ln((V + 1) ÷ (G + 1)) −
//!   ln(E), fed without saturation: T ← T·e^{η·x} when x < 0, T ← T + (Θ − T)·(1 − e^{−η·x})
//!   when x > 0.

use super::compile::{Benefit, Compiled};
use super::ids::{AgencyIx, LinkIx};
use super::outcome::EventKind;
use super::rng::RunSeed;
use super::state::{
    Agencies, LinkSide, LinkState, Links, Mods, ModsDue, Tick, change_gate, equity_log_ratio,
};
use bevy_ecs::prelude::*;

/// Add the links' state to the world.
pub(crate) fn install(world: &mut World) {
    world.init_resource::<Links>();
    world.init_resource::<ModsDue>();
}

/// Set every link to the start of run `seed`.
pub(crate) fn reset(world: &mut World, st: &Compiled, seed: RunSeed) {
    *world.resource_mut::<ModsDue>() = ModsDue::default();
    let mut links = world.resource_mut::<Links>();
    links.1.false_delivered = false;
    links.1.mean_trust = None;
    links.1.closed = 0;
    links.1.recount = false;
    links.1.rng.clear();
    links.1.trust.clear();
    links.1.trust.extend(st.links.iter().map(|l| l.trust0));
    links.1.trust_by_slot.clear();
    links
        .1
        .trust_by_slot
        .extend(st.send.hot.iter().map(|h| st.links[h.link.ix()].trust0));
    // By slot, the sharing tables' order (`SendTables`).
    links.1.rng.extend(
        st.send
            .hot
            .iter()
            .map(|h| seed.keyed(st.keys.link[h.link.ix()])),
    );
    // Each link's state is set back in place: the lists it kept keep their room, so a
    // worker does not allocate them again run after run.
    links.0.resize_with(st.links.len(), LinkState::new);
    links.0.iter_mut().for_each(LinkState::clear);
}

/// Trust model constants.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TrustParams {
    /// λ⁺, gain per unit signal, [0, 1].
    pub(crate) gain: f64,
    /// λ⁻ / λ⁺, the negativity bias, ≥ 1.
    pub(crate) bias: f64,
    /// κ, signal sensitivity, > 0.
    pub(crate) kappa: f64,
    /// Damage rate d, [0, 1].
    pub(crate) damage_rate: f64,
}

/// Apply one experience to (trust, damage); returns the new pair.
pub(crate) fn update_trust_value(t: f64, r: f64, x: f64, p: TrustParams) -> (f64, f64) {
    let s = (p.kappa * x).tanh();
    if s > 0.0 {
        let ceiling = 1.0 - r;
        ((t + p.gain * s * (ceiling - t).max(0.0)).clamp(0.0, 1.0), r)
    } else {
        let t2 = (t + p.gain * p.bias * s * t).clamp(0.0, 1.0);
        let r2 = (r + p.damage_rate * s.abs() * (1.0 - r)).clamp(0.0, 1.0);
        (t2, r2)
    }
}

/// Apply one equity assessment of log ratio `x` (docs/model.md §7) to (trust, damage),
/// without saturation: x < 0 scales trust by e^{η·x} and adds 1 − e^{d·x} of the headroom
/// to the damage; x > 0 closes 1 − e^{−η·x} of the gap to the ceiling Θ = 1 − R.
pub(crate) fn equity_trust_value(t: f64, r: f64, x: f64, eta: f64, d: f64) -> (f64, f64) {
    if x < 0.0 {
        let t2 = t * (eta * x).exp();
        let r2 = r + (1.0 - r) * (1.0 - (d * x).exp());
        (t2.clamp(0.0, 1.0), r2.clamp(0.0, 1.0))
    } else {
        let gap = (1.0 - r - t).max(0.0);
        ((t + gap * (1.0 - (-eta * x).exp())).clamp(0.0, 1.0), r)
    }
}

/// Move trust toward the usefulness target Θ·u at a window's end: `good` and `bad`
/// experiences in the window, u = good ÷ (good + bias·bad), T ← T + α·(Θ·u − T). Items of no
/// use (echoes, duplicates, stale items) count neither way. No experience, no change.
pub(crate) fn usefulness_trust_value(
    t: f64,
    r: f64,
    (good, bad): (f64, f64),
    alpha: f64,
    bias: f64,
) -> f64 {
    let n = good + bias * bad;
    if n <= 0.0 {
        return t;
    }
    let target = (1.0 - r) * good / n;
    (t + alpha * (target - t)).clamp(0.0, 1.0)
}

/// Recompute availability, lost functions and the benefits of working partnerships, when
/// something they derive from changed (see [`ModsDue`]).
#[cfg(test)]
pub(crate) fn apply_benefits(mut s: super::state::RunState) {
    benefits(s.tick());
}

/// The Benefits phase (see [`apply_benefits`]).
pub(crate) fn benefits(t: Tick) {
    let Tick {
        clock,
        st,
        links,
        agencies,
        due,
        ..
    } = t;
    if !due.stale(clock.now) {
        return;
    }
    let Agencies {
        status,
        mods,
        down,
        any_lost,
        any_exposure,
        ..
    } = &mut *agencies;
    let mut stall_ends = f64::INFINITY;
    for (m, s) in mods.iter_mut().zip(status.iter()) {
        let stalled = s.stalled_until > clock.now;
        if stalled {
            stall_ends = stall_ends.min(s.stalled_until);
        }
        // Arrivals in force add their resources as a lender would.
        *m = Mods {
            up: s.up(),
            stalled,
            extra_analysts: s.arrived_analysts,
            extra_processing: s.arrived_processing,
            extra_shelter: s.arrived_shelter,
            ..Mods::default()
        };
    }
    down.clear();
    down.extend(
        mods.iter()
            .enumerate()
            .filter(|(_, m)| !m.up)
            .map(|(ix, _)| AgencyIx::new(ix)),
    );
    // Benefits still in their lead time start later: recompute then.
    for &li in &st.benefit_links {
        let from = st.links[li.ix()].benefits_from;
        if from > clock.now {
            stall_ends = stall_ends.min(from);
        }
    }
    due.recomputed(stall_ends);
    for &li in &st.benefit_links {
        let li = li.ix();
        let l = &st.links[li];
        let ls = &links.0[li];
        let works = mods[l.from.ix()].up
            && mods[l.to.ix()].up
            && !ls.is_closed()
            && clock.now >= l.benefits_from;
        if !works {
            continue;
        }
        for lb in &l.benefits {
            let m = &mut mods[lb.receiver.ix()];
            match lb.benefit {
                Benefit::Collection { kind, p } => {
                    m.extra_collect[kind] = 1.0 - (1.0 - m.extra_collect[kind]) * (1.0 - p);
                }
                Benefit::Technology { speedup } => m.speedup = m.speedup.max(speedup),
                Benefit::Regional {
                    relief,
                    screening,
                    discrimination,
                } => {
                    m.relief += relief;
                    m.discrimination += discrimination;
                    m.screening = 1.0 - (1.0 - m.screening) * (1.0 - screening);
                }
                Benefit::Resources {
                    analysts,
                    processing,
                    shelter,
                } => {
                    m.extra_analysts += analysts;
                    m.extra_processing += processing;
                    m.extra_shelter += shelter;
                    // The lender works without what it lends while the link works.
                    let g = &mut mods[lb.giver.ix()];
                    g.lent_analysts += analysts;
                    g.extra_processing -= processing;
                    g.extra_shelter -= shelter;
                }
            }
        }
    }
    // A lender cannot lend below nothing: its processing and shelter stop at zero.
    for ((m, ag), s) in mods.iter_mut().zip(&st.agencies).zip(status.iter()) {
        let (own_p, own_s) = ag
            .processing
            .map_or((0.0, 0.0), |p| (p.per_hour * s.factor, p.shelter));
        m.extra_processing = m.extra_processing.max(-own_p);
        m.extra_shelter = m.extra_shelter.max(-own_s);
    }
    for (a, ag) in st.agencies.iter().enumerate() {
        let mut lost = 0;
        let (mut impaired, mut rate) = ([0.0; 4], 0.0);
        for d in &ag.depends_links {
            // A partner is lost when it is down, withdrawn, or its shared service is out.
            let partner_down = !mods[d.partner.ix()].up || status[d.partner.ix()].service_out > 0;
            let cut_off = d.links.iter().any(|&l| links.0[l.ix()].is_withdrawn());
            if partner_down || cut_off {
                if d.degree >= 1.0 {
                    lost |= d.function;
                } else {
                    let f = d.function.trailing_zeros() as usize;
                    impaired[f] = 1.0 - (1.0 - impaired[f]) * (1.0 - d.degree);
                }
                rate += d.degree;
            }
        }
        mods[a].lost = lost;
        mods[a].impaired = impaired;
        mods[a].exposure_rate = rate;
    }
    *any_lost = mods.iter().any(|m| m.lost != 0);
    *any_exposure = mods.iter().any(|m| m.exposure_rate > 0.0);
}

/// Apply trust shocks, note retractions of false items, accrue the value of benefits in
/// force, and at each review window's end move trust toward the usefulness target and by the
/// equity of exchange; then withdraw links whose trust fell below their threshold.
#[cfg(test)]
pub(crate) fn update_trust(mut s: super::state::RunState, mut local: Local<TrustScratch>) {
    trust(s.tick(), &mut local);
}

/// The Trust phase (see [`update_trust`]), with the buffers it keeps between ticks.
pub(crate) fn trust(t: Tick, local: &mut TrustScratch) {
    let Tick {
        clock,
        st,
        rec,
        links,
        tally,
        agencies,
        threats,
        signals,
        cursors,
        due,
        ..
    } = t;
    let p = TrustParams {
        gain: st.params.trust_gain,
        bias: st.params.negativity_bias,
        kappa: st.params.signal_sensitivity,
        damage_rate: st.params.damage_rate,
    };
    let TrustScratch {
        touched,
        shocks,
        retracted,
    } = local;
    touched.clear();
    shocks.clear();
    shocks.extend(cursors.trust.read(signals).map(|s| (s.link, s.x)));
    // A retraction of false items costs every sender that delivered some of them the
    // receiver's trust, once (noticed in the tick after the Response phase retracts them).
    // Only a new retraction, or a false item delivered since the last look, can find one.
    let now_retracted = threats
        .0
        .iter()
        .filter(|t| t.retracted_at.is_some())
        .count();
    let look = clock.tick == 0 || now_retracted != *retracted || links.1.false_delivered;
    *retracted = now_retracted;
    links.1.false_delivered = false;
    if look {
        for (li, l) in links.0.iter_mut().enumerate() {
            let Some(r) = st.links[li].reverse else {
                continue;
            };
            if l.false_threats.is_empty() {
                continue;
            }
            let before = l.false_threats.len();
            l.false_threats
                .retain(|t| threats.0[t.ix()].retracted_at.is_none());
            for _ in l.false_threats.len()..before {
                shocks.push((r, -1.0));
            }
        }
    }
    let Links(states, LinkSide { trust, closed, .. }) = &mut *links;
    for &(link, x) in shocks.iter() {
        let l = &mut states[link.ix()];
        let (t, r) = update_trust_value(trust[link.ix()], l.damage, x, p);
        trust[link.ix()] = t;
        l.damage = r;
        if x < 0.0 {
            l.bad += -x;
        }
        touched.push(link.ix());
    }
    // Benefits in force are value given by their giver over the link they flow on.
    let mods = &agencies.mods;
    for &li in &st.benefit_links {
        let l = &st.links[li.ix()];
        let ls = &mut states[li.ix()];
        let works = mods[l.from.ix()].up && mods[l.to.ix()].up && !ls.is_closed();
        if !works {
            continue;
        }
        let v = l.given_per_hour * st.params.benefit_value * clock.dt;
        ls.value += v;
        ls.value_total += v;
    }
    // The review, every window: usefulness, then equity on mutual partnerships.
    if (clock.tick + 1).is_multiple_of(st.review_ticks) {
        let alpha = st.params.trust_adaptation;
        for (li, l) in states.iter_mut().enumerate() {
            if l.good + l.bad > 0.0 {
                trust[li] =
                    usefulness_trust_value(trust[li], l.damage, (l.good, l.bad), alpha, p.bias);
                touched.push(li);
            }
        }
        for (li, ls) in st.links.iter().enumerate() {
            let Some(r) = ls.reverse else { continue };
            let (g, recv) = (states[li].value, states[r.ix()].value);
            if g + recv <= 0.0 {
                continue;
            }
            let x = equity_log_ratio(recv, g, ls.expected_equity);
            let l = &mut states[li];
            let (t, d) =
                equity_trust_value(trust[li], l.damage, x, st.params.equity_gain, p.damage_rate);
            trust[li] = t;
            l.damage = d;
            touched.push(li);
        }
        for l in states.iter_mut() {
            l.value = 0.0;
            l.good = 0.0;
            l.bad = 0.0;
        }
    }
    touched.sort_unstable();
    touched.dedup();
    for &li in touched.iter() {
        let ls = &st.links[li];
        let l = &mut states[li];
        if !l.withdrawn && trust[li] < ls.withdraw_below {
            change_gate(l, closed, |l| l.withdrawn = true);
            l.mark_withdrawn(clock.end);
            due.mark();
            tally.withdrawals += 1;
            rec.log(
                clock.end,
                EventKind::Withdrawal,
                &st.agencies[ls.from.ix()].id,
                &st.partnerships[ls.partnership.ix()],
                || {
                    format!(
                        "{} stops sharing with {}: trust fell to {:.2}",
                        st.agencies[ls.from.ix()].name,
                        st.agencies[ls.to.ix()].name,
                        trust[li]
                    )
                },
            );
        }
    }
    links.1.trust_moved(touched, &st.send.slot_of);
}

/// Buffers [`update_trust`] keeps between ticks.
#[derive(Debug, Default)]
pub(crate) struct TrustScratch {
    /// Links whose trust moved this tick.
    touched: Vec<usize>,
    /// This tick's shocks: (link, x).
    shocks: Vec<(LinkIx, f64)>,
    /// Threats retracted when the links were last looked at for retracted false items.
    retracted: usize,
}

#[cfg(test)]
mod tests {
    use super::*;

    const P: TrustParams = TrustParams {
        gain: 0.05,
        bias: 3.0,
        kappa: 1.0,
        damage_rate: 0.1,
    };

    #[test]
    fn equal_good_and_bad_experiences_leave_trust_lower() {
        for order in 0..3 {
            let (mut t, mut r) = (0.6, 0.0);
            for i in 0..40 {
                let x = match order {
                    0 => {
                        if i % 2 == 0 {
                            1.0
                        } else {
                            -1.0
                        }
                    }
                    1 => {
                        if i < 20 {
                            1.0
                        } else {
                            -1.0
                        }
                    }
                    _ => {
                        if i < 20 {
                            -1.0
                        } else {
                            1.0
                        }
                    }
                };
                (t, r) = update_trust_value(t, r, x, P);
            }
            assert!(t < 0.6, "order {order}: trust {t} did not fall");
        }
    }

    #[test]
    fn reputation_damage_caps_recovery() {
        let (mut t, mut r) = (0.6, 0.0);
        for _ in 0..10 {
            (t, r) = update_trust_value(t, r, -1.0, P);
        }
        assert!(r > 0.0);
        for _ in 0..2000 {
            (t, r) = update_trust_value(t, r, 1.0, P);
        }
        assert!(
            t <= 1.0 - r + 1e-9,
            "trust {t} above its ceiling {}",
            1.0 - r
        );
    }

    #[test]
    fn trust_stays_in_unit_interval() {
        let (mut t, mut r) = (0.5, 0.0);
        for i in 0..500 {
            let x = if i % 7 < 3 { -5.0 } else { 5.0 };
            (t, r) = update_trust_value(t, r, x, P);
            assert!((0.0..=1.0).contains(&t) && (0.0..=1.0).contains(&r));
        }
    }
}
