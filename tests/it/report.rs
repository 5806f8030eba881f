//! The report: charts, after-action report, MSEL export, built from a hand-made batch.

use std::path::Path;
use tabletop::report::{self, fixture};

fn batch(name: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    fixture::write_fixture_batch(dir.path(), name).unwrap();
    dir
}

fn built(name: &str) -> tempfile::TempDir {
    let dir = batch(name);
    report::write_report(dir.path()).unwrap();
    dir
}

/// Decoded RGB(A) pixels of a PNG file, with width and height.
fn decode_png(path: &Path) -> (Vec<u8>, u32, u32) {
    let file = std::fs::File::open(path).unwrap();
    let mut dec = png::Decoder::new(std::io::BufReader::new(file))
        .read_info()
        .unwrap();
    let mut buf = vec![0; dec.output_buffer_size()];
    let info = dec.next_frame(&mut buf).unwrap();
    buf.truncate(info.buffer_size());
    (buf, info.width, info.height)
}

/// A small well-formedness check: tags balance, attributes are quoted, `&` starts an entity.
fn assert_well_formed_xml(xml: &str, what: &str) {
    let mut stack: Vec<String> = Vec::new();
    let mut rest = xml;
    if let Some(i) = rest.find("?>")
        && rest.trim_start().starts_with("<?xml")
    {
        rest = &rest[i + 2..];
    }
    while let Some(open) = rest.find('<') {
        let text = &rest[..open];
        check_text(text, what);
        let close = rest[open..]
            .find('>')
            .unwrap_or_else(|| panic!("{what}: unclosed tag"))
            + open;
        let tag = &rest[open + 1..close];
        assert_eq!(
            tag.matches('"').count() % 2,
            0,
            "{what}: unbalanced quotes in <{tag}>"
        );
        if let Some(name) = tag.strip_prefix('/') {
            let top = stack
                .pop()
                .unwrap_or_else(|| panic!("{what}: stray </{name}>"));
            assert_eq!(top, name.trim(), "{what}: </{name}> closes <{top}>");
        } else if !tag.ends_with('/') {
            let name = tag.split_whitespace().next().unwrap_or("").to_string();
            assert!(!name.is_empty(), "{what}: empty tag");
            stack.push(name);
        }
        rest = &rest[close + 1..];
    }
    check_text(rest, what);
    assert!(stack.is_empty(), "{what}: unclosed {stack:?}");
}

fn check_text(text: &str, what: &str) {
    for (i, _) in text.match_indices('&') {
        let ent: String = text[i..].chars().take(10).collect();
        assert!(
            ["&amp;", "&lt;", "&gt;", "&quot;", "&apos;", "&#"]
                .iter()
                .any(|e| ent.starts_with(e)),
            "{what}: bare & in text: {ent}"
        );
    }
}

const EXPECTED_CHARTS: [&str; 13] = [
    "objectives",
    "distributions",
    "fan_agencies_informed",
    "fan_backlog",
    "fan_mean_trust",
    "whatif",
    "drivers_detect",
    "drivers_warn",
    "drivers_act",
    "drivers_leak",
    "network",
    "timeline_baseline_median",
    "timeline_baseline_worst",
];

#[test]
fn every_chart_renders_as_a_non_blank_png_and_a_well_formed_svg() {
    let dir = built("Fuel Line Mini");
    for name in EXPECTED_CHARTS {
        let png = dir.path().join(format!("charts/{name}.png"));
        let (pixels, w, h) = decode_png(&png);
        assert_eq!((w, h), (1600, 900), "{name}");
        let first = &pixels[..3];
        let differing = pixels.chunks(3).filter(|p| p != &first).count();
        // Not blank: a real chart has well over 1% of its pixels drawn.
        assert!(
            differing > (w * h / 100) as usize,
            "{name}: only {differing} non-background pixels"
        );
        let svg = std::fs::read_to_string(dir.path().join(format!("charts/{name}.svg"))).unwrap();
        assert!(svg.contains("<svg"), "{name}");
        assert_well_formed_xml(&svg, name);
    }
}

