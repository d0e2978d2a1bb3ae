//! CIFAR-10, CIFAR-100 and the prepared 32×32 sets that use the CIFAR-10 record layout.

use std::path::Path;

use crate::dataset::{Dataset, Split};
use crate::error::{Error, Result};
use crate::records::{Records, parse_class_list, parse_records, read_file, read_text};

/// Which CIFAR-100 label byte to use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Cifar100Label {
    /// Byte 0: one of 20 superclasses.
    Coarse,
    /// Byte 1: one of 100 classes.
    Fine,
}

/// Class names from a text file, one per line.
pub(crate) fn read_classes(path: &Path, hint: &str) -> Result<Vec<String>> {
    parse_class_list(&read_text(path, hint)?, path)
}

/// A CIFAR-10-layout record file (1 label byte + 3072 pixel bytes) as a dataset.
pub(crate) fn read_cifar10_file(path: &Path, classes: &[String], hint: &str) -> Result<Dataset> {
    let records = parse_records(&read_file(path, hint)?, path, 1)?;
    records_to_dataset(records, 0, classes.to_vec(), path)
}

fn records_to_dataset(
    r: Records,
    which: usize,
    names: Vec<String>,
    path: &Path,
) -> Result<Dataset> {
    let labels = r.label_column(which, names.len(), path)?;
    Dataset::new(r.pixels, labels, names, [3, 32, 32])
}

/// A prepared set folder: `classes.txt` and `<split>.bin` for each of `splits`.
pub(crate) fn load_prepared(dir: &Path, splits: &[&str], hint: &str) -> Result<Vec<Dataset>> {
    let classes = read_classes(&dir.join("classes.txt"), hint)?;
    splits
        .iter()
        .map(|s| read_cifar10_file(&dir.join(format!("{s}.bin")), &classes, hint))
        .collect()
}

/// CIFAR-10 from either the prepared layout (`train.bin`, `test.bin`, `classes.txt`) or the
/// official binary layout (`data_batch_1.bin` … `data_batch_5.bin`, `test_batch.bin`,
/// `batches.meta.txt`).
pub(crate) fn load_cifar10(dir: &Path, hint: &str) -> Result<Split> {
    if !dir.join("train.bin").exists() && dir.join("data_batch_1.bin").exists() {
        let classes = read_classes(&dir.join("batches.meta.txt"), hint)?;
        let mut train = read_cifar10_file(&dir.join("data_batch_1.bin"), &classes, hint)?;
        for k in 2..=5 {
            train.append(read_cifar10_file(
                &dir.join(format!("data_batch_{k}.bin")),
                &classes,
                hint,
            )?)?;
        }
        let test = read_cifar10_file(&dir.join("test_batch.bin"), &classes, hint)?;
        return Ok(Split { train, test });
    }
    let mut sets = load_prepared(dir, &["train", "test"], hint)?.into_iter();
    match (sets.next(), sets.next()) {
        (Some(train), Some(test)) => Ok(Split { train, test }),
        _ => Err(Error::Inconsistent("prepared CIFAR-10 needs train and test".into())),
    }
}

/// The CIFAR-100 binary version: `train.bin`, `test.bin` (coarse byte, fine byte, 3072
/// pixel bytes), `coarse_label_names.txt`, `fine_label_names.txt`.
pub(crate) struct Cifar100 {
    pub train: Records,
    pub test: Records,
    pub coarse_names: Vec<String>,
    pub fine_names: Vec<String>,
    dir: std::path::PathBuf,
}

impl Cifar100 {
    pub fn read(dir: &Path, hint: &str) -> Result<Self> {
        let read = |name: &str| {
            let p = dir.join(name);
            parse_records(&read_file(&p, hint)?, &p, 2)
        };
        Ok(Self {
            coarse_names: read_classes(&dir.join("coarse_label_names.txt"), hint)?,
            fine_names: read_classes(&dir.join("fine_label_names.txt"), hint)?,
            train: read("train.bin")?,
            test: read("test.bin")?,
            dir: dir.to_path_buf(),
        })
    }

    /// Train and test labelled by the coarse or the fine byte.
    pub fn split(self, label: Cifar100Label) -> Result<Split> {
        let (which, names) = match label {
            Cifar100Label::Coarse => (0, self.coarse_names),
            Cifar100Label::Fine => (1, self.fine_names),
        };
        Ok(Split {
            train: records_to_dataset(
                self.train,
                which,
                names.clone(),
                &self.dir.join("train.bin"),
            )?,
            test: records_to_dataset(self.test, which, names, &self.dir.join("test.bin"))?,
        })
    }

    /// For each superclass, in coarse-label order, the lowest fine label seen with it in
    /// the training records: 20 fine classes, one per superclass.
    pub fn one_fine_per_coarse(&self) -> Result<Vec<usize>> {
        let path = self.dir.join("train.bin");
        let coarse = self.train.label_column(0, self.coarse_names.len(), &path)?;
        let fine = self.train.label_column(1, self.fine_names.len(), &path)?;
        let mut pick = vec![usize::MAX; self.coarse_names.len()];
        for (&c, &f) in coarse.iter().zip(&fine) {
            pick[c] = pick[c].min(f);
        }
        if let Some(c) = pick.iter().position(|&f| f == usize::MAX) {
            return Err(Error::EmptyClass { class: self.coarse_names[c].clone(), path });
        }
        Ok(pick)
    }
}
