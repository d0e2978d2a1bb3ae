//! `info` (what is found where) and `check` (are the files right).

use std::fmt;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::catalog::Kind;
use crate::dataset::Split;
use crate::error::{Error, Result};
use crate::images::{FileIndex, caltech_index, cub_index, flowers_index};
use crate::records::{parse_checksum_table, read_text};
use crate::spec::{DatasetSpec, load};

/// What [`info`] found under a data root.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DataInfo {
    /// The data root examined.
    pub root: PathBuf,
    /// One entry per dataset name, in [`DATASET_NAMES`](crate::DATASET_NAMES) order.
    pub datasets: Vec<DatasetInfo>,
}

/// One dataset in a [`DataInfo`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DatasetInfo {
    /// Dataset name.
    pub name: String,
    /// Its folder, when found (`None` for the built-in digits and when absent).
    pub location: Option<PathBuf>,
    /// Class names (empty when not found or unreadable).
    pub classes: Vec<String>,
    /// Per split (`train`, `test`, `val`): images per class, indexed like `classes`.
    pub splits: Vec<(String, Vec<usize>)>,
    /// Why it is not usable: absent (with how to get it) or broken.
    pub problem: Option<String>,
}

impl DatasetInfo {
    /// Whether the dataset was found and read without error.
    pub fn is_available(&self) -> bool {
        self.problem.is_none()
    }

    /// Total images of split `name` (0 if absent).
    pub fn total(&self, split: &str) -> usize {
        self.splits.iter().find(|(n, _)| n == split).map_or(0, |(_, c)| c.iter().sum())
    }
}

/// Lists every known dataset under `root`: where it is, its classes and per-class counts
/// (read from labels and file lists; image files are not decoded). Nothing here fails:
/// problems are reported per dataset.
pub fn info(root: &Path) -> DataInfo {
    let datasets = Kind::ALL.iter().map(|&k| dataset_info(k, root)).collect();
    DataInfo { root: root.to_path_buf(), datasets }
}

fn dataset_info(kind: Kind, root: &Path) -> DatasetInfo {
    let mut out = DatasetInfo {
        name: kind.name().to_string(),
        location: None,
        classes: Vec::new(),
        splits: Vec::new(),
        problem: None,
    };
    if kind == Kind::Folder {
        out.problem = Some("any folder; set [data].dir (not looked for under the root)".into());
        return out;
    }
    let location =
        if kind == Kind::Digits { Ok(None) } else { kind.locate(Some(root), None).map(Some) };
    let counted = location.and_then(|loc| {
        out.location = loc.clone();
        count(kind, root, loc.as_deref())
    });
    match counted {
        Ok((classes, splits)) => {
            out.classes = classes;
            out.splits = splits;
        }
        Err(Error::Missing { .. }) if out.location.is_none() => {
            out.problem = Some(format!("not found. {}", kind.hint(Some(root))));
        }
        Err(e) => out.problem = Some(e.to_string()),
    }
    out
}

type Counts = (Vec<String>, Vec<(String, Vec<usize>)>);

fn count(kind: Kind, root: &Path, dir: Option<&Path>) -> Result<Counts> {
    let hint = kind.hint(Some(root));
    let from_index = |index: FileIndex| {
        let splits = index.splits.iter().map(|(s, _)| (s.to_string(), index.counts(s))).collect();
        (index.class_names, splits)
    };
    let dir_or = |d: Option<&Path>| d.map(Path::to_path_buf).ok_or(Error::NoDataDir);
    match kind {
        Kind::Caltech101 => Ok(from_index(caltech_index(&dir_or(dir)?, &hint)?)),
        Kind::Flowers102 => Ok(from_index(flowers_index(&dir_or(dir)?, &hint)?)),
        Kind::Cub200 => Ok(from_index(cub_index(&dir_or(dir)?, &hint)?)),
        _ => {
            let spec = DatasetSpec { name: kind.name().to_string(), ..DatasetSpec::default() };
            let Split { train, test } = load(&spec, Some(root))?;
            let mut splits = vec![
                ("train".to_string(), train.class_counts()),
                ("test".to_string(), test.class_counts()),
            ];
            if kind == Kind::Flowers20 {
                let with_val = DatasetSpec { val_into_train: true, ..spec };
                let all = load(&with_val, Some(root))?.train.class_counts();
                let val = all.iter().zip(&splits[0].1).map(|(a, t)| a - t).collect();
                splits.push(("val".to_string(), val));
            }
            Ok((train.class_names().to_vec(), splits))
        }
    }
}

