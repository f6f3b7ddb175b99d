// The drawing pad: pointer events (mouse, pen, touch), strokes kept for undo, and the ink as
// one byte per pixel for the worker. Strokes are drawn thick with round ends, like a pen on
// MNIST's forms after scaling.

export type Stroke = { x: number; y: number }[];

export class DrawPad {
  private strokes: Stroke[] = [];
  private current: Stroke | null = null;
  private readonly context: CanvasRenderingContext2D;

  /** Called after every change of the ink. The pad works from first paint, before the model
   *  is ready; whoever answers drawings sets this once it can. */
  onChange: (pad: DrawPad) => void = () => undefined;

  constructor(
    private readonly canvas: HTMLCanvasElement,
    private readonly lineWidth = canvas.width / 13,
  ) {
    this.context = canvas.getContext('2d', { willReadFrequently: true })!;
    canvas.addEventListener('pointerdown', (event) => this.begin(event));
    canvas.addEventListener('pointermove', (event) => this.extend(event));
    for (const type of ['pointerup', 'pointercancel', 'pointerleave'] as const) {
      canvas.addEventListener(type, () => this.end());
    }
    this.redraw();
  }

  get isEmpty(): boolean {
    return this.strokes.length === 0;
  }

  clear(): void {
    this.strokes = [];
    this.current = null;
    this.redraw();
    this.onChange(this);
  }

  undo(): void {
    this.strokes.pop();
    this.redraw();
    this.onChange(this);
  }

  /** Alpha of every pixel: 0 = blank, 255 = full ink. */
  ink(): { ink: Uint8Array; width: number; height: number } {
    const { width, height } = this.canvas;
    const rgba = this.context.getImageData(0, 0, width, height).data;
    const ink = new Uint8Array(width * height);
    for (let i = 0; i < ink.length; i++) ink[i] = rgba[i * 4 + 3];
    return { ink, width, height };
  }

  private point(event: PointerEvent): { x: number; y: number } {
    const box = this.canvas.getBoundingClientRect();
    return {
      x: ((event.clientX - box.left) / box.width) * this.canvas.width,
      y: ((event.clientY - box.top) / box.height) * this.canvas.height,
    };
  }

  private begin(event: PointerEvent): void {
    event.preventDefault();
    // The first touch of the pen, for the first-answer benchmark's breakdown.
    if (performance.getEntriesByName('first-ink').length === 0) performance.mark('first-ink');
    this.canvas.setPointerCapture(event.pointerId);
    this.current = [this.point(event)];
    this.strokes.push(this.current);
    this.redraw();
    this.onChange(this);
  }

  private extend(event: PointerEvent): void {
    if (!this.current) return;
    event.preventDefault();
    const events = event.getCoalescedEvents?.() ?? [event];
    for (const e of events.length ? events : [event]) this.current.push(this.point(e));
    this.redraw();
    this.onChange(this);
  }

  private end(): void {
    this.current = null;
  }

  private redraw(): void {
    const c = this.context;
    c.clearRect(0, 0, this.canvas.width, this.canvas.height);
    c.lineWidth = this.lineWidth;
    c.lineCap = 'round';
    c.lineJoin = 'round';
    c.strokeStyle = '#111';
    c.fillStyle = '#111';
    for (const stroke of this.strokes) {
      if (stroke.length === 1) {
        c.beginPath();
        c.arc(stroke[0].x, stroke[0].y, this.lineWidth / 2, 0, Math.PI * 2);
        c.fill();
        continue;
      }
      c.beginPath();
      c.moveTo(stroke[0].x, stroke[0].y);
      for (const p of stroke.slice(1)) c.lineTo(p.x, p.y);
      c.stroke();
    }
  }
}
