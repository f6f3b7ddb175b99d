//! `mixvae baseline`: the two-step method (a plain VAE, then k-means on its codes), scored as
//! the clustering VAE is.

use std::path::PathBuf;
use std::time::Instant;

use clap::Args;

use mixvae::baseline::{baseline_config, run_baseline};
use mixvae::data::batches_per_epoch;

use crate::args::{CliResult, DataArgs, ModelArgs, OutputArgs, defaults, load_data, open_device};
use crate::backend::BackendArgs;
use crate::model_file::{ModelSummary, write_model};
use crate::report::{bar, print_scores, scores_json};

#[derive(Args)]
pub struct BaselineArgs {
    #[command(flatten)]
    data: DataArgs,
    #[command(flatten)]
    output: OutputArgs,
    #[command(flatten)]
    backend: BackendArgs,
    #[command(flatten)]
    model: ModelArgs,
    /// Epochs of the plain VAE.
    #[arg(long, default_value_t = defaults().pretrain_epochs)]
    epochs: usize,
    /// Also write the VAE to `<out>.safetensors` and its scores to `<out>.json` (the page's
    /// baseline is `www/model/baseline`).
    #[arg(long)]
    out: Option<PathBuf>,
}

pub fn baseline_command(args: BaselineArgs) -> CliResult {
    let (train_set, test_set) = load_data(&args.data)?;
    let config = baseline_config(args.model.config(), args.epochs, args.model.seed);
    let steps = args.epochs * batches_per_epoch(train_set.len(), config.batch_size);
    let progress = bar(steps as u64, args.output.json);
    progress.set_prefix("VAE");
    let started = Instant::now();
    let device = open_device(&args.backend)?;
    let training_json = serde_json::to_value(&config).expect("config serialises");
    let (vae, scores) = pollster::block_on(run_baseline(config, &train_set, &test_set, &device, |step| {
        progress.set_message(format!("loss {:.1}", step.terms.total));
        progress.inc(1);
    }))
    .map_err(|e| e.to_string())?;
    progress.finish_and_clear();
    let seconds = started.elapsed().as_secs_f64();
    let scores = scores.ok_or("the test set has no labels")?;
    if let Some(out) = &args.out {
        let summary = ModelSummary {
            model: args.model.config(),
            training: Some(training_json),
            test_scores: Some(scores.clone()),
            train_seconds: Some(seconds),
            images_per_second: None,
            // k-means groups are not the VAE's components: no majority per component.
            cluster_majority: Vec::new(),
        };
        write_model(&out.with_extension("safetensors"), &vae, &summary)?;
    }
    if args.output.json {
        let mut value = scores_json(&scores, test_set.len(), args.model.components);
        value["method"] = "vae+kmeans".into();
        value["seconds"] = seconds.into();
        println!("{value}");
    } else {
        print_scores(
            &format!("two-step baseline (plain VAE {} epochs, then k-means), {:.0} s", args.epochs, seconds),
            &scores,
            test_set.len(),
            args.model.components,
        );
    }
    Ok(())
}
