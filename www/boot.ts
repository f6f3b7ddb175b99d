// The page's entry, kept small so that it runs at once: the pad takes ink, the wasm compiles and
// the weights download (earlyStart.ts) while the model's worker starts, and the first drawing is
// answered as soon as it has, while the rest of the page (main.ts, with ECharts) loads.
import { setupDrawSection, type DrawSection } from './sections/draw';
import type { App } from './shared/app';
import { DrawPad } from './shared/drawPad';
import { startEarly } from './shared/earlyStart';
import { byId, detach } from './shared/ui';
import { CHOICE_KEY, startWorker, type Started, type WorkerLink } from './shared/workerLink';
import type { BackendChoice } from './worker/backend';
import type { Classification, Fault } from './worker/worker';

/** The pad takes ink from first paint; what is drawn before the model is ready is kept and
 *  answered once it is (sections/draw.ts). */
function setupPad(): DrawPad {
  const pad = new DrawPad(byId<HTMLCanvasElement>('draw-canvas'));
  byId('clear-button').addEventListener('click', () => pad.clear());
  byId('undo-button').addEventListener('click', () => pad.undo());
  pad.onChange = () => {
    if (!pad.isEmpty) byId('cluster-result').textContent = 'Your drawing is kept: it is answered as soon as the model is ready…';
  };
  performance.mark('pad-ready');
  return pad;
}

/** What the page has once the first worker started: main.ts wires the other sections to it. */
export interface Booted {
  first: WorkerLink & { started: Started };
  app: App;
  draw: DrawSection;
  /** Where each drawing's result goes besides the draw section (the map's pin). */
  onDrawn(listener: (c: Classification | null) => void): void;
}

/** The app and the draw section on the first worker: drawings are answered from here on. */
function answerDrawings(first: WorkerLink & { started: Started }, pad: DrawPad): Booted {
  markStartSteps(first.started.timings);
  performance.mark('model-ready');
  const app: App = { worker: first.api, model: first.started.model, testImages: null, map: null, onModelChanged: [] };
  let listener: (c: Classification | null) => void = () => undefined;
  const draw = setupDrawSection(app, pad, (c) => listener(c));
  return { first, app, draw, onDrawn: (l) => (listener = l) };
}

/** The worker's steps of starting as performance marks ("worker:wasm", …) on the page's clock,
 *  for the first-answer benchmark and the browser's performance tools. */
function markStartSteps(timings: Started['timings']): void {
  for (const [step, at] of Object.entries(timings)) {
    const startTime = at - performance.timeOrigin;
    if (startTime >= 0) performance.mark(`worker:${step}`, { startTime });
  }
}

const pad = setupPad();
let faultHandler: (fault: Fault) => void = () => undefined;
const choice = (localStorage.getItem(CHOICE_KEY) ?? 'auto') as BackendChoice;
const booted = startWorker(choice, (fault) => faultHandler(fault), startEarly()).then((first) => answerDrawings(first, pad));
booted.catch(() => undefined); // main.ts reports it
// The rest of the page loads once the model has answered the drawing made meanwhile, if any:
// parsing ECharts meanwhile would take the cores the wasm compiles and the drawing is encoded on
// (two here), and the first answer came later.
detach(
  booted
    .then((b) => b.draw.whenAnswered())
    .catch(() => undefined)
    .then(() => import('./main'))
    .then(({ main }) => main(booted, (handler) => (faultHandler = handler))),
  'The page could not start',
);
