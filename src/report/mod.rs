//! Charts (PNG and SVG), the HSEEP after-action report (HTML and Markdown) and the MSEL
//! export, all built from a batch directory without rerunning anything.
//!
//! Pipeline: `Batch::load` reads the directory; pure functions in `data` prepare what each
//! chart shows; `charts` draws it; `aar` builds the report context and renders the
//! templates; `msel` writes `msel.csv`. When the directory also holds a partnership ledger
//! (`ledger.json`, written by `tabletop ledger`), `ledger_data` and `ledger_charts` add its
//! five charts and `aar` its report section. Every file is a pure function of the directory's
//! inputs, so `tabletop report DIR` reproduces the same bytes.

mod aar;
mod calib_report;
mod charts;
mod data;
mod evaluation;
#[cfg(any(test, feature = "test-support"))]
pub mod fixture;
mod ledger_aar;
mod ledger_charts;
mod ledger_data;
mod msel;
mod netmatrix;
mod netscale;
mod sens_charts;
mod sens_report;
pub(crate) mod text;
mod uncertainty_aar;
mod xlsx;

pub use calib_report::write_calibration;

/// File name of a played session's section of the after-action report: `tabletop report
/// --session` writes it beside `session.html`, and the report includes it.
pub const SESSION_SECTION: &str = "session-section.html";
pub use sens_report::{
    SensMeta, SensitivityFile, morris_csv, prim_csv, section_html, section_markdown, sobol_csv,
    write_sensitivity,
};

use crate::batch::summary::{Exemplar, Manifest, Summary};
use crate::error::{Error, Result};
use crate::ledger::data::Ledger;
use crate::output::read_json;
use crate::scenario::schema::ScenarioSpec;
use crate::sim::Catalog;
use std::path::Path;

/// Everything the report reads from a batch directory.
#[derive(Debug, Clone)]
pub(crate) struct Batch {
    /// `summary.json`.
    pub summary: Summary,
    /// `catalog.json`.
    pub catalog: Catalog,
    /// `scenario.ron`, parsed; None when missing or unreadable (see `warnings`).
    pub scenario: Option<ScenarioSpec>,
    /// Exemplars found under `exemplars/`, in summary variant order, median before worst.
    pub exemplars: Vec<Exemplar>,
    /// `ledger.json`, when the directory holds a partnership ledger.
    pub ledger: Option<Ledger>,
    /// Problems that degraded the report without stopping it.
    pub warnings: Vec<String>,
    /// The evaluator's rating overrides and notes (`evaluation.csv`), if any.
    pub evaluation: Vec<evaluation::Override>,
    /// `uncertainty.json`, when the batch ran with `--uncertainty`.
    pub uncertainty: Option<crate::batch::uncertainty::UncertaintySummary>,
    /// `sensitivity.json`, when `tabletop sensitivity --out` wrote a study into the directory.
    pub sensitivity: Option<SensitivityFile>,
    /// The played session's section ([`SESSION_SECTION`]), when `tabletop report --session`
    /// placed a session in this batch.
    pub session_html: Option<String>,
}

