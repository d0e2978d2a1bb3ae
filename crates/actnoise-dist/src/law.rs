//! The [`NoiseLaw`] trait, and the `laws!` macro that turns the list of laws in
//! `registry.rs` into the [`Law`](crate::Law) enum, its host sampler [`HostLaw`](crate::HostLaw) and the config enum
//! [`NoiseSpec`](crate::NoiseSpec).

use std::fmt::Debug;

use burn::tensor::{Device, Tensor};
use rand::Rng;
use rand_distr::Distribution;

use crate::Moment;

/// A law of additive activation noise `z`.
///
/// Every law samples tensors on any Burn [`Device`] ([`sample_device`](Self::sample_device)) and
/// scalars on the host with `rand_distr` ([`sample_host`](Self::sample_host)), the reference the
/// device sampler is tested against. Laws are small `Copy` values whose constructors validate
/// their parameters, so a law value is always valid.
pub trait NoiseLaw {
    /// The `rand_distr` distribution that samples this law on the host.
    type Host: Distribution<f64> + Clone + Debug + Send + Sync;

    /// The law's name as configs spell it: `"gaussian"`, `"cauchy"`, `"student_t"`,
    /// `"uniform"`, `"lognormal"`, `"chi"`, `"exponential"`.
    fn name(&self) -> &'static str;

    /// The parameters as `key=value` pairs joined by commas, keys as configs spell them
    /// (`"mean=0,std=1"`).
    fn params(&self) -> String;

    /// A tensor of independent draws of shape `shape` on `device`, sampled with the device's
    /// generator (seed it with `device.seed(..)`; the seed may be global to the backend).
    fn sample_device<const D: usize>(&self, shape: [usize; D], device: &Device) -> Tensor<D>;

    /// The host distribution; build it once and sample it many times.
    fn host(&self) -> Self::Host;

    /// One draw on the host, from `rand_distr` (the reference sampler).
    fn sample_host<R: Rng + ?Sized>(&self, rng: &mut R) -> f64 {
        self.host().sample(rng)
    }

    /// The mean E\[z\], or why it does not exist.
    fn mean(&self) -> Moment;

    /// The variance Var\[z\], or why it does not exist.
    fn variance(&self) -> Moment;

    /// Whether the law is symmetric about 0 (its density satisfies `p(z) = p(−z)`).
    fn is_symmetric(&self) -> bool;
}

