//! The training loop, one code path for every backend: async, seeded, shuffled minibatches,
//! Adam, each step's loss terms read back (asynchronously) in windows of a few steps, so that a
//! GPU is not left idle waiting for the host after every step.
//!
//! The recipe against over-regularisation (the KL terms winning early and collapsing every
//! component onto one place) extends VaDE's, in four stages:
//! 1. `pretrain_epochs` of a deterministic autoencoder;
//! 2. the prior is initialised from the encoded training data: groups found on a t-SNE map of
//!    the codes ([`PriorInit`]) give each component its mean and per-dimension variance, and
//!    every training digit its group;
//! 3. `anchor_epochs` of the ELBO with each digit's component held at its group
//!    ([`Objective::Anchored`]);
//!    Then optionally `self_training_epochs` more, each digit held at the model's own cluster
//!    for it, made afresh before every epoch;
//! 4. `epochs` of the full negative ELBO, the model's own posterior deciding (optionally after a
//!    KL warm-up). The shipped recipe has none: the test accuracy drifted down through it.

use std::ops::ControlFlow;

use burn::module::{Module, ModuleMapper, ModuleVisitor, Param, ParamId};
use burn::optim::{AdamConfig, GradientsParams, ModuleOptimizer};
use burn::tensor::{Bytes, Device, Tensor, TensorData};
use serde::{Deserialize, Serialize};
use web_time::Instant;

use crate::clustering::{cluster_variances, group_means, kmeans, knn_vote, on_one_thread, tsne_grouping};
use crate::data::{BatchOrder, Dataset};
use crate::inference::{ReadbackError, encode_dataset, encode_range, read_f32};
use crate::loss::{LossTerms, Objective};
use crate::model::{ClusterVae, ConfigError};
use crate::recipe::{PriorInit, TrainingConfig};
use crate::store::from_safetensors_bytes;

/// Steps whose loss terms are read back in one transfer on a GPU. A read-back waits for the
/// device to finish everything queued, so reading after every step leaves a GPU idle while the
/// host reads and queues the next step; a window of steps keeps it busy (on an H200 at batch
/// 1024: 108,972 images/s reading every step, 141,778 every 8; docs/performance.md, "On a GPU"). On the CPU
/// backend (flex) a read costs nothing, and the window is 1 step, which keeps `on_step`'s stops
/// exact (the page's training chunks). The terms still reach `on_step` one by one, and a
/// non-finite one still restores the weights (and Adam's state) from the start of the epoch.
pub const READBACK_WINDOW: usize = 8;

/// The stage an epoch belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
pub enum Stage {
    Pretrain,
    Anchor,
    /// Anchored to the model's own clusters (`TrainingConfig::self_training_epochs`).
    #[serde(rename = "Self-training")]
    SelfTraining,
    Mixture,
}

/// Batch means of the loss terms of one step, read back to the host.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
pub struct TermValues {
    pub total: f32,
    pub reconstruction: f32,
    pub kl_z: f32,
    pub kl_y: f32,
    pub anchor: f32,
}

impl TermValues {
    fn as_array(&self) -> [f32; 5] {
        [self.total, self.reconstruction, self.kl_z, self.kl_y, self.anchor]
    }

    fn from_array(v: [f32; 5]) -> Self {
        Self { total: v[0], reconstruction: v[1], kl_z: v[2], kl_y: v[3], anchor: v[4] }
    }

    fn is_finite(&self) -> bool {
        self.as_array().iter().all(|v| v.is_finite())
    }

    fn add(&mut self, other: &Self) {
        let (a, b) = (self.as_array(), other.as_array());
        *self = Self::from_array(std::array::from_fn(|i| a[i] + b[i]));
    }

    fn scaled(&self, factor: f32) -> Self {
        Self::from_array(self.as_array().map(|v| v * factor))
    }
}

/// What one step reports.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
pub struct StepReport {
    pub stage: Stage,
    /// Epoch over the whole run, from 0.
    pub epoch: usize,
    pub total_epochs: usize,
    /// Step within the epoch, from 0.
    pub step: usize,
    pub steps_per_epoch: usize,
    pub learning_rate: f64,
    pub terms: TermValues,
}

