//! Charts (PNG and SVG) and the HSEEP after-action report.

use crate::cli::ReportArgs;
use crate::error::{Error, Result};

/// `tabletop report`.
pub fn cmd_report(args: &ReportArgs) -> Result<()> {
    let _ = args;
    Err(Error::Runtime(
        "`tabletop report` is not yet available".into(),
    ))
}
