//! Value stability: a fixed seed gives pinned samples. A change here changes every seeded
//! result downstream and must be recorded in the CHANGELOG.

use actnoise_dist::{
    Cauchy, Chi, Exponential, FILL_CHUNK, Gaussian, Law, LogNormal, NoiseLaw, ScaledNoise,
    StudentT, Uniform,
};
use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;

const SEED: u64 = 0xAC7A_015E;

/// The first draws of `law` from `Xoshiro256PlusPlus::seed_from_u64(SEED)`.
fn host_draws(law: impl Into<Law>) -> [f64; 4] {
    let law = law.into();
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(SEED);
    std::array::from_fn(|_| law.sample_host(&mut rng))
}

/// Equal up to a few ulps (transcendental functions may differ in the last bit across
/// platforms).
fn assert_pinned(label: &str, got: &[f64], pinned: &[f64]) {
    assert_eq!(got.len(), pinned.len());
    for (g, p) in got.iter().zip(pinned) {
        assert!(
            (g - p).abs() <= 1e-12 * p.abs().max(1.0),
            "{label}: got {got:?}, pinned {pinned:?}"
        );
    }
}

#[test]
fn gaussian_host_value_stability() {
    assert_pinned(
        "gaussian",
        &host_draws(Gaussian::new(0.5, 2.0).unwrap()),
        &[-0.3106686881468237, 1.7909942629955475, 3.8108660676119728, -0.9198067523684275],
    );
}

#[test]
fn cauchy_host_value_stability() {
    assert_pinned(
        "cauchy",
        &host_draws(Cauchy::new(1.0, 0.5).unwrap()),
        &[1.9324674748466593, 0.531981829107229, 0.8160440251333401, 1.5810797537966792],
    );
}

#[test]
fn student_t_host_value_stability() {
    assert_pinned(
        "student_t",
        &host_draws(StudentT::new(3.0).unwrap()),
        &[-0.34998193942003825, -2.414517098336398, -0.031212421142474897, -1.5530230228765256],
    );
}

#[test]
fn uniform_host_value_stability() {
    assert_pinned(
        "uniform",
        &host_draws(Uniform::new(2.0).unwrap()),
        &[-0.3133414606357351, 0.5210252887940507, 0.7755647572453599, -0.45234345972997303],
    );
}

#[test]
fn lognormal_host_value_stability() {
    assert_pinned(
        "lognormal",
        &host_draws(LogNormal::new(0.0, 1.0).unwrap()),
        &[0.6667538483898278, 1.9069347910201115, 5.235346513413695, 0.49169170429444176],
    );
}

#[test]
fn chi_host_value_stability() {
    assert_pinned(
        "chi",
        &host_draws(Chi::new(3.0).unwrap()),
        &[1.250069866938725, 2.836823856284003, 0.5092482951820578, 1.491327517256143],
    );
}

#[test]
fn exponential_host_value_stability() {
    assert_pinned(
        "exponential",
        &host_draws(Exponential::new(2.0).unwrap()),
        &[0.21482406233454562, 0.4427151809326784, 1.3075766661214958, 0.23737595439356265],
    );
}

fn fill(noise: &ScaledNoise, threads: usize, len: usize) -> Vec<f32> {
    let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
    let mut out = vec![0.0f32; len];
    pool.install(|| noise.fill_host(SEED, 7, &mut out));
    out
}

#[test]
fn fill_host_value_stability() {
    let noise = ScaledNoise::new(Gaussian::new(0.0, 1.0).unwrap().into(), 0.5, false).unwrap();
    let out = fill(&noise, 1, 2 * FILL_CHUNK + 3);
    let firsts: Vec<f64> = out[..4].iter().map(|&x| f64::from(x)).collect();
    // First values of chunk 0 and of chunk 1 (its own generator).
    let chunk1: Vec<f64> = out[FILL_CHUNK..FILL_CHUNK + 2].iter().map(|&x| f64::from(x)).collect();
    assert_pinned(
        "fill_host chunk 0",
        &firsts,
        &[-0.09248513728380203, 0.24876339733600616, 0.49180328845977783, 0.4164241850376129],
    );
    assert_pinned("fill_host chunk 1", &chunk1, &[-0.9837061166763306, 0.8877221941947937]);
}

#[test]
fn fill_host_is_bit_identical_whatever_the_thread_count() {
    let laws: Vec<Law> = vec![
        Gaussian::new(0.0, 1.0).unwrap().into(),
        StudentT::new(2.5).unwrap().into(),
        Chi::new(1.0).unwrap().into(),
    ];
    for law in laws {
        let noise = ScaledNoise::new(law, 1.5, law.mean().finite().is_some()).unwrap();
        let len = 5 * FILL_CHUNK + 123;
        let one: Vec<u32> = fill(&noise, 1, len).iter().map(|x| x.to_bits()).collect();
        let four: Vec<u32> = fill(&noise, 4, len).iter().map(|x| x.to_bits()).collect();
        assert_eq!(one, four, "{}", law.name());
        // A shorter buffer is a prefix of a longer one: chunk boundaries do not move.
        let short: Vec<u32> = fill(&noise, 3, FILL_CHUNK + 5).iter().map(|x| x.to_bits()).collect();
        assert_eq!(short[..], one[..FILL_CHUNK + 5], "{}", law.name());
    }
}
