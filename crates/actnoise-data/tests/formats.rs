//! Every layout, built small on disk, loads to the right images, labels and classes.

mod common;

use std::path::Path;

use actnoise_data::{CheckStatus, ClassRef, ClassSelection, DatasetSpec, Error, check, info, load};
use burn::tensor::{Device, Int, Tensor};
use common::*;

fn spec(name: &str) -> DatasetSpec {
    DatasetSpec { name: name.into(), ..DatasetSpec::default() }
}

fn spec_dir(name: &str, dir: &Path) -> DatasetSpec {
    DatasetSpec { name: name.into(), dir: Some(dir.to_path_buf()), ..DatasetSpec::default() }
}

/// First pixel of every image (the fill value of the records built by `common::bin`).
fn fills(d: &actnoise_data::Dataset) -> Vec<u8> {
    (0..d.len()).map(|i| d.image(i).unwrap()[0]).collect()
}

#[test]
fn cifar10_prepared_layout_with_subsets() {
    let root = tempfile::tempdir().unwrap();
    prepared(
        &root.path().join("cifar10"),
        &["plane", "car", "bird"],
        &[("train", &[0, 1, 2, 0, 1, 2, 0]), ("test", &[2, 1, 0])],
    );
    let s = load(&spec("cifar10"), Some(root.path())).unwrap();
    assert_eq!(s.train.len(), 7);
    assert_eq!(s.train.class_names(), &["plane", "car", "bird"]);
    assert_eq!(s.train.labels(), &[0, 1, 2, 0, 1, 2, 0]);
    assert_eq!(fills(&s.train), vec![0, 1, 2, 3, 4, 5, 6]);
    assert_eq!(s.train.shape(), [3, 32, 32]);

    let sub = DatasetSpec {
        classes: ClassSelection::List(vec![ClassRef::Name("bird".into()), ClassRef::Index(0)]),
        train_per_class: 1,
        ..spec("cifar10")
    };
    let s = load(&sub, Some(root.path())).unwrap();
    assert_eq!(s.train.class_names(), &["bird", "plane"]);
    assert_eq!(s.train.labels(), &[1, 0]);
    assert_eq!(fills(&s.train), vec![0, 2]);
    assert_eq!(s.test.labels(), &[0, 1]);
}

#[test]
fn cifar10_official_binary_layout() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("cifar-10-batches-bin");
    write(&dir.join("batches.meta.txt"), "airplane\nautomobile\n\n\n");
    for k in 1..=5u8 {
        write(&dir.join(format!("data_batch_{k}.bin")), record(&[k % 2], k));
    }
    write(&dir.join("test_batch.bin"), record(&[1], 9));
    let s = load(&spec("cifar10"), Some(root.path())).unwrap();
    assert_eq!(s.train.labels(), &[1, 0, 1, 0, 1]);
    assert_eq!(fills(&s.train), vec![1, 2, 3, 4, 5]);
    assert_eq!(s.test.class_names(), &["airplane", "automobile"]);
}

#[test]
fn cifar10_record_planes_are_rgb_chw() {
    let root = tempfile::tempdir().unwrap();
    let mut rec = vec![0u8];
    rec.extend(std::iter::repeat_n(10, 1024));
    rec.extend(std::iter::repeat_n(20, 1024));
    rec.extend(std::iter::repeat_n(30, 1024));
    prepared(&root.path().join("cifar10"), &["x"], &[("test", &[0])]);
    write(&root.path().join("cifar10/train.bin"), &rec);
    let s = load(&spec("cifar10"), Some(root.path())).unwrap();
    let (v, shape) = s.train.batch_f32(&[0]).unwrap();
    assert_eq!(shape, [1, 3, 32, 32]);
    assert_eq!((v[0], v[1024], v[2048]), (10.0 / 255.0, 20.0 / 255.0, 30.0 / 255.0));
}

