//! The files of a sensitivity study: `sensitivity.json` (everything, with provenance),
//! `morris.csv` / `sobol.csv` / `prim.csv`, the charts, and the "What the answer depends on"
//! section as `sensitivity.md` and `sensitivity.html` fragments for the report.

use super::charts::RenderedChart;
use super::sens_charts::{SensCharts, box_ranges, render_indices, render_prim};
use super::text::md_escape;
use crate::error::Result;
use crate::output::{csv_safe, display_safe, safe_file_name, write_atomic};
use crate::sensitivity::study::{Method, StudyResult};
use std::fmt::Write as _;
use std::path::Path;

/// Provenance and natural-unit ranges written with a study.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SensMeta {
    /// Scenario name.
    pub scenario: String,
    /// Scenario hash (sha256, hex).
    pub scenario_hash: String,
    /// tabletop version.
    pub version: String,
    /// Seeded runs per design point.
    pub runs_per_point: u64,
    /// Variant studied ("baseline" for the scenario as written).
    pub variant: String,
    /// Each factor's value at u = 0.001 and u = 0.999 of its distribution, natural units,
    /// for reading box limits (linear between them is only a reading aid: exact limits are in
    /// `box_natural`).
    pub factor_ranges: Vec<(f64, f64)>,
    /// For each entry of `study.outputs` (in that order) with a PRIM box: the chosen box's
    /// limits in natural units per restricted dimension (dimension, lower, upper); empty for
    /// the others.
    pub box_natural: Vec<Vec<(usize, f64, f64)>>,
}

/// `sensitivity.json`.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SensitivityFile {
    /// Provenance.
    pub meta: SensMeta,
    /// The study.
    pub study: StudyResult,
}

fn f(v: f64) -> String {
    if v.is_finite() {
        format!("{v}")
    } else {
        String::new()
    }
}

