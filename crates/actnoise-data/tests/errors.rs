//! Bad input: every case is an error that names the file and what to do; none panics.

mod common;

use std::path::{Path, PathBuf};

use actnoise_data::{ClassSelection, DatasetSpec, Error, load};
use common::*;

fn spec(name: &str) -> DatasetSpec {
    DatasetSpec { name: name.into(), ..DatasetSpec::default() }
}

fn spec_dir(name: &str, dir: &Path) -> DatasetSpec {
    DatasetSpec { name: name.into(), dir: Some(dir.to_path_buf()), ..DatasetSpec::default() }
}

#[test]
fn missing_cifar10_names_path_and_download_command() {
    let root = tempfile::tempdir().unwrap();
    let e = load(&spec("cifar10"), Some(root.path())).unwrap_err();
    let Error::Missing { ref path, .. } = e else { panic!("{e:?}") };
    assert_eq!(*path, root.path().join("cifar10/train.bin"));
    let msg = e.to_string();
    assert!(msg.contains(&root.path().join("cifar10/train.bin").display().to_string()), "{msg}");
    assert!(msg.contains("actnoise data download cifar10"), "{msg}");
    assert!(msg.contains("ACTNOISE_DATA"), "{msg}");
}

#[test]
fn missing_prepared_sets_say_where_to_get_them() {
    let root = tempfile::tempdir().unwrap();
    for name in ["caltech101-20", "flowers102-20", "cub200-20", "cifar10-lossless-test1000"] {
        let msg = load(&spec(name), Some(root.path())).unwrap_err().to_string();
        assert!(msg.contains(name) && msg.contains("ACTNOISE_DATA"), "{msg}");
    }
    let msg = load(&spec("cifar20-coarse"), Some(root.path())).unwrap_err().to_string();
    assert!(msg.contains("actnoise data download cifar100"), "{msg}");
    // Debian's copy may be installed (then it is found); when it is not, the hint must say
    // how to install it.
    if !Path::new("/usr/share/datasets/fashion-mnist").exists() {
        let msg = load(&spec("fashion-mnist"), Some(root.path())).unwrap_err().to_string();
        assert!(msg.contains("apt-get install dataset-fashion-mnist"), "{msg}");
    }
    let msg = load(&spec_dir("fashion-mnist", root.path()), None).unwrap_err().to_string();
    assert!(msg.contains("train-images-idx3-ubyte") && msg.contains("apt-get install"), "{msg}");
    for name in ["caltech101", "flowers102", "cub200"] {
        let msg = load(&spec(name), Some(root.path())).unwrap_err().to_string();
        assert!(msg.contains("http"), "{name}: {msg}");
    }
}

#[test]
fn missing_second_file_is_named() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("cifar10");
    prepared(&dir, &["a", "b"], &[("train", &[0, 1])]);
    let e = load(&spec("cifar10"), Some(root.path())).unwrap_err();
    assert!(matches!(&e, Error::Missing { path, .. } if *path == dir.join("test.bin")), "{e:?}");
}

#[test]
fn missing_dir_override_is_named() {
    let root = tempfile::tempdir().unwrap();
    let nowhere = root.path().join("nowhere");
    let e = load(&spec_dir("caltech101-20", &nowhere), Some(root.path())).unwrap_err();
    assert!(matches!(&e, Error::Missing { path, .. } if *path == nowhere), "{e:?}");
    let e = load(&spec("folder"), Some(root.path())).unwrap_err();
    assert!(e.to_string().contains("dir"), "{e}");
}

#[test]
fn record_file_size_not_multiple_names_file_and_record() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("cub200-20");
    prepared(&dir, &["a", "b"], &[("train", &[0, 1]), ("test", &[0])]);
    let train = dir.join("train.bin");
    let mut bytes = std::fs::read(&train).unwrap();
    bytes.extend([0u8; 100]);
    write(&train, &bytes);
    let e = load(&spec("cub200-20"), Some(root.path())).unwrap_err();
    assert!(
        matches!(&e, Error::RecordSize { record: 2, have: 100, record_size: 3073, .. }),
        "{e:?}"
    );
    let msg = e.to_string();
    assert!(msg.contains(&train.display().to_string()) && msg.contains("record 2"), "{msg}");
}