fn cifar100(root: &Path) {
    let dir = root.join("cifar-100-binary");
    write(&dir.join("coarse_label_names.txt"), "fish\nflowers\n");
    write(&dir.join("fine_label_names.txt"), "rose\ntrout\nshark\ntulip\n");
    // (coarse, fine): trout/shark are fish, rose/tulip flowers.
    let train = [(0, 2), (1, 3), (0, 1), (1, 0), (0, 2)];
    let bytes: Vec<u8> =
        train.iter().enumerate().flat_map(|(i, &(c, f))| record(&[c, f], i as u8)).collect();
    write(&dir.join("train.bin"), bytes);
    write(&dir.join("test.bin"), [record(&[1, 0], 50), record(&[0, 1], 51)].concat());
}

#[test]
fn cifar100_fine_coarse_and_cifar20_fine() {
    let root = tempfile::tempdir().unwrap();
    cifar100(root.path());
    let s = load(&spec("cifar100"), Some(&root.path().join("nothing-here")));
    assert!(matches!(s, Err(Error::Missing { .. })));
    let s = load(&spec("cifar100"), Some(root.path())).unwrap();
    assert_eq!(s.train.labels(), &[2, 3, 1, 0, 2]);
    assert_eq!(s.train.num_classes(), 4);
    let s = load(&spec("cifar20-coarse"), Some(root.path())).unwrap();
    assert_eq!(s.train.labels(), &[0, 1, 0, 1, 0]);
    assert_eq!(s.train.class_names(), &["fish", "flowers"]);
    // Default: per superclass the lowest fine label: fish -> trout (1), flowers -> rose (0).
    let s = load(&spec("cifar20-fine"), Some(root.path())).unwrap();
    assert_eq!(s.train.class_names(), &["trout", "rose"]);
    assert_eq!(fills(&s.train), vec![2, 3]);
    assert_eq!(s.test.labels(), &[1, 0]);
    let chosen = DatasetSpec {
        fine_classes: vec![ClassRef::Name("shark".into()), ClassRef::Index(3)],
        ..spec("cifar20-fine")
    };
    let s = load(&chosen, Some(root.path())).unwrap();
    assert_eq!(s.train.class_names(), &["shark", "tulip"]);
    assert_eq!(s.train.labels(), &[0, 1, 0]);
    assert!(s.test.is_empty());
}

#[test]
fn flowers_prepared_val_into_train() {
    let root = tempfile::tempdir().unwrap();
    prepared(
        &root.path().join("flowers102-20"),
        &["a", "b"],
        &[("train", &[0, 1]), ("val", &[0, 1]), ("test", &[0, 1, 1])],
    );
    let s = load(&spec("flowers102-20"), Some(root.path())).unwrap();
    assert_eq!(s.train.len(), 2);
    let with_val = DatasetSpec { val_into_train: true, ..spec("flowers102-20") };
    let s = load(&with_val, Some(root.path())).unwrap();
    assert_eq!(s.train.class_counts(), vec![2, 2]);
    let capped = DatasetSpec { train_per_class: 1, ..with_val };
    assert_eq!(load(&capped, Some(root.path())).unwrap().train.len(), 2);
}

#[test]
fn lossless_test_takes_train_from_cifar10() {
    let root = tempfile::tempdir().unwrap();
    prepared(&root.path().join("cifar10"), &["a", "b"], &[("train", &[0, 1, 1]), ("test", &[0])]);
    prepared(&root.path().join("cifar10-lossless-test1000"), &["a", "b"], &[("test", &[1, 0])]);
    let s = load(&spec("cifar10-lossless-test1000"), Some(root.path())).unwrap();
    assert_eq!(s.train.len(), 3);
    assert_eq!(s.test.labels(), &[1, 0]);
}

