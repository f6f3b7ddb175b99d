//! What a training run is asked to do: [`TrainingConfig`], every knob of the loop (the CLI's
//! defaults are the shipped model's recipe), and [`TrainSettings`], the ten numbers and the
//! augmentation switch the page's Train form offers, checked field by field against
//! [`TRAIN_FIELDS`] and turned into a config. [`train_form`] is the whole form (fields, bounds,
//! presets) as the page builds it: `www/generated/train-form.json`, written from it by a test.

use burn::config::Config;
use serde::{Deserialize, Serialize};

use crate::augment::Distortion;
use crate::loss::Objective;
use crate::model::{ConfigError, ModelConfig};

#[cfg(target_arch = "wasm32")]
use tsify::Tsify;

/// Everything that decides a training run. Saved beside the weights.
#[derive(Config, Debug)]
pub struct TrainingConfig {
    pub model: ModelConfig,
    /// Epochs of autoencoder pretraining before the mixture is initialised (0 = none).
    #[config(default = 35)]
    pub pretrain_epochs: usize,
    /// What pretraining minimises: the autoencoder of VaDE's recipe, or a plain VAE (the
    /// two-step baseline's first step).
    #[config(default = "Objective::Autoencoder")]
    pub pretrain_objective: Objective,
    /// Epochs, right after the prior is initialised, in which each digit's component is held at
    /// the group it was given then ([`Objective::Anchored`]), so the Gaussians take the groups'
    /// shape before the model's own posterior decides. The shipped recipe spends all its
    /// clustering epochs here: measured, the test accuracy rose through this stage and fell
    /// through the mixture stage after it (docs/experiments.md, "Towards 0.97").
    #[config(default = 16)]
    pub anchor_epochs: usize,
    /// Epochs after the anchor stage that go on anchoring each digit, but to the model's own
    /// cluster for it (of its undistorted image), made afresh before every epoch: self-training
    /// on the model's pseudo-labels, which are better than the groups the anchors started from.
    /// Adam restarts as the stage begins, since its targets change (as it does when the mixture
    /// is placed). From where the anchor stage ends, these epochs raise the test accuracy, the
    /// worst runs most (docs/experiments.md, "Towards 0.97").
    #[config(default = 32)]
    pub self_training_epochs: usize,
    /// Weight of the anchor stage's cross-entropy term.
    #[config(default = 10.0)]
    pub anchor_weight: f32,
    /// Epochs of the mixture stage: the clustering VAE's own loss, its posterior deciding each
    /// digit's component (none in the shipped recipe: see `anchor_epochs`).
    #[config(default = 0)]
    pub mixture_epochs: usize,
    #[config(default = 128)]
    pub batch_size: usize,
    /// Adam's step size at the start of each stage.
    #[config(default = 1e-3)]
    pub learning_rate: f64,
    /// The mixture stage starts at `learning_rate` times this: it fine-tunes what the anchor
    /// stage shaped.
    #[config(default = 0.1)]
    pub mixture_lr_scale: f64,
    /// The step size is multiplied by this after every epoch of a stage.
    #[config(default = 0.96)]
    pub lr_decay: f64,
    /// Epochs over which the KL terms' weight rises linearly to 1 (0 = no warm-up).
    #[config(default = 0)]
    pub warmup_epochs: usize,
    /// How the prior's means and variances are initialised from the encoded training data
    /// when the mixture stage begins. Without it (and without pretraining) the components
    /// collapse: see the tests. Both recipes over-cluster the t-SNE map and merge along the
    /// codes' neighbour graph: its groups matched the digits better than the most typical of ten
    /// maps' k-means groups, for one map's cost (docs/experiments.md, "Towards 0.97").
    #[config(default = "PriorInit::TsneMerged")]
    pub prior_init: PriorInit,
    /// Training images encoded for that initialisation.
    #[config(default = 20000)]
    pub init_sample: usize,
    /// t-SNE maps of that grouping; of several, the grouping most like the others is kept
    /// (`clustering::tsne_grouping`, `merging::tsne_merged_grouping`): with k-means on the map,
    /// one start's random layout can merge two digits, and that decides a run. Each start costs
    /// a t-SNE of `init_sample` codes, in the page one after another in the worker.
    #[config(default = 1)]
    pub grouping_starts: usize,
    /// Training digits distorted at random in every stage (augmentation); `None`: the digits as
    /// they are (and what a config saved before augmentation existed reads as).
    #[config(default = "Some(Distortion::HANDWRITING)")]
    pub augment: Option<Distortion>,
    #[config(default = 42)]
    pub seed: u64,
}

impl TrainingConfig {
    pub fn validate(&self) -> Result<(), ConfigError> {
        self.model.validate()?;
        if self.batch_size == 0 {
            return Err(ConfigError("batch_size must be positive".into()));
        }
        if self.grouping_starts == 0 {
            return Err(ConfigError("grouping_starts must be positive".into()));
        }
        if !(self.learning_rate > 0.0 && self.learning_rate.is_finite()) {
            return Err(ConfigError(format!("learning_rate = {} must be positive", self.learning_rate)));
        }
        if !(self.mixture_lr_scale > 0.0 && self.mixture_lr_scale.is_finite()) {
            return Err(ConfigError(format!("mixture_lr_scale = {} must be positive", self.mixture_lr_scale)));
        }
        if !(self.lr_decay > 0.0 && self.lr_decay <= 1.0) {
            return Err(ConfigError(format!("lr_decay = {} must be in (0, 1]", self.lr_decay)));
        }
        Ok(())
    }

