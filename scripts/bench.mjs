// `npm run bench` (after scripts/bench.sh has built everything): the native CPU figures from
// `mixvae bench`, the browser's from bench.html (the page's own worker) on each backend in
// headless Chromium, and the page's first answer after navigation, cold and warm. Prints a table
// and writes results/bench/bench.json.
//
// BENCH_QUICK=1 shortens every measurement (for checking the script, not for figures).
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { draw, launch, serveDist, SEVEN } from '../tests/e2e/browser.mjs';

const OUT_DIR = 'results/bench';
const OUT = join(OUT_DIR, 'bench.json');
const QUICK = process.env.BENCH_QUICK === '1';
const TARGET_ACCURACY = 0.9;
const TRAIN_IMAGES = 60000;

export const median = (values) => {
  const s = [...values].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

// ---- native CPU -------------------------------------------------------------------------------
function nativeBench() {
  console.error('== native CPU (target/release/mixvae bench)');
  const args = ['bench', '--out', join(OUT_DIR, 'native.json')];
  if (QUICK) args.push('--runs', '1', '--seconds', '0.2', '--skip-accuracy');
  const run = spawnSync('target/release/mixvae', args, { stdio: ['ignore', 'ignore', 'inherit'] });
  if (run.status !== 0) throw new Error(`mixvae bench failed (exit ${run.status})`);
  return JSON.parse(readFileSync(join(OUT_DIR, 'native.json'), 'utf8'));
}

// ---- the browser ------------------------------------------------------------------------------
export async function workerBench(browser, url, backend) {
  const software = backend === 'webgpu';
  // Software WebGPU takes seconds per step here: fewer, shorter runs.
  const params = new URLSearchParams(
    QUICK
      ? { backend, runs: '1', seconds: '0.2', warmup: '1', profileSteps: '1', encodes: '10', grids: '2' }
      : software
        ? { backend, runs: '2', seconds: '0.1', warmup: '1', profileSteps: '2', encodes: '20', grids: '4' }
        : { backend, runs: '5', seconds: '1', warmup: '3', profileSteps: '20' },
  );
  const page = await browser.newPage();
  page.on('console', (m) => console.error(`   [${backend}] ${m.text()}`));
  await page.goto(`${url}bench.html?${params}`);
  await page.waitForFunction(() => window.benchResult || window.benchError, null, { timeout: 20 * 60_000, polling: 1000 });
  const { benchResult, benchError } = await page.evaluate(() => ({ benchResult: window.benchResult, benchError: window.benchError }));
  await page.close();
  if (benchError) throw new Error(`bench.html on ${backend}: ${benchError}`);
  return benchResult;
}

/** Draws `strokes` (the pad's 280 x 280 coordinates) from inside the page, as pointer events, the
 *  moment boot.ts marks 'pad-ready': what the page does with a drawing made at once, without the
 *  latency of Playwright's mouse (each of its steps waits on the renderer, which shares the two
 *  cores with the wasm's compile: its first touch reached the pad 0.6-0.9 s after 'pad-ready'). */
export function drawAtPadReady(strokes) {
  const drawNow = () => {
    const canvas = document.querySelector('[data-testid=draw-canvas]');
    const box = canvas.getBoundingClientRect();
    const event = (type, [x, y]) =>
      new PointerEvent(type, {
        bubbles: true,
        pointerId: 1,
        pointerType: 'mouse',
        isPrimary: true,
        buttons: type === 'pointerup' ? 0 : 1,
        clientX: box.left + (x * box.width) / 280,
        clientY: box.top + (y * box.height) / 280,
      });
    for (const stroke of strokes) {
      canvas.dispatchEvent(event('pointerdown', stroke[0]));
      for (let i = 1; i < stroke.length; i++) {
        for (let step = 1; step <= 8; step++) {
          const [a, b] = [stroke[i - 1], stroke[i]];
          canvas.dispatchEvent(event('pointermove', [a[0] + ((b[0] - a[0]) * step) / 8, a[1] + ((b[1] - a[1]) * step) / 8]));
        }
      }
      canvas.dispatchEvent(event('pointerup', stroke.at(-1)));
    }
  };
  new PerformanceObserver((marks, observer) => {
    if (marks.getEntriesByName('pad-ready').length === 0) return;
    observer.disconnect();
    drawNow();
  }).observe({ type: 'mark', buffered: true });
}

/** Navigation to the first cluster of a drawing, `visits` times: cold (a new browser context,
 *  empty cache) or warm (reloads in one context). A 7 is drawn as soon as the pad takes ink
 *  (boot.ts marks 'pad-ready'), as a person who starts at once would: with Playwright's mouse
 *  (`drawWith` 'mouse'), or as pointer events dispatched in the page ('events', see
 *  drawAtPadReady). Also records what the first cold visit fetched. */
export async function firstCluster(browser, url, warm, visits, drawAfter = 'pad-ready', drawWith = 'mouse') {
  const times = [];
  const ready = [];
  const steps = {}; // every performance mark of the page, by name: its times since navigation
  let transfers = null;
  const longest = []; // the page's longest main-thread task before the model was ready, per visit
  const newContext = async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    await context.addInitScript(() => {
      window.mixvaeLongTasks = [];
      new PerformanceObserver((tasks) => window.mixvaeLongTasks.push(...tasks.getEntries())).observe({ type: 'longtask', buffered: true });
    });
    if (drawWith === 'events') await context.addInitScript(drawAtPadReady, SEVEN);
    return context;
  };
  let context = await newContext();
  for (let visit = 0; visit <= visits; visit++) {
    if (!warm && visit > 0) {
      await context.close();
      context = await newContext();
    }
    const page = await context.newPage();
    const responses = [];
    page.on('response', (r) => responses.push(r));
    await page.goto(url);
    await page.waitForFunction((mark) => performance.getEntriesByName(mark).length > 0, drawAfter, { timeout: 120_000, polling: 10 });
    if (drawWith === 'mouse') await draw(page, SEVEN);
    await page.waitForFunction(() => performance.getEntriesByName('first-cluster').length > 0, null, { timeout: 120_000, polling: 10 });
    await page.waitForFunction(() => performance.getEntriesByName('model-ready').length > 0, null, { timeout: 120_000, polling: 10 });
    const marks = await page.evaluate(() =>
      Object.fromEntries(performance.getEntriesByType('mark').map((m) => [m.name, m.startTime])),
    );
    const blocked = await page.evaluate(
      (readyAt) => Math.max(0, ...window.mixvaeLongTasks.filter((t) => t.startTime < readyAt).map((t) => t.duration)),
      marks['model-ready'],
    );
    // Warm visits are measured after one reload has filled the cache; visit 0 of cold is measured.
    if (warm ? visit > 0 : visit < visits) {
      times.push(marks['first-cluster']);
      ready.push(marks['model-ready']);
      longest.push(blocked);
      for (const [name, at] of Object.entries(marks)) (steps[name] ??= []).push(at);
    }
    if (!warm && visit === 0) transfers = await measureTransfers(responses);
    await page.close();
  }
  await context.close();
  const stepMedians = Object.fromEntries(
    Object.entries(steps)
      .map(([name, at]) => [name, median(at)])
      .sort((a, b) => a[1] - b[1]),
  );
  return {
    visits: times.length,
    medianMs: median(times),
    readyMedianMs: median(ready),
    longestTaskMedianMs: median(longest),
    ms: times,
    steps: stepMedians,
    transfers,
  };
}

