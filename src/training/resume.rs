//! A run picked up where it stopped: the weights, the position in the epochs, the groups, and
//! Adam's state, which travels as the parameters' ids followed by burn's optimizer record.

use burn::module::{Module, ModuleMapper, ModuleVisitor, Param, ParamId};
use burn::optim::AdamConfig;
use burn::tensor::{Bytes, Device, Tensor};

use super::{TrainError, Trainer};
use crate::model::{ClusterVae, ConfigError};
use crate::recipe::TrainingConfig;
use crate::store::from_safetensors_bytes;

impl Trainer {
    /// A run resumed after `epochs_done` whole epochs and `steps_done` steps of the next, from
    /// `weights` (a SafeTensors file of the model as it was then, checked as every weights file
    /// is), in or after the anchor stage each training digit's group, and Adam's state from
    /// [`Trainer::optimizer_state`] (without it Adam starts afresh). The batch order continues as
    /// the original run's would have. burn first loads an optimizer state onto its default device
    /// (`BURN_DEVICE`; wgpu in a native build, which needs a GPU driver: the CLI and `npm test` set
    /// `BURN_DEVICE=flex`), then moves it to the model's on the next step.
    pub fn resume(
        config: TrainingConfig,
        data_len: usize,
        device: &Device,
        weights: &[u8],
        epochs_done: usize,
        steps_done: usize,
        anchors: Option<Vec<usize>>,
        optimizer: Option<&[u8]>,
    ) -> Result<Self, TrainError> {
        let mut trainer = Self::new(config, data_len, device)?;
        let (mut model, _) = from_safetensors_bytes(weights, &trainer.device)
            .map_err(|e| TrainError::Config(ConfigError(format!("the saved weights: {e}"))))?;
        if let Some(state) = optimizer {
            model = trainer.restore_optimizer(model, state)?;
        }
        trainer.check_saved_run(&model, data_len, epochs_done, steps_done, anchors.as_deref())?;
        trainer.seek(epochs_done, steps_done)?;
        trainer.model = model;
        trainer.epoch_start_model = trainer.model.clone();
        trainer.epoch_start_optimizer = trainer.optimizer.clone();
        trainer.anchors = anchors;
        Ok(trainer)
    }

    /// Adam's state from [`Trainer::optimizer_state`]'s bytes; returns `model` with the saved
    /// parameter ids, which the state is keyed by.
    fn restore_optimizer(&mut self, model: ClusterVae, state: &[u8]) -> Result<ClusterVae, TrainError> {
        let (ids, record) = split_optimizer_state(state)?;
        let expected = param_ids(&model).len();
        if ids.len() != expected {
            return Err(TrainError::OptimizerState(format!("it holds {} parameters, the model {expected}", ids.len())));
        }
        self.optimizer = AdamConfig::new()
            .init()
            .from_bytes(Bytes::from_bytes_vec(record.to_vec()))
            .map_err(|e| TrainError::OptimizerState(format!("{e:?}")))?;
        Ok(model.map(&mut IdSetter { ids: &ids, next: 0 }))
    }

    /// The saved model, position and groups fit this run: its K and d, at most its epochs, and
    /// one group per training digit where the anchored stages still need them.
    fn check_saved_run(
        &self,
        model: &ClusterVae,
        data_len: usize,
        epochs_done: usize,
        steps_done: usize,
        anchors: Option<&[usize]>,
    ) -> Result<(), TrainError> {
        let invalid = |message: String| Err(TrainError::Config(ConfigError(message)));
        let config = &self.config;
        if epochs_done > config.total_epochs() {
            return invalid(format!("{epochs_done} epochs done, but the run has only {}", config.total_epochs()));
        }
        let (k, d) = (config.model.components, config.model.latent_dim);
        if (model.components(), model.latent_dim()) != (k, d) {
            let (saved_k, saved_d) = (model.components(), model.latent_dim());
            return invalid(format!("the saved model has K = {saved_k}, d = {saved_d}, the run K = {k}, d = {d}"));
        }
        let anchored_epochs_left = epochs_done < config.pretrain_epochs + config.anchored_epochs();
        // The mixture is placed (and the groups made) as the first epoch after pretraining starts.
        let pretrain = config.pretrain_epochs;
        let placed = epochs_done > pretrain || (epochs_done == pretrain && steps_done > 0);
        match anchors {
            Some(groups) if groups.len() != data_len || groups.iter().any(|&g| g >= k) => {
                invalid("the saved groups do not fit the training data".into())
            }
            None if placed && anchored_epochs_left => invalid("the anchor stage needs the saved groups".into()),
            _ => Ok(()),
        }
    }