#[test]
fn the_html_report_is_one_well_formed_file_with_inline_charts() {
    let dir = built("Fuel Line Mini");
    let html = std::fs::read_to_string(dir.path().join("report.html")).unwrap();
    assert!(!html.contains("<img"), "charts must be inline, not linked");
    assert!(!html.contains("src=\""), "no external resources");
    // 13 charts and the interactive partnership matrix
    assert_eq!(html.matches("<svg").count(), 13 + 1);
    assert_eq!(
        html.matches("class=\"marking").count(),
        2,
        "banner at top and bottom"
    );
    let body = html.trim_start_matches("<!DOCTYPE html>");
    let body = body.replace("<meta charset=\"utf-8\">", "").replace(
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">",
        "",
    );
    assert_well_formed_xml(&body, "report.html");
    for section in [
        "1. Exercise overview",
        "2. Analysis of core capabilities",
        "3. Strengths and areas for improvement",
        "4. Improvement plan",
        "5. Exemplar runs",
        "6. Method appendix",
    ] {
        assert!(html.contains(section), "missing {section}");
    }
}

#[test]
fn report_markdown_matches_its_snapshot() {
    let dir = built("Fuel Line Mini");
    let md = std::fs::read_to_string(dir.path().join("report.md")).unwrap();
    insta::assert_snapshot!("report_md", md);
}

#[test]
fn scenario_markup_shows_as_text_in_html_and_markdown() {
    let evil = "<script>alert(1)</script> | *x* _y_ `z`";
    let dir = built(evil);
    let html = std::fs::read_to_string(dir.path().join("report.html")).unwrap();
    assert!(!html.contains("<script>alert"), "raw script tag in HTML");
    // the only scripts are the report's own (the partnership matrix's hover and filter)
    assert_eq!(
        html.matches("<script").count(),
        html.matches("var root = document.currentScript").count()
    );
    assert!(
        html.contains("&lt;script&gt;alert(1)&lt;&#x2f;script&gt;")
            || html.contains("&lt;script&gt;alert(1)&lt;/script&gt;")
    );
    let md = std::fs::read_to_string(dir.path().join("report.md")).unwrap();
    assert!(!md.contains("<script>"));
    assert!(md.contains("\\<script\\>alert(1)\\</script\\> \\| \\*x\\* \\_y\\_ \\`z\\`"));
    for name in EXPECTED_CHARTS {
        let svg = std::fs::read_to_string(dir.path().join(format!("charts/{name}.svg"))).unwrap();
        assert!(!svg.contains("<script"), "{name}: raw script tag in SVG");
    }
}

fn all_files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for name in ["report.html", "report.md", "msel.csv"] {
        out.push((name.to_string(), std::fs::read(dir.join(name)).unwrap()));
    }
    let mut charts: Vec<_> = std::fs::read_dir(dir.join("charts"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    charts.sort();
    for p in charts {
        // Names relative to the batch directory, so two directories compare name by name.
        let name = p.strip_prefix(dir).unwrap().display().to_string();
        out.push((name, std::fs::read(&p).unwrap()));
    }
    out
}

/// The file names of a report, in order.
fn names(files: &[(String, Vec<u8>)]) -> Vec<&str> {
    files.iter().map(|(n, _)| n.as_str()).collect()
}

#[test]
fn the_report_command_reproduces_the_same_files_byte_for_byte() {
    let dir = built("Fuel Line Mini");
    let first = all_files(dir.path());
    assert_cmd::Command::cargo_bin("tabletop")
        .unwrap()
        .arg("report")
        .arg(dir.path())
        .assert()
        .success();
    // The three documents plus a PNG and an SVG of every chart, nothing more.
    let mut expected: Vec<String> = EXPECTED_CHARTS
        .iter()
        .flat_map(|c| [format!("charts/{c}.png"), format!("charts/{c}.svg")])
        .collect();
    expected.sort();
    let mut want = vec!["report.html", "report.md", "msel.csv"];
    want.extend(expected.iter().map(String::as_str));
    assert_eq!(names(&first), want, "files of the first render");
    let second = all_files(dir.path());
    assert_eq!(names(&first), names(&second), "files of the second render");
    for ((n1, b1), (_, b2)) in first.iter().zip(&second) {
        assert!(b1 == b2, "{n1} changed between renders");
    }
    // and in a different directory with the same inputs
    let other = all_files(built("Fuel Line Mini").path());
    assert_eq!(names(&first), names(&other), "files in the other directory");
    for ((n1, b1), (_, b2)) in first.iter().zip(&other) {
        assert!(
            b1 == b2,
            "{n1} differs between two directories with the same inputs"
        );
    }
}

#[test]
fn msel_export_has_a_bom_fired_times_and_neutralised_formulas() {
    let dir = built("Fuel Line Mini");
    let bytes = std::fs::read(dir.path().join("msel.csv")).unwrap();
    assert_eq!(&bytes[..3], &[0xEF, 0xBB, 0xBF]);
    let text = String::from_utf8(bytes[3..].to_vec()).unwrap();
    let mut r = csv::Reader::from_reader(text.as_bytes());
    let rows: Vec<csv::StringRecord> = r.records().map(|x| x.unwrap()).collect();
    assert_eq!(rows.len(), 3);
    assert_eq!(&rows[0][0], "1");
    assert_eq!(&rows[0][2], "0.50");
    assert_eq!(&rows[0][3], "Day 1 06:30");
    assert_eq!(
        &rows[2][6],
        "'=HYPERLINK(\"x\") Media report of fuel shortages"
    );
    assert_eq!(&rows[1][13], "Operational Communications");
    assert_eq!(&rows[0][10], "TLP:AMBER");
    assert_eq!(
        &rows[0][8], "Colonial Pipeline control room",
        "players by name"
    );
}

#[test]
fn a_batch_with_no_variants_drivers_series_exemplars_or_scenario_still_reports() {
    let dir = batch("Sparse");
    let p = dir.path();
    let mut s: tabletop::batch::summary::Summary =
        serde_json::from_slice(&std::fs::read(p.join("summary.json")).unwrap()).unwrap();
    s.variants.truncate(1);
    s.inject_times.clear();
    let v = &mut s.variants[0];
    v.drivers.clear();
    v.series.clear();
    v.links.clear();
    for m in &mut v.metrics {
        m.n = 0;
        m.mean = None;
        m.p5 = None;
        m.p50 = None;
        m.p95 = None;
    }
    std::fs::write(p.join("summary.json"), serde_json::to_vec(&s).unwrap()).unwrap();
    std::fs::remove_dir_all(p.join("exemplars")).unwrap();
    std::fs::remove_file(p.join("scenario.ron")).unwrap();
    report::write_report(p).unwrap();
    assert!(p.join("charts/objectives.png").is_file());
    assert!(!p.join("charts/whatif.png").exists());
    let md = std::fs::read_to_string(p.join("report.md")).unwrap();
    assert!(md.contains("No exemplar runs were kept"));
    assert!(md.contains("scenario.ron missing"));
}

#[test]
fn a_directory_without_a_batch_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    let err = report::write_report(&dir.path().join("nope")).unwrap_err();
    assert_eq!(err.exit_code(), 2);
    let err = report::write_report(dir.path()).unwrap_err();
    assert!(err.to_string().contains("manifest.json"), "{err}");
}

