//! `mixvae`: train, evaluate, export and benchmark the clustering VAE natively, on burn's flex
//! CPU backend or (`--backend wgpu`) on the GPU through burn's wgpu backend.
//!
//! The shipped model (www/model/) was made by the commands written in docs/experiments.md
//! ("Results"). Native only: `wasm-pack test` builds every target for wasm32, so there this
//! binary is empty.

#[cfg(not(target_arch = "wasm32"))]
mod backend;
#[cfg(not(target_arch = "wasm32"))]
mod bench;
#[cfg(not(target_arch = "wasm32"))]
mod cli;
#[cfg(not(target_arch = "wasm32"))]
mod commands;
#[cfg(not(target_arch = "wasm32"))]
mod study;

fn main() {
    #[cfg(not(target_arch = "wasm32"))]
    {
        // burn's default device (where a loaded optimizer state first lands) would be wgpu in
        // this build, which needs a GPU driver; the CPU is always there. Set before any thread
        // exists, hence sound.
        if std::env::var_os("BURN_DEVICE").is_none() {
            unsafe { std::env::set_var("BURN_DEVICE", "flex") };
        }
        commands::main();
    }
}
