//! Sets stored as image files: plain folders, Caltech-101, Flowers-102, CUB-200-2011.
//!
//! Each loader first builds a [`FileIndex`] (paths and labels, no decoding) so that class
//! subsets and per-class limits are applied before any image is decoded.

use std::path::{Path, PathBuf};

use image::{ImageReader, RgbImage};
use rayon::prelude::*;

use crate::dataset::{Dataset, Split};
use crate::error::{Error, Result};
use crate::records::{missing_or_io, read_file, read_text};

/// Side of the square every image is resized to.
pub(crate) const SIDE: u32 = 32;

/// File extensions read as images (compared case-insensitively).
const IMAGE_EXTENSIONS: [&str; 3] = ["jpg", "jpeg", "png"];

/// The images of a set, not yet decoded.
#[derive(Clone, Debug)]
pub(crate) struct FileIndex {
    /// Class names; labels index them.
    pub class_names: Vec<String>,
    /// Named splits ("train", "test", "val") of `(image path, label)`.
    pub splits: Vec<(&'static str, Vec<(PathBuf, usize)>)>,
}

impl FileIndex {
    /// The entries of split `name` (empty if absent).
    pub fn split(&self, name: &str) -> &[(PathBuf, usize)] {
        self.splits.iter().find(|(n, _)| *n == name).map_or(&[], |(_, v)| v.as_slice())
    }

    /// Per-class counts of split `name`.
    pub fn counts(&self, name: &str) -> Vec<usize> {
        let mut c = vec![0; self.class_names.len()];
        for (_, l) in self.split(name) {
            c[*l] += 1;
        }
        c
    }

    /// Keeps classes `keep` (old labels), relabelled `0..keep.len()` in that order.
    pub fn keep_classes(&mut self, keep: &[usize]) {
        let mut map = vec![usize::MAX; self.class_names.len()];
        for (new, &old) in keep.iter().enumerate() {
            map[old] = new;
        }
        for (_, entries) in &mut self.splits {
            entries.retain_mut(|(_, l)| {
                *l = map[*l];
                *l != usize::MAX
            });
        }
        self.class_names = keep.iter().map(|&k| self.class_names[k].clone()).collect();
    }

    /// Keeps the first `n` entries of each class in split `name` (`n == 0`: all).
    pub fn limit_per_class(&mut self, name: &str, n: usize) {
        if n == 0 {
            return;
        }
        let classes = self.class_names.len();
        if let Some((_, entries)) = self.splits.iter_mut().find(|(s, _)| *s == name) {
            let mut taken = vec![0usize; classes];
            entries.retain(|(_, l)| {
                taken[*l] += 1;
                taken[*l] <= n
            });
        }
    }

    /// Decodes split `name` into a 3×32×32 dataset.
    pub fn decode(&self, name: &str) -> Result<Dataset> {
        let entries = self.split(name);
        let pixels: Vec<Vec<u8>> =
            entries.par_iter().map(|(path, _)| load_resized(path)).collect::<Result<_>>()?;
        let labels = entries.iter().map(|(_, l)| *l).collect();
        Dataset::new(
            pixels.concat(),
            labels,
            self.class_names.clone(),
            [3, SIDE as usize, SIDE as usize],
        )
    }

    /// Decodes train and test (train + val when `val_into_train`).
    pub fn decode_split(&self, val_into_train: bool) -> Result<Split> {
        let mut train = self.decode("train")?;
        if val_into_train {
            train.append(self.decode("val")?)?;
        }
        Ok(Split { train, test: self.decode("test")? })
    }
}

/// Decodes one image file, converts it to RGB and resizes the whole image to 32×32
/// (aspect ratio not kept) with `image::imageops::thumbnail`, an area average; returns CHW
/// bytes.
pub(crate) fn load_resized(path: &Path) -> Result<Vec<u8>> {
    let bytes = read_file(path, "the file is listed by the dataset but absent; restore it")?;
    decode_resized(&bytes, path)
}

/// [`load_resized`] on bytes already read (`path` is for messages and the format guess).
pub(crate) fn decode_resized(bytes: &[u8], path: &Path) -> Result<Vec<u8>> {
    let decode_err = |reason: String| Error::Decode { path: path.to_path_buf(), reason };
    let reader = ImageReader::new(std::io::Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| decode_err(e.to_string()))?;
    let img = reader.decode().map_err(|e| decode_err(e.to_string()))?;
    if img.width() == 0 || img.height() == 0 {
        return Err(decode_err(format!("image has size {}x{}", img.width(), img.height())));
    }
    let rgb: RgbImage = img.to_rgb8();
    let small = if rgb.dimensions() == (SIDE, SIDE) {
        rgb
    } else {
        image::imageops::thumbnail(&rgb, SIDE, SIDE)
    };
    Ok(hwc_to_chw(small.as_raw(), 3))
}

/// Interleaved HWC bytes to planar CHW.
pub(crate) fn hwc_to_chw(hwc: &[u8], channels: usize) -> Vec<u8> {
    let plane = hwc.len() / channels;
    let mut out = vec![0u8; hwc.len()];
    for (i, px) in hwc.chunks_exact(channels).enumerate() {
        for (c, &v) in px.iter().enumerate() {
            out[c * plane + i] = v;
        }
    }
    out
}

fn is_image(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| IMAGE_EXTENSIONS.iter().any(|x| e.eq_ignore_ascii_case(x)))
}

