//! A model on disk: its weights, the JSON summary beside them (scores, cluster majorities,
//! how it was trained), and the compact copy the page downloads first.

use std::path::Path;

use burn::tensor::Device;
use serde::{Deserialize, Serialize};

use mixvae::compact::{COMPACT_EXTENSION, compact};
use mixvae::data::Dataset;
use mixvae::inference::encode_dataset;
use mixvae::metrics::{Scores, majority_labels};
use mixvae::model::{ClusterVae, ModelConfig};
use mixvae::store::{from_safetensors_bytes, to_safetensors_bytes};
use mixvae::study::SeedRun;

use crate::args::CliResult;

/// What `train` and `export` write beside the weights.
#[derive(Serialize, Deserialize)]
pub struct ModelSummary {
    pub model: ModelConfig,
    pub training: Option<serde_json::Value>,
    pub test_scores: Option<Scores>,
    pub train_seconds: Option<f64>,
    pub images_per_second: Option<f64>,
    /// For each cluster: the digit it mostly holds in the test set and that digit's share.
    pub cluster_majority: Vec<Option<(usize, f64)>>,
}

pub fn write_model(path: &Path, model: &ClusterVae, summary: &ModelSummary) -> CliResult {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    let bytes = to_safetensors_bytes(model, &summary.model).map_err(|e| e.to_string())?;
    std::fs::write(path, bytes).map_err(|e| format!("{}: {e}", path.display()))?;
    let json_path = path.with_extension("json");
    let json = serde_json::to_string_pretty(summary).expect("summary serialises");
    std::fs::write(&json_path, json + "\n").map_err(|e| format!("{}: {e}", json_path.display()))
}

/// Beside the weights file `path`, its compact copy (8-bit weights) for the page's first download.
pub fn write_compact(path: &Path) -> CliResult {
    let full = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let compact_path = path.with_extension(COMPACT_EXTENSION);
    let bytes = compact(&full).map_err(|e| format!("{}: {e}", path.display()))?;
    std::fs::write(&compact_path, bytes).map_err(|e| format!("{}: {e}", compact_path.display()))
}

pub fn load_model(path: &Path, device: &Device) -> Result<(ClusterVae, ModelConfig), String> {
    let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    from_safetensors_bytes(&bytes, device).map_err(|e| format!("{}: {e}", path.display()))
}

/// The summary of `model`: its scores and cluster majorities on the test digits, and how it was
/// trained (`images` in `train_seconds`; 0 s: not timed).
pub fn summarise(
    model: &ClusterVae,
    model_config: ModelConfig,
    test_set: &Dataset,
    device: &Device,
    training: Option<serde_json::Value>,
    train_seconds: f64,
    images: usize,
) -> Result<ModelSummary, String> {
    let encoded = pollster::block_on(encode_dataset(model, test_set, device)).map_err(|e| e.to_string())?;
    let scores = encoded.scores(test_set);
    let labels: Vec<usize> = test_set.labels().unwrap_or_default().iter().map(|&l| l as usize).collect();
    let cluster_majority =
        if labels.is_empty() { Vec::new() } else { majority_labels(&encoded.clusters(), &labels, model.components()) };
    let timed = train_seconds > 0.0;
    Ok(ModelSummary {
        model: model_config,
        training,
        test_scores: scores,
        train_seconds: timed.then_some(train_seconds),
        images_per_second: timed.then(|| images as f64 / train_seconds),
        cluster_majority,
    })
}

/// Writes a study's model for one seed as `train` writes its model (`mixvae study --keep`).
pub fn keep_model(
    out: &Path,
    model: &ClusterVae,
    model_config: ModelConfig,
    test_set: &Dataset,
    device: &Device,
    training: serde_json::Value,
    run: &SeedRun,
) -> CliResult {
    if let Some(dir) = out.parent() {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    let summary = ModelSummary {
        train_seconds: Some(run.train_seconds),
        images_per_second: None,
        ..summarise(model, model_config, test_set, device, Some(training), 0.0, 0)?
    };
    write_model(out, model, &summary)
}
