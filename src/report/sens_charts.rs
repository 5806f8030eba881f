//! The sensitivity charts (Morris μ*–σ, Sobol' bars with intervals, PRIM peeling trade-off,
//! the chosen PRIM box), one function each in the shape and frame of `charts`: title, legend
//! column, provenance footer, bundled font, PNG and SVG. Data preparation is in pure, tested
//! functions (`morris_points`, `sobol_bars`, `tradeoff_points`, `box_ranges`).

use super::charts::{
    DrawResult, HEIGHT, Mark, RenderedChart, RowsChart, WIDTH, chart_error, draw_mark_sized,
    encode_png, font, frame, legend, legend_note, palette as pal, register_fonts, render_chart,
    rows_chart, text, tick,
};
use super::text::ellipsize;
use crate::error::Result;
use crate::sensitivity::morris::MorrisIndices;
use crate::sensitivity::prim::{PrimBox, PrimResult};
use crate::sensitivity::sobol::SobolIndices;
use plotters::coord::Shift;
use plotters::element::DashedPathElement;
use plotters::prelude::*;
use plotters::style::text_anchor::HPos;

/// One factor (or group) on the μ*–σ plane.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct MorrisPoint {
    /// Factor or group label.
    pub label: String,
    /// μ*.
    pub mu_star: f64,
    /// σ.
    pub sigma: f64,
    /// 95% interval of μ*.
    pub lo: f64,
    /// Upper end.
    pub hi: f64,
}

/// The points of a μ*–σ chart, largest μ* first, factors without effects left out.
pub(crate) fn morris_points(labels: &[String], m: &[MorrisIndices]) -> Vec<MorrisPoint> {
    let mut v: Vec<MorrisPoint> = labels
        .iter()
        .zip(m)
        .filter(|(_, s)| s.mu_star.is_finite() && s.sigma.is_finite())
        .map(|(l, s)| MorrisPoint {
            label: l.clone(),
            mu_star: s.mu_star,
            sigma: s.sigma,
            lo: if s.mu_star_ci.lo.is_finite() {
                s.mu_star_ci.lo
            } else {
                s.mu_star
            },
            hi: if s.mu_star_ci.hi.is_finite() {
                s.mu_star_ci.hi
            } else {
                s.mu_star
            },
        })
        .collect();
    v.sort_by(|a, b| b.mu_star.total_cmp(&a.mu_star).then(a.label.cmp(&b.label)));
    v
}

/// One factor's Sobol' bars.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct SobolBar {
    /// Factor or group label.
    pub label: String,
    /// First-order index and its interval.
    pub s1: (f64, f64, f64),
    /// Total index and its interval.
    pub st: (f64, f64, f64),
}

/// Most factors drawn on a Sobol' chart.
pub(crate) const SOBOL_BARS: usize = 16;

/// The bars of a Sobol' chart, largest total index first, at most [`SOBOL_BARS`].
pub(crate) fn sobol_bars(labels: &[String], s: &[SobolIndices]) -> Vec<SobolBar> {
    let fin = |v: f64| if v.is_finite() { v } else { 0.0 };
    let mut v: Vec<SobolBar> = labels
        .iter()
        .zip(s)
        .map(|(l, s)| SobolBar {
            label: l.clone(),
            s1: (fin(s.s1), fin(s.s1_ci.lo), fin(s.s1_ci.hi)),
            st: (fin(s.st), fin(s.st_ci.lo), fin(s.st_ci.hi)),
        })
        .collect();
    v.sort_by(|a, b| b.st.0.total_cmp(&a.st.0).then(a.label.cmp(&b.label)));
    v.truncate(SOBOL_BARS);
    v
}

/// One box of the peeling trajectory on the coverage–density plane.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct TradeoffPoint {
    /// Coverage.
    pub coverage: f64,
    /// Density.
    pub density: f64,
    /// Number of restricted dimensions.
    pub restricted: usize,
    /// Whether this is the chosen box.
    pub chosen: bool,
}

/// The trajectory as trade-off points, in trajectory order.
pub(crate) fn tradeoff_points(r: &PrimResult) -> Vec<TradeoffPoint> {
    r.trajectory
        .iter()
        .enumerate()
        .map(|(i, b)| TradeoffPoint {
            coverage: b.coverage,
            density: b.density,
            restricted: b.restricted.len(),
            chosen: i == r.chosen,
        })
        .collect()
}

