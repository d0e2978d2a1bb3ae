//! Random bytes in place of each file a dataset reads, through the public `load`, `info`
//! and `check`: errors are fine, panics are not. (Byte-level parsers are fuzzed in
//! `src/fuzz.rs`.)

mod common;

use std::path::Path;

use actnoise_data::{DatasetSpec, check, info, load};
use common::*;
use proptest::prelude::*;

fn try_load(name: &str, root: &Path) {
    let spec = DatasetSpec { name: name.into(), ..DatasetSpec::default() };
    let _ = load(&spec, Some(root));
    let spec =
        DatasetSpec { name: name.into(), dir: Some(root.join(name)), ..DatasetSpec::default() };
    let _ = load(&spec, Some(root));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn fuzz_files_never_panic(
        a in prop::collection::vec(any::<u8>(), 0..7000),
        b in prop::collection::vec(any::<u8>(), 0..600),
        which in 0usize..6,
    ) {
        let tmp = tempfile::tempdir().unwrap();
        let r = tmp.path();
        // Valid companions, one file replaced by random bytes.
        prepared(&r.join("cub200-20"), &["x", "y"], &[("train", &[0, 1]), ("test", &[1])]);
        match which {
            0 => write(&r.join("cub200-20/train.bin"), &a),
            1 => write(&r.join("cub200-20/classes.txt"), &b),
            _ => write(&r.join("cub200-20/README.md"), &b),
        }
        let f = r.join("fashion-mnist");
        write(&f.join("train-images-idx3-ubyte"), if which == 0 { a.clone() } else { idx_images(2, 28, 28) });
        write(&f.join("train-labels-idx1-ubyte.gz"), if which == 1 { b.clone() } else { gzip(&idx_labels(&[1, 2])) });
        write(&f.join("t10k-images-idx3-ubyte.gz"), &a);
        write(&f.join("t10k-labels-idx1-ubyte"), &b);
        let c = r.join("cifar-100-binary");
        write(&c.join("coarse_label_names.txt"), "a\nb\n");
        write(&c.join("fine_label_names.txt"), &b);
        write(&c.join("train.bin"), &a);
        write(&c.join("test.bin"), &a);
        let fl = r.join("flowers102");
        write(&fl.join("imagelabels.mat"), &a);
        write(&fl.join("setid.mat"), &b);
        let cub = r.join("cub200");
        for file in ["classes.txt", "images.txt", "image_class_labels.txt", "train_test_split.txt"] {
            write(&cub.join(file), if which == 3 { &a } else { &b });
        }
        let cal = r.join("caltech101/101_ObjectCategories/airplanes");
        write(&cal.join("image_0001.jpg"), &a);
        write(&cal.join("image_0002.png"), &b);
        write(&r.join("caltech101/101_ObjectCategories/train.txt"), &b);
        write(&r.join("caltech101/101_ObjectCategories/test.txt"), &a);
        let fo = r.join("folder");
        write(&fo.join("train/k/a.jpg"), &a);
        write(&fo.join("test/k/b.png"), &b);
        for name in actnoise_data::DATASET_NAMES {
            try_load(name, r);
        }
        let _ = info(r).to_string();
        let _ = check(r).to_string();
    }
}
