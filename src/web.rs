//! The wasm-bindgen surface the page's worker calls: a thin shell over [`Session`] that
//! converts values and turns every error into a JS `Error` with a readable message. Bulk numbers
//! (images, codes, the map's points) cross as one Float32Array per result with its shape in a
//! header (layouts at the end of this file), which the worker unpacks and transfers to the page;
//! small structured values as JSON through tsify's "json" mode (tsify also writes their
//! TypeScript types). Both were chosen by measurement (`npm run bench:boundary`;
//! docs/performance.md, "The wasm boundary").
//!
//! Calls must not overlap: the worker queues them (an overlapping call gets a "busy" error
//! rather than a panic).

use std::cell::{RefCell, RefMut};

use burn::tensor::Device;
use serde::Deserialize;
use tsify::Ts;
use wasm_bindgen::prelude::*;

use crate::bench::Throughput;
use crate::data::Dataset;
use crate::metrics::Scores;
use crate::recipe::TrainSettings;
use crate::session::{ChunkReport, Classification, Encoding, Majority, MapView, ModelInfo, Session, TrainProgress};
use crate::training::StepProfile;

/// The part of a model's summary file (`mixvae.json`, written by `mixvae export`) the page uses.
#[derive(Deserialize, Default)]
struct Summary {
    #[serde(default)]
    test_scores: Option<Scores>,
    #[serde(default)]
    cluster_majority: Majority,
}

/// Kernels queued on WebGPU before one submit (cubecl's `tasks_max`; the environment variable
/// that sets it natively does not exist in a browser). Chosen with `npm run bench:dawn`.
pub const WEBGPU_TASKS_MAX: usize = 32;

/// The model, its data and its training run, on one backend.
#[wasm_bindgen]
pub struct Engine {
    session: RefCell<Session>,
    backend: String,
}

unsafe extern "C" {
    /// The static constructors of the linked crates (cubecl's IR registers its operations with
    /// `inventory`), made by the linker.
    fn __wasm_call_ctors();
}

/// Runs the static constructors, once per instance: wasm-bindgen calls this when it instantiates
/// the module, and [`Engine::create`] (and any test that uses a backend without an engine) calls
/// it too, for hosts that skip the start function (wasm-bindgen's test runner does). Without an
/// explicit call, the linker treats the module as a command and runs every constructor again at
/// the start of each exported function, which JavaScript calls for every object it hands to wasm:
/// several times per WebGPU dispatch, about 95% of a training step's time on WebGPU (inventory's
/// documentation, "WebAssembly and constructors").
#[wasm_bindgen(start)]
pub fn run_static_constructors() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    // SAFETY: the linker's constructors, run once as its own wrappers would before any export.
    ONCE.call_once(|| unsafe { __wasm_call_ctors() });
}

/// The browser's GPU through burn's WebGPU backend, `tasks_max` kernels queued per submit.
#[cfg(feature = "webgpu")]
async fn webgpu_device(tasks_max: Option<usize>) -> Result<Device, JsError> {
    Device::wgpu_options()
        .graphics_api(burn::tensor::wgpu::WgpuBackend::WebGpu)
        .tasks_max(tasks_max.unwrap_or(WEBGPU_TASKS_MAX).max(1))
        .init_async()
        .await
        .map_err(|e| JsError::new(&format!("WebGPU could not start: {e:?}")))
}

/// The CPU-only build (`--no-default-features`) has no GPU backend.
#[cfg(not(feature = "webgpu"))]
async fn webgpu_device(_tasks_max: Option<usize>) -> Result<Device, JsError> {
    Err(JsError::new("this build of the engine has no WebGPU (the CPU build): load the WebGPU build"))
}

fn error(e: impl std::fmt::Display) -> JsError {
    JsError::new(&e.to_string())
}

#[wasm_bindgen]
impl Engine {
    /// Starts the backend ("webgpu" or "cpu") and loads the model in `weights` (SafeTensors).
    /// `summary` is the model's summary JSON (scores, cluster majorities), if any. `tasksMax`:
    /// on WebGPU, the kernels queued before they are submitted to the GPU (default
    /// [`WEBGPU_TASKS_MAX`]); only the first WebGPU engine of a worker sets it.
    pub async fn create(
        backend: String,
        weights: Vec<u8>,
        summary: Option<String>,
        tasks_max: Option<usize>,
    ) -> Result<Engine, JsError> {
        run_static_constructors();
        console_error_panic_hook::set_once();
        let device = match backend.as_str() {
            "cpu" => Device::flex(),
            "webgpu" => webgpu_device(tasks_max).await?,
            other => return Err(JsError::new(&format!("unknown backend '{other}': use 'webgpu' or 'cpu'"))),
        };
        let summary: Summary = match summary {
            Some(json) => serde_json::from_str(&json).map_err(|e| error(format!("model summary: {e}")))?,
            None => Summary::default(),
        };
        let session =
            Session::new(device, &weights, "shipped", summary.test_scores, summary.cluster_majority).map_err(error)?;
        Ok(Engine { session: RefCell::new(session), backend })
    }

