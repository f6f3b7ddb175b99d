#!/usr/bin/env bash
# `npm run test:unfused`: the wgpu agreement tests (tests/wgpu.rs) in a build without burn's
# kernel fusion. The default build (fused) runs them in `npm test`; both agreeing with flex, step
# by step, within the same tolerances is what makes the fused build agree with the unfused one.
# Not part of `npm test`: it compiles burn a second time (about 15 minutes on 2 cores).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-tools.sh test
export BURN_DEVICE=${BURN_DEVICE:-flex}
export XDG_RUNTIME_DIR=${XDG_RUNTIME_DIR:-/tmp/xdg-runtime-$(id -u)}
mkdir -p "$XDG_RUNTIME_DIR" && chmod 700 "$XDG_RUNTIME_DIR"
cargo test --release --no-default-features --test wgpu -- --nocapture
