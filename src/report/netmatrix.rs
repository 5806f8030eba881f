//! The partnership network as an adjacency matrix for `report.html`: rows are senders,
//! columns receivers, both ordered by sector, kind, then name (the order of the matrix chart), so
//! a network of 50 or more agencies still reads: blocks on the diagonal are partnerships
//! within a kind, off the diagonal between kinds. Self-contained: inline SVG and a few lines
//! of inline script, no external files. Hovering a cell shows the partnership's figures;
//! check boxes filter by kind. Every scenario-provided string is escaped.

use super::charts::trust_colour;
use super::data::{NetEdge, NetNode};
use std::fmt::Write as _;

/// Text escaped for HTML and SVG text and attribute values.
pub(super) fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            // bidi overrides and other controls would reorder or hide the text around them
            c if c.is_control()
                || ('\u{202a}'..='\u{202e}').contains(&c)
                || ('\u{2066}'..='\u{2069}').contains(&c) =>
            {
                o.push('\u{fffd}')
            }
            c => o.push(c),
        }
    }
    o
}

fn short(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(max - 1).collect();
        t.push('…');
        t
    }
}

/// Characters of an agency name shown beside the matrix (the whole name on hover).
const LABEL: usize = 32;

/// Most agencies named beside the matrix, a row and a column each (at 80, rows of 9 px); a
/// larger matrix labels its kind bands only.
const DETAIL_MAX: usize = 80;

