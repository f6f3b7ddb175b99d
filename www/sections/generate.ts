// Generate: one row per mixture component, samples of p(z|y) decoded; resample draws new noise,
// "same style" keeps one noise per column for every row, so only the component changes. During
// training the grid follows the model every few seconds.
import type { App } from '../shared/app';
import { drawDigitGrid } from '../shared/images';
import { byId, detach, showFailure } from '../shared/ui';

const PER_COMPONENT = 8;
/** How often the grid follows a model in training (a K x 8 grid decodes in a few ms). */
const LIVE_REFRESH_MS = 3000;

export function setupGenerateSection(app: App): void {
  const canvas = byId<HTMLCanvasElement>('generate-grid');
  const sameStyle = byId<HTMLInputElement>('same-style');
  const labels = byId<HTMLOListElement>('generate-labels');
  let seed = 1;
  let busy = false;
  let renderedAt = 0;

  async function render(): Promise<void> {
    if (busy) return;
    busy = true;
    renderedAt = performance.now();
    try {
      const k = app.model.config.components;
      const images = await app.worker.generate(PER_COMPONENT, seed, sameStyle.checked);
      drawDigitGrid(canvas, images, k, PER_COMPONENT);
      canvas.dataset.rows = String(k);
      canvas.dataset.seed = String(seed);
      canvas.dataset.renders = String(Number(canvas.dataset.renders ?? 0) + 1);
      labels.replaceChildren(
        ...Array.from({ length: k }, (_, y) => {
          const item = document.createElement('li');
          const m = app.model.majority[y];
          item.textContent = m ? `${y} · ${m[0]}s` : `${y}`;
          item.style.setProperty('--rows', String(k));
          return item;
        }),
      );
    } catch (error) {
      showFailure('Could not generate digits', error);
    } finally {
      busy = false;
    }
  }

  byId('resample-button').addEventListener('click', () => {
    seed += 1;
    detach(render(), 'Could not generate digits');
  });
  sameStyle.addEventListener('change', () => detach(render(), 'Could not generate digits'));
  app.onModelChanged.push((reason) => {
    if (reason !== 'step' || performance.now() - renderedAt > LIVE_REFRESH_MS) detach(render(), 'Could not generate digits');
  });
  detach(render(), 'Could not generate digits');
}
