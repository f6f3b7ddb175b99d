//! Weights round-trip bit for bit (their compact copy within half a quantisation step), and
//! every kind of bad file is refused with a reason.
#![cfg(not(target_arch = "wasm32"))] // native: files, threads; tests/web.rs runs in the browser

use burn::tensor::{Device, Tensor, TensorData};
use mixvae::compact::{compact, expand, is_compact};
use mixvae::model::{ClusterVae, ModelConfig};
use mixvae::store::{CONFIG_KEY, StoreError, from_safetensors_bytes, read_config, to_safetensors_bytes};

fn small_config() -> ModelConfig {
    ModelConfig::new().with_components(3).with_latent_dim(4).with_hidden_outer(16).with_hidden_inner(8)
}

fn model(config: &ModelConfig, device: &Device) -> ClusterVae {
    config.init(device).unwrap()
}

fn images(device: &Device) -> Tensor<2> {
    let values: Vec<f32> = (0..2 * 784).map(|i| ((i * 37) % 256) as f32 / 255.0).collect();
    Tensor::from_data(TensorData::new(values, [2, 784]), device)
}

fn outputs(model: &ClusterVae, device: &Device) -> Vec<Vec<f32>> {
    let posterior = model.encode(images(device));
    let probabilities = model.responsibilities(posterior.mean.clone());
    let reconstruction = model.decode(posterior.mean.clone());
    [posterior.mean, posterior.logvar, probabilities, reconstruction]
        .into_iter()
        .map(|t| t.into_data().try_to_vec::<f32>().unwrap())
        .collect()
}

#[test]
fn save_then_load_gives_the_same_outputs_bit_for_bit() {
    let device = Device::flex();
    let config = small_config();
    let original = model(&config, &device);
    let bytes = to_safetensors_bytes(&original, &config).unwrap();
    let (loaded, loaded_config) = from_safetensors_bytes(&bytes, &device).unwrap();
    assert_eq!(loaded_config, config);
    let (a, b) = (outputs(&original, &device), outputs(&loaded, &device));
    for (x, y) in a.iter().zip(&b) {
        let (x_bits, y_bits): (Vec<u32>, Vec<u32>) =
            (x.iter().map(|v| v.to_bits()).collect(), y.iter().map(|v| v.to_bits()).collect());
        assert_eq!(x_bits, y_bits);
    }
    // A fresh model from the same config differs, so the comparison above means something.
    assert_ne!(outputs(&model(&config, &device), &device)[0], a[0]);
}

#[test]
fn truncated_file_is_a_format_error() {
    let device = Device::flex();
    let config = small_config();
    let bytes = to_safetensors_bytes(&model(&config, &device), &config).unwrap();
    let err = from_safetensors_bytes(&bytes[..bytes.len() / 2], &device).unwrap_err();
    assert!(matches!(err, StoreError::Format(_)), "{err}");
    let err = from_safetensors_bytes(b"not a model", &device).unwrap_err();
    assert!(matches!(err, StoreError::Format(_)), "{err}");
}

/// Rewrites the config JSON in a SafeTensors header, keeping the tensors.
fn with_config_json(bytes: &[u8], json: &str) -> Vec<u8> {
    with_header(bytes, |header| header["__metadata__"][CONFIG_KEY] = json.into())
}

/// Edits a SafeTensors header (JSON), keeping the tensors' bytes.
fn with_header(bytes: &[u8], edit: impl FnOnce(&mut serde_json::Value)) -> Vec<u8> {
    let header_len = u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
    let mut header: serde_json::Value = serde_json::from_slice(&bytes[8..8 + header_len]).unwrap();
    edit(&mut header);
    let mut new_header = serde_json::to_vec(&header).unwrap();
    while !new_header.len().is_multiple_of(8) {
        new_header.push(b' ');
    }
    let mut out = (new_header.len() as u64).to_le_bytes().to_vec();
    out.extend(new_header);
    out.extend(&bytes[8 + header_len..]);
    out
}

