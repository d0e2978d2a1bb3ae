//! Weights and images that do not depend on the backend: drawn on the host from seeded
//! generators and uploaded with `Tensor::from_data`.

use actnoise_nn::{AutoencoderConfig, ClassBank, derive_seed};
use burn::module::{Module, ModuleMapper, Param};
use burn::tensor::{Device, Tensor, TensorData};
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

/// Half-width of the uniform law of every bias.
const BIAS_BOUND: f32 = 0.05;

/// Replaces every float parameter by host draws: parameter `i` (in module order) gets
/// U(−b, b) values from the generator seeded with `derive_seed([seed, i])`, with
/// `b = 1/√fan_in` for weights (`fan_in` = the product of all dimensions but the first, as in
/// PyTorch's default) and `b =` [`BIAS_BOUND`] for biases.
struct HostWeights {
    seed: u64,
    next: u64,
}

impl ModuleMapper for HostWeights {
    fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
        let index = self.next;
        self.next += 1;
        let seed = self.seed;
        param.map(|tensor| {
            let dims = tensor.dims();
            let bound = if D >= 2 {
                1.0 / (dims[1..].iter().product::<usize>() as f32).sqrt()
            } else {
                BIAS_BOUND
            };
            let len = dims.iter().product();
            let values = uniform(derive_seed(&[seed, index]), len, -bound, bound);
            Tensor::from_data(TensorData::new(values, dims), &tensor.device())
        })
    }
}

/// `len` U(lo, hi) values from the generator seeded with `seed`.
pub fn uniform(seed: u64, len: usize, lo: f32, hi: f32) -> Vec<f32> {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    (0..len).map(|_| rng.random_range(lo..hi)).collect()
}

/// A bank of `classes` autoencoders of architecture `config` on `device`, every weight drawn
/// on the host from `seed` (so every backend gets the same numbers).
pub fn bank(config: &AutoencoderConfig, classes: usize, seed: u64, device: &Device) -> ClassBank {
    let bank = config.init_bank(classes, device).expect("the fixed architecture is valid");
    bank.map(&mut HostWeights { seed, next: 0 })
}

/// `n` images of shape `shape` with pixels in [0, 1], as flat host data: a smooth per-image
/// pattern plus uniform noise, so reconstructions and energies differ between images.
pub fn images(n: usize, shape: [usize; 3], seed: u64) -> Vec<f32> {
    let [c, h, w] = shape;
    let noise = uniform(seed, n * c * h * w, -0.2, 0.2);
    let mut out = Vec::with_capacity(noise.len());
    for i in 0..n {
        for ch in 0..c {
            for y in 0..h {
                for x in 0..w {
                    let phase = (i * 7 + ch * 3) as f32;
                    let base = 0.5
                        + 0.25 * ((x as f32 + phase) * 0.3).sin()
                        + 0.15 * ((y as f32 - phase) * 0.2).cos();
                    let z = noise[out.len()];
                    out.push((base + z).clamp(0.0, 1.0));
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn small() -> AutoencoderConfig {
        AutoencoderConfig { channels: vec![2, 3], image_size: 8, ..AutoencoderConfig::default() }
    }

    #[test]
    fn bank_weights_depend_only_on_the_seed() {
        let device = Device::flex();
        let a = bank(&small(), 2, 5, &device).class_tensors(1);
        let b = bank(&small(), 2, 5, &device).class_tensors(1);
        let c = bank(&small(), 2, 6, &device).class_tensors(1);
        assert_eq!(a, b);
        assert_ne!(a, c);
        // Weights stay inside their PyTorch-style bound 1/√fan_in, biases inside BIAS_BOUND.
        for (name, shape, values) in &a {
            let bound = if name.ends_with(".bias") {
                BIAS_BOUND
            } else {
                1.0 / (shape[1..].iter().product::<usize>() as f32).sqrt()
            };
            assert!(values.iter().all(|v| v.abs() <= bound), "{name}");
            assert!(values.iter().any(|v| v.abs() > bound / 2.0), "{name}");
        }
    }

    #[test]
    fn images_are_in_the_unit_interval_and_seeded() {
        let a = images(3, [3, 8, 8], 1);
        assert_eq!(a.len(), 3 * 3 * 64);
        assert!(a.iter().all(|v| (0.0..=1.0).contains(v)));
        assert_eq!(a, images(3, [3, 8, 8], 1));
        assert_ne!(a, images(3, [3, 8, 8], 2));
    }
}
