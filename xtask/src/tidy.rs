//! `cargo xtask tidy`: the repository's own rules, checked by parsing manifests and reading
//! sources. Each rule is one [`Rule`]; every finding is a [`Violation`] that names the file.
//!
//! The rules (the invariants of `docs/ARCHITECTURE.md`):
//!
//! * [`Rule::DependencyArrows`]: workspace crates depend only along the allowed arrows
//!   (noise laws ← model ← {trainer, sampler}; datasets and analysis stand alone; analysis has
//!   no Burn at all; the runner may use anything; the backend-test crate any library crate;
//!   xtask nothing). Checked in every dependency table, dev- and build-dependencies included.
//! * [`Rule::BackendFeatures`]: no library crate turns on a Burn backend feature in its
//!   dependencies or `[features]`; its dev-dependencies may turn on `flex` only.
//! * [`Rule::CrateDocs`]: every crate under `crates/` has a `README.md`, includes it as its
//!   doc front page, and sets `readme = "README.md"` and `[lints] workspace = true`.
//! * [`Rule::Changelog`]: `CHANGELOG.md` exists and has an `## [Unreleased]` section.
//! * [`Rule::NoTodo`]: no `todo!` or `unimplemented!` call under `crates/` or `xtask/`.
//! * [`Rule::FileSize`]: no file over 1 MiB in the repository (outside `target/`).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use toml::{Table, Value};

/// Burn features that select a backend; library crates must not turn any of them on.
pub const BURN_BACKEND_FEATURES: &[&str] =
    &["flex", "ndarray", "wgpu", "tch", "cuda", "cpu", "rocm", "metal", "vulkan", "webgpu"];

/// Files larger than this many bytes are a [`Rule::FileSize`] violation.
pub const MAX_FILE_BYTES: u64 = 1024 * 1024;

/// The library crates: the only workspace crates another crate may depend on.
pub const LIBRARY_CRATES: &[&str] = &[
    "actnoise-dist",
    "actnoise-nn",
    "actnoise-train",
    "actnoise-sampler",
    "actnoise-data",
    "actnoise-analysis",
];

/// Crates that may turn on Burn backend features (everything else counts as a library).
pub const BACKEND_CRATES: &[&str] = &["actnoise", "actnoise-backend-tests"];

/// Which workspace crates a crate may depend on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Allowed {
    /// Exactly these workspace crates (possibly none).
    Only(&'static [&'static str]),
    /// Any crate of [`LIBRARY_CRATES`].
    AnyLibrary,
    /// Any workspace crate except `xtask`.
    Any,
}

/// The dependency arrows of the workspace, by package name.
pub const ARROWS: &[(&str, Allowed)] = &[
    ("actnoise-dist", Allowed::Only(&[])),
    ("actnoise-nn", Allowed::Only(&["actnoise-dist"])),
    ("actnoise-train", Allowed::Only(&["actnoise-nn", "actnoise-dist"])),
    ("actnoise-sampler", Allowed::Only(&["actnoise-nn", "actnoise-dist"])),
    ("actnoise-data", Allowed::Only(&[])),
    ("actnoise-analysis", Allowed::Only(&[])),
    ("actnoise", Allowed::Any),
    ("actnoise-backend-tests", Allowed::AnyLibrary),
    ("xtask", Allowed::Only(&[])),
];

/// Crates that must not depend on `burn` or any `burn-*` crate, in any dependency table.
pub const BURN_FREE_CRATES: &[&str] = &["actnoise-analysis", "xtask"];

// Spelled in two pieces so that this file does not trip its own rule.
const TODO_MACRO: &str = concat!("todo", "!(");
const UNIMPLEMENTED_MACRO: &str = concat!("unimplemented", "!(");
const DOC_INCLUDE: &str = "#![doc = include_str!(\"../README.md\")]";

/// One of the repository's rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Rule {
    /// A manifest could not be read or parsed, so the other rules could not run on it.
    Manifest,
    /// A workspace crate depends on a workspace crate its arrows do not allow.
    DependencyArrows,
    /// A library crate turns on a Burn backend feature.
    BackendFeatures,
    /// A crate lacks its README, its doc include, `readme` or workspace lints.
    CrateDocs,
    /// `CHANGELOG.md` is missing or has no `## [Unreleased]` section.
    Changelog,
    /// A source file calls `todo!` or `unimplemented!`.
    NoTodo,
    /// A file in the repository is over [`MAX_FILE_BYTES`].
    FileSize,
}

