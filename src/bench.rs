//! What `npm run bench` measures, the same code natively and in the page's worker: training
//! throughput, where a step's time goes, the model's FLOP count, and the time a run from scratch
//! takes to reach a target accuracy.

use std::ops::ControlFlow;

use burn::tensor::Device;
use serde::{Deserialize, Serialize};
use web_time::Instant;

use crate::data::{Dataset, IMAGE_PIXELS};
use crate::inference::evaluate;
use crate::model::ModelConfig;
use crate::recipe::{PriorInit, TrainSettings, TrainingConfig};
use crate::training::{StepProfile, TrainError, Trainer};

/// Multiply-adds of the dense layers for one image's forward pass, counted as 2 FLOPs each.
/// The mixture terms (K x d per image) and the activations are < 1% and left out.
pub fn forward_flops_per_image(config: &ModelConfig) -> f64 {
    let (outer, inner, d) = (config.hidden_outer, config.hidden_inner, config.latent_dim);
    let encoder = IMAGE_PIXELS * outer + outer * inner + 2 * inner * d;
    let decoder = d * inner + inner * outer + outer * IMAGE_PIXELS;
    2.0 * (encoder + decoder) as f64
}

/// A training step costs about three forward passes: the forward itself, and a backward pass
/// with two matrix products per layer (the gradients of the input and of the weights).
pub fn training_flops_per_image(config: &ModelConfig) -> f64 {
    3.0 * forward_flops_per_image(config)
}

/// Training speed at one batch size.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
pub struct Throughput {
    pub batch_size: usize,
    /// Steps in each timed run (chosen so that a run lasts about the requested time).
    pub steps_per_run: usize,
    /// Images per second of each timed run.
    pub runs: Vec<f64>,
    pub median_images_per_second: f64,
    /// The median run's FLOPs per second (from [`training_flops_per_image`]), in GFLOP/s.
    pub gflops: f64,
}

/// The setup every throughput and profile measurement trains: the shipped architecture and the
/// mixture stage's full loss (the ELBO with the mixture prior), with no pretraining. Without
/// augmentation: the figures measure the model's steps, comparable with PyTorch's (augmentation's
/// cost is the host's, about 5 ms per batch of 128 on the 2-core reference machine).
pub fn bench_config(model: ModelConfig, batch_size: usize) -> TrainingConfig {
    TrainingConfig::new(model)
        .with_augment(None)
        .with_pretrain_epochs(0)
        .with_anchor_epochs(0)
        .with_prior_init(PriorInit::Random)
        .with_mixture_epochs(1000)
        .with_batch_size(batch_size)
}

/// Trains at least `steps` steps and returns how many it took and the seconds they took. Steps
/// end at a read-back window's end (see [`crate::training::READBACK_WINDOW`]), so the device is
/// idle when the clock stops and a run may take a few more steps than asked.
async fn timed_steps(trainer: &mut Trainer, data: &Dataset, steps: usize) -> Result<(usize, f64), TrainError> {
    let start = Instant::now();
    let mut done = 0;
    while done < steps {
        trainer
            .train_epoch(data, |_| {
                done += 1;
                if done >= steps { ControlFlow::Break(()) } else { ControlFlow::Continue(()) }
            })
            .await?;
    }
    Ok((done, start.elapsed().as_secs_f64()))
}

/// Images per second training the shipped architecture at `batch_size` on `device`: `warmup`
/// untimed steps (kernels compiled, buffers allocated), then `runs` timed runs of about
/// `seconds_per_run` each, the loss terms read back every `readback_window` steps.
pub async fn training_throughput(
    device: &Device,
    data: &Dataset,
    batch_size: usize,
    warmup: usize,
    runs: usize,
    seconds_per_run: f64,
    readback_window: usize,
) -> Result<Throughput, TrainError> {
    let model = ModelConfig::new();
    let mut trainer = Trainer::new(bench_config(model.clone(), batch_size), data.len(), device)?;
    trainer.set_readback_window(readback_window);
    timed_steps(&mut trainer, data, warmup.max(1)).await?;
    let (steps, seconds) = timed_steps(&mut trainer, data, 1).await?;
    let one_step = seconds / steps as f64;
    let steps_per_run = ((seconds_per_run / one_step.max(1e-6)).ceil() as usize).clamp(1, 2000);
    let mut images_per_second = Vec::with_capacity(runs);
    for _ in 0..runs.max(1) {
        let (steps, seconds) = timed_steps(&mut trainer, data, steps_per_run).await?;
        images_per_second.push((steps * batch_size) as f64 / seconds);
    }
    let median = median(&images_per_second);
    Ok(Throughput {
        batch_size,
        steps_per_run,
        runs: images_per_second,
        median_images_per_second: median,
        gflops: median * training_flops_per_image(&model) / 1e9,
    })
}