/// One restricted dimension of a box on a normalised axis.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct BoxRange {
    /// Dimension label.
    pub label: String,
    /// Lower limit as a share of the dimension's range [0–1].
    pub lo: f64,
    /// Upper limit as a share of the range.
    pub hi: f64,
    /// Lower and upper limit in the dimension's own units, as text.
    pub lo_text: String,
    /// Upper limit as text.
    pub hi_text: String,
    /// Smallest quasi-p-value of the dimension's restricted limits.
    pub quasi_p: Option<f64>,
}

/// The restricted dimensions of box `b`, each normalised over `init` (the full range of the
/// dimension) and labelled with `natural(dim, value)` for the limits in natural units.
pub(crate) fn box_ranges(
    b: &PrimBox,
    init: &[(f64, f64)],
    labels: &[String],
    natural: &dyn Fn(usize, f64) -> String,
) -> Vec<BoxRange> {
    b.restricted
        .iter()
        .zip(&b.quasi_p)
        .filter_map(|(&d, &(qlo, qhi))| {
            let (a, z) = *init.get(d)?;
            let span = if z > a { z - a } else { 1.0 };
            let (lo, hi) = b.limits[d];
            let qp = match (qlo, qhi) {
                (Some(x), Some(y)) => Some(x.min(y)),
                (x, y) => x.or(y),
            };
            Some(BoxRange {
                label: labels.get(d).cloned().unwrap_or_else(|| format!("x{d}")),
                lo: ((lo - a) / span).clamp(0.0, 1.0),
                hi: ((hi - a) / span).clamp(0.0, 1.0),
                lo_text: natural(d, lo),
                hi_text: natural(d, hi),
                quasi_p: qp,
            })
        })
        .collect()
}

/// Colour of a trade-off point by its number of restricted dimensions.
fn dims_colour(n: usize) -> RGBColor {
    match n {
        0 => pal::GREY,
        1 => pal::SKY,
        2 => pal::BLUE,
        3 => pal::GREEN,
        4 => pal::ORANGE,
        _ => pal::VERMILLION,
    }
}

/// μ*–σ scatter: μ* (x) with its 95% interval, σ (y), the σ = μ* line (above it, effects
/// depend on the other factors or are non-linear), every point labelled.
pub(crate) fn draw_morris<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    output: &str,
    pts: &[MorrisPoint],
    footer: &str,
) -> DrawResult
where
    DB::ErrorType: 'static,
{
    let title = format!("What moves {}: Morris screening", ellipsize(output, 40));
    let (area, side) = frame(root, &title, footer)?;
    let xmax = pts.iter().map(|p| p.hi.max(p.mu_star)).fold(0.0, f64::max);
    let ymax = pts.iter().map(|p| p.sigma).fold(0.0, f64::max);
    let m = xmax.max(ymax);
    let (xmax, ymax) = if m > 0.0 {
        (m * 1.1, m * 1.1)
    } else {
        (1.0, 1.0)
    };
    let mut chart = ChartBuilder::on(&area)
        .margin(16)
        .margin_right(40)
        .x_label_area_size(80)
        .y_label_area_size(110)
        .build_cartesian_2d(0.0..xmax, 0.0..ymax)?;
    chart
        .configure_mesh()
        .x_labels(8)
        .y_labels(8)
        .x_label_formatter(&|x| tick(*x, xmax))
        .y_label_formatter(&|y| tick(*y, ymax))
        .x_desc("μ*: mean absolute effect of moving the factor across its range")
        .y_desc("σ: spread of the effects")
        .axis_desc_style(font(22))
        .label_style(font(19))
        .light_line_style(TRANSPARENT)
        .bold_line_style(pal::LIGHT.mix(0.6))
        .draw()?;
    chart.draw_series(std::iter::once(DashedPathElement::new(
        vec![(0.0, 0.0), (xmax.min(ymax), xmax.min(ymax))],
        6,
        5,
        pal::GREY.stroke_width(2),
    )))?;
    let pa = chart.plotting_area().clone();
    for (i, p) in pts.iter().enumerate() {
        let c = if i < 3 { pal::VERMILLION } else { pal::BLUE };
        chart.draw_series(std::iter::once(PathElement::new(
            vec![(p.lo, p.sigma), (p.hi, p.sigma)],
            c.stroke_width(3),
        )))?;
        let (px, py) = pa.map_coordinate(&(p.mu_star, p.sigma));
        draw_mark_sized(root, Mark::Dot(c), (px, py), 9)?;
        text(
            root,
            &ellipsize(&p.label, 30),
            (px + 14, py - 16 - 12 * (i as i32 % 2)),
            font(18),
            HPos::Left,
        )?;
    }
    let y = legend(
        &side,
        "Factors",
        &[
            (
                "The three with the largest μ*".into(),
                Mark::Dot(pal::VERMILLION),
            ),
            ("The others".into(), Mark::Dot(pal::BLUE)),
            ("95% interval of μ*".into(), Mark::Line(pal::INK, 3, false)),
            ("σ = μ*".into(), Mark::Line(pal::GREY, 2, true)),
        ],
    )?;
    legend_note(
        &side,
        y,
        "Near 0 on both axes: the answer does not depend on it. Above the line: it acts through others.",
    )?;
    root.present()?;
    Ok(())
}

