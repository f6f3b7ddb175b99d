//! The two-step baseline of the seed articles: train a plain VAE (N(0, I) prior), then run
//! k-means on the latent means. Scored exactly like the one-step model.

use burn::tensor::Device;

use crate::clustering::kmeans;
use crate::data::Dataset;
use crate::inference::{ReadbackError, SILHOUETTE_SAMPLE, encode_dataset};
use crate::loss::Objective;
use crate::metrics::Scores;
use crate::model::{ClusterVae, ModelConfig};
use crate::recipe::{PriorInit, TrainingConfig};
use crate::training::{TrainError, train};

/// The training config of the baseline's VAE: the given architecture, `epochs` of the plain VAE
/// objective and nothing else (the digits as they are: the articles' plain VAE).
pub fn baseline_config(model: ModelConfig, epochs: usize, seed: u64) -> TrainingConfig {
    TrainingConfig::new(model)
        .with_pretrain_epochs(epochs)
        .with_pretrain_objective(Objective::Vae)
        .with_mixture_epochs(0)
        .with_prior_init(PriorInit::Random)
        .with_augment(None)
        .with_seed(seed)
}

/// k-means starts of the second step.
const KMEANS_RESTARTS: usize = 10;

/// The two-step clustering of a dataset: the VAE's latent means, each one's k-means group, and
/// the scores when the data has labels.
pub struct TwoStep {
    /// `[n, latent_dim]` row-major.
    pub means: Vec<f32>,
    pub latent_dim: usize,
    pub groups: Vec<usize>,
    pub scores: Option<Scores>,
}

/// Groups `data` by k-means (K = the model's components) on the VAE's latent means. `data` must
/// hold at least K images.
pub async fn two_step(vae: &ClusterVae, data: &Dataset, device: &Device, seed: u64) -> Result<TwoStep, ReadbackError> {
    let encoded = encode_dataset(vae, data, device).await?;
    let fit = kmeans(&encoded.means, encoded.latent_dim, vae.components(), KMEANS_RESTARTS, seed);
    let scores = data.labels().map(|labels| {
        let labels: Vec<usize> = labels.iter().map(|&l| l as usize).collect();
        Scores::compute(&fit.assignments, &labels, &encoded.means, encoded.latent_dim, SILHOUETTE_SAMPLE)
    });
    Ok(TwoStep { means: encoded.means, latent_dim: encoded.latent_dim, groups: fit.assignments, scores })
}

/// Clusters `data` in two steps and scores the result; `None` if `data` has no labels.
pub async fn score_two_step(
    vae: &ClusterVae,
    data: &Dataset,
    device: &Device,
    seed: u64,
) -> Result<Option<Scores>, ReadbackError> {
    if data.labels().is_none() {
        return Ok(None);
    }
    Ok(two_step(vae, data, device, seed).await?.scores)
}

/// Trains the baseline VAE on `train_set` and scores the two-step clustering of `test_set`.
pub async fn run_baseline(
    config: TrainingConfig,
    train_set: &Dataset,
    test_set: &Dataset,
    device: &Device,
    on_step: impl FnMut(&crate::training::StepReport),
) -> Result<(ClusterVae, Option<Scores>), TrainError> {
    let seed = config.seed;
    let vae = train(config, train_set, device, on_step).await?;
    let scores = score_two_step(&vae, test_set, device, seed).await?;
    Ok((vae, scores))
}
