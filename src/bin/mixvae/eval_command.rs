//! `mixvae eval`: a saved model's clusters scored on the test digits.

use std::path::PathBuf;

use clap::Args;

use mixvae::inference::evaluate;

use crate::args::{CliResult, DataArgs, OutputArgs, SHIPPED_MODEL, load_data, open_device};
use crate::backend::BackendArgs;
use crate::model_file::load_model;
use crate::report::{print_scores, scores_json};

#[derive(Args)]
pub struct EvalArgs {
    #[command(flatten)]
    data: DataArgs,
    #[command(flatten)]
    output: OutputArgs,
    #[command(flatten)]
    backend: BackendArgs,
    #[arg(long, default_value = SHIPPED_MODEL)]
    model: PathBuf,
}

pub fn eval_command(args: EvalArgs) -> CliResult {
    let (_, test_set) = load_data(&args.data)?;
    let device = open_device(&args.backend)?;
    let (model, _) = load_model(&args.model, &device)?;
    let scores = pollster::block_on(evaluate(&model, &test_set, &device))
        .map_err(|e| e.to_string())?
        .ok_or("the test set has no labels")?;
    if args.output.json {
        let mut value = scores_json(&scores, test_set.len(), model.components());
        value["model"] = args.model.display().to_string().into();
        println!("{value}");
    } else {
        print_scores(&format!("{}", args.model.display()), &scores, test_set.len(), model.components());
    }
    Ok(())
}