/// Sobol' bars: first-order (light) and total (dark) index of each factor, with 95% whiskers.
pub(crate) fn draw_sobol<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    output: &str,
    bars: &[SobolBar],
    footer: &str,
) -> DrawResult
where
    DB::ErrorType: 'static,
{
    let title = format!("Share of the variance of {}", ellipsize(output, 40));
    let (area, side) = frame(root, &title, footer)?;
    let n = bars.len().max(4) as f64;
    let top = bars
        .iter()
        .map(|b| b.st.2.max(b.s1.2))
        .fold(1.0f64, f64::max)
        .min(1.5);
    let bottom = bars
        .iter()
        .map(|b| b.s1.1.min(b.st.1))
        .fold(0.0f64, f64::min)
        .max(-0.5);
    let mut chart = ChartBuilder::on(&area)
        .margin(16)
        .margin_right(40)
        .x_label_area_size(80)
        .y_label_area_size(360)
        .build_cartesian_2d(bottom..top, 0.0..n)?;
    chart
        .configure_mesh()
        .disable_y_mesh()
        .y_labels(0)
        .x_labels(11)
        .x_label_formatter(&|x| format!("{:.1}", x))
        .x_desc("Sobol' index [share of the output's variance]")
        .axis_desc_style(font(22))
        .label_style(font(19))
        .light_line_style(TRANSPARENT)
        .bold_line_style(pal::LIGHT.mix(0.6))
        .draw()?;
    chart.draw_series(std::iter::once(PathElement::new(
        vec![(0.0, 0.0), (0.0, n)],
        pal::GREY.stroke_width(1),
    )))?;
    let pa = chart.plotting_area().clone();
    let left = pa.get_pixel_range().0.start;
    for (i, b) in bars.iter().enumerate() {
        let y = n - i as f64 - 0.5;
        for (v, off, c) in [(b.s1, 0.17, pal::SKY), (b.st, -0.17, pal::BLUE)] {
            chart.draw_series(std::iter::once(Rectangle::new(
                [
                    (0.0, y + off - 0.15),
                    (v.0.clamp(bottom, top), y + off + 0.15),
                ],
                c.filled(),
            )))?;
            chart.draw_series(std::iter::once(PathElement::new(
                vec![
                    (v.1.clamp(bottom, top), y + off),
                    (v.2.clamp(bottom, top), y + off),
                ],
                pal::INK.stroke_width(2),
            )))?;
        }
        let (_, py) = pa.map_coordinate(&(0.0, y));
        text(
            root,
            &ellipsize(&b.label, 34),
            (left - 12, py),
            font(19),
            HPos::Right,
        )?;
    }
    let yl = legend(
        &side,
        "Index",
        &[
            (
                "First order: the factor alone".into(),
                Mark::Square(pal::SKY),
            ),
            (
                "Total: alone and with others".into(),
                Mark::Square(pal::BLUE),
            ),
            (
                "95% bootstrap interval".into(),
                Mark::Line(pal::INK, 2, false),
            ),
        ],
    )?;
    legend_note(
        &side,
        yl,
        "A total index whose interval reaches 0 may be fixed at any value in its range.",
    )?;
    root.present()?;
    Ok(())
}

