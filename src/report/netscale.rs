//! The partnership network at scale: above [`NETWORK_DETAIL_MAX`] agencies one node per agency
//! on a circle is a hairball, so the report draws two other pictures instead.
//!
//! - An **adjacency matrix**: rows send, columns receive, both ordered by sector, kind, then
//!   name; the kind bands are shaded on the diagonal and labelled (every agency's name would be
//!   unreadable at 400); one cell per partnership link, coloured by items carried per run.
//! - A **grouped layout**: one cluster per agency kind, the clusters on a circle; the links
//!   between two kinds are aggregated into one bundle whose width is their number, and the
//!   links within a kind into a ring around its cluster on the same width scale.
//!
//! The data are prepared by pure, tested functions ([`matrix_data`], [`group_data`]); one
//! drawing function per chart in the shape of the other charts.

use super::Batch;
use super::charts::{
    DrawResult, HEIGHT, Mark, RenderedChart, WIDTH, bold, chart_error, colour_scale, encode_png,
    font, frame, label_width, legend, legend_note, palette as pal, register_fonts, render_chart,
    sector_legend, sector_mark, text, three_stop, trust_colour,
};
use super::data::{self, NETWORK_DETAIL_MAX, NetEdge, NetNode};
use crate::error::Result;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::HPos;
use std::collections::BTreeMap;

/// A run of consecutive rows (and columns) of one agency kind in the matrix.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Band {
    /// Kind label ("Fusion center"; "Unknown" for ids the scenario does not describe).
    pub label: String,
    /// Sector index of the kind.
    pub sector: usize,
    /// First row of the band.
    pub start: usize,
    /// Rows in the band (agencies of the kind), ≥ 1.
    pub len: usize,
}

/// One partnership link in the matrix.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Cell {
    /// Row (sender) in matrix order.
    pub row: usize,
    /// Column (receiver) in matrix order.
    pub col: usize,
    /// Mean items delivered per run, ≥ 0.
    pub items: f64,
    /// Mean end-of-run trust in [0, 1].
    pub trust: f64,
    /// Index of the link in the edges the matrix was built from (for another colouring).
    pub edge: usize,
}

/// The adjacency matrix of the partnership network.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct NetMatrix {
    /// Node indices (into the network's nodes) in matrix order.
    pub order: Vec<usize>,
    /// Kind bands, in matrix order; their lengths sum to the number of nodes.
    pub bands: Vec<Band>,
    /// One cell per link.
    pub cells: Vec<Cell>,
}

fn kind_of(n: &NetNode) -> &str {
    if n.kind.is_empty() {
        "Unknown"
    } else {
        &n.kind
    }
}

/// The matrix of `nodes` and `edges`: nodes ordered by sector, kind, name, then id; one cell
/// per edge (edges naming a node that does not exist are skipped).
pub(super) fn matrix_data(nodes: &[NetNode], edges: &[NetEdge]) -> NetMatrix {
    let mut order: Vec<usize> = (0..nodes.len()).collect();
    order.sort_by(|&a, &b| {
        let (x, y) = (&nodes[a], &nodes[b]);
        (x.sector, kind_of(x), x.name.as_str(), x.id.as_str()).cmp(&(
            y.sector,
            kind_of(y),
            y.name.as_str(),
            y.id.as_str(),
        ))
    });
    let mut pos = vec![0; nodes.len()];
    for (p, &i) in order.iter().enumerate() {
        pos[i] = p;
    }
    let mut bands: Vec<Band> = Vec::new();
    for (p, &i) in order.iter().enumerate() {
        let k = kind_of(&nodes[i]);
        match bands.last_mut() {
            Some(b) if b.label == k && b.sector == nodes[i].sector => b.len += 1,
            _ => bands.push(Band {
                label: k.to_string(),
                sector: nodes[i].sector,
                start: p,
                len: 1,
            }),
        }
    }
    let cells = edges
        .iter()
        .enumerate()
        .filter(|(_, e)| e.from < nodes.len() && e.to < nodes.len())
        .map(|(k, e)| Cell {
            row: pos[e.from],
            col: pos[e.to],
            items: e.items,
            trust: e.trust,
            edge: k,
        })
        .collect();
    NetMatrix {
        order,
        bands,
        cells,
    }
}

