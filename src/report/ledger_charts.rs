//! The five partnership-ledger charts (value–risk quadrant, top players, Shapley shares,
//! alignment gaps, network by value and risk), one function each in the same shape and
//! frame as `charts`: title, legend column, provenance footer, bundled font, PNG and SVG.

use super::Batch;
use super::charts::{
    DrawResult, HEIGHT, Mark, NetGeometry, RenderedChart, WIDTH, chart_error, colour_scale,
    draw_net_nodes, encode_png, fit_label, font, frame, legend, legend_note, lighten,
    palette as pal, render_chart, sector_legend, text, text_width, three_stop, tick,
    variant_colour,
};
use super::data::{NETWORK_DETAIL_MAX, NetEdge};
use super::ledger_data::{
    self as ld, IntervalBar, LedgerNet, Quadrant, QuadrantData, RECOMMENDATIONS, ShapleyData,
};
use super::netscale::{self, MatrixPaint};
use super::text::signed;
use crate::error::Result;
use crate::ledger::data::{Ledger, LedgerOf};
use plotters::coord::Shift;
use plotters::element::DashedPathElement;
use plotters::prelude::*;
use plotters::style::text_anchor::HPos;

/// Footer of the ledger charts: scenario, hash prefix, paired runs, master seed, marking.
pub(super) fn footer(l: &Ledger, marking: &str) -> String {
    let m = &l.manifest;
    let hash: String = m.scenario_hash.chars().take(8).collect();
    format!(
        "{} · scenario {} · ledger of {} paired runs (≤ {} per player and measure) · master seed {} · {}",
        m.scenario, hash, m.total_runs, m.max_runs, m.seed, marking
    )
}

/// "partnerships" or "partner agencies".
pub(super) fn players_word(l: &Ledger) -> &'static str {
    match l.manifest.of {
        LedgerOf::Partnerships => "partnerships",
        LedgerOf::Agencies => "partner agencies",
    }
}

/// Colour of recommendation `id` (grey when none or unknown).
pub(super) fn recommendation_colour(id: &str) -> RGBColor {
    match ld::recommendation_index(id) {
        Some(0) => pal::VERMILLION,
        Some(1) => pal::BLUE,
        Some(2) => pal::GREEN,
        Some(3) => pal::ORANGE,
        Some(4) => pal::SKY,
        Some(5) => pal::PURPLE,
        _ => pal::GREY,
    }
}

/// Colour of a quadrant.
pub(super) fn quadrant_colour(q: Quadrant) -> RGBColor {
    match q {
        Quadrant::Keep => pal::BLUE,
        Quadrant::Protect => pal::PURPLE,
        Quadrant::Review => pal::VERMILLION,
        Quadrant::Background => RGBColor(150, 150, 150),
    }
}

/// Colour of a risk share `f` in [0, 1]: blue (none) → reddish purple → vermillion (most).
pub(super) fn risk_colour(f: f64) -> RGBColor {
    three_stop(
        f,
        (0.0, 114.0, 178.0),
        (204.0, 121.0, 167.0),
        (213.0, 94.0, 0.0),
    )
}

/// Render the ledger charts, in a fixed order (the Shapley chart only with Shapley values).
pub(super) fn render(b: &Batch, l: &Ledger) -> Result<Vec<RenderedChart>> {
    let footer = footer(l, &b.summary.marking);
    let who = players_word(l);
    let mut out = Vec::new();
    if l.players.is_empty() {
        return Ok(out);
    }
    let q = ld::quadrant_data(l);
    out.push(render_chart!(
        "ledger-quadrant".to_string(),
        format!("Value against risk of each of the {} {who}", q.points.len()),
        draw_quadrant(&q, who, &footer)
    ));
    let top: Vec<IntervalBar> = ld::top_value(l, ld::TOP_BARS)
        .into_iter()
        .map(|mut b| {
            if let Some(r) = ld::most_affected(l, &b.id) {
                b.objective = ld::target_name(l, &r.target).to_string();
            }
            b
        })
        .collect();
    out.push(render_chart!(
        "ledger-top".to_string(),
        format!("The most valuable {who}: knock-out loss with 95% interval"),
        draw_top(&top, l.manifest.negligible, who, &footer)
    ));
    if let Some(sh) = ld::shapley_data(l) {
        out.push(render_chart!(
            "ledger-shapley".to_string(),
            format!("Shapley shares of each objective among the top {who}"),
            draw_shapley(&sh, who, &footer)
        ));
    }
    let gaps = ld::alignment_bars(l, ld::ALIGNMENT_BARS);
    if !gaps.is_empty() {
        out.push(render_chart!(
            "ledger-alignment".to_string(),
            format!("What poor alignment costs: the largest gaps and the recommendation that closes each"),
            draw_alignment(&gaps, who, &footer)
        ));
    }
    let net = ld::network(l, b.scenario.as_ref());
    if !net.nodes.is_empty() && (!net.links.is_empty() || !net.halos.is_empty()) {
        // Above NETWORK_DETAIL_MAX agencies a circle of nodes is a hairball: the matrix of
        // `netscale`, ordered by kind, one cell per partnership coloured by its net value.
        if net.nodes.len() > NETWORK_DETAIL_MAX {
            out.push(render_chart!(
                "ledger-network".to_string(),
                format!(
                    "The {who} as a matrix by kind, coloured by net value (the partnership matrix above is coloured by items per run)"
                ),
                draw_ledger_matrix(&net, &footer)
            ));
        } else {
            out.push(render_chart!(
                "ledger-network".to_string(),
                format!("The network of {who} by value (width) and risk (colour)"),
                draw_ledger_network(&net, &footer)
            ));
        }
    }
    Ok(out)
}

