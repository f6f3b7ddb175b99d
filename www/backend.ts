// Which backend the worker runs on, and why. WebGPU when the browser offers a real adapter; the
// CPU (burn's flex, in wasm) when WebGPU is missing or only a software fallback, which on a
// machine without a GPU is ~25x slower than the CPU (see shared NOTES).

export type BackendChoice = 'auto' | 'webgpu' | 'cpu';

export interface BackendDecision {
  backend: 'webgpu' | 'cpu';
  reason: string;
}

export async function chooseBackend(choice: BackendChoice): Promise<BackendDecision> {
  if (choice === 'cpu') return { backend: 'cpu', reason: 'CPU chosen on this page' };
  const gpu = (navigator as Navigator & { gpu?: GPU }).gpu;
  if (!gpu) return { backend: 'cpu', reason: 'this browser has no WebGPU' };
  let adapter: GPUAdapter | null = null;
  try {
    adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  } catch {
    adapter = null;
  }
  if (!adapter) return { backend: 'cpu', reason: 'WebGPU offers no adapter here' };
  const info = adapter.info;
  const fallback =
    (info as GPUAdapterInfo & { isFallbackAdapter?: boolean }).isFallbackAdapter ??
    (adapter as GPUAdapter & { isFallbackAdapter?: boolean }).isFallbackAdapter ??
    false;
  const name = [info.vendor, info.architecture, info.description].filter(Boolean).join(' ') || 'unnamed adapter';
  if (fallback && choice === 'auto') {
    return { backend: 'cpu', reason: `the only WebGPU adapter is a software fallback (${name}), far slower than the CPU` };
  }
  return { backend: 'webgpu', reason: fallback ? `software WebGPU (${name}), chosen on this page` : `GPU: ${name}` };
}
