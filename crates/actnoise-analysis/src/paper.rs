//! The paper's published numbers, transcribed into `data/paper_tables.csv` and embedded.

use std::sync::OnceLock;

use crate::aggregate::same_alpha;
use crate::error::{Error, Result};

const PAPER_CSV: &str = include_str!("../data/paper_tables.csv");

/// The paper's five generative-EBM datasets, in the column order of Tables 1 and 2.
pub const PAPER_DATASETS: [&str; 5] = ["CIFAR-10", "CIFAR-20", "CalTech-20", "Flower-20", "CUB-20"];

/// The two datasets of Table 5, in its column order.
pub const TABLE5_DATASETS: [&str; 2] = ["CIFAR-10", "CIFAR-100"];

/// Architectures whose Table 5 spelling differs from Table 4's: (Table 5, Table 4).
const ARCHITECTURE_ALIASES: [(&str, &str); 2] =
    [("RegNeXt200MF", "RegNetX-200MF"), ("RegNeXt400MF", "RegNetX-400MF")];

/// Which published table or figure a value comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PaperTable {
    /// Table 1: 12 α pairs × 5 datasets at n = 10⁴ (n = 1 where α_test = 0).
    Table1,
    /// Table 2: α pairs × n ∈ {1, 10, 10², 10³, 10⁴} × 5 datasets.
    Table2,
    /// Table 5: 17 discriminative architectures × α ∈ {0, 0.5, 1} × CIFAR-10/100.
    Table5,
    /// The caption of Fig. 3 (CIFAR-10).
    Fig3,
}

impl PaperTable {
    fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "table1" => Self::Table1,
            "table2" => Self::Table2,
            "table5" => Self::Table5,
            "fig3" => Self::Fig3,
            _ => return None,
        })
    }
}

/// One published number.
#[derive(Debug, Clone, PartialEq)]
pub struct PaperValue {
    /// Where it was published.
    pub table: PaperTable,
    /// α in training.
    pub alpha_train: f64,
    /// α at inference.
    pub alpha_test: f64,
    /// n, noise draws, where the table gives it.
    pub n: Option<u64>,
    /// The paper's dataset name, e.g. `"CIFAR-10"`, `"CalTech-20"`.
    pub dataset: String,
    /// `"ebm-ae"` for the generative tables, the architecture name (Table 5 spelling) otherwise.
    pub model: String,
    /// Mean accuracy in percent.
    pub mean_pct: f64,
    /// The paper's SEM in percent, where given.
    pub sem_pct: Option<f64>,
}

/// All transcribed numbers, in file order.
#[derive(Debug, Clone, PartialEq)]
pub struct PaperTables {
    values: Vec<PaperValue>,
}

impl PaperTables {
    /// The embedded transcription, parsed once.
    ///
    /// # Errors
    /// [`Error::PaperData`] if the embedded file is malformed (a bug of this crate).
    pub fn embedded() -> Result<&'static PaperTables> {
        static TABLES: OnceLock<std::result::Result<PaperTables, (usize, String)>> =
            OnceLock::new();
        match TABLES.get_or_init(|| Self::parse(PAPER_CSV)) {
            Ok(t) => Ok(t),
            Err((line, what)) => Err(Error::PaperData { line: *line, what: what.clone() }),
        }
    }

    fn parse(text: &str) -> std::result::Result<Self, (usize, String)> {
        let mut reader = csv::ReaderBuilder::new()
            .comment(Some(b'#'))
            .has_headers(true)
            .from_reader(text.as_bytes());
        let mut values = Vec::new();
        for record in reader.records() {
            let record = record.map_err(|e| {
                (e.position().map(|p| p.line() as usize).unwrap_or(0), e.to_string())
            })?;
            let line = record.position().map(|p| p.line() as usize).unwrap_or(0);
            let field = |i: usize| record.get(i).unwrap_or("").trim();
            let float = |i: usize, name: &str| {
                field(i).parse::<f64>().map_err(|e| (line, format!("{name} {:?}: {e}", field(i))))
            };
            let table = PaperTable::parse(field(0))
                .ok_or_else(|| (line, format!("unknown table {:?}", field(0))))?;
            let n = match field(3) {
                "" => None,
                s => Some(s.parse::<u64>().map_err(|e| (line, format!("n {s:?}: {e}")))?),
            };
            let sem_pct = match field(7) {
                "" => None,
                _ => Some(float(7, "sem_pct")?),
            };
            values.push(PaperValue {
                table,
                alpha_train: float(1, "alpha_train")?,
                alpha_test: float(2, "alpha_test")?,
                n,
                dataset: field(4).to_owned(),
                model: field(5).to_owned(),
                mean_pct: float(6, "mean_pct")?,
                sem_pct,
            });
        }
        Ok(Self { values })
    }

    /// Every transcribed value, in file order.
    pub fn values(&self) -> &[PaperValue] {
        &self.values
    }

    /// The value of `table` at (α_train, α_test, n, dataset, model); `n` is ignored when
    /// `None`.
    pub fn get(
        &self,
        table: PaperTable,
        alpha: (f64, f64),
        n: Option<u64>,
        dataset: &str,
        model: &str,
    ) -> Option<&PaperValue> {
        self.values.iter().find(|v| {
            v.table == table
                && same_alpha(v.alpha_train, alpha.0)
                && same_alpha(v.alpha_test, alpha.1)
                && (n.is_none() || v.n == n)
                && v.dataset == dataset
                && v.model == model
        })
    }

    /// The α pairs of `table` in order of first appearance (the paper's row order).
    pub fn pairs(&self, table: PaperTable) -> Vec<(f64, f64)> {
        let mut out: Vec<(f64, f64)> = Vec::new();
        for v in self.values.iter().filter(|v| v.table == table) {
            if !out.iter().any(|p| same_alpha(p.0, v.alpha_train) && same_alpha(p.1, v.alpha_test))
            {
                out.push((v.alpha_train, v.alpha_test));
            }
        }
        out
    }

    /// The n values `table` lists for an α pair, in order.
    pub fn draws(&self, table: PaperTable, alpha: (f64, f64)) -> Vec<u64> {
        let mut out = Vec::new();
        for v in self.values.iter().filter(|v| {
            v.table == table
                && same_alpha(v.alpha_train, alpha.0)
                && same_alpha(v.alpha_test, alpha.1)
        }) {
            if let Some(n) = v.n
                && !out.contains(&n)
            {
                out.push(n);
            }
        }
        out
    }

    /// Table 5's architectures in its row order.
    pub fn architectures(&self) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        for v in self.values.iter().filter(|v| v.table == PaperTable::Table5) {
            if !out.contains(&v.model.as_str()) {
                out.push(&v.model);
            }
        }
        out
    }
}

