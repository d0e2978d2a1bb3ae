//! Property tests: construction, shapes and finiteness, α = 0, negate-noise = dropout, configs.

mod common;

use actnoise_dist::{
    Cauchy, Chi, Device, Exponential, Gaussian, Law, LogNormal, Negate, NoiseError, NoiseKind,
    NoiseLaw, NoiseSpec, ScaledNoise, StudentT, Uniform, dropout,
};
use burn::tensor::{Tensor, TensorData};
use common::{any_param, device_rng, valid_law, values};
use proptest::prelude::*;

fn finite_positive(x: f64) -> bool {
    x.is_finite() && x > 0.0
}

/// The error is `InvalidParameter` naming this law and parameter, and carrying the value.
fn names(err: NoiseError, law: &str, param: &str, value: f64) -> bool {
    let msg = err.to_string();
    match err {
        NoiseError::InvalidParameter { law: l, param: p, value: v, .. } => {
            l == law
                && p == param
                && (v == value || (v.is_nan() && value.is_nan()))
                && msg.contains(law)
                && msg.contains(param)
        }
        _ => false,
    }
}

proptest! {
    #[test]
    fn gaussian_new_succeeds_exactly_on_valid_parameters(mean in any_param(), std in any_param()) {
        let valid = mean.is_finite() && finite_positive(std);
        match Gaussian::new(mean, std) {
            Ok(g) => {
                prop_assert!(valid);
                prop_assert_eq!((g.mean(), g.std()), (mean, std));
            }
            Err(err) => {
                prop_assert!(!valid);
                let (param, value) = if mean.is_finite() { ("std", std) } else { ("mean", mean) };
                prop_assert!(names(err, "gaussian", param, value));
            }
        }
    }

    #[test]
    fn cauchy_new_succeeds_exactly_on_valid_parameters(loc in any_param(), scale in any_param()) {
        let valid = loc.is_finite() && finite_positive(scale);
        match Cauchy::new(loc, scale) {
            Ok(c) => {
                prop_assert!(valid);
                prop_assert_eq!((c.location(), c.scale()), (loc, scale));
            }
            Err(err) => {
                prop_assert!(!valid);
                let (param, value) = if loc.is_finite() { ("scale", scale) } else { ("location", loc) };
                prop_assert!(names(err, "cauchy", param, value));
            }
        }
    }

    #[test]
    fn lognormal_new_succeeds_exactly_on_valid_parameters(mu in any_param(), sigma in any_param()) {
        let valid = mu.is_finite() && finite_positive(sigma);
        match LogNormal::new(mu, sigma) {
            Ok(l) => {
                prop_assert!(valid);
                prop_assert_eq!((l.mu(), l.sigma()), (mu, sigma));
            }
            Err(err) => {
                prop_assert!(!valid);
                let (param, value) = if mu.is_finite() { ("sigma", sigma) } else { ("mu", mu) };
                prop_assert!(names(err, "lognormal", param, value));
            }
        }
    }

    #[test]
    fn one_parameter_laws_new_succeed_exactly_on_valid_parameters(x in any_param()) {
        let positive = finite_positive(x);
        let check = |ok: bool, valid: bool, err: Option<NoiseError>, law: &str, param: &str| {
            ok == valid && err.is_none_or(|e| names(e, law, param, x))
        };
        let r = StudentT::new(x);
        prop_assert!(check(r.is_ok(), positive, r.err(), "student_t", "dof"));
        let r = Chi::new(x);
        prop_assert!(check(r.is_ok(), positive, r.err(), "chi", "k"));
        let r = Exponential::new(x);
        prop_assert!(check(r.is_ok(), positive, r.err(), "exponential", "lambda"));
        let r = Uniform::new(x);
        prop_assert!(check(r.is_ok(), x.is_finite() && x >= 0.0, r.err(), "uniform", "width"));
        let r = Negate::new(x);
        prop_assert!(check(r.is_ok(), (0.0..=1.0).contains(&x), r.err(), "negate", "p"));
        let r = ScaledNoise::new(Gaussian::new(0.0, 1.0).unwrap().into(), x, false);
        prop_assert_eq!(r.is_ok(), x.is_finite() && x >= 0.0);
    }

    #[test]
    fn valid_laws_build_a_host_sampler(law in valid_law(), seed in any::<u64>()) {
        // The host sampler is built with `expect`: every valid law must be accepted by rand_distr.
        let mut rng = <rand_xoshiro::Xoshiro256PlusPlus as rand::SeedableRng>::seed_from_u64(seed);
        let z = law.sample_host(&mut rng);
        prop_assert!(!z.is_nan());
    }
}

