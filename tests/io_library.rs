//! The AutoEq folder browser on a tiny synthetic checkout written by the test.

use refcan::io::library::browse_autoeq;
use std::path::Path;

fn touch(root: &Path, rel: &str) {
    let path = root.join(rel);
    std::fs::create_dir_all(path.parent().expect("has parent")).expect("mkdir");
    std::fs::write(&path, "frequency,raw\n20,0\n20000,0\n").expect("write");
}

#[test]
fn lists_results_and_measurements() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    for rel in [
        "results/oratory1990/over-ear/Alpha One/Alpha One ParametricEQ.txt",
        "results/oratory1990/over-ear/Alpha One/Alpha One GraphicEQ.txt",
        "results/oratory1990/over-ear/Alpha One/Alpha One FixedBandEQ.txt",
        "results/oratory1990/over-ear/Alpha One/Alpha One.csv",
        "results/crinacle/711 in-ear/beta bud/beta bud ParametricEQ.txt",
        "results/README.md",
        "results/INDEX.md",
        "measurements/oratory1990/data/over-ear/Alpha One.csv",
        "measurements/oratory1990/data/earbud/Gamma Pod/Gamma Pod.csv",
        "measurements/crinacle/data/in-ear/Delta.csv",
        "measurements/crinacle/README.md",
    ] {
        touch(root, rel);
    }
    let list = browse_autoeq(root).unwrap();
    let summary: Vec<(&str, &str, &str)> = list
        .iter()
        .map(|e| (e.name.as_str(), e.source.as_str(), e.form.as_str()))
        .collect();
    assert_eq!(
        summary,
        vec![
            ("Alpha One", "oratory1990", "over-ear"),
            ("beta bud", "crinacle", "711 in-ear"),
            ("Delta", "crinacle", "in-ear"),
            ("Gamma Pod", "oratory1990", "earbud"),
        ]
    );
    let alpha = &list[0].files;
    assert!(
        alpha
            .parametric_eq
            .as_ref()
            .is_some_and(|p| p.ends_with("Alpha One ParametricEQ.txt"))
    );
    assert!(alpha.graphic_eq.is_some() && alpha.fixed_band_eq.is_some());
    assert!(
        alpha
            .result_csv
            .as_ref()
            .is_some_and(|p| p.ends_with("over-ear/Alpha One/Alpha One.csv"))
    );
    assert!(
        alpha
            .measurement_csv
            .as_ref()
            .is_some_and(|p| p.ends_with("measurements/oratory1990/data/over-ear/Alpha One.csv"))
    );
    let beta = &list[1].files;
    assert!(
        beta.parametric_eq.is_some() && beta.measurement_csv.is_none() && beta.result_csv.is_none()
    );
    assert!(list[3].files.measurement_csv.is_some());
}

#[test]
fn tolerates_missing_folders_and_refuses_non_checkouts() {
    let dir = tempfile::tempdir().unwrap();
    // Only measurements, no results.
    touch(dir.path(), "measurements/src/data/in-ear/Only.csv");
    let list = browse_autoeq(dir.path()).unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].name, "Only");
    // Empty `results` folder: an empty library, not an error.
    let empty = tempfile::tempdir().unwrap();
    std::fs::create_dir(empty.path().join("results")).unwrap();
    assert!(browse_autoeq(empty.path()).unwrap().is_empty());
    // Not a checkout, or not a folder.
    let other = tempfile::tempdir().unwrap();
    let e = browse_autoeq(other.path()).unwrap_err();
    assert!(
        e.to_string().contains("\"results\" or \"measurements\""),
        "{e}"
    );
    assert!(browse_autoeq(&other.path().join("nope")).is_err());
}
