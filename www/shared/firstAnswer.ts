// The first answer: the shipped model's forward pass in plain TypeScript, so that a drawing made
// as the page opens is answered as soon as the compact weights (1 MB, 8-bit: src/compact.rs) have
// arrived, before the engine's wasm is fetched. It is the model of src/model.rs, read from the
// same SafeTensors file the engine loads: encoder, the mixture's posterior p(y | z = mean) and
// decoder. Once the engine is ready it answers every drawing instead (the draw section asks it
// again). tests/ts/firstAnswer.test.mjs holds it to what the engine answers for the same
// drawings (vectors a Rust test keeps), and an end-to-end test compares the two in the page.
import type { Classification } from '../worker/unpack';
import { drawingToInput } from './drawingInput';

/** ln(2 pi), as in src/model.rs. */
const LN_2PI = 1.8378771;

interface Linear {
  /** `[inputs, outputs]` row-major, as burn stores a Linear's weight. */
  weight: Float32Array;
  bias: Float32Array;
}

/** Suffix of the column scales of an 8-bit matrix in a compact file (src/compact.rs). */
const SCALE_SUFFIX = ':scale';

interface Entry {
  dtype: string;
  shape: number[];
  data_offsets: [number, number];
}

/** The tensors of a SafeTensors file as float32, copied out of `bytes`: F32 tensors as they are,
 *  the 8-bit matrices of a compact file (src/compact.rs) as `q * scale`, one scale per column. */
export function readSafeTensors(bytes: Uint8Array): Map<string, { shape: number[]; values: Float32Array }> {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = Number(view.getBigUint64(0, true));
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLength))) as Record<string, Entry>;
  const data = (entry: Entry) => {
    const [start, end] = entry.data_offsets.map((offset) => bytes.byteOffset + 8 + headerLength + offset);
    // A copy: aligned for a Float32Array, and kept when the file's buffer is handed to the worker.
    return bytes.buffer.slice(start, end) as ArrayBuffer;
  };
  const tensors = new Map<string, { shape: number[]; values: Float32Array }>();
  for (const [name, entry] of Object.entries(header)) {
    if (name === '__metadata__' || name.endsWith(SCALE_SUFFIX)) continue;
    if (entry.dtype === 'F32') tensors.set(name, { shape: entry.shape, values: new Float32Array(data(entry)) });
    else if (entry.dtype === 'I8') tensors.set(name, { shape: entry.shape, values: expand(new Int8Array(data(entry)), header[name + SCALE_SUFFIX], data) });
    else throw new Error(`${name} is ${entry.dtype}, not F32 or I8`);
  }
  return tensors;
}

/** An 8-bit `[inputs, outputs]` matrix as float32: each value times its column's scale. */
function expand(quantised: Int8Array, scaleEntry: Entry | undefined, data: (entry: Entry) => ArrayBuffer): Float32Array {
  if (!scaleEntry || scaleEntry.dtype !== 'F32') throw new Error('an 8-bit matrix has no F32 scales');
  const scales = new Float32Array(data(scaleEntry));
  const values = new Float32Array(quantised.length);
  for (let i = 0; i < quantised.length; i++) values[i] = quantised[i] * scales[i % scales.length];
  return values;
}

/** `relu?(x W + b)`. */
function forward(layer: Linear, x: Float32Array, relu: boolean): Float32Array {
  const outputs = layer.bias.length;
  const y = Float32Array.from(layer.bias);
  for (let i = 0; i < x.length; i++) {
    const xi = x[i];
    if (xi === 0) continue; // drawings and ReLU outputs are mostly zeros
    const row = i * outputs;
    for (let j = 0; j < outputs; j++) y[j] += xi * layer.weight[row + j];
  }
  if (relu) for (let j = 0; j < outputs; j++) y[j] = Math.max(0, y[j]);
  return y;
}

export class FirstAnswerModel {
  private constructor(
    private readonly layers: Record<string, Linear>,
    /** mu_y and log sigma_y^2, `[K, d]` row-major. */
    private readonly priorMeans: Float32Array,
    private readonly priorLogvars: Float32Array,
  ) {}

  /** The model in a SafeTensors file written by the engine (the shipped one). */
  static fromSafeTensors(bytes: Uint8Array): FirstAnswerModel {
    const tensors = readSafeTensors(bytes);
    const values = (name: string) => {
      const tensor = tensors.get(name);
      if (!tensor) throw new Error(`the weights have no ${name}`);
      return tensor.values;
    };
    const names = ['enc_outer', 'enc_inner', 'enc_mean', 'enc_logvar', 'dec_inner', 'dec_outer', 'dec_pixels'];
    const layers = Object.fromEntries(names.map((n) => [n, { weight: values(`${n}.weight`), bias: values(`${n}.bias`) }]));
    return new FirstAnswerModel(layers, values('prior_means'), values('prior_logvars'));
  }

  /** What the engine's `classify` returns for the same drawing; `null` for an empty one. */
  classify(ink: Uint8Array, width: number, height: number): Classification | null {
    const input = drawingToInput(ink, width, height);
    if (!input) return null;
    const h = forward(this.layers.enc_inner, forward(this.layers.enc_outer, input, true), true);
    const mean = forward(this.layers.enc_mean, h, false);
    const logvar = forward(this.layers.enc_logvar, h, false).map((v) => Math.min(Math.max(v, -12), 8));
    const probabilities = this.responsibilities(mean);
    const cluster = probabilities.indexOf(Math.max(...probabilities));
    const decoded = forward(this.layers.dec_pixels, forward(this.layers.dec_outer, forward(this.layers.dec_inner, mean, true), true), false);
    const reconstruction = decoded.map((logit) => 1 / (1 + Math.exp(-logit)));
    return { input, mean, logvar, probabilities, cluster, reconstruction, map_position: null };
  }

  /** p(y | z) with uniform p(y): a softmax over the components' Gaussian log-densities. */
  private responsibilities(z: Float32Array): Float32Array {
    const d = z.length;
    const k = this.priorMeans.length / d;
    const logDensity = Array.from({ length: k }, (_, y) => {
      let sum = 0;
      for (let i = 0; i < d; i++) {
        const logvar = this.priorLogvars[y * d + i];
        sum += (z[i] - this.priorMeans[y * d + i]) ** 2 / Math.exp(logvar) + logvar + LN_2PI;
      }
      return -0.5 * sum;
    });
    const top = Math.max(...logDensity);
    const weights = logDensity.map((l) => Math.exp(l - top));
    const total = weights.reduce((a, b) => a + b, 0);
    return Float32Array.from(weights, (w) => w / total);
  }
}
