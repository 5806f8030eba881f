//! The files of `tabletop calibrate` beside `calibration.json`: `calibration.md`,
//! `calibration.html` and two charts (how the observed values narrow each parameter, and
//! where each observed value falls before and after calibration), in the frame of `charts`.
//! Row preparation is in pure, tested functions (`param_rows`, `observed_rows`).

use super::charts::{
    DrawResult, HEIGHT, Mark, RenderedChart, RowsChart, WIDTH, chart_error, draw_mark_sized,
    encode_png, font, frame, legend, legend_note, palette as pal, register_fonts, render_chart,
    rows_chart, text,
};
use super::text::{ellipsize, md_escape};
use crate::batch::calibrate::CalibrationFile;
use crate::batch::summary::ObservedCheck;
use crate::error::Result;
use crate::output::{display_safe, write_atomic};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::HPos;
use std::fmt::Write as _;
use std::path::Path;

/// One parameter on the normalised axis of its prior (0 = the prior's p5, 1 = its p95).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ParamRow {
    /// Label.
    pub label: String,
    /// Accepted p5, median and p95 on the axis.
    pub accepted: (f64, f64, f64),
    /// The value written in the scenario, on the axis.
    pub nominal: f64,
    /// Width ratio (accepted over prior).
    pub width_ratio: f64,
}

/// Parameters on their priors' normalised axes (clamped to [−0.05, 1.05]).
pub(crate) fn param_rows(f: &CalibrationFile) -> Vec<ParamRow> {
    f.params
        .iter()
        .map(|p| {
            let (lo, hi) = p.prior;
            let w = hi - lo;
            let at = |x: f64| {
                if w > 0.0 {
                    ((x - lo) / w).clamp(-0.05, 1.05)
                } else {
                    0.5
                }
            };
            ParamRow {
                label: display_safe(&p.label).into_owned(),
                accepted: (at(p.accepted.0), at(p.accepted.1), at(p.accepted.2)),
                nominal: at(p.nominal),
                width_ratio: p.width_ratio,
            }
        })
        .collect()
}

/// One observed value's percentile in the simulated distributions (None: no runs).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ObservedRow {
    /// Observed value id and description.
    pub label: String,
    /// Percentile under the scenario as written, the prior and the posterior.
    pub percentiles: [Option<f64>; 3],
    /// Inside the 5–95% band after calibration.
    pub inside_after: bool,
    /// A censored value's percentile is a bound: −1 for `at_most` (the real value's
    /// percentile is at most this), +1 for `at_least`, 0 otherwise.
    pub bound: i8,
}

/// Observed values with their percentiles before and after calibration.
pub(crate) fn observed_rows(f: &CalibrationFile) -> Vec<ObservedRow> {
    f.observed
        .iter()
        .map(|o| ObservedRow {
            label: display_safe(&format!("{}: {}", o.id, o.posterior.description)).into_owned(),
            percentiles: [
                o.nominal.percentile,
                o.prior.percentile,
                o.posterior.percentile,
            ],
            inside_after: o.posterior.inside,
            bound: match o.posterior.kind {
                crate::sim::ObservedKind::AtMost => -1,
                crate::sim::ObservedKind::AtLeast => 1,
                _ => 0,
            },
        })
        .collect()
}

fn draw_params<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    rows: &[ParamRow],
    footer: &str,
) -> DrawResult
where
    DB::ErrorType: 'static,
{
    let (area, side) = frame(root, "What the real case says about each parameter", footer)?;
    let n = rows.len().max(3) as f64;
    let mut chart = rows_chart(
        &area,
        &RowsChart {
            rows: rows.len(),
            x: -0.05..1.05,
            caption: None,
            x_desc: "Position in the prior's 5–95% range",
            x_fmt: &|x| format!("{:.0}%", x * 100.0),
            margin_right: 60,
        },
    )?;
    let pa = chart.plotting_area().clone();
    let left = pa.get_pixel_range().0.start;
    for (i, r) in rows.iter().enumerate() {
        let y = n - i as f64 - 0.5;
        chart.draw_series(std::iter::once(Rectangle::new(
            [(0.0, y - 0.08), (1.0, y + 0.08)],
            pal::LIGHT.filled(),
        )))?;
        chart.draw_series(std::iter::once(Rectangle::new(
            [(r.accepted.0, y - 0.22), (r.accepted.2, y + 0.22)],
            pal::BLUE.mix(0.7).filled(),
        )))?;
        let (pxm, py) = pa.map_coordinate(&(r.accepted.1, y));
        draw_mark_sized(root, Mark::Dot(pal::INK), (pxm, py), 7)?;
        let (pxn, _) = pa.map_coordinate(&(r.nominal, y));
        draw_mark_sized(root, Mark::Diamond(pal::ORANGE), (pxn, py - 30), 9)?;
        text(
            root,
            &ellipsize(&r.label, 36),
            (left - 12, py - 10),
            font(19),
            HPos::Right,
        )?;
        text(
            root,
            &format!("width {:.0}% of prior", r.width_ratio * 100.0),
            (left - 12, py + 14),
            font(16).color(&pal::GREY),
            HPos::Right,
        )?;
    }
    let y = legend(
        &side,
        "Parameters",
        &[
            ("Prior 5–95%".into(), Mark::Square(pal::LIGHT)),
            ("Accepted 5–95%".into(), Mark::Square(pal::BLUE)),
            ("Accepted median".into(), Mark::Dot(pal::INK)),
            ("Value in the scenario".into(), Mark::Diamond(pal::ORANGE)),
        ],
    )?;
    legend_note(
        &side,
        y,
        "A bar as wide as the grey one: the observed values say nothing about that parameter.",
    )?;
    root.present()?;
    Ok(())
}

