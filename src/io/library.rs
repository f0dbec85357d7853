//! Browsing an AutoEq checkout on disk as a headphone library.
//!
//! AutoEq (github.com/jaakkopasanen/AutoEq) keeps results as
//! `results/<source>/<form or target>/<Headphone>/<Headphone> ParametricEQ.txt` (plus
//! `GraphicEQ.txt`, `FixedBandEQ.txt` and `<Headphone>.csv`) and measurements as
//! `measurements/<source>/data/<form>/<Headphone>.csv` (sometimes one folder deeper,
//! `…/<form>/<Headphone>/<Headphone>.csv`). The walk is generic over the middle folders, so
//! older and newer layouts both list; missing folders simply contribute nothing.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Deepest folder level walked below `results/` or `measurements/`; guards against symlink
/// loops and unrelated deep trees.
const MAX_DEPTH: usize = 8;
/// Most entries listed; a real AutoEq checkout has a few ten thousand files.
const MAX_ENTRIES: usize = 200_000;

/// The files AutoEq has for one headphone from one source.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HeadphoneFiles {
    /// `measurements/<source>/data/…/<Headphone>.csv`.
    pub measurement_csv: Option<PathBuf>,
    /// `results/…/<Headphone>/<Headphone>.csv` (columns raw, error, …, target).
    pub result_csv: Option<PathBuf>,
    /// `results/…/<Headphone> ParametricEQ.txt`.
    pub parametric_eq: Option<PathBuf>,
    /// `results/…/<Headphone> GraphicEQ.txt`.
    pub graphic_eq: Option<PathBuf>,
    /// `results/…/<Headphone> FixedBandEQ.txt`.
    pub fixed_band_eq: Option<PathBuf>,
}

/// One headphone of the library.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LibraryEntry {
    /// Headphone name (the folder or file stem, e.g. `Sennheiser HD 600`).
    pub name: String,
    /// Measurement source (`oratory1990`, `crinacle`, …): the first folder below `results/`
    /// or `measurements/`.
    pub source: String,
    /// The folders between source and headphone (`over-ear`, `in-ear/711`, a target name in
    /// old result trees), joined with `/`; empty if none.
    pub form: String,
    /// The files found.
    pub files: HeadphoneFiles,
}

/// Why the library could not be listed.
#[derive(Debug, thiserror::Error)]
#[error("{}: {message}", root.display())]
pub struct BrowseError {
    /// The folder that was given.
    pub root: PathBuf,
    /// What is wrong with it.
    pub message: String,
}

/// Lists the headphones of the AutoEq checkout at `root`, sorted by name (case-insensitive)
/// and source. Results and the measurement of the same source and name share one entry.
/// Fails only if `root` is not a readable folder, or has neither `results/` nor
/// `measurements/`.
pub fn browse_autoeq(root: &Path) -> Result<Vec<LibraryEntry>, BrowseError> {
    let fail = |message: String| BrowseError {
        root: root.to_path_buf(),
        message,
    };
    match std::fs::metadata(root) {
        Ok(m) if m.is_dir() => {}
        Ok(_) => {
            return Err(fail(
                "expected a folder (the AutoEq repository root)".into(),
            ));
        }
        Err(e) => return Err(fail(format!("cannot open the folder: {e}"))),
    }
    let results = root.join("results");
    let measurements = root.join("measurements");
    if !results.is_dir() && !measurements.is_dir() {
        return Err(fail(
            "expected an AutoEq checkout with a \"results\" or \"measurements\" folder".into(),
        ));
    }

    // Keyed by (source, name, form) for results; measurements attach by (source, name).
    let mut entries: BTreeMap<(String, String, String), HeadphoneFiles> = BTreeMap::new();
    let mut budget = MAX_ENTRIES;
    walk_results(&results, &mut Vec::new(), &mut entries, &mut budget);
    for source_dir in sorted_subdirs(&measurements) {
        let Some(source) = file_name(&source_dir) else {
            continue;
        };
        let data = source_dir.join("data");
        let mut found = Vec::new();
        collect_csvs(&data, &mut Vec::new(), &mut found, &mut budget);
        for (form_parts, path) in found {
            let Some(name) = path.file_stem().and_then(|s| s.to_str()).map(str::to_owned) else {
                continue;
            };
            // `…/earbud/Apple EarPods/Apple EarPods.csv`: the last folder repeats the name.
            let mut parts = form_parts;
            if parts.last() == Some(&name) {
                parts.pop();
            }
            let form = parts.join("/");
            let same_name: Vec<(String, String, String)> = entries
                .keys()
                .filter(|(s, n, _)| *s == source && *n == name)
                .cloned()
                .collect();
            let key = match same_name.as_slice() {
                [only] => only.clone(),
                many => many
                    .iter()
                    .find(|(_, _, f)| *f == form)
                    .cloned()
                    .unwrap_or_else(|| (source.clone(), name.clone(), form.clone())),
            };
            let files = entries.entry(key).or_default();
            if files.measurement_csv.is_none() {
                files.measurement_csv = Some(path);
            }
        }
    }

    let mut list: Vec<LibraryEntry> = entries
        .into_iter()
        .map(|((source, name, form), files)| LibraryEntry {
            name,
            source,
            form,
            files,
        })
        .collect();
    list.sort_by(|a, b| {
        a.name
            .to_lowercase()
            .cmp(&b.name.to_lowercase())
            .then_with(|| a.source.cmp(&b.source))
            .then_with(|| a.form.cmp(&b.form))
    });
    Ok(list)
}

