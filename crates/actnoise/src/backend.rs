//! The backend seam: the one place that names a backend. Library crates take `&Device`.

use std::fmt;

use anyhow::Result;
use burn::tensor::Device;
use serde::{Deserialize, Serialize};

use crate::config::SourceChoice;
use actnoise_nn::SourceKind;

/// A backend of Burn 0.22, chosen at run time. Each needs its cargo feature.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
#[value(rename_all = "kebab-case")]
pub enum BackendChoice {
    /// Burn's pure-Rust CPU backend (feature `flex`, on by default).
    Flex,
    /// The ndarray CPU backend (feature `ndarray`; deprecated in Burn 0.22, slow).
    Ndarray,
    /// WGPU: Vulkan/Metal/WebGPU GPUs, or Mesa's software Vulkan on a CPU (feature `wgpu`).
    Wgpu,
    /// LibTorch on the CPU (feature `tch`; see the README for building against PyTorch).
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

    /// True for backends that run on the host CPU.
    pub fn is_cpu(self) -> bool {
        matches!(self, BackendChoice::Flex | BackendChoice::Ndarray | BackendChoice::Tch)
    }

    /// The noise source `auto` resolves to.
    pub fn source(self, choice: SourceChoice) -> SourceKind {
        match choice {
            SourceChoice::Host => SourceKind::Host,
            SourceChoice::Device => SourceKind::Device,
            SourceChoice::Auto if self.is_cpu() => SourceKind::Host,
            SourceChoice::Auto => SourceKind::Device,
        }
    }
}

fn missing(choice: BackendChoice) -> anyhow::Error {
    let have: Vec<String> = compiled().iter().map(|b| b.to_string()).collect();
    anyhow::anyhow!(
        "backend `{choice}` was not compiled into this binary (it has: {}): rebuild with its \
         cargo feature, e.g. `cargo build --release -p actnoise --features {}` (see the \
         README's backend section)",
        have.join(", "),
        choice.feature()
    )
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
        other => Err(missing(other)),
    }
}

/// The backends compiled into this binary.
pub fn compiled() -> Vec<BackendChoice> {
    let mut v = Vec::new();
    if cfg!(feature = "flex") {
        v.push(BackendChoice::Flex);
    }
    if cfg!(feature = "ndarray") {
        v.push(BackendChoice::Ndarray);
    }
    if cfg!(feature = "wgpu") {
        v.push(BackendChoice::Wgpu);
    }
    if cfg!(feature = "tch") {
        v.push(BackendChoice::Tch);
        v.push(BackendChoice::TchCuda);
    }
    if cfg!(feature = "cuda") {
        v.push(BackendChoice::Cuda);
    }
    v
}
