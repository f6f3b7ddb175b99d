#!/usr/bin/env bash
# `npm start`: install what is missing, then serve the page on localhost (vite prints the address).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-tools.sh
exec npx vite --host 127.0.0.1 --port "${PORT:-5173}" --strictPort
