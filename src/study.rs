//! A recipe over several seeds: how good it is, and how much that depends on the draw. Each run
//! trains from scratch and is scored on the test digits after every epoch; the summary gives the
//! mean, the worst, the spread, the mean training time and the mean accuracy after each epoch
//! (`mixvae study` prints it; docs/experiments.md's tables and the README's curve come from it).

use std::ops::ControlFlow;

use burn::tensor::Device;
use serde::Serialize;
use web_time::Instant;

use crate::baseline::score_two_step;
use crate::data::Dataset;
use crate::inference::{ReadbackError, evaluate};
use crate::metrics::{Scores, clustering_accuracy};
use crate::model::ClusterVae;
use crate::recipe::TrainingConfig;
use crate::training::{TrainError, Trainer};

#[derive(Debug, thiserror::Error)]
pub enum StudyError {
    #[error(transparent)]
    Train(#[from] TrainError),
    #[error(transparent)]
    Readback(#[from] ReadbackError),
    #[error("the test set has no labels to score a study with")]
    NoLabels,
}

/// One seed's run.
#[derive(Clone, Debug, Serialize)]
pub struct SeedRun {
    pub seed: u64,
    pub scores: Scores,
    /// How well the groups that placed the mixture matched the digits (None without a grouping
    /// or without training labels). Labels never reach training; this only tells where a run
    /// went wrong: in the grouping, or after it.
    pub initial_groups_accuracy: Option<f64>,
    pub train_seconds: f64,
    /// Test accuracy after each epoch. Before the mixture is placed (pretraining) the clusters
    /// are those of the prior's random start.
    pub accuracy_by_epoch: Vec<f64>,
}

/// What the seeds' runs have in common.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SeedSummary {
    pub runs: usize,
    pub mean_accuracy: f64,
    pub worst_accuracy: f64,
    pub best_accuracy: f64,
    /// Best minus worst accuracy.
    pub spread: f64,
    /// Standard deviation of the accuracy (n - 1 in the denominator; 0 for one run).
    pub std_accuracy: f64,
    pub mean_nmi: f64,
    pub mean_train_seconds: f64,
    /// The mean over the runs of the test accuracy after each epoch (as long as the shortest run).
    pub mean_accuracy_by_epoch: Vec<f64>,
}

impl SeedSummary {
    /// None for no runs.
    pub fn of(runs: &[SeedRun]) -> Option<Self> {
        if runs.is_empty() {
            return None;
        }
        let n = runs.len() as f64;
        let accuracy: Vec<f64> = runs.iter().map(|r| r.scores.accuracy).collect();
        let mean = accuracy.iter().sum::<f64>() / n;
        let worst = accuracy.iter().copied().fold(f64::INFINITY, f64::min);
        let best = accuracy.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let variance =
            if runs.len() > 1 { accuracy.iter().map(|a| (a - mean).powi(2)).sum::<f64>() / (n - 1.0) } else { 0.0 };
        Some(Self {
            runs: runs.len(),
            mean_accuracy: mean,
            worst_accuracy: worst,
            best_accuracy: best,
            spread: best - worst,
            std_accuracy: variance.sqrt(),
            mean_nmi: runs.iter().map(|r| r.scores.nmi).sum::<f64>() / n,
            mean_train_seconds: runs.iter().map(|r| r.train_seconds).sum::<f64>() / n,
            mean_accuracy_by_epoch: mean_by_epoch(runs),
        })
    }
}

/// The mean of the runs' accuracy after each epoch, up to the shortest run's epochs.
fn mean_by_epoch(runs: &[SeedRun]) -> Vec<f64> {
    let epochs = runs.iter().map(|r| r.accuracy_by_epoch.len()).min().unwrap_or(0);
    let n = runs.len() as f64;
    (0..epochs).map(|e| runs.iter().map(|r| r.accuracy_by_epoch[e]).sum::<f64>() / n).collect()
}

/// Where a seed's run stands after an epoch, as [`run_seed`] reports it.
pub struct EpochDone {
    pub done: usize,
    pub total: usize,
    /// Test accuracy after this epoch.
    pub accuracy: f64,
    /// How well the groups the mixture was placed from match the digits, once placed.
    pub initial_groups_accuracy: Option<f64>,
}

/// How a run's clusters are read off its model.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClusterReading {
    /// The mixture's likeliest component for each digit (the clustering VAE).
    Mixture,
    /// k-means on the latent means (the two-step baseline, [`crate::baseline`]).
    KMeansOnCodes,
}

