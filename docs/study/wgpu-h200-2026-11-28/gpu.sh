#!/bin/bash
# Issue 12 on a lent GPU (run from the repository root, with the stripped CLI as .dev/mixvae.xz,
# the gzipped MNIST files in .dev/data and the Vulkan loader packages in .gl, all carried):
# the page (Quick) recipe from seeds 1-5 on wgpu one seed at a time, and beside it the shipped
# recipe from seed 1 (as far as time allows).
set -u
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
xz -dc .dev/mixvae.xz > /tmp/mixvae && chmod +x /tmp/mixvae
mkdir -p /tmp/data && for f in .dev/data/*.gz; do gunzip -c $f > /tmp/data/$(basename $f .gz); done
nvidia-smi -L; nvidia-smi --query-gpu=driver_version --format=csv,noheader; nproc; lscpu | grep 'Model name'
start=$(date +%s)
(timeout $((${SHIPPED_LIMIT:-540})) /tmp/mixvae study --recipe shipped --backend wgpu --seeds 1 --json --data-dir /tmp/data \
  > $OUT/shipped-1.json 2> $OUT/shipped-1.err; echo "shipped seed 1 exit $? at $(( $(date +%s) - start )) s") &
for s in 1 2 3 4 5; do
  timeout 150 /tmp/mixvae study --recipe page --backend wgpu --seeds $s --json --data-dir /tmp/data > $OUT/page-$s.json 2> $OUT/page-$s.err
  echo "page seed $s exit $? at $(( $(date +%s) - start )) s: $(grep 'seed' $OUT/page-$s.err | tail -1)"
done
wait
tail -2 $OUT/shipped-1.err