/// PRIM peeling trade-off: coverage (x) against density (y) of every box on the trajectory,
/// coloured by the number of restricted dimensions, the chosen box ringed.
pub(crate) fn draw_prim_tradeoff<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    what: &str,
    pts: &[TradeoffPoint],
    footer: &str,
) -> DrawResult
where
    DB::ErrorType: 'static,
{
    let title = format!("Where {}: PRIM peeling trade-off", ellipsize(what, 40));
    let (area, side) = frame(root, &title, footer)?;
    let mut chart = ChartBuilder::on(&area)
        .margin(16)
        .margin_right(40)
        .x_label_area_size(80)
        .y_label_area_size(110)
        .build_cartesian_2d(0.0..1.02, 0.0..1.02)?;
    chart
        .configure_mesh()
        .x_labels(11)
        .y_labels(11)
        .x_label_formatter(&|x| format!("{:.0}%", x * 100.0))
        .y_label_formatter(&|y| format!("{:.0}%", y * 100.0))
        .x_desc("Coverage: share of all such points inside the box")
        .y_desc("Density: share of the box's points that are such points")
        .axis_desc_style(font(22))
        .label_style(font(19))
        .light_line_style(TRANSPARENT)
        .bold_line_style(pal::LIGHT.mix(0.6))
        .draw()?;
    chart.draw_series(std::iter::once(PathElement::new(
        pts.iter()
            .map(|p| (p.coverage, p.density))
            .collect::<Vec<_>>(),
        pal::LIGHT.stroke_width(2),
    )))?;
    let pa = chart.plotting_area().clone();
    let mut dims: Vec<usize> = Vec::new();
    for p in pts {
        let (px, py) = pa.map_coordinate(&(p.coverage, p.density));
        draw_mark_sized(root, Mark::Dot(dims_colour(p.restricted)), (px, py), 7)?;
        if !dims.contains(&p.restricted) {
            dims.push(p.restricted);
        }
    }
    if let Some(c) = pts.iter().find(|p| p.chosen) {
        let (px, py) = pa.map_coordinate(&(c.coverage, c.density));
        draw_mark_sized(root, Mark::Ring(pal::INK), (px, py), 16)?;
        text(
            root,
            &format!(
                "chosen: coverage {:.0}%, density {:.0}%",
                c.coverage * 100.0,
                c.density * 100.0
            ),
            (px - 20, py - 30),
            font(19),
            HPos::Right,
        )?;
    }
    dims.sort_unstable();
    let mut items: Vec<(String, Mark)> = dims
        .iter()
        .map(|&d| {
            (
                format!("{d} restricted dimension{}", if d == 1 { "" } else { "s" }),
                Mark::Dot(dims_colour(d)),
            )
        })
        .collect();
    items.push(("The chosen box".into(), Mark::Ring(pal::INK)));
    let y = legend(&side, "Boxes", &items)?;
    legend_note(
        &side,
        y,
        "Peeling trades coverage for density; the chosen box is the widest one of density 80% or more.",
    )?;
    root.present()?;
    Ok(())
}

