use std::collections::VecDeque;

use actnoise_dist::{Law, ScaledNoise, Uniform};
use burn::tensor::{Bool, Device, Distribution, Tensor, TensorData};
use rayon::prelude::*;

use crate::{NnError, Result};

/// Which generator a run draws its noise from (`noise_source` in configs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum SourceKind {
    /// actnoise's host generator: the same numbers on every backend; the fast one on CPUs.
    #[default]
    Host,
    /// The backend's generator (for GPUs, where uploading host draws would cost bandwidth).
    Device,
}

/// Where the noise of a forward pass comes from.
///
/// - [`NoiseSource::Device`]: drawn on the device by the backend's own generator (fast on GPUs;
///   seed it with `device.seed(..)`; each backend has its own generator, so two backends do
///   not draw the same numbers).
/// - [`NoiseSource::Host`]: drawn on the host by actnoise's counter-based generator
///   ([`ScaledNoise::fill_host`]) and uploaded. For a given seed every backend receives the
///   *same* numbers, whatever the thread count — the source for cross-backend checks, and on
///   CPU backends the fast one.
/// - [`NoiseSource::Injected`]: tensors supplied by the caller, consumed one per noised layer
///   and forward call, in layer order.
#[derive(Debug, Clone)]
pub enum NoiseSource {
    /// The backend's generator.
    Device,
    /// actnoise's host generator.
    Host {
        /// Seed of the whole stream.
        seed: u64,
        /// Index of the next draw (each layer of each call takes one).
        next_stream: u64,
    },
    /// actnoise's host generator with one stream per row: row `r` of every layer's draw comes
    /// from stream `derive_seed(key_r, layer)` and is multiplied by `sign_r` (±1, for
    /// antithetic pairs). A draw so depends only on its row's key, not on how rows are batched
    /// or chunked: the sampler keys rows by (image, draw index).
    HostKeyed {
        /// Seed of the whole stream.
        seed: u64,
        /// `(key, sign)` of each row, in row order.
        rows: Vec<(u64, f32)>,
        /// Index of the next noised layer.
        next_layer: u64,
    },
    /// Caller-supplied draws: for additive layers the noise to add (already scaled by α), for
    /// negate and dropout layers a 0/1 mask (1 = dropped), each of the layer's full shape.
    Injected(VecDeque<TensorData>),
}

impl NoiseSource {
    /// A host source starting at stream 0.
    pub fn host(seed: u64) -> Self {
        NoiseSource::Host { seed, next_stream: 0 }
    }

    fn take_injected(queue: &mut VecDeque<TensorData>, shape: [usize; 4]) -> Result<TensorData> {
        let data = queue.pop_front().ok_or_else(|| {
            NnError::Injected("no injected tensor left for a noised layer".into())
        })?;
        if data.shape().as_slice() != shape.as_slice() {
            return Err(NnError::Injected(format!(
                "injected tensor has shape {:?}, the layer needs {shape:?}",
                data.shape()
            )));
        }
        Ok(data)
    }

    fn host_fill(seed: u64, next_stream: &mut u64, noise: &ScaledNoise, len: usize) -> Vec<f32> {
        let mut out = vec![0.0f32; len];
        noise.fill_host(seed, *next_stream, &mut out);
        *next_stream += 1;
        out
    }

    /// Additive noise α·z̄ of `shape`.
    pub fn additive(
        &mut self,
        noise: &ScaledNoise,
        shape: [usize; 4],
        device: &Device,
    ) -> Result<Tensor<4>> {
        Ok(match self {
            NoiseSource::Device => noise.sample_device(shape, device),
            NoiseSource::Host { seed, next_stream } => {
                let len = shape.iter().product();
                let v = Self::host_fill(*seed, next_stream, noise, len);
                Tensor::from_data(TensorData::new(v, shape), device)
            }
            NoiseSource::HostKeyed { seed, rows, next_layer } => {
                let v = Self::keyed_fill(*seed, rows, next_layer, noise, shape, true)?;
                Tensor::from_data(TensorData::new(v, shape), device)
            }
            NoiseSource::Injected(q) => Tensor::from_data(Self::take_injected(q, shape)?, device),
        })
    }

    fn keyed_fill(
        seed: u64,
        rows: &[(u64, f32)],
        next_layer: &mut u64,
        noise: &ScaledNoise,
        shape: [usize; 4],
        signed: bool,
    ) -> Result<Vec<f32>> {
        if rows.len() != shape[0] {
            return Err(NnError::Injected(format!(
                "keyed host source has {} row keys for a batch of {} rows",
                rows.len(),
                shape[0]
            )));
        }
        let per: usize = shape[1..].iter().product();
        let mut v = vec![0.0f32; rows.len() * per];
        let layer = *next_layer;
        // Rows are independent streams: fill them in parallel (the numbers do not depend on it).
        v.par_chunks_mut(per.max(1)).zip(rows).for_each(|(chunk, &(key, sign))| {
            noise.fill_host(seed, derive_seed(&[key, layer]), chunk);
            if signed && sign < 0.0 {
                chunk.iter_mut().for_each(|x| *x = -*x);
            }
        });
        *next_layer += 1;
        Ok(v)
    }

    /// A Bernoulli(p) mask of `shape` (true = the neuron is dropped).
    pub fn mask(&mut self, p: f64, shape: [usize; 4], device: &Device) -> Result<Tensor<4, Bool>> {
        Ok(match self {
            NoiseSource::Device => {
                Tensor::<4>::random(shape, Distribution::Bernoulli(p), device).greater_elem(0.5)
            }
            NoiseSource::Host { seed, next_stream } => {
                // u ~ U(-1/2, 1/2) from the same counter-based generator; dropped iff u < p - 1/2.
                let unit = unit_uniform();
                let len = shape.iter().product();
                let u = Self::host_fill(*seed, next_stream, &unit, len);
                let cut = (p - 0.5) as f32;
                let m: Vec<bool> = u.into_iter().map(|x| x < cut).collect();
                Tensor::from_data(TensorData::new(m, shape), device)
            }
            NoiseSource::HostKeyed { seed, rows, next_layer } => {
                let u = Self::keyed_fill(*seed, rows, next_layer, &unit_uniform(), shape, false)?;
                let cut = (p - 0.5) as f32;
                let m: Vec<bool> = u.into_iter().map(|x| x < cut).collect();
                Tensor::from_data(TensorData::new(m, shape), device)
            }
            NoiseSource::Injected(q) => {
                Tensor::<4>::from_data(Self::take_injected(q, shape)?, device).greater_elem(0.5)
            }
        })
    }
}

/// U(−½, ½), from which host masks are cut.
fn unit_uniform() -> ScaledNoise {
    ScaledNoise::new(Law::Uniform(Uniform::new(1.0).expect("width 1 is valid")), 1.0, false)
        .expect("alpha 1 is valid")
}

/// A 64-bit mix of several integers (the SplitMix64 finaliser, chained): derives the seed of
/// each (epoch, class, step) or (image, draw, layer) so that draws depend only on their key
/// and no generator state needs saving.
pub fn derive_seed(parts: &[u64]) -> u64 {
    let mut h = 0x9E37_79B9_7F4A_7C15u64;
    for &p in parts {
        h ^= p.wrapping_add(0x9E37_79B9_7F4A_7C15).wrapping_add(h << 6).wrapping_add(h >> 2);
        h = (h ^ (h >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        h = (h ^ (h >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        h ^= h >> 31;
    }
    h
}
