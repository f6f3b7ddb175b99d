//! What the studies share: the codes a recipe groups, from an autoencoder pretrained as the
//! recipe pretrains it, cached so that a second study of the same codes skips the training.

use std::ops::ControlFlow;
use std::path::Path;

use burn::tensor::Device;
use mixvae::augment::Distortion;
use mixvae::data::Dataset;
use mixvae::inference::encode_dataset;
use mixvae::model::ModelConfig;
use mixvae::recipe::{PriorInit, TrainingConfig};
use mixvae::training::Trainer;

/// The latent means of the first `grouped` training digits after `epochs` of pretraining from
/// `seed` (distorted by `augment`), read from `cache_dir` when a study made them before.
pub fn pretrained_codes(
    train: &Dataset,
    seed: u64,
    epochs: usize,
    grouped: usize,
    augment: Option<Distortion>,
    cache_dir: &Path,
) -> Vec<f32> {
    let cache = cache_dir.join(format!("grouping-codes-{seed}-{epochs}-{grouped}-{}.f32", u8::from(augment.is_some())));
    if let Ok(bytes) = std::fs::read(&cache) {
        return bytes.chunks_exact(4).map(|b| f32::from_le_bytes(b.try_into().expect("4 bytes"))).collect();
    }
    let device = Device::flex();
    let config = TrainingConfig::new(ModelConfig::new())
        .with_pretrain_epochs(epochs)
        .with_anchor_epochs(0)
        .with_self_training_epochs(0)
        .with_mixture_epochs(0)
        .with_prior_init(PriorInit::Random)
        .with_augment(augment)
        .with_seed(seed);
    let mut trainer = Trainer::new(config, train.len(), &device).expect("a valid config");
    while !trainer.is_finished() {
        pollster::block_on(trainer.train_epoch(train, |_| ControlFlow::Continue(()))).expect("training runs");
    }
    let codes =
        pollster::block_on(encode_dataset(&trainer.model(), &train.take(grouped), &device)).expect("encodes").means;
    std::fs::write(&cache, codes.iter().flat_map(|v| v.to_le_bytes()).collect::<Vec<u8>>()).expect("writes the cache");
    codes
}
