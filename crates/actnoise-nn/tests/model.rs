//! Behaviour of the noisy autoencoder and the class bank on the CPU backend (flex).

use std::collections::VecDeque;

use actnoise_dist::{Gaussian, Law, NoiseKind, NoiseSpec, ScaledNoise};
use actnoise_nn::{AutoencoderConfig, DrawSharing, LayerNoise, NoisePlan, NoiseSource, Placement};
use burn::tensor::{Device, Distribution, Tensor, TensorData};

fn device() -> Device {
    Device::flex()
}

fn small_config() -> AutoencoderConfig {
    AutoencoderConfig { channels: vec![4, 6, 8], in_channels: 3, ..AutoencoderConfig::default() }
}

fn images(b: usize, cin: usize, seed: u64) -> Tensor<4> {
    let d = device();
    d.seed(seed);
    Tensor::random([b, cin, 32, 32], Distribution::Uniform(0.0, 1.0), &d)
}

fn gaussian(alpha: f64) -> LayerNoise {
    LayerNoise::Additive(
        ScaledNoise::new(Law::Gaussian(Gaussian::new(0.0, 1.0).unwrap()), alpha, false).unwrap(),
    )
}

fn max_abs_diff<const D: usize>(a: Tensor<D>, b: Tensor<D>) -> f32 {
    (a - b).abs().max().into_scalar::<f32>()
}

#[test]
fn config_layer_shapes_are_the_papers() {
    let cfg = AutoencoderConfig::default();
    assert_eq!(
        cfg.layer_shapes(),
        vec![[30, 16, 16], [73, 8, 8], [100, 4, 4], [73, 8, 8], [30, 16, 16], [3, 32, 32]]
    );
}

#[test]
fn config_rejects_bad_values_naming_the_key() {
    let cfg = AutoencoderConfig { image_size: 30, ..AutoencoderConfig::default() };
    assert!(cfg.validate().unwrap_err().to_string().contains("image_size"));
    let cfg = AutoencoderConfig { channels: vec![], ..AutoencoderConfig::default() };
    assert!(cfg.validate().unwrap_err().to_string().contains("channels"));
}

#[test]
fn forward_output_has_input_shape_for_every_layer_count() {
    for channels in [vec![5], vec![5, 7], vec![30, 73, 100]] {
        let cfg = AutoencoderConfig { channels, in_channels: 1, ..AutoencoderConfig::default() };
        let bank = cfg.init_bank(2, &device()).unwrap();
        let x = images(3, 2, 1); // two classes × one grey channel
        let plan = NoisePlan::off(bank.num_layers());
        let y = bank.forward_grouped(x, &plan, &mut NoiseSource::Device).unwrap();
        assert_eq!(y.dims(), [3, 2, 32, 32]);
    }
}

#[test]
fn alpha_zero_noise_is_bit_identical_to_noiseless() {
    let bank = small_config().init_bank(3, &device()).unwrap();
    let x = images(4, 3, 2);
    let off = NoisePlan::off(6);
    let zero = NoisePlan::per_layer(vec![Some(gaussian(0.0)); 6]);
    let a =
        bank.forward_shared(x.clone(), &off, &mut NoiseSource::Device, DrawSharing::Independent);
    let b = bank.forward_shared(x, &zero, &mut NoiseSource::host(7), DrawSharing::Independent);
    assert_eq!(a.unwrap().into_data(), b.unwrap().into_data());
}

#[test]
fn plan_from_alpha_zero_is_off() {
    let kind = NoiseKind::try_from(NoiseSpec::default()).unwrap();
    let plan = NoisePlan::uniform(&kind, 0.0, false, &Placement::Full, 6).unwrap();
    assert!(plan.is_off());
    let plan = NoisePlan::uniform(&kind, 0.9, false, &Placement::Full, 6).unwrap();
    assert!(!plan.is_off());
}

#[test]
fn placement_masks() {
    let m = |p: &str| p.parse::<Placement>().unwrap().mask(6).unwrap();
    assert_eq!(m("full"), vec![true; 6]);
    assert_eq!(m("full-except-output"), vec![true, true, true, true, true, false]);
    assert_eq!(m("odd"), vec![true, false, true, false, true, false]);
    assert_eq!(m("even"), vec![false, true, false, true, false, true]);
    assert_eq!(m("encoder"), vec![true, true, true, false, false, false]);
    assert_eq!(m("decoder"), vec![false, false, false, true, true, true]);
    assert_eq!(m("layers:2,6"), vec![false, true, false, false, false, true]);
    assert!("layers:7".parse::<Placement>().unwrap().mask(6).is_err());
    assert!("middle".parse::<Placement>().unwrap_err().to_string().contains("middle"));
}

