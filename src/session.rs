//! What the page works with, platform-free: the model in use, the datasets it was given, the
//! latent map, and a training run that advances in short chunks (so the worker stays responsive
//! between them). The wasm-bindgen surface (`web`) only converts values; everything here runs
//! natively too, where the tests drive it.

use std::ops::ControlFlow;

use burn::tensor::{Device, Tensor, TensorData};
use serde::{Deserialize, Serialize};

use crate::baseline::two_step;
use crate::bench::{self, Throughput};
use crate::data::{DataError, Dataset, IMAGE_PIXELS};
use crate::drawing::{DrawingError, to_model_input};
use crate::generation::{prototypes, sample_grid};
use crate::inference::{EncodedSet, ReadbackError, argmax, encode_dataset, read_f32};
use crate::metrics::{Scores, majority_labels};
use crate::model::{ClusterVae, ConfigError, ModelConfig};
use crate::projection::{LatentMap, ProjectionError, grid_positions};
use crate::recipe::{PriorInit, TrainSettings};
use crate::store::{StoreError, copy_to_host, from_safetensors_bytes, to_safetensors_bytes};
use crate::training::{EpochReport, READBACK_WINDOW, StepProfile, StepReport, TrainError, Trainer};

#[cfg(target_arch = "wasm32")]
use tsify::Tsify;

/// The seed of the baseline's k-means on the page (its groups are the same on every visit).
const BASELINE_KMEANS_SEED: u64 = 1;

/// Training digits self-training relabels per chunk: one encoding batch, about 0.1 s in the
/// page's CPU worker, as long as a chunk of training steps (the worker's CHUNK_MS, 120 ms). All
/// 60,000 at once held drawings back about 6 s there; 5,000 a chunk still kept a drawing waiting
/// 2 s, since answering it takes several calls, each queued behind a chunk. See
/// [`Trainer::relabel_in_slices`].
pub const RELABEL_SLICE: usize = 1_000;

/// For each cluster, the digit it mostly holds in the labelled test set and that digit's share.
pub type Majority = Vec<Option<(usize, f64)>>;

#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    #[error(transparent)]
    Drawing(#[from] DrawingError),
    #[error(transparent)]
    Data(#[from] DataError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Train(#[from] TrainError),
    #[error(transparent)]
    Readback(#[from] ReadbackError),
    #[error(transparent)]
    Projection(#[from] ProjectionError),
    #[error("the test digits are not loaded yet")]
    NoTestSet,
    #[error("no training data is loaded")]
    NoTrainSet,
    #[error("no training run is under way: start one first")]
    NotTraining,
    #[error("{0}")]
    Invalid(String),
}

/// The model in use, as the page describes it.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(Tsify))]
pub struct ModelInfo {
    pub config: ModelConfig,
    /// Where the weights came from: "shipped", "trained", a file name...
    pub source: String,
    /// Scores on the test digits, when known.
    pub scores: Option<Scores>,
    /// `[K]`: the digit each cluster mostly holds and its share, when known.
    pub majority: Majority,
}

/// One drawing, as the model sees it and what it makes of it.
/// Crosses to the page as typed arrays (`web`), not through tsify.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Classification {
    /// The 28x28 input made from the drawing, values in [0, 1].
    pub input: Vec<f32>,
    /// q(z|x): mean and log-variance.
    pub mean: Vec<f32>,
    pub logvar: Vec<f32>,
    /// p(y | z = mean), one per component; sums to 1.
    pub probabilities: Vec<f32>,
    /// The most probable component.
    pub cluster: usize,
    /// The decoded mean: 784 values in [0, 1].
    pub reconstruction: Vec<f32>,
    /// Where the drawing lands on the latent map, once the map exists.
    pub map_position: Option<[f32; 2]>,
}

/// Images as the model encodes them, `n` of them, row-major.
/// Crosses to the page as typed arrays (`web`), not through tsify.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Encoding {
    /// `[n, d]`: means of q(z|x).
    pub means: Vec<f32>,
    /// `[n, d]`: log-variances of q(z|x).
    pub logvars: Vec<f32>,
    /// `[n, K]`: p(y | z = mean).
    pub probabilities: Vec<f32>,
    /// `[n]`: the most probable component of each.
    pub clusters: Vec<u32>,
}

/// The test digits on the latent map.
/// Crosses to the page as typed arrays (`web`), not through tsify.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct MapView {
    /// `[n, 2]` row-major: each test digit's position.
    pub positions: Vec<f32>,
    /// Each digit's cluster.
    pub clusters: Vec<u32>,
    /// Each digit's true label, when the set has labels.
    pub labels: Option<Vec<u8>>,
    /// Share of the codes' variance the two axes show.
    pub explained: [f32; 2],
    /// The box the "walk the map" grid spans: [x0, x1, y0, y1] (2nd to 98th percentiles).
    pub extent: [f32; 4],
    /// `[n, latent_dim]`: each digit's code (the mean of q(z|x)), for views other than PCA.
    pub codes: Vec<f32>,
    pub latent_dim: usize,
}

