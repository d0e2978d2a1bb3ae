#![doc = include_str!("../README.md")]
#![warn(missing_docs)]

mod catalog;
mod cifar;
mod dataset;
mod digits;
mod download;
mod error;
mod idx;
mod images;
mod records;
mod report;
mod resolve;
mod spec;

#[cfg(test)]
mod fuzz;

pub use catalog::DATASET_NAMES;
pub use dataset::{Dataset, Split};
pub use download::{Checksum, Progress, Remote, Stage, download, download_from};
pub use error::{Error, Result};
pub use report::{CheckItem, CheckReport, CheckStatus, DataInfo, DatasetInfo, check, info};
pub use resolve::{DATA_ENV, DataRoot, RootSource, resolve_root};
pub use spec::{ClassRef, ClassSelection, DatasetSpec, load};