    /// "webgpu" or "cpu".
    #[wasm_bindgen(getter)]
    pub fn backend(&self) -> String {
        self.backend.clone()
    }

    fn session(&self) -> Result<RefMut<'_, Session>, JsError> {
        self.session.try_borrow_mut().map_err(|_| JsError::new("the model is busy with another call"))
    }

    pub fn info(&self) -> Result<Ts<ModelInfo>, JsError> {
        ts(self.session()?.info())
    }

    /// Replaces the model with a SafeTensors file's, if it passes every check; otherwise the
    /// model in use stays and the error says what is wrong with the file.
    #[wasm_bindgen(js_name = loadWeights)]
    pub async fn load_weights(&self, weights: Vec<u8>, source: String) -> Result<Ts<ModelInfo>, JsError> {
        let mut session = self.session()?;
        ts(session.load_weights(&weights, &source).await.map_err(error)?)
    }

    #[wasm_bindgen(js_name = exportWeights)]
    pub async fn export_weights(&self) -> Result<Vec<u8>, JsError> {
        self.session()?.export_weights().await.map_err(error)
    }

    /// Encodes a drawing: `ink` holds `width * height` values, 0 = blank, 255 = full ink.
    /// Packed in one array (see the layouts at the end of this file).
    pub async fn classify(&self, ink: Vec<u8>, width: u32, height: u32) -> Result<Vec<f32>, JsError> {
        Ok(pack_classification(&self.session()?.classify(&ink, width, height).await.map_err(error)?))
    }

    /// The same result as `classify`, as JSON text: the crossing `npm run bench:boundary`
    /// compares with the typed arrays' in one build.
    #[wasm_bindgen(js_name = classifyAsJson)]
    pub async fn classify_as_json(&self, ink: Vec<u8>, width: u32, height: u32) -> Result<String, JsError> {
        serde_json::to_string(&self.session()?.classify(&ink, width, height).await.map_err(error)?).map_err(error)
    }

    /// Encodes images (`[n, 784]` row-major, values in [0, 1]): means, log-variances, cluster
    /// probabilities and clusters.
    pub async fn encode(&self, images: Vec<f32>) -> Result<Vec<f32>, JsError> {
        Ok(pack_encoding(&self.session()?.encode(&images).await.map_err(error)?))
    }

    /// Decodes latent codes (`[n, d]` row-major): `[n, 784]`.
    pub async fn decode(&self, codes: Vec<f32>) -> Result<Vec<f32>, JsError> {
        self.session()?.decode(&codes).await.map_err(error)
    }

    /// `[K * perComponent, 784]` samples, component by component.
    pub async fn generate(&self, per_component: usize, seed: u32, same_style: bool) -> Result<Vec<f32>, JsError> {
        self.session()?.generate(per_component, seed as u64, same_style).await.map_err(error)
    }

    /// `[K, 784]`: each component's mean decoded.
    pub async fn prototypes(&self) -> Result<Vec<f32>, JsError> {
        self.session()?.prototypes().await.map_err(error)
    }

    /// Sets the test digits (IDX bytes; labels optional) used by the map and the scores.
    #[wasm_bindgen(js_name = setTestSet)]
    pub async fn set_test_set(&self, images: Vec<u8>, labels: Option<Vec<u8>>) -> Result<Ts<ModelInfo>, JsError> {
        let data = parse(&images, labels.as_deref())?;
        let mut session = self.session()?;
        session.set_test_set(data).await.map_err(error)?;
        ts(session.info())
    }

    /// Sets the training digits (IDX bytes; labels are never used for training).
    #[wasm_bindgen(js_name = setTrainSet)]
    pub fn set_train_set(&self, images: Vec<u8>, labels: Option<Vec<u8>>) -> Result<usize, JsError> {
        let data = parse(&images, labels.as_deref())?;
        let len = data.len();
        self.session()?.set_train_set(data).map_err(error)?;
        Ok(len)
    }

    #[wasm_bindgen(js_name = hasTrainSet)]
    pub fn has_train_set(&self) -> Result<bool, JsError> {
        Ok(self.session()?.has_train_set())
    }

    #[wasm_bindgen(js_name = latentMap)]
    /// The test digits on the map, packed in one array (see the layouts at the end of this file).
    pub async fn latent_map(&self) -> Result<Vec<f32>, JsError> {
        Ok(pack_map(&self.session()?.latent_map().await.map_err(error)?))
    }

    /// The same result as `latentMap`, as JSON text (see `classifyAsJson`).
    #[wasm_bindgen(js_name = latentMapAsJson)]
    pub async fn latent_map_as_json(&self) -> Result<String, JsError> {
        serde_json::to_string(&self.session()?.latent_map().await.map_err(error)?).map_err(error)
    }

    /// The two-step baseline (a plain VAE's `weights`, then k-means) on the test digits: its
    /// scores and its map, packed (see the layouts at the end of this file).
    #[wasm_bindgen(js_name = baselineMap)]
    pub async fn baseline_map(&self, weights: Vec<u8>) -> Result<Vec<f32>, JsError> {
        let (map, scores) = self.session()?.baseline_map(&weights).await.map_err(error)?;
        Ok(pack_baseline(&map, scores.as_ref()))
    }

    /// `[rows * cols, 784]`: a grid over the latent map decoded, row by row from the top.
    #[wasm_bindgen(js_name = walkMap)]
    pub async fn walk_map(&self, rows: usize, cols: usize) -> Result<Vec<f32>, JsError> {
        self.session()?.walk_map(rows, cols).await.map_err(error)
    }

    /// Starts a training run from scratch; the model in use becomes the one in training.
    #[wasm_bindgen(js_name = trainBegin)]
    pub fn train_begin(&self, settings: Ts<TrainSettings>) -> Result<Ts<ModelInfo>, JsError> {
        let settings = settings.to_rust().map_err(error)?;
        ts(self.session()?.train_begin(&settings).map_err(error)?)
    }

    /// Trains for about `budget_ms` (at least one step, at most to the end of the epoch).
    #[wasm_bindgen(js_name = trainChunk)]
    pub async fn train_chunk(&self, budget_ms: f64) -> Result<Ts<ChunkReport>, JsError> {
        let deadline = js_sys::Date::now() + budget_ms;
        ts(&self.session()?.train_chunk(|| js_sys::Date::now() >= deadline).await.map_err(error)?)
    }

    /// Resumes a saved run from the model in use (loaded from the same save).
    #[wasm_bindgen(js_name = trainResume)]
    pub async fn train_resume(
        &self,
        progress: Ts<TrainProgress>,
        anchors: Option<Vec<u32>>,
    ) -> Result<Ts<ModelInfo>, JsError> {
        let progress = progress.to_rust().map_err(error)?;
        let mut session = self.session()?;
        // Adam restarts: burn loads an optimizer state onto the default device, WebGPU in this build.
        ts(session.train_resume(&progress, anchors, None).await.map_err(error)?)
    }

    /// Where the run stands (`undefined` when none was started).
    #[wasm_bindgen(js_name = trainProgress)]
    pub fn train_progress(&self) -> Result<Option<Ts<TrainProgress>>, JsError> {
        self.session()?.train_progress().map(|p| ts(&p)).transpose()
    }

    /// The training digits' groups, once the mixture has been initialised.
    #[wasm_bindgen(js_name = trainAnchors)]
    pub fn train_anchors(&self) -> Result<Option<Vec<u32>>, JsError> {
        Ok(self.session()?.train_anchors())
    }

    /// Training throughput at `batchSize` on the training set (benchmarks; the model in use is
    /// untouched: a fresh one is trained).
    #[wasm_bindgen(js_name = benchTraining)]
    pub async fn bench_training(
        &self,
        batch_size: usize,
        warmup: usize,
        runs: usize,
        seconds_per_run: f64,
    ) -> Result<Ts<Throughput>, JsError> {
        let session = self.session()?;
        ts(&session.bench_training(batch_size, warmup, runs, seconds_per_run).await.map_err(error)?)
    }

    /// Training speed on this backend, images per second: `steps` steps at `batchSize` to warm
    /// up, then `steps` timed (a fresh model is trained; the model in use stays).
    #[wasm_bindgen(js_name = measureTrainingSpeed)]
    pub async fn measure_training_speed(&self, batch_size: usize, steps: usize) -> Result<f64, JsError> {
        let session = self.session()?;
        session.measure_training_speed(batch_size, steps).await.map_err(error)
    }

    /// Trains a fresh model `steps` steps at `batchSize` (rounded up to whole read-back windows;
    /// the model in use stays) and returns `[steps taken, seconds]` (benchmarks: two calls tell
    /// what one steady-state step costs).
    #[wasm_bindgen(js_name = fixedTrainingSteps)]
    pub async fn fixed_training_steps(&self, batch_size: usize, steps: usize) -> Result<Vec<f64>, JsError> {
        let session = self.session()?;
        let (done, seconds) = session.fixed_training_steps(batch_size, steps).await.map_err(error)?;
        Ok(vec![done as f64, seconds])
    }

    /// Where a training step's time goes (benchmarks; a fresh model is trained).
    #[wasm_bindgen(js_name = profileTrainingStep)]
    pub async fn profile_training_step(
        &self,
        batch_size: usize,
        warmup: usize,
        steps: usize,
    ) -> Result<Ts<StepProfile>, JsError> {
        let session = self.session()?;
        ts(&session.profile_training_step(batch_size, warmup, steps).await.map_err(error)?)
    }

    #[wasm_bindgen(js_name = trainStop)]
    pub fn train_stop(&self) -> Result<(), JsError> {
        self.session()?.train_stop();
        Ok(())
    }
}