impl MapView {
    /// `codes` (`[n, latent_dim]`) on `map`'s plane, each with its cluster (or group) and label.
    fn on(
        map: &LatentMap,
        codes: Vec<f32>,
        latent_dim: usize,
        clusters: &[usize],
        labels: Option<Vec<u8>>,
    ) -> Result<Self, ProjectionError> {
        let positions = map.project(&codes)?;
        Ok(Self {
            explained: map.explained_variance_ratio(&codes)?,
            extent: map_extent(&positions),
            positions,
            clusters: clusters.iter().map(|&c| c as u32).collect(),
            labels,
            codes,
            latent_dim,
        })
    }
}

/// Where a training run stands: what a reload needs to resume it (with the weights, and the
/// digits' groups from [`Session::train_anchors`]).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(Tsify))]
pub struct TrainProgress {
    pub settings: TrainSettings,
    pub epochs_done: usize,
    /// Steps done of the epoch under way.
    pub steps_done: usize,
    pub total_epochs: usize,
}

/// What a chunk of training did.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(Tsify))]
pub struct ChunkReport {
    /// Every step run in this chunk.
    pub steps: Vec<StepReport>,
    /// The epoch that ended in this chunk, if one did, with the test scores after it.
    pub epoch: Option<EpochSummary>,
    /// The run has done all its epochs.
    pub finished: bool,
    /// The next chunk starts by initialising the mixture from the codes (a slow step).
    pub initialising_next: bool,
    /// This chunk relabelled training digits for self-training (and trained no step); more
    /// chunks follow until all are relabelled.
    pub relabelling: bool,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(Tsify))]
pub struct EpochSummary {
    pub report: EpochReport,
    pub scores: Option<Scores>,
}

pub struct Session {
    device: Device,
    model: ClusterVae,
    info: ModelInfo,
    test: Option<Dataset>,
    train: Option<Dataset>,
    /// Codes of the test digits under the current model, and the map fitted to them.
    encoded_test: Option<(EncodedSet, LatentMap)>,
    /// The plane fitted last (for a map or for the scores), and its walk's extent. Training
    /// forgets `encoded_test` after every chunk, but walks and drawings' positions stay on the map
    /// on show until the next is fitted (encoding the test digits again for each walk took the
    /// page's worker about 0.7 s, beside the map's own 0.6 s, every few seconds of training).
    plane: Option<(LatentMap, [f32; 4])>,
    trainer: Option<Trainer>,
    /// The settings the run in `trainer` started from.
    train_settings: Option<TrainSettings>,
}

impl Session {
    /// A session on `device` with the model in `weights` (checked; see [`crate::store`]).
    pub fn new(
        device: Device,
        weights: &[u8],
        source: &str,
        scores: Option<Scores>,
        majority: Majority,
    ) -> Result<Self, SessionError> {
        let (model, config) = from_safetensors_bytes(weights, &device)?;
        let majority = if majority.len() == config.components { majority } else { vec![None; config.components] };
        let info = ModelInfo { config, source: source.into(), scores, majority };
        Ok(Self {
            device,
            model,
            info,
            test: None,
            train: None,
            encoded_test: None,
            plane: None,
            trainer: None,
            train_settings: None,
        })
    }

    pub fn info(&self) -> &ModelInfo {
        &self.info
    }

    pub fn model(&self) -> &ClusterVae {
        &self.model
    }

    /// Replaces the model with the one in `weights`, only if the file passes every check; a
    /// training run under way is abandoned. Scores are recomputed when test digits are loaded.
    pub async fn load_weights(&mut self, weights: &[u8], source: &str) -> Result<&ModelInfo, SessionError> {
        let (model, config) = from_safetensors_bytes(weights, &self.device)?;
        self.trainer = None;
        self.set_model(model, config, source);
        self.rescore().await?;
        Ok(&self.info)
    }

