// Generate: one row per mixture component, samples of p(z|y) decoded; resample draws new noise,
// "same style" keeps one noise per column for every row, so only the component changes.
import type { App } from './app';
import { drawDigitGrid } from './images';
import { byId, messageOf, showError } from './ui';

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
      showError(`Could not generate digits: ${messageOf(error)}`);
    } finally {
      busy = false;
    }
  }

  byId('resample-button').addEventListener('click', () => {
    seed += 1;
    void render();
  });
  sameStyle.addEventListener('change', () => void render());
  app.onModelChanged.push((reason) => {
    if (reason !== 'step') void render();
  });
  void render();
}
