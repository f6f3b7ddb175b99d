#!/usr/bin/env bash
# `npm run bench:dawn`: builds the page's engine if needed, then measures it on Dawn in Node
# (scripts/dawn/bench.mjs; its arguments pass through). With a GPU and a Vulkan driver Dawn
# takes the GPU; without one, SwiftShader's Vulkan from Debian's Chromium stands in (correctness
# and counts, not speed: `npm test` installs it).
set -euo pipefail
cd "$(dirname "$0")/../.."
[ -f pkg/mixvae_bg.wasm ] || bash scripts/build.sh
if ! node -e "import('webgpu').then((m) => m.create([]).requestAdapter()).then((a) => process.exit(a ? 0 : 1))" 2>/dev/null \
  && [ -z "${VK_ICD_FILENAMES:-}" ] && [ -f /usr/lib/chromium/vk_swiftshader_icd.json ]; then
  echo "== no Vulkan GPU found: Dawn on SwiftShader (software; counts and correctness, not speed)" >&2
  export VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json
fi
exec node scripts/dawn/bench.mjs "$@"