#[test]
fn weights_of_the_wrong_shape_are_refused() {
    let device = Device::flex();
    let config = small_config();
    let bytes = to_safetensors_bytes(&model(&config, &device), &config).unwrap();
    let claimed = serde_json::to_string(&config.clone().with_components(5)).unwrap();
    let err = from_safetensors_bytes(&with_config_json(&bytes, &claimed), &device).unwrap_err();
    assert!(matches!(err, StoreError::Mismatch(_)), "{err}");
    assert!(err.to_string().contains("prior_means"), "names the tensor: {err}");
}

#[test]
fn tensors_of_another_dtype_or_name_are_refused() {
    let device = Device::flex();
    let config = small_config();
    let bytes = to_safetensors_bytes(&model(&config, &device), &config).unwrap();
    let first_tensor =
        |header: &serde_json::Value| header.as_object().unwrap().keys().find(|k| *k != "__metadata__").unwrap().clone();
    // Same byte size, another dtype: the file is well formed but not what the model reads.
    let as_ints = with_header(&bytes, |header| {
        let name = first_tensor(header);
        header[&name]["dtype"] = "I32".into();
    });
    let err = from_safetensors_bytes(&as_ints, &device).unwrap_err();
    assert!(matches!(err, StoreError::Mismatch(_)) && err.to_string().contains("expected F32"), "{err}");
    // A tensor under another name: one missing, one unknown.
    let renamed = with_header(&bytes, |header| {
        let name = first_tensor(header);
        let tensor = header.as_object_mut().unwrap().remove(&name).unwrap();
        header["stray.weight"] = tensor;
    });
    let err = from_safetensors_bytes(&renamed, &device).unwrap_err();
    assert!(matches!(err, StoreError::Mismatch(_)), "{err}");
    assert!(err.to_string().contains("stray.weight"), "names the unknown tensor: {err}");
}

#[test]
fn missing_or_invalid_config_is_refused() {
    let device = Device::flex();
    let config = small_config();
    let bytes = to_safetensors_bytes(&model(&config, &device), &config).unwrap();
    let err = read_config(&with_config_json(&bytes, "{not json")).unwrap_err();
    assert!(matches!(err, StoreError::BadConfig(_)), "{err}");
    let zero_k = serde_json::to_string(&config.clone().with_components(0)).unwrap();
    let err = from_safetensors_bytes(&with_config_json(&bytes, &zero_k), &device).unwrap_err();
    assert!(matches!(err, StoreError::BadConfig(_)) && err.to_string().contains("components"), "{err}");
}

#[test]
fn non_finite_weights_are_refused() {
    let device = Device::flex();
    let config = small_config();
    let nan_means = Tensor::from_data(TensorData::new(vec![f32::NAN; 12], [3, 4]), &device);
    let zeros = Tensor::zeros([3, 4], &device);
    let broken = model(&config, &device).with_prior(nan_means, zeros);
    let bytes = to_safetensors_bytes(&broken, &config).unwrap();
    let err = from_safetensors_bytes(&bytes, &device).unwrap_err();
    assert!(matches!(err, StoreError::NonFinite), "{err}");
}

#[test]
fn oversized_file_is_refused_before_parsing() {
    let err = read_config(&vec![0u8; mixvae::store::MAX_WEIGHTS_BYTES + 1]).unwrap_err();
    assert!(matches!(err, StoreError::TooLarge { .. }), "{err}");
}