fn file_name(path: &Path) -> Option<String> {
    path.file_name().and_then(|n| n.to_str()).map(str::to_owned)
}

/// Subfolders of `dir`, sorted; empty if `dir` is missing or unreadable.
fn sorted_subdirs(dir: &Path) -> Vec<PathBuf> {
    let Ok(read) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut dirs: Vec<PathBuf> = read
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    dirs
}

/// `parts` = folders below `results/` leading to `dir`.
fn walk_results(
    dir: &Path,
    parts: &mut Vec<String>,
    entries: &mut BTreeMap<(String, String, String), HeadphoneFiles>,
    budget: &mut usize,
) {
    if parts.len() > MAX_DEPTH || *budget == 0 {
        return;
    }
    if let (Some(source), Some(name)) = (parts.first(), parts.last())
        && parts.len() >= 2
    {
        let files = headphone_files(dir, name);
        if files != HeadphoneFiles::default() {
            let form = parts[1..parts.len() - 1].join("/");
            *budget = budget.saturating_sub(1);
            entries.insert((source.clone(), name.clone(), form), files);
            return;
        }
    }
    for sub in sorted_subdirs(dir) {
        let Some(name) = file_name(&sub) else {
            continue;
        };
        parts.push(name);
        walk_results(&sub, parts, entries, budget);
        parts.pop();
    }
}

/// The AutoEq result files of headphone `name` in `dir`.
fn headphone_files(dir: &Path, name: &str) -> HeadphoneFiles {
    let existing = |file: String| {
        let p = dir.join(file);
        p.is_file().then_some(p)
    };
    HeadphoneFiles {
        measurement_csv: None,
        result_csv: existing(format!("{name}.csv")),
        parametric_eq: existing(format!("{name} ParametricEQ.txt")),
        graphic_eq: existing(format!("{name} GraphicEQ.txt")),
        fixed_band_eq: existing(format!("{name} FixedBandEQ.txt")),
    }
}

/// All `.csv` files below `dir`, with the folders leading to each.
fn collect_csvs(
    dir: &Path,
    parts: &mut Vec<String>,
    out: &mut Vec<(Vec<String>, PathBuf)>,
    budget: &mut usize,
) {
    if parts.len() > MAX_DEPTH || *budget == 0 {
        return;
    }
    let Ok(read) = std::fs::read_dir(dir) else {
        return;
    };
    let mut paths: Vec<PathBuf> = read.flatten().map(|e| e.path()).collect();
    paths.sort();
    for path in paths {
        if *budget == 0 {
            return;
        }
        if path.is_dir() {
            let Some(name) = file_name(&path) else {
                continue;
            };
            parts.push(name);
            collect_csvs(&path, parts, out, budget);
            parts.pop();
        } else if path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("csv"))
            && path.is_file()
        {
            *budget -= 1;
            out.push((parts.clone(), path));
        }
    }
}