impl fmt::Display for DataInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "data root: {}", self.root.display())?;
        writeln!(
            f,
            "{:<26} {:>7} {:>7} {:>7} {:>7}  where",
            "dataset", "classes", "train", "test", "val"
        )?;
        for d in &self.datasets {
            let place = match (&d.location, &d.problem) {
                (None, Some(_)) => "not found (how to get it: below)".to_string(),
                (Some(l), Some(_)) => format!("{}: BROKEN (below)", l.display()),
                (Some(l), None) => l.display().to_string(),
                (None, None) => "built in".to_string(),
            };
            if d.is_available() {
                let val = if d.splits.iter().any(|(s, _)| s == "val") {
                    d.total("val").to_string()
                } else {
                    "-".into()
                };
                writeln!(
                    f,
                    "{:<26} {:>7} {:>7} {:>7} {:>7}  {place}",
                    d.name,
                    d.classes.len(),
                    d.total("train"),
                    d.total("test"),
                    val
                )?;
            } else {
                writeln!(f, "{:<26} {:>7} {:>7} {:>7} {:>7}  {place}", d.name, "-", "-", "-", "-")?;
            }
        }
        let problems: Vec<&DatasetInfo> =
            self.datasets.iter().filter(|d| !d.is_available()).collect();
        if !problems.is_empty() {
            writeln!(f, "\nnot available:")?;
            for d in problems {
                writeln!(f, "  {}: {}", d.name, d.problem.as_deref().unwrap_or(""))?;
            }
        }
        for d in self.datasets.iter().filter(|d| d.is_available()) {
            writeln!(f, "\n{} per class:", d.name)?;
            let heads: Vec<&str> = d.splits.iter().map(|(s, _)| s.as_str()).collect();
            write!(f, "  {:>5}  {:<28}", "label", "class")?;
            for h in &heads {
                write!(f, " {h:>7}")?;
            }
            writeln!(f)?;
            for (k, name) in d.classes.iter().enumerate() {
                write!(f, "  {k:>5}  {name:<28}")?;
                for (_, c) in &d.splits {
                    write!(f, " {:>7}", c.get(k).copied().unwrap_or(0))?;
                }
                writeln!(f)?;
            }
        }
        Ok(())
    }
}

/// Outcome of one check.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CheckStatus {
    /// Verified.
    Ok,
    /// Wrong: see the detail.
    Failed,
}

/// One verified fact about one file or dataset.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckItem {
    /// Dataset name.
    pub dataset: String,
    /// The file or folder checked.
    pub path: PathBuf,
    /// Outcome.
    pub status: CheckStatus,
    /// What was checked, or what is wrong and how to fix it.
    pub detail: String,
}

/// What [`check`] verified.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckReport {
    /// The data root examined.
    pub root: PathBuf,
    /// Every check made, dataset by dataset.
    pub items: Vec<CheckItem>,
    /// Datasets not found (and so not checked).
    pub absent: Vec<String>,
}

impl CheckReport {
    /// Whether every check passed (absent datasets do not count as failures).
    pub fn is_ok(&self) -> bool {
        self.items.iter().all(|i| i.status == CheckStatus::Ok)
    }

    /// The failed checks.
    pub fn failures(&self) -> impl Iterator<Item = &CheckItem> {
        self.items.iter().filter(|i| i.status == CheckStatus::Failed)
    }
}

