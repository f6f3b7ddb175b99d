//! How fast this session's device trains: the figures the page measures before it chooses a
//! backend, and the benchmarks'.

use super::{Session, SessionError};
use crate::bench::{self, Throughput};
use crate::data::Dataset;
use crate::training::{READBACK_WINDOW, StepProfile};

impl Session {
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
}
