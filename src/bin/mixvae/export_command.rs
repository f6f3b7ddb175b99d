//! `mixvae export`: a checked model, its summary and its compact copy written where the page
//! loads them.

use std::path::PathBuf;

use burn::tensor::Device;
use clap::Args;

use crate::args::{CliResult, DataArgs, OutputArgs, SHIPPED_MODEL, load_data};
use crate::model_file::{ModelSummary, load_model, summarise, write_compact, write_model};
use crate::report::{print_scores, scores_json};

#[derive(Args)]
pub struct ExportArgs {
    #[command(flatten)]
    data: DataArgs,
    #[command(flatten)]
    output: OutputArgs,
    /// A model written by `train`.
    #[arg(long)]
    model: PathBuf,
    /// Destination weights file; its summary goes beside it as .json, its compact copy (8-bit
    /// weights, what the page downloads) as .compact.safetensors.
    #[arg(long, default_value = SHIPPED_MODEL)]
    out: PathBuf,
}

pub fn export_command(args: ExportArgs) -> CliResult {
    let (_, test_set) = load_data(&args.data)?;
    let device = Device::flex();
    let (model, model_config) = load_model(&args.model, &device)?;
    // Keep the training record of the source summary, if there is one.
    let source: Option<ModelSummary> =
        std::fs::read_to_string(args.model.with_extension("json")).ok().and_then(|s| serde_json::from_str(&s).ok());
    let mut summary = summarise(&model, model_config, &test_set, &device, None, 0.0, 0)?;
    if let Some(source) = source {
        summary.training = source.training;
        summary.train_seconds = source.train_seconds;
        summary.images_per_second = source.images_per_second;
    }
    write_model(&args.out, &model, &summary)?;
    write_compact(&args.out)?;
    let scores = summary.test_scores.as_ref().expect("MNIST test set has labels");
    if args.output.json {
        let mut value = scores_json(scores, test_set.len(), model.components());
        value["model"] = args.out.display().to_string().into();
        println!("{value}");
    } else {
        print_scores(&format!("exported to {}", args.out.display()), scores, test_set.len(), model.components());
    }
    Ok(())
}
