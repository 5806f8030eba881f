//! Diagnostics: problems with a severity, a place in the file and an optional did-you-mean,
//! rendered as deterministic plain text (`error: …`, `--> file:line:col`, source line, caret).

use super::span::LineIndex;
use std::fmt::Write as _;

/// How bad a problem is: errors make a scenario invalid, warnings do not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    /// The scenario cannot be simulated as written.
    Error,
    /// Legal but probably not what the planner meant.
    Warning,
}

/// One problem found in a scenario, located by its value path.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Problem {
    /// Error or warning.
    pub severity: Severity,
    /// Value path of the culprit, e.g. `partnerships[3].from` (empty: the whole file).
    pub path: String,
    /// One plain sentence.
    pub message: String,
    /// Optional hint, e.g. `did you mean "fc_va"?`.
    pub help: Option<String>,
}

/// A problem placed at a byte span of a source text.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Diagnostic {
    /// Error or warning.
    pub severity: Severity,
    /// Byte span `[start, end)` of the culprit.
    pub span: (usize, usize),
    /// One plain sentence.
    pub message: String,
    /// Optional hint.
    pub help: Option<String>,
}

/// Most diagnostics rendered per file; the rest are counted.
pub(crate) const MAX_RENDERED: usize = 100;

/// Where a problem sits in a file, ready to show: line and column (1-based, columns in
/// characters), the source line and the caret under the culprit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// Line, 1-based.
    pub line: usize,
    /// Column in characters, 1-based.
    pub col: usize,
    /// The source line with tabs expanded and control characters replaced (None when the
    /// text cannot be shown, e.g. it is not UTF-8).
    pub snippet: Option<String>,
    /// Display columns before the caret, and the caret's width (≥ 1), within `snippet`.
    pub caret: (usize, usize),
}

/// One problem of one file, placed and ready to render.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Located {
    /// Error or warning.
    pub severity: Severity,
    /// One plain sentence.
    pub message: String,
    /// Where in the file, when the problem has a place.
    pub location: Option<Location>,
    /// Suggestion, e.g. `did you mean "fc_va"?`.
    pub suggestion: Option<String>,
}

/// The problems found in one file, in the order they are shown (errors first, then warnings,
/// each group in file order).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileDiagnostics {
    /// The file as the user named it.
    pub file: String,
    /// Problems shown (at most 100, `MAX_RENDERED`).
    pub items: Vec<Located>,
    /// Problems found beyond those shown.
    pub omitted: usize,
}

/// Everything wrong with one or more scenario files, as data; `Display` renders it as
/// plain text (`error: …`, `--> file:line:col`, source line, caret, `= help: …`), followed
/// by the summary lines in `notes`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Diagnostics {
    /// Problems per file.
    pub files: Vec<FileDiagnostics>,
    /// Closing lines, e.g. `error: x.ron is invalid (2 errors)`.
    pub notes: Vec<String>,
}

impl Diagnostics {
    /// One file's diagnostics followed by one closing note.
    pub(crate) fn one(file: FileDiagnostics, note: impl Into<String>) -> Self {
        Diagnostics {
            files: vec![file],
            notes: vec![note.into()],
        }
    }

    /// A single problem without a place in a file.
    pub(crate) fn message(file: impl Into<String>, message: impl Into<String>) -> Self {
        Diagnostics {
            files: vec![FileDiagnostics {
                file: file.into(),
                items: vec![Located {
                    severity: Severity::Error,
                    message: message.into(),
                    location: None,
                    suggestion: None,
                }],
                omitted: 0,
            }],
            notes: Vec::new(),
        }
    }

    /// Every problem, across files.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Located)> {
        self.files
            .iter()
            .flat_map(|f| f.items.iter().map(move |d| (f.file.as_str(), d)))
    }
}

impl std::fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for file in &self.files {
            f.write_str(&file.to_string())?;
        }
        f.write_str(&self.notes.join("\n"))
    }
}

impl std::fmt::Display for FileDiagnostics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut out = String::new();
        for d in &self.items {
            render_one(&mut out, &self.file, d);
        }
        if self.omitted > 0 {
            let _ = writeln!(out, "… and {} more problems\n", self.omitted);
        }
        f.write_str(&out)
    }
}