fn cell(s: &str) -> String {
    let s = csv_safe(&display_safe(s)).into_owned();
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

/// `morris.csv`: one row per output and group.
pub fn morris_csv(r: &StudyResult) -> String {
    let mut s = String::from("output,group,mu,mu_star,sigma,mu_star_lo,mu_star_hi,effects\n");
    for o in &r.outputs {
        if let Some(m) = &o.morris {
            for (g, x) in r.groups.iter().zip(m) {
                let _ = writeln!(
                    s,
                    "{},{},{},{},{},{},{},{}",
                    cell(&o.output.id),
                    cell(g),
                    f(x.mu),
                    f(x.mu_star),
                    f(x.sigma),
                    f(x.mu_star_ci.lo),
                    f(x.mu_star_ci.hi),
                    x.effects
                );
            }
        }
    }
    s
}

/// `sobol.csv`: one row per output and factor.
pub fn sobol_csv(r: &StudyResult) -> String {
    let mut s = String::from("output,factor,s1,s1_lo,s1_hi,st,st_lo,st_hi,variance,rows\n");
    for o in &r.outputs {
        if let Some(x) = &o.sobol {
            for (g, i) in r.groups.iter().zip(&x.indices) {
                let _ = writeln!(
                    s,
                    "{},{},{},{},{},{},{},{},{},{}",
                    cell(&o.output.id),
                    cell(g),
                    f(i.s1),
                    f(i.s1_ci.lo),
                    f(i.s1_ci.hi),
                    f(i.st),
                    f(i.st_ci.lo),
                    f(i.st_ci.hi),
                    f(x.variance),
                    x.rows_used
                );
            }
        }
    }
    s
}

/// `prim.csv`: the peeling trajectory of every output, one row per box and restricted
/// dimension (a box without restrictions has one row with an empty dimension).
pub fn prim_csv(r: &StudyResult) -> String {
    let mut s = String::from(
        "output,box,chosen,pasted,coverage,density,mass,points,cases,dimension,lower,upper,quasi_p_lower,quasi_p_upper\n",
    );
    let opt = |v: Option<f64>| v.map(f).unwrap_or_default();
    for o in &r.outputs {
        let Some(p) = &o.prim else { continue };
        for (i, b) in p.trajectory.iter().enumerate() {
            let head = format!(
                "{},{i},{},{},{},{},{},{},{}",
                cell(&o.output.id),
                i == p.chosen,
                b.pasted,
                f(b.coverage),
                f(b.density),
                f(b.mass),
                b.n,
                b.k
            );
            if b.restricted.is_empty() {
                let _ = writeln!(s, "{head},,,,,");
            }
            for (&d, &(ql, qh)) in b.restricted.iter().zip(&b.quasi_p) {
                let name = r.factors.get(d).map(|x| x.label.as_str()).unwrap_or("");
                let _ = writeln!(
                    s,
                    "{head},{},{},{},{},{}",
                    cell(name),
                    f(b.limits[d].0),
                    f(b.limits[d].1),
                    opt(ql),
                    opt(qh)
                );
            }
        }
    }
    s
}

/// A number for prose: 3 significant digits.
fn sig(v: f64) -> String {
    if !v.is_finite() {
        return "–".into();
    }
    let a = v.abs();
    if a == 0.0 {
        "0".into()
    } else if a >= 100.0 {
        format!("{v:.0}")
    } else if a >= 1.0 {
        format!("{v:.2}")
    } else {
        format!("{v:.3}")
    }
}

/// The "What the answer depends on" section, as Markdown lines (each scenario string escaped
/// with `esc`).
fn section(file: &SensitivityFile, esc: &dyn Fn(&str) -> String) -> Vec<String> {
    let r = &file.study;
    let mut out = vec!["What the answer depends on".to_string()];
    let method = match r.method {
        Method::Morris { trajectories } => format!(
            "Morris screening, {trajectories} trajectories ({} design points × {} runs)",
            r.points, file.meta.runs_per_point
        ),
        Method::Sobol { samples } if r.seed_factor => format!(
            "Sobol' indices, {samples} base rows ({} design points × {} runs), the run seed a factor of its own",
            r.points, file.meta.runs_per_point
        ),
        Method::Sobol { samples } => format!(
            "Sobol' indices, {samples} base rows ({} design points × {} runs, common random numbers per base row)",
            r.points, file.meta.runs_per_point
        ),
        Method::Prim { samples } => format!(
            "PRIM scenario discovery over {samples} Latin hypercube points × {} runs",
            file.meta.runs_per_point
        ),
    };
    out.push(format!("Method: {method}; master seed {}.", r.seed));
    for (oi, o) in r.outputs.iter().enumerate() {
        let label = esc(&o.output.label);
        if let Some(m) = &o.morris {
            let mut order: Vec<usize> =
                (0..m.len()).filter(|&g| m[g].mu_star.is_finite()).collect();
            order.sort_by(|&a, &b| m[b].mu_star.total_cmp(&m[a].mu_star).then(a.cmp(&b)));
            let top: Vec<String> = order
                .iter()
                .take(3)
                .filter(|&&g| m[g].mu_star > 0.0)
                .map(|&g| {
                    format!(
                        "{} (μ* {} [{}, {}], σ {})",
                        esc(&r.groups[g]),
                        sig(m[g].mu_star),
                        sig(m[g].mu_star_ci.lo),
                        sig(m[g].mu_star_ci.hi),
                        sig(m[g].sigma)
                    )
                })
                .collect();
            let inert: Vec<String> = order
                .iter()
                .filter(|&&g| m[g].mu_star_ci.hi <= 0.0)
                .map(|&g| esc(&r.groups[g]))
                .collect();
            out.push(format!(
                "{label}: {}{}",
                if top.is_empty() {
                    "no factor moves it.".to_string()
                } else {
                    format!("moved most by {}.", top.join("; "))
                },
                if inert.is_empty() {
                    String::new()
                } else {
                    format!(" No effect at all: {}.", inert.join(", "))
                }
            ));
        }
        if let Some(s) = &o.sobol {
            // With --seed-factor the last group is the run seed: said apart, not ranked.
            let params = s.indices.len() - usize::from(r.seed_factor);
            let mut order: Vec<usize> = (0..params).collect();
            order.sort_by(|&a, &b| s.indices[b].st.total_cmp(&s.indices[a].st).then(a.cmp(&b)));
            let top: Vec<String> = order
                .iter()
                .take(3)
                .map(|&g| {
                    let i = &s.indices[g];
                    format!(
                        "{} (total {} [{}, {}], alone {})",
                        esc(&r.groups[g]),
                        sig(i.st),
                        sig(i.st_ci.lo),
                        sig(i.st_ci.hi),
                        sig(i.s1)
                    )
                })
                .collect();
            let fixable: Vec<String> = order
                .iter()
                .filter(|&&g| s.indices[g].st_ci.lo <= 0.0)
                .map(|&g| esc(&r.groups[g]))
                .collect();
            let noise = match s.indices.get(params) {
                Some(i) if r.seed_factor => format!(
                    " Monte Carlo noise (the run seed, {} runs per point): total {} [{}, {}], \
                     alone {}; that share of the variance of a point's estimate is chance, \
                     not the parameters.",
                    file.meta.runs_per_point,
                    sig(i.st),
                    sig(i.st_ci.lo),
                    sig(i.st_ci.hi),
                    sig(i.s1)
                ),
                _ => String::new(),
            };
            out.push(format!(
                "{label}: shares of its variance: {}.{}{noise}",
                top.join("; "),
                if fixable.is_empty() {
                    String::new()
                } else {
                    format!(
                        " Could be fixed at any value in its range (total index interval reaches 0): {}.",
                        fixable.join(", ")
                    )
                }
            ));
        }
        if let Some(p) = &o.prim {
            let b = p.chosen_box();
            if p.cases == 0 {
                out.push(format!("{label}: at no point of the sample."));
                continue;
            }
            let nat = file.meta.box_natural.get(oi);
            let dims: Vec<String> = b
                .restricted
                .iter()
                .map(|&d| {
                    let (lo, hi) = nat
                        .and_then(|v| v.iter().find(|x| x.0 == d))
                        .map(|x| (x.1, x.2))
                        .unwrap_or(b.limits[d]);
                    format!(
                        "{} between {} and {}",
                        esc(&r
                            .factors
                            .get(d)
                            .map(|f| f.label.clone())
                            .unwrap_or_default()),
                        sig(lo),
                        sig(hi)
                    )
                })
                .collect();
            out.push(format!(
                "{label}: {} of {} points; the chosen box ({}) holds {:.0}% of them at a density of {:.0}%.",
                p.cases,
                p.points,
                if dims.is_empty() {
                    "no restriction".to_string()
                } else {
                    dims.join(", ")
                },
                b.coverage * 100.0,
                b.density * 100.0
            ));
        }
    }
    out
}

fn html_escape(s: &str) -> String {
    display_safe(s)
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// The section as Markdown (a `###` heading, one paragraph per output).
pub fn section_markdown(file: &SensitivityFile) -> String {
    let esc = |s: &str| md_escape(&display_safe(s));
    let lines = section(file, &esc);
    let mut s = format!("### {}\n\n", lines[0]);
    for l in &lines[1..] {
        s.push_str(l);
        s.push_str("\n\n");
    }
    s
}

/// The section as an HTML fragment (`<section>` with a heading and paragraphs).
pub fn section_html(file: &SensitivityFile) -> String {
    let lines = section(file, &|s: &str| html_escape(s));
    let mut s = format!("<section id=\"sensitivity\">\n<h3>{}</h3>\n", lines[0]);
    for l in &lines[1..] {
        let _ = writeln!(s, "<p>{l}</p>");
    }
    s.push_str("</section>\n");
    s
}

/// Render every chart of a study.
pub(super) fn charts(file: &SensitivityFile) -> Result<Vec<RenderedChart>> {
    let r = &file.study;
    let m = &file.meta;
    let hash: String = m.scenario_hash.chars().take(8).collect();
    let footer = format!(
        "{} · scenario {hash} · {} points × {} runs · master seed {} · tabletop {}",
        display_safe(&m.scenario),
        r.points,
        m.runs_per_point,
        r.seed,
        m.version
    );
    let labels: Vec<String> = r
        .factors
        .iter()
        .map(|f| display_safe(&f.label).into_owned())
        .collect();
    let mut out = Vec::new();
    for (oi, o) in r.outputs.iter().enumerate() {
        let stem = safe_file_name(&o.output.id);
        let label = display_safe(&o.output.label).into_owned();
        out.extend(render_indices(&SensCharts {
            stem: stem.clone(),
            output: label.clone(),
            labels: &r.groups,
            morris: o.morris.as_deref(),
            sobol: o.sobol.as_ref().map(|s| s.indices.as_slice()),
            footer: footer.clone(),
        })?);
        if let Some(p) = &o.prim
            && p.cases > 0
        {
            let init = &p.trajectory[0].limits;
            let nat = m.box_natural.get(oi);
            let ranges = box_ranges(p.chosen_box(), init, &labels, &|d, v| {
                let b = p.chosen_box();
                let exact = nat.and_then(|n| n.iter().find(|x| x.0 == d)).map(|x| {
                    if (v - b.limits[d].0).abs() < 1e-12 {
                        x.1
                    } else {
                        x.2
                    }
                });
                sig(exact.unwrap_or(v))
            });
            out.extend(render_prim(&stem, &label, p, &ranges, &footer)?);
        }
    }
    Ok(out)
}

/// Write `sensitivity.json`, the CSVs, `charts/*.png|svg`, `sensitivity.md` and
/// `sensitivity.html` into `dir`.
pub fn write_sensitivity(dir: &Path, file: &SensitivityFile) -> Result<()> {
    let json = serde_json::to_vec_pretty(file)
        .map_err(|e| crate::Error::Runtime(format!("sensitivity.json: {e}")))?;
    write_atomic(&dir.join("sensitivity.json"), &json)?;
    let r = &file.study;
    if r.outputs.iter().any(|o| o.morris.is_some()) {
        write_atomic(&dir.join("morris.csv"), morris_csv(r).as_bytes())?;
    }
    if r.outputs.iter().any(|o| o.sobol.is_some()) {
        write_atomic(&dir.join("sobol.csv"), sobol_csv(r).as_bytes())?;
    }
    if r.outputs.iter().any(|o| o.prim.is_some()) {
        write_atomic(&dir.join("prim.csv"), prim_csv(r).as_bytes())?;
    }
    for c in charts(file)? {
        write_atomic(&dir.join(format!("charts/{}.png", c.name)), &c.png)?;
        write_atomic(
            &dir.join(format!("charts/{}.svg", c.name)),
            c.svg.as_bytes(),
        )?;
    }
    write_atomic(
        &dir.join("sensitivity.md"),
        section_markdown(file).as_bytes(),
    )?;
    write_atomic(&dir.join("sensitivity.html"), section_html(file).as_bytes())?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sensitivity::study::{Factor, Method, Output, OutputKind, Plan};

    fn study(method: Method) -> SensitivityFile {
        let factors: Vec<Factor> = ["=share <p>", "delay", "inert"]
            .iter()
            .map(|l| Factor {
                label: l.to_string(),
                group: None,
            })
            .collect();
        let p = Plan::new(method, factors, 4).unwrap();
        let outs = vec![
            Output {
                id: "obj:warn:p_met".into(),
                label: "P(met) warn <fast>".into(),
                kind: OutputKind::Probability,
            },
            Output {
                id: "obj:warn:mu".into(),
                label: "warn falls to M or U".into(),
                kind: OutputKind::Flag,
            },
        ];
        let y: Vec<Vec<f64>> = p
            .points()
            .iter()
            .map(|x| vec![0.8 * x[0] + 0.2 * x[1], f64::from(x[0] < 0.3)])
            .collect();
        let study = p.analyze(&outs, &y).unwrap();
        SensitivityFile {
            meta: SensMeta {
                scenario: "Test".into(),
                scenario_hash: "abcdef0123".into(),
                version: "0".into(),
                runs_per_point: 1,
                variant: "baseline".into(),
                factor_ranges: vec![(0.0, 1.0); 3],
                box_natural: match method {
                    Method::Prim { .. } => vec![vec![(0, 0.0, 30.0)]],
                    _ => vec![],
                },
            },
            study,
        }
    }

    #[test]
    fn the_section_names_what_matters_and_what_does_not_escaped() {
        let f = study(Method::Morris { trajectories: 6 });
        let md = section_markdown(&f);
        assert!(md.starts_with("### What the answer depends on"));
        assert!(md.contains("moved most by \\=share \\<p\\>"), "{md}");
        assert!(md.contains("No effect at all: inert."), "{md}");
        let html = section_html(&f);
        assert!(html.contains("=share &lt;p&gt;"), "{html}");
        assert!(!html.contains("<fast>"));
        let csv = morris_csv(&f.study);
        assert!(
            csv.lines().nth(1).unwrap().contains(",'=share <p>,"),
            "{csv}"
        );
    }

    #[test]
    fn prim_boxes_are_described_in_natural_units() {
        let f = study(Method::Prim { samples: 300 });
        let md = section_markdown(&f);
        assert!(md.contains("between 0 and 30"), "{md}");
        let csv = prim_csv(&f.study);
        assert!(csv.lines().any(|l| l.contains(",true,")), "{csv}");
    }

    #[test]
    fn a_study_writes_its_files_and_reads_back() {
        let dir = tempfile::tempdir().unwrap();
        let f = study(Method::Sobol { samples: 32 });
        write_sensitivity(dir.path(), &f).unwrap();
        for name in [
            "sensitivity.json",
            "sobol.csv",
            "sensitivity.md",
            "sensitivity.html",
        ] {
            assert!(dir.path().join(name).is_file(), "{name}");
        }
        assert!(
            dir.path()
                .join("charts/sens-sobol-obj_warn_p_met.svg")
                .is_file()
        );
        let back: SensitivityFile =
            crate::output::read_json(&dir.path().join("sensitivity.json")).unwrap();
        assert_eq!(back.study.outputs.len(), f.study.outputs.len());
    }

    #[test]
    fn the_report_of_a_batch_directory_includes_a_study_written_into_it() {
        let dir = tempfile::tempdir().unwrap();
        crate::report::fixture::write_fixture_batch(dir.path(), "Sens <Test>").unwrap();
        crate::report::write_report(dir.path()).unwrap();
        let before = std::fs::read_to_string(dir.path().join("report.md")).unwrap();
        assert!(!before.contains("What the answer depends on"));
        write_sensitivity(dir.path(), &study(Method::Morris { trajectories: 4 })).unwrap();
        crate::report::write_report(dir.path()).unwrap();
        let md = std::fs::read_to_string(dir.path().join("report.md")).unwrap();
        let html = std::fs::read_to_string(dir.path().join("report.html")).unwrap();
        assert!(md.contains("### What the answer depends on"), "{md}");
        assert!(md.contains("\\=share \\<p\\>"));
        assert!(html.contains("<h3>What the answer depends on</h3>"));
        assert!(html.contains("=share &lt;p&gt;") && !html.contains("=share <p>"));
    }
}
