// What the page has once its entry (boot.ts) started the first worker, handed to main.ts, which
// wires the other sections to it. Its own module, so that main.ts needs nothing of boot.ts (which
// loads main.ts).
import type { DrawSection } from '../sections/draw';
import type { Classification } from '../worker/worker';
import type { App } from './app';
import type { Started, WorkerLink } from './workerLink';

export interface Booted {
  first: WorkerLink & { started: Started };
  app: App;
  draw: DrawSection;
  /** Where each drawing's result goes besides the draw section (the map's pin). */
  onDrawn(listener: (c: Classification | null) => void): void;
}