#[test]
fn label_out_of_range_names_record_and_label() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("caltech101-20");
    prepared(&dir, &["a", "b"], &[("train", &[0, 1, 0]), ("test", &[1, 7])]);
    let e = load(&spec("caltech101-20"), Some(root.path())).unwrap_err();
    assert!(
        matches!(&e, Error::LabelOutOfRange { record: 1, label: 7, num_classes: 2, .. }),
        "{e:?}"
    );
    let msg = e.to_string();
    assert!(
        msg.contains("test.bin") && msg.contains("record 1") && msg.contains("label 7"),
        "{msg}"
    );
}

#[test]
fn cifar100_label_out_of_range_in_fine_byte() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("cifar-100-binary");
    write(&dir.join("coarse_label_names.txt"), "c0\nc1\n");
    write(&dir.join("fine_label_names.txt"), "f0\nf1\nf2\n");
    write(&dir.join("train.bin"), [record(&[0, 0], 1), record(&[1, 3], 2)].concat());
    write(&dir.join("test.bin"), record(&[0, 1], 3));
    let e = load(&spec("cifar100"), Some(root.path())).unwrap_err();
    assert!(
        matches!(&e, Error::LabelOutOfRange { record: 1, label: 3, num_classes: 3, .. }),
        "{e:?}"
    );
    let e = load(&spec("cifar20-coarse"), Some(root.path())).unwrap();
    assert_eq!(e.train.labels(), &[0, 1]);
}

#[test]
fn undecodable_image_names_the_file() {
    let root = tempfile::tempdir().unwrap();
    write(&root.path().join("train/cat/0.png"), png(40, 30, [1, 2, 3]));
    let bad = root.path().join("train/cat/1.jpg");
    write(&bad, b"this is not a jpeg");
    write(&root.path().join("test/cat/0.png"), png(8, 8, [1, 2, 3]));
    let e = load(&spec_dir("folder", root.path()), None).unwrap_err();
    assert!(matches!(&e, Error::Decode { path, .. } if *path == bad), "{e:?}");
    assert!(e.to_string().contains("1.jpg"), "{e}");
}

#[test]
fn folder_images_of_any_size_are_resized_not_rejected() {
    // No size is required: every image is resized to 32x32 (documented).
    let root = tempfile::tempdir().unwrap();
    write(&root.path().join("train/a/0.png"), png(500, 7, [9, 9, 9]));
    write(&root.path().join("train/a/1.png"), png(1, 1, [9, 9, 9]));
    write(&root.path().join("test/a/0.png"), png(33, 31, [9, 9, 9]));
    let s = load(&spec_dir("folder", root.path()), None).unwrap();
    assert_eq!(s.train.shape(), [3, 32, 32]);
    assert!(s.train.images().iter().chain(s.test.images()).all(|&v| v == 9));
}

#[test]
fn empty_class_folder_is_an_error() {
    let root = tempfile::tempdir().unwrap();
    write(&root.path().join("train/cat/0.png"), png(4, 4, [0, 0, 0]));
    std::fs::create_dir_all(root.path().join("train/dog")).unwrap();
    write(&root.path().join("train/dog/notes.txt"), "not an image");
    let e = load(&spec_dir("folder", root.path()), None).unwrap_err();
    assert!(matches!(&e, Error::EmptyClass { class, .. } if class == "dog"), "{e:?}");
    assert!(e.to_string().contains("train/dog"), "{e}");
}

#[test]
fn empty_class_in_record_file_is_an_error() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("cifar10");
    prepared(&dir, &["a", "b", "c"], &[("train", &[0, 2, 0]), ("test", &[1])]);
    let e = load(&spec("cifar10"), Some(root.path())).unwrap_err();
    assert!(
        matches!(&e, Error::EmptyClass { class, path } if class == "b" && path.ends_with("train.bin")),
        "{e:?}"
    );
    // Dropping the class makes it load.
    let s = DatasetSpec { classes: ClassSelection::First(1), ..spec("cifar10") };
    assert_eq!(load(&s, Some(root.path())).unwrap().train.len(), 2);
}