/// Place diagnostics of one file in its text: errors first, then warnings, each group in file
/// order; at most [`MAX_RENDERED`] kept, the rest counted.
pub(crate) fn locate(file: &str, source: &str, diags: &[Diagnostic]) -> FileDiagnostics {
    let lines = LineIndex::new(source);
    let mut sorted: Vec<&Diagnostic> = diags.iter().collect();
    sorted.sort_by(|a, b| {
        (a.severity, a.span.0, a.span.1, &a.message)
            .cmp(&(b.severity, b.span.0, b.span.1, &b.message))
    });
    FileDiagnostics {
        file: file.to_string(),
        items: sorted
            .iter()
            .take(MAX_RENDERED)
            .map(|d| Located {
                severity: d.severity,
                message: d.message.clone(),
                location: Some(location(source, &lines, d.span)),
                suggestion: d.help.clone(),
            })
            .collect(),
        omitted: sorted.len().saturating_sub(MAX_RENDERED),
    }
}

/// Render diagnostics for one file: errors first, then warnings, each group in file order.
pub(crate) fn render(file: &str, source: &str, diags: &[Diagnostic]) -> String {
    locate(file, source, diags).to_string()
}

fn location(source: &str, lines: &LineIndex, span: (usize, usize)) -> Location {
    let start = span.0.min(source.len());
    let (line, col) = lines.line_col(source, start);
    let line_start = lines.line_start(start.min(source.len()));
    let line_end = lines.line_end(source, line_start);
    let text = &source[line_start..line_end];
    // caret under the culprit (first line of it only)
    let start_in_line = source[line_start..start.max(line_start)].chars().count();
    let end = span.1.clamp(start, line_end.max(start));
    let width = source
        .get(start..end)
        .map_or(0, |s| s.chars().map(char_width).sum::<usize>())
        .max(1);
    let lead: usize = text.chars().take(start_in_line).map(char_width).sum();
    Location {
        line,
        col,
        snippet: Some(visible(text)),
        caret: (lead, width),
    }
}

fn render_one(out: &mut String, file: &str, d: &Located) {
    let label = match d.severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    };
    let _ = writeln!(out, "{label}: {}", d.message);
    let mut pad = String::new();
    if let Some(at) = &d.location {
        pad = " ".repeat(at.line.to_string().len());
        let _ = writeln!(out, "{pad}--> {file}:{}:{}", at.line, at.col);
        if let Some(text) = &at.snippet {
            let _ = writeln!(out, "{pad} |");
            let _ = writeln!(out, "{} | {text}", at.line);
            let (lead, width) = at.caret;
            let _ = writeln!(out, "{pad} | {}{}", " ".repeat(lead), "^".repeat(width));
        }
    }
    if let Some(h) = &d.suggestion {
        let _ = writeln!(out, "{pad} = help: {h}");
    }
    out.push('\n');
}

fn char_width(c: char) -> usize {
    if c == '\t' { 4 } else { 1 }
}

fn visible(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '\t' => "    ".to_string(),
            c if c.is_control() => "�".to_string(),
            c => c.to_string(),
        })
        .collect()
}

/// The best "did you mean" among `candidates` for a misspelt `found`, if one is close.
pub(crate) fn did_you_mean<'a, I>(found: &str, candidates: I) -> Option<String>
where
    I: IntoIterator<Item = &'a str>,
{
    let mut best: Option<(f64, &str)> = None;
    for c in candidates {
        if c == found {
            continue;
        }
        let score =
            strsim::normalized_damerau_levenshtein(&found.to_lowercase(), &c.to_lowercase())
                .max(strsim::jaro_winkler(found, c) - 0.15);
        if score < 0.6 {
            continue;
        }
        match best {
            Some((s, b)) if s > score || (s == score && b <= c) => {}
            _ => best = Some((score, c)),
        }
    }
    best.map(|(_, c)| format!("did you mean \"{c}\"?"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caret_sits_under_the_culprit() {
        let src = "(\n  from: \"fc_vaa\",\n)";
        let start = src.find("\"fc_vaa\"").unwrap();
        let d = Diagnostic {
            severity: Severity::Error,
            span: (start, start + 8),
            message: "unknown agency \"fc_vaa\"".into(),
            help: Some("did you mean \"fc_va\"?".into()),
        };
        let r = render("x.ron", src, &[d]);
        assert_eq!(
            r,
            "error: unknown agency \"fc_vaa\"\n --> x.ron:2:9\n  |\n2 |   from: \"fc_vaa\",\n  |         ^^^^^^^^\n  = help: did you mean \"fc_va\"?\n\n"
        );
    }

    #[test]
    fn did_you_mean_picks_the_closest_name() {
        assert_eq!(
            did_you_mean("fc_vaa", ["fc_va", "jttf", "eoc"]),
            Some("did you mean \"fc_va\"?".into())
        );
        assert_eq!(did_you_mean("zzzz", ["fc_va", "jttf"]), None);
    }
}
