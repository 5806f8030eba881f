//! Typed indices into the compiled model's vectors, so an agency index cannot be used where a
//! link index is meant. Each is a `u32` (a run has far fewer than 4 billion of anything).

macro_rules! index_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
        pub(crate) struct $name(pub(crate) u32);

        // Not every index type has a "none" (only links and channels of a delivery so far).
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
    /// An agency: position in `Compiled::agencies` and in every per-agency vector.
    AgencyIx
);
index_type!(
    /// A directed link: position in `Compiled::links`.
    LinkIx
);
index_type!(
    /// A channel: position in `Compiled::channels`.
    ChannelIx
);
index_type!(
    /// A threat or hazard: position in `Compiled::threats`.
    ThreatIx
);
index_type!(
    /// An insider: position in `Compiled::insiders`.
    InsiderIx
);