/// `nodes` in matrix order (see [`matrix_data`]) and `edges` renumbered to match, for the
/// interactive matrix of `report.html`, so that it reads in the same order as the chart.
pub(super) fn in_matrix_order(
    nodes: &[NetNode],
    edges: &[NetEdge],
) -> (Vec<NetNode>, Vec<NetEdge>) {
    let m = matrix_data(nodes, edges);
    let ordered = m.order.iter().map(|&i| nodes[i].clone()).collect();
    let renumbered = edges
        .iter()
        .filter(|e| e.from < nodes.len() && e.to < nodes.len())
        .zip(&m.cells)
        .map(|(e, c)| NetEdge {
            from: c.row,
            to: c.col,
            ..e.clone()
        })
        .collect();
    (ordered, renumbered)
}

/// The agencies of one kind in the grouped layout.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Group {
    /// Kind label.
    pub label: String,
    /// Sector index of the kind.
    pub sector: usize,
    /// Node indices of its agencies.
    pub members: Vec<usize>,
    /// Links between two agencies of this kind.
    pub within: usize,
    /// Mean end-of-run trust of those links (0 when there are none).
    pub within_trust: f64,
    /// Centre on the unit circle (first group at the top, then clockwise).
    pub x: f64,
    /// Centre on the unit circle.
    pub y: f64,
}

/// All links between the agencies of two kinds, either direction.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Bundle {
    /// Group index of one end (the smaller).
    pub a: usize,
    /// Group index of the other end.
    pub b: usize,
    /// Links in the bundle, ≥ 1.
    pub count: usize,
    /// Mean items per run summed over the links.
    pub items: f64,
    /// Mean end-of-run trust over the links.
    pub trust: f64,
}

/// The grouped layout: groups by kind in matrix order, bundles by group pair.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct NetGroups {
    /// Groups (kinds), in the order of the matrix bands.
    pub groups: Vec<Group>,
    /// Bundles in (a, b) order.
    pub bundles: Vec<Bundle>,
}

/// Group `nodes` by kind (the bands of [`matrix_data`]) and aggregate `edges`: every edge is
/// counted once, in its pair's bundle or in its group's `within`.
pub(super) fn group_data(nodes: &[NetNode], edges: &[NetEdge]) -> NetGroups {
    let m = matrix_data(nodes, edges);
    let g = m.bands.len();
    let mut group_of = vec![0; nodes.len()];
    let mut groups: Vec<Group> = Vec::with_capacity(g);
    for (gi, b) in m.bands.iter().enumerate() {
        let members: Vec<usize> = m.order[b.start..b.start + b.len].to_vec();
        for &i in &members {
            group_of[i] = gi;
        }
        let angle = std::f64::consts::FRAC_PI_2 - std::f64::consts::TAU * gi as f64 / g as f64;
        groups.push(Group {
            label: b.label.clone(),
            sector: b.sector,
            members,
            within: 0,
            within_trust: 0.0,
            x: angle.cos(),
            y: angle.sin(),
        });
    }
    let mut pairs: BTreeMap<(usize, usize), (usize, f64, f64)> = BTreeMap::new();
    for e in edges
        .iter()
        .filter(|e| e.from < nodes.len() && e.to < nodes.len())
    {
        let (ga, gb) = (group_of[e.from], group_of[e.to]);
        if ga == gb {
            let grp = &mut groups[ga];
            grp.within += 1;
            grp.within_trust += e.trust;
        } else {
            let acc = pairs.entry((ga.min(gb), ga.max(gb))).or_default();
            acc.0 += 1;
            acc.1 += e.items;
            acc.2 += e.trust;
        }
    }
    for grp in &mut groups {
        if grp.within > 0 {
            grp.within_trust /= grp.within as f64;
        }
    }
    let bundles = pairs
        .into_iter()
        .map(|((a, b), (count, items, trust))| Bundle {
            a,
            b,
            count,
            items,
            trust: trust / count as f64,
        })
        .collect();
    NetGroups { groups, bundles }
}

/// Positions for labels wanted at `mids` (ascending) along one axis: each at least `gap` after
/// the one before, all within [`lo`, `hi`] when they fit (pushed back from `hi` otherwise).
pub(super) fn spread(mids: &[f64], gap: f64, lo: f64, hi: f64) -> Vec<f64> {
    let mut out = Vec::with_capacity(mids.len());
    let mut prev = f64::NEG_INFINITY;
    for &m in mids {
        let y = m.max(lo).max(prev + gap);
        out.push(y);
        prev = y;
    }
    let mut next = f64::INFINITY;
    for y in out.iter_mut().rev() {
        *y = y.min(hi).min(next - gap);
        next = *y;
    }
    out
}

