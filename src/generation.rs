//! Digits drawn from the model: samples of p(z|y) decoded, one row per component, and the
//! decoded centre of each component (its "typical digit").

use burn::tensor::{Device, Tensor, TensorData};
use rand::SeedableRng;
use rand_distr::{Distribution, StandardNormal};
use rand_xoshiro::Xoshiro256PlusPlus;

use crate::inference::{ReadbackError, read_f32};
use crate::model::ClusterVae;

/// Standard normal noise for a `components x per_component` grid of latent codes of width `dim`,
/// `[components * per_component, dim]` row-major. With `same_style`, every row (component) gets
/// the same noise per column: the style stays while the component changes.
pub fn grid_noise(components: usize, per_component: usize, dim: usize, seed: u64, same_style: bool) -> Vec<f32> {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let rows = if same_style { 1 } else { components };
    let drawn: Vec<f32> = (0..rows * per_component * dim).map(|_| StandardNormal.sample(&mut rng)).collect();
    if same_style { drawn.repeat(components) } else { drawn }
}

/// `per_component` digits from each component y: z = mu_y + sigma_y * noise, decoded.
/// `[K * per_component, 784]` row-major, row by row of components.
pub async fn sample_grid(
    model: &ClusterVae,
    per_component: usize,
    seed: u64,
    same_style: bool,
    device: &Device,
) -> Result<Vec<f32>, ReadbackError> {
    let (k, d) = (model.components(), model.latent_dim());
    if per_component == 0 {
        return Ok(Vec::new());
    }
    let noise = grid_noise(k, per_component, d, seed, same_style);
    let noise = Tensor::<3>::from_data(TensorData::new(noise, [k, per_component, d]), device);
    let means = model.prior_means().unsqueeze_dim::<3>(1); // [K, 1, d]
    let deviations = (model.prior_logvars() * 0.5).exp().unsqueeze_dim::<3>(1);
    let latents = (means + deviations * noise).reshape([k * per_component, d]);
    read_f32(model.decode(latents)).await
}

/// Each component's mean decoded: `[K, 784]`.
pub async fn prototypes(model: &ClusterVae) -> Result<Vec<f32>, ReadbackError> {
    read_f32(model.decode(model.prior_means())).await
}
