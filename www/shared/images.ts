// Digits on canvases: 28x28 intensity arrays (floats in [0, 1] or bytes) painted dark on light,
// one per canvas or many as a grid on one canvas.

const SIDE = 28;
const PIXELS = SIDE * SIDE;

function paint(target: ImageData, values: ArrayLike<number>, start: number, scale: number, x0: number, y0: number) {
  for (let i = 0; i < PIXELS; i++) {
    const ink = Math.max(0, Math.min(1, values[start + i] / scale));
    const shade = Math.round(255 * (1 - ink));
    const at = ((y0 + Math.floor(i / SIDE)) * target.width + x0 + (i % SIDE)) * 4;
    target.data[at] = shade;
    target.data[at + 1] = shade;
    target.data[at + 2] = shade;
    target.data[at + 3] = 255;
  }
}

/** Paints one digit (`values[start .. start + 784]`) on a 28x28 canvas. */
export function drawDigit(canvas: HTMLCanvasElement, values: ArrayLike<number>, start = 0, scale = 1): void {
  canvas.width = SIDE;
  canvas.height = SIDE;
  const context = canvas.getContext('2d')!;
  const image = context.createImageData(SIDE, SIDE);
  paint(image, values, start, scale, 0, 0);
  context.putImageData(image, 0, 0);
}

/** Paints `rows x cols` digits, row-major in `values`, as one image with a 2-pixel gutter. */
export function drawDigitGrid(canvas: HTMLCanvasElement, values: ArrayLike<number>, rows: number, cols: number): void {
  const gutter = 2;
  canvas.width = cols * (SIDE + gutter) - gutter;
  canvas.height = rows * (SIDE + gutter) - gutter;
  const context = canvas.getContext('2d')!;
  const image = context.createImageData(canvas.width, canvas.height);
  image.data.fill(255);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      paint(image, values, (r * cols + c) * PIXELS, 1, c * (SIDE + gutter), r * (SIDE + gutter));
    }
  }
  context.putImageData(image, 0, 0);
}

/** A data URL of one byte-valued digit, for tooltips. */
export function digitDataUrl(bytes: Uint8Array, index: number, size = 56): string {
  const canvas = document.createElement('canvas');
  drawDigit(canvas, bytes, index * PIXELS, 255);
  const scaled = document.createElement('canvas');
  scaled.width = size;
  scaled.height = size;
  const context = scaled.getContext('2d')!;
  context.imageSmoothingEnabled = false;
  context.drawImage(canvas, 0, 0, size, size);
  return scaled.toDataURL();
}

export const IMAGE_PIXELS = PIXELS;
