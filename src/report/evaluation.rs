//! Evaluator judgement: an `evaluation.csv` beside a batch overrides simulated ratings.
//!
//! HSEEP ratings are evaluators' judgements; the simulated rating is evidence for them. The
//! file has a header row and one row per objective: `objective` (the objective id), `rating`
//! (P, S, M or U; empty for a note only), `note` and `evaluator`. Column names are matched
//! without regard to case, spaces or underscores (`Objective ID` works). The overrides apply
//! to the baseline, the exercise as designed.

use crate::error::{Error, Result};
use std::path::Path;

/// File name of the evaluator's overrides in a batch directory.
pub(super) const FILE: &str = "evaluation.csv";

/// One evaluator row.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Override {
    /// Objective id.
    pub objective: String,
    /// Rating letter P, S, M or U (None: a note without an override).
    pub rating: Option<String>,
    /// The evaluator's note.
    pub note: String,
    /// Who judged.
    pub evaluator: String,
}

fn column(name: &str) -> Option<usize> {
    let n: String = name
        .trim_start_matches('\u{feff}')
        .chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect();
    match n.as_str() {
        "objective" | "objectiveid" | "id" => Some(0),
        "rating" | "ratingoverride" | "override" => Some(1),
        "note" | "notes" | "comment" => Some(2),
        "evaluator" | "by" => Some(3),
        _ => None,
    }
}

/// The overrides in `dir/evaluation.csv` (none when the file is absent). `objectives` are the
/// batch's objective ids. A bad row is an error naming the file and line (exit code 2).
pub(super) fn load(dir: &Path, objectives: &[&str]) -> Result<Vec<Override>> {
    let path = dir.join(FILE);
    let bytes = match std::fs::read(&path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(Error::io(&path, e)),
    };
    parse(&path, &bytes, objectives)
}

/// Parse the bytes of an `evaluation.csv` (see [`load`]).
pub(super) fn parse(path: &Path, bytes: &[u8], objectives: &[&str]) -> Result<Vec<Override>> {
    let bad = |line: u64, message: String| Error::Usage {
        flag: format!("{}:{line}", path.display()),
        message,
    };
    let mut r = csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(bytes);
    let header = r
        .headers()
        .map_err(|e| bad(1, format!("cannot read the header row: {e}")))?
        .clone();
    let mut cols = [None; 4];
    for (i, h) in header.iter().enumerate() {
        match column(h) {
            Some(c) if cols[c].is_none() => cols[c] = Some(i),
            Some(_) => return Err(bad(1, format!("column \"{h}\" appears twice"))),
            None if h.is_empty() => {}
            None => {
                return Err(bad(
                    1,
                    format!(
                        "unknown column \"{h}\"; the columns are objective, rating, note, evaluator"
                    ),
                ));
            }
        }
    }
    let (Some(oc), Some(rc)) = (cols[0], cols[1]) else {
        return Err(bad(
            1,
            "the header needs the columns objective and rating (and may have note, evaluator)"
                .into(),
        ));
    };
    let mut out: Vec<Override> = Vec::new();
    let mut lines: Vec<u64> = Vec::new();
    for rec in r.records() {
        let rec = rec.map_err(|e| {
            let line = e.position().map(|p| p.line()).unwrap_or(0);
            bad(line, format!("cannot read this row: {e}"))
        })?;
        let line = rec.position().map(|p| p.line()).unwrap_or(0);
        if rec.iter().all(str::is_empty) {
            continue;
        }
        let get = |c: Option<usize>| c.and_then(|i| rec.get(i)).unwrap_or("").to_string();
        let objective = get(Some(oc));
        if !objectives.contains(&objective.as_str()) {
            let near = objectives
                .iter()
                .map(|o| (strsim::jaro_winkler(&objective, o), *o))
                .max_by(|a, b| a.0.total_cmp(&b.0))
                .filter(|(d, _)| *d > 0.7)
                .map(|(_, o)| format!("did you mean \"{o}\"? "))
                .unwrap_or_default();
            return Err(bad(
                line,
                format!(
                    "no objective \"{objective}\" in this batch; {near}the objectives are {}",
                    objectives.join(", ")
                ),
            ));
        }
        if let Some(k) = out.iter().position(|o| o.objective == objective) {
            return Err(bad(
                line,
                format!(
                    "objective \"{objective}\" is already rated on line {}; keep one row per objective",
                    lines[k]
                ),
            ));
        }
        let raw = get(Some(rc));
        let rating = match raw.to_ascii_uppercase().as_str() {
            "" => None,
            r @ ("P" | "S" | "M" | "U") => Some(r.to_string()),
            _ => {
                return Err(bad(
                    line,
                    format!(
                        "rating \"{raw}\": write P (performed without challenges), S (with some challenges), M (with major challenges) or U (unable to be performed), or leave it empty for a note only"
                    ),
                ));
            }
        };
        let note = get(cols[2]);
        if rating.is_none() && note.is_empty() {
            return Err(bad(
                line,
                format!("objective \"{objective}\": neither a rating nor a note"),
            ));
        }
        lines.push(line);
        out.push(Override {
            objective,
            rating,
            note,
            evaluator: get(cols[3]),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const OBJ: [&str; 3] = ["detect", "warn", "act"];

    fn parse_str(s: &str) -> Result<Vec<Override>> {
        parse(Path::new("b/evaluation.csv"), s.as_bytes(), &OBJ)
    }

    #[test]
    fn rows_are_read_with_any_header_spelling() {
        let o = parse_str(
            "\u{feff}Objective ID,Rating,Note,Evaluator\ndetect, s ,\"Slow, but done\",J. Doe\n\nwarn,,Watch the HSIN outage,\n",
        )
        .unwrap();
        assert_eq!(o.len(), 2);
        assert_eq!(o[0].rating.as_deref(), Some("S"));
        assert_eq!(o[0].note, "Slow, but done");
        assert_eq!(o[0].evaluator, "J. Doe");
        assert_eq!(o[1].rating, None);
    }

    #[test]
    fn bad_rows_name_their_line_and_exit_2() {
        let cases = [
            ("objective,rating\ndetect,P\nwarn,X\n", ":3", "rating \"X\""),
            (
                "objective,rating\ndetct,P\n",
                ":2",
                "did you mean \"detect\"",
            ),
            (
                "objective,rating\ndetect,P\ndetect,S\n",
                ":3",
                "already rated on line 2",
            ),
            (
                "objective,grade\ndetect,P\n",
                ":1",
                "unknown column \"grade\"",
            ),
            ("objective,note\ndetect,x\n", ":1", "needs the columns"),
            (
                "objective,rating\nact,\n",
                ":2",
                "neither a rating nor a note",
            ),
        ];
        for (text, line, msg) in cases {
            let e = parse_str(text).unwrap_err();
            assert_eq!(e.exit_code(), 2);
            let s = e.to_string();
            assert!(s.contains(&format!("evaluation.csv{line}:")), "{s}");
            assert!(s.contains(msg), "{s}");
        }
    }
}