    fn set_model(&mut self, model: ClusterVae, config: ModelConfig, source: &str) {
        self.model = model;
        self.info = ModelInfo { majority: vec![None; config.components], config, source: source.into(), scores: None };
        self.encoded_test = None;
        self.plane = None;
    }

    /// The weights in use as a SafeTensors file.
    pub async fn export_weights(&self) -> Result<Vec<u8>, SessionError> {
        let host = copy_to_host(&self.model, &Device::flex()).await?;
        Ok(to_safetensors_bytes(&host, &self.info.config)?)
    }

    /// Encodes images (`[n, 784]` row-major, values in [0, 1]).
    pub async fn encode(&self, images: &[f32]) -> Result<Encoding, SessionError> {
        if images.is_empty() || !images.len().is_multiple_of(IMAGE_PIXELS) {
            return Err(SessionError::Invalid(format!(
                "{} values are not whole images of {IMAGE_PIXELS} pixels",
                images.len()
            )));
        }
        if images.iter().any(|v| !(0.0..=1.0).contains(v)) {
            return Err(SessionError::Invalid("pixel values must be in [0, 1]".into()));
        }
        let n = images.len() / IMAGE_PIXELS;
        let batch = Tensor::<2>::from_data(TensorData::new(images.to_vec(), [n, IMAGE_PIXELS]), &self.device);
        let [means, logvars, probabilities, _] = self.encode_rows(batch, false).await?;
        let clusters = probabilities.chunks_exact(self.model.components()).map(|p| argmax(p) as u32).collect();
        Ok(Encoding { means, logvars, probabilities, clusters })
    }

    /// Latent means, log-variances, cluster probabilities and (if `reconstruct`) the means
    /// decoded, each `[n, width]` row-major. One read-back for all four: on WebGPU every
    /// read-back is a round trip to the GPU.
    async fn encode_rows(&self, batch: Tensor<2>, reconstruct: bool) -> Result<[Vec<f32>; 4], SessionError> {
        let posterior = self.model.encode(batch);
        let probabilities = self.model.responsibilities(posterior.mean.clone());
        let mut parts = vec![posterior.mean.clone(), posterior.logvar, probabilities];
        if reconstruct {
            parts.push(self.model.decode(posterior.mean));
        }
        let widths: Vec<usize> = parts.iter().map(|t| t.dims()[1]).collect();
        let rows = read_f32(Tensor::cat(parts, 1)).await?;
        let mut columns: [Vec<f32>; 4] = Default::default();
        for row in rows.chunks_exact(widths.iter().sum()) {
            let mut start = 0;
            for (column, &width) in columns.iter_mut().zip(&widths) {
                column.extend_from_slice(&row[start..start + width]);
                start += width;
            }
        }
        Ok(columns)
    }

    /// Decodes latent codes (`[n, d]` row-major) to images, `[n, 784]`.
    pub async fn decode(&self, codes: &[f32]) -> Result<Vec<f32>, SessionError> {
        let d = self.model.latent_dim();
        if codes.is_empty() || !codes.len().is_multiple_of(d) {
            return Err(SessionError::Invalid(format!("{} values are not whole codes of width {d}", codes.len())));
        }
        if codes.iter().any(|v| !v.is_finite()) {
            return Err(SessionError::Invalid("a latent code is not finite".into()));
        }
        let latents = Tensor::<2>::from_data(TensorData::new(codes.to_vec(), [codes.len() / d, d]), &self.device);
        Ok(read_f32(self.model.decode(latents)).await?)
    }

    /// Encodes a drawing (`ink`: `width * height` values, 0 = blank).
    pub async fn classify(&self, ink: &[u8], width: u32, height: u32) -> Result<Classification, SessionError> {
        let input = to_model_input(ink, width, height)?;
        let images = Tensor::<2>::from_data(TensorData::new(input.clone(), [1, IMAGE_PIXELS]), &self.device);
        let [mean, logvar, probabilities, reconstruction] = self.encode_rows(images, true).await?;
        let cluster = argmax(&probabilities);
        let map_position = match &self.plane {
            Some((map, _)) => map.project(&mean)?.try_into().ok(),
            None => None,
        };
        Ok(Classification { input, mean, logvar, probabilities, cluster, reconstruction, map_position })
    }