impl Rule {
    /// Short identifier printed in violations, e.g. `dependency-arrows`.
    pub fn id(self) -> &'static str {
        match self {
            Rule::Manifest => "manifest",
            Rule::DependencyArrows => "dependency-arrows",
            Rule::BackendFeatures => "backend-features",
            Rule::CrateDocs => "crate-docs",
            Rule::Changelog => "changelog",
            Rule::NoTodo => "no-todo",
            Rule::FileSize => "file-size",
        }
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

/// A broken rule: which file, which rule, what is wrong and how to fix it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// The offending file, relative to the checked root.
    pub path: PathBuf,
    /// The rule it breaks.
    pub rule: Rule,
    /// What is wrong and what to do.
    pub message: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: [{}] {}", self.path.display(), self.rule, self.message)
    }
}

/// Checks every rule on the repository at `root`; an empty result means tidy.
pub fn check(root: &Path) -> Vec<Violation> {
    let mut tidy = Tidy { root, violations: Vec::new() };
    let crates = tidy.load_crates();
    let workspace = tidy.load_workspace_manifest();
    tidy.check_arrows(&crates, workspace.as_ref());
    tidy.check_backend_features(&crates, workspace.as_ref());
    tidy.check_crate_docs(&crates);
    tidy.check_changelog();
    tidy.check_no_todo();
    tidy.check_file_sizes();
    tidy.violations
}

/// A parsed crate manifest.
struct Crate {
    /// Crate directory relative to the root, e.g. `crates/actnoise-nn`.
    dir: PathBuf,
    /// Package name.
    name: String,
    /// Whether the crate lives under `crates/` (the doc rules apply to those).
    under_crates: bool,
    manifest: Table,
}

impl Crate {
    fn manifest_path(&self) -> PathBuf {
        self.dir.join("Cargo.toml")
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DepKind {
    Normal,
    Dev,
    Build,
}

/// One entry of a dependency table.
struct Dep {
    /// The key in the table (the name the crate uses).
    key: String,
    /// The package it resolves to (`package = ".."` or the key).
    package: String,
    kind: DepKind,
    /// The table it sits in, for messages, e.g. `[dev-dependencies]`.
    table: String,
    features: Vec<String>,
}

fn is_burn(package: &str) -> bool {
    package == "burn" || package.starts_with("burn-")
}

/// The backend a Burn crate *is*, for `burn-ndarray`, `burn-wgpu`, ...
fn burn_backend_crate(package: &str) -> Option<&'static str> {
    let suffix = package.strip_prefix("burn-")?;
    BURN_BACKEND_FEATURES.iter().copied().chain(["candle"]).find(|backend| *backend == suffix)
}

/// Every dependency of a manifest, in all tables (plain, dev, build; also per target).
fn dependencies(manifest: &Table) -> Vec<Dep> {
    let mut deps = Vec::new();
    collect_dep_tables(manifest, "", &mut deps);
    if let Some(Value::Table(targets)) = manifest.get("target") {
        for (cfg, target) in targets {
            if let Value::Table(target) = target {
                collect_dep_tables(target, &format!("target.'{cfg}'."), &mut deps);
            }
        }
    }
    deps
}

fn collect_dep_tables(table: &Table, prefix: &str, deps: &mut Vec<Dep>) {
    const TABLES: &[(&str, DepKind)] = &[
        ("dependencies", DepKind::Normal),
        ("dev-dependencies", DepKind::Dev),
        ("dev_dependencies", DepKind::Dev),
        ("build-dependencies", DepKind::Build),
        ("build_dependencies", DepKind::Build),
    ];
    for &(name, kind) in TABLES {
        let Some(Value::Table(entries)) = table.get(name) else { continue };
        for (key, value) in entries {
            let (package, features) = match value {
                Value::Table(spec) => {
                    let package = spec.get("package").and_then(Value::as_str).unwrap_or(key);
                    let features = spec
                        .get("features")
                        .and_then(Value::as_array)
                        .map(|list| {
                            list.iter().filter_map(Value::as_str).map(str::to_owned).collect()
                        })
                        .unwrap_or_default();
                    (package.to_owned(), features)
                }
                _ => (key.clone(), Vec::new()),
            };
            deps.push(Dep {
                key: key.clone(),
                package,
                kind,
                table: format!("[{prefix}{name}]"),
                features,
            });
        }
    }
}

struct Tidy<'a> {
    root: &'a Path,
    violations: Vec<Violation>,
}