/// Colour of a cell carrying `items` per run when the most carried is `max`: light to dark
/// blue on a logarithmic scale (ln(1 + items) / ln(1 + max)); grey when nothing is carried.
fn items_colour(items: f64, max: f64) -> RGBColor {
    if items.is_nan() || items <= 0.0 {
        return RGBColor(170, 170, 170);
    }
    three_stop(
        items.ln_1p() / max.ln_1p().max(1e-9),
        (222.0, 235.0, 247.0),
        (86.0, 160.0, 214.0),
        (8.0, 48.0, 107.0),
    )
}

/// Smallest width [px] of a marked cell (see [`MatrixPaint::marked`]).
pub(super) const MARK_PX: i32 = 5;

/// How the cells of a matrix chart are coloured and explained: by items per run for the
/// network ([`draw_network_matrix`]), by the ledger's net value for the ledger's network.
pub(super) struct MatrixPaint<'a> {
    /// Chart title.
    pub title: &'a str,
    /// Colour of a cell.
    pub colour: &'a dyn Fn(&Cell) -> RGBColor,
    /// Cells drawn last and at least [`MARK_PX`] wide, so that the few that matter stay
    /// visible when a cell is a pixel or two.
    pub marked: &'a dyn Fn(&Cell) -> bool,
    /// Smallest width [px] of any cell, ≥ 1 (a sparse matrix of hundreds of agencies reads
    /// better with cells a little larger than their share of the side).
    pub min_px: i32,
    /// Legend entries for the cells (beside the shaded kind bands).
    pub legend: Vec<(String, Mark)>,
    /// Title of the colour scale.
    pub scale_title: String,
    /// Colour at a position in [0, 1] of the scale.
    pub scale: &'a dyn Fn(f64) -> RGBColor,
    /// Labels at the scale's start, middle and end.
    pub ticks: [String; 3],
    /// Note below the scale.
    pub note: String,
}

/// Adjacency matrix chart: cells coloured by items per run, kind bands shaded on the diagonal
/// and labelled on the left (numbered, the numbers repeated above the columns).
pub(super) fn draw_network_matrix<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    m: &NetMatrix,
    nodes: &[NetNode],
    footer: &str,
) -> DrawResult
where
    DB::ErrorType: 'static,
{
    let max_items = m.cells.iter().map(|c| c.items).fold(0.0, f64::max);
    let mid = (max_items.ln_1p() / 2.0).exp_m1();
    let paint = MatrixPaint {
        title: "Partnership matrix by kind: who sends to whom, items per run (baseline)",
        colour: &|c: &Cell| items_colour(c.items, max_items),
        marked: &|_| false,
        min_px: 1,
        legend: vec![(
            "Partnership link carrying nothing".to_string(),
            Mark::Square(RGBColor(170, 170, 170)),
        )],
        scale_title: "Items per run (log scale)".to_string(),
        scale: &|f| items_colour((f * max_items.ln_1p()).exp_m1().max(1e-12), max_items),
        ticks: [
            "0".to_string(),
            format!("{mid:.1}"),
            format!("{max_items:.1}"),
        ],
        note: format!(
            "{} agencies, {} partnership links, one cell each; every name in report.html.",
            nodes.len(),
            m.cells.len()
        ),
    };
    draw_matrix(root, m, footer, &paint)
}

