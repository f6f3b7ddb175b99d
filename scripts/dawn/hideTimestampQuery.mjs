// Makes every WebGPU adapter in `scope` (a global object with GPU and GPUAdapter) look as if it
// lacked the `timestamp-query` feature, as some browsers' and drivers' adapters do: the adapters
// `requestAdapter` gives list features without it, and `requestDevice` refuses to enable it.
// Self-contained (no imports, no outer names), so a test can also inject its source into the
// page's worker (tests/e2e/faults.test.mjs).
export function hideTimestampQuery(scope) {
  const HIDDEN = 'timestamp-query';
  const { requestAdapter } = scope.GPU.prototype;
  scope.GPU.prototype.requestAdapter = async function (options) {
    const adapter = await requestAdapter.call(this, options);
    if (adapter) {
      const features = new Set([...adapter.features].filter((name) => name !== HIDDEN));
      Object.defineProperty(adapter, 'features', { value: features, configurable: true });
    }
    return adapter;
  };
  const { requestDevice } = scope.GPUAdapter.prototype;
  scope.GPUAdapter.prototype.requestDevice = function (descriptor = {}) {
    if ([...(descriptor.requiredFeatures ?? [])].includes(HIDDEN)) {
      return Promise.reject(new TypeError(`requestDevice: '${HIDDEN}' is not supported by this adapter`));
    }
    return requestDevice.call(this, descriptor);
  };
}