impl Tidy<'_> {
    fn report(&mut self, path: impl Into<PathBuf>, rule: Rule, message: impl Into<String>) {
        self.violations.push(Violation { path: path.into(), rule, message: message.into() });
    }

    fn parse_manifest(&mut self, relative: &Path) -> Option<Table> {
        let text = match fs::read_to_string(self.root.join(relative)) {
            Ok(text) => text,
            Err(err) => {
                self.report(relative, Rule::Manifest, format!("cannot read the manifest: {err}"));
                return None;
            }
        };
        match text.parse::<Table>() {
            Ok(table) => Some(table),
            Err(err) => {
                self.report(relative, Rule::Manifest, format!("not valid TOML: {err}"));
                None
            }
        }
    }

    fn load_workspace_manifest(&mut self) -> Option<Table> {
        let path = Path::new("Cargo.toml");
        if !self.root.join(path).is_file() {
            self.report(path, Rule::Manifest, "the workspace manifest is missing");
            return None;
        }
        self.parse_manifest(path)
    }

    /// The crates under `crates/` (one per directory holding a `Cargo.toml`) and `xtask/`.
    fn load_crates(&mut self) -> Vec<Crate> {
        let mut dirs = Vec::new();
        match fs::read_dir(self.root.join("crates")) {
            Ok(entries) => {
                for entry in entries.flatten() {
                    if entry.path().join("Cargo.toml").is_file() {
                        dirs.push((Path::new("crates").join(entry.file_name()), true));
                    }
                }
            }
            Err(err) => {
                self.report("crates", Rule::Manifest, format!("cannot list crates/: {err}"))
            }
        }
        dirs.sort();
        if self.root.join("xtask/Cargo.toml").is_file() {
            dirs.push((PathBuf::from("xtask"), false));
        }
        let mut crates = Vec::new();
        for (dir, under_crates) in dirs {
            let manifest_path = dir.join("Cargo.toml");
            let Some(manifest) = self.parse_manifest(&manifest_path) else { continue };
            let name = manifest
                .get("package")
                .and_then(|p| p.get("name"))
                .and_then(Value::as_str)
                .map(str::to_owned);
            match name {
                Some(name) => crates.push(Crate { dir, name, under_crates, manifest }),
                None => self.report(
                    manifest_path,
                    Rule::Manifest,
                    "no [package] name; every directory under crates/ must be one package",
                ),
            }
        }
        crates
    }

    fn check_arrows(&mut self, crates: &[Crate], workspace: Option<&Table>) {
        let mut workspace_names: BTreeSet<String> = crates.iter().map(|c| c.name.clone()).collect();
        // Path dependencies declared for the workspace are workspace crates too.
        if let Some(Value::Table(deps)) =
            workspace.and_then(|w| w.get("workspace")).and_then(|w| w.get("dependencies"))
        {
            for (key, spec) in deps {
                if spec.get("path").is_some() {
                    let package = spec.get("package").and_then(Value::as_str).unwrap_or(key);
                    workspace_names.insert(package.to_owned());
                }
            }
        }
        let arrows: BTreeMap<&str, Allowed> = ARROWS.iter().copied().collect();
        for krate in crates {
            let manifest_path = krate.manifest_path();
            let Some(&allowed) = arrows.get(krate.name.as_str()) else {
                self.report(
                    &manifest_path,
                    Rule::DependencyArrows,
                    format!(
                        "crate `{}` has no entry in the table of allowed dependency arrows \
                         (ARROWS in xtask/src/tidy.rs); add one there and in \
                         docs/ARCHITECTURE.md",
                        krate.name
                    ),
                );
                continue;
            };
            for dep in dependencies(&krate.manifest) {
                if BURN_FREE_CRATES.contains(&krate.name.as_str()) && is_burn(&dep.package) {
                    self.report(
                        &manifest_path,
                        Rule::DependencyArrows,
                        format!(
                            "`{}` must not depend on Burn at all, but {} has `{}`; \
                             work on plain data (result files) instead",
                            krate.name, dep.table, dep.key
                        ),
                    );
                }
                if !workspace_names.contains(&dep.package) || dep.package == krate.name {
                    continue;
                }
                let ok = match allowed {
                    Allowed::Only(list) => list.contains(&dep.package.as_str()),
                    Allowed::AnyLibrary => LIBRARY_CRATES.contains(&dep.package.as_str()),
                    Allowed::Any => dep.package != "xtask",
                };
                if !ok {
                    let allowed_text = match allowed {
                        Allowed::Only([]) => "no workspace crate".to_owned(),
                        Allowed::Only(list) => list.join(", "),
                        Allowed::AnyLibrary => {
                            format!("only library crates ({})", LIBRARY_CRATES.join(", "))
                        }
                        Allowed::Any => "any workspace crate but xtask".to_owned(),
                    };
                    self.report(
                        &manifest_path,
                        Rule::DependencyArrows,
                        format!(
                            "`{}` depends on `{}` in {}, against the dependency arrows; \
                             `{}` may depend on: {}",
                            krate.name, dep.package, dep.table, krate.name, allowed_text
                        ),
                    );
                }
            }
        }
    }

    fn check_backend_features(&mut self, crates: &[Crate], workspace: Option<&Table>) {
        // Features set in [workspace.dependencies] reach every crate that inherits the dep.
        if let Some(Value::Table(deps)) =
            workspace.and_then(|w| w.get("workspace")).and_then(|w| w.get("dependencies"))
        {
            for (key, spec) in deps {
                let package = spec.get("package").and_then(Value::as_str).unwrap_or(key);
                if !is_burn(package) {
                    continue;
                }
                let features = spec.get("features").and_then(Value::as_array);
                for feature in features.into_iter().flatten().filter_map(Value::as_str) {
                    if BURN_BACKEND_FEATURES.contains(&feature) {
                        self.report(
                            "Cargo.toml",
                            Rule::BackendFeatures,
                            format!(
                                "[workspace.dependencies] `{key}` turns on backend feature \
                                 `{feature}` for every crate; turn it on only in the \
                                 `actnoise` or `actnoise-backend-tests` manifests"
                            ),
                        );
                    }
                }
            }
        }
        for krate in crates {
            if BACKEND_CRATES.contains(&krate.name.as_str()) {
                continue;
            }
            let manifest_path = krate.manifest_path();
            let deps = dependencies(&krate.manifest);
            for dep in deps.iter().filter(|d| is_burn(&d.package)) {
                let dev_flex = |backend: &str| dep.kind == DepKind::Dev && backend == "flex";
                if let Some(backend) = burn_backend_crate(&dep.package)
                    && !dev_flex(backend)
                {
                    self.report(
                        &manifest_path,
                        Rule::BackendFeatures,
                        format!(
                            "library crate `{}` depends on the backend crate `{}` in {}; \
                             take `burn` without a backend and a `&Device` instead",
                            krate.name, dep.package, dep.table
                        ),
                    );
                }
                for feature in &dep.features {
                    if BURN_BACKEND_FEATURES.contains(&feature.as_str()) && !dev_flex(feature) {
                        let hint = if dep.kind == DepKind::Dev {
                            "tests of library crates may turn on `flex` only"
                        } else {
                            "library crates take `burn` without a backend and a `&Device`; \
                             tests may turn on `flex` in [dev-dependencies]"
                        };
                        self.report(
                            &manifest_path,
                            Rule::BackendFeatures,
                            format!(
                                "library crate `{}` turns on Burn backend feature `{feature}` \
                                 of `{}` in {}; {hint}",
                                krate.name, dep.key, dep.table
                            ),
                        );
                    }
                }
            }
            // [features] entries such as `flex = ["burn/flex"]` or `"burn?/wgpu"`.
            let key_to_package: BTreeMap<&str, &str> =
                deps.iter().map(|d| (d.key.as_str(), d.package.as_str())).collect();
            let Some(Value::Table(features)) = krate.manifest.get("features") else { continue };
            for (feature, entries) in features {
                let entries = entries.as_array().into_iter().flatten().filter_map(Value::as_str);
                for entry in entries {
                    let Some((dep_key, dep_feature)) = entry.split_once('/') else { continue };
                    let dep_key = dep_key.trim_end_matches('?');
                    let package = key_to_package.get(dep_key).copied().unwrap_or(dep_key);
                    if is_burn(package) && BURN_BACKEND_FEATURES.contains(&dep_feature) {
                        self.report(
                            &manifest_path,
                            Rule::BackendFeatures,
                            format!(
                                "library crate `{}` has [features] `{feature}` = \"{entry}\", \
                                 a Burn backend feature; only `actnoise` and \
                                 `actnoise-backend-tests` may forward backend features",
                                krate.name
                            ),
                        );
                    }
                }
            }
        }
    }

    fn check_crate_docs(&mut self, crates: &[Crate]) {
        for krate in crates {
            let manifest_path = krate.manifest_path();
            let lints_ok = krate
                .manifest
                .get("lints")
                .and_then(|l| l.get("workspace"))
                .and_then(Value::as_bool)
                == Some(true);
            if !lints_ok {
                self.report(
                    &manifest_path,
                    Rule::CrateDocs,
                    "missing `[lints] workspace = true`; add it so the workspace lints apply",
                );
            }
            if !krate.under_crates {
                continue;
            }
            let readme_field = krate.manifest.get("package").and_then(|p| p.get("readme"));
            if readme_field.and_then(Value::as_str) != Some("README.md") {
                self.report(
                    &manifest_path,
                    Rule::CrateDocs,
                    "[package] must set `readme = \"README.md\"`",
                );
            }
            let readme = krate.dir.join("README.md");
            if !self.root.join(&readme).is_file() {
                self.report(
                    &readme,
                    Rule::CrateDocs,
                    "missing; every crate under crates/ has a README.md as its doc front page",
                );
            }
            let lib_path = krate
                .manifest
                .get("lib")
                .and_then(|l| l.get("path"))
                .and_then(Value::as_str)
                .map(|p| krate.dir.join(p));
            let candidates =
                [lib_path, Some(krate.dir.join("src/lib.rs")), Some(krate.dir.join("src/main.rs"))];
            let Some(entry) =
                candidates.into_iter().flatten().find(|p| self.root.join(p).is_file())
            else {
                self.report(
                    &krate.dir,
                    Rule::CrateDocs,
                    "no src/lib.rs or src/main.rs to carry `#![doc = include_str!(\"../README.md\")]`",
                );
                continue;
            };
            let squeeze = |s: &str| s.chars().filter(|c| !c.is_whitespace()).collect::<String>();
            let wanted = squeeze(DOC_INCLUDE);
            match fs::read_to_string(self.root.join(&entry)) {
                Ok(source) if source.lines().any(|line| squeeze(line) == wanted) => {}
                Ok(_) => self.report(
                    &entry,
                    Rule::CrateDocs,
                    format!("missing `{DOC_INCLUDE}`; the crate README is its doc front page"),
                ),
                Err(err) => self.report(&entry, Rule::CrateDocs, format!("cannot read: {err}")),
            }
        }
    }

    fn check_changelog(&mut self) {
        let path = Path::new("CHANGELOG.md");
        match fs::read_to_string(self.root.join(path)) {
            Ok(text) => {
                if !text.lines().any(|line| line.trim_start().starts_with("## [Unreleased]")) {
                    self.report(
                        path,
                        Rule::Changelog,
                        "no `## [Unreleased]` section; add one at the top (Keep a Changelog)",
                    );
                }
            }
            Err(err) => self.report(
                path,
                Rule::Changelog,
                format!(
                    "cannot read it ({err}); the repository keeps a Keep-a-Changelog \
                     CHANGELOG.md with an `## [Unreleased]` section"
                ),
            ),
        }
    }

    fn check_no_todo(&mut self) {
        let mut files = Vec::new();
        for dir in ["crates", "xtask"] {
            walk(self.root, Path::new(dir), &|p| is_target_dir(p) || is_hidden(p), &mut files);
        }
        for file in files {
            let is_source = file.extension().is_some_and(|ext| ext == "rs" || ext == "md");
            if !is_source {
                continue;
            }
            let Ok(text) = fs::read_to_string(self.root.join(&file)) else { continue };
            for (number, line) in text.lines().enumerate() {
                for pattern in [TODO_MACRO, UNIMPLEMENTED_MACRO] {
                    if line.contains(pattern) {
                        self.report(
                            &file,
                            Rule::NoTodo,
                            format!(
                                "line {}: `{pattern}` left in the source; write the code or \
                                 return an error",
                                number + 1
                            ),
                        );
                    }
                }
            }
        }
    }

    fn check_file_sizes(&mut self) {
        let files = git_files(self.root).unwrap_or_else(|| {
            let mut files = Vec::new();
            let skip = |p: &Path| {
                let name = p.file_name().map(|n| n.to_string_lossy()).unwrap_or_default();
                p == Path::new("target")
                    || p == Path::new("runs")
                    || name == ".git"
                    || name.starts_with(".venv")
            };
            walk(self.root, Path::new(""), &skip, &mut files);
            files
        });
        for file in files {
            if file.starts_with("target") {
                continue;
            }
            let Ok(meta) = fs::symlink_metadata(self.root.join(&file)) else { continue };
            if meta.is_file() && meta.len() > MAX_FILE_BYTES {
                self.report(
                    &file,
                    Rule::FileSize,
                    format!(
                        "{} bytes, over the 1 MiB limit for files in the repository; keep large \
                         data in ../shared/ or generate it",
                        meta.len()
                    ),
                );
            }
        }
    }
}