/// The chosen box: each restricted dimension's kept range on a normalised axis (0 = the lowest
/// value tried, 1 = the highest), with its limits in natural units and quasi-p-value.
pub(crate) fn draw_prim_box<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    what: &str,
    b: &PrimBox,
    ranges: &[BoxRange],
    footer: &str,
) -> DrawResult
where
    DB::ErrorType: 'static,
{
    let title = format!("Where {}: the chosen box", ellipsize(what, 44));
    let (area, side) = frame(root, &title, footer)?;
    let n = ranges.len().max(3) as f64;
    let mut chart = rows_chart(
        &area,
        &RowsChart {
            rows: ranges.len(),
            x: 0.0..1.0,
            caption: Some(format!(
                "coverage {:.0}% · density {:.0}% · mass {:.0}% of the points",
                b.coverage * 100.0,
                b.density * 100.0,
                b.mass * 100.0
            )),
            x_desc: "Position in the factor's range [0% = lowest value tried, 100% = highest]",
            x_fmt: &|x| format!("{:.0}%", x * 100.0),
            margin_right: 160,
        },
    )?;
    let pa = chart.plotting_area().clone();
    let left = pa.get_pixel_range().0.start;
    for (i, r) in ranges.iter().enumerate() {
        let y = n - i as f64 - 0.5;
        chart.draw_series(std::iter::once(Rectangle::new(
            [(0.0, y - 0.06), (1.0, y + 0.06)],
            pal::LIGHT.filled(),
        )))?;
        chart.draw_series(std::iter::once(Rectangle::new(
            [(r.lo, y - 0.22), (r.hi, y + 0.22)],
            pal::VERMILLION.mix(0.75).filled(),
        )))?;
        let (_, py) = pa.map_coordinate(&(0.0, y));
        text(
            root,
            &ellipsize(&r.label, 36),
            (left - 12, py - 10),
            font(19),
            HPos::Right,
        )?;
        if let Some(q) = r.quasi_p {
            text(
                root,
                &format!(
                    "quasi-p {}",
                    if q < 0.001 {
                        "< 0.001".into()
                    } else {
                        format!("{q:.3}")
                    }
                ),
                (left - 12, py + 14),
                font(16).color(&pal::GREY),
                HPos::Right,
            )?;
        }
        let (xl, _) = pa.map_coordinate(&(r.lo, y));
        let (xh, _) = pa.map_coordinate(&(r.hi, y));
        text(
            root,
            &ellipsize(&r.lo_text, 16),
            (xl, py - 34),
            font(17),
            HPos::Center,
        )?;
        text(
            root,
            &ellipsize(&r.hi_text, 16),
            (xh, py + 34),
            font(17),
            HPos::Center,
        )?;
    }
    let y = legend(
        &side,
        "Box",
        &[
            (
                "Values inside the box".into(),
                Mark::Square(pal::VERMILLION),
            ),
            ("The range tried".into(), Mark::Line(pal::LIGHT, 6, false)),
        ],
    )?;
    legend_note(
        &side,
        y,
        "Unrestricted factors do not appear. A quasi-p above 0.05 marks a restriction that adds little.",
    )?;
    root.present()?;
    Ok(())
}

/// Everything the sensitivity charts of one output need.
pub(crate) struct SensCharts<'a> {
    /// File-name stem of the output (already safe for file names).
    pub stem: String,
    /// Output name as a reader sees it.
    pub output: String,
    /// Factor (or group) labels.
    pub labels: &'a [String],
    /// Morris statistics, when screened.
    pub morris: Option<&'a [MorrisIndices]>,
    /// Sobol' indices, when estimated.
    pub sobol: Option<&'a [SobolIndices]>,
    /// Footer text.
    pub footer: String,
}

/// Render the Morris and Sobol' charts of one output.
pub(crate) fn render_indices(c: &SensCharts<'_>) -> Result<Vec<RenderedChart>> {
    register_fonts()?;
    let mut out = Vec::new();
    let (output, footer) = (&c.output, &c.footer);
    if let Some(m) = c.morris {
        let pts = morris_points(c.labels, m);
        out.push(render_chart!(
            format!("sens-morris-{}", c.stem),
            format!("Morris screening of {output}: μ* against σ"),
            draw_morris(output, &pts, footer)
        ));
    }
    if let Some(s) = c.sobol {
        let bars = sobol_bars(c.labels, s);
        out.push(render_chart!(
            format!("sens-sobol-{}", c.stem),
            format!("Sobol' indices of {output} with 95% intervals"),
            draw_sobol(output, &bars, footer)
        ));
    }
    Ok(out)
}

