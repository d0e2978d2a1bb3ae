//! Tables laid out like the paper's Tables 1, 2 and 5, with the paper's values beside ours, in
//! Markdown, CSV and LaTeX.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use crate::aggregate::{Aggregate, UncertaintyKind, alpha_key, same_alpha};
use crate::error::{Error, Result};
use crate::io::write_atomic;
use crate::paper::{
    PAPER_DATASETS, PaperTable, PaperTables, TABLE5_DATASETS, architecture_matches, paper_dataset,
};
use crate::select::{Side, alpha_str, most_draws, prefer};

/// One of our measured values, in percent.
#[derive(Debug, Clone, PartialEq)]
pub struct Measured {
    /// Mean accuracy over seeds, %.
    pub mean_pct: f64,
    /// The uncertainty ([`Aggregate::uncertainty`]), %.
    pub unc_pct: f64,
    /// How the uncertainty was obtained.
    pub kind: UncertaintyKind,
    /// The 95 % Wilson interval, % (the cell's for one seed, of pooled counts otherwise).
    pub ci_pct: (f64, f64),
    /// Seeds aggregated.
    pub seeds: usize,
    /// n, noise draws.
    pub draws: u64,
    /// The experiment the value came from.
    pub experiment: String,
}

impl Measured {
    /// The measured value of an aggregate.
    pub fn of(a: &Aggregate) -> Self {
        Self {
            mean_pct: 100.0 * a.mean,
            unc_pct: 100.0 * a.uncertainty(),
            kind: a.uncertainty_kind(),
            ci_pct: (100.0 * a.ci_low, 100.0 * a.ci_high),
            seeds: a.n,
            draws: a.draws,
            experiment: a.experiment.clone(),
        }
    }

    /// "57.10 ± 1.20 (3 seeds, n=1000)" or "57.10 [55.21, 58.97] (1 seed, n=1000)".
    pub fn text(&self, pm: &str, show_draws: bool) -> String {
        let draws = if show_draws { format!(", n={}", self.draws) } else { String::new() };
        match self.kind {
            UncertaintyKind::Sem => {
                format!(
                    "{:.2} {pm} {:.2} ({} seeds{draws})",
                    self.mean_pct, self.unc_pct, self.seeds
                )
            }
            UncertaintyKind::Wilson => format!(
                "{:.2} [{:.2}, {:.2}] (1 seed{draws})",
                self.mean_pct, self.ci_pct.0, self.ci_pct.1
            ),
        }
    }
}

/// One cell of a [`Table`].
#[derive(Debug, Clone, PartialEq)]
pub enum Entry {
    /// Nothing measured / published.
    Empty,
    /// A label.
    Text(String),
    /// One of our values.
    Ours(Measured),
    /// A published value, % (mean, SEM).
    Paper {
        /// Mean, %.
        mean_pct: f64,
        /// SEM, % (where the paper gives one).
        sem_pct: Option<f64>,
    },
}

/// What a column holds (fixes its CSV fields).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnKind {
    /// Labels.
    Text,
    /// Our values.
    Ours,
    /// The paper's values.
    Paper,
}

impl ColumnKind {
    /// Number of CSV fields a column of this kind writes.
    fn csv_width(self) -> usize {
        match self {
            Self::Text => 1,
            Self::Ours => 7,
            Self::Paper => 2,
        }
    }
}

/// A column of a [`Table`].
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    /// Upper header (e.g. the dataset), shared by adjacent columns with the same group.
    pub group: String,
    /// Lower header (e.g. "ours", "paper").
    pub header: String,
    /// Base name of the column's CSV fields.
    pub key: String,
    /// What it holds.
    pub kind: ColumnKind,
}

/// A table ready to be written in three formats.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    /// Short name, used for file names: `table1`, `table2`, `table5`.
    pub id: String,
    /// Caption.
    pub title: String,
    /// Columns.
    pub columns: Vec<Column>,
    /// Rows, each with one entry per column.
    pub rows: Vec<Vec<Entry>>,
    /// Notes printed under the table.
    pub notes: Vec<String>,
}

impl Table {
    /// Whether any row holds one of our values.
    pub fn has_ours(&self) -> bool {
        self.rows.iter().flatten().any(|e| matches!(e, Entry::Ours(_)))
    }

