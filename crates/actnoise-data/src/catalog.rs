//! The known datasets: names, where each is looked for, and how to get it.

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// Every value `DatasetSpec::name` accepts, in the order `info` lists them.
pub const DATASET_NAMES: [&str; 14] = [
    "digits",
    "cifar10",
    "cifar10-lossless-test1000",
    "caltech101-20",
    "flowers102-20",
    "cub200-20",
    "fashion-mnist",
    "cifar100",
    "cifar20-coarse",
    "cifar20-fine",
    "folder",
    "caltech101",
    "flowers102",
    "cub200",
];

/// Where Debian's `dataset-fashion-mnist` puts the files.
pub(crate) const DEBIAN_FASHION_DIR: &str = "/usr/share/datasets/fashion-mnist";

/// One entry of [`DATASET_NAMES`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    Digits,
    Cifar10,
    Cifar10Lossless,
    Caltech20,
    Flowers20,
    Cub20,
    Fashion,
    Cifar100,
    Cifar20Coarse,
    Cifar20Fine,
    Folder,
    Caltech101,
    Flowers102,
    Cub200,
}

/// What a dataset folder must contain to count as found, for each layout it may have.
pub(crate) struct Layout {
    /// Folder names under the data root, tried in order.
    pub dirs: &'static [&'static str],
    /// Any of these files (relative to the folder) marks the folder as this dataset.
    pub markers: &'static [&'static str],
}

impl Kind {
    pub const ALL: [Kind; 14] = [
        Kind::Digits,
        Kind::Cifar10,
        Kind::Cifar10Lossless,
        Kind::Caltech20,
        Kind::Flowers20,
        Kind::Cub20,
        Kind::Fashion,
        Kind::Cifar100,
        Kind::Cifar20Coarse,
        Kind::Cifar20Fine,
        Kind::Folder,
        Kind::Caltech101,
        Kind::Flowers102,
        Kind::Cub200,
    ];

