//! `report.xlsx`: the batch for planners who live in spreadsheets. Sheets: objectives by
//! variant, key metrics, paired differences, drivers, the partnership ledger (when present)
//! and the MSEL; frozen header rows, number formats and column widths. Scenario text is
//! written as text cells, and text that a spreadsheet would read as a formula (`=`, `+`, `-`,
//! `@`, tab, CR first) is neutralised with a leading apostrophe, as in the CSV files;
//! bidirectional overrides and control characters show as U+FFFD, as in the report.
//! Deterministic: the document's creation time is fixed, so the same batch gives the same
//! bytes.

use super::Batch;
use crate::error::{Error, Result};
use crate::output::csv_safe;
use rust_xlsxwriter::{DocProperties, ExcelDateTime, Format, Workbook, XlsxError};

/// A cell of a sheet.
enum Cell {
    /// Text (neutralised against formulas when written).
    Text(String),
    /// A number with its Excel number format.
    Num(f64, &'static str),
    /// Nothing.
    Empty,
}

fn text(s: impl Into<String>) -> Cell {
    Cell::Text(s.into())
}

fn num(v: f64, fmt: &'static str) -> Cell {
    if v.is_finite() {
        Cell::Num(v, fmt)
    } else {
        Cell::Empty
    }
}

fn opt(v: Option<f64>, fmt: &'static str) -> Cell {
    v.map(|v| num(v, fmt)).unwrap_or(Cell::Empty)
}

/// Probability / share format.
const P: &str = "0.00";
/// Whole count format.
const N: &str = "0";
/// Value format.
const V: &str = "0.00";

/// One sheet: its name, header and rows.
struct Sheet {
    name: &'static str,
    header: Vec<String>,
    rows: Vec<Vec<Cell>>,
}

fn xerr(e: XlsxError) -> Error {
    Error::Runtime(format!("report.xlsx: {e}"))
}

fn sheets(b: &Batch) -> Vec<Sheet> {
    let s = &b.summary;
    let mut out = Vec::new();
    let base = s.variants.first();
    // Objectives by variant.
    let mut rows = Vec::new();
    for v in &s.variants {
        for o in &v.objectives {
            let d = v.paired.iter().find(|d| d.id == format!("obj:{}", o.id));
            let clear = d
                .and_then(|d| Some((d.ci_low?, d.ci_high?)))
                .map(|(lo, hi)| if lo > 0.0 || hi < 0.0 { "yes" } else { "no" })
                .unwrap_or("");
            let evaluator = if Some(v) == base {
                b.evaluation
                    .iter()
                    .find(|e| e.objective == o.id)
                    .and_then(|e| e.rating.clone())
                    .unwrap_or_default()
            } else {
                String::new()
            };
            rows.push(vec![
                text(&o.id),
                text(&o.description),
                text(super::text::split_camel(&o.capability)),
                text(&o.target),
                text(&v.name),
                text(&o.rating),
                text(evaluator),
                num(o.p, P),
                num(o.ci_low, P),
                num(o.ci_high, P),
                num(o.n as f64, N),
                num(o.not_applicable as f64, N),
                opt(d.and_then(|d| d.mean_diff), P),
                opt(d.and_then(|d| d.ci_low), P),
                opt(d.and_then(|d| d.ci_high), P),
                text(clear),
            ]);
        }
    }
    out.push(Sheet {
        name: "Objectives by variant",
        header: [
            "Objective",
            "Description",
            "Core capability",
            "Target",
            "Variant",
            "Simulated rating",
            "Evaluator rating",
            "P(met)",
            "95% CI low",
            "95% CI high",
            "Runs",
            "Runs not applicable",
            "Change from baseline",
            "Change 95% CI low",
            "Change 95% CI high",
            "Interval excludes zero",
        ]
        .map(String::from)
        .to_vec(),
        rows,
    });
    // Key metrics: the report's key outcomes first, then every other metric.
    let preferred: &[String] = b
        .scenario
        .as_ref()
        .map(|sc| sc.exercise.key_metrics.as_slice())
        .unwrap_or(&[]);
    let key: Vec<String> = super::data::distributions_data(s, &b.catalog, preferred)
        .into_iter()
        .map(|p| p.id)
        .collect();
    let mut order: Vec<&str> = key.iter().map(String::as_str).collect();
    for m in &b.catalog.metrics {
        if !order.contains(&m.id.as_str()) {
            order.push(&m.id);
        }
    }
    let mut rows = Vec::new();
    for id in &order {
        for v in &s.variants {
            let Some(m) = v.metrics.iter().find(|m| m.id == *id) else {
                continue;
            };
            rows.push(vec![
                text(if key.iter().any(|k| k == id) {
                    "yes"
                } else {
                    ""
                }),
                text(&m.id),
                text(&m.label),
                text(&m.unit),
                text(&v.name),
                num(m.n as f64, N),
                num(m.missing as f64, N),
                opt(m.mean, V),
                opt(m.ci_low, V),
                opt(m.ci_high, V),
                opt(m.p5, V),
                opt(m.p50, V),
                opt(m.p95, V),
            ]);
        }
    }
    out.push(Sheet {
        name: "Key metrics",
        header: [
            "Key outcome",
            "Metric",
            "Label",
            "Unit",
            "Variant",
            "Runs with a value",
            "Runs without",
            "Mean",
            "Mean 95% CI low",
            "Mean 95% CI high",
            "5th percentile",
            "Median",
            "95th percentile",
        ]
        .map(String::from)
        .to_vec(),
        rows,
    });
    // Paired differences.
    let label = |id: &str| -> String {
        if let Some(o) = id.strip_prefix("obj:") {
            b.catalog
                .objectives
                .iter()
                .find(|x| x.id == o)
                .map(|x| format!("P(met) of {}: {}", x.id, x.description))
                .unwrap_or_else(|| id.to_string())
        } else {
            b.catalog
                .metrics
                .iter()
                .find(|m| m.id == id)
                .map(|m| m.label.clone())
                .unwrap_or_else(|| id.to_string())
        }
    };
    let mut rows = Vec::new();
    for v in s.variants.iter().skip(1) {
        for d in &v.paired {
            let clear = match (d.ci_low, d.ci_high) {
                (Some(lo), Some(hi)) if lo > 0.0 || hi < 0.0 => "yes",
                (Some(_), Some(_)) => "no",
                _ => "",
            };
            rows.push(vec![
                text(&v.name),
                text(&d.id),
                text(label(&d.id)),
                num(d.n as f64, N),
                opt(d.mean_diff, V),
                opt(d.ci_low, V),
                opt(d.ci_high, V),
                text(clear),
                opt(d.unpaired_halfwidth, V),
            ]);
        }
    }
    out.push(Sheet {
        name: "Paired differences",
        header: [
            "Variant",
            "Metric or objective",
            "Label",
            "Pairs",
            "Mean difference (variant − baseline)",
            "95% CI low",
            "95% CI high",
            "Interval excludes zero",
            "Unpaired half-width (for comparison)",
        ]
        .map(String::from)
        .to_vec(),
        rows,
    });
    // Drivers.
    let mut rows = Vec::new();
    for v in &s.variants {
        for d in &v.drivers {
            rows.push(vec![
                text(&v.name),
                text(&d.objective),
                text(&d.driver),
                text(&d.label),
                text(format!("{:?}", d.kind)),
                num(d.runs_with as f64, N),
                opt(d.p_with, P),
                num(d.runs_without as f64, N),
                opt(d.p_without, P),
                match (d.p_with, d.p_without) {
                    (Some(w), Some(o)) => num(w - o, P),
                    _ => Cell::Empty,
                },
            ]);
        }
    }
    out.push(Sheet {
        name: "Drivers",
        header: [
            "Variant",
            "Objective",
            "Driver",
            "Label",
            "Kind",
            "Runs with it",
            "P(met) with it",
            "Runs without it",
            "P(met) without it",
            "Difference (with − without)",
        ]
        .map(String::from)
        .to_vec(),
        rows,
    });
    // The ledger, as in ledger.csv.
    if let Some(l) = &b.ledger {
        let csv_text = crate::ledger::ledger_csv(l);
        let mut r = csv::ReaderBuilder::new()
            .flexible(true)
            .from_reader(csv_text.trim_start_matches('\u{feff}').as_bytes());
        let header: Vec<String> = r
            .headers()
            .map(|h| h.iter().map(String::from).collect())
            .unwrap_or_default();
        let rows = r
            .records()
            .filter_map(|x| x.ok())
            .map(|rec| {
                rec.iter()
                    .map(|c| match c.parse::<f64>() {
                        Ok(v) if !c.is_empty() => num(v, "0.000"),
                        _ if c.is_empty() => Cell::Empty,
                        // ledger.csv already neutralised formulas: write the text as it is
                        _ => Cell::Text(c.strip_prefix('\'').unwrap_or(c).to_string()),
                    })
                    .collect()
            })
            .collect();
        out.push(Sheet {
            name: "Ledger",
            header,
            rows,
        });
    }
    // The MSEL.
    let rows = super::msel::msel_rows(b)
        .into_iter()
        .map(|r| {
            r.into_iter()
                .enumerate()
                .map(|(i, c)| match (i, c.parse::<f64>()) {
                    (0 | 2, Ok(v)) => num(v, if i == 0 { N } else { V }),
                    _ => Cell::Text(c),
                })
                .collect()
        })
        .collect();
    out.push(Sheet {
        name: "MSEL",
        header: super::msel::HEADERS.map(String::from).to_vec(),
        rows,
    });
    out
}

/// `report.xlsx` bytes of a batch.
pub(super) fn report_xlsx(b: &Batch) -> Result<Vec<u8>> {
    let mut wb = Workbook::new();
    // A fixed creation time: the same batch gives the same bytes.
    let created = ExcelDateTime::from_ymd(2000, 1, 1).map_err(xerr)?;
    let props = DocProperties::new()
        .set_title(&b.summary.scenario_name)
        .set_comment(format!(
            "{}: tabletop {}, {} runs per variant, master seed {}",
            b.summary.marking, b.summary.version, b.summary.runs, b.summary.master_seed
        ))
        .set_creation_datetime(&created);
    wb.set_properties(&props);
    let head = Format::new()
        .set_bold()
        .set_text_wrap()
        .set_background_color("#E8EEF4");
    let formats: Vec<(&'static str, Format)> = [P, N, V, "0.000"]
        .iter()
        .map(|f| (*f, Format::new().set_num_format(*f)))
        .collect();
    for sheet in sheets(b) {
        let ws = wb.add_worksheet();
        ws.set_name(sheet.name).map_err(xerr)?;
        let mut widths: Vec<usize> = sheet
            .header
            .iter()
            .map(|h| h.chars().count().min(24))
            .collect();
        for (c, h) in sheet.header.iter().enumerate() {
            ws.write_string_with_format(0, c as u16, csv_safe(h).as_ref(), &head)
                .map_err(xerr)?;
        }
        for (r, row) in sheet.rows.iter().enumerate() {
            let r = r as u32 + 1;
            for (c, cell) in row.iter().enumerate() {
                if widths.len() <= c {
                    widths.resize(c + 1, 0);
                }
                let col = c as u16;
                match cell {
                    Cell::Text(s) => {
                        // bidi overrides and control characters shown as U+FFFD, as in the
                        // report; then formulas neutralised
                        let shown = crate::output::display_safe(s);
                        let s = csv_safe(&shown);
                        widths[c] = widths[c].max(s.chars().count());
                        ws.write_string(r, col, s.as_ref()).map_err(xerr)?;
                    }
                    Cell::Num(v, f) => {
                        widths[c] = widths[c].max(8);
                        let fmt = formats
                            .iter()
                            .find(|x| x.0 == *f)
                            .map(|x| &x.1)
                            .unwrap_or(&formats[0].1);
                        ws.write_number_with_format(r, col, *v, fmt).map_err(xerr)?;
                    }
                    Cell::Empty => {}
                }
            }
        }
        for (c, w) in widths.iter().enumerate() {
            ws.set_column_width(c as u16, (*w).clamp(8, 60) as f64 + 2.0)
                .map_err(xerr)?;
        }
        ws.set_freeze_panes(1, 0).map_err(xerr)?;
    }
    wb.save_to_buffer().map_err(xerr)
}