/// Colour of a net value `v` when the largest |value| is `max`: blue shades for a value
/// (square-root scale, pale to dark), orange to brown for a negative one (the network does
/// better without the partnership).
pub(super) fn value_colour(v: f64, max: f64) -> RGBColor {
    let f = if max > 0.0 && v.is_finite() {
        (v.abs() / max).clamp(0.0, 1.0).sqrt()
    } else {
        0.0
    };
    if v < 0.0 {
        three_stop(
            f,
            (253.0, 208.0, 162.0),
            (241.0, 105.0, 19.0),
            (127.0, 39.0, 4.0),
        )
    } else {
        three_stop(
            f,
            (198.0, 219.0, 239.0),
            (66.0, 146.0, 198.0),
            (8.0, 48.0, 107.0),
        )
    }
}

/// What a cell of the ledger matrix shows.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum LedgerCell {
    /// A partnership player (or an agency player on the diagonal): its net value, and
    /// whether its interval lies above the negligible band.
    Value(f64, bool),
    /// A partnership of the scenario that is not a player (context for agency players).
    Context,
}

/// The ledger network as edges for [`netscale::matrix_data`]: one per partnership player, one
/// per context partnership, and one on the diagonal per agency player; `paint[k]` says what
/// edge `k` shows.
pub(super) fn ledger_matrix_edges(net: &LedgerNet) -> (Vec<NetEdge>, Vec<LedgerCell>) {
    let edge = |from: usize, to: usize| NetEdge {
        from,
        to,
        items: 0.0,
        trust: 0.0,
        p_withdrawn: 0.0,
        p_compromised: 0.0,
    };
    let mut edges = Vec::new();
    let mut paint = Vec::new();
    for &(a, b) in &net.context {
        edges.push(edge(a, b));
        paint.push(LedgerCell::Context);
    }
    for e in &net.links {
        edges.push(edge(e.from, e.to));
        paint.push(LedgerCell::Value(e.value, e.material));
    }
    for h in &net.halos {
        edges.push(edge(h.node, h.node));
        paint.push(LedgerCell::Value(h.value, h.material));
    }
    (edges, paint)
}

/// Ledger network above [`NETWORK_DETAIL_MAX`] agencies: the partnership matrix of
/// `netscale` (senders × receivers ordered by kind, kind bands shaded and labelled), one cell
/// per partnership player coloured by its net value (mean P(met) lost on knock-out over the
/// objectives; square-root scale, blue for a value, orange below zero); players clearly above
/// the negligible band drawn larger and outlined. Agency players sit on the diagonal, the
/// partnerships between them light grey.
pub(super) fn draw_ledger_matrix<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    net: &LedgerNet,
    footer: &str,
) -> DrawResult
where
    DB::ErrorType: 'static,
{
    let (edges, paint) = ledger_matrix_edges(net);
    let m = netscale::matrix_data(&net.nodes, &edges);
    let max = net.max_value;
    let colour = |c: &netscale::Cell| match paint[c.edge] {
        LedgerCell::Context => pal::LIGHT,
        LedgerCell::Value(v, _) => value_colour(v, max),
    };
    let marked = |c: &netscale::Cell| matches!(paint[c.edge], LedgerCell::Value(_, true));
    // the scale runs from −max (0) through 0 (0.5) to +max (1), square root as the cells
    let scale = |f: f64| {
        let g = 2.0 * f - 1.0;
        value_colour(g.signum() * g * g * max, max)
    };
    let material = paint
        .iter()
        .filter(|p| matches!(p, LedgerCell::Value(_, true)))
        .count();
    let players = paint
        .iter()
        .filter(|p| matches!(p, LedgerCell::Value(..)))
        .count();
    let mut legend = vec![
        (
            "Larger, outlined: clearly above the negligible band".to_string(),
            Mark::Square(value_colour(max, max)),
        ),
        (
            "Orange: the network does better without it".to_string(),
            Mark::Square(value_colour(-max / 4.0, max)),
        ),
    ];
    if !net.halos.is_empty() {
        legend.push((
            "Light: a partnership (agency players on the diagonal)".to_string(),
            Mark::Square(pal::LIGHT),
        ));
    }
    let p = MatrixPaint {
        title: "The ledger by kind: net value of each partnership (rows send, columns receive)",
        colour: &colour,
        marked: &marked,
        min_px: 3,
        legend,
        scale_title: "Net value [pp of P(met)]".to_string(),
        scale: &scale,
        ticks: [
            format!("−{}", num_pp(max)),
            "0".to_string(),
            format!("+{}", num_pp(max)),
        ],
        note: format!(
            "Net value: mean P(met) lost on knock-out. {} agencies, {players} players, {material} clearly valuable.",
            net.nodes.len()
        ),
    };
    netscale::draw_matrix(root, &m, footer, &p)
}

/// Percentage points of a P(met) difference.
fn pp(v: f64) -> f64 {
    v * 100.0
}

