// Generate: one row per mixture component, samples of p(z|y) decoded; resample draws new noise,
// "same style" keeps one noise per column for every row, so only the component changes.
import type { App } from '../shared/app';
import { drawDigitGrid } from '../shared/images';
import { byId, detach, showFailure } from '../shared/ui';

const PER_COMPONENT = 8;

export function setupGenerateSection(app: App): void {
  const canvas = byId<HTMLCanvasElement>('generate-grid');
  const sameStyle = byId<HTMLInputElement>('same-style');
  const labels = byId<HTMLOListElement>('generate-labels');
  let seed = 1;
  let busy = false;

  async function render(): Promise<void> {
    if (busy) return;
    busy = true;
    try {
      const k = app.model.config.components;
      const images = await app.worker.generate(PER_COMPONENT, seed, sameStyle.checked);
      drawDigitGrid(canvas, images, k, PER_COMPONENT);
      canvas.dataset.rows = String(k);
      canvas.dataset.seed = String(seed);
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
    if (reason !== 'step') detach(render(), 'Could not generate digits');
  });
  detach(render(), 'Could not generate digits');
}