/// What one epoch reports: the mean of its steps' terms.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
pub struct EpochReport {
    pub stage: Stage,
    pub epoch: usize,
    pub steps: usize,
    pub mean_terms: TermValues,
    /// The callback asked to stop before the epoch ended; the next call resumes it.
    pub interrupted: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum TrainError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Readback(#[from] ReadbackError),
    #[error("the training set is empty")]
    NoData,
    #[error(
        "loss became {} (reconstruction {}, KL z {}, KL y {}, anchor {}) at epoch {}, step {}; training stopped and the weights from before that epoch were kept",
        .terms.total, .terms.reconstruction, .terms.kl_z, .terms.kl_y, .terms.anchor, .epoch + 1, .step + 1
    )]
    NonFinite { epoch: usize, step: usize, terms: TermValues },
    #[error("the optimizer state: {0}")]
    OptimizerState(String),
}

/// A training run in progress: model, optimizer and position. Drive it with
/// [`Trainer::train_epoch`] (resumable between steps), or run it to the end with [`train`].
pub struct Trainer {
    config: TrainingConfig,
    /// Autodiff device the model trains on.
    device: Device,
    model: ClusterVae,
    optimizer: ModuleOptimizer,
    order: BatchOrder,
    epoch: usize,
    /// Batches of the epoch under way and how many of them are done (resumption point).
    pending: Vec<Vec<usize>>,
    cursor: usize,
    sums: TermValues,
    /// Steps in `sums` (fewer than `cursor` in an epoch resumed part-way).
    summed: usize,
    /// Each training digit's group from the prior's initialisation, for the anchor stage.
    anchors: Option<Vec<usize>>,
    /// The weights and Adam's state as the epoch under way began: what a non-finite loss falls
    /// back to (Adam has taken the steps of the window by the time their terms are read).
    epoch_start_model: ClusterVae,
    epoch_start_optimizer: ModuleOptimizer,
    /// Steps taken whose stacked terms (`[5]` each) are not read back yet.
    unread: Vec<Tensor<1>>,
    readback_window: usize,
    /// Digits encoded per call when self-training relabels the training set (`None`: all in
    /// the call that starts the epoch). See [`Trainer::relabel_in_slices`].
    relabel_slice: Option<usize>,
    /// The model's clusters for the first digits, while a sliced relabelling is under way.
    relabelled: Option<Vec<usize>>,
}

impl Trainer {
    /// A fresh model on `device` (a plain device: autodiff is added here), seeded by the config.
    pub fn new(config: TrainingConfig, data_len: usize, device: &Device) -> Result<Self, TrainError> {
        config.validate()?;
        if data_len == 0 {
            return Err(TrainError::NoData);
        }
        let k = config.model.components;
        let grouped = config.init_sample.min(data_len);
        if config.prior_init != PriorInit::Random && grouped < k {
            return Err(TrainError::Config(ConfigError(format!(
                "{grouped} training images are grouped to place the mixture, fewer than its K = {k} components: \
                 use more images or a smaller K"
            ))));
        }
        device.seed(config.seed);
        let readback_window = if *device == Device::flex() { 1 } else { READBACK_WINDOW };
        let device = device.clone().autodiff();
        let model = config.model.init(&device)?;
        let optimizer = AdamConfig::new().init();
        Ok(Self {
            epoch_start_model: model.clone(),
            epoch_start_optimizer: optimizer.clone(),
            optimizer,
            unread: Vec::new(),
            readback_window,
            order: BatchOrder::new(data_len, config.batch_size, config.seed),
            config,
            device,
            model,
            epoch: 0,
            pending: Vec::new(),
            cursor: 0,
            sums: TermValues::default(),
            summed: 0,
            anchors: None,
            relabel_slice: None,
            relabelled: None,
        })
    }

