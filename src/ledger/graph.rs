//! The structure baseline: betweenness in the partnership graph (Brandes 2001), the share of
//! shortest paths between agencies that pass through each partnership (edge) or agency
//! (node). Partnerships are undirected edges here, parallel partnerships between the same
//! pair count as one path each.

use std::collections::VecDeque;

/// Edge and node betweenness of an undirected graph with `n` nodes and `edges` (pairs of
/// node indices), each normalised by the number of node pairs n(n − 1)/2 so that 1 means
/// "on every shortest path". Returns (per edge, per node).
pub(crate) fn betweenness(n: usize, edges: &[(usize, usize)]) -> (Vec<f64>, Vec<f64>) {
    let mut adj: Vec<Vec<(usize, usize)>> = vec![Vec::new(); n];
    for (e, &(a, b)) in edges.iter().enumerate() {
        if a < n && b < n && a != b {
            adj[a].push((b, e));
            adj[b].push((a, e));
        }
    }
    let mut eb = vec![0.0; edges.len()];
    let mut nb = vec![0.0; n];
    for s in 0..n {
        // Shortest-path counts by breadth-first search.
        let mut order: Vec<usize> = Vec::with_capacity(n);
        let mut preds: Vec<Vec<(usize, usize)>> = vec![Vec::new(); n];
        let mut sigma = vec![0.0f64; n];
        let mut dist = vec![usize::MAX; n];
        sigma[s] = 1.0;
        dist[s] = 0;
        let mut q = VecDeque::from([s]);
        while let Some(v) = q.pop_front() {
            order.push(v);
            for &(w, e) in &adj[v] {
                if dist[w] == usize::MAX {
                    dist[w] = dist[v] + 1;
                    q.push_back(w);
                }
                if dist[w] == dist[v] + 1 {
                    sigma[w] += sigma[v];
                    preds[w].push((v, e));
                }
            }
        }
        // Dependencies, accumulated from the farthest nodes back.
        let mut delta = vec![0.0f64; n];
        for &w in order.iter().rev() {
            for &(v, e) in &preds[w] {
                let c = sigma[v] / sigma[w] * (1.0 + delta[w]);
                eb[e] += c;
                delta[v] += c;
            }
            if w != s {
                nb[w] += delta[w];
            }
        }
    }
    // Each unordered pair was counted from both ends.
    let pairs = (n * n.saturating_sub(1)) as f64 / 2.0;
    let norm = |x: f64| if pairs > 0.0 { x / 2.0 / pairs } else { 0.0 };
    (
        eb.into_iter().map(norm).collect(),
        nb.into_iter().map(norm).collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_path_graph_s_middle_edges_carry_more_paths() {
        // 0 – 1 – 2 – 3: pairs 6; edge (0,1) lies on paths from 0 to 1, 2, 3 = 3 of 6;
        // edge (1,2) on 0–2, 0–3, 1–2, 1–3 = 4 of 6. Node 1 is inside 0–2 and 0–3 = 2 of 6.
        let (e, v) = betweenness(4, &[(0, 1), (1, 2), (2, 3)]);
        assert!((e[0] - 3.0 / 6.0).abs() < 1e-12);
        assert!((e[1] - 4.0 / 6.0).abs() < 1e-12);
        assert!((e[2] - 3.0 / 6.0).abs() < 1e-12);
        assert!((v[1] - 2.0 / 6.0).abs() < 1e-12);
        assert_eq!(v[0], 0.0);
    }

    #[test]
    fn a_star_s_hub_is_on_every_path_between_leaves() {
        // Hub 0 with leaves 1, 2, 3: pairs 6, leaf pairs 3 all through the hub.
        let (e, v) = betweenness(4, &[(0, 1), (0, 2), (0, 3)]);
        assert!((v[0] - 3.0 / 6.0).abs() < 1e-12);
        // Each spoke: its leaf to the hub and to the two other leaves = 3 of 6.
        assert!(e.iter().all(|&x| (x - 0.5).abs() < 1e-12));
    }

    #[test]
    fn a_cycle_s_two_routes_split_the_paths() {
        // Square 0–1–2–3–0: opposite corners have two shortest paths, each edge gets half.
        let (e, _) = betweenness(4, &[(0, 1), (1, 2), (2, 3), (3, 0)]);
        // Per edge: its own pair (1) + two opposite pairs × ½ = 2 of 6.
        assert!(e.iter().all(|&x| (x - 2.0 / 6.0).abs() < 1e-12), "{e:?}");
    }
}
