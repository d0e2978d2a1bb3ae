//! The real data, when `ACTNOISE_DATA` points at it (e.g. the project's `shared/data`).
//!
//! Without `ACTNOISE_DATA` each test prints "skipped: ACTNOISE_DATA not set" and passes.
//! With it, incomplete data is a failure: each set named here must be there and whole.

use std::path::{Path, PathBuf};

use actnoise_data::{DatasetSpec, Split, check, info, load};

fn root() -> Option<PathBuf> {
    let r = std::env::var_os("ACTNOISE_DATA").filter(|v| !v.is_empty()).map(PathBuf::from);
    if r.is_none() {
        println!("skipped: ACTNOISE_DATA not set");
    }
    r
}

fn load_named(root: &Path, name: &str) -> Split {
    let spec = DatasetSpec { name: name.into(), ..DatasetSpec::default() };
    load(&spec, Some(root)).unwrap_or_else(|e| panic!("{name} under {}: {e}", root.display()))
}

/// The `| label | class | test | train | [val |]` table of a data README: class names and
/// the counts by column name.
fn readme_counts(root: &Path, name: &str) -> (Vec<String>, Vec<(String, Vec<usize>)>) {
    let path = root.join(name).join("README.md");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let rows: Vec<Vec<String>> = text
        .lines()
        .filter_map(|l| l.trim().strip_prefix('|')?.strip_suffix('|').map(|s| s.to_string()))
        .map(|l| l.split('|').map(|c| c.trim().to_string()).collect())
        .collect();
    let head = rows
        .iter()
        .position(|r| r.len() >= 3 && r[0] == "label" && r[1] == "class")
        .expect("counts table");
    let cols: Vec<String> = rows[head][2..].to_vec();
    let body: Vec<&Vec<String>> = rows[head + 1..]
        .iter()
        .take_while(|r| r.len() == rows[head].len())
        .filter(|r| r[0].parse::<usize>().is_ok())
        .collect();
    let names = body.iter().map(|r| r[1].clone()).collect();
    let counts = cols
        .iter()
        .enumerate()
        .map(|(j, c)| (c.clone(), body.iter().map(|r| r[2 + j].parse().unwrap()).collect()))
        .collect();
    (names, counts)
}

fn column<'a>(counts: &'a [(String, Vec<usize>)], name: &str) -> &'a [usize] {
    &counts.iter().find(|(c, _)| c == name).unwrap_or_else(|| panic!("no {name} column")).1
}

#[test]
fn real_cifar10_is_complete() {
    let Some(root) = root() else { return };
    let s = load_named(&root, "cifar10");
    assert_eq!((s.train.len(), s.test.len()), (50_000, 10_000));
    assert_eq!(s.train.class_counts(), vec![5_000; 10]);
    assert_eq!(s.test.class_counts(), vec![1_000; 10]);
    assert_eq!(s.train.shape(), [3, 32, 32]);
    assert_eq!(s.train.class_names()[3], "cat");
}

#[test]
fn real_prepared_20_class_sets_match_their_readmes() {
    let Some(root) = root() else { return };
    for (name, train_total, test_total) in
        [("caltech101-20", 2_622, 1_313), ("flowers102-20", 200, 755), ("cub200-20", 600, 515)]
    {
        let s = load_named(&root, name);
        let (names, counts) = readme_counts(&root, name);
        assert_eq!(s.train.class_names(), names.as_slice(), "{name}");
        assert_eq!(s.train.num_classes(), 20, "{name}");
        assert_eq!(s.train.class_counts(), column(&counts, "train"), "{name} train");
        assert_eq!(s.test.class_counts(), column(&counts, "test"), "{name} test");
        assert_eq!((s.train.len(), s.test.len()), (train_total, test_total), "{name}");
    }
    let spec = DatasetSpec {
        name: "flowers102-20".into(),
        val_into_train: true,
        ..DatasetSpec::default()
    };
    let s = load(&spec, Some(&root)).unwrap();
    assert_eq!(s.train.class_counts(), vec![20; 20]);
}

#[test]
fn real_lossless_test_starts_with_a_cat() {
    let Some(root) = root() else { return };
    let s = load_named(&root, "cifar10-lossless-test1000");
    assert_eq!(s.test.len(), 1_000);
    assert_eq!(s.test.labels()[0], 3);
    assert_eq!(s.test.class_names()[3], "cat");
    assert_eq!(&s.test.labels()[..10], &[3, 8, 8, 0, 6, 6, 1, 6, 3, 1]);
    let (_, counts) = readme_counts(&root, "cifar10-lossless-test1000");
    assert_eq!(s.test.class_counts(), column(&counts, "test"));
    assert_eq!(s.train.len(), 50_000, "train comes from cifar10");
}

#[test]
fn real_data_check_passes_and_info_lists_the_sets() {
    let Some(root) = root() else { return };
    let report = check(&root);
    assert!(report.is_ok(), "{report}");
    for name in
        ["cifar10", "cifar10-lossless-test1000", "caltech101-20", "flowers102-20", "cub200-20"]
    {
        let n = report.items.iter().filter(|i| i.dataset == name).count();
        assert!(n >= 3, "{name}: only {n} checks\n{report}");
    }
    let i = info(&root);
    let available: Vec<&str> =
        i.datasets.iter().filter(|d| d.is_available()).map(|d| d.name.as_str()).collect();
    for name in [
        "digits",
        "cifar10",
        "cifar10-lossless-test1000",
        "caltech101-20",
        "flowers102-20",
        "cub200-20",
    ] {
        assert!(available.contains(&name), "{name} missing:\n{i}");
    }
    println!("{i}\n{report}");
}

#[test]
fn real_fashion_mnist_from_debian_when_installed() {
    let dir = Path::new("/usr/share/datasets/fashion-mnist");
    if !dir.exists() {
        println!(
            "skipped: {} not installed (apt-get install dataset-fashion-mnist)",
            dir.display()
        );
        return;
    }
    let spec = DatasetSpec {
        name: "fashion-mnist".into(),
        dir: Some(dir.into()),
        ..DatasetSpec::default()
    };
    let s = load(&spec, None).unwrap();
    assert_eq!((s.train.len(), s.test.len()), (60_000, 10_000));
    assert_eq!(s.train.class_counts(), vec![6_000; 10]);
    assert_eq!(s.test.class_counts(), vec![1_000; 10]);
    assert_eq!(s.train.shape(), [1, 32, 32]);
    // The 2-pixel frame is black.
    let img = s.train.image(0).unwrap();
    assert!(img[..64].iter().all(|&v| v == 0));
}
