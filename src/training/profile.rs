//! Where a training step's time goes: each phase timed, the device settled between them.

use serde::{Deserialize, Serialize};
use web_time::Instant;

use super::{TrainError, Trainer};
use crate::data::{BatchOrder, Dataset};
use crate::inference::{ReadbackError, read_f32};
use burn::tensor::Tensor;

impl Trainer {
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
pub(super) struct PhaseClock {
    last: Instant,
    pub(super) profile: StepProfile,
}

impl PhaseClock {
    pub(super) fn new(batch_size: usize) -> Self {
        Self { last: Instant::now(), profile: StepProfile { batch_size, ..StepProfile::default() } }
    }

    pub(super) fn restart(&mut self) {
        self.last = Instant::now();
    }

    /// Milliseconds since the last lap, once `produced` has been computed.
    pub(super) async fn lap<const D: usize>(&mut self, produced: &Tensor<D>) -> Result<f64, ReadbackError> {
        read_f32(produced.clone().detach().sum()).await?;
        Ok(self.lap_settled())
    }

    /// Milliseconds since the last lap, the device being known to be idle.
    pub(super) fn lap_settled(&mut self) -> f64 {
        let now = Instant::now();
        let ms = now.duration_since(self.last).as_secs_f64() * 1e3;
        self.last = now;
        ms
    }
}
