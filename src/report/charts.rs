//! The charts, one function each in the plotters-examples shape (fill root, ChartBuilder with
//! caption and label areas, mesh with axis descriptions and units, series, legend, present),
//! rendered to PNG (1600×900) and SVG with one style: Okabe–Ito colour-blind-safe palette,
//! bundled DejaVu Sans, a legend column on the right and a provenance footer.

use super::Batch;
use super::data::{self, EventClass, Fan, MetricPanel, NetEdge, NetNode, TimelineData, Tornado};
use super::text::{SECTORS, ellipsize};
use crate::error::{Error, Result};
use plotters::coord::Shift;
use plotters::element::DashedPathElement;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use std::sync::OnceLock;

/// Chart width [px].
pub(super) const WIDTH: u32 = 1600;
/// Chart height [px].
pub(super) const HEIGHT: u32 = 900;
const FOOTER_H: u32 = 46;
const LEGEND_W: u32 = 380;
const FONT: &str = "sans-serif";

/// Okabe–Ito colours (colour-blind safe).
pub(super) mod palette {
    use plotters::style::RGBColor;
    /// Black.
    pub(crate) const BLACK: RGBColor = RGBColor(0, 0, 0);
    /// Orange.
    pub(crate) const ORANGE: RGBColor = RGBColor(230, 159, 0);
    /// Sky blue.
    pub(crate) const SKY: RGBColor = RGBColor(86, 180, 233);
    /// Bluish green.
    pub(crate) const GREEN: RGBColor = RGBColor(0, 158, 115);
    /// Blue.
    pub(crate) const BLUE: RGBColor = RGBColor(0, 114, 178);
    /// Vermillion.
    pub(crate) const VERMILLION: RGBColor = RGBColor(213, 94, 0);
    /// Reddish purple.
    pub(crate) const PURPLE: RGBColor = RGBColor(204, 121, 167);
    /// Text and axes.
    pub(crate) const INK: RGBColor = RGBColor(34, 34, 34);
    /// Secondary text, guides.
    pub(crate) const GREY: RGBColor = RGBColor(110, 110, 110);
    /// Light guides.
    pub(crate) const LIGHT: RGBColor = RGBColor(215, 215, 215);
    /// Baseline series.
    pub(crate) const BASELINE: RGBColor = RGBColor(60, 60, 60);
    /// Variant colours after the baseline, in order.
    pub(crate) const VARIANTS: [RGBColor; 6] = [BLUE, ORANGE, GREEN, PURPLE, SKY, VERMILLION];
}
use palette as pal;

/// Colour of a P/S/M/U rating (blue = good, vermillion = bad).
pub(super) fn rating_colour(r: &str) -> RGBColor {
    match r {
        "P" => pal::BLUE,
        "S" => pal::SKY,
        "M" => pal::ORANGE,
        _ => pal::VERMILLION,
    }
}

/// Colour of variant `i` in summary order (0 = baseline).
pub(super) fn variant_colour(i: usize) -> RGBColor {
    if i == 0 {
        pal::BASELINE
    } else {
        pal::VARIANTS[(i - 1) % pal::VARIANTS.len()]
    }
}

/// The colour at `f` in [0, 1] (non-finite as 0) of a gradient through three stops: `lo` at
/// 0, `mid` at ½, `hi` at 1, mixed linearly between neighbours.
pub(super) fn three_stop(
    f: f64,
    lo: (f64, f64, f64),
    mid: (f64, f64, f64),
    hi: (f64, f64, f64),
) -> RGBColor {
    let f = if f.is_finite() {
        f.clamp(0.0, 1.0)
    } else {
        0.0
    };
    let (a, b, t) = if f < 0.5 {
        (lo, mid, f * 2.0)
    } else {
        (mid, hi, (f - 0.5) * 2.0)
    };
    let mix = |x: f64, y: f64| (x + (y - x) * t).round() as u8;
    RGBColor(mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
}

/// Colour of an end-of-run trust value in [0, 1]: vermillion (low) → grey → blue (high).
pub(super) fn trust_colour(t: f64) -> RGBColor {
    three_stop(
        t,
        (213.0, 94.0, 0.0),
        (190.0, 190.0, 190.0),
        (0.0, 114.0, 178.0),
    )
}

/// `c` blended towards white by `f` in [0, 1] (an opaque tint, same in PNG and SVG).
pub(super) fn lighten(c: RGBColor, f: f64) -> RGBColor {
    let m = |v: u8| (v as f64 + (255.0 - v as f64) * f.clamp(0.0, 1.0)).round() as u8;
    RGBColor(m(c.0), m(c.1), m(c.2))
}

fn event_colour(c: EventClass) -> RGBColor {
    match c {
        EventClass::Inject => pal::BLACK,
        EventClass::Detection => pal::SKY,
        EventClass::Share => pal::GREEN,
        EventClass::Failure => pal::ORANGE,
        EventClass::Insider => pal::VERMILLION,
        EventClass::Action => pal::BLUE,
        EventClass::Harm => pal::PURPLE,
        EventClass::Other => pal::GREY,
    }
}

/// Register the bundled fonts with plotters (once per process).
pub(super) fn register_fonts() -> Result<()> {
    static DONE: OnceLock<bool> = OnceLock::new();
    let ok = DONE.get_or_init(|| {
        let n = plotters::style::register_font(
            FONT,
            FontStyle::Normal,
            include_bytes!("../../assets/fonts/DejaVuSans.ttf"),
        );
        let b = plotters::style::register_font(
            FONT,
            FontStyle::Bold,
            include_bytes!("../../assets/fonts/DejaVuSans-Bold.ttf"),
        );
        n.is_ok() && b.is_ok()
    });
    if *ok {
        Ok(())
    } else {
        Err(Error::Runtime(
            "the bundled chart font could not be loaded".into(),
        ))
    }
}

/// A chart rendered to both formats.
#[derive(Debug, Clone)]
pub(super) struct RenderedChart {
    /// File stem under `charts/`.
    pub name: String,
    /// Title (for the report).
    pub title: String,
    /// PNG bytes.
    pub png: Vec<u8>,
    /// SVG text.
    pub svg: String,
}

pub(super) type DrawResult = std::result::Result<(), Box<dyn std::error::Error>>;
pub(super) type Areas<DB> = (DrawingArea<DB, Shift>, DrawingArea<DB, Shift>);

pub(super) fn font(size: u32) -> TextStyle<'static> {
    (FONT, size).into_font().color(&pal::INK)
}

pub(super) fn bold(size: u32) -> TextStyle<'static> {
    (FONT, size, FontStyle::Bold).into_font().color(&pal::INK)
}

pub(super) fn text<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    s: &str,
    (x, y): (i32, i32),
    style: TextStyle<'static>,
    h: HPos,
) -> DrawResult
where
    DB::ErrorType: 'static,
{
    area.draw(&Text::new(
        s.to_string(),
        (x, y),
        style.pos(Pos::new(h, VPos::Center)),
    ))?;
    Ok(())
}

/// A legend entry's mark.
#[derive(Debug, Clone, Copy)]
pub(super) enum Mark {
    /// Filled square.
    Square(RGBColor),
    /// Line (width, dashed).
    Line(RGBColor, u32, bool),
    /// Filled circle.
    Dot(RGBColor),
    /// Hollow circle.
    Ring(RGBColor),
    /// Triangle.
    Triangle(RGBColor),
    /// Diamond.
    Diamond(RGBColor),
    /// Cross.
    Cross(RGBColor),
    /// Translucent band.
    Band(RGBColor, f64),
}

fn draw_mark<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    m: Mark,
    at: (i32, i32),
) -> DrawResult
where
    DB::ErrorType: 'static,
{
    draw_mark_sized(area, m, at, 10)
}

