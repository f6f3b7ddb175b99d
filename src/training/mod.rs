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

mod anchors;
mod profile;
mod reports;
mod resume;
mod schedule;

use std::ops::ControlFlow;

use burn::module::Module;
use burn::optim::{AdamConfig, GradientsParams, ModuleOptimizer};
use burn::tensor::{Device, Tensor};

use crate::data::{BatchOrder, Dataset};
use crate::inference::{ReadbackError, read_f32};
use crate::loss::{LossTerms, Objective};
use crate::model::{ClusterVae, ConfigError};
use crate::recipe::{PriorInit, TrainingConfig};

use profile::PhaseClock;
pub use profile::StepProfile;
pub use reports::{EpochReport, Stage, StepReport, TermValues, TrainError};

/// Steps whose loss terms are read back in one transfer on a GPU. A read-back waits for the
/// device to finish everything queued, so reading after every step leaves a GPU idle while the
/// host reads and queues the next step; a window of steps keeps it busy (on a GPU, 30% more
/// images per second than reading every step: docs/performance.md, "On a GPU"). On the CPU
/// backend (flex) a read costs nothing, and the window is 1 step, which keeps `on_step`'s stops
/// exact (the page's training chunks). The terms still reach `on_step` one by one, and a
/// non-finite one still restores the weights (and Adam's state) from the start of the epoch.
pub const READBACK_WINDOW: usize = 8;

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