/** What a visit fetched, by the sizes of the files in dist/ (the browser hands the wasm, which it
 *  compiles while streaming, to no one else), raw and gzipped as a static host would send them. */
async function measureTransfers(responses) {
  const files = [];
  for (const r of responses) {
    const path = join('dist', decodeURIComponent(new URL(r.url()).pathname).replace(/\/$/, '/index.html'));
    let bytes;
    try {
      bytes = readFileSync(path);
    } catch {
      continue;
    }
    files.push({ file: path, raw: bytes.length, gzip: gzipSync(bytes).length });
  }
  const sum = (key) => files.reduce((total, f) => total + f[key], 0);
  return { files, raw: sum('raw'), gzip: sum('gzip') };
}

function wasmSize() {
  const dir = 'dist/assets';
  const name = readdirSync(dir).find((f) => f.endsWith('.wasm'));
  const bytes = readFileSync(join(dir, name));
  return { file: name, raw: statSync(join(dir, name)).size, gzip: gzipSync(bytes).length };
}

// ---- the limit --------------------------------------------------------------------------------
/** Peak f32 FLOP/s of one core at the nominal clock (boost not counted): 2 FMA pipes x lanes x
 *  2 FLOPs. Native: the gemm crate's AVX2 kernels (8 lanes; its AVX-512 kernels are behind a
 *  feature burn does not enable). wasm: SIMD128 (4 lanes), multiply and add issued separately but
 *  on separate pipes, so the same 2 per cycle. */
