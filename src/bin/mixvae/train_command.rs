//! `mixvae train`: a model trained from scratch, a line per epoch, then written with its summary.

use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::time::Instant;

use clap::Args;

use mixvae::data::Dataset;
use mixvae::inference::evaluate;
use mixvae::metrics::clustering_accuracy;
use mixvae::recipe::{PriorInit, TrainingConfig};
use mixvae::training::{EpochReport, Stage, Trainer};

use crate::args::{CliResult, DataArgs, ModelArgs, OutputArgs, defaults, load_data, open_device};
use crate::backend::BackendArgs;
use crate::model_file::{ModelSummary, summarise, write_model};
use crate::report::{bar, print_scores, scores_json};

#[derive(Args)]
pub struct TrainArgs {
    #[command(flatten)]
    data: DataArgs,
    #[command(flatten)]
    output: OutputArgs,
    #[command(flatten)]
    backend: BackendArgs,
    #[command(flatten)]
    model: ModelArgs,
    /// Epochs of autoencoder pretraining.
    #[arg(long, default_value_t = defaults().pretrain_epochs)]
    pretrain_epochs: usize,
    /// Epochs with each digit's component held at its initial group.
    #[arg(long, default_value_t = defaults().anchor_epochs)]
    anchor_epochs: usize,
    /// Epochs after those, each digit held at the model's own cluster for it, made afresh
    /// before every epoch (self-training).
    #[arg(long, default_value_t = defaults().self_training_epochs)]
    self_training_epochs: usize,
    /// Weight of the anchor stage's cross-entropy to the initial groups.
    #[arg(long, default_value_t = defaults().anchor_weight)]
    anchor_weight: f32,
    /// Training digits encoded and grouped to initialise the prior.
    #[arg(long, default_value_t = defaults().init_sample)]
    init_sample: usize,
    /// t-SNE starts of that grouping; of several, the grouping most like the others is kept.
    #[arg(long, default_value_t = defaults().grouping_starts)]
    grouping_starts: usize,
    /// Epochs of the mixture stage: the clustering VAE's own loss (--epochs is the same).
    #[arg(long, alias = "epochs", default_value_t = defaults().mixture_epochs)]
    mixture_epochs: usize,
    #[arg(long, default_value_t = defaults().batch_size)]
    batch_size: usize,
    #[arg(long, default_value_t = defaults().learning_rate)]
    learning_rate: f64,
    /// The step size is multiplied by this after every epoch of a stage.
    #[arg(long, default_value_t = defaults().lr_decay)]
    lr_decay: f64,
    /// The mixture stage's starting step size, as a multiple of --learning-rate.
    #[arg(long, default_value_t = defaults().mixture_lr_scale)]
    mixture_lr_scale: f64,
    /// Epochs over which the mixture stage's KL weight rises to 1.
    #[arg(long, default_value_t = defaults().warmup_epochs)]
    warmup_epochs: usize,
    /// How the prior starts after pretraining (random: no initialisation from data, which
    /// shows the collapse it prevents).
    #[arg(long, value_enum, default_value_t = defaults().prior_init.into())]
    prior_init: PriorInitArg,
    /// Train on the digits as they are, without the small random shifts, turns and scalings.
    #[arg(long)]
    no_augment: bool,
    /// Score on the test digits after every N epochs past pretraining (0 = only in the summary).
    #[arg(long, default_value_t = 5)]
    eval_every: usize,
    /// Where to write `<out>.safetensors` and `<out>.json`.
    #[arg(long, default_value = "runs/model")]
    out: PathBuf,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum PriorInitArg {
    Random,
    KMeans,
    TsneKMeans,
    TsneMerged,
}

impl From<PriorInitArg> for PriorInit {
    fn from(arg: PriorInitArg) -> Self {
        match arg {
            PriorInitArg::Random => PriorInit::Random,
            PriorInitArg::KMeans => PriorInit::KMeans,
            PriorInitArg::TsneKMeans => PriorInit::TsneKMeans,
            PriorInitArg::TsneMerged => PriorInit::TsneMerged,
        }
    }
}

impl From<PriorInit> for PriorInitArg {
    fn from(init: PriorInit) -> Self {
        match init {
            PriorInit::Random => PriorInitArg::Random,
            PriorInit::KMeans => PriorInitArg::KMeans,
            PriorInit::TsneKMeans => PriorInitArg::TsneKMeans,
            PriorInit::TsneMerged => PriorInitArg::TsneMerged,
        }
    }
}

impl TrainArgs {
    /// The run these arguments ask for.
    fn config(&self) -> TrainingConfig {
        TrainingConfig::new(self.model.config())
            .with_pretrain_epochs(self.pretrain_epochs)
            .with_anchor_epochs(self.anchor_epochs)
            .with_self_training_epochs(self.self_training_epochs)
            .with_anchor_weight(self.anchor_weight)
            .with_init_sample(self.init_sample)
            .with_grouping_starts(self.grouping_starts)
            .with_mixture_epochs(self.mixture_epochs)
            .with_batch_size(self.batch_size)
            .with_learning_rate(self.learning_rate)
            .with_lr_decay(self.lr_decay)
            .with_mixture_lr_scale(self.mixture_lr_scale)
            .with_warmup_epochs(self.warmup_epochs)
            .with_prior_init(self.prior_init.into())
            .with_augment(if self.no_augment { None } else { defaults().augment })
            .with_seed(self.model.seed)
    }
}

fn stage_name(stage: Stage) -> &'static str {
    match stage {
        Stage::Pretrain => "pretrain",
        Stage::Anchor => "anchor",
        Stage::SelfTraining => "self-training",
        Stage::Mixture => "mixture",
    }
}

