//! Clustering of latent codes: k-means (linfa's, k-means++ starts, several restarts) for the
//! two-step baseline, and the grouping that initialises the mixture prior: k-means either on the
//! codes themselves or on a 2-D t-SNE embedding of them (bhtsne), whose neighbourhood-preserving
//! map separates digit classes far better than straight lines in the code space do. t-SNE's
//! random start matters: the grouping can be made from several starts and the one most like the
//! others kept ([`tsne_grouping`]).

use linfa::DatasetBase;
use linfa::traits::{Fit, Predict};
use linfa_clustering::KMeans;
use linfa_nn::distance::L2Dist;
use linfa_nn::{CommonNearestNeighbour, NearestNeighbour};
use ndarray::Array2;
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256Plus;

use crate::metrics::normalized_mutual_information;

/// k-means starts on the t-SNE map. With few starts k-means now and then merges two islands of
/// the map and splits a third: with 10 starts the worst of five maps matched the digits 82% of
/// the time, with 50 starts 93% (examples/prior_init_study.rs). Each start is cheap in 2-D.
const TSNE_KMEANS_RESTARTS: usize = 50;

/// A k-means fit: centroids `[k, dim]` row-major, one cluster per point.
#[derive(Clone, Debug)]
pub struct KMeansFit {
    pub centroids: Vec<f32>,
    pub assignments: Vec<usize>,
}