/// Rectangles already taken by labels, for a greedy placement that avoids overlaps.
struct Placer {
    taken: Vec<(i32, i32, i32, i32)>,
}

impl Placer {
    fn free(&self, r: (i32, i32, i32, i32)) -> bool {
        self.taken
            .iter()
            .all(|t| r.2 <= t.0 || r.0 >= t.2 || r.3 <= t.1 || r.1 >= t.3)
    }
}

/// Value–risk quadrant: each player by exposure per run (x, square-root scale when skewed)
/// and value (y, percentage points, 95% whiskers); the negligible band shaded, the median
/// exposure dashed, the top players named.
pub(super) fn draw_quadrant<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    q: &QuadrantData,
    who: &str,
    footer: &str,
) -> DrawResult
where
    DB::ErrorType: 'static,
{
    let (area, side) = frame(root, &format!("Value against risk: {who}"), footer)?;
    let fx = |x: f64| if q.sqrt_axis { x.max(0.0).sqrt() } else { x };
    let xmax = q.points.iter().map(|p| fx(p.risk)).fold(0.0, f64::max);
    let xmax = if xmax > 0.0 { xmax * 1.08 } else { 1.0 };
    let xmin = -xmax * 0.025;
    let lo = q
        .points
        .iter()
        .map(|p| pp(p.lo))
        .fold(-pp(q.negligible), f64::min);
    let hi = q
        .points
        .iter()
        .map(|p| pp(p.hi))
        .fold(pp(q.negligible), f64::max);
    let pad = ((hi - lo) * 0.08).max(0.5);
    let (lo, hi) = (lo - pad, hi + pad);
    let xdesc = if q.sqrt_axis {
        "Exposure per run [sensitivity-weighted documents], square-root scale"
    } else {
        "Exposure per run [sensitivity-weighted documents]"
    };
    let mut chart = ChartBuilder::on(&area)
        .margin(16)
        .margin_right(30)
        .x_label_area_size(80)
        .y_label_area_size(110)
        .build_cartesian_2d(xmin..xmax, lo..hi)?;
    let sqrt_axis = q.sqrt_axis;
    chart
        .configure_mesh()
        .x_labels(if sqrt_axis { 0 } else { 8 })
        .y_labels(9)
        .x_label_formatter(&|x| tick(*x, xmax))
        .y_label_formatter(&|y| signed(*y, if hi - lo >= 10.0 { 0 } else { 1 }))
        .x_desc(xdesc)
        .y_desc("Value: P(met) lost on knock-out [pp]")
        .axis_desc_style(font(22))
        .label_style(font(19))
        .light_line_style(TRANSPARENT)
        .bold_line_style(pal::LIGHT.mix(0.6))
        .draw()?;
    if sqrt_axis {
        // ticks at round exposures, drawn where they do not crowd each other
        let (_, ybottom) = chart.plotting_area().map_coordinate(&(0.0, lo));
        let mut last: Option<i32> = None;
        for v in sqrt_ticks(xmax * xmax) {
            let (px, _) = chart.plotting_area().map_coordinate(&(v.sqrt(), lo));
            if last.is_some_and(|l| px - l < 56) {
                continue;
            }
            last = Some(px);
            chart.draw_series(std::iter::once(PathElement::new(
                vec![(v.sqrt(), lo), (v.sqrt(), hi)],
                pal::LIGHT.mix(0.6).stroke_width(1),
            )))?;
            text(
                root,
                &if v == 0.0 {
                    "0".to_string()
                } else if v < 0.01 {
                    format!("{v}")
                } else {
                    super::text::num(v)
                },
                (px, ybottom + 22),
                font(19),
                HPos::Center,
            )?;
        }
    }
    let band = pp(q.negligible);
    chart.draw_series(std::iter::once(Rectangle::new(
        [(xmin, -band), (xmax, band)],
        RGBColor(236, 236, 236).filled(),
    )))?;
    chart.draw_series(std::iter::once(PathElement::new(
        vec![(xmin, 0.0), (xmax, 0.0)],
        pal::GREY.stroke_width(1),
    )))?;
    let split = fx(q.risk_split);
    chart.draw_series(std::iter::once(DashedPathElement::new(
        vec![(split, lo), (split, hi)],
        6,
        5,
        pal::GREY.stroke_width(2),
    )))?;
    let pa = chart.plotting_area().clone();
    // quadrant names in the corners of the plot
    let (x0, y0) = pa.map_coordinate(&(xmin, hi));
    let (x1, y1) = pa.map_coordinate(&(xmax, lo));
    let corner = font(17).color(&pal::GREY);
    text(
        root,
        "Valuable, low risk",
        (x0 + 10, y0 + 14),
        corner.clone(),
        HPos::Left,
    )?;
    text(
        root,
        "Valuable, risky",
        (x1 - 10, y0 + 14),
        corner.clone(),
        HPos::Right,
    )?;
    text(
        root,
        "Little value, low risk",
        (x0 + 10, y1 - 14),
        corner.clone(),
        HPos::Left,
    )?;
    text(
        root,
        "Little value, risky",
        (x1 - 10, y1 - 14),
        corner,
        HPos::Right,
    )?;
    // unlabelled first (light), then labelled on top
    let mut order: Vec<usize> = (0..q.points.len()).collect();
    order.sort_by_key(|&i| q.points[i].labelled);
    let many = q.points.len() > 40;
    for &i in &order {
        let p = &q.points[i];
        let c = quadrant_colour(p.quadrant);
        let x = fx(p.risk);
        let (wc, dot) = if p.labelled || !many {
            (c.mix(0.7), 7)
        } else {
            (lighten(c, 0.6).mix(1.0), 5)
        };
        chart.draw_series(std::iter::once(PathElement::new(
            vec![(x, pp(p.lo)), (x, pp(p.hi))],
            wc.stroke_width(2),
        )))?;
        let fill = if p.labelled || !many {
            c
        } else {
            lighten(c, 0.35)
        };
        chart.draw_series(std::iter::once(Circle::new(
            (x, pp(p.value)),
            dot,
            fill.filled(),
        )))?;
        if p.labelled {
            chart.draw_series(std::iter::once(Circle::new(
                (x, pp(p.value)),
                dot,
                pal::INK.stroke_width(1),
            )))?;
        }
    }
    // labels: greedy, right of the point first, then left, moving up or down by a row
    let style = font(17);
    let mut placer = Placer { taken: Vec::new() };
    let (px0, px1) = (pa.get_pixel_range().0.start, pa.get_pixel_range().0.end);
    let mut labelled: Vec<usize> = (0..q.points.len())
        .filter(|&i| q.points[i].labelled)
        .collect();
    labelled.sort_by(|&a, &b| {
        q.points[b]
            .value
            .total_cmp(&q.points[a].value)
            .then(a.cmp(&b))
    });
    for &i in &labelled {
        let p = &q.points[i];
        let (x, y) = pa.map_coordinate(&(fx(p.risk), pp(p.value)));
        let label = fit_label(root, &p.name, &style, 300);
        let w = text_width(root, &label, &style) as i32;
        let mut spot = None;
        'search: for dy in [0, -20, 20, -40, 40, -60, 60] {
            for right in [true, false] {
                let (lx, hpos, r) = if right {
                    (
                        x + 12,
                        HPos::Left,
                        (x + 12, y + dy - 10, x + 12 + w, y + dy + 10),
                    )
                } else {
                    (
                        x - 12,
                        HPos::Right,
                        (x - 12 - w, y + dy - 10, x - 12, y + dy + 10),
                    )
                };
                if r.0 >= px0 && r.2 <= px1 && placer.free(r) {
                    spot = Some((lx, y + dy, hpos, r));
                    break 'search;
                }
            }
        }
        let Some((lx, ly, hpos, r)) = spot else {
            continue;
        };
        placer.taken.push(r);
        if ly != y {
            let ex = if matches!(hpos, HPos::Left) {
                lx - 2
            } else {
                lx + 2
            };
            root.draw(&PathElement::new(
                vec![(x, y), (ex, ly)],
                pal::GREY.stroke_width(1),
            ))?;
        }
        text(root, &label, (lx, ly), style.clone(), hpos)?;
    }
    let items: Vec<(String, Mark)> = [
        Quadrant::Keep,
        Quadrant::Protect,
        Quadrant::Review,
        Quadrant::Background,
    ]
    .iter()
    .map(|&qq| (qq.label().to_string(), Mark::Dot(quadrant_colour(qq))))
    .chain([
        (
            "Whisker: 95% interval of the value".into(),
            Mark::Line(pal::GREY, 2, false),
        ),
        (
            format!("Band: negligible (±{} pp)", num_pp(q.negligible)),
            Mark::Band(pal::GREY, 0.25),
        ),
        (
            format!(
                "Dashed: median exposure ({})",
                super::text::num(q.risk_split)
            ),
            Mark::Line(pal::GREY, 2, true),
        ),
    ])
    .collect();
    let y = legend(&side, "Quadrant", &items)?;
    legend_note(
        &side,
        y,
        "Valuable: interval above the band. Risky: above the median exposure.",
    )?;
    root.present()?;
    Ok(())
}

