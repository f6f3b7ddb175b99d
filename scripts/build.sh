#!/usr/bin/env bash
# `npm run build`: the static site in dist/ (release wasm, MNIST as gzip files, the bundled page),
# which works from any static host and any sub-path.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-tools.sh
echo "== MNIST files for the page (www/public/data)"
node scripts/build-data.mjs
echo "== wasm (wasm-pack, release)"
wasm-pack build --release --target web --out-dir pkg --mode no-install --no-pack .
echo "== type check (tsc)"
npx tsc -p .
echo "== bundle (vite build -> dist/)"
npx vite build
