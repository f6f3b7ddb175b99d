//! The clustering VAE: an MLP encoder q(z|x), a Bernoulli MLP decoder p(x|z), and a Gaussian
//! mixture prior p(z) = sum_y p(y) N(z; mu_y, diag sigma_y^2) with a learned mean and
//! log-variance per component and uniform p(y).
//!
//! The cluster of an input is the mixture's own posterior over components at the latent mean,
//! p(y | z = m(x)) (VaDE's choice): it needs no extra head and is what the loss trains.

use burn::config::Config;
use burn::module::{Module, Param};
use burn::nn::{Linear, LinearConfig};
use burn::tensor::activation::{relu, sigmoid, softmax};
use burn::tensor::{Device, Distribution, Tensor};

use crate::data::IMAGE_PIXELS;

/// ln(2 pi), the constant of a Gaussian log-density per dimension.
const LN_2PI: f32 = 1.837_877_1;

/// Architecture. Carried with every saved model so that weights always load into the shape they
/// were trained in.
#[derive(Config, Debug, PartialEq)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
pub struct ModelConfig {
    /// Mixture components K (clusters).
    #[config(default = 10)]
    pub components: usize,
    /// Width d of the continuous latent code z (10, as VaDE; docs/experiments.md has the measurements).
    #[config(default = 10)]
    pub latent_dim: usize,
    /// Width of the first hidden layer (encoder; the decoder mirrors it).
    #[config(default = 512)]
    pub hidden_outer: usize,
    /// Width of the second hidden layer (encoder; the decoder mirrors it).
    #[config(default = 256)]
    pub hidden_inner: usize,
}

/// Why a configuration cannot be built.
#[derive(Debug, thiserror::Error, PartialEq)]
#[error("invalid model configuration: {0}")]
pub struct ConfigError(pub String);

impl ModelConfig {
    /// Checks that every size is usable before any tensor is made.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let fields = [
            ("components", self.components, 1, 256),
            ("latent_dim", self.latent_dim, 1, 256),
            ("hidden_outer", self.hidden_outer, 1, 4096),
            ("hidden_inner", self.hidden_inner, 1, 4096),
        ];
        for (name, value, min, max) in fields {
            if !(min..=max).contains(&value) {
                return Err(ConfigError(format!("{name} = {value}, must be in {min}..={max}")));
            }
        }
        Ok(())
    }

    /// A fresh model: default (Kaiming) layer initialisation, component means spread as
    /// N(0, I), unit component variances.
    pub fn init(&self, device: &Device) -> Result<ClusterVae, ConfigError> {
        self.validate()?;
        let linear = |i, o| LinearConfig::new(i, o).init(device);
        let (k, d) = (self.components, self.latent_dim);
        Ok(ClusterVae {
            enc_outer: linear(IMAGE_PIXELS, self.hidden_outer),
            enc_inner: linear(self.hidden_outer, self.hidden_inner),
            enc_mean: linear(self.hidden_inner, d),
            enc_logvar: linear(self.hidden_inner, d),
            dec_inner: linear(d, self.hidden_inner),
            dec_outer: linear(self.hidden_inner, self.hidden_outer),
            dec_pixels: linear(self.hidden_outer, IMAGE_PIXELS),
            prior_means: Param::from_tensor(Tensor::random([k, d], Distribution::Normal(0.0, 1.0), device)),
            prior_logvars: Param::from_tensor(Tensor::zeros([k, d], device)),
        })
    }
}

/// The encoder's Gaussian q(z|x) = N(mean, diag exp(logvar)).
#[derive(Clone, Debug)]
pub struct Posterior {
    /// `[batch, latent]`
    pub mean: Tensor<2>,
    /// `[batch, latent]`
    pub logvar: Tensor<2>,
}

#[derive(Module, Debug)]
pub struct ClusterVae {
    enc_outer: Linear,
    enc_inner: Linear,
    enc_mean: Linear,
    enc_logvar: Linear,
    dec_inner: Linear,
    dec_outer: Linear,
    dec_pixels: Linear,
    /// mu_y, one row per component. `[K, latent]`
    prior_means: Param<Tensor<2>>,
    /// log sigma_y^2, one row per component. `[K, latent]`
    prior_logvars: Param<Tensor<2>>,
}

