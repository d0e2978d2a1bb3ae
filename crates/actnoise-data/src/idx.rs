//! MNIST-style IDX files (Fashion-MNIST), gzipped or not.

use std::io::Read;
use std::path::{Path, PathBuf};

use crate::dataset::{Dataset, Split};
use crate::error::{Error, Result};
use crate::records::read_file;

/// Fashion-MNIST class names, label order.
pub(crate) const FASHION_CLASSES: [&str; 10] = [
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
];

/// Largest decompressed IDX file accepted (Fashion-MNIST train images: 47 MB).
const MAX_IDX_BYTES: u64 = 1 << 30;

/// The file of `stem` in `dir`: `stem` or `stem.gz`, whichever exists (the plain file first).
pub(crate) fn idx_file(dir: &Path, stem: &str) -> PathBuf {
    let plain = dir.join(stem);
    if plain.is_file() { plain } else { dir.join(format!("{stem}.gz")) }
}

/// Fashion-MNIST from `dir`: `{train,t10k}-{images-idx3,labels-idx1}-ubyte[.gz]`, each
/// 28×28 image padded with 2 black pixels on every side to 1×32×32.
pub(crate) fn load_fashion(dir: &Path, hint: &str) -> Result<Split> {
    let load = |prefix: &str| -> Result<Dataset> {
        let ip = idx_file(dir, &format!("{prefix}-images-idx3-ubyte"));
        let lp = idx_file(dir, &format!("{prefix}-labels-idx1-ubyte"));
        let (n, rows, cols, pixels) = parse_idx_images(&read_idx(&ip, hint)?, &ip)?;
        let labels = parse_idx_labels(&read_idx(&lp, hint)?, &lp, FASHION_CLASSES.len())?;
        if labels.len() != n {
            return Err(Error::format(
                &lp,
                format!("{} labels, but {} has {n} images", labels.len(), ip.display()),
            ));
        }
        let images = pad_to_32(&pixels, rows, cols).ok_or_else(|| {
            Error::format(&ip, format!("images are {rows}x{cols}; at most 32x32 can be padded"))
        })?;
        let names = FASHION_CLASSES.iter().map(|s| s.to_string()).collect();
        Dataset::new(images, labels, names, [1, 32, 32])
    };
    Ok(Split { train: load("train")?, test: load("t10k")? })
}

/// Reads an IDX file, gunzipping it when it starts with the gzip magic bytes.
pub(crate) fn read_idx(path: &Path, hint: &str) -> Result<Vec<u8>> {
    let raw = read_file(path, hint)?;
    maybe_gunzip(raw, path)
}

/// `raw` itself, or its gunzipped content when it starts with `1f 8b`.
pub(crate) fn maybe_gunzip(raw: Vec<u8>, path: &Path) -> Result<Vec<u8>> {
    if !raw.starts_with(&[0x1f, 0x8b]) {
        return Ok(raw);
    }
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(raw.as_slice())
        .take(MAX_IDX_BYTES)
        .read_to_end(&mut out)
        .map_err(|e| Error::format(path, format!("broken gzip data: {e}; download it again")))?;
    Ok(out)
}

fn be_u32(bytes: &[u8], at: usize) -> Option<usize> {
    let b: [u8; 4] = bytes.get(at..at + 4)?.try_into().ok()?;
    Some(u32::from_be_bytes(b) as usize)
}

/// An IDX3 image file: magic `0x00000803`, count, rows, cols (big-endian u32), then
/// `count * rows * cols` bytes. Returns `(count, rows, cols, pixels)`.
pub(crate) fn parse_idx_images(
    bytes: &[u8],
    path: &Path,
) -> Result<(usize, usize, usize, Vec<u8>)> {
    let header = |i: usize| be_u32(bytes, 4 * i);
    let (Some(magic), Some(n), Some(rows), Some(cols)) =
        (header(0), header(1), header(2), header(3))
    else {
        return Err(Error::format(
            path,
            format!("{} bytes: too short for an IDX image header", bytes.len()),
        ));
    };
    if magic != 0x803 {
        return Err(Error::format(
            path,
            format!("magic 0x{magic:08x} is not 0x00000803 (IDX images)"),
        ));
    }
    let want = n.checked_mul(rows).and_then(|v| v.checked_mul(cols));
    let body = &bytes[16..];
    if want != Some(body.len()) {
        let per = rows.saturating_mul(cols).max(1);
        return Err(Error::format(
            path,
            format!(
                "header says {n} images of {rows}x{cols} but the file holds {} pixel bytes \
                 (image {} is incomplete or extra bytes follow); the file is truncated",
                body.len(),
                body.len() / per
            ),
        ));
    }
    if n == 0 || rows == 0 || cols == 0 {
        return Err(Error::format(path, format!("empty: {n} images of {rows}x{cols}")));
    }
    Ok((n, rows, cols, body.to_vec()))
}

