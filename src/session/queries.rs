//! What the model makes of what it is given: images encoded, codes decoded, a drawing classified,
//! samples of each component.

use burn::tensor::{Tensor, TensorData};
use serde::{Deserialize, Serialize};

use super::{Session, SessionError};
use crate::data::IMAGE_PIXELS;
use crate::drawing::to_model_input;
use crate::generation::{prototypes, sample_grid};
use crate::inference::{argmax, read_f32};

/// One drawing, as the model sees it and what it makes of it.
/// Crosses to the page as typed arrays (`web`), not through tsify.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Classification {
    /// The 28x28 input made from the drawing, values in [0, 1].
    pub input: Vec<f32>,
    /// q(z|x): mean and log-variance.
    pub mean: Vec<f32>,
    pub logvar: Vec<f32>,
    /// p(y | z = mean), one per component; sums to 1.
    pub probabilities: Vec<f32>,
    /// The most probable component.
    pub cluster: usize,
    /// The decoded mean: 784 values in [0, 1].
    pub reconstruction: Vec<f32>,
    /// Where the drawing lands on the latent map, once the map exists.
    pub map_position: Option<[f32; 2]>,
}

/// Images as the model encodes them, `n` of them, row-major.
/// Crosses to the page as typed arrays (`web`), not through tsify.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Encoding {
    /// `[n, d]`: means of q(z|x).
    pub means: Vec<f32>,
    /// `[n, d]`: log-variances of q(z|x).
    pub logvars: Vec<f32>,
    /// `[n, K]`: p(y | z = mean).
    pub probabilities: Vec<f32>,
    /// `[n]`: the most probable component of each.
    pub clusters: Vec<u32>,
}

impl Session {
    /// Encodes images (`[n, 784]` row-major, values in [0, 1]).
    pub async fn encode(&self, images: &[f32]) -> Result<Encoding, SessionError> {
        if images.is_empty() || !images.len().is_multiple_of(IMAGE_PIXELS) {
            return Err(SessionError::Invalid(format!(
                "{} values are not whole images of {IMAGE_PIXELS} pixels",
                images.len()
            )));
        }
        if images.iter().any(|v| !(0.0..=1.0).contains(v)) {
            return Err(SessionError::Invalid("pixel values must be in [0, 1]".into()));
        }
        let n = images.len() / IMAGE_PIXELS;
        let batch = Tensor::<2>::from_data(TensorData::new(images.to_vec(), [n, IMAGE_PIXELS]), &self.device);
        let [means, logvars, probabilities, _] = self.encode_rows(batch, false).await?;
        let clusters = probabilities.chunks_exact(self.model.components()).map(|p| argmax(p) as u32).collect();
        Ok(Encoding { means, logvars, probabilities, clusters })
    }

    /// Latent means, log-variances, cluster probabilities and (if `reconstruct`) the means
    /// decoded, each `[n, width]` row-major. One read-back for all four: on WebGPU every
    /// read-back is a round trip to the GPU.
    async fn encode_rows(&self, batch: Tensor<2>, reconstruct: bool) -> Result<[Vec<f32>; 4], SessionError> {
        let posterior = self.model.encode(batch);
        let probabilities = self.model.responsibilities(posterior.mean.clone());
        let mut parts = vec![posterior.mean.clone(), posterior.logvar, probabilities];
        if reconstruct {
            parts.push(self.model.decode(posterior.mean));
        }
        let widths: Vec<usize> = parts.iter().map(|t| t.dims()[1]).collect();
        let rows = read_f32(Tensor::cat(parts, 1)).await?;
        let mut columns: [Vec<f32>; 4] = Default::default();
        for row in rows.chunks_exact(widths.iter().sum()) {
            let mut start = 0;
            for (column, &width) in columns.iter_mut().zip(&widths) {
                column.extend_from_slice(&row[start..start + width]);
                start += width;
            }
        }
        Ok(columns)
    }

    /// Decodes latent codes (`[n, d]` row-major) to images, `[n, 784]`.
    pub async fn decode(&self, codes: &[f32]) -> Result<Vec<f32>, SessionError> {
        let d = self.model.latent_dim();
        if codes.is_empty() || !codes.len().is_multiple_of(d) {
            return Err(SessionError::Invalid(format!("{} values are not whole codes of width {d}", codes.len())));
        }
        if codes.iter().any(|v| !v.is_finite()) {
            return Err(SessionError::Invalid("a latent code is not finite".into()));
        }
        let latents = Tensor::<2>::from_data(TensorData::new(codes.to_vec(), [codes.len() / d, d]), &self.device);
        Ok(read_f32(self.model.decode(latents)).await?)
    }

    /// Encodes a drawing (`ink`: `width * height` values, 0 = blank).
    pub async fn classify(&self, ink: &[u8], width: u32, height: u32) -> Result<Classification, SessionError> {
        let input = to_model_input(ink, width, height)?;
        let images = Tensor::<2>::from_data(TensorData::new(input.clone(), [1, IMAGE_PIXELS]), &self.device);
        let [mean, logvar, probabilities, reconstruction] = self.encode_rows(images, true).await?;
        let cluster = argmax(&probabilities);
        let map_position = match &self.plane {
            Some((map, _)) => map.project(&mean)?.try_into().ok(),
            None => None,
        };
        Ok(Classification { input, mean, logvar, probabilities, cluster, reconstruction, map_position })
    }

    /// `per_component` samples of each component decoded, `[K * per_component, 784]`.
    pub async fn generate(&self, per_component: usize, seed: u64, same_style: bool) -> Result<Vec<f32>, SessionError> {
        if per_component > 64 {
            return Err(SessionError::Invalid(format!("{per_component} samples per component is more than 64")));
        }
        Ok(sample_grid(&self.model, per_component, seed, same_style, &self.device).await?)
    }

    /// Each component's mean decoded, `[K, 784]`.
    pub async fn prototypes(&self) -> Result<Vec<f32>, SessionError> {
        Ok(prototypes(&self.model).await?)
    }
}