    /// Moves the batch order and the position to `steps_done` steps into epoch `epochs_done`, as
    /// the original run's would have been.
    fn seek(&mut self, epochs_done: usize, steps_done: usize) -> Result<(), TrainError> {
        for _ in 0..epochs_done {
            self.order.next_epoch();
        }
        if steps_done > 0 {
            self.pending = self.order.next_epoch();
            if steps_done >= self.pending.len() {
                let per_epoch = self.pending.len();
                return Err(TrainError::Config(ConfigError(format!(
                    "{steps_done} steps done, but an epoch has {per_epoch}"
                ))));
            }
            self.cursor = steps_done;
        }
        self.epoch = epochs_done;
        Ok(())
    }

    /// Adam's state as bytes, for [`Trainer::resume`]: the parameters' ids in the model's visiting
    /// order, then burn's optimizer record. burn keys the state by parameter id and a model loaded
    /// from a weights file gets new ids, so the saved ones travel with it. The state is read
    /// synchronously: on WebGPU in the browser, where that is not allowed, do not call this.
    pub fn optimizer_state(&self) -> Result<Vec<u8>, TrainError> {
        let ids = param_ids(&self.model);
        let record = self.optimizer.into_bytes().map_err(|e| TrainError::OptimizerState(format!("{e:?}")))?;
        let mut bytes = Vec::with_capacity(4 + 8 * ids.len() + record.len());
        bytes.extend((ids.len() as u32).to_le_bytes());
        for id in ids {
            bytes.extend(id.to_le_bytes());
        }
        bytes.extend_from_slice(&record);
        Ok(bytes)
    }
}

/// The ids of a model's parameters, in its visiting order.
fn param_ids(model: &ClusterVae) -> Vec<u64> {
    struct Ids(Vec<u64>);
    impl ModuleVisitor for Ids {
        fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
            self.0.push(param.id.val());
        }
    }
    let mut ids = Ids(Vec::new());
    model.visit(&mut ids);
    ids.0
}

/// Gives a model's parameters the ids in `ids` (in visiting order).
struct IdSetter<'a> {
    ids: &'a [u64],
    next: usize,
}

impl ModuleMapper for IdSetter<'_> {
    fn map_float<const D: usize>(&mut self, mut param: Param<Tensor<D>>) -> Param<Tensor<D>> {
        param.id = ParamId::from(self.ids[self.next]);
        self.next += 1;
        param
    }
}

/// The ids and the optimizer record of [`Trainer::optimizer_state`]'s bytes.
fn split_optimizer_state(bytes: &[u8]) -> Result<(Vec<u64>, &[u8]), TrainError> {
    let bad = || TrainError::OptimizerState("the saved state is truncated".into());
    let count = u32::from_le_bytes(bytes.get(..4).ok_or_else(bad)?.try_into().expect("4 bytes")) as usize;
    let ids_end = count.checked_mul(8).and_then(|n| n.checked_add(4)).ok_or_else(bad)?;
    let ids = bytes
        .get(4..ids_end)
        .ok_or_else(bad)?
        .chunks_exact(8)
        .map(|c| u64::from_le_bytes(c.try_into().expect("8 bytes")))
        .collect();
    Ok((ids, &bytes[ids_end..]))
}
