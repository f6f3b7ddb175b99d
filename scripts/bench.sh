#!/usr/bin/env bash
# `npm run bench`: build the page and the native CLI (release), then measure both
# (scripts/bench.mjs): a table on stdout, results/bench/bench.json.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
echo "== native CLI (cargo build --release)"
cargo build --release --bin mixvae
node scripts/bench.mjs
