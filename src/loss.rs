//! The negative ELBO of the clustering VAE, term by term, and the objectives of the training
//! stages.
//!
//! Per example, with q(y|.) = gamma the mixture's responsibilities at the sampled z:
//!
//!   loss = BCE(x, decoder(z))                                   reconstruction, z ~ q(z|x) once
//!        + sum_y gamma_y KL(q(z|x) || N(mu_y, sigma_y^2))        y summed out exactly
//!        + KL(gamma || p(y)),  p(y) uniform                     = sum_y gamma_y ln(K gamma_y)
//!
//! Every function here returns one value per example (`[batch]`); the batch mean is taken once,
//! in [`Objective::terms`].

use burn::tensor::Tensor;
use burn::tensor::activation::log_softmax;

use crate::model::{ClusterVae, Posterior};

/// Floor inside logarithms of probabilities, so a responsibility of exactly 0 adds 0, not NaN.
const PROB_FLOOR: f32 = 1e-10;

/// -ln p(x|z) for a Bernoulli decoder: binary cross-entropy with logits, summed over pixels.
/// Written as max(l, 0) - x l + ln(1 + e^-|l|), which never overflows.
///
/// # Shapes
/// - logits, targets: `[batch, pixels]` -> `[batch]`
pub fn bernoulli_nll(logits: Tensor<2>, targets: Tensor<2>) -> Tensor<1> {
    let stable = logits.clone().clamp_min(0.0) - targets * logits.clone() + logits.abs().neg().exp().log1p();
    stable.sum_dim(1).squeeze_dim::<1>(1)
}

/// KL(N(m, diag e^v) || N(mu_y, diag e^w_y)) for every component y:
/// 0.5 sum_j [w_yj - v_j + (e^v_j + (m_j - mu_yj)^2) / e^w_yj - 1].
///
/// # Shapes
/// - posterior: mean, logvar `[batch, latent]`; prior_means, prior_logvars `[K, latent]`
///   -> `[batch, K]`
pub fn gaussian_kl_per_component(posterior: &Posterior, prior_means: Tensor<2>, prior_logvars: Tensor<2>) -> Tensor<2> {
    let mean = posterior.mean.clone().unsqueeze_dim::<3>(1); // [batch, 1, latent]
    let logvar = posterior.logvar.clone().unsqueeze_dim::<3>(1); // [batch, 1, latent]
    let prior_means = prior_means.unsqueeze_dim::<3>(0); // [1, K, latent]
    let prior_logvars = prior_logvars.unsqueeze_dim::<3>(0); // [1, K, latent]
    let ratio = (logvar.clone().exp() + (mean - prior_means).powi_scalar(2)) / prior_logvars.clone().exp();
    let per_dim = prior_logvars - logvar + ratio - 1.0; // [batch, K, latent]
    per_dim.sum_dim(2).squeeze_dim::<2>(2) * 0.5
}

/// sum_y gamma_y KL(q(z|x) || p(z|y)): the continuous KL with y summed out exactly.
///
/// # Shapes
/// - responsibilities, kl_per_component: `[batch, K]` -> `[batch]`
pub fn expected_gaussian_kl(responsibilities: Tensor<2>, kl_per_component: Tensor<2>) -> Tensor<1> {
    (responsibilities * kl_per_component).sum_dim(1).squeeze_dim::<1>(1)
}

/// KL(gamma || uniform over K) = sum_y gamma_y ln(K gamma_y).
///
/// # Shapes
/// - responsibilities: `[batch, K]` -> `[batch]`
pub fn categorical_kl_to_uniform(responsibilities: Tensor<2>) -> Tensor<1> {
    let k = responsibilities.dims()[1] as f32;
    let log_ratio = responsibilities.clone().clamp_min(PROB_FLOOR).log() + k.ln();
    (responsibilities * log_ratio).sum_dim(1).squeeze_dim::<1>(1)
}

/// -ln softmax(logits)[label] with the label given one-hot.
///
/// # Shapes
/// - logits, one_hot: `[batch, K]` -> `[batch]`
pub fn cross_entropy(logits: Tensor<2>, one_hot: Tensor<2>) -> Tensor<1> {
    (log_softmax(logits, 1) * one_hot).sum_dim(1).squeeze_dim::<1>(1).neg()
}

