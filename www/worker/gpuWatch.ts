// Watches the WebGPU devices the wasm engine creates (wgpu asks GPUAdapter.requestDevice, which
// is wrapped here before the engine starts) so that a lost device (driver reset, GPU removed,
// `device.destroy()`) reaches the page, which moves to the CPU and goes on from the saved model.

/** The devices requested in this worker, for the browser's console and the tests. */
export const gpuDevices: GPUDevice[] = [];

export function watchGpuDevices(onLost: (message: string) => void): void {
  const adapterClass = (globalThis as { GPUAdapter?: { prototype: GPUAdapter } }).GPUAdapter;
  if (!adapterClass) return;
  const requestDevice = adapterClass.prototype.requestDevice;
  adapterClass.prototype.requestDevice = async function (this: GPUAdapter, descriptor?: GPUDeviceDescriptor) {
    const device = await requestDevice.call(this, descriptor);
    gpuDevices.push(device);
    device.lost.then(
      (info) => onLost(info.message || `the GPU device was lost (${info.reason})`),
      () => undefined, // `lost` never rejects
    );
    return device;
  };
  (globalThis as { mixvaeGpuDevices?: GPUDevice[] }).mixvaeGpuDevices = gpuDevices;
}