impl ClusterVae {
    /// Number of mixture components K.
    pub fn components(&self) -> usize {
        self.prior_means.dims()[0]
    }

    /// Width of the latent code d.
    pub fn latent_dim(&self) -> usize {
        self.prior_means.dims()[1]
    }

    /// q(z|x).
    ///
    /// # Shapes
    /// - images: `[batch, 784]`, intensities in [0, 1]
    pub fn encode(&self, images: Tensor<2>) -> Posterior {
        let h = relu(self.enc_outer.forward(images)); // [batch, hidden_outer]
        let h = relu(self.enc_inner.forward(h)); // [batch, hidden_inner]
        Posterior {
            mean: self.enc_mean.forward(h.clone()),
            // Bounded so that exp() can neither vanish nor overflow early in training.
            logvar: self.enc_logvar.forward(h).clamp(-12.0, 8.0),
        }
    }

    /// Bernoulli logits of p(x|z).
    ///
    /// # Shapes
    /// - latents: `[batch, latent]` -> `[batch, 784]`
    pub fn decode_logits(&self, latents: Tensor<2>) -> Tensor<2> {
        let h = relu(self.dec_inner.forward(latents));
        let h = relu(self.dec_outer.forward(h));
        self.dec_pixels.forward(h)
    }

    /// Pixel intensities (Bernoulli means) of p(x|z). `[batch, latent]` -> `[batch, 784]`
    pub fn decode(&self, latents: Tensor<2>) -> Tensor<2> {
        sigmoid(self.decode_logits(latents))
    }

    /// The reparameterisation trick: z = mean + exp(logvar / 2) * eps, eps ~ N(0, I).
    pub fn sample_latent(posterior: &Posterior) -> Tensor<2> {
        let eps = Tensor::random(posterior.mean.shape(), Distribution::Normal(0.0, 1.0), &posterior.mean.device());
        posterior.mean.clone() + (posterior.logvar.clone() * 0.5).exp() * eps
    }

    /// mu_y `[K, latent]`.
    pub fn prior_means(&self) -> Tensor<2> {
        self.prior_means.val()
    }

    /// log sigma_y^2 `[K, latent]`.
    pub fn prior_logvars(&self) -> Tensor<2> {
        self.prior_logvars.val()
    }

    /// log p(y) + log N(z; mu_y, sigma_y^2) for every component, with uniform p(y).
    ///
    /// # Shapes
    /// - latents: `[batch, latent]` -> `[batch, K]`
    pub fn log_joint(&self, latents: Tensor<2>) -> Tensor<2> {
        let k = self.components();
        let z = latents.unsqueeze_dim::<3>(1); // [batch, 1, latent]
        let means = self.prior_means().unsqueeze_dim::<3>(0); // [1, K, latent]
        let logvars = self.prior_logvars().unsqueeze_dim::<3>(0); // [1, K, latent]
        let per_dim = (z - means).powi_scalar(2) / logvars.clone().exp() + logvars + LN_2PI;
        let log_density = per_dim.sum_dim(2).squeeze_dim::<2>(2) * -0.5; // [batch, K]
        log_density - (k as f32).ln()
    }

    /// The mixture's posterior over components p(y|z), the model's q(y|.). `[batch, K]`
    pub fn responsibilities(&self, latents: Tensor<2>) -> Tensor<2> {
        softmax(self.log_joint(latents), 1)
    }

    /// Replaces the prior's parameters (used when they are initialised from encoded data).
    pub fn with_prior(mut self, means: Tensor<2>, logvars: Tensor<2>) -> Self {
        assert_eq!(means.dims(), self.prior_means.dims(), "prior means shape");
        assert_eq!(logvars.dims(), self.prior_logvars.dims(), "prior log-variances shape");
        self.prior_means = Param::from_tensor(means);
        self.prior_logvars = Param::from_tensor(logvars);
        self
    }
}
