//! One file per law, re-exported flat.

mod cauchy;
mod chi;
mod exponential;
mod gaussian;
mod lognormal;
mod student_t;
mod uniform;

pub use cauchy::Cauchy;
pub use chi::{Chi, ChiHost};
pub use exponential::Exponential;
pub use gaussian::Gaussian;
pub use lognormal::LogNormal;
pub use student_t::StudentT;
pub use uniform::Uniform;
