//! The partnership ledger: what each partnership (or partner agency) is worth, what it risks
//! and what poor alignment costs, priced on common random numbers against the scenario as
//! written.

pub mod data;
mod players;