/// Verifies every dataset found under `root`:
/// - each file listed with size and sha256 in the dataset folder's `README.md` (a
///   `| file | bytes | sha256 |` table; for Fashion-MNIST installed elsewhere, the README in
///   `<root>/fashion-mnist/`) has that size and checksum;
/// - the set loads: record sizes, record counts and label ranges are right (image-folder
///   sets: every listed image file exists and is non-empty);
/// - per-class counts equal those of a `| label | class | <split> … |` README table, if any.
pub fn check(root: &Path) -> CheckReport {
    let mut report =
        CheckReport { root: root.to_path_buf(), items: Vec::new(), absent: Vec::new() };
    for kind in Kind::ALL {
        let Some(layout) = kind.layout() else { continue };
        let Some(dir) = kind.find(root, &layout) else {
            report.absent.push(kind.name().to_string());
            continue;
        };
        let mut push = |path: &Path, ok: bool, detail: String| {
            report.items.push(CheckItem {
                dataset: kind.name().to_string(),
                path: path.to_path_buf(),
                status: if ok { CheckStatus::Ok } else { CheckStatus::Failed },
                detail,
            });
        };
        // The CIFAR-20 sets read the CIFAR-100 files: check those once.
        let readme = [dir.join("README.md"), root.join(layout.dirs[0]).join("README.md")]
            .into_iter()
            .find(|p| p.is_file());
        let readme_text = readme.as_ref().and_then(|p| read_text(p, "").ok());
        if !matches!(kind, Kind::Cifar20Coarse | Kind::Cifar20Fine) {
            for (file, bytes, sha) in
                readme_text.as_deref().map(parse_checksum_table).unwrap_or_default()
            {
                let path = dir.join(&file);
                match verify_file(&path, bytes, &sha) {
                    Ok(()) => push(&path, true, format!("{bytes} bytes, sha256 {}…", &sha[..12])),
                    Err(e) => push(&path, false, e.to_string()),
                }
            }
        }
        match check_contents(kind, root, &dir) {
            Ok((detail, counts)) => {
                push(&dir, true, detail);
                if let (Some(text), Some((classes, splits))) = (&readme_text, counts) {
                    if let Some(problem) = compare_counts(text, &classes, &splits) {
                        push(readme.as_deref().unwrap_or(&dir), false, problem);
                    } else if parse_counts_table(text).is_some() {
                        push(
                            readme.as_deref().unwrap_or(&dir),
                            true,
                            "per-class counts match the README".into(),
                        );
                    }
                }
            }
            Err(e) => push(&dir, false, e.to_string()),
        }
    }
    report
}

fn verify_file(path: &Path, bytes: u64, sha: &str) -> Result<()> {
    let meta = std::fs::metadata(path)
        .map_err(|e| crate::records::missing_or_io(e, path, "listed in the README"))?;
    if meta.len() != bytes {
        return Err(Error::format(
            path,
            format!("size {} bytes, the README says {bytes}; replace the file", meta.len()),
        ));
    }
    let actual = sha256_file(path)?;
    if actual != sha {
        return Err(Error::Checksum {
            path: path.to_path_buf(),
            algorithm: "sha256",
            expected: sha.into(),
            actual,
        });
    }
    Ok(())
}

/// Hex sha256 of a file, streamed.
pub(crate) fn sha256_file(path: &Path) -> Result<String> {
    let mut f = std::fs::File::open(path).map_err(|e| Error::io("open", path, e))?;
    let mut h = Sha256::new();
    std::io::copy(&mut f, &mut h).map_err(|e| Error::io("read", path, e))?;
    Ok(hex::encode(h.finalize()))
}

fn check_contents(kind: Kind, root: &Path, dir: &Path) -> Result<(String, Option<Counts>)> {
    let hint = kind.hint(Some(root));
    let index = match kind {
        Kind::Caltech101 => Some(caltech_index(dir, &hint)?),
        Kind::Flowers102 => Some(flowers_index(dir, &hint)?),
        Kind::Cub200 => Some(cub_index(dir, &hint)?),
        _ => None,
    };
    if let Some(index) = index {
        let mut n = 0;
        for (_, entries) in &index.splits {
            for (p, _) in entries {
                let len = std::fs::metadata(p)
                    .map_err(|e| crate::records::missing_or_io(e, p, &hint))?
                    .len();
                if len == 0 {
                    return Err(Error::Decode { path: p.clone(), reason: "empty file".into() });
                }
                n += 1;
            }
        }
        return Ok((
            format!("{n} image files listed, all present; {} classes", index.class_names.len()),
            None,
        ));
    }
    let (classes, splits) = count(kind, root, Some(dir))?;
    let sizes: Vec<String> =
        splits.iter().map(|(s, c)| format!("{} {s}", c.iter().sum::<usize>())).collect();
    let detail = format!(
        "loads: {}, {} classes, record sizes and labels valid",
        sizes.join(" / "),
        classes.len()
    );
    Ok((detail, Some((classes, splits))))
}