/// Injects a recognisable tensor (constant per layer) for each noised layer: placement `odd`
/// must consume exactly the draws of layers 1, 3, 5, with their shapes, and give the same
/// output as noising those layers by hand.
#[test]
fn placement_odd_noises_exactly_the_odd_layers() {
    let cfg = small_config();
    let bank = cfg.init_bank(1, &device()).unwrap();
    let x = images(2, 3, 3);
    let kind = NoiseKind::try_from(NoiseSpec::default()).unwrap();
    let plan = NoisePlan::uniform(&kind, 0.5, false, &Placement::Odd, 6).unwrap();
    let shapes = cfg.layer_shapes();
    let inject = |layers: &[usize]| {
        let q: VecDeque<TensorData> = layers
            .iter()
            .map(|&l| {
                let [c, h, w] = shapes[l - 1];
                TensorData::new(vec![0.1 * l as f32; 2 * c * h * w], [2, c, h, w])
            })
            .collect();
        NoiseSource::Injected(q)
    };
    let mut src = inject(&[1, 3, 5]);
    let y = bank.forward_grouped(x.clone(), &plan, &mut src).unwrap();
    match src {
        NoiseSource::Injected(q) => assert!(q.is_empty(), "all three draws consumed"),
        _ => unreachable!(),
    }
    let mut by_hand = NoisePlan::off(6);
    for l in [1, 3, 5] {
        by_hand.set_layer(l, Some(gaussian(0.5))).unwrap();
    }
    let y2 = bank.forward_grouped(x.clone(), &by_hand, &mut inject(&[1, 3, 5])).unwrap();
    assert_eq!(y.clone().into_data(), y2.into_data());
    // Noise on the even layers instead gives a different output.
    let even = NoisePlan::uniform(&kind, 0.5, false, &Placement::Even, 6).unwrap();
    let y3 = bank.forward_grouped(x, &even, &mut inject(&[2, 4, 6])).unwrap();
    assert!(max_abs_diff(y, y3) > 1e-4);
}

#[test]
fn negate_noise_equals_dropout_model_with_the_same_mask() {
    let cfg = small_config();
    let bank = cfg.init_bank(2, &device()).unwrap();
    let x = images(3, 6, 4);
    let p = 0.3;
    let negate = NoisePlan::uniform(
        &NoiseKind::try_from(NoiseSpec::Negate { p }).unwrap(),
        p,
        false,
        &Placement::Full,
        6,
    )
    .unwrap();
    let dropout = NoisePlan::uniform(
        &NoiseKind::try_from(NoiseSpec::Dropout { p, rescale: false }).unwrap(),
        p,
        false,
        &Placement::Full,
        6,
    )
    .unwrap();
    let a = bank.forward_grouped(x.clone(), &negate, &mut NoiseSource::host(11)).unwrap();
    let b = bank.forward_grouped(x, &dropout, &mut NoiseSource::host(11)).unwrap();
    assert_eq!(a.into_data(), b.into_data());
}

#[test]
fn class_bank_equals_separate_models() {
    let cfg = AutoencoderConfig::default();
    let bank = cfg.init_bank(4, &device()).unwrap();
    let x = images(5, 3, 5);
    let plan = NoisePlan::off(6);
    let all = bank
        .forward_shared(x.clone(), &plan, &mut NoiseSource::Device, DrawSharing::Independent)
        .unwrap();
    let energies = bank
        .energies(x.clone(), 1, &plan, &mut NoiseSource::Device, DrawSharing::Independent)
        .unwrap();
    for (c, model) in bank.unstack().iter().enumerate() {
        let one = model.forward(x.clone(), &plan, &mut NoiseSource::Device).unwrap();
        let from_bank = all.clone().narrow(1, 3 * c, 3);
        let d = max_abs_diff(one, from_bank);
        assert!(d <= 1e-5, "class {c}: max abs diff {d}");
        let e_one = model.energies(x.clone(), 1, &plan, &mut NoiseSource::Device).unwrap();
        let e_bank = energies.clone().narrow(2, c, 1).reshape([5, 1]);
        let rel = max_abs_diff(e_one.clone(), e_bank) / e_one.abs().max().into_scalar::<f32>();
        assert!(rel <= 1e-5, "class {c}: energy rel diff {rel}");
    }
}

