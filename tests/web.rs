//! The core inside a browser: these run in a dedicated Worker of headless Chromium
//! (`wasm-pack test --headless --chrome -- --features webgpu --test web`, or scripts/test.sh's
//! quicker equivalent; flags in webdriver.json), the way the page runs it. WebGPU here is software (SwiftShader); it
//! must agree with the CPU backend.
#![cfg(target_arch = "wasm32")]

use burn::module::Module;
use burn::optim::{AdamConfig, GradientsParams};
use burn::tensor::wgpu::WgpuBackend;
use burn::tensor::{Device, Tensor, TensorData};
use mixvae::data::IMAGE_PIXELS;
use mixvae::inference::read_f32;
use mixvae::loss::Objective;
use mixvae::model::ModelConfig;
use mixvae::recipe::{PriorInit, TrainSettings};
use mixvae::session::Session;
use mixvae::store::{from_safetensors_bytes, to_safetensors_bytes};
use mixvae::web::{Engine, run_static_constructors};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_dedicated_worker);

const WEIGHTS: &[u8] = include_bytes!("../www/model/mixvae.safetensors");

/// `n` images of a bar, each at another place and slant, values in [0, 1].
fn bars(n: usize) -> Vec<f32> {
    let mut images = vec![0.0f32; n * IMAGE_PIXELS];
    for i in 0..n {
        for y in 4..24 {
            let x = 8 + (i * 3 + y * (i % 3) / 6) % 12;
            images[i * IMAGE_PIXELS + y * 28 + x] = 1.0;
            images[i * IMAGE_PIXELS + y * 28 + x + 1] = 0.7;
        }
    }
    images
}

fn shipped() -> Session {
    Session::new(Device::flex(), WEIGHTS, "shipped", None, vec![]).expect("the shipped weights load")
}

#[wasm_bindgen_test]
async fn encode_decode_and_sample_give_the_right_shapes_and_sane_values() {
    let session = shipped();
    let encoding = session.encode(&bars(4)).await.unwrap();
    assert_eq!((encoding.means.len(), encoding.logvars.len()), (40, 40));
    assert_eq!(encoding.clusters.len(), 4);
    for row in encoding.probabilities.chunks(10) {
        let total: f32 = row.iter().sum();
        assert!((total - 1.0).abs() < 1e-4, "probabilities sum to {total}");
    }
    assert!(encoding.means.iter().chain(&encoding.logvars).all(|v| v.is_finite()));
    let decoded = session.decode(&encoding.means).await.unwrap();
    assert_eq!(decoded.len(), 4 * IMAGE_PIXELS);
    assert!(decoded.iter().all(|v| (0.0..=1.0).contains(v)));
    let samples = session.generate(3, 7, false).await.unwrap();
    assert_eq!(samples.len(), 10 * 3 * IMAGE_PIXELS);
    let ink = samples.iter().sum::<f32>() / samples.len() as f32;
    assert!(ink > 0.03 && ink < 0.5, "mean ink of samples {ink}");
}

#[wasm_bindgen_test]
async fn save_then_load_round_trips() {
    let mut session = shipped();
    let before = session.encode(&bars(3)).await.unwrap();
    let saved = session.export_weights().await.unwrap();
    session.load_weights(&saved, "saved").await.unwrap();
    let after = session.encode(&bars(3)).await.unwrap();
    assert_eq!(before.means, after.means);
    assert_eq!(before.probabilities, after.probabilities);
}

#[wasm_bindgen_test]
async fn bad_inputs_are_errors_not_panics() {
    let mut session = shipped();
    assert!(session.encode(&[0.5; 100]).await.is_err(), "wrong image size");
    assert!(session.classify(&[0; 16], 4, 4).await.is_err(), "empty drawing");
    assert!(session.classify(&[255; 10], 4, 4).await.is_err(), "ink of the wrong size");
    assert!(session.load_weights(&WEIGHTS[..WEIGHTS.len() / 3], "cut").await.is_err(), "truncated weights");
    assert!(Session::new(Device::flex(), b"not weights", "junk", None, vec![]).is_err(), "corrupt weights");
    let no_components = TrainSettings {
        components: 0,
        latent_dim: 10,
        pretrain_epochs: 1,
        anchor_epochs: 0,
        self_training_epochs: 0,
        mixture_epochs: 0,
        batch_size: 32,
        learning_rate: 1e-3,
        init_sample: 100,
        grouping_starts: 1,
        grouping: PriorInit::TsneKMeans,
        seed: 1,
        augment: false,
    };
    assert!(no_components.to_config().is_err(), "K = 0");
    // The same through the surface the worker calls: a JS error, not a panic.
    assert!(Engine::create("cpu".into(), b"junk".to_vec(), None, None).await.is_err());
    assert!(Engine::create("tpu".into(), WEIGHTS.to_vec(), None, None).await.is_err());
    // The session still works after all that.
    assert_eq!(session.encode(&bars(1)).await.unwrap().clusters.len(), 1);
}