/// KL(N(m, diag e^v) || N(0, I)) = 0.5 sum_j [e^v_j + m_j^2 - 1 - v_j], the plain VAE's term.
///
/// # Shapes
/// - posterior: `[batch, latent]` -> `[batch]`
pub fn standard_normal_kl(posterior: &Posterior) -> Tensor<1> {
    let per_dim =
        posterior.logvar.clone().exp() + posterior.mean.clone().powi_scalar(2) - 1.0 - posterior.logvar.clone();
    per_dim.sum_dim(1).squeeze_dim::<1>(1) * 0.5
}

/// What a training stage minimises.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum Objective {
    /// Deterministic autoencoder on the latent mean: reconstruction only. The pretraining stage
    /// whose codes seed the mixture (VaDE's recipe against over-regularisation).
    Autoencoder,
    /// Plain VAE with a N(0, I) prior: the first half of the two-step baseline.
    Vae,
    /// The clustering VAE's negative ELBO, KL terms scaled by `kl_weight` (1 = the true ELBO;
    /// below 1 during a warm-up).
    Mixture { kl_weight: f32 },
    /// The same ELBO with y observed (gamma is the one-hot pseudo-label each digit got when the
    /// prior was initialised), plus `weight` times the cross-entropy of the mixture posterior
    /// p(y|z) against that label. It pulls each group of codes onto its own Gaussian, and away
    /// from the others, before the model's own posterior takes over (see `training`).
    Anchored { weight: f32 },
}

/// Batch means of each term of a step's loss; `total` is what is differentiated.
#[derive(Clone, Debug)]
pub struct LossTerms {
    pub total: Tensor<1>,
    pub reconstruction: Tensor<1>,
    /// KL of the continuous code: to the mixture (summed over y) or to N(0, I) for the plain VAE.
    pub kl_z: Tensor<1>,
    /// KL of the component posterior to p(y); zero for objectives without components.
    pub kl_y: Tensor<1>,
    /// Anchor stage only: cross-entropy of the mixture posterior p(y|z) against the pseudo-label.
    pub anchor: Tensor<1>,
}

impl Objective {
    /// The loss of one batch under this objective. `anchors` (`[batch, K]`, one-hot) is used by
    /// [`Objective::Anchored`] only, which needs it.
    pub fn terms(&self, model: &ClusterVae, images: Tensor<2>, anchors: Option<Tensor<2>>) -> LossTerms {
        let posterior = model.encode(images.clone());
        let zero = || posterior.mean.zeros_like().sum(); // [1], on the right device
        match *self {
            Objective::Autoencoder => {
                let reconstruction = bernoulli_nll(model.decode_logits(posterior.mean.clone()), images).mean();
                LossTerms { total: reconstruction.clone(), reconstruction, kl_z: zero(), kl_y: zero(), anchor: zero() }
            }
            Objective::Vae => {
                let z = ClusterVae::sample_latent(&posterior);
                let reconstruction = bernoulli_nll(model.decode_logits(z), images).mean();
                let kl_z = standard_normal_kl(&posterior).mean();
                LossTerms {
                    total: reconstruction.clone() + kl_z.clone(),
                    reconstruction,
                    kl_z,
                    kl_y: zero(),
                    anchor: zero(),
                }
            }
            Objective::Mixture { .. } | Objective::Anchored { .. } => {
                let z = ClusterVae::sample_latent(&posterior);
                let reconstruction = bernoulli_nll(model.decode_logits(z.clone()), images).mean();
                let kl_components = gaussian_kl_per_component(&posterior, model.prior_means(), model.prior_logvars());
                match (*self, anchors) {
                    (Objective::Mixture { kl_weight }, _) => {
                        let responsibilities = model.responsibilities(z);
                        let kl_z = expected_gaussian_kl(responsibilities.clone(), kl_components).mean();
                        let kl_y = categorical_kl_to_uniform(responsibilities).mean();
                        let total = reconstruction.clone() + (kl_z.clone() + kl_y.clone()) * kl_weight;
                        LossTerms { total, reconstruction, kl_z, kl_y, anchor: zero() }
                    }
                    (Objective::Anchored { weight }, Some(one_hot)) => {
                        let kl_z = expected_gaussian_kl(one_hot.clone(), kl_components).mean();
                        let kl_y = categorical_kl_to_uniform(one_hot.clone()).mean();
                        let anchor = cross_entropy(model.log_joint(z), one_hot).mean();
                        let total = reconstruction.clone() + kl_z.clone() + kl_y.clone() + anchor.clone() * weight;
                        LossTerms { total, reconstruction, kl_z, kl_y, anchor }
                    }
                    _ => panic!("Objective::Anchored needs the batch's pseudo-labels"),
                }
            }
        }
    }
}
