// A drawing turned into the 28x28 input the model reads, in TypeScript: the same steps as
// src/drawing.rs (MNIST's recipe: the ink's box scaled to fit 20x20 with the image crate's
// triangle filter, then placed so that its centre of mass lands on the frame's centre), in the
// same 32-bit float arithmetic, so that both give the same pixels. Only the first answer uses it
// (firstAnswer.ts), before the wasm engine is ready; tests/ts/firstAnswer.test.mjs compares its
// pixels with the engine's.

const SIDE = 28;
const BOX_SIDE = 20;
/** Ink values at or below this (of 255) count as empty canvas (drawing.rs's INK_THRESHOLD). */
const INK_THRESHOLD = 8;
const f32 = Math.fround;

/** Rust's f32::round: halves away from zero (Math.round takes -2.5 to -2). */
function roundHalfAway(x: number): number {
  return Math.sign(x) * Math.round(Math.abs(x));
}

/** `ink` (`width * height` values, 0 = blank, 255 = full ink) as the model's 784 values in
 *  [0, 1]; `null` when nothing is drawn. */
export function drawingToInput(ink: Uint8Array, width: number, height: number): Float32Array | null {
  const bounds = inkBounds(ink, width, height);
  if (!bounds) return null;
  const { left, top, boxW, boxH } = bounds;
  const scale = f32(BOX_SIDE / Math.max(boxW, boxH));
  const newW = Math.max(1, roundHalfAway(f32(boxW * scale)));
  const newH = Math.max(1, roundHalfAway(f32(boxH * scale)));
  const cropped = new Uint8Array(boxW * boxH);
  for (let y = 0; y < boxH; y++) cropped.set(ink.subarray((top + y) * width + left, (top + y) * width + left + boxW), y * boxW);
  const digit = newW === boxW && newH === boxH ? cropped : resizeTriangle(cropped, boxW, boxH, newW, newH);

  const [cx, cy] = centreOfMass(digit, newW, newH);
  const centre = SIDE / 2;
  const x0 = Math.min(Math.max(roundHalfAway(f32(centre - cx)), 0), SIDE - newW);
  const y0 = Math.min(Math.max(roundHalfAway(f32(centre - cy)), 0), SIDE - newH);
  const input = new Float32Array(SIDE * SIDE);
  for (let y = 0; y < newH; y++) {
    for (let x = 0; x < newW; x++) input[(y0 + y) * SIDE + x0 + x] = f32(digit[y * newW + x] / 255);
  }
  return input;
}

function inkBounds(ink: Uint8Array, width: number, height: number) {
  let left = width;
  let top = height;
  let right = -1;
  let bottom = -1;
  for (let i = 0; i < width * height; i++) {
    if (ink[i] <= INK_THRESHOLD) continue;
    const x = i % width;
    const y = Math.floor(i / width);
    left = Math.min(left, x);
    right = Math.max(right, x);
    top = Math.min(top, y);
    bottom = Math.max(bottom, y);
  }
  return right < 0 ? null : { left, top, boxW: right - left + 1, boxH: bottom - top + 1 };
}

/** Ink-weighted mean position in pixel indices, summed in f32 as drawing.rs does. */
function centreOfMass(digit: Uint8Array, width: number, height: number): [number, number] {
  let total = 0;
  let sx = 0;
  let sy = 0;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const w = digit[y * width + x];
      total = f32(total + w);
      sx = f32(sx + f32(w * x));
      sy = f32(sy + f32(w * y));
    }
  }
  return total === 0 ? [f32(width / 2), f32(height / 2)] : [f32(sx / total), f32(sy / total)];
}

/** One axis of image::imageops::resize with FilterType::Triangle: for each output position,
 *  the normalised weights of the input positions it reads, and the first of them. */
function triangleWeights(size: number, newSize: number): { first: number; weights: number[] }[] {
  const ratio = f32(size / newSize);
  const sratio = ratio < 1 ? 1 : ratio;
  const support = sratio; // the triangle's support (1) times sratio
  const taps = [];
  for (let out = 0; out < newSize; out++) {
    const centre = f32(f32(out + 0.5) * ratio);
    const first = Math.min(Math.max(Math.floor(f32(centre - support)), 0), size - 1);
    const end = Math.min(Math.max(Math.ceil(f32(centre + support)), first + 1), size);
    const at = f32(centre - 0.5);
    const weights: number[] = [];
    let sum = 0;
    for (let i = first; i < end; i++) {
      const x = Math.abs(f32(f32(i - at) / sratio));
      const w = x < 1 ? f32(1 - x) : 0;
      weights.push(w);
      sum = f32(sum + w);
    }
    taps.push({ first, weights: weights.map((w) => f32(w / sum)) });
  }
  return taps;
}

/** image::imageops::resize(…, Triangle) of a grey image: rows resampled into floats first, then
 *  columns, clamped to 0..255 and rounded. */
function resizeTriangle(source: Uint8Array, width: number, height: number, newW: number, newH: number): Uint8Array {
  const tall = new Float32Array(width * newH);
  for (const [y, { first, weights }] of triangleWeights(height, newH).entries()) {
    for (let x = 0; x < width; x++) {
      let t = 0;
      weights.forEach((w, i) => (t = f32(t + f32(source[(first + i) * width + x] * w))));
      tall[y * width + x] = t;
    }
  }
  const out = new Uint8Array(newW * newH);
  for (const [x, { first, weights }] of triangleWeights(width, newW).entries()) {
    for (let y = 0; y < newH; y++) {
      let t = 0;
      weights.forEach((w, i) => (t = f32(t + f32(tall[y * width + first + i] * w))));
      out[y * newW + x] = roundHalfAway(Math.min(Math.max(t, 0), 255));
    }
  }
  return out;
}