/// Not a check: writes the fixture batch and its report to `$REPORT_FIXTURE_OUT` so the charts
/// can be looked at (`REPORT_FIXTURE_OUT=/tmp/r cargo test --test it report_fixture -- --ignored`).
#[test]
#[ignore]
fn render_fixture_report_for_inspection() {
    let out = std::env::var("REPORT_FIXTURE_OUT").expect("set REPORT_FIXTURE_OUT");
    let dir = std::path::PathBuf::from(out);
    fixture::write_fixture_batch(&dir, fixture::SCENARIO_NAME).unwrap();
    report::write_report(&dir).unwrap();
}

const LEDGER_CHARTS: [&str; 5] = [
    "ledger-quadrant",
    "ledger-top",
    "ledger-shapley",
    "ledger-alignment",
    "ledger-network",
];

fn built_with_ledger(name: &str) -> tempfile::TempDir {
    let dir = batch(name);
    fixture::write_fixture_ledger(dir.path()).unwrap();
    report::write_report(dir.path()).unwrap();
    dir
}

#[test]
fn a_ledger_adds_five_charts_that_render_and_carry_no_markup() {
    let dir = built_with_ledger("Fuel Line Mini");
    for name in LEDGER_CHARTS {
        let (pixels, w, h) = decode_png(&dir.path().join(format!("charts/{name}.png")));
        assert_eq!((w, h), (1600, 900), "{name}");
        let first = &pixels[..3];
        let differing = pixels.chunks(3).filter(|p| p != &first).count();
        assert!(
            differing > (w * h / 50) as usize,
            "{name}: only {differing} non-background pixels"
        );
        let svg = std::fs::read_to_string(dir.path().join(format!("charts/{name}.svg"))).unwrap();
        assert!(svg.contains("<svg"), "{name}");
        assert_well_formed_xml(&svg, name);
        assert!(!svg.contains("<script"), "{name}: raw script tag in SVG");
        assert!(!svg.contains("<b>"), "{name}: raw markup in SVG");
    }
    // the player with the hostile name is among the top players (last, value 0)
    let top = std::fs::read_to_string(dir.path().join("charts/ledger-top.svg")).unwrap();
    assert!(top.contains("&lt;script&gt;"), "hostile name drawn as text");
    // the existing charts are all still there
    for name in EXPECTED_CHARTS {
        assert!(
            dir.path().join(format!("charts/{name}.png")).is_file(),
            "{name}"
        );
    }
}

