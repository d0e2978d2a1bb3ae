//! The `[data]` config section and the single entry point [`load`].

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::catalog::Kind;
use crate::cifar::{
    Cifar100, Cifar100Label, load_cifar10, load_prepared, read_cifar10_file, read_classes,
};
use crate::dataset::{Dataset, Split};
use crate::error::{Error, Result};
use crate::images::{FileIndex, caltech_index, cub_index, flowers_index, folder_index};
use crate::resolve::resolve_root;

/// Which data to load: the `[data]` section of a run config.
///
/// ```toml
/// [data]
/// name = "cifar10"          # one of DATASET_NAMES
/// train_per_class = 500     # first 500 of each class; 0 = all
/// test_per_class = 100
/// classes = ["cat", "dog"]  # or indices, or a number k for the first k classes; [] = all
/// ```
///
/// Unknown keys are errors. The default is the built-in `digits` set, whole.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DatasetSpec {
    /// Dataset name, one of [`DATASET_NAMES`](crate::DATASET_NAMES).
    pub name: String,
    /// The dataset's own folder, overriding where it is looked for under the data root.
    /// Required for `folder`. For `cifar10-lossless-test1000` it is the test folder; train
    /// still comes from `<root>/cifar10`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dir: Option<PathBuf>,
    /// Training images kept per class, the first ones in file order; 0 = all.
    pub train_per_class: usize,
    /// Test images kept per class, the first ones in file order; 0 = all.
    pub test_per_class: usize,
    /// Classes kept, relabelled 0.. in the order given.
    pub classes: ClassSelection,
    /// For `cifar20-fine`: the CIFAR-100 fine classes that make up the set (names or
    /// indices). Empty: for each of the 20 superclasses, its fine class with the lowest
    /// index.
    pub fine_classes: Vec<ClassRef>,
    /// For `flowers102-20` and `flowers102`: add the validation split to train.
    pub val_into_train: bool,
}

impl Default for DatasetSpec {
    fn default() -> Self {
        Self {
            name: "digits".to_string(),
            dir: None,
            train_per_class: 0,
            test_per_class: 0,
            classes: ClassSelection::default(),
            fine_classes: Vec::new(),
            val_into_train: false,
        }
    }
}

/// A class named by its name or by its index in the dataset's full class list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ClassRef {
    /// Index into the dataset's class list (label before any subset).
    Index(usize),
    /// Exact class name, as in the dataset's `classes.txt` or folder name.
    Name(String),
}

/// Which classes to keep: `k` (a number: the first k classes) or a list of names/indices
/// (empty list: all).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ClassSelection {
    /// The first k classes of the dataset's class order.
    First(usize),
    /// These classes, in this order; empty keeps all.
    List(Vec<ClassRef>),
}

impl Default for ClassSelection {
    fn default() -> Self {
        ClassSelection::List(Vec::new())
    }
}

impl ClassSelection {
    /// Old labels to keep, in new-label order; `None` = all classes unchanged.
    fn resolve(&self, names: &[String], key: &'static str) -> Result<Option<Vec<usize>>> {
        match self {
            ClassSelection::First(k) if *k == 0 || *k > names.len() => Err(Error::Spec {
                key,
                reason: format!("first {k} classes asked, the dataset has {}", names.len()),
            }),
            ClassSelection::First(k) => Ok(Some((0..*k).collect())),
            ClassSelection::List(list) if list.is_empty() => Ok(None),
            ClassSelection::List(list) => resolve_refs(list, names, key).map(Some),
        }
    }
}

fn resolve_refs(list: &[ClassRef], names: &[String], key: &'static str) -> Result<Vec<usize>> {
    let mut out: Vec<usize> = Vec::with_capacity(list.len());
    for r in list {
        let k = match r {
            ClassRef::Index(i) if *i < names.len() => *i,
            ClassRef::Index(i) => {
                return Err(Error::Spec {
                    key,
                    reason: format!("class index {i} is out of range 0..{}", names.len()),
                });
            }
            ClassRef::Name(n) => names.iter().position(|c| c == n).ok_or_else(|| {
                let shown: Vec<&str> = names.iter().take(30).map(String::as_str).collect();
                let more = if names.len() > 30 { ", …" } else { "" };
                Error::Spec {
                    key,
                    reason: format!(
                        "no class named {n:?}; classes are: {}{more}",
                        shown.join(", ")
                    ),
                }
            })?,
        };
        if out.contains(&k) {
            return Err(Error::Spec {
                key,
                reason: format!("class {:?} is listed twice", names[k]),
            });
        }
        out.push(k);
    }
    Ok(out)
}

