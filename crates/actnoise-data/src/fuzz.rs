//! Random bytes into every parser: errors are fine, panics are not.
//!
//! Each parser gets plain random bytes and random bytes behind a valid-looking header, so
//! that the code past the first check is reached too.

use std::io::Write;
use std::path::Path;

use proptest::prelude::*;

use crate::{digits, download, idx, images, records, report};

fn bytes(max: usize) -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(any::<u8>(), 0..max)
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

/// A MATLAB v5 header: 116 bytes of text, 8 bytes subsystem offset, version 0x0100, "IM".
fn mat_header() -> Vec<u8> {
    let mut h = vec![b' '; 116];
    h[..10].copy_from_slice(b"MATLAB 5.0");
    h.extend([0; 8]);
    h.extend([0x00, 0x01, b'I', b'M']);
    h
}

/// Record sizes near whole records, so the label checks run.
fn record_file() -> impl Strategy<Value = (Vec<u8>, usize)> {
    (1usize..=2, 0usize..4, bytes(8)).prop_map(|(label_bytes, n, tail)| {
        let size = records::PIXELS_32X32X3 + label_bytes;
        let mut v: Vec<u8> = (0..n * size).map(|i| (i * 7919 % 251) as u8).collect();
        v.extend(tail);
        (v, label_bytes)
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn fuzz_records_never_panic(raw in bytes(7000), (file, lb) in record_file(), classes in 1usize..300) {
        let p = Path::new("f.bin");
        for (data, label_bytes) in [(&raw, 1), (&raw, 2), (&file, lb)] {
            if let Ok(r) = records::parse_records(data, p, label_bytes) {
                for which in 0..label_bytes {
                    let _ = r.label_column(which, classes, p);
                }
            }
        }
    }

    #[test]
    fn fuzz_text_parsers_never_panic(raw in bytes(2000), text in "[ -~\n|]{0,400}") {
        let p = Path::new("t.txt");
        let lossy = String::from_utf8_lossy(&raw).into_owned();
        for t in [&lossy, &text] {
            let _ = records::parse_class_list(t, p);
            let _ = records::parse_checksum_table(t);
            let _ = report::parse_counts_table(t);
            let _ = images::parse_id_table(t, p);
        }
    }

    #[test]
    fn fuzz_idx_never_panic(raw in bytes(3000), n in 0u32..5, r in 0u32..40, c in 0u32..40, body in bytes(3000)) {
        let p = Path::new("x-ubyte");
        let _ = idx::parse_idx_images(&raw, p);
        let _ = idx::parse_idx_labels(&raw, p, 10);
        let mut img = vec![0, 0, 8, 3];
        for v in [n, r, c] { img.extend(v.to_be_bytes()); }
        img.extend(&body);
        let _ = idx::parse_idx_images(&img, p);
        let mut lab = vec![0, 0, 8, 1];
        lab.extend(n.to_be_bytes());
        lab.extend(&body);
        let _ = idx::parse_idx_labels(&lab, p, 10);
        let _ = idx::maybe_gunzip(raw.clone(), p);
        let mut bad_gz = vec![0x1f, 0x8b];
        bad_gz.extend(&raw);
        let _ = idx::maybe_gunzip(bad_gz, p);
    }

    #[test]
    fn fuzz_digits_csv_never_panic(raw in bytes(3000), text in "[0-9,.\\-\n ]{0,600}") {
        let p = Path::new("digits.csv.gz");
        let _ = digits::parse_digits_gz(&raw, p);
        let _ = digits::parse_digits_gz(&gzip(text.as_bytes()), p);
        let _ = digits::parse_digits_gz(&gzip(&raw), p);
    }

    #[test]
    fn fuzz_mat_never_panic(raw in bytes(2000)) {
        let p = Path::new("setid.mat");
        let _ = images::mat_vector(&raw, p, "labels");
        let mut with_header = mat_header();
        with_header.extend(&raw);
        let _ = images::mat_vector(&with_header, p, "trnid");
    }

    #[test]
    fn fuzz_image_decode_never_panic(raw in bytes(3000)) {
        let png = [&[0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a][..], &raw].concat();
        let jpg = [&[0xff, 0xd8, 0xff, 0xe0][..], &raw].concat();
        for (data, name) in [(&raw, "a.jpg"), (&png, "b.png"), (&jpg, "c.jpg")] {
            let _ = images::decode_resized(data, Path::new(name));
        }
    }

    #[test]
    fn fuzz_tar_gz_never_panic(raw in bytes(3000)) {
        let dir = tempfile::tempdir().unwrap();
        let a = Path::new("a.tar.gz");
        let _ = download::unpack_tar_gz(raw.as_slice(), dir.path(), a);
        let _ = download::unpack_tar_gz(gzip(&raw).as_slice(), dir.path(), a);
        let _ = download::parse_content_range(&String::from_utf8_lossy(&raw));
    }
}
