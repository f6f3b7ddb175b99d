// Small page helpers: the error banner, element lookup, number formats.

export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const element = document.getElementById(id);
  if (!element) throw new Error(`#${id} is missing from the page`);
  return element as T;
}

export const percent = (x: number, digits = 1) => `${(100 * x).toFixed(digits)}%`;

/** A call cut short because its worker was replaced (after a fault, or to switch backend): the
 *  new worker takes over, so it is nothing to tell the user. */
export class WorkerReplaced extends Error {}

/** "What failed: why", in the error banner; a call cut short by a worker's replacement is not shown. */
export function showFailure(what: string, error: unknown, after = ''): void {
  if (error instanceof WorkerReplaced) return;
  showError(`${what}: ${messageOf(error)}${after}`);
}

export function showError(message: string): void {
  showBanner(message, 'error');
}

/** Something the user should know that is not a failure (a restart, a fallback). */
export function showNotice(message: string): void {
  showBanner(message, 'notice');
}

function showBanner(message: string, kind: 'error' | 'notice'): void {
  const banner = byId('error-banner');
  byId('error-text').textContent = message;
  banner.dataset.kind = kind;
  banner.setAttribute('role', kind === 'error' ? 'alert' : 'status');
  banner.hidden = false;
}

export function clearError(): void {
  byId('error-banner').hidden = true;
}

/** Runs work started by an event (a click, a model change) without awaiting it: a failure it did
 *  not handle itself still reaches the banner, so no rejection is left unheard. */
export function detach(work: Promise<unknown>, what: string): void {
  work.catch((error: unknown) => showFailure(what, error));
}

/** A Comlink error's message without the "Error: " prefix noise. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** "4.2 MB of 9.6 MB" (without a total: "4.2 MB"). */
export function downloaded(loaded: number, total: number | null): string {
  const mb = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;
  return total ? `${mb(loaded)} of ${mb(total)}` : mb(loaded);
}

export function seconds(s: number): string {
  if (!Number.isFinite(s)) return '…';
  const whole = Math.round(s);
  if (whole < 90) return `${whole} s`;
  return `${Math.floor(whole / 60)} min ${whole % 60} s`;
}