/// An IDX1 label file: magic `0x00000801`, count, then `count` label bytes `< num_classes`.
pub(crate) fn parse_idx_labels(
    bytes: &[u8],
    path: &Path,
    num_classes: usize,
) -> Result<Vec<usize>> {
    let (Some(magic), Some(n)) = (be_u32(bytes, 0), be_u32(bytes, 4)) else {
        return Err(Error::format(
            path,
            format!("{} bytes: too short for an IDX label header", bytes.len()),
        ));
    };
    if magic != 0x801 {
        return Err(Error::format(
            path,
            format!("magic 0x{magic:08x} is not 0x00000801 (IDX labels)"),
        ));
    }
    let body = &bytes[8..];
    if body.len() != n {
        return Err(Error::format(
            path,
            format!(
                "header says {n} labels but the file holds {}; the file is truncated",
                body.len()
            ),
        ));
    }
    body.iter()
        .enumerate()
        .map(|(record, &l)| {
            if (l as usize) < num_classes {
                Ok(l as usize)
            } else {
                Err(Error::LabelOutOfRange {
                    path: path.to_path_buf(),
                    record,
                    label: u64::from(l),
                    num_classes,
                })
            }
        })
        .collect()
}

/// Centres `rows × cols` grey images in 32×32 black frames (`None` if larger than 32).
fn pad_to_32(pixels: &[u8], rows: usize, cols: usize) -> Option<Vec<u8>> {
    if rows > 32 || cols > 32 {
        return None;
    }
    let (top, left) = ((32 - rows) / 2, (32 - cols) / 2);
    let mut out = Vec::with_capacity(pixels.len() / (rows * cols) * 1024);
    for img in pixels.chunks_exact(rows * cols) {
        let mut frame = [0u8; 1024];
        for (r, row) in img.chunks_exact(cols).enumerate() {
            let at = (top + r) * 32 + left;
            frame[at..at + cols].copy_from_slice(row);
        }
        out.extend_from_slice(&frame);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pad_to_32_centres_28x28_with_two_pixels() {
        let img = vec![9u8; 28 * 28];
        let out = pad_to_32(&img, 28, 28).unwrap();
        assert_eq!(out.len(), 1024);
        assert_eq!(out[..2 * 32], [0; 64]);
        assert_eq!(out[2 * 32..2 * 32 + 2], [0, 0]);
        assert_eq!(out[2 * 32 + 2], 9);
        assert_eq!(out[2 * 32 + 29], 9);
        assert_eq!(out[2 * 32 + 30], 0);
        assert_eq!(out.iter().filter(|&&v| v == 9).count(), 784);
        assert!(pad_to_32(&[0; 33 * 33], 33, 33).is_none());
    }

    #[test]
    fn parse_idx_checks_magic_counts_and_labels() {
        let p = Path::new("i");
        let mut img = vec![0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0, 2];
        img.extend([1, 2, 3, 4]);
        assert_eq!(parse_idx_images(&img, p).unwrap(), (2, 1, 2, vec![1, 2, 3, 4]));
        assert!(parse_idx_images(&img[..19], p).is_err());
        img[3] = 1;
        assert!(parse_idx_images(&img, p).is_err());
        let lab = [0, 0, 8, 1, 0, 0, 0, 2, 3, 10];
        assert!(matches!(
            parse_idx_labels(&lab, p, 10),
            Err(Error::LabelOutOfRange { record: 1, label: 10, .. })
        ));
        assert_eq!(parse_idx_labels(&lab[..9], p, 10).ok(), None);
    }
}
