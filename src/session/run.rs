//! A training run in the page's rhythm: begun or resumed, advanced in short chunks (the worker
//! answers drawings between them), described for a reload, stopped.

use std::ops::ControlFlow;

use burn::tensor::Device;
use serde::{Deserialize, Serialize};

use super::{ModelInfo, Session, SessionError};
use crate::metrics::Scores;
use crate::recipe::{PriorInit, TrainSettings};
use crate::training::{EpochReport, StepReport, Trainer};
#[cfg(target_arch = "wasm32")]
use tsify::Tsify;

/// Training digits self-training relabels per chunk: one encoding batch, which takes the page's
/// CPU worker about as long as a chunk of training steps (the worker's CHUNK_MS), so a drawing,
/// whose answer takes several calls each queued behind a chunk, still waits only a moment.
/// Relabelling all 60,000 in one call would hold the worker for seconds. See
/// [`Trainer::relabel_in_slices`].
pub const RELABEL_SLICE: usize = 1_000;

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

impl Session {
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

    /// Ends the run; the model as trained so far stays in use.
    pub fn train_stop(&mut self) {
        self.trainer = None;
        self.train_settings = None;
    }
}
