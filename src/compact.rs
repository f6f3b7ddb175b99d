//! Compact weights: a SafeTensors file whose layer weights are 8-bit, a quarter of the float32
//! file, for the page's first download (the first answer waits on it over a slow connection).
//!
//! Each `*.weight` matrix (`[inputs, outputs]`, as burn stores a Linear's weight) is stored as
//! `I8` with one float32 scale per output column, `<name>:scale`: `w = q * scale`, where
//! `scale = max |w| / 127` over the column. Biases and the mixture prior stay float32. The
//! metadata (the model's configuration) is kept as it is. `www/shared/firstAnswer.ts` reads the
//! same layout; the tests check that the compact shipped model sorts the test digits as the full
//! one does.

use std::borrow::Cow;
use std::collections::HashMap;

use safetensors::tensor::TensorView;
use safetensors::{Dtype, SafeTensors};

/// What is wrong with a weights file, in words (`store` says which kind of error it is).
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum CompactError {
    #[error("not a SafeTensors file: {0}")]
    Format(String),
    #[error("{0}")]
    Mismatch(String),
}

/// Extension of a compact file beside its float32 one (`mixvae.compact.safetensors`).
pub const COMPACT_EXTENSION: &str = "compact.safetensors";

/// Suffix of the tensor that holds a quantised matrix's column scales.
pub const SCALE_SUFFIX: &str = ":scale";

/// Largest magnitude of a quantised value.
const LEVELS: f32 = 127.0;

/// A tensor about to be written: its dtype, shape and little-endian bytes.
struct Owned {
    dtype: Dtype,
    shape: Vec<usize>,
    bytes: Vec<u8>,
}

fn format_error(e: impl std::fmt::Display) -> CompactError {
    CompactError::Format(e.to_string())
}

fn f32_values(bytes: &[u8]) -> Vec<f32> {
    bytes.chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect()
}

fn f32_bytes(values: &[f32]) -> Vec<u8> {
    values.iter().flat_map(|v| v.to_le_bytes()).collect()
}

/// Whether a compact file quantises `name`: the layers' weight matrices.
fn is_quantised(name: &str, shape: &[usize]) -> bool {
    name.ends_with(".weight") && shape.len() == 2
}

/// The 8-bit values of an `[inputs, outputs]` matrix and one scale per output column.
fn quantise_matrix(values: &[f32], outputs: usize) -> (Vec<i8>, Vec<f32>) {
    let mut scales = vec![0.0f32; outputs];
    for row in values.chunks_exact(outputs) {
        for (scale, w) in scales.iter_mut().zip(row) {
            *scale = scale.max(w.abs() / LEVELS);
        }
    }
    let quantised = values
        .chunks_exact(outputs)
        .flat_map(|row| row.iter().zip(&scales).map(|(w, s)| if *s > 0.0 { (w / s).round() as i8 } else { 0 }))
        .collect();
    (quantised, scales)
}

/// Writes `tensors` with the metadata of `source`.
fn write(tensors: Vec<(String, Owned)>, source: &[u8]) -> Result<Vec<u8>, CompactError> {
    let (_, header) = SafeTensors::read_metadata(source).map_err(format_error)?;
    let metadata: Option<HashMap<String, String>> = header.metadata().clone();
    let views = tensors
        .iter()
        .map(|(name, t)| TensorView::new(t.dtype, t.shape.clone(), &t.bytes).map(|view| (name.clone(), view)))
        .collect::<Result<Vec<_>, _>>()
        .map_err(format_error)?;
    safetensors::serialize(views, metadata).map_err(|e| CompactError::Format(e.to_string()))
}

/// The compact copy of a float32 weights file (as `store::to_safetensors_bytes` writes it).
pub fn compact(full: &[u8]) -> Result<Vec<u8>, CompactError> {
    let file = SafeTensors::deserialize(full).map_err(format_error)?;
    let mut out = Vec::new();
    for (name, view) in file.tensors() {
        if view.dtype() != Dtype::F32 {
            return Err(CompactError::Mismatch(format!("tensor '{name}' is {:?}, expected F32", view.dtype())));
        }
        let shape = view.shape().to_vec();
        if !is_quantised(&name, &shape) {
            out.push((name, Owned { dtype: Dtype::F32, shape, bytes: view.data().to_vec() }));
            continue;
        }
        let (quantised, scales) = quantise_matrix(&f32_values(view.data()), shape[1]);
        let bytes = quantised.iter().map(|q| q.to_le_bytes()[0]).collect();
        out.push((
            format!("{name}{SCALE_SUFFIX}"),
            Owned { dtype: Dtype::F32, shape: vec![shape[1]], bytes: f32_bytes(&scales) },
        ));
        out.push((name, Owned { dtype: Dtype::I8, shape, bytes }));
    }
    write(out, full)
}

/// Whether `bytes` is a compact file (it holds 8-bit tensors); unreadable files are not.
pub fn is_compact(bytes: &[u8]) -> bool {
    SafeTensors::deserialize(bytes).is_ok_and(|file| file.tensors().iter().any(|(_, view)| view.dtype() == Dtype::I8))
}

/// The float32 weights file a compact one stands for (its values are `q * scale`), checked:
/// every 8-bit matrix has its scales, of the right length, and nothing else is 8-bit.
pub fn expand(compact: &[u8]) -> Result<Vec<u8>, CompactError> {
    let file = SafeTensors::deserialize(compact).map_err(format_error)?;
    let mut out = Vec::new();
    for (name, view) in file.tensors() {
        if name.ends_with(SCALE_SUFFIX) {
            continue; // read with its matrix
        }
        let shape = view.shape().to_vec();
        let bytes = match view.dtype() {
            Dtype::I8 if is_quantised(&name, &shape) => expand_matrix(&file, &name, view.data(), shape[1])?,
            Dtype::F32 => view.data().to_vec(),
            Dtype::I8 => {
                return Err(CompactError::Mismatch(format!(
                    "tensor '{name}' is I8: only layer weight matrices may be"
                )));
            }
            other => return Err(CompactError::Mismatch(format!("tensor '{name}' is {other:?}, expected I8 or F32"))),
        };
        out.push((name, Owned { dtype: Dtype::F32, shape, bytes }));
    }
    write(out, compact)
}

/// The float32 bytes of the 8-bit matrix `name`, from its values and its column scales.
fn expand_matrix(file: &SafeTensors, name: &str, data: &[u8], outputs: usize) -> Result<Vec<u8>, CompactError> {
    let scale_name = format!("{name}{SCALE_SUFFIX}");
    let scales =
        file.tensor(&scale_name).map_err(|_| CompactError::Mismatch(format!("tensor '{scale_name}' is missing")))?;
    if scales.dtype() != Dtype::F32 || scales.shape() != [outputs] {
        return Err(CompactError::Mismatch(format!("tensor '{scale_name}' must be F32 of shape [{outputs}]")));
    }
    let scales: Vec<f32> = f32_values(scales.data());
    let values: Vec<f32> = data
        .chunks_exact(outputs)
        .flat_map(|row| row.iter().zip(&scales).map(|(q, s)| f32::from(*q as i8) * s))
        .collect();
    Ok(f32_bytes(&values))
}

/// `bytes` as a float32 weights file: compact files expanded, others borrowed as they are.
pub fn as_full(bytes: &[u8]) -> Result<Cow<'_, [u8]>, CompactError> {
    if is_compact(bytes) { expand(bytes).map(Cow::Owned) } else { Ok(Cow::Borrowed(bytes)) }
}