/// Images per second of the shipped architecture's training steps at `batch_size` on `device`,
/// quickly, for a page choosing its backend: one read-back window of `steps` steps to warm up
/// (kernels compiled, buffers allocated), then one of `steps` steps timed. Any digits will do.
pub async fn quick_training_speed(
    device: &Device,
    data: &Dataset,
    batch_size: usize,
    steps: usize,
) -> Result<f64, TrainError> {
    let steps = steps.max(1);
    let mut trainer = Trainer::new(bench_config(ModelConfig::new(), batch_size), data.len(), device)?;
    trainer.set_readback_window(steps);
    timed_steps(&mut trainer, data, steps).await?;
    let (done, seconds) = timed_steps(&mut trainer, data, steps).await?;
    Ok((done * batch_size) as f64 / seconds.max(1e-9))
}

/// Trains a fresh model `steps` steps at `batch_size` as the page trains (the trainer's own
/// read-back window: [`crate::training::READBACK_WINDOW`] steps on a GPU), untimed set-up
/// included; returns the steps taken (`steps` rounded up to whole windows) and their seconds. Two calls with different
/// `steps` differ only in steady-state steps, which is how `npm run bench:dawn` counts what one
/// step asks of WebGPU.
pub async fn fixed_training_steps(
    device: &Device,
    data: &Dataset,
    batch_size: usize,
    steps: usize,
) -> Result<(usize, f64), TrainError> {
    let mut trainer = Trainer::new(bench_config(ModelConfig::new(), batch_size), data.len(), device)?;
    timed_steps(&mut trainer, data, steps.max(1)).await
}

/// Where the time of `steps` training steps at `batch_size` goes (after `warmup` steps).
pub async fn profile_training_step(
    device: &Device,
    data: &Dataset,
    batch_size: usize,
    warmup: usize,
    steps: usize,
) -> Result<StepProfile, TrainError> {
    let mut trainer = Trainer::new(bench_config(ModelConfig::new(), batch_size), data.len(), device)?;
    trainer.profile_steps(data, warmup).await?;
    trainer.profile_steps(data, steps).await
}

/// One epoch's accuracy on the test set during a run from scratch.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct AccuracyPoint {
    /// Epochs done.
    pub epochs: usize,
    pub accuracy: f64,
    /// Training time so far (evaluations excluded), seconds.
    pub train_seconds: f64,
}

/// A run from scratch, scored after every epoch once pretraining is over.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct TimeToAccuracy {
    pub target: f64,
    /// The first point at or above the target, if the run got there.
    pub reached: Option<AccuracyPoint>,
    pub points: Vec<AccuracyPoint>,
    /// Training time of the whole run, seconds.
    pub total_train_seconds: f64,
}

/// Trains `settings` from scratch on `train` and scores on `test` after every epoch past
/// pretraining (before it there are no clusters), stopping at the first score >= `target`.
pub async fn time_to_accuracy(
    settings: &TrainSettings,
    train: &Dataset,
    test: &Dataset,
    device: &Device,
    target: f64,
) -> Result<TimeToAccuracy, TrainError> {
    let config = settings.to_config()?;
    let pretrain = config.pretrain_epochs;
    let mut trainer = Trainer::new(config, train.len(), device)?;
    let mut train_seconds = 0.0;
    let mut points = Vec::new();
    while !trainer.is_finished() {
        let start = Instant::now();
        trainer.train_epoch(train, |_| ControlFlow::Continue(())).await?;
        train_seconds += start.elapsed().as_secs_f64();
        if trainer.epochs_done() <= pretrain {
            continue;
        }
        let scores = evaluate(&trainer.model(), test, device).await?;
        let Some(scores) = scores else { break };
        let point = AccuracyPoint { epochs: trainer.epochs_done(), accuracy: scores.accuracy, train_seconds };
        points.push(point.clone());
        if point.accuracy >= target {
            return Ok(TimeToAccuracy { target, reached: Some(point), points, total_train_seconds: train_seconds });
        }
    }
    Ok(TimeToAccuracy { target, reached: None, points, total_train_seconds: train_seconds })
}

/// The middle value (the mean of the two middle ones for an even count; 0 when empty).
pub fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    match sorted.len() {
        0 => 0.0,
        n if n % 2 == 1 => sorted[n / 2],
        n => (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_of_odd_and_even_counts() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), 2.5);
        assert_eq!(median(&[]), 0.0);
    }
}
