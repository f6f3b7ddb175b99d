//! Each loss term against values worked out by hand on tiny tensors.
#![cfg(not(target_arch = "wasm32"))] // native: files, threads; tests/web.rs runs in the browser

use burn::tensor::{Device, Tensor, TensorData};
use mixvae::loss::{
    bernoulli_nll, categorical_kl_to_uniform, expected_gaussian_kl, gaussian_kl_per_component, standard_normal_kl,
};
use mixvae::model::{ModelConfig, Posterior};

fn device() -> Device {
    Device::flex()
}

fn t2(values: &[f32], shape: [usize; 2]) -> Tensor<2> {
    Tensor::from_data(TensorData::new(values.to_vec(), shape), &device())
}

fn values<const D: usize>(t: Tensor<D>) -> Vec<f32> {
    t.into_data().try_to_vec::<f32>().unwrap()
}

fn assert_close(found: &[f32], expected: &[f32]) {
    assert_eq!(found.len(), expected.len());
    for (f, e) in found.iter().zip(expected) {
        assert!((f - e).abs() < 1e-5, "found {found:?}, expected {expected:?}");
    }
}

#[test]
fn bernoulli_nll_is_binary_cross_entropy_summed_over_pixels() {
    // x=1, l=0: ln 2.  x=0, l=2: ln(1 + e^2) = 2.126928.  Row 2: x=1, l=-3: ln(1 + e^3) = 3.048587;
    // x=0.5, l=1: ln(1 + e) - 0.5 = 0.813262.
    let logits = t2(&[0.0, 2.0, -3.0, 1.0], [2, 2]);
    let targets = t2(&[1.0, 0.0, 1.0, 0.5], [2, 2]);
    assert_close(&values(bernoulli_nll(logits, targets)), &[std::f32::consts::LN_2 + 2.126928, 3.048587 + 0.813262]);
}

#[test]
fn bernoulli_nll_stays_finite_for_huge_logits() {
    let logits = t2(&[500.0, -500.0], [1, 2]);
    let targets = t2(&[0.0, 1.0], [1, 2]);
    assert_close(&values(bernoulli_nll(logits, targets)), &[1000.0]);
}

fn posterior() -> Posterior {
    // m = (1, 0), s^2 = (1, 4)
    Posterior { mean: t2(&[1.0, 0.0], [1, 2]), logvar: t2(&[0.0, 4f32.ln()], [1, 2]) }
}

#[test]
fn gaussian_kl_per_component_matches_the_closed_form() {
    // Component 0: mu = (0, 0), sigma^2 = (1, 1):
    //   dim 0: 0.5 (0 - 0 + (1 + 1) / 1 - 1) = 0.5;  dim 1: 0.5 (0 - ln 4 + 4 - 1) = 0.806853
    // Component 1: mu = (1, 1), sigma^2 = (2, 1):
    //   dim 0: 0.5 (ln 2 - 0 + 1 / 2 - 1) = 0.096574;  dim 1: 0.5 (0 - ln 4 + (4 + 1) - 1) = 1.306853
    let means = t2(&[0.0, 0.0, 1.0, 1.0], [2, 2]);
    let logvars = t2(&[0.0, 0.0, 2f32.ln(), 0.0], [2, 2]);
    let kl = gaussian_kl_per_component(&posterior(), means, logvars);
    assert_eq!(kl.dims(), [1, 2]);
    assert_close(&values(kl), &[1.306853, 1.403427]);
}

#[test]
fn gaussian_kl_is_zero_against_itself() {
    let p = posterior();
    let kl = gaussian_kl_per_component(&p, p.mean.clone(), p.logvar.clone());
    assert_close(&values(kl), &[0.0]);
}

#[test]
fn expected_kl_weights_components_by_responsibility() {
    let kl = t2(&[1.306853, 1.403427], [1, 2]);
    let gamma = t2(&[0.25, 0.75], [1, 2]);
    assert_close(&values(expected_gaussian_kl(gamma, kl)), &[0.25 * 1.306853 + 0.75 * 1.403427]);
}

#[test]
fn categorical_kl_to_uniform_by_hand() {
    // K = 2, gamma = (0.25, 0.75): 0.25 ln 0.5 + 0.75 ln 1.5 = 0.130812.
    // Uniform gamma: 0. One-hot over K = 4: ln 4 (and no NaN from 0 ln 0).
    let gamma = t2(&[0.25, 0.75], [1, 2]);
    assert_close(&values(categorical_kl_to_uniform(gamma)), &[0.130812]);
    let uniform = t2(&[0.25; 4], [1, 4]);
    assert_close(&values(categorical_kl_to_uniform(uniform)), &[0.0]);
    let one_hot = t2(&[0.0, 1.0, 0.0, 0.0], [1, 4]);
    assert_close(&values(categorical_kl_to_uniform(one_hot)), &[4f32.ln()]);
}

#[test]
fn standard_normal_kl_by_hand() {
    // 0.5 [(1 + 1 - 1 - 0) + (4 + 0 - 1 - ln 4)] = 1.306853
    assert_close(&values(standard_normal_kl(&posterior())), &[1.306853]);
}

#[test]
fn responsibilities_are_the_mixture_posterior() {
    let device = device();
    let model = ModelConfig::new()
        .with_components(2)
        .with_latent_dim(2)
        .with_hidden_outer(8)
        .with_hidden_inner(4)
        .init(&device)
        .unwrap();
    let model = model.with_prior(t2(&[0.0, 0.0, 2.0, 0.0], [2, 2]), t2(&[0.0; 4], [2, 2]));
    // z = (1, 0) is equally far from both means; z = (0, 0): log-densities differ by 2.
    let gamma = values(model.responsibilities(t2(&[1.0, 0.0, 0.0, 0.0], [2, 2])));
    let p = 1.0 / (1.0 + (-2f32).exp());
    assert_close(&gamma, &[0.5, 0.5, p, 1.0 - p]);
    // log p(y) + log N(z; mu_y, I) at z = mu_0: ln(1/2) - ln(2 pi) for d = 2.
    let joint = values(model.log_joint(t2(&[0.0, 0.0], [1, 2])));
    assert_close(&joint[..1], &[0.5f32.ln() - (2.0 * std::f32::consts::PI).ln()]);
}

#[test]
fn cross_entropy_is_minus_log_softmax_at_the_label() {
    // logits (0, ln 3): softmax (1/4, 3/4). Label 1: -ln 3/4 = 0.287682; label 0: ln 4.
    let logits = t2(&[0.0, 3f32.ln(), 0.0, 3f32.ln()], [2, 2]);
    let labels = t2(&[0.0, 1.0, 1.0, 0.0], [2, 2]);
    assert_close(&values(mixvae::loss::cross_entropy(logits, labels)), &[0.287682, 4f32.ln()]);
}
