//! The backend seam: the one place that names a backend (the same choices and the same
//! `select_device` as the `actnoise` runner, which this crate may not depend on).

use std::fmt;

use anyhow::Result;
use burn::tensor::Device;

/// A backend of Burn 0.22, chosen at run time. Each needs its cargo feature.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
#[value(rename_all = "kebab-case")]
pub enum BackendChoice {
    /// Burn's pure-Rust CPU backend (feature `flex`, on by default): the reference.
    Flex,
    /// The ndarray CPU backend (feature `ndarray`; deprecated in Burn 0.22, slow).
    Ndarray,
    /// WGPU: Vulkan/Metal/WebGPU GPUs, or Mesa's software Vulkan on a CPU (feature `wgpu`).
    Wgpu,
    /// LibTorch on the CPU (feature `tch`).
    Tch,
    /// LibTorch on a CUDA GPU (feature `tch`).
    TchCuda,
    /// CubeCL CUDA (feature `cuda`).
    Cuda,
}

impl fmt::Display for BackendChoice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            BackendChoice::Flex => "flex",
            BackendChoice::Ndarray => "ndarray",
            BackendChoice::Wgpu => "wgpu",
            BackendChoice::Tch => "tch",
            BackendChoice::TchCuda => "tch-cuda",
            BackendChoice::Cuda => "cuda",
        })
    }
}

impl BackendChoice {
    /// The cargo feature that compiles this backend in.
    pub fn feature(self) -> &'static str {
        match self {
            BackendChoice::Flex => "flex",
            BackendChoice::Ndarray => "ndarray",
            BackendChoice::Wgpu => "wgpu",
            BackendChoice::Tch | BackendChoice::TchCuda => "tch",
            BackendChoice::Cuda => "cuda",
        }
    }
}

/// The device of `choice` (GPU `index` where it applies), or an error naming the cargo
/// feature to add.
#[allow(deprecated)] // ndarray and tch are deprecated in Burn 0.22 but still supported here
pub fn select_device(choice: BackendChoice, index: usize) -> Result<Device> {
    let _ = index;
    match choice {
        #[cfg(feature = "flex")]
        BackendChoice::Flex => Ok(Device::flex()),
        #[cfg(feature = "ndarray")]
        BackendChoice::Ndarray => Ok(Device::ndarray()),
        #[cfg(feature = "wgpu")]
        BackendChoice::Wgpu => Ok(Device::wgpu(burn::tensor::DeviceKind::DefaultDevice)),
        #[cfg(feature = "tch")]
        BackendChoice::Tch => Ok(Device::libtorch()),
        #[cfg(feature = "tch")]
        BackendChoice::TchCuda => Ok(Device::libtorch_cuda(index)),
        #[cfg(feature = "cuda")]
        BackendChoice::Cuda => Ok(Device::cuda(index)),
        #[allow(unreachable_patterns)]
        other => Err(anyhow::anyhow!(
            "backend `{other}` was not compiled into this binary: rebuild with its cargo \
             feature, e.g. `cargo run --release -p actnoise-backend-tests --features {} -- \
             --backend {other}` (see docs/BACKENDS.md)",
            other.feature()
        )),
    }
}