    /// Anchor epochs that will run: none without groups to anchor to.
    pub fn effective_anchor_epochs(&self) -> usize {
        if self.prior_init == PriorInit::Random { 0 } else { self.anchor_epochs }
    }

    /// Self-training epochs that will run: none without a placed mixture to name clusters.
    pub fn effective_self_training_epochs(&self) -> usize {
        if self.prior_init == PriorInit::Random { 0 } else { self.self_training_epochs }
    }

    /// Epochs in which the cross-entropy to each digit's anchor is trained (anchor stage, then
    /// self-training).
    pub fn anchored_epochs(&self) -> usize {
        self.effective_anchor_epochs() + self.effective_self_training_epochs()
    }

    pub fn total_epochs(&self) -> usize {
        self.pretrain_epochs + self.anchored_epochs() + self.mixture_epochs
    }
}

/// How the mixture prior starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(Tsify))]
pub enum PriorInit {
    /// As the model's config initialises it: means N(0, I), unit variances.
    Random,
    /// Groups of k-means on the latent means of the training sample.
    KMeans,
    /// Groups of k-means on a 2-D t-SNE map of those latent means (the default: on MNIST it
    /// finds the digit classes far more often than k-means in the code space).
    TsneKMeans,
    /// That map over-clustered and merged along the codes' neighbour graph
    /// ([`crate::merging`]): what the Quick preset's briefly pretrained codes need.
    TsneMerged,
}

/// The knobs of a training run that the page offers; the rest follows the shipped recipe.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(Tsify))]
pub struct TrainSettings {
    pub components: usize,
    pub latent_dim: usize,
    pub pretrain_epochs: usize,
    pub anchor_epochs: usize,
    /// Self-training epochs after the anchor stage. A run saved before they existed resumes
    /// without.
    #[serde(default)]
    pub self_training_epochs: usize,
    /// Mixture-stage epochs; read from a run saved as `epochs` too.
    #[serde(alias = "epochs")]
    pub mixture_epochs: usize,
    pub batch_size: usize,
    pub learning_rate: f64,
    /// Training digits whose codes are grouped to initialise the mixture.
    pub init_sample: usize,
    /// t-SNE starts of that grouping (see [`TrainingConfig::grouping_starts`]). Not in the
    /// Train form: in the page the starts run one after another, each holding the worker (about
    /// 8 s for 5,000 digits), so both presets group from one; absent, it is 1.
    #[serde(default = "one_start")]
    pub grouping_starts: usize,
    /// How the pretrained codes are grouped to place the mixture (not in the Train form). A run
    /// saved without it was grouped by k-means on the map, and resumes so.
    #[serde(default = "map_kmeans")]
    pub grouping: PriorInit,
    pub seed: u64,
    /// Distort the training digits a little at random ([`Distortion::HANDWRITING`]). A run
    /// saved before the switch existed resumes without.
    #[serde(default)]
    pub augment: bool,
}

fn one_start() -> usize {
    1
}

fn map_kmeans() -> PriorInit {
    PriorInit::TsneKMeans
}

impl TrainSettings {
    /// The page's defaults, its Quick preset (the Train form starts with these): short enough
    /// to watch in a browser.
    pub fn page_defaults() -> Self {
        Self {
            components: 10,
            latent_dim: 10,
            // 20 epochs in all: codes pretrained 14 epochs group better than after 10
            // (docs/experiments.md, "The Quick preset").
            pretrain_epochs: 14,
            // Anchors all the way, as the shipped recipe: over five seeds as good as 3 anchor + 3
            // mixture epochs (docs/experiments.md, "Towards 0.97").
            anchor_epochs: 6,
            self_training_epochs: 0,
            mixture_epochs: 0,
            batch_size: 128,
            learning_rate: 1e-3,
            init_sample: 5000,
            grouping_starts: 1,
            grouping: PriorInit::TsneMerged,
            seed: 42,
            // Measured over five seeds it does not pay in so short a run (docs/experiments.md, "Towards 0.97").
            augment: false,
        }
    }

    /// The Full recipe (the CLI's defaults, [`TrainingConfig`]'s), the Train form's Full preset:
    /// longer pretraining, more digits grouped, augmentation, self-training. The shipped model
    /// was trained by it when it grouped by k-means on ten maps (docs/experiments.md, "Results").
    pub fn shipped() -> Self {
        let full = TrainingConfig::new(ModelConfig::new());
        Self {
            components: full.model.components,
            latent_dim: full.model.latent_dim,
            pretrain_epochs: full.pretrain_epochs,
            anchor_epochs: full.anchor_epochs,
            self_training_epochs: full.self_training_epochs,
            mixture_epochs: full.mixture_epochs,
            batch_size: full.batch_size,
            learning_rate: full.learning_rate,
            init_sample: full.init_sample,
            grouping_starts: full.grouping_starts,
            grouping: full.prior_init,
            seed: full.seed,
            augment: full.augment.is_some(),
        }
    }

