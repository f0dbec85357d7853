//! Reading AutoEq's published results from `../shared/data` at run time, through Refcan's own
//! importers (the files are never copied into the repository). Used by the tests that compare
//! Refcan with AutoEq; each skips itself with a message when the folder is missing, and fails
//! instead when `REFCAN_REQUIRE_SHARED_DATA=1` (as in CI; see `tests/common/shared_data.rs`).
#![allow(dead_code)]

#[path = "../common/shared_data.rs"]
mod shared_data;

use refcan::filter::FilterSpec;
use refcan::io::{self, Channel, Content, ImportOptions};
use std::path::{Path, PathBuf};

/// `../shared/data/autoeq/results` (or `$REFCAN_SHARED/data/autoeq/results`) when it is there;
/// `None` after a message when it is missing, or a panic if `REFCAN_REQUIRE_SHARED_DATA=1`.
pub fn results_dir() -> Option<PathBuf> {
    shared_data::data_dir("autoeq/results")
}

/// The `frequency` column and the named level column of an AutoEq result CSV.
pub fn read_column(path: &Path, column: &str) -> (Vec<f64>, Vec<f64>) {
    let options = ImportOptions {
        column: Some(column.into()),
        pair_channels: false,
    };
    let imported =
        io::import_file_with(path, &options).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let Content::Curve(c) = imported.content else {
        panic!("{}: not a curve", path.display());
    };
    let curve = c.channels.channel(Channel::Left);
    (curve.freq_hz.clone(), curve.db.clone())
}

/// The `equalization` column of an AutoEq result CSV (the curve AutoEq's filters fit).
pub fn read_equalization(path: &Path) -> (Vec<f64>, Vec<f64>) {
    read_column(path, "equalization")
}

/// The filters of a ParametricEQ.txt as cookbook sections at 44.1 kHz.
pub fn read_filters(path: &Path) -> Vec<FilterSpec> {
    let imported = io::import_file(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let Content::Eq(eq) = imported.content else {
        panic!("{}: not an EQ", path.display());
    };
    eq.filter_specs(44_100.0, Channel::Left)
}
