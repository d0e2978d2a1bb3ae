#![doc = include_str!("../README.md")]
#![warn(missing_docs)]

mod aggregate;
mod claims;
mod error;
mod estimators;
mod io;
mod load;
mod paper;
mod plot;
mod report;
mod select;
mod tables;

pub use aggregate::{Aggregate, UncertaintyKind, aggregate, wilson_interval};
pub use claims::{Claim, ClaimStatus, evaluate_claims};
pub use error::{Error, Result};
pub use estimators::{
    EstimatorPoint, EstimatorStudy, IndependentReference, PLAIN, ReachRow, SkippedEstimator,
    StudySummary, SummaryRow,
};
pub use load::{CELL_FIELDS, Cell, MetricRecord, Provenance, Results, Run, load_run, load_runs};
pub use paper::{
    PAPER_DATASETS, PaperTable, PaperTables, PaperValue, TABLE5_DATASETS, architecture_matches,
    paper_dataset,
};
pub use plot::{CurvePoint, CurveSpec, HeatmapSpec, Series, curves, heatmap};
pub use report::{ReportSummary, report};
pub use tables::{Column, ColumnKind, Entry, Measured, Table, table1, table2, table5};