/// A matrix chart of `m` painted by `paint`: kind bands shaded on the diagonal and labelled
/// on the left (numbered, the numbers repeated above the columns), one cell per link.
pub(super) fn draw_matrix<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    m: &NetMatrix,
    footer: &str,
    paint: &MatrixPaint<'_>,
) -> DrawResult
where
    DB::ErrorType: 'static,
{
    let (area, side) = frame(root, paint.title, footer)?;
    let (w, h) = area.dim_in_pixel();
    let (w, h) = (w as i32, h as i32);
    let n = m.order.len().max(1);
    let (label_w, top_h) = (330, 70);
    let size = (h - top_h - 40).min(w - label_w - 30).max(60);
    let cell = size as f64 / n as f64;
    let (x0, y0) = (label_w, top_h);
    let at = |k: usize| (k as f64 * cell).round() as i32;
    for b in &m.bands {
        let (a, e) = (at(b.start), at(b.start + b.len));
        area.draw(&Rectangle::new(
            [(x0 + a, y0 + a), (x0 + e, y0 + e)],
            RGBColor(236, 239, 244).filled(),
        ))?;
    }
    for b in m.bands.iter().skip(1) {
        let a = at(b.start);
        area.draw(&PathElement::new(
            vec![(x0 + a, y0), (x0 + a, y0 + size)],
            pal::LIGHT.stroke_width(1),
        ))?;
        area.draw(&PathElement::new(
            vec![(x0, y0 + a), (x0 + size, y0 + a)],
            pal::LIGHT.stroke_width(1),
        ))?;
    }
    let (plain, marked): (Vec<&Cell>, Vec<&Cell>) =
        m.cells.iter().partition(|c| !(paint.marked)(c));
    let grow_plain = ((paint.min_px as f64 - cell) / 2.0).max(0.0).round() as i32;
    for c in plain {
        let (cx, cy) = (at(c.col) - grow_plain, at(c.row) - grow_plain);
        let (cx1, cy1) = (
            (at(c.col + 1) + grow_plain).max(cx + 1),
            (at(c.row + 1) + grow_plain).max(cy + 1),
        );
        area.draw(&Rectangle::new(
            [(x0 + cx, y0 + cy), (x0 + cx1, y0 + cy1)],
            (paint.colour)(c).filled(),
        ))?;
    }
    let grow = ((MARK_PX as f64 - cell) / 2.0).max(0.0).round() as i32;
    for c in marked {
        let (cx, cy) = (at(c.col) - grow, at(c.row) - grow);
        let (cx1, cy1) = (
            (at(c.col + 1) + grow).max(cx + 1),
            (at(c.row + 1) + grow).max(cy + 1),
        );
        area.draw(&Rectangle::new(
            [(x0 + cx, y0 + cy), (x0 + cx1, y0 + cy1)],
            (paint.colour)(c).filled(),
        ))?;
        area.draw(&Rectangle::new(
            [(x0 + cx, y0 + cy), (x0 + cx1, y0 + cy1)],
            pal::INK.stroke_width(1),
        ))?;
    }
    area.draw(&Rectangle::new(
        [(x0, y0), (x0 + size, y0 + size)],
        pal::GREY.stroke_width(1),
    ))?;
    // band labels: numbered names on the left, numbers above; brackets in the sector colour
    let mids: Vec<f64> = m
        .bands
        .iter()
        .map(|b| y0 as f64 + (b.start as f64 + b.len as f64 / 2.0) * cell)
        .collect();
    let ys = spread(&mids, 21.0, y0 as f64 + 8.0, (y0 + size) as f64 - 8.0);
    let xmids: Vec<f64> = mids.iter().map(|y| y - y0 as f64 + x0 as f64).collect();
    let xs = spread(&xmids, 26.0, x0 as f64 + 8.0, (x0 + size) as f64 - 8.0);
    for (i, b) in m.bands.iter().enumerate() {
        let colour = match sector_mark(b.sector) {
            Mark::Dot(c) | Mark::Square(c) | Mark::Triangle(c) | Mark::Diamond(c) => c,
            _ => pal::GREY,
        };
        let (a, e) = (at(b.start), at(b.start + b.len).max(at(b.start) + 1));
        area.draw(&Rectangle::new(
            [(x0 - 8, y0 + a), (x0 - 3, y0 + e)],
            colour.filled(),
        ))?;
        area.draw(&Rectangle::new(
            [(x0 + a, y0 - 8), (x0 + e, y0 - 3)],
            colour.filled(),
        ))?;
        let (ly, my) = (ys[i].round() as i32, mids[i].round() as i32);
        area.draw(&PathElement::new(
            vec![(x0 - 40, ly), (x0 - 22, ly), (x0 - 10, my)],
            pal::GREY.stroke_width(1),
        ))?;
        let label = format!("{} {} ({})", i + 1, b.label, b.len);
        text(&area, &label, (x0 - 44, ly), font(18), HPos::Right)?;
        let (lx, mx) = (xs[i].round() as i32, xmids[i].round() as i32);
        area.draw(&PathElement::new(
            vec![(lx, y0 - 30), (lx, y0 - 22), (mx, y0 - 10)],
            pal::GREY.stroke_width(1),
        ))?;
        text(
            &area,
            &format!("{}", i + 1),
            (lx, y0 - 42),
            font(17),
            HPos::Center,
        )?;
    }
    text(
        &area,
        "Rows send, columns receive (kinds numbered as on the left)",
        (x0 + size / 2, y0 + size + 22),
        font(18).color(&pal::GREY),
        HPos::Center,
    )?;
    let mut items = paint.legend.clone();
    items.push((
        "Shaded: links within one kind".to_string(),
        Mark::Square(RGBColor(236, 239, 244)),
    ));
    let y = legend(&side, "Cells", &items)? + 10;
    colour_scale(
        &side,
        y,
        &paint.scale_title,
        paint.scale,
        [&paint.ticks[0], &paint.ticks[1], &paint.ticks[2]],
    )?;
    legend_note(&side, y + 100, &paint.note)?;
    root.present()?;
    Ok(())
}