    /// GitHub-flavoured Markdown (with the caption as a bold line and the notes below).
    pub fn to_markdown(&self) -> String {
        let mut s = format!("**{}**\n\n", self.title);
        let header: Vec<String> = self
            .columns
            .iter()
            .map(|c| {
                if c.group.is_empty() {
                    c.header.clone()
                } else {
                    format!("{} {}", c.group, c.header)
                }
            })
            .collect();
        s += &format!("| {} |\n", header.join(" | "));
        s += &format!(
            "|{}\n",
            self.columns
                .iter()
                .map(|c| if c.kind == ColumnKind::Text { "---|" } else { "---:|" })
                .collect::<String>()
        );
        for row in &self.rows {
            let cells: Vec<String> = row.iter().map(|e| entry_text(e, "±", true)).collect();
            s += &format!("| {} |\n", cells.join(" | "));
        }
        if !self.notes.is_empty() {
            s.push('\n');
            for n in &self.notes {
                s += &format!("- {n}\n");
            }
        }
        s
    }

    /// CSV with numeric fields: a text column gives one field; an "ours" column gives
    /// `<key>_mean_pct, <key>_unc_pct, <key>_unc_kind, <key>_ci_low_pct, <key>_ci_high_pct,
    /// <key>_seeds, <key>_n`; a paper column gives `<key>_mean_pct, <key>_sem_pct`.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] if a row's length differs from the columns'.
    pub fn to_csv(&self) -> Result<String> {
        let mut w = csv::Writer::from_writer(Vec::new());
        let mut header = Vec::new();
        for c in &self.columns {
            match c.kind {
                ColumnKind::Text => header.push(c.key.clone()),
                ColumnKind::Ours => {
                    for f in [
                        "mean_pct",
                        "unc_pct",
                        "unc_kind",
                        "ci_low_pct",
                        "ci_high_pct",
                        "seeds",
                        "n",
                    ] {
                        header.push(format!("{}_{f}", c.key));
                    }
                }
                ColumnKind::Paper => {
                    header.push(format!("{}_mean_pct", c.key));
                    header.push(format!("{}_sem_pct", c.key));
                }
            }
        }
        let csv_err =
            |e: csv::Error| Error::InvalidInput { what: format!("{}: CSV: {e}", self.id) };
        w.write_record(&header).map_err(csv_err)?;
        for (i, row) in self.rows.iter().enumerate() {
            if row.len() != self.columns.len() {
                return Err(Error::InvalidInput {
                    what: format!(
                        "table {}: row {i} has {} entries for {} columns",
                        self.id,
                        row.len(),
                        self.columns.len()
                    ),
                });
            }
            let mut fields: Vec<String> = Vec::new();
            for (c, e) in self.columns.iter().zip(row) {
                let mut f: Vec<String> = match e {
                    Entry::Text(t) => vec![t.clone()],
                    Entry::Ours(m) => vec![
                        format!("{:.4}", m.mean_pct),
                        format!("{:.4}", m.unc_pct),
                        match m.kind {
                            UncertaintyKind::Sem => "sem".to_owned(),
                            UncertaintyKind::Wilson => "wilson95".to_owned(),
                        },
                        format!("{:.4}", m.ci_pct.0),
                        format!("{:.4}", m.ci_pct.1),
                        m.seeds.to_string(),
                        m.draws.to_string(),
                    ],
                    Entry::Paper { mean_pct, sem_pct } => vec![
                        format!("{mean_pct:.2}"),
                        sem_pct.map(|s| format!("{s:.2}")).unwrap_or_default(),
                    ],
                    Entry::Empty => Vec::new(),
                };
                f.resize(c.kind.csv_width(), String::new());
                fields.extend(f);
            }
            w.write_record(&fields).map_err(csv_err)?;
        }
        let bytes = w
            .into_inner()
            .map_err(|e| Error::InvalidInput { what: format!("{}: CSV: {e}", self.id) })?;
        String::from_utf8(bytes)
            .map_err(|e| Error::InvalidInput { what: format!("{}: CSV: {e}", self.id) })
    }

