//! Threats and hazards: ground truth drawn per run, signals emitted over time, and their
//! observation by agencies according to collection ability, partners' sensors and screening.

use super::compile::{Compiled, function_bit};
use super::ids::{AgencyIx, ThreatIx};
use super::outcome::EventKind;
use super::rng::{RunSeed, chance};
use super::state::{
    Agencies, HazardState, OutageState, SurgeState, ThreatState, ThreatStates, Tick, create_item,
};
use crate::scenario::schema::Function;
use bevy_ecs::prelude::*;
use rand_distr::{Distribution, StandardNormal};

/// Add the threats' state to the world.
pub(crate) fn install(world: &mut World) {
    world.init_resource::<ThreatStates>();
}

/// Draw every threat's truth, deadline and first signal for run `seed`.
pub(crate) fn reset(world: &mut World, st: &Compiled, seed: RunSeed) {
    let mut threats = world.resource_mut::<ThreatStates>();
    threats.0.clear();
    threats
        .0
        .extend(st.threats.iter().enumerate().map(|(i, t)| {
            let mut rng = seed.keyed(st.keys.threat_signals[i]);
            let mut act_rng = seed.keyed(st.keys.threat_response[i]);
            let mut real = chance(&mut rng, t.truth_p);
            // A threat tied to an insider is real only when the insider is active: the
            // activation is the first draw of the insider's own stream, repeated here.
            let insider_active = t.insider.is_none_or(|i| {
                chance(
                    &mut seed.keyed(st.keys.insider[i.ix()]),
                    st.insiders[i.ix()].activation_p,
                )
            });
            real &= insider_active;
            let deadline = t.deadline.map(|d| t.start + d.sample(&mut act_rng));
            // The threat begins at `start`; its first observable signal comes one interval
            // later (the dwell before anything can be seen).
            let mut first_signal = t.start + t.interval.sample(&mut rng);
            if !insider_active {
                // No insider, no leak: nothing surfaces.
                first_signal = f64::INFINITY;
            }
            ThreatState {
                real,
                next_signal: first_signal,
                deadline,
                detected_at: None,
                first_share_at: None,
                first_false_share_at: None,
                retracted_at: None,
                first_action_at: None,
                resolved_at: None,
                false_alarm_acted: false,
                harm_at: None,
                public_warning_at: None,
                aborted_at: None,
                dormant: !insider_active,
                over: false,
                pending: Vec::new(),
                rng,
                act_rng,
                surge: t.surge.map(|_| SurgeState {
                    rng: Some(seed.keyed(st.keys.threat_surge[i])),
                    ..SurgeState::default()
                }),
                // The impact comes from its own stream: nothing the players do (and no other
                // process's draws) moves it.
                impact_at: t.impact.as_ref().filter(|_| real).map(|im| {
                    t.start
                        + im.at
                            .sample(&mut seed.keyed(st.keys.threat_impact[i]))
                            .max(0.0)
                }),
                acted_ok: vec![f64::INFINITY; st.agencies.len()],
                hazard: t.impact.as_ref().map(|im| HazardState {
                    outages: im
                        .outages
                        .iter()
                        .map(|o| OutageState {
                            shares: vec![f64::NAN; o.checkpoints.len()],
                            ..OutageState::default()
                        })
                        .collect(),
                    ..HazardState::default()
                }),
            }
        }));
}

/// The Collection phase: emit each threat's signals falling in this window and let agencies
/// observe them.
pub(crate) fn collect(t: Tick) {
    let Tick {
        clock,
        st,
        rec,
        agencies,
        threats,
        items,
        flight,
        ..
    } = t;
    let Agencies { streams, mods, .. } = &mut *agencies;
    let lost_collection = function_bit(Function::Collection);
    for ti in 0..st.threats.len() {
        let th = &st.threats[ti];
        loop {
            let ts = &mut threats.0[ti];
            if ts.over || ts.next_signal >= clock.end {
                break;
            }
            let t = ts.next_signal;
            let real = ts.real;
            ts.next_signal = t + th.interval.sample(&mut ts.rng).max(1e-6);
            // The signal's ambiguity, shared by every observation of it (§12 judgement).
            let z: f64 = StandardNormal.sample(&mut ts.rng);
            let first = ts.detected_at.is_none();
            // Items observed from this signal share one source: the first one's index.
            let mut source = None;
            for (a, &own) in th.own_collection.iter().enumerate() {
                let m = &mods[a];
                let screening = if own > 0.0 { m.screening } else { 0.0 };
                let p = 1.0 - (1.0 - own) * (1.0 - m.extra_collect[th.kind_ix]) * (1.0 - screening);
                if p <= 0.0 {
                    continue;
                }
                let u: f64 = rand::RngExt::random(&mut streams[a].collect);
                if u < p * (1.0 - m.impaired[0]) && m.up && m.lost & lost_collection == 0 {
                    let ix = create_item(
                        items,
                        flight,
                        threats,
                        ThreatIx::new(ti),
                        real,
                        AgencyIx::new(a),
                        t,
                    );
                    let it = &mut items.0[ix as usize];
                    it.signal = *source.get_or_insert(ix);
                    it.evidence = z as f32;
                }
            }
            if first && threats.0[ti].detected_at.is_some() {
                rec.log(t, EventKind::Signal, &th.id, "", || {
                    format!("First signal of {} is picked up", th.name)
                });
            }
        }
    }
}