/// Fits k-means to `points` (`[n, dim]`, row-major) with `restarts` k-means++ starts, keeping
/// the one of least inertia.
pub fn kmeans(points: &[f32], dim: usize, k: usize, restarts: usize, seed: u64) -> KMeansFit {
    assert!(dim > 0 && points.len().is_multiple_of(dim), "points must be whole rows of {dim}");
    let n = points.len() / dim;
    assert!(n >= k && k > 0, "k-means needs at least k = {k} points, got {n}");
    let records =
        Array2::from_shape_vec((n, dim), points.iter().map(|&v| v as f64).collect()).expect("shape checked above");
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

/// Per-cluster, per-dimension variance of the points around their cluster's centroid, floored at
/// `min_variance` (a cluster of one point has none). `[k, dim]` row-major.
pub fn cluster_variances(
    points: &[f32],
    dim: usize,
    centroids: &[f32],
    assignments: &[usize],
    min_variance: f32,
) -> Vec<f32> {
    let k = centroids.len() / dim;
    let mut sums = vec![0.0f64; k * dim];
    let mut counts = vec![0usize; k];
    for (row, &cluster) in points.chunks_exact(dim).zip(assignments) {
        counts[cluster] += 1;
        for j in 0..dim {
            let diff = (row[j] - centroids[cluster * dim + j]) as f64;
            sums[cluster * dim + j] += diff * diff;
        }
    }
    sums.iter().enumerate().map(|(i, &s)| ((s / counts[i / dim].max(1) as f64) as f32).max(min_variance)).collect()
}

/// How many times the grouping's t-SNE map exaggerates the attraction, for the whole run: that
/// makes clusters compact and well apart (close to what UMAP draws). Measured on a 20-epoch
/// autoencoder's codes of 5,000 training digits, k-means on the map then matches the digit
/// classes 93-94% of the time, against 81-83% with the usual early-only exaggeration and 68% for
/// k-means on the codes. 3x did better on the page recipe's 10-epoch codes start for start, but
/// not over whole runs (docs/experiments.md, "Towards 0.97").
pub const MAP_EXAGGERATION: f32 = 4.0;

/// Barnes-Hut t-SNE of `points` (`[n, dim]`) to 2-D, `[n, 2]` row-major, started from a
/// seeded random layout (t-SNE's usual tiny uniform spread) rather than bhtsne's own generator.
///
/// The attraction is exaggerated `exaggeration` times for the whole run, not only early (see
/// [`MAP_EXAGGERATION`]).
pub fn tsne_2d(points: &[f32], dim: usize, perplexity: f32, exaggeration: f32, epochs: usize, seed: u64) -> Vec<f32> {
    let rows: Vec<&[f32]> = points.chunks_exact(dim).collect();
    let mut rng = Xoshiro256Plus::seed_from_u64(seed);
    let start: Vec<f32> = (0..rows.len() * 2).map(|_| rng.gen_range(-1e-4..1e-4)).collect();
    bhtsne::tSNE::<f32, &[f32], 2>::new(&rows)
        .initial_embedding(start)
        .perplexity(perplexity)
        .epochs(epochs)
        .early_exaggeration(exaggeration)
        .stop_lying_epoch(epochs)
        .barnes_hut(0.5, |a, b| a.iter().zip(b.iter()).map(|(x, y)| (x - y) * (x - y)).sum::<f32>().sqrt())
        .embedding()
}

/// The grouping that places the mixture: k-means on a 2-D t-SNE map of `points` (`[n, dim]`),
/// into `k` groups, from `starts` t-SNE starts (the first seeded by `seed`, as with one start);
/// of several, the one most like the others is kept (the medoid: the highest mean NMI to the
/// rest). No label is used. Measured on one run's codes, ten starts matched the digits from
/// 0.785 to 0.944 of the time and the medoid 0.928, where the first start gave 0.895
/// (examples/grouping_study.rs, docs/experiments.md, "Towards 0.97").
///
/// Each start runs on one thread (see [`on_one_thread`]); natively as many at once as there are
/// cores, in the browser one after another.
pub fn tsne_grouping(points: &[f32], dim: usize, k: usize, starts: usize, seed: u64) -> Vec<usize> {
    let mut groupings = tsne_groupings(points, dim, k, starts.max(1), seed);
    let best = medoid(&groupings);
    groupings.swap_remove(best)
}

/// The groups of each of `starts` t-SNE starts (k-means on each [`recipe_map`] by `seed`), in
/// the order of the starts. See [`tsne_grouping`].
pub fn tsne_groupings(points: &[f32], dim: usize, k: usize, starts: usize, seed: u64) -> Vec<Vec<usize>> {
    each_on_one_thread(starts, |r| {
        kmeans(&recipe_map(points, dim, r, seed), 2, k, TSNE_KMEANS_RESTARTS, seed).assignments
    })
}

/// The t-SNE map the recipes group on, of their start number `start` (seeded by
/// `seed + 1000 start`): perplexity 30, [`MAP_EXAGGERATION`] all run, 1,000 iterations.
pub fn recipe_map(points: &[f32], dim: usize, start: usize, seed: u64) -> Vec<f32> {
    tsne_2d(points, dim, 30.0, MAP_EXAGGERATION, 1000, seed.wrapping_add(1000 * start as u64))
}

/// Each grouping's mean NMI to the others (0 for a lone one): how typical it is of them.
pub fn consensus(groupings: &[Vec<usize>]) -> Vec<f64> {
    let n = groupings.len();
    let likeness = |a: usize| {
        (0..n).filter(|&b| b != a).map(|b| normalized_mutual_information(&groupings[a], &groupings[b])).sum::<f64>()
    };
    (0..n).map(|a| likeness(a) / (n - 1).max(1) as f64).collect()
}

/// The index of the grouping with the highest [`consensus`] (the first of equals).
pub fn medoid(groupings: &[Vec<usize>]) -> usize {
    let scores = consensus(groupings);
    (0..scores.len()).fold(0, |best, a| if scores[a] > scores[best] { a } else { best })
}

/// Runs `work` on a single thread: bhtsne and linfa sum in parallel, and a sum's order decides
/// its last bits, which t-SNE then amplifies. One thread keeps "same seed, same numbers".
/// (In the browser everything already runs on one thread.)
pub fn on_one_thread<T: Send>(work: impl FnOnce() -> T + Send) -> T {
    #[cfg(not(target_arch = "wasm32"))]
    if let Ok(pool) = rayon::ThreadPoolBuilder::new().num_threads(1).build() {
        return pool.install(work);
    }
    work()
}

/// `work(0)`, …, `work(n - 1)`, each [`on_one_thread`]: natively on threads of their own, as
/// many at once as there are cores; in the browser (no threads) one after another.
pub fn each_on_one_thread<T: Send>(n: usize, work: impl Fn(usize) -> T + Sync) -> Vec<T> {
    #[cfg(not(target_arch = "wasm32"))]
    {
        let cores = std::thread::available_parallelism().map_or(1, |c| c.get());
        let mut results = Vec::with_capacity(n);
        for first in (0..n).step_by(cores) {
            std::thread::scope(|scope| {
                let work = &work;
                let running: Vec<_> =
                    (first..n.min(first + cores)).map(|i| scope.spawn(move || on_one_thread(|| work(i)))).collect();
                for thread in running {
                    results.push(thread.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)));
                }
            });
        }
        results
    }
    #[cfg(target_arch = "wasm32")]
    (0..n).map(|i| on_one_thread(|| work(i))).collect()
}