fn ts<T: tsify::Tsify + serde::Serialize>(value: &T) -> Result<Ts<T>, JsError> {
    Ts::from_rust(value).map_err(error)
}

fn parse(images: &[u8], labels: Option<&[u8]>) -> Result<Dataset, JsError> {
    Dataset::from_idx_bytes("images", images, labels.map(|l| ("labels", l))).map_err(error)
}

// ---- bulk results: one Float32Array each ----------------------------------------------------
//
// Here every call from wasm into JavaScript is costly (npm run bench:boundary: a drawing's result
// as five typed arrays plus serde-wasm-bindgen for its two small fields took 19 ms, as JSON text
// 8 ms), so a bulk result crosses as ONE Float32Array: a short header that gives its shape, then
// its parts; www/worker/unpack.ts reads it back into typed views. Layouts (f32 each):
//
// - classification: [cluster, d, K, has_position, x, y, input(784), mean(d), logvar(d),
//   probabilities(K), reconstruction(784)]
// - encoding: [n, d, K, means(n*d), logvars(n*d), probabilities(n*K), clusters(n)]
// - map: [n, d, has_labels, explained(2), extent(4), positions(2n), clusters(n), labels(n or 0),
//   codes(n*d)]
// - baseline: [has_scores, accuracy, nmi, ari, silhouette, clusters_used] then the map's layout
// Whole numbers below 2^24 (clusters, labels, sizes) are exact in f32.