/// One epoch's line: its loss terms, and how well the initial groups matched the digits (after
/// the first anchor epoch; labels never reach training).
fn epoch_line(report: &EpochReport, trainer: &Trainer, train_set: &Dataset) -> String {
    let t = &report.mean_terms;
    let mut line = format!(
        "epoch {:>3}/{} {:?}: loss {:.2} rec {:.2} kl_z {:.3} kl_y {:.4} anchor {:.4}",
        report.epoch + 1,
        trainer.config().total_epochs(),
        report.stage,
        t.total,
        t.reconstruction,
        t.kl_z,
        t.kl_y,
        t.anchor
    );
    let first_anchor_epoch = report.epoch.saturating_sub(trainer.config().pretrain_epochs) == 0;
    if let (Stage::Anchor, true, Some(anchors), Some(labels)) =
        (report.stage, first_anchor_epoch, trainer.anchors(), train_set.labels())
    {
        let labels: Vec<usize> = labels.iter().map(|&l| l as usize).collect();
        line += &format!(" | initial groups match digits {:.4}", clustering_accuracy(anchors, &labels));
    }
    line
}

pub fn train_command(args: TrainArgs) -> CliResult {
    let (train_set, test_set) = load_data(&args.data)?;
    let config = args.config();
    let training_json = serde_json::to_value(&config).expect("config serialises");
    let device = open_device(&args.backend)?;
    let mut trainer = Trainer::new(config, train_set.len(), &device).map_err(|e| e.to_string())?;
    let json = args.output.json;
    let started = Instant::now();
    let mut train_seconds = 0.0;
    let mut images = 0usize;
    while !trainer.is_finished() {
        let epoch_started = Instant::now();
        let progress = bar(trainer.steps_per_epoch() as u64, json);
        let report = pollster::block_on(trainer.train_epoch(&train_set, |step| {
            progress.set_prefix(format!("{} {}/{}", stage_name(step.stage), step.epoch + 1, step.total_epochs));
            let t = &step.terms;
            progress.set_message(format!(
                "loss {:.1} (rec {:.1}, kl_z {:.2}, kl_y {:.3}, anchor {:.3})",
                t.total, t.reconstruction, t.kl_z, t.kl_y, t.anchor
            ));
            progress.inc(1);
            ControlFlow::Continue(())
        }))
        .map_err(|e| e.to_string())?;
        progress.finish_and_clear();
        train_seconds += epoch_started.elapsed().as_secs_f64();
        images += report.steps * trainer.config().batch_size;
        let clustering_epoch = report.epoch + 1 - trainer.config().pretrain_epochs.min(report.epoch + 1);
        // The last epoch's scores are the summary's, printed below.
        let score_now = report.stage != Stage::Pretrain
            && !trainer.is_finished()
            && args.eval_every > 0
            && clustering_epoch % args.eval_every == 0;
        let mut line = epoch_line(&report, &trainer, &train_set);
        if score_now {
            let scores =
                pollster::block_on(evaluate(&trainer.model(), &test_set, &device)).map_err(|e| e.to_string())?;
            if let Some(s) = scores {
                line += &format!(" | test acc {:.4} nmi {:.4} ari {:.4}", s.accuracy, s.nmi, s.ari);
            }
        }
        if json {
            eprintln!("{line}");
        } else {
            println!("{line}");
        }
    }
    let model = trainer.model();
    let summary =
        summarise(&model, args.model.config(), &test_set, &device, Some(training_json), train_seconds, images)?;
    let out = args.out.with_extension("safetensors");
    write_model(&out, &model, &summary)?;
    print_trained(&summary, &out, test_set.len(), model.components(), json, started.elapsed().as_secs_f64());
    Ok(())
}

/// What `train` prints at the end: the scores, as JSON or as text.
fn print_trained(summary: &ModelSummary, out: &Path, test_size: usize, k: usize, json: bool, total_seconds: f64) {
    let scores = summary.test_scores.as_ref().expect("MNIST test set has labels");
    let train_seconds = summary.train_seconds.unwrap_or(0.0);
    if json {
        let mut value = scores_json(scores, test_size, k);
        value["train_seconds"] = train_seconds.into();
        value["images_per_second"] = summary.images_per_second.into();
        value["model"] = out.display().to_string().into();
        println!("{value}");
    } else {
        let title = format!(
            "trained in {:.0} s ({:.0} images/s), wrote {}",
            train_seconds,
            summary.images_per_second.unwrap_or(0.0),
            out.display()
        );
        print_scores(&title, scores, test_size, k);
        println!("  total time    {total_seconds:.0} s");
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        train: TrainArgs,
    }

    #[test]
    fn train_without_options_trains_the_shipped_recipe() {
        let asked = Cli::parse_from(["mixvae"]).train.config();
        assert_eq!(serde_json::to_value(asked).unwrap(), serde_json::to_value(defaults()).unwrap());
    }
}