/// Centroids (`[k, dim]`) of `points` under a given assignment; an empty group keeps the
/// overall mean.
pub fn group_means(points: &[f32], dim: usize, assignments: &[usize], k: usize) -> Vec<f32> {
    let mut sums = vec![0.0f64; k * dim];
    let mut counts = vec![0usize; k];
    let mut overall = vec![0.0f64; dim];
    for (row, &group) in points.chunks_exact(dim).zip(assignments) {
        counts[group] += 1;
        for j in 0..dim {
            sums[group * dim + j] += row[j] as f64;
            overall[j] += row[j] as f64;
        }
    }
    let n = assignments.len().max(1) as f64;
    (0..k * dim)
        .map(|i| {
            let (group, j) = (i / dim, i % dim);
            if counts[group] == 0 { (overall[j] / n) as f32 } else { (sums[i] / counts[group] as f64) as f32 }
        })
        .collect()
}

/// Spreads the group labels of `labelled` points (`[m, dim]`) to `queries` (`[n, dim]`): each
/// query takes the most common label among its `k` nearest labelled points (k-d tree, linfa-nn).
pub fn knn_vote(
    labelled: &[f32],
    labels: &[usize],
    queries: &[f32],
    dim: usize,
    k: usize,
    groups: usize,
) -> Vec<usize> {
    let to_array = |points: &[f32]| {
        Array2::from_shape_vec((points.len() / dim, dim), points.iter().map(|&v| v as f64).collect())
            .expect("points must be whole rows")
    };
    let (index_points, query_points) = (to_array(labelled), to_array(queries));
    let index =
        CommonNearestNeighbour::KdTree.from_batch(&index_points, L2Dist).expect("non-empty points of positive width");
    query_points
        .rows()
        .into_iter()
        .map(|query| {
            let mut votes = vec![0usize; groups];
            for (_, i) in index.k_nearest(query, k).expect("same width") {
                votes[labels[i]] += 1;
            }
            votes.iter().enumerate().max_by_key(|&(g, &n)| (n, std::cmp::Reverse(g))).map_or(0, |(g, _)| g)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_medoid_is_the_grouping_most_like_the_others_whatever_the_group_names() {
        let odd_one = vec![0, 1, 0, 1, 0, 1, 0, 1];
        let common = vec![0, 0, 0, 0, 1, 1, 1, 1];
        let common_renamed = vec![1, 1, 1, 1, 0, 0, 0, 0];
        let near_common = vec![0, 0, 0, 1, 1, 1, 1, 1];
        let groupings = vec![odd_one, near_common.clone(), common.clone(), common_renamed];
        assert_eq!(
            groupings[medoid(&groupings)],
            common,
            "the first of the two that match each other and the near one"
        );
        assert_eq!(medoid(&[near_common]), 0, "one grouping is its own medoid");
    }

    /// Three well-apart blobs of 60 points in 5-D.
    fn blobs() -> Vec<f32> {
        let mut rng = Xoshiro256Plus::seed_from_u64(3);
        (0..180)
            .flat_map(|i| (0..5).map(move |j| if j == i / 60 { 10.0 } else { 0.0 }))
            .map(|v: f32| v + rng.gen_range(-1.0..1.0))
            .collect()
    }

    #[test]
    fn several_starts_on_several_threads_give_the_same_grouping_every_time() {
        let points = blobs();
        let groups = tsne_grouping(&points, 5, 3, 4, 11);
        assert_eq!(groups, tsne_grouping(&points, 5, 3, 4, 11), "same seed, same grouping");
        for blob in groups.chunks(60) {
            assert!(blob.iter().all(|&g| g == blob[0]), "each blob one group: {blob:?}");
        }
        let mut names: Vec<usize> = groups.chunks(60).map(|b| b[0]).collect();
        names.dedup();
        assert_eq!(names.len(), 3, "three groups");
    }
}
