//! The latent map: latent means projected onto their two principal axes, and the way back, so a
//! grid laid over the map can be decoded ("walk the map").
//!
//! PCA here is the exact eigendecomposition of the d x d covariance (linfa-linalg's symmetric
//! solver): d is small. linfa-reduction's PCA uses an iterative truncated SVD (LOBPCG) that took
//! 14 s on 10,000 codes in wasm and panicked on NaN natively.

use linfa_linalg::eigh::{EigSort, Eigh};
use ndarray::{Array1, Array2, Axis, s};

#[derive(Debug, thiserror::Error)]
#[error("cannot project the latent codes: {0}")]
pub struct ProjectionError(String);

/// A plane through the codes' mean spanned by their two directions of greatest variance.
#[derive(Clone, Debug)]
pub struct PcaPlane {
    mean: Array1<f64>,
    /// `[2, dim]`: the two unit axes, greatest variance first.
    axes: Array2<f64>,
}

impl PcaPlane {
    /// Fits the plane to `points` (`[n, dim]` row-major, n >= 2, dim >= 2).
    pub fn fit(points: &[f32], dim: usize) -> Result<Self, ProjectionError> {
        let records = to_array(points, dim)?;
        if records.nrows() < 2 {
            return Err(ProjectionError(format!("needs at least 2 codes, got {}", records.nrows())));
        }
        if dim < 2 {
            return Err(ProjectionError(format!("codes of width {dim} have no plane to project on")));
        }
        let mean = records.mean_axis(Axis(0)).expect("at least 2 rows");
        let centred = &records - &mean;
        let covariance = centred.t().dot(&centred) / (records.nrows() - 1) as f64;
        let (_, vectors) = covariance.eigh().map_err(|e| ProjectionError(e.to_string()))?.sort_eig_desc();
        let axes = vectors.slice(s![.., 0..2]).t().to_owned();
        Ok(Self { mean, axes })
    }

    fn dim(&self) -> usize {
        self.mean.len()
    }

    /// Each point's position on the map, `[n, 2]` row-major.
    pub fn project(&self, points: &[f32]) -> Result<Vec<f32>, ProjectionError> {
        let records = to_array(points, self.dim())?;
        Ok((&records - &self.mean).dot(&self.axes.t()).iter().map(|&v| v as f32).collect())
    }

    /// The codes on the plane at the given map positions (`[n, 2]` row-major), `[n, dim]`.
    pub fn unproject(&self, positions: &[f32]) -> Result<Vec<f32>, ProjectionError> {
        let positions = to_array(positions, 2)?;
        Ok((positions.dot(&self.axes) + &self.mean).iter().map(|&v| v as f32).collect())
    }

    /// Share of the codes' variance each of the two axes holds.
    pub fn explained_variance_ratio(&self, points: &[f32]) -> Result<[f32; 2], ProjectionError> {
        let records = to_array(points, self.dim())?;
        let total: f64 = records.var_axis(Axis(0), 1.0).sum();
        let along: Vec<f64> = (&records - &self.mean).dot(&self.axes.t()).var_axis(Axis(0), 1.0).to_vec();
        Ok([(along[0] / total) as f32, (along[1] / total) as f32])
    }
}

/// An `rows x cols` grid of map positions spanning `[x0, x1] x [y0, y1]`, row by row from the
/// top (largest y), `[rows * cols, 2]` row-major.
pub fn grid_positions(rows: usize, cols: usize, x: (f32, f32), y: (f32, f32)) -> Vec<f32> {
    let step = |lo: f32, hi: f32, i: usize, n: usize| {
        if n < 2 { (lo + hi) / 2.0 } else { lo + (hi - lo) * i as f32 / (n - 1) as f32 }
    };
    (0..rows).flat_map(|r| (0..cols).flat_map(move |c| [step(x.0, x.1, c, cols), step(y.1, y.0, r, rows)])).collect()
}

fn to_array(points: &[f32], dim: usize) -> Result<Array2<f64>, ProjectionError> {
    if dim == 0 || !points.len().is_multiple_of(dim) {
        return Err(ProjectionError(format!("{} values are not whole rows of {dim}", points.len())));
    }
    if points.iter().any(|v| !v.is_finite()) {
        return Err(ProjectionError("a code is not finite".into()));
    }
    Array2::from_shape_vec((points.len() / dim, dim), points.iter().map(|&v| v as f64).collect())
        .map_err(|e| ProjectionError(e.to_string()))
}