/// Builds, from one list of laws, everything that has to name every law:
///
/// * `Law` (one tuple arm per law) and its delegating [`NoiseLaw`] impl, `From<$Ty> for Law`;
/// * `HostLaw` (one arm per law's host distribution) and its `Distribution<f64>` impl;
/// * `NoiseSpec` (the serde config enum: `none`, one struct arm per law, `negate`, `dropout`),
///   its `label`/`params`, `TryFrom<NoiseSpec> for NoiseKind` and `From<NoiseKind> for NoiseSpec`.
///
/// Each entry is `Variant(Type) = "name" { field = "serde_default_fn", … }`; `Type::new` must
/// take the fields in that order, each field must have a getter of the same name returning
/// `f64`, and `"name"` must equal `Type::name()`.
macro_rules! laws {
    ($(
        $(#[$vmeta:meta])*
        $Variant:ident($Ty:ty) = $name:literal {
            $( $(#[$fmeta:meta])* $field:ident = $default:tt ),* $(,)?
        }
    ),* $(,)?) => {
        /// One of the additive noise laws, chosen at run time (see [`NoiseLaw`](crate::NoiseLaw) for the trait
        /// every arm implements, by delegation here).
        #[derive(Debug, Clone, Copy, PartialEq)]
        pub enum Law {
            $(
                $(#[$vmeta])*
                $Variant($Ty),
            )*
        }

        $(
            impl From<$Ty> for Law {
                fn from(law: $Ty) -> Self {
                    Law::$Variant(law)
                }
            }
        )*

        /// The host (`rand_distr`) sampler of a [`Law`], one arm per law.
        #[derive(Debug, Clone)]
        pub enum HostLaw {
            $(
                $(#[$vmeta])*
                $Variant(<$Ty as $crate::NoiseLaw>::Host),
            )*
        }

        impl ::rand_distr::Distribution<f64> for HostLaw {
            fn sample<R: ::rand::Rng + ?Sized>(&self, rng: &mut R) -> f64 {
                match self {
                    $( HostLaw::$Variant(host) => host.sample(rng), )*
                }
            }
        }

        impl $crate::NoiseLaw for Law {
            type Host = HostLaw;

            fn name(&self) -> &'static str {
                match self {
                    $( Law::$Variant(law) => $crate::NoiseLaw::name(law), )*
                }
            }

            fn params(&self) -> String {
                match self {
                    $( Law::$Variant(law) => $crate::NoiseLaw::params(law), )*
                }
            }

            fn sample_device<const D: usize>(
                &self,
                shape: [usize; D],
                device: &::burn::tensor::Device,
            ) -> ::burn::tensor::Tensor<D> {
                match self {
                    $( Law::$Variant(law) => $crate::NoiseLaw::sample_device(law, shape, device), )*
                }
            }

            fn host(&self) -> HostLaw {
                match self {
                    $( Law::$Variant(law) => HostLaw::$Variant($crate::NoiseLaw::host(law)), )*
                }
            }

            fn mean(&self) -> $crate::Moment {
                match self {
                    $( Law::$Variant(law) => $crate::NoiseLaw::mean(law), )*
                }
            }

            fn variance(&self) -> $crate::Moment {
                match self {
                    $( Law::$Variant(law) => $crate::NoiseLaw::variance(law), )*
                }
            }

            fn is_symmetric(&self) -> bool {
                match self {
                    $( Law::$Variant(law) => $crate::NoiseLaw::is_symmetric(law), )*
                }
            }
        }

        /// A noise config as written in a TOML/JSON file: what to add to every activation.
        ///
        /// Tagged by `law`, snake_case, unknown fields rejected:
        /// `{ law = "none" }`, `{ law = "gaussian", mean = 0.0, std = 1.0 }`,
        /// `{ law = "cauchy", location, scale }`, `{ law = "student_t", dof }`,
        /// `{ law = "uniform", width }`, `{ law = "lognormal", mu, sigma }`, `{ law = "chi", k }`,
        /// `{ law = "exponential", lambda }`, `{ law = "negate", p }`,
        /// `{ law = "dropout", p, rescale = true }`. Omitted parameters take the paper's
        /// defaults (0 for locations, 1 for scales, ν = k = λ = ω = 1), so `{ law = "cauchy" }`
        /// is the standard Cauchy law. The default spec is `gaussian(0, 1)`.
        ///
        /// A spec is unchecked; convert it with `NoiseKind::try_from(spec)` (at config load) to
        /// get a validated [`NoiseKind`](crate::NoiseKind).
        #[derive(Debug, Clone, PartialEq, ::serde::Serialize, ::serde::Deserialize)]
        #[serde(
            tag = "law",
            rename_all = "snake_case",
            deny_unknown_fields,
            from = "NoiseSpecRepr"
        )]
        pub enum NoiseSpec {
            /// No noise.
            None,
            $(
                $(#[$vmeta])*
                #[serde(rename = $name)]
                $Variant {
                    $(
                        $(#[$fmeta])*
                        #[serde(default = $default)]
                        $field: f64,
                    )*
                },
            )*
            /// Negate-noise: each neuron independently, with probability `p`, gets `z = −s`
            /// (it is dropped).
            Negate {
                /// Drop probability in `[0, 1]`.
                p: f64,
            },
            /// Plain dropout (for the paper's Fig. 2 comparison).
            Dropout {
                /// Drop probability in `[0, 1]` (`< 1` with `rescale`).
                p: f64,
                /// Multiply kept activations by `1/(1 − p)` (inverted dropout); default `true`.
                #[serde(default = "default_true")]
                rescale: bool,
            },
        }

        /// What `NoiseSpec` deserializes through: the same arms, but `none` is a struct arm so
        /// that `deny_unknown_fields` also rejects `{ law = "none", p = 0.1 }` (serde ignores
        /// extra keys on unit arms of internally tagged enums).
        #[derive(::serde::Deserialize)]
        #[serde(tag = "law", rename_all = "snake_case", deny_unknown_fields)]
        enum NoiseSpecRepr {
            None {},
            $(
                #[serde(rename = $name)]
                $Variant {
                    $(
                        #[serde(default = $default)]
                        $field: f64,
                    )*
                },
            )*
            Negate {
                p: f64,
            },
            Dropout {
                p: f64,
                #[serde(default = "default_true")]
                rescale: bool,
            },
        }

        impl From<NoiseSpecRepr> for NoiseSpec {
            fn from(repr: NoiseSpecRepr) -> Self {
                match repr {
                    NoiseSpecRepr::None {} => NoiseSpec::None,
                    $(
                        NoiseSpecRepr::$Variant { $($field),* } => NoiseSpec::$Variant { $($field),* },
                    )*
                    NoiseSpecRepr::Negate { p } => NoiseSpec::Negate { p },
                    NoiseSpecRepr::Dropout { p, rescale } => NoiseSpec::Dropout { p, rescale },
                }
            }
        }

        impl NoiseSpec {
            /// The config tag: `"none"`, a law's name, `"negate"` or `"dropout"`.
            pub fn label(&self) -> &'static str {
                match self {
                    NoiseSpec::None => "none",
                    $( NoiseSpec::$Variant { .. } => $name, )*
                    NoiseSpec::Negate { .. } => "negate",
                    NoiseSpec::Dropout { .. } => "dropout",
                }
            }

            /// The parameters as `key=value` pairs joined by commas (`"mean=0,std=1"`; empty
            /// for `none`), in the same form as [`NoiseLaw::params`](crate::NoiseLaw::params).
            pub fn params(&self) -> String {
                match self {
                    NoiseSpec::None => String::new(),
                    $(
                        NoiseSpec::$Variant { $($field),* } => {
                            let parts: Vec<String> = vec![
                                $( format!("{}={}", stringify!($field), $field) ),*
                            ];
                            parts.join(",")
                        }
                    )*
                    NoiseSpec::Negate { p } => format!("p={p}"),
                    NoiseSpec::Dropout { p, rescale } => format!("p={p},rescale={rescale}"),
                }
            }
        }

        impl TryFrom<NoiseSpec> for $crate::NoiseKind {
            type Error = $crate::NoiseError;

            fn try_from(spec: NoiseSpec) -> $crate::Result<Self> {
                Ok(match spec {
                    NoiseSpec::None => $crate::NoiseKind::Off,
                    $(
                        NoiseSpec::$Variant { $($field),* } => {
                            $crate::NoiseKind::Additive(Law::$Variant(<$Ty>::new($($field),*)?))
                        }
                    )*
                    NoiseSpec::Negate { p } => $crate::NoiseKind::Negate($crate::Negate::new(p)?),
                    NoiseSpec::Dropout { p, rescale } => $crate::NoiseKind::dropout(p, rescale)?,
                })
            }
        }

        impl From<Law> for NoiseSpec {
            fn from(law: Law) -> Self {
                match law {
                    $( Law::$Variant(law) => NoiseSpec::$Variant { $($field: law.$field()),* }, )*
                }
            }
        }

        impl From<$crate::NoiseKind> for NoiseSpec {
            fn from(kind: $crate::NoiseKind) -> Self {
                match kind {
                    $crate::NoiseKind::Off => NoiseSpec::None,
                    $crate::NoiseKind::Additive(law) => NoiseSpec::from(law),
                    $crate::NoiseKind::Negate(negate) => NoiseSpec::Negate { p: negate.p() },
                    $crate::NoiseKind::Dropout { p, rescale } => NoiseSpec::Dropout { p, rescale },
                }
            }
        }
    };
}

pub(crate) use laws;
