//! Which stage an epoch is in, its objective and its step size.

use super::{Stage, Trainer};
use crate::loss::Objective;

impl Trainer {
    /// The stage of the current epoch and how many epochs its step size has decayed: since the
    /// stage began, but self-training goes on from the anchor stage's (both are anchored
    /// epochs, and the step size decays on through them).
    pub(super) fn stage(&self) -> (Stage, usize) {
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

    pub(super) fn objective(&self) -> Objective {
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

    pub(super) fn learning_rate(&self) -> f64 {
        let (stage, epoch) = self.stage();
        let scale = if stage == Stage::Mixture { self.config.mixture_lr_scale } else { 1.0 };
        self.config.learning_rate * scale * self.config.lr_decay.powi(epoch as i32)
    }

    /// The first epoch of the self-training stage (it follows the anchor stage).
    pub(super) fn self_training_start(&self) -> usize {
        self.config.pretrain_epochs + self.config.effective_anchor_epochs()
    }

    /// Whether the current epoch is one of the self-training stage's.
    pub(super) fn self_training(&self) -> bool {
        let start = self.self_training_start();
        (start..start + self.config.effective_self_training_epochs()).contains(&self.epoch)
    }
}