    /// A LaTeX `table` with a booktabs `tabular` (needs `\usepackage{booktabs}`).
    pub fn to_latex(&self) -> String {
        let mut s = String::from("\\begin{table}[t]\n\\centering\n\\footnotesize\n");
        s += &format!("\\caption{{{}}}\n", latex_escape(&self.title));
        s += &format!("\\label{{tab:actnoise-{}}}\n", self.id);
        let spec: String = self
            .columns
            .iter()
            .map(|c| if c.kind == ColumnKind::Text { 'l' } else { 'r' })
            .collect();
        s += &format!("\\begin{{tabular}}{{{spec}}}\n\\toprule\n");
        // Group header with \multicolumn over adjacent columns of one group.
        let mut groups: Vec<(String, usize)> = Vec::new();
        for c in &self.columns {
            match groups.last_mut() {
                Some((g, n)) if *g == c.group => *n += 1,
                _ => groups.push((c.group.clone(), 1)),
            }
        }
        if groups.iter().any(|(g, _)| !g.is_empty()) {
            let cells: Vec<String> = groups
                .iter()
                .map(|(g, n)| {
                    if *n == 1 {
                        latex_escape(g)
                    } else {
                        format!("\\multicolumn{{{n}}}{{c}}{{{}}}", latex_escape(g))
                    }
                })
                .collect();
            s += &format!("{} \\\\\n", cells.join(" & "));
        }
        let headers: Vec<String> = self.columns.iter().map(|c| latex_escape(&c.header)).collect();
        s += &format!("{} \\\\\n\\midrule\n", headers.join(" & "));
        for row in &self.rows {
            let cells: Vec<String> =
                row.iter().map(|e| latex_escape(&entry_text(e, "±", true))).collect();
            s += &format!("{} \\\\\n", cells.join(" & "));
        }
        s += "\\bottomrule\n\\end{tabular}\n";
        for n in &self.notes {
            s += &format!("\\par\\smallskip {}\n", latex_escape(n));
        }
        s += "\\end{table}\n";
        s
    }

    /// Writes `<dir>/<id>.md`, `<dir>/<id>.csv` and `<dir>/<id>.tex`; returns their paths.
    ///
    /// # Errors
    /// [`Error::Io`] if a file cannot be written.
    pub fn write(&self, dir: &Path) -> Result<Vec<PathBuf>> {
        let md = dir.join(format!("{}.md", self.id));
        let csv = dir.join(format!("{}.csv", self.id));
        let tex = dir.join(format!("{}.tex", self.id));
        write_atomic(&md, self.to_markdown().as_bytes())?;
        write_atomic(&csv, self.to_csv()?.as_bytes())?;
        write_atomic(&tex, self.to_latex().as_bytes())?;
        Ok(vec![md, csv, tex])
    }
}

fn entry_text(e: &Entry, pm: &str, show_draws: bool) -> String {
    match e {
        Entry::Empty => "–".to_owned(),
        Entry::Text(t) => t.clone(),
        Entry::Ours(m) => m.text(pm, show_draws),
        Entry::Paper { mean_pct, sem_pct: Some(s) } => format!("{mean_pct:.2} {pm} {s:.2}"),
        Entry::Paper { mean_pct, sem_pct: None } => format!("{mean_pct:.2}"),
    }
}

fn latex_escape(s: &str) -> String {
    let mut out = String::new();
    let mut chars = s.chars().peekable();
    while let Some(ch) = chars.next() {
        match ch {
            '^' if chars.peek().is_some_and(char::is_ascii_digit) => {
                let mut digits = String::new();
                while let Some(d) = chars.next_if(char::is_ascii_digit) {
                    digits.push(d);
                }
                out += &format!("$^{{{digits}}}$");
            }
            '\\' => out += "\\textbackslash{}",
            '&' | '%' | '$' | '#' | '_' | '{' | '}' => {
                out.push('\\');
                out.push(ch);
            }
            '~' => out += "\\textasciitilde{}",
            '^' => out += "\\textasciicircum{}",
            '±' => out += "$\\pm$",
            'α' => out += "$\\alpha$",
            '–' => out += "--",
            '·' => out += "$\\cdot$",
            '≥' => out += "$\\geq$",
            '⁴' => out += "$^4$",
            _ => out.push(ch),
        }
    }
    out
}

/// Our cells usable for the generative-EBM tables: model `ebm-ae`, and every noisy side the
/// standard Gaussian on all layers.
fn is_paper_ebm(a: &Aggregate) -> bool {
    let side_ok = |alpha: f64, law: &str, params: &str, placement: &str| {
        alpha_key(alpha) == 0
            || (Side {
                law: law.to_owned(),
                params: params.to_owned(),
                placement: placement.to_owned(),
            })
            .is_standard_gaussian_full()
    };
    a.model == "ebm-ae"
        && side_ok(a.alpha_train, &a.train_law, &a.train_params, &a.train_placement)
        && side_ok(a.alpha_test, &a.test_law, &a.test_params, &a.test_placement)
}