    pub fn name(self) -> &'static str {
        DATASET_NAMES[Kind::ALL.iter().position(|&k| k == self).unwrap_or(0)]
    }

    pub fn from_name(name: &str) -> Result<Kind> {
        let key = name.trim().to_ascii_lowercase();
        DATASET_NAMES.iter().position(|n| *n == key).map(|i| Kind::ALL[i]).ok_or_else(|| {
            Error::Spec {
                key: "name",
                reason: format!("unknown dataset {name:?}; known: {}", DATASET_NAMES.join(", ")),
            }
        })
    }

    /// Where the data of this kind is looked for under a root (`None`: built in or `dir`
    /// only).
    pub fn layout(self) -> Option<Layout> {
        let l = |dirs, markers| Some(Layout { dirs, markers });
        match self {
            Kind::Digits | Kind::Folder => None,
            Kind::Cifar10 => {
                l(&["cifar10", "cifar-10-batches-bin"], &["train.bin", "data_batch_1.bin"])
            }
            Kind::Cifar10Lossless => l(&["cifar10-lossless-test1000"], &["test.bin"]),
            Kind::Caltech20 => l(&["caltech101-20"], &["train.bin"]),
            Kind::Flowers20 => l(&["flowers102-20"], &["train.bin"]),
            Kind::Cub20 => l(&["cub200-20"], &["train.bin"]),
            Kind::Fashion => l(
                &["fashion-mnist", DEBIAN_FASHION_DIR],
                &["train-images-idx3-ubyte.gz", "train-images-idx3-ubyte"],
            ),
            Kind::Cifar100 | Kind::Cifar20Coarse | Kind::Cifar20Fine => {
                l(&["cifar100", "cifar-100-binary"], &["train.bin"])
            }
            Kind::Caltech101 => l(
                &["caltech101", "101_ObjectCategories"],
                &["101_ObjectCategories", "accordion", "airplanes"],
            ),
            Kind::Flowers102 => l(&["flowers102"], &["imagelabels.mat"]),
            Kind::Cub200 => {
                l(&["cub200", "CUB_200_2011"], &["images.txt", "CUB_200_2011/images.txt"])
            }
        }
    }

    /// How to get this dataset, for error messages; `root` is the data root in use.
    pub fn hint(self, root: Option<&Path>) -> String {
        let root_s = root.map_or("<data root>".to_string(), |r| r.display().to_string());
        let where_ = format!(
            "The data root is [data].dir in the config, else $ACTNOISE_DATA, else the cache \
             ($XDG_CACHE_HOME/actnoise or ~/.cache/actnoise); now: {root_s}."
        );
        let prepared = |name: &str| {
            format!(
                "{name} is a prepared 32x32 set (train.bin, test.bin, classes.txt; see the \
                 actnoise-data README): set ACTNOISE_DATA to the folder that holds {name}/ \
                 (e.g. the project's shared/data). {where_}"
            )
        };
        match self {
            Kind::Digits => "digits is built in".to_string(),
            Kind::Cifar10 => format!(
                "Run `actnoise data download cifar10` (unpacks to <root>/cifar-10-batches-bin), \
                 or put train.bin, test.bin, classes.txt in <root>/cifar10/. {where_}"
            ),
            Kind::Cifar10Lossless => prepared("cifar10-lossless-test1000"),
            Kind::Caltech20 => prepared("caltech101-20"),
            Kind::Flowers20 => prepared("flowers102-20"),
            Kind::Cub20 => prepared("cub200-20"),
            Kind::Fashion => format!(
                "Install it with `apt-get install dataset-fashion-mnist` (Debian/Ubuntu; files \
                 in {DEBIAN_FASHION_DIR}), or put the four IDX files from \
                 https://github.com/zalandoresearch/fashion-mnist in <root>/fashion-mnist/. \
                 {where_}"
            ),
            Kind::Cifar100 | Kind::Cifar20Coarse | Kind::Cifar20Fine => format!(
                "Run `actnoise data download cifar100` (unpacks to <root>/cifar-100-binary). \
                 {where_}"
            ),
            Kind::Folder => {
                "set [data].dir to a folder with train/<class>/<image> and test/<class>/<image>"
                    .to_string()
            }
            Kind::Caltech101 => format!(
                "Get Caltech-101 from https://data.caltech.edu/records/mzrjq-6wc02 and unpack \
                 it so that <root>/caltech101/101_ObjectCategories/<class>/image_NNNN.jpg exist \
                 (or point [data].dir at that folder). {where_}"
            ),
            Kind::Flowers102 => format!(
                "Get 102flowers.tgz, imagelabels.mat and setid.mat from \
                 https://www.robots.ox.ac.uk/~vgg/data/flowers/102/ into <root>/flowers102/ \
                 (jpg/image_NNNNN.jpg beside the two .mat files). {where_}"
            ),
            Kind::Cub200 => format!(
                "Get CUB_200_2011.tgz from https://data.caltech.edu/records/65de6-vp158 and \
                 unpack it into <root>/cub200/ (or point [data].dir at CUB_200_2011/). {where_}"
            ),
        }
    }

    /// The folder of this dataset: `dir` if given, else the first folder of its layout under
    /// `root` that holds a marker file. `Err(Missing)` names what was expected.
    pub fn locate(self, root: Option<&Path>, dir: Option<&Path>) -> Result<PathBuf> {
        if let Some(dir) = dir {
            if !dir.is_dir() {
                return Err(Error::Missing { path: dir.to_path_buf(), hint: self.hint(root) });
            }
            return Ok(dir.to_path_buf());
        }
        let Some(layout) = self.layout() else {
            return Err(Error::Spec {
                key: "dir",
                reason: format!("dataset {:?} needs [data].dir. {}", self.name(), self.hint(root)),
            });
        };
        let Some(root) = root else {
            return Err(Error::NoDataDir);
        };
        self.find(root, &layout).ok_or_else(|| Error::Missing {
            path: root.join(layout.dirs[0]).join(layout.markers[0]),
            hint: self.hint(Some(root)),
        })
    }

    /// The first folder of `layout` under `root` that has a marker.
    pub fn find(self, root: &Path, layout: &Layout) -> Option<PathBuf> {
        layout
            .dirs
            .iter()
            .map(|d| root.join(d))
            .find(|d| layout.markers.iter().any(|m| d.join(m).exists()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kind_names_round_trip() {
        for k in Kind::ALL {
            assert_eq!(Kind::from_name(k.name()).unwrap(), k);
        }
        let e = Kind::from_name("cifar11").unwrap_err().to_string();
        assert!(e.contains("cifar11") && e.contains("cifar10-lossless-test1000"), "{e}");
    }

    #[test]
    fn kind_locate_names_path_and_download_command() {
        let tmp = std::env::temp_dir().join("actnoise-data-no-such-root");
        let e = Kind::Cifar10.locate(Some(&tmp), None).unwrap_err().to_string();
        assert!(e.contains("cifar10/train.bin"), "{e}");
        assert!(e.contains("actnoise data download cifar10"), "{e}");
        assert!(e.contains("ACTNOISE_DATA"), "{e}");
    }
}
