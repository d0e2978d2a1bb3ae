//! The UCI handwritten digits as shipped by scikit-learn, embedded in the crate.

use std::io::Read;
use std::path::Path;

use image::GrayImage;
use image::imageops::FilterType;
use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_xoshiro::Xoshiro256PlusPlus;

use crate::dataset::{Dataset, Split};
use crate::error::{Error, Result};

/// `digits.csv.gz` from the scikit-learn wheel, byte for byte (CC BY 4.0, see
/// `data/DIGITS_ATTRIBUTION.md`).
pub(crate) const DIGITS_CSV_GZ: &[u8] = include_bytes!("../data/digits.csv.gz");

/// Shown as the "path" of the embedded file in messages.
const EMBEDDED: &str = "<embedded digits.csv.gz>";

/// Seed of the fixed train/test split.
const SPLIT_SEED: u64 = 0;

/// Largest decompressed size accepted (the real file is ~290 kB).
const MAX_CSV_BYTES: u64 = 16 << 20;

/// The digits as 1×32×32 grey images, split 75/25 per class (see the README).
pub(crate) fn load_digits() -> Result<Split> {
    let (pixels, labels) = parse_digits_gz(DIGITS_CSV_GZ, Path::new(EMBEDDED))?;
    let images: Vec<u8> = pixels.chunks_exact(64).flat_map(upsample).collect();
    let names = (0..10).map(|d| d.to_string()).collect();
    let all = Dataset::new(images, labels, names, [1, 32, 32])?;
    let (train, test) = split_indices(&all.by_class());
    Ok(Split { train: all.select(&train)?, test: all.select(&test)? })
}

/// Gunzips and parses the CSV: 64 pixel values 0..=16 then a label 0..=9 per line.
/// Returns 64 bytes per image (values 0..=16) and the labels.
pub(crate) fn parse_digits_gz(gz: &[u8], path: &Path) -> Result<(Vec<u8>, Vec<usize>)> {
    let mut text = String::new();
    flate2::read::GzDecoder::new(gz)
        .take(MAX_CSV_BYTES)
        .read_to_string(&mut text)
        .map_err(|e| Error::format(path, format!("not a gzip-compressed UTF-8 CSV file: {e}")))?;
    let mut pixels = Vec::new();
    let mut labels = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let bad = |what: String| Error::format(path, format!("line {}: {what}", i + 1));
        let values: Vec<&str> = line.split(',').map(str::trim).collect();
        if values.len() != 65 {
            return Err(bad(format!("{} values, expected 65 (64 pixels + label)", values.len())));
        }
        for (k, v) in values.iter().enumerate() {
            let x: f64 =
                v.parse().map_err(|_| bad(format!("value {} = {v:?} is not a number", k + 1)))?;
            let max = if k < 64 { 16.0 } else { 9.0 };
            if x.fract() != 0.0 || !(0.0..=max).contains(&x) {
                if k == 64 {
                    return Err(Error::LabelOutOfRange {
                        path: path.to_path_buf(),
                        record: labels.len(),
                        label: if x >= 0.0 { x as u64 } else { u64::MAX },
                        num_classes: 10,
                    });
                }
                return Err(bad(format!("pixel {} = {v} is not an integer in 0..=16", k + 1)));
            }
            if k < 64 {
                pixels.push(x as u8);
            } else {
                labels.push(x as usize);
            }
        }
    }
    if labels.is_empty() {
        return Err(Error::format(path, "no images"));
    }
    Ok((pixels, labels))
}

/// One 8×8 image (values 0..=16) to 32×32 grey bytes: each value becomes
/// `round(v * 255 / 16)`, then the 8×8 image is resized ×4 with `image`'s bilinear
/// (`FilterType::Triangle`) filter.
fn upsample(pixels: &[u8]) -> Vec<u8> {
    let scaled: Vec<u8> = pixels.iter().map(|&v| ((u16::from(v) * 255 + 8) / 16) as u8).collect();
    let small = GrayImage::from_raw(8, 8, scaled).unwrap_or_else(|| GrayImage::new(8, 8));
    image::imageops::resize(&small, 32, 32, FilterType::Triangle).into_raw()
}

/// Stratified split: per class, the class's indices are shuffled (one
/// `Xoshiro256PlusPlus::seed_from_u64(SPLIT_SEED)` stream, classes in label order) and the
/// first `round(n / 4)` become test; both lists are returned in file order.
fn split_indices(by_class: &[Vec<usize>]) -> (Vec<usize>, Vec<usize>) {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(SPLIT_SEED);
    let (mut train, mut test) = (Vec::new(), Vec::new());
    for members in by_class {
        let mut m = members.clone();
        m.shuffle(&mut rng);
        let n_test = (m.len() + 2) / 4;
        test.extend_from_slice(&m[..n_test]);
        train.extend_from_slice(&m[n_test..]);
    }
    train.sort_unstable();
    test.sort_unstable();
    (train, test)
}

#[cfg(test)]
mod tests {
    use super::*;
    use sha2::Digest;

    #[test]
    fn digits_embedded_file_is_the_published_one() {
        let sha = hex::encode(sha2::Sha256::digest(DIGITS_CSV_GZ));
        assert_eq!(sha, "09f66e6debdee2cd2b5ae59e0d6abbb73fc2b0e0185d2e1957e9ebb51e23aa22");
    }

    #[test]
    fn digits_load_gives_1797_images_split_per_class() {
        let s = load_digits().unwrap();
        assert_eq!(s.train.len() + s.test.len(), 1797);
        assert_eq!(s.train.shape(), [1, 32, 32]);
        let total = [178, 182, 177, 183, 181, 182, 181, 179, 174, 180];
        let test = s.test.class_counts();
        let train = s.train.class_counts();
        for k in 0..10 {
            assert_eq!(train[k] + test[k], total[k]);
            assert_eq!(test[k], (total[k] + 2) / 4, "class {k}");
        }
        assert_eq!((s.train.len(), s.test.len()), (1346, 451));
        // the split is fixed
        assert_eq!(load_digits().unwrap(), s);
    }

    #[test]
    fn digits_upsample_keeps_range_and_blank_images() {
        assert_eq!(upsample(&[0; 64]), vec![0; 1024]);
        assert_eq!(upsample(&[16; 64]), vec![255; 1024]);
        let one_hot: Vec<u8> = (0..64).map(|i| if i == 27 { 16 } else { 0 }).collect();
        let up = upsample(&one_hot);
        // pixel (3, 3) of 8x8 covers rows/cols 12..16 of 32x32
        assert!(up[13 * 32 + 13] > 150, "{}", up[13 * 32 + 13]);
        assert_eq!(up[0], 0);
    }

    #[test]
    fn digits_parser_rejects_bad_lines() {
        use std::io::Write;
        let gz = |s: &str| {
            let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            e.write_all(s.as_bytes()).unwrap();
            e.finish().unwrap()
        };
        let p = Path::new("d");
        let line = |label: &str| format!("{}{label}\n", "1,".repeat(64));
        assert!(parse_digits_gz(&gz(&line("3")), p).is_ok());
        let e = parse_digits_gz(&gz(&line("12")), p).unwrap_err();
        assert!(matches!(e, Error::LabelOutOfRange { label: 12, .. }), "{e}");
        assert!(parse_digits_gz(&gz("1,2\n"), p).is_err());
        assert!(parse_digits_gz(&gz(&line("x")), p).is_err());
        assert!(parse_digits_gz(b"not gzip", p).is_err());
    }
}