proptest! {
    #[test]
    fn device_samples_have_the_shape_and_are_finite_1d(law in valid_law(), n in 1usize..300) {
        let device = Device::flex();
        let z = law.sample_device([n], &device);
        prop_assert_eq!(z.dims(), [n]);
        prop_assert!(values(z).iter().all(|x| x.is_finite()));
    }

    #[test]
    fn device_samples_have_the_shape_and_are_finite_3d(
        law in valid_law(),
        shape in (1usize..6, 1usize..6, 1usize..12),
        alpha in 0.0..10.0f64,
        centered in any::<bool>(),
    ) {
        let device = Device::flex();
        let shape = [shape.0, shape.1, shape.2];
        let centered = centered && law.mean().finite().is_some();
        let noise = ScaledNoise::new(law, alpha, centered).unwrap();
        let z = noise.sample_device(shape, &device);
        prop_assert_eq!(z.dims(), shape);
        prop_assert!(values(z).iter().all(|x| x.is_finite()));
    }

    #[test]
    fn host_fill_is_finite(law in valid_law(), n in 1usize..2000, alpha in 0.0..10.0f64, seed in any::<u64>()) {
        let noise = ScaledNoise::new(law, alpha, false).unwrap();
        let mut out = vec![f32::NAN; n];
        noise.fill_host(seed, 3, &mut out);
        prop_assert!(out.iter().all(|x| x.is_finite()));
    }

    #[test]
    fn alpha_zero_gives_exactly_zero_noise(
        law in valid_law(),
        shape in (1usize..8, 1usize..40),
        centered in any::<bool>(),
        seed in any::<u64>(),
    ) {
        let device = Device::flex();
        let centered = centered && law.mean().finite().is_some();
        let noise = ScaledNoise::new(law, 0.0, centered).unwrap();
        let z = noise.sample_device([shape.0, shape.1], &device);
        prop_assert_eq!(z.dims(), [shape.0, shape.1]);
        prop_assert!(values(z).iter().all(|x| x.to_bits() == 0));
        let mut out = vec![1.0f32; shape.0 * shape.1];
        noise.fill_host(seed, 0, &mut out);
        prop_assert!(out.iter().all(|x| x.to_bits() == 0));
        let mut rng = <rand_xoshiro::Xoshiro256PlusPlus as rand::SeedableRng>::seed_from_u64(seed);
        prop_assert_eq!(noise.sample_host(&mut rng).to_bits(), 0);
    }

    #[test]
    fn negate_noise_is_dropout_without_rescale(
        (rows, cols, signal) in (1usize..6, 1usize..30).prop_flat_map(|(r, c)| {
            (Just(r), Just(c), prop::collection::vec(
                prop_oneof![Just(0.0f32), Just(-0.0f32), -1.0e6f32..1.0e6f32], r * c))
        }),
        p in prop_oneof![Just(0.0), Just(1.0), 0.0..=1.0f64],
        seed in any::<u64>(),
    ) {
        let device = Device::flex();
        let shape = [rows, cols];
        let s = Tensor::<2>::from_data(TensorData::new(signal.clone(), shape), &device);
        let negate = Negate::new(p).unwrap();

        let _rng = device_rng();
        device.seed(seed);
        let mask = negate.mask_device(shape, &device);
        let z = Negate::noise(&s, mask.clone());
        let noisy = values(s.clone().add(z));
        let dropped = values(dropout(s.clone(), mask.clone(), p, false));
        prop_assert_eq!(&noisy, &dropped);

        // The same seed draws the same mask, so `apply` agrees too.
        device.seed(seed);
        let applied = values(negate.apply(s.clone()));
        prop_assert_eq!(&applied, &noisy);

        let fired: Vec<bool> = mask.into_data().try_into_vec::<bool>().unwrap();
        for ((&out, &x), &dropped) in noisy.iter().zip(&signal).zip(&fired) {
            prop_assert_eq!(out, if dropped { 0.0 } else { x });
        }
        if p == 0.0 {
            prop_assert_eq!(&noisy, &signal);
        }
        if p == 1.0 {
            prop_assert!(noisy.iter().all(|&x| x == 0.0));
        }
    }

    #[test]
    fn spec_round_trips_through_the_validated_kind(law in valid_law()) {
        let spec = NoiseSpec::from(law);
        prop_assert_eq!(spec.label(), law.name());
        prop_assert_eq!(spec.params(), law.params());
        let kind = NoiseKind::try_from(spec.clone()).unwrap();
        prop_assert_eq!(kind, NoiseKind::Additive(law));
        prop_assert_eq!(NoiseSpec::from(kind), spec.clone());
        // TOML (the config format) round-trips every f64 exactly.
        let text = toml::to_string(&Config { noise: spec.clone() }).unwrap();
        prop_assert_eq!(toml::from_str::<Config>(&text).unwrap().noise, spec);
    }
}