/// Best candidate: the wanted draws if given, else the most draws.
fn pick(cands: Vec<&Aggregate>, draws: Option<u64>) -> Option<&Aggregate> {
    match draws {
        Some(n) => cands.into_iter().filter(|a| a.draws == n).reduce(prefer),
        None => most_draws(cands),
    }
}

fn ours_entry(a: Option<&Aggregate>, used: &mut BTreeSet<(String, String)>) -> Entry {
    match a {
        Some(a) => {
            used.insert((a.experiment.clone(), a.estimator.clone()));
            Entry::Ours(Measured::of(a))
        }
        None => Entry::Empty,
    }
}

fn paper_entry(v: Option<&crate::paper::PaperValue>) -> Entry {
    v.map_or(Entry::Empty, |v| Entry::Paper { mean_pct: v.mean_pct, sem_pct: v.sem_pct })
}

fn source_note(used: &BTreeSet<(String, String)>) -> String {
    let list: Vec<String> = used.iter().map(|(e, est)| format!("{e} (estimator {est})")).collect();
    format!(
        "Our values come from: {}.",
        if list.is_empty() { "none".to_owned() } else { list.join(", ") }
    )
}

fn format_note() -> String {
    "Ours: mean accuracy % over seeds ± SEM (several seeds) or [95 % Wilson interval] (one seed), \
     with the number of seeds and n, the noise draws per (image, class). Paper: mean ± SEM over 10 runs. \
     – : not measured."
        .to_owned()
}

fn dataset_columns(datasets: &[&str], prefix: &str) -> Vec<Column> {
    let mut cols = Vec::new();
    for d in datasets {
        let key = format!("{prefix}{}", d.to_ascii_lowercase().replace(['-', ' '], ""));
        cols.push(Column {
            group: format!("{}{}", prefix_label(prefix), d),
            header: "ours".into(),
            key: format!("{key}_ours"),
            kind: ColumnKind::Ours,
        });
        cols.push(Column {
            group: format!("{}{}", prefix_label(prefix), d),
            header: "paper".into(),
            key: format!("{key}_paper"),
            kind: ColumnKind::Paper,
        });
    }
    cols
}

fn prefix_label(prefix: &str) -> String {
    if prefix.is_empty() {
        String::new()
    } else {
        format!("{} ", prefix.trim_end_matches('_').replace("alpha", "α="))
    }
}

fn pair_label(p: (f64, f64)) -> String {
    format!("({}, {})", alpha_str(p.0), alpha_str(p.1))
}

fn n_label(n: u64) -> String {
    match n {
        1 => "1".into(),
        10 => "10".into(),
        100 => "10^2".into(),
        1000 => "10^3".into(),
        10000 => "10^4".into(),
        n => n.to_string(),
    }
}

/// Table 1: rows are the paper's 12 (α_train, α_test) pairs, columns the five datasets, ours
/// beside the paper's. Ours is the standard-Gaussian, all-layer `ebm-ae` cell of that pair with
/// the most draws (the paper used n = 10⁴, or 1 where α_test = 0).
///
/// # Errors
/// [`Error::PaperData`] if the embedded transcription is malformed.
pub fn table1(aggs: &[Aggregate]) -> Result<Table> {
    let paper = PaperTables::embedded()?;
    let mut columns = vec![
        Column {
            group: String::new(),
            header: "α (train, test)".into(),
            key: "alpha".into(),
            kind: ColumnKind::Text,
        },
        Column {
            group: String::new(),
            header: "n (paper)".into(),
            key: "n_paper".into(),
            kind: ColumnKind::Text,
        },
    ];
    columns.extend(dataset_columns(&PAPER_DATASETS, ""));
    let mut used = BTreeSet::new();
    let mut rows = Vec::new();
    for pair in paper.pairs(PaperTable::Table1) {
        let n_paper = if alpha_key(pair.1) == 0 { 1 } else { 10000 };
        let mut row = vec![Entry::Text(pair_label(pair)), Entry::Text(n_label(n_paper))];
        for d in PAPER_DATASETS {
            let cands = candidates(aggs, d, pair);
            row.push(ours_entry(pick(cands, None), &mut used));
            row.push(paper_entry(paper.get(PaperTable::Table1, pair, None, d, "ebm-ae")));
        }
        rows.push(row);
    }
    Ok(Table {
        id: "table1".into(),
        title: "Table 1: accuracy (%) for the noise scalars α (train, test); ours at the most draws measured, paper at n = 10^4 (1 where α_test = 0)".into(),
        columns,
        rows,
        notes: vec![format_note(), source_note(&used)],
    })
}

