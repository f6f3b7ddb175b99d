// The worker that hosts the wasm core. The page never runs model code: it calls this API
// through Comlink (typed: the page imports `WorkerApi`). Engine calls never overlap (one queue),
// and training advances in short chunks so that a drawing, a pause or a resample is answered
// between them. The model the user has is saved in IndexedDB (persistence.ts) after every epoch,
// at each pause and on import, and restored when the worker starts; faults the page must act on
// (a lost GPU device, a crashed engine) are reported through the `onFault` callback.
import * as Comlink from 'comlink';
import type { Engine, ChunkReport, ModelInfo, TrainProgress, TrainSettings } from '../../pkg/mixvae.js';
import baselineUrl from '../model/baseline.safetensors?url';
import { SHIPPED_SUMMARY as shippedSummary, SHIPPED_WEIGHTS_URL } from '../shared/shippedModel';
import {
  MEASURE_BATCH,
  MEASURE_STEPS,
  chooseBackend,
  rememberSpeeds,
  rememberedSpeeds,
  speedChoice,
  withNote,
  type BackendChoice,
  type BackendDecision,
} from './backend';
import type { EarlyStart } from '../shared/earlyStart';
import { fetchDataset, type DownloadProgress } from './download';
import { compileBuild, loadEngine, type BuildName, type EngineClass } from './engineBuild';
import { watchGpuDevices } from './gpuWatch';
import { forgetSaved, loadSaved, saveModel, type SavedModel } from './persistence';
import { unpackBaseline, unpackClassification, unpackEncoding, unpackMap } from './unpack';

export type { ChunkReport, ModelInfo, TrainProgress, TrainSettings, Throughput, StepProfile } from '../../pkg/mixvae.js';
export type { BaselineView, Classification, Encoding, MapView } from './unpack';

/// How long one training chunk may hold the worker.
const CHUNK_MS = 120;
/// A run is also saved this often within an epoch (a save copies the weights out into IndexedDB).
const SAVE_EVERY_MS = 30_000;

let engine: Engine | null = null;
let queue: Promise<unknown> = Promise.resolve();
let pauseRequested = false;
let dataBase = '';
let reportFault: (fault: Fault) => void = () => undefined;
/** After a quick start: the WebGPU build compiling (or its URL, where it could not stream). */
let webgpuCompiling: Promise<WebAssembly.Module | string> | null = null;

/** Why a quick start answers on the CPU, for the badge's title until WebGPU takes over. */
const QUICK_START_REASON = "the CPU answers while WebGPU's engine loads; the page moves to WebGPU once it is in";

/** Something that ended this worker's usefulness: the page restarts it (on the CPU after a lost device). */
export interface Fault {
  kind: 'device-lost' | 'crashed';
  message: string;
}

/** What the worker brought back from IndexedDB when it started. */
export interface Restored {
  source: string;
  savedAt: number;
  training: TrainProgress | null;
}

/// Calls slower than this are logged to the console, with their duration.
const SLOW_CALL_MS = 300;

/** Runs `call` once every earlier engine call has finished. */
function serial<T>(call: (engine: Engine) => Promise<T> | T, name = call.toString()): Promise<T> {
  const run = queue.then(async () => {
    if (!engine) throw new Error('the model is not loaded yet');
    const start = performance.now();
    let result: T;
    try {
      result = await call(engine);
    } catch (error) {
      // A Rust panic surfaces as a RuntimeError ("unreachable"); the engine is unusable after it.
      if (error instanceof WebAssembly.RuntimeError) reportFault({ kind: 'crashed', message: `the model crashed (${error.message})` });
      throw error;
    }
    const ms = performance.now() - start;
    if (ms > SLOW_CALL_MS) console.info(`[worker] ${name.replace(/^\(?e\)? => e\./, '')} took ${ms.toFixed(0)} ms`);
    return result;
  });
  queue = run.catch(() => undefined);
  return run;
}

/** The buffers under `value`'s typed arrays (its own, and one level down). */
function buffersOf(value: object): Set<ArrayBuffer> {
  const buffers = new Set<ArrayBuffer>();
  for (const part of Object.values(value)) {
    if (ArrayBuffer.isView(part)) buffers.add(part.buffer as ArrayBuffer);
    else if (part && typeof part === 'object') for (const inner of buffersOf(part as object)) buffers.add(inner);
  }
  return buffers;
}

/** `result` with the buffers its typed arrays view moved to the page rather than copied. */
function transferArrays<T extends object>(result: T): T {
  return Comlink.transfer(result, [...buffersOf(result)]);
}