/// Draw a mark with half-size `r` [px] (10 in legends).
pub(super) fn draw_mark_sized<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    m: Mark,
    (x, y): (i32, i32),
    r: i32,
) -> DrawResult
where
    DB::ErrorType: 'static,
{
    let ru = r.max(1) as u32;
    match m {
        Mark::Square(c) => area.draw(&Rectangle::new(
            [(x - r, y - r), (x + r, y + r)],
            c.filled(),
        ))?,
        Mark::Band(c, a) => area.draw(&Rectangle::new(
            [(x - 14, y - 9), (x + 14, y + 9)],
            c.mix(a).filled(),
        ))?,
        Mark::Line(c, w, dashed) => {
            if dashed {
                area.draw(&DashedPathElement::new(
                    vec![(x - 16, y), (x + 16, y)],
                    6,
                    4,
                    c.stroke_width(w),
                ))?
            } else {
                area.draw(&PathElement::new(
                    vec![(x - 16, y), (x + 16, y)],
                    c.stroke_width(w),
                ))?
            }
        }
        Mark::Dot(c) => area.draw(&Circle::new((x, y), ru, c.filled()))?,
        Mark::Ring(c) => area.draw(&Circle::new((x, y), ru, c.stroke_width(3)))?,
        Mark::Triangle(c) => area.draw(&TriangleMarker::new((x, y), ru + 2, c.filled()))?,
        Mark::Diamond(c) => area.draw(&Polygon::new(
            vec![
                (x, y - r - 1),
                (x + r + 1, y),
                (x, y + r + 1),
                (x - r - 1, y),
            ],
            c.filled(),
        ))?,
        Mark::Cross(c) => area.draw(&Cross::new((x, y), ru, c.stroke_width(4)))?,
    }
    Ok(())
}

/// Draw a legend (title, then entries) in the legend column.
pub(super) fn legend<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    title: &str,
    items: &[(String, Mark)],
) -> std::result::Result<i32, Box<dyn std::error::Error>>
where
    DB::ErrorType: 'static,
{
    let mut y = 40;
    text(area, title, (16, y), bold(22), HPos::Left)?;
    y += 40;
    for (label, m) in items {
        draw_mark(area, *m, (34, y))?;
        let lines = wrap(label, 27, 4);
        for (i, l) in lines.iter().enumerate() {
            text(area, l, (62, y + 24 * i as i32), font(20), HPos::Left)?;
        }
        y += 36 + 24 * (lines.len() as i32 - 1);
    }
    Ok(y)
}

/// A small grey note under a legend ending at `y`, wrapped to the legend column.
pub(super) fn legend_note<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    y: i32,
    note: &str,
) -> std::result::Result<(), Box<dyn std::error::Error>>
where
    DB::ErrorType: 'static,
{
    for (i, line) in wrap(note, 32, 3).iter().enumerate() {
        text(
            area,
            line,
            (16, y + 4 + 22 * i as i32),
            font(17).color(&pal::GREY),
            HPos::Left,
        )?;
    }
    Ok(())
}

/// Decimals that tell ticks `step` apart: 0 for steps of 1 or more, 1 down to 0.1, and so on
/// (at most 3).
pub(super) fn tick_decimals(step: f64) -> usize {
    if !(step.is_finite() && step > 0.0) || step >= 1.0 {
        0
    } else {
        ((-step.log10()).ceil() as usize).min(3)
    }
}

/// Rough width in pixels of a label in a font of `size` px (DejaVu Sans averages about 0.55 em
/// per character).
pub(super) fn label_width(s: &str, size: u32) -> i32 {
    (s.chars().count() as f64 * size as f64 * 0.55).ceil() as i32
}

/// Most lanes of inject labels above a fan chart.
pub(super) const INJECT_LANES: usize = 4;

/// The lane (0 = top) for a label starting at `x` and `width` pixels wide: the first lane whose
/// last label ends before `x` (with a small gap), else the lane that frees up first. `ends`
/// holds each lane's right end and is updated; labels must come in order of `x`.
pub(super) fn inject_label_lane(ends: &mut Vec<i32>, x: i32, width: i32) -> usize {
    const GAP: i32 = 6;
    let lane = match ends.iter().position(|&e| e + GAP <= x) {
        Some(l) => l,
        None if ends.len() < INJECT_LANES => {
            ends.push(i32::MIN);
            ends.len() - 1
        }
        None => (0..ends.len()).min_by_key(|&l| ends[l]).unwrap_or(0),
    };
    ends[lane] = x + width;
    lane
}

/// A what-if group's label in the lines a group `height_px` tall holds (22 px a line, at most
/// six): the whole label wrapped when it fits, else its short label (an objective's id, which
/// the report's matrix keys), never a label cut short when the short one fits.
fn group_label(g: &data::DiffGroup, height_px: f64) -> Vec<String> {
    let max_lines = ((height_px / 22.0).floor() as usize).clamp(1, 6);
    let full = wrap(&g.label, 36, usize::MAX);
    if full.len() <= max_lines {
        return full;
    }
    wrap(&g.short, 36, max_lines)
}

/// Greedy word wrap into at most `max_lines` lines of `width` characters (last one cut with
/// an ellipsis).
pub(super) fn wrap(s: &str, width: usize, max_lines: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let mut cur = String::new();
    for w in s.split_whitespace() {
        if !cur.is_empty() && cur.chars().count() + 1 + w.chars().count() > width {
            lines.push(std::mem::take(&mut cur));
        }
        if !cur.is_empty() {
            cur.push(' ');
        }
        cur.push_str(w);
    }
    if !cur.is_empty() || lines.is_empty() {
        lines.push(cur);
    }
    if lines.len() > max_lines {
        let rest = lines[max_lines - 1..].join(" ");
        lines.truncate(max_lines - 1);
        lines.push(rest);
    }
    lines.into_iter().map(|l| ellipsize(&l, width)).collect()
}

/// Split the root into (chart, legend column) after filling it and drawing title and footer.
pub(super) fn frame<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
    footer: &str,
) -> std::result::Result<Areas<DB>, Box<dyn std::error::Error>>
where
    DB::ErrorType: 'static,
{
    root.fill(&WHITE)?;
    let (main, foot) = root.split_vertically(HEIGHT - FOOTER_H);
    foot.fill(&RGBColor(244, 244, 244))?;
    text(
        &foot,
        &ellipsize(footer, 150),
        (20, (FOOTER_H / 2) as i32),
        font(19).color(&pal::GREY),
        HPos::Left,
    )?;
    let (head, main) = main.split_vertically(70);
    let (hw, _) = head.dim_in_pixel();
    text(
        &head,
        &ellipsize(title, 80),
        ((hw / 2) as i32, 40),
        bold(32),
        HPos::Center,
    )?;
    let (w, _) = main.dim_in_pixel();
    let (chart, side) = main.split_horizontally(w - LEGEND_W);
    Ok((chart, side))
}

/// A chart of horizontal rows (row i centred at y = n − i − ½, labels drawn by the caller left
/// of the plotting area) over `x`, with 11 x labels formatted by `x_fmt`: the layout of the
/// PRIM box and the calibration charts.
pub(super) struct RowsChart<'a> {
    /// Rows (at least 3 rows of height are kept, so that few rows do not stretch).
    pub rows: usize,
    /// The x range.
    pub x: std::ops::Range<f64>,
    /// Caption above the plot, if any.
    pub caption: Option<String>,
    /// Description of the x axis.
    pub x_desc: &'a str,
    /// Tick label of an x value.
    pub x_fmt: &'a dyn Fn(&f64) -> String,
    /// Right margin [px].
    pub margin_right: u32,
}

/// Build and draw the mesh of a [`RowsChart`] on `area`.
pub(super) fn rows_chart<'a, DB: DrawingBackend>(
    area: &'a DrawingArea<DB, Shift>,
    c: &RowsChart<'_>,
) -> std::result::Result<
    ChartContext<
        'a,
        DB,
        Cartesian2d<plotters::coord::types::RangedCoordf64, plotters::coord::types::RangedCoordf64>,
    >,
    Box<dyn std::error::Error>,
>
where
    DB::ErrorType: 'static,
{
    let n = c.rows.max(3) as f64;
    let mut b = ChartBuilder::on(area);
    b.margin(16)
        .margin_right(c.margin_right)
        .x_label_area_size(80)
        .y_label_area_size(380);
    if let Some(cap) = &c.caption {
        b.caption(cap, font(22));
    }
    let mut chart = b.build_cartesian_2d(c.x.clone(), 0.0..n)?;
    chart
        .configure_mesh()
        .disable_y_mesh()
        .y_labels(0)
        .x_labels(11)
        .x_label_formatter(c.x_fmt)
        .x_desc(c.x_desc)
        .axis_desc_style(font(22))
        .label_style(font(19))
        .light_line_style(TRANSPARENT)
        .bold_line_style(pal::LIGHT.mix(0.6))
        .draw()?;
    Ok(chart)
}