/// Point `t` in [0, 1] of the quadratic Bézier from `a` through control `c` to `b`.
fn bezier(a: (f64, f64), c: (f64, f64), b: (f64, f64), t: f64) -> (f64, f64) {
    let u = 1.0 - t;
    (
        u * u * a.0 + 2.0 * u * t * c.0 + t * t * b.0,
        u * u * a.1 + 2.0 * u * t * c.1 + t * t * b.1,
    )
}

/// Grouped layout chart: one cluster per kind on a circle, one bundle per pair of kinds
/// (width: links, colour: mean end-of-run trust), a ring per kind for the links within it.
pub(super) fn draw_network_groups<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    g: &NetGroups,
    nodes: &[NetNode],
    footer: &str,
) -> DrawResult
where
    DB::ErrorType: 'static,
{
    let (area, side) = frame(
        root,
        "Partnership network by kind: links between kinds bundled (baseline)",
        footer,
    )?;
    let (w, h) = area.dim_in_pixel();
    let (cx, cy) = (w as f64 / 2.0, h as f64 / 2.0);
    // centres on an oval leaving room for the labels beside and above/below the clusters
    let rx = (w as f64 / 2.0 - 250.0).max(h as f64 * 0.3);
    let ry = h as f64 / 2.0 - 95.0;
    let k = g.groups.len().max(1);
    let chord = if k > 1 {
        2.0 * rx.min(ry) * (std::f64::consts::PI / k as f64).sin()
    } else {
        rx.min(ry)
    };
    let max_m = g
        .groups
        .iter()
        .map(|x| x.members.len())
        .max()
        .unwrap_or(1)
        .max(1) as f64;
    // widest bundle or ring [px]: neighbouring clusters and their rings must not touch
    let max_w = (0.18 * chord).clamp(6.0, 21.0);
    // members on a sunflower spiral: radius s·√j, one per ~π s² of area
    let s = ((0.45 * chord - max_w - 7.0) / max_m.sqrt()).clamp(2.0, 12.0);
    let radius = |m: usize| s * (m as f64).sqrt() + 5.0;
    let centre = |x: &Group| (cx + rx * x.x, cy - ry * x.y);
    let max_count = g
        .bundles
        .iter()
        .map(|b| b.count)
        .chain(g.groups.iter().map(|x| x.within))
        .max()
        .unwrap_or(1)
        .max(1) as f64;
    let width = |count: usize| 1.0 + (max_w - 1.0) * count as f64 / max_count;
    let px = |p: (f64, f64)| (p.0.round() as i32, p.1.round() as i32);
    let mut order: Vec<usize> = (0..g.bundles.len()).collect();
    order.sort_by_key(|&i| g.bundles[i].count);
    let mut count_labels: Vec<((f64, f64), usize)> = Vec::new();
    for &i in &order {
        let b = &g.bundles[i];
        let (pa, pb) = (centre(&g.groups[b.a]), centre(&g.groups[b.b]));
        // bend each bundle towards the centre so the bundles of one kind fan out
        let ctrl = (
            cx + 0.35 * ((pa.0 + pb.0) / 2.0 - cx),
            cy + 0.35 * ((pa.1 + pb.1) / 2.0 - cy),
        );
        let pts: Vec<(i32, i32)> = (0..=32)
            .map(|t| px(bezier(pa, ctrl, pb, t as f64 / 32.0)))
            .collect();
        let c = trust_colour(b.trust).mix(0.8);
        area.draw(&PathElement::new(
            pts,
            c.stroke_width(width(b.count).round() as u32),
        ))?;
        count_labels.push((bezier(pa, ctrl, pb, 0.5), b.count));
    }
    // the largest bundles carry their count
    count_labels.sort_by_key(|x| std::cmp::Reverse(x.1));
    for (p, count) in count_labels.iter().take(12) {
        let s = count.to_string();
        let half = label_width(&s, 16) / 2 + 4;
        let (x, y) = px(*p);
        area.draw(&Rectangle::new(
            [(x - half, y - 11), (x + half, y + 11)],
            WHITE.mix(0.85).filled(),
        ))?;
        text(&area, &s, (x, y), font(16), HPos::Center)?;
    }
    for grp in &g.groups {
        let (gx, gy) = centre(grp);
        let r = radius(grp.members.len());
        let c = px((gx, gy));
        if grp.within > 0 {
            let ww = width(grp.within);
            area.draw(&Circle::new(
                c,
                (r + 2.0 + ww / 2.0).round() as i32,
                trust_colour(grp.within_trust)
                    .mix(0.8)
                    .stroke_width(ww.round() as u32),
            ))?;
        }
        area.draw(&Circle::new(c, r.round() as i32, WHITE.filled()))?;
        area.draw(&Circle::new(
            c,
            r.round() as i32,
            pal::LIGHT.stroke_width(1),
        ))?;
        let colour = match sector_mark(grp.sector) {
            Mark::Dot(c) | Mark::Square(c) | Mark::Triangle(c) | Mark::Diamond(c) => c,
            _ => pal::GREY,
        };
        let dot = (s * 0.38).clamp(1.5, 5.0).round() as i32;
        let golden = std::f64::consts::PI * (3.0 - 5f64.sqrt());
        for j in 0..grp.members.len() {
            let rr = s * (j as f64 + 0.5).sqrt();
            let a = j as f64 * golden;
            area.draw(&Circle::new(
                px((gx + rr * a.cos(), gy + rr * a.sin())),
                dot,
                colour.filled(),
            ))?;
        }
        // label outside the cluster, away from the centre
        let out = r + width(grp.within) + 12.0;
        let (lx, ly) = (gx + out * grp.x, gy - out * grp.y);
        let hpos = if grp.x > 0.25 {
            HPos::Left
        } else if grp.x < -0.25 {
            HPos::Right
        } else {
            HPos::Center
        };
        let dy = if grp.x.abs() <= 0.25 {
            if grp.y > 0.0 { -12.0 } else { 12.0 }
        } else {
            0.0
        };
        let (lx, ly) = px((lx, ly + dy));
        text(
            &area,
            &format!("{} ({})", grp.label, grp.members.len()),
            (lx, ly - 10),
            bold(17),
            hpos,
        )?;
        text(
            &area,
            &format!("{} within", grp.within),
            (lx, ly + 10),
            font(15).color(&pal::GREY),
            hpos,
        )?;
    }
    let mut items = sector_legend(nodes);
    items.push((
        format!(
            "Bundle width: links between two kinds (max {})",
            max_count as usize
        ),
        Mark::Line(pal::GREY, 10, false),
    ));
    items.push((
        "Ring: links within a kind, same width scale".to_string(),
        Mark::Ring(pal::GREY),
    ));
    let y = legend(&side, "Kinds and bundles", &items)? + 10;
    colour_scale(
        &side,
        y,
        "Mean end-of-run trust",
        trust_colour,
        ["0 low", "0.5", "1 high"],
    )?;
    let links: usize = g.bundles.iter().map(|b| b.count).sum::<usize>()
        + g.groups.iter().map(|x| x.within).sum::<usize>();
    legend_note(
        &side,
        y + 100,
        &format!(
            "{} agencies, {links} partnership links; one dot per agency. Each link: the partnership matrix.",
            nodes.len()
        ),
    )?;
    root.present()?;
    Ok(())
}

