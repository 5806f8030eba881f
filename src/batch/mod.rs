//! Monte Carlo batches: parallel runs, streamed rows, summary, shards and merge, sweeps.

pub mod summary;

use crate::cli::{BatchArgs, MergeArgs, SweepArgs};
use crate::error::{Error, Result};

/// `tabletop batch`.
pub fn cmd_batch(args: &BatchArgs) -> Result<()> {
    let _ = args;
    Err(Error::Runtime(
        "`tabletop batch` is not yet available".into(),
    ))
}

/// `tabletop sweep`.
pub fn cmd_sweep(args: &SweepArgs) -> Result<()> {
    let _ = args;
    Err(Error::Runtime(
        "`tabletop sweep` is not yet available".into(),
    ))
}

/// `tabletop merge`.
pub fn cmd_merge(args: &MergeArgs) -> Result<()> {
    let _ = args;
    Err(Error::Runtime(
        "`tabletop merge` is not yet available".into(),
    ))
}
