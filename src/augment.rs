//! Small random distortions of the training digits (data augmentation): each image of a batch
//! shifted, turned and scaled a little, as a hand redraws the same digit. What separates DEC-DA
//! from DEC in the articles: codes that do not change under such distortions group by digit
//! rather than by stroke position.
//!
//! Seeded per step, so a resumed run distorts its remaining batches as the uninterrupted one.

use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use serde::{Deserialize, Serialize};

use burn::tensor::{Device, Tensor, TensorData};

use crate::data::{Dataset, IMAGE_PIXELS, IMAGE_SIDE};

/// How far a distortion may go; zero everywhere is no augmentation.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Distortion {
    /// Largest shift, in pixels, along each axis.
    pub max_shift: f32,
    /// Largest turn, in degrees, either way.
    pub max_rotation_degrees: f32,
    /// Largest relative change of size, either way (0.1 = from 90% to 110%).
    pub max_scale: f32,
}

impl Distortion {
    /// The shipped recipe's: up to 2 pixels each way, 12 degrees, 10% of size.
    pub const HANDWRITING: Self = Self { max_shift: 2.0, max_rotation_degrees: 12.0, max_scale: 0.1 };

    pub fn is_none(&self) -> bool {
        self.max_shift == 0.0 && self.max_rotation_degrees == 0.0 && self.max_scale == 0.0
    }

    /// As [`Dataset::batch`], each image distorted at random ([`Distortion::apply`], seeded by `seed`).
    pub fn batch(&self, data: &Dataset, indices: &[usize], seed: u64, device: &Device) -> Tensor<2> {
        let values = self.apply(indices.iter().map(|&i| data.image(i)), seed);
        Tensor::from_data(TensorData::new(values, [indices.len(), IMAGE_PIXELS]), device)
    }

    /// The batch's images (`u8` rows of 784), each distorted at random, as intensities in [0, 1]
    /// (`[batch, 784]` row-major). `seed` decides every draw.
    pub fn apply<'a>(&self, images: impl ExactSizeIterator<Item = &'a [u8]>, seed: u64) -> Vec<f32> {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
        let mut out = Vec::with_capacity(images.len() * IMAGE_PIXELS);
        for image in images {
            let warp = self.draw(&mut rng);
            warp.resample(image, &mut out);
        }
        out
    }

    fn draw(&self, rng: &mut impl Rng) -> Warp {
        let mut symmetric = |limit: f32| if limit > 0.0 { rng.gen_range(-limit..=limit) } else { 0.0 };
        let angle = symmetric(self.max_rotation_degrees).to_radians();
        let scale = 1.0 + symmetric(self.max_scale);
        let shift = [symmetric(self.max_shift), symmetric(self.max_shift)];
        Warp { angle, scale, shift }
    }
}

/// One affine distortion about the image's centre.
struct Warp {
    angle: f32,
    scale: f32,
    shift: [f32; 2],
}

impl Warp {
    /// Appends the distorted image to `out`: each output pixel samples the source where the
    /// inverse distortion puts it (bilinear; outside the image is background).
    fn resample(&self, image: &[u8], out: &mut Vec<f32>) {
        let centre = (IMAGE_SIDE as f32 - 1.0) / 2.0;
        let (sin, cos) = self.angle.sin_cos();
        for row in 0..IMAGE_SIDE {
            for col in 0..IMAGE_SIDE {
                let x = (col as f32 - centre - self.shift[0]) / self.scale;
                let y = (row as f32 - centre - self.shift[1]) / self.scale;
                let source_x = cos * x + sin * y + centre;
                let source_y = -sin * x + cos * y + centre;
                out.push(bilinear(image, source_x, source_y) / 255.0);
            }
        }
    }
}

fn bilinear(image: &[u8], x: f32, y: f32) -> f32 {
    let (x0, y0) = (x.floor(), y.floor());
    let (fx, fy) = (x - x0, y - y0);
    let pixel = |col: f32, row: f32| {
        let inside = (0.0..IMAGE_SIDE as f32).contains(&col) && (0.0..IMAGE_SIDE as f32).contains(&row);
        if inside { image[row as usize * IMAGE_SIDE + col as usize] as f32 } else { 0.0 }
    };
    let top = pixel(x0, y0) * (1.0 - fx) + pixel(x0 + 1.0, y0) * fx;
    let bottom = pixel(x0, y0 + 1.0) * (1.0 - fx) + pixel(x0 + 1.0, y0 + 1.0) * fx;
    top * (1.0 - fy) + bottom * fy
}
