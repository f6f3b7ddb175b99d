#!/usr/bin/env bash
# The native GPU study as one run on a lent GPU machine (no Rust, no network there): everything
# it needs is carried in .devrun/ (the stripped mixvae binaries, xz-compressed, and MNIST gzipped)
# and .gl/ (Debian's Vulkan loader). Writes its JSON and logs to $OUT (or results/gpu).
# Made for the session's device tool; `npm run bench:gpu` is the command for a person with a GPU.
set -uo pipefail
FINAL=${OUT:-results/gpu}
OUT=/tmp/gpu-study # everything lands here, then goes to $FINAL as one archive
mkdir -p "$OUT" "$FINAL"
pack() { tar -czf "$FINAL/gpu-study.tar.gz" -C /tmp gpu-study; } # after every step: a cut-off run keeps what it did
trap pack EXIT
for f in .gl/*.deb; do dpkg -x "$f" /; done
ldconfig
export VK_DRIVER_FILES=${VK_DRIVER_FILES:-/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json}
data=/tmp/mnist
mkdir -p "$data" /tmp/bin
for f in .devrun/data/*.gz; do gunzip -c "$f" > "$data/$(basename "$f" .gz)"; done
for f in .devrun/*.xz; do xz -dc "$f" > "/tmp/bin/$(basename "$f" .xz)"; chmod +x "/tmp/bin/$(basename "$f" .xz)"; done
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm --format=csv | tee "$OUT/gpu.txt"
lscpu | grep -E 'Model name|^CPU\(s\)' | tee -a "$OUT/gpu.txt"
fused=/tmp/bin/mixvae-fused
unfused=/tmp/bin/mixvae-unfused
step() { pack 2>/dev/null; echo "== $(date +%T) $*" >&2; }

if [ -z "${SKIP_TORCH:-}" ]; then
  step "PyTorch eager reference"
  PYTHONUNBUFFERED=1 timeout 90 python3 scripts/gpu/torch_reference.py "$data" --runs 3 --seconds 0.5 \
    > "$OUT/torch.json" 2> "$OUT/torch.log"; tail -20 "$OUT/torch.log" >&2
fi

step "burn wgpu, fused, read-back window 8, with the page recipe to 0.90"
timeout 180 $fused bench --backend wgpu --data-dir "$data" --batches 128,256,1024,4096 --runs 3 --seconds 0.5 \
  > "$OUT/fused.json" 2> "$OUT/fused.log"; tail -8 "$OUT/fused.log" >&2

step "burn wgpu, fused, read-back after every step"
timeout 45 $fused bench --backend wgpu --data-dir "$data" --batches 128,1024 --runs 3 --seconds 0.5 \
  --readback-window 1 --skip-accuracy --profile-steps 5 > "$OUT/fused-window1.json" 2> "$OUT/fused-window1.log"; tail -3 "$OUT/fused-window1.log" >&2

step "burn wgpu, fused, tasks_max 8 and 128 (default 32)"
for tasks in 8 128; do
  CUBECL_WGPU_MAX_TASKS=$tasks timeout 30 $fused bench --backend wgpu --data-dir "$data" --batches 128 --runs 3 \
    --seconds 0.5 --skip-accuracy --profile-steps 5 > "$OUT/fused-tasks$tasks.json" 2> "$OUT/fused-tasks$tasks.log"
  tail -2 "$OUT/fused-tasks$tasks.log" >&2
done

step "burn wgpu, unfused"
timeout 60 $unfused bench --backend wgpu --data-dir "$data" --batches 128,256,1024,4096 --runs 3 --seconds 0.5 \
  --skip-accuracy > "$OUT/unfused.json" 2> "$OUT/unfused.log"; tail -5 "$OUT/unfused.log" >&2

# The page recipe (10 + 3 + 3 epochs, 5,000 digits grouped) at larger batches, step size scaled.
for run in "512 0.002 42" "512 0.002 1" "1024 0.003 42" "1024 0.003 1"; do
  set -- $run
  step "page recipe, batch $1, learning rate $2, seed $3"
  timeout 60 $fused train --backend wgpu --data-dir "$data" --pretrain-epochs 10 --anchor-epochs 3 --epochs 3 \
    --init-sample 5000 --batch-size "$1" --learning-rate "$2" --seed "$3" --eval-every 0 --json --out /tmp/run \
    > "$OUT/recipe-b$1-s$3.json" 2> "$OUT/recipe-b$1-s$3.log"; cat "$OUT/recipe-b$1-s$3.json" >&2
done
step done