    /// `per_component` samples of each component decoded, `[K * per_component, 784]`.
    pub async fn generate(&self, per_component: usize, seed: u64, same_style: bool) -> Result<Vec<f32>, SessionError> {
        if per_component > 64 {
            return Err(SessionError::Invalid(format!("{per_component} samples per component is more than 64")));
        }
        Ok(sample_grid(&self.model, per_component, seed, same_style, &self.device).await?)
    }

    /// Each component's mean decoded, `[K, 784]`.
    pub async fn prototypes(&self) -> Result<Vec<f32>, SessionError> {
        Ok(prototypes(&self.model).await?)
    }

    /// Sets the digits the map and the scores use; scores and majorities follow if it has labels.
    pub async fn set_test_set(&mut self, data: Dataset) -> Result<(), SessionError> {
        if data.len() < 2 {
            return Err(SessionError::Invalid("the test set needs at least 2 images".into()));
        }
        self.test = Some(data);
        self.encoded_test = None;
        self.plane = None;
        self.rescore().await
    }

    pub fn test_set(&self) -> Option<&Dataset> {
        self.test.as_ref()
    }

    /// Sets the digits training uses (a run under way is abandoned).
    pub fn set_train_set(&mut self, data: Dataset) -> Result<(), SessionError> {
        if data.is_empty() {
            return Err(SessionError::NoTrainSet);
        }
        self.trainer = None;
        self.train = Some(data);
        Ok(())
    }

    pub fn has_train_set(&self) -> bool {
        self.train.is_some()
    }

    /// Encodes the test set under the current model (once per model) and fits the map.
    async fn encoded_test(&mut self) -> Result<&(EncodedSet, LatentMap), SessionError> {
        if self.encoded_test.is_none() {
            let data = self.test.as_ref().ok_or(SessionError::NoTestSet)?;
            let encoded = encode_dataset(&self.model, data, &self.device).await?;
            let map = LatentMap::fit(&encoded.means, encoded.latent_dim)?;
            self.plane = Some((map.clone(), map_extent(&map.project(&encoded.means)?)));
            self.encoded_test = Some((encoded, map));
        }
        Ok(self.encoded_test.as_ref().expect("filled above"))
    }

    /// Recomputes scores and cluster majorities on the test set, if it is loaded with labels.
    async fn rescore(&mut self) -> Result<(), SessionError> {
        let k = self.info.config.components;
        if self.test.as_ref().and_then(Dataset::labels).is_none() {
            // Without labels there is nothing to score against: no stale scores from other data.
            self.info.scores = None;
            self.info.majority = vec![None; k];
            return Ok(());
        }
        self.encoded_test().await?;
        let (encoded, _) = self.encoded_test.as_ref().expect("encoded above");
        let clusters = encoded.clusters();
        let data = self.test.as_ref().expect("checked above");
        let labels: Vec<usize> = data.labels().expect("checked above").iter().map(|&l| l as usize).collect();
        let scores = encoded.scores(data);
        self.info.majority = majority_labels(&clusters, &labels, k);
        self.info.scores = scores;
        Ok(())
    }

    /// The test digits on the latent map.
    pub async fn latent_map(&mut self) -> Result<MapView, SessionError> {
        let labels = self.test.as_ref().and_then(Dataset::labels).map(<[u8]>::to_vec);
        let (encoded, map) = self.encoded_test().await?;
        let clusters = encoded.clusters();
        Ok(MapView::on(map, encoded.means.clone(), encoded.latent_dim, &clusters, labels)?)
    }

    /// The two-step baseline on the test digits: the plain VAE in `weights` (checked like any
    /// weights file; `mixvae baseline --out` writes one) encodes them, k-means groups its codes.
    /// Its map (PCA of those codes), and its scores when the digits have labels.
    pub async fn baseline_map(&mut self, weights: &[u8]) -> Result<(MapView, Option<Scores>), SessionError> {
        let data = self.test.as_ref().ok_or(SessionError::NoTestSet)?;
        let (vae, config) = from_safetensors_bytes(weights, &self.device)?;
        if data.len() < config.components {
            let (n, k) = (data.len(), config.components);
            return Err(SessionError::Invalid(format!("{n} digits are too few for the baseline's K = {k} groups")));
        }
        let fit = two_step(&vae, data, &self.device, BASELINE_KMEANS_SEED).await?;
        let map = LatentMap::fit(&fit.means, fit.latent_dim)?;
        let labels = data.labels().map(<[u8]>::to_vec);
        Ok((MapView::on(&map, fit.means, fit.latent_dim, &fit.groups, labels)?, fit.scores))
    }

