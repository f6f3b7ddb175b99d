//! What the page works with, platform-free: the model in use, the datasets it was given, the
//! latent map, and a training run that advances in short chunks (so the worker stays responsive
//! between them). The wasm-bindgen surface (`web`) only converts values; everything here runs
//! natively too, where the tests drive it.

mod map;
mod queries;
mod run;
mod speed;

use burn::tensor::Device;
use serde::{Deserialize, Serialize};

use crate::data::{DataError, Dataset};
use crate::drawing::DrawingError;
use crate::inference::{EncodedSet, ReadbackError};
use crate::metrics::Scores;
use crate::model::{ClusterVae, ConfigError, ModelConfig};
use crate::projection::{PcaPlane, ProjectionError};
use crate::recipe::TrainSettings;
use crate::store::{StoreError, copy_to_host, from_safetensors_bytes, to_safetensors_bytes};
use crate::training::{TrainError, Trainer};
#[cfg(target_arch = "wasm32")]
use tsify::Tsify;

pub use map::MapView;
pub use queries::{Classification, Encoding};
pub use run::{ChunkReport, EpochSummary, RELABEL_SLICE, TrainProgress};

/// For each cluster, the digit it mostly holds in the labelled test set and that digit's share.
pub type Majority = Vec<Option<(usize, f64)>>;

#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    #[error(transparent)]
    Drawing(#[from] DrawingError),
    #[error(transparent)]
    Data(#[from] DataError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Train(#[from] TrainError),
    #[error(transparent)]
    Readback(#[from] ReadbackError),
    #[error(transparent)]
    Projection(#[from] ProjectionError),
    #[error("the test digits are not loaded yet")]
    NoTestSet,
    #[error("no training data is loaded")]
    NoTrainSet,
    #[error("no training run is under way: start one first")]
    NotTraining,
    #[error("{0}")]
    Invalid(String),
}

/// The model in use, as the page describes it.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(Tsify))]
pub struct ModelInfo {
    pub config: ModelConfig,
    /// Where the weights came from: "shipped", "trained", a file name...
    pub source: String,
    /// Scores on the test digits, when known.
    pub scores: Option<Scores>,
    /// `[K]`: the digit each cluster mostly holds and its share, when known.
    pub majority: Majority,
}

pub struct Session {
    device: Device,
    model: ClusterVae,
    info: ModelInfo,
    test: Option<Dataset>,
    train: Option<Dataset>,
    /// Codes of the test digits under the current model, and the map fitted to them.
    encoded_test: Option<(EncodedSet, PcaPlane)>,
    /// The plane fitted last (for a map or for the scores), and its walk's extent. Training
    /// forgets `encoded_test` after every chunk, but walks and drawings' positions stay on the map
    /// on show until the next is fitted, so that a walk need not encode the test digits again.
    plane: Option<(PcaPlane, [f32; 4])>,
    trainer: Option<Trainer>,
    /// The settings the run in `trainer` started from.
    train_settings: Option<TrainSettings>,
}

impl Session {
    /// A session on `device` with the model in `weights` (checked; see [`crate::store`]).
    pub fn new(
        device: Device,
        weights: &[u8],
        source: &str,
        scores: Option<Scores>,
        majority: Majority,
    ) -> Result<Self, SessionError> {
        let (model, config) = from_safetensors_bytes(weights, &device)?;
        let majority = if majority.len() == config.components { majority } else { vec![None; config.components] };
        let info = ModelInfo { config, source: source.into(), scores, majority };
        Ok(Self {
            device,
            model,
            info,
            test: None,
            train: None,
            encoded_test: None,
            plane: None,
            trainer: None,
            train_settings: None,
        })
    }

    pub fn info(&self) -> &ModelInfo {
        &self.info
    }

    pub fn model(&self) -> &ClusterVae {
        &self.model
    }

    /// Replaces the model with the one in `weights`, only if the file passes every check; a
    /// training run under way is abandoned. Scores are recomputed when test digits are loaded.
    pub async fn load_weights(&mut self, weights: &[u8], source: &str) -> Result<&ModelInfo, SessionError> {
        let (model, config) = from_safetensors_bytes(weights, &self.device)?;
        self.trainer = None;
        self.set_model(model, config, source);
        self.rescore().await?;
        Ok(&self.info)
    }

    fn set_model(&mut self, model: ClusterVae, config: ModelConfig, source: &str) {
        self.model = model;
        self.info = ModelInfo { majority: vec![None; config.components], config, source: source.into(), scores: None };
        self.encoded_test = None;
        self.plane = None;
    }

    /// The weights in use as a SafeTensors file.
    pub async fn export_weights(&self) -> Result<Vec<u8>, SessionError> {
        let host = copy_to_host(&self.model, &Device::flex()).await?;
        Ok(to_safetensors_bytes(&host, &self.info.config)?)
    }

    /// Sets the digits the map and the scores use; scores and majorities follow if it has labels.
    pub async fn set_test_set(&mut self, data: Dataset) -> Result<(), SessionError> {
        if data.len() < 2 {
            return Err(SessionError::Invalid("the test set needs at least 2 images".into()));
        }
        self.test = Some(data);
        self.encoded_test = None;
        self.plane = None;
        self.rescore().await
    }

    pub fn test_set(&self) -> Option<&Dataset> {
        self.test.as_ref()
    }

    /// Sets the digits training uses (a run under way is abandoned).
    pub fn set_train_set(&mut self, data: Dataset) -> Result<(), SessionError> {
        if data.is_empty() {
            return Err(SessionError::NoTrainSet);
        }
        self.trainer = None;
        self.train = Some(data);
        Ok(())
    }

    pub fn has_train_set(&self) -> bool {
        self.train.is_some()
    }
}
