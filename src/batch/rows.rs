//! `runs.csv`: the header, one row per (variant, run) in the baseline catalog's layout, and a
//! streaming reader that yields chosen columns without holding the file.
//!
//! Numbers are written with Rust's shortest round-trip formatting, so reading a value back
//! gives the same bits; a metric that did not happen is an empty cell; objectives are
//! `0`/`1`, or empty where the objective did not apply to the run; drivers are `0`/`1`.

use super::simulator::Row;
use crate::error::{Error, Result};
use crate::output::csv_safe;
use crate::sim::Catalog;
use std::fmt::Write as _;
use std::path::Path;

/// One CSV field: spreadsheet-safe, quoted when it holds `,`, `"` or a line break.
pub(super) fn field(s: &str) -> String {
    let s = csv_safe(s);
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.into_owned()
    }
}

/// The header: `<key>,run,<metric ids>,obj:<id>...,drv:<id>...` (`key` is `variant`, or
/// `config` for sweeps).
pub(super) fn header(key: &str, catalog: &Catalog) -> String {
    let mut h = format!("{key},run");
    for m in &catalog.metrics {
        h.push(',');
        h.push_str(&field(&m.id));
    }
    for o in &catalog.objectives {
        h.push(',');
        h.push_str(&field(&format!("obj:{}", o.id)));
    }
    for d in &catalog.drivers {
        h.push(',');
        h.push_str(&field(&format!("drv:{}", d.id)));
    }
    h.push('\n');
    h
}

/// Append one row; `key` is the (already escaped) variant or configuration cell.
pub(super) fn push_row(out: &mut String, key: &str, row: &Row) {
    out.push_str(key);
    let _ = write!(out, ",{}", row.run);
    for m in &row.metrics {
        out.push(',');
        if let Some(x) = m {
            let _ = write!(out, "{x}");
        }
    }
    for &o in &row.objectives {
        out.push_str(match o {
            Some(true) => ",1",
            Some(false) => ",0",
            None => ",",
        });
    }
    for &d in &row.drivers {
        out.push_str(if d { ",1" } else { ",0" });
    }
    out.push('\n');
}

/// Column layout of a runs.csv written for `catalog`.
#[derive(Debug, Clone, Copy)]
pub(super) struct Layout {
    /// Metrics.
    pub metrics: usize,
    /// Objectives.
    pub objectives: usize,
    /// Drivers.
    pub drivers: usize,
}

impl Layout {
    /// Layout of a catalog.
    pub(super) fn of(c: &Catalog) -> Layout {
        Layout {
            metrics: c.metrics.len(),
            objectives: c.objectives.len(),
            drivers: c.drivers.len(),
        }
    }
    /// Column of metric `m`.
    pub(super) fn metric(&self, m: usize) -> usize {
        2 + m
    }
    /// Column of objective `o`.
    pub(super) fn objective(&self, o: usize) -> usize {
        2 + self.metrics + o
    }
    /// Column of driver `d`.
    pub(super) fn driver(&self, d: usize) -> usize {
        2 + self.metrics + self.objectives + d
    }
    /// Number of columns.
    pub(super) fn width(&self) -> usize {
        2 + self.metrics + self.objectives + self.drivers
    }
}

/// A parsed data row handed to [`scan`]'s callback.
pub(super) struct Record<'a> {
    rec: &'a csv::StringRecord,
    line: u64,
    path: &'a Path,
}

impl Record<'_> {
    fn bad(&self, col: usize, what: &str) -> Error {
        Error::Runtime(format!(
            "{}: line {}, column {}: {what}",
            self.path.display(),
            self.line,
            col + 1
        ))
    }
    /// The key cell (variant id or configuration index) as written.
    pub(super) fn key(&self) -> &str {
        self.rec.get(0).unwrap_or("")
    }
    /// The run index.
    pub(super) fn run(&self) -> Result<u64> {
        self.rec
            .get(1)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| self.bad(1, "expected a run index"))
    }
    /// A metric cell (None when empty).
    pub(super) fn num(&self, col: usize) -> Result<Option<f64>> {
        match self.rec.get(col) {
            Some("") => Ok(None),
            Some(s) => s
                .parse::<f64>()
                .map(Some)
                .map_err(|_| self.bad(col, "expected a number or an empty cell")),
            None => Err(self.bad(col, "missing column")),
        }
    }
    /// An objective cell: `1`, `0`, or empty (not applicable).
    pub(super) fn objective(&self, col: usize) -> Result<Option<bool>> {
        match self.rec.get(col) {
            Some("") => Ok(None),
            _ => self.flag(col).map(Some),
        }
    }

    /// A `0`/`1` cell.
    pub(super) fn flag(&self, col: usize) -> Result<bool> {
        match self.rec.get(col) {
            Some("1") => Ok(true),
            Some("0") => Ok(false),
            _ => Err(self.bad(col, "expected 0 or 1")),
        }
    }
}

/// Read every data row of `path` in order, checking the header is `expected_header`.
pub(super) fn scan(
    path: &Path,
    expected_header: &str,
    mut f: impl FnMut(&Record<'_>) -> Result<()>,
) -> Result<()> {
    let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(std::io::BufReader::new(file));
    let mut rec = csv::StringRecord::new();
    let mut line = 0u64;
    let mut expected = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(expected_header.as_bytes());
    let mut want = csv::StringRecord::new();
    let _ = expected.read_record(&mut want);
    loop {
        let more = rdr
            .read_record(&mut rec)
            .map_err(|e| Error::Runtime(format!("{}: {e}", path.display())))?;
        if !more {
            break;
        }
        line += 1;
        if line == 1 {
            if rec != want {
                return Err(Error::Runtime(format!(
                    "{}: header does not match the catalog of this batch",
                    path.display()
                )));
            }
            continue;
        }
        f(&Record {
            rec: &rec,
            line,
            path,
        })?;
    }
    if line == 0 {
        return Err(Error::Runtime(format!("{}: empty file", path.display())));
    }
    Ok(())
}
