// The engine's bulk results arrive as one Float32Array each, a header giving their shape and then
// their parts (layouts in src/web.rs): read back here into typed views of that one buffer, which
// the worker then transfers to the page whole.

import type { Scores } from '../../pkg/mixvae.js';

const PIXELS = 784;

/** A drawing encoded. */
export interface Classification {
  /** The 28x28 input made from the drawing, values in [0, 1]. */
  input: Float32Array;
  /** q(z|x): mean and log-variance, d each. */
  mean: Float32Array;
  logvar: Float32Array;
  /** p(y | z = mean), one per component; sums to 1. */
  probabilities: Float32Array;
  cluster: number;
  /** The decoded mean: 784 values in [0, 1]. */
  reconstruction: Float32Array;
  /** Where the drawing lands on the PCA map, once the map exists. */
  map_position: [number, number] | null;
}

/** Images encoded, n of them, row-major. */
export interface Encoding {
  means: Float32Array;
  logvars: Float32Array;
  probabilities: Float32Array;
  clusters: Uint32Array;
}

/** The test digits on the latent map (PCA of their codes). */
export interface MapView {
  /** `[n, 2]` row-major. */
  positions: Float32Array;
  clusters: Uint32Array;
  labels: Uint8Array | null;
  /** Share of the codes' variance the two axes show. */
  explained: [number, number];
  /** The box the "walk the map" grid spans: [x0, x1, y0, y1]. */
  extent: [number, number, number, number];
  /** `[n, latent_dim]`: each digit's code, for layouts other than PCA. */
  codes: Float32Array;
  latent_dim: number;
}

/** Consecutive parts of one packed array. */
class Reader {
  private at = 0;
  constructor(private readonly packed: Float32Array) {}
  take(length: number): Float32Array {
    const part = this.packed.subarray(this.at, this.at + length);
    if (part.length !== length) throw new Error(`a packed result ended early (${this.packed.length} values)`);
    this.at += length;
    return part;
  }
  number(): number {
    return this.take(1)[0];
  }
}

export function unpackClassification(packed: Float32Array): Classification {
  const r = new Reader(packed);
  const [cluster, d, k, hasPosition, x, y] = r.take(6);
  return {
    cluster,
    map_position: hasPosition ? [x, y] : null,
    input: r.take(PIXELS),
    mean: r.take(d),
    logvar: r.take(d),
    probabilities: r.take(k),
    reconstruction: r.take(PIXELS),
  };
}

export function unpackEncoding(packed: Float32Array): Encoding {
  const r = new Reader(packed);
  const [n, d, k] = r.take(3);
  return { means: r.take(n * d), logvars: r.take(n * d), probabilities: r.take(n * k), clusters: Uint32Array.from(r.take(n)) };
}

/** The two-step baseline on the test digits: its k-means groups on the map, and its scores. */
export interface BaselineView {
  map: MapView;
  scores: Scores | null;
}

export function unpackBaseline(packed: Float32Array): BaselineView {
  const [hasScores, accuracy, nmi, ari, silhouette, clustersUsed] = packed.subarray(0, 6);
  const scores = hasScores ? { accuracy, nmi, ari, silhouette, clusters_used: clustersUsed } : null;
  return { scores, map: unpackMap(packed.subarray(6)) };
}

export function unpackMap(packed: Float32Array): MapView {
  const r = new Reader(packed);
  const [n, d, hasLabels] = r.take(3);
  const [ex, ey] = r.take(2);
  const [x0, x1, y0, y1] = r.take(4);
  const positions = r.take(2 * n);
  const clusters = Uint32Array.from(r.take(n));
  const labels = hasLabels ? Uint8Array.from(r.take(n)) : null;
  return { positions, clusters, labels, explained: [ex, ey], extent: [x0, x1, y0, y1], codes: r.take(n * d), latent_dim: d };
}
