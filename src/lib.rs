//! mixvae: a clustering VAE (Gaussian-mixture prior over the latent code) that sorts MNIST
//! digits without labels. One crate for the native CLI and the browser worker.
//!
//! A map of the modules, one concern each:
//! - [`data`]: IDX parsing with checks, seeded minibatches
//! - [`model`]: encoder, decoder and mixture prior
//! - [`loss`]: the negative ELBO term by term, and each training stage's objective
//! - [`training`]: the async training loop shared by every backend
//! - [`clustering`]: k-means on latent codes (prior initialisation, two-step baseline)
//! - [`inference`]: whole-dataset encoding and scoring, with asynchronous read-backs
//! - [`metrics`]: accuracy (Hungarian), NMI, ARI, silhouette
//! - [`baseline`]: the two-step method, a plain VAE then k-means
//! - [`store`]: SafeTensors weights with their config, checked on load

pub mod baseline;
pub mod clustering;
pub mod data;
pub mod inference;
pub mod loss;
pub mod metrics;
pub mod model;
pub mod store;
pub mod training;