/// A config file holding one noise entry.
#[derive(serde::Serialize, serde::Deserialize)]
struct Config {
    noise: NoiseSpec,
}

fn parse(toml_text: &str) -> Result<NoiseSpec, toml::de::Error> {
    toml::from_str::<Config>(toml_text).map(|c| c.noise)
}

#[test]
fn spec_parses_every_law_with_the_paper_defaults() {
    let cases: Vec<(&str, NoiseKind)> = vec![
        ("none", NoiseKind::Off),
        ("gaussian", NoiseKind::Additive(Gaussian::new(0.0, 1.0).unwrap().into())),
        ("cauchy", NoiseKind::Additive(Cauchy::new(0.0, 1.0).unwrap().into())),
        ("student_t", NoiseKind::Additive(StudentT::new(1.0).unwrap().into())),
        ("uniform", NoiseKind::Additive(Uniform::new(1.0).unwrap().into())),
        ("lognormal", NoiseKind::Additive(LogNormal::new(0.0, 1.0).unwrap().into())),
        ("chi", NoiseKind::Additive(Chi::new(1.0).unwrap().into())),
        ("exponential", NoiseKind::Additive(Exponential::new(1.0).unwrap().into())),
    ];
    for (label, expected) in cases {
        let spec = parse(&format!("noise = {{ law = \"{label}\" }}")).unwrap();
        assert_eq!(spec.label(), label);
        assert_eq!(NoiseKind::try_from(spec).unwrap(), expected, "{label}");
    }
    assert_eq!(NoiseSpec::default(), NoiseSpec::Gaussian { mean: 0.0, std: 1.0 });
}

#[test]
fn spec_parses_explicit_parameters() {
    let spec = parse("[noise]\nlaw = \"gaussian\"\nmean = 0.5\nstd = 2.0\n").unwrap();
    assert_eq!(spec, NoiseSpec::Gaussian { mean: 0.5, std: 2.0 });
    assert_eq!(spec.params(), "mean=0.5,std=2");
    let spec = parse("noise = { law = \"negate\", p = 0.25 }").unwrap();
    assert_eq!(NoiseKind::try_from(spec).unwrap(), NoiseKind::Negate(Negate::new(0.25).unwrap()));
    let spec = parse("noise = { law = \"dropout\", p = 0.5 }").unwrap();
    assert_eq!(spec, NoiseSpec::Dropout { p: 0.5, rescale: true });
    assert_eq!(spec.params(), "p=0.5,rescale=true");
    let spec = parse("noise = { law = \"dropout\", p = 0.5, rescale = false }").unwrap();
    assert_eq!(NoiseKind::try_from(spec).unwrap(), NoiseKind::Dropout { p: 0.5, rescale: false });
    let spec = parse("noise = { law = \"student_t\", dof = 3.0 }").unwrap();
    assert_eq!(spec.params(), "dof=3");
}