fn candidates<'a>(aggs: &'a [Aggregate], dataset: &str, pair: (f64, f64)) -> Vec<&'a Aggregate> {
    aggs.iter()
        .filter(|a| {
            is_paper_ebm(a)
                && paper_dataset(&a.dataset) == Some(dataset)
                && same_alpha(a.alpha_train, pair.0)
                && same_alpha(a.alpha_test, pair.1)
        })
        .collect()
}

/// Table 2: rows are the paper's (α pair, n) with n ∈ {1, 10, 10², 10³, 10⁴}, columns the
/// five datasets, ours (at exactly that n) beside the paper's.
///
/// # Errors
/// [`Error::PaperData`] if the embedded transcription is malformed.
pub fn table2(aggs: &[Aggregate]) -> Result<Table> {
    let paper = PaperTables::embedded()?;
    let mut columns = vec![
        Column {
            group: String::new(),
            header: "α (train, test)".into(),
            key: "alpha".into(),
            kind: ColumnKind::Text,
        },
        Column {
            group: String::new(),
            header: "n".into(),
            key: "n".into(),
            kind: ColumnKind::Text,
        },
    ];
    columns.extend(dataset_columns(&PAPER_DATASETS, ""));
    let mut used = BTreeSet::new();
    let mut rows = Vec::new();
    for pair in paper.pairs(PaperTable::Table2) {
        for n in paper.draws(PaperTable::Table2, pair) {
            let mut row = vec![Entry::Text(pair_label(pair)), Entry::Text(n_label(n))];
            for d in PAPER_DATASETS {
                row.push(ours_entry(pick(candidates(aggs, d, pair), Some(n)), &mut used));
                row.push(paper_entry(paper.get(PaperTable::Table2, pair, Some(n), d, "ebm-ae")));
            }
            rows.push(row);
        }
    }
    Ok(Table {
        id: "table2".into(),
        title:
            "Table 2: accuracy (%) for the noise scalars α (train, test) and the number of draws n"
                .into(),
        columns,
        rows,
        notes: vec![format_note(), source_note(&used)],
    })
}

/// Table 5: rows are the 17 discriminative architectures, columns α ∈ {0, 0.5, 1} (balanced)
/// × CIFAR-10/100, ours beside the paper's. Our cells match an architecture by model name
/// ([`architecture_matches`]); the cell with the most draws is shown.
///
/// # Errors
/// [`Error::PaperData`] if the embedded transcription is malformed.
pub fn table5(aggs: &[Aggregate]) -> Result<Table> {
    let paper = PaperTables::embedded()?;
    let alphas = [0.0, 0.5, 1.0];
    let mut columns = vec![Column {
        group: String::new(),
        header: "architecture".into(),
        key: "architecture".into(),
        kind: ColumnKind::Text,
    }];
    for a in alphas {
        columns.extend(dataset_columns(&TABLE5_DATASETS, &format!("alpha{}_", alpha_str(a))));
    }
    let mut used = BTreeSet::new();
    let mut rows = Vec::new();
    for arch in paper.architectures() {
        let mut row = vec![Entry::Text(arch.to_owned())];
        for a in alphas {
            for d in TABLE5_DATASETS {
                let cands: Vec<&Aggregate> = aggs
                    .iter()
                    .filter(|x| {
                        architecture_matches(arch, &x.model)
                            && paper_dataset(&x.dataset) == Some(d)
                            && same_alpha(x.alpha_train, a)
                            && same_alpha(x.alpha_test, a)
                    })
                    .collect();
                row.push(ours_entry(pick(cands, None), &mut used));
                row.push(paper_entry(paper.get(PaperTable::Table5, (a, a), None, d, arch)));
            }
        }
        rows.push(row);
    }
    Ok(Table {
        id: "table5".into(),
        title: "Table 5: accuracy (%) of discriminative classifiers with balanced standard-Gaussian activation noise".into(),
        columns,
        rows,
        notes: vec![format_note(), source_note(&used)],
    })
}