    /// A run resumed after `epochs_done` whole epochs and `steps_done` steps of the next, from
    /// `weights` (a SafeTensors file of the model as it was then, checked as every weights file
    /// is), in or after the anchor stage each training digit's group, and Adam's state from
    /// [`Trainer::optimizer_state`] (without it Adam starts afresh). The batch order continues as
    /// the original run's would have. burn first loads an optimizer state onto its default device
    /// (`BURN_DEVICE`; wgpu in a native build, which needs a GPU driver: the CLI and `npm test` set
    /// `BURN_DEVICE=flex`), then moves it to the model's on the next step.
    pub fn resume(
        config: TrainingConfig,
        data_len: usize,
        device: &Device,
        weights: &[u8],
        epochs_done: usize,
        steps_done: usize,
        anchors: Option<Vec<usize>>,
        optimizer: Option<&[u8]>,
    ) -> Result<Self, TrainError> {
        let mut trainer = Self::new(config, data_len, device)?;
        let (mut model, _) = from_safetensors_bytes(weights, &trainer.device)
            .map_err(|e| TrainError::Config(ConfigError(format!("the saved weights: {e}"))))?;
        if let Some(state) = optimizer {
            let (ids, record) = split_optimizer_state(state)?;
            if ids.len() != param_ids(&model).len() {
                return Err(TrainError::OptimizerState(format!(
                    "it holds {} parameters, the model {}",
                    ids.len(),
                    param_ids(&model).len()
                )));
            }
            model = model.map(&mut IdSetter { ids: &ids, next: 0 });
            trainer.optimizer = AdamConfig::new()
                .init()
                .from_bytes(Bytes::from_bytes_vec(record.to_vec()))
                .map_err(|e| TrainError::OptimizerState(format!("{e:?}")))?;
        }
        if epochs_done > trainer.config.total_epochs() {
            return Err(TrainError::Config(ConfigError(format!(
                "{epochs_done} epochs done, but the run has only {}",
                trainer.config.total_epochs()
            ))));
        }
        let (k, d) = (trainer.config.model.components, trainer.config.model.latent_dim);
        if (model.components(), model.latent_dim()) != (k, d) {
            return Err(TrainError::Config(ConfigError(format!(
                "the saved model has K = {}, d = {}, the run K = {k}, d = {d}",
                model.components(),
                model.latent_dim()
            ))));
        }
        let anchored_epochs_left = epochs_done < trainer.config.pretrain_epochs + trainer.config.anchored_epochs();
        // The mixture is placed (and the groups made) as the first epoch after pretraining starts.
        let pretrain = trainer.config.pretrain_epochs;
        let placed = epochs_done > pretrain || (epochs_done == pretrain && steps_done > 0);
        let needs_anchors = placed && anchored_epochs_left;
        match &anchors {
            Some(groups) if groups.len() != data_len || groups.iter().any(|&g| g >= k) => {
                return Err(TrainError::Config(ConfigError("the saved groups do not fit the training data".into())));
            }
            None if needs_anchors => {
                return Err(TrainError::Config(ConfigError("the anchor stage needs the saved groups".into())));
            }
            _ => {}
        }
        for _ in 0..epochs_done {
            trainer.order.next_epoch();
        }
        if steps_done > 0 {
            trainer.pending = trainer.order.next_epoch();
            if steps_done >= trainer.pending.len() {
                return Err(TrainError::Config(ConfigError(format!(
                    "{steps_done} steps done, but an epoch has {}",
                    trainer.pending.len()
                ))));
            }
            trainer.cursor = steps_done;
        }
        trainer.model = model;
        trainer.epoch_start_model = trainer.model.clone();
        trainer.epoch_start_optimizer = trainer.optimizer.clone();
        trainer.epoch = epochs_done;
        trainer.anchors = anchors;
        Ok(trainer)
    }

    pub fn config(&self) -> &TrainingConfig {
        &self.config
    }

    /// Reads the loss terms back every `steps` steps (at least 1) instead of the device's
    /// default (see [`READBACK_WINDOW`]); the results are the same, only the host's waits differ.
    pub fn set_readback_window(&mut self, steps: usize) {
        self.readback_window = steps.max(1);
    }