#[test]
fn the_ledger_section_is_in_the_html_report_with_every_string_escaped() {
    let dir = built_with_ledger("Fuel Line Mini");
    let html = std::fs::read_to_string(dir.path().join("report.html")).unwrap();
    assert_eq!(html.matches("<svg").count(), 13 + 1 + 5);
    let body = html.trim_start_matches("<!DOCTYPE html>");
    let body = body
        .replace("<meta charset=\"utf-8\">", "")
        .replace(
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">",
            "",
        )
        .replace("<br>", "");
    assert_well_formed_xml(&body, "report.html");
    for s in [
        "5. Partnership ledger",
        "The most valuable partnerships",
        "The costliest misalignments",
        "Looks central but adds little",
        "Quiet but carries an objective",
        "Improvement-plan items from the ledger",
        "How to read this, and how it was computed",
        "6. Exemplar runs",
        "7. Method appendix",
        "+21.0 pp",
        "Partner vetting",
        "Ünïcødé ☢",
    ] {
        assert!(html.contains(s), "missing {s}");
    }
    for name in LEDGER_CHARTS {
        assert!(html.contains(&format!("id=\"chart-{name}\"")), "{name}");
    }
    assert!(!html.contains("<script>alert"), "raw script tag in HTML");
    // the only scripts are the report's own (the partnership matrix's hover and filter)
    assert_eq!(
        html.matches("<script").count(),
        html.matches("var root = document.currentScript").count()
    );
    assert!(!html.contains("<b>AMBER"), "raw markup from a target name");
    assert!(
        html.contains("&lt;b&gt;AMBER&lt;"),
        "target name shown as text"
    );
    assert!(html.contains("&quot;=cmd"), "quotes escaped");
}

#[test]
fn the_ledger_section_is_in_the_markdown_report_escaped() {
    let dir = built_with_ledger("Fuel Line Mini");
    let md = std::fs::read_to_string(dir.path().join("report.md")).unwrap();
    let start = md.find("## 5. Partnership ledger").expect("ledger section");
    let end = md
        .find("## 6. Exemplar runs")
        .expect("exemplars renumbered");
    assert!(md.contains("## 7. Method appendix"));
    let section = &md[start..end];
    assert!(!section.contains("<script>"));
    assert!(section.contains("\\<script\\>alert(1)\\</script\\>"));
    assert!(section.contains("No leak of \\<b\\>AMBER\\</b\\> \\& \"=cmd\""));
    for name in LEDGER_CHARTS {
        assert!(section.contains(&format!("(charts/{name}.png)")), "{name}");
    }
    insta::assert_snapshot!("report_md_ledger_section", section);
}

#[test]
fn a_ledger_without_shapley_values_has_no_shapley_chart() {
    let dir = batch("Fuel Line Mini");
    let mut l = fixture::ledger();
    l.shapley = None;
    std::fs::write(
        dir.path().join("ledger.json"),
        serde_json::to_vec(&l).unwrap(),
    )
    .unwrap();
    report::write_report(dir.path()).unwrap();
    assert!(!dir.path().join("charts/ledger-shapley.png").exists());
    assert!(dir.path().join("charts/ledger-quadrant.png").is_file());
    let md = std::fs::read_to_string(dir.path().join("report.md")).unwrap();
    assert!(!md.contains("ledger-shapley"));
    assert!(!md.contains("Shapley values ("));
}

#[test]
fn a_malformed_ledger_is_an_error_that_names_the_file() {
    let dir = batch("Fuel Line Mini");
    std::fs::write(dir.path().join("ledger.json"), b"{\"players\": 3}").unwrap();
    let err = report::write_report(dir.path()).unwrap_err();
    assert!(err.to_string().contains("ledger.json"), "{err}");
    assert_eq!(err.exit_code(), 2);
}

#[test]
fn the_report_command_rebuilds_the_ledger_charts_and_section_byte_for_byte() {
    let dir = built_with_ledger("Fuel Line Mini");
    let first = all_files(dir.path());
    assert_cmd::Command::cargo_bin("tabletop")
        .unwrap()
        .arg("report")
        .arg(dir.path())
        .assert()
        .success();
    let second = all_files(dir.path());
    assert_eq!(names(&first), names(&second));
    assert_eq!(
        first.len(),
        3 + 2 * (EXPECTED_CHARTS.len() + LEDGER_CHARTS.len())
    );
    for ((n1, b1), (_, b2)) in first.iter().zip(&second) {
        assert!(b1 == b2, "{n1} changed between renders");
    }
}

