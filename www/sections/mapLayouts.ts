// The map's layouts besides PCA: UMAP of the codes, computed in a layout worker of its own
// (www/worker/layout.ts) once per map, with the layout shown as it forms. A new map while one is
// still being laid out ends that worker (it cannot be interrupted between its steps otherwise).
import * as Comlink from 'comlink';
import { WorkerReplaced } from '../shared/ui';
import type { LayoutApi } from '../worker/layout';
import type { MapView } from '../worker/worker';

export type LayoutName = 'pca' | 'umap';

interface Running {
  worker: Worker;
  api: Comlink.Remote<LayoutApi>;
  cancel: (error: Error) => void;
  cancelled: Promise<never>;
}

export class UmapLayouts {
  private running: Running | null = null;
  private forMap: MapView | null = null;
  private layout: Promise<Float32Array> | null = null;

  /** `map`'s UMAP positions (`[n, 2]`), computed once per map; `onFrame` sees it form. */
  positions(map: MapView, onFrame: (positions: Float32Array, done: number) => void): Promise<Float32Array> {
    if (this.forMap === map && this.layout) return this.layout;
    if (this.layout) this.stop(); // a layout of an older map is under way
    const running = this.start();
    this.forMap = map;
    const codes = map.codes.slice(); // the map keeps its own
    const computed = running.api.umap(
      Comlink.transfer(codes, [codes.buffer]),
      map.latent_dim,
      Comlink.proxy((frame: Float32Array, done: number) => onFrame(frame, done)),
    );
    this.layout = Promise.race([computed, running.cancelled]);
    this.layout.catch(() => {
      if (this.forMap === map) this.forget();
    });
    return this.layout;
  }

  /** The UMAP layout of `map` if it is done, else null. */
  async ready(map: MapView): Promise<Float32Array | null> {
    if (this.forMap !== map || !this.layout) return null;
    return this.layout.catch(() => null);
  }

  /** Where a code lands on the last layout (its nearest codes' mean position). */
  async place(code: Float32Array): Promise<[number, number] | null> {
    if (!this.running || !this.layout) return null;
    await this.layout;
    return this.running.api.place(code);
  }

  /** The share of each point's nearest neighbours on `positions` that share its label. */
  agreement(positions: Float32Array, labels: Uint8Array): Promise<number> {
    const running = this.running ?? this.start();
    return running.api.neighbourAgreement(positions, labels);
  }

  private start(): Running {
    const worker = new Worker(new URL('../worker/layout.ts', import.meta.url), { type: 'module', name: 'mixvae-layout' });
    let cancel: (error: Error) => void = () => undefined;
    const cancelled = new Promise<never>((_, reject) => (cancel = reject));
    cancelled.catch(() => undefined);
    this.running = { worker, api: Comlink.wrap<LayoutApi>(worker), cancel, cancelled };
    return this.running;
  }

  private stop(): void {
    this.running?.worker.terminate();
    this.running?.cancel(new WorkerReplaced('a newer map replaced this layout'));
    this.running = null;
    this.forget();
  }

  private forget(): void {
    this.forMap = null;
    this.layout = null;
  }
}
