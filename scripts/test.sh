#!/usr/bin/env bash
# `npm test`: every test of the project, the time each part took, then one summary line
# "N passed, M failed".
set -uo pipefail
cd "$(dirname "$0")/.."
mkdir -p results

# burn's default device is wgpu in the native build (a loaded optimizer state lands there first):
# the CPU needs no driver. Mesa's Vulkan wants a runtime folder, or says so on every start.
export BURN_DEVICE=${BURN_DEVICE:-flex}
export XDG_RUNTIME_DIR=${XDG_RUNTIME_DIR:-/tmp/xdg-runtime-$(id -u)}
mkdir -p "$XDG_RUNTIME_DIR" && chmod 700 "$XDG_RUNTIME_DIR"

passed=0
failed=0
status=0
timings=()

timed() { # timed NAME COMMAND...: runs a part, records its duration
  local name=$1 start=$SECONDS
  shift
  "$@"
  local code=$?
  timings+=("$name: $((SECONDS - start)) s")
  return $code
}

if ! timed "install" bash scripts/ensure-tools.sh test; then
  echo "installing prerequisites failed"
  echo "0 passed, 1 failed"
  exit 1
fi

# Native Rust tests: unit, integration (tests/*.rs) and doc tests, every test binary run even
# after one fails (--no-fail-fast), so each failure is counted. Release build, so they share
# the compiled burn with the CLI and run the training tests at full speed.
native() {
  echo "== native Rust tests (cargo test --release)"
  cargo test --release --no-fail-fast 2>&1 | tee results/native-tests.log
  return "${PIPESTATUS[0]}"
}
count_native() { # count_native LOG STATUS: adds a cargo test log's results to the totals
  local log=$1 code=$2 before=$failed
  while read -r p f; do
    passed=$((passed + p))
    failed=$((failed + f))
  done < <(grep -E '^test result:' "$log" | sed -E 's/.* ([0-9]+) passed; ([0-9]+) failed.*/\1 \2/')
  if [ "$code" -ne 0 ] && [ "$failed" -eq "$before" ]; then
    failed=$((failed + 1)) # the build or a test binary failed before reporting
  fi
}
native_status=0
timed "native Rust tests" native || native_status=1
count_native results/native-tests.log $native_status
if [ $native_status -ne 0 ]; then status=1; fi

# The page must build: release wasm (the same training loop runs there), type-checked
# TypeScript, the bundled static site in dist/.
page_build() {
  echo "== page build (scripts/build.sh)"
  bash scripts/build.sh 2>&1 | tee results/page-build.log
  return "${PIPESTATUS[0]}"
}
# A build is not a test: it is not counted as passed; when it fails, nothing after it can run,
# and that counts as one failure.
page_built=0
if timed "page build (wasm, tsc, vite)" page_build; then
  page_built=1
else
  echo "the page did not build"
  failed=$((failed + 1))
  status=1
fi

# The page's TypeScript: no promise left floating (oxlint's type-aware rules), no function over
# 60 lines, no file over 400 (.oxlintrc.json).
lint() {
  echo "== lint: no floating promises, no long functions or files (npm run lint)"
  npm run --silent lint 2>&1 | tee results/lint.log
  return "${PIPESTATUS[0]}"
}
if timed "lint (TypeScript)" lint; then
  passed=$((passed + 1))
else
  failed=$((failed + 1))
  status=1
fi

# No import cycle between the project's modules, Rust or TypeScript; no file in src/ or www/ over
# 400 lines; no Rust function over 60 (npm run check:structure).
if timed "structure (cycles, lengths)" node scripts/check-structure.mjs; then
  passed=$((passed + 1))
else
  failed=$((failed + 1))
  status=1
fi