/// Loads the train and test sets that `spec` describes.
///
/// `root` is the data root (`None`: `$ACTNOISE_DATA`, else the cache, see
/// [`resolve_root`](crate::resolve_root)); `spec.dir` overrides the dataset's folder. Class
/// subsets and per-class limits are applied before image files are decoded. Every class
/// kept must have at least one training image.
pub fn load(spec: &DatasetSpec, root: Option<&Path>) -> Result<Split> {
    let kind = Kind::from_name(&spec.name)?;
    if kind == Kind::Digits {
        if spec.dir.is_some() {
            return Err(Error::Spec {
                key: "dir",
                reason: "digits is built in; remove dir".into(),
            });
        }
        return finish(crate::digits::load_digits()?, spec, Path::new("<embedded digits>"));
    }
    if !spec.fine_classes.is_empty() && kind != Kind::Cifar20Fine {
        return Err(Error::Spec {
            key: "fine_classes",
            reason: format!("only used by cifar20-fine, not {}", kind.name()),
        });
    }
    if spec.val_into_train && !matches!(kind, Kind::Flowers20 | Kind::Flowers102) {
        return Err(Error::Spec {
            key: "val_into_train",
            reason: format!(
                "only flowers102-20 and flowers102 have a val split, not {}",
                kind.name()
            ),
        });
    }
    let resolved;
    let root = match root {
        Some(r) => Some(r),
        None if spec.dir.is_some() && kind != Kind::Cifar10Lossless => None,
        None => {
            resolved = resolve_root(None)?;
            Some(resolved.path.as_path())
        }
    };
    let hint = kind.hint(root);
    let dir = kind.locate(root, spec.dir.as_deref())?;
    let prepared = |splits: &[&str]| -> Result<Split> {
        let mut sets = load_prepared(&dir, splits, &hint)?;
        let mut train = sets.remove(0);
        let test = sets.remove(0);
        if let Some(val) = sets.pop() {
            train.append(val)?;
        }
        Ok(Split { train, test })
    };
    let mut train_path =
        if dir.join("train.bin").is_file() { dir.join("train.bin") } else { dir.clone() };
    let split = match kind {
        Kind::Digits => crate::digits::load_digits()?,
        Kind::Cifar10 => load_cifar10(&dir, &hint)?,
        Kind::Cifar10Lossless => {
            let classes = read_classes(&dir.join("classes.txt"), &hint)?;
            let test = read_cifar10_file(&dir.join("test.bin"), &classes, &hint)?;
            let train_dir = Kind::Cifar10.locate(root, None)?;
            train_path = train_dir.join("train.bin");
            let train = load_cifar10(&train_dir, &Kind::Cifar10.hint(root))?.train;
            if train.class_names() != test.class_names() {
                return Err(Error::Inconsistent(format!(
                    "classes of {} differ from those of {}",
                    dir.display(),
                    train_dir.display()
                )));
            }
            Split { train, test }
        }
        Kind::Caltech20 | Kind::Cub20 => prepared(&["train", "test"])?,
        Kind::Flowers20 if spec.val_into_train => prepared(&["train", "test", "val"])?,
        Kind::Flowers20 => prepared(&["train", "test"])?,
        Kind::Fashion => {
            train_path = crate::idx::idx_file(&dir, "train-labels-idx1-ubyte");
            crate::idx::load_fashion(&dir, &hint)?
        }
        Kind::Cifar100 => Cifar100::read(&dir, &hint)?.split(Cifar100Label::Fine)?,
        Kind::Cifar20Coarse => Cifar100::read(&dir, &hint)?.split(Cifar100Label::Coarse)?,
        Kind::Cifar20Fine => {
            let c = Cifar100::read(&dir, &hint)?;
            let keep = if spec.fine_classes.is_empty() {
                c.one_fine_per_coarse()?
            } else {
                resolve_refs(&spec.fine_classes, &c.fine_names, "fine_classes")?
            };
            let s = c.split(Cifar100Label::Fine)?;
            Split { train: s.train.keep_classes(&keep), test: s.test.keep_classes(&keep) }
        }
        Kind::Folder => return load_files(folder_index(&dir, &hint)?, spec, &dir),
        Kind::Caltech101 => return load_files(caltech_index(&dir, &hint)?, spec, &dir),
        Kind::Flowers102 => return load_files(flowers_index(&dir, &hint)?, spec, &dir),
        Kind::Cub200 => return load_files(cub_index(&dir, &hint)?, spec, &dir),
    };
    finish(split, spec, &train_path)
}

