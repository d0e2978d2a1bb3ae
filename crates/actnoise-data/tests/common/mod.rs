//! Builders of small on-disk datasets in every supported layout.
#![allow(dead_code)]

use std::io::Write;
use std::path::Path;

pub const PIXELS: usize = 3 * 32 * 32;

/// Writes `content` to `path`, creating parent folders.
pub fn write(path: &Path, content: impl AsRef<[u8]>) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, content).unwrap();
}

/// One CIFAR record: label bytes then 3072 pixel bytes, all equal to `fill`.
pub fn record(labels: &[u8], fill: u8) -> Vec<u8> {
    let mut r = labels.to_vec();
    r.extend(std::iter::repeat_n(fill, PIXELS));
    r
}

/// A CIFAR-10-layout file: one record per label, pixel value = index in the file.
pub fn bin(labels: &[u8]) -> Vec<u8> {
    labels.iter().enumerate().flat_map(|(i, &l)| record(&[l], i as u8)).collect()
}

/// A prepared set folder: classes.txt + one .bin per split.
pub fn prepared(dir: &Path, classes: &[&str], splits: &[(&str, &[u8])]) {
    write(&dir.join("classes.txt"), classes.join("\n") + "\n");
    for (name, labels) in splits {
        write(&dir.join(format!("{name}.bin")), bin(labels));
    }
}

/// PNG bytes of a `w`×`h` image of one colour.
pub fn png(w: u32, h: u32, rgb: [u8; 3]) -> Vec<u8> {
    let img = image::RgbImage::from_pixel(w, h, image::Rgb(rgb));
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

/// JPEG bytes of a `w`×`h` grey image.
pub fn jpeg_grey(w: u32, h: u32, v: u8) -> Vec<u8> {
    let img = image::GrayImage::from_pixel(w, h, image::Luma([v]));
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Jpeg).unwrap();
    out.into_inner()
}

pub fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

/// An IDX3 image file of `n` `rows`×`cols` images, pixel value = image index.
pub fn idx_images(n: usize, rows: usize, cols: usize) -> Vec<u8> {
    let mut v = vec![0, 0, 8, 3];
    for x in [n, rows, cols] {
        v.extend((x as u32).to_be_bytes());
    }
    for i in 0..n {
        v.extend(std::iter::repeat_n(i as u8 + 1, rows * cols));
    }
    v
}

/// An IDX1 label file.
pub fn idx_labels(labels: &[u8]) -> Vec<u8> {
    let mut v = vec![0, 0, 8, 1];
    v.extend((labels.len() as u32).to_be_bytes());
    v.extend(labels);
    v
}

/// A MATLAB v5 file (uncompressed, little-endian) holding 1×n double row vectors.
pub fn mat_file(arrays: &[(&str, &[f64])]) -> Vec<u8> {
    fn element(kind: u32, data: &[u8]) -> Vec<u8> {
        let mut v = kind.to_le_bytes().to_vec();
        v.extend((data.len() as u32).to_le_bytes());
        v.extend(data);
        while !v.len().is_multiple_of(8) {
            v.push(0);
        }
        v
    }
    let mut out = vec![b' '; 116];
    out[..19].copy_from_slice(b"MATLAB 5.0 MAT-file");
    out.extend([0; 8]);
    out.extend([0x00, 0x01, b'I', b'M']);
    for (name, values) in arrays {
        let mut body = Vec::new();
        // array flags: class mxDOUBLE_CLASS (6)
        body.extend(element(6, &[6, 0, 0, 0, 0, 0, 0, 0]));
        let dims: Vec<u8> =
            [1i32, values.len() as i32].iter().flat_map(|d| d.to_le_bytes()).collect();
        body.extend(element(5, &dims));
        body.extend(element(1, name.as_bytes()));
        let data: Vec<u8> = values.iter().flat_map(|v| v.to_le_bytes()).collect();
        body.extend(element(9, &data));
        out.extend(14u32.to_le_bytes());
        out.extend((body.len() as u32).to_le_bytes());
        out.extend(body);
    }
    out
}

/// A .tar.gz holding `files` (path inside the archive, content).
pub fn tar_gz(files: &[(&str, &[u8])]) -> Vec<u8> {
    let mut builder = tar::Builder::new(Vec::new());
    for (path, data) in files {
        let mut header = tar::Header::new_gnu();
        header.set_size(data.len() as u64);
        header.set_mode(0o644);
        header.set_cksum();
        builder.append_data(&mut header, path, *data).unwrap();
    }
    gzip(&builder.into_inner().unwrap())
}