fn read_dir_sorted(dir: &Path, hint: &str) -> Result<Vec<PathBuf>> {
    let rd = std::fs::read_dir(dir).map_err(|e| missing_or_io(e, dir, hint))?;
    let mut out = Vec::new();
    for entry in rd {
        let entry = entry.map_err(|e| Error::io("list", dir, e))?;
        let name = entry.file_name();
        if name.to_string_lossy().starts_with('.') {
            continue;
        }
        out.push(entry.path());
    }
    out.sort();
    Ok(out)
}

/// Sub-folders of `dir` (sorted by name, hidden ones skipped) as `(name, path)`.
fn class_dirs(dir: &Path, hint: &str) -> Result<Vec<(String, PathBuf)>> {
    let mut out = Vec::new();
    for p in read_dir_sorted(dir, hint)? {
        if p.is_dir() {
            let name = p.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            out.push((name, p));
        }
    }
    Ok(out)
}

/// Image files of one class folder, sorted; an empty folder is an [`Error::EmptyClass`].
fn class_images(class: &str, dir: &Path) -> Result<Vec<PathBuf>> {
    let files: Vec<PathBuf> =
        read_dir_sorted(dir, "")?.into_iter().filter(|p| p.is_file() && is_image(p)).collect();
    if files.is_empty() {
        return Err(Error::EmptyClass { class: class.to_string(), path: dir.to_path_buf() });
    }
    Ok(files)
}

/// `root/{train,test}/<class>/<image>.{jpg,jpeg,png}`; classes are the sub-folders of
/// `train/`, sorted by name; `test/` may lack a class but not add one.
pub(crate) fn folder_index(root: &Path, hint: &str) -> Result<FileIndex> {
    let train_dir = root.join("train");
    let classes = class_dirs(&train_dir, hint)?;
    if classes.is_empty() {
        return Err(Error::format(
            &train_dir,
            "no class sub-folders (expected train/<class>/<image>)",
        ));
    }
    let class_names: Vec<String> = classes.iter().map(|(n, _)| n.clone()).collect();
    let mut train = Vec::new();
    for (label, (name, dir)) in classes.iter().enumerate() {
        train.extend(class_images(name, dir)?.into_iter().map(|p| (p, label)));
    }
    let mut test = Vec::new();
    for (name, dir) in class_dirs(&root.join("test"), hint)? {
        let Some(label) = class_names.iter().position(|n| *n == name) else {
            return Err(Error::format(
                &dir,
                format!("test class {name:?} has no folder in {}", train_dir.display()),
            ));
        };
        test.extend(class_images(&name, &dir)?.into_iter().map(|p| (p, label)));
    }
    Ok(FileIndex { class_names, splits: vec![("train", train), ("test", test)] })
}

/// The Caltech-101 folder `101_ObjectCategories/<class>/image_NNNN.jpg`.
///
/// `root` may be that folder or hold it. Classes: every sub-folder except
/// `BACKGROUND_Google`, sorted by name (101 classes). Split: `train.txt` / `test.txt` beside
/// the class folders (lines `class/file.jpg`) when both exist, otherwise, within each class
/// sorted by file name, every third image (positions 2, 5, 8, …) is test (1/3 test).
pub(crate) fn caltech_index(root: &Path, hint: &str) -> Result<FileIndex> {
    let nested = root.join("101_ObjectCategories");
    let dir = if nested.is_dir() { nested } else { root.to_path_buf() };
    let classes: Vec<(String, PathBuf)> =
        class_dirs(&dir, hint)?.into_iter().filter(|(n, _)| n != "BACKGROUND_Google").collect();
    if classes.is_empty() {
        return Err(Error::Missing {
            path: dir.join("<class>"),
            hint: format!("no class folders found. {hint}"),
        });
    }
    let class_names: Vec<String> = classes.iter().map(|(n, _)| n.clone()).collect();
    let lists = [dir.join("train.txt"), dir.join("test.txt")];
    let (train, test) = if lists.iter().all(|p| p.is_file()) {
        (read_list(&lists[0], &dir, &class_names)?, read_list(&lists[1], &dir, &class_names)?)
    } else {
        let (mut train, mut test) = (Vec::new(), Vec::new());
        for (label, (name, cdir)) in classes.iter().enumerate() {
            for (k, p) in class_images(name, cdir)?.into_iter().enumerate() {
                if k % 3 == 2 { &mut test } else { &mut train }.push((p, label));
            }
        }
        (train, test)
    };
    Ok(FileIndex { class_names, splits: vec![("train", train), ("test", test)] })
}