fn draw_observed<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    rows: &[ObservedRow],
    footer: &str,
) -> DrawResult
where
    DB::ErrorType: 'static,
{
    let (area, side) = frame(
        root,
        "Where the real case falls in the simulation, before and after calibration",
        footer,
    )?;
    let n = rows.len().max(3) as f64;
    let mut chart = rows_chart(
        &area,
        &RowsChart {
            rows: rows.len(),
            x: 0.0..100.0,
            caption: None,
            x_desc: "Percentile of the observed value among the simulated runs",
            x_fmt: &|x| format!("{x:.0}"),
            margin_right: 60,
        },
    )?;
    chart.draw_series(std::iter::once(Rectangle::new(
        [(5.0, 0.0), (95.0, n)],
        pal::GREEN.mix(0.12).filled(),
    )))?;
    let pa = chart.plotting_area().clone();
    let left = pa.get_pixel_range().0.start;
    let marks = [
        Mark::Ring(pal::GREY),
        Mark::Triangle(pal::SKY),
        Mark::Dot(pal::BLUE),
    ];
    for (i, r) in rows.iter().enumerate() {
        let y = n - i as f64 - 0.5;
        let (_, py) = pa.map_coordinate(&(0.0, y));
        for (k, (p, m)) in r.percentiles.iter().zip(marks).enumerate() {
            if let Some(p) = p {
                let (px, _) = pa.map_coordinate(&(*p, y));
                let yk = py + (k as i32 - 1) * 14;
                // A censored value: the real percentile lies anywhere on the open side.
                let end = match r.bound {
                    -1 => Some(0.0),
                    1 => Some(100.0),
                    _ => None,
                };
                if let Some(e) = end {
                    let (ex, _) = pa.map_coordinate(&(e, y));
                    root.draw(&PathElement::new(
                        vec![(px, yk), (ex, yk)],
                        [pal::GREY, pal::SKY, pal::BLUE][k].stroke_width(2),
                    ))?;
                }
                draw_mark_sized(root, m, (px, yk), 8)?;
            }
        }
        let style = if r.inside_after {
            font(19)
        } else {
            font(19).color(&pal::VERMILLION)
        };
        text(
            root,
            &ellipsize(&r.label, 38),
            (left - 12, py),
            style,
            HPos::Right,
        )?;
    }
    let y = legend(
        &side,
        "Observed value's percentile",
        &[
            ("Scenario as written".into(), Mark::Ring(pal::GREY)),
            ("Prior predictive".into(), Mark::Triangle(pal::SKY)),
            ("After calibration".into(), Mark::Dot(pal::BLUE)),
            ("Simulated 5–95% band".into(), Mark::Band(pal::GREEN, 0.25)),
        ],
    )?;
    legend_note(
        &side,
        y,
        "Line: a censored value, its percentile anywhere on it. Red: outside 5–95% after calibration.",
    )?;
    root.present()?;
    Ok(())
}