/// Round exposures for a square-root axis up to `max`: 0, then 1, 2, 5 × powers of ten.
pub(super) fn sqrt_ticks(max: f64) -> Vec<f64> {
    let mut out = vec![0.0];
    if !(max.is_finite() && max > 0.0) {
        return out;
    }
    let mut p = 10f64.powi(max.log10().floor() as i32 - 3);
    while p <= max {
        for m in [1.0, 2.0, 5.0] {
            let v = m * p;
            if v <= max {
                out.push(v);
            }
        }
        p *= 10.0;
    }
    out
}

fn num_pp(v: f64) -> String {
    let v = pp(v).abs();
    if v >= 10.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.1}")
    }
}

/// How a bar chart labels and colours its bars.
struct BarStyle<'a> {
    /// Half-width of the negligible band [P(met)], shaded around zero.
    band: f64,
    /// Axis description.
    xdesc: &'a str,
    /// Fill of a bar.
    colour: &'a dyn Fn(&IntervalBar) -> RGBColor,
    /// Grey second line under the name (empty: none).
    sub: &'a dyn Fn(&IntervalBar) -> String,
    /// Text right of the bar.
    note: &'a dyn Fn(&IntervalBar) -> String,
}

/// Horizontal interval bars: one row per bar, names on the left, the value on the right,
/// the negligible band shaded. Shared by the top-value and alignment charts.
fn draw_bars<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    root: &DrawingArea<DB, Shift>,
    bars: &[IntervalBar],
    style: &BarStyle,
) -> DrawResult
where
    DB::ErrorType: 'static,
{
    let BarStyle {
        band,
        xdesc,
        colour,
        sub,
        note,
    } = *style;
    let n = bars.len().max(5) as f64;
    let lo = bars.iter().map(|b| pp(b.lo)).fold(-pp(band), f64::min);
    let hi = bars.iter().map(|b| pp(b.hi)).fold(pp(band), f64::max);
    let span = (hi - lo).max(1.0);
    let (lo, hi) = (lo.min(0.0) - span * 0.03, hi + span * 0.32);
    let mut chart = ChartBuilder::on(area)
        .margin(16)
        .margin_right(20)
        .x_label_area_size(80)
        .y_label_area_size(400)
        .build_cartesian_2d(lo..hi, 0.0..n)?;
    chart
        .configure_mesh()
        .disable_y_mesh()
        .y_labels(0)
        .x_labels(10)
        .x_label_formatter(&|x| signed(*x, if span >= 10.0 { 0 } else { 1 }))
        .x_desc(xdesc)
        .axis_desc_style(font(22))
        .label_style(font(19))
        .light_line_style(TRANSPARENT)
        .bold_line_style(pal::LIGHT.mix(0.6))
        .draw()?;
    let b = pp(band);
    chart.draw_series(std::iter::once(Rectangle::new(
        [(-b, 0.0), (b, n)],
        RGBColor(236, 236, 236).filled(),
    )))?;
    chart.draw_series(std::iter::once(PathElement::new(
        vec![(0.0, 0.0), (0.0, n)],
        pal::INK.stroke_width(2),
    )))?;
    let pa = chart.plotting_area().clone();
    let left = pa.get_pixel_range().0.start;
    let name_style = font(19);
    for (i, bar) in bars.iter().enumerate() {
        let y = n - i as f64 - 0.5;
        let c = colour(bar);
        chart.draw_series(std::iter::once(Rectangle::new(
            [(0.0, y - 0.32), (pp(bar.value), y + 0.32)],
            c.filled(),
        )))?;
        chart.draw_series(std::iter::once(PathElement::new(
            vec![(pp(bar.lo), y), (pp(bar.hi), y)],
            pal::INK.stroke_width(3),
        )))?;
        for x in [bar.lo, bar.hi] {
            chart.draw_series(std::iter::once(PathElement::new(
                vec![(pp(x), y - 0.16), (pp(x), y + 0.16)],
                pal::INK.stroke_width(3),
            )))?;
        }
        let (_, py) = pa.map_coordinate(&(0.0, y));
        let label = fit_label(root, &bar.name, &name_style, left - 24);
        let second = sub(bar);
        if second.is_empty() {
            text(
                root,
                &label,
                (left - 12, py),
                name_style.clone(),
                HPos::Right,
            )?;
        } else {
            text(
                root,
                &label,
                (left - 12, py - 11),
                name_style.clone(),
                HPos::Right,
            )?;
            let grey = font(16).color(&pal::GREY);
            let s2 = fit_label(root, &second, &grey, left - 24);
            text(root, &s2, (left - 12, py + 12), grey, HPos::Right)?;
        }
        let (px, _) = pa.map_coordinate(&(pp(bar.hi.max(bar.value)), y));
        let right = pa.get_pixel_range().0.end;
        let room = (right - px - 14).max(40);
        let s = fit_label(root, &note(bar), &font(17), room);
        text(root, &s, (px + 10, py), font(17), HPos::Left)?;
    }
    Ok(())
}

