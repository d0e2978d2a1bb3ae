//! The repository's own rules, run by `cargo test --workspace` (same check as
//! `cargo xtask tidy`). The rules themselves are unit-tested on constructed bad trees in
//! `xtask/src/tidy.rs`.

#[test]
fn repository_is_tidy() {
    let root = xtask::project_root();
    let violations = xtask::tidy::check(&root);
    let listing: Vec<String> = violations.iter().map(ToString::to_string).collect();
    assert!(
        violations.is_empty(),
        "`cargo xtask tidy` found {} violation(s) in {}:\n{}",
        violations.len(),
        root.display(),
        listing.join("\n")
    );
}