    /// The value of the form field `name` (one of [`TRAIN_FIELDS`]').
    fn field(&self, name: &str) -> f64 {
        match name {
            "components" => self.components as f64,
            "latent_dim" => self.latent_dim as f64,
            "pretrain_epochs" => self.pretrain_epochs as f64,
            "anchor_epochs" => self.anchor_epochs as f64,
            "self_training_epochs" => self.self_training_epochs as f64,
            "mixture_epochs" => self.mixture_epochs as f64,
            "batch_size" => self.batch_size as f64,
            "learning_rate" => self.learning_rate,
            "init_sample" => self.init_sample as f64,
            "seed" => self.seed as f64,
            _ => unreachable!("{name} is not a Train form field"),
        }
    }

    /// Every field within its bounds ([`TRAIN_FIELDS`], which the page's form also enforces; this
    /// is the check that holds whatever the page sends), and 1 to 20 grouping starts.
    pub fn validate(&self) -> Result<(), ConfigError> {
        for spec in &TRAIN_FIELDS {
            let value = self.field(spec.name);
            let (label, name, min) = (spec.label, spec.name, spec.min);
            let within = value.is_finite() && value >= min && spec.max.is_none_or(|max| value <= max);
            if !within {
                let bound = spec.max.map_or(format!("at least {min}"), |max| format!("from {min} to {max}"));
                return Err(ConfigError(format!("{label} ({name}) is {value}; it must be {bound}")));
            }
        }
        if !(1..=20).contains(&self.grouping_starts) {
            let starts = self.grouping_starts;
            return Err(ConfigError(format!("Grouping starts (grouping_starts) is {starts}; it must be from 1 to 20")));
        }
        Ok(())
    }

    pub fn to_config(&self) -> Result<TrainingConfig, ConfigError> {
        self.validate()?;
        let model = ModelConfig::new().with_components(self.components).with_latent_dim(self.latent_dim);
        let config = TrainingConfig::new(model)
            .with_pretrain_epochs(self.pretrain_epochs)
            .with_pretrain_objective(Objective::Autoencoder)
            .with_anchor_epochs(self.anchor_epochs)
            .with_self_training_epochs(self.self_training_epochs)
            .with_mixture_epochs(self.mixture_epochs)
            .with_batch_size(self.batch_size)
            .with_learning_rate(self.learning_rate)
            .with_prior_init(if self.pretrain_epochs > 0 { self.grouping } else { PriorInit::Random })
            .with_init_sample(self.init_sample.max(self.components))
            .with_grouping_starts(self.grouping_starts)
            .with_augment(self.augment.then_some(Distortion::HANDWRITING))
            .with_seed(self.seed);
        config.validate()?;
        if config.total_epochs() == 0 {
            return Err(ConfigError("a training run needs at least one epoch".into()));
        }
        Ok(config)
    }
}

/// One number of the Train form: its name in [`TrainSettings`], its label, and its bounds.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct FieldSpec {
    pub name: &'static str,
    pub label: &'static str,
    pub min: f64,
    /// `None`: no upper bound.
    pub max: Option<f64>,
    /// Whole numbers only.
    pub whole: bool,
}

const fn whole(name: &'static str, label: &'static str, min: f64, max: f64) -> FieldSpec {
    FieldSpec { name, label, min, max: Some(max), whole: true }
}

/// The Train form's numbers in the order it shows them. A step size too large to train is
/// allowed: the run diverges and the NaN protection stops it (its end-to-end test provokes
/// this way).
pub const TRAIN_FIELDS: [FieldSpec; 10] = [
    whole("components", "Clusters K", 2.0, 30.0),
    whole("latent_dim", "Latent width d", 2.0, 64.0),
    whole("pretrain_epochs", "Pretrain epochs", 0.0, 100.0),
    whole("anchor_epochs", "Anchor epochs", 0.0, 50.0),
    whole("self_training_epochs", "Self-training epochs", 0.0, 50.0),
    whole("mixture_epochs", "Mixture epochs", 0.0, 100.0),
    whole("batch_size", "Batch size", 8.0, 1024.0),
    FieldSpec { name: "learning_rate", label: "Learning rate", min: 1e-6, max: None, whole: false },
    whole("init_sample", "Digits grouped", 100.0, 60000.0),
    whole("seed", "Seed", 0.0, 1e6),
];

/// The Train form as the page builds it: its numbers, and the two presets it offers.
#[derive(Clone, Debug, Serialize)]
pub struct TrainForm {
    pub fields: Vec<FieldSpec>,
    /// Short enough to watch in a browser; the form starts with it.
    pub quick: TrainSettings,
    /// The shipped model's recipe ([`TrainSettings::shipped`]).
    pub full: TrainSettings,
}

pub fn train_form() -> TrainForm {
    TrainForm { fields: TRAIN_FIELDS.to_vec(), quick: TrainSettings::page_defaults(), full: TrainSettings::shipped() }
}
