// The map's non-linear layout, in a worker of its own so that the model's worker keeps answering
// drawings meanwhile: UMAP (umap-js) of the test digits' codes, with progress and the layout as
// it forms; a drawing is placed on it by its nearest codes; and how well a layout keeps each
// digit among its own kind (for the page to say, and for the tests).
import * as Comlink from 'comlink';
import { UMAP } from 'umap-js';

/** Neighbours a new point is placed among, and a layout is judged by. */
const NEIGHBOURS = 10;
/** Points whose neighbours are checked when judging a layout (all of them would be n^2). */
const JUDGED = 2000;
/** Layouts are seeded: the same codes give the same map. */
const SEED = 42;

let codes: Float32Array = new Float32Array();
let dim = 1;
let layout: Float32Array = new Float32Array();

/** mulberry32: a small seeded generator for UMAP's random choices. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function rows(values: Float32Array, width: number): number[][] {
  return Array.from({ length: values.length / width }, (_, i) => Array.from(values.subarray(i * width, (i + 1) * width)));
}

function flat(points: number[][]): Float32Array {
  const out = new Float32Array(points.length * 2);
  points.forEach(([x, y], i) => out.set([x, y], 2 * i));
  return out;
}

/** The `k` nearest rows of `values` (width `width`) to `point`, by squared distance. */
function nearest(values: Float32Array, width: number, point: ArrayLike<number>, k: number, skip = -1): number[] {
  const best: [number, number][] = [];
  const n = values.length / width;
  for (let i = 0; i < n; i++) {
    if (i === skip) continue;
    let d = 0;
    for (let j = 0; j < width; j++) d += (values[i * width + j] - point[j]) ** 2;
    if (best.length < k || d < best[best.length - 1][0]) {
      best.push([d, i]);
      best.sort((a, b) => a[0] - b[0]);
      if (best.length > k) best.pop();
    }
  }
  return best.map(([, i]) => i);
}

const api = {
  /** UMAP of `n` codes of width `latentDim`; `onFrame` gets the layout as it forms, with the
   *  share of epochs done. Returns the final `[n, 2]` positions. */
  async umap(
    allCodes: Float32Array,
    latentDim: number,
    // Through Comlink the page's callback returns a promise: awaiting it lets a frame be drawn
    // (and other calls in) before the next steps.
    onFrame: (positions: Float32Array, done: number) => void | Promise<void>,
  ): Promise<Float32Array> {
    codes = allCodes;
    dim = latentDim;
    const umap = new UMAP({ nComponents: 2, nNeighbors: 15, minDist: 0.1, random: seeded(SEED) });
    const epochs = umap.initializeFit(rows(codes, dim));
    const frameEvery = Math.max(1, Math.round(epochs / 10));
    for (let epoch = 1; epoch <= epochs; epoch++) {
      umap.step();
      if (epoch % frameEvery === 0 && epoch < epochs) {
        const frame = flat(umap.getEmbedding());
        await onFrame(Comlink.transfer(frame, [frame.buffer]), epoch / epochs);
      }
    }
    layout = flat(umap.getEmbedding());
    return layout.slice();
  },

  /** Where a new code lands on the last layout: the mean position of its nearest codes. */
  place(code: Float32Array): [number, number] | null {
    if (layout.length === 0 || code.length !== dim) return null;
    const near = nearest(codes, dim, code, NEIGHBOURS);
    const x = near.reduce((s, i) => s + layout[2 * i], 0) / near.length;
    const y = near.reduce((s, i) => s + layout[2 * i + 1], 0) / near.length;
    return [x, y];
  },

  /** The share of a layout's nearest neighbours that carry the same label, over a sample of
   *  points: how well it keeps each kind together (1 = every neighbourhood pure). */
  neighbourAgreement(positions: Float32Array, labels: Uint8Array): number {
    const n = labels.length;
    const step = Math.max(1, Math.floor(n / JUDGED));
    let same = 0;
    let total = 0;
    for (let i = 0; i < n; i += step) {
      for (const j of nearest(positions, 2, positions.subarray(2 * i, 2 * i + 2), NEIGHBOURS, i)) {
        same += labels[j] === labels[i] ? 1 : 0;
        total += 1;
      }
    }
    return same / total;
  },
};

export type LayoutApi = typeof api;

Comlink.expose(api);