    /// Decodes a `rows x cols` grid over the extent of the map last fitted (see `plane`):
    /// `[rows * cols, 784]`, row by row from the top.
    pub async fn walk_map(&mut self, rows: usize, cols: usize) -> Result<Vec<f32>, SessionError> {
        if rows == 0 || cols == 0 || rows * cols > 1024 {
            return Err(SessionError::Invalid(format!("a {rows} x {cols} grid is not between 1 and 1024 cells")));
        }
        if self.plane.is_none() {
            self.encoded_test().await?;
        }
        let (map, [x0, x1, y0, y1]) = self.plane.as_ref().expect("fitted above");
        let codes = map.unproject(&grid_positions(rows, cols, (*x0, *x1), (*y0, *y1)))?;
        let d = self.model.latent_dim();
        let latents = Tensor::<2>::from_data(TensorData::new(codes, [rows * cols, d]), &self.device);
        Ok(read_f32(self.model.decode(latents)).await?)
    }

    /// Starts a training run from scratch on the loaded training data; the model in use becomes
    /// the one being trained.
    pub fn train_begin(&mut self, settings: &TrainSettings) -> Result<&ModelInfo, SessionError> {
        let config = settings.to_config()?;
        let data = self.train.as_ref().ok_or(SessionError::NoTrainSet)?;
        let mut trainer = Trainer::new(config.clone(), data.len(), &self.device)?;
        trainer.relabel_in_slices(RELABEL_SLICE);
        self.set_model(trainer.model(), config.model, "training");
        self.trainer = Some(trainer);
        self.train_settings = Some(settings.clone());
        Ok(&self.info)
    }

    /// Resumes a saved run (see [`TrainProgress`]) from the model in use, which must be the one
    /// saved with it. `anchors` are the training digits' groups, needed from the anchor stage on.
    pub async fn train_resume(
        &mut self,
        progress: &TrainProgress,
        anchors: Option<Vec<u32>>,
        optimizer: Option<Vec<u8>>,
    ) -> Result<&ModelInfo, SessionError> {
        let config = progress.settings.to_config()?;
        let data = self.train.as_ref().ok_or(SessionError::NoTrainSet)?;
        let weights = self.export_weights().await?;
        let anchors = anchors.map(|groups| groups.into_iter().map(|g| g as usize).collect());
        let mut trainer = Trainer::resume(
            config,
            data.len(),
            &self.device,
            &weights,
            progress.epochs_done,
            progress.steps_done,
            anchors,
            optimizer.as_deref(),
        )?;
        trainer.relabel_in_slices(RELABEL_SLICE);
        self.trainer = Some(trainer);
        self.train_settings = Some(progress.settings.clone());
        self.info.source = "training".into();
        Ok(&self.info)
    }

    /// Where the run stands, if one was started in this session.
    pub fn train_progress(&self) -> Option<TrainProgress> {
        let (trainer, settings) = (self.trainer.as_ref()?, self.train_settings.as_ref()?);
        Some(TrainProgress {
            settings: settings.clone(),
            epochs_done: trainer.epochs_done(),
            steps_done: trainer.steps_done_in_epoch(),
            total_epochs: trainer.config().total_epochs(),
        })
    }

    /// Adam's state of the run (see [`Trainer::optimizer_state`]); `None` without a run, and on
    /// WebGPU, whose state cannot be read synchronously. Native only in practice: the wasm build
    /// cannot load it back (burn puts a loaded optimizer state on the default device, WebGPU).
    pub fn train_optimizer_state(&self) -> Result<Option<Vec<u8>>, SessionError> {
        match &self.trainer {
            Some(trainer) if self.device == Device::flex() => Ok(Some(trainer.optimizer_state()?)),
            _ => Ok(None),
        }
    }

    /// The training digits' groups of the run, once the mixture has been initialised.
    pub fn train_anchors(&self) -> Option<Vec<u32>> {
        Some(self.trainer.as_ref()?.anchors()?.iter().map(|&g| g as u32).collect())
    }

    pub fn is_training(&self) -> bool {
        self.trainer.as_ref().is_some_and(|t| !t.is_finished())
    }