/// Not a check: writes the fixture batch with its ledger, or with `$LEDGER_FROM` a real batch
/// directory with a synthetic ledger of its partnerships (`fixture::synthetic_ledger`), and
/// its report, to `$REPORT_FIXTURE_OUT` so the ledger charts can be looked at.
#[test]
#[ignore]
fn render_ledger_report_for_inspection() {
    let out = std::env::var("REPORT_FIXTURE_OUT").expect("set REPORT_FIXTURE_OUT");
    let dir = std::path::PathBuf::from(out);
    match std::env::var("LEDGER_FROM") {
        Ok(from) => {
            let from = std::path::PathBuf::from(from);
            std::fs::create_dir_all(&dir).unwrap();
            for f in [
                "summary.json",
                "catalog.json",
                "manifest.json",
                "scenario.ron",
            ] {
                std::fs::copy(from.join(f), dir.join(f)).unwrap();
            }
            let s: tabletop::batch::summary::Summary =
                serde_json::from_slice(&std::fs::read(dir.join("summary.json")).unwrap()).unwrap();
            let c: tabletop::sim::Catalog =
                serde_json::from_slice(&std::fs::read(dir.join("catalog.json")).unwrap()).unwrap();
            let l = fixture::synthetic_ledger(&s, &c);
            std::fs::write(
                dir.join("ledger.json"),
                serde_json::to_vec_pretty(&l).unwrap(),
            )
            .unwrap();
        }
        Err(_) => {
            fixture::write_fixture_batch(&dir, fixture::SCENARIO_NAME).unwrap();
            fixture::write_fixture_ledger(&dir).unwrap();
        }
    }
    report::write_report(&dir).unwrap();
}