#[test]
fn folder_layout_classes_sorted_and_rgb_planes() {
    let root = tempfile::tempdir().unwrap();
    let r = root.path();
    write(&r.join("train/red/a.png"), png(64, 48, [255, 0, 0]));
    write(&r.join("train/red/b.PNG"), png(10, 10, [255, 0, 0]));
    write(&r.join("train/grey/a.jpg"), jpeg_grey(50, 60, 128));
    write(&r.join("train/grey/.hidden.png"), png(2, 2, [1, 1, 1]));
    write(&r.join("test/red/c.png"), png(32, 32, [255, 0, 0]));
    let s = load(&spec_dir("folder", r), None).unwrap();
    assert_eq!(s.train.class_names(), &["grey", "red"]);
    assert_eq!(s.train.labels(), &[0, 1, 1]);
    let red = s.train.image(1).unwrap();
    assert!(red[..1024].iter().all(|&v| v == 255) && red[1024..].iter().all(|&v| v == 0));
    let grey = s.train.image(0).unwrap();
    assert!(grey.iter().all(|&v| v.abs_diff(128) <= 2), "grey replicated to 3 channels");
    assert_eq!(s.test.labels(), &[1]);

    write(&r.join("test/blue/c.png"), png(4, 4, [0, 0, 255]));
    let e = load(&spec_dir("folder", r), None).unwrap_err();
    assert!(e.to_string().contains("blue"), "{e}");
}

#[test]
fn folder_resize_is_an_area_average() {
    let root = tempfile::tempdir().unwrap();
    // 64x64: left half black, right half white -> 32x32: left 16 columns 0, right 255.
    let img =
        image::RgbImage::from_fn(64, 64, |x, _| image::Rgb(if x < 32 { [0; 3] } else { [255; 3] }));
    let mut bytes = std::io::Cursor::new(Vec::new());
    img.write_to(&mut bytes, image::ImageFormat::Png).unwrap();
    write(&root.path().join("train/a/x.png"), bytes.into_inner());
    write(&root.path().join("test/a/x.png"), png(3, 3, [0, 0, 0]));
    let s = load(&spec_dir("folder", root.path()), None).unwrap();
    let px = s.train.image(0).unwrap();
    assert_eq!(px[5 * 32 + 15], 0);
    assert_eq!(px[5 * 32 + 16], 255);
}

fn caltech(root: &Path) -> std::path::PathBuf {
    let d = root.join("caltech101/101_ObjectCategories");
    for (class, n) in [("BACKGROUND_Google", 2), ("accordion", 4), ("airplanes", 3)] {
        for i in 1..=n {
            write(
                &d.join(class).join(format!("image_{i:04}.jpg")),
                jpeg_grey(20 + i, 10, 10 * i as u8),
            );
        }
    }
    d
}

#[test]
fn caltech_official_layout_every_third_is_test() {
    let root = tempfile::tempdir().unwrap();
    let d = caltech(root.path());
    let s = load(&spec("caltech101"), Some(root.path())).unwrap();
    assert_eq!(s.train.class_names(), &["accordion", "airplanes"]);
    assert_eq!(s.train.class_counts(), vec![3, 2]);
    assert_eq!(s.test.class_counts(), vec![1, 1]);
    // Split lists override the rule.
    write(
        &d.join("train.txt"),
        "accordion/image_0001.jpg\nBACKGROUND_Google/image_0001.jpg\nairplanes/image_0002.jpg\n",
    );
    write(&d.join("test.txt"), "airplanes/image_0001.jpg\n");
    let s = load(&spec("caltech101"), Some(root.path())).unwrap();
    assert_eq!(s.train.labels(), &[0, 1]);
    assert_eq!(s.test.labels(), &[1]);
    let first = DatasetSpec { classes: ClassSelection::First(1), ..spec("caltech101") };
    // accordion has no image in test.txt: allowed, test is then empty.
    let s = load(&first, Some(root.path())).unwrap();
    assert_eq!((s.train.len(), s.test.len()), (1, 0));
}

