//! The Quick preset's grouping: the t-SNE map over-clustered, then merged along the codes' own
//! neighbour graph. On the map of codes pretrained briefly, k-means into K groups now and then
//! puts two digits that touch on the map in one group and splits a third; in 3 to 5 times as
//! many groups it rarely mixes two digits, and the fragments of one digit are linked by far more
//! nearest-neighbour edges in the code space than fragments of two digits. The pair of groups
//! with the most edges between them for their sizes (average linkage on the graph) is merged
//! until K are left. One merge of two digits costs a run about a tenth, and which merge goes
//! wrong depends on the over-clustering, so 15 over-clusterings (3 group counts, 5 k-means
//! seeds) are merged and the most typical result kept, as [`crate::clustering::tsne_grouping`]
//! keeps the most typical of several maps (docs/experiments.md, "The Quick preset").

use linfa_nn::distance::L2Dist;
use linfa_nn::{CommonNearestNeighbour, NearestNeighbour};
use ndarray::Array2;

use crate::clustering::{MAP_EXAGGERATION, each_on_one_thread, kmeans, medoid, tsne_2d};

/// Group counts of the over-clusterings, as multiples of K.
const OVERCLUSTER_FACTORS: [usize; 3] = [3, 4, 5];
/// k-means seeds of each group count.
const OVERCLUSTER_SEEDS: u64 = 5;
/// k-means++ starts of each over-clustering (its mistakes are mended by the merges).
const OVERCLUSTER_RESTARTS: usize = 10;
/// Nearest neighbours each code links to in the graph the merges follow.
const MERGE_NEIGHBOURS: usize = 10;

/// Groups `points` (`[n, dim]`) into `k`: on each of `starts` t-SNE maps (as the recipe's
/// grouping draws them), k-means into 3k, 4k and 5k groups from 5 seeds, each merged down to `k`
/// along the points' nearest-neighbour graph ([`merge_groups`]); of all, the most typical (the
/// highest mean NMI to the rest). No label is used.
pub fn tsne_merged_grouping(points: &[f32], dim: usize, k: usize, starts: usize, seed: u64) -> Vec<usize> {
    let graph = neighbour_graph(points, dim, MERGE_NEIGHBOURS);
    let maps = each_on_one_thread(starts.max(1), |r| {
        tsne_2d(points, dim, 30.0, MAP_EXAGGERATION, 1000, seed.wrapping_add(1000 * r as u64))
    });
    let mut pool = Vec::new();
    for map in &maps {
        for offset in 0..OVERCLUSTER_SEEDS {
            for factor in OVERCLUSTER_FACTORS {
                let over = kmeans(map, 2, factor * k, OVERCLUSTER_RESTARTS, seed.wrapping_add(offset));
                pool.push(merge_groups(&over.assignments, &graph, k));
            }
        }
    }
    let typical = medoid(&pool);
    pool.swap_remove(typical)
}

/// Each point's `count` nearest other points (k-d tree, linfa-nn).
pub fn neighbour_graph(points: &[f32], dim: usize, count: usize) -> Vec<Vec<usize>> {
    let rows = Array2::from_shape_vec((points.len() / dim, dim), points.iter().map(|&v| v as f64).collect())
        .expect("points must be whole rows");
    let index = CommonNearestNeighbour::KdTree.from_batch(&rows, L2Dist).expect("non-empty points of positive width");
    rows.rows()
        .into_iter()
        .enumerate()
        .map(|(i, row)| {
            let nearest = index.k_nearest(row, count + 1).expect("same width");
            nearest.into_iter().map(|(_, j)| j).filter(|&j| j != i).take(count).collect()
        })
        .collect()
}

/// `groups` merged two at a time until `k` are left, numbered 0..k: each time the pair with
/// the most edges of `graph` between them for the product of their sizes.
pub fn merge_groups(groups: &[usize], graph: &[Vec<usize>], k: usize) -> Vec<usize> {
    let m = groups.iter().max().map_or(0, |g| g + 1);
    let mut merged_into: Vec<usize> = (0..m).collect();
    let root = |merged_into: &[usize], mut g: usize| {
        while merged_into[g] != g {
            g = merged_into[g];
        }
        g
    };
    loop {
        let roots: Vec<usize> = (0..m).filter(|&g| root(&merged_into, g) == g).collect();
        if roots.len() <= k {
            return groups.iter().map(|&g| roots.binary_search(&root(&merged_into, g)).expect("a root")).collect();
        }
        let (a, b) = densest_pair(groups, graph, &roots, |g| root(&merged_into, g));
        merged_into[b] = a;
    }
}

/// Of the groups `roots`, the pair with the most edges between them per pair of members.
fn densest_pair(
    groups: &[usize],
    graph: &[Vec<usize>],
    roots: &[usize],
    root: impl Fn(usize) -> usize,
) -> (usize, usize) {
    let m = groups.iter().max().map_or(0, |g| g + 1);
    let mut size = vec![0f64; m];
    let mut edges = vec![0f64; m * m];
    for (i, near) in graph.iter().enumerate() {
        let a = root(groups[i]);
        size[a] += 1.0;
        for &j in near {
            let b = root(groups[j]);
            if a != b {
                edges[a * m + b] += 1.0;
                edges[b * m + a] += 1.0;
            }
        }
    }
    let mut best = (f64::NEG_INFINITY, roots[0], roots[1]);
    for (x, &a) in roots.iter().enumerate() {
        for &b in &roots[x + 1..] {
            let density = edges[a * m + b] / (size[a] * size[b]).max(1.0);
            if density > best.0 {
                best = (density, a, b);
            }
        }
    }
    (best.1, best.2)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fragments_linked_by_the_graph_are_merged_and_others_kept_apart() {
        // Six fragments of two chains (0-1-2 and 3-4-5), each point linked to its chain's others.
        let groups: Vec<usize> = (0..6).flat_map(|g| [g; 4]).collect();
        let graph: Vec<Vec<usize>> = (0..24)
            .map(
                |i| if i < 12 { (0..12).filter(|&j| j != i).collect() } else { (12..24).filter(|&j| j != i).collect() },
            )
            .collect();
        let merged = merge_groups(&groups, &graph, 2);
        assert!(
            merged[..12].iter().all(|&g| g == merged[0]) && merged[12..].iter().all(|&g| g == merged[12]),
            "{merged:?}"
        );
        assert_ne!(merged[0], merged[12]);
        assert!(merged.iter().all(|&g| g < 2));
    }

    #[test]
    fn the_graph_links_each_point_to_its_nearest_others() {
        let points = [0.0, 0.0, 0.1, 0.0, 5.0, 5.0, 5.1, 5.0];
        let graph = neighbour_graph(&points, 2, 1);
        assert_eq!(graph, vec![vec![1], vec![0], vec![3], vec![2]]);
    }
}