/// Render the PRIM trade-off and chosen-box charts for "where `what`".
pub(crate) fn render_prim(
    stem: &str,
    what: &str,
    r: &PrimResult,
    ranges: &[BoxRange],
    footer: &str,
) -> Result<Vec<RenderedChart>> {
    register_fonts()?;
    let pts = tradeoff_points(r);
    let b = r.chosen_box();
    Ok(vec![
        render_chart!(
            format!("sens-prim-tradeoff-{stem}"),
            format!("PRIM peeling trade-off: where {what}"),
            draw_prim_tradeoff(what, &pts, footer)
        ),
        render_chart!(
            format!("sens-prim-box-{stem}"),
            format!("PRIM chosen box: where {what}"),
            draw_prim_box(what, b, ranges, footer)
        ),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sensitivity::Interval;
    use crate::sensitivity::prim::{PrimOptions, prim};

    fn iv(lo: f64, hi: f64) -> Interval {
        Interval { lo, hi, se: 0.0 }
    }

    fn mi(mu_star: f64, sigma: f64) -> MorrisIndices {
        MorrisIndices {
            mu: mu_star,
            mu_star,
            sigma,
            mu_star_ci: iv(mu_star * 0.8, mu_star * 1.2),
            effects: 10,
        }
    }

    fn labels(n: usize) -> Vec<String> {
        (0..n).map(|i| format!("f{i} <&>")).collect()
    }

    #[test]
    fn morris_points_come_largest_first_without_empty_factors() {
        let mut m = vec![mi(0.1, 0.0), mi(0.5, 0.2), mi(0.3, 0.1)];
        m[0].mu_star = f64::NAN;
        let p = morris_points(&labels(3), &m);
        assert_eq!(p.len(), 2);
        assert_eq!(p[0].label, "f1 <&>");
        assert!((p[0].lo - 0.4).abs() < 1e-12);
    }

    #[test]
    fn sobol_bars_come_largest_total_first() {
        let s = |st: f64| SobolIndices {
            s1: st / 2.0,
            s1_ci: iv(0.0, st),
            st,
            st_ci: iv(st / 2.0, f64::NAN),
        };
        let b = sobol_bars(&labels(3), &[s(0.1), s(0.6), s(0.3)]);
        assert_eq!(
            b.iter().map(|b| b.st.0).collect::<Vec<_>>(),
            vec![0.6, 0.3, 0.1]
        );
        assert_eq!(b[0].st.2, 0.0, "a missing end is drawn at 0, not NaN");
    }

    fn planted() -> PrimResult {
        let mut r = crate::sensitivity::rng(3, 60);
        let x: Vec<Vec<f64>> = (0..600)
            .map(|_| (0..3).map(|_| crate::sensitivity::unit(&mut r)).collect())
            .collect();
        let y: Vec<bool> = x.iter().map(|p| p[0] > 0.7 && p[2] < 0.4).collect();
        prim(&x, &y, PrimOptions::default()).unwrap()
    }

    #[test]
    fn box_ranges_are_normalised_and_labelled_in_natural_units() {
        let r = planted();
        let b = r.chosen_box();
        let init = &r.trajectory[0].limits;
        let rs = box_ranges(b, init, &labels(3), &|d, v| {
            format!("{:.0} h", v * 10.0 + d as f64)
        });
        assert_eq!(rs.len(), b.restricted.len());
        assert!(
            rs.iter()
                .all(|r| 0.0 <= r.lo && r.lo <= r.hi && r.hi <= 1.0)
        );
        assert!(rs[0].lo_text.ends_with(" h"));
        let t = tradeoff_points(&r);
        assert_eq!(t.iter().filter(|p| p.chosen).count(), 1);
        assert_eq!(t[0].restricted, 0);
    }

    #[test]
    fn every_sensitivity_chart_renders_and_escapes_its_labels() {
        let l = labels(4);
        let m = vec![mi(0.5, 0.2), mi(0.3, 0.4), mi(0.0, 0.0), mi(0.1, 0.05)];
        let s: Vec<SobolIndices> = (0..4)
            .map(|i| SobolIndices {
                s1: 0.1 * i as f64,
                s1_ci: iv(0.0, 0.2),
                st: 0.15 * i as f64,
                st_ci: iv(0.0, 0.3),
            })
            .collect();
        let c = SensCharts {
            stem: "obj".into(),
            output: "P(met) <warn>".into(),
            labels: &l,
            morris: Some(&m),
            sobol: Some(&s),
            footer: "test".into(),
        };
        let mut charts = render_indices(&c).unwrap();
        let r = planted();
        let rs = box_ranges(r.chosen_box(), &r.trajectory[0].limits, &l, &|_, v| {
            format!("{v:.2}")
        });
        charts.extend(render_prim("obj", "warn <falls> to M or U", &r, &rs, "test").unwrap());
        assert_eq!(charts.len(), 4);
        for c in &charts {
            assert!(c.png.starts_with(&[0x89, b'P', b'N', b'G']), "{}", c.name);
            assert!(c.svg.contains("<svg"), "{}", c.name);
            assert!(
                !c.svg.contains("<&>") && !c.svg.contains("<warn>") && !c.svg.contains("<falls>")
            );
        }
        assert!(
            charts[0].svg.contains("f0 &lt;&amp;&gt;"),
            "labels appear, escaped"
        );
    }
}