/// Top players by value: horizontal bars of the knock-out loss with 95% intervals, blue when
/// the whole interval is above the negligible band.
pub(super) fn draw_top<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    bars: &[IntervalBar],
    band: f64,
    who: &str,
    footer: &str,
) -> DrawResult
where
    DB::ErrorType: 'static,
{
    let (area, side) = frame(root, &format!("The most valuable {who}"), footer)?;
    let material = |b: &IntervalBar| b.lo > band;
    draw_bars(
        &area,
        root,
        bars,
        &BarStyle {
            band,
            xdesc: "Value: P(met) lost when it is knocked out, mean over objectives [pp]",
            colour: &|b| {
                if material(b) {
                    pal::BLUE
                } else {
                    lighten(pal::SKY, 0.3)
                }
            },
            sub: &|b| {
                if b.objective.is_empty() {
                    String::new()
                } else {
                    format!("most affected: {}", b.objective)
                }
            },
            note: &|b| format!("{} pp", signed(pp(b.value), 1)),
        },
    )?;
    let y = legend(
        &side,
        "Value",
        &[
            (
                "Clearly above the negligible band".into(),
                Mark::Square(pal::BLUE),
            ),
            (
                "Not clearly above it".into(),
                Mark::Square(lighten(pal::SKY, 0.3)),
            ),
            (
                "95% interval (paired runs)".into(),
                Mark::Line(pal::INK, 3, false),
            ),
            (
                format!("Band: negligible (±{} pp)", num_pp(band)),
                Mark::Band(pal::GREY, 0.25),
            ),
        ],
    )?;
    legend_note(
        &side,
        y,
        "Each knocked out alone, the rest of the network as written, on common random numbers.",
    )?;
    root.present()?;
    Ok(())
}

