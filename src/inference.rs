//! Whole-dataset inference: latent means and cluster posteriors, read back asynchronously
//! (the only kind of read-back WebGPU allows), and the scores of a model on labelled data.

use burn::tensor::{Device, Tensor, TensorData};

use crate::data::Dataset;
use crate::metrics::Scores;
use crate::model::ClusterVae;

/// Images per forward pass when encoding a whole set.
const ENCODE_BATCH: usize = 1000;
/// Points used for the (quadratic) silhouette score.
pub const SILHOUETTE_SAMPLE: usize = 2000;

/// Error of a read-back from the device.
#[derive(Debug, thiserror::Error)]
#[error("reading results back from the device failed: {0}")]
pub struct ReadbackError(pub String);

/// Copies a float tensor to the host without blocking (works on every backend).
pub async fn read_f32<const D: usize>(tensor: Tensor<D>) -> Result<Vec<f32>, ReadbackError> {
    let data: TensorData = tensor.into_data_async().await.map_err(|e| ReadbackError(format!("{e:?}")))?;
    data.try_to_vec::<f32>().map_err(|e| ReadbackError(format!("{e:?}")))
}

/// Every image's latent mean and cluster posterior.
#[derive(Clone, Debug)]
pub struct EncodedSet {
    pub latent_dim: usize,
    pub components: usize,
    /// `[n, latent_dim]` row-major.
    pub means: Vec<f32>,
    /// p(y | z = mean), `[n, K]` row-major.
    pub probabilities: Vec<f32>,
}

impl EncodedSet {
    pub fn len(&self) -> usize {
        self.means.len() / self.latent_dim
    }

    pub fn is_empty(&self) -> bool {
        self.means.is_empty()
    }

    /// Scores of the clusters against `data`'s labels (the data these codes came from); `None`
    /// without labels.
    pub fn scores(&self, data: &Dataset) -> Option<Scores> {
        let labels: Vec<usize> = data.labels()?.iter().map(|&l| l as usize).collect();
        Some(Scores::compute(&self.clusters(), &labels, &self.means, self.latent_dim, SILHOUETTE_SAMPLE))
    }

    /// The most probable component of each image.
    pub fn clusters(&self) -> Vec<usize> {
        self.probabilities.chunks_exact(self.components).map(argmax).collect()
    }
}

/// Index of the largest value (the first one on ties; 0 for an empty slice).
pub fn argmax(values: &[f32]) -> usize {
    values.iter().enumerate().fold((0, f32::NEG_INFINITY), |best, (i, &v)| if v > best.1 { (i, v) } else { best }).0
}

/// Encodes all of `data` on `device`.
pub async fn encode_dataset(model: &ClusterVae, data: &Dataset, device: &Device) -> Result<EncodedSet, ReadbackError> {
    encode_range(model, data, 0..data.len(), device).await
}

/// [`encode_dataset`] for the digits of `range` only (self-training relabels the training set a
/// slice at a time in the page).
pub async fn encode_range(
    model: &ClusterVae,
    data: &Dataset,
    range: std::ops::Range<usize>,
    device: &Device,
) -> Result<EncodedSet, ReadbackError> {
    let indices: Vec<usize> = range.collect();
    let mut means = Vec::with_capacity(indices.len() * model.latent_dim());
    let mut probabilities = Vec::with_capacity(indices.len() * model.components());
    for chunk in indices.chunks(ENCODE_BATCH) {
        let posterior = model.encode(data.batch(chunk, device));
        let responsibilities = model.responsibilities(posterior.mean.clone());
        means.extend(read_f32(posterior.mean).await?);
        probabilities.extend(read_f32(responsibilities).await?);
    }
    Ok(EncodedSet { latent_dim: model.latent_dim(), components: model.components(), means, probabilities })
}

/// Scores the model's one-step clustering of labelled `data`. `None` if `data` has no labels.
pub async fn evaluate(model: &ClusterVae, data: &Dataset, device: &Device) -> Result<Option<Scores>, ReadbackError> {
    if data.labels().is_none() {
        return Ok(None);
    }
    let encoded = encode_dataset(model, data, device).await?;
    Ok(encoded.scores(data))
}