/// The two charts of a calibration.
pub(super) fn charts(f: &CalibrationFile) -> Result<Vec<RenderedChart>> {
    register_fonts()?;
    let hash: String = f.scenario_hash.chars().take(8).collect();
    let footer = format!(
        "{} · scenario {hash} · {} of {} draws accepted × {} runs · master seed {} · tabletop {}",
        display_safe(&f.scenario),
        f.accepted,
        f.draws,
        f.runs_per_draw,
        f.master_seed,
        f.version
    );
    let (params, observed) = (param_rows(f), observed_rows(f));
    Ok(vec![
        render_chart!(
            "calibration-params".to_string(),
            "What the real case says about each parameter".to_string(),
            draw_params(&params, &footer)
        ),
        render_chart!(
            "calibration-observed".to_string(),
            "Where the real case falls, before and after calibration".to_string(),
            draw_observed(&observed, &footer)
        ),
    ])
}

/// A number as a planner reads it (4 significant digits).
fn num(x: f64) -> String {
    if !x.is_finite() {
        return "–".into();
    }
    let a = x.abs();
    if a >= 1000.0 || a == 0.0 {
        format!("{x:.0}")
    } else if a >= 10.0 {
        format!("{x:.1}")
    } else if a >= 0.1 {
        format!("{x:.3}")
    } else {
        format!("{x:.4}")
    }
}

fn band(c: &ObservedCheck) -> String {
    let o = |x: Option<f64>| x.map_or("never".to_string(), num);
    let pct = c
        .percentile
        .map_or("–".to_string(), |p| format!("{p:.0}th"));
    format!(
        "{}–{} ({pct}{})",
        o(c.p5),
        o(c.p95),
        if c.inside { "" } else { ", outside" }
    )
}

fn observed_text(c: &ObservedCheck) -> String {
    use crate::sim::ObservedKind as K;
    let v = c.value.map_or(String::new(), num);
    let u = if c.unit.is_empty() {
        String::new()
    } else {
        format!(" {}", c.unit)
    };
    match c.kind {
        K::Value => format!("{v}{u}"),
        K::AtLeast => format!("≥ {v}{u}"),
        K::AtMost => format!("≤ {v}{u}"),
        K::Never => "never".into(),
    }
}

/// The rows of the two tables, with `esc` applied to scenario text.
fn tables(
    f: &CalibrationFile,
    esc: &dyn Fn(&str) -> String,
) -> (Vec<[String; 6]>, Vec<[String; 5]>) {
    let params = f
        .params
        .iter()
        .map(|p| {
            [
                esc(&p.label),
                format!("{} (value {})", esc(&p.prior_dist), num(p.nominal)),
                format!("{}–{}", num(p.prior.0), num(p.prior.1)),
                format!(
                    "{}–{} (median {})",
                    num(p.accepted.0),
                    num(p.accepted.2),
                    num(p.accepted.1)
                ),
                format!("{:.0}%", p.width_ratio * 100.0),
                p.posterior_dist
                    .as_deref()
                    .map_or("(prior kept)".into(), esc),
            ]
        })
        .collect();
    let observed = f
        .observed
        .iter()
        .map(|o| {
            [
                format!("{} ({})", esc(&o.posterior.description), esc(&o.id)),
                esc(&observed_text(&o.posterior)),
                band(&o.nominal),
                band(&o.prior),
                band(&o.posterior),
            ]
        })
        .collect();
    (params, observed)
}

const PARAM_HEAD: [&str; 6] = [
    "Parameter",
    "Prior",
    "Prior 5–95%",
    "Accepted 5–95%",
    "Width kept",
    "Calibrated distribution",
];
const OBS_HEAD: [&str; 5] = [
    "Observed in the real case",
    "Value",
    "Scenario as written: 5–95% (percentile)",
    "Prior predictive",
    "After calibration",
];

fn summary_line(f: &CalibrationFile) -> String {
    let outside: Vec<&str> = f
        .observed
        .iter()
        .filter(|o| !o.posterior.inside)
        .map(|o| o.id.as_str())
        .collect();
    let mut s = format!(
        "Rejection ABC: {} prior draws of {} uncertain parameters, {} seeded runs each on common \
         random numbers; the {} draws ({:.0}%) closest to the {} observed values are accepted \
         (tolerance ε = {:.3}; the scenario as written is at distance {:.3}).",
        f.draws,
        f.params.len(),
        f.runs_per_draw,
        f.accepted,
        f.accept_fraction * 100.0,
        f.observed.len(),
        f.tolerance,
        f.nominal_distance
    );
    if outside.is_empty() {
        s.push_str(" After calibration every observed value lies inside the simulated 5–95% band.");
    } else {
        let _ = write!(
            s,
            " Even after calibration {} observed value{} outside the simulated 5–95% band ({}): \
             the declared parameters cannot reproduce {} — look for a missing mechanism or a \
             parameter that is not declared uncertain.",
            outside.len(),
            if outside.len() == 1 { " lies" } else { "s lie" },
            outside.join(", "),
            if outside.len() == 1 { "it" } else { "them" }
        );
    }
    s
}

