// The page's link to the model's worker. A terminated worker never answers, so a Comlink call in
// flight would wait for ever: every call goes through a guard that fails it as soon as its worker
// is gone. A worker that could not start is replaced by one whose every call fails at once with
// the reason, so the page never waits on a dead worker.
import * as Comlink from 'comlink';
import type { BackendChoice } from '../worker/backend';
import type { Fault, WorkerApi } from '../worker/worker';
import type { EarlyStart } from './earlyStart';
import { WorkerReplaced } from './ui';

export type Started = Awaited<ReturnType<WorkerApi['start']>>;

/** Where the user's backend choice is remembered (localStorage). */
export const CHOICE_KEY = 'mixvae.backend';

export interface WorkerLink {
  api: Comlink.Remote<WorkerApi>;
  /** Ends the worker; its calls in flight fail with "the model's worker was replaced". */
  end(): void;
}

/** Calls of `api` that reject once `gone` does. */
function guarded(api: Comlink.Remote<WorkerApi>, gone: Promise<never>): Comlink.Remote<WorkerApi> {
  return new Proxy(api, {
    get(target, name) {
      if (typeof name !== 'string' || name === 'then') return undefined;
      const method = (target as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>)[name];
      return (...args: unknown[]) => Promise.race([method(...args), gone]);
    },
  });
}

/** A stand-in whose every call fails with `reason`. */
export function unavailable(reason: string): Comlink.Remote<WorkerApi> {
  return new Proxy({} as Comlink.Remote<WorkerApi>, {
    get: (_, name) => (name === 'then' ? undefined : () => Promise.reject(new Error(reason))),
  });
}

/** A fresh worker on `backend` with the saved model (or the shipped one) loaded. `onFault`
 *  hears of what ends it: an uncaught error, a lost GPU device, a crashed engine. `early`: the
 *  shipped weights, when the page asked for them first (boot.ts). */
export async function startWorker(
  backend: BackendChoice,
  onFault: (fault: Fault) => void,
  early: Promise<EarlyStart> = Promise.resolve({}),
): Promise<WorkerLink & { started: Started }> {
  performance.mark('worker-created');
  const worker = new Worker(new URL('../worker/worker.ts', import.meta.url), { type: 'module', name: 'mixvae' });
  let markGone: (error: Error) => void = () => undefined;
  const gone = new Promise<never>((_, reject) => (markGone = reject));
  gone.catch(() => undefined);
  const link: WorkerLink = {
    api: guarded(Comlink.wrap<WorkerApi>(worker), gone),
    end(): void {
      worker.terminate();
      markGone(new WorkerReplaced("the model's worker was replaced"));
    },
  };
  // An error nothing in the worker caught: the worker cannot be trusted any more.
  worker.addEventListener('error', (event) => onFault({ kind: 'crashed', message: event.message || 'the worker stopped' }));
  const dataBase = new URL('data/', document.baseURI).href;
  const measureFallback = new URLSearchParams(location.search).has('measure-backends');
  // A worker whose script cannot load (offline, a server gone) never answers `start`.
  const failedToLoad = new Promise<never>((_, reject) =>
    worker.addEventListener('error', (event) => reject(new Error(event.message || 'the worker could not load')), { once: true }),
  );
  failedToLoad.catch(() => undefined); // an error after the start is a fault, reported above
  try {
    const handed = await early; // the worker's script loads meanwhile
    if (handed.weights) Comlink.transfer(handed, [handed.weights.buffer as ArrayBuffer]);
    const started = await Promise.race([
      link.api.start(backend, dataBase, Comlink.proxy(onFault), measureFallback, handed),
      failedToLoad,
    ]);
    return { ...link, started };
  } catch (error) {
    link.end();
    throw error;
  }
}