async function fetchWeights(url: string, what: string): Promise<Uint8Array> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${what} could not be fetched (HTTP ${response.status})`);
  return new Uint8Array(await response.arrayBuffer());
}

const shippedWeights = () => fetchWeights(SHIPPED_WEIGHTS_URL, 'the shipped model');

/** Saves the model in use, with the training run's position if one is under way. */
async function saveCurrent(source: string): Promise<void> {
  const [weights, training, anchors] = await serial(
    async (e) => [await e.exportWeights(), e.trainProgress() ?? null, e.trainAnchors() ?? null] as const,
  );
  await saveModel({ weights, source, savedAt: Date.now(), training, anchors });
}

/** Loads the saved model (read from IndexedDB while the engine started) into the engine. */
async function restoreSaved(saved: SavedModel | null): Promise<Restored | null> {
  if (!saved) return null;
  await serial((e) => e.loadWeights(saved.weights, saved.source));
  return { source: saved.source, savedAt: saved.savedAt, training: saved.training };
}

/** When each step of starting ended, in milliseconds since the epoch (the page's clock has
 *  another origin): the page turns them into performance marks for the benchmarks. */
export type StartTimings = Partial<Record<'called' | 'wasm' | 'weights' | 'adapter' | 'engine' | 'restored', number>>;

function stamp(timings: StartTimings, step: keyof StartTimings): void {
  timings[step] = performance.timeOrigin + performance.now();
}

/** On 'auto' with a WebGPU adapter: the backend that trains faster here, timed once per adapter
 *  (a few steps on each) and remembered. Returns the engine on it and why it was chosen. */
async function engineByMeasurement(
  Engine: EngineClass,
  adapter: string,
  weights: Uint8Array,
): Promise<{ engine: Engine; decision: BackendDecision }> {
  const engines: Partial<Record<'cpu' | 'webgpu', Engine>> = {};
  let speeds = await rememberedSpeeds(adapter);
  if (!speeds) {
    engines.cpu = await Engine.create('cpu', weights, shippedSummary);
    engines.webgpu = await Engine.create('webgpu', weights, shippedSummary);
    const cpu = await engines.cpu.measureTrainingSpeed(MEASURE_BATCH, MEASURE_STEPS);
    const webgpu = await engines.webgpu.measureTrainingSpeed(MEASURE_BATCH, MEASURE_STEPS);
    speeds = { adapter, batchSize: MEASURE_BATCH, cpu, webgpu, measuredAt: Date.now() };
    console.info(`[worker] training speed on ${adapter}: WebGPU ${webgpu.toFixed(0)}, CPU ${cpu.toFixed(0)} images/s`);
    await rememberSpeeds(speeds);
  }
  const decision = speedChoice(speeds);
  const chosen = engines[decision.backend] ?? (await Engine.create(decision.backend, weights, shippedSummary));
  for (const other of Object.values(engines)) if (other !== chosen) other.free();
  return { engine: chosen, decision };
}

/** The engine's build a start needs: the WebGPU build for WebGPU, and to time one backend against
 *  the other on `measuredAdapter`, unless the speeds remembered for it already chose the CPU. */
async function buildFor(backend: 'webgpu' | 'cpu', measuredAdapter: string | undefined): Promise<BuildName> {
  if (measuredAdapter === undefined) return backend;
  const speeds = await rememberedSpeeds(measuredAdapter);
  return speeds && speedChoice(speeds).backend === 'cpu' ? 'cpu' : 'webgpu';
}

/** Starts `engine` on `first`'s backend: on the CPU for a quick start, on the faster backend where
 *  `measure`, and on the CPU where WebGPU fails to start. Returns the backend it runs on. */
async function createEngine(
  Engine: EngineClass,
  weights: Uint8Array,
  first: BackendDecision,
  measure: boolean,
  quick: boolean,
): Promise<BackendDecision> {
  let decision = first;
  try {
    if (quick) {
      engine = await Engine.create('cpu', weights, shippedSummary);
      decision = { backend: 'cpu', reason: QUICK_START_REASON, badge: 'CPU · WebGPU loading…', adapter: decision.adapter, upgrade: true };
    }
    else if (measure && decision.adapter) {
      ({ engine, decision } = await engineByMeasurement(Engine, decision.adapter, weights));
      if (decision.backend === 'webgpu') decision = { ...decision, reason: withNote(decision.reason, first.note) };
    }
    else engine = await Engine.create(decision.backend, weights, shippedSummary);
  } catch (error) {
    if (decision.backend !== 'webgpu' && !measure) throw error;
    decision = { backend: 'cpu', reason: `WebGPU failed to start (${(error as Error).message}); using the CPU` };
    engine = await Engine.create('cpu', weights, shippedSummary);
  }
  return decision;
}

/** Loads the saved model into the engine, or says why it could not (the shipped model stays). */
async function restoreOrExplain(saved: Promise<SavedModel | null>): Promise<{ restored: Restored | null; restoreError: string | null }> {
  try {
    return { restored: await restoreSaved(await saved), restoreError: null };
  } catch (error) {
    const restoreError = `the model saved in this browser could not be loaded (${(error as Error).message}); the shipped model is in use`;
    return { restored: null, restoreError };
  }
}

const api = {
  /** Starts the backend and loads the saved model (or, without one, the shipped model). `base` is
   *  the page's data folder URL; `onFault` hears of faults the page must recover from. With
   *  `measureFallback` a software WebGPU adapter is measured against the CPU like a real one
   *  (the page's `?measure-backends`, for tests on machines without a GPU). */
  async start(
    choice: BackendChoice,
    base: string,
    onFault?: (fault: Fault) => void,
    measureFallback = false,
    early: EarlyStart = {},
  ): Promise<{
    decision: BackendDecision;
    model: ModelInfo;
    restored: Restored | null;
    restoreError: string | null;
    timings: StartTimings;
  }> {
    const timings: StartTimings = {};
    stamp(timings, 'called');
    dataBase = base;
    if (onFault) reportFault = (fault) => void onFault(fault);
    watchGpuDevices((message) => reportFault({ kind: 'device-lost', message }));
    // Asked for at once, since none needs another: the weights (unless the page fetched them
    // first: `early`), an adapter from WebGPU and the saved model from IndexedDB. The wasm is
    // fetched once the backend is known (its build depends on it) and the weights are in (over
    // a slow connection they would share it).
    const saved = loadSaved();
    saved.catch(() => undefined); // its failure is reported below, once the engine runs
    const [weights, firstDecision] = await Promise.all([
      (early.weights ? Promise.resolve(early.weights) : shippedWeights()).then((bytes) => (stamp(timings, 'weights'), bytes)),
      chooseBackend(choice).then((decision) => (stamp(timings, 'adapter'), decision)),
    ]);
    const measure = choice === 'auto' && firstDecision.adapter !== undefined && (!firstDecision.fallback || measureFallback);
    const build = await buildFor(firstDecision.backend, measure ? firstDecision.adapter : undefined);
    // Where WebGPU is wanted, a quick start answers on the CPU build first (a fifth of the size)
    // and compiles the WebGPU build once the engine runs (`webgpuBuild`).
    const quick = early.quickStart === true && build === 'webgpu';
    const Engine = quick ? await loadEngine('cpu') : await loadEngine(build, early.webgpuModule);
    stamp(timings, 'wasm');
    const decision = await createEngine(Engine, weights, firstDecision, measure, quick);
    stamp(timings, 'engine');
    const { restored, restoreError } = await restoreOrExplain(saved);
    stamp(timings, 'restored');
    if (quick) {
      webgpuCompiling = compileBuild('webgpu');
      webgpuCompiling.catch(() => undefined); // reported by `webgpuBuild`
    }
    return { decision, model: engine!.info(), restored, restoreError, timings };
  },

  /** The WebGPU build, compiled, after a quick start: the page starts a worker on it. */
  async webgpuBuild(): Promise<WebAssembly.Module> {
    if (!webgpuCompiling) throw new Error('this worker made no quick start');
    const compiled = await webgpuCompiling;
    if (compiled instanceof WebAssembly.Module) return compiled;
    // Not compiled as it streamed (a server that types it otherwise): fetched and compiled whole.
    const response = await fetch(compiled);
    if (!response.ok) throw new Error(`the WebGPU engine could not be fetched (HTTP ${response.status})`);
    return WebAssembly.compile(await response.arrayBuffer());
  },

  info: () => serial((e) => e.info()),
  classify: async (ink: Uint8Array, width: number, height: number) =>
    transferArrays(unpackClassification(await serial((e) => e.classify(ink, width, height)))),
  encode: async (images: Float32Array) => transferArrays(unpackEncoding(await serial((e) => e.encode(images)))),
  decode: (codes: Float32Array) => serial((e) => e.decode(codes)),
  generate: (perComponent: number, seed: number, sameStyle: boolean) =>
    serial((e) => e.generate(perComponent, seed, sameStyle)),
  prototypes: () => serial((e) => e.prototypes()),
  walkMap: (rows: number, cols: number) => serial((e) => e.walkMap(rows, cols)),
  exportWeights: () => serial((e) => e.exportWeights()),
  /** Loads a weights file (checked in full first: a bad file leaves the model) and saves it. */
  async loadWeights(bytes: Uint8Array, name: string): Promise<ModelInfo> {
    const model = await serial((e) => e.loadWeights(bytes, name));
    await saveModel({ weights: bytes, source: name, savedAt: Date.now(), training: null, anchors: null });
    return model;
  },
  /** Back to the shipped model; the saved one is forgotten. */
  async loadShipped(): Promise<ModelInfo> {
    const weights = await shippedWeights();
    const model = await serial((e) => e.loadWeights(weights, 'shipped'));
    await forgetSaved();
    return model;
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

  latentMap: async () => transferArrays(unpackMap(await serial((e) => e.latentMap()))),

  /** The two-step baseline of the articles (a plain VAE shipped beside the model, then k-means
   *  on its codes) on the test digits: its map and its scores. */
  async baselineMap() {
    const weights = await fetchWeights(baselineUrl, 'the baseline model');
    return transferArrays(unpackBaseline(await serial((e) => e.baselineMap(weights))));
  },

  /** Fetches the 60,000 training digits, unless they are loaded already. */
  async loadTrainSet(onProgress: (p: DownloadProgress) => void): Promise<number> {
    if (await serial((e) => e.hasTrainSet())) return -1; // already loaded (MNIST or the user's)
    const images = await fetchDataset(`${dataBase}train-images-idx3-ubyte.gz`, onProgress);
    return serial((e) => e.setTrainSet(images, undefined));
  },

  /** The user's own IDX data becomes the map's set and the training set (both checked in the
   *  core first: a bad file changes nothing). Returns the model's info and the images' pixels. */
  async useOwnData(
    images: Uint8Array,
    labels: Uint8Array | undefined,
  ): Promise<{ model: ModelInfo; count: number; labelled: boolean; pixels: Uint8Array }> {
    const model = await serial((e) => e.setTestSet(images, labels));
    const count = await serial((e) => e.setTrainSet(images, labels));
    const pixels = images.slice(16);
    return Comlink.transfer({ model, count, labelled: labels !== undefined, pixels }, [pixels.buffer]);
  },

  trainBegin: (settings: TrainSettings) => serial((e) => e.trainBegin(settings)),

  // Benchmarks (bench.html): a fresh model is trained, the model in use stays.
  /** The drawing's result and the map as JSON, parsed here: the crossing npm run bench:boundary
   *  compares with the typed arrays'. */
  classifyAsJson: async (ink: Uint8Array, width: number, height: number) =>
    JSON.parse(await serial((e) => e.classifyAsJson(ink, width, height))) as unknown,
  latentMapAsJson: async () => JSON.parse(await serial((e) => e.latentMapAsJson())) as unknown,
  benchTraining: (batchSize: number, warmup: number, runs: number, secondsPerRun: number) =>
    serial((e) => e.benchTraining(batchSize, warmup, runs, secondsPerRun)),
  profileTrainingStep: (batchSize: number, warmup: number, steps: number) =>
    serial((e) => e.profileTrainingStep(batchSize, warmup, steps)),

  /** Resumes the run saved with the model in use (the training digits must be loaded). */
  async trainResume(): Promise<ModelInfo> {
    const saved = await loadSaved();
    if (!saved?.training) throw new Error('no saved training run to resume');
    const { training, anchors } = saved;
    return serial((e) => e.trainResume(training, anchors ?? undefined));
  },

  /** Saves a run in progress now (between two chunks), e.g. before the page switches backend. */
  saveNow: () => saveCurrent('trained in this browser'),

  /** The saved run's position, if the model in this browser was saved while training. */
  async savedTraining(): Promise<TrainProgress | null> {
    return (await loadSaved())?.training ?? null;
  },

  /** Trains until paused, stopped, finished or failed; every chunk goes to `onChunk`. The model
   *  is saved after every epoch, every half minute, and when the run pauses or finishes. */
  async trainRun(onChunk: (report: ChunkReport) => void): Promise<'finished' | 'paused'> {
    pauseRequested = false;
    let savedAt = performance.now();
    while (!pauseRequested) {
      const report = await serial((e) => e.trainChunk(CHUNK_MS));
      if (report.epoch || report.finished || performance.now() - savedAt > SAVE_EVERY_MS) {
        await saveCurrent('trained in this browser');
        savedAt = performance.now();
      }
      onChunk(report);
      if (report.finished) return 'finished';
      // Let queued calls (a drawing, a pause) in before the next chunk.
      await new Promise((resolve) => setTimeout(resolve, 0));
    }
    await saveCurrent('trained in this browser');
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