/// A split list of `class/file` lines; lines of classes not in `classes` are skipped.
fn read_list(path: &Path, dir: &Path, classes: &[String]) -> Result<Vec<(PathBuf, usize)>> {
    let mut out = Vec::new();
    for (i, line) in read_text(path, "")?.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let Some((class, _)) = line.split_once('/') else {
            return Err(Error::format(path, format!("line {}: {line:?} is not class/file", i + 1)));
        };
        if let Some(label) = classes.iter().position(|c| c == class) {
            out.push((dir.join(line), label));
        }
    }
    Ok(out)
}

/// Oxford Flowers-102: `jpg/image_NNNNN.jpg`, `imagelabels.mat` (`labels`, 1..=102) and
/// `setid.mat` (`trnid`, `valid`, `tstid`). Class names from `classes.txt` (102 lines) when
/// present, else the official label numbers "1" … "102".
pub(crate) fn flowers_index(root: &Path, hint: &str) -> Result<FileIndex> {
    let labels_path = root.join("imagelabels.mat");
    let labels = mat_vector(&read_file(&labels_path, hint)?, &labels_path, "labels")?;
    let max = labels.iter().copied().max().unwrap_or(0);
    let num_classes = 102.max(max as usize);
    let names_path = root.join("classes.txt");
    let class_names = if names_path.is_file() {
        let names = crate::records::parse_class_list(&read_text(&names_path, "")?, &names_path)?;
        if names.len() != num_classes {
            return Err(Error::format(
                &names_path,
                format!("{} names, but imagelabels.mat has {num_classes} classes", names.len()),
            ));
        }
        names
    } else {
        (1..=num_classes).map(|k| k.to_string()).collect()
    };
    let setid_path = root.join("setid.mat");
    let setid = read_file(&setid_path, hint)?;
    let mut splits = Vec::new();
    for (split, key) in [("train", "trnid"), ("val", "valid"), ("test", "tstid")] {
        let ids = mat_vector(&setid, &setid_path, key)?;
        let mut entries = Vec::with_capacity(ids.len());
        for id in ids {
            let Some(&label) = labels.get((id as usize).wrapping_sub(1)) else {
                return Err(Error::format(
                    &setid_path,
                    format!(
                        "{key} lists image {id}, but imagelabels.mat has {} images",
                        labels.len()
                    ),
                ));
            };
            if label == 0 {
                return Err(Error::LabelOutOfRange {
                    path: labels_path.clone(),
                    record: id as usize - 1,
                    label: 0,
                    num_classes,
                });
            }
            entries.push((root.join("jpg").join(format!("image_{id:05}.jpg")), label as usize - 1));
        }
        // Official lists are not sorted; sort by label then image id so that "first N per
        // class" is the N lowest image numbers.
        entries.sort_by(|a, b| (a.1, &a.0).cmp(&(b.1, &b.0)));
        splits.push((split, entries));
    }
    Ok(FileIndex { class_names, splits })
}

/// A MATLAB v5 numeric array `name` of `bytes` as positive integers (read with `matfile`).
pub(crate) fn mat_vector(bytes: &[u8], path: &Path, name: &str) -> Result<Vec<u64>> {
    let mat = matfile::MatFile::parse(bytes)
        .map_err(|e| Error::format(path, format!("not a readable MATLAB v5 .mat file: {e}")))?;
    let array = mat
        .find_by_name(name)
        .ok_or_else(|| Error::format(path, format!("no array named {name:?} in the .mat file")))?;
    use matfile::NumericData as N;
    let values: Vec<f64> = match array.data() {
        N::Double { real, .. } => real.clone(),
        N::Single { real, .. } => real.iter().map(|&v| f64::from(v)).collect(),
        N::UInt8 { real, .. } => real.iter().map(|&v| f64::from(v)).collect(),
        N::UInt16 { real, .. } => real.iter().map(|&v| f64::from(v)).collect(),
        N::UInt32 { real, .. } => real.iter().map(|&v| f64::from(v)).collect(),
        N::Int32 { real, .. } => real.iter().map(|&v| f64::from(v)).collect(),
        N::Int16 { real, .. } => real.iter().map(|&v| f64::from(v)).collect(),
        other => {
            return Err(Error::format(
                path,
                format!("array {name:?} has an unsupported type: {other:?}"),
            ));
        }
    };
    values
        .into_iter()
        .enumerate()
        .map(|(i, v)| {
            if v.fract() == 0.0 && (0.0..1e9).contains(&v) {
                Ok(v as u64)
            } else {
                Err(Error::format(path, format!("{name}[{i}] = {v} is not a non-negative integer")))
            }
        })
        .collect()
}

