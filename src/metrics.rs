//! Clustering scores: unsupervised accuracy (best one-to-one map of clusters to labels, found
//! with the Hungarian algorithm), NMI, ARI, and the label-free silhouette of the latent codes.

use linfa::DatasetBase;
use linfa::metrics::SilhouetteScore;
use ndarray::{Array1, Array2};
use pathfinding::kuhn_munkres::kuhn_munkres;
use pathfinding::matrix::Matrix;
use serde::{Deserialize, Serialize};

/// Counts of (cluster, label) pairs: `table[cluster][label]`.
#[derive(Clone, Debug, PartialEq)]
pub struct Contingency {
    pub table: Vec<Vec<u64>>,
    pub total: u64,
}

impl Contingency {
    pub fn new(clusters: &[usize], labels: &[usize]) -> Self {
        assert_eq!(clusters.len(), labels.len(), "one cluster per label");
        let rows = clusters.iter().max().map_or(0, |m| m + 1);
        let cols = labels.iter().max().map_or(0, |m| m + 1);
        let mut table = vec![vec![0u64; cols]; rows];
        for (&c, &l) in clusters.iter().zip(labels) {
            table[c][l] += 1;
        }
        Self { table, total: clusters.len() as u64 }
    }

    fn row_sums(&self) -> Vec<u64> {
        self.table.iter().map(|r| r.iter().sum()).collect()
    }

    fn col_sums(&self) -> Vec<u64> {
        let cols = self.table.first().map_or(0, Vec::len);
        (0..cols).map(|j| self.table.iter().map(|r| r[j]).sum()).collect()
    }
}

/// Fraction of points whose label is the one their cluster maps to, under the one-to-one map of
/// clusters to labels that maximises it (clusters beyond the label count map to nothing).
pub fn clustering_accuracy(clusters: &[usize], labels: &[usize]) -> f64 {
    if clusters.is_empty() {
        return 0.0;
    }
    let contingency = Contingency::new(clusters, labels);
    let (rows, cols) = (contingency.table.len(), contingency.table[0].len());
    // kuhn_munkres needs rows <= columns: pad to a square of zeros.
    let n = rows.max(cols);
    let weights = Matrix::from_fn(n, n, |(i, j)| if i < rows && j < cols { contingency.table[i][j] as i64 } else { 0 });
    let (matched, _) = kuhn_munkres(&weights);
    matched as f64 / clusters.len() as f64
}

/// For each cluster, the label it holds most often and that label's share of the cluster
/// (`None` for an empty cluster). What the page shows as "cluster 7: mostly 4s, 93%".
pub fn majority_labels(clusters: &[usize], labels: &[usize], k: usize) -> Vec<Option<(usize, f64)>> {
    let contingency = Contingency::new(clusters, labels);
    (0..k)
        .map(|c| {
            let row = contingency.table.get(c)?;
            let size: u64 = row.iter().sum();
            let (label, &count) = row.iter().enumerate().max_by_key(|&(_, n)| *n)?;
            (size > 0).then(|| (label, count as f64 / size as f64))
        })
        .collect()
}

fn entropy(counts: &[u64], total: f64) -> f64 {
    counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = c as f64 / total;
            -p * p.ln()
        })
        .sum()
}

/// Normalised mutual information, I(C; L) / ((H(C) + H(L)) / 2) (the arithmetic normalisation,
/// scikit-learn's default). 1 for identical partitions up to renaming.
pub fn normalized_mutual_information(clusters: &[usize], labels: &[usize]) -> f64 {
    let contingency = Contingency::new(clusters, labels);
    let total = contingency.total as f64;
    let (rows, cols) = (contingency.row_sums(), contingency.col_sums());
    let (h_clusters, h_labels) = (entropy(&rows, total), entropy(&cols, total));
    if h_clusters == 0.0 && h_labels == 0.0 {
        return 1.0; // both partitions are one block: identical
    }
    let mut mutual = 0.0;
    for (i, row) in contingency.table.iter().enumerate() {
        for (j, &n) in row.iter().enumerate() {
            if n > 0 {
                let n = n as f64;
                mutual += n / total * (n * total / (rows[i] as f64 * cols[j] as f64)).ln();
            }
        }
    }
    let denominator = (h_clusters + h_labels) / 2.0;
    if denominator == 0.0 { 0.0 } else { (mutual / denominator).clamp(0.0, 1.0) }
}

/// Adjusted Rand index (Hubert and Arabie): 1 for identical partitions, about 0 for random ones.
pub fn adjusted_rand_index(clusters: &[usize], labels: &[usize]) -> f64 {
    let pairs = |n: u64| (n as f64) * (n as f64 - 1.0) / 2.0;
    let contingency = Contingency::new(clusters, labels);
    let index: f64 = contingency.table.iter().flatten().map(|&n| pairs(n)).sum();
    let rows: f64 = contingency.row_sums().into_iter().map(pairs).sum();
    let cols: f64 = contingency.col_sums().into_iter().map(pairs).sum();
    let expected = rows * cols / pairs(contingency.total);
    let max = (rows + cols) / 2.0;
    if max == expected {
        return 1.0; // degenerate: both partitions all singletons or one block
    }
    (index - expected) / (max - expected)
}

/// Mean silhouette of `points` (`[n, dim]` row-major) under `clusters`, by linfa.
/// Quadratic in n: callers pass a sample of a few thousand points.
pub fn silhouette(points: &[f32], dim: usize, clusters: &[usize]) -> f64 {
    let n = clusters.len();
    assert_eq!(points.len(), n * dim, "one cluster per point");
    let records =
        Array2::from_shape_vec((n, dim), points.iter().map(|&v| v as f64).collect()).expect("shape checked above");
    let dataset = DatasetBase::new(records, Array1::from(clusters.to_vec()));
    dataset.silhouette_score().unwrap_or(f64::NAN)
}

/// The scores of one clustering of a labelled set.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
pub struct Scores {
    pub accuracy: f64,
    pub nmi: f64,
    pub ari: f64,
    /// Label-free: silhouette of the latent means under the clusters, on a sample.
    pub silhouette: f64,
    /// Clusters that hold at least one point.
    pub clusters_used: usize,
}

impl Scores {
    pub fn compute(
        clusters: &[usize],
        labels: &[usize],
        latents: &[f32],
        dim: usize,
        silhouette_sample: usize,
    ) -> Self {
        let m = silhouette_sample.min(clusters.len());
        let mut used: Vec<usize> = clusters.to_vec();
        used.sort_unstable();
        used.dedup();
        Self {
            accuracy: clustering_accuracy(clusters, labels),
            nmi: normalized_mutual_information(clusters, labels),
            ari: adjusted_rand_index(clusters, labels),
            silhouette: silhouette(&latents[..m * dim], dim, &clusters[..m]),
            clusters_used: used.len(),
        }
    }
}
