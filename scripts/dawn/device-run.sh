#!/usr/bin/env bash
# `npm run bench:dawn` on a lent GPU machine without Rust, a browser, node_modules or a network:
# unpacks .devrun-dawn/ (scripts/dawn/pack.sh) and Debian's Vulkan loader (.gl/), then runs the
# benchmark on the GPU through Dawn's Vulkan backend. JSON and logs go to $OUT (or results/dawn).
# Extra arguments go to the benchmark (e.g. --full 240); NAME names its files (default dawn).
set -uo pipefail
cd "$(dirname "$0")/../.."
FINAL=${OUT:-results/dawn}
NAME=${NAME:-dawn}
mkdir -p "$FINAL"
for f in .gl/*.deb; do dpkg -x "$f" /; done
ldconfig
export VK_DRIVER_FILES=${VK_DRIVER_FILES:-/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json}
run=/tmp/dawn
mkdir -p "$run/webgpu/dist/linux-x64" "$run/pkg"
xz -dc .devrun-dawn/node.xz > "$run/node" && chmod +x "$run/node"
cp .devrun-dawn/webgpu/index.js .devrun-dawn/webgpu/package.json "$run/webgpu/"
xz -dc .devrun-dawn/webgpu/dawn.node.xz > "$run/webgpu/dist/linux-x64/dawn.node"
cp .devrun-dawn/pkg/mixvae.js "$run/pkg/"
xz -dc .devrun-dawn/pkg/mixvae_bg.wasm.xz > "$run/pkg/mixvae_bg.wasm"
echo '{"type": "module"}' > "$run/package.json"
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader > "$FINAL/gpu.txt" 2>&1
lscpu | grep -E 'Model name|^CPU\(s\)' >> "$FINAL/gpu.txt"
cat "$FINAL/gpu.txt"
"$run/node" scripts/dawn/bench.mjs --pkg "$run/pkg" --webgpu "$run/webgpu" --data .devrun-dawn/data \
  --out "$FINAL/$NAME.json" "$@" 2>&1 | tee "$FINAL/$NAME.log"
