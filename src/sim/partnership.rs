//! Partnerships: directed links with trust, reputation damage and an equity ledger; the
//! benefits a working partnership brings (collection, technology, regional knowledge,
//! resources) and the functions an agency loses when a partner it depends on is down.
//!
//! Trust follows the asymmetric two-layer model of Pant & Yu (2025): a cooperation signal
//! s = tanh(κ·x); if s > 0, T ← T + λ⁺·s·max(0, Θ − T) with the ceiling Θ = 1 − R; otherwise
//! T ← T + λ⁻·s·T and R ← R + d·|s|·(1 − R), with λ⁻ = bias·λ⁺.

use super::agency::{AgencyIx, Status};
use super::clock::{Clock, Static};
use super::compile::{Benefit, KINDS};
use super::metrics::Tally;
use super::outcome::EventKind;
use super::recorder::Recorder;
use super::rng::Stream;
use bevy_ecs::prelude::*;

/// Run state of a directed link.
#[derive(Debug, Clone)]
pub struct LinkState {
    /// Sender's trust in the receiver, [0, 1].
    pub trust: f64,
    /// Reputation damage R, [0, 1]: caps how far trust can recover.
    pub damage: f64,
    /// Withdrawn by the sender (trust fell below its threshold).
    pub withdrawn: bool,
    /// Withdrawal injects in force on its partnership.
    pub inject_withdrawn: u32,
    /// Legal holds in force on its partnership.
    pub held: u32,
    /// Ever withdrawn or held.
    pub ever_lost: bool,
    /// An item on it leaked or crossed a compromised channel.
    pub compromised: bool,
    /// Items delivered over it.
    pub items: u32,
    /// Value given over it in the current equity window.
    pub given: f64,
    /// Sharing and latency draws.
    pub rng: Stream,
}

/// All links, by link index.
#[derive(Resource, Debug, Default)]
pub struct Links(pub Vec<LinkState>);

/// An experience that moves the sender's trust on a link: x > 0 good, x < 0 bad.
#[derive(Message, Debug, Clone, Copy)]
pub struct TrustSignal {
    /// Link whose trust moves.
    pub link: usize,
    /// Signed size of the experience (±1 a typical event).
    pub x: f64,
}

/// Trust model constants.
#[derive(Debug, Clone, Copy)]
pub struct TrustParams {
    /// λ⁺.
    pub gain: f64,
    /// λ⁻ / λ⁺.
    pub bias: f64,
    /// κ.
    pub kappa: f64,
    /// Damage rate d.
    pub damage_rate: f64,
}

