//! How both recipes group the pretrained codes to place the mixture: the t-SNE map
//! over-clustered, then merged along the codes' own neighbour graph. On the map, k-means into K
//! groups now and then puts two digits that touch on the map in one group and splits a third;
//! in 3 to 5 times as many groups it rarely mixes two digits, and the fragments of one digit
//! are linked by far more nearest-neighbour edges in the code space than fragments of two
//! digits. The pair of groups
//! with the most edges between them for their sizes (average linkage on the graph) is merged
//! until K are left. One merge of two digits costs a run about a tenth, and which merge goes
//! wrong depends on the over-clustering, so 15 over-clusterings (3 group counts, 5 k-means
//! seeds) are merged and the most typical result kept, as [`crate::clustering::tsne_grouping`]
//! keeps the most typical of several maps (docs/experiments.md, "The Quick preset" and
//! "Towards 0.97").

use linfa_nn::distance::L2Dist;
use linfa_nn::{CommonNearestNeighbour, NearestNeighbour};
use ndarray::Array2;

use crate::clustering::{each_on_one_thread, kmeans, medoid, recipe_map};

/// Group counts of the over-clusterings, as multiples of K.
const OVERCLUSTER_FACTORS: [usize; 3] = [3, 4, 5];
/// k-means seeds of each group count.
const OVERCLUSTER_SEEDS: u64 = 5;
/// k-means++ starts of each over-clustering (its mistakes are mended by the merges).
const OVERCLUSTER_RESTARTS: usize = 10;
/// No merge makes a group larger than this many times the mean group size (n / K) while
/// another merge would not: on the codes of 35 pretraining epochs, merging by density alone
/// now and then joined two whole digits and left a fragment of a few hundred odd digits apart
/// (the largest group then 18 times the smallest), from a third of a map's over-clusterings up
/// to all of them (docs/experiments.md, "Towards 0.97"). MNIST's largest digit is 1.12 times the mean.
const LARGEST_GROUP: f64 = 1.5;
/// Nearest neighbours each code links to in the graph the merges follow.
const MERGE_NEIGHBOURS: usize = 10;

/// Groups `points` (`[n, dim]`) into `k`: on each of `starts` t-SNE maps (as the recipe's
/// grouping draws them), k-means into 3k, 4k and 5k groups from 5 seeds, each merged down to `k`
/// along the points' nearest-neighbour graph ([`merge_groups`]); of all, the most typical (the
/// highest mean NMI to the rest). No label is used.
pub fn tsne_merged_grouping(points: &[f32], dim: usize, k: usize, starts: usize, seed: u64) -> Vec<usize> {
    let graph = neighbour_graph(points, dim, MERGE_NEIGHBOURS);
    let maps = each_on_one_thread(starts.max(1), |r| recipe_map(points, dim, r, seed));
    let mut pool: Vec<Vec<usize>> = maps.iter().flat_map(|map| merged_groupings(map, &graph, k, seed)).collect();
    let typical = medoid(&pool);
    pool.swap_remove(typical)
}