function cpuPeak() {
  const info = readFileSync('/proc/cpuinfo', 'utf8');
  const flags = ` ${info.match(/^flags\s*:(.*)$/m)?.[1] ?? ''} `;
  const mhz = Number(info.match(/^cpu MHz\s*:\s*([\d.]+)/m)?.[1] ?? 0);
  const nativeLanes = flags.includes(' avx2 ') && flags.includes(' fma ') ? 8 : 4;
  return {
    mhz,
    nativeLanes,
    nativeGflopsPerCore: (2 * nativeLanes * 2 * mhz) / 1e3,
    wasmGflopsPerCore: (2 * 4 * 2 * mhz) / 1e3,
    cores: Number(execFileSync('nproc').toString().trim()),
  };
}

// ---- report -----------------------------------------------------------------------------------
const fmt = (v, digits = 0) => (v == null || Number.isNaN(v) ? '–' : v.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits }));
const mb = (bytes) => `${(bytes / 1e6).toFixed(1)} MB`;

function rowFor(name, training, encode, grid, epochsToTarget, peakGflops, note = '') {
  const at = (b) => training.find((t) => t.batch_size === b);
  const b128 = at(128);
  const epochSeconds = b128 ? TRAIN_IMAGES / b128.median_images_per_second : null;
  return {
    backend: name,
    imagesPerSecond: Object.fromEntries(training.map((t) => [t.batch_size, t.median_images_per_second])),
    gflops128: b128?.gflops ?? null,
    peakGflops,
    encodeP50: encode?.p50 ?? null,
    encodeP95: encode?.p95 ?? null,
    gridP50: grid?.p50 ?? null,
    epochSeconds,
    timeToTargetSeconds: epochsToTarget != null && epochSeconds != null ? epochsToTarget * epochSeconds : null,
    note,
  };
}