/// The paper's name for one of our dataset names: `"cifar10"` (and `"cifar10-…"` subsets) →
/// CIFAR-10, `"cifar20-…"` → CIFAR-20, `"caltech101-20"` → CalTech-20, `"flowers102-20"` →
/// Flower-20, `"cub200-20"` → CUB-20, `"cifar100"` → CIFAR-100 (Table 5). `None` otherwise.
pub fn paper_dataset(ours: &str) -> Option<&'static str> {
    let d = ours.to_ascii_lowercase();
    Some(match d.as_str() {
        "cifar10" => "CIFAR-10",
        "cifar100" => "CIFAR-100",
        "caltech101-20" => "CalTech-20",
        "flowers102-20" => "Flower-20",
        "cub200-20" => "CUB-20",
        _ if d.starts_with("cifar20") => "CIFAR-20",
        _ if d.starts_with("cifar10-") => "CIFAR-10",
        _ if d.starts_with("cifar100-") => "CIFAR-100",
        _ => return None,
    })
}

fn normalise_name(s: &str) -> String {
    s.chars().filter(char::is_ascii_alphanumeric).map(|c| c.to_ascii_lowercase()).collect()
}

/// Whether our model name denotes the paper's architecture (Table 5 spelling): compared
/// case-insensitively ignoring punctuation, and also against Table 4's spelling where it
/// differs (`RegNetX-200MF` for Table 5's `RegNeXt200MF`).
pub fn architecture_matches(paper: &str, ours: &str) -> bool {
    let o = normalise_name(ours);
    if normalise_name(paper) == o {
        return true;
    }
    ARCHITECTURE_ALIASES.iter().any(|(t5, t4)| *t5 == paper && normalise_name(t4) == o)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t() -> &'static PaperTables {
        PaperTables::embedded().expect("embedded table parses")
    }

    fn value(
        table: PaperTable,
        a: (f64, f64),
        n: Option<u64>,
        ds: &str,
        model: &str,
    ) -> (f64, Option<f64>) {
        let v = t()
            .get(table, a, n, ds, model)
            .unwrap_or_else(|| panic!("{table:?} {a:?} {n:?} {ds} missing"));
        (v.mean_pct, v.sem_pct)
    }

    #[test]
    fn paper_tables_have_expected_shape() {
        let t = t();
        let count = |tab| t.values().iter().filter(|v| v.table == tab).count();
        assert_eq!(count(PaperTable::Table1), 12 * 5);
        // (0,0) and (0.5,0) at n = 1 only; ten pairs at five n.
        assert_eq!(count(PaperTable::Table2), (2 + 10 * 5) * 5);
        assert_eq!(count(PaperTable::Table5), 17 * 3 * 2);
        assert_eq!(count(PaperTable::Fig3), 2);
        assert_eq!(t.pairs(PaperTable::Table1).len(), 12);
        assert_eq!(t.pairs(PaperTable::Table2), t.pairs(PaperTable::Table1));
        assert_eq!(t.architectures().len(), 17);
        assert_eq!(t.draws(PaperTable::Table2, (0.9, 0.9)), vec![1, 10, 100, 1000, 10000]);
        assert_eq!(t.draws(PaperTable::Table2, (0.5, 0.0)), vec![1]);
    }

    #[test]
    fn paper_tables_spot_check_transcription() {
        use PaperTable::*;
        assert_eq!(value(Table1, (0.0, 0.0), Some(1), "CIFAR-10", "ebm-ae"), (20.48, Some(2.03)));
        assert_eq!(
            value(Table1, (0.9, 0.9), Some(10000), "CIFAR-10", "ebm-ae"),
            (65.88, Some(1.10))
        );
        assert_eq!(
            value(Table1, (0.5, 1.5), Some(10000), "CIFAR-20", "ebm-ae"),
            (9.64, Some(0.84))
        );
        assert_eq!(value(Table1, (1.5, 1.5), Some(10000), "CUB-20", "ebm-ae"), (24.38, Some(1.65)));
        assert_eq!(
            value(Table1, (1.5, 0.5), Some(10000), "CalTech-20", "ebm-ae"),
            (15.25, Some(0.83))
        );
        assert_eq!(value(Table2, (0.0, 0.5), Some(1), "CIFAR-10", "ebm-ae"), (9.12, Some(2.25)));
        assert_eq!(value(Table2, (0.5, 0.0), Some(1), "Flower-20", "ebm-ae"), (20.08, Some(2.01)));
        assert_eq!(
            value(Table2, (0.9, 0.9), Some(1000), "CIFAR-10", "ebm-ae"),
            (64.55, Some(1.15))
        );
        assert_eq!(value(Table2, (0.9, 0.9), Some(1), "CIFAR-20", "ebm-ae"), (22.54, Some(0.24)));
        assert_eq!(value(Table2, (1.5, 0.9), Some(10), "CIFAR-10", "ebm-ae"), (36.75, Some(0.10)));
        assert_eq!(
            value(Table2, (0.5, 0.5), Some(100), "CalTech-20", "ebm-ae"),
            (21.37, Some(1.74))
        );
        assert_eq!(value(Table2, (1.5, 1.5), Some(1000), "CUB-20", "ebm-ae"), (23.85, Some(1.95)));
        assert_eq!(value(Table5, (0.0, 0.0), None, "CIFAR-10", "VGG11"), (91.21, Some(0.03)));
        assert_eq!(value(Table5, (1.0, 1.0), None, "CIFAR-100", "DLA"), (74.73, Some(0.02)));
        assert_eq!(
            value(Table5, (0.5, 0.5), None, "CIFAR-10", "ResNeXt29(2x64d)"),
            (94.63, Some(0.06))
        );
        assert_eq!(
            value(Table5, (1.0, 1.0), None, "CIFAR-100", "PreActResNet18"),
            (74.66, Some(0.04))
        );
        assert_eq!(value(Fig3, (0.0, 0.0), Some(1), "CIFAR-10", "ebm-ae"), (20.48, None));
        assert_eq!(value(Fig3, (0.9, 0.9), Some(1000), "CIFAR-10", "ebm-ae"), (64.55, None));
    }

    #[test]
    fn paper_table1_equals_table2_at_the_same_n() {
        let t = t();
        for v in t.values().iter().filter(|v| v.table == PaperTable::Table1) {
            let w = t
                .get(PaperTable::Table2, (v.alpha_train, v.alpha_test), v.n, &v.dataset, &v.model)
                .unwrap_or_else(|| panic!("Table 2 lacks {v:?}"));
            assert_eq!((v.mean_pct, v.sem_pct), (w.mean_pct, w.sem_pct), "{v:?}");
        }
    }

    #[test]
    fn paper_dataset_maps_our_names() {
        assert_eq!(paper_dataset("cifar10"), Some("CIFAR-10"));
        assert_eq!(paper_dataset("cifar20-superclass"), Some("CIFAR-20"));
        assert_eq!(paper_dataset("caltech101-20"), Some("CalTech-20"));
        assert_eq!(paper_dataset("flowers102-20"), Some("Flower-20"));
        assert_eq!(paper_dataset("cub200-20"), Some("CUB-20"));
        assert_eq!(paper_dataset("cifar100"), Some("CIFAR-100"));
        assert_eq!(paper_dataset("digits"), None);
    }

    #[test]
    fn architecture_matches_both_spellings() {
        assert!(architecture_matches("ResNet18", "resnet18"));
        assert!(architecture_matches("RegNeXt200MF", "regnetx-200mf"));
        assert!(architecture_matches("ResNeXt29(32x4d)", "resnext29_32x4d"));
        assert!(!architecture_matches("ResNet18", "resnet50"));
    }
}
