//! Reading AutoEq's published results from `../shared/data` at run time, through Refcan's own
//! importers (the files are never copied into the repository). Used by the tests that compare
//! Refcan with AutoEq; each skips itself with a message when the folder is missing.
#![allow(dead_code)]

use refcan::filter::FilterSpec;
use refcan::io::{self, Channel, Content, ImportOptions};
use std::path::{Path, PathBuf};

/// `../shared/data/autoeq/results` (or `$REFCAN_SHARED/data/autoeq/results`).
pub fn results_dir() -> PathBuf {
    let shared = std::env::var("REFCAN_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|_| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared"));
    shared.join("data/autoeq/results")
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