macro_rules! render_chart {
    ($name:expr, $title:expr, $draw:ident ( $($arg:expr),* )) => {{
        let name: String = $name;
        let mut buf = vec![0u8; (WIDTH * HEIGHT * 3) as usize];
        {
            let root = BitMapBackend::with_buffer(&mut buf, (WIDTH, HEIGHT)).into_drawing_area();
            $draw(&root, $($arg),*).map_err(|e| chart_error(&name, &*e))?;
            root.present().map_err(|e| chart_error(&name, &e))?;
        }
        let png = encode_png(&buf, WIDTH, HEIGHT)?;
        let mut svg = String::new();
        {
            let root = SVGBackend::with_string(&mut svg, (WIDTH, HEIGHT)).into_drawing_area();
            $draw(&root, $($arg),*).map_err(|e| chart_error(&name, &*e))?;
            root.present().map_err(|e| chart_error(&name, &e))?;
        }
        RenderedChart { name, title: $title, png, svg }
    }};
}
pub(super) use render_chart;

pub(super) fn chart_error(name: &str, e: &dyn std::fmt::Display) -> Error {
    Error::Runtime(format!("chart {name}: {e}"))
}

/// Encode an RGB buffer as PNG (deterministic: fixed compression and filter).
pub(super) fn encode_png(rgb: &[u8], w: u32, h: u32) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut out, w, h);
        enc.set_color(png::ColorType::Rgb);
        enc.set_depth(png::BitDepth::Eight);
        enc.set_compression(png::Compression::Default);
        enc.set_filter(png::FilterType::Sub);
        let mut writer = enc
            .write_header()
            .map_err(|e| Error::Runtime(format!("PNG encoding: {e}")))?;
        writer
            .write_image_data(rgb)
            .map_err(|e| Error::Runtime(format!("PNG encoding: {e}")))?;
        writer
            .finish()
            .map_err(|e| Error::Runtime(format!("PNG encoding: {e}")))?;
    }
    Ok(out)
}

/// Render every chart the batch has data for, in a fixed order.
pub(super) fn render_all(b: &Batch) -> Result<Vec<RenderedChart>> {
    register_fonts()?;
    let s = &b.summary;
    let footer = data::footer(s);
    let mut out = Vec::new();
    let mut groups = data::objectives_data(s);
    if let Some(u) = &b.uncertainty {
        data::with_parameter_ranges(&mut groups, u);
    }
    if !groups.is_empty() {
        let thresholds: Vec<Option<[f64; 3]>> = groups
            .iter()
            .map(|g| {
                b.catalog
                    .objectives
                    .iter()
                    .find(|o| o.id == g.id)
                    .map(|o| o.thresholds)
            })
            .collect();
        out.push(render_chart!(
            "objectives".to_string(),
            "Objectives: share of runs meeting each target".to_string(),
            draw_objectives(&groups, &thresholds, &footer)
        ));
    }
    let preferred: &[String] = b
        .scenario
        .as_ref()
        .map(|sc| sc.exercise.key_metrics.as_slice())
        .unwrap_or(&[]);
    let panels = data::distributions_data(s, &b.catalog, preferred);
    if !panels.is_empty() {
        let names: Vec<String> = s.variants.iter().map(|v| v.name.clone()).collect();
        out.push(render_chart!(
            "distributions".to_string(),
            "Key outcomes: distribution over runs, baseline and variants".to_string(),
            draw_distributions(&panels, &names, &footer)
        ));
    }
    for f in data::fan_data(s, &b.catalog) {
        let variant_names: Vec<String> = s.variants.iter().map(|v| v.name.clone()).collect();
        out.push(render_chart!(
            format!("fan_{}", crate::output::safe_file_name(&f.bands.id)),
            format!("{} over time (baseline bands)", f.bands.label),
            draw_fan(&f, &variant_names, &footer)
        ));
    }
    let (wo, wm) = data::whatif_data(s, &b.catalog);
    if !wo.is_empty() || !wm.is_empty() {
        let names: Vec<String> = s.variants.iter().skip(1).map(|v| v.name.clone()).collect();
        out.push(render_chart!(
            "whatif".to_string(),
            "What-if: paired differences, variant − baseline".to_string(),
            draw_whatif(&wo, &wm, &names, &footer)
        ));
    }
    if let Some(base) = s.variants.first() {
        for t in data::drivers_data(base) {
            out.push(render_chart!(
                format!("drivers_{}", crate::output::safe_file_name(&t.objective)),
                format!("Drivers of objective {}", t.objective),
                draw_tornado(&t, &footer)
            ));
        }
    }
    let (nodes, edges) = data::network_data(s, b.scenario.as_ref());
    // above NETWORK_DETAIL_MAX agencies `netscale` draws the matrix and grouped layout instead
    if !nodes.is_empty() && (nodes.len() <= data::NETWORK_DETAIL_MAX || edges.is_empty()) {
        out.push(render_chart!(
            "network".to_string(),
            "Partnership network (baseline means)".to_string(),
            draw_network(&nodes, &edges, &footer)
        ));
    }
    let start_label = b
        .scenario
        .as_ref()
        .map(|sc| sc.exercise.start_label.clone())
        .unwrap_or_default();
    if let Some(base) = s.variants.first() {
        for role in ["median", "worst"] {
            let Some(ex) = b.exemplar(&base.id, role) else {
                continue;
            };
            let d = data::timeline_data(ex, b.scenario.as_ref());
            if d.points.is_empty() {
                continue;
            }
            let role_label = if role == "median" {
                "median"
            } else {
                "worst-decile"
            };
            let title = format!(
                "Timeline of the {role_label} run ({}, run {})",
                base.name, ex.outcome.run_index
            );
            let subtitle = format!("Chosen as: {}", ex.reason);
            out.push(render_chart!(
                format!(
                    "timeline_{}_{}",
                    crate::output::safe_file_name(&base.id),
                    role
                ),
                title.clone(),
                draw_timeline(&d, &title, &subtitle, &start_label, &footer)
            ));
        }
    }
    Ok(out)
}

