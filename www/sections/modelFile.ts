// Export the model in use as a SafeTensors file, or import one (checked in full by the core: a
// bad file leaves the model in use).
import { modelChanged, type App } from '../shared/app';
import { byId, clearError, detach, showFailure } from '../shared/ui';

export interface ModelFile {
  /** Imports are taken only when enabled (not while a run is training the model in use). */
  setEnabled(enabled: boolean): void;
}

/** `onImported`: a new model replaced the one in use (a paused run cannot go on with it). */
export function setupModelFile(app: App, onImported: () => void): ModelFile {
  const importInput = byId<HTMLInputElement>('import-input');

  async function exportWeights(): Promise<void> {
    const bytes = await app.worker.exportWeights();
    const link = document.createElement('a');
    link.href = URL.createObjectURL(new Blob([bytes as Uint8Array<ArrayBuffer>], { type: 'application/octet-stream' }));
    link.download = `mixvae-k${app.model.config.components}-d${app.model.config.latent_dim}.safetensors`;
    link.click();
    setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
  }

  async function importWeights(file: File): Promise<void> {
    try {
      const bytes = new Uint8Array(await file.arrayBuffer());
      const model = await app.worker.loadWeights(bytes, file.name);
      clearError();
      modelChanged(app, model, 'loaded');
      onImported();
    } catch (error) {
      showFailure(`${file.name} was not loaded`, error, '. The model in use is unchanged.');
    } finally {
      importInput.value = '';
    }
  }

  byId('export-button').addEventListener('click', () => detach(exportWeights(), 'Could not export the weights'));
  importInput.addEventListener('change', () => {
    const file = importInput.files?.[0];
    if (file) detach(importWeights(file), `${file.name} was not loaded`);
  });
  return {
    setEnabled(enabled: boolean): void {
      importInput.disabled = !enabled;
      importInput.closest('label')?.classList.toggle('disabled', !enabled);
    },
  };
}