#[test]
fn flowers_official_layout_reads_mat_files() {
    let root = tempfile::tempdir().unwrap();
    let d = root.path().join("flowers102");
    for id in 1..=6u32 {
        write(&d.join(format!("jpg/image_{id:05}.jpg")), jpeg_grey(40, 30, id as u8 * 30));
    }
    // labels (1-based): images 1..6 -> 2 1 2 1 3 3
    write(&d.join("imagelabels.mat"), mat_file(&[("labels", &[2.0, 1.0, 2.0, 1.0, 3.0, 3.0])]));
    write(
        &d.join("setid.mat"),
        mat_file(&[("trnid", &[3.0, 2.0, 5.0]), ("valid", &[1.0]), ("tstid", &[4.0, 6.0])]),
    );
    let three = DatasetSpec { classes: ClassSelection::First(3), ..spec("flowers102") };
    let s = load(&three, Some(root.path())).unwrap();
    assert_eq!(s.train.class_names(), &["1", "2", "3"]);
    // sorted by label then image number: image 2 (label 1), image 3 (2), image 5 (3)
    assert_eq!(s.train.labels(), &[0, 1, 2]);
    assert!(s.train.image(0).unwrap().iter().all(|&v| v.abs_diff(60) <= 2));
    assert_eq!(s.test.labels(), &[0, 2]);
    let with_val = DatasetSpec { val_into_train: true, ..three };
    assert_eq!(load(&with_val, Some(root.path())).unwrap().train.class_counts(), vec![1, 2, 1]);
    // All 102 classes: classes 4..102 have no training image.
    let e = load(&spec("flowers102"), Some(root.path())).unwrap_err();
    assert!(matches!(&e, Error::EmptyClass { class, .. } if class == "4"), "{e:?}");
}

#[test]
fn cub_official_layout() {
    let root = tempfile::tempdir().unwrap();
    let d = root.path().join("cub200/CUB_200_2011");
    write(&d.join("classes.txt"), "1 001.Black_footed_Albatross\n2 002.Laysan_Albatross\n");
    write(&d.join("images.txt"), "1 001.X/a.jpg\n2 001.X/b.jpg\n3 002.Y/c.jpg\n4 002.Y/d.jpg\n");
    write(&d.join("image_class_labels.txt"), "1 1\n2 1\n3 2\n4 2\n");
    write(&d.join("train_test_split.txt"), "1 0\n2 1\n3 1\n4 0\n");
    for (f, v) in
        [("001.X/a.jpg", 10), ("001.X/b.jpg", 20), ("002.Y/c.jpg", 30), ("002.Y/d.jpg", 40)]
    {
        write(&d.join("images").join(f), jpeg_grey(30, 20, v));
    }
    let s = load(&spec("cub200"), Some(root.path())).unwrap();
    assert_eq!(s.train.class_names(), &["Black_footed_Albatross", "Laysan_Albatross"]);
    assert_eq!(s.train.labels(), &[0, 1]);
    assert!(s.train.image(0).unwrap().iter().all(|&v| v.abs_diff(20) <= 2));
    assert_eq!(s.test.labels(), &[0, 1]);
}

#[test]
fn fashion_idx_plain_and_gzipped_padded_to_32() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let labels: Vec<u8> = (0..10).rev().collect();
    write(&d.join("train-images-idx3-ubyte.gz"), gzip(&idx_images(10, 28, 28)));
    write(&d.join("train-labels-idx1-ubyte.gz"), gzip(&idx_labels(&labels)));
    write(&d.join("t10k-images-idx3-ubyte"), idx_images(1, 28, 28));
    write(&d.join("t10k-labels-idx1-ubyte"), idx_labels(&[4]));
    let s = load(&spec_dir("fashion-mnist", d), None).unwrap();
    assert_eq!(s.train.shape(), [1, 32, 32]);
    assert_eq!(s.train.labels(), &[9, 8, 7, 6, 5, 4, 3, 2, 1, 0]);
    assert_eq!(s.train.class_names()[9], "Ankle boot");
    let img = s.train.image(2).unwrap();
    assert_eq!(img.iter().filter(|&&v| v == 3).count(), 28 * 28);
    assert_eq!(
        (img[0], img[2 * 32 + 1], img[2 * 32 + 2], img[29 * 32 + 29], img[29 * 32 + 30]),
        (0, 0, 3, 3, 0)
    );
    assert_eq!(s.test.labels(), &[4]);

    // A class without training images is named with the label file.
    write(
        &d.join("train-labels-idx1-ubyte.gz"),
        gzip(&idx_labels(&[9, 0, 9, 1, 2, 3, 4, 5, 6, 7])),
    );
    let e = load(&spec_dir("fashion-mnist", d), None).unwrap_err();
    assert!(
        matches!(&e, Error::EmptyClass { class, path } if class == "Bag" && path.ends_with("train-labels-idx1-ubyte.gz")),
        "{e:?}"
    );
}

