//! The command line: its commands, each run by its own module (`train_command`, ...).

use clap::{Parser, Subcommand};

use crate::baseline_command::{BaselineArgs, baseline_command};
use crate::bench_command::{BenchArgs, bench_command};
use crate::eval_command::{EvalArgs, eval_command};
use crate::export_command::{ExportArgs, export_command};
use crate::study_command::{StudyArgs, study_command};
use crate::train_command::{TrainArgs, train_command};

#[derive(Parser)]
#[command(name = "mixvae", version, about = "A clustering VAE that sorts MNIST digits without labels")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Train a model from scratch and save it (weights + a JSON summary).
    Train(TrainArgs),
    /// Score a saved model's clusters on the 10,000 test digits.
    Eval(EvalArgs),
    /// Copy a checked model and its summary (cluster -> majority digit) to where the page loads it.
    Export(ExportArgs),
    /// The two-step baseline: a plain VAE, then k-means on its latent means, scored the same way.
    Baseline(BaselineArgs),
    /// Native benchmarks on the CPU or, with --backend wgpu, the GPU: training throughput, a
    /// step's profile, encode and generate latency, time to 0.90 accuracy (JSON; `npm run bench`
    /// runs it beside the browser's, `npm run bench:gpu` on wgpu).
    Bench(BenchArgs),
    /// A recipe (the page's Quick, the shipped Full, or the two-step baseline) from several
    /// seeds: each run's scores and training time, then mean, worst and spread (--json for one
    /// object).
    Study(StudyArgs),
}

pub fn main() {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Train(args) => train_command(args),
        Command::Eval(args) => eval_command(args),
        Command::Export(args) => export_command(args),
        Command::Baseline(args) => baseline_command(args),
        Command::Bench(args) => bench_command(args),
        Command::Study(args) => study_command(args),
    };
    if let Err(message) = result {
        eprintln!("error: {message}");
        std::process::exit(1);
    }
}
