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

/// Write charts and the after-action report into a batch directory (stub until the report
/// lands; replaced at merge).
pub fn write_report(dir: &std::path::Path) -> crate::Result<()> {
    let _ = dir;
    Ok(())
}
