//! Channels: the systems items travel over.

use super::Reliability;
use crate::scenario::schema::{ChannelSpec, Classification};
use crate::sim::rng::Sampler;

/// Static channel data.
#[derive(Debug, Clone)]
pub(crate) struct ChannelStatic {
    /// Scenario id.
    pub(crate) id: String,
    /// Display name.
    pub(crate) name: String,
    /// Highest classification it may carry.
    pub(crate) max_class: Classification,
    /// Time an item takes to cross it [h].
    pub(crate) latency: Sampler,
    /// Its failure process, if it has one.
    pub(crate) reliability: Option<Reliability>,
}

/// The channels, in scenario order.
pub(super) fn channels(specs: &[ChannelSpec]) -> Vec<ChannelStatic> {
    specs
        .iter()
        .map(|c| ChannelStatic {
            id: c.id.clone(),
            name: c.name.clone(),
            max_class: c.max_class,
            latency: Sampler::from_time(&c.latency),
            reliability: c.reliability.as_ref().map(Reliability::of),
        })
        .collect()
}