fn is_target_dir(path: &Path) -> bool {
    path.file_name().is_some_and(|n| n == "target")
}

fn is_hidden(path: &Path) -> bool {
    path.file_name().is_some_and(|n| n.to_string_lossy().starts_with('.'))
}

/// Files under `root/dir`, as paths relative to `root`, skipping directories `skip` matches.
fn walk(root: &Path, dir: &Path, skip: &dyn Fn(&Path) -> bool, out: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(root.join(dir)) else { return };
    let mut entries: Vec<_> = entries.flatten().collect();
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let relative = dir.join(entry.file_name());
        let Ok(file_type) = entry.file_type() else { continue };
        if file_type.is_dir() {
            if !skip(&relative) {
                walk(root, &relative, skip, out);
            }
        } else if file_type.is_file() {
            out.push(relative);
        }
    }
}

/// Files git tracks or would add (tracked, plus untracked that are not ignored), relative to
/// `root`; `None` when `root` is not in a git work tree or git is unavailable.
fn git_files(root: &Path) -> Option<Vec<PathBuf>> {
    let output = Command::new("git")
        .arg("-C")
        .arg(root)
        .args(["ls-files", "-z", "--cached", "--others", "--exclude-standard"])
        .output()
        .ok()?;
    if !output.status.success() {
        return None;
    }
    let listing = String::from_utf8_lossy(&output.stdout);
    Some(listing.split('\0').filter(|s| !s.is_empty()).map(PathBuf::from).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A minimal tidy workspace in a temp dir; tests break one rule at a time.
    struct Fixture {
        dir: tempfile::TempDir,
    }

    const WORKSPACE: &str = r#"[workspace]
members = ["crates/*", "xtask"]

[workspace.dependencies]
burn = { version = "=0.22.1", default-features = false }
actnoise-dist = { path = "crates/actnoise-dist" }
actnoise-nn = { path = "crates/actnoise-nn" }
"#;

    fn manifest(name: &str, extra: &str) -> String {
        format!(
            "[package]\nname = \"{name}\"\nversion = \"0.1.0\"\nreadme = \"README.md\"\n\n\
             [lints]\nworkspace = true\n\n{extra}"
        )
    }

    impl Fixture {
        fn new() -> Self {
            let fixture = Fixture { dir: tempfile::tempdir().unwrap() };
            fixture.write("Cargo.toml", WORKSPACE);
            fixture.write("CHANGELOG.md", "# Changelog\n\n## [Unreleased]\n\n- first\n");
            fixture.add_crate(
                "actnoise-dist",
                "[dependencies]\nburn = { workspace = true, features = [\"std\"] }\n\n\
                 [dev-dependencies]\nburn = { workspace = true, features = [\"flex\", \"std\"] }\n",
            );
            fixture.add_crate(
                "actnoise-nn",
                "[dependencies]\nburn = { workspace = true }\nactnoise-dist.workspace = true\n",
            );
            fixture.add_crate(
                "actnoise",
                "[features]\ndefault = [\"flex\"]\nflex = [\"burn/flex\"]\nwgpu = [\"burn/wgpu\"]\n\n\
                 [dependencies]\nburn = { workspace = true }\nactnoise-nn.workspace = true\n",
            );
            fixture.write(
                "xtask/Cargo.toml",
                "[package]\nname = \"xtask\"\nversion = \"0.1.0\"\n\n[lints]\nworkspace = true\n\n\
                 [dependencies]\nanyhow = \"1\"\n",
            );
            fixture.write("xtask/src/main.rs", "fn main() {}\n");
            fixture
        }

        fn root(&self) -> &Path {
            self.dir.path()
        }

        fn write(&self, relative: &str, contents: &str) {
            let path = self.root().join(relative);
            fs::create_dir_all(path.parent().unwrap()).unwrap();
            fs::write(path, contents).unwrap();
        }

        fn add_crate(&self, name: &str, extra: &str) {
            self.write(&format!("crates/{name}/Cargo.toml"), &manifest(name, extra));
            self.write(&format!("crates/{name}/README.md"), &format!("# {name}\n"));
            self.write(
                &format!("crates/{name}/src/lib.rs"),
                "#![doc = include_str!(\"../README.md\")]\n\npub fn f() {}\n",
            );
        }

        fn check(&self) -> Vec<Violation> {
            check(self.root())
        }
    }

    fn only_rule(violations: &[Violation], rule: Rule, path: &str) {
        assert!(!violations.is_empty(), "expected a {rule} violation, got none");
        for v in violations {
            assert_eq!(v.rule, rule, "unexpected violation: {v}");
            assert_eq!(v.path, Path::new(path), "unexpected violation: {v}");
        }
    }

    #[test]
    fn tidy_fixture_has_no_violations() {
        let fixture = Fixture::new();
        let violations = fixture.check();
        assert!(violations.is_empty(), "{violations:#?}");
    }

    #[test]
    fn tidy_catches_a_backward_arrow() {
        let fixture = Fixture::new();
        fixture.write(
            "crates/actnoise-dist/Cargo.toml",
            &manifest("actnoise-dist", "[dependencies]\nactnoise-nn.workspace = true\n"),
        );
        let violations = fixture.check();
        only_rule(&violations, Rule::DependencyArrows, "crates/actnoise-dist/Cargo.toml");
        assert!(violations[0].message.contains("`actnoise-nn`"), "{}", violations[0]);
        assert!(violations[0].to_string().starts_with(
            "crates/actnoise-dist/Cargo.toml: [dependency-arrows] `actnoise-dist` depends on"
        ));
    }

    #[test]
    fn tidy_catches_arrows_in_dev_dependencies_and_renames() {
        let fixture = Fixture::new();
        fixture.add_crate(
            "actnoise-data",
            "[dev-dependencies]\nnn = { package = \"actnoise-nn\", path = \"../actnoise-nn\" }\n",
        );
        only_rule(&fixture.check(), Rule::DependencyArrows, "crates/actnoise-data/Cargo.toml");
    }

    #[test]
    fn tidy_catches_backend_tests_depending_on_the_runner() {
        let fixture = Fixture::new();
        fixture.add_crate(
            "actnoise-backend-tests",
            "[features]\nwgpu = [\"burn/wgpu\"]\n\n[dependencies]\nburn = { workspace = true }\n\
             actnoise-nn.workspace = true\nactnoise = { path = \"../actnoise\" }\n",
        );
        let violations = fixture.check();
        only_rule(&violations, Rule::DependencyArrows, "crates/actnoise-backend-tests/Cargo.toml");
        assert_eq!(violations.len(), 1, "{violations:#?}");
    }

    #[test]
    fn tidy_catches_burn_in_analysis_even_for_tests() {
        let fixture = Fixture::new();
        fixture.add_crate("actnoise-analysis", "[dev-dependencies]\nburn = { workspace = true }\n");
        let violations = fixture.check();
        only_rule(&violations, Rule::DependencyArrows, "crates/actnoise-analysis/Cargo.toml");
        assert!(violations[0].message.contains("must not depend on Burn"));
    }

    #[test]
    fn tidy_catches_a_crate_missing_from_the_arrow_table() {
        let fixture = Fixture::new();
        fixture.add_crate("actnoise-extra", "");
        only_rule(&fixture.check(), Rule::DependencyArrows, "crates/actnoise-extra/Cargo.toml");
    }

    #[test]
    fn tidy_catches_backend_feature_in_library_dependencies() {
        let fixture = Fixture::new();
        fixture.write(
            "crates/actnoise-nn/Cargo.toml",
            &manifest(
                "actnoise-nn",
                "[dependencies]\nburn = { workspace = true, features = [\"std\", \"ndarray\"] }\n\
                 actnoise-dist.workspace = true\n",
            ),
        );
        let violations = fixture.check();
        only_rule(&violations, Rule::BackendFeatures, "crates/actnoise-nn/Cargo.toml");
        assert!(violations[0].message.contains("`ndarray`"), "{}", violations[0]);
    }

    #[test]
    fn tidy_catches_backend_feature_forwarded_by_library_features() {
        let fixture = Fixture::new();
        fixture.write(
            "crates/actnoise-nn/Cargo.toml",
            &manifest(
                "actnoise-nn",
                "[features]\ngpu = [\"burn?/cuda\"]\n\n[dependencies]\nburn = { workspace = true }\n\
                 actnoise-dist.workspace = true\n",
            ),
        );
        only_rule(&fixture.check(), Rule::BackendFeatures, "crates/actnoise-nn/Cargo.toml");
    }

    #[test]
    fn tidy_catches_non_flex_backend_in_library_dev_dependencies_and_backend_crates() {
        let fixture = Fixture::new();
        fixture.write(
            "crates/actnoise-dist/Cargo.toml",
            &manifest(
                "actnoise-dist",
                "[dependencies]\nburn-wgpu = \"0.22.1\"\n\n\
                 [dev-dependencies]\nburn = { workspace = true, features = [\"wgpu\"] }\n",
            ),
        );
        let violations = fixture.check();
        only_rule(&violations, Rule::BackendFeatures, "crates/actnoise-dist/Cargo.toml");
        assert_eq!(violations.len(), 2, "{violations:#?}");
    }

    #[test]
    fn tidy_catches_backend_feature_in_workspace_dependencies() {
        let fixture = Fixture::new();
        fixture.write(
            "Cargo.toml",
            &WORKSPACE.replace("default-features = false", "features = [\"tch\"]"),
        );
        only_rule(&fixture.check(), Rule::BackendFeatures, "Cargo.toml");
    }

    #[test]
    fn tidy_catches_missing_readme_doc_include_and_lints() {
        let fixture = Fixture::new();
        fs::remove_file(fixture.root().join("crates/actnoise-nn/README.md")).unwrap();
        fixture.write("crates/actnoise-nn/src/lib.rs", "//! docs\npub fn f() {}\n");
        fixture.write(
            "crates/actnoise-dist/Cargo.toml",
            "[package]\nname = \"actnoise-dist\"\nversion = \"0.1.0\"\n",
        );
        let violations = fixture.check();
        let found: BTreeSet<(String, Rule)> =
            violations.iter().map(|v| (v.path.display().to_string(), v.rule)).collect();
        let expected: BTreeSet<(String, Rule)> = [
            ("crates/actnoise-nn/README.md".to_owned(), Rule::CrateDocs),
            ("crates/actnoise-nn/src/lib.rs".to_owned(), Rule::CrateDocs),
            ("crates/actnoise-dist/Cargo.toml".to_owned(), Rule::CrateDocs),
        ]
        .into();
        assert_eq!(found, expected, "{violations:#?}");
        // Both the missing lints and the missing readme field are reported.
        assert_eq!(violations.len(), 4, "{violations:#?}");
    }

    #[test]
    fn tidy_accepts_main_rs_for_bin_only_crates() {
        let fixture = Fixture::new();
        fs::remove_file(fixture.root().join("crates/actnoise/src/lib.rs")).unwrap();
        fixture.write("crates/actnoise/src/main.rs", "fn main() {}\n");
        only_rule(&fixture.check(), Rule::CrateDocs, "crates/actnoise/src/main.rs");
        fixture.write(
            "crates/actnoise/src/main.rs",
            "#![doc = include_str!( \"../README.md\" )]\nfn main() {}\n",
        );
        assert!(fixture.check().is_empty());
    }

    #[test]
    fn tidy_catches_missing_changelog_section() {
        let fixture = Fixture::new();
        fixture.write("CHANGELOG.md", "# Changelog\n\n## [0.1.0]\n");
        only_rule(&fixture.check(), Rule::Changelog, "CHANGELOG.md");
        fs::remove_file(fixture.root().join("CHANGELOG.md")).unwrap();
        only_rule(&fixture.check(), Rule::Changelog, "CHANGELOG.md");
    }

    #[test]
    fn tidy_catches_todo_and_unimplemented() {
        let fixture = Fixture::new();
        fixture.write(
            "crates/actnoise-nn/src/deep/mod.rs",
            &format!("fn a() {{\n    {TODO_MACRO})\n}}\n"),
        );
        fixture.write("xtask/src/main.rs", &format!("fn main() {{ {UNIMPLEMENTED_MACRO}) }}\n"));
        let violations = fixture.check();
        assert_eq!(violations.len(), 2, "{violations:#?}");
        assert!(violations.iter().all(|v| v.rule == Rule::NoTodo));
        assert_eq!(violations[0].path, Path::new("crates/actnoise-nn/src/deep/mod.rs"));
        assert!(violations[0].message.starts_with("line 2:"), "{}", violations[0]);
        assert_eq!(violations[1].path, Path::new("xtask/src/main.rs"));
    }

    #[test]
    fn tidy_catches_large_files_but_not_in_target_or_runs() {
        let fixture = Fixture::new();
        let big = "x".repeat(MAX_FILE_BYTES as usize + 1);
        fixture.write("data/big.bin", &big);
        fixture.write("target/release/big.bin", &big);
        fixture.write("runs/r1/big.bin", &big);
        fixture.write("data/exactly-1mib.bin", &big[1..]);
        only_rule(&fixture.check(), Rule::FileSize, "data/big.bin");
    }

    #[test]
    fn tidy_reports_unparsable_manifest() {
        let fixture = Fixture::new();
        fixture.write("crates/actnoise-nn/Cargo.toml", "[package\nname = 1");
        let violations = fixture.check();
        assert!(
            violations.iter().any(|v| v.rule == Rule::Manifest
                && v.path == Path::new("crates/actnoise-nn/Cargo.toml")),
            "{violations:#?}"
        );
    }
}