    /// Runs training steps until `should_stop` says so after a step (checked after each one) or
    /// an epoch ends. After an epoch the test set, if loaded, is scored.
    pub async fn train_chunk(&mut self, mut should_stop: impl FnMut() -> bool) -> Result<ChunkReport, SessionError> {
        let trainer = self.trainer.as_mut().filter(|t| !t.is_finished()).ok_or(SessionError::NotTraining)?;
        let data = self.train.as_ref().ok_or(SessionError::NoTrainSet)?;
        let mut steps = Vec::new();
        let result = trainer
            .train_epoch(data, |step| {
                steps.push(step.clone());
                if should_stop() { ControlFlow::Break(()) } else { ControlFlow::Continue(()) }
            })
            .await;
        let model = trainer.model();
        let finished = trainer.is_finished();
        let relabelling = trainer.relabelling();
        let config = trainer.config().clone();
        let initialising_next = !finished
            && trainer.epochs_done() == config.pretrain_epochs
            && config.pretrain_epochs > 0
            && config.prior_init != PriorInit::Random
            && result.as_ref().is_ok_and(|r| !r.interrupted);
        // The model in use follows training, also after a failure (the trainer restored it).
        self.model = model;
        self.encoded_test = None;
        self.info.source = if finished { "trained in this browser".into() } else { "training".into() };
        let report = result?;
        let epoch = if report.interrupted {
            None
        } else {
            self.rescore().await.or_else(|e| if matches!(e, SessionError::NoTestSet) { Ok(()) } else { Err(e) })?;
            Some(EpochSummary { report, scores: self.info.scores.clone() })
        };
        Ok(ChunkReport { steps, epoch, finished, initialising_next, relabelling })
    }

    /// Training throughput on the training set at `batch_size` (see [`bench::training_throughput`]).
    pub async fn bench_training(
        &self,
        batch_size: usize,
        warmup: usize,
        runs: usize,
        seconds_per_run: f64,
    ) -> Result<Throughput, SessionError> {
        let data = self.train.as_ref().ok_or(SessionError::NoTrainSet)?;
        Ok(bench::training_throughput(&self.device, data, batch_size, warmup, runs, seconds_per_run, READBACK_WINDOW)
            .await?)
    }

    /// Training speed on this session's device in images per second (see
    /// [`bench::quick_training_speed`]), on the training digits if loaded, else on made-up ones:
    /// the page measures each backend with this before it chooses one.
    pub async fn measure_training_speed(&self, batch_size: usize, steps: usize) -> Result<f64, SessionError> {
        let pattern;
        let data = match &self.train {
            Some(train) => train,
            None => {
                pattern = Dataset::pattern(batch_size * steps.max(1));
                &pattern
            }
        };
        Ok(bench::quick_training_speed(&self.device, data, batch_size, steps).await?)
    }

    /// Steps at `batch_size` on a fresh model, as the page trains (see
    /// [`bench::fixed_training_steps`]): the steps taken and their seconds.
    pub async fn fixed_training_steps(&self, batch_size: usize, steps: usize) -> Result<(usize, f64), SessionError> {
        let data = self.train.as_ref().ok_or(SessionError::NoTrainSet)?;
        Ok(bench::fixed_training_steps(&self.device, data, batch_size, steps).await?)
    }

    /// Where a training step's time goes on this session's device (see [`Trainer::profile_steps`]).
    pub async fn profile_training_step(
        &self,
        batch_size: usize,
        warmup: usize,
        steps: usize,
    ) -> Result<StepProfile, SessionError> {
        let data = self.train.as_ref().ok_or(SessionError::NoTrainSet)?;
        Ok(bench::profile_training_step(&self.device, data, batch_size, warmup, steps).await?)
    }

    /// Ends the run; the model as trained so far stays in use.
    pub fn train_stop(&mut self) {
        self.trainer = None;
        self.train_settings = None;
    }
}

/// [x0, x1, y0, y1]: the 2nd and 98th percentiles of each axis (outliers would waste the grid).
fn map_extent(positions: &[f32]) -> [f32; 4] {
    let percentiles = |axis: usize| {
        let mut values: Vec<f32> = positions.iter().skip(axis).step_by(2).copied().collect();
        values.sort_by(f32::total_cmp);
        let at = |q: f32| values[((values.len() - 1) as f32 * q).round() as usize];
        (at(0.02), at(0.98))
    };
    let ((x0, x1), (y0, y1)) = (percentiles(0), percentiles(1));
    [x0, x1, y0, y1]
}