/// The matrix as an HTML fragment (empty when there are no edges). `ledger(from, to)` gives
/// the partnership ledger's figures of the link between two agency ids, when the batch holds a
/// ledger: they are added to the cell's hover text.
pub(super) fn network_matrix_html(
    nodes: &[NetNode],
    edges: &[NetEdge],
    ledger: &dyn Fn(&str, &str) -> Option<String>,
) -> String {
    if nodes.is_empty() || edges.is_empty() {
        return String::new();
    }
    let n = nodes.len();
    // Above DETAIL_MAX agencies a row per name would make the matrix thousands of
    // pixels tall: cells shrink to fit about 800 px and only the kind bands are labelled
    // (each agency is still named on hover).
    let detail = n <= DETAIL_MAX;
    let cell = if detail {
        (640.0 / n as f64).clamp(9.0, 22.0)
    } else {
        (800.0 / n as f64).clamp(2.2, 9.0)
    };
    // room for labels of LABEL characters: left of the rows, above the columns (at −60°)
    let label_w = 300.0;
    let top_h = if detail { 230.0 } else { 40.0 };
    let size = cell * n as f64;
    // the column labels lean right: about cos 60° of their length past the last column
    let (w, h) = (
        label_w + size + if detail { 130.0 } else { 20.0 },
        top_h + size + 10.0,
    );
    let max_items = edges.iter().map(|e| e.items).fold(0.0, f64::max).max(1e-9);
    let font = if detail {
        (cell * 0.8).clamp(8.0, 12.0)
    } else {
        12.0
    };
    let mut kinds: Vec<&str> = Vec::new();
    for nd in nodes {
        let k = if nd.kind.is_empty() {
            "Unknown"
        } else {
            &nd.kind
        };
        if !kinds.contains(&k) {
            kinds.push(k);
        }
    }
    let kind_ix = |nd: &NetNode| {
        let k = if nd.kind.is_empty() {
            "Unknown"
        } else {
            nd.kind.as_str()
        };
        kinds.iter().position(|x| *x == k).unwrap_or(0)
    };
    let mut s = String::new();
    let _ = writeln!(s, "<div class=\"netmatrix\">");
    let _ = write!(s, "<p class=\"note\">Show kinds: ");
    for (i, k) in kinds.iter().enumerate() {
        let _ = write!(
            s,
            "<label><input type=\"checkbox\" checked=\"checked\" data-kind=\"{i}\"/> {}</label> ",
            esc(k)
        );
    }
    let _ = writeln!(s, "</p>");
    let _ = writeln!(
        s,
        "<p class=\"note nm-info\">Hover a cell: sender → receiver, items per run, end trust, P(withdrawn), P(compromised) and, with a partnership ledger, its net value.</p>"
    );
    let _ = writeln!(
        s,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {w:.0} {h:.0}\" width=\"{w:.0}\" height=\"{h:.0}\" font-family=\"DejaVu Sans, sans-serif\" font-size=\"{font:.1}\">"
    );
    // kind bands and separators
    let mut start = 0;
    for i in 1..=n {
        if i == n || kind_ix(&nodes[i]) != kind_ix(&nodes[start]) {
            let (a, b) = (start as f64 * cell, i as f64 * cell);
            let _ = writeln!(
                s,
                "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"#f3f5f8\" stroke=\"#c9ced6\"/>",
                label_w + a,
                top_h + a,
                b - a,
                b - a
            );
            start = i;
        }
    }
    let _ = writeln!(
        s,
        "<rect x=\"{label_w:.1}\" y=\"{top_h:.1}\" width=\"{size:.1}\" height=\"{size:.1}\" fill=\"none\" stroke=\"#888\"/>"
    );
    if !detail {
        let mut bands: Vec<(usize, usize, usize)> = Vec::new();
        for (i, nd) in nodes.iter().enumerate() {
            match bands.last_mut() {
                Some(b) if b.0 == kind_ix(nd) => b.2 += 1,
                _ => bands.push((kind_ix(nd), i, 1)),
            }
        }
        let mids: Vec<f64> = bands
            .iter()
            .map(|b| (b.1 as f64 + b.2 as f64 / 2.0) * cell)
            .collect();
        let ys = super::netscale::spread(&mids, font * 1.3, font, size - font);
        let xs = super::netscale::spread(&mids, font * 2.2, font, size - font);
        for (bi, b) in bands.iter().enumerate() {
            let _ = writeln!(
                s,
                "<text class=\"nm-r\" data-i=\"band\" data-k=\"{}\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\" dominant-baseline=\"middle\">{} {} ({})</text>",
                b.0,
                label_w - 6.0,
                top_h + ys[bi],
                bi + 1,
                esc(kinds[b.0]),
                b.2
            );
            let _ = writeln!(
                s,
                "<text class=\"nm-c\" data-i=\"band\" data-k=\"{}\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>",
                b.0,
                label_w + xs[bi],
                top_h - 8.0,
                bi + 1
            );
        }
    }
    for (i, nd) in nodes.iter().enumerate().filter(|_| detail) {
        let k = kind_ix(nd);
        let y = top_h + (i as f64 + 0.5) * cell;
        let x = label_w + (i as f64 + 0.5) * cell;
        let name = esc(&nd.name);
        let label = esc(&short(&nd.name, LABEL));
        let _ = writeln!(
            s,
            "<text class=\"nm-r\" data-i=\"{i}\" data-k=\"{k}\" x=\"{:.1}\" y=\"{y:.1}\" text-anchor=\"end\" dominant-baseline=\"middle\"><title>{name}</title>{label}</text>",
            label_w - 4.0
        );
        let _ = writeln!(
            s,
            "<text class=\"nm-c\" data-i=\"{i}\" data-k=\"{k}\" x=\"{x:.1}\" y=\"{:.1}\" transform=\"rotate(-60 {x:.1} {:.1})\" dominant-baseline=\"middle\"><title>{name}</title>{label}</text>",
            top_h - 4.0,
            top_h - 4.0
        );
    }
    for e in edges {
        let (a, b) = (&nodes[e.from], &nodes[e.to]);
        let c = trust_colour(e.trust);
        // small cells (a large matrix) touch and stay opaque enough to be seen
        let (gap, floor) = if detail { (1.0, 0.25) } else { (0.0, 0.6) };
        let opacity = floor + (1.0 - floor) * (e.items / max_items).clamp(0.0, 1.0);
        let mut info = format!(
            "{} → {}: {:.1} items per run; end trust {:.2}; P(withdrawn) {:.0}%; P(compromised) {:.0}%",
            a.name,
            b.name,
            e.items,
            e.trust,
            e.p_withdrawn * 100.0,
            e.p_compromised * 100.0
        );
        if let Some(l) = ledger(&a.id, &b.id) {
            info.push_str("; ");
            info.push_str(&l);
        }
        let _ = writeln!(
            s,
            "<rect class=\"nm-e\" data-f=\"{}\" data-t=\"{}\" data-kf=\"{}\" data-kt=\"{}\" data-info=\"{}\" x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"#{:02x}{:02x}{:02x}\" fill-opacity=\"{opacity:.2}\" stroke=\"{}\"><title>{}</title></rect>",
            e.from,
            e.to,
            kind_ix(a),
            kind_ix(b),
            esc(&info),
            label_w + e.to as f64 * cell + gap / 2.0,
            top_h + e.from as f64 * cell + gap / 2.0,
            cell - gap,
            cell - gap,
            c.0,
            c.1,
            c.2,
            if e.p_withdrawn >= super::data::WITHDRAWN_MARK {
                "#222"
            } else {
                "none"
            },
            esc(&info)
        );
    }
    let _ = writeln!(s, "</svg>");
    let _ = writeln!(
        s,
        "<p class=\"note\">Rows send, columns receive; both ordered by sector and kind (shaded blocks: partnerships within a kind{}). Colour: end-of-run trust of the sender in the receiver (vermillion low, blue high); opacity: items per run; dark outline: withdrawn in at least {:.0}% of runs.</p>",
        if detail {
            ""
        } else {
            "; kinds numbered on the left, the same numbers above the columns; hover a cell for the agencies' names"
        },
        super::data::WITHDRAWN_MARK * 100.0
    );
    s.push_str(SCRIPT);
    let _ = writeln!(s, "</div>");
    s
}

