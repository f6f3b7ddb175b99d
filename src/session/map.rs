//! The latent map: the test digits encoded and projected on their PCA plane, the scores and
//! majorities that come from the same encoding, the two-step baseline's map, and the grid of
//! decoded codes a walk over the map shows.

use burn::tensor::{Tensor, TensorData};
use serde::{Deserialize, Serialize};

use super::{Session, SessionError};
use crate::baseline::two_step;
use crate::data::Dataset;
use crate::inference::{EncodedSet, encode_dataset, read_f32};
use crate::metrics::{Scores, majority_labels};
use crate::projection::{PcaPlane, ProjectionError, grid_positions};
use crate::store::from_safetensors_bytes;

/// The seed of the baseline's k-means on the page (its groups are the same on every visit).
const BASELINE_KMEANS_SEED: u64 = 1;

/// The test digits on the latent map.
/// Crosses to the page as typed arrays (`web`), not through tsify.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct MapView {
    /// `[n, 2]` row-major: each test digit's position.
    pub positions: Vec<f32>,
    /// Each digit's cluster.
    pub clusters: Vec<u32>,
    /// Each digit's true label, when the set has labels.
    pub labels: Option<Vec<u8>>,
    /// Share of the codes' variance the two axes show.
    pub explained: [f32; 2],
    /// The box the "walk the map" grid spans: [x0, x1, y0, y1] (2nd to 98th percentiles).
    pub extent: [f32; 4],
    /// `[n, latent_dim]`: each digit's code (the mean of q(z|x)), for views other than PCA.
    pub codes: Vec<f32>,
    pub latent_dim: usize,
}

impl MapView {
    /// `codes` (`[n, latent_dim]`) on `map`'s plane, each with its cluster (or group) and label.
    fn on(
        map: &PcaPlane,
        codes: Vec<f32>,
        latent_dim: usize,
        clusters: &[usize],
        labels: Option<Vec<u8>>,
    ) -> Result<Self, ProjectionError> {
        let positions = map.project(&codes)?;
        Ok(Self {
            explained: map.explained_variance_ratio(&codes)?,
            extent: map_extent(&positions),
            positions,
            clusters: clusters.iter().map(|&c| c as u32).collect(),
            labels,
            codes,
            latent_dim,
        })
    }
}

impl Session {
    /// Encodes the test set under the current model (once per model) and fits the map.
    pub(super) async fn encoded_test(&mut self) -> Result<&(EncodedSet, PcaPlane), SessionError> {
        if self.encoded_test.is_none() {
            let data = self.test.as_ref().ok_or(SessionError::NoTestSet)?;
            let encoded = encode_dataset(&self.model, data, &self.device).await?;
            let map = PcaPlane::fit(&encoded.means, encoded.latent_dim)?;
            self.plane = Some((map.clone(), map_extent(&map.project(&encoded.means)?)));
            self.encoded_test = Some((encoded, map));
        }
        Ok(self.encoded_test.as_ref().expect("filled above"))
    }

    /// Recomputes scores and cluster majorities on the test set, if it is loaded with labels.
    pub(super) async fn rescore(&mut self) -> Result<(), SessionError> {
        let k = self.info.config.components;
        if self.test.as_ref().and_then(Dataset::labels).is_none() {
            // Without labels there is nothing to score against: no stale scores from other data.
            self.info.scores = None;
            self.info.majority = vec![None; k];
            return Ok(());
        }
        self.encoded_test().await?;
        let (encoded, _) = self.encoded_test.as_ref().expect("encoded above");
        let clusters = encoded.clusters();
        let data = self.test.as_ref().expect("checked above");
        let labels: Vec<usize> = data.labels().expect("checked above").iter().map(|&l| l as usize).collect();
        let scores = encoded.scores(data);
        self.info.majority = majority_labels(&clusters, &labels, k);
        self.info.scores = scores;
        Ok(())
    }

    /// The test digits on the latent map.
    pub async fn latent_map(&mut self) -> Result<MapView, SessionError> {
        let labels = self.test.as_ref().and_then(Dataset::labels).map(<[u8]>::to_vec);
        let (encoded, map) = self.encoded_test().await?;
        let clusters = encoded.clusters();
        Ok(MapView::on(map, encoded.means.clone(), encoded.latent_dim, &clusters, labels)?)
    }

    /// The two-step baseline on the test digits: the plain VAE in `weights` (checked like any
    /// weights file; `mixvae baseline --out` writes one) encodes them, k-means groups its codes.
    /// Its map (PCA of those codes), and its scores when the digits have labels.
    pub async fn baseline_map(&mut self, weights: &[u8]) -> Result<(MapView, Option<Scores>), SessionError> {
        let data = self.test.as_ref().ok_or(SessionError::NoTestSet)?;
        let (vae, config) = from_safetensors_bytes(weights, &self.device)?;
        if data.len() < config.components {
            let (n, k) = (data.len(), config.components);
            return Err(SessionError::Invalid(format!("{n} digits are too few for the baseline's K = {k} groups")));
        }
        let fit = two_step(&vae, data, &self.device, BASELINE_KMEANS_SEED).await?;
        let map = PcaPlane::fit(&fit.means, fit.latent_dim)?;
        let labels = data.labels().map(<[u8]>::to_vec);
        Ok((MapView::on(&map, fit.means, fit.latent_dim, &fit.groups, labels)?, fit.scores))
    }

    /// Decodes a `rows x cols` grid over the extent of the map last fitted (see `plane`):
    /// `[rows * cols, 784]`, row by row from the top.
    pub async fn walk_map(&mut self, rows: usize, cols: usize) -> Result<Vec<f32>, SessionError> {
        if rows == 0 || cols == 0 || rows * cols > 1024 {
            return Err(SessionError::Invalid(format!("a {rows} x {cols} grid is not between 1 and 1024 cells")));
        }
        if self.plane.is_none() {
            self.encoded_test().await?;
        }
        let (map, [x0, x1, y0, y1]) = self.plane.as_ref().expect("fitted above");
        let codes = map.unproject(&grid_positions(rows, cols, (*x0, *x1), (*y0, *y1)))?;
        let d = self.model.latent_dim();
        let latents = Tensor::<2>::from_data(TensorData::new(codes, [rows * cols, d]), &self.device);
        Ok(read_f32(self.model.decode(latents)).await?)
    }
}

/// [x0, x1, y0, y1]: the 2nd and 98th percentiles of each axis (outliers would waste the grid).
fn map_extent(positions: &[f32]) -> [f32; 4] {
    let percentiles = |axis: usize| {
        let mut values: Vec<f32> = positions.iter().skip(axis).step_by(2).copied().collect();
        values.sort_by(f32::total_cmp);
        let at = |q: f32| values[((values.len() - 1) as f32 * q).round() as usize];
        (at(0.02), at(0.98))
    };
    let ((x0, x1), (y0, y1)) = (percentiles(0), percentiles(1));
    [x0, x1, y0, y1]
}
