//! Partner and channel failures: two-state up/down Markov processes (exponential times with
//! means MTBF and MTTR) for agencies and channels, combined with scripted outages.

use super::compile::{Compiled, Reliability};
use super::ids::AgencyIx;
use super::outcome::EventKind;
use super::rng::{RunSeed, exp_wait};
use super::state::{Agencies, ChannelState, Channels, Tick, agency_changed};
use bevy_ecs::prelude::*;

/// Add the channels' state to the world.
pub(crate) fn install(world: &mut World) {
    world.init_resource::<Channels>();
}

/// Set every channel to the start of run `seed`.
pub(crate) fn reset(world: &mut World, st: &Compiled, seed: RunSeed) {
    let mut channels = world.resource_mut::<Channels>();
    channels.0.clear();
    channels
        .0
        .extend(st.channels.iter().zip(&st.keys.channel).map(|(c, &key)| {
            let mut rng = seed.keyed(key);
            let next = match c.reliability {
                Some(r) => exp_wait(&mut rng, 1.0 / r.mtbf_h),
                None => f64::INFINITY,
            };
            ChannelState {
                stoch_up: true,
                next_transition: next,
                scripted_down: 0,
                compromised: 0,
                ever_down: false,
                rng,
            }
        }));
}

/// The Failures phase: advance every reliability process through the window [now, end).
pub(crate) fn reliability(t: Tick) {
    let Tick {
        clock,
        st,
        rec,
        agencies,
        channels,
        signals,
        due,
        ..
    } = t;
    let Agencies {
        status,
        streams,
        next_transition,
        ..
    } = &mut *agencies;
    if *next_transition < clock.end {
        let mut next = f64::INFINITY;
        for (ix, a) in st.agencies.iter().enumerate() {
            let Some(Reliability {
                mtbf_h: mtbf,
                mttr_h: mttr,
            }) = a.reliability
            else {
                continue;
            };
            let s = &mut status[ix];
            while s.next_transition < clock.end {
                let t = s.next_transition;
                s.stoch_up = !s.stoch_up;
                let rate = if s.stoch_up { 1.0 / mtbf } else { 1.0 / mttr };
                s.next_transition = t + exp_wait(&mut streams[ix].failure, rate);
                if let Some(up) = s.refresh(t) {
                    due.mark();
                    agency_changed(st, AgencyIx::new(ix), up, t, rec, signals);
                }
            }
            next = next.min(s.next_transition);
        }
        *next_transition = next;
    }
    for (ci, c) in channels.0.iter_mut().enumerate() {
        let ch = &st.channels[ci];
        let Some(Reliability {
            mtbf_h: mtbf,
            mttr_h: mttr,
        }) = ch.reliability
        else {
            continue;
        };
        while c.next_transition < clock.end {
            let t = c.next_transition;
            c.stoch_up = !c.stoch_up;
            if !c.stoch_up {
                c.ever_down = true;
            }
            let rate = if c.stoch_up { 1.0 / mtbf } else { 1.0 / mttr };
            c.next_transition = t + exp_wait(&mut c.rng, rate);
            let up = c.stoch_up;
            rec.log(
                t,
                if up {
                    EventKind::Repair
                } else {
                    EventKind::Failure
                },
                &ch.id,
                &ch.id,
                || {
                    if up {
                        format!("{} is back up", ch.name)
                    } else {
                        format!("{} goes down", ch.name)
                    }
                },
            );
        }
    }
}
