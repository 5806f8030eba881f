//! Typed indices, so an agency index cannot be used where a link index is meant. Each is a
//! `u32` (a run has far fewer than 4 billion of anything).
//!
//! They sit below both layers: validation resolves a scenario's id references to them
//! ([`crate::scenario::validate::Resolved`]) and the engine indexes its compiled vectors with
//! them ([`crate::sim::compile::Compiled`]). Compilation keeps the scenario's list order, so
//! agency `i` of the scenario is agency `i` of the compiled model (likewise channels,
//! partnerships, threats, injects and insiders); links and metric columns exist only in the
//! compiled model.

macro_rules! index_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
        pub(crate) struct $name(pub(crate) u32);

        // Not every index type uses every helper.
        #[allow(dead_code)]
        impl $name {
            /// "No such thing" (e.g. a delivery that did not travel over a link).
            pub(crate) const NONE: $name = $name(u32::MAX);

            /// From a vector position.
            pub(crate) fn new(i: usize) -> $name {
                debug_assert!(i < u32::MAX as usize);
                $name(i as u32)
            }

            /// The vector position.
            pub(crate) fn ix(self) -> usize {
                self.0 as usize
            }

            /// `None` for [`Self::NONE`].
            pub(crate) fn get(self) -> Option<$name> {
                (self != Self::NONE).then_some(self)
            }
        }
    };
}

index_type!(
    /// An agency: position in the scenario's `agencies`, in `Compiled::agencies` and in every
    /// per-agency vector.
    AgencyIx
);
index_type!(
    /// A directed link: position in `Compiled::links`.
    LinkIx
);
index_type!(
    /// A channel: position in the scenario's `channels` and in `Compiled::channels`.
    ChannelIx
);
index_type!(
    /// A threat or hazard: position in the scenario's `threats` and in `Compiled::threats`.
    ThreatIx
);
index_type!(
    /// An insider: position in the scenario's `insiders` and in `Compiled::insiders`.
    InsiderIx
);
index_type!(
    /// A partnership (one or two directed links): position in the scenario's `partnerships`
    /// and in `Compiled::partnerships`.
    PartnershipIx
);
index_type!(
    /// An inject: position in the scenario's `injects` and in `Compiled::injects`.
    InjectIx
);
index_type!(
    /// A metric column: position in `Catalog::metrics` and `Compiled::metric_kinds`.
    MetricIx
);