/// CUB-200-2011: `images.txt` (`id path`), `image_class_labels.txt` (`id class`),
/// `train_test_split.txt` (`id is_train`), `classes.txt` (`class NNN.Name`), `images/`.
/// `root` may be `CUB_200_2011/` or hold it. Class names drop the `NNN.` prefix.
pub(crate) fn cub_index(root: &Path, hint: &str) -> Result<FileIndex> {
    let nested = root.join("CUB_200_2011");
    let dir = if nested.is_dir() { nested } else { root.to_path_buf() };
    let table = |file: &str| -> Result<Vec<(u64, String)>> {
        let path = dir.join(file);
        parse_id_table(&read_text(&path, hint)?, &path)
    };
    let classes = table("classes.txt")?;
    let class_names: Vec<String> = classes
        .iter()
        .map(|(_, n)| n.split_once('.').filter(|(d, _)| d.bytes().all(|b| b.is_ascii_digit())))
        .zip(&classes)
        .map(|(split, (_, n))| split.map_or(n.clone(), |(_, rest)| rest.to_string()))
        .collect();
    let images = table("images.txt")?;
    let labels_path = dir.join("image_class_labels.txt");
    let labels = table("image_class_labels.txt")?;
    let split_path = dir.join("train_test_split.txt");
    let is_train = table("train_test_split.txt")?;
    let lookup = |rows: &[(u64, String)], id: u64, path: &Path| -> Result<String> {
        rows.binary_search_by_key(&id, |r| r.0)
            .map(|k| rows[k].1.clone())
            .map_err(|_| Error::format(path, format!("no line for image id {id}")))
    };
    let (mut train, mut test) = (Vec::new(), Vec::new());
    for (record, (id, rel)) in images.iter().enumerate() {
        let class: u64 = lookup(&labels, *id, &labels_path)?.parse().map_err(|_| {
            Error::format(&labels_path, format!("image {id}: class id is not a number"))
        })?;
        if class == 0 || class as usize > class_names.len() {
            return Err(Error::LabelOutOfRange {
                path: labels_path.clone(),
                record,
                label: class,
                num_classes: class_names.len(),
            });
        }
        let entry = (dir.join("images").join(rel), class as usize - 1);
        match lookup(&is_train, *id, &split_path)?.as_str() {
            "1" => train.push(entry),
            "0" => test.push(entry),
            other => {
                return Err(Error::format(
                    &split_path,
                    format!("image {id}: is_train {other:?} is not 0 or 1"),
                ));
            }
        }
    }
    for entries in [&mut train, &mut test] {
        entries.sort_by(|a, b| (a.1, &a.0).cmp(&(b.1, &b.0)));
    }
    Ok(FileIndex { class_names, splits: vec![("train", train), ("test", test)] })
}

/// Lines `<id> <value>` sorted by id; ids must be unique.
pub(crate) fn parse_id_table(text: &str, path: &Path) -> Result<Vec<(u64, String)>> {
    let mut rows = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let bad = || Error::format(path, format!("line {}: {line:?} is not `<id> <value>`", i + 1));
        let (id, value) = line.split_once(char::is_whitespace).ok_or_else(bad)?;
        let id = id.parse::<u64>().map_err(|_| bad())?;
        rows.push((id, value.trim().to_string()));
    }
    rows.sort_by_key(|r| r.0);
    if let Some(w) = rows.windows(2).find(|w| w[0].0 == w[1].0) {
        return Err(Error::format(path, format!("image id {} appears twice", w[0].0)));
    }
    if rows.is_empty() {
        return Err(Error::format(path, "no lines"));
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hwc_to_chw_moves_channels_to_planes() {
        assert_eq!(hwc_to_chw(&[1, 2, 3, 4, 5, 6], 3), vec![1, 4, 2, 5, 3, 6]);
    }

    #[test]
    fn parse_id_table_sorts_and_rejects_duplicates() {
        let p = Path::new("t");
        assert_eq!(
            parse_id_table("2 b\n1 a x\n", p).unwrap(),
            vec![(1, "a x".into()), (2, "b".into())]
        );
        assert!(parse_id_table("1 a\n1 b\n", p).is_err());
        assert!(parse_id_table("x a\n", p).is_err());
        assert!(parse_id_table("", p).is_err());
    }
}