/// Trains `config` from scratch on `train` and scores it on `test` (which must have labels)
/// after every epoch (untimed), its clusters read as `clusters` says. `on_epoch` hears of each
/// epoch done, for progress.
pub async fn run_seed(
    config: TrainingConfig,
    clusters: ClusterReading,
    train: &Dataset,
    test: &Dataset,
    device: &Device,
    mut on_epoch: impl FnMut(&EpochDone),
) -> Result<(SeedRun, ClusterVae), StudyError> {
    let seed = config.seed;
    let mut trainer = Trainer::new(config, train.len(), device)?;
    let total = trainer.config().total_epochs();
    let mut train_seconds = 0.0;
    let mut initial_groups_accuracy = None;
    let mut accuracy_by_epoch = Vec::with_capacity(total);
    let mut scores = None;
    while !trainer.is_finished() {
        let start = Instant::now();
        trainer.train_epoch(train, |_| ControlFlow::Continue(())).await?;
        train_seconds += start.elapsed().as_secs_f64();
        if let (None, Some(groups), Some(labels)) = (initial_groups_accuracy, trainer.anchors(), train.labels()) {
            let labels: Vec<usize> = labels.iter().map(|&l| l as usize).collect();
            initial_groups_accuracy = Some(clustering_accuracy(groups, &labels[..groups.len()]));
        }
        let after = score(&trainer.model(), clusters, test, device, seed).await?;
        let accuracy = after.accuracy;
        accuracy_by_epoch.push(accuracy);
        scores = Some(after);
        on_epoch(&EpochDone { done: trainer.epochs_done(), total, accuracy, initial_groups_accuracy });
    }
    let model = trainer.model();
    let scores = match scores {
        Some(scores) => scores,
        None => score(&model, clusters, test, device, seed).await?,
    };
    Ok((SeedRun { seed, scores, initial_groups_accuracy, train_seconds, accuracy_by_epoch }, model))
}

/// The test digits' scores of `model`'s clusters, read as `clusters` says.
async fn score(
    model: &ClusterVae,
    clusters: ClusterReading,
    test: &Dataset,
    device: &Device,
    seed: u64,
) -> Result<Scores, StudyError> {
    let scores = match clusters {
        ClusterReading::Mixture => evaluate(model, test, device).await?,
        ClusterReading::KMeansOnCodes => score_two_step(model, test, device, seed).await?,
    };
    scores.ok_or(StudyError::NoLabels)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(seed: u64, accuracy: f64, nmi: f64, train_seconds: f64) -> SeedRun {
        let scores = Scores { accuracy, nmi, ari: 0.0, silhouette: 0.0, clusters_used: 10 };
        let accuracy_by_epoch = vec![0.2, accuracy - 0.1, accuracy];
        SeedRun { seed, scores, initial_groups_accuracy: None, train_seconds, accuracy_by_epoch }
    }

    #[test]
    fn the_summary_has_the_mean_the_worst_and_the_spread() {
        let s = SeedSummary::of(&[run(1, 0.90, 0.8, 10.0), run(2, 0.96, 0.9, 30.0), run(3, 0.93, 0.85, 20.0)]).unwrap();
        assert!((s.mean_accuracy - 0.93).abs() < 1e-12);
        assert_eq!((s.worst_accuracy, s.best_accuracy), (0.90, 0.96));
        assert!((s.spread - 0.06).abs() < 1e-12);
        assert!((s.std_accuracy - 0.03).abs() < 1e-12, "{}", s.std_accuracy); // deviations -3, +3, 0 points
        assert!((s.mean_nmi - 0.85).abs() < 1e-12);
        assert_eq!(s.mean_train_seconds, 20.0);
        let curve = [0.2, 0.83, 0.93];
        assert!(
            s.mean_accuracy_by_epoch.iter().zip(curve).all(|(a, b)| (a - b).abs() < 1e-12),
            "{:?}",
            s.mean_accuracy_by_epoch
        );
        assert_eq!(SeedSummary::of(&[run(1, 0.9, 0.8, 1.0)]).unwrap().std_accuracy, 0.0);
        assert!(SeedSummary::of(&[]).is_none());
    }
}