/// Objectives chart: one bar per objective × variant, coloured by rating, Wilson whiskers.
pub(super) fn draw_objectives<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    groups: &[data::ObjectiveGroup],
    thresholds: &[Option<[f64; 3]>],
    footer: &str,
) -> DrawResult
where
    DB::ErrorType: 'static,
{
    let with_params = groups
        .iter()
        .any(|g| g.points.iter().any(|p| p.param.is_some()));
    let (area, side) = frame(
        root,
        if with_params {
            "Objectives: P(target met) per variant; black: 95% Wilson interval, blue: with parameter uncertainty"
        } else {
            "Objectives: P(target met) per variant, with 95% Wilson interval"
        },
        footer,
    )?;
    // Variant names in order of first appearance (the baseline first), for short labels.
    let mut names: Vec<&str> = Vec::new();
    for g in groups {
        for p in &g.points {
            if !names.contains(&p.variant.as_str()) {
                names.push(&p.variant);
            }
        }
    }
    // Row layout: a heading row per group, then one row per variant.
    let mut rows: Vec<(f64, usize, Option<usize>)> = Vec::new();
    let mut pos = 0.0;
    let headings: Vec<Vec<String>> = groups
        .iter()
        .map(|g| wrap(&format!("{}: {}", g.id, g.description), 90, 3))
        .collect();
    for (gi, g) in groups.iter().enumerate() {
        // a heading of n lines takes 1 + 0.6 (n − 1) rows, centred on its row position
        let extra = 0.6 * (headings[gi].len() as f64 - 1.0);
        rows.push((pos + extra / 2.0, gi, None));
        pos += 1.0 + extra;
        for pi in 0..g.points.len() {
            rows.push((pos, gi, Some(pi)));
            pos += 1.0;
        }
        pos += 0.4;
    }
    let total = pos.max(1.0);
    let y_of = |p: f64| total - p - 0.5;
    let mut chart = ChartBuilder::on(&area)
        .margin(16)
        .margin_right(110)
        .x_label_area_size(80)
        .y_label_area_size(360)
        .build_cartesian_2d(0.0f64..1.0f64, 0.0f64..total)?;
    chart
        .configure_mesh()
        .disable_y_mesh()
        .y_labels(0)
        .x_labels(11)
        .x_label_formatter(&|x| format!("{:.0}%", x * 100.0))
        .x_desc("Share of runs meeting the target [% of runs]")
        .axis_desc_style(font(24))
        .label_style(font(20))
        .light_line_style(TRANSPARENT)
        .draw()?;
    let pa = chart.plotting_area().clone();
    let left = pa.get_pixel_range().0.start;
    for (p, gi, r) in &rows {
        let y = y_of(*p);
        let g = &groups[*gi];
        match r {
            None => {
                let (_, py) = pa.map_coordinate(&(0.0, y));
                let lines = &headings[*gi];
                let top = py - 12 * (lines.len() as i32 - 1);
                for (i, line) in lines.iter().enumerate() {
                    text(root, line, (24, top + 24 * i as i32), bold(21), HPos::Left)?;
                }
                if let Some(Some(t)) = thresholds.get(*gi) {
                    let ys: Vec<f64> = rows
                        .iter()
                        .filter(|r| r.1 == *gi && r.2.is_some())
                        .map(|r| y_of(r.0))
                        .collect();
                    let top = ys.iter().copied().fold(f64::MIN, f64::max) + 0.45;
                    let bottom = ys.iter().copied().fold(f64::MAX, f64::min) - 0.45;
                    for th in t {
                        chart.draw_series(std::iter::once(DashedPathElement::new(
                            vec![(*th, top), (*th, bottom)],
                            5,
                            4,
                            pal::GREY.stroke_width(2),
                        )))?;
                    }
                }
            }
            Some(pi) => {
                let pt = &g.points[*pi];
                let c = rating_colour(&pt.rating);
                chart.draw_series(std::iter::once(Rectangle::new(
                    [(0.0, y - 0.36), (pt.p, y + 0.36)],
                    c.filled(),
                )))?;
                chart.draw_series(std::iter::once(PathElement::new(
                    vec![(pt.lo, y), (pt.hi, y)],
                    pal::INK.stroke_width(3),
                )))?;
                for x in [pt.lo, pt.hi] {
                    chart.draw_series(std::iter::once(PathElement::new(
                        vec![(x, y - 0.2), (x, y + 0.2)],
                        pal::INK.stroke_width(3),
                    )))?;
                }
                // Monte Carlo plus parameter uncertainty, just below the Wilson whisker.
                let mut right = pt.hi;
                if let Some((lo, hi)) = pt.param {
                    let yb = y - 0.26;
                    let blue = RGBColor(31, 94, 168);
                    chart.draw_series(std::iter::once(PathElement::new(
                        vec![(lo, yb), (hi, yb)],
                        blue.stroke_width(3),
                    )))?;
                    for x in [lo, hi] {
                        chart.draw_series(std::iter::once(PathElement::new(
                            vec![(x, yb - 0.1), (x, yb + 0.1)],
                            blue.stroke_width(3),
                        )))?;
                    }
                    right = right.max(hi);
                }
                let (px, py) = pa.map_coordinate(&(right, y));
                text(
                    root,
                    &format!("{:.0}% {}", pt.p * 100.0, pt.rating),
                    (px + 10, py),
                    bold(19),
                    HPos::Left,
                )?;
                // a short label ("Baseline", "V1", …: the report's matrix columns), the full
                // name in the key beside the chart
                let k = names.iter().position(|n| *n == pt.variant).unwrap_or(0);
                let label = if k == 0 {
                    pt.variant.clone()
                } else {
                    format!("V{k}")
                };
                text(
                    root,
                    &ellipsize(&label, 32),
                    (left - 12, py),
                    font(19),
                    HPos::Right,
                )?;
            }
        }
    }
    let y = legend(
        &side,
        "HSEEP rating (simulated)",
        &[
            (
                "P: without challenges".into(),
                Mark::Square(rating_colour("P")),
            ),
            (
                "S: some challenges".into(),
                Mark::Square(rating_colour("S")),
            ),
            (
                "M: major challenges".into(),
                Mark::Square(rating_colour("M")),
            ),
            (
                "U: unable to perform".into(),
                Mark::Square(rating_colour("U")),
            ),
            ("95% Wilson interval".into(), Mark::Line(pal::INK, 3, false)),
            (
                "Rating thresholds M/S/P".into(),
                Mark::Line(pal::GREY, 2, true),
            ),
        ],
    )?;
    // the key of the short variant labels, each name wrapped whole
    let mut y = y + 12;
    if names.len() > 1 {
        text(&side, "Variants", (16, y), bold(20), HPos::Left)?;
        y += 30;
    }
    for (k, n) in names.iter().enumerate().skip(1) {
        for line in wrap(&format!("V{k}: {n}"), 32, 4) {
            text(&side, &line, (16, y), font(17), HPos::Left)?;
            y += 21;
        }
        y += 6;
    }
    root.present()?;
    Ok(())
}

/// Distributions chart: one panel per key metric; per variant a 5th–95th percentile bar,
/// the median and the mean with its 95% interval.
pub(super) fn draw_distributions<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    panels: &[MetricPanel],
    variants: &[String],
    footer: &str,
) -> DrawResult
where
    DB::ErrorType: 'static,
{
    let title = if variants.len() > 1 {
        "Key outcomes: spread over runs, baseline and variants"
    } else {
        "Key outcomes: spread over runs"
    };
    let (area, side) = frame(root, title, footer)?;
    let cols = panels.len().clamp(1, 3);
    let rows = panels.len().div_ceil(cols).max(1);
    let cells = area.split_evenly((rows, cols));
    for (panel, cell) in panels.iter().zip(cells.iter()) {
        let lo = panel
            .boxes
            .iter()
            .map(|b| b.p5.min(b.mean_lo))
            .fold(f64::INFINITY, f64::min);
        let hi = panel
            .boxes
            .iter()
            .map(|b| b.p95.max(b.mean_hi))
            .fold(f64::NEG_INFINITY, f64::max);
        let (lo, hi) = padded(lo.min(0.0), hi);
        let n = panel.boxes.len() as f64;
        let (head, body) = cell.split_vertically(56);
        let (hw, _) = head.dim_in_pixel();
        let chars = (hw as usize / 11).max(10);
        for (i, line) in wrap(&panel.label, chars, 2).iter().enumerate() {
            text(
                &head,
                line,
                ((hw / 2) as i32, 16 + 22 * i as i32),
                bold(18),
                HPos::Center,
            )?;
        }
        let mut chart = ChartBuilder::on(&body)
            .margin(10)
            .x_label_area_size(52)
            .y_label_area_size(90)
            .build_cartesian_2d(0.0f64..n, lo..hi)?;
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(0)
            .y_labels(6)
            .y_label_formatter(&|y| tick(*y, hi - lo))
            .y_desc(unit_desc(&panel.unit))
            .axis_desc_style(font(19))
            .label_style(font(17))
            .light_line_style(TRANSPARENT)
            .draw()?;
        let same_n = panel.boxes.windows(2).all(|w| w[0].n == w[1].n);
        for (i, b) in panel.boxes.iter().enumerate() {
            let vi = variants.iter().position(|v| v == &b.variant).unwrap_or(i);
            let c = variant_colour(vi);
            let x = i as f64 + 0.5;
            chart.draw_series(std::iter::once(Rectangle::new(
                [(x - 0.32, b.p5), (x - 0.02, b.p95)],
                c.mix(0.35).filled(),
            )))?;
            chart.draw_series(std::iter::once(PathElement::new(
                vec![(x - 0.32, b.p50), (x - 0.02, b.p50)],
                c.stroke_width(5),
            )))?;
            chart.draw_series(std::iter::once(PathElement::new(
                vec![(x + 0.15, b.mean_lo), (x + 0.15, b.mean_hi)],
                pal::INK.stroke_width(3),
            )))?;
            chart.draw_series(std::iter::once(Circle::new(
                (x + 0.15, b.mean),
                7,
                c.filled(),
            )))?;
            chart.draw_series(std::iter::once(Circle::new(
                (x + 0.15, b.mean),
                7,
                pal::INK.stroke_width(2),
            )))?;
            if !same_n {
                let (px, py) = chart.plotting_area().map_coordinate(&(x, lo));
                text(
                    root,
                    &b.n.to_string(),
                    (px, py + 16),
                    font(15).color(&pal::GREY),
                    HPos::Center,
                )?;
            }
        }
        let (px, py) = chart.plotting_area().map_coordinate(&(n / 2.0, lo));
        let note = if same_n {
            let each = if panel.boxes.len() > 1 { " each" } else { "" };
            format!("n = {} runs{each}", panel.boxes.first().map_or(0, |b| b.n))
        } else {
            "runs with a value (n) under each bar".to_string()
        };
        text(
            root,
            &note,
            (px, py + if same_n { 16 } else { 36 }),
            font(16).color(&pal::GREY),
            HPos::Center,
        )?;
    }
    let mut items: Vec<(String, Mark)> = variants
        .iter()
        .enumerate()
        .map(|(i, v)| (v.clone(), Mark::Square(variant_colour(i))))
        .collect();
    items.push((
        "Bar: 5th–95th percentile".into(),
        Mark::Band(pal::GREY, 0.35),
    ));
    items.push(("Thick line: median".into(), Mark::Line(pal::GREY, 5, false)));
    items.push(("Dot: mean, 95% CI".into(), Mark::Dot(pal::GREY)));
    legend(&side, "Variant", &items)?;
    root.present()?;
    Ok(())
}

