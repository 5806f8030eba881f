//! Partner and channel failures: two-state up/down Markov processes (exponential times with
//! means MTBF and MTTR) for agencies and channels, combined with scripted outages.

use super::agency::{AgencyIx, AgencyStreams, Status};
use super::clock::{Clock, Static};
use super::outcome::EventKind;
use super::partnership::TrustSignal;
use super::recorder::Recorder;
use super::rng::{Stream, exp_wait};
use bevy_ecs::prelude::*;

/// Run state of a channel.
#[derive(Debug, Clone)]
pub struct ChannelState {
    /// Up according to its reliability process.
    pub stoch_up: bool,
    /// Next reliability transition [h].
    pub next_transition: f64,
    /// Scripted outages in force.
    pub scripted_down: u32,
    /// Compromises in force.
    pub compromised: u32,
    /// Ever down or compromised.
    pub ever_down: bool,
    /// Reliability draws.
    pub rng: Stream,
}

impl ChannelState {
    /// Whether the channel carries traffic now.
    pub fn up(&self) -> bool {
        self.stoch_up && self.scripted_down == 0
    }
}

/// All channels, by index.
#[derive(Resource, Debug, Default)]
pub struct Channels(pub Vec<ChannelState>);

/// Advance every reliability process through the window [now, end).
pub fn advance_reliability(
    clock: Res<Clock>,
    st: Res<Static>,
    mut channels: ResMut<Channels>,
    mut rec: ResMut<Recorder>,
    mut signals: MessageWriter<TrustSignal>,
    mut agencies: Query<(&AgencyIx, &mut Status, &mut AgencyStreams)>,
) {
    for (ix, mut s, mut streams) in &mut agencies {
        let Some((mtbf, mttr)) = st.agencies[ix.0].reliability else {
            continue;
        };
        while s.next_transition < clock.end {
            let t = s.next_transition;
            s.stoch_up = !s.stoch_up;
            let rate = if s.stoch_up { 1.0 / mtbf } else { 1.0 / mttr };
            s.next_transition = t + exp_wait(&mut streams.failure, rate);
            if let Some(up) = s.refresh(t) {
                agency_changed(&st, ix.0, up, t, &mut rec, &mut signals);
            }
        }
    }
    for (ci, c) in channels.0.iter_mut().enumerate() {
        let Some((mtbf, mttr)) = st.channels[ci].reliability else {
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
            let ch = &st.channels[ci];
            rec.log(
                t,
                if c.stoch_up {
                    EventKind::Repair
                } else {
                    EventKind::Failure
                },
                &ch.id,
                &ch.id,
                || {
                    if c.stoch_up {
                        format!("{} is back up", ch.name)
                    } else {
                        format!("{} goes down", ch.name)
                    }
                },
            );
        }
    }
}

/// Log an agency going down or coming back, and let partners that depend on it lose trust.
pub fn agency_changed(
    st: &super::compile::Compiled,
    a: usize,
    up: bool,
    t: f64,
    rec: &mut Recorder,
    signals: &mut MessageWriter<TrustSignal>,
) {
    let ag = &st.agencies[a];
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
    for (o, other) in st.agencies.iter().enumerate() {
        if !other.depends.iter().any(|&(p, _)| p == a) {
            continue;
        }
        for &l in &other.out_links {
            if st.links[l].to == a {
                let _ = o;
                signals.write(TrustSignal { link: l, x: -0.5 });
            }
        }
    }
}
