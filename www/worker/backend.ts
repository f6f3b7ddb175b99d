// Which backend the worker runs on, and why. Without WebGPU, or with only a software fallback
// adapter, the CPU (burn's flex, in wasm): software WebGPU trains far slower than the CPU
// (docs/performance.md's speed table: 48 against 5,723 images/s at batch 128 on a 2-core AMD
// EPYC without a GPU).
// With a real adapter neither is sure to win (every GPU dispatch costs more in a browser than
// natively, and a small GPU may lose to the CPU at batch 128), so on 'auto' the worker times a few
// training steps on each, once per adapter, remembers the figures (IndexedDB) and trains on the
// faster (speedChoice).
import { createStore, get, set } from 'idb-keyval';

export type BackendChoice = 'auto' | 'webgpu' | 'cpu';

export interface BackendDecision {
  backend: 'webgpu' | 'cpu';
  reason: string;
  /** The WebGPU adapter's name, when there is one. */
  adapter?: string;
  /** The adapter is a software fallback (SwiftShader and the like). */
  fallback?: boolean;
  /** Measured training speeds, when the choice followed them. */
  speeds?: MeasuredSpeeds;
  /** What the badge says when the choice followed a measurement ("WebGPU: 3.2x the CPU here"). */
  badge?: string;
  /** What the adapter lacks that the engine works around, in words (appended to `reason`). */
  note?: string;
  /** The CPU answers while the WebGPU build compiles: the page then moves to it. */
  upgrade?: boolean;
}

/** Said of an adapter without `timestamp-query`: the engine trains on it, but cannot time single
 *  GPU kernels (only autotune would; the page leaves it off). */
const NO_TIMESTAMPS_NOTE = 'no timestamp-query: trains without timing GPU kernels';

/** Training images per second of each backend on one adapter, measured in this browser. */
export interface MeasuredSpeeds {
  adapter: string;
  batchSize: number;
  cpu: number;
  webgpu: number;
  measuredAt: number;
}

/** Batch size and steps of the measurement: the page's default batch, steps enough to time. */
export const MEASURE_BATCH = 128;
export const MEASURE_STEPS = 4;

const speedStore = createStore('mixvae-backend', 'speeds');

export async function chooseBackend(choice: BackendChoice): Promise<BackendDecision> {
  if (choice === 'cpu') return { backend: 'cpu', reason: 'CPU chosen on this page' };
  const gpu = (navigator as Navigator & { gpu?: GPU }).gpu;
  if (!gpu) return { backend: 'cpu', reason: 'this browser has no WebGPU' };
  let adapter: GPUAdapter | null = null;
  try {
    adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  } catch {
    adapter = null;
  }
  if (!adapter) return { backend: 'cpu', reason: 'WebGPU offers no adapter here' };
  const info = adapter.info;
  const fallback =
    (info as GPUAdapterInfo & { isFallbackAdapter?: boolean }).isFallbackAdapter ??
    (adapter as GPUAdapter & { isFallbackAdapter?: boolean }).isFallbackAdapter ??
    false;
  const name = [info.vendor, info.architecture, info.description].filter(Boolean).join(' ') || 'unnamed adapter';
  if (fallback && choice === 'auto') {
    return {
      backend: 'cpu',
      reason: `the only WebGPU adapter is a software fallback (${name}), far slower than the CPU`,
      adapter: name,
      fallback,
    };
  }
  const note = adapter.features.has('timestamp-query') ? undefined : NO_TIMESTAMPS_NOTE;
  const reason = fallback ? `software WebGPU (${name}), chosen on this page` : `GPU: ${name}`;
  return { backend: 'webgpu', reason: withNote(reason, note), adapter: name, fallback, note };
}

/** `reason` with the adapter's note, if any, in brackets after it. */
export function withNote(reason: string, note: string | undefined): string {
  return note ? `${reason} [${note}]` : reason;
}

/** The speeds measured on `adapter` earlier in this browser, if any (a failed read counts as none). */
export async function rememberedSpeeds(adapter: string): Promise<MeasuredSpeeds | undefined> {
  try {
    const speeds = (await get(adapter, speedStore)) as MeasuredSpeeds | undefined;
    return speeds && speeds.cpu > 0 && speeds.webgpu > 0 ? speeds : undefined;
  } catch {
    return undefined;
  }
}

export async function rememberSpeeds(speeds: MeasuredSpeeds): Promise<void> {
  try {
    await set(speeds.adapter, speeds, speedStore);
  } catch {
    // Not remembered: the next visit measures again.
  }
}

/** The faster backend for training, and how much faster, in words for the badge. */
export function speedChoice(speeds: MeasuredSpeeds): BackendDecision {
  const ratio = speeds.webgpu / speeds.cpu;
  const figures = `training at batch ${speeds.batchSize}: WebGPU ${Math.round(speeds.webgpu)}, CPU ${Math.round(speeds.cpu)} images/s, measured on ${speeds.adapter}`;
  if (ratio >= 1) {
    const badge = `WebGPU: ${ratio.toFixed(1)}x the CPU here`;
    return { backend: 'webgpu', badge, reason: `${badge} (${figures})`, adapter: speeds.adapter, speeds };
  }
  const badge = `CPU: ${(1 / ratio).toFixed(1)}x WebGPU here`;
  return { backend: 'cpu', badge, reason: `${badge} (${figures})`, adapter: speeds.adapter, speeds };
}