/// A tick label with as many decimals as the axis span needs.
pub(super) fn tick(v: f64, span: f64) -> String {
    let s = if span >= 10.0 {
        format!("{v:.0}")
    } else if span >= 1.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    };
    match s.strip_prefix('-') {
        Some(rest) if rest.chars().all(|c| c == '0' || c == '.') => rest.to_string(),
        _ => s,
    }
}

pub(super) fn unit_desc(unit: &str) -> String {
    match unit {
        "" => "value".into(),
        "h" => "hours [h]".into(),
        "share" => "share [0–1]".into(),
        u => format!("[{u}]"),
    }
}

pub(super) fn padded(lo: f64, hi: f64) -> (f64, f64) {
    let (lo, hi) = if lo.is_finite() && hi.is_finite() {
        (lo, hi)
    } else {
        (0.0, 1.0)
    };
    if hi - lo < 1e-9 {
        return if lo >= 0.0 {
            (lo, hi + 1.0)
        } else {
            (lo - 0.5, hi + 0.5)
        };
    }
    let pad = (hi - lo) * 0.06;
    (if lo >= 0.0 { lo } else { lo - pad }, hi + pad)
}

/// Fan chart: baseline median with p25–p75 and p5–p95 bands, variant medians, inject times.
pub(super) fn draw_fan<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    f: &Fan,
    variants: &[String],
    footer: &str,
) -> DrawResult
where
    DB::ErrorType: 'static,
{
    let title = format!("{} over time: baseline spread across runs", f.bands.label);
    let (area, side) = frame(root, &title, footer)?;
    let t0 = f.bands.times.first().copied().unwrap_or(0.0);
    let t1 = f.bands.times.last().copied().unwrap_or(1.0).max(t0 + 1e-6);
    let top = f
        .bands
        .p95
        .iter()
        .chain(f.variant_medians.iter().flat_map(|v| v.1.iter()))
        .copied()
        .filter(|v| v.is_finite())
        .fold(f.max.unwrap_or(0.0), f64::max);
    let bottom = f
        .bands
        .p5
        .iter()
        .copied()
        .filter(|v| v.is_finite())
        .fold(0.0, f64::min);
    let (lo, hi) = padded(bottom, top);
    let mut chart = ChartBuilder::on(&area)
        .margin(16)
        .margin_top(40)
        .x_label_area_size(70)
        .y_label_area_size(100)
        .build_cartesian_2d(t0..t1, lo..hi)?;
    chart
        .configure_mesh()
        .x_label_formatter(&|x| format!("{x:.0}"))
        .y_label_formatter(&|y| tick(*y, hi - lo))
        .x_desc("Scenario time [h]")
        .y_desc(format!(
            "{} {}",
            ellipsize(&f.bands.label, 40),
            unit_desc(&f.bands.unit)
        ))
        .axis_desc_style(font(24))
        .label_style(font(20))
        .light_line_style(TRANSPARENT)
        .draw()?;
    let band = |a: &[f64], b: &[f64]| -> Vec<(f64, f64)> {
        let mut pts: Vec<(f64, f64)> = f
            .bands
            .times
            .iter()
            .copied()
            .zip(b.iter().copied())
            .collect();
        pts.extend(f.bands.times.iter().copied().zip(a.iter().copied()).rev());
        pts
    };
    let base = variant_colour(0);
    chart.draw_series(std::iter::once(Polygon::new(
        band(&f.bands.p5, &f.bands.p95),
        base.mix(0.15).filled(),
    )))?;
    chart.draw_series(std::iter::once(Polygon::new(
        band(&f.bands.p25, &f.bands.p75),
        base.mix(0.32).filled(),
    )))?;
    chart.draw_series(LineSeries::new(
        f.bands
            .times
            .iter()
            .copied()
            .zip(f.bands.p50.iter().copied()),
        base.stroke_width(4),
    ))?;
    let mut items = vec![
        ("Baseline median".to_string(), Mark::Line(base, 4, false)),
        (
            "Baseline 25th–75th percentile".to_string(),
            Mark::Band(base, 0.32),
        ),
        (
            "Baseline 5th–95th percentile".to_string(),
            Mark::Band(base, 0.15),
        ),
    ];
    for (name, vals) in &f.variant_medians {
        let vi = variants.iter().position(|v| v == name).unwrap_or(1).max(1);
        let c = variant_colour(vi);
        chart.draw_series(DashedLineSeries::new(
            f.bands.times.iter().copied().zip(vals.iter().copied()),
            10,
            6,
            c.stroke_width(3),
        ))?;
        items.push((format!("Median: {name}"), Mark::Line(c, 3, true)));
    }
    let pa = chart.plotting_area().clone();
    let mut lane_ends: Vec<i32> = Vec::new();
    for (id, t) in &f.injects {
        chart.draw_series(std::iter::once(DashedPathElement::new(
            vec![(*t, lo), (*t, hi)],
            4,
            4,
            pal::GREY.stroke_width(2),
        )))?;
        let (px, py) = pa.map_coordinate(&(*t, hi));
        let label = ellipsize(id, 12);
        let lane = inject_label_lane(&mut lane_ends, px + 4, label_width(&label, 17));
        text(
            root,
            &label,
            (px + 4, py - 22 + 20 * lane as i32),
            font(17).color(&pal::GREY),
            HPos::Left,
        )?;
    }
    if !f.injects.is_empty() {
        items.push((
            "Inject fired (MSEL time)".into(),
            Mark::Line(pal::GREY, 2, true),
        ));
    }
    legend(&side, "Legend", &items)?;
    root.present()?;
    Ok(())
}