function printTable(rows) {
  const head = ['backend', 'img/s b64', 'b128', 'b256', 'GFLOP/s b128', '% of peak', 'encode p50 / p95 ms', 'K×8 grid ms', 's/epoch', `to ${TARGET_ACCURACY}`];
  const lines = rows.map((r) => [
    r.backend,
    fmt(r.imagesPerSecond[64]),
    fmt(r.imagesPerSecond[128]),
    fmt(r.imagesPerSecond[256]),
    fmt(r.gflops128, 1),
    r.peakGflops ? `${fmt((100 * r.gflops128) / r.peakGflops)}%` : '–',
    `${fmt(r.encodeP50, 2)} / ${fmt(r.encodeP95, 2)}`,
    fmt(r.gridP50, 1),
    fmt(r.epochSeconds, 1),
    r.timeToTargetSeconds == null ? '–' : `${fmt(r.timeToTargetSeconds / 60, 1)} min${r.note}`,
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const line = (cells) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(' | ');
  console.log(line(head));
  console.log(widths.map((w) => '-'.repeat(w)).join('-|-'));
  for (const l of lines) console.log(line(l));
}

function printProfile(name, p) {
  if (!p || !p.steps) return;
  const phases = ['data', 'forward', 'backward', 'readback', 'optimizer'];
  const total = phases.reduce((t, k) => t + p[`${k}_ms`], 0);
  const parts = phases.map((k) => `${k} ${fmt(p[`${k}_ms`] / p.steps, 2)} ms (${fmt((100 * p[`${k}_ms`]) / total)}%)`);
  console.log(`  ${name.padEnd(28)} ${fmt(total / p.steps, 2)} ms/step: ${parts.join(', ')}`);
}

async function main() {
  mkdirSync(OUT_DIR, { recursive: true });
  const native = nativeBench();
  const peak = cpuPeak();
  const server = await serveDist();
  const browser = await launch({ webgpu: true });
  const browserRuns = {};
  let cold;
  let warm;
  try {
    for (const backend of ['cpu', 'webgpu']) {
      console.error(`== browser, ${backend} (bench.html)`);
      try {
        browserRuns[backend] = await workerBench(browser, server.url, backend);
      } catch (error) {
        console.error(`   ${backend} skipped: ${error.message}`);
        browserRuns[backend] = { error: error.message };
      }
    }
    console.error('== first cluster after navigation (automatic backend)');
    const visits = QUICK ? 1 : 5;
    // Drawn in the page at pad-ready (`npm run bench:first` also measures Playwright's mouse).
    cold = await firstCluster(browser, server.url, false, visits, 'pad-ready', 'events');
    warm = await firstCluster(browser, server.url, true, visits, 'pad-ready', 'events');
  } finally {
    await browser.close();
    server.stop();
  }

  const reached = native.time_to_090?.reached;
  const epochsToTarget = reached?.epochs ?? null;
  const one = native.per_thread_count.find((t) => t.threads === 1);
  const all = native.per_thread_count.at(-1);
  const rows = [
    rowFor('native CPU, 1 thread', one.training, one.encode_ms, one.generate_grid_ms, epochsToTarget, peak.nativeGflopsPerCore),
    rowFor(`native CPU, ${all.threads} threads`, all.training, all.encode_ms, all.generate_grid_ms, epochsToTarget, peak.nativeGflopsPerCore * all.threads),
  ];
  // The run to the target was made natively with all threads: that row shows the measured time.
  if (reached) Object.assign(rows[1], { timeToTargetSeconds: reached.train_seconds, note: ' (measured)' });
  for (const [backend, run] of Object.entries(browserRuns)) {
    if (run.error) continue;
    const software = /software|fallback/i.test(run.reason);
    const name = backend === 'cpu' ? 'wasm CPU (browser)' : software ? 'WebGPU (software)' : 'WebGPU';
    rows.push(rowFor(name, run.training, run.encodeMs, run.generateGridMs, epochsToTarget, backend === 'cpu' ? peak.wasmGflopsPerCore : null));
  }
  const wasm = wasmSize();
  const wasmCpu = rows.find((r) => r.backend.startsWith('wasm'));
  const result = {
    date: new Date().toISOString(),
    quick: QUICK,
    cpu: native.cpu,
    peak,
    trainingMflopPerImage: native.training_mflop_per_image,
    rows,
    native,
    browser: browserRuns,
    firstCluster: { cold, warm },
    wasm,
    targets: {
      encodeP95UnderMs: 10,
      firstClusterUnderMs: 800,
      wasmCpuWithin2xOfNativeOneThread: wasmCpu ? rows[0].imagesPerSecond[128] / wasmCpu.imagesPerSecond[128] : null,
    },
  };
  writeFileSync(OUT, JSON.stringify(result, null, 2));

  console.log(`\nmixvae benchmarks: ${native.cpu}, ${peak.cores} cores at ${fmt(peak.mhz)} MHz${QUICK ? ' (QUICK: not for figures)' : ''}`);
  console.log(`Training: shipped architecture, the mixture ELBO, ${fmt(native.training_mflop_per_image, 2)} MFLOP per image; median of timed runs.\n`);
  printTable(rows);
  const tta = native.time_to_090;
  if (tta) {
    console.log(
      reached
        ? `\nTo ${TARGET_ACCURACY} accuracy from scratch (page defaults): ${reached.epochs} epochs, ${fmt(reached.train_seconds, 0)} s natively (${all.threads} threads, measured); other rows: epochs x s/epoch (extrapolated).`
        : `\nThe page defaults did not reach ${TARGET_ACCURACY} (best ${fmt(Math.max(...tta.points.map((p) => p.accuracy)), 3)} after ${tta.points.at(-1)?.epochs} epochs).`,
    );
  }
  console.log('\nWhere a training step goes (batch 128):');
  printProfile(`native CPU, 1 thread`, one.profile);
  printProfile(`native CPU, ${all.threads} threads`, all.profile);
  for (const [backend, run] of Object.entries(browserRuns)) if (!run.error) printProfile(`${backend} (browser)`, run.profile);
  console.log(`\nFirst cluster after navigation (a 7 drawn in the page at pad-ready; localhost, automatic backend): cold ${fmt(cold.medianMs)} ms, warm ${fmt(warm.medianMs)} ms (medians of ${cold.visits}; model ready at ${fmt(cold.readyMedianMs)} / ${fmt(warm.readyMedianMs)} ms)`);
  console.log(`wasm: ${mb(wasm.raw)} raw, ${mb(wasm.gzip)} gzip; first visit transfers ${mb(cold.transfers.raw)} raw, ${mb(cold.transfers.gzip)} gzip (${cold.transfers.files.length} files)`);
  if (wasmCpu) console.log(`native 1 thread / wasm CPU at batch 128: ${fmt(result.targets.wasmCpuWithin2xOfNativeOneThread, 2)}x`);
  console.log(`\nJSON: ${OUT}`);
}

// Run as a script (`npm run bench`); scripts/bench-gpu.mjs imports workerBench, and
// scripts/bench-first-answer.mjs firstCluster.
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  main().catch((error) => {
    console.error(error);
    process.exit(1);
  });
}
