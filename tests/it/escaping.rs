//! Scenario text is escaped wherever it lands: output directory and file names, HTML, SVG
//! text, Markdown, CSV and XLSX cells (ids cannot hold path separators at all: validation
//! allows letters, digits, `_` and `-`). A hostile scenario carries `<script>`, spreadsheet formula prefixes
//! (`=`, `+`, `-`, `@`, tab, CR), path separators and `..`, control characters and a bidi
//! override in its names.

use assert_cmd::Command;
use std::path::Path;

const EVIL: &str = "<script>alert(1)</script>";

fn hostile_scenario() -> String {
    let src = std::fs::read_to_string("scenarios/fuel-line.ron").unwrap();
    src.replacen(
        "\"Pipeline operator (Colonial-like)\"",
        &format!("\"{EVIL} ../../etc \\u{{202e}}gpj.exe\\u{{7}}\""),
        1,
    )
    .replacen(
        "\"Fuel Line: pipeline ransomware\"",
        "\"=HYPERLINK(\\\"http://x\\\") <img src=x onerror=alert(2)>\"",
        1,
    )
    .replacen("\"SimCell (pipeline control room)\"", "\"@SUM(A1)\"", 1)
    .replacen(
        "\"Control-room operator finds a ransom note on a workstation; business IT is encrypted.\"",
        "\"+cmd|' /C calc'!A0\"",
        1,
    )
    .replacen(
        "\"Operator activates its IR plan, retains its vendor and notifies the FBI and CISA.\"",
        "\"\\t-2+3\\r\"",
        1,
    )
    .replacen(
        "\"Operator takes business IT offline and shuts the pipeline as a precaution; its SOC works at half strength.\"",
        "\"-2+3+cmd|' /C calc'!A0\"",
        1,
    )
    .replacen("\"SimCell (operator CEO)\"", "\"=1+1\"", 1)
}

#[test]
fn hostile_names_are_escaped_in_every_output() {
    let t = tempfile::tempdir().unwrap();
    // A file name with markup, a bidi override and a control character.
    let file = t.path().join("a<b>\u{202e}c\u{7}.ron");
    std::fs::write(&file, hostile_scenario()).unwrap();
    Command::cargo_bin("tabletop")
        .unwrap()
        .current_dir(t.path())
        .args(["-q", "batch"])
        .arg(&file)
        .args(["--runs", "4"])
        .assert()
        .success();
    // The default output directory is one safe component under output/.
    let out_root = t.path().join("output");
    let dirs: Vec<_> = std::fs::read_dir(&out_root)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(dirs.len(), 1, "{dirs:?}");
    assert!(
        dirs[0]
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c)),
        "{dirs:?}"
    );
    let dir = out_root.join(&dirs[0]).join("batch-1");
    walk(&dir, &mut |p: &Path| {
        let name = p.file_name().unwrap().to_string_lossy().to_string();
        assert!(
            name.chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c)),
            "unsafe file name {name:?}"
        );
        assert!(!name.starts_with('.') || name == ".", "{name}");
        let ext = p.extension().map(|e| e.to_string_lossy().to_string());
        let Ok(text) = std::fs::read_to_string(p) else {
            return;
        };
        match ext.as_deref() {
            Some("html") | Some("svg") | Some("md") => {
                // Markdown escapes `<` with a backslash (CommonMark shows it as text)
                let raw = |tag: &str| {
                    text.match_indices(tag)
                        .any(|(i, _)| !(ext.as_deref() == Some("md") && text[..i].ends_with('\\')))
                };
                assert!(!raw("<script>alert"), "{name} has raw <script>");
                assert!(!raw("<img src=x"), "{name} has raw <img>");
                assert!(!text.contains('\u{202e}'), "{name} has a raw bidi override");
                assert!(
                    !text.contains('\u{7}'),
                    "{name} has a raw control character"
                );
            }
            Some("csv") => {
                let mut r = csv::ReaderBuilder::new()
                    .has_headers(false)
                    .flexible(true)
                    .from_reader(text.as_bytes());
                for rec in r.records() {
                    for c in rec.unwrap().iter() {
                        let first = c.chars().next();
                        if matches!(first, Some('=' | '+' | '-' | '@' | '\t' | '\r')) {
                            assert!(
                                c.parse::<f64>().is_ok(),
                                "{name}: formula cell {c:?} not neutralised"
                            );
                        }
                    }
                }
            }
            _ => {}
        }
    });
    let msel = std::fs::read_to_string(dir.join("msel.csv")).unwrap();
    assert!(msel.contains("'@SUM(A1)"), "{msel}");
    assert!(msel.contains("'+cmd"), "{msel}");
    assert!(msel.contains("'-2+3+cmd"), "{msel}");
    assert!(msel.contains("'=1+1"), "{msel}");
    assert!(msel.contains("\"'\t-2+3\r\""), "{msel}");
    xlsx_cells_are_text_without_formulas_controls_or_bidi(&dir.join("report.xlsx"));
}

