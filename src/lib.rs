//! mixvae: a clustering VAE (Gaussian-mixture prior over the latent code) that sorts MNIST
//! digits without labels. One crate for the native CLI and the browser worker.
//!
//! A map of the modules, one concern each:
//! - [`data`]: IDX parsing with checks, seeded minibatches
//! - [`augment`]: small random shifts, turns and scalings of the training digits
//! - [`drawing`]: a drawing on the page turned into an MNIST-style input
//! - [`generation`]: samples of each component, decoded
//! - [`model`]: encoder, decoder and mixture prior
//! - [`loss`]: the negative ELBO term by term, and each training stage's objective
//! - [`recipe`]: what a run is asked to do: the loop's config and the page's ten numbers
//! - [`training`]: the async training loop shared by every backend
//! - [`clustering`]: k-means on latent codes (prior initialisation, two-step baseline)
//! - [`merging`]: the Quick preset's grouping: the map over-clustered, merged along the codes' graph
//! - [`inference`]: whole-dataset encoding and scoring, with asynchronous read-backs
//! - [`metrics`]: accuracy (Hungarian), NMI, ARI, silhouette
//! - [`projection`]: the 2-D latent map (PCA) and the way back to codes
//! - [`session`]: what the page works with: model, data, map, training in chunks
//! - [`baseline`]: the two-step method, a plain VAE then k-means
//! - [`bench`]: training throughput, a step's profile, FLOPs, time to a target accuracy
//! - [`study`]: a recipe over several seeds: mean, worst, spread
//! - [`store`]: SafeTensors weights with their config, checked on load
//! - [`compact`]: the 8-bit copy of a weights file the page downloads first
//! - `web` (wasm32 only): the wasm-bindgen surface the page's worker calls

pub mod augment;
pub mod baseline;
pub mod bench;
pub mod clustering;
pub mod compact;
pub mod data;
pub mod drawing;
pub mod generation;
pub mod inference;
pub mod loss;
pub mod merging;
pub mod metrics;
pub mod model;
pub mod projection;
pub mod recipe;
pub mod session;
pub mod store;
pub mod study;
pub mod training;
#[cfg(target_arch = "wasm32")]
pub mod web;