/// Shapley shares: per player one bar per objective (colour), with ±1.96 SE whiskers.
pub(super) fn draw_shapley<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    d: &ShapleyData,
    who: &str,
    footer: &str,
) -> DrawResult
where
    DB::ErrorType: 'static,
{
    let (area, side) = frame(
        root,
        &format!("Shapley shares per objective: {who}"),
        footer,
    )?;
    let k = d.objectives.len().max(1);
    let mut rows: Vec<(f64, usize, usize)> = Vec::new();
    let mut pos = 0.0;
    for (pi, r) in d.rows.iter().enumerate() {
        for oi in 0..r.values.len() {
            rows.push((pos, pi, oi));
            pos += 1.0;
        }
        pos += 0.7;
    }
    let total = f64::max(pos - 0.7, 1.0);
    let y_of = |p: f64| total - p - 0.5;
    let lo = d
        .rows
        .iter()
        .flat_map(|r| r.values.iter().map(|v| pp(v.0 - 1.96 * v.1)))
        .fold(0.0, f64::min);
    let hi = d
        .rows
        .iter()
        .flat_map(|r| r.values.iter().map(|v| pp(v.0 + 1.96 * v.1)))
        .fold(0.0, f64::max);
    let span = (hi - lo).max(1.0);
    let (lo, hi) = (lo - span * 0.04, hi + span * 0.06);
    let mut chart = ChartBuilder::on(&area)
        .margin(16)
        .margin_right(30)
        .x_label_area_size(80)
        .y_label_area_size(400)
        .build_cartesian_2d(lo..hi, 0.0..total)?;
    chart
        .configure_mesh()
        .disable_y_mesh()
        .y_labels(0)
        .x_labels(10)
        .x_label_formatter(&|x| signed(*x, if span >= 10.0 { 0 } else { 1 }))
        .x_desc("Shapley value: share of P(met) [pp]")
        .axis_desc_style(font(22))
        .label_style(font(19))
        .light_line_style(TRANSPARENT)
        .bold_line_style(pal::LIGHT.mix(0.6))
        .draw()?;
    chart.draw_series(std::iter::once(PathElement::new(
        vec![(0.0, 0.0), (0.0, total)],
        pal::INK.stroke_width(2),
    )))?;
    let pa = chart.plotting_area().clone();
    let left = pa.get_pixel_range().0.start;
    let row_px = pa.dim_in_pixel().1 as f64 / total;
    let half = 0.4;
    for (pi, r) in d.rows.iter().enumerate() {
        let ys: Vec<f64> = rows
            .iter()
            .filter(|x| x.1 == pi)
            .map(|x| y_of(x.0))
            .collect();
        let mid = ys.iter().sum::<f64>() / ys.len().max(1) as f64;
        let (_, py) = pa.map_coordinate(&(0.0, mid));
        let style = font(((row_px * 1.2).clamp(14.0, 19.0)) as u32);
        let label = fit_label(root, &r.name, &style, left - 24);
        text(root, &label, (left - 12, py), style, HPos::Right)?;
    }
    for (p, pi, oi) in &rows {
        let (v, se) = d.rows[*pi].values[*oi];
        let y = y_of(*p);
        let c = variant_colour(oi + 1);
        chart.draw_series(std::iter::once(Rectangle::new(
            [(0.0, y - half), (pp(v), y + half)],
            c.filled(),
        )))?;
        if se > 0.0 {
            chart.draw_series(std::iter::once(PathElement::new(
                vec![(pp(v - 1.96 * se), y), (pp(v + 1.96 * se), y)],
                pal::INK.stroke_width(2),
            )))?;
        }
    }
    let mut items: Vec<(String, Mark)> = d
        .objectives
        .iter()
        .enumerate()
        .take(k)
        .map(|(i, o)| (o.clone(), Mark::Square(variant_colour(i + 1))))
        .collect();
    if !d.exact {
        items.push((
            "Whisker: ±1.96 standard errors".into(),
            Mark::Line(pal::INK, 2, false),
        ));
    }
    let y = legend(&side, "Objective", &items)?;
    let mut note = if d.exact {
        "Exact: every coalition run.".to_string()
    } else {
        "Sampled: antithetic permutations.".to_string()
    };
    note.push_str(" The others held present.");
    if d.omitted > 0 {
        note.push_str(&format!(" {} more not shown.", d.omitted));
    }
    legend_note(&side, y, &note)?;
    root.present()?;
    Ok(())
}

/// Alignment gaps: per player the objective that alignment raises most, as a bar coloured by
/// the recommendation that closes the largest share of it.
pub(super) fn draw_alignment<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    bars: &[IntervalBar],
    who: &str,
    footer: &str,
) -> DrawResult
where
    DB::ErrorType: 'static,
{
    let (area, side) = frame(root, &format!("What poor alignment costs: {who}"), footer)?;
    draw_bars(
        &area,
        root,
        bars,
        &BarStyle {
            band: 0.0,
            xdesc: "Alignment gap: P(met) gained when aligned, on the objective it moves most [pp]",
            colour: &|b| recommendation_colour(&b.recommendation),
            sub: &|b| format!("on: {}", b.objective),
            note: &|b| format!("{} pp", signed(pp(b.value), 1)),
        },
    )?;
    let mut items: Vec<(String, Mark)> = RECOMMENDATIONS
        .iter()
        .map(|(id, label)| (label.to_string(), Mark::Square(recommendation_colour(id))))
        .collect();
    items.push(("None identified".into(), Mark::Square(pal::GREY)));
    items.push((
        "95% interval (paired runs)".into(),
        Mark::Line(pal::INK, 3, false),
    ));
    legend(&side, "Closed by", &items)?;
    root.present()?;
    Ok(())
}