/// `report.html` with each inline chart cut down to `<svg …/>`, for a readable snapshot.
fn html_without_svgs(html: &str) -> String {
    let mut out = String::new();
    let mut rest = html;
    while let Some(i) = rest.find("<svg") {
        out.push_str(&rest[..i]);
        let end = rest[i..].find("</svg>").map_or(rest.len(), |j| i + j + 6);
        out.push_str("<svg …/>");
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

#[test]
fn report_html_without_a_ledger_matches_its_snapshot() {
    let dir = built("Fuel Line Mini");
    let html = std::fs::read_to_string(dir.path().join("report.html")).unwrap();
    assert!(!html.contains("Partnership ledger"));
    insta::assert_snapshot!("report_html_text", html_without_svgs(&html));
}

/// `tabletop run` on fuel-line: the default narrative is a page (≤ 60 timed lines) with every
/// kind of line a facilitator needs, and its folded counts add up to `--detail full`'s events.
/// Seed 3's first run is one in which every kind happens (an insider act among them).
#[test]
fn run_narrative_is_folded_to_a_page_and_accounts_for_every_event() {
    let out = tempfile::tempdir().unwrap();
    let run = |detail: &str| {
        let o = assert_cmd::Command::cargo_bin("tabletop")
            .unwrap()
            .args([
                "run",
                "scenarios/fuel-line.ron",
                "--seed",
                "3",
                "--detail",
                detail,
                "--out",
            ])
            .arg(out.path())
            .output()
            .unwrap();
        assert!(o.status.success());
        String::from_utf8(o.stdout).unwrap()
    };
    let page = run("summary");
    let full = run("full");
    let timed = |s: &str| -> Vec<String> {
        s.lines()
            .filter(|l| l.starts_with("Day "))
            .map(str::to_string)
            .collect()
    };
    let (p, f) = (timed(&page), timed(&full));
    assert!(p.len() <= 60, "{} lines:\n{page}", p.len());
    assert!(
        f.len() > 2 * p.len(),
        "full {} vs folded {}",
        f.len(),
        p.len()
    );
    for needle in [
        "Inject 1:",             // injects
        "observes a signal of",  // first detection
        "receives an item on",   // first news from a partner
        "more items from",       // folded traffic
        "decides to act on",     // decisions
        "succeeds",              // actions
        "posts documents",       // insider acts
        "blocked by",            // failures to pass
        "[NOT met] O2-coverage", // objectives
        "[met] O1-share",
        // first detection through an inject, and when each objective was met or missed
        "Day 1 00:00  First signal of Ransomware intrusion (DarkSide-like affiliate) is picked up (inject 1)",
        "Day 1 00:30  Objective O1-share is met:",
        "Objective O5-leak is no longer met:",
        "Day 7 00:00  Objective O2-coverage is not met when the exercise ends:",
    ] {
        // folding is the page's own: the full narrative tells each item instead
        if needle != "more items from" {
            assert!(full.contains(needle), "the run has no {needle:?}:\n{full}");
        }
        assert!(page.contains(needle), "no {needle:?} in:\n{page}");
    }
    // A limit met from the start is not news; one lost during play is not told twice.
    assert!(!full.contains("Objective O5-leak is met"), "{full}");
    assert!(
        !full.contains("Objective O5-leak is not met when"),
        "{full}"
    );
    // Each folded line tells its event and the N more it folds: together, every event.
    let mut told = 0;
    for l in &p {
        told += 1;
        if let Some((_, tail)) = l.split_once("; then ") {
            let words: Vec<&str> = tail.split_whitespace().collect();
            for w in words.windows(2) {
                if w[1] == "more"
                    && let Ok(n) = w[0].parse::<usize>()
                {
                    told += n;
                }
            }
        }
    }
    assert_eq!(told, f.len(), "folded:\n{page}");
}

/// The objectives × variants matrix replaces one table per variant; an evaluator's
/// `evaluation.csv` overrides a rating, shown beside the simulated evidence; a bad row stops
/// the report with its line and exit code 2.
#[test]
fn matrix_and_evaluator_overrides() {
    let dir = batch("Fuel Line Mini");
    std::fs::write(
        dir.path().join("evaluation.csv"),
        "objective,rating,note,evaluator\ndetect,U,\"Players <b>never</b> saw the SOC alert\",J. Doe\n",
    )
    .unwrap();
    report::write_report(dir.path()).unwrap();
    let html = std::fs::read_to_string(dir.path().join("report.html")).unwrap();
    let md = std::fs::read_to_string(dir.path().join("report.md")).unwrap();
    assert_eq!(html.matches("<table class=\"matrix\">").count(), 1);
    assert!(md.contains("| Objective | Target | Base | V1 |"), "{md}");
    assert!(
        html.contains("rating-U\">U</span>† <small>(simulated "),
        "override not marked"
    );
    assert!(html.contains("Evaluator judgement"));
    assert!(
        html.contains("Players &lt;b&gt;never&lt;"),
        "note not escaped"
    );
    assert!(!html.contains("<b>never</b>"));
    assert!(html.contains("met, but with major problems or negative impacts"));
    // The evaluator's U moves `detect` from the strengths to the areas for improvement, with
    // the simulated evidence and the evaluator's rating in its text.
    let section = |from: &str, to: &str| {
        let a = md.find(from).expect(from);
        let b = a + md[a..].find(to).expect(to);
        md[a..b].to_string()
    };
    let strengths = section("### Strengths", "### Areas for improvement");
    let afis = section("### Areas for improvement", "### Effects of the variants");
    assert!(!strengths.contains("detect:"), "{strengths}");
    assert!(afis.contains("#### detect:"), "{afis}");
    assert!(afis.contains("Evaluator's rating U"), "{afis}");
    std::fs::write(
        dir.path().join("evaluation.csv"),
        "objective,rating\ndetect,U\nwarn,Q\n",
    )
    .unwrap();
    let e = report::write_report(dir.path()).unwrap_err();
    assert_eq!(e.exit_code(), 2);
    assert!(e.to_string().contains("evaluation.csv:3:"), "{e}");
}

/// `report.xlsx`: its sheets, a header, values as numbers, a formula-looking scenario string
/// stored as text (never a formula), and the same bytes when the report is rebuilt.
#[test]
fn excel_workbook_has_its_sheets_values_and_no_formulas() {
    use calamine::{Data, Reader, Xlsx, open_workbook};
    let dir = built("Fuel Line Mini");
    let path = dir.path().join("report.xlsx");
    let mut wb: Xlsx<_> = open_workbook(&path).unwrap();
    assert_eq!(
        wb.sheet_names(),
        [
            "Objectives by variant",
            "Key metrics",
            "Paired differences",
            "Drivers",
            "MSEL"
        ]
    );
    let obj = wb.worksheet_range("Objectives by variant").unwrap();
    assert_eq!(obj.get((0, 0)), Some(&Data::String("Objective".into())));
    assert_eq!(obj.get((1, 0)), Some(&Data::String("detect".into())));
    assert_eq!(obj.get((1, 5)), Some(&Data::String("P".into())));
    match obj.get((1, 7)) {
        Some(Data::Float(p)) => assert!((p - 0.93).abs() < 0.005, "{p}"),
        x => panic!("P(met) not a number: {x:?}"),
    }
    let msel = wb.worksheet_range("MSEL").unwrap();
    assert_eq!(msel.get((1, 0)), Some(&Data::Float(1.0)));
    let synopsis = msel.get((3, 6)).unwrap();
    assert!(
        matches!(synopsis, Data::String(s) if s.starts_with("'=HYPERLINK")),
        "{synopsis:?}"
    );
    for name in wb.sheet_names() {
        let f = wb.worksheet_formula(&name).unwrap();
        assert_eq!(f.used_cells().count(), 0, "{name} holds formulas");
    }
    let bytes = std::fs::read(&path).unwrap();
    report::write_report(dir.path()).unwrap();
    assert_eq!(
        bytes,
        std::fs::read(&path).unwrap(),
        "report.xlsx not reproducible"
    );
    // Every sheet as a planner opens it: the header row frozen, columns sized to their
    // contents, numbers formatted (calamine does not read these, so the sheet XML is read).
    let mut zip = zip::ZipArchive::new(std::fs::File::open(&path).unwrap()).unwrap();
    let mut read = |name: &str| {
        let mut s = String::new();
        std::io::Read::read_to_string(&mut zip.by_name(name).unwrap(), &mut s).unwrap();
        s
    };
    let styles = read("xl/styles.xml");
    // styles 2 and 3 are the "0.00" and "0" number formats
    assert!(
        styles.contains(r#"<numFmt numFmtId="164" formatCode="0.00"/>"#)
            && styles.contains(r#"<numFmt numFmtId="165" formatCode="0"/>"#)
            && styles.contains(r#"<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/><xf numFmtId="165""#),
        "{styles}"
    );
    for i in 1..=5 {
        let xml = read(&format!("xl/worksheets/sheet{i}.xml"));
        assert!(
            xml.contains(
                r#"<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>"#
            ),
            "sheet {i}: header row not frozen"
        );
        assert!(
            xml.contains(r#"<col min="1" max="1" width="#) && xml.contains(r#"customWidth="1""#),
            "sheet {i}: no column widths"
        );
        assert!(
            xml.contains(r#"s="2"><v>"#) || xml.contains(r#"s="3"><v>"#),
            "sheet {i}: no number with a number format"
        );
    }
    let dir = built_with_ledger("Fuel Line Mini");
    let wb: Xlsx<_> = open_workbook(dir.path().join("report.xlsx")).unwrap();
    assert!(wb.sheet_names().contains(&"Ledger".to_string()));
}

#[test]
fn a_network_above_thirty_agencies_is_drawn_grouped_and_as_a_matrix() {
    // state-network: 51 agencies; the hairball chart gives way to the two large-network views
    let t = tempfile::tempdir().unwrap();
    let dir = t.path().join("b");
    assert_cmd::Command::cargo_bin("tabletop")
        .unwrap()
        .args(["-q", "batch", "scenarios/state-network.ron", "--runs", "4"])
        .args(["--jobs", "1", "--out"])
        .arg(&dir)
        .assert()
        .success();
    assert!(!dir.join("charts/network.png").exists());
    for name in ["network_groups", "network_matrix"] {
        let (pixels, w, h) = decode_png(&dir.join(format!("charts/{name}.png")));
        assert_eq!((w, h), (1600, 900), "{name}");
        let first = &pixels[..3];
        let differing = pixels.chunks(3).filter(|p| p != &first).count();
        assert!(differing > (w * h / 100) as usize, "{name} is blank");
        let svg = std::fs::read_to_string(dir.join(format!("charts/{name}.svg"))).unwrap();
        assert_well_formed_xml(&svg, name);
    }
    let html = std::fs::read_to_string(dir.join("report.html")).unwrap();
    assert!(html.contains("<figure id=\"chart-network_groups\">"));
    assert!(html.contains("<figure id=\"chart-network_matrix\">"));
    let md = std::fs::read_to_string(dir.join("report.md")).unwrap();
    assert!(md.contains("(charts/network_groups.png)"));
    assert!(md.contains("(charts/network_matrix.png)"));
}

/// A real batch of fuel-line, plus a variant that tests no recommendation: its clear effects
/// are in the findings; an action whose measured effect is exactly zero says "no measurable
/// effect"; the exemplar narratives fold repeated traffic as `tabletop run` does; and every
/// timed inject has its time in `msel.csv`, fired in the exemplar run or not.
#[test]
fn a_real_batch_reports_every_variant_folds_exemplars_and_fills_msel_times() {
    let t = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string("scenarios/fuel-line.ron")
        .unwrap()
        .replacen(
            "    variants: [\n",
            "    variants: [
        (
            id: \"no-operator-links\",
            name: \"Without the operator's partnerships\",
            description: \"The value of the operator's reports.\",
            changes: [
                Set(\"partnerships[op_vendor].share_probability\", \"0.0\"),
                Set(\"partnerships[op_cisa].share_probability\", \"0.0\"),
                Set(\"partnerships[op_fbi].share_probability\", \"0.0\"),
            ],
        ),
",
            1,
        );
    let file = t.path().join("fuel.ron");
    std::fs::write(&file, text).unwrap();
    let out = t.path().join("out");
    assert_cmd::Command::cargo_bin("tabletop")
        .unwrap()
        .args(["-q", "batch", "--runs", "200", "--all-variants", "--out"])
        .arg(&out)
        .arg(&file)
        .assert()
        .success();
    let md = std::fs::read_to_string(out.join("report.md")).unwrap();
    let section = |from: &str, to: &str| {
        let a = md.find(from).expect(from);
        let b = a + md[a..].find(to).expect(to);
        md[a..b].to_string()
    };
    let effects = section("### Effects of the variants", "## 4. Improvement plan");
    assert!(
        effects.contains("- Variant “Without the operator's partnerships”: "),
        "{effects}"
    );
    let plan = section("## 4. Improvement plan", "## 5. Exemplar runs");
    assert!(plan.contains("no measurable effect"), "{plan}");
    assert!(!plan.contains("(95% CI 0.00 to 0.00)"), "{plan}");
    let exemplars = section("## 5. Exemplar runs", "## 6. Method appendix");
    assert!(exemplars.contains("; then "), "{exemplars}");
    assert!(exemplars.contains("more items from"), "{exemplars}");
    let msel = std::fs::read_to_string(out.join("msel.csv")).unwrap();
    let mut rdr = csv::Reader::from_reader(msel.as_bytes());
    let head = rdr.headers().unwrap().clone();
    let col = |name: &str| head.iter().position(|h| h.ends_with(name)).expect(name);
    let (time, trigger) = (col("Scenario time [h]"), col("Trigger"));
    let mut timed = 0;
    for r in rdr.records() {
        let r = r.unwrap();
        if r[trigger].starts_with("at ") {
            timed += 1;
            assert!(!r[time].is_empty(), "no time for a timed inject: {r:?}");
        }
    }
    assert!(timed >= 5, "{msel}");
}

/// A driver that happens in every run (here the HSIN outage inject, at probability 0.9999
/// over 200 runs of seed 1) cannot be told apart by comparing runs: the root-cause analysis
/// says so and names the variant that would measure it, instead of "no single simulated
/// event explains the shortfall".
#[test]
fn a_driver_in_every_run_is_named_as_unattributable_with_the_variant_that_would_measure_it() {
    let t = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string("scenarios/fuel-line.ron")
        .unwrap()
        .replace(
            "effect: ChannelOutage(\"hsin\"),\n            probability: 0.7,",
            "effect: ChannelOutage(\"hsin\"),\n            probability: 0.9999,",
        );
    assert!(text.contains("probability: 0.9999,"));
    let file = t.path().join("fuel.ron");
    std::fs::write(&file, text).unwrap();
    let out = t.path().join("out");
    assert_cmd::Command::cargo_bin("tabletop")
        .unwrap()
        .args(["-q", "batch", "--runs", "200", "--out"])
        .arg(&out)
        .arg(&file)
        .assert()
        .success();
    let runs = std::fs::read_to_string(out.join("runs.csv")).unwrap();
    let mut rdr = csv::Reader::from_reader(runs.as_bytes());
    let col = rdr
        .headers()
        .unwrap()
        .iter()
        .position(|h| h == "drv:inject.I-04")
        .expect("inject I-04 is a driver");
    assert!(
        rdr.records().all(|r| &r.unwrap()[col] == "1"),
        "the inject must fire in every run for this test"
    );
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    let always = summary["variants"][0]["drivers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["driver"] == "inject.I-04")
        .expect("a driver in every run stays in summary.json");
    assert_eq!(always["runs_without"], 0);
    assert!(always["p_without"].is_null());
    let md = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(
        md.contains("happened in every run, so comparing runs with and without it cannot attribute the shortfall to it"),
        "{md}"
    );
    // The outage the inject causes is the driver named, with the variant that measures it.
    assert!(
        md.contains("“HSIN (Homeland Security Information Network) down or compromised” happened in every run"),
        "{md}"
    );
    assert!(
        md.contains("add a variant in which channel hsin does not fail"),
        "{md}"
    );
    assert!(!md.contains("No single simulated event explains"), "{md}");
}
