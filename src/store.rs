//! Weight storage: one SafeTensors file whose metadata carries the model's architecture
//! (`mixvae.model_config`, JSON), so a file always loads into the shape it was trained in.
//! Loading checks everything before a model is returned: size, format, the config, every tensor's
//! name, shape and dtype, and that every value is finite.

use burn::module::{Module, ModuleMapper, ModuleVisitor, Param};
use burn::tensor::{Device, Tensor, TensorData};
use burn_store::{ModuleSnapshot, SafetensorsStore};

use crate::compact::{CompactError, as_full};
use crate::inference::{ReadbackError, read_f32};
use crate::model::{ClusterVae, ModelConfig};

/// Metadata key of the architecture JSON.
pub const CONFIG_KEY: &str = "mixvae.model_config";
/// Files larger than this are refused before parsing (the default model is ~5 MB).
pub const MAX_WEIGHTS_BYTES: usize = 64 * 1024 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("weights file is {size} bytes, more than the {max}-byte limit")]
    TooLarge { size: usize, max: usize },
    #[error("not a SafeTensors file: {0}")]
    Format(String),
    #[error("the file carries no model configuration (metadata key {CONFIG_KEY})")]
    NoConfig,
    #[error("the file's model configuration is unreadable: {0}")]
    BadConfig(String),
    #[error("weights do not fit the model: {0}")]
    Mismatch(String),
    #[error("tensor values are not all finite (NaN or infinity): the file is damaged")]
    NonFinite,
    #[error("cannot write weights: {0}")]
    Write(String),
}

/// Serialises the model's weights, with its config in the metadata. It reads the weights
/// synchronously, which WebGPU forbids: there, copy the model to a flex device first.
pub fn to_safetensors_bytes(model: &ClusterVae, config: &ModelConfig) -> Result<Vec<u8>, StoreError> {
    let config_json = serde_json::to_string(config).map_err(|e| StoreError::Write(e.to_string()))?;
    let mut store = SafetensorsStore::from_bytes(None).metadata(CONFIG_KEY, config_json);
    model.save_into(&mut store).map_err(|e| StoreError::Write(e.to_string()))?;
    store.get_bytes().map_err(|e| StoreError::Write(e.to_string()))
}

/// Copies the model to `host` (a flex device) with asynchronous read-backs only, so that it can
/// be saved from WebGPU, where every synchronous read panics.
pub async fn copy_to_host(model: &ClusterVae, host: &Device) -> Result<ClusterVae, ReadbackError> {
    let mut gather = GatherParams(Vec::new());
    model.visit(&mut gather);
    let mut values = Vec::with_capacity(gather.0.len());
    for (shape, flat) in gather.0 {
        values.push(TensorData::new(read_f32(flat).await?, shape));
    }
    let mut place = PlaceParams { values: values.into_iter(), host: host.clone() };
    Ok(model.clone().map(&mut place))
}

/// Every float parameter, flattened, in visiting order.
struct GatherParams(Vec<(Vec<usize>, Tensor<1>)>);

impl ModuleVisitor for GatherParams {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        let tensor = param.val();
        let shape = tensor.dims().to_vec();
        let len: usize = shape.iter().product();
        self.0.push((shape, tensor.reshape([len])));
    }
}

/// Puts the gathered values back, in the same order, as tensors on the host.
struct PlaceParams {
    values: std::vec::IntoIter<TensorData>,
    host: Device,
}

impl ModuleMapper for PlaceParams {
    fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
        let data = self.values.next().expect("the same module is visited, then mapped, in the same order");
        let host = self.host.clone();
        param.map(|_| Tensor::from_data(data, &host))
    }
}

/// Reads the architecture from a SafeTensors file's metadata, checking the format, the size and
/// that every value is finite on the way.
pub fn read_config(bytes: &[u8]) -> Result<ModelConfig, StoreError> {
    if bytes.len() > MAX_WEIGHTS_BYTES {
        return Err(StoreError::TooLarge { size: bytes.len(), max: MAX_WEIGHTS_BYTES });
    }
    let tensors = safetensors::SafeTensors::deserialize(bytes).map_err(|e| StoreError::Format(e.to_string()))?;
    let (_, header) = safetensors::SafeTensors::read_metadata(bytes).map_err(|e| StoreError::Format(e.to_string()))?;
    let json = header.metadata().as_ref().and_then(|m| m.get(CONFIG_KEY)).ok_or(StoreError::NoConfig)?;
    let config: ModelConfig = serde_json::from_str(json).map_err(|e| StoreError::BadConfig(e.to_string()))?;
    config.validate().map_err(|e| StoreError::BadConfig(e.to_string()))?;
    if !all_finite(&tensors)? {
        return Err(StoreError::NonFinite);
    }
    Ok(config)
}

/// Loads a model from SafeTensors bytes onto `device`, or says exactly what is wrong.
/// Nothing of the caller's is touched: a new model is built and returned only if all checks pass.
/// A compact file (`compact`: 8-bit weights) loads as the float32 file it stands for.
pub fn from_safetensors_bytes(bytes: &[u8], device: &Device) -> Result<(ClusterVae, ModelConfig), StoreError> {
    if bytes.len() > MAX_WEIGHTS_BYTES {
        return Err(StoreError::TooLarge { size: bytes.len(), max: MAX_WEIGHTS_BYTES });
    }
    let bytes = &*as_full(bytes).map_err(|e| match e {
        CompactError::Format(e) => StoreError::Format(e),
        CompactError::Mismatch(e) => StoreError::Mismatch(e),
    })?;
    let config = read_config(bytes)?;
    let mut model = config.init(device).map_err(|e| StoreError::BadConfig(e.to_string()))?;
    let mut store = SafetensorsStore::from_bytes(Some(bytes.to_vec())).validate(true).allow_partial(false);
    let result = model.load_from(&mut store).map_err(|e| StoreError::Mismatch(e.to_string()))?;
    let mut problems: Vec<String> = result.errors.iter().map(ToString::to_string).collect();
    problems.extend(result.missing.iter().map(|(path, _)| format!("tensor '{path}' is missing")));
    problems.extend(result.unused.iter().map(|path| format!("tensor '{path}' is not part of the model")));
    if !problems.is_empty() {
        return Err(StoreError::Mismatch(problems.join("; ")));
    }
    Ok((model, config))
}

/// Whether every stored float is finite, read straight from the file's bytes (before any
/// tensor exists, so it costs no device read-back).
fn all_finite(tensors: &safetensors::SafeTensors) -> Result<bool, StoreError> {
    for (name, view) in tensors.tensors() {
        if view.dtype() != safetensors::Dtype::F32 {
            return Err(StoreError::Mismatch(format!("tensor '{name}' is {:?}, expected F32", view.dtype())));
        }
        let finite = view.data().chunks_exact(4).all(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]).is_finite());
        if !finite {
            return Ok(false);
        }
    }
    Ok(true)
}