/// Apply one experience to (trust, damage); returns the new pair.
pub fn update_trust_value(t: f64, r: f64, x: f64, p: TrustParams) -> (f64, f64) {
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

/// Per-agency modifiers for the current tick: availability, lost functions and benefits.
#[derive(Debug, Clone, Default)]
pub struct Mods {
    /// The agency works.
    pub up: bool,
    /// Sabotage stall in force.
    pub stalled: bool,
    /// Functions lost through dependencies (bits of `function_bit`).
    pub lost: u8,
    /// Extra observation probability per kind from partners' sensors.
    pub extra_collect: [f64; KINDS],
    /// Extra screening/detection probability (regional knowledge).
    pub screening: f64,
    /// Analysis speed-up (technology), [0, 0.95].
    pub speedup: f64,
    /// Corroboration items waived.
    pub relief: u32,
    /// Extra analysts lent.
    pub extra_analysts: u32,
    /// Extra processing per hour lent.
    pub extra_processing: f64,
    /// Extra shelter lent.
    pub extra_shelter: f64,
}

/// Modifiers of every agency, by index.
#[derive(Resource, Debug, Default)]
pub struct Modifiers(pub Vec<Mods>);

/// Recompute availability, lost functions and the benefits of working partnerships.
pub fn apply_benefits(
    clock: Res<Clock>,
    st: Res<Static>,
    links: Res<Links>,
    mut mods: ResMut<Modifiers>,
    agencies: Query<(&AgencyIx, &Status)>,
) {
    for (ix, s) in &agencies {
        let m = &mut mods.0[ix.0];
        *m = Mods {
            up: s.up(),
            stalled: s.stalled_until > clock.now,
            ..Mods::default()
        };
    }
    for (li, l) in st.links.iter().enumerate() {
        let ls = &links.0[li];
        let works = mods.0[l.from].up
            && mods.0[l.to].up
            && !ls.withdrawn
            && ls.inject_withdrawn == 0
            && ls.held == 0;
        if !works {
            continue;
        }
        let m = &mut mods.0[l.to];
        for b in &l.benefits {
            match *b {
                Benefit::Collection { kind, p } => {
                    m.extra_collect[kind] = 1.0 - (1.0 - m.extra_collect[kind]) * (1.0 - p);
                }
                Benefit::Technology { speedup } => m.speedup = m.speedup.max(speedup),
                Benefit::Regional { relief, screening } => {
                    m.relief += relief;
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
                }
            }
        }
    }
    for (a, ag) in st.agencies.iter().enumerate() {
        let mut lost = 0;
        for &(p, bit) in &ag.depends {
            let partner_down = !mods.0[p].up;
            let cut_off = st.agencies[p]
                .out_links
                .iter()
                .filter(|&&l| st.links[l].to == a)
                .any(|&l| links.0[l].withdrawn || links.0[l].inject_withdrawn > 0);
            if partner_down || cut_off {
                lost |= bit;
            }
        }
        mods.0[a].lost = lost;
    }
}

/// Apply trust signals, evaluate the equity of exchange every window, and withdraw links whose
/// trust fell below their threshold.
#[allow(clippy::too_many_arguments)]
pub fn update_trust(
    clock: Res<Clock>,
    st: Res<Static>,
    mut links: ResMut<Links>,
    mut tally: ResMut<Tally>,
    mut rec: ResMut<Recorder>,
    mut signals: MessageReader<TrustSignal>,
) {
    let p = TrustParams {
        gain: st.params.trust_gain,
        bias: st.params.negativity_bias,
        kappa: st.params.signal_sensitivity,
        damage_rate: st.params.damage_rate,
    };
    for s in signals.read() {
        let l = &mut links.0[s.link];
        let (t, r) = update_trust_value(l.trust, l.damage, s.x, p);
        l.trust = t;
        l.damage = r;
    }
    // Equity of exchange, every window, on mutual partnerships.
    let window_ticks = (st.equity_window / clock.dt).round().max(1.0) as u64;
    if (clock.tick + 1).is_multiple_of(window_ticks) {
        let given: Vec<f64> = links.0.iter().map(|l| l.given).collect();
        for (li, ls) in st.links.iter().enumerate() {
            let Some(r) = ls.reverse else { continue };
            let (g, recv) = (given[li], given[r]);
            if g + recv <= 0.0 {
                continue;
            }
            let x = ((recv + 1.0) / (g + 1.0)).ln() - ls.expected_equity.ln();
            let l = &mut links.0[li];
            let (t, d) = update_trust_value(l.trust, l.damage, x, p);
            l.trust = t;
            l.damage = d;
        }
        for l in &mut links.0 {
            l.given = 0.0;
        }
    }
    for (li, ls) in st.links.iter().enumerate() {
        let l = &mut links.0[li];
        if !l.withdrawn && l.trust < ls.withdraw_below {
            l.withdrawn = true;
            l.ever_lost = true;
            tally.withdrawals += 1;
            rec.log(
                clock.end,
                EventKind::Withdrawal,
                &st.agencies[ls.from].id,
                &st.partnerships[ls.partnership],
                || {
                    format!(
                        "{} stops sharing with {}: trust fell to {:.2}",
                        st.agencies[ls.from].name, st.agencies[ls.to].name, l.trust
                    )
                },
            );
        }
    }
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
