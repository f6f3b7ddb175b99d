//! `mixvae`: train, evaluate, export and benchmark the clustering VAE natively, on burn's flex
//! CPU backend or (`--backend wgpu`) on the GPU through burn's wgpu backend. One file per
//! command (`*_command.rs`), the arguments and helpers they share beside them.
//!
//! The shipped model (www/model/) was made by the commands written in docs/experiments.md
//! ("Results"). Native only: `wasm-pack test` builds every target for wasm32, so there this
//! binary is empty.

#[cfg(not(target_arch = "wasm32"))]
mod args;
#[cfg(not(target_arch = "wasm32"))]
mod backend;
#[cfg(not(target_arch = "wasm32"))]
mod baseline_command;
#[cfg(not(target_arch = "wasm32"))]
mod bench_command;
#[cfg(not(target_arch = "wasm32"))]
mod commands;
#[cfg(not(target_arch = "wasm32"))]
mod eval_command;
#[cfg(not(target_arch = "wasm32"))]
mod export_command;
#[cfg(not(target_arch = "wasm32"))]
mod model_file;
#[cfg(not(target_arch = "wasm32"))]
mod report;
#[cfg(not(target_arch = "wasm32"))]
mod study_command;
#[cfg(not(target_arch = "wasm32"))]
mod train_command;

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
