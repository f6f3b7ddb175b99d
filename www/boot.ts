// The page's entry, kept small so that it runs at once: the pad takes ink, the weights download
// (earlyStart.ts), then the model's worker starts and compiles the wasm. A drawing is
// answered as soon as the weights are in (firstAnswer.ts), then by the worker once it is ready,
// while the rest of the page (main.ts, with ECharts) loads.
import { clearResult, setupDrawSection, showAnswer } from './sections/draw';
import type { App } from './shared/app';
import type { Booted } from './shared/booted';
import { DrawPad } from './shared/drawPad';
import { startEarly } from './shared/earlyStart';
import { SHIPPED_SUMMARY } from './shared/shippedModel';
import type { FirstAnswerModel } from './shared/firstAnswer';
import { byId, detach } from './shared/ui';
import { CHOICE_KEY, startWorker, type Started, type WorkerLink } from './shared/workerLink';
import type { BackendChoice } from './worker/backend';
import type { Classification, Fault } from './worker/worker';

/** The pad takes ink from first paint. */
function setupPad(): DrawPad {
  const pad = new DrawPad(byId<HTMLCanvasElement>('draw-canvas'));
  byId('clear-button').addEventListener('click', () => pad.clear());
  byId('undo-button').addEventListener('click', () => pad.undo());
  performance.mark('pad-ready');
  return pad;
}

/** Until the worker answers (sections/draw.ts takes the pad over), drawings are answered by the
 *  shipped model in TypeScript once its weights are in, or kept until then. The answer is
 *  marked pending: the worker's, for the same drawing, is still to come. */
function answerFirst(pad: DrawPad, model: Promise<FirstAnswerModel | null>): void {
  const result = byId('cluster-result');
  const majority = (JSON.parse(SHIPPED_SUMMARY) as { cluster_majority: Booted['app']['model']['majority'] }).cluster_majority;
  let ready: FirstAnswerModel | null = null;
  const answer = (): void => {
    if (pad.onChange !== answer) return; // the worker answers now
    if (pad.isEmpty) {
      clearResult();
      delete result.dataset.pending;
      return;
    }
    const { ink, width, height } = pad.ink();
    let c = null;
    try {
      c = ready?.classify(ink, width, height);
    } catch (error) {
      console.warn('the first answer failed; the worker answers once it is ready', error);
    }
    if (!c) {
      result.textContent = 'Your drawing is kept: it is answered as soon as the model is ready…';
      return;
    }
    showAnswer(c, majority);
    result.dataset.answeredBy = 'first-answer';
    result.dataset.pending = 'true';
  };
  pad.onChange = answer;
  model
    .then((m) => {
      ready = m;
      if (!pad.isEmpty) answer();
    })
    .catch(() => undefined); // never rejects (earlyStart.ts); the worker answers then
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
const early = startEarly();
answerFirst(pad, early.firstAnswer);
let faultHandler: (fault: Fault) => void = () => undefined;
const choice = (localStorage.getItem(CHOICE_KEY) ?? 'auto') as BackendChoice;
// Where WebGPU is chosen, the first worker answers on the CPU build (a fifth of the WebGPU
// build's size) and main.ts moves the page to the WebGPU build once it has compiled.
const handOver = early.handOver.then((handed) => ({ ...handed, quickStart: true }));
const booted = startWorker(choice, (fault) => faultHandler(fault), handOver).then((first) => answerDrawings(first, pad));
booted.catch(() => undefined); // main.ts reports it
// The rest of the page loads once the worker has answered the drawing made meanwhile, if any:
// parsing ECharts meanwhile would take the cores the wasm compiles on and hold the worker back.
detach(
  booted
    .then((b) => b.draw.whenAnswered())
    .catch(() => undefined)
    .then(() => import('./main'))
    .then(({ main }) => main(booted, (handler) => (faultHandler = handler))),
  'The page could not start',
);