/// What-if chart: paired differences (variant − baseline) with 95% intervals and a zero line.
pub(super) fn draw_whatif<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    objectives: &[data::DiffGroup],
    metrics: &[data::DiffGroup],
    variants: &[String],
    footer: &str,
) -> DrawResult
where
    DB::ErrorType: 'static,
{
    let (area, side) = frame(
        root,
        "What-if: change against the baseline (paired runs)",
        footer,
    )?;
    let panels: Vec<(&[data::DiffGroup], &str)> = [
        (objectives, "Change in P(objective met) [percentage points]"),
        (metrics, "Change in key outcome [% of baseline mean]"),
    ]
    .into_iter()
    .filter(|(g, _)| !g.is_empty())
    .collect();
    let weights: Vec<usize> = panels
        .iter()
        .map(|(g, _)| g.iter().map(|x| x.points.len()).sum::<usize>() + g.len())
        .collect();
    let total: usize = weights.iter().sum::<usize>().max(1);
    let (_, h) = area.dim_in_pixel();
    let mut rest = area.clone();
    for (k, (groups, desc)) in panels.iter().enumerate() {
        let cell = if k + 1 < panels.len() {
            let px = (h as usize * weights[k] / total).max(200) as i32;
            let (a, b) = rest.split_vertically(px);
            rest = b;
            a
        } else {
            rest.clone()
        };
        let mut rows = Vec::new();
        let mut pos = 0.0f64;
        for (gi, g) in groups.iter().enumerate() {
            for pi in 0..g.points.len() {
                rows.push((pos, gi, pi));
                pos += 1.0;
            }
            pos += 0.6;
        }
        let total_rows = pos.max(1.0);
        let y_of = |p: f64| total_rows - p - 0.5;
        let span = groups
            .iter()
            .flat_map(|g| g.points.iter())
            .flat_map(|p| [p.lo.abs(), p.hi.abs(), p.mean.abs()])
            .filter(|v| v.is_finite())
            .fold(1.0, f64::max)
            * 1.35;
        let mut chart = ChartBuilder::on(&cell)
            .margin(12)
            .x_label_area_size(64)
            .y_label_area_size(420)
            .build_cartesian_2d(-span..span, 0.0..total_rows)?;
        chart
            .configure_mesh()
            .disable_y_mesh()
            .y_labels(0)
            .x_labels(9)
            .x_label_formatter(&|x| super::text::signed(*x, tick_decimals(2.0 * span / 8.0)))
            .x_desc(*desc)
            .axis_desc_style(font(22))
            .label_style(font(19))
            .light_line_style(TRANSPARENT)
            .draw()?;
        chart.draw_series(std::iter::once(PathElement::new(
            vec![(0.0, 0.0), (0.0, total_rows)],
            pal::INK.stroke_width(2),
        )))?;
        let pa = chart.plotting_area().clone();
        let left = pa.get_pixel_range().0.start;
        let row_px = pa.dim_in_pixel().1 as f64 / total_rows;
        let dot = (row_px * 0.42).clamp(4.0, 8.0) as u32;
        let label_px = (row_px * 1.05).clamp(13.0, 17.0) as u32;
        for (gi, g) in groups.iter().enumerate() {
            let ys: Vec<f64> = rows
                .iter()
                .filter(|r| r.1 == gi)
                .map(|r| y_of(r.0))
                .collect();
            let mid = ys.iter().sum::<f64>() / ys.len().max(1) as f64;
            let (_, py) = pa.map_coordinate(&(0.0, mid));
            let lines = group_label(g, (ys.len() as f64 + 0.6) * row_px);
            let top = py - 11 * (lines.len() as i32 - 1);
            for (i, line) in lines.iter().enumerate() {
                text(
                    root,
                    line,
                    (left - 12, top + 22 * i as i32),
                    font(18),
                    HPos::Right,
                )?;
            }
        }
        for (p, gi, pi) in &rows {
            let d = &groups[*gi].points[*pi];
            let y = y_of(*p);
            let c = variant_colour(d.variant_index + 1);
            chart.draw_series(std::iter::once(PathElement::new(
                vec![(d.lo, y), (d.hi, y)],
                c.stroke_width(4),
            )))?;
            chart.draw_series(std::iter::once(Circle::new((d.mean, y), dot, c.filled())))?;
            // label only the changes whose interval excludes zero: the rest read as "no change"
            let zero = d.absolute.starts_with('0');
            if (d.lo > 0.0 || d.hi < 0.0) && !zero {
                let (px, py) = pa.map_coordinate(&(d.hi.max(d.lo), y));
                text(root, &d.absolute, (px + 10, py), bold(label_px), HPos::Left)?;
            }
        }
    }
    let mut items: Vec<(String, Mark)> = variants
        .iter()
        .enumerate()
        .map(|(i, v)| (v.clone(), Mark::Dot(variant_colour(i + 1))))
        .collect();
    items.push(("Line: 95% interval".into(), Mark::Line(pal::GREY, 4, false)));
    items.push(("Zero: no change".into(), Mark::Line(pal::INK, 2, false)));
    let y = legend(&side, "Variant − baseline", &items)?;
    legend_note(
        &side,
        y,
        "Numbers: changes whose interval excludes zero, in the outcome's own unit",
    )?;
    root.present()?;
    Ok(())
}

/// Tornado chart: P(met | driver happened) vs P(met | not) for the drivers that move an
/// objective most.
pub(super) fn draw_tornado<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    t: &Tornado,
    footer: &str,
) -> DrawResult
where
    DB::ErrorType: 'static,
{
    let title = format!("What moves objective {}", ellipsize(&t.objective, 20));
    let (area, side) = frame(root, &title, footer)?;
    let n = t.bars.len().max(5) as f64;
    let mut chart = ChartBuilder::on(&area)
        .margin(16)
        .margin_right(40)
        .caption(ellipsize(&t.description, 90), font(22))
        .x_label_area_size(80)
        .y_label_area_size(420)
        .build_cartesian_2d(0.0f64..1.0f64, 0.0..n)?;
    chart
        .configure_mesh()
        .disable_y_mesh()
        .y_labels(0)
        .x_labels(11)
        .x_label_formatter(&|x| format!("{:.0}%", x * 100.0))
        .x_desc("Share of runs meeting the target [% of runs]")
        .axis_desc_style(font(24))
        .label_style(font(20))
        .light_line_style(TRANSPARENT)
        .draw()?;
    chart.draw_series(std::iter::once(DashedPathElement::new(
        vec![(t.p, 0.0), (t.p, n)],
        6,
        4,
        pal::GREY.stroke_width(2),
    )))?;
    let pa = chart.plotting_area().clone();
    let left = pa.get_pixel_range().0.start;
    for (i, b) in t.bars.iter().enumerate() {
        let y = n - i as f64 - 0.5;
        let c = if b.p_with < b.p_without {
            pal::VERMILLION
        } else {
            pal::BLUE
        };
        chart.draw_series(std::iter::once(Rectangle::new(
            [
                (b.p_with.min(b.p_without), y - 0.22),
                (b.p_with.max(b.p_without), y + 0.22),
            ],
            c.mix(0.55).filled(),
        )))?;
        chart.draw_series(std::iter::once(Circle::new(
            (b.p_without, y),
            10,
            WHITE.filled(),
        )))?;
        chart.draw_series(std::iter::once(Circle::new(
            (b.p_without, y),
            10,
            pal::INK.stroke_width(3),
        )))?;
        chart.draw_series(std::iter::once(Circle::new((b.p_with, y), 10, c.filled())))?;
        let (_, py) = pa.map_coordinate(&(0.0, y));
        text(
            root,
            &ellipsize(&b.label, 38),
            (left - 12, py - 12),
            font(19),
            HPos::Right,
        )?;
        text(
            root,
            &format!("happened in {} runs", b.runs_with),
            (left - 12, py + 13),
            font(16).color(&pal::GREY),
            HPos::Right,
        )?;
        let (px, _) = pa.map_coordinate(&(b.p_with.max(b.p_without), y));
        text(
            root,
            &format!("{:.0}% → {:.0}%", b.p_without * 100.0, b.p_with * 100.0),
            (px + 16, py),
            font(17),
            HPos::Left,
        )?;
    }
    legend(
        &side,
        "P(met) in runs where…",
        &[
            ("the driver did not happen".into(), Mark::Ring(pal::INK)),
            ("it happened: lower".into(), Mark::Dot(pal::VERMILLION)),
            ("it happened: higher".into(), Mark::Dot(pal::BLUE)),
            ("Overall P(met)".into(), Mark::Line(pal::GREY, 2, true)),
        ],
    )?;
    root.present()?;
    Ok(())
}

pub(super) fn sector_mark(sector: usize) -> Mark {
    match sector {
        0 => Mark::Dot(pal::BLUE),
        1 => Mark::Square(pal::GREEN),
        2 => Mark::Triangle(pal::ORANGE),
        3 => Mark::Diamond(pal::PURPLE),
        _ => Mark::Dot(pal::GREY),
    }
}

/// Width [px] of `s` in `style`, estimated with the chart font.
pub(super) fn text_width<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    s: &str,
    style: &TextStyle<'static>,
) -> u32 {
    area.estimate_text_size(s, style)
        .map(|(w, _)| w)
        .unwrap_or(s.chars().count() as u32 * style.font.get_size() as u32 * 3 / 5)
}

/// `name` shortened to fit `budget` pixels: in full if it fits, else without its
/// parenthetical ("Pipeline operator (Colonial-like)" → "Pipeline operator") when that fits,
/// else cut with an ellipsis.
pub(super) fn fit_label<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    name: &str,
    style: &TextStyle<'static>,
    budget: i32,
) -> String {
    let fits = |s: &str| (text_width(area, s, style) as i32) <= budget;
    if fits(name) {
        return name.to_string();
    }
    if let Some(i) = name.find(" (") {
        let short = name[..i].trim_end();
        if !short.is_empty() && fits(short) {
            return short.to_string();
        }
    }
    let n = name.chars().count();
    for keep in (4..n).rev() {
        let s = ellipsize(name, keep);
        if fits(&s) {
            return s;
        }
    }
    ellipsize(name, 4)
}

/// Where a network's nodes sit in its drawing area: an oval whose sides leave room for the
/// labels, node size and label font from the number of rows per side.
pub(super) struct NetGeometry {
    /// Centre [px].
    cx: f64,
    /// Centre [px].
    cy: f64,
    /// Horizontal radius [px].
    rx: f64,
    /// Vertical radius [px].
    ry: f64,
    /// Node radius [px].
    pub(super) r: f64,
    /// Label style.
    label_style: TextStyle<'static>,
    /// Area width [px].
    w: f64,
}

