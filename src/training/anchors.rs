//! The mixture placed on the pretrained codes, and each training digit's anchor: its group
//! from that placement, or (self-training) the model's own cluster for it.

use burn::module::Module;
use burn::optim::AdamConfig;
use burn::tensor::{Device, Tensor, TensorData};

use super::{TrainError, Trainer};
use crate::clustering::{cluster_variances, group_means, kmeans, knn_vote, on_one_thread, tsne_grouping};
use crate::data::Dataset;
use crate::inference::{encode_dataset, encode_range};
use crate::loss::Objective;
use crate::merging::tsne_merged_grouping;
use crate::recipe::PriorInit;

impl Trainer {
    /// Groups the latent means of a sample of the training data (see [`PriorInit`]), sets each
    /// component's mean and variance to its group's, gives every training digit the group of its
    /// nearest sampled neighbours (the anchor stage's pseudo-labels), and restarts Adam.
    pub(super) async fn initialise_prior(&mut self, data: &Dataset) -> Result<(), TrainError> {
        let inner = self.device.clone().inner();
        let all = encode_dataset(&self.model.valid(), data, &inner).await?;
        let (k, d) = (self.model.components(), self.model.latent_dim());
        // The first `init_sample` digits are grouped: batches are shuffled, the data is not.
        let sample = &all.means[..self.config.init_sample.min(data.len()) * d];
        let seed = self.config.seed;
        let assignments = match self.config.prior_init {
            PriorInit::Random => return Ok(()),
            PriorInit::KMeans => on_one_thread(|| kmeans(sample, d, k, 5, seed).assignments),
            PriorInit::TsneKMeans => tsne_grouping(sample, d, k, self.config.grouping_starts, seed),
            PriorInit::TsneMerged => tsne_merged_grouping(sample, d, k, self.config.grouping_starts, seed),
        };
        if self.config.anchored_epochs() > 0 {
            self.anchors = Some(knn_vote(sample, &assignments, &all.means, d, 10, k));
        }
        let centroids = group_means(sample, d, &assignments, k);
        let variances = cluster_variances(sample, d, &centroids, &assignments, 1e-3);
        let logvars: Vec<f32> = variances.iter().map(|v| v.ln()).collect();
        let means = Tensor::from_data(TensorData::new(centroids, [k, d]), &self.device);
        let logvars = Tensor::from_data(TensorData::new(logvars, [k, d]), &self.device);
        self.model = self.model.clone().with_prior(means, logvars);
        self.optimizer = AdamConfig::new().init();
        Ok(())
    }

    /// Self-training relabels the training digits at most `digits` at a time: the call that
    /// starts a self-training epoch encodes that many and returns (an interrupted report with no
    /// step), and so do the calls after it until all are encoded; then the epoch trains. The page
    /// sets it so that its worker answers drawings between slices (encoding 60,000 digits at once
    /// held it 4 to 7 s); the numbers are the same as relabelling in one go.
    pub fn relabel_in_slices(&mut self, digits: usize) {
        self.relabel_slice = Some(digits.max(1));
    }

    /// Self-training: every training digit's anchor becomes the model's own cluster for it (of
    /// its undistorted image), encoded in slices where [`Trainer::relabel_in_slices`] asks for
    /// them; false while digits are left to encode. Adam restarts as the stage begins, its
    /// targets having changed.
    pub(super) async fn refresh_anchors(&mut self, data: &Dataset) -> Result<bool, TrainError> {
        let inner = self.device.clone().inner();
        let mut clusters = self.relabelled.take().unwrap_or_default(); // the slices done before
        let end = self.relabel_slice.map_or(data.len(), |slice| (clusters.len() + slice).min(data.len()));
        clusters.extend(encode_range(&self.model.valid(), data, clusters.len()..end, &inner).await?.clusters());
        if clusters.len() < data.len() {
            self.relabelled = Some(clusters);
            return Ok(false);
        }
        self.anchors = Some(clusters);
        if self.epoch == self.self_training_start() {
            self.optimizer = AdamConfig::new().init();
        }
        Ok(true)
    }

    /// The anchor stage's one-hot targets for `batch` (`None` in other stages).
    pub(super) fn anchor_targets(&self, objective: &Objective, batch: &[usize]) -> Option<Tensor<2>> {
        match (objective, &self.anchors) {
            (Objective::Anchored { .. }, Some(groups)) => {
                Some(one_hot(batch.iter().map(|&i| groups[i]), self.model.components(), &self.device))
            }
            _ => None,
        }
    }
}

/// `[n, k]` rows with a 1 at each given index.
fn one_hot(indices: impl ExactSizeIterator<Item = usize>, k: usize, device: &Device) -> Tensor<2> {
    let n = indices.len();
    let mut values = vec![0.0f32; n * k];
    for (row, index) in indices.enumerate() {
        values[row * k + index] = 1.0;
    }
    Tensor::from_data(TensorData::new(values, [n, k]), device)
}