/// A compact file (8-bit layer weights) stands for the file it was made from: each weight within
/// half its column's quantisation step, every other tensor the same; it loads as that model, and
/// is about a quarter of the size.
#[test]
fn a_compact_file_stands_for_its_model() {
    let device = Device::flex();
    let config = small_config();
    let full = to_safetensors_bytes(&model(&config, &device), &config).unwrap();
    let compact_bytes = compact(&full).unwrap();
    assert!(is_compact(&compact_bytes) && !is_compact(&full));
    assert!(compact_bytes.len() * 3 < full.len() + 3 * 4096, "{} against {}", compact_bytes.len(), full.len());
    let expanded = expand(&compact_bytes).unwrap();
    let (before, after) = (
        safetensors::SafeTensors::deserialize(&full).unwrap(),
        safetensors::SafeTensors::deserialize(&expanded).unwrap(),
    );
    let values = |t: safetensors::tensor::TensorView| -> Vec<f32> {
        t.data().chunks_exact(4).map(|b| f32::from_le_bytes(b.try_into().unwrap())).collect()
    };
    for (name, original) in before.tensors() {
        let shape = original.shape().to_vec();
        let (a, b) = (values(original), values(after.tensor(&name).unwrap()));
        if !name.ends_with(".weight") {
            assert_eq!(a, b, "{name} is kept as it is");
            continue;
        }
        assert_ne!(a, b, "{name} is 8-bit");
        for column in 0..shape[1] {
            let step = (0..shape[0]).fold(0.0f32, |m, row| m.max(a[row * shape[1] + column].abs())) / 127.0;
            for row in 0..shape[0] {
                let k = row * shape[1] + column;
                assert!(
                    (a[k] - b[k]).abs() <= step / 2.0 * 1.0001,
                    "{name}[{row}, {column}]: {} against {}",
                    a[k],
                    b[k]
                );
            }
        }
    }
    let (_, loaded_config) = from_safetensors_bytes(&compact_bytes, &device).unwrap();
    assert_eq!(loaded_config, config);
}

/// A tensor of a SafeTensors file: name, dtype, shape, bytes.
type Entry = (String, safetensors::Dtype, Vec<usize>, Vec<u8>);

/// `bytes` written again with its tensors edited (metadata kept).
fn with_tensors(bytes: &[u8], edit: impl FnOnce(&mut Vec<Entry>)) -> Vec<u8> {
    let file = safetensors::SafeTensors::deserialize(bytes).unwrap();
    let (_, header) = safetensors::SafeTensors::read_metadata(bytes).unwrap();
    let mut entries: Vec<Entry> =
        file.tensors().into_iter().map(|(n, v)| (n, v.dtype(), v.shape().to_vec(), v.data().to_vec())).collect();
    edit(&mut entries);
    let views =
        entries.iter().map(|(n, d, s, b)| (n.clone(), safetensors::tensor::TensorView::new(*d, s.clone(), b).unwrap()));
    safetensors::serialize(views, header.metadata().clone()).unwrap()
}

/// A compact file whose 8-bit matrix lost its scales, has scales of the wrong length, or holds
/// 8-bit values where no matrix is quantised, is refused with the tensor's name.
#[test]
fn a_damaged_compact_file_is_refused() {
    let device = Device::flex();
    let config = small_config();
    let compact_bytes = compact(&to_safetensors_bytes(&model(&config, &device), &config).unwrap()).unwrap();
    let scale = "enc_outer.weight:scale";
    let cases: [(&str, Box<dyn Fn(&mut Vec<Entry>)>); 3] = [
        (scale, Box::new(|t| t.retain(|e| e.0 != scale))),
        (scale, Box::new(|t| t.iter_mut().filter(|e| e.0 == scale).for_each(|e| (e.2, e.3) = (vec![2], vec![0; 8])))),
        (
            "prior_means",
            Box::new(|t| {
                t.iter_mut()
                    .filter(|e| e.0 == "prior_means")
                    .for_each(|e| (e.1, e.3) = (safetensors::Dtype::I8, vec![1; 12]))
            }),
        ),
    ];
    for (name, edit) in cases {
        let err = from_safetensors_bytes(&with_tensors(&compact_bytes, edit), &device).unwrap_err();
        assert!(matches!(err, StoreError::Mismatch(_)), "{err}");
        assert!(err.to_string().contains(name), "{err}");
    }
}