/// The matrix chart's caption: it says what the colour is, and where the ledger's colouring
/// (net value per partnership) is when the batch holds a ledger.
pub(super) fn matrix_title(ledger: bool) -> String {
    if ledger {
        "Partnership matrix by kind, coloured by items per run (baseline means; the same matrix coloured by the ledger's net value per partnership is in the Partnership ledger section)".to_string()
    } else {
        "Partnership matrix by kind, coloured by items per run (baseline means)".to_string()
    }
}

/// The grouped layout and the matrix of the baseline network, when it has more than
/// [`NETWORK_DETAIL_MAX`] agencies and at least one link (none otherwise: the network chart
/// of `charts` draws it).
pub(super) fn render(b: &Batch) -> Result<Vec<RenderedChart>> {
    let s = &b.summary;
    let (nodes, edges) = data::network_data(s, b.scenario.as_ref());
    if nodes.len() <= NETWORK_DETAIL_MAX || edges.is_empty() {
        return Ok(Vec::new());
    }
    register_fonts()?;
    let footer = data::footer(s);
    let groups = group_data(&nodes, &edges);
    let matrix = matrix_data(&nodes, &edges);
    Ok(vec![
        render_chart!(
            "network_groups".to_string(),
            "Partnership network by kind (baseline means)".to_string(),
            draw_network_groups(&groups, &nodes, &footer)
        ),
        render_chart!(
            "network_matrix".to_string(),
            matrix_title(b.ledger.as_ref().is_some_and(|l| !l.players.is_empty())),
            draw_network_matrix(&matrix, &nodes, &footer)
        ),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(id: &str, name: &str, kind: &str, sector: usize) -> NetNode {
        NetNode {
            id: id.into(),
            name: name.into(),
            sector,
            kind: kind.into(),
            x: 0.0,
            y: 0.0,
        }
    }

    fn edge(from: usize, to: usize, items: f64) -> NetEdge {
        NetEdge {
            from,
            to,
            items,
            trust: 0.5,
            p_withdrawn: 0.0,
            p_compromised: 0.0,
        }
    }

    /// Seven agencies in input order unlike kind order, nine links.
    fn net() -> (Vec<NetNode>, Vec<NetEdge>) {
        let nodes = vec![
            node("z_pd", "Zeta PD", "SLTT law enforcement", 1),
            node("fbi", "FBI", "Federal law enforcement", 0),
            node("b_fc", "Beta Fusion Center", "Fusion center", 1),
            node("a_fc", "Alpha Fusion Center", "Fusion center", 1),
            node(
                "util",
                "<script>alert(1)</script>",
                "Critical infrastructure",
                2,
            ),
            node("cisa", "CISA", "Federal component", 0),
            node("x", "x", "", 4),
        ];
        let edges = vec![
            edge(0, 2, 3.0),
            edge(2, 0, 1.0),
            edge(2, 3, 2.0),
            edge(3, 2, 0.0),
            edge(3, 1, 5.0),
            edge(1, 3, 4.0),
            edge(4, 5, 7.0),
            edge(5, 4, 1.0),
            edge(6, 5, 0.5),
        ];
        (nodes, edges)
    }

    #[test]
    fn the_matrix_orders_agencies_by_sector_then_kind_then_name() {
        let (nodes, edges) = net();
        let m = matrix_data(&nodes, &edges);
        let names: Vec<&str> = m.order.iter().map(|&i| nodes[i].id.as_str()).collect();
        assert_eq!(names, ["cisa", "fbi", "a_fc", "b_fc", "z_pd", "util", "x"]);
        let bands: Vec<(&str, usize, usize)> = m
            .bands
            .iter()
            .map(|b| (b.label.as_str(), b.start, b.len))
            .collect();
        assert_eq!(
            bands,
            [
                ("Federal component", 0, 1),
                ("Federal law enforcement", 1, 1),
                ("Fusion center", 2, 2),
                ("SLTT law enforcement", 4, 1),
                ("Critical infrastructure", 5, 1),
                ("Unknown", 6, 1),
            ]
        );
    }

    #[test]
    fn the_matrix_has_one_cell_per_link_at_its_sender_and_receiver() {
        let (nodes, edges) = net();
        let m = matrix_data(&nodes, &edges);
        assert_eq!(m.cells.len(), 9);
        let mut seen: Vec<(usize, usize)> = m.cells.iter().map(|c| (c.row, c.col)).collect();
        seen.sort();
        seen.dedup();
        assert_eq!(seen.len(), 9, "two links share a cell");
        for (c, e) in m.cells.iter().zip(&edges) {
            assert_eq!(nodes[m.order[c.row]].id, nodes[e.from].id);
            assert_eq!(nodes[m.order[c.col]].id, nodes[e.to].id);
            assert_eq!(c.items, e.items);
        }
        // the PD → Beta link: row of z_pd (4), column of b_fc (3)
        assert!(
            m.cells
                .iter()
                .any(|c| (c.row, c.col, c.items) == (4, 3, 3.0))
        );
    }

    #[test]
    fn the_interactive_matrix_gets_the_same_order_and_keeps_every_link() {
        let (nodes, edges) = net();
        let (ordered, renumbered) = in_matrix_order(&nodes, &edges);
        let ids: Vec<&str> = ordered.iter().map(|n| n.id.as_str()).collect();
        assert_eq!(ids, ["cisa", "fbi", "a_fc", "b_fc", "z_pd", "util", "x"]);
        assert_eq!(renumbered.len(), edges.len());
        for (r, e) in renumbered.iter().zip(&edges) {
            assert_eq!(ordered[r.from].id, nodes[e.from].id);
            assert_eq!(ordered[r.to].id, nodes[e.to].id);
            assert_eq!(r.items, e.items);
        }
    }

    #[test]
    fn bundles_and_rings_count_every_link_once() {
        let (nodes, edges) = net();
        let g = group_data(&nodes, &edges);
        assert_eq!(g.groups.len(), 6);
        let total: usize = g.bundles.iter().map(|b| b.count).sum::<usize>()
            + g.groups.iter().map(|x| x.within).sum::<usize>();
        assert_eq!(total, edges.len());
        let fc = g
            .groups
            .iter()
            .position(|x| x.label == "Fusion center")
            .unwrap();
        assert_eq!(g.groups[fc].within, 2);
        assert_eq!(g.groups[fc].members.len(), 2);
        // Fusion center ↔ Federal law enforcement: both directions in one bundle of 2
        let fle = g
            .groups
            .iter()
            .position(|x| x.label == "Federal law enforcement")
            .unwrap();
        let b = g
            .bundles
            .iter()
            .find(|b| (b.a, b.b) == (fle.min(fc), fle.max(fc)))
            .unwrap();
        assert_eq!(b.count, 2);
        assert!((b.items - 9.0).abs() < 1e-12);
        for b in &g.bundles {
            assert!(b.a < b.b);
        }
        for x in &g.groups {
            assert!(((x.x * x.x + x.y * x.y) - 1.0).abs() < 1e-9);
        }
    }

    #[test]
    fn spread_labels_keep_their_gap_within_bounds() {
        let ys = spread(&[10.0, 11.0, 12.0, 95.0, 96.0], 10.0, 0.0, 100.0);
        for w in ys.windows(2) {
            assert!(w[1] - w[0] >= 10.0 - 1e-9, "{ys:?}");
        }
        assert!(ys.iter().all(|&y| (0.0..=100.0).contains(&y)), "{ys:?}");
        assert_eq!(ys[0], 10.0);
        assert_eq!(spread(&[50.0], 10.0, 0.0, 100.0), [50.0]);
    }

    #[test]
    fn both_charts_render_and_escape_agency_names() {
        register_fonts().unwrap();
        let (nodes, edges) = net();
        let g = group_data(&nodes, &edges);
        let m = matrix_data(&nodes, &edges);
        for svg in [
            {
                let mut svg = String::new();
                {
                    let root =
                        SVGBackend::with_string(&mut svg, (WIDTH, HEIGHT)).into_drawing_area();
                    draw_network_groups(&root, &g, &nodes, "footer <b>").unwrap();
                }
                svg
            },
            {
                let mut svg = String::new();
                {
                    let root =
                        SVGBackend::with_string(&mut svg, (WIDTH, HEIGHT)).into_drawing_area();
                    draw_network_matrix(&root, &m, &nodes, "footer <b>").unwrap();
                }
                svg
            },
        ] {
            assert!(!svg.contains("<script"), "raw markup in the SVG");
            assert!(!svg.contains("<b>"), "raw markup in the SVG");
            assert!(svg.contains("footer &lt;b&gt;"));
            assert!(svg.contains("Fusion center"));
        }
    }
}
