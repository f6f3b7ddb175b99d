// The Train section's state machine: one table says what the user may do in each state, one
// table which state may follow which, and a generation number tells the replies of a worker that
// has since been replaced (a crash, a lost GPU, a backend switch) from those of the current one.

export type TrainState = 'idle' | 'loading' | 'training' | 'paused' | 'stopping';

/** What the page lets the user do in a state. `data`: import weights or use their own files,
 *  which would pull the data or the model from under a run. */
export interface Controls {
  train: boolean;
  pauseOrResume: boolean;
  reset: boolean;
  settings: boolean;
  data: boolean;
}

export const CONTROLS: Record<TrainState, Controls> = {
  idle: { train: true, pauseOrResume: false, reset: true, settings: true, data: true },
  loading: { train: false, pauseOrResume: false, reset: false, settings: false, data: false },
  training: { train: false, pauseOrResume: true, reset: true, settings: false, data: false },
  // A paused run may be given up for imported weights or other data (the page says so).
  paused: { train: true, pauseOrResume: true, reset: true, settings: true, data: true },
  stopping: { train: false, pauseOrResume: false, reset: false, settings: false, data: false },
};

const NEXT: Record<TrainState, readonly TrainState[]> = {
  idle: ['loading', 'stopping'],
  loading: ['training', 'idle', 'paused'],
  training: ['paused', 'idle', 'stopping'],
  paused: ['loading', 'training', 'stopping', 'idle'],
  stopping: ['idle'],
};

export class TrainController {
  private current: TrainState = 'idle';
  private generation = 0;
  private loopEnded: Promise<void> = Promise.resolve();

  constructor(private readonly onChange: (state: TrainState, controls: Controls) => void) {
    onChange(this.current, CONTROLS[this.current]);
  }

  get state(): TrainState {
    return this.current;
  }

  /** Training (or getting ready to) in the current worker. */
  get busy(): boolean {
    return this.current === 'loading' || this.current === 'training';
  }

  /** A ticket for work that starts now: moves made with it after the worker was replaced are
   *  ignored, and `stale` says so to the work itself. */
  ticket(): number {
    return this.generation;
  }

  stale(ticket: number): boolean {
    return ticket !== this.generation;
  }

  /** Moves to `next`; false (nothing changes) when `ticket` belongs to a replaced worker. A move
   *  the table does not allow is a bug in the page, and throws. */
  move(next: TrainState, ticket = this.generation): boolean {
    if (this.stale(ticket)) return false;
    if (next === this.current) return true;
    if (!NEXT[this.current].includes(next)) throw new Error(`training cannot go from ${this.current} to ${next}`);
    this.set(next);
    return true;
  }

  /** The worker was replaced: what was under way belonged to the old one. */
  workerReplaced(next: 'idle' | 'paused'): void {
    this.generation += 1;
    this.loopEnded = Promise.resolve();
    this.set(next);
  }

  /** Keeps the training loop's promise, so that a reset can wait for its last save. */
  loopStarted(loop: Promise<unknown>): void {
    this.loopEnded = loop.then(
      () => undefined,
      () => undefined,
    );
  }

  loopEnd(): Promise<void> {
    return this.loopEnded;
  }

  private set(next: TrainState): void {
    this.current = next;
    this.onChange(next, CONTROLS[next]);
  }
}