#[test]
fn spec_rejects_unknown_laws_and_fields() {
    assert!(parse("noise = { law = \"gaussian\", sigma = 2.0 }").is_err());
    assert!(parse("noise = { law = \"laplace\" }").is_err());
    assert!(parse("noise = { law = \"none\", p = 0.1 }").is_err());
    assert!(parse("noise = { law = \"negate\" }").is_err(), "negate needs p");
    assert_eq!(parse("noise = { law = \"none\" }").unwrap(), NoiseSpec::None);
    let json: NoiseSpec = serde_json::from_str(r#"{ "law": "chi", "k": 2.5 }"#).unwrap();
    assert_eq!(json, NoiseSpec::Chi { k: 2.5 });
    assert!(serde_json::from_str::<NoiseSpec>(r#"{ "law": "none", "p": 0.1 }"#).is_err());
}

#[test]
fn bad_config_values_fail_at_conversion_with_a_named_error() {
    let spec = parse("noise = { law = \"cauchy\", scale = -1.0 }").unwrap();
    let err = NoiseKind::try_from(spec).unwrap_err();
    assert!(names(err, "cauchy", "scale", -1.0));
    let spec = parse("noise = { law = \"negate\", p = 1.5 }").unwrap();
    assert!(names(NoiseKind::try_from(spec).unwrap_err(), "negate", "p", 1.5));
    let spec = parse("noise = { law = \"dropout\", p = 1.0 }").unwrap();
    assert!(names(NoiseKind::try_from(spec).unwrap_err(), "dropout", "p", 1.0));
    let spec = parse("noise = { law = \"dropout\", p = 1.0, rescale = false }").unwrap();
    assert!(NoiseKind::try_from(spec).is_ok());
    let spec = parse("noise = { law = \"chi\", k = 0.0 }").unwrap();
    assert!(names(NoiseKind::try_from(spec).unwrap_err(), "chi", "k", 0.0));
}

#[test]
fn moments_that_do_not_exist_are_words_not_nan() {
    use actnoise_dist::Moment;
    let cauchy = Cauchy::new(0.0, 1.0).unwrap();
    assert_eq!(cauchy.mean(), Moment::Undefined);
    assert_eq!(cauchy.variance().to_string(), "undefined");
    assert_eq!(StudentT::new(1.0).unwrap().mean(), Moment::Undefined);
    assert_eq!(StudentT::new(1.5).unwrap().mean(), Moment::Finite(0.0));
    assert_eq!(StudentT::new(1.5).unwrap().variance().to_string(), "infinite");
    assert_eq!(StudentT::new(2.0).unwrap().variance(), Moment::Infinite);
    assert_eq!(StudentT::new(4.0).unwrap().variance(), Moment::Finite(2.0));
    assert_eq!(NoiseLaw::mean(&Gaussian::new(0.5, 2.0).unwrap()), Moment::Finite(0.5));
    assert_eq!(Uniform::new(2.0).unwrap().variance(), Moment::Finite(4.0 / 12.0));
    // Chi(2) is the Rayleigh law: mean √(π/2), variance 2 − π/2.
    let chi2 = Chi::new(2.0).unwrap();
    let m = chi2.mean().finite().unwrap();
    assert!((m - (std::f64::consts::PI / 2.0).sqrt()).abs() < 1e-12, "{m}");
    let v = chi2.variance().finite().unwrap();
    assert!((v - (2.0 - std::f64::consts::PI / 2.0)).abs() < 1e-12, "{v}");
    // Chi(1) is the half-normal: mean √(2/π).
    let m1 = Chi::new(1.0).unwrap().mean().finite().unwrap();
    assert!((m1 - (2.0 / std::f64::consts::PI).sqrt()).abs() < 1e-12);
    let ln = LogNormal::new(0.0, 1.0).unwrap();
    assert!((ln.mean().finite().unwrap() - 0.5f64.exp()).abs() < 1e-12);
    assert_eq!(Exponential::new(4.0).unwrap().variance(), Moment::Finite(1.0 / 16.0));
}

#[test]
fn symmetry_flags() {
    assert!(Gaussian::new(0.0, 3.0).unwrap().is_symmetric());
    assert!(!Gaussian::new(0.1, 3.0).unwrap().is_symmetric());
    assert!(Cauchy::new(0.0, 3.0).unwrap().is_symmetric());
    assert!(!Cauchy::new(-1.0, 3.0).unwrap().is_symmetric());
    assert!(StudentT::new(0.5).unwrap().is_symmetric());
    assert!(Uniform::new(0.0).unwrap().is_symmetric());
    assert!(!LogNormal::new(0.0, 1.0).unwrap().is_symmetric());
    assert!(!Chi::new(3.0).unwrap().is_symmetric());
    assert!(!Exponential::new(1.0).unwrap().is_symmetric());
    let law: Law = Gaussian::new(0.0, 1.0).unwrap().into();
    assert!(law.is_symmetric());
}

#[test]
fn non_additive_kinds_round_trip_through_toml() {
    let kinds = [
        NoiseKind::Off,
        NoiseKind::Negate(Negate::new(0.3).unwrap()),
        NoiseKind::dropout(0.2, true).unwrap(),
        NoiseKind::dropout(1.0, false).unwrap(),
    ];
    for kind in kinds {
        let spec = NoiseSpec::from(kind);
        assert_eq!(spec.label(), kind.label());
        let text = toml::to_string(&Config { noise: spec.clone() }).unwrap();
        let back = toml::from_str::<Config>(&text).unwrap().noise;
        assert_eq!(back, spec, "{text}");
        assert_eq!(NoiseKind::try_from(back).unwrap(), kind);
    }
}
