// The benchmark page (bench.html), driven by scripts/bench.mjs: it starts the page's own worker
// on one backend and times what the page asks of it, round trips included: encoding a drawing,
// decoding a K x 8 grid, training throughput per batch size, and a training step's profile.
// The result lands in `window.benchResult` (or `window.benchError`).
import * as Comlink from 'comlink';
import type { BackendChoice } from './worker/backend';
import { IMAGE_PIXELS } from './shared/images';
import type { StepProfile, Throughput, WorkerApi } from './worker/worker';

interface Latency {
  samples: number;
  p50: number;
  p95: number;
}

export interface BrowserBench {
  backend: string;
  reason: string;
  workerStartMs: number;
  encodeMs: Latency;
  /** The latent map of the 10,000 test digits, once its codes are cached: mostly the crossing. */
  mapMs: Latency;
  /** With `?training=0`: the same two calls with their results as JSON (the JSON crossing typed arrays replaced), timed
   *  alternately with the typed-array calls above. */
  encodeJsonMs?: Latency;
  mapJsonMs?: Latency;
  generateGridMs: Latency;
  /** Empty, and no profile, with `?training=0` (npm run bench:boundary). */
  training: Throughput[];
  profile: StepProfile | null;
}

const status = document.getElementById('bench-status')!;
const say = (line: string) => (status.textContent += `\n${line}`);

function latency(ms: number[]): Latency {
  const sorted = [...ms].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.round((sorted.length - 1) * q)];
  return { samples: sorted.length, p50: at(0.5), p95: at(0.95) };
}

/** Times `count` calls after `warmup` untimed ones. */
async function timeCalls(count: number, warmup: number, call: (i: number) => Promise<unknown>): Promise<Latency> {
  const ms: number[] = [];
  for (let i = 0; i < warmup + count; i++) {
    const start = performance.now();
    await call(i);
    if (i >= warmup) ms.push(performance.now() - start);
  }
  return latency(ms);
}

/** Two calls timed alternately, `count` times each after `warmup` untimed pairs (the machine's
 *  drift falls on both alike). */
async function timePair(count: number, warmup: number, a: () => Promise<unknown>, b: () => Promise<unknown>): Promise<[Latency, Latency]> {
  const [msA, msB]: number[][] = [[], []];
  for (let i = 0; i < warmup + count; i++) {
    for (const [call, ms] of [[a, msA], [b, msB]] as const) {
      const start = performance.now();
      await call();
      if (i >= warmup) ms.push(performance.now() - start);
    }
  }
  return [latency(msA), latency(msB)];
}

/** Test digit `index` drawn 10x larger (280 x 280), as a drawing arrives from the pad. */
function drawingOf(images: Uint8Array, index: number): Uint8Array {
  const side = 280;
  const ink = new Uint8Array(side * side);
  for (let i = 0; i < ink.length; i++) {
    const row = Math.floor(i / side / 10);
    const col = Math.floor((i % side) / 10);
    ink[i] = images[index * IMAGE_PIXELS + row * 28 + col];
  }
  return ink;
}

async function run(): Promise<BrowserBench> {
  const params = new URLSearchParams(location.search);
  const number = (name: string, fallback: number) => Number(params.get(name) ?? fallback);
  const choice = (params.get('backend') ?? 'cpu') as BackendChoice;
  const batches = (params.get('batches') ?? '64,128,256').split(',').map(Number);
  const [runs, seconds, warmup] = [number('runs', 5), number('seconds', 1), number('warmup', 3)];

  const worker = Comlink.wrap<WorkerApi>(new Worker(new URL('./worker/worker.ts', import.meta.url), { type: 'module' }));
  const t0 = performance.now();
  const { decision } = await worker.start(choice, new URL('data/', document.baseURI).href);
  const workerStartMs = performance.now() - t0;
  say(`${decision.backend}: ${decision.reason} (started in ${workerStartMs.toFixed(0)} ms)`);

  const { images } = await worker.loadTestSet(Comlink.proxy(() => undefined));
  const drawing = drawingOf(images, 0);
  const encodeMs = await timeCalls(number('encodes', 100), 10, () => worker.classify(drawing, 280, 280));
  say(`encode a drawing: p50 ${encodeMs.p50.toFixed(2)} ms, p95 ${encodeMs.p95.toFixed(2)} ms`);
  const mapMs = await timeCalls(number('maps', 10), 1, () => worker.latentMap());
  say(`the latent map: p50 ${mapMs.p50.toFixed(1)} ms`);
  const generateGridMs = await timeCalls(number('grids', 20), 2, (i) => worker.generate(8, i, false));
  say(`decode a K x 8 grid: p50 ${generateGridMs.p50.toFixed(1)} ms`);
  if (params.get('training') === '0') {
    const [encodeTyped, encodeJsonMs] = await timePair(number('encodes', 100), 10, () => worker.classify(drawing, 280, 280), () => worker.classifyAsJson(drawing, 280, 280));
    const [mapTyped, mapJsonMs] = await timePair(number('maps', 10), 1, () => worker.latentMap(), () => worker.latentMapAsJson());
    const common = { backend: decision.backend, reason: decision.reason, workerStartMs, generateGridMs, training: [], profile: null };
    return { ...common, encodeMs: encodeTyped, mapMs: mapTyped, encodeJsonMs, mapJsonMs };
  }

  await worker.loadTrainSet(Comlink.proxy(() => undefined));
  const training: Throughput[] = [];
  for (const batch of batches) {
    const figures = await worker.benchTraining(batch, warmup, runs, seconds);
    training.push(figures);
    say(`train at batch ${batch}: ${figures.median_images_per_second.toFixed(0)} images/s`);
  }
  const profile = await worker.profileTrainingStep(128, warmup, number('profileSteps', 20));
  say('profile done');
  return { backend: decision.backend, reason: decision.reason, workerStartMs, encodeMs, mapMs, generateGridMs, training, profile };
}

type BenchWindow = Window & { benchResult?: BrowserBench; benchError?: string };
run().then(
  (result) => {
    (window as BenchWindow).benchResult = result;
    say('done');
  },
  (error: unknown) => {
    (window as BenchWindow).benchError = error instanceof Error ? error.message : String(error);
    say(`failed: ${(window as BenchWindow).benchError}`);
  },
);
