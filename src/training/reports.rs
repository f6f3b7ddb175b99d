//! What training reports: the stage of an epoch, the loss terms of a step, an epoch's means,
//! and the errors that stop a run.

use serde::{Deserialize, Serialize};

use crate::inference::ReadbackError;
use crate::model::ConfigError;

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
    pub(super) fn as_array(&self) -> [f32; 5] {
        [self.total, self.reconstruction, self.kl_z, self.kl_y, self.anchor]
    }

    pub(super) fn from_array(v: [f32; 5]) -> Self {
        Self { total: v[0], reconstruction: v[1], kl_z: v[2], kl_y: v[3], anchor: v[4] }
    }

    pub(super) fn is_finite(&self) -> bool {
        self.as_array().iter().all(|v| v.is_finite())
    }

    pub(super) fn add(&mut self, other: &Self) {
        let (a, b) = (self.as_array(), other.as_array());
        *self = Self::from_array(std::array::from_fn(|i| a[i] + b[i]));
    }

    pub(super) fn scaled(&self, factor: f32) -> Self {
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