/// `calibration.md`.
pub(crate) fn markdown(f: &CalibrationFile) -> String {
    let esc = |s: &str| md_escape(&display_safe(s));
    let (params, observed) = tables(f, &esc);
    let mut s = format!(
        "# Calibration of {} against the real case\n\n{}\n\n",
        esc(&f.scenario),
        md_escape(&summary_line(f))
    );
    s.push_str("## Does the model reproduce the case?\n\n");
    s.push_str(&format!(
        "| {} |\n|{}\n",
        OBS_HEAD.join(" | "),
        "---|".repeat(5)
    ));
    for r in &observed {
        let _ = writeln!(s, "| {} |", r.join(" | "));
    }
    s.push_str("\n![Where the real case falls](charts/calibration-observed.svg)\n\n");
    s.push_str("## What the real case says about each parameter\n\n");
    s.push_str(&format!(
        "| {} |\n|{}\n",
        PARAM_HEAD.join(" | "),
        "---|".repeat(6)
    ));
    for r in &params {
        let _ = writeln!(s, "| {} |", r.join(" | "));
    }
    s.push_str(
        "\n![Parameters](charts/calibration-params.svg)\n\n\
         `uncertainty.ron` holds the calibrated section; `tabletop calibrate --write-back FILE` \
         writes the scenario with it (and `--set-nominal` with the accepted medians as values). \
         `draws.csv` lists every draw's values, statistics and distance.\n",
    );
    s
}

fn html_escape(s: &str) -> String {
    super::netmatrix::esc(&display_safe(s))
}

/// `calibration.html`: a self-contained page.
pub(crate) fn html(f: &CalibrationFile) -> String {
    let esc = |s: &str| html_escape(s);
    let (params, observed) = tables(f, &esc);
    let table = |head: &[&str], rows: &[Vec<String>]| {
        let mut t = String::from("<table>\n<tr>");
        for h in head {
            let _ = write!(t, "<th>{h}</th>");
        }
        t.push_str("</tr>\n");
        for r in rows {
            t.push_str("<tr>");
            for c in r {
                let _ = write!(t, "<td>{c}</td>");
            }
            t.push_str("</tr>\n");
        }
        t.push_str("</table>\n");
        t
    };
    let obs_rows: Vec<Vec<String>> = observed.iter().map(|r| r.to_vec()).collect();
    let par_rows: Vec<Vec<String>> = params.iter().map(|r| r.to_vec()).collect();
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <title>Calibration: {name}</title><style>\
         body{{font-family:sans-serif;max-width:1200px;margin:2em auto;color:#222}}\
         table{{border-collapse:collapse;margin:1em 0}}td,th{{border:1px solid #ccc;padding:4px 8px;\
         text-align:left;vertical-align:top}}th{{background:#f4f4f4}}img{{max-width:100%}}\
         </style></head><body>\n<h1>Calibration of {name} against the real case</h1>\n<p>{summary}</p>\n\
         <h2>Does the model reproduce the case?</h2>\n{obs}\
         <img src=\"charts/calibration-observed.svg\" alt=\"Where the real case falls\">\n\
         <h2>What the real case says about each parameter</h2>\n{par}\
         <img src=\"charts/calibration-params.svg\" alt=\"Parameters\">\n\
         <p><code>uncertainty.ron</code> holds the calibrated section; <code>draws.csv</code> \
         every draw.</p>\n</body></html>\n",
        name = esc(&f.scenario),
        summary = html_escape(&summary_line(f)),
        obs = table(&OBS_HEAD, &obs_rows),
        par = table(&PARAM_HEAD, &par_rows),
    )
}

/// Write `calibration.json`, `calibration.md`, `calibration.html` and the charts into `dir`.
pub fn write_calibration(dir: &Path, f: &CalibrationFile) -> Result<()> {
    let json = serde_json::to_vec_pretty(f)
        .map_err(|e| crate::Error::Runtime(format!("calibration.json: {e}")))?;
    write_atomic(&dir.join("calibration.json"), &json)?;
    for c in charts(f)? {
        write_atomic(&dir.join(format!("charts/{}.png", c.name)), &c.png)?;
        write_atomic(
            &dir.join(format!("charts/{}.svg", c.name)),
            c.svg.as_bytes(),
        )?;
    }
    write_atomic(&dir.join("calibration.md"), markdown(f).as_bytes())?;
    write_atomic(&dir.join("calibration.html"), html(f).as_bytes())?;
    Ok(())
}