#[test]
fn digits_default_is_built_in_and_batches_to_tensors() {
    let s = load(&DatasetSpec::default(), None).unwrap();
    assert_eq!((s.train.len(), s.test.len()), (1346, 451));
    assert_eq!(s.train.shape(), [1, 32, 32]);
    let few = DatasetSpec { train_per_class: 5, test_per_class: 2, ..DatasetSpec::default() };
    let f = load(&few, None).unwrap();
    assert_eq!(f.train.class_counts(), vec![5; 10]);
    assert_eq!(f.test.class_counts(), vec![2; 10]);

    let device = Device::flex();
    let idx = [0, 7, 3];
    let x: Tensor<4> = f.train.to_tensor(&idx, &device).unwrap();
    assert_eq!(x.dims(), [3, 1, 32, 32]);
    let (host, _) = f.train.batch_f32(&idx).unwrap();
    let back: Vec<f32> = x.into_data().try_to_vec().unwrap();
    assert_eq!(back, host);
    let y: Tensor<1, Int> = f.train.labels_tensor(&idx, &device).unwrap();
    let labels: Vec<i64> = y.into_data().try_to_vec_as().unwrap();
    let want: Vec<i64> = idx.iter().map(|&i| f.train.labels()[i] as i64).collect();
    assert_eq!(labels, want);
    assert!(f.train.to_tensor(&[1000], &device).is_err());
}

#[test]
fn info_and_check_report_found_sets_and_catch_corruption() {
    use sha2::Digest;
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("cub200-20");
    prepared(&dir, &["a", "b"], &[("train", &[0, 1, 1]), ("test", &[1, 0])]);
    let sha = |p: &Path| hex::encode(sha2::Sha256::digest(std::fs::read(p).unwrap()));
    let train = dir.join("train.bin");
    let readme = format!(
        "| label | class | test | train |\n|---|---|---|---|\n| 0 | a | 1 | 1 |\n| 1 | b | 1 | 2 |\n\
         | | **total** | 2 | 3 |\n\n| file | bytes | sha256 |\n|---|---|---|\n| train.bin | {} | {} |\n",
        std::fs::metadata(&train).unwrap().len(),
        sha(&train)
    );
    write(&dir.join("README.md"), &readme);

    let i = info(root.path());
    let cub = i.datasets.iter().find(|d| d.name == "cub200-20").unwrap();
    assert_eq!(cub.location.as_deref(), Some(dir.as_path()));
    assert_eq!(cub.splits[0], ("train".to_string(), vec![1, 2]));
    let digits = i.datasets.iter().find(|d| d.name == "digits").unwrap();
    assert_eq!(digits.total("train") + digits.total("test"), 1797);
    let cifar = i.datasets.iter().find(|d| d.name == "cifar10").unwrap();
    assert!(cifar.problem.as_deref().unwrap().contains("actnoise data download cifar10"));
    let table = i.to_string();
    assert!(table.contains("cub200-20") && table.contains("per class"), "{table}");

    let c = check(root.path());
    assert!(c.is_ok(), "{c}");
    // (Fashion-MNIST may be found in /usr/share/datasets too: count only cub200-20.)
    assert_eq!(c.items.iter().filter(|i| i.dataset == "cub200-20").count(), 3, "{c}");
    assert!(c.absent.contains(&"cifar10".to_string()));

    // One flipped pixel byte: same size, different sha256.
    let mut bytes = std::fs::read(&train).unwrap();
    bytes[10] ^= 1;
    write(&train, &bytes);
    let c = check(root.path());
    let failed: Vec<_> = c.failures().collect();
    assert_eq!(failed.len(), 1, "{c}");
    assert!(failed[0].detail.contains("sha256 checksum mismatch"), "{c}");
    assert_eq!(failed[0].status, CheckStatus::Failed);

    // A count that differs from the README.
    prepared(&dir, &["a", "b"], &[("train", &[0, 1, 1]), ("test", &[1, 1])]);
    let c = check(root.path());
    assert!(c.failures().any(|f| f.detail.contains("README says 1")), "{c}");
}
