// The worker that hosts the wasm core. The page never runs model code: it calls this API
// through Comlink (typed: the page imports `WorkerApi`). Engine calls never overlap (one queue),
// and training advances in short chunks so that a drawing, a pause or a resample is answered
// between them.
import * as Comlink from 'comlink';
import init, { Engine, type ChunkReport, type ModelInfo, type TrainSettings } from '../pkg/mixvae.js';
import wasmUrl from '../pkg/mixvae_bg.wasm?url';
import weightsUrl from './model/mixvae.safetensors?url';
import shippedSummary from './model/mixvae.json?raw';
import { chooseBackend, type BackendChoice, type BackendDecision } from './backend';
import { fetchDataset, type DownloadProgress } from './data';

export type { ChunkReport, ModelInfo, TrainSettings, Classification, Encoding, MapView, Throughput, StepProfile } from '../pkg/mixvae.js';

/// How long one training chunk may hold the worker.
const CHUNK_MS = 120;

let engine: Engine | null = null;
let queue: Promise<unknown> = Promise.resolve();
let pauseRequested = false;
let dataBase = '';

/// Calls slower than this are logged to the console, with their duration.
const SLOW_CALL_MS = 300;

/** Runs `call` once every earlier engine call has finished. */
function serial<T>(call: (engine: Engine) => Promise<T> | T, name = call.toString()): Promise<T> {
  const run = queue.then(async () => {
    if (!engine) throw new Error('the model is not loaded yet');
    const start = performance.now();
    const result = await call(engine);
    const ms = performance.now() - start;
    if (ms > SLOW_CALL_MS) console.info(`[worker] ${name.replace(/^\(?e\)? => e\./, '')} took ${ms.toFixed(0)} ms`);
    return result;
  });
  queue = run.catch(() => undefined);
  return run;
}

async function shippedWeights(): Promise<Uint8Array> {
  const response = await fetch(weightsUrl);
  if (!response.ok) throw new Error(`the shipped model could not be fetched (HTTP ${response.status})`);
  return new Uint8Array(await response.arrayBuffer());
}

const api = {
  /** Starts the backend and loads the shipped model. `base` is the page's data folder URL. */
  async start(choice: BackendChoice, base: string): Promise<{ decision: BackendDecision; model: ModelInfo }> {
    dataBase = base;
    await init({ module_or_path: wasmUrl });
    const weights = await shippedWeights();
    let decision = await chooseBackend(choice);
    try {
      engine = await Engine.create(decision.backend, weights, shippedSummary);
    } catch (error) {
      if (decision.backend !== 'webgpu') throw error;
      decision = { backend: 'cpu', reason: `WebGPU failed to start (${(error as Error).message}); using the CPU` };
      engine = await Engine.create('cpu', weights, shippedSummary);
    }
    return { decision, model: engine.info() };
  },

  info: () => serial((e) => e.info()),
  classify: (ink: Uint8Array, width: number, height: number) => serial((e) => e.classify(ink, width, height)),
  encode: (images: Float32Array) => serial((e) => e.encode(images)),
  cluster: (images: Float32Array) => serial((e) => e.cluster(images)),
  decode: (codes: Float32Array) => serial((e) => e.decode(codes)),
  generate: (perComponent: number, seed: number, sameStyle: boolean) =>
    serial((e) => e.generate(perComponent, seed, sameStyle)),
  prototypes: () => serial((e) => e.prototypes()),
  walkMap: (rows: number, cols: number) => serial((e) => e.walkMap(rows, cols)),
  exportWeights: () => serial((e) => e.exportWeights()),
  loadWeights: (bytes: Uint8Array, name: string) => serial((e) => e.loadWeights(bytes, name)),
  async loadShipped(): Promise<ModelInfo> {
    const weights = await shippedWeights();
    return serial((e) => e.loadWeights(weights, 'shipped'));
  },

  /** Fetches the 10,000 test digits (once) and scores the model on them. Returns their pixels. */
  async loadTestSet(onProgress: (p: DownloadProgress) => void): Promise<{ model: ModelInfo; images: Uint8Array }> {
    const [images, labels] = await Promise.all([
      fetchDataset(`${dataBase}t10k-images-idx3-ubyte.gz`, onProgress),
      fetchDataset(`${dataBase}t10k-labels-idx1-ubyte.gz`),
    ]);
    const model = await serial((e) => e.setTestSet(images, labels));
    const pixels = images.slice(16);
    return Comlink.transfer({ model, images: pixels }, [pixels.buffer]);
  },

  latentMap: () => serial((e) => e.latentMap()),

  /** Fetches the 60,000 training digits, unless they are loaded already. */
  async loadTrainSet(onProgress: (p: DownloadProgress) => void): Promise<number> {
    if (await serial((e) => e.hasTrainSet())) return 60000;
    const images = await fetchDataset(`${dataBase}train-images-idx3-ubyte.gz`, onProgress);
    return serial((e) => e.setTrainSet(images, undefined));
  },

  trainBegin: (settings: TrainSettings) => serial((e) => e.trainBegin(settings)),

  // Benchmarks (bench.html): a fresh model is trained, the model in use stays.
  benchTraining: (batchSize: number, warmup: number, runs: number, secondsPerRun: number) =>
    serial((e) => e.benchTraining(batchSize, warmup, runs, secondsPerRun)),
  profileTrainingStep: (batchSize: number, warmup: number, steps: number) =>
    serial((e) => e.profileTrainingStep(batchSize, warmup, steps)),

  /** Trains until paused, stopped, finished or failed; every chunk goes to `onChunk`. */
  async trainRun(onChunk: (report: ChunkReport) => void): Promise<'finished' | 'paused'> {
    pauseRequested = false;
    while (!pauseRequested) {
      const report = await serial((e) => e.trainChunk(CHUNK_MS));
      onChunk(report);
      if (report.finished) return 'finished';
      // Let queued calls (a drawing, a pause) in before the next chunk.
      await new Promise((resolve) => setTimeout(resolve, 0));
    }
    return 'paused';
  },

  pause(): void {
    pauseRequested = true;
  },

  async trainStop(): Promise<void> {
    pauseRequested = true;
    await serial((e) => e.trainStop());
  },
};

export type WorkerApi = typeof api;

Comlink.expose(api);