impl NetGeometry {
    /// Geometry of `n` nodes in an area of `(w, h)` pixels.
    pub(super) fn new((w, h): (u32, u32), n: usize) -> NetGeometry {
        let (w, h) = (w as f64, h as f64);
        let (cx, cy) = (w / 2.0, h / 2.0 - 4.0);
        let ry = h / 2.0 - 36.0;
        let per_side = n.div_ceil(2).max(1) as f64;
        let row = 2.0 * 0.96 * ry / per_side;
        let font_px = (row * 0.68).clamp(12.0, 19.0).round() as u32;
        let label_style = if n <= 16 {
            bold(font_px)
        } else {
            font(font_px)
        };
        // leave each side ~ 24 characters of label at the widest point of the oval
        let label_room = (font_px as f64 * 0.6 * 24.0).clamp(200.0, 320.0);
        let rx = (w / 2.0 - label_room - 24.0).max(ry * 0.6);
        let r = (row * 0.33).clamp(6.0, 18.0);
        NetGeometry {
            cx,
            cy,
            rx,
            ry,
            r,
            label_style,
            w,
        }
    }

    /// Pixel position of a node.
    pub(super) fn at(&self, n: &NetNode) -> (f64, f64) {
        (self.cx + n.x * self.rx, self.cy - n.y * self.ry)
    }
}

/// Draw the nodes (mark by sector) and their labels, level with the node outside the oval.
pub(super) fn draw_net_nodes<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    nodes: &[NetNode],
    g: &NetGeometry,
) -> DrawResult
where
    DB::ErrorType: 'static,
{
    let r = g.r;
    let ri = r.round() as i32;
    for n in nodes {
        let (x, y) = g.at(n);
        let (x, y) = (x.round() as i32, y.round() as i32);
        match sector_mark(n.sector) {
            Mark::Dot(c) => area.draw(&Circle::new((x, y), ri, c.filled()))?,
            Mark::Square(c) => {
                let q = (r * 0.9).round() as i32;
                area.draw(&Rectangle::new(
                    [(x - q, y - q), (x + q, y + q)],
                    c.filled(),
                ))?
            }
            Mark::Triangle(c) => {
                area.draw(&TriangleMarker::new((x, y), (r * 1.25) as u32, c.filled()))?
            }
            Mark::Diamond(c) => {
                let q = (r * 1.2).round() as i32;
                area.draw(&Polygon::new(
                    vec![(x, y - q), (x + q, y), (x, y + q), (x - q, y)],
                    c.filled(),
                ))?
            }
            _ => {}
        }
        let gap = ri + 10;
        let (lx, hpos, budget) = if n.x >= 0.0 {
            (x + gap, HPos::Left, g.w as i32 - (x + gap) - 6)
        } else {
            (x - gap, HPos::Right, x - gap - 6)
        };
        let label = fit_label(area, &n.name, &g.label_style, budget);
        text(area, &label, (lx, y), g.label_style.clone(), hpos)?;
    }
    Ok(())
}

/// Legend entries of the sectors present among `nodes`, in sector order.
pub(super) fn sector_legend(nodes: &[NetNode]) -> Vec<(String, Mark)> {
    let mut present: Vec<usize> = nodes.iter().map(|n| n.sector).collect();
    present.sort();
    present.dedup();
    present
        .iter()
        .map(|&s| (SECTORS[s].to_string(), sector_mark(s)))
        .collect()
}

/// A horizontal colour scale in the legend column at height `y0`: a bold title, the ramp
/// `colour(f)` for f in [0, 1], and three tick labels (left, middle, right).
pub(super) fn colour_scale<DB: DrawingBackend>(
    side: &DrawingArea<DB, Shift>,
    y0: i32,
    title: &str,
    colour: impl Fn(f64) -> RGBColor,
    ticks: [&str; 3],
) -> DrawResult
where
    DB::ErrorType: 'static,
{
    text(side, title, (16, y0), bold(20), HPos::Left)?;
    let (x0, bw, bh) = (24, 300, 26);
    for i in 0..bw {
        let c = colour(i as f64 / (bw - 1) as f64);
        side.draw(&Rectangle::new(
            [(x0 + i, y0 + 24), (x0 + i + 1, y0 + 24 + bh)],
            c.filled(),
        ))?;
    }
    for (v, label) in [0.0, 0.5, 1.0].into_iter().zip(ticks) {
        let x = x0 + (v * (bw - 1) as f64) as i32;
        let hpos = if v == 0.0 {
            HPos::Left
        } else if v == 1.0 {
            HPos::Right
        } else {
            HPos::Center
        };
        text(side, label, (x, y0 + 24 + bh + 18), font(18), hpos)?;
    }
    Ok(())
}

/// Partnership network: agencies by sector (colour and shape) on the two sides of an oval,
/// labels level with their node outside it; directed links weighted (width and opacity) by
/// mean items and coloured by mean end-of-run trust, drawn light first so the heavy flows
/// sit on top; withdrawn links dashed, compromised ones crossed.
pub(super) fn draw_network<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    nodes: &[NetNode],
    edges: &[NetEdge],
    footer: &str,
) -> DrawResult
where
    DB::ErrorType: 'static,
{
    let (area, side) = frame(
        root,
        "Partnership network: information flow and trust (baseline)",
        footer,
    )?;
    let g = NetGeometry::new(area.dim_in_pixel(), nodes.len());
    let r = g.r;
    let max_items = edges.iter().map(|e| e.items).fold(0.0, f64::max).max(1e-9);
    // light flows first, heavy ones on top (ties in input order: deterministic)
    let mut order: Vec<usize> = (0..edges.len()).collect();
    order.sort_by(|&i, &j| edges[i].items.total_cmp(&edges[j].items));
    let mut crosses: Vec<(i32, i32)> = Vec::new();
    for &k in &order {
        let e = &edges[k];
        let (Some(a), Some(b)) = (nodes.get(e.from), nodes.get(e.to)) else {
            continue;
        };
        let (ax, ay) = g.at(a);
        let (bx, by) = g.at(b);
        let (dx, dy) = (bx - ax, by - ay);
        let len = (dx * dx + dy * dy).sqrt();
        if len < 2.0 * r + 4.0 {
            continue;
        }
        let (ux, uy) = (dx / len, dy / len);
        let f = (e.items / max_items).clamp(0.0, 1.0);
        let width = 1.0 + 9.0 * f;
        // the two directions of a pair sit side by side
        let off = 2.0 + width / 2.0;
        let (ox, oy) = (-uy * off, ux * off);
        let start = (ax + ux * (r + 3.0) + ox, ay + uy * (r + 3.0) + oy);
        let end = (bx - ux * (r + 4.0) + ox, by - uy * (r + 4.0) + oy);
        let px = |p: (f64, f64)| (p.0.round() as i32, p.1.round() as i32);
        let c = trust_colour(e.trust).mix(0.12 + 0.88 * f);
        let stroke = c.stroke_width(width.round().max(1.0) as u32);
        let head = 7.0 + 1.6 * width;
        let shaft_end = (end.0 - ux * head * 0.8, end.1 - uy * head * 0.8);
        if e.p_withdrawn >= data::WITHDRAWN_MARK {
            area.draw(&DashedPathElement::new(
                vec![px(start), px(shaft_end)],
                12,
                8,
                stroke,
            ))?;
        } else {
            area.draw(&PathElement::new(vec![px(start), px(shaft_end)], stroke))?;
        }
        let back = (end.0 - ux * head, end.1 - uy * head);
        let half = head * 0.45;
        area.draw(&Polygon::new(
            vec![
                px(end),
                px((back.0 - uy * half, back.1 + ux * half)),
                px((back.0 + uy * half, back.1 - ux * half)),
            ],
            c.filled(),
        ))?;
        if e.p_compromised >= data::COMPROMISED_MARK {
            let mid = ((start.0 + end.0) / 2.0, (start.1 + end.1) / 2.0);
            crosses.push(px(mid));
        }
    }
    for c in &crosses {
        area.draw(&Cross::new(*c, 10, pal::VERMILLION.stroke_width(4)))?;
    }
    draw_net_nodes(&area, nodes, &g)?;
    // legend: sectors, then trust scale, then marks
    let mut items = sector_legend(nodes);
    items.push((
        format!(
            "Withdrawn in ≥ {:.0}% of runs",
            data::WITHDRAWN_MARK * 100.0
        ),
        Mark::Line(pal::GREY, 4, true),
    ));
    items.push((
        format!(
            "Compromised ≥ {:.0}% of runs",
            data::COMPROMISED_MARK * 100.0
        ),
        Mark::Cross(pal::VERMILLION),
    ));
    items.push((
        format!("Width, opacity: items/run (max {max_items:.1})"),
        Mark::Line(pal::GREY, 8, false),
    ));
    let y0 = legend(&side, "Agencies and links", &items)? + 10;
    colour_scale(
        &side,
        y0,
        "End-of-run trust",
        trust_colour,
        ["0 low", "0.5", "1 high"],
    )?;
    root.present()?;
    Ok(())
}