# The page's engine on Dawn, Chrome's WebGPU, in Node (`npm run bench:dawn`'s short form): on
# SwiftShader's Vulkan, with the adapter's `timestamp-query` hidden (the engine must neither
# crash nor lose the CPU engine beside it), a few training steps agree with the CPU engine; what
# a step asks of WebGPU is printed.
dawn_check() {
  echo "== the engine on Dawn (scripts/dawn/bench.mjs --check --no-timestamps, SwiftShader)"
  VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json \
    node scripts/dawn/bench.mjs --check --no-timestamps --backend vulkan --out results/bench/dawn-check.json 2>&1 |
    tee results/dawn-check.log
  return "${PIPESTATUS[0]}"
}
if [ "$page_built" -eq 1 ]; then
  if timed "engine on Dawn (SwiftShader)" dawn_check; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    status=1
  fi
fi

# The core inside the browser: tests/web.rs in a dedicated Worker of headless Chromium, WebGPU
# (software here) against the CPU backend. Chrome flags are in webdriver.json.
# Release, with the page build's profile settings (scripts/build.sh): burn for wasm32 compiled
# there is reused, instead of compiled again in the dev profile.
# These are `wasm-pack test --headless --chrome --release -- --test web`'s steps less its
# first: before running the one test file asked for, wasm-pack builds every test target for
# wasm32 (`cargo build --tests`: the library's unit tests and each tests/*.rs, each linked with
# thin LTO), which took 7.5 of this part's 11.3 minutes (docs/testing.md). So
# cargo test runs tests/web.rs alone, with the runner and the settings wasm-pack gives it
# (wasm-bindgen-cli's test runner, which drives headless Chrome through chromedriver).
wasm_tests() {
  echo "== wasm tests in a browser worker (tests/web.rs through wasm-bindgen-test-runner, headless Chromium)"
  CARGO_PROFILE_RELEASE_LTO=thin CARGO_PROFILE_RELEASE_CODEGEN_UNITS=1 WASM_BINDGEN_TEST_TIMEOUT=600 \
    CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner WASM_BINDGEN_TEST_ONLY_WEB=1 \
    CHROMEDRIVER="$(command -v chromedriver)" \
    cargo test --release --target wasm32-unknown-unknown --features webgpu --test web 2>&1 | tee results/wasm-tests.log
  return "${PIPESTATUS[0]}"
}
wasm_status=0
timed "wasm tests (browser worker)" wasm_tests || wasm_status=1
p=$(sed -n 's/^test result: .* \([0-9]*\) passed; \([0-9]*\) failed.*/\1/p' results/wasm-tests.log | head -1)
f=$(sed -n 's/^test result: .* \([0-9]*\) passed; \([0-9]*\) failed.*/\2/p' results/wasm-tests.log | head -1)
passed=$((passed + ${p:-0}))
failed=$((failed + ${f:-0}))
if [ "$wasm_status" -ne 0 ]; then
  status=1
  if [ "${f:-0}" -eq 0 ]; then failed=$((failed + 1)); fi
fi

# End-to-end: the built page in Debian's Chromium (playwright-core), as a user uses it; and the
# page's TypeScript that copies the core (tests/ts/) against what the core computes.
e2e() {
  echo "== end-to-end tests in Chromium, TypeScript against the core (node --test tests/e2e/ tests/ts/)"
  node --test --test-concurrency=1 --test-reporter=spec --test-reporter-destination=stdout \
    --test-reporter=tap --test-reporter-destination=results/e2e.tap tests/e2e/ tests/ts/
}
if [ "$page_built" -eq 1 ]; then
  e2e_status=0
  timed "end-to-end tests (Chromium)" e2e || e2e_status=1
  p=$(sed -n 's/^# pass \([0-9]*\)/\1/p' results/e2e.tap 2>/dev/null)
  f=$(sed -n 's/^# fail \([0-9]*\)/\1/p' results/e2e.tap 2>/dev/null)
  passed=$((passed + ${p:-0}))
  failed=$((failed + ${f:-0}))
  # A run that failed without reporting a failed test (it crashed) counts as one failure.
  if [ "$e2e_status" -ne 0 ]; then
    status=1
    if [ "${f:-0}" -eq 0 ]; then failed=$((failed + 1)); fi
  fi
else
  echo "the page did not build, so the end-to-end tests cannot run"
fi

echo
echo "== time per part"
printf '  %s\n' "${timings[@]}"
echo "$passed passed, $failed failed"
exit $status