    /// Epochs completed so far.
    pub fn epochs_done(&self) -> usize {
        self.epoch
    }

    /// Adam's state as bytes, for [`Trainer::resume`]: the parameters' ids in the model's visiting
    /// order, then burn's optimizer record. burn keys the state by parameter id and a model loaded
    /// from a weights file gets new ids, so the saved ones travel with it. The state is read
    /// synchronously: on WebGPU in the browser, where that is not allowed, do not call this.
    pub fn optimizer_state(&self) -> Result<Vec<u8>, TrainError> {
        let ids = param_ids(&self.model);
        let record = self.optimizer.into_bytes().map_err(|e| TrainError::OptimizerState(format!("{e:?}")))?;
        let mut bytes = Vec::with_capacity(4 + 8 * ids.len() + record.len());
        bytes.extend((ids.len() as u32).to_le_bytes());
        for id in ids {
            bytes.extend(id.to_le_bytes());
        }
        bytes.extend_from_slice(&record);
        Ok(bytes)
    }

    /// Steps done of the epoch under way (0 between epochs).
    pub fn steps_done_in_epoch(&self) -> usize {
        self.cursor
    }

    /// Each training digit's group from the prior's initialisation, once it has happened.
    pub fn anchors(&self) -> Option<&[usize]> {
        self.anchors.as_deref()
    }

    /// A sliced relabelling (see [`Trainer::relabel_in_slices`]) is under way: the next call
    /// goes on with it.
    pub fn relabelling(&self) -> bool {
        self.relabelled.is_some()
    }

    /// Optimizer steps in one epoch.
    pub fn steps_per_epoch(&self) -> usize {
        self.order.batches_per_epoch()
    }

    pub fn is_finished(&self) -> bool {
        self.epoch >= self.config.total_epochs()
    }

    /// The model as it stands, for inference (no autodiff).
    pub fn model(&self) -> ClusterVae {
        self.model.valid()
    }

    /// The stage of the current epoch and how many epochs its step size has decayed: since the
    /// stage began, but self-training goes on from the anchor stage's (both are anchored
    /// epochs, and the step size decays on through them).
    fn stage(&self) -> (Stage, usize) {
        let (pretrain, anchored) = (self.config.pretrain_epochs, self.config.anchored_epochs());
        if self.epoch < pretrain {
            (Stage::Pretrain, self.epoch)
        } else if self.self_training() {
            (Stage::SelfTraining, self.epoch - pretrain)
        } else if self.epoch < pretrain + anchored {
            (Stage::Anchor, self.epoch - pretrain)
        } else {
            (Stage::Mixture, self.epoch - pretrain - anchored)
        }
    }

    fn objective(&self) -> Objective {
        match self.stage() {
            (Stage::Pretrain, _) => self.config.pretrain_objective,
            (Stage::Anchor | Stage::SelfTraining, _) => Objective::Anchored { weight: self.config.anchor_weight },
            (Stage::Mixture, e) => {
                let warmup = self.config.warmup_epochs;
                let kl_weight = if warmup == 0 { 1.0 } else { ((e + 1) as f32 / (warmup + 1) as f32).min(1.0) };
                Objective::Mixture { kl_weight }
            }
        }
    }

    fn learning_rate(&self) -> f64 {
        let (stage, epoch) = self.stage();
        let scale = if stage == Stage::Mixture { self.config.mixture_lr_scale } else { 1.0 };
        self.config.learning_rate * scale * self.config.lr_decay.powi(epoch as i32)
    }