/// Every sheet of `report.xlsx`: no formulas; a text cell a spreadsheet would read as a
/// formula starts with an apostrophe; bidi overrides and control characters (other than
/// tab and newline) show as U+FFFD; the hostile agency name and MSEL cells are there.
fn xlsx_cells_are_text_without_formulas_controls_or_bidi(path: &Path) {
    use calamine::{Data, Reader, Xlsx, open_workbook};
    let mut wb: Xlsx<_> = open_workbook(path).unwrap();
    let mut texts = Vec::new();
    for name in wb.sheet_names() {
        let f = wb.worksheet_formula(&name).unwrap();
        assert_eq!(f.used_cells().count(), 0, "{name} holds formulas");
        let range = wb.worksheet_range(&name).unwrap();
        for (_, _, c) in range.used_cells() {
            if let Data::String(t) = c {
                assert!(
                    !matches!(t.chars().next(), Some('=' | '+' | '-' | '@' | '\t' | '\r')),
                    "{name}: formula cell {t:?} not neutralised"
                );
                assert!(
                    !t.chars().any(|ch| ('\u{202a}'..='\u{202e}').contains(&ch)
                        || (ch.is_control() && ch != '\n' && ch != '\t')),
                    "{name}: raw bidi or control character in {t:?}"
                );
                texts.push(t.clone());
            }
        }
    }
    for want in [
        "'@SUM(A1)",
        "'+cmd|' /C calc'!A0",
        "'-2+3+cmd|' /C calc'!A0",
        "'=1+1",
        "'\t-2+3\u{fffd}",
    ] {
        assert!(texts.iter().any(|t| t == want), "no cell {want:?}");
    }
    assert!(
        texts
            .iter()
            .any(|t| t.contains(EVIL) && t.contains("../../etc \u{fffd}gpj.exe\u{fffd}")),
        "hostile agency name not shown as text"
    );
}

fn walk(p: &Path, f: &mut dyn FnMut(&Path)) {
    for e in std::fs::read_dir(p).unwrap() {
        let q = e.unwrap().path();
        if q.is_dir() {
            walk(&q, f);
        } else {
            f(&q);
        }
    }
}

#[test]
fn ids_with_path_separators_or_dots_are_refused() {
    let src = std::fs::read_to_string("scenarios/fuel-line.ron").unwrap();
    let text = src
        .replace("\"O1-share\"", "\"../O1/share\"")
        .replace("\"tsa-directive\"", "\"..\\\\tsa\"");
    let report = match tabletop::scenario::load_str(Path::new("ids.ron"), &text) {
        Err(tabletop::Error::Invalid(r)) => r.to_string(),
        other => panic!("expected an invalid scenario, got {other:?}"),
    };
    assert!(
        report.contains("objective id \"../O1/share\" may hold only letters, digits, `_` and `-`"),
        "{report}"
    );
    assert!(
        report.contains("variant id \"..\\tsa\" may hold only letters, digits, `_` and `-`"),
        "{report}"
    );
}
