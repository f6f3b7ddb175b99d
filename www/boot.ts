// The page's entry, kept small so that it runs at once: the pad takes ink and the model's worker
// starts (the wasm streams and compiles) while the rest of the page (main.ts, with ECharts) loads.
import { DrawPad } from './shared/drawPad';
import { byId, detach } from './shared/ui';
import { CHOICE_KEY, startWorker } from './shared/workerLink';
import type { BackendChoice } from './worker/backend';
import type { Fault } from './worker/worker';

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

const pad = setupPad();
let faultHandler: (fault: Fault) => void = () => undefined;
const choice = (localStorage.getItem(CHOICE_KEY) ?? 'auto') as BackendChoice;
const starting = startWorker(choice, (fault) => faultHandler(fault));
starting.catch(() => undefined); // main.ts reports it
detach(
  import('./main').then(({ main }) => main(pad, starting, (handler) => (faultHandler = handler))),
  'The page could not start',
);