    /// Groups the latent means of a sample of the training data (see [`PriorInit`]), sets each
    /// component's mean and variance to its group's, gives every training digit the group of its
    /// nearest sampled neighbours (the anchor stage's pseudo-labels), and restarts Adam.
    async fn initialise_prior(&mut self, data: &Dataset) -> Result<(), TrainError> {
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

    /// The first epoch of the self-training stage (it follows the anchor stage).
    fn self_training_start(&self) -> usize {
        self.config.pretrain_epochs + self.config.effective_anchor_epochs()
    }

    /// Whether the current epoch is one of the self-training stage's.
    fn self_training(&self) -> bool {
        let start = self.self_training_start();
        (start..start + self.config.effective_self_training_epochs()).contains(&self.epoch)
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
    async fn refresh_anchors(&mut self, data: &Dataset) -> Result<bool, TrainError> {
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

    /// Runs the rest of the current epoch (or a whole new one). `on_step` sees every step and
    /// may stop the epoch early with `ControlFlow::Break`; the next call then resumes it.
    ///
    /// On a non-finite loss the weights from the start of the epoch are restored, the epoch is
    /// rewound, and an error returned.
    pub async fn train_epoch(
        &mut self,
        data: &Dataset,
        mut on_step: impl FnMut(&StepReport) -> ControlFlow<()>,
    ) -> Result<EpochReport, TrainError> {
        if self.cursor == 0 {
            let pretraining_done = self.epoch == self.config.pretrain_epochs;
            // A later call of a sliced relabelling: the prior was placed by the first.
            if pretraining_done && self.config.prior_init != PriorInit::Random && !self.relabelling() {
                self.initialise_prior(data).await?;
            }
            if self.self_training() && !self.refresh_anchors(data).await? {
                return Ok(self.epoch_report(self.stage().0, true));
            }
            self.pending = self.order.next_epoch();
            self.sums = TermValues::default();
            self.summed = 0;
            self.epoch_start_model = self.model.clone();
            self.epoch_start_optimizer = self.optimizer.clone();
        }
        let (stage, _) = self.stage();
        let objective = self.objective();
        let learning_rate = self.learning_rate();
        let steps_per_epoch = self.pending.len();
        self.unread.clear();
        while self.cursor < steps_per_epoch {
            let batch = &self.pending[self.cursor];
            let images = self.batch_images(data, batch);
            let anchors = self.anchor_targets(&objective, batch);
            let terms = self.step(images, anchors, objective, learning_rate, None).await?;
            self.unread.push(terms);
            self.cursor += 1;
            if self.unread.len() < self.readback_window && self.cursor < steps_per_epoch {
                continue;
            }
            let window = StepReport {
                stage,
                epoch: self.epoch,
                total_epochs: self.config.total_epochs(),
                step: self.cursor - self.unread.len(),
                steps_per_epoch,
                learning_rate,
                terms: TermValues::default(),
            };
            if self.read_window(window, &mut on_step).await?.is_break() && self.cursor < steps_per_epoch {
                return Ok(self.epoch_report(stage, true));
            }
        }
        let report = self.epoch_report(stage, false);
        self.epoch += 1;
        self.cursor = 0;
        Ok(report)
    }

    /// Reads the unread steps' terms in one transfer and reports each step to `on_step`, its
    /// report made from `first` (the window's first step). A non-finite term restores the
    /// weights and Adam's state from the start of the epoch, rewinds the epoch and is an error.
    /// Breaks when `on_step` asked to for any step of the window.
    async fn read_window(
        &mut self,
        first: StepReport,
        on_step: &mut impl FnMut(&StepReport) -> ControlFlow<()>,
    ) -> Result<ControlFlow<()>, TrainError> {
        let stacked = Tensor::cat(std::mem::take(&mut self.unread), 0);
        let values = read_f32(stacked).await?;
        let mut flow = ControlFlow::Continue(());
        for (offset, chunk) in values.chunks_exact(5).enumerate() {
            let terms = TermValues::from_array(chunk.try_into().expect("chunks of 5"));
            let step = first.step + offset;
            if !terms.is_finite() {
                self.model = self.epoch_start_model.clone();
                self.optimizer = self.epoch_start_optimizer.clone();
                self.cursor = 0; // a later call runs this epoch again from its start
                return Err(TrainError::NonFinite { epoch: self.epoch, step, terms });
            }
            self.sums.add(&terms);
            self.summed += 1;
            if on_step(&StepReport { step, terms, ..first.clone() }).is_break() {
                flow = ControlFlow::Break(());
            }
        }
        Ok(flow)
    }

    /// The batch's images, distorted when the config asks for augmentation (seeded by the run's
    /// seed and the step, so a resumed run sees what the uninterrupted one would have).
    fn batch_images(&self, data: &Dataset, batch: &[usize]) -> Tensor<2> {
        let Some(distortion) = self.config.augment.filter(|d| !d.is_none()) else {
            return data.batch(batch, &self.device);
        };
        let step = ((self.epoch as u64) << 32) | self.cursor as u64;
        let seed = self.config.seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ step;
        distortion.batch(data, batch, seed, &self.device)
    }

    /// The anchor stage's one-hot targets for `batch` (`None` in other stages).
    fn anchor_targets(&self, objective: &Objective, batch: &[usize]) -> Option<Tensor<2>> {
        match (objective, &self.anchors) {
            (Objective::Anchored { .. }, Some(groups)) => {
                Some(one_hot(batch.iter().map(|&i| groups[i]), self.model.components(), &self.device))
            }
            _ => None,
        }
    }

    /// One step: forward, backward, Adam; returns the loss terms stacked (`[5]`, detached) for
    /// a later read-back. With a `clock`, the device is settled after each phase, the terms are
    /// read back at once (the read-back phase) and each phase's time added to the profile.
    async fn step(
        &mut self,
        images: Tensor<2>,
        anchors: Option<Tensor<2>>,
        objective: Objective,
        learning_rate: f64,
        mut clock: Option<&mut PhaseClock>,
    ) -> Result<Tensor<1>, ReadbackError> {
        if let Some(clock) = clock.as_deref_mut() {
            clock.profile.data_ms += clock.lap(&images).await?;
        }
        let terms = objective.terms(&self.model, images, anchors);
        if let Some(clock) = clock.as_deref_mut() {
            clock.profile.forward_ms += clock.lap(&terms.total).await?;
        }
        let grads = GradientsParams::from_grads(terms.total.backward(), &self.model);
        if let Some(clock) = clock.as_deref_mut() {
            clock.profile.backward_ms += clock.lap(&self.model.prior_means()).await?;
        }
        let stacked = stack_terms(&terms);
        if let Some(clock) = clock.as_deref_mut() {
            read_f32(stacked.clone()).await?;
            clock.profile.readback_ms += clock.lap_settled();
        }
        self.model = self.optimizer.step(learning_rate, self.model.clone(), grads);
        if let Some(clock) = clock.as_deref_mut() {
            clock.profile.optimizer_ms += clock.lap(&self.model.prior_means()).await?;
        }
        Ok(stacked)
    }

    /// Runs `steps` steps of the current stage's objective on shuffled batches and reports where
    /// their time went. The steps train the model like any others; the device is settled after
    /// every phase, so a profiled step costs a little more than an ordinary one.
    pub async fn profile_steps(&mut self, data: &Dataset, steps: usize) -> Result<StepProfile, TrainError> {
        let objective = self.objective();
        let learning_rate = self.learning_rate();
        let batches = BatchOrder::new(data.len(), self.config.batch_size, self.config.seed ^ 0x9e37).next_epoch();
        let mut clock = PhaseClock::new(self.config.batch_size);
        for batch in batches.iter().cycle().take(steps) {
            clock.restart();
            let images = data.batch(batch, &self.device);
            let anchors = self.anchor_targets(&objective, batch);
            self.step(images, anchors, objective, learning_rate, Some(&mut clock)).await?;
            clock.profile.steps += 1;
        }
        Ok(clock.profile)
    }

    fn epoch_report(&self, stage: Stage, interrupted: bool) -> EpochReport {
        EpochReport {
            stage,
            epoch: self.epoch,
            steps: self.cursor,
            mean_terms: self.sums.scaled(1.0 / self.summed.max(1) as f32),
            interrupted,
        }
    }
}

/// The ids of a model's parameters, in its visiting order.
fn param_ids(model: &ClusterVae) -> Vec<u64> {
    struct Ids(Vec<u64>);
    impl ModuleVisitor for Ids {
        fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
            self.0.push(param.id.val());
        }
    }
    let mut ids = Ids(Vec::new());
    model.visit(&mut ids);
    ids.0
}

/// Gives a model's parameters the ids in `ids` (in visiting order).
struct IdSetter<'a> {
    ids: &'a [u64],
    next: usize,
}

impl ModuleMapper for IdSetter<'_> {
    fn map_float<const D: usize>(&mut self, mut param: Param<Tensor<D>>) -> Param<Tensor<D>> {
        param.id = ParamId::from(self.ids[self.next]);
        self.next += 1;
        param
    }
}