/// Loss before and after one Adam step on `device`, from `weights`, on `images`.
async fn one_step(weights: &[u8], images: &[f32], device: &Device) -> (f32, f32) {
    let device = device.clone().autodiff();
    let (model, _) = from_safetensors_bytes(weights, &device).unwrap();
    let batch = || {
        Tensor::<2>::from_data(TensorData::new(images.to_vec(), [images.len() / IMAGE_PIXELS, IMAGE_PIXELS]), &device)
    };
    let terms = Objective::Autoencoder.terms(&model, batch(), None);
    let before = read_f32(terms.total.clone()).await.unwrap()[0];
    let grads = GradientsParams::from_grads(terms.total.backward(), &model);
    let model = AdamConfig::new().init().step(1e-3, model, grads);
    let after = read_f32(Objective::Autoencoder.terms(&model.valid(), batch().without_autodiff(), None).total)
        .await
        .unwrap()[0];
    (before, after)
}

#[wasm_bindgen_test]
async fn one_training_step_on_webgpu_matches_the_cpu() {
    // The page's start function runs them; this runner does not call it, and the WebGPU backend's
    // kernel compiler needs what they register.
    run_static_constructors();
    let gpu = Device::wgpu_options().graphics_api(WgpuBackend::WebGpu).init_async().await.expect("WebGPU starts");
    // A small model keeps software WebGPU quick; the same file loads on both backends.
    let config = ModelConfig::new().with_hidden_outer(64).with_hidden_inner(32);
    let cpu = Device::flex();
    cpu.seed(3);
    let weights = to_safetensors_bytes(&config.init(&cpu).unwrap(), &config).unwrap();
    let images = bars(16);
    let (cpu_before, cpu_after) = one_step(&weights, &images, &cpu).await;
    let (gpu_before, gpu_after) = one_step(&weights, &images, &gpu).await;
    assert!(cpu_after < cpu_before, "the step lowers the loss: {cpu_before} -> {cpu_after}");
    // Tolerance: relative 1e-4 on the loss (sums of 784 terms in f32, kernels in another order).
    let close = |a: f32, b: f32| ((a - b) / a).abs() < 1e-4;
    assert!(close(cpu_before, gpu_before), "loss before the step: CPU {cpu_before}, WebGPU {gpu_before}");
    assert!(close(cpu_after, gpu_after), "loss after the step: CPU {cpu_after}, WebGPU {gpu_after}");
}

/// A drawing's result crosses as one Float32Array (src/web.rs's layout; www/worker/unpack.ts
/// reads it): the header's shape matches the parts, and the parts are the session's.
#[wasm_bindgen_test]
async fn a_drawings_result_is_packed_with_its_shape_in_front() {
    let engine = Engine::create("cpu".into(), WEIGHTS.to_vec(), None, None).await.unwrap();
    let mut ink = vec![0u8; 280 * 280];
    for y in 40..240 {
        for x in 130..150 {
            ink[y * 280 + x] = 255; // a "1"
        }
    }
    let packed = engine.classify(ink.clone(), 280, 280).await.unwrap();
    let (cluster, d, k, has_position) = (packed[0] as usize, packed[1] as usize, packed[2] as usize, packed[3]);
    assert_eq!((d, k, has_position), (10, 10, 0.0), "no map yet, so no position");
    assert_eq!(packed.len(), 6 + 784 + 2 * d + k + 784);
    let expected = shipped().classify(&ink, 280, 280).await.unwrap();
    assert_eq!(cluster, expected.cluster);
    let probabilities = &packed[6 + 784 + 2 * d..6 + 784 + 2 * d + k];
    assert_eq!(probabilities, &expected.probabilities[..]);
    assert_eq!(&packed[6 + 784 + 2 * d + k..], &expected.reconstruction[..]);
}