#[test]
fn bad_class_file_and_unknown_class_are_errors() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("cifar10");
    prepared(&dir, &["a", "b"], &[("train", &[0, 1]), ("test", &[1])]);
    let s = DatasetSpec {
        classes: ClassSelection::List(vec![actnoise_data::ClassRef::Name("zebra".into())]),
        ..spec("cifar10")
    };
    let msg = load(&s, Some(root.path())).unwrap_err().to_string();
    assert!(msg.contains("zebra") && msg.contains("a, b"), "{msg}");
    write(&dir.join("classes.txt"), "\n\n");
    let e = load(&spec("cifar10"), Some(root.path())).unwrap_err();
    assert!(matches!(&e, Error::Format { path, .. } if path.ends_with("classes.txt")), "{e:?}");
}

#[test]
fn truncated_idx_file_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let imgs = idx_images(3, 28, 28);
    write(&dir.path().join("train-images-idx3-ubyte"), &imgs[..imgs.len() - 5]);
    write(&dir.path().join("train-labels-idx1-ubyte"), idx_labels(&[0, 1, 2]));
    let e = load(&spec_dir("fashion-mnist", dir.path()), None).unwrap_err();
    assert!(
        matches!(&e, Error::Format { path, .. } if path.ends_with("train-images-idx3-ubyte")),
        "{e:?}"
    );
    assert!(e.to_string().contains("truncated"), "{e}");
    write(&dir.path().join("train-images-idx3-ubyte"), &imgs);
    write(&dir.path().join("train-labels-idx1-ubyte"), gzip(&idx_labels(&[0, 11, 2])));
    let e = load(&spec_dir("fashion-mnist", dir.path()), None).unwrap_err();
    assert!(matches!(&e, Error::LabelOutOfRange { record: 1, label: 11, .. }), "{e:?}");
}

#[test]
fn cub_inconsistent_tables_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().join("CUB_200_2011");
    write(&d.join("classes.txt"), "1 001.A\n2 002.B\n");
    write(&d.join("images.txt"), "1 001.A/x.jpg\n2 002.B/y.jpg\n");
    write(&d.join("image_class_labels.txt"), "1 1\n2 3\n");
    write(&d.join("train_test_split.txt"), "1 1\n2 0\n");
    let e = load(&spec_dir("cub200", dir.path()), None).unwrap_err();
    assert!(matches!(&e, Error::LabelOutOfRange { label: 3, record: 1, .. }), "{e:?}");
    write(&d.join("image_class_labels.txt"), "1 1\n");
    let msg = load(&spec_dir("cub200", dir.path()), None).unwrap_err().to_string();
    assert!(msg.contains("image_class_labels.txt") && msg.contains("image id 2"), "{msg}");
}

#[test]
fn flowers_bad_mat_files_are_named() {
    let dir = tempfile::tempdir().unwrap();
    write(&dir.path().join("imagelabels.mat"), b"MATLAB? no");
    write(&dir.path().join("setid.mat"), mat_file(&[("trnid", &[1.0])]));
    let e = load(&spec_dir("flowers102", dir.path()), None).unwrap_err();
    assert!(matches!(&e, Error::Format { path, .. } if path.ends_with("imagelabels.mat")), "{e:?}");
    write(&dir.path().join("imagelabels.mat"), mat_file(&[("labels", &[1.0, 2.0])]));
    let msg = load(&spec_dir("flowers102", dir.path()), None).unwrap_err().to_string();
    assert!(msg.contains("setid.mat") && msg.contains("valid"), "{msg}");
    write(
        &dir.path().join("setid.mat"),
        mat_file(&[("trnid", &[1.0]), ("valid", &[2.0]), ("tstid", &[9.0])]),
    );
    let msg = load(&spec_dir("flowers102", dir.path()), None).unwrap_err().to_string();
    assert!(msg.contains("tstid lists image 9"), "{msg}");
}

#[test]
fn bad_spec_values_are_named() {
    let msg = load(&spec("cifar11"), None).unwrap_err().to_string();
    assert!(msg.contains("cifar11") && msg.contains("cifar10"), "{msg}");
    let s = DatasetSpec { val_into_train: true, ..spec("cifar10") };
    assert!(
        load(&s, Some(Path::new("/nonexistent")))
            .unwrap_err()
            .to_string()
            .contains("val_into_train")
    );
    let s = DatasetSpec { dir: Some(PathBuf::from("/tmp")), ..DatasetSpec::default() };
    assert!(load(&s, None).unwrap_err().to_string().contains("dir"));
    let e = toml::from_str::<DatasetSpec>("name = \"digits\"\ntrain_per_clas = 3").unwrap_err();
    assert!(e.to_string().contains("train_per_clas"), "{e}");
}