/// The ids and the optimizer record of [`Trainer::optimizer_state`]'s bytes.
fn split_optimizer_state(bytes: &[u8]) -> Result<(Vec<u64>, &[u8]), TrainError> {
    let bad = || TrainError::OptimizerState("the saved state is truncated".into());
    let count = u32::from_le_bytes(bytes.get(..4).ok_or_else(bad)?.try_into().expect("4 bytes")) as usize;
    let ids_end = count.checked_mul(8).and_then(|n| n.checked_add(4)).ok_or_else(bad)?;
    let ids = bytes
        .get(4..ids_end)
        .ok_or_else(bad)?
        .chunks_exact(8)
        .map(|c| u64::from_le_bytes(c.try_into().expect("8 bytes")))
        .collect();
    Ok((ids, &bytes[ids_end..]))
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

/// Where the time of profiled training steps went, in milliseconds summed over `steps` steps.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
pub struct StepProfile {
    pub steps: usize,
    pub batch_size: usize,
    /// The batch's pixels gathered, scaled and sent to the device.
    pub data_ms: f64,
    /// The loss terms computed.
    pub forward_ms: f64,
    /// Gradients computed.
    pub backward_ms: f64,
    /// The loss terms copied to the host (the per-step read-back).
    pub readback_ms: f64,
    /// Adam's update applied.
    pub optimizer_ms: f64,
}

/// Times the phases of a step. Lazy backends (WebGPU) only queue work, so each lap first waits
/// for a value the phase produced, which waits for all the work queued before it.
struct PhaseClock {
    last: Instant,
    profile: StepProfile,
}

impl PhaseClock {
    fn new(batch_size: usize) -> Self {
        Self { last: Instant::now(), profile: StepProfile { batch_size, ..StepProfile::default() } }
    }

    fn restart(&mut self) {
        self.last = Instant::now();
    }

    /// Milliseconds since the last lap, once `produced` has been computed.
    async fn lap<const D: usize>(&mut self, produced: &Tensor<D>) -> Result<f64, ReadbackError> {
        read_f32(produced.clone().detach().sum()).await?;
        Ok(self.lap_settled())
    }

    /// Milliseconds since the last lap, the device being known to be idle.
    fn lap_settled(&mut self) -> f64 {
        let now = Instant::now();
        let ms = now.duration_since(self.last).as_secs_f64() * 1e3;
        self.last = now;
        ms
    }
}

/// The terms as one `[5]` tensor in [`TermValues`]' order, detached from the graph.
fn stack_terms(terms: &LossTerms) -> Tensor<1> {
    let parts = [&terms.total, &terms.reconstruction, &terms.kl_z, &terms.kl_y, &terms.anchor];
    Tensor::cat(parts.iter().map(|t| (*t).clone().detach()).collect(), 0)
}

/// Trains from scratch to the end of the configured epochs; `on_step` sees every step.
pub async fn train(
    config: TrainingConfig,
    data: &Dataset,
    device: &Device,
    mut on_step: impl FnMut(&StepReport),
) -> Result<ClusterVae, TrainError> {
    let mut trainer = Trainer::new(config, data.len(), device)?;
    while !trainer.is_finished() {
        trainer
            .train_epoch(data, |step| {
                on_step(step);
                ControlFlow::Continue(())
            })
            .await?;
    }
    Ok(trainer.model())
}