fn class_mark(c: EventClass) -> Mark {
    let col = event_colour(c);
    match c {
        EventClass::Inject => Mark::Diamond(col),
        EventClass::Failure | EventClass::Harm => Mark::Triangle(col),
        EventClass::Insider => Mark::Cross(col),
        EventClass::Share => Mark::Square(col),
        _ => Mark::Dot(col),
    }
}

/// Timeline of an exemplar run: one lane per agency kind (plus injects and threats), one mark
/// per event, classes in the legend. Shares (only the first per agency and threat) are drawn
/// small and light underneath, so injects, detections, decisions, failures and harm stand out.
pub(super) fn draw_timeline<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    d: &TimelineData,
    title: &str,
    subtitle: &str,
    start_label: &str,
    footer: &str,
) -> DrawResult
where
    DB::ErrorType: 'static,
{
    let (area, side) = frame(root, title, footer)?;
    let (sub, area) = area.split_vertically(56);
    let (sw, _) = sub.dim_in_pixel();
    for (i, line) in wrap(subtitle, 118, 2).iter().enumerate() {
        text(
            &sub,
            line,
            ((sw / 2) as i32, 14 + 24 * i as i32),
            font(19).color(&pal::GREY),
            HPos::Center,
        )?;
    }
    let lanes = d.lanes.len().max(1) as f64;
    let xdesc = if start_label.is_empty() {
        "Scenario time [h]".to_string()
    } else {
        format!("Scenario time [h] from {}", ellipsize(start_label, 40))
    };
    let mut chart = ChartBuilder::on(&area)
        .margin(16)
        .margin_top(4)
        .margin_right(30)
        .x_label_area_size(80)
        .y_label_area_size(290)
        .build_cartesian_2d(0.0f64..(d.t_max * 1.03), 0.0..lanes)?;
    chart
        .configure_mesh()
        .disable_y_mesh()
        .y_labels(0)
        .x_label_formatter(&|x| format!("{x:.0}"))
        .x_desc(xdesc)
        .axis_desc_style(font(24))
        .label_style(font(20))
        .light_line_style(TRANSPARENT)
        .draw()?;
    let pa = chart.plotting_area().clone();
    let left = pa.get_pixel_range().0.start;
    for (i, l) in d.lanes.iter().enumerate() {
        let y = lanes - i as f64 - 0.5;
        if i > 0 {
            chart.draw_series(std::iter::once(PathElement::new(
                vec![(0.0, y + 0.5), (d.t_max * 1.03, y + 0.5)],
                pal::LIGHT.stroke_width(1),
            )))?;
        }
        let (_, py) = pa.map_coordinate(&(0.0, y));
        text(
            root,
            &ellipsize(l, 24),
            (left - 12, py),
            font(20),
            HPos::Right,
        )?;
    }
    // spread marks of a lane over up to five rows; shares first (underneath), then the rest
    let mut counts = vec![0usize; d.lanes.len()];
    let mut placed: Vec<(bool, (i32, i32), EventClass)> = Vec::with_capacity(d.points.len());
    for p in &d.points {
        let k = counts.get(p.lane).copied().unwrap_or(0);
        if let Some(c) = counts.get_mut(p.lane) {
            *c += 1;
        }
        let jitter = ((k % 5) as f64 - 2.0) * 0.14;
        let y = lanes - p.lane as f64 - 0.5 + jitter;
        let at = pa.map_coordinate(&(p.t, y));
        placed.push((p.class == EventClass::Share, at, p.class));
    }
    for (_, at, _) in placed.iter().filter(|x| x.0) {
        draw_mark_sized(
            root,
            Mark::Square(lighten(event_colour(EventClass::Share), 0.5)),
            *at,
            4,
        )?;
    }
    for (_, at, c) in placed.iter().filter(|x| !x.0) {
        draw_mark_sized(root, class_mark(*c), *at, 8)?;
    }
    let items: Vec<(String, Mark)> = d
        .classes
        .iter()
        .map(|c| match c {
            EventClass::Share => (
                "Share: agency first informed of a threat".to_string(),
                Mark::Square(lighten(event_colour(EventClass::Share), 0.5)),
            ),
            _ => (c.label().to_string(), class_mark(*c)),
        })
        .collect();
    let y = legend(&side, "Event", &items)?;
    if d.repeat_shares > 0 {
        legend_note(
            &side,
            y,
            &format!(
                "{} further shares to agencies already informed are not drawn",
                d.repeat_shares
            ),
        )?;
    }
    root.present()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_never_show_a_negative_zero() {
        assert_eq!(tick(-0.0, 0.5), "0.00");
        assert_eq!(tick(-0.001, 5.0), "0.0");
        assert_eq!(tick(-1.0, 5.0), "-1.0");
        assert_eq!(tick(12.4, 40.0), "12");
    }

    #[test]
    fn what_if_ticks_keep_the_decimals_that_tell_them_apart() {
        // the "−1 0 0 +1" axis: ticks 0.5 apart need one decimal
        let d = tick_decimals(0.5);
        let ticks: Vec<String> = [-1.0, -0.5, 0.0, 0.5, 1.0]
            .iter()
            .map(|x| crate::report::text::signed(*x, d))
            .collect();
        assert_eq!(ticks, ["−1.0", "−0.5", "0.0", "+0.5", "+1.0"]);
        assert_eq!(tick_decimals(5.0), 0);
        assert_eq!(tick_decimals(0.05), 2);
    }

    #[test]
    fn inject_labels_close_together_take_separate_lanes() {
        let mut ends = Vec::new();
        let w = label_width("I-1409", 17);
        // three labels 10 px apart: three lanes; one far to the right: back to the top lane
        assert_eq!(inject_label_lane(&mut ends, 100, w), 0);
        assert_eq!(inject_label_lane(&mut ends, 110, w), 1);
        assert_eq!(inject_label_lane(&mut ends, 120, w), 2);
        assert_eq!(inject_label_lane(&mut ends, 100 + w + 10, w), 0);
        // every lane busy: the one that frees first, never a fifth
        for x in 0..10 {
            assert!(inject_label_lane(&mut ends, 400 + x, w) < INJECT_LANES);
        }
    }

    #[test]
    fn a_what_if_label_is_whole_or_its_short_key_never_cut() {
        let g = data::DiffGroup {
            label: "O2-coverage: At least 80% of the agencies that need the intrusion indicators hold them within 12 hours of detection.".into(),
            short: "O2-coverage".into(),
            points: Vec::new(),
        };
        // a tall group: the whole text over four lines
        let tall = group_label(&g, 5.6 * 22.0);
        assert_eq!(tall.len(), 4, "{tall:?}");
        assert_eq!(tall.join(" "), g.label);
        // one variant's row: the id, which the report's objectives matrix keys
        assert_eq!(group_label(&g, 1.6 * 20.0), ["O2-coverage"]);
        for h in [10.0, 30.0, 60.0, 90.0, 200.0] {
            assert!(group_label(&g, h).iter().all(|l| !l.contains('…')), "{h}");
        }
    }

    #[test]
    fn wrapping_keeps_words_and_cuts_the_last_line() {
        assert_eq!(
            wrap("Time to detection: Ransomware", 20, 2),
            vec!["Time to detection:", "Ransomware"]
        );
        let w = wrap("a b c d e f g h i j k l m n o p", 5, 2);
        assert_eq!(w.len(), 2);
        assert!(w[1].ends_with('…'));
    }

    #[test]
    fn trust_colours_run_from_vermillion_to_blue() {
        assert_eq!(trust_colour(0.0), pal::VERMILLION);
        assert_eq!(trust_colour(1.0), pal::BLUE);
        assert_eq!(trust_colour(f64::NAN), pal::VERMILLION);
    }

    #[test]
    fn ratings_have_distinct_colours() {
        let c: Vec<_> = ["P", "S", "M", "U"]
            .iter()
            .map(|r| rating_colour(r))
            .collect();
        for i in 0..4 {
            for j in i + 1..4 {
                assert_ne!(c[i], c[j]);
            }
        }
    }
}
