//! `--backend cpu|wgpu`: which of burn's devices a command runs on.

use burn::tensor::Device;
use clap::{Args, ValueEnum};

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Backend {
    /// burn flex on this machine's CPU cores.
    Cpu,
    /// burn's wgpu backend: the WGSL kernels the page runs on WebGPU, here natively on the GPU
    /// through Vulkan, Metal or DX12 (or a software Vulkan such as Mesa's lavapipe).
    Wgpu,
}

#[derive(Args, Clone, Debug)]
pub struct BackendArgs {
    /// Where tensors live: cpu (burn flex) or wgpu (the GPU, through the browser's kernels).
    #[arg(long, value_enum, default_value_t = Backend::Cpu)]
    pub backend: Backend,
}

/// A device ready for tensors, and what it is, in words.
pub struct OpenedDevice {
    pub device: Device,
    pub backend: Backend,
    /// The CPU model, or the GPU adapter's name, API and driver.
    pub name: String,
}

impl BackendArgs {
    pub fn open(&self) -> Result<OpenedDevice, String> {
        match self.backend {
            Backend::Cpu => Ok(OpenedDevice { device: Device::flex(), backend: Backend::Cpu, name: cpu_name() }),
            Backend::Wgpu => {
                let (device, setup) = Device::wgpu_options().init_with_setup().map_err(|e| {
                    format!("no GPU through wgpu: {e} (a Vulkan, Metal or DX12 driver is needed; try --backend cpu)")
                })?;
                let info = setup.adapter.get_info();
                let name = format!("{} ({:?}, {} {})", info.name, info.backend, info.driver, info.driver_info);
                Ok(OpenedDevice { device, backend: Backend::Wgpu, name: name.trim().to_string() })
            }
        }
    }
}

pub fn cpu_name() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find(|l| l.starts_with("model name"))
                .map(|l| l.split(':').nth(1).unwrap_or("").trim().to_string())
        })
        .unwrap_or_else(|| "unknown".into())
}
