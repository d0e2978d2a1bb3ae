use std::collections::HashMap;
use std::fs;
use std::path::Path;

use burn::module::Module;
use burn::store::ModuleRecord;
use burn::tensor::Bytes;
use safetensors::tensor::{Dtype, TensorView};

use crate::{ClassBank, NnError, Result};

fn err(path: &Path, why: impl ToString) -> NnError {
    NnError::Weights { path: path.display().to_string(), why: why.to_string() }
}

/// Writes `bytes` to `path` through a temporary file in the same directory and a rename, so a
/// crash never leaves a half-written file under the final name.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    fs::create_dir_all(dir).map_err(|e| err(path, e))?;
    let tmp = dir.join(format!(
        ".{}.tmp-{}",
        path.file_name().and_then(|n| n.to_str()).unwrap_or("file"),
        std::process::id()
    ));
    fs::write(&tmp, bytes).map_err(|e| err(&tmp, e))?;
    fs::rename(&tmp, path).map_err(|e| err(path, e))
}

impl ClassBank {
    /// Saves the weights with Burn's recorder (burnpack format), atomically.
    pub fn save(&self, path: &Path) -> Result<()> {
        let bytes = self.clone().into_record().into_bytes().map_err(|e| err(path, e))?;
        write_atomic(path, &bytes)
    }

    /// Loads weights saved by [`ClassBank::save`] into a bank of the same architecture.
    pub fn load(self, path: &Path) -> Result<Self> {
        let bytes = fs::read(path).map_err(|e| err(path, format!("{e} (was the run trained?)")))?;
        let record = ModuleRecord::from_bytes(Bytes::from_bytes_vec(bytes))
            .map_err(|e| err(path, format!("not a burnpack weights file: {e}")))?;
        self.try_load_record(record)
            .map_err(|e| err(path, format!("does not fit this architecture: {e}")))
    }

    /// Exports the weights as safetensors for other tools (PyTorch): for class `c` the tensors
    /// `class{c}.encoder.{i}.weight|bias` and `class{c}.decoder.{i}.weight|bias`, in PyTorch's
    /// `Conv2d` / `ConvTranspose2d` layouts, f32.
    pub fn export_safetensors(&self, path: &Path) -> Result<()> {
        let mut tensors = Vec::new();
        for c in 0..self.classes() {
            for (name, shape, values) in self.class_tensors(c) {
                let bytes: Vec<u8> = values.iter().flat_map(|v| v.to_le_bytes()).collect();
                tensors.push((format!("class{c}.{name}"), shape, bytes));
            }
        }
        let views: Vec<(String, TensorView<'_>)> = tensors
            .iter()
            .map(|(n, s, b)| TensorView::new(Dtype::F32, s.clone(), b).map(|v| (n.clone(), v)))
            .collect::<std::result::Result<_, _>>()
            .map_err(|e| err(path, e))?;
        // One metadata entry only: a HashMap's order varies between processes, and the file
        // should be byte-identical for identical weights.
        let mut meta = HashMap::new();
        meta.insert(
            "actnoise".to_string(),
            format!("class bank of {} classes; naming in the actnoise-nn README", self.classes()),
        );
        let bytes = safetensors::serialize(views, Some(meta)).map_err(|e| err(path, e))?;
        write_atomic(path, &bytes)
    }
}
