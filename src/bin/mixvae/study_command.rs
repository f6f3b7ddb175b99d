//! `mixvae study`: a recipe (the page's Quick, the shipped Full, or the two-step baseline)
//! trained from several seeds, and the table of what each reached: accuracy, NMI, ARI, how well
//! its initial groups matched the digits, training time; then mean, worst, spread, and the mean
//! accuracy after each epoch.

use std::path::PathBuf;

use clap::{Args, ValueEnum};
use indicatif::ProgressBar;
use serde_json::json;

use mixvae::baseline::baseline_config;
use mixvae::model::ModelConfig;
use mixvae::recipe::{TrainSettings, TrainingConfig};
use mixvae::study::{ClusterReading, EpochDone, SeedRun, SeedSummary, run_seed};

use crate::args::{DataArgs, OutputArgs, defaults, load_data, open_device};
use crate::backend::BackendArgs;
use crate::model_file::keep_model;

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum Recipe {
    /// The Train form's defaults, its Quick preset (14 pretraining + 6 anchor epochs, 5,000
    /// digits grouped).
    Page,
    /// The shipped model's, the Full preset (35 pretraining + 16 anchor + 32 self-training
    /// epochs, 20,000 digits grouped): the CLI's defaults.
    Shipped,
    /// The two-step baseline (`mixvae baseline`): a plain VAE trained as long as the shipped
    /// recipe pretrains, then k-means on the test digits' codes after every epoch.
    Baseline,
}

impl Recipe {
    /// The page's settings for this recipe; `None` for the baseline, which the page does not train.
    pub fn settings(self) -> Option<TrainSettings> {
        match self {
            Recipe::Page => Some(TrainSettings::page_defaults()),
            Recipe::Shipped => Some(TrainSettings::shipped()),
            Recipe::Baseline => None,
        }
    }

    /// The run of `seed`.
    pub fn config(self, seed: u64) -> Result<TrainingConfig, String> {
        match self.settings() {
            Some(settings) => TrainSettings { seed, ..settings }.to_config().map_err(|e| e.to_string()),
            None => Ok(baseline_config(ModelConfig::new(), defaults().pretrain_epochs, seed)),
        }
    }

    fn clusters(self) -> ClusterReading {
        match self {
            Recipe::Baseline => ClusterReading::KMeansOnCodes,
            Recipe::Page | Recipe::Shipped => ClusterReading::Mixture,
        }
    }
}

#[derive(Args)]
pub struct StudyArgs {
    #[command(flatten)]
    data: DataArgs,
    #[command(flatten)]
    output: OutputArgs,
    #[command(flatten)]
    backend: BackendArgs,
    /// Which recipe to train.
    #[arg(long, value_enum, default_value_t = Recipe::Page)]
    recipe: Recipe,
    /// The seeds, comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "1,2,3,4,5")]
    seeds: Vec<u64>,
    /// Also keep each seed's model, as `<DIR>/seed-<N>.safetensors` and `.json` (as `train`
    /// writes them): the best can be shipped without training it again.
    #[arg(long, value_name = "DIR")]
    keep: Option<PathBuf>,
}

pub fn study_command(args: StudyArgs) -> Result<(), String> {
    let (train, test) = load_data(&args.data)?;
    let device = open_device(&args.backend)?;
    let mut runs = Vec::new();
    for &seed in &args.seeds {
        let config = args.recipe.config(seed)?;
        let progress =
            if args.output.json { ProgressBar::hidden() } else { ProgressBar::new(config.total_epochs() as u64) };
        progress.set_message(format!("seed {seed}"));
        let training = serde_json::to_value(&config).map_err(|e| e.to_string())?;
        let model_config = config.model.clone();
        let (run, model) =
            pollster::block_on(run_seed(config, args.recipe.clusters(), &train, &test, &device, |epoch| {
                report_epoch(&progress, seed, epoch)
            }))
            .map_err(|e| format!("seed {seed}: {e}"))?;
        progress.finish_and_clear();
        if let Some(dir) = &args.keep {
            let out = dir.join(format!("seed-{seed}.safetensors"));
            keep_model(&out, &model, model_config, &test, &device, training, &run)?;
        }
        eprintln!("seed {seed}: accuracy {:.4} in {:.0} s", run.scores.accuracy, run.train_seconds);
        runs.push(run);
    }
    let summary = SeedSummary::of(&runs).ok_or("no seeds given")?;
    if args.output.json {
        let recipe = format!("{:?}", args.recipe).to_lowercase();
        let backend = format!("{:?}", args.backend.backend).to_lowercase();
        let value = json!({ "recipe": recipe, "settings": args.recipe.settings(), "backend": backend,
            "train_size": train.len(), "runs": runs, "summary": summary });
        println!("{value}");
    } else {
        print_table(args.recipe, &runs, &summary);
    }
    Ok(())
}

/// Moves the progress bar, or with `--json` (bar hidden) prints the epoch's line to stderr, so
/// that a study of an hour or more shows where it stands.
fn report_epoch(progress: &ProgressBar, seed: u64, epoch: &EpochDone) {
    progress.set_position(epoch.done as u64);
    if progress.is_hidden() {
        let groups = epoch.initial_groups_accuracy.map_or(String::new(), |a| format!(", initial groups {a:.4}"));
        eprintln!("seed {seed}: epoch {}/{}, test accuracy {:.4}{groups}", epoch.done, epoch.total, epoch.accuracy);
    }
}

fn print_table(recipe: Recipe, runs: &[SeedRun], summary: &SeedSummary) {
    println!("{recipe:?} recipe, {} seeds", runs.len());
    println!("| seed | accuracy | NMI | ARI | initial groups | training time |");
    println!("|---|---|---|---|---|---|");
    for run in runs {
        let groups = run.initial_groups_accuracy.map_or("–".into(), |a| format!("{a:.4}"));
        let s = &run.scores;
        println!(
            "| {} | {:.4} | {:.4} | {:.4} | {groups} | {:.0} s |",
            run.seed, s.accuracy, s.nmi, s.ari, run.train_seconds
        );
    }
    println!(
        "mean {:.4}, worst {:.4}, best {:.4}, spread {:.4} (std {:.4}); mean NMI {:.4}; mean training time {:.0} s",
        summary.mean_accuracy,
        summary.worst_accuracy,
        summary.best_accuracy,
        summary.spread,
        summary.std_accuracy,
        summary.mean_nmi,
        summary.mean_train_seconds
    );
    let curve: Vec<String> =
        summary.mean_accuracy_by_epoch.iter().enumerate().map(|(e, a)| format!("{}: {a:.4}", e + 1)).collect();
    println!("mean test accuracy after each epoch: {}", curve.join(", "));
}