#[test]
fn stack_of_unstack_is_the_same_bank() {
    let bank = small_config().init_bank(3, &device()).unwrap();
    let again = actnoise_nn::ClassBank::stack(&bank.unstack()).unwrap();
    let x = images(2, 3, 6);
    let plan = NoisePlan::off(6);
    let a = bank
        .forward_shared(x.clone(), &plan, &mut NoiseSource::Device, DrawSharing::Independent)
        .unwrap();
    let b =
        again.forward_shared(x, &plan, &mut NoiseSource::Device, DrawSharing::Independent).unwrap();
    assert_eq!(a.into_data(), b.into_data());
}

#[test]
fn energies_repeat_first_layer_over_draws_like_separate_rows() {
    // Draw-expanded energies equal energies of the image repeated as separate rows, when both
    // get the same injected noise (host source, same seed, same shapes in the same order).
    let bank = small_config().init_bank(2, &device()).unwrap();
    let x = images(2, 3, 8);
    let plan = NoisePlan::per_layer(vec![Some(gaussian(0.7)); 6]);
    let e = bank
        .energies(x.clone(), 3, &plan, &mut NoiseSource::host(5), DrawSharing::Independent)
        .unwrap();
    let rows = x.clone().unsqueeze_dim::<5>(1).expand([2, 3, 3, 32, 32]).reshape([6, 3, 32, 32]);
    let out = bank
        .forward_shared(rows.clone(), &plan, &mut NoiseSource::host(5), DrawSharing::Independent)
        .unwrap();
    let manual = (out.reshape([6, 2, 3 * 32 * 32]) - rows.reshape([6, 1, 3 * 32 * 32]))
        .square()
        .sum_dim(2)
        .reshape([2, 3, 2]);
    assert!(max_abs_diff(e, manual) < 1e-3);
}

#[test]
fn common_draws_give_every_class_the_same_noise() {
    // With identical weights in every class, common random numbers give identical outputs.
    let one = small_config().init_bank(1, &device()).unwrap();
    let model = actnoise_nn::NoisyConvAutoencoder::from_bank(one);
    let twins = actnoise_nn::ClassBank::stack(&[model.clone(), model]).unwrap();
    let x = images(2, 3, 9);
    let plan = NoisePlan::per_layer(vec![Some(gaussian(0.9)); 6]);
    let y = twins
        .forward_shared(x.clone(), &plan, &mut NoiseSource::host(1), DrawSharing::Common)
        .unwrap();
    assert_eq!(y.clone().narrow(1, 0, 3).into_data(), y.clone().narrow(1, 3, 3).into_data());
    let y = twins
        .forward_shared(x, &plan, &mut NoiseSource::host(1), DrawSharing::Independent)
        .unwrap();
    assert!(max_abs_diff(y.clone().narrow(1, 0, 3), y.narrow(1, 3, 3)) > 1e-3);
}

#[test]
fn save_load_and_safetensors_export_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = small_config();
    let bank = cfg.init_bank(2, &device()).unwrap();
    let path = dir.path().join("bank.bpk");
    bank.save(&path).unwrap();
    let loaded = cfg.init_bank(2, &device()).unwrap().load(&path).unwrap();
    let x = images(2, 3, 10);
    let plan = NoisePlan::off(6);
    let a = bank
        .forward_shared(x.clone(), &plan, &mut NoiseSource::Device, DrawSharing::Independent)
        .unwrap();
    let b = loaded
        .forward_shared(x, &plan, &mut NoiseSource::Device, DrawSharing::Independent)
        .unwrap();
    assert_eq!(a.into_data(), b.into_data());

    let st = dir.path().join("bank.safetensors");
    bank.export_safetensors(&st).unwrap();
    let bytes = std::fs::read(&st).unwrap();
    let file = safetensors::SafeTensors::deserialize(&bytes).unwrap();
    assert_eq!(file.tensor("class1.encoder.0.weight").unwrap().shape(), &[4, 3, 4, 4]);
    assert_eq!(file.tensor("class0.decoder.2.weight").unwrap().shape(), &[4, 3, 4, 4]);
    assert_eq!(file.tensor("class0.decoder.0.bias").unwrap().shape(), &[6]);

    let missing = cfg.init_bank(2, &device()).unwrap().load(&dir.path().join("nope.bpk"));
    assert!(missing.unwrap_err().to_string().contains("nope.bpk"));
}
