#!/usr/bin/env bash
# `npm run bench:gpu`: build the page and the native CLI (release), then measure training on the
# GPU (scripts/bench-gpu.mjs): a table on stdout, results/bench/gpu.json.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
echo "== native CLI (cargo build --release)"
cargo build --release --bin mixvae
node scripts/bench-gpu.mjs
