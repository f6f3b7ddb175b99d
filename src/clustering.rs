//! k-means on latent codes (linfa's implementation, k-means++ start, several restarts): the
//! two-step baseline's clusterer and the initialiser of the mixture prior.

use linfa::DatasetBase;
use linfa::traits::{Fit, Predict};
use linfa_clustering::KMeans;
use ndarray::Array2;
use rand::SeedableRng;
use rand_xoshiro::Xoshiro256Plus;

/// A k-means fit: centroids `[k, dim]` row-major, one cluster per point.
#[derive(Clone, Debug)]
pub struct KMeansFit {
    pub centroids: Vec<f32>,
    pub assignments: Vec<usize>,
}

/// Fits k-means to `points` (`[n, dim]`, row-major) with `restarts` k-means++ starts, keeping
/// the one of least inertia.
pub fn kmeans(points: &[f32], dim: usize, k: usize, restarts: usize, seed: u64) -> KMeansFit {
    assert!(dim > 0 && points.len() % dim == 0, "points must be whole rows of {dim}");
    let n = points.len() / dim;
    assert!(n >= k && k > 0, "k-means needs at least k = {k} points, got {n}");
    let records = Array2::from_shape_vec((n, dim), points.iter().map(|&v| v as f64).collect())
        .expect("shape checked above");
    let dataset = DatasetBase::from(records.clone());
    let model = KMeans::params_with_rng(k, Xoshiro256Plus::seed_from_u64(seed))
        .n_runs(restarts.max(1))
        .max_n_iterations(300)
        .tolerance(1e-5)
        .fit(&dataset)
        .expect("k-means parameters are valid");
    let assignments = model.predict(&records).to_vec();
    let centroids = model.centroids().iter().map(|&v| v as f32).collect();
    KMeansFit { centroids, assignments }
}

/// Per-cluster, per-dimension variance of the points around their centroid, floored at
/// `min_variance` (a cluster of one point has none). `[k, dim]` row-major.
pub fn cluster_variances(points: &[f32], dim: usize, fit: &KMeansFit, min_variance: f32) -> Vec<f32> {
    let k = fit.centroids.len() / dim;
    let mut sums = vec![0.0f64; k * dim];
    let mut counts = vec![0usize; k];
    for (row, &cluster) in points.chunks_exact(dim).zip(&fit.assignments) {
        counts[cluster] += 1;
        for j in 0..dim {
            let diff = (row[j] - fit.centroids[cluster * dim + j]) as f64;
            sums[cluster * dim + j] += diff * diff;
        }
    }
    sums.iter()
        .enumerate()
        .map(|(i, &s)| ((s / counts[i / dim].max(1) as f64) as f32).max(min_variance))
        .collect()
}