fn pack_classification(c: &Classification) -> Vec<f32> {
    let (x, y) = c.map_position.map_or((0.0, 0.0), |[x, y]| (x, y));
    let header = [
        c.cluster as f32,
        c.mean.len() as f32,
        c.probabilities.len() as f32,
        c.map_position.is_some() as u8 as f32,
        x,
        y,
    ];
    [&header[..], &c.input, &c.mean, &c.logvar, &c.probabilities, &c.reconstruction].concat()
}

fn pack_encoding(e: &Encoding) -> Vec<f32> {
    let n = e.clusters.len();
    let d = if n == 0 { 0 } else { e.means.len() / n };
    let k = if n == 0 { 0 } else { e.probabilities.len() / n };
    let clusters: Vec<f32> = e.clusters.iter().map(|&c| c as f32).collect();
    [&[n as f32, d as f32, k as f32][..], &e.means, &e.logvars, &e.probabilities, &clusters].concat()
}

fn pack_map(m: &MapView) -> Vec<f32> {
    let clusters: Vec<f32> = m.clusters.iter().map(|&c| c as f32).collect();
    let labels: Vec<f32> = m.labels.iter().flatten().map(|&l| l as f32).collect();
    let header = [m.clusters.len() as f32, m.latent_dim as f32, m.labels.is_some() as u8 as f32];
    [&header[..], &m.explained, &m.extent, &m.positions, &clusters, &labels, &m.codes].concat()
}

fn pack_baseline(m: &MapView, scores: Option<&Scores>) -> Vec<f32> {
    let header = match scores {
        Some(s) => [1.0, s.accuracy as f32, s.nmi as f32, s.ari as f32, s.silhouette as f32, s.clusters_used as f32],
        None => [0.0; 6],
    };
    [&header[..], &pack_map(m)].concat()
}
