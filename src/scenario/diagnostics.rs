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
pub struct Problem {
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
pub struct Diagnostic {
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
pub const MAX_RENDERED: usize = 100;

/// Render diagnostics for one file: errors first, then warnings, each group in file order.
pub fn render(file: &str, source: &str, diags: &[Diagnostic]) -> String {
    let lines = LineIndex::new(source);
    let mut sorted: Vec<&Diagnostic> = diags.iter().collect();
    sorted.sort_by(|a, b| {
        (a.severity, a.span.0, a.span.1, &a.message)
            .cmp(&(b.severity, b.span.0, b.span.1, &b.message))
    });
    let mut out = String::new();
    for d in sorted.iter().take(MAX_RENDERED) {
        render_one(&mut out, file, source, &lines, d);
    }
    if sorted.len() > MAX_RENDERED {
        let _ = writeln!(out, "… and {} more problems\n", sorted.len() - MAX_RENDERED);
    }
    out
}

fn render_one(out: &mut String, file: &str, source: &str, lines: &LineIndex, d: &Diagnostic) {
    let label = match d.severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    };
    let start = d.span.0.min(source.len());
    let (line, col) = lines.line_col(source, start);
    let _ = writeln!(out, "{label}: {}", d.message);
    let gutter = line.to_string().len();
    let pad = " ".repeat(gutter);
    let _ = writeln!(out, "{pad}--> {file}:{line}:{col}");
    let line_start = lines.line_start(start.min(source.len()));
    let line_end = lines.line_end(source, line_start);
    let text = &source[line_start..line_end];
    let _ = writeln!(out, "{pad} |");
    let _ = writeln!(out, "{line} | {}", visible(text));
    // caret under the culprit (first line of it only)
    let start_in_line = source[line_start..start.max(line_start)].chars().count();
    let end = d.span.1.clamp(start, line_end.max(start));
    let width = source
        .get(start..end)
        .map_or(0, |s| s.chars().map(char_width).sum::<usize>())
        .max(1);
    let lead: usize = text.chars().take(start_in_line).map(char_width).sum();
    let _ = writeln!(out, "{pad} | {}{}", " ".repeat(lead), "^".repeat(width));
    if let Some(h) = &d.help {
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
pub fn did_you_mean<'a, I>(found: &str, candidates: I) -> Option<String>
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
