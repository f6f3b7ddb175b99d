// Injected before the worker's script in the test of going back to the shipped model mid-run:
// zero-delay timers (the training loop's pause between chunks) can be held, and the worker's
// IndexedDB writes and deletions are logged as they complete. Serialised with toString(), so
// self-contained.
export function holdWorkerLoop(scope) {
  const realSetTimeout = scope.setTimeout.bind(scope);
  let held = null;
  scope.__holdLoop = () => {
    held = new Promise((resolve) => (scope.__releaseLoop = resolve));
  };
  scope.setTimeout = (callback, ms, ...args) => {
    if (held && !ms) return void held.then(() => realSetTimeout(callback, 0, ...args));
    return realSetTimeout(callback, ms, ...args);
  };
  scope.__storeLog = [];
  let listeners = [];
  scope.__whenLogged = (count) =>
    new Promise((resolve) => {
      listeners.push(() => scope.__storeLog.length >= count && resolve([...scope.__storeLog]));
      listeners.at(-1)();
    });
  for (const operation of ['put', 'delete']) {
    const original = scope.IDBObjectStore.prototype[operation];
    scope.IDBObjectStore.prototype[operation] = function (...args) {
      const request = original.apply(this, args);
      request.transaction.addEventListener('complete', () => {
        scope.__storeLog.push(operation);
        for (const listener of listeners) listener();
      });
      return request;
    };
  }
}