/// Ledger network: the agencies as in the network chart; each partnership player a link whose
/// width is its value and colour its exposure (square-root scale); players whose value is not
/// clearly above the negligible band thin and light, negative values dashed. Agency players
/// are drawn as halos around their node.
pub(super) fn draw_ledger_network<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    net: &LedgerNet,
    footer: &str,
) -> DrawResult
where
    DB::ErrorType: 'static,
{
    let (area, side) = frame(root, "The network by value and risk", footer)?;
    let g = NetGeometry::new(area.dim_in_pixel(), net.nodes.len());
    let risk_f = |r: f64| {
        if net.max_risk > 0.0 {
            (r / net.max_risk).max(0.0).sqrt()
        } else {
            0.0
        }
    };
    let px = |p: (f64, f64)| (p.0.round() as i32, p.1.round() as i32);
    // immaterial first, then material from least to most valuable
    let mut order: Vec<usize> = (0..net.links.len()).collect();
    order.sort_by(|&i, &j| {
        let (a, b) = (&net.links[i], &net.links[j]);
        (a.material, a.value.max(0.0))
            .partial_cmp(&(b.material, b.value.max(0.0)))
            .unwrap_or(std::cmp::Ordering::Equal)
            .then(i.cmp(&j))
    });
    for &k in &order {
        let e = &net.links[k];
        let (Some(a), Some(b)) = (net.nodes.get(e.from), net.nodes.get(e.to)) else {
            continue;
        };
        let (a, b) = (g.at(a), g.at(b));
        if e.value < 0.0 && e.material {
            continue;
        }
        if !e.material {
            let c = if e.value < 0.0 { pal::GREY } else { pal::LIGHT };
            if e.value < 0.0 {
                area.draw(&DashedPathElement::new(
                    vec![px(a), px(b)],
                    8,
                    6,
                    c.stroke_width(1),
                ))?;
            } else {
                area.draw(&PathElement::new(vec![px(a), px(b)], c.stroke_width(1)))?;
            }
            continue;
        }
        let f = (e.value / net.max_value).clamp(0.0, 1.0);
        let width = (1.0 + 10.0 * f).round() as u32;
        let c = risk_colour(risk_f(e.risk)).mix(0.3 + 0.7 * f);
        area.draw(&PathElement::new(vec![px(a), px(b)], c.stroke_width(width)))?;
    }
    for &(a, b) in &net.context {
        let (Some(a), Some(b)) = (net.nodes.get(a), net.nodes.get(b)) else {
            continue;
        };
        area.draw(&PathElement::new(
            vec![px(g.at(a)), px(g.at(b))],
            pal::LIGHT.stroke_width(1),
        ))?;
    }
    for h in &net.halos {
        let Some(n) = net.nodes.get(h.node) else {
            continue;
        };
        // a ring whose width is the value, inside the gap before the label
        let f = (h.value.max(0.0) / net.max_value).clamp(0.0, 1.0);
        let width = 2.0 + 5.0 * f;
        let rr = (g.r + 3.0 + width / 2.0).round() as u32;
        // a white gap keeps the ring apart from a node of the same colour
        area.draw(&Circle::new(
            px(g.at(n)),
            (g.r + 1.5).round() as u32,
            WHITE.stroke_width(3),
        ))?;
        let c = if h.material {
            risk_colour(risk_f(h.risk))
        } else {
            pal::LIGHT
        };
        area.draw(&Circle::new(
            px(g.at(n)),
            rr,
            c.stroke_width(width.round() as u32),
        ))?;
    }
    draw_net_nodes(&area, &net.nodes, &g)?;
    let mut items = sector_legend(&net.nodes);
    if net.halos.is_empty() {
        items.push((
            format!("Width, opacity: value (max {} pp)", num_pp(net.max_value)),
            Mark::Line(pal::GREY, 10, false),
        ));
        items.push((
            "Thin grey: not clearly above the negligible band".into(),
            Mark::Line(pal::LIGHT, 2, false),
        ));
        items.push((
            "Dashed: does better without it".into(),
            Mark::Line(pal::GREY, 2, true),
        ));
    } else {
        items.push((
            format!("Ring width: value (max {} pp)", num_pp(net.max_value)),
            Mark::Ring(pal::GREY),
        ));
        items.push((
            "Grey ring: not clearly above the negligible band".into(),
            Mark::Ring(pal::LIGHT),
        ));
        items.push((
            "Thin grey line: a partnership".into(),
            Mark::Line(pal::LIGHT, 2, false),
        ));
    }
    let y0 = legend(&side, "Agencies and players", &items)? + 10;
    let max = net.max_risk;
    colour_scale(
        &side,
        y0,
        "Exposure per run [SWD]",
        risk_colour,
        ["0", &super::text::num(max * 0.25), &super::text::num(max)],
    )?;
    root.present()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_recommendation_has_its_own_colour_and_none_is_grey() {
        let cs: Vec<RGBColor> = RECOMMENDATIONS
            .iter()
            .map(|(id, _)| recommendation_colour(id))
            .collect();
        for i in 0..cs.len() {
            assert_ne!(cs[i], pal::GREY);
            for j in i + 1..cs.len() {
                assert_ne!(cs[i], cs[j], "{i} {j}");
            }
        }
        assert_eq!(recommendation_colour(""), pal::GREY);
        assert_eq!(recommendation_colour("unknown"), pal::GREY);
    }

    /// A ledger network of `n` agencies of two kinds: partnership players 0→1 (valuable),
    /// 2→3 (negligible) and 4→0 (the network does better without it).
    fn big_net(n: usize) -> LedgerNet {
        let nodes = (0..n)
            .map(|i| super::super::data::NetNode {
                id: format!("a{i:03}"),
                name: format!("<b>Agency {i}</b>"),
                sector: i % 2,
                kind: if i % 2 == 0 {
                    "Fusion center"
                } else {
                    "Federal component"
                }
                .into(),
                x: 0.0,
                y: 0.0,
            })
            .collect();
        let link = |from, to, value, material| ld::LedgerLink {
            from,
            to,
            value,
            material,
            risk: 0.0,
        };
        LedgerNet {
            nodes,
            links: vec![
                link(0, 1, 0.2, true),
                link(2, 3, 0.001, false),
                link(4, 0, -0.05, false),
            ],
            halos: Vec::new(),
            context: Vec::new(),
            max_value: 0.2,
            max_risk: 0.0,
        }
    }

    #[test]
    fn the_ledger_matrix_has_one_cell_per_player_at_its_ends_painted_by_value() {
        let net = big_net(40);
        let (edges, paint) = ledger_matrix_edges(&net);
        assert_eq!(edges.len(), 3);
        assert_eq!(
            paint,
            [
                LedgerCell::Value(0.2, true),
                LedgerCell::Value(0.001, false),
                LedgerCell::Value(-0.05, false)
            ]
        );
        let m = netscale::matrix_data(&net.nodes, &edges);
        assert_eq!(m.cells.len(), 3);
        for c in &m.cells {
            let l = &net.links[c.edge];
            assert_eq!(net.nodes[m.order[c.row]].id, net.nodes[l.from].id);
            assert_eq!(net.nodes[m.order[c.col]].id, net.nodes[l.to].id);
        }
        // kinds grouped: two bands of 20
        assert_eq!(m.bands.iter().map(|b| b.len).collect::<Vec<_>>(), [20, 20]);
    }

    #[test]
    fn net_value_colours_darken_with_value_and_turn_orange_below_zero() {
        let (pale, dark) = (value_colour(0.0, 0.2), value_colour(0.2, 0.2));
        assert_eq!(pale, RGBColor(198, 219, 239));
        assert_eq!(dark, RGBColor(8, 48, 107));
        let mid = value_colour(0.05, 0.2); // sqrt(1/4) = 0.5: the middle stop
        assert_eq!(mid, RGBColor(66, 146, 198));
        let neg = value_colour(-0.2, 0.2);
        assert_eq!(neg, RGBColor(127, 39, 4));
        assert_eq!(value_colour(f64::NAN, 0.2), pale);
    }

    #[test]
    fn a_large_ledger_network_is_drawn_as_a_value_matrix_with_names_escaped() {
        crate::report::charts::register_fonts().unwrap();
        let net = big_net(40);
        let mut svg = String::new();
        {
            let root = SVGBackend::with_string(&mut svg, (WIDTH, HEIGHT)).into_drawing_area();
            draw_ledger_matrix(&root, &net, "footer <b>").unwrap();
        }
        assert!(svg.contains("net value of each partnership"), "title");
        assert!(svg.contains("Fusion center") && svg.contains("Federal component"));
        assert!(!svg.contains("<b>") && svg.contains("footer &lt;b&gt;"));
        // the valuable player's cell in the darkest blue and outlined; the one the network
        // does better without in orange
        assert!(svg.contains("#08306B"), "no cell at full value");
        assert!(svg.contains("stroke=\"#222222\""), "no outlined cell");
        let orange = value_colour(-0.05, 0.2);
        let hex = format!("#{:02X}{:02X}{:02X}", orange.0, orange.1, orange.2);
        assert!(svg.contains(&hex), "no orange cell {hex}");
    }

    #[test]
    fn risk_colours_run_from_blue_to_vermillion() {
        assert_eq!(risk_colour(0.0), pal::BLUE);
        assert_eq!(risk_colour(1.0), pal::VERMILLION);
        assert_eq!(risk_colour(f64::NAN), pal::BLUE);
    }

    #[test]
    fn square_root_ticks_are_round_and_within_the_range() {
        assert_eq!(sqrt_ticks(0.0), vec![0.0]);
        let t = sqrt_ticks(2.6);
        assert_eq!(t.first(), Some(&0.0));
        assert!(t.contains(&1.0) && t.contains(&2.0) && !t.contains(&5.0));
        assert!(t.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn the_ledger_footer_names_runs_seed_and_marking() {
        let l = crate::report::fixture::ledger();
        assert_eq!(
            footer(&l, "TLP:AMBER"),
            "Fuel Line Mini · scenario 3f9a1c27 · ledger of 12400 paired runs (≤ 400 per player and measure) · master seed 20210507 · TLP:AMBER"
        );
    }
}