/// Hover and filter, inline (no external script).
const SCRIPT: &str = r#"<script>
(function () {
  var root = document.currentScript.parentNode;
  var info = root.querySelector('.nm-info');
  var cells = root.querySelectorAll('.nm-e');
  var labels = root.querySelectorAll('.nm-r, .nm-c');
  cells.forEach(function (c) {
    c.addEventListener('mouseover', function () {
      info.textContent = c.getAttribute('data-info');
      labels.forEach(function (l) {
        var i = l.getAttribute('data-i');
        l.style.fontWeight = (i === c.getAttribute('data-f') || i === c.getAttribute('data-t')) ? 'bold' : '';
      });
    });
  });
  var boxes = root.querySelectorAll('input[data-kind]');
  function apply() {
    var off = {};
    boxes.forEach(function (b) { if (!b.checked) { off[b.getAttribute('data-kind')] = true; } });
    cells.forEach(function (c) {
      c.style.display = (off[c.getAttribute('data-kf')] || off[c.getAttribute('data-kt')]) ? 'none' : '';
    });
    labels.forEach(function (l) { l.style.opacity = off[l.getAttribute('data-k')] ? '0.25' : ''; });
  }
  boxes.forEach(function (b) { b.addEventListener('change', apply); });
})();
</script>
"#;

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

    #[test]
    fn with_a_ledger_a_cell_also_gives_the_partnership_s_net_value() {
        let nodes = vec![
            node("a", "Alpha", "Federal component", 0),
            node("b", "Beta", "EOC", 1),
        ];
        let edges = vec![NetEdge {
            from: 0,
            to: 1,
            items: 2.0,
            trust: 0.5,
            p_withdrawn: 0.0,
            p_compromised: 0.0,
        }];
        let h = network_matrix_html(&nodes, &edges, &|f, t| {
            (f == "a" && t == "b").then(|| "ledger net value +3.2 pp".to_string())
        });
        assert!(
            h.contains("P(compromised) 0%; ledger net value +3.2 pp"),
            "{h}"
        );
        let h = network_matrix_html(&nodes, &edges, &|_, _| None);
        assert!(!h.contains("ledger net value"));
    }

    #[test]
    fn every_partnership_is_a_cell_with_its_figures_and_names_are_escaped() {
        let nodes = vec![
            node("a", "<script>alert(1)</script>", "Federal component", 0),
            node("b", "State EOC \u{202e}gnp.exe", "EOC", 1),
            node("c", "ISAC", "ISAC / ISAO", 2),
        ];
        let edges = vec![
            NetEdge {
                from: 0,
                to: 1,
                items: 4.0,
                trust: 0.8,
                p_withdrawn: 0.0,
                p_compromised: 0.0,
            },
            NetEdge {
                from: 1,
                to: 2,
                items: 1.0,
                trust: 0.2,
                p_withdrawn: 0.5,
                p_compromised: 0.1,
            },
        ];
        let h = network_matrix_html(&nodes, &edges, &|_, _| None);
        assert_eq!(h.matches("class=\"nm-e\"").count(), 2);
        assert_eq!(h.matches("data-kind=").count(), 3);
        assert!(h.contains("4.0 items per run; end trust 0.80"));
        assert!(h.contains("P(withdrawn) 50%"));
        assert!(!h.contains("<script>alert"));
        assert!(h.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
        assert!(!h.contains('\u{202e}'));
        assert!(!h.contains("src="), "no external script");
        assert_eq!(h.matches("<script>").count(), 1);
        assert!(network_matrix_html(&nodes, &[], &|_, _| None).is_empty());
    }

    #[test]
    fn a_large_matrix_labels_kind_bands_and_keeps_every_partnership() {
        let kinds = [
            "Federal component",
            "Fusion center",
            "Critical infrastructure",
        ];
        let nodes: Vec<NetNode> = (0..120)
            .map(|i| {
                let k = i * 3 / 120;
                node(&format!("a{i:03}"), &format!("Agency <{i}>"), kinds[k], k)
            })
            .collect();
        let edges: Vec<NetEdge> = (0..119)
            .map(|i| NetEdge {
                from: i,
                to: (i * 7 + 3) % 120,
                items: i as f64 / 10.0,
                trust: 0.5,
                p_withdrawn: 0.0,
                p_compromised: 0.0,
            })
            .collect();
        let h = network_matrix_html(&nodes, &edges, &|_, _| None);
        assert_eq!(h.matches("class=\"nm-e\"").count(), 119);
        // one label per kind band on each side, none per agency
        assert_eq!(h.matches("class=\"nm-r\"").count(), 3);
        assert_eq!(h.matches("class=\"nm-c\"").count(), 3);
        assert!(h.contains(">2 Fusion center (40)</text>"), "band label");
        assert!(h.contains("Agency &lt;5&gt; → "), "names stay on hover");
        assert!(!h.contains("Agency <"));
    }
}