/// Class subset and per-class limits on an in-memory split; `train_path` names the file
/// in an empty-class error.
fn finish(split: Split, spec: &DatasetSpec, train_path: &Path) -> Result<Split> {
    let Split { mut train, mut test } = split;
    if let Some(keep) = spec.classes.resolve(train.class_names(), "classes")? {
        train = train.keep_classes(&keep);
        test = test.keep_classes(&keep);
    }
    check_no_empty_class(&train, train_path)?;
    Ok(Split {
        train: train.subset_per_class(spec.train_per_class),
        test: test.subset_per_class(spec.test_per_class),
    })
}

/// Class subset and per-class limits on an index of image files, then decoding.
fn load_files(mut index: FileIndex, spec: &DatasetSpec, dir: &Path) -> Result<Split> {
    if let Some(keep) = spec.classes.resolve(&index.class_names, "classes")? {
        index.keep_classes(&keep);
    }
    let counts = index.counts("train");
    if let Some(k) = counts.iter().position(|&c| c == 0) {
        return Err(Error::EmptyClass {
            class: index.class_names[k].clone(),
            path: dir.to_path_buf(),
        });
    }
    index.limit_per_class("train", spec.train_per_class);
    index.limit_per_class("val", spec.train_per_class);
    index.limit_per_class("test", spec.test_per_class);
    let mut split = index.decode_split(spec.val_into_train)?;
    // train + val may now hold 2N per class; cut again to N.
    split.train = split.train.subset_per_class(spec.train_per_class);
    Ok(split)
}

fn check_no_empty_class(train: &Dataset, path: &Path) -> Result<()> {
    match train.class_counts().iter().position(|&c| c == 0) {
        Some(k) => Err(Error::EmptyClass {
            class: train.class_names()[k].clone(),
            path: path.to_path_buf(),
        }),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spec_default_is_digits_and_toml_round_trips() {
        let d = DatasetSpec::default();
        assert_eq!(d.name, "digits");
        let s: DatasetSpec = toml::from_str("").unwrap();
        assert_eq!(s, d);
        let s: DatasetSpec =
            toml::from_str("name = \"cifar10\"\nclasses = [\"cat\", 5]\ntrain_per_class = 3")
                .unwrap();
        assert_eq!(
            s.classes,
            ClassSelection::List(vec![ClassRef::Name("cat".into()), ClassRef::Index(5)])
        );
        let s: DatasetSpec = toml::from_str("classes = 4").unwrap();
        assert_eq!(s.classes, ClassSelection::First(4));
        assert!(toml::from_str::<DatasetSpec>("nmae = \"x\"").is_err());
        let back: DatasetSpec = toml::from_str(&toml::to_string(&s).unwrap()).unwrap();
        assert_eq!(back, s);
    }

    #[test]
    fn class_selection_resolves_names_indices_first_k() {
        let names: Vec<String> = ["a", "b", "c"].map(String::from).to_vec();
        let r = |s: ClassSelection| s.resolve(&names, "classes");
        assert_eq!(r(ClassSelection::default()).unwrap(), None);
        assert_eq!(r(ClassSelection::First(2)).unwrap(), Some(vec![0, 1]));
        assert!(r(ClassSelection::First(4)).is_err());
        let list = vec![ClassRef::Name("c".into()), ClassRef::Index(0)];
        assert_eq!(r(ClassSelection::List(list)).unwrap(), Some(vec![2, 0]));
        let e = r(ClassSelection::List(vec![ClassRef::Name("z".into())])).unwrap_err().to_string();
        assert!(e.contains("\"z\"") && e.contains("a, b, c"), "{e}");
        assert!(r(ClassSelection::List(vec![ClassRef::Index(1), ClassRef::Index(1)])).is_err());
    }
}
