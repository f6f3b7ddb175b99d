//! `mixvae`: train, evaluate and export the clustering VAE natively, on burn's flex CPU backend.
//!
//! The shipped model (www/model/) was made by the command written in README.md. Native only:
//! `wasm-pack test` builds every target for wasm32, so there this binary is empty.

#[cfg(not(target_arch = "wasm32"))]
mod bench;
#[cfg(not(target_arch = "wasm32"))]
mod cli;

fn main() {
    #[cfg(not(target_arch = "wasm32"))]
    cli::main();
}