/// The 15 groupings of one map (`[n, 2]`): k-means into 3k, 4k and 5k groups from 5 seeds
/// (`seed`, `seed + 1`, …), each merged down to `k` along `graph` ([`merge_groups`]).
pub fn merged_groupings(map: &[f32], graph: &[Vec<usize>], k: usize, seed: u64) -> Vec<Vec<usize>> {
    (0..OVERCLUSTER_SEEDS)
        .flat_map(|offset| OVERCLUSTER_FACTORS.map(|factor| (offset, factor)))
        .map(|(offset, factor)| {
            let over = kmeans(map, 2, factor * k, OVERCLUSTER_RESTARTS, seed.wrapping_add(offset));
            merge_groups(&over.assignments, graph, k)
        })
        .collect()
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
/// the most edges of `graph` between them for the product of their sizes, of the pairs that
/// would make a group at most [`LARGEST_GROUP`] times the mean size (of all pairs when none
/// would).
pub fn merge_groups(groups: &[usize], graph: &[Vec<usize>], k: usize) -> Vec<usize> {
    let mut linkage = Linkage::count(groups, graph);
    let mut merged_into: Vec<usize> = (0..linkage.size.len()).collect();
    let cap = LARGEST_GROUP * groups.len() as f64 / k as f64;
    while linkage.live.len() > k {
        let (a, b) = linkage.densest_pair(cap).or_else(|| linkage.densest_pair(f64::INFINITY)).expect("two groups");
        linkage.merge(a, b);
        merged_into[b] = a;
    }
    let root = |mut g: usize| {
        while merged_into[g] != g {
            g = merged_into[g];
        }
        g
    };
    groups.iter().map(|&g| linkage.live.binary_search(&root(g)).expect("a live group")).collect()
}

/// The groups still apart, their sizes and the graph's edges between each two, kept up to date
/// as groups merge (a merge adds one group's row of counts to the other's), so that choosing
/// each merge costs the pairs of groups, not the edges.
struct Linkage {
    /// The groups not yet merged into another, ascending.
    live: Vec<usize>,
    size: Vec<f64>,
    /// `[m, m]`: edges between two groups, both directions counted, symmetric.
    edges: Vec<f64>,
}

impl Linkage {
    fn count(groups: &[usize], graph: &[Vec<usize>]) -> Self {
        let m = groups.iter().max().map_or(0, |g| g + 1);
        let mut size = vec![0f64; m];
        let mut edges = vec![0f64; m * m];
        for (i, near) in graph.iter().enumerate() {
            let a = groups[i];
            size[a] += 1.0;
            for &j in near {
                let b = groups[j];
                if a != b {
                    edges[a * m + b] += 1.0;
                    edges[b * m + a] += 1.0;
                }
            }
        }
        Self { live: (0..m).collect(), size, edges }
    }

    /// Of the pairs of live groups together at most `cap` large, the one (lower first) with the
    /// most edges between them per pair of members.
    fn densest_pair(&self, cap: f64) -> Option<(usize, usize)> {
        let m = self.size.len();
        let mut best: Option<(f64, usize, usize)> = None;
        for (x, &a) in self.live.iter().enumerate() {
            for &b in &self.live[x + 1..] {
                if self.size[a] + self.size[b] > cap {
                    continue;
                }
                let density = self.edges[a * m + b] / (self.size[a] * self.size[b]).max(1.0);
                if best.is_none_or(|(most, _, _)| density > most) {
                    best = Some((density, a, b));
                }
            }
        }
        best.map(|(_, a, b)| (a, b))
    }

    /// Group `b` joins group `a`.
    fn merge(&mut self, a: usize, b: usize) {
        let m = self.size.len();
        self.live.retain(|&g| g != b);
        self.size[a] += self.size[b];
        for &x in &self.live {
            if x != a {
                self.edges[a * m + x] += self.edges[b * m + x];
                self.edges[x * m + a] = self.edges[a * m + x];
            }
        }
    }
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
    fn a_small_fragment_is_merged_before_two_whole_groups_however_dense_their_link() {
        // Groups A (points 0-9) and B (10-19) each a clique, every A point also linked to two B
        // points; a fragment C (20, 21) linked to A by one edge each. By density alone A and B
        // would merge (20 edges for 100 pairs against C-A's 2 for 20); that would make a group
        // of 20, over 1.5 times the mean of 11.
        let mut graph: Vec<Vec<usize>> = (0..20)
            .map(|i| {
                let base = i / 10 * 10;
                (base..base + 10).filter(|&j| j != i).collect()
            })
            .collect();
        (0..10).for_each(|i| graph[i].extend([10 + i, 10 + (i + 1) % 10]));
        graph.extend([vec![21, 0], vec![20, 1]]);
        let groups: Vec<usize> = (0..22).map(|i| i / 10).collect();
        let merged = merge_groups(&groups, &graph, 2);
        assert!(merged[..10].iter().chain(&merged[20..]).all(|&g| g == merged[0]), "{merged:?}");
        assert!(merged[10..20].iter().all(|&g| g == merged[10] && g != merged[0]), "{merged:?}");
    }

    #[test]
    fn counts_kept_up_to_date_through_merges_equal_a_fresh_count() {
        // 40 points in 8 groups, each linked to 5 others by a fixed scramble.
        let groups: Vec<usize> = (0..40).map(|i| (i * 7) % 8).collect();
        let graph: Vec<Vec<usize>> = (0..40).map(|i| (1..=5).map(|s| (i * 13 + s * 11) % 40).collect()).collect();
        let mut linkage = Linkage::count(&groups, &graph);
        let mut merged_into: Vec<usize> = (0..8).collect();
        for (a, b) in [(1, 6), (0, 3), (1, 4), (2, 7)] {
            linkage.merge(a, b);
            merged_into[b] = a;
        }
        // Each merge joined a group into one not merged itself, so one step finds a root.
        let fresh = Linkage::count(&groups.iter().map(|&g| merged_into[g]).collect::<Vec<_>>(), &graph);
        assert_eq!(linkage.live, [0, 1, 2, 5]);
        let m = fresh.size.len();
        for &a in &linkage.live {
            assert_eq!(linkage.size[a], fresh.size[a], "group {a}'s size");
            for &b in &linkage.live {
                if a != b {
                    assert_eq!(linkage.edges[a * 8 + b], fresh.edges[a * m + b], "edges between {a} and {b}");
                }
            }
        }
    }

    #[test]
    fn the_graph_links_each_point_to_its_nearest_others() {
        let points = [0.0, 0.0, 0.1, 0.0, 5.0, 5.0, 5.1, 5.0];
        let graph = neighbour_graph(&points, 2, 1);
        assert_eq!(graph, vec![vec![1], vec![0], vec![3], vec![2]]);
    }
}
