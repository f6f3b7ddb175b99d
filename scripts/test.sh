#!/usr/bin/env bash
# `npm test`: every test of the project, then one summary line "N passed, M failed".
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-tools.sh || { echo "0 passed, 1 failed"; exit 1; }

mkdir -p results
passed=0
failed=0
status=0

# Native Rust tests: unit, integration (tests/*.rs) and doc tests, release build so they share
# the compiled burn with the CLI.
echo "== native Rust tests (cargo test --release)"
cargo test --release 2>&1 | tee results/native-tests.log
[ "${PIPESTATUS[0]}" -eq 0 ] || status=1
while read -r p f; do
  passed=$((passed + p)); failed=$((failed + f))
done < <(grep -E '^test result:' results/native-tests.log | sed -E 's/.* ([0-9]+) passed; ([0-9]+) failed.*/\1 \2/')
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then
  failed=1 # the build or a test binary failed before reporting
fi

echo
echo "native: $passed passed, $failed failed"
echo "$passed passed, $failed failed"
exit $status
