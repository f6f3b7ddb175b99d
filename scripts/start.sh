#!/usr/bin/env bash
# `npm start`: build everything (see build.sh), then serve the built page on localhost; vite
# prints the address.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
exec npx vite preview --host 127.0.0.1 --port "${PORT:-5173}" --strictPort