/// Split names, then per class `(name, count per split)`.
type CountsTable = (Vec<String>, Vec<(String, Vec<usize>)>);

/// A README table `| label | class | <split> | … |`: split names and per-class rows.
pub(crate) fn parse_counts_table(text: &str) -> Option<CountsTable> {
    let cells = |line: &str| -> Option<Vec<String>> {
        let inner = line.trim().strip_prefix('|')?.strip_suffix('|')?;
        Some(inner.split('|').map(|c| c.trim().to_string()).collect())
    };
    let mut lines = text.lines();
    let header = lines
        .by_ref()
        .find_map(|l| cells(l).filter(|c| c.len() >= 3 && c[0] == "label" && c[1] == "class"))?;
    let splits: Vec<String> = header[2..].to_vec();
    let mut rows = Vec::new();
    for l in lines {
        let Some(c) = cells(l) else { break };
        if c[0].starts_with("---") || c[0].starts_with(":-") {
            continue;
        }
        if c[0].parse::<usize>().is_err() {
            continue; // the total row
        }
        let counts: Option<Vec<usize>> =
            c.get(2..)?.iter().map(|v| v.replace(',', "").parse().ok()).collect();
        rows.push((c[1].clone(), counts?));
    }
    (!rows.is_empty()).then_some((splits, rows))
}

/// `None` if the loaded counts agree with the README table (or there is none).
fn compare_counts(
    readme: &str,
    classes: &[String],
    splits: &[(String, Vec<usize>)],
) -> Option<String> {
    let (heads, rows) = parse_counts_table(readme)?;
    if rows.len() != classes.len() {
        return Some(format!(
            "README lists {} classes, the data has {}",
            rows.len(),
            classes.len()
        ));
    }
    for (k, (name, counts)) in rows.iter().enumerate() {
        if *name != classes[k] {
            return Some(format!(
                "class {k}: README says {name:?}, classes.txt says {:?}",
                classes[k]
            ));
        }
        for (h, want) in heads.iter().zip(counts) {
            let Some((_, got)) = splits.iter().find(|(s, _)| s == h) else { continue };
            if got.get(k) != Some(want) {
                return Some(format!(
                    "class {k} ({name}) {h}: README says {want} images, the data has {}",
                    got.get(k).copied().unwrap_or(0)
                ));
            }
        }
    }
    None
}

impl fmt::Display for CheckReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "data root: {}", self.root.display())?;
        writeln!(f, "{:<6} {:<26} {:<44} detail", "status", "dataset", "file")?;
        for i in &self.items {
            let status = match i.status {
                CheckStatus::Ok => "ok",
                CheckStatus::Failed => "FAILED",
            };
            let rel = i.path.strip_prefix(&self.root).unwrap_or(&i.path);
            writeln!(f, "{status:<6} {:<26} {:<44} {}", i.dataset, rel.display(), i.detail)?;
        }
        if !self.absent.is_empty() {
            writeln!(f, "not found (not checked): {}", self.absent.join(", "))?;
        }
        let failed = self.failures().count();
        writeln!(f, "{} checks, {failed} failed", self.items.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_counts_table_reads_label_class_rows() {
        let t = "x\n| label | class | test | train |\n|---|---|---|---|\n| 0 | a b | 3 | 1,000 |\n\
                 | 1 | c | 4 | 5 |\n| | **total** | 7 | 1005 |\n\nmore";
        let (heads, rows) = parse_counts_table(t).unwrap();
        assert_eq!(heads, vec!["test", "train"]);
        assert_eq!(rows, vec![("a b".to_string(), vec![3, 1000]), ("c".to_string(), vec![4, 5])]);
        let classes = vec!["a b".to_string(), "c".to_string()];
        let good = vec![("train".to_string(), vec![1000, 5]), ("test".to_string(), vec![3, 4])];
        assert_eq!(compare_counts(t, &classes, &good), None);
        let bad = vec![("train".to_string(), vec![999, 5])];
        assert!(compare_counts(t, &classes, &bad).unwrap().contains("README says 1000"));
    }
}