impl Batch {
    /// Read a batch directory: `manifest.json`, `summary.json` and `catalog.json` are required;
    /// `scenario.ron` and `exemplars/` are optional (their absence is noted in `warnings`);
    /// `ledger.json` is optional and silent when absent, an error when malformed.
    pub(crate) fn load(dir: &Path) -> Result<Batch> {
        if !dir.is_dir() {
            return Err(Error::usage(
                format!("DIR {}", dir.display()),
                "not a batch directory (expected manifest.json, summary.json, catalog.json)",
            ));
        }
        // Required although nothing in the report reads it: it marks a batch directory, and a
        // malformed one is an error here rather than a silently odd report.
        read_json::<Manifest>(&dir.join("manifest.json"))?;
        let summary: Summary = read_json(&dir.join("summary.json"))?;
        let catalog: Catalog = read_json(&dir.join("catalog.json"))?;
        let mut warnings = Vec::new();
        let ron_path = dir.join("scenario.ron");
        let scenario = match std::fs::read_to_string(&ron_path) {
            Ok(src) => match crate::scenario::load_str(&ron_path, &src) {
                Ok(v) => Some(v.spec),
                Err(e) => {
                    warnings.push(format!("scenario.ron could not be read again: {e}"));
                    None
                }
            },
            Err(e) => {
                warnings.push(format!("scenario.ron missing: {e}"));
                None
            }
        };
        let ledger_path = dir.join("ledger.json");
        let ledger = if ledger_path.is_file() {
            Some(read_json::<Ledger>(&ledger_path)?)
        } else {
            None
        };
        let unc_path = dir.join("uncertainty.json");
        let uncertainty = if unc_path.is_file() {
            Some(read_json(&unc_path)?)
        } else {
            None
        };
        // The played session's section, written by `tabletop report --session` (already
        // escaped HTML of this program's own making).
        let session_html = std::fs::read_to_string(dir.join(SESSION_SECTION)).ok();
        let sens_path = dir.join("sensitivity.json");
        let sensitivity = if sens_path.is_file() {
            Some(read_json(&sens_path)?)
        } else {
            None
        };
        let mut exemplars = Vec::new();
        for v in &summary.variants {
            for role in ["median", "worst"] {
                let p = dir
                    .join("exemplars")
                    .join(crate::output::safe_file_name(&v.id))
                    .join(format!("{role}.json"));
                if p.is_file() {
                    match read_json::<Exemplar>(&p) {
                        Ok(ex) => exemplars.push(ex),
                        Err(e) => warnings.push(format!("exemplar skipped: {e}")),
                    }
                }
            }
        }
        let ids: Vec<&str> = catalog.objectives.iter().map(|o| o.id.as_str()).collect();
        let evaluation = evaluation::load(dir, &ids)?;
        Ok(Batch {
            summary,
            catalog,
            scenario,
            exemplars,
            ledger,
            warnings,
            evaluation,
            uncertainty,
            sensitivity,
            session_html,
        })
    }

    /// The exemplar of `variant` with `role` ("median" or "worst"), if kept.
    pub(crate) fn exemplar(&self, variant: &str, role: &str) -> Option<&Exemplar> {
        self.exemplars
            .iter()
            .find(|e| e.variant == variant && e.role == role)
    }
}

/// Write charts, `report.html`, `report.md` and `msel.csv` into batch directory `dir` (with
/// the partnership-ledger charts and section when it holds a `ledger.json`).
/// Called by the app layer after `tabletop batch` and `tabletop merge`, and by
/// `tabletop report`.
pub fn write_report(dir: &Path) -> Result<()> {
    let batch = Batch::load(dir)?;
    let mut rendered = charts::render_all(&batch)?;
    rendered.extend(netscale::render(&batch)?);
    if let Some(l) = &batch.ledger {
        rendered.extend(ledger_charts::render(&batch, l)?);
    }
    if let Some(sf) = &batch.sensitivity {
        rendered.extend(sens_report::charts(sf)?);
    }
    for c in &rendered {
        crate::output::write_atomic(&dir.join(format!("charts/{}.png", c.name)), &c.png)?;
        crate::output::write_atomic(
            &dir.join(format!("charts/{}.svg", c.name)),
            c.svg.as_bytes(),
        )?;
    }
    let msel = msel::msel_csv(&batch)?;
    crate::output::write_atomic(&dir.join("msel.csv"), &msel)?;
    crate::output::write_atomic(&dir.join("report.xlsx"), &xlsx::report_xlsx(&batch)?)?;
    let ctx = aar::context(&batch, &rendered);
    let md = aar::render_markdown(&ctx)?;
    crate::output::write_atomic(&dir.join("report.md"), md.as_bytes())?;
    let html = aar::render_html(&ctx, &rendered)?;
    crate::output::write_atomic(&dir.join("report.html"), html.as_bytes())?;
    Ok(())
}
